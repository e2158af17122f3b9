"""Searching every table for what is left about a person (erasure and privacy tests)."""

from __future__ import annotations

import re

from tests.conftest import Sql


def every_cell(sql: Sql) -> list[tuple[str, str, object]]:
    """(table, column, value) for every cell of every table of the database."""
    return sql.cells()


def traces(sql: Sql, *needles: object) -> list[tuple[str, str, object]]:
    """Cells that hold (or contain, for text and JSON) any of `needles`."""
    found = []
    for table, column, value in every_cell(sql):
        if table == "alembic_version":
            continue
        for needle in needles:
            if value == needle or (
                isinstance(value, str) and isinstance(needle, str) and _holds(value, needle)
            ):
                found.append((table, column, value))
    return found


def _holds(text: str, needle: str) -> bool:
    """`needle` in `text`; a number only as a whole number, not as digits of a timestamp."""
    if needle.isdigit():
        return re.search(rf"(?<!\d){needle}(?!\d)", text) is not None
    return needle in text
