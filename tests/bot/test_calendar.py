"""The `.ics` of a convocation: notes that say room, people, what to bring, whom to ask; a reminder.

The file is read with a strict RFC 5545 line parser (no calendar library in the project):
every line `NAME[;PARAMS]:VALUE`, CRLF endings, folded lines unfolded, BEGIN/END nested.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import update

from bot.context import services
from bot.db.models.events import Event
from bot.db.models.people import Person
from bot.i18n import Translator
from bot.sandbox.client import SandboxClient, User
from bot.services import convocations as conv
from bot.services.convocations import DEFAULT_TO_BRING
from bot.services.plan_input import candidate_key, employer_key
from tests.conftest import STAFF_ID, BotRunner, Sql
from tests.helpers.plan import CANDIDATES, EMPLOYERS, open_plan, publish, rooms_of, seed_event
from tests.helpers.texts import t, tn

LINE = re.compile(r"^([A-Z][A-Z0-9-]*)((?:;[A-Z-]+=[^:;]*)*):(.*)$")
CONTACT = "https://t.me/sophie_coord"


@dataclass
class Component:
    name: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    children: list[Component] = field(default_factory=list)

    def one(self, name: str) -> str:
        values = self.fields.get(name, [])
        assert len(values) == 1, (name, values)
        return values[0]

    def all(self, name: str) -> list[Component]:
        return [child for child in self.children if child.name == name]


def _unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def parse_ics(data: bytes) -> Component:
    """The VCALENDAR tree; fails on any malformed line or unbalanced BEGIN/END."""
    text = data.decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = text[:-2].replace("\r\n ", "").split("\r\n")
    assert all(len(line.encode()) <= 75 for line in text[:-2].split("\r\n"))
    stack: list[Component] = []
    root: Component | None = None
    for line in lines:
        match = LINE.match(line)
        assert match, f"malformed line: {line!r}"
        name, _params, value = match.groups()
        if name == "BEGIN":
            component = Component(value)
            if stack:
                stack[-1].children.append(component)
            else:
                assert root is None, "two top-level components"
                root = component
            stack.append(component)
        elif name == "END":
            assert stack and stack.pop().name == value, f"unbalanced END:{value}"
        else:
            assert stack, f"field outside any component: {line!r}"
            stack[-1].fields.setdefault(name, []).append(_unescape(value))
    assert root is not None and not stack
    return root


async def calendar_of(user: User) -> Component:
    document = await user.wait_for(lambda m: m.kind == "document", 10)
    assert document.filename and document.filename.endswith(".ics")
    assert document.document is not None
    return parse_ics(document.document)


async def make_staff_the_coordinator(bot_runner: BotRunner, event_id: int) -> None:
    assert bot_runner.application is not None
    async with services(bot_runner.application).database.session() as session:
        staff = await session.scalar(
            update(Person)
            .where(Person.telegram_id == STAFF_ID)
            .values(username="sophie_coord")
            .returning(Person.id)
        )
        await session.execute(update(Event).where(Event.id == event_id).values(created_by=staff))


async def test_calendar_has_description_and_reminder(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_event(bot_runner, client)
    await make_staff_the_coordinator(bot_runner, scenario.event_id)
    await open_plan(scenario)
    await publish(scenario)
    plan_id = sql.scalar("select id from plans where published_at is not null")
    rooms = rooms_of(sql, plan_id)

    alice = await calendar_of(scenario.candidates["Alice"])
    assert alice.name == "VCALENDAR"
    (entry,) = alice.all("VEVENT")
    notes = entry.one("DESCRIPTION").split("\n")
    room = rooms[candidate_key(scenario.person_ids["Alice"])]
    assert t("Room: {room}", room=room) in notes
    assert any("Espace Riponne" in line for line in notes)
    # Her room's two employers, by name and company, as in her convocation.
    met = [
        (first, last, company)
        for _id, first, last, company, _sectors in EMPLOYERS
        if rooms[employer_key(scenario.person_ids[first])] == room
    ]
    assert len(met) == 2
    meet_lines = [
        line for line in notes if line.startswith(t("You will meet: {employer}", employer=""))
    ]
    for first, last, company in met:
        assert any(f"{first} {last}, {company}" in line for line in meet_lines), meet_lines
    bring = t("To bring and prepare: {text}", text=t(DEFAULT_TO_BRING["candidate"]))
    assert bring in notes
    assert t("A question? Your contact: {contact}", contact=f"Sophie, {CONTACT}") in notes

    (alarm,) = entry.all("VALARM")
    assert alarm.one("ACTION") == "DISPLAY"
    assert alarm.one("TRIGGER") == "-PT120M"  # two hours before the start
    reminder = tn(
        "{event} in {count} hour, room {room}",
        "{event} in {count} hours, room {room}",
        2,
        event="Ose ton projet",
        room=room,
    )
    assert alarm.one("DESCRIPTION") == reminder

    marie = await calendar_of(scenario.employers["Marie"])
    (entry,) = marie.all("VEVENT")
    notes = entry.one("DESCRIPTION").split("\n")
    room = rooms[employer_key(scenario.person_ids["Marie"])]
    names = sorted(
        first
        for _id, first, _last, _job, _sectors in CANDIDATES
        if rooms[candidate_key(scenario.person_ids[first])] == room
    )
    prefix = t("Candidates you will meet: {names}", names="")
    line = next(line for line in notes if line.startswith(prefix))
    assert sorted(line.removeprefix(prefix).split(", ")) == names
    assert t("To bring and prepare: {text}", text=t(DEFAULT_TO_BRING["employer"])) in notes
    # A candidate's last name never reaches an employer's calendar.
    assert not any(last in entry.one("DESCRIPTION") for _i, _f, last, _j, _s in CANDIDATES)
    assert len(entry.all("VALARM")) == 1


def test_calendar_notes_are_plain_text_and_one_reminder_per_day() -> None:
    """Names with HTML characters stay as typed; no contact line when nobody is known."""
    language = Translator.for_language("fr")
    event = conv.EventInfo(
        id=7,
        name="Ose ton projet <2027>",
        starts_at=datetime(2027, 3, 9, 12, 30, tzinfo=UTC),
        timezone="Europe/Paris",
        round_minutes=30,
        rounds=2,
        what_to_bring="CV; stylo, carte",
        sites={"s1": conv.SiteInfo("s1", "Visio", None, True, "https://visio.example/abc")},
    )
    people = {
        "e1": conv.PersonInfo("e1", 1, "employer", "Marie", "Marie Rochat", company="A & B <SA>"),
        "c1": conv.PersonInfo("c1", 2, "candidate", "Alice", "Alice"),
    }
    seats = [conv.Seat(1, "s1", 3, ("e1",), ("c1",)), conv.Seat(2, "s1", 4, ("e1",), ("c1",))]
    stamp = datetime(2027, 3, 1, tzinfo=UTC)
    data = conv.calendar_file(
        language, event, people["c1"], seats, sequence=2, stamp=stamp, people=people
    )
    calendar = parse_ics(data)
    first, second = calendar.all("VEVENT")
    notes = first.one("DESCRIPTION").split("\n")
    assert t("You will meet: {employer}", employer="Marie Rochat, A & B <SA>") in notes
    assert t("Video link: {url}", url="https://visio.example/abc") in notes
    assert t("To bring and prepare: {text}", text="CV; stylo, carte") in notes
    assert not any(
        line.startswith(t("A question? Your contact: {contact}", contact="")) for line in notes
    )
    assert len(first.all("VALARM")) == 1 and not second.all("VALARM")
    assert "&lt;" not in data.decode() and "&amp;" not in data.decode()
