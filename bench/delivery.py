"""Delivery benchmark: 2,000 convocation-like messages through the local Bot API.

Runs the sandbox (`python -m bot.sandbox`, 300 messages/s overall, 1/s per chat) and the bot
(`python -m bot run`) as separate processes, twice: a clean run, and a run where the bot is
killed with SIGKILL half-way and started again. Prints the achieved rate over the allowed
rate, and how many messages were lost or duplicated.

    .venv/bin/python bench/delivery.py [--participants 2000] [--rate 300]

Last line: `delivery: ratio=<r> lost=<n> duplicated=<n> killed_ratio=<r> killed_lost=<n>
killed_duplicated=<n>`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.db.models.events import Event, Registration, RegistrationStatus, Site  # noqa: E402
from bot.db.models.people import CandidateProfile, EmployerProfile, Person, Role  # noqa: E402
from bot.db.session import Database  # noqa: E402
from bot.outbox import enqueue  # noqa: E402
from bot.sandbox.client import SandboxClient  # noqa: E402

TOKEN = "123456:BENCH"
FIRST_USER_ID = 5_000_000
MARKER = "Convocation n°"
POLL_SECONDS = 0.1
QUIET_SECONDS = 3.0
# BENCH_PROFILE=/tmp/bot.prof profiles the bot process (written when it stops).
PROFILE = (
    ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]] if "BENCH_PROFILE" in os.environ else []
)


@dataclass
class RunResult:
    sent: int
    seconds: float
    ratio: float
    lost: int
    duplicated: int
    downtime: float = 0.0


def convocation_text(number: int, name: str) -> str:
    return (
        f"<b>{MARKER}{number}</b>\n"
        f"Bonjour {name},\n"
        "Vous êtes attendu·e à « Ose ton projet » le mardi 12 mars 2027 à 13 h 30.\n"
        "Lieu : OSEO Vaud, salle 2, rue de Genève 52, 1004 Lausanne.\n"
        "Vous rencontrerez 2 employeur·se·s. Apportez votre CV.\n"
        "Merci de confirmer votre présence."
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux), to tell a slow machine from a slow bot."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_sandbox(rate: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.sandbox",
            "--port",
            "0",
            "--rate-global",
            str(rate),
            "--rate-chat",
            "1",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if "listening on" not in line:
        process.kill()
        raise RuntimeError(f"sandbox did not start: {line!r}")
    return process, line.strip().rsplit(" ", 1)[-1]


def start_bot(
    url: str, data_dir: Path, rate: int, log_path: Path, **extra: str
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **extra,
        "PASSERELLE_TOKEN": TOKEN,
        "PASSERELLE_API_URL": url,
        "PASSERELLE_DATA_DIR": str(data_dir),
        "PASSERELLE_OUTBOX_RATE_PER_SECOND": str(rate),
        "PASSERELLE_LOG_LEVEL": "WARNING",
    }
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, *PROFILE, "-m", "bot", "run"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )


def stop_processes(bot: subprocess.Popen[bytes] | None, sandbox: subprocess.Popen[str]) -> None:
    """Stop the bot cleanly (SIGTERM, then SIGKILL after 15 s), then the sandbox."""
    if bot is not None and bot.poll() is None:
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(timeout=15)
        except subprocess.TimeoutExpired:
            bot.kill()
    sandbox.send_signal(signal.SIGTERM)
    sandbox.wait(timeout=10)


async def open_chats(
    client: SandboxClient, url: str, participants: int, first_id: int = FIRST_USER_ID
) -> None:
    """Each simulated user writes once (so the bot may write back); the bench then confirms
    those updates itself so the bot starts with nothing to answer."""
    semaphore = asyncio.Semaphore(50)
    last_update = 0

    async def hello(user_id: int) -> None:
        nonlocal last_update
        async with semaphore:
            update_id = await client.user(user_id, first_name=f"P{user_id}").send("bonjour")
            last_update = max(last_update, update_id)

    await asyncio.gather(*(hello(first_id + n) for n in range(participants)))
    async with httpx.AsyncClient() as http:
        response = await http.get(
            f"{url}/bot{TOKEN}/getUpdates", params={"offset": last_update + 1, "timeout": 0}
        )
        response.raise_for_status()


async def queue_convocations(data_dir: Path, participants: int) -> None:
    """People rows inserted straight into the bot's SQLite file, one outbox row each."""
    database = Database(f"sqlite+aiosqlite:///{(data_dir / 'passerelle.sqlite3').as_posix()}")
    await database.migrate()
    async with database.session() as session:
        people = [
            Person(
                telegram_id=FIRST_USER_ID + n,
                chat_id=FIRST_USER_ID + n,
                first_name=f"P{n}",
                role=Role.CANDIDATE,
                language="fr",
            )
            for n in range(participants)
        ]
        session.add_all(people)
        await session.flush()
        for number, person in enumerate(people, start=1):
            await enqueue(
                session,
                key=f"convocation:bench:{person.id}",
                chat_id=person.chat_id,
                kind="convocation",
                text=convocation_text(number, person.first_name),
                person_id=person.id,
                buttons=[
                    [("Je confirme ma présence", f"att:{person.id}:yes")],
                    [("Je ne pourrai pas venir", f"att:{person.id}:no")],
                ],
            )
    await database.dispose()


async def count_deliveries(client: SandboxClient, participants: int) -> tuple[int, int]:
    messages = await client.all_messages(include_user=False)
    per_chat = Counter(m.chat_id for m in messages if m.text.startswith(MARKER))
    lost = sum(1 for n in range(participants) if per_chat[FIRST_USER_ID + n] == 0)
    duplicated = sum(count - 1 for count in per_chat.values() if count > 1)
    return lost, duplicated


async def run_once(participants: int, rate: int, *, kill_at: int | None) -> RunResult:
    sandbox, url = start_sandbox(rate)
    bot: subprocess.Popen[bytes] | None = None
    with tempfile.TemporaryDirectory(prefix="passerelle-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        log_path = Path(tmp) / "bot.log"
        client = SandboxClient(url, TOKEN, timeout=30)
        try:
            await open_chats(client, url, participants)
            await queue_convocations(data_dir, participants)
            bot = start_bot(url, data_dir, rate, log_path)
            first = last = killed_at = 0.0
            cpu_start = cpu_end = (0.0, 0.0)
            sent = previous = 0
            changed = time.monotonic()
            while True:
                await asyncio.sleep(POLL_SECONDS)
                sent = (await client.stats())["sends_total"]
                now = time.monotonic()
                if sent and not first:
                    first = now
                    cpu_start = cpu_seconds(bot.pid), cpu_seconds(sandbox.pid)
                if sent != previous:
                    last, changed, previous = now, now, sent
                    cpu_end = cpu_seconds(bot.pid), cpu_seconds(sandbox.pid)
                if kill_at is not None and not killed_at and sent >= kill_at:
                    bot.send_signal(signal.SIGKILL)
                    bot.wait()
                    killed_at = time.monotonic()
                    bot = start_bot(url, data_dir, rate, log_path)
                if sent >= participants and now - changed > QUIET_SECONDS:
                    break
                if now - changed > 30:
                    print(log_path.read_text()[-3000:], file=sys.stderr)
                    raise RuntimeError(f"no progress: {sent} of {participants} sent")
            lost, duplicated = await count_deliveries(client, participants)
            stats = await client.stats()
            busy = max(last - first, 1e-9)
            print(
                f"  429 answers: {stats['rate_limited_total']}, errors: {stats['errors']}; "
                f"CPU while sending: bot {(cpu_end[0] - cpu_start[0]) / busy:.0%}, "
                f"sandbox {(cpu_end[1] - cpu_start[1]) / busy:.0%}"
            )
        finally:
            await client.aclose()
            stop_processes(bot, sandbox)
    seconds = max(last - first, 1e-9)
    return RunResult(sent, seconds, (sent - 1) / seconds / rate, lost, duplicated)


# ---------------------------------------------------------------- /plan then "Publier"

PLAN_CANDIDATES = 50
PLAN_EMPLOYERS = 15
PLAN_FIRST_ID = 6_000_000
STAFF_ID = 4_900_001
PLAN_EVENT = "Forum bench"
SECTORS = ["D", "G", "I", "J", "Q"]
# Four sites, 18 rooms of 1 employer + 1 candidate; the last one is the video room.
PLAN_SITES = [("Lausanne", 6, False), ("Genève", 5, False), ("Sion", 4, False), ("Visio", 3, True)]


async def seed_plan_event(data_dir: Path) -> None:
    """A 50 × 15 event straight into the bot's SQLite file, as `tests/bot/test_plan.py` does."""
    from datetime import UTC, datetime, timedelta

    database = Database(f"sqlite+aiosqlite:///{(data_dir / 'passerelle.sqlite3').as_posix()}")
    await database.migrate()
    async with database.session() as session:
        event = Event(
            name=PLAN_EVENT,
            starts_at=datetime.now(UTC).replace(microsecond=0) + timedelta(days=20),
            timezone="Europe/Zurich",
            rounds=6,
            round_minutes=20,
            employers_per_room=1,
            candidates_per_room=1,
            candidate_code="CBENCH",
            employer_code="EBENCH",
            sites=[
                Site(
                    name=name,
                    address=None if remote else f"Rue du Bench {position + 1}, {name}",
                    rooms=rooms,
                    position=position,
                    remote=remote,
                    video_url="https://visio.example.org/bench" if remote else None,
                )
                for position, (name, rooms, remote) in enumerate(PLAN_SITES)
            ],
        )
        session.add(event)
        await session.flush()
        physical = [site.id for site in event.sites if not site.remote]
        for n in range(PLAN_EMPLOYERS + PLAN_CANDIDATES):
            employer = n < PLAN_EMPLOYERS
            person = Person(
                telegram_id=PLAN_FIRST_ID + n,
                chat_id=PLAN_FIRST_ID + n,
                first_name=f"{'E' if employer else 'C'}{n}",
                role=Role.EMPLOYER if employer else Role.CANDIDATE,
                language="fr",
                consent_at=datetime.now(UTC),
            )
            session.add(person)
            await session.flush()
            sectors = [SECTORS[n % len(SECTORS)], SECTORS[(n * 3) % len(SECTORS)]]
            remote = employer and n % 5 == 4  # 3 employers of 15 take part by video
            site = physical[n % len(physical)]
            if employer:
                session.add(
                    EmployerProfile(
                        person_id=person.id,
                        company=f"Entreprise {n}",
                        sectors=sectors,
                        jobs="vente, accueil",
                        max_candidates=6,
                    )
                )
            else:
                session.add(
                    CandidateProfile(
                        person_id=person.id,
                        sectors=sectors,
                        target_job="vendeur·se",
                        strengths=["accueil"],
                        qualities=["ponctualité"],
                        programme="COI",
                        share_card=True,
                    )
                )
            session.add(
                Registration(
                    event_id=event.id,
                    person_id=person.id,
                    role=Role.EMPLOYER if employer else Role.CANDIDATE,
                    status=RegistrationStatus.REGISTERED,
                    site_id=None if remote else site,
                    accepted_site_ids=[] if remote else [site, physical[(n + 1) % len(physical)]],
                    remote=remote,
                )
            )
    await database.dispose()


async def plan_publish(rate: int) -> tuple[float, float]:
    """Seconds from `/plan` to the plan on screen, and from "Publier" to the last of the 65
    participants' convocations, through the sandbox and the bot process."""
    participants = PLAN_EMPLOYERS + PLAN_CANDIDATES
    sandbox, url = start_sandbox(rate)
    bot: subprocess.Popen[bytes] | None = None
    with tempfile.TemporaryDirectory(prefix="passerelle-bench-plan-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        log_path = Path(tmp) / "bot.log"
        client = SandboxClient(url, TOKEN, timeout=30)
        try:
            await open_chats(client, url, participants, PLAN_FIRST_ID)
            await seed_plan_event(data_dir)
            bot = start_bot(url, data_dir, rate, log_path, PASSERELLE_STAFF_IDS=str(STAFF_ID))
            staff = client.user(STAFF_ID, first_name="Sophie")
            await staff.command("start")
            await staff.wait_for(lambda m: True, 30)
            started = time.monotonic()
            await staff.command("plan")
            await staff.wait_for(lambda m: "Quel événement" in m.text, 30)
            await staff.press(
                next(label for label in (await staff.last()).button_labels if PLAN_EVENT in label)
            )
            await staff.wait_for(lambda m: m.text.startswith("Plan ") and bool(m.buttons), 60)
            await staff.wait_for(lambda m: m.kind == "photo", 10)
            planned = time.monotonic()
            await staff.press("Publier")
            while True:
                messages = await client.all_messages(include_user=False)
                convoked = {m.chat_id for m in messages if "Votre convocation" in m.text}
                if len(convoked - {STAFF_ID}) >= participants:
                    break
                if time.monotonic() - planned > 90:
                    print(log_path.read_text()[-3000:], file=sys.stderr)
                    raise RuntimeError(f"only {len(convoked)} of {participants} convocations")
                await asyncio.sleep(0.05)
            published = time.monotonic()
        finally:
            await client.aclose()
            stop_processes(bot, sandbox)
    return planned - started, published - planned


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--rate", type=int, default=300)
    parser.add_argument("--clean-only", action="store_true", help="skip the SIGKILL run")
    parser.add_argument("--plan-only", action="store_true", help="only /plan then Publier")
    options = parser.parse_args()
    if options.plan_only:
        plan_seconds, publish_seconds = await plan_publish(options.rate)
        print(
            f"plan_seconds={plan_seconds:.2f} publish_seconds={publish_seconds:.2f} "
            f"plan_publish_seconds={plan_seconds + publish_seconds:.2f}"
        )
        return
    clean = await run_once(options.participants, options.rate, kill_at=None)
    print(
        f"clean: {clean.sent} sends in {clean.seconds:.2f} s = {clean.sent / clean.seconds:.0f}/s "
        f"(allowed {options.rate}/s) ratio={clean.ratio:.3f} lost={clean.lost} "
        f"duplicated={clean.duplicated}"
    )
    if options.clean_only:
        return
    killed = await run_once(options.participants, options.rate, kill_at=options.participants // 2)
    print(
        f"killed: {killed.sent} sends in {killed.seconds:.2f} s including the restart "
        f"ratio={killed.ratio:.3f} lost={killed.lost} duplicated={killed.duplicated}"
    )
    plan_seconds, publish_seconds = await plan_publish(options.rate)
    total = plan_seconds + publish_seconds
    print(
        f"plan_seconds={plan_seconds:.2f} publish_seconds={publish_seconds:.2f} "
        f"plan_publish_seconds={total:.2f}"
    )
    print(
        f"delivery: ratio={clean.ratio:.3f} lost={clean.lost} duplicated={clean.duplicated} "
        f"killed_ratio={killed.ratio:.3f} killed_lost={killed.lost} "
        f"killed_duplicated={killed.duplicated} plan_publish_s={total:.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
