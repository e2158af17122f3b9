"""Callback data of inline buttons: one small frozen dataclass per button family.

Telegram hands a button's `callback_data` back verbatim, and anybody can forge it, so each
family is written and read here only. A family is a prefix (`plan`, `att`, `bc:send`…) and
typed fields packed after it, `:`-separated, in field order:

    @dataclass(frozen=True)
    class SeatAnswer(CallbackData, prefix="seat"):
        offer_id: int
        answer: Literal["yes", "no"]

    button(_.plain("Yes"), SeatAnswer(offer.id, "yes"))     # a handler's keyboard
    (_.plain("Yes"), SeatAnswer(offer.id, "yes").pack())    # a service's outbox row
    CallbackQueryHandler(on_seat, pattern=SeatAnswer.pattern())
    data = SeatAnswer.parse(query.data)                     # None: forged or stale

Field types, each part checked whole against a fixed pattern:
- `int`: ASCII digits, no sign, no leading zero, at most 18 digits (`²`, `-1`, `1e3` are refused);
- `bool`: `1` or `0`;
- `Literal["a", "b"]` or a `StrEnum`: one of its values;
- `Annotated[str, Token(regex)]` (`PersonKey`, `SiteKey`): text matching `regex`, never `:`.

`pack()` refuses a value its own `parse()` would not read back, and data over Telegram's 64
bytes (UTF-8: an accented letter counts double), so a bad button fails where it is built.
`parse()` takes the exact number of parts or returns None. `pattern()` matches the prefix
only: the handler receives forged data under its prefix too, and answers it ("no longer
valid", or the staff refusal first). Families sharing a prefix (the `plan` ones) are told
apart by their literal first field; one handler takes them with `prefix_pattern` and
`parse_any`.

To add a family: a dataclass here with a new prefix, its handler's `pattern()`, and an
example in `tests/bot/test_callbacks.py` (which checks that no two families read the same
data). Keep the wire format of existing families: buttons already sent or queued in the
outbox carry it. This module imports nothing from `bot.handlers` or `bot.services`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal, Self, get_args, get_origin, get_type_hints

from telegram import InlineKeyboardButton

from bot.db.models.people import Role

MAX_CALLBACK_BYTES = 64
SEPARATOR = ":"
INT_PATTERN = r"0|[1-9][0-9]{0,17}"
PREFIX_PATTERN = re.compile(r"[a-z]{1,12}(?::[a-z]{1,12})*")


class CallbackDataTooLong(ValueError):
    """Raised at build time, so an oversized button never reaches Telegram."""


@dataclass(frozen=True)
class Token:
    """`Annotated[str, Token(regex)]`: a text part that must match `regex` whole."""

    regex: str


PersonKey = Annotated[str, Token(r"[ce][0-9]{1,18}")]
SiteKey = Annotated[str, Token(r"s[0-9]{1,18}")]


@dataclass(frozen=True)
class _Part:
    name: str
    regex: str
    encode: Callable[[Any], str]
    decode: Callable[[str], Any]


def _int_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"an int is expected, not {value!r}")
    return str(value)


def _bool_text(value: Any) -> str:
    if not isinstance(value, bool):
        raise TypeError(f"a bool is expected, not {value!r}")
    return "1" if value else "0"


def _str_text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"a str is expected, not {value!r}")
    return str(value)  # a StrEnum member packs as its value


def _choices(values: Iterable[str]) -> str:
    return "|".join(re.escape(value) for value in values)


def _part(name: str, hint: Any) -> _Part:
    """How one field is written and read, from its type annotation."""
    if hint is bool:
        return _Part(name, "1|0", _bool_text, lambda text: text == "1")
    if hint is int:
        return _Part(name, INT_PATTERN, _int_text, int)
    if get_origin(hint) is Literal:
        values = get_args(hint)
        if not values or not all(isinstance(value, str) for value in values):
            raise TypeError(f"{name}: a Literal of texts is expected")
        return _Part(name, _choices(values), _str_text, str)
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        enum: type[StrEnum] = hint
        return _Part(name, _choices(member.value for member in enum), _str_text, enum)
    if get_origin(hint) is Annotated:
        base, *extras = get_args(hint)
        tokens = [extra for extra in extras if isinstance(extra, Token)]
        if base is str and len(tokens) == 1:
            return _Part(name, tokens[0].regex, _str_text, str)
    raise TypeError(f"{name}: unsupported callback field type {hint!r}")


class CallbackData:
    """Base of every family; see the module docstring. Subclasses are frozen dataclasses."""

    prefix: ClassVar[str]
    _parts: ClassVar[tuple[_Part, ...]]
    _whole: ClassVar[re.Pattern[str]]

    def __init_subclass__(cls, *, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not PREFIX_PATTERN.fullmatch(prefix):
            raise ValueError(f"bad callback prefix {prefix!r}")
        hints = get_type_hints(cls, include_extras=True)
        own = list(inspect.get_annotations(cls))  # this class only, in field order
        cls.prefix = prefix
        cls._parts = tuple(
            _part(name, hints[name]) for name in own if get_origin(hints[name]) is not ClassVar
        )
        groups = "".join(f"{SEPARATOR}(?P<{p.name}>{p.regex})" for p in cls._parts)
        cls._whole = re.compile(re.escape(prefix) + groups, re.ASCII)
        FAMILIES.append(cls)

    def pack(self) -> str:
        """The callback data; raises if a value cannot be read back or it is over 64 bytes."""
        texts = [self.prefix]
        for part in self._parts:
            value = getattr(self, part.name)
            text = part.encode(value)
            if SEPARATOR in text or not re.fullmatch(part.regex, text, re.ASCII):
                raise ValueError(f"{type(self).__name__}.{part.name}: {value!r} cannot be packed")
            texts.append(text)
        data = SEPARATOR.join(texts)
        if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
            raise CallbackDataTooLong(data)
        return data

    @classmethod
    def parse(cls, data: object) -> Self | None:
        """The family's value if `data` is exactly one of its buttons, else None."""
        if not isinstance(data, str) or len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
            return None
        match = cls._whole.fullmatch(data)
        if match is None:
            return None
        return cls(**{part.name: part.decode(match[part.name]) for part in cls._parts})

    @classmethod
    def pattern(cls) -> re.Pattern[str]:
        """For `CallbackQueryHandler`: data starting with this family's prefix."""
        return prefix_pattern(cls.prefix)


FAMILIES: list[type[CallbackData]] = []


def parse_any(data: object, families: Iterable[type[CallbackData]]) -> CallbackData | None:
    """The first of `families` that reads `data` (families sharing one handler)."""
    for family in families:
        found = family.parse(data)
        if found is not None:
            return found
    return None


def prefix_pattern(prefix: str) -> re.Pattern[str]:
    """Data whose first parts are `prefix` (`plan` matches `plan:ev:3`, not `planx:1`)."""
    return re.compile(rf"^{re.escape(prefix)}(?:{SEPARATOR}|\Z)")


def button(label: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data.pack())


# -- /plan (staff) --------------------------------------------------------------------------

PLAN = "plan"


@dataclass(frozen=True)
class PlanEvent(CallbackData, prefix=PLAN):
    """Open the event's plan, re-plan it, export it, import a plan for it."""

    action: Literal["ev", "replan", "exp", "imp"]
    event_id: int


@dataclass(frozen=True)
class PlanAction(CallbackData, prefix=PLAN):
    """Show, recalculate, publish, set aside or adjust one stored plan."""

    action: Literal["show", "again", "pub", "drop", "adj"]
    plan_id: int


@dataclass(frozen=True)
class PlanPick(CallbackData, prefix="plan:who"):
    """Adjusting: the person to move in one round."""

    plan_id: int
    round: int
    key: PersonKey


@dataclass(frozen=True)
class PlanMove(CallbackData, prefix="plan:to"):
    """Adjusting: move the person to a room of a site."""

    plan_id: int
    round: int
    key: PersonKey
    site: SiteKey
    room: int


@dataclass(frozen=True)
class PlanSwap(CallbackData, prefix="plan:sw"):
    """Adjusting: exchange the person's seat with another's."""

    plan_id: int
    round: int
    key: PersonKey
    other: PersonKey


PLAN_FAMILIES: tuple[type[CallbackData], ...] = (
    PlanEvent,
    PlanAction,
    PlanPick,
    PlanMove,
    PlanSwap,
)


# -- attendance -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Attendance(CallbackData, prefix="att"):
    """A participant's answer under a convocation or a reminder (`no` only asks; `more`
    shows what to bring and prepare)."""

    registration_id: int
    answer: Literal["yes", "no", "nosure", "keep", "more"]


@dataclass(frozen=True)
class OfferAnswer(CallbackData, prefix="offer"):
    """Take or decline a seat freed by a withdrawal."""

    offer_id: int
    answer: Literal["yes", "no"]


@dataclass(frozen=True)
class AttendanceEvent(CallbackData, prefix="pres"):
    """Staff: an event's attendance, reminding the silent ones, marking who is here."""

    action: Literal["ev", "remind", "mark"]
    event_id: int


@dataclass(frozen=True)
class AttendanceMark(CallbackData, prefix="pres:at"):
    """Staff, on the day: this person is present (or absent)."""

    registration_id: int
    present: bool


# -- /broadcast (staff) ---------------------------------------------------------------------

BROADCAST = "bc"


@dataclass(frozen=True)
class BroadcastAudience(CallbackData, prefix="bc:aud"):
    """Values of `bot.services.broadcast.Audience` (the tests check they agree)."""

    audience: Literal["all", "cand", "emp", "event", "site", "unconf"]


@dataclass(frozen=True)
class BroadcastEvent(CallbackData, prefix="bc:ev"):
    event_id: int


@dataclass(frozen=True)
class BroadcastSite(CallbackData, prefix="bc:site"):
    site_id: int


@dataclass(frozen=True)
class BroadcastStop(CallbackData, prefix="bc:stop"):
    """Leave the conversation before a draft exists."""


@dataclass(frozen=True)
class BroadcastSend(CallbackData, prefix="bc:send"):
    draft_id: int


@dataclass(frozen=True)
class BroadcastDrop(CallbackData, prefix="bc:drop"):
    draft_id: int


# -- /inscrits (staff) ----------------------------------------------------------------------


@dataclass(frozen=True)
class SignUpsEvent(CallbackData, prefix="insc:ev"):
    event_id: int


@dataclass(frozen=True)
class SignUpsPage(CallbackData, prefix="insc:page"):
    event_id: int
    page: int


@dataclass(frozen=True)
class SignUpCard(CallbackData, prefix="insc:card"):
    registration_id: int


@dataclass(frozen=True)
class SignUpsCsv(CallbackData, prefix="insc:csv"):
    event_id: int


AdmissionRuleName = Literal["registration", "staff", "best_fit", "fewest_matches"]


@dataclass(frozen=True)
class AdmissionEdit(CallbackData, prefix="adm:edit"):
    """Choose the event's rule for who gets a seat (enters the editing conversation)."""

    event_id: int


@dataclass(frozen=True)
class AdmissionOrder(CallbackData, prefix="adm:order"):
    """Show the team's order of the candidates ("staff" rule), page ``page``."""

    event_id: int
    page: int


@dataclass(frozen=True)
class AdmissionMove(CallbackData, prefix="adm:move"):
    """Move one candidate up or down the team's order."""

    event_id: int
    registration_id: int
    direction: Literal["up", "down"]


# -- everyone -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erase(CallbackData, prefix="erase"):
    """`/supprimer`'s question."""

    answer: Literal["yes", "no"]


@dataclass(frozen=True)
class RoleChoice(CallbackData, prefix="role"):
    """`/start`'s role buttons (staff is re-checked on the server)."""

    role: Role


# -- /evenements (staff) --------------------------------------------------------------------


@dataclass(frozen=True)
class EventNew(CallbackData, prefix="evt:new"):
    """The list's "Create an event": starts `/evenement`."""


@dataclass(frozen=True)
class EventAction(CallbackData, prefix="evt"):
    """One event's details, its links, cancelling it and the cancelling confirmed."""

    action: Literal["show", "links", "cancel", "cancelok"]
    event_id: int


@dataclass(frozen=True)
class EventEditMenu(CallbackData, prefix="evt:edit"):
    """The details' "Edit": which field to change."""

    event_id: int


EditableField = Literal["name", "date", "deadline", "duration", "maxc", "maxe"]


@dataclass(frozen=True)
class EventField(CallbackData, prefix="evt:field"):
    """Change one field of an event (enters the editing conversation)."""

    event_id: int
    field: EditableField


@dataclass(frozen=True)
class EditionNext(CallbackData, prefix="edn"):
    """The details' "Next edition": asks the new date (`bot.handlers.aftercare.editions`)."""

    event_id: int


@dataclass(frozen=True)
class EditionBack(CallbackData, prefix="back"):
    """An employer invited to the next edition: "I am coming back" or "Not this time"."""

    answer: Literal["yes", "no"]
    event_id: int


# -- sign-up (`bot.handlers.signup`) --------------------------------------------------------

Nonce = Annotated[str, Token(r"[0-9a-z]{1,16}")]
StepName = Annotated[str, Token(r"[a-z][a-z_]{0,23}")]
StepValue = Annotated[str, Token(r"[0-9A-Za-z_.+-]{1,24}")]


@dataclass(frozen=True)
class SignUpAnswer(CallbackData, prefix="su"):
    """A sign-up question's button: its draft's nonce, its step, the value (`bot.engine.steps`)."""

    nonce: Nonce
    step: StepName
    value: StepValue


@dataclass(frozen=True)
class SignUpAnswerPair(CallbackData, prefix="su"):
    """The same with a second value: an eligibility answer, a summary's "change" button."""

    nonce: Nonce
    step: StepName
    value: StepValue
    detail: StepValue


@dataclass(frozen=True)
class SignUpOpen(CallbackData, prefix="signup"):
    """An open event offered after `/start`: sign up for it with this role."""

    event_id: int
    role: Literal["candidate", "employer"]


@dataclass(frozen=True)
class ProfileEdit(CallbackData, prefix="pf"):
    """A "change" button under the `/profil` card: the sign-up step to ask again."""

    step: StepName


# -- /evenement (staff) ---------------------------------------------------------------------


# The creation buttons of earlier releases (`evn:<step>[:<value>]`): answered as no longer
# valid, never read.
EVENT_ANSWER_BEFORE = "evn"


@dataclass(frozen=True)
class EventAnswer(CallbackData, prefix="evc"):
    """An event creation question's button: draft nonce, step, value (`bot.engine.steps`)."""

    nonce: Nonce
    step: StepName
    value: StepValue


@dataclass(frozen=True)
class EventAnswerPair(CallbackData, prefix="evc"):
    """The same with a second value (the form's own summary buttons)."""

    nonce: Nonce
    step: StepName
    value: StepValue
    detail: StepValue


@dataclass(frozen=True)
class EditAnswer(CallbackData, prefix="evt:ans"):
    """An event editing question's button (`bot.engine.steps`): draft nonce, step, value.

    Not `EventAnswer`: the creation's handler of stale `evc` buttons would take them first.
    """

    nonce: Nonce
    step: StepName
    value: StepValue


@dataclass(frozen=True)
class EditAnswerPair(CallbackData, prefix="evt:ans"):
    """The same with a second value (the form's own summary buttons)."""

    nonce: Nonce
    step: StepName
    value: StepValue
    detail: StepValue


@dataclass(frozen=True)
class EditionAnswer(CallbackData, prefix="edc"):
    """The next edition's question and summary buttons: nonce, step, value."""

    nonce: Nonce
    step: StepName
    value: StepValue


@dataclass(frozen=True)
class EditionAnswerPair(CallbackData, prefix="edc"):
    """The same with a second value (the summary's "change" buttons)."""

    nonce: Nonce
    step: StepName
    value: StepValue
    detail: StepValue


# -- /bilan (staff, `bot.handlers.aftercare.report`) ----------------------------------------

ProgrammeKey = Annotated[str, Token(r"[a-z][a-z0-9_]{0,23}")]


@dataclass(frozen=True)
class ReportEvent(CallbackData, prefix="bilan:ev"):
    """The report of one event."""

    event_id: int


@dataclass(frozen=True)
class ReportProgramme(CallbackData, prefix="bilan:prog"):
    """The report of every event of one programme (the events' `format_key`)."""

    programme: ProgrammeKey


@dataclass(frozen=True)
class ReportYear(CallbackData, prefix="bilan:year"):
    """The report of the events of the last twelve months."""


# -- after the event (`bot.handlers.aftercare`) ---------------------------------------------

AnswerCode = Annotated[str, Token(r"[a-z0-9_]{1,16}")]


@dataclass(frozen=True)
class SurveyAnswer(CallbackData, prefix="sv"):
    """A button of a questionnaire's first question, sent by the outbox (invitation or
    reminder): the questionnaire and the answer code (`bot.services.aftercare.questions`)."""

    questionnaire_id: int
    answer: AnswerCode


@dataclass(frozen=True)
class FeedbackAnswer(CallbackData, prefix="fb"):
    """A feedback question's button (after "did it happen?"): draft nonce, step, value
    (`bot.engine.steps`, `bot.handlers.aftercare.meeting`)."""

    nonce: Nonce
    step: StepName
    value: StepValue


@dataclass(frozen=True)
class FeedbackAnswerPair(CallbackData, prefix="fb"):
    """The same with a second value (the employer card's summary buttons)."""

    nonce: Nonce
    step: StepName
    value: StepValue
    detail: StepValue


@dataclass(frozen=True)
class FollowUpAnswer(CallbackData, prefix="fu"):
    """A button of a follow-up's first question ("Où en êtes-vous ?"), sent by the outbox."""

    questionnaire_id: int
    answer: AnswerCode


@dataclass(frozen=True)
class OutcomeAnswer(CallbackData, prefix="oc"):
    """A follow-up's next questions, a candidate answering (`bot.engine.steps`)."""

    nonce: Nonce
    step: StepName
    value: StepValue


@dataclass(frozen=True)
class OutcomeAnswerPair(CallbackData, prefix="oc"):
    """The same with a second value (the form's summary buttons)."""

    nonce: Nonce
    step: StepName
    value: StepValue
    detail: StepValue


@dataclass(frozen=True)
class StaffOutcomeAnswer(CallbackData, prefix="ocs"):
    """Staff recording a follow-up outcome for someone (`/suivi`): the same questions."""

    nonce: Nonce
    step: StepName
    value: StepValue


@dataclass(frozen=True)
class StaffOutcomeAnswerPair(CallbackData, prefix="ocs"):
    """The same with a second value (the form's summary buttons)."""

    nonce: Nonce
    step: StepName
    value: StepValue
    detail: StepValue


# -- review of employers' cards (staff, `bot.handlers.aftercare.review`) ---------------------


@dataclass(frozen=True)
class ReviewOpen(CallbackData, prefix="rv:ev"):
    """Staff: the next card of this event waiting for review (`/avis`, the staff notice)."""

    event_id: int


@dataclass(frozen=True)
class ReviewDecision(CallbackData, prefix="rv:do"):
    """Staff, under a card: send it to the candidate, change it, or keep it back."""

    feedback_id: int
    action: Literal["send", "edit", "hold"]


@dataclass(frozen=True)
class ReviewEdit(CallbackData, prefix="rv:ed"):
    """Staff: type a new strength or tip for this card (enters the editing conversation)."""

    feedback_id: int
    field: Literal["strength", "tip"]


@dataclass(frozen=True)
class ReviewSetting(CallbackData, prefix="rv:set"):
    """Staff, from an event's editing menu: review cards first (`on`) or send them at once."""

    event_id: int
    choice: Literal["menu", "on", "off"]


@dataclass(frozen=True)
class ReviewAnswer(CallbackData, prefix="rvt"):
    """A button of the card-editing form (`bot.engine.steps`): nonce, step, value."""

    nonce: Nonce
    step: StepName
    value: StepValue


@dataclass(frozen=True)
class ReviewAnswerPair(CallbackData, prefix="rvt"):
    """The same with a second value (the form's own buttons)."""

    nonce: Nonce
    step: StepName
    value: StepValue
    detail: StepValue


# -- a way on: the menu of an unexpected message, and writing to the team --------------------


@dataclass(frozen=True)
class MenuChoice(CallbackData, prefix="menu"):
    """A button of the menu shown after a message the bot did not expect."""

    action: Literal["next", "events", "card", "team", "help"]


@dataclass(frozen=True)
class TeamReply(CallbackData, prefix="team:re"):
    """Staff answer a person's message forwarded by the bot ("Répondre")."""

    person_id: int


# -- the organising team (/equipe) ------------------------------------------------------------


@dataclass(frozen=True)
class CrewMenu(CallbackData, prefix="crew"):
    """/equipe's buttons: the list, "Ajouter" (recent people), a one-time staff link."""

    action: Literal["list", "add", "link"]


@dataclass(frozen=True)
class CrewAdd(CallbackData, prefix="crew:add"):
    """Make this person staff (one of the people who wrote to the bot recently)."""

    person_id: int


@dataclass(frozen=True)
class CrewRemove(CallbackData, prefix="crew:rm"):
    """Take this person off the team: first the question (`sure` 0), then the change (1)."""

    person_id: int
    sure: bool


@dataclass(frozen=True)
class CarryOn(CallbackData, prefix="again"):
    """The gentle reminder of an unfinished sign-up or event: "Reprendre" or "Abandonner"."""

    conversation: Literal["signup", "creation"]
    go: bool
