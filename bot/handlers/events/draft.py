"""The creation conversation's draft: typed, versioned, kept as JSON in `user_data`.

It must survive a restart, so it lives in `user_data["event_draft"]`, saved with the update's
transaction (`bot.engine.steps.Drafts`). Version 1 is the plain dict of releases before this
model: no `version`, an `id`, and `duration` and `deadline` for `duration_minutes` and
`registration_deadline`; `upgrade` converts it when it is read. A later version adds its own
conversion there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from bot.dates import in_zone
from bot.engine.steps import Drafts, FlowDraft
from bot.services.events import ChangeRefused, EventDraft, Problem, QuestionView, SiteView

DRAFT_KEY = "event_draft"


class SiteDraft(BaseModel):
    """A site as its questions fill it in (`rooms` comes last)."""

    model_config = ConfigDict(validate_assignment=True, extra="ignore")

    remote: bool = False
    name: str | None = None
    address: str | None = None
    video_url: str | None = None
    rooms: int | None = None


class QuestionDraft(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str
    admits: bool


class CreationDraft(FlowDraft):
    """Everything answered so far. Dates are naive: wall-clock time in `timezone`."""

    VERSION: ClassVar[int] = 2

    fixing: bool = False  # correcting one section from the summary: back to it afterwards
    name: str | None = None
    starts_at: datetime | None = None
    duration_minutes: int | None = None
    timezone: str | None = None
    site: SiteDraft | None = None  # the site being described
    sites: list[SiteDraft] = Field(default_factory=list)
    format_key: str | None = None
    employers_per_room: int | None = None
    candidates_per_room: int | None = None
    rounds: int | None = None
    round_minutes: int | None = None
    max_candidates: int | None = None
    max_employers: int | None = None
    registration_deadline: datetime | None = None
    question: str | None = None  # the question being written, before its admitting answer
    questions: list[QuestionDraft] = Field(default_factory=list)

    @property
    def rooms(self) -> int:
        return sum(site.rooms or 0 for site in self.sites)

    def complete(self) -> EventDraft:
        """The event to create; `ChangeRefused(MISSING)` if a step was skipped."""
        zone = _given(self.timezone)
        return EventDraft(
            name=_given(self.name),
            starts_at=in_zone(_given(self.starts_at), zone),
            duration_minutes=_given(self.duration_minutes),
            timezone=zone,
            sites=tuple(
                SiteView(
                    _given(site.name), site.address, _given(site.rooms), site.remote, site.video_url
                )
                for site in self.sites
            ),
            format_key=self.format_key,
            employers_per_room=_given(self.employers_per_room),
            candidates_per_room=_given(self.candidates_per_room),
            rounds=_given(self.rounds),
            round_minutes=_given(self.round_minutes),
            max_candidates=_given(self.max_candidates),
            max_employers=_given(self.max_employers),
            registration_deadline=in_zone(_given(self.registration_deadline), zone),
            questions=tuple(QuestionView(q.text, q.admits) for q in self.questions),
        )


T = TypeVar("T")


def _given(value: T | None) -> T:
    if value is None:
        raise ChangeRefused(Problem.MISSING)
    return value


def upgrade(stored: dict[str, Any]) -> dict[str, Any] | None:
    """A draft of an earlier version in today's shape; None for a version we do not know."""
    if "version" in stored:
        return None
    data = {key: value for key, value in stored.items() if key not in ("duration", "deadline")}
    data["version"] = CreationDraft.VERSION
    if "duration" in stored:
        data["duration_minutes"] = stored["duration"]
    if "deadline" in stored:
        data["registration_deadline"] = stored["deadline"]
    return data


DRAFTS = Drafts(DRAFT_KEY, CreationDraft, upgrade)
