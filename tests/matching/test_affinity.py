"""Affinity: French normalisation, the documented formula, explicit tables, the graph."""

from __future__ import annotations

import pytest

from matching import Instance, Weights
from matching.affinity import build_tables
from matching.graph import build_affinity_graph
from matching.textnorm import job_similarity, normalize_words


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("assistante ressources humaines", "assistant·e RH"),
        ("Vendeuse", "vendeur.euse"),
        ("Cuisinière", "cuisinier(e)"),
        ("aide-soignante", "Aide soignant·e"),
        ("Serveuses", "serveur"),
        ("agent·e d'entretien", "Nettoyage"),
    ],
)
def test_normalisation_makes_variants_equal(left: str, right: str) -> None:
    assert normalize_words(left) == normalize_words(right)


def test_job_similarity_uses_best_job_and_synonyms() -> None:
    assert job_similarity("assistante ressources humaines", "comptable, assistant·e RH") == 1.0
    assert job_similarity("vendeuse", "vente en magasin") == 1.0
    assert job_similarity("cuisinier", "comptable") == 0.0


def _affinity(data: dict, c: str, e: str) -> float:
    tables = build_tables(Instance.from_dict(data))
    return float(tables.ce[tables.cand_index[c], tables.emp_index[e]])


def test_computed_affinity_follows_the_formula(minimal_dict) -> None:
    data = minimal_dict
    del data["affinity"]
    w = Weights()
    # c1/e1: shared sector M, same job, "accueil" not in e1's words, mutual wish.
    expected = (w.sector * 1 + w.job * 1 + w.skills * 0 + w.wish * w.mutual_wish) / (
        w.sector + w.job + w.skills + w.wish
    )
    assert _affinity(data, "c1", "e1") == pytest.approx(expected)
    assert 0 <= _affinity(data, "c2", "e1") < _affinity(data, "c2", "e2")


def test_mutual_wish_beats_one_sided_wish(minimal_dict) -> None:
    data = minimal_dict
    del data["affinity"]
    mutual = _affinity(data, "c1", "e1")
    data["employers"][0]["wishes"] = []
    assert _affinity(data, "c1", "e1") < mutual


def test_explicit_affinity_replaces_computed_one_and_weights_are_read(minimal_dict) -> None:
    data = minimal_dict
    assert _affinity(data, "c1", "e1") == 0.82
    assert _affinity(data, "c2", "e2") == 0.0  # missing entries count 0
    del data["affinity"]
    data["weights"] = {"sector": 1, "job": 0, "skills": 0, "wish": 0}
    assert _affinity(data, "c2", "e2") == 1.0  # only the shared sector D counts


def test_graph_has_participants_and_weighted_edges(minimal_dict) -> None:
    data = minimal_dict
    del data["affinity"]
    graph = build_affinity_graph(Instance.from_dict(data))
    assert graph.nodes["c1"]["kind"] == "candidate"
    assert graph.nodes["e2"]["kind"] == "employer"
    edge = graph.edges["c1", "e1"]
    assert edge["kind"] == "ce" and 0 < edge["weight"] <= 1
    assert graph.edges["e1", "e2"]["kind"] == "ee"  # sectors M and D differ: a mix


def test_candidate_diversity_edges_for_groups(minimal_dict) -> None:
    data = minimal_dict
    data["event"]["employers_per_room"] = 0
    graph = build_affinity_graph(Instance.from_dict(data))
    assert graph.edges["c1", "c2"]["kind"] == "cc"
