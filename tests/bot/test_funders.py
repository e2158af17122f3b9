"""Funders' categories from an outcome's answers (rules in `funders.toml`), days to a job."""

from __future__ import annotations

from datetime import date

import pytest

from bot.services.aftercare import funders
from bot.services.aftercare.funders import (
    LABELS,
    UNKNOWN,
    OutcomeAnswers,
    RulesError,
    Scheme,
    classify,
    days_to_job,
    parse_rules,
)

IAE, FT, CH = Scheme.IAE, Scheme.FRANCE_TRAVAIL, Scheme.SWISS

# situation, contract, duration -> IAE, France Travail / FSE, Swiss measures
CASES: list[tuple[str | None, str | None, str | None, str, str, str]] = [
    ("job", "cdi", None, "durable", "durable", "job_or_training"),
    ("job", "cdi", "open", "durable", "durable", "job_or_training"),
    ("job", "own", None, "durable", "durable", "job_or_training"),
    ("job", "cdd", "6plus", "durable", "durable", "job_or_training"),
    ("job", "cdd", "open", "durable", "durable", "job_or_training"),
    ("job", "interim", "6plus", "durable", "other", "job_or_training"),
    ("job", "cdd", "1to6", "transition", "other", "job_or_training"),
    ("job", "cdd", "lt1", "transition", "other", "job_or_training"),
    ("job", "interim", "lt1", "transition", "other", "job_or_training"),
    ("job", "aided", "6plus", "transition", "other", "job_or_training"),
    ("job", "aided", None, "transition", "other", "job_or_training"),
    ("training", None, None, "positive", "other", "job_or_training"),
    ("internship", None, None, "other", "other", "other"),
    ("searching", None, None, "other", "other", "other"),
    ("other", None, None, "other", "other", "other"),
    # answers missing or unclassifiable: "to be completed"
    (None, None, None, UNKNOWN, UNKNOWN, UNKNOWN),
    ("job", None, None, UNKNOWN, UNKNOWN, "job_or_training"),
    ("job", "cdd", None, UNKNOWN, UNKNOWN, "job_or_training"),
    ("job", "interim", None, UNKNOWN, "other", "job_or_training"),
    ("job", "other", "6plus", UNKNOWN, UNKNOWN, "job_or_training"),
    ("job", "", "", UNKNOWN, UNKNOWN, "job_or_training"),
]


@pytest.mark.parametrize(
    ("situation", "contract", "duration", "iae", "france_travail", "swiss"),
    CASES,
    ids=[f"{s}-{c}-{d}" for s, c, d, *_rest in CASES],
)
def test_category_from_answers(
    situation: str | None,
    contract: str | None,
    duration: str | None,
    iae: str,
    france_travail: str,
    swiss: str,
) -> None:
    answers = OutcomeAnswers(situation, contract, duration)
    assert classify(answers, IAE) == iae
    assert classify(answers, FT) == france_travail
    assert classify(answers, CH) == swiss


def test_every_category_has_a_label_and_the_file_is_read_once() -> None:
    read = funders.rules()
    assert funders.rules() is read
    for scheme, rules in read.items():
        assert rules.fallback in LABELS[scheme]
        assert {rule.category for rule in rules.rules} <= set(LABELS[scheme])
        assert UNKNOWN in LABELS[scheme]


def test_a_rule_may_name_any_answer() -> None:
    """How hiring by another insertion structure would be counted (see funders.toml)."""
    text = funders.RULES_FILE.read_text(encoding="utf-8").replace(
        "rules = [\n",
        'rules = [\n    { category = "positive", situation = ["job"], employer_kind = ["siae"] },'
        "\n",
        1,
    )
    siae = parse_rules(text)[IAE]
    hired = OutcomeAnswers("job", "cdd", "1to6", extra=(("employer_kind", "siae"),))
    first = next(rule for rule in siae.rules if rule.holds(hired))
    assert first.category == "positive"


@pytest.mark.parametrize(
    "text",
    [
        '[iae]\nfallback = "other"\nrules = []\n',  # schemes missing
        '[iae]\nfallback = "nope"\nrules = []\n[france_travail]\nfallback = "other"\nrules = []\n'
        '[swiss]\nfallback = "other"\nrules = []\n',
        '[iae]\nfallback = "other"\nrules = [{ category = "durable", contract = "cdi" }]\n'
        '[france_travail]\nfallback = "other"\nrules = []\n[swiss]\nfallback = "other"\n'
        "rules = []\n",
        '[elsewhere]\nfallback = "other"\nrules = []\n',
    ],
)
def test_a_wrong_rules_file_is_refused(text: str) -> None:
    with pytest.raises(RulesError):
        parse_rules(text)


@pytest.mark.parametrize(
    ("situation", "start", "expected"),
    [
        ("job", date(2027, 3, 19), 10),
        ("job", date(2027, 3, 9), 0),
        ("job", date(2027, 3, 1), -8),
        ("job", None, None),
        ("training", date(2027, 4, 1), None),
        (None, date(2027, 4, 1), None),
    ],
)
def test_days_to_job(situation: str | None, start: date | None, expected: int | None) -> None:
    assert days_to_job(situation, start, date(2027, 3, 9)) == expected
