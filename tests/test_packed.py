"""Round-robin schedule and packed rotations (DizzyRNN §4.2)."""

from __future__ import annotations

import math
import random
from itertools import combinations

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from rnnverify.theory.dizzy.givens import givens
from rnnverify.theory.dizzy.packed import (
    apply_packed_rotation,
    apply_packed_rotations,
    check_schedule,
    disjoint_givens_commute,
    packed_multiplication_count,
    packed_rotation_matrix,
    rotation_product_matrix,
    round_robin_schedule,
    schedule_proof,
)


def test_schedule_is_exhaustively_correct_up_to_64_and_a_few_beyond() -> None:
    for n in [*range(2, 65), 99, 100, 101, 128]:
        rep = check_schedule(n)
        assert rep.holds, rep
        assert rep.rounds == (n - 1 if n % 2 == 0 else n)
        assert set(rep.pairs_per_round) == {n // 2}


def test_odd_n_leaves_exactly_one_coordinate_idle_per_round() -> None:
    for n in (3, 5, 7, 9, 11):
        idle = [set(range(n)) - {v for p in rnd for v in p} for rnd in round_robin_schedule(n)]
        assert all(len(s) == 1 for s in idle)
        assert {next(iter(s)) for s in idle} == set(range(n))  # each sits out exactly once


def test_checker_rejects_broken_schedules() -> None:
    good = [list(r) for r in round_robin_schedule(6)]
    dup = [*good[:-1], [good[0][0], *good[-1][1:]]]  # a pair twice, another missing
    assert not check_schedule(6, dup).every_pair_exactly_once
    overlap = [[(0, 1), (1, 2)], *good[1:]]
    assert not check_schedule(6, overlap).every_round_a_matching
    assert not check_schedule(6, good[:-1]).holds


def test_combinatorial_proof_steps_are_checked() -> None:
    steps = schedule_proof()
    assert len(steps) == 7 and all(s.checked for s in steps)
    assert disjoint_givens_commute().checked


def test_overlapping_givens_do_not_commute() -> None:
    a, b = sp.symbols("a b", real=True)
    lhs = givens(3, 0, 1, a) * givens(3, 1, 2, b)
    rhs = givens(3, 1, 2, b) * givens(3, 0, 1, a)
    assert sp.simplify(lhs - rhs) != sp.zeros(3)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 12), k=st.integers(1, 4), seed=st.integers(0, 10_000))
def test_o_kn_application_equals_explicit_givens_product(n: int, k: int, seed: int) -> None:
    rng = random.Random(seed)
    full = round_robin_schedule(n)
    rounds = [full[r % len(full)] for r in range(k)]
    with mpmath.workdps(30):
        th = [[mpmath.mpf(rng.uniform(0, 2 * math.pi)) for _ in rnd] for rnd in rounds]
        x = [mpmath.mpf(rng.gauss(0, 1)) for _ in range(n)]
        fast = apply_packed_rotations(x, rounds, [[(mpmath.cos(t), mpmath.sin(t)) for t in row]
                                                  for row in th])
        R = rotation_product_matrix(n, rounds, [[sp.Float(str(t), 30) for t in row]
                                                for row in th])
        slow = R * sp.Matrix([sp.Float(str(v), 30) for v in x])
        assert max(abs(float(a) - float(b)) for a, b in zip(fast, slow, strict=True)) < 1e-12
        assert abs(mpmath.norm(mpmath.matrix(fast)) - mpmath.norm(mpmath.matrix(x))) < 1e-25


@settings(max_examples=20, deadline=None)
@given(n=st.integers(2, 40), k=st.integers(1, 45))
def test_cost_is_o_kn(n: int, k: int) -> None:
    full = round_robin_schedule(n)
    pairs = sum(len(full[r % len(full)]) for r in range(k))
    mults = packed_multiplication_count(n, k)
    assert mults == 4 * pairs <= 2 * k * n


def test_full_schedule_has_dim_so_n_angles() -> None:
    for n in range(2, 30):
        assert sum(len(r) for r in round_robin_schedule(n)) == n * (n - 1) // 2 == len(
            list(combinations(range(n), 2)))


def test_packed_rotation_matrix_is_orthogonal_symbolically() -> None:
    rnd = round_robin_schedule(5)[0]
    th = sp.symbols(f"t0:{len(rnd)}", real=True)
    Q = packed_rotation_matrix(5, rnd, th)
    assert sp.simplify(Q.T * Q - sp.eye(5)) == sp.zeros(5)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="disjoint"):
        apply_packed_rotation([1, 2, 3], [(0, 1), (1, 2)], [(1, 0), (1, 0)])
    with pytest.raises(ValueError, match=r"need one \(cos, sin\) per pair, got 0 for 1"):
        apply_packed_rotation([1, 2, 3], [(0, 1)], [])
    with pytest.raises(ValueError, match="n must be >= 2, got 1"):
        round_robin_schedule(1)
    with pytest.raises(TypeError, match="n must be an int, got float"):
        round_robin_schedule(4.0)
    with pytest.raises(ValueError, match="need one angle per pair, got 0 for 1 pairs"):
        packed_rotation_matrix(4, [(0, 1)], [])


def test_numerics_schedule_passes_the_theory_checker() -> None:
    from rnnverify.numerics.dizzy.rotations import round_robin_schedule as numeric_schedule

    for n in range(2, 65):
        assert check_schedule(n, numeric_schedule(n)).holds, n
