"""What people type, made safe and plain before it is checked or stored.

Telegram passes on anything a keyboard can produce: zero-width spaces, a byte-order mark,
the Hangul filler that looks like nothing, control characters (NUL, BEL, ESC) and the
right-to-left override that reverses how a name is printed. None of them belongs in a first
name, a job or an export, and some make an answer look filled when it is empty. Every typed
answer goes through `normalise` (the conversation engine does it for every text step), typed
lists through `split_items`, first names through `name_problem`.
"""

from __future__ import annotations

import re
import unicodedata

# Characters that print as nothing but are not "format" characters in Unicode's sense.
_INVISIBLE = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u180e"}
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def _kept(char: str) -> str:
    if char in "\n\r":
        return "\n"
    category = unicodedata.category(char)
    if category in ("Cc", "Zl", "Zp"):
        return " " if char == "\t" else ""
    if category in ("Cf", "Co", "Cs", "Cn") or char in _INVISIBLE:
        # Cf: zero-width (U+200B–U+200D, U+2060), BOM, bidi marks and overrides. An emoji
        # joined by U+200D loses the joint only: its parts stay.
        return ""
    return char


def normalise(text: str | None, *, keep_lines: bool = False) -> str:
    """`text` in NFC, without control, invisible or direction-changing characters, spaces
    collapsed; line breaks kept as "\\n" only with `keep_lines` (for lists)."""
    cleaned = "".join(_kept(char) for char in unicodedata.normalize("NFC", text or ""))
    lines = [_SPACES.sub(" ", line).strip() for line in cleaned.split("\n")]
    if keep_lines:
        return "\n".join(line for line in lines if line)
    return " ".join(line for line in lines if line)


_ITEM_SEPARATORS = re.compile(r"\s*(?:[,;\n•]|\s(?:et|and|puis)\s|\s/\s)\s*", re.IGNORECASE)


def split_items(text: str) -> list[str]:
    """A typed list as its items: "ménage, repassage et cuisine" is three."""
    items = [normalise(part) for part in _ITEM_SEPARATORS.split(normalise(text, keep_lines=True))]
    seen: set[str] = set()
    unique = []
    for item in items:
        key = item.casefold()
        if item and key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


_GREETINGS = {
    "bonjour",
    "bonsoir",
    "salut",
    "coucou",
    "hello",
    "hi",
    "allo",
    "allô",
    "merci",
    "oui",
    "non",
    "ok",
    "d'accord",
    "bjr",
    "slt",
    "cc",
    "prénom",
    "prenom",
    "nom",
    "test",
}


def name_problem(text: str) -> str | None:
    """Why `text` is not a plausible first name ("greeting", "digits", "sentence"), or None.

    A first name is printed on the portrait card employers receive: "bonjour" or "je cherche
    du travail" typed at the wrong step must not end up there.
    """
    words = text.split()
    bare = re.sub(r"[^\w'-]", "", text.casefold())
    if bare in _GREETINGS or (words and words[0].casefold().strip("!,.") in _GREETINGS):
        return "greeting"
    if any(char.isdigit() for char in text):
        return "digits"
    if len(words) > 3 or re.search(r"[?!.:;]", text) or not any(c.isalpha() for c in text):
        return "sentence"
    return None
