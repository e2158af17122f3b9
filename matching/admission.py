"""Who can be seated when not everyone fits, by a fair and stated rule.

Capacity comes from a max-flow over sites and employers (ignoring the round structure):
``source -> site`` (candidates there, at most rooms × rounds × seats),
``site -> employer`` (if the employer receives there), ``employer -> sink`` (their
``max_candidates``, at most rounds × seats). The flow into each site is how many of its
candidates can have at least one meeting. Without employers, a site holds rooms × seats.

Among the admitted, every candidate is promised the same number of meetings ``q`` (at least
one): the largest ``q`` the same flow can carry with ``q`` seats per candidate and at most
one meeting per candidate–employer pair. Speed job dating thus gives everyone several
employers, not a few people many.

Inside a site, who is kept follows the event's rule (``event.admission``), chosen by the
coordinator:

* ``registration`` (the bot's default): first signed up, first seated (file order);
* ``staff``: the team's order, ``priority`` 1 first (none: after, in file order);
* ``best_fit``: the candidates of the best plan over all of them. On one-round events with
  1 or 2 employers per room, the exact seat-based model (:mod:`matching.exact`) is solved
  once with everyone allowed and nobody promised a seat, every meeting worth a bonus far
  above any affinity: its optimum seats as many as possible, then has the highest total,
  so the plan made for the people it seats is the best possible one. Otherwise (several
  rounds, groups, too big), those with the highest best affinities come first;
* ``fewest_matches`` (when a file names no rule, as before the rule existed): those with
  the fewest good matches (affinity >= ``good_match`` with
  an employer who can receive them) first, since they have the fewest other chances; ties
  are broken by an order drawn from the seed.

Candidates already convened (``preferred``, when re-planning) go first under every rule.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import TypeAlias

import networkx as nx
import numpy as np

from matching.affinity import AffinityTables
from matching.exact import solve_exact
from matching.i18n import N_, translator
from matching.model import Instance
from matching.problem import Problem

RULE = N_(
    "rule: people with the fewest good matches go first, then an order drawn at random "
    "with seed {seed}"
)
# The rule's sentence in a waiting-list reason, per ``event.admission``.
RULE_TEXTS = {
    "registration": N_("rule: first signed up, first seated"),
    "staff": N_("rule: the order chosen by the team"),
    "best_fit": N_("rule: the seats that give the best plan overall"),
    "fewest_matches": RULE,
}
DEFAULT_TIME_LIMIT = 10.0

# Nodes of the flow network: "source", ("site", site id), ("emp", employer position), "sink".
_FlowNode: TypeAlias = str | tuple[str, str] | tuple[str, int]


@dataclass
class Admission:
    admitted: np.ndarray  # (n_c,) bool
    reasons: dict[int, str]  # candidate position -> reason for waiting, in the asked language
    priority: list[int]  # all candidate positions, highest priority first
    min_meetings: int = 1  # meetings promised to every admitted candidate


def admit(
    instance: Instance,
    tables: AffinityTables,
    seed: int,
    preferred: set[int] | None = None,
    language: str = "fr",
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> Admission:
    """Decide who is admitted by the event's rule; ``preferred`` (already convened) first.

    ``time_limit`` bounds the search of the ``best_fit`` rule (seconds).
    """
    ev = instance.event
    n_c = len(tables.candidates)
    preferred = preferred or set()
    chosen = _best_seats(instance, tables, preferred, time_limit) if n_c else None
    key = _order_key(instance, tables, seed, chosen)
    priority = sorted(range(n_c), key=lambda c: (c not in preferred, key[c]))
    by_site: dict[str, list[int]] = {s.id: [] for s in ev.sites}
    for c in priority:
        by_site[tables.candidates[c].site].append(c)
    if chosen is None:
        capacity = _site_capacity(instance, tables, {s: len(m) for s, m in by_site.items()})
    else:
        capacity = {s: sum(1 for c in m if chosen[c]) for s, m in by_site.items()}
    admitted = np.zeros(n_c, dtype=bool)
    reasons: dict[int, str] = {}
    for site in ev.sites:
        members = by_site[site.id]
        cap = capacity[site.id]
        for c in members[:cap]:
            admitted[c] = True
        for c in members[cap:]:
            reasons[c] = _reason(instance, site.id, site.rooms, len(members), cap, seed, language)
    seated = {s.id: min(capacity[s.id], len(by_site[s.id])) for s in ev.sites}
    return Admission(admitted, reasons, priority, _fair_floor(instance, tables, seated))


def rule_text(instance: Instance, seed: int, language: str = "fr") -> str:
    """The event's admission rule as said in waiting-list reasons, in ``language``."""
    _ = translator(language)
    return _(RULE_TEXTS[instance.event.admission], seed=seed)


def _order_key(
    instance: Instance, tables: AffinityTables, seed: int, chosen: np.ndarray | None
) -> list[tuple[float, ...]]:
    """Sort key of every candidate position under the event's rule (smaller goes first)."""
    n_c = len(tables.candidates)
    rule = instance.event.admission
    if rule == "staff":
        big = float("inf")
        return [
            (big if c.priority is None else float(c.priority), float(i))
            for i, c in enumerate(tables.candidates)
        ]
    if rule == "best_fit":
        best = _best_values(instance, tables)
        seated = np.ones(n_c, dtype=bool) if chosen is None else chosen
        return [(float(not seated[c]), -float(best[c]), float(c)) for c in range(n_c)]
    if rule == "fewest_matches":
        good = ((tables.ce >= tables.weights.good_match) & tables.compatible).sum(axis=1)
        order = list(range(n_c))
        random.Random(seed).shuffle(order)
        rank = {c: r for r, c in enumerate(order)}
        return [(float(good[c]), float(rank[c])) for c in range(n_c)]
    return [(float(c),) for c in range(n_c)]  # registration: the file's order


def _best_values(instance: Instance, tables: AffinityTables) -> np.ndarray:
    """Each candidate's highest possible total: their best ``rounds`` affinities."""
    if tables.ce.size == 0:
        return np.zeros(len(tables.candidates))
    values = np.where(tables.compatible, tables.ce, 0.0)
    top = np.sort(values, axis=1)[:, ::-1][:, : instance.event.rounds]
    return np.asarray(top.sum(axis=1))


def _best_seats(
    instance: Instance, tables: AffinityTables, preferred: set[int], time_limit: float
) -> np.ndarray | None:
    """Who sits in the best plan over all candidates (``best_fit``), or None if not found.

    Only for one-round events with 1 or 2 employers per room and more candidates than
    seats. Every meeting gets a bonus far above any affinity (three times that for the
    candidates already convened), so the optimum seats the most people first.
    """
    ev = instance.event
    n_c = len(tables.candidates)
    if ev.admission != "best_fit" or ev.rounds != 1 or ev.employers_per_room not in (1, 2):
        return None
    seats = sum(s.rooms for s in ev.sites) * ev.candidates_per_room
    if n_c <= seats and all(
        tables.compatible[c].any() for c in range(n_c)
    ):  # everyone may fit: the usual capacity check decides
        return None
    problem = Problem(instance, tables, np.ones(n_c, dtype=bool), 0)
    bonus = np.full(n_c, problem.coverage_bonus)
    bonus[list(preferred)] *= 3
    problem.tables = replace(problem.tables, ce=problem.tables.ce + bonus[:, None])
    result = solve_exact(problem, time_limit=time_limit, fairness=False, columns=False)
    if result is None:
        return None
    chosen = np.zeros(n_c, dtype=bool)
    for room in (room for rooms in result.rounds for room in rooms):
        chosen[room.candidates] = True
    return chosen


def _fair_floor(instance: Instance, tables: AffinityTables, seated: dict[str, int]) -> int:
    """Largest number of meetings every admitted candidate can be promised (>= 1)."""
    ev = instance.event
    if ev.employers_per_room == 0 or ev.rounds == 1 or not any(seated.values()):
        return 1
    for q in range(ev.rounds, 1, -1):
        demand = {s: n * q for s, n in seated.items()}
        flow = _flow_graph(instance, tables, demand, pair_cap=seated)
        value, _ = nx.maximum_flow(flow, "source", "sink")
        if value >= sum(demand.values()):
            return q
    return 1


def _site_capacity(
    instance: Instance, tables: AffinityTables, demand: dict[str, int]
) -> dict[str, int]:
    ev = instance.event
    if ev.employers_per_room == 0:
        return {s.id: min(demand[s.id], s.rooms * ev.candidates_per_room) for s in ev.sites}
    flow = _flow_graph(instance, tables, demand, pair_cap=None)
    if "sink" not in flow:
        return {s.id: 0 for s in ev.sites}
    _value, flows = nx.maximum_flow(flow, "source", "sink")
    return {s.id: int(flows["source"].get(("site", s.id), 0)) for s in ev.sites}


def _flow_graph(
    instance: Instance,
    tables: AffinityTables,
    demand: dict[str, int],
    pair_cap: dict[str, int] | None,
) -> nx.DiGraph[_FlowNode]:
    """Sites -> employers -> sink; ``pair_cap`` bounds site->employer (one meeting a pair)."""
    ev = instance.event
    flow: nx.DiGraph[_FlowNode] = nx.DiGraph()
    for site in ev.sites:
        seats = site.rooms * ev.rounds * ev.candidates_per_room
        flow.add_edge("source", ("site", site.id), capacity=min(demand[site.id], seats))
        if site.rooms == 0:
            continue
        for j, emp in enumerate(tables.employers):
            if emp.accepts(site.id):
                if pair_cap is None:
                    flow.add_edge(("site", site.id), ("emp", j))
                else:
                    flow.add_edge(("site", site.id), ("emp", j), capacity=pair_cap[site.id])
    for j, emp in enumerate(tables.employers):
        limit = ev.rounds * ev.candidates_per_room
        if emp.max_candidates is not None:
            limit = min(limit, emp.max_candidates)
        flow.add_edge(("emp", j), "sink", capacity=limit)
    return flow


def _reason(
    instance: Instance, site: str, rooms: int, demand: int, cap: int, seed: int, language: str
) -> str:
    _ = translator(language)
    ev = instance.event
    rule = rule_text(instance, seed, language)
    if rooms == 0:
        return _('Site "{site}" has no room: waiting list.', site=site)
    if ev.employers_per_room > 0 and not any(e.accepts(site) for e in instance.active_employers):
        return _('No employer receives on site "{site}": waiting list.', site=site)
    if ev.employers_per_room == 0:
        return _(
            '{demand} candidates on site "{site}" for {rooms} room(s) of {seats}: '
            "waiting list ({rule}).",
            demand=demand,
            site=site,
            rooms=rooms,
            seats=ev.candidates_per_room,
            rule=rule,
        )
    return _(
        '{demand} candidates on site "{site}" for {places} possible seat(s) ({rooms} '
        "room(s) of {seats}, {rounds} round(s), given the available employers): waiting "
        "list ({rule}).",
        demand=demand,
        site=site,
        places=cap,
        rooms=rooms,
        seats=ev.candidates_per_room,
        rounds=ev.rounds,
        rule=rule,
    )
