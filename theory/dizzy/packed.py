"""Packed rotations: the round-robin (circle-method) schedule and O(kn) application.

DizzyRNN §4.2 (Dorobantu et al. 2016; docs/theory.md §6.2): a *packed rotation* is a product
of Givens rotations on disjoint coordinate pairs (a matching of {0..n−1}); the factors commute and
the product is applied in O(n).  With the n − 1 rounds of a round-robin tournament (a
1-factorisation of K_n, n even) every pair appears exactly once, giving n(n−1)/2 = dim SO(n)
angles.  For odd n the circle method adds a dummy player ("bye"): n rounds of (n−1)/2 pairs
(the authors' greedy loop never terminates for odd n, docs/theory.md §6.2).

Circle method, m = n (n even) or n + 1 (n odd, player n is the dummy), q = m − 1 (odd):
player ∞ := m − 1 is fixed, players 0..q−1 are residues mod q, and round r ∈ {0..q−1} is

    {r, ∞} ∪ {{r − d mod q, r + d mod q} : d = 1..(q−1)/2}.

Why every pair occurs exactly once (proved step by step in :func:`schedule_proof`):
{a, ∞} occurs only in round a; a finite pair {a, b} lies in round r iff a + b ≡ 2r (mod q),
which has the unique solution r ≡ (a + b)·(q+1)/2 since 2 is invertible mod odd q; and within a
round the 2·(q−1)/2 + 2 = m players are distinct.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sympy as sp
from rnnverify.theory.dizzy.givens import givens
from rnnverify.theory.proof import ProofStep, check_scalar_identity

__all__ = [
    "round_robin_schedule",
    "ScheduleReport",
    "check_schedule",
    "schedule_proof",
    "packed_rotation_matrix",
    "rotation_product_matrix",
    "apply_packed_rotation",
    "apply_packed_rotations",
    "packed_multiplication_count",
    "disjoint_givens_commute",
]


def _check_n(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if n < 2:
        raise ValueError(f"n must be >= 2, got {n}")


@lru_cache(maxsize=256)
def round_robin_schedule(n: int) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Circle-method rounds of disjoint pairs (i, j), i < j, covering every pair of {0..n−1} once.

    n even: n − 1 rounds of n/2 pairs.  n odd: n rounds of (n − 1)/2 pairs (the pair with the
    dummy player n is dropped, i.e. that coordinate is left unrotated in that round).
    """
    _check_n(n)
    m = n if n % 2 == 0 else n + 1
    q = m - 1
    rounds = []
    for r in range(q):
        pairs = [(r, q)]
        for d in range(1, (q - 1) // 2 + 1):
            pairs.append(((r - d) % q, (r + d) % q))
        kept = tuple(sorted(tuple(sorted(p)) for p in pairs if max(p) < n))
        rounds.append(kept)
    return tuple(rounds)


@dataclass(frozen=True)
class ScheduleReport:
    """What :func:`check_schedule` found for one n."""

    n: int
    rounds: int
    expected_rounds: int
    pairs_per_round: tuple[int, ...]
    every_round_a_matching: bool
    every_pair_exactly_once: bool

    @property
    def holds(self) -> bool:
        return (self.rounds == self.expected_rounds and self.every_round_a_matching
                and self.every_pair_exactly_once)


def check_schedule(n: int, schedule: Sequence[Sequence[tuple[int, int]]] | None = None
                   ) -> ScheduleReport:
    """Exhaustively check a schedule: each round disjoint, each pair of {0..n−1} once.

    Expected rounds: n − 1 for even n, n for odd n (dummy element).
    """
    _check_n(n)
    sched = round_robin_schedule(n) if schedule is None else schedule
    matching = all(len({v for p in rnd for v in p}) == 2 * len(rnd) for rnd in sched)
    counts = Counter(tuple(sorted(p)) for rnd in sched for p in rnd)
    all_pairs = {(i, j) for i in range(n) for j in range(i + 1, n)}
    once = set(counts) == all_pairs and all(c == 1 for c in counts.values())
    return ScheduleReport(n, len(sched), n - 1 if n % 2 == 0 else n,
                          tuple(len(r) for r in sched), matching, once)


@lru_cache(maxsize=1)
def schedule_proof() -> tuple[ProofStep, ...]:
    """The combinatorial argument for the circle method, for all n, as checked steps.

    Symbols: q = 2p + 1 odd (number of finite players), r the round, d, d' ∈ {1..p} offsets.
    """
    p, r, d, d2, a, b, u = sp.symbols("p r d d' a b u", integer=True)
    q = 2 * p + 1
    steps = []
    # 1. pair sum is 2r
    lhs, rhs = (r - d) + (r + d), 2 * r
    s, nm, err = check_scalar_identity(lhs, rhs, [r, d])
    steps.append(ProofStep("the two players r−d, r+d of a round-r pair sum to 2r (mod q)",
                           lhs, rhs, "algebra", s and nm, {"simplified": s, "numeric_err": err}))
    # 2. 2 is invertible mod odd q, inverse (q+1)/2 = p+1
    lhs = 2 * (p + 1) - q
    s, nm, err = check_scalar_identity(lhs, sp.Integer(1), [p])
    steps.append(ProofStep("2·(p+1) = q + 1 ≡ 1 (mod q): 2 is invertible modulo the odd q",
                           lhs, sp.Integer(1), "q = 2p + 1", s and nm,
                           {"simplified": s, "numeric_err": err}))
    # 3. hence r is unique: r ≡ (a+b)(p+1)
    lhs = (2 * u) * (p + 1) - u * q
    s, nm, err = check_scalar_identity(lhs, u, [u, p])
    steps.append(ProofStep("if a + b ≡ 2r then (a+b)(p+1) ≡ 2r(p+1) ≡ r: a finite pair {a,b} "
                           "lies in exactly one round", lhs, u, "step 2 (with u = r)", s and nm,
                           {"simplified": s, "numeric_err": err}))
    # 4. pairs are proper: (r+d) − (r−d) = 2d ∈ [2, 2p] = [2, q−1], never ≡ 0 mod q
    lhs = (r + d) - (r - d)
    s, nm, err = check_scalar_identity(lhs, 2 * d, [r, d])
    # range via non-negative slack symbols: d = 1 + e, p = d + f (e, f ≥ 0)
    e, f = sp.symbols("e f", integer=True, nonnegative=True)
    dd, pp = 1 + e, 1 + e + f
    in_range = bool(sp.expand(2 * dd - 2).is_nonnegative
                    and sp.expand((2 * pp + 1 - 1) - 2 * dd).is_nonnegative)
    steps.append(ProofStep("the two players of a pair differ: their difference 2d lies in "
                           "[2, q − 1] for d ∈ [1, p]", lhs, 2 * d, "1 ≤ d ≤ p ⇒ 2 ≤ 2d ≤ q − 1",
                           s and nm and in_range,
                           {"simplified": s, "range_by_slack_variables": in_range}))
    # 5. disjointness within a round: r+d ≡ r−d' ⇔ d + d' ≡ 0, but 2 ≤ d+d' ≤ 2p < q
    lhs = (r + d) - (r - d2)
    s, nm, err = check_scalar_identity(lhs, d + d2, [r, d, d2])
    # lower: d = 1 + e, d' = 1 + e' (e, e' ≥ 0); upper: d = p − f, d' = p − f' (f, f' ≥ 0)
    e2, f2 = sp.symbols("e' f'", integer=True, nonnegative=True)
    lower = sp.expand((1 + e) + (1 + e2) - 2)
    upper = sp.expand(q - (p - f) - (p - f2))  # = 1 + f + f'
    in_range2 = bool(lower.is_nonnegative and upper.is_positive)
    steps.append(ProofStep("a round is a matching: r + d ≡ r − d' would need q | d + d' with "
                           "2 ≤ d + d' ≤ 2p < q; r ± d ≡ r ± d' forces d = d'", lhs, d + d2,
                           "range argument", s and nm and in_range2,
                           {"simplified": s, "range_by_slack_variables": in_range2}))
    # 6. counting: q rounds × (p+1) pairs = C(2p+2, 2) pairs of m = 2p+2 players
    m = 2 * p + 2
    lhs = q * (p + 1)
    rhs = sp.binomial(m, 2)
    s, nm, err = check_scalar_identity(lhs, sp.expand_func(rhs), [p])
    steps.append(ProofStep("count: q = m − 1 rounds of m/2 pairs give m(m−1)/2 = C(m,2) pairs, "
                           "so 'at most once' (step 3) is 'exactly once'", lhs, rhs,
                           "pigeonhole", s and nm, {"simplified": s, "numeric_err": err}))
    # 7. odd n: dropping the dummy leaves n rounds of (n−1)/2 pairs covering C(n, 2)
    nn = sp.Symbol("n", integer=True, positive=True)
    lhs = nn * (nn - 1) / 2
    rhs = sp.binomial(nn + 1, 2) - nn
    s, nm, err = check_scalar_identity(lhs, sp.expand_func(rhs), [nn])
    steps.append(ProofStep("odd n: with the dummy, m = n + 1; the n pairs {a, dummy} are removed, "
                           "one per round, leaving C(n+1,2) − n = C(n,2)", rhs, lhs,
                           "each round has exactly one dummy pair", s and nm,
                           {"simplified": s, "numeric_err": err}))
    return tuple(steps)


def packed_rotation_matrix(n: int, pairs: Sequence[tuple[int, int]],
                           thetas: Sequence[Any]) -> sp.Matrix:
    """Q = ∏_{(i,j)∈pairs} G(i, j, θ_ij) as an explicit n×n SymPy matrix (the slow route)."""
    _check_n(n)
    if len(pairs) != len(thetas):
        raise ValueError(f"need one angle per pair, got {len(thetas)} for {len(pairs)} pairs")
    Q = sp.eye(n)
    for (i, j), th in zip(pairs, thetas, strict=True):
        Q = givens(n, i, j, th) * Q
    return Q


def rotation_product_matrix(n: int, rounds: Sequence[Sequence[tuple[int, int]]],
                            thetas: Sequence[Sequence[Any]]) -> sp.Matrix:
    """R = Q_k ⋯ Q_1 for rounds (pairs of Q_1 first) with the given angles, explicitly."""
    R = sp.eye(n)
    for pairs, th in zip(rounds, thetas, strict=True):
        R = packed_rotation_matrix(n, pairs, th) * R
    return R


def apply_packed_rotation(x: Sequence[Any], pairs: Sequence[tuple[int, int]],
                          cos_sin: Sequence[tuple[Any, Any]]) -> list[Any]:
    """y = Q x for one packed rotation in O(n): y_i = c x_i − s x_j, y_j = s x_i + c x_j.

    The pairs must be disjoint (a matching); ``cos_sin`` holds (cos θ, sin θ) per pair.  Any
    number type with + and * works (SymPy, mpmath, float).
    """
    if len(pairs) != len(cos_sin):
        raise ValueError(f"need one (cos, sin) per pair, got {len(cos_sin)} for {len(pairs)}")
    used = [v for p in pairs for v in p]
    if len(set(used)) != len(used):
        raise ValueError("pairs of a packed rotation must be disjoint")
    y = list(x)
    for (i, j), (c, s) in zip(pairs, cos_sin, strict=True):
        if not 0 <= i < len(x) or not 0 <= j < len(x) or i == j:
            raise ValueError(f"bad pair ({i}, {j}) for a vector of length {len(x)}")
        y[i] = c * x[i] - s * x[j]
        y[j] = s * x[i] + c * x[j]
    return y


def apply_packed_rotations(x: Sequence[Any], rounds: Sequence[Sequence[tuple[int, int]]],
                           cos_sin: Sequence[Sequence[tuple[Any, Any]]]) -> list[Any]:
    """y = Q_k ⋯ Q_1 x in O(kn): k packed rotations applied one after the other."""
    y = list(x)
    for pairs, cs in zip(rounds, cos_sin, strict=True):
        y = apply_packed_rotation(y, pairs, cs)
    return y


class _CountingNumber:
    """A number wrapper that counts multiplications (to measure the O(kn) cost exactly)."""

    count = 0

    def __init__(self, v: float) -> None:
        self.v = v

    def __mul__(self, other: _CountingNumber) -> _CountingNumber:
        _CountingNumber.count += 1
        return _CountingNumber(self.v * other.v)

    def __add__(self, other: _CountingNumber) -> _CountingNumber:
        return _CountingNumber(self.v + other.v)

    def __sub__(self, other: _CountingNumber) -> _CountingNumber:
        return _CountingNumber(self.v - other.v)


def packed_multiplication_count(n: int, k: int) -> int:
    """Multiplications used by :func:`apply_packed_rotations` for k rounds of the schedule of n.

    Measured by running the routine on counting numbers; equals 4·(pairs in the k rounds)
    ≤ 2kn, i.e. O(kn) (a dense product of k matrices applied to x costs k·n²).
    """
    _check_n(n)
    sched = round_robin_schedule(n)
    rounds = [sched[r % len(sched)] for r in range(k)]
    x = [_CountingNumber(1.0) for _ in range(n)]
    cs = [[(_CountingNumber(1.0), _CountingNumber(0.0)) for _ in rnd] for rnd in rounds]
    _CountingNumber.count = 0
    apply_packed_rotations(x, rounds, cs)
    return _CountingNumber.count


@lru_cache(maxsize=32)
def disjoint_givens_commute(n: int = 4) -> ProofStep:
    """G(0,1,α) G(2,3,β) = G(2,3,β) G(0,1,α): the factors of a packed rotation commute."""
    a, b = sp.symbols("alpha beta", real=True)
    lhs = givens(n, 0, 1, a) * givens(n, 2, 3, b)
    rhs = givens(n, 2, 3, b) * givens(n, 0, 1, a)
    s, nm, err = check_scalar_identity(lhs, rhs, [a, b])
    return ProofStep("Givens rotations on disjoint pairs commute", lhs, rhs,
                     "they act on disjoint coordinates", s and nm,
                     {"simplified": s, "numeric_err": err})
