"""Per-call translation: each handler asks for the translator of the person it answers.

Catalogs are the Babel-managed `locales/<lang>/LC_MESSAGES/*.po` files (one per feature). They
are compiled in memory with Babel when first used, so a stale `.mo` can never be served.
Nothing switches a global locale at run time.
"""

from __future__ import annotations

import csv
import gettext
import html
import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DEFAULT_LANGUAGE = "fr"
SUPPORTED_LANGUAGES = ("fr",)


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; it is translated where shown."""
    return message


@cache
def catalog(language: str) -> gettext.NullTranslations:
    """All of a language's `.po` files merged into one translations object."""
    folder = LOCALES_DIR / language / "LC_MESSAGES"
    merged: gettext.NullTranslations = gettext.NullTranslations()
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
    return first or merged


def language_for(code: str | None) -> str:
    """The language we answer in for a Telegram `language_code` (French until others exist)."""
    if code:
        short = code.split("-")[0].lower()
        if short in SUPPORTED_LANGUAGES:
            return short
    return DEFAULT_LANGUAGE


Translate = Callable[[str], str]


@dataclass(frozen=True)
class Translator:
    """`_ = Translator.for_language("fr")`; then `_("…")` and `_.n("…", "…", n)`."""

    language: str

    @classmethod
    def for_language(cls, language: str | None) -> Translator:
        return cls(language_for(language))

    def __call__(self, message: str, /, **values: object) -> str:
        """The translation, with `values` HTML-escaped (replies use the HTML parse mode)."""
        text = catalog(self.language).gettext(message)
        return text.format(**_escaped(values)) if values else text

    def plain(self, message: str, /, **values: object) -> str:
        """The translation with values as given: for files, buttons and other non-HTML text."""
        text = catalog(self.language).gettext(message)
        return text.format(**values) if values else text

    def of(self, name: str) -> str:
        """ "d'Amina", "de Karim": French elides "de" before a vowel sound."""
        if self.language == "fr":
            first = name[:1].casefold()
            return f"d'{name}" if first and first in "aàâäeéèêëiîïoôöuùûüyh" else f"de {name}"
        return f"of {name}"

    def decimal(self, value: float, places: int = 1) -> str:
        """A number written the reader's way ("0,58" in French), with `places` decimals."""
        pattern = "0." + "0" * places if places else "0"
        return format_decimal(value, format=pattern, locale=self.language)

    def n(self, singular: str, plural: str, /, count: int, **values: object) -> str:
        text = catalog(self.language).ngettext(singular, plural, count)
        return text.format(count=count, **_escaped(values))


class SafeHtml(str):
    """Text already escaped or built from trusted markup; `Translator` leaves it as it is."""

    __slots__ = ()


def _escaped(values: dict[str, object]) -> dict[str, object]:
    return {
        key: value if isinstance(value, SafeHtml | int | float) else html.escape(str(value))
        for key, value in values.items()
    }


@dataclass(frozen=True)
class Sector:
    code: str
    label: str
    short_label: str


@cache
def sectors(language: str = DEFAULT_LANGUAGE) -> tuple[Sector, ...]:
    """France Travail's 14 ROME areas, kept as data beside the catalogs."""
    path = LOCALES_DIR / language_for(language) / "rome_domains.csv"
    with path.open(encoding="utf-8") as handle:
        return tuple(
            Sector(row["code"], row["label_fr"], row["label_short_fr"])
            for row in csv.DictReader(handle)
        )


# The sectors most people in job insertion look for, first when nothing else tells.
COMMON_SECTORS = ("K", "D", "G", "N", "J", "F")


@cache
def _sector_keywords(language: str) -> dict[str, tuple[str, ...]]:
    path = LOCALES_DIR / language_for(language) / "sector_keywords.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as handle:
        return {
            row["code"]: tuple(word.strip() for word in row["keywords"].split(";") if word.strip())
            for row in csv.DictReader(handle)
        }


def likely_sectors(job: str | None, language: str = DEFAULT_LANGUAGE) -> list[Sector]:
    """All sectors, the most likely for `job` first (words of `sector_keywords.csv` found in
    it), then the common ones, then the others in their usual order."""
    text = (job or "").casefold()
    keywords = _sector_keywords(language)

    def rank(item: tuple[int, Sector]) -> tuple[int, int, int]:
        index, sector = item
        hits = sum(1 for word in keywords.get(sector.code, ()) if word in text) if text else 0
        common = COMMON_SECTORS.index(sector.code) if sector.code in COMMON_SECTORS else 99
        return (-hits, common, index)

    return [sector for _index, sector in sorted(enumerate(sectors(language)), key=rank)]
