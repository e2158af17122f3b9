"""Affinity between participants, as dense tables the solver can use at scale.

Candidate–employer affinity ``a(c, e)`` in [0, 1] (unless the instance gives it
explicitly under ``"affinity"``, in which case that table is used as is, missing = 0)::

    a(c, e) = (w.sector * S + w.job * J + w.skills * K + w.wish * W)
              / (w.sector + w.job + w.skills + w.wish)

* ``S`` sector overlap: shared ROME sectors / min(#sectors of c, #sectors of e);
* ``J`` job: best Dice similarity between the candidate's target job and any job the
  employer recruits for, after French normalisation (:mod:`matching.textnorm`);
* ``K`` skills: share of the candidate's skill words found in the employer's skills or jobs;
* ``W`` wishes: ``w.mutual_wish`` if both wished each other, else ``w.candidate_wish`` or
  ``w.employer_wish`` for a one-sided wish, else 0.

Employer–employer bonus (a mix of sectors in a room, for "Ose ton projet")::

    b(e1, e2) = w.employer_mix * (1 - jaccard(sectors(e1), sectors(e2)))

Candidate–candidate diversity (groups without employers, where weak ties are the point)::

    d(c1, c2) = (w.diversity_sector * (1 - jaccard(sectors))
                 + w.diversity_age * [age bands differ]
                 + w.diversity_programme * [programmes differ]) / (sum of those weights)

An unknown age band or programme counts as half different.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from matching.model import Candidate, Employer, Instance
from matching.textnorm import normalize_words, split_jobs
from matching.weights import Weights


@dataclass
class AffinityTables:
    """Affinities of the active (not withdrawn) participants, indexed by position."""

    candidates: list[Candidate]
    employers: list[Employer]
    ce: np.ndarray  # (n_c, n_e) candidate–employer affinity
    compatible: np.ndarray  # (n_c, n_e) employer accepts the candidate's site
    ee: np.ndarray  # (n_e, n_e) employer pair bonus, 0 on the diagonal
    explicit: bool
    weights: Weights

    def __post_init__(self) -> None:
        self.cand_index = {c.id: i for i, c in enumerate(self.candidates)}
        self.emp_index = {e.id: i for i, e in enumerate(self.employers)}

    def candidate_diversity(self, idx: Sequence[int]) -> np.ndarray:
        """Diversity matrix of the given candidates (computed on demand: it is n²)."""
        return candidate_diversity([self.candidates[i] for i in idx], self.weights)


def build_tables(instance: Instance) -> AffinityTables:
    candidates = instance.active_candidates
    employers = instance.active_employers
    weights = instance.weights
    site_ids = [site.id for site in instance.event.sites]
    site_index = {site: k for k, site in enumerate(site_ids)}
    accepts = np.array(
        [[e.accepts(site) for site in site_ids] for e in employers], dtype=bool
    ).reshape(len(employers), len(site_ids))
    cand_site = np.array([site_index[c.site] for c in candidates], dtype=int)
    compatible = accepts[:, cand_site].T.reshape(len(candidates), len(employers))
    if instance.affinity is not None:
        ce = explicit_table(instance.affinity, candidates, employers)
        ee = np.zeros((len(employers), len(employers)))
    else:
        ce = computed_table(candidates, employers, weights)
        ee = weights.employer_mix * (1.0 - _jaccard_matrix([e.sectors for e in employers]))
        np.fill_diagonal(ee, 0.0)
    return AffinityTables(
        candidates, employers, ce, compatible, ee, instance.affinity is not None, weights
    )


def explicit_table(
    affinity: dict[str, dict[str, float]],
    candidates: Sequence[Candidate],
    employers: Sequence[Employer],
) -> np.ndarray:
    emp_index = {e.id: j for j, e in enumerate(employers)}
    table = np.zeros((len(candidates), len(employers)))
    for i, cand in enumerate(candidates):
        for emp_id, value in affinity.get(cand.id, {}).items():
            j = emp_index.get(emp_id)
            if j is not None:
                table[i, j] = value
    return table


def computed_table(
    candidates: Sequence[Candidate], employers: Sequence[Employer], w: Weights
) -> np.ndarray:
    n_c, n_e = len(candidates), len(employers)
    if n_c == 0 or n_e == 0:
        return np.zeros((n_c, n_e))
    total = w.sector + w.job + w.skills + w.wish
    if total == 0:
        return np.zeros((n_c, n_e))
    parts = (
        w.sector * _sector_overlap(candidates, employers)
        + w.job * _job_similarity(candidates, employers)
        + w.skills * _skill_share(candidates, employers)
        + w.wish * _wish_value(candidates, employers, w)
    )
    return np.clip(parts / total, 0.0, 1.0)


def _incidence(sets: Sequence[frozenset[str]], vocab: dict[str, int]) -> sparse.csr_matrix:
    """One row per set, one column per word of `vocab` (which holds every word of `sets`)."""
    rows: list[int] = []
    cols: list[int] = []
    for i, words in enumerate(sets):
        for word in words:
            rows.append(i)
            cols.append(vocab[word])
    data = np.ones(len(rows))
    return sparse.csr_matrix((data, (rows, cols)), shape=(len(sets), max(len(vocab), 1)))


def _pair_counts(
    left: Sequence[Iterable[str]], right: Sequence[Iterable[str]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """|L_i ∩ R_j| for all pairs, plus the sizes of each set."""
    left_sets = [frozenset(words) for words in left]
    right_sets = [frozenset(words) for words in right]
    vocab: dict[str, int] = {}
    for words in (*left_sets, *right_sets):
        for word in words:
            vocab.setdefault(word, len(vocab))
    left_m = _incidence(left_sets, vocab)
    right_m = _incidence(right_sets, vocab)
    inter = np.asarray((left_m @ right_m.T).todense())
    return inter, np.asarray(left_m.sum(axis=1)).ravel(), np.asarray(right_m.sum(axis=1)).ravel()


def _sector_overlap(candidates: Sequence[Candidate], employers: Sequence[Employer]) -> np.ndarray:
    inter, n_left, n_right = _pair_counts(
        [c.sectors for c in candidates], [e.sectors for e in employers]
    )
    smaller = np.minimum.outer(n_left, n_right)
    return np.divide(inter, smaller, out=np.zeros_like(inter), where=smaller > 0)


def _job_similarity(candidates: Sequence[Candidate], employers: Sequence[Employer]) -> np.ndarray:
    titles: list[frozenset[str]] = []
    owner: list[int] = []
    for j, emp in enumerate(employers):
        for title in split_jobs(emp.jobs):
            titles.append(normalize_words(title))
            owner.append(j)
    result = np.zeros((len(candidates), len(employers)))
    if not titles:
        return result
    inter, n_left, n_right = _pair_counts(
        [normalize_words(c.target_job) for c in candidates], titles
    )
    sizes = np.add.outer(n_left, n_right)
    dice = np.divide(2 * inter, sizes, out=np.zeros_like(inter), where=sizes > 0)
    owners = np.array(owner)
    starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
    result[:, owners[starts]] = np.maximum.reduceat(dice, starts, axis=1)
    return result


def _skill_share(candidates: Sequence[Candidate], employers: Sequence[Employer]) -> np.ndarray:
    cand_words = [frozenset().union(*(normalize_words(s) for s in c.skills)) for c in candidates]
    emp_words = [
        frozenset().union(normalize_words(e.jobs), *(normalize_words(s) for s in e.skills))
        for e in employers
    ]
    inter, n_left, _ = _pair_counts(cand_words, emp_words)
    n_left = n_left[:, None]
    return np.divide(inter, n_left, out=np.zeros_like(inter), where=n_left > 0)


def _wish_value(
    candidates: Sequence[Candidate], employers: Sequence[Employer], w: Weights
) -> np.ndarray:
    emp_index = {e.id: j for j, e in enumerate(employers)}
    cand_index = {c.id: i for i, c in enumerate(candidates)}
    by_cand = np.zeros((len(candidates), len(employers)), dtype=bool)
    by_emp = np.zeros_like(by_cand)
    for i, cand in enumerate(candidates):
        for emp_id in cand.wishes:
            if emp_id in emp_index:
                by_cand[i, emp_index[emp_id]] = True
    for j, emp in enumerate(employers):
        for cand_id in emp.wishes:
            if cand_id in cand_index:
                by_emp[cand_index[cand_id], j] = True
    return np.where(
        by_cand & by_emp,
        w.mutual_wish,
        np.where(by_cand, w.candidate_wish, np.where(by_emp, w.employer_wish, 0.0)),
    )


def _jaccard_matrix(sets: Sequence[Iterable[str]]) -> np.ndarray:
    inter, sizes, _ = _pair_counts(sets, sets)
    union = np.add.outer(sizes, sizes) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def candidate_diversity(candidates: Sequence[Candidate], w: Weights) -> np.ndarray:
    n = len(candidates)
    total = w.diversity_sector + w.diversity_age + w.diversity_programme
    if n == 0 or total == 0:
        return np.zeros((n, n))
    sector = 1.0 - _jaccard_matrix([c.sectors for c in candidates])
    age = _differ([c.age_band for c in candidates])
    programme = _differ([c.programme for c in candidates])
    div = (
        w.diversity_sector * sector + w.diversity_age * age + w.diversity_programme * programme
    ) / total
    np.fill_diagonal(div, 0.0)
    return div


def _differ(values: Sequence[str | None]) -> np.ndarray:
    """1 where two known values differ, 0 where equal, 0.5 where one is unknown."""
    codes = {v: k for k, v in enumerate(sorted({v for v in values if v is not None}))}
    arr = np.array([codes.get(v, -1) if v is not None else -1 for v in values])
    known = arr >= 0
    both = np.logical_and.outer(known, known)
    return np.where(both, (arr[:, None] != arr[None, :]).astype(float), 0.5)
