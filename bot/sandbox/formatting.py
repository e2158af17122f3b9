"""Telegram text formatting (HTML, MarkdownV2, Markdown) parsing for the sandbox.

The sandbox must reject what Telegram rejects (so bugs surface in tests, not in production)
and return the same plain text + entities that Telegram would, so PTB's ``text_html`` etc. work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ParseError", "parse_text", "utf16_len"]


class ParseError(ValueError):
    """Raised with Telegram's wording when a formatted text cannot be parsed."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit Telegram uses for entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


_HTML_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{1,10});")
_TAG_RE = re.compile(r"([A-Za-z][A-Za-z0-9-]*)(.*)\Z", re.S)
_ATTR_RE = re.compile(r"""([A-Za-z][\w-]*)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")


@dataclass
class _Open:
    name: str
    start: int  # UTF-16 offset in the output
    attrs: dict[str, str] = field(default_factory=dict)
    absorbed: bool = False  # <code> inside <pre>: becomes the pre's language


class _Output:
    """Accumulates plain text while tracking its UTF-16 length."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def add(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.length += utf16_len(chunk)

    def text(self) -> str:
        return "".join(self.parts)


def _sorted(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram's HTML subset; raise ParseError like Telegram on bad markup."""
    out = _Output()
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "<":
            end = text.find(">", i)
            offset = _byte_offset(text, i)
            if end == -1:
                raise ParseError(f"Unclosed start tag at byte offset {offset}")
            inner = text[i + 1 : end]
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise ParseError(f"Unexpected end tag at byte offset {offset}")
                top = stack.pop()
                if top.name != name:
                    raise ParseError(
                        f'Unmatched end tag at byte offset {offset}, expected "</{top.name}>", '
                        f'found "</{name}>"'
                    )
                _close_html(top, out.length, entities)
            else:
                match = _TAG_RE.match(inner)
                name = match.group(1).lower() if match else inner.split(" ", 1)[0]
                if not match or name not in _HTML_TAGS:
                    raise ParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
                attrs = {k.lower(): v.strip("\"'") for k, v in _ATTR_RE.findall(match.group(2))}
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise ParseError(
                        f'Tag "span" must have class "tg-spoiler" at byte offset {offset}'
                    )
                opened = _Open(name, out.length, attrs)
                if name == "code" and stack and stack[-1].name == "pre":
                    lang = attrs.get("class", "")
                    if lang.startswith("language-"):
                        stack[-1].attrs["language"] = lang[len("language-") :]
                    opened.absorbed = True
                stack.append(opened)
            i = end + 1
        elif ch == "&":
            match = _ENTITY_RE.match(text, i)
            if match is None:
                out.add("&")
                i += 1
                continue
            body = match.group(1)
            if body.startswith(("#x", "#X")):
                out.add(chr(int(body[2:], 16)))
            elif body.startswith("#"):
                out.add(chr(int(body[1:])))
            else:
                out.add(_NAMED_ENTITIES.get(body.lower(), match.group(0)))
            i = match.end()
        else:
            j = i
            while j < n and text[j] not in "<&":
                j += 1
            out.add(text[i:j])
            i = j
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return out.text(), _sorted(entities)


def _close_html(opened: _Open, end: int, entities: list[dict[str, Any]]) -> None:
    length = end - opened.start
    if length <= 0 or opened.absorbed:
        return
    kind = _HTML_TAGS[opened.name]
    entity: dict[str, Any] = {"type": kind, "offset": opened.start, "length": length}
    if opened.name == "a":
        href = opened.attrs.get("href", "")
        user = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if user:
            entity = {**entity, "type": "text_mention", "user": _mention_user(int(user[1]))}
        elif href:
            entity["url"] = href
        else:
            return
    elif opened.name == "pre" and opened.attrs.get("language"):
        entity["language"] = opened.attrs["language"]
    elif opened.name == "blockquote" and "expandable" in opened.attrs:
        entity["type"] = "expandable_blockquote"
    elif opened.name == "tg-emoji":
        entity["custom_emoji_id"] = opened.attrs.get("emoji-id", "0")
    entities.append(entity)


def _mention_user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": str(user_id)}


_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "*": ("bold", "Bold"),
    "_": ("italic", "Italic"),
    "__": ("underline", "Underline"),
    "~": ("strikethrough", "Strikethrough"),
    "||": ("spoiler", "Spoiler"),
}


def parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse MarkdownV2: reserved characters must be escaped, entities must be closed."""
    out = _Output()
    stack: list[tuple[str, int, int]] = []  # marker, utf16 start, byte offset
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        offset = _byte_offset(text, i)
        if ch == "\\" and i + 1 < n and 0 < ord(text[i + 1]) < 127:
            out.add(text[i + 1])
            i += 2
        elif text.startswith("```", i):
            close = text.find("```", i + 3)
            if close == -1:
                raise ParseError(f"Can't find end of Pre entity at byte offset {offset}")
            body = text[i + 3 : close]
            language = ""
            if "\n" in body:
                first, rest = body.split("\n", 1)
                if first and " " not in first:
                    language, body = first, rest
            start = out.length
            out.add(_unescape_code(body))
            entity: dict[str, Any] = {"type": "pre", "offset": start, "length": out.length - start}
            if language:
                entity["language"] = language
            if entity["length"]:
                entities.append(entity)
            i = close + 3
        elif ch == "`":
            close = _find_unescaped(text, "`", i + 1)
            if close == -1:
                raise ParseError(f"Can't find end of Code entity at byte offset {offset}")
            start = out.length
            out.add(_unescape_code(text[i + 1 : close]))
            if out.length > start:
                entities.append({"type": "code", "offset": start, "length": out.length - start})
            i = close + 1
        elif ch == "[":
            stack.append(("[", out.length, offset))
            i += 1
        elif ch == "]":
            if not stack or stack[-1][0] != "[":
                raise ParseError(_reserved(ch))
            _, start, _ = stack.pop()
            if i + 1 >= n or text[i + 1] != "(":
                raise ParseError(_reserved(ch))
            close = _find_unescaped(text, ")", i + 2)
            if close == -1:
                raise ParseError(f"Can't find end of a URL at byte offset {offset}")
            url = text[i + 2 : close].replace("\\)", ")").replace("\\\\", "\\")
            if out.length > start:
                entities.append(
                    {"type": "text_link", "offset": start, "length": out.length - start, "url": url}
                )
            i = close + 1
        elif ch in "*_~|":
            marker = ch
            if text.startswith("__", i):
                marker = "__"
            elif text.startswith("||", i):
                marker = "||"
            elif ch == "|":
                raise ParseError(_reserved(ch))
            if stack and stack[-1][0] == marker:
                _, start, _ = stack.pop()
                if out.length > start:
                    kind = _MDV2_NAMES[marker][0]
                    entities.append({"type": kind, "offset": start, "length": out.length - start})
            elif any(item[0] == marker for item in stack):
                opened = next(item for item in stack if item[0] == marker)
                raise ParseError(
                    f"Can't find end of {_MDV2_NAMES[marker][1]} entity at byte offset {opened[2]}"
                )
            else:
                stack.append((marker, out.length, offset))
            i += len(marker)
        elif ch == ">" and (i == 0 or text[i - 1] == "\n"):
            i += 1  # blockquote marker: accepted, no entity tracked
        elif ch in _MDV2_RESERVED:
            raise ParseError(_reserved(ch))
        else:
            out.add(ch)
            i += 1
    if stack:
        marker, _, offset = stack[-1]
        name = "TextUrl" if marker == "[" else _MDV2_NAMES[marker][1]
        raise ParseError(f"Can't find end of {name} entity at byte offset {offset}")
    return out.text(), _sorted(entities)


def _reserved(ch: str) -> str:
    return f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"


def _find_unescaped(text: str, target: str, start: int) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == target:
            return i
        i += 1
    return -1


def _unescape_code(body: str) -> str:
    return re.sub(r"\\([`\\])", r"\1", body)


_MD_KINDS = {"*": "bold", "_": "italic", "`": "code"}


def parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse legacy Markdown: *bold* _italic_ `code` ```pre``` [text](url), no nesting."""
    out = _Output()
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        offset = _byte_offset(text, i)
        if ch == "\\" and i + 1 < n and text[i + 1] in "*_`[":
            out.add(text[i + 1])
            i += 2
        elif text.startswith("```", i):
            close = text.find("```", i + 3)
            if close == -1:
                raise ParseError(f"Can't find end of the entity starting at byte offset {offset}")
            start = out.length
            out.add(text[i + 3 : close])
            if out.length > start:
                entities.append({"type": "pre", "offset": start, "length": out.length - start})
            i = close + 3
        elif ch in _MD_KINDS:
            close = text.find(ch, i + 1)
            if close == -1:
                raise ParseError(f"Can't find end of the entity starting at byte offset {offset}")
            start = out.length
            out.add(text[i + 1 : close])
            if out.length > start:
                kind = _MD_KINDS[ch]
                entities.append({"type": kind, "offset": start, "length": out.length - start})
            i = close + 1
        elif ch == "[":
            match = re.compile(r"\[([^\]]*)\]\(([^)]*)\)").match(text, i)
            if match is None:
                raise ParseError(f"Can't find end of the entity starting at byte offset {offset}")
            start = out.length
            out.add(match.group(1))
            if out.length > start:
                entities.append(
                    {
                        "type": "text_link",
                        "offset": start,
                        "length": out.length - start,
                        "url": match.group(2),
                    }
                )
            i = match.end()
        else:
            out.add(ch)
            i += 1
    return out.text(), _sorted(entities)


def parse_text(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """Return (plain text, entities) for a parse_mode; ParseError on malformed markup."""
    mode = (parse_mode or "").strip().lower()
    if not mode:
        return text, []
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise ParseError(f"Unsupported parse_mode {parse_mode!r}")
