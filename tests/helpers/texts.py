"""The bot's texts as the tests look for them: through the message ids the code uses.

A test never copies a French sentence: it names the English message id, and the French
text is read from the catalogs at test time, so rewording a catalog line breaks no test.

    t("Yes")                                    # "Oui": a button label, an exact answer
    says("Thank you {name}, you are signed up for “{event}”!")   # a predicate on messages
    says("Thank you {name}, you are signed up for “{event}”!", name="Alice")
    contains(text, "Photo: {value}", value="yes")

Placeholders left without a value match anything (the fragments around them must be there);
values given must appear as the user reads them (a compiled regex given as a value matches as
a regex). Tags of HTML messages are removed and entities decoded, as the sandbox does for the
text a person sees.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from bot.i18n import Translator, catalog
from bot.sandbox.client import BotMessage
from bot.sandbox.formatting import ParseError, parse_html

LANGUAGE = "fr"
_ = Translator.for_language(LANGUAGE)

_PLACEHOLDER = re.compile(r"\{(\w*)(?:![rsa])?(?::([^{}]*))?\}")
# Private-use characters (never in a catalog line) mark the placeholders while tags go.
_OPEN, _SPEC, _CLOSE = "\ue000", "\ue001", "\ue002"
_SENTINEL = re.compile(f"{_OPEN}(\\w*){_SPEC}([^{_CLOSE}]*){_CLOSE}")

__all__ = [
    "begins",
    "begins_n",
    "contains",
    "contains_n",
    "pattern",
    "pattern_n",
    "says",
    "says_n",
    "t",
    "tn",
]


def _visible(html_text: str) -> str:
    """What a person reads of an HTML text (the sandbox's own parser)."""
    try:
        return parse_html(html_text)[0]
    except ParseError:
        return html_text


def t(message: str, /, **values: object) -> str:
    """The French text of `message` as a person reads it (also a button label)."""
    return _visible(_(message, **values))


def tn(singular: str, plural: str, count: int, /, **values: object) -> str:
    """The French text of a plural message for `count`."""
    return _visible(_.n(singular, plural, count, **values))


@cache
def _template(message: str, plural: str | None = None, count: int = 1) -> str:
    translations = catalog(LANGUAGE)
    text = (
        translations.ngettext(message, plural, count) if plural else translations.gettext(message)
    )
    marked = _PLACEHOLDER.sub(
        lambda match: f"{_OPEN}{match.group(1)}{_SPEC}{match.group(2) or ''}{_CLOSE}", text
    )
    return _visible(marked.replace("{{", "{").replace("}}", "}"))


def _compile(template: str, values: dict[str, object]) -> re.Pattern[str]:
    parts: list[str] = []
    position = 0
    for match in _SENTINEL.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        name, spec = match.group(1), match.group(2)
        if name not in values:
            parts.append(".*?")
        elif isinstance(values[name], re.Pattern):
            parts.append(f"(?:{values[name].pattern})")  # a value given as a regex
        else:
            parts.append(re.escape(format(values[name], spec)))
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts), re.DOTALL)


def pattern(message: str, /, **values: object) -> re.Pattern[str]:
    """A regex finding the French text of `message` (placeholders without value: anything)."""
    return _compile(_template(message), values)


def pattern_n(
    singular: str, plural: str, count: int | None = None, /, **values: object
) -> re.Pattern[str]:
    """As `pattern`, for a plural message; `count` None finds any count (any plural form)."""
    if count is not None:
        return _compile(_template(singular, plural, count), {"count": count, **values})
    forms = dict.fromkeys(_template(singular, plural, n) for n in (1, 2, 5))
    return re.compile(
        "|".join(f"(?:{_compile(form, values).pattern})" for form in forms), re.DOTALL
    )


def contains(text: str, message: str, /, **values: object) -> bool:
    """Whether `text` holds the French text of `message`."""
    return pattern(message, **values).search(text) is not None


def contains_n(
    text: str, singular: str, plural: str, count: int | None = None, /, **values: object
) -> bool:
    """Whether `text` holds the French text of a plural message."""
    return pattern_n(singular, plural, count, **values).search(text) is not None


def says(message: str, /, **values: object) -> Callable[[BotMessage], bool]:
    """A `wait_for` predicate: the bot message holds the French text of `message`."""
    found = pattern(message, **values)
    return lambda bot_message: found.search(bot_message.text) is not None


def says_n(
    singular: str, plural: str, count: int | None = None, /, **values: object
) -> Callable[[BotMessage], bool]:
    """`says` for a plural message; `count` None finds any count."""
    found = pattern_n(singular, plural, count, **values)
    return lambda bot_message: found.search(bot_message.text) is not None


def begins(message: str, /, **values: object) -> Callable[[BotMessage], bool]:
    """A `wait_for` predicate: the bot message starts with the French text of `message`."""
    found = pattern(message, **values)
    return lambda bot_message: found.match(bot_message.text) is not None


def begins_n(
    singular: str, plural: str, count: int | None = None, /, **values: object
) -> Callable[[BotMessage], bool]:
    """`begins` for a plural message; `count` None finds any count."""
    found = pattern_n(singular, plural, count, **values)
    return lambda bot_message: found.match(bot_message.text) is not None
