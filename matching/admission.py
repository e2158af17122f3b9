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

Inside a site, candidates with the fewest good matches (affinity >= ``good_match`` with an
employer who can receive them) are kept first, since they have the fewest other chances;
ties are broken by an order drawn from the seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TypeAlias

import networkx as nx
import numpy as np

from matching.affinity import AffinityTables
from matching.i18n import N_, translator
from matching.model import Instance

RULE = N_(
    "rule: people with the fewest good matches go first, then an order drawn at random "
    "with seed {seed}"
)

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
) -> Admission:
    """Decide who is admitted; ``preferred`` candidates (already convened) go first."""
    ev = instance.event
    n_c = len(tables.candidates)
    good = ((tables.ce >= tables.weights.good_match) & tables.compatible).sum(axis=1)
    order = list(range(n_c))
    random.Random(seed).shuffle(order)
    rank = {c: r for r, c in enumerate(order)}
    preferred = preferred or set()
    priority = sorted(range(n_c), key=lambda c: (c not in preferred, int(good[c]), rank[c]))
    by_site: dict[str, list[int]] = {s.id: [] for s in ev.sites}
    for c in priority:
        by_site[tables.candidates[c].site].append(c)
    capacity = _site_capacity(instance, tables, {s: len(m) for s, m in by_site.items()})
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
    rule = _(RULE, seed=seed)
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
