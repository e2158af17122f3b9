"""The offline demo end to end (quick mode): the real bot, its own sandbox, two events played
to the end, checked from the transcript, the database and what the sandbox delivered."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.demo import DEMO_CANDIDATE_ID, DEMO_DATABASE, DEMO_FOLDER, run_demo
from bot.demo_booster import BOOSTER_NAME
from bot.demo_kit import Demo
from bot.sandbox.client import BotMessage
from tests.helpers.texts import begins, pattern, pattern_n, t

OSE = "Ose ton projet"
Seat = tuple[int, str, int, frozenset[str]]


def _rows(path: Path, query: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return list(connection.execute(query, params))


def _seats(plan: dict[str, Any]) -> dict[str, set[Seat]]:
    """Each participant's seats: (round, site, room, everyone in the room)."""
    seats: dict[str, set[Seat]] = {}
    for round_plan in plan["rounds"]:
        for room in round_plan["rooms"]:
            members = frozenset([*room["employers"], *room["candidates"]])
            for key in members:
                seats.setdefault(key, set()).add(
                    (round_plan["round"], room["site"], room["room"], members)
                )
    return seats


def _key(role: str, person_id: int) -> str:
    return ("e" if role == "employer" else "c") + str(person_id)


async def test_demo_plays_both_events_to_the_end(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    # A previous run's leftovers (here: not even a database) must not get in the way.
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / DEMO_DATABASE).write_bytes(b"not a database")
    (settings.data_dir / DEMO_FOLDER).mkdir()
    (settings.data_dir / DEMO_FOLDER / "old.png").write_bytes(b"old")
    delivered: list[BotMessage] = []
    shown: dict[str, str] = {}

    async def keep_messages(demo: Demo) -> None:
        delivered.extend(await demo.client.all_messages(include_user=False))
        shown.update(demo.shown)

    own_file = settings.model_copy(update={"database_url": None})  # PostgreSQL runs too
    assert await run_demo(own_file, quick=True, after=keep_messages) == 0
    out = capsys.readouterr().out
    candidate, employer = shown["candidate"], shown["employer"]

    # The transcript's own marks ("👤 name : action") are the demo's layout, not catalog lines.
    expected: list[str | re.Pattern[str]] = [
        "👤 Sophie : /evenement",
        t("✅ The event “{name}” is created.", name=OSE),
        "👤 Amina : /start c_",
        t("Thank you {name}, you are signed up for “{event}”!", name="Amina", event=OSE),
        "👤 Amina : /profil",
        "👤 Sophie : /plan",
        pattern_n(
            "Published: {count} convocation is on its way.",
            "Published: {count} convocations are on their way.",
            16,
        ),
        t("<b>Your convocation: {event}</b>", event=OSE),
        f"👤 Amina : [{t('I confirm I will come')}]",
        t("Thank you! Your attendance is confirmed for {event}. See you soon.", event=OSE),
        t("Here is your event. Is everything right?"),
        "👤 Julien : /start e_",
        t("Thank you {name}, you are signed up for “{event}”!", name="Julien", event=BOOSTER_NAME),
        f"👤 Julien : [{t('I confirm I will come')}]",
        t("Reminder: {event}", event=BOOSTER_NAME),
        f"👤 Sandrine : [{t('Yes, I withdraw')}]",
        f"👤 Sophie : [{t('Re-plan with few changes')}]",
        "👤 Sophie : /presences",
        pattern("Did your meeting with {names} take place?", names=re.compile(f".*{employer}.*")),
        t("Thank you for your answers! They help the team prepare the next meetings."),
        f"👤 {employer} : [" + t("Yes") + "]",
        t("Thank you for this card! It will help {name} move forward.", name=candidate),
        "👤 Sophie : /avis",
        "👤 Sophie : [" + t("Send") + "]",
        pattern(
            "You met {employer} at “{event}”. Here is their message for you:",
            event=BOOSTER_NAME,
        ),
        f"👤 {candidate} : [" + t("I have a job") + "]",
        t("You can change your answers at any time with /situation."),
        "👤 Sophie : /bilan",
        pattern("Demo finished in {seconds:.0f} s."),
    ]

    # In the order a newcomer reads them: each one after the one before.
    missing, start = [], 0
    for text in expected:
        if isinstance(text, str):
            found = out.find(text, start)
        else:
            match = text.search(out, start)
            found = match.start() if match else -1
        if found < 0:
            missing.append(text)
        else:
            start = found + 1
    assert not missing, missing
    assert t("<b>Please check your answers</b>") in out  # Amina's sign-up is printed in full...
    # ...one employer's too (Julien's), not the others'.
    assert out.count(t("What is the name of your company or organisation?")) == 1

    database = settings.data_dir / DEMO_DATABASE
    # The bot's own database and files are untouched: the demo keeps to its own.
    assert sorted(path.name for path in settings.data_dir.iterdir()) == [DEMO_FOLDER, DEMO_DATABASE]
    events = dict(_rows(database, "select name, id from events"))
    assert set(events) == {OSE, BOOSTER_NAME}
    counts = {
        (name, role): count
        for name, role, count in _rows(
            database,
            "select e.name, r.role, count(*) from registrations r join events e "
            "on e.id = r.event_id group by e.name, r.role",
        )
    }
    assert counts == {
        (OSE, "candidate"): 8,
        (OSE, "employer"): 8,
        (BOOSTER_NAME, "candidate"): 12,
        (BOOSTER_NAME, "employer"): 5,
    }
    assert _rows(
        database,
        "select r.status from registrations r join people p on p.id = r.person_id "
        f"where p.telegram_id = {DEMO_CANDIDATE_ID}",
    ) == [("confirmed",)]
    assert _rows(database, "select name, rooms from sites where event_id = ?", events[OSE]) == [
        ("Espace Riponne", 4)
    ]
    assert (
        len(_rows(database, "select id from sites where event_id = ?", events[BOOSTER_NAME])) == 4
    )

    # Every participant got exactly one convocation per publication that concerned them: the
    # first one concerned everyone, the re-plan only the people whose seats changed.
    chats = dict(_rows(database, "select id, chat_id from people"))
    is_convocation = begins("<b>Your convocation: {event}</b>")
    is_changed = begins("<b>Your convocation has changed: {event}</b>")
    received = Counter(m.chat_id for m in delivered if is_convocation(m) or is_changed(m))
    queued = Counter(
        chats[person_id]
        for (person_id,) in _rows(
            database, "select person_id from outbox where kind = 'convocation' and status = 'sent'"
        )
    )
    assert received == queued
    plans: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    for plan_id, event_id, plan in _rows(
        database,
        "select id, event_id, plan from plans where published_at is not null order by version",
    ):
        plans.setdefault(event_id, []).append((plan_id, json.loads(plan)))
    assert [len(plans[events[OSE]]), len(plans[events[BOOSTER_NAME]])] == [1, 2]
    registered = {
        event_id: {_key(role, person_id) for role, person_id in rows}
        for event_id in events.values()
        for rows in [
            _rows(
                database, "select role, person_id from registrations where event_id = ?", event_id
            )
        ]
    }
    told: dict[int, set[str]] = {}
    for plan_id, _event_id, kind, role, person_id in _rows(
        database,
        "select cast(substr(o.idempotency_key, 13, instr(substr(o.idempotency_key, 13), ':') - 1) "
        "as integer), o.event_id, o.kind, r.role, o.person_id from outbox o join registrations r "
        "on r.person_id = o.person_id and r.event_id = o.event_id "
        "where o.kind in ('convocation', 'waiting_list')",
    ):
        key = _key(role, person_id)
        assert key not in told.get(plan_id, set()), (plan_id, key, kind)
        told.setdefault(plan_id, set()).add(key)
    for event_id, published in plans.items():
        first_id, _first = published[0]
        assert told[first_id] == registered[event_id]

    # Every room keeps its format: at most 2 + 2 at Ose ton projet, 1 + 1 at the job dating.
    for event_id, published in plans.items():
        most = 2 if event_id == events[OSE] else 1
        for _plan_id, plan in published:
            for round_plan in plan["rounds"]:
                for room in round_plan["rooms"]:
                    assert 1 <= len(room["employers"]) <= most, room
                    assert 1 <= len(room["candidates"]) <= most, room

    # The re-plan after the withdrawal changed only the rooms of the employer who left.
    [(withdrawn_role, withdrawn_id)] = _rows(
        database,
        "select role, person_id from registrations where status = 'withdrawn' and event_id = ?",
        events[BOOSTER_NAME],
    )
    assert withdrawn_role == "employer"
    gone = _key(withdrawn_role, withdrawn_id)
    (first_id, first), (second_id, second) = plans[events[BOOSTER_NAME]]
    before, after = _seats(first), _seats(second)
    assert gone in before and gone not in after
    room_mates = {key for seat in before[gone] for key in seat[3]} - {gone}
    waiting_before = {waiting["id"] for waiting in first["waiting"]}
    moved = room_mates | (waiting_before & set(after))
    concerned = moved | {key for mover in moved for seat in after.get(mover, ()) for key in seat[3]}
    changed = {
        key
        for key in registered[events[BOOSTER_NAME]] - {gone}
        if before.get(key, set()) != after.get(key, set())
    }
    assert told[second_id] == changed
    assert changed and changed <= concerned, (changed, concerned)
    assert len(changed) < len(registered[events[BOOSTER_NAME]]) // 2
    assert first_id < second_id

    # The reminders went out on the moved clock (a week, a day, two hours before).
    reminders = _rows(
        database,
        "select count(*) from outbox where kind = 'reminder' and status = 'sent' and event_id = ?",
        events[OSE],
    )
    assert reminders == [(3 * 16,)]

    # After the event: questions after the rounds, both questionnaires, the review, the
    # follow-up; the report's figures are the database's.
    booster = events[BOOSTER_NAME]
    kinds = dict(
        _rows(
            database,
            "select kind, count(*) from questionnaires where event_id = ? group by kind",
            booster,
        )
    )
    assert kinds.get("cand", 0) > 0 and kinds.get("emp", 0) > 0 and kinds.get("follow", 0) > 0
    assert _rows(database, "select count(*) from candidate_feedback")[0][0] >= 1
    assert _rows(
        database,
        "select o.situation from outcomes o join people p on p.id = o.person_id "
        "where o.event_id = ? and p.first_name = ?",
        booster,
        candidate,
    ) == [("job",)]
    present = dict(
        _rows(
            database,
            "select role, count(*) from registrations where event_id = ? and attended = 1 "
            "group by role",
            booster,
        )
    )
    [staff_chat] = [
        chat for (chat,) in _rows(database, "select chat_id from people where role = 'staff'")
    ]
    reports = [
        m
        for m in delivered
        if m.chat_id == staff_chat and m.kind == "photo" and BOOSTER_NAME in m.text
    ]
    assert reports, "no /bilan picture"
    assert (
        t(
            "Present: {candidates} candidates, {employers} employers.",
            candidates=present["candidate"],
            employers=present["employer"],
        )
        in reports[-1].text
    )
    # Everyone seated in the last plan was marked: present, or absent (one never answered).
    absent = _rows(
        database,
        "select count(*) from registrations where event_id = ? and attended = 0",
        booster,
    )[0][0]
    assert sum(present.values()) + absent == len(_seats(second)) and absent <= 1

    folder = settings.data_dir / DEMO_FOLDER
    files = {path.name for path in folder.iterdir()}
    assert "bilan-emploi-booster.png" in files
    [workbook] = [name for name in files if name.endswith(".xlsx")]
    assert (folder / workbook).read_bytes().startswith(b"PK")
    assert str(folder / workbook) in out
    assert {
        "qr-candidats.png",
        "qr-employeurs.png",
        "fiche-amina.png",
        "plan.png",
        "booster-plan.png",
    } <= files
    assert "old.png" not in files
    for name in ("qr-candidats.png", "fiche-amina.png", "plan.png", "booster-plan.png"):
        assert (folder / name).read_bytes().startswith(b"\x89PNG")
        assert str(folder / name) in out
    assert str(folder) in out.split("━")[-1]  # the last section names the folder
