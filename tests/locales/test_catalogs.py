"""Every message in the code has a French translation with the same placeholders."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, Translator, catalog

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import i18n as catalog_tools

PLACEHOLDER = re.compile(r"\{(\w*)\}")


def test_every_message_in_the_code_is_translated_to_french() -> None:
    missing = [message.id for message in catalog_tools.missing("fr")]  # type: ignore[attr-defined]
    assert missing == [], f"untranslated messages: {missing[:20]}"


def test_translations_keep_the_placeholders() -> None:
    wrong = []
    for po_path in (LOCALES_DIR / "fr" / "LC_MESSAGES").glob("*.po"):
        with po_path.open("rb") as handle:
            for message in read_po(handle):
                if not message.id or not message.string:
                    continue
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                expected = set(PLACEHOLDER.findall(ids[-1]))
                for text in strings:
                    if set(PLACEHOLDER.findall(text)) - expected - {"count"}:
                        wrong.append((po_path.name, message.id))
    assert wrong == []


def test_no_message_id_is_translated_twice_differently() -> None:
    seen: dict[object, tuple[str, object]] = {}
    clashes = []
    for po_path in sorted((LOCALES_DIR / "fr" / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as handle:
            for message in read_po(handle):
                if not message.id:
                    continue
                if message.id in seen and seen[message.id][1] != message.string:
                    clashes.append((message.id, seen[message.id][0], po_path.name))
                seen[message.id] = (po_path.name, message.string)
    assert clashes == []


def test_translator_escapes_values_and_translates() -> None:
    catalog.cache_clear()
    _ = Translator.for_language("fr-CH")
    hello = "Hello {name}! Welcome to Passerelle."
    french = catalog("fr").gettext(hello)
    assert french != hello  # "fr-CH" reads the French catalog line, whatever its wording
    text = _(hello, name="<b>Zoé</b> & co")
    assert text == french.format(name="&lt;b&gt;Zoé&lt;/b&gt; &amp; co")
    assert _.plain("Candidate") == catalog("fr").gettext("Candidate") != "Candidate"


def test_catalogs_keep_no_stale_messages() -> None:
    used = {message.id for message in catalog_tools.extract() if message.id}  # type: ignore[attr-defined]
    stale = []
    for po_path in sorted((LOCALES_DIR / "fr" / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as handle:
            stale += [(po_path.name, m.id) for m in read_po(handle) if m.id and m.id not in used]
    assert stale == []
