"""Message catalog chores: extract the template, list what French still lacks.

python scripts/i18n.py extract   # writes locales/passerelle.pot (pybabel's extractor)
python scripts/i18n.py missing   # prints .po stubs for untranslated messages
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "N_": None, "plain": None, "n": (1, 2)}
SOURCES = ("bot", "matching")


def extract() -> Catalog:
    catalog = Catalog(project="passerelle")
    warnings = io.StringIO()
    for folder in SOURCES:
        with contextlib.redirect_stderr(warnings):
            found = list(
                extract_from_dir(
                    ROOT / folder,
                    method_map=[("**.py", "python")],
                    keywords=KEYWORDS,
                    comment_tags=("TRANSLATORS:",),
                )
            )
        for filename, lineno, message, comments, context in found:
            location = (f"{folder}/{filename}", lineno)
            catalog.add(message, None, [location], auto_comments=comments, context=context)
    _report_fstring_messages(warnings.getvalue())
    return catalog


def _report_fstring_messages(warnings: str) -> None:
    """Babel warns for any f-string inside a translated call, values included (`where=f"…"`,
    which is fine); only an f-string *as the message* is a mistake, so only those are shown."""
    for line in warnings.splitlines():
        where, _, _rest = line.partition(": warning:")
        path, _, lineno = where.rpartition(":")
        if not lineno.isdigit():
            print(line, file=sys.stderr)
            continue
        source = Path(path).read_text(encoding="utf-8").splitlines()[int(lineno) - 1]
        if re.search(r"""\b(_|N_|plain|n)\(\s*f["']""", source):
            print(line, file=sys.stderr)


def translated(language: str = "fr") -> dict[object, str]:
    known: dict[object, str] = {}
    for po_path in sorted((ROOT / "locales" / language / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as handle:
            for message in read_po(handle):
                if message.id and message.string and not message.fuzzy:
                    known[message.id] = message.string  # type: ignore[assignment]
    return known


def missing(language: str = "fr") -> list[object]:
    known = translated(language)
    return [message for message in extract() if message.id and message.id not in known]


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "missing"
    if command == "extract":
        with (ROOT / "locales" / "passerelle.pot").open("wb") as handle:
            write_po(handle, extract(), omit_header=False, sort_output=True)
        return 0
    lacking = missing()
    for message in lacking:
        locations = " ".join(f"{path}:{line}" for path, line in message.locations)  # type: ignore[attr-defined]
        msgid = message.id  # type: ignore[attr-defined]
        if isinstance(msgid, tuple):
            print(f"#: {locations}\nmsgid {quote(msgid[0])}\nmsgid_plural {quote(msgid[1])}")
            print('msgstr[0] ""\nmsgstr[1] ""\n')
        else:
            print(f'#: {locations}\nmsgid {quote(msgid)}\nmsgstr ""\n')
    return 1 if lacking else 0


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
