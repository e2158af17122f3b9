"""The affinity graph: participants as nodes, weighted edges with affinity in [0, 1].

The solver works on the dense tables of :mod:`matching.affinity` (a NetworkX graph of
5,000 × 500 edges would cost gigabytes); this graph is the readable view of the same
numbers, used for pairing employers with ``nx.max_weight_matching`` and for inspection.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from matching.affinity import AffinityTables, build_tables
from matching.model import Instance


def build_affinity_graph(
    instance: Instance, tables: AffinityTables | None = None, min_weight: float = 0.0
) -> nx.Graph[str]:
    """Graph with ``kind`` on nodes ("candidate"/"employer") and on edges ("ce", "ee", "cc").

    Candidate–employer edges exist only where the employer accepts the candidate's site;
    candidate–candidate diversity edges only for formats without employers.
    """
    tables = tables or build_tables(instance)
    graph: nx.Graph[str] = nx.Graph()
    for cand in tables.candidates:
        graph.add_node(cand.id, kind="candidate", site=cand.site)
    for emp in tables.employers:
        graph.add_node(emp.id, kind="employer", sites=emp.sites)
    rows, cols = np.nonzero((tables.ce > min_weight) & tables.compatible)
    graph.add_edges_from(
        (
            tables.candidates[i].id,
            tables.employers[j].id,
            {"weight": float(tables.ce[i, j]), "kind": "ce"},
        )
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True)
    )
    rows, cols = np.nonzero(np.triu(tables.ee > min_weight, k=1))
    graph.add_edges_from(
        (
            tables.employers[i].id,
            tables.employers[j].id,
            {"weight": float(tables.ee[i, j]), "kind": "ee"},
        )
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True)
    )
    if instance.event.employers_per_room == 0:
        by_site: dict[str, list[int]] = {}
        for i, cand in enumerate(tables.candidates):
            by_site.setdefault(cand.site, []).append(i)
        for members in by_site.values():
            div = tables.candidate_diversity(members)
            for a, b in zip(*np.nonzero(np.triu(div > min_weight, k=1)), strict=True):
                graph.add_edge(
                    tables.candidates[members[a]].id,
                    tables.candidates[members[b]].id,
                    weight=float(div[a, b]),
                    kind="cc",
                )
    return graph
