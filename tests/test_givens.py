"""Givens rotations (DizzyRNN §4.1): orthogonality, det 1, angle derivative from the output."""

from __future__ import annotations

import math
import random
import re

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from rnnverify.theory.dizzy.givens import (
    FIXED_K,
    angle_derivative_from_output,
    angle_derivative_proof,
    givens,
    givens_apply,
    givens_orthogonality_proof,
    rotation_block,
    selection_matrix,
)
from rnnverify.theory.proof import ProofStep, check_scalar_identity


@pytest.mark.parametrize(("n", "i", "j"), [(2, 0, 1), (3, 0, 2), (5, 1, 3), (8, 0, 7)])
def test_orthogonality_and_angle_derivative_proofs_are_checked(n: int, i: int, j: int) -> None:
    steps = givens_orthogonality_proof(n, i, j) + angle_derivative_proof(n, i, j)
    assert len(steps) == 10
    assert all(isinstance(s, ProofStep) and s.checked for s in steps), [
        s.statement for s in steps if not s.checked]


def test_definition_matches_the_textbook_entries() -> None:
    th = sp.Symbol("theta", real=True)
    G = givens(4, 1, 3, th)
    assert G[1, 1] == sp.cos(th) and G[3, 3] == sp.cos(th)
    assert G[1, 3] == -sp.sin(th) and G[3, 1] == sp.sin(th)
    assert G[0, 0] == 1 and G[2, 2] == 1 and G[0, 1] == 0
    assert FIXED_K == rotation_block(sp.pi / 2)
    P = selection_matrix(4, 1, 3)
    x = sp.Matrix(sp.symbols("x0:4"))
    assert list(P * x) == [x[1], x[3]]


def test_a_false_identity_is_rejected_by_both_routes() -> None:
    th = sp.Symbol("theta")
    simplified, numeric, err = check_scalar_identity(sp.sin(th) ** 2, sp.cos(th) ** 2, [th])
    assert not simplified and not numeric and err > 1e-3


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 12), data=st.data(), theta=st.floats(-10, 10), seed=st.integers(0, 999))
def test_angle_derivative_from_output_matches_finite_differences(n, data, theta, seed) -> None:
    i = data.draw(st.integers(0, n - 2))
    j = data.draw(st.integers(i + 1, n - 1))
    rng = random.Random(seed)
    with mpmath.workdps(40):
        x = [mpmath.mpf(rng.gauss(0, 1)) for _ in range(n)]
        g = [mpmath.mpf(rng.gauss(0, 1)) for _ in range(n)]
        th = mpmath.mpf(theta)

        def loss(t):
            return mpmath.fdot(g, givens_apply(x, i, j, mpmath.cos(t), mpmath.sin(t)))

        y = givens_apply(x, i, j, mpmath.cos(th), mpmath.sin(th))
        fd = mpmath.diff(loss, th)
        assert abs(fd - angle_derivative_from_output(g, y, i, j)) < mpmath.mpf(10) ** -30
        # the output has the input's norm, and x = Gᵀ y (rotate back by −θ)
        assert abs(mpmath.norm(mpmath.matrix(y)) - mpmath.norm(mpmath.matrix(x))) < 1e-35
        back = givens_apply(y, i, j, mpmath.cos(th), -mpmath.sin(th))
        assert max(abs(a - b) for a, b in zip(back, x, strict=True)) < 1e-35


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 7), theta=st.floats(-math.pi, math.pi))
def test_explicit_matrix_equals_the_o1_update(n: int, theta: float) -> None:
    i, j = 0, n - 1
    G = givens(n, i, j, sp.Float(theta, 30))
    x = [sp.Float(k + 1, 30) for k in range(n)]
    fast = givens_apply(x, i, j, sp.cos(sp.Float(theta, 30)), sp.sin(sp.Float(theta, 30)))
    slow = G * sp.Matrix(x)
    assert max(abs(sp.N(a - b)) for a, b in zip(fast, slow, strict=True)) < 1e-25
    assert abs(sp.N(G.det()) - 1) < 1e-25


@pytest.mark.parametrize(("n", "i", "j", "exc", "match"), [
    (1, 0, 1, ValueError, "n must be >= 2, got 1"),
    (4, 2, 2, ValueError, "need 0 <= i < j < n, got i=2, j=2, n=4"),
    (4, 3, 1, ValueError, "need 0 <= i < j < n, got i=3, j=1, n=4"),
    (4, 0, 4, ValueError, "need 0 <= i < j < n, got i=0, j=4, n=4"),
    (4.0, 0, 1, TypeError, "n must be an int, got float"),
    (4, True, 2, TypeError, "i must be an int, got bool")])
def test_bad_indices_are_refused(n, i, j, exc, match) -> None:
    with pytest.raises(exc, match=f"^{re.escape(match)}$"):
        givens(n, i, j, sp.Symbol("t"))


def test_length_mismatch_is_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        angle_derivative_from_output([1.0, 2.0], [1.0, 2.0, 3.0], 0, 1)


def test_proof_step_renders() -> None:
    step = givens_orthogonality_proof(3, 0, 2)[-1]
    assert "=" in step.latex() and step.justification == step.reason
    record = step.to_json()
    assert record["checked"] is True and record["latex"]
