"""Groups of candidates without employers (co-searching groups, cohorts).

The goal is diversity — weak ties open the most doors — and new faces every round. Per site
and round, candidates are split into as few rooms as needed, with balanced sizes (so the
sum of pair diversities cannot be gamed by uneven groups).

The objective is lexicographic: first the fewest *repeated meetings* (a pair sharing a room
in m rounds counts m - 1), then the largest sum of pair diversities ``d(c1, c2)`` over every
room and round. So nobody meets the same person twice while a plan without repeats is found.

1. Construction, round by round: greedy (each candidate joins the group where they add the
   most), then best-improvement swaps computed for all pairs at once with NumPy, from a few
   seeded orders; the pair weight in round t is ``d - B·[the pair met in another round]``
   with ``B`` larger than any diversity change of one swap.
2. Tabu search over all rounds at once on swaps of two candidates of different groups in one
   round (Dotú & Van Hentenryck's search for the social golfer problem): every iteration
   makes the best swap that is not tabu (or that beats the best plan so far), only among
   candidates in a repeated pair while there are any; a swapped pair stays tabu for a few
   iterations; the search is shaken by random swaps when it stalls. It stops when the plan
   has no repeat and has not improved for a while, or at the time cap. Seeded, so
   deterministic unless the time cap cuts it short.

Repeats cannot always be avoided. Over r rounds everyone meets at most ``n - 1`` people,
so ``r (g - 1) <= n - 1`` is needed; and a group of s people in one round draws them from the
G groups of any other round, so when ``s > G`` some of them were together before — at
least ``Σ_i C(k_i, 2)`` pairs, the s people spread as evenly as possible over G groups
(:func:`repeat_floor`). So 24 people in 4 groups of 6 over 3 rounds repeat at least 16
meetings, 32 in 4 groups of 8 at least 32. When the search reaches that floor, the number of
repeats is proven minimal, and only diversity is still improved; otherwise it runs until the
time cap (the floor is not always reachable: no 4 rounds of 6 groups of 6 without repeats
exist, as there are no two orthogonal Latin squares of order 6).
"""

from __future__ import annotations

import math
import time

import numpy as np

from matching.problem import Problem, RoomState, Rounds, met_before_among

_RESTARTS = 4
SITE_SECONDS = 2.0  # time cap of the tabu search per site
_PATIENCE = 400  # iterations without improvement before stopping, once repeats are minimal
_PATIENCE_PER_PERSON = 20
_SHAKE_AFTER = 150  # iterations without improvement before random swaps
_MAX_ITERATIONS = 200_000


def solve_groups(problem: Problem, seed: int, deadline: float) -> Rounds:
    rng = np.random.default_rng(seed)
    rounds: Rounds = [[] for _ in range(problem.n_rounds)]
    for s in range(len(problem.site_ids)):
        members = np.flatnonzero(problem.admitted & (problem.cand_site == s))
        n_groups = min(int(problem.rooms[s]), math.ceil(len(members) / problem.k_c))
        if len(members) == 0 or n_groups == 0:
            continue
        diversity = problem.tables.candidate_diversity(members.tolist())
        big = _repeat_weight(problem)
        prior = met_before_among(problem, members)
        together = prior.copy()
        labels: list[np.ndarray] = []
        for _t in range(problem.n_rounds):
            label = _best_partition(diversity, together, big, problem.k_c, n_groups, rng, deadline)
            labels.append(label)
            together += _same(label)
        if len(members) > 1:
            site_deadline = min(deadline, time.perf_counter() + SITE_SECONDS)
            labels = tabu_search(diversity, labels, big, rng, site_deadline, prior)
        for t, label in enumerate(labels):
            for g in range(n_groups):
                rounds[t].append(RoomState(s, [], members[label == g].tolist()))
    return rounds


def _repeat_weight(problem: Problem) -> float:
    """Cost of a repeated meeting: more than one swap can gain in diversity (2 (g - 1))."""
    return max(problem.tables.weights.repeat_penalty, 2.0 * problem.k_c + 1.0)


def repeats(labels: list[np.ndarray], prior: np.ndarray | None = None) -> int:
    """Repeated meetings: Σ over pairs of max(0, rounds together - 1).

    ``prior`` (0/1 per pair) counts a meeting at an earlier edition as one round together.
    """
    count = sum(_same(label).astype(int) for label in labels)
    if prior is not None:
        count = count + prior
    return int(np.maximum(count - 1, 0).sum() // 2)


def diversity_of(labels: list[np.ndarray], diversity: np.ndarray) -> float:
    return float(sum((diversity * _same(label)).sum() for label in labels) / 2)


def tabu_search(
    diversity: np.ndarray,
    labels: list[np.ndarray],
    big: float,
    rng: np.random.Generator,
    deadline: float,
    prior: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Improve (fewest repeats, then most diversity) by tabu search on swaps; see the module.

    ``prior`` marks pairs who met at an earlier edition: a meeting today repeats it. The
    floor below ignores them, so it stays a lower bound (the search may just run longer).
    """
    n, n_rounds = len(diversity), len(labels)
    labels = [label.copy() for label in labels]
    n_groups = int(max(label.max() for label in labels)) + 1
    if n_groups < 2:
        return labels
    patience = _PATIENCE + _PATIENCE_PER_PERSON * n
    floor = repeat_floor([np.bincount(label[label >= 0], minlength=n_groups) for label in labels])
    same = [_same(label).astype(np.int32) for label in labels]
    count: np.ndarray = np.stack(same).sum(axis=0, dtype=np.int32)  # _apply updates it in place
    if prior is not None:
        count += prior.astype(np.int32)
    tabu = np.zeros((n_rounds, n, n), dtype=np.int64)
    tenure_low, tenure_high = 3, max(6, n // 2)
    conflicts, value = repeats(labels, prior), diversity_of(labels, diversity)
    best = (conflicts, -value)
    best_labels = [label.copy() for label in labels]
    last_gain = 0
    for it in range(1, _MAX_ITERATIONS + 1):
        stalled = it - last_gain
        if stalled > patience and best[0] <= floor:
            break
        if (it & 15) == 0 and time.perf_counter() > deadline:
            break
        if stalled % _SHAKE_AFTER == 0:
            for _ in range(max(2, n // 8)):
                t = int(rng.integers(n_rounds))
                a, b = _random_pair(labels[t], rng)
                if a >= 0:
                    _apply(labels, same, count, t, a, b)
            conflicts, value = repeats(labels, prior), diversity_of(labels, diversity)
            continue
        move = _best_move(
            diversity, labels, same, count, big, tabu, it, best, conflicts, value, rng
        )
        if move is None:
            break
        t, a, b, d_conf, d_div = move
        _apply(labels, same, count, t, a, b)
        conflicts += d_conf
        value += d_div
        tabu[t, a, b] = tabu[t, b, a] = it + int(rng.integers(tenure_low, tenure_high + 1))
        if (conflicts, -value) < (best[0], best[1] - 1e-9):
            best = (conflicts, -value)
            best_labels = [label.copy() for label in labels]
            last_gain = it
    return best_labels


def repeat_floor(sizes: list[np.ndarray]) -> int:
    """Lower bound on repeated meetings, from the group sizes of every round (see module)."""
    overlap = 0
    for t, later in enumerate(sizes):
        for earlier in sizes[:t]:
            n_old = int((earlier > 0).sum())
            for s in later.tolist():
                base, extra = divmod(int(s), max(n_old, 1))
                overlap += extra * math.comb(base + 1, 2) + (n_old - extra) * math.comb(base, 2)
    r = len(sizes)
    # A pair together in m rounds adds C(m, 2) to the overlap and m - 1 repeats: 2 / m >= 2 / r.
    return math.ceil(2 * overlap / r - 1e-9) if r > 1 else 0


def _random_pair(label: np.ndarray, rng: np.random.Generator) -> tuple[int, int]:
    seated = np.flatnonzero(label >= 0)
    for _ in range(10):
        a, b = rng.choice(seated, 2, replace=False)
        if label[a] != label[b]:
            return int(a), int(b)
    return -1, -1


def _apply(
    labels: list[np.ndarray], same: list[np.ndarray], count: np.ndarray, t: int, a: int, b: int
) -> None:
    count -= same[t]
    label = labels[t]
    label[a], label[b] = label[b], label[a]
    same[t] = _same(label).astype(np.int32)
    count += same[t]


def _best_move(
    diversity: np.ndarray,
    labels: list[np.ndarray],
    same: list[np.ndarray],
    count: np.ndarray,
    big: float,
    tabu: np.ndarray,
    it: int,
    best: tuple[int, float],
    conflicts: int,
    value: float,
    rng: np.random.Generator,
) -> tuple[int, int, int, int, float] | None:
    """Best admissible swap over all rounds: (round, a, b, Δrepeats, Δdiversity) or None."""
    n = len(diversity)
    chosen, chosen_key = None, None
    noise = rng.random((n, n)) * 1e-7
    for t, label in enumerate(labels):
        seated = label >= 0
        others = count - same[t]
        met = (others >= 1).astype(float)
        n_groups = int(label.max()) + 1
        one_hot = np.zeros((n, n_groups))
        one_hot[seated, label[seated]] = 1.0
        d_sums, m_sums = diversity @ one_hot, met @ one_hot
        idx = np.maximum(label, 0)
        rows = np.arange(n)
        d_gain = _swap_gain(d_sums, idx, rows, diversity)
        m_gain = _swap_gain(m_sums, idx, rows, met)  # change in repeated meetings
        valid = seated[:, None] & seated[None, :] & (label[:, None] != label[None, :])
        if conflicts > 0:  # only move candidates who are in a repeated pair
            hot = ((same[t] > 0) & (others >= 1)).any(axis=1)
            valid &= hot[:, None] | hot[None, :]
        score = d_gain - big * m_gain + noise
        allowed = valid & (tabu[t] <= it)
        new_conf = conflicts + m_gain
        aspire = valid & (
            (new_conf < best[0]) | ((new_conf == best[0]) & (value + d_gain > -best[1] + 1e-9))
        )
        allowed |= aspire
        if not allowed.any():
            continue
        masked = np.where(allowed, score, -np.inf)
        flat = int(np.argmax(masked))
        a, b = divmod(flat, n)
        key = masked[a, b]
        if chosen_key is None or key > chosen_key:
            chosen_key = key
            chosen = (t, a, b, int(np.rint(m_gain[a, b])), float(d_gain[a, b]))
    return chosen


def _swap_gain(
    sums: np.ndarray, idx: np.ndarray, rows: np.ndarray, weight: np.ndarray
) -> np.ndarray:
    """gain[a, b] of swapping a and b (different groups) for pair weights ``weight``."""
    own = sums[rows, idx]
    cross = sums[:, idx]  # cross[a, b] = Σ_{y in group(b)} w(a, y)
    return cross + cross.T - own[:, None] - own[None, :] - 2 * weight


def _same(label: np.ndarray) -> np.ndarray:
    same = (label[:, None] == label[None, :]).astype(np.int16)
    np.fill_diagonal(same, 0)
    return same


def _best_partition(
    diversity: np.ndarray,
    together: np.ndarray,
    big: float,
    k_c: int,
    n_groups: int,
    rng: np.random.Generator,
    deadline: float,
) -> np.ndarray:
    """One round's groups given who already met (``together``): greedy, then swaps."""
    weight = diversity - big * (together >= 1)
    n = len(weight)
    best_label, best_value = None, -np.inf
    for attempt in range(_RESTARTS):
        if attempt and time.perf_counter() > deadline:
            break
        label = _greedy(weight, n_groups, rng.permutation(n), k_c)
        label = _swap_search(weight, label, n_groups)
        value = float((weight * _same(label)).sum() / 2)
        if value > best_value + 1e-12:
            best_label, best_value = label, value
    assert best_label is not None
    return best_label


def _greedy(weight: np.ndarray, n_groups: int, order: np.ndarray, k_c: int) -> np.ndarray:
    n = len(weight)
    base, extra = divmod(n, n_groups)
    sizes = np.array([base + (g < extra) for g in range(n_groups)])
    sizes = np.minimum(sizes, k_c)
    label = np.full(n, -1)
    gain = np.zeros((n, n_groups))
    count = np.zeros(n_groups, dtype=int)
    for c in order.tolist():
        open_groups = count < sizes
        if not open_groups.any():
            break
        score = np.where(open_groups, gain[c] - 1e-6 * count, -np.inf)
        g = int(np.argmax(score))
        label[c] = g
        count[g] += 1
        gain[:, g] += weight[:, c]
    return label


def _swap_search(weight: np.ndarray, label: np.ndarray, n_groups: int) -> np.ndarray:
    """Best-improvement swaps of two candidates from different groups."""
    seated = label >= 0
    one_hot = np.zeros((len(label), n_groups))
    one_hot[seated, label[seated]] = 1.0
    sums = weight @ one_hot  # sums[x, g] = Σ_{y in g} w(x, y)
    for _ in range(20 * len(label)):
        own = np.where(seated, sums[np.arange(len(label)), np.maximum(label, 0)], 0.0)
        cross = sums[:, np.maximum(label, 0)]  # cross[a, b] = Σ_{y in group(b)} w(a, y)
        gain = cross + cross.T - own[:, None] - own[None, :] - 2 * weight
        valid = seated[:, None] & seated[None, :] & (label[:, None] != label[None, :])
        gain = np.where(valid, gain, -np.inf)
        flat = int(np.argmax(gain))
        a, b = divmod(flat, len(label))
        if gain[a, b] <= 1e-9:
            break
        ga, gb = label[a], label[b]
        label[a], label[b] = gb, ga
        sums[:, ga] += weight[:, b] - weight[:, a]
        sums[:, gb] += weight[:, a] - weight[:, b]
    return label
