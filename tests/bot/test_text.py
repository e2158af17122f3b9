"""Typed text made plain: what is stripped, how lists split, what is not a first name."""

from __future__ import annotations

import pytest

from bot.text import name_problem, normalise, split_items


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("  Amina  ", "Amina"),
        ("A\u200bmi\u200dna", "Amina"),  # zero-width space and joiner
        ("\ufeffAmina", "Amina"),  # byte-order mark
        ("Amina\u202e", "Amina"),  # right-to-left override
        ("\u3164", ""),  # Hangul filler: looks like nothing, is nothing
        ("Ami\x00na\x07\x1b", "Amina"),  # NUL, BEL, ESC
        ("Cafe\u0301", "Café"),  # NFC
        ("cuisine\n\tménage", "cuisine ménage"),
        ("👩\u200d🍳 cheffe", "👩🍳 cheffe"),
    ],
)
def test_normalise(raw: str, kept: str) -> None:
    assert normalise(raw) == kept


@pytest.mark.parametrize(
    ("raw", "items"),
    [
        ("ménage, repassage, cuisine, garde d'enfants", 4),
        ("ménage et repassage", 2),
        ("ménage\nrepassage\n\ncuisine", 3),
        ("Vente & conseil", 1),
        ("Caisse, caisse", 1),
        (" , ; ", 0),
    ],
)
def test_split_items(raw: str, items: int) -> None:
    assert len(split_items(raw)) == items


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("Amina", None),
        ("Jean-Pierre", None),
        ("Marie Claire", None),
        ("N'Golo", None),
        ("bonjour", "greeting"),
        ("Bonjour !", "greeting"),
        ("merci", "greeting"),
        ("12345", "digits"),
        ("Amina2", "digits"),
        ("je cherche du travail", "sentence"),
        ("c'est quoi ?", "sentence"),
    ],
)
def test_name_problem(name: str, problem: str | None) -> None:
    assert name_problem(name) == problem
