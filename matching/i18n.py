"""Per-call translation for the engine's messages (reasons, rule violations, CLI, picture).

The engine does not import the bot: it reads the same Babel-managed catalogs,
``locales/<lang>/LC_MESSAGES/*.po``, compiled in memory when first used. Texts come back
plain (no HTML escaping): whoever shows them escapes them for their medium.

    _ = translator("fr")
    _("round {number}", number=2)                       # "tour 2"
    _.n("{count} person", "{count} people", 3)           # "3 personnes"

A language without catalogs gets the English message ids.
"""

from __future__ import annotations

import csv
import gettext
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DEFAULT_LANGUAGE = "fr"


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; it is translated where shown."""
    return message


@cache
def catalog(language: str) -> gettext.NullTranslations:
    """All of a language's `.po` files merged into one translations object."""
    folder = LOCALES_DIR / language / "LC_MESSAGES"
    first: gettext.GNUTranslations | None = None
    for po_path in sorted(folder.glob("*.po")):
        with po_path.open("rb") as handle:
            po = read_po(handle, locale=language)
        buffer = io.BytesIO()
        write_mo(buffer, po)
        buffer.seek(0)
        translations = gettext.GNUTranslations(buffer)
        if first is None:
            first = translations
        else:
            first.add_fallback(translations)
    return first or gettext.NullTranslations()


@dataclass(frozen=True)
class Translator:
    """``_ = Translator("fr")``; then ``_("…", name=value)`` and ``_.n("…", "…", n)``."""

    language: str = DEFAULT_LANGUAGE

    def __call__(self, message: str, /, **values: object) -> str:
        text = catalog(self.language).gettext(message)
        return text.format(**values) if values else text

    def n(self, singular: str, plural: str, /, count: int, **values: object) -> str:
        text = catalog(self.language).ngettext(singular, plural, count)
        return text.format(count=count, **values)

    def decimal(self, value: float, places: int = 2) -> str:
        """A number written the reader's way ("0,58" in French)."""
        pattern = "0." + "0" * places if places else "0"
        return format_decimal(value, format=pattern, locale=self.language)


def translator(language: str | None = None) -> Translator:
    """The translator for ``language`` (French when not given)."""
    return Translator(_short(language))


@cache
def sector_labels(language: str | None = None) -> tuple[tuple[str, str], ...]:
    """(letter, short label) of France Travail's 14 ROME areas, from ``locales/<lang>/``.

    The same data as the bot's ``sectors()``; French when the language has no table.
    """
    path = LOCALES_DIR / _short(language) / "rome_domains.csv"
    if not path.exists():
        path = LOCALES_DIR / DEFAULT_LANGUAGE / "rome_domains.csv"
    with path.open(encoding="utf-8") as handle:
        return tuple((row["code"], row["label_short_fr"]) for row in csv.DictReader(handle))


def _short(language: str | None) -> str:
    return language.split("-")[0].lower() if language else DEFAULT_LANGUAGE
