"""Funders' categories of an outcome, and the days from the event to a job.

Each funder counts exits its own way (France's IAE "sorties dynamiques", France Travail and
the European Social Fund's "retour à l'emploi durable", Swiss measures' "reprise d'emploi ou
entrée en formation"). The rules are data in `funders.toml`, documented there, read once:
an organisation that counts differently edits the file, not the code. Categories are
computed when a report is built, never stored, so a changed rule applies to the past too.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path

from bot.db.models.aftercare import Situation
from bot.i18n import N_

RULES_FILE = Path(__file__).with_name("funders.toml")
MISSING = "missing"  # how an unanswered question reads in the rules
UNKNOWN = "unknown"  # the category of outcomes that cannot be classified as they are


class Scheme(StrEnum):
    IAE = "iae"
    FRANCE_TRAVAIL = "france_travail"
    SWISS = "swiss"


SCHEME_LABELS: dict[Scheme, str] = {
    Scheme.IAE: N_("Insertion through economic activity (France)"),
    Scheme.FRANCE_TRAVAIL: N_("France Travail and European Social Fund"),
    Scheme.SWISS: N_("Labour market measures (Switzerland)"),
}

# Each scheme's categories in the order reports show them, with their labels.
LABELS: dict[Scheme, dict[str, str]] = {
    Scheme.IAE: {
        "durable": N_("Lasting job"),
        "transition": N_("Transition job"),
        "positive": N_("Positive exit (training)"),
        "other": N_("Other exit"),
        UNKNOWN: N_("To be completed"),
    },
    Scheme.FRANCE_TRAVAIL: {
        "durable": N_("Back to lasting work"),
        "other": N_("Other situation"),
        UNKNOWN: N_("To be completed"),
    },
    Scheme.SWISS: {
        "job_or_training": N_("Back to work or into training"),
        "other": N_("Other situation"),
        UNKNOWN: N_("To be completed"),
    },
}


class RulesError(ValueError):
    """`funders.toml` names a scheme, category or field the code does not know."""


@dataclass(frozen=True)
class OutcomeAnswers:
    """What a follow-up answered; None where the question was not answered.

    `extra` carries any further answer a rule may name (see `funders.toml`).
    """

    situation: str | None
    contract: str | None = None
    duration: str | None = None
    extra: tuple[tuple[str, str | None], ...] = ()

    def value(self, field: str) -> str:
        known: dict[str, str | None] = {
            "situation": self.situation,
            "contract": self.contract,
            "duration": self.duration,
            **dict(self.extra),
        }
        found = known.get(field)
        return found if found else MISSING


@dataclass(frozen=True)
class Rule:
    category: str
    conditions: tuple[tuple[str, frozenset[str]], ...]

    def holds(self, answers: OutcomeAnswers) -> bool:
        return all(answers.value(field) in values for field, values in self.conditions)


@dataclass(frozen=True)
class SchemeRules:
    scheme: Scheme
    rules: tuple[Rule, ...]
    fallback: str


def _scheme_rules(scheme: Scheme, data: Mapping[str, object]) -> SchemeRules:
    labels = LABELS[scheme]
    fallback = data.get("fallback")
    raw_rules = data.get("rules")
    if not isinstance(fallback, str) or fallback not in labels:
        raise RulesError(f"{scheme}: fallback {fallback!r} has no label")
    if not isinstance(raw_rules, list):
        raise RulesError(f"{scheme}: `rules` must be a list")
    rules = []
    for raw in raw_rules:
        if not isinstance(raw, dict) or raw.get("category") not in labels:
            raise RulesError(f"{scheme}: rule {raw!r} has no known category")
        conditions = []
        for field, values in raw.items():
            if field == "category":
                continue
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise RulesError(f"{scheme}: {field} must list texts in {raw!r}")
            conditions.append((field, frozenset(values)))
        rules.append(Rule(raw["category"], tuple(conditions)))
    return SchemeRules(scheme, tuple(rules), fallback)


def parse_rules(text: str) -> dict[Scheme, SchemeRules]:
    """The rules of every scheme from the TOML text; raises `RulesError` when one is wrong."""
    data = tomllib.loads(text)
    unknown = set(data) - {scheme.value for scheme in Scheme}
    if unknown:
        raise RulesError(f"unknown schemes: {sorted(unknown)}")
    missing = [scheme.value for scheme in Scheme if scheme.value not in data]
    if missing:
        raise RulesError(f"schemes without rules: {missing}")
    return {scheme: _scheme_rules(scheme, data[scheme.value]) for scheme in Scheme}


@cache
def rules() -> dict[Scheme, SchemeRules]:
    """`funders.toml`, read once per process."""
    return parse_rules(RULES_FILE.read_text(encoding="utf-8"))


def classify(answers: OutcomeAnswers, scheme: Scheme) -> str:
    """The category key of the outcome for this funder (a key of `LABELS[scheme]`)."""
    chosen = rules()[scheme]
    for rule in chosen.rules:
        if rule.holds(answers):
            return rule.category
    return chosen.fallback


def categories(scheme: Scheme) -> tuple[str, ...]:
    """The scheme's category keys, in the order reports show them."""
    return tuple(LABELS[scheme])


def days_to_job(situation: str | None, start_date: date | None, event_day: date) -> int | None:
    """Days from the event to the start of the job (negative when it started before);
    None when the outcome is not a job or its start date is unknown."""
    if situation != Situation.JOB or start_date is None:
        return None
    return (start_date - event_day).days
