"""The button codec: each family reads back what it writes, and nothing else.

Callback data comes back from Telegram as the user's client sends it, so anybody can forge
it: parsing is strict (exact parts, ASCII digits, known values) and returns None rather than
raising; building refuses what Telegram would refuse (over 64 bytes) or what could not be
read back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal, get_args, get_type_hints

import pytest

from bot import callbacks
from bot.callbacks import (
    FAMILIES,
    MAX_CALLBACK_BYTES,
    AdmissionEdit,
    AdmissionMove,
    AdmissionOrder,
    Attendance,
    AttendanceEvent,
    AttendanceMark,
    BroadcastAudience,
    BroadcastDrop,
    BroadcastEvent,
    BroadcastSend,
    BroadcastSite,
    BroadcastStop,
    CallbackData,
    CallbackDataTooLong,
    CarryOn,
    CrewAdd,
    CrewMenu,
    CrewRemove,
    EditAnswer,
    EditAnswerPair,
    EditionAnswer,
    EditionAnswerPair,
    EditionBack,
    EditionNext,
    Erase,
    EventAction,
    EventAnswer,
    EventAnswerPair,
    EventEditMenu,
    EventField,
    EventNew,
    FeedbackAnswer,
    FeedbackAnswerPair,
    FollowUpAnswer,
    MenuChoice,
    OfferAnswer,
    OutcomeAnswer,
    OutcomeAnswerPair,
    PlanAction,
    PlanEvent,
    PlanMove,
    PlanPick,
    PlanSwap,
    ProfileEdit,
    ReportEvent,
    ReportProgramme,
    ReportYear,
    ReviewAnswer,
    ReviewAnswerPair,
    ReviewDecision,
    ReviewEdit,
    ReviewOpen,
    ReviewSetting,
    RoleChoice,
    SignUpAnswer,
    SignUpAnswerPair,
    SignUpCard,
    SignUpOpen,
    SignUpsCsv,
    SignUpsEvent,
    SignUpsPage,
    StaffOutcomeAnswer,
    StaffOutcomeAnswerPair,
    SurveyAnswer,
    TeamReply,
    Token,
    button,
    parse_any,
    prefix_pattern,
)
from bot.db.models.people import Role
from bot.services import attendance
from bot.services.broadcast import Audience

# One value per family with its exact wire form. The wire forms must not change: buttons
# already sent, and rows already queued in the outbox, carry them.
EXAMPLES: list[tuple[CallbackData, str]] = [
    (PlanEvent("ev", 3), "plan:ev:3"),
    (PlanEvent("replan", 3), "plan:replan:3"),
    (PlanAction("pub", 12), "plan:pub:12"),
    (PlanAction("drop", 12), "plan:drop:12"),
    (PlanPick(12, 1, "c7"), "plan:who:12:1:c7"),
    (PlanMove(12, 2, "e8", "s4", 3), "plan:to:12:2:e8:s4:3"),
    (PlanSwap(12, 1, "c7", "c9"), "plan:sw:12:1:c7:c9"),
    (Attendance(5, "yes"), "att:5:yes"),
    (Attendance(5, "nosure"), "att:5:nosure"),
    (OfferAnswer(6, "no"), "offer:6:no"),
    (AttendanceEvent("remind", 3), "pres:remind:3"),
    (AttendanceMark(5, True), "pres:at:5:1"),
    (AttendanceMark(5, False), "pres:at:5:0"),
    (BroadcastAudience("unconf"), "bc:aud:unconf"),
    (BroadcastEvent(3), "bc:ev:3"),
    (BroadcastSite(4), "bc:site:4"),
    (BroadcastStop(), "bc:stop"),
    (BroadcastSend(9), "bc:send:9"),
    (BroadcastDrop(9), "bc:drop:9"),
    (SignUpsEvent(3), "insc:ev:3"),
    (SignUpsPage(3, 0), "insc:page:3:0"),
    (AdmissionEdit(3), "adm:edit:3"),
    (AdmissionOrder(3, 0), "adm:order:3:0"),
    (AdmissionMove(3, 12, "up"), "adm:move:3:12:up"),
    (EditAnswer("a1b2", "edit_admission", "staff"), "evt:ans:a1b2:edit_admission:staff"),
    (EditAnswerPair("a1b2", "summary", "edit", "x"), "evt:ans:a1b2:summary:edit:x"),
    (SignUpCard(5), "insc:card:5"),
    (SignUpsCsv(3), "insc:csv:3"),
    (Erase("yes"), "erase:yes"),
    (RoleChoice(Role.EMPLOYER), "role:employer"),
    (EventNew(), "evt:new"),
    (EventAction("show", 3), "evt:show:3"),
    (EventAction("links", 3), "evt:links:3"),
    (EventAction("cancel", 3), "evt:cancel:3"),
    (EventAction("cancelok", 3), "evt:cancelok:3"),
    (EventEditMenu(3), "evt:edit:3"),
    (EventField(3, "deadline"), "evt:field:3:deadline"),
    (EditionNext(3), "edn:3"),
    (EditionBack("yes", 3), "back:yes:3"),
    (EditionBack("no", 3), "back:no:3"),
    (EditionAnswer("a1b2", "ed_date", "x"), "edc:a1b2:ed_date:x"),
    (EditionAnswerPair("a1b2", "sum", "edit", "ed_date"), "edc:a1b2:sum:edit:ed_date"),
    (EventAnswer("a1b2", "duration", "180"), "evc:a1b2:duration:180"),
    (EventAnswerPair("a1b2", "summary", "edit", "name"), "evc:a1b2:summary:edit:name"),
    (SignUpAnswer("a1f3", "age", "0"), "su:a1f3:age:0"),
    (SignUpAnswer("a1f3", "sum", "ok"), "su:a1f3:sum:ok"),
    (SignUpAnswerPair("a1f3", "elig", "5", "1"), "su:a1f3:elig:5:1"),
    (SignUpAnswerPair("a1f3", "sum", "edit", "name"), "su:a1f3:sum:edit:name"),
    (SignUpOpen(3, "candidate"), "signup:3:candidate"),
    (ProfileEdit("qual"), "pf:qual"),
    (ReportEvent(3), "bilan:ev:3"),
    (ReportProgramme("ose"), "bilan:prog:ose"),
    (ReportYear(), "bilan:year"),
    (SurveyAnswer(12, "yes"), "sv:12:yes"),
    (MenuChoice("team"), "menu:team"),
    (CarryOn("signup", True), "again:signup:1"),
    (TeamReply(42), "team:re:42"),
    (CrewMenu("add"), "crew:add"),
    (CrewMenu("link"), "crew:link"),
    (CrewAdd(42), "crew:add:42"),
    (CrewRemove(42, False), "crew:rm:42:0"),
    (CrewRemove(42, True), "crew:rm:42:1"),
    (FeedbackAnswer("a1b2", "rating", "4"), "fb:a1b2:rating:4"),
    (FeedbackAnswerPair("a1b2", "sum", "edit", "cv"), "fb:a1b2:sum:edit:cv"),
    (FollowUpAnswer(12, "job"), "fu:12:job"),
    (OutcomeAnswer("a1b2", "contract", "cdi"), "oc:a1b2:contract:cdi"),
    (OutcomeAnswerPair("a1b2", "sum", "edit", "start"), "oc:a1b2:sum:edit:start"),
    (StaffOutcomeAnswer("a1b2", "who", "17"), "ocs:a1b2:who:17"),
    (StaffOutcomeAnswerPair("a1b2", "sum", "edit", "sit"), "ocs:a1b2:sum:edit:sit"),
    (ReviewOpen(3), "rv:ev:3"),
    (ReviewDecision(7, "send"), "rv:do:7:send"),
    (ReviewDecision(7, "hold"), "rv:do:7:hold"),
    (ReviewEdit(7, "tip"), "rv:ed:7:tip"),
    (ReviewSetting(3, "off"), "rv:set:3:off"),
    (ReviewAnswer("a1b2", "tip", "ok"), "rvt:a1b2:tip:ok"),
    (ReviewAnswerPair("a1b2", "summary", "edit", "tip"), "rvt:a1b2:summary:edit:tip"),
]

BOT_FAMILIES = [family for family in FAMILIES if family.__module__ == callbacks.__name__]


@dataclass(frozen=True)
class Note(CallbackData, prefix="testnote"):
    """A test-only family with free text, to count bytes of accented letters."""

    text: Annotated[str, Token(r"[^:]{1,64}")]


def test_every_family_has_an_example() -> None:
    assert {type(value) for value, _data in EXAMPLES} == set(BOT_FAMILIES)


@pytest.mark.parametrize(("value", "data"), EXAMPLES, ids=[data for _v, data in EXAMPLES])
def test_round_trip_and_wire_form(value: CallbackData, data: str) -> None:
    assert value.pack() == data
    assert type(value).parse(data) == value
    assert button("Label", value).callback_data == data


@pytest.mark.parametrize(("value", "data"), EXAMPLES, ids=[data for _v, data in EXAMPLES])
def test_only_its_own_family_reads_it(value: CallbackData, data: str) -> None:
    readers = [family for family in FAMILIES if family.parse(data) is not None]
    assert readers == [type(value)]
    assert parse_any(data, FAMILIES) == value
    assert type(value).pattern().match(data)


def test_patterns_match_the_prefix_only() -> None:
    assert PlanEvent.pattern().match("plan:anything")  # the handler answers forged data
    assert prefix_pattern("plan").match("plan:to:1:1:c1:s1:1")
    assert not prefix_pattern("plan").match("planx:1")
    assert not BroadcastSend.pattern().match("bc:sendx:1")
    assert not BroadcastSend.pattern().match("x:bc:send:1")
    assert BroadcastStop.pattern().match("bc:stop")


FORGED = [
    None,
    b"att:1:yes",
    12,
    "",
    "att",
    "att:",
    "att::yes",
    "att:1",
    "att:1:",
    "att:1:yes:1",  # an extra part
    "att:1:yes:",
    ":att:1:yes",
    "att:²:yes",  # a superscript digit: str.isdigit() says yes, int() would raise
    "att:1²:yes",
    "att:١:yes",  # an Arabic-Indic digit
    "att:１:yes",  # a full-width digit
    "att:-1:yes",
    "att:+1:yes",
    "att:01:yes",  # not the canonical form pack() writes
    "att: 1:yes",
    "att:1.0:yes",
    "att:1e3:yes",
    "att:0x1:yes",
    "att:1_000:yes",
    "att:" + "9" * 19 + ":yes",  # beyond SQLite's integers
    "att:1:maybe",
    "att:1:YES",
    "att:1:yes\n",
    " att:1:yes",
    "ATT:1:yes",
    "atx:1:yes",
    "offer:1:nosure",  # valid for `att` only
    "pres:at:1:2",
    "pres:at:1:yes",
    "pres:at:1",
    "pres:at:1:1:1",
    "pres:new:3",
    "plan:ev:²",
    "plan:who:1:1:x1",
    "plan:who:1:1:c",
    "plan:who:1:1:c1:",
    "plan:to:1:1:c1:c2:1",
    "plan:sw:1:1:c1",
    "plan:pub",
    "bc:aud:everyone",
    "bc:stop:1",
    "role:admin",
    "role:Staff",
    "erase:yes:no",
    "erase:" + "é" * 40,
    "insc:page:1:-1",
    "evt:show:²",
    "evt:edit:1:1",
    "evt:field:1:colour",
    "evt:new:1",
    "evc:a1b2:duration",
    "evc:a1b2:duration:1:2:3",
    "evc:a1b2:timezone:Europe/Paris",  # a `/`: zones go by position
    "evc:A1:Duration:180",
    "evn:dur:180",  # before `EventAnswer`: answered, never read
]


@pytest.mark.parametrize("data", FORGED, ids=repr)
def test_forged_data_is_refused_not_raised(data: object) -> None:
    for family in FAMILIES:
        assert family.parse(data) is None, family
    assert parse_any(data, FAMILIES) is None


def test_largest_numbers() -> None:
    assert Attendance.parse("att:" + "9" * 18 + ":yes") == Attendance(10**18 - 1, "yes")
    assert Attendance.parse("att:0:no") == Attendance(0, "no")


def test_64_bytes_refused_at_build_time_accents_count_double() -> None:
    prefix = len("testnote:")
    fits = "e" * (MAX_CALLBACK_BYTES - prefix)
    assert Note(fits).pack() == f"testnote:{fits}"
    assert Note.parse(Note(fits).pack()) == Note(fits)
    with pytest.raises(CallbackDataTooLong):
        Note(fits + "e").pack()
    half = (MAX_CALLBACK_BYTES - prefix) // 2
    accented = "é" * half  # 2 bytes each in UTF-8
    assert len(Note(accented).pack().encode()) <= MAX_CALLBACK_BYTES
    with pytest.raises(CallbackDataTooLong):
        Note(accented + "é").pack()  # fewer than 64 characters, more than 64 bytes
    assert len(f"testnote:{accented}é") < MAX_CALLBACK_BYTES
    with pytest.raises(CallbackDataTooLong):
        PlanMove(10**17, 10**17, "c" + "1" * 18, "s1", 1).pack()


@pytest.mark.parametrize(
    "value",
    [
        Attendance(-1, "yes"),
        Attendance(10**18, "yes"),
        Attendance(True, "yes"),
        Attendance("1", "yes"),  # type: ignore[arg-type]
        Attendance(1, "maybe"),  # type: ignore[arg-type]
        AttendanceMark(1, 1),  # type: ignore[arg-type]
        PlanPick(1, 1, "c1:x"),
        PlanPick(1, 1, "x1"),
        PlanMove(1, 1, "c1", "c2", 1),
        RoleChoice("admin"),  # type: ignore[arg-type]
        Note("a:b"),
    ],
    ids=repr,
)
def test_pack_refuses_what_parse_would_not_read_back(value: CallbackData) -> None:
    with pytest.raises((ValueError, TypeError)):
        value.pack()


def test_family_definitions_are_checked() -> None:
    with pytest.raises(ValueError, match="prefix"):

        @dataclass(frozen=True)
        class BadPrefix(CallbackData, prefix="Bad Prefix"):
            number: int

    with pytest.raises(TypeError, match="unsupported"):

        @dataclass(frozen=True)
        class BadField(CallbackData, prefix="testbad"):
            amount: float

    assert not [family for family in FAMILIES if family.prefix == "testbad"]

    @dataclass(frozen=True)
    class Colon(CallbackData, prefix="testcolon"):
        text: Annotated[str, Token(r"[a:]+")]

    assert Colon("aa").pack() == "testcolon:aa"
    with pytest.raises(ValueError, match="cannot be packed"):
        Colon("a:a").pack()  # the separator never goes into a part
    FAMILIES.remove(Colon)


def test_values_agree_with_the_services() -> None:
    def choices(family: type[CallbackData], field: str) -> set[str]:
        hint = get_type_hints(family)[field]
        assert getattr(hint, "__origin__", None) is Literal
        return set(get_args(hint))

    assert choices(BroadcastAudience, "audience") == {audience.value for audience in Audience}
    assert choices(Attendance, "answer") == {
        attendance.YES,
        attendance.NO,
        attendance.SURE,
        attendance.KEEP,
        attendance.MORE,
    }
    assert choices(OfferAnswer, "answer") == {attendance.YES, attendance.NO}
    assert RoleChoice.parse("role:staff") == RoleChoice(Role.STAFF)
    assert isinstance(RoleChoice.parse("role:candidate").role, Role)  # type: ignore[union-attr]


def test_prefixes_are_short() -> None:
    for family in BOT_FAMILIES:
        assert re.fullmatch(r"[a-z]{1,6}(:[a-z]{1,6})?", family.prefix), family
