"""theory.memory.lemmas: Lemma 1/2 (stationary and finite horizon), their proof steps, and
checks."""

from __future__ import annotations

import random

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from rnnverify.theory.memory.lemmas import (
    ALL_LEMMAS,
    LemmaStep,
    brute_force_sum,
    check_step,
    lemma1,
    lemma2,
    random_sequence,
    rhs_value,
)
from rnnverify.theory.symbols import alpha, beta


@pytest.mark.parametrize("name", list(ALL_LEMMAS))
def test_every_proof_step_is_confirmed(name: str) -> None:
    lemma = ALL_LEMMAS[name]()
    assert lemma.steps, name
    exact_count = 0
    for i, step in enumerate(lemma.steps):
        c = check_step(step, finite=lemma.finite, points=1, seed=i, horizons=(3,))
        assert c.holds, (name, i, c)
        assert c.max_rel_error < 1e-12
        exact_count += c.exact is True
        assert step.latex() and step.justification
    assert exact_count >= 1
    # the chain of steps starts at the statement's left side and ends at its right side
    assert lemma.steps[0].lhs == lemma.lhs
    assert lemma.steps[-1].rhs == lemma.rhs


def test_finite_steps_are_all_exact() -> None:
    for name in ("lemma1_finite", "lemma2_finite"):
        lemma = ALL_LEMMAS[name]()
        for i, step in enumerate(lemma.steps):
            assert check_step(step, finite=True, points=0, seed=i, horizons=(2,)).exact is True


def test_a_wrong_step_is_caught() -> None:
    """(1 − αβ) in place of (1 + αβ) in Lemma 2: both the exact and the numeric check fail."""
    good = lemma2().steps[-1]
    wrong_rhs = good.rhs.subs(1 + alpha * beta, 1 - alpha * beta)
    assert wrong_rhs != good.rhs
    c = check_step(LemmaStep(good.lhs, wrong_rhs, "wrong"), finite=False, points=2)
    assert not c.holds and c.exact is False and c.max_rel_error > 1e-3


def test_a_wrong_regrouping_is_caught_numerically() -> None:
    step = lemma1().steps[0]
    wrong = LemmaStep(step.lhs, step.rhs * (1 + alpha / 100), "wrong")
    c = check_step(wrong, finite=False, points=2)
    assert not c.holds and c.max_rel_error > 1e-4


@settings(max_examples=2, deadline=None)
@given(seed=st.integers(0, 10_000), r1=st.floats(0.05, 0.5), p1=st.floats(-3.1, 3.1),
       r2=st.floats(0.05, 0.5), p2=st.floats(-3.1, 3.1))
def test_brute_force_equals_right_sides(seed, r1, p1, r2, p2) -> None:
    seq = random_sequence(random.Random(seed))
    with mpmath.workdps(40):
        a, b = r1 * mpmath.expj(p1), r2 * mpmath.expj(p2)
        for name, which, horizon in (("lemma1", 1, None), ("lemma2", 2, None),
                                     ("lemma1_finite", 1, 6), ("lemma2_finite", 2, 6)):
            value, bound = brute_force_sum(which, a, b, seq, horizon=horizon, dps=25)
            rhs = rhs_value(ALL_LEMMAS[name](), a, b, seq, horizon=horizon, dps=25)
            assert abs(value - rhs) <= bound + abs(rhs) * mpmath.mpf(10) ** -22, name


def test_statement_objects_render() -> None:
    for f in ALL_LEMMAS.values():
        lemma = f()
        assert isinstance(lemma.statement, sp.Eq)
        assert "\\sum" in lemma.latex()
        assert lemma.source and lemma.hypotheses


def test_brute_force_validates() -> None:
    seq = random_sequence(random.Random(0))
    with pytest.raises(ValueError, match="which must be 1 or 2, got 3"):
        brute_force_sum(3, 0.1, 0.1, seq)
    with pytest.raises(ValueError, match=r"\|alpha\| and \|beta\| must be < 1"):
        brute_force_sum(1, 1.0, 0.1, seq)
