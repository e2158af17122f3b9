"""Event instance (input) and plan (output) of the matching engine.

Plain typed dataclasses with strict JSON loading: a malformed instance is refused with an
``InstanceError`` whose message names the place in the file, e.g.
``candidates[3].site: site inconnu « geneve »`` (French unless another ``language`` is
asked), so staff can fix it without a traceback.
"""

from __future__ import annotations

import errno
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matching.i18n import N_, Translator, translator
from matching.weights import Weights

# The system's and the JSON parser's own words are English: the usual ones, said plainly.
_FILE_ERRORS = {
    errno.ENOENT: N_("no such file"),
    errno.EACCES: N_("access refused"),
    errno.EISDIR: N_("this is a folder, not a file"),
}
_FILE_ERROR = N_("reading error")
_JSON_ERROR = N_("syntax error")
_JSON_ERRORS = {
    "Expecting value": N_("a value is expected"),
    "Expecting property name enclosed in double quotes": N_("a name in double quotes is expected"),
    "Expecting ',' delimiter": N_("a comma is missing"),
    "Expecting ':' delimiter": N_("a colon is missing"),
    "Extra data": N_("text after the end"),
    "Unterminated string starting at": N_("unclosed quotes"),
}

REMOTE = "*"
# Who gets a seat when not everyone fits (``event.admission``, see matching.admission).
ADMISSION_RULES = ("registration", "staff", "best_fit", "fewest_matches")
DEFAULT_ADMISSION = "fewest_matches"  # files written before the rule existed
# The keys an instance file may hold, per object; any other one is reported as unknown.
_KNOWN_KEYS = {
    "instance": {"event", "employers", "candidates", "affinity", "withdrawn", "weights"}
    | {"met_before"},
    "event": {"employers_per_room", "candidates_per_room", "rounds", "sites", "admission"},
    "site": {"id", "rooms"},
    "employer": {"id", "sites", "sectors", "jobs", "max_candidates", "wishes", "skills", "name"},
    "candidate": {"id", "site", "sectors", "target_job", "skills", "qualities", "age_band"}
    | {"programme", "wishes", "name", "priority"},
}


class InstanceError(ValueError):
    """A malformed instance or plan file; the message names the place (French by default)."""


@dataclass(frozen=True)
class Site:
    id: str
    rooms: int


@dataclass(frozen=True)
class Event:
    employers_per_room: int
    candidates_per_room: int
    rounds: int
    sites: tuple[Site, ...]
    admission: str = DEFAULT_ADMISSION

    def site(self, site_id: str) -> Site:
        return next(s for s in self.sites if s.id == site_id)


@dataclass(frozen=True)
class Candidate:
    id: str
    site: str
    sectors: tuple[str, ...] = ()
    target_job: str = ""
    skills: tuple[str, ...] = ()
    qualities: tuple[str, ...] = ()
    age_band: str | None = None
    programme: str | None = None
    wishes: tuple[str, ...] = ()
    name: str | None = None
    priority: int | None = None  # staff's order for the "staff" admission rule (1 first)


@dataclass(frozen=True)
class Employer:
    id: str
    sites: tuple[str, ...]
    sectors: tuple[str, ...] = ()
    jobs: str = ""
    max_candidates: int | None = None
    wishes: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    name: str | None = None

    def accepts(self, site_id: str) -> bool:
        return REMOTE in self.sites or site_id in self.sites


@dataclass
class Instance:
    """One event to plan. ``affinity`` (candidate -> employer -> [0, 1]) is optional."""

    event: Event
    employers: list[Employer]
    candidates: list[Candidate]
    affinity: dict[str, dict[str, float]] | None = None
    withdrawn: frozenset[str] = frozenset()
    weights: Weights = field(default_factory=Weights)
    # Pairs of participants who met at an earlier edition, each pair sorted (see solver).
    met_before: frozenset[tuple[str, str]] = frozenset()
    # Keys of the file the reader does not know (a typo such as "secteurs"), with their
    # place, e.g. ``candidates[0].secteurs``: ignored, so the command line warns about them.
    unknown_keys: tuple[str, ...] = field(default=(), compare=False)

    @property
    def active_candidates(self) -> list[Candidate]:
        return [c for c in self.candidates if c.id not in self.withdrawn]

    @property
    def active_employers(self) -> list[Employer]:
        return [e for e in self.employers if e.id not in self.withdrawn]

    @property
    def people(self) -> list[Candidate | Employer]:
        """Every candidate, then every employer (withdrawn ones included)."""
        return [*self.candidates, *self.employers]

    def display_name(self, person_id: str) -> str:
        for person in self.people:
            if person.id == person_id:
                return person.name or person.id
        return person_id

    @classmethod
    def from_dict(cls, data: Any, language: str = "fr") -> Instance:
        return _InstanceReader(translator(language)).read(data)

    def to_dict(self) -> dict[str, Any]:
        ev = self.event
        out: dict[str, Any] = {
            "event": {
                "employers_per_room": ev.employers_per_room,
                "candidates_per_room": ev.candidates_per_room,
                "rounds": ev.rounds,
                "sites": [{"id": s.id, "rooms": s.rooms} for s in ev.sites],
            },
            "employers": [
                _drop_empty(
                    {
                        "id": e.id,
                        "sites": list(e.sites),
                        "sectors": list(e.sectors),
                        "jobs": e.jobs,
                        "max_candidates": e.max_candidates,
                        "wishes": list(e.wishes),
                        "skills": list(e.skills),
                        "name": e.name,
                    }
                )
                for e in self.employers
            ],
            "candidates": [
                _drop_empty(
                    {
                        "id": c.id,
                        "site": c.site,
                        "sectors": list(c.sectors),
                        "target_job": c.target_job,
                        "skills": list(c.skills),
                        "qualities": list(c.qualities),
                        "age_band": c.age_band,
                        "programme": c.programme,
                        "wishes": list(c.wishes),
                        "name": c.name,
                        "priority": c.priority,
                    }
                )
                for c in self.candidates
            ],
        }
        if self.affinity is not None:
            out["affinity"] = self.affinity
        if self.withdrawn:
            out["withdrawn"] = sorted(self.withdrawn)
        if self.weights != Weights():
            out["weights"] = self.weights.to_dict()
        if self.met_before:
            out["met_before"] = [list(pair) for pair in sorted(self.met_before)]
        if ev.admission != DEFAULT_ADMISSION:
            out["event"]["admission"] = ev.admission
        return out


def _drop_empty(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in (None, [], "") or k in ("id", "sites")}


def load_instance(path: str | Path, language: str = "fr") -> Instance:
    """Read an instance JSON file; every problem becomes an ``InstanceError`` in ``language``."""
    _ = translator(language)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InstanceError(
            _(
                "{where}: cannot read the file ({error})",
                where=path,
                error=_(_FILE_ERRORS.get(exc.errno or 0, _FILE_ERROR)),
            )
        ) from None
    except UnicodeDecodeError:
        raise InstanceError(_("{where}: the file is not in UTF-8", where=path)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstanceError(
            _(
                "{where}: invalid JSON line {line}, column {column} ({error})",
                where=path,
                line=exc.lineno,
                column=exc.colno,
                error=_(_JSON_ERRORS.get(exc.msg, _JSON_ERROR)),
            )
        ) from None
    return Instance.from_dict(data, language)


class _InstanceReader:
    """Validates a decoded JSON document field by field, keeping the path for messages."""

    def __init__(self, translate: Translator) -> None:
        self._ = translate
        self.unknown: list[str] = []

    def read(self, data: Any) -> Instance:
        root = self._obj(data, "instance")
        self._note_unknown(root, "instance", "")
        event = self._event(self._get(root, "event", "instance"))
        site_ids = {s.id for s in event.sites}
        seen: set[str] = set()
        employers_raw = self._list(self._get(root, "employers", "instance"), "employers")
        candidates_raw = self._list(self._get(root, "candidates", "instance"), "candidates")
        employers = [
            self._employer(raw, f"employers[{i}]", site_ids, seen)
            for i, raw in enumerate(employers_raw)
        ]
        candidates = [
            self._candidate(raw, f"candidates[{i}]", site_ids, seen)
            for i, raw in enumerate(candidates_raw)
        ]
        employer_ids = {e.id for e in employers}
        candidate_ids = {c.id for c in candidates}
        for i, emp in enumerate(employers):
            self._known(
                emp.wishes,
                candidate_ids,
                f"employers[{i}].wishes",
                self._('{where}: unknown candidate "{id}"'),
            )
        for i, cand in enumerate(candidates):
            self._known(
                cand.wishes,
                employer_ids,
                f"candidates[{i}].wishes",
                self._('{where}: employer "{id}" is not known'),
            )
        affinity = None
        if root.get("affinity") is not None:
            affinity = self._affinity(root["affinity"], candidate_ids, employer_ids)
        withdrawn: frozenset[str] = frozenset()
        if root.get("withdrawn") is not None:
            ids = self._str_list(root["withdrawn"], "withdrawn")
            self._known(
                ids,
                candidate_ids | employer_ids,
                "withdrawn",
                self._('{where}: unknown participant "{id}"'),
            )
            withdrawn = frozenset(ids)
        weights = Weights()
        if root.get("weights") is not None:
            try:
                weights = Weights.from_dict(root["weights"], language=self._.language)
            except ValueError as exc:
                raise InstanceError(str(exc)) from None
        met_before: frozenset[tuple[str, str]] = frozenset()
        if root.get("met_before") is not None:
            met_before = self._met_before(root["met_before"], candidate_ids | employer_ids)
        return Instance(
            event,
            employers,
            candidates,
            affinity,
            withdrawn,
            weights,
            met_before,
            unknown_keys=tuple(self.unknown),
        )

    def _note_unknown(self, obj: dict[str, Any], kind: str, where: str) -> None:
        """Remember keys this format does not know (``where`` is the object's place)."""
        for key in obj:
            if key not in _KNOWN_KEYS[kind]:
                self.unknown.append(f"{where}.{key}" if where else str(key))

    # -- sections ---------------------------------------------------------------------
    def _event(self, raw: Any) -> Event:
        ev = self._obj(raw, "event")
        self._note_unknown(ev, "event", "event")
        k_e = self._int(self._get(ev, "employers_per_room", "event"), "event.employers_per_room")
        k_c = self._int(
            self._get(ev, "candidates_per_room", "event"), "event.candidates_per_room", low=1
        )
        rounds = self._int(self._get(ev, "rounds", "event"), "event.rounds", low=1)
        sites_raw = self._list(self._get(ev, "sites", "event"), "event.sites")
        if not sites_raw:
            raise InstanceError(
                self._("{where}: at least one site is expected", where="event.sites")
            )
        sites: list[Site] = []
        for i, raw in enumerate(sites_raw):
            where = f"event.sites[{i}]"
            obj = self._obj(raw, where)
            self._note_unknown(obj, "site", where)
            site_id = self._id(self._get(obj, "id", where), f"{where}.id")
            if site_id == REMOTE:
                raise InstanceError(
                    self._('{where}: "*" is reserved (remote, any site)', where=f"{where}.id")
                )
            if any(s.id == site_id for s in sites):
                raise InstanceError(
                    self._('{where}: duplicate site "{id}"', where=f"{where}.id", id=site_id)
                )
            rooms = self._int(self._get(obj, "rooms", where), f"{where}.rooms")
            sites.append(Site(site_id, rooms))
        admission = ev.get("admission", DEFAULT_ADMISSION)
        if admission not in ADMISSION_RULES:
            raise InstanceError(
                self._(
                    "{where}: one of {choices} is expected",
                    where="event.admission",
                    choices=", ".join(f'"{rule}"' for rule in ADMISSION_RULES),
                )
            )
        return Event(k_e, k_c, rounds, tuple(sites), admission)

    def _employer(self, raw: Any, where: str, site_ids: set[str], seen: set[str]) -> Employer:
        obj = self._obj(raw, where)
        self._note_unknown(obj, "employer", where)
        emp_id = self._unique_id(obj, where, seen)
        sites = self._str_list(self._get(obj, "sites", where), f"{where}.sites")
        if not sites:
            raise InstanceError(
                self._('{where}: at least one site (or "*") is expected', where=f"{where}.sites")
            )
        for j, site in enumerate(sites):
            if site != REMOTE and site not in site_ids:
                raise InstanceError(
                    self._('{where}: unknown site "{id}"', where=f"{where}.sites[{j}]", id=site)
                )
        max_c = obj.get("max_candidates")
        if max_c is not None:
            max_c = self._int(max_c, f"{where}.max_candidates")
        return Employer(
            id=emp_id,
            sites=tuple(sites),
            sectors=tuple(self._opt_str_list(obj, "sectors", where)),
            jobs=self._opt_str(obj, "jobs", where) or "",
            max_candidates=max_c,
            wishes=tuple(self._opt_str_list(obj, "wishes", where)),
            skills=tuple(self._opt_str_list(obj, "skills", where)),
            name=self._opt_str(obj, "name", where),
        )

    def _candidate(self, raw: Any, where: str, site_ids: set[str], seen: set[str]) -> Candidate:
        obj = self._obj(raw, where)
        self._note_unknown(obj, "candidate", where)
        cand_id = self._unique_id(obj, where, seen)
        site = self._id(self._get(obj, "site", where), f"{where}.site")
        if site not in site_ids:
            raise InstanceError(
                self._('{where}: unknown site "{id}"', where=f"{where}.site", id=site)
            )
        return Candidate(
            id=cand_id,
            site=site,
            sectors=tuple(self._opt_str_list(obj, "sectors", where)),
            target_job=self._opt_str(obj, "target_job", where) or "",
            skills=tuple(self._opt_str_list(obj, "skills", where)),
            qualities=tuple(self._opt_str_list(obj, "qualities", where)),
            age_band=self._opt_str(obj, "age_band", where),
            programme=self._opt_str(obj, "programme", where),
            wishes=tuple(self._opt_str_list(obj, "wishes", where)),
            name=self._opt_str(obj, "name", where),
            priority=(
                None
                if obj.get("priority") is None
                else self._int(obj["priority"], f"{where}.priority")
            ),
        )

    def _affinity(
        self, raw: Any, candidate_ids: set[str], employer_ids: set[str]
    ) -> dict[str, dict[str, float]]:
        table = self._obj(raw, "affinity")
        out: dict[str, dict[str, float]] = {}
        for cand_id, row in table.items():
            if cand_id not in candidate_ids:
                raise InstanceError(
                    self._(
                        '{where}: unknown candidate "{id}"', where=f"affinity.{cand_id}", id=cand_id
                    )
                )
            row_obj = self._obj(row, f"affinity.{cand_id}")
            out[cand_id] = {}
            for emp_id, value in row_obj.items():
                where = f"affinity.{cand_id}.{emp_id}"
                if emp_id not in employer_ids:
                    raise InstanceError(
                        self._('{where}: unknown employer "{id}"', where=where, id=emp_id)
                    )
                if (
                    isinstance(value, bool)
                    or not isinstance(value, int | float)
                    or not math.isfinite(value)
                    or not 0 <= value <= 1
                ):
                    raise InstanceError(
                        self._("{where}: a value between 0 and 1 is expected", where=where)
                    )
                out[cand_id][emp_id] = float(value)
        return out

    def _met_before(self, raw: Any, known: set[str]) -> frozenset[tuple[str, str]]:
        """Pairs ``[id, id]`` of two different known participants; each kept sorted."""
        pairs: set[tuple[str, str]] = set()
        for i, item in enumerate(self._list(raw, "met_before")):
            where = f"met_before[{i}]"
            ids = self._str_list(item, where)
            if len(ids) != 2 or ids[0] == ids[1]:
                raise InstanceError(
                    self._("{where}: a pair of two different participants is expected", where=where)
                )
            self._known(ids, known, where, self._('{where}: unknown participant "{id}"'))
            first, second = sorted(ids)
            pairs.add((first, second))
        return frozenset(pairs)

    # -- primitives -------------------------------------------------------------------
    def _obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise InstanceError(self._("{where}: an object {{...}} is expected", where=where))
        return value

    def _list(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise InstanceError(self._("{where}: a list [...] is expected", where=where))
        return value

    def _get(self, obj: dict[str, Any], key: str, where: str) -> Any:
        if key not in obj:
            raise InstanceError(self._("{where}: required field missing", where=f"{where}.{key}"))
        return obj[key]

    def _int(self, value: Any, where: str, low: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InstanceError(self._("{where}: a whole number is expected", where=where))
        if value < low:
            raise InstanceError(
                self._(
                    "{where}: the value must be at least {low} (got {value})",
                    where=where,
                    low=low,
                    value=value,
                )
            )
        return value

    def _id(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise InstanceError(
                self._("{where}: an identifier (non-empty text) is expected", where=where)
            )
        return value

    def _unique_id(self, obj: dict[str, Any], where: str, seen: set[str]) -> str:
        person_id = self._id(self._get(obj, "id", where), f"{where}.id")
        if person_id in seen:
            raise InstanceError(
                self._('{where}: duplicate identifier "{id}"', where=f"{where}.id", id=person_id)
            )
        seen.add(person_id)
        return person_id

    def _str_list(self, value: Any, where: str) -> list[str]:
        items = self._list(value, where)
        for j, item in enumerate(items):
            if not isinstance(item, str):
                raise InstanceError(self._("{where}: a text is expected", where=f"{where}[{j}]"))
        return items

    def _opt_str_list(self, obj: dict[str, Any], key: str, where: str) -> list[str]:
        value = obj.get(key)
        return [] if value is None else self._str_list(value, f"{where}.{key}")

    def _opt_str(self, obj: dict[str, Any], key: str, where: str) -> str | None:
        value = obj.get(key)
        if value is not None and not isinstance(value, str):
            raise InstanceError(self._("{where}: a text is expected", where=f"{where}.{key}"))
        return value

    @staticmethod
    def _known(ids: Any, known: set[str], where: str, message: str) -> None:
        """``message`` is a translated text with ``{where}`` and ``{id}`` placeholders."""
        for j, person_id in enumerate(ids):
            if person_id not in known:
                raise InstanceError(message.format(where=f"{where}[{j}]", id=person_id))


# -- plan ---------------------------------------------------------------------------------
@dataclass
class Room:
    site: str
    room: int
    employers: list[str]
    candidates: list[str]


@dataclass
class RoundPlan:
    round: int
    rooms: list[Room]


WITHDRAWN_REASON = N_("Withdrawn: you no longer take part in this event.")


@dataclass
class Waiting:
    id: str
    reason: str


@dataclass
class Plan:
    """The rooms of every round, who is left out and why, and the score with its breakdown."""

    rounds: list[RoundPlan]
    waiting: list[Waiting] = field(default_factory=list)
    score: float = 0.0
    breakdown: dict[str, Any] = field(default_factory=dict)
    worst_candidate: dict[str, Any] | None = None
    changed_people: list[str] | None = None
    # Pairs of ``Instance.met_before`` who meet again in this plan: the repeats no plan
    # seating everyone could avoid (each pair sorted), so staff can be told.
    met_again: list[tuple[str, str]] = field(default_factory=list)

    def rooms_of(self, person_id: str) -> list[tuple[int, Room]]:
        """(round, room) pairs where the person sits."""
        return [
            (rp.round, room)
            for rp in self.rounds
            for room in rp.rooms
            if person_id in room.employers or person_id in room.candidates
        ]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rounds": [
                {
                    "round": rp.round,
                    "rooms": [
                        {
                            "site": r.site,
                            "room": r.room,
                            "employers": list(r.employers),
                            "candidates": list(r.candidates),
                        }
                        for r in rp.rooms
                    ],
                }
                for rp in self.rounds
            ],
            "waiting": [{"id": w.id, "reason": w.reason} for w in self.waiting],
            "score": round(self.score, 6),
        }
        if self.breakdown:
            out["breakdown"] = self.breakdown
        if self.worst_candidate is not None:
            out["worst_candidate"] = self.worst_candidate
        if self.changed_people is not None:
            out["changed"] = list(self.changed_people)
        if self.met_again:
            out["met_again"] = [list(pair) for pair in self.met_again]
        return out

    @classmethod
    def from_dict(cls, data: Any, language: str = "fr") -> Plan:
        try:
            rounds = [
                RoundPlan(
                    int(rp["round"]),
                    [
                        Room(
                            str(r["site"]),
                            int(r["room"]),
                            [str(x) for x in r["employers"]],
                            [str(x) for x in r["candidates"]],
                        )
                        for r in rp["rooms"]
                    ],
                )
                for rp in data["rounds"]
            ]
            waiting = [Waiting(str(w["id"]), str(w["reason"])) for w in data.get("waiting", [])]
            return cls(
                rounds=rounds,
                waiting=waiting,
                score=float(data.get("score", 0.0)),
                breakdown=dict(data.get("breakdown", {})),
                worst_candidate=data.get("worst_candidate"),
                changed_people=data.get("changed"),
                met_again=[(str(a), str(b)) for a, b in data.get("met_again", [])],
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            _ = translator(language)
            raise InstanceError(
                _("{where}: invalid plan format ({error})", where="plan", error=repr(exc))
            ) from None
