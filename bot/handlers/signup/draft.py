"""The sign-up's typed draft, how a draft of the previous release is read, and what it gives
the services.

The draft lives in `context.user_data["signup"]` as JSON with a `version` (see
`bot.engine.steps.Drafts`). Version 2 is this model. A draft without `version` was written by
the release before typed drafts: a dict with the same keys (`nonce`, `role`, `mode`,
`event_id`, `event_name`, `answers`, `step`, `asked`, `editing`, `recorded_by`, `consent_at`
as an ISO text) — `upgrade` reads it, so a sign-up begun before the upgrade carries on.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.db.models.people import Role
from bot.engine.steps import Drafts, FlowDraft
from bot.services.profiles import CandidateCard, EmployerCard, OwnProfile
from bot.services.signup import CandidateAnswers, EmployerAnswers, SignUpAnswers

CONVERSATION_NAME = "signup"
DRAFT_KEY = "signup"

# Conversation states stored by earlier releases too: never rename them.
CONSENT = "consent"
NAME = "name"
SECTORS = "sec"
WISHES = "wish"
SUMMARY = "sum"
STAFF_EVENT = "sev"
STAFF_ROLE = "srole"

NAME_LIMIT = 60
SHORT_LIMIT = 200
LONG_LIMIT = 500
ITEM_LIMIT = 60


class Mode(StrEnum):
    SIGNUP = "signup"  # the person signs up themselves
    STAFF = "staff"  # staff answer for someone (`/inscrire`)
    PROFILE = "profile"  # one change from `/profil`, saved at once


class Answers(BaseModel):
    """What has been answered so far (both roles; a step fills its own fields)."""

    model_config = ConfigDict(validate_assignment=True, extra="ignore")

    first_name: str | None = None
    last_name: str | None = None
    # candidates
    age_band: str | None = None
    target_job: str | None = None
    strengths: list[str] = Field(default_factory=list)
    qualities: list[str] = Field(default_factory=list)
    programme: str | None = None
    eligibility: dict[str, bool] = Field(default_factory=dict)
    site_id: int | None = None
    site_name: str | None = None
    constraints: str | None = None
    photo_file_id: str | None = None
    # employers
    company: str | None = None
    job_title: str | None = None
    jobs: str | None = None
    accepted_site_ids: list[int] = Field(default_factory=list)
    remote: bool = False
    max_candidates: int | None = None
    # both
    sectors: list[str] = Field(default_factory=list)
    wishes: list[int] = Field(default_factory=list)


class SignUpDraft(FlowDraft):
    VERSION: ClassVar[int] = 2

    role: Role
    mode: Mode
    event_id: int | None = None
    event_name: str | None = None
    answers: Answers = Field(default_factory=Answers)
    recorded_by: int | None = None
    consent_at: datetime | None = None
    all_sectors: bool = False  # "Autres secteurs" pressed: every sector is offered

    @field_validator("role")
    @classmethod
    def _signs_up(cls, role: Role) -> Role:
        if role not in (Role.CANDIDATE, Role.EMPLOYER):
            raise ValueError("a sign-up is a candidate's or an employer's")
        return role


def upgrade(data: dict[str, Any]) -> dict[str, Any] | None:
    """A draft of the release before typed drafts (no `version`), in version 2's shape."""
    if "version" in data:
        return None  # a version this release does not know: start again
    answers = data.get("answers")
    upgraded = {
        "nonce": data.get("nonce"),
        "step": data.get("step"),
        "asked": data.get("asked") or [],
        "editing": bool(data.get("editing")),
        "role": data.get("role"),
        "mode": data.get("mode"),
        "event_id": data.get("event_id"),
        "event_name": data.get("event_name"),
        "answers": answers if isinstance(answers, dict) else {},
        "recorded_by": data.get("recorded_by"),
        "consent_at": data.get("consent_at"),
    }
    return {key: value for key, value in upgraded.items() if value is not None}


DRAFTS = Drafts(DRAFT_KEY, SignUpDraft, upgrade)

_T = TypeVar("_T")


def service_answers(draft: SignUpDraft) -> SignUpAnswers | str:
    """What `complete_signup` stores, or the state of the question still to answer."""
    if not draft.answers.first_name:
        return NAME
    if draft.role == Role.EMPLOYER:
        return _built(EmployerAnswers, draft.answers)
    return _built(CandidateAnswers, draft.answers)


def profile_answers(card: OwnProfile) -> Answers:
    """A `/profil` card as answers, to ask one question of the sign-up about it."""
    return Answers.model_validate(
        {
            field.name: list(value) if isinstance(value, tuple) else value
            for field in dataclasses.fields(card)
            if (value := getattr(card, field.name)) is not None
        }
    )


def changed_card(draft: SignUpDraft) -> OwnProfile | str:
    """The card after a `/profil` change, or the state of the question still to answer."""
    if not draft.answers.first_name:
        return NAME
    if draft.role == Role.EMPLOYER:
        return _built(EmployerCard, draft.answers)
    return _built(CandidateCard, draft.answers)


def _built(kind: type[_T], answers: Answers) -> _T:
    """A service dataclass from the draft's answers of the same names (lists as tuples);
    the service types are frozen, so they take tuples where the draft keeps lists."""
    values = {
        field.name: tuple(value) if isinstance(value, list) else value
        for field in dataclasses.fields(kind)  # type: ignore[arg-type]
        if field.name in Answers.model_fields
        and (value := getattr(answers, field.name)) is not None
    }
    return kind(**values)
