"""DizzyRNN Theorems 3/4, the abs Jacobian, the tanh/ReLU contraction, and UΣV exposure."""

from __future__ import annotations

import random

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from rnnverify.theory.dizzy.singular_values import (
    regularizer,
    regularizer_gradient,
    regularizer_proof,
    scaling_bounds_mp,
    svd_scaling_proof,
)
from rnnverify.theory.dizzy.theorems import (
    STATEMENTS,
    abs_jacobian_proof,
    backprop_norms_mp,
    contraction_proof,
    recurrence_jacobian_proof,
    theorem_exact_small_n,
    theorem_lag_proof,
    theorem_proof,
)
from rnnverify.theory.proof import check_matrix_identity, rewrite_adjacent


@pytest.mark.parametrize("which", ["thm3", "thm4"])
def test_all_n_proof_reduces_the_squared_norm_to_gtg(which: str) -> None:
    steps = theorem_proof(which)
    assert all(s.checked for s in steps), [s.statement for s in steps if not s.checked]
    g = sp.MatrixSymbol("g", sp.Symbol("n", integer=True, positive=True), 1)
    assert steps[-2].rhs == sp.MatMul(g.T, g)  # the last rewrite ends at gᵀg


@pytest.mark.parametrize("lag", [1, 2, 5])
def test_any_lag_reduces_by_cancelling_from_the_middle(lag: int) -> None:
    step = theorem_lag_proof(lag)
    assert step.checked and step.evidence["rewrites"] >= 2 * lag


@pytest.mark.parametrize("n", [2, 3, 4])
@pytest.mark.parametrize("which", ["thm3", "thm4"])
def test_exact_small_n_with_symbolic_angles_and_signs(n: int, which: str) -> None:
    step = theorem_exact_small_n(n, which)
    assert step.checked and step.rhs == 0
    assert step.evidence["angles"] == n * (n - 1) // 2


def test_without_orthogonality_or_involution_the_rewrite_gets_stuck() -> None:
    n = sp.Symbol("n", integer=True, positive=True)
    R, D, g = sp.MatrixSymbol("R", n, n), sp.MatrixSymbol("D", n, n), sp.MatrixSymbol("g", n, 1)
    args = [g.T, D, R, R.T, D, g]
    stuck, _ = rewrite_adjacent(args, {(D, D): sp.Identity(n)})  # no R Rᵀ = I
    assert stuck == args
    half, _ = rewrite_adjacent(args, {(R, R.T): sp.Identity(n)})  # no D² = I
    assert half == [g.T, D, D, g]
    # the numeric checker is not fooled: gᵀ R g ≠ gᵀ g for a random orthogonal R
    bad = check_matrix_identity(sp.MatMul(g.T, R, g), sp.MatMul(g.T, g), {R: "orth", g: "vec"},
                                (3,), 1)
    assert bad > 1e-3


def test_jacobian_facts() -> None:
    for n in range(1, 6):
        assert all(s.checked for s in abs_jacobian_proof(n))
    assert all(s.checked for s in recurrence_jacobian_proof())
    assert all(s.checked for s in contraction_proof())
    assert set(STATEMENTS) == {"thm3", "thm4", "abs"}


@settings(max_examples=20, deadline=None)
@given(n=st.integers(2, 12), steps=st.integers(1, 25), k=st.one_of(st.none(), st.integers(1, 4)),
       seed=st.integers(0, 10_000))
def test_mpmath_backward_pass_preserves_the_norm(n, steps, k, seed) -> None:
    res = backprop_norms_mp(n, steps, rotations=k, seed=seed, dps=40)
    assert res.min_abs_preactivation > 0
    assert abs(res.ratio - 1) < mpmath.mpf(10) ** -30
    assert res.max_step_deviation < mpmath.mpf(10) ** -30


@settings(max_examples=10, deadline=None)
@given(n=st.integers(2, 9), steps=st.integers(1, 15), seed=st.integers(0, 10_000))
def test_square_input_preserves_the_input_gradient_norm(n, steps, seed) -> None:
    res = backprop_norms_mp(n, steps, seed=seed, square_input=True, dps=40)
    assert len(res.input_ratios) == steps
    assert max(abs(r - 1) for r in res.input_ratios) < mpmath.mpf(10) ** -30


def test_dense_rectangular_input_does_not_preserve_the_input_gradient() -> None:
    res = backprop_norms_mp(8, 20, seed=3, input_size=3, dps=30)
    assert max(abs(r - 1) for r in res.input_ratios) > 0.05  # caveat 3 of docs/theory.md §6.3


@settings(max_examples=10, deadline=None)
@given(n=st.integers(3, 9), seed=st.integers(0, 10_000), nl=st.sampled_from(["tanh", "relu"]))
def test_tanh_and_relu_never_expand_and_shrink_overall(n, seed, nl) -> None:
    res = backprop_norms_mp(n, 40, nonlinearity=nl, seed=seed, dps=30)
    ratios = [b / a for a, b in zip(res.norms, res.norms[1:], strict=False) if a != 0]
    assert max(ratios) <= 1 + mpmath.mpf(10) ** -25
    assert res.ratio < 1


def test_backprop_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="n must be an int >= 2, got 1"):
        backprop_norms_mp(1, 5)
    with pytest.raises(ValueError, match="steps must be a positive int, got 0"):
        backprop_norms_mp(4, 0)
    with pytest.raises(ValueError, match="nonlinearity must be abs, tanh or relu, got 'sigmoid'"):
        backprop_norms_mp(4, 3, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="which must be 'thm3' or 'thm4', got 'thm5'"):
        theorem_proof("thm5")


# ----------------------------------------------------------------- singular values
def test_svd_scaling_and_regularizer_proofs() -> None:
    assert all(s.checked for s in svd_scaling_proof())
    for red in ("mean", "sum"):
        assert all(s.checked for s in regularizer_proof(red))


@settings(max_examples=10, deadline=None)
@given(n=st.integers(2, 6), seed=st.integers(0, 10_000))
def test_scaling_stays_within_the_singular_values(n: int, seed: int) -> None:
    rng = random.Random(seed)
    sigma = [rng.uniform(0.1, 3.0) for _ in range(n)]
    res = scaling_bounds_mp(n, sigma, trials=3, seed=seed)
    assert res["within"]
    assert res["sigma_min"] <= res["min_ratio"] <= res["max_ratio"] <= res["sigma_max"]


def test_regularizer_values_and_gradient() -> None:
    assert regularizer([1.0, 1.0, 1.0], 5.0) == 0
    assert regularizer([2.0, 0.0], 2.0) == pytest.approx(1.0)  # λ/2 · mean = 1 · 1
    assert regularizer([2.0, 0.0], 2.0, "sum") == pytest.approx(2.0)
    assert regularizer_gradient([2.0, 0.0], 2.0) == pytest.approx([1.0, -1.0])
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'sum', got 'max'"):
        regularizer([1.0], 1.0, "max")
    with pytest.raises(ValueError, match="sigma must not be empty"):
        regularizer([], 1.0)
    with pytest.raises(ValueError, match="sigma must have n = 3 entries, got 2"):
        scaling_bounds_mp(3, [1.0, 2.0])


def test_proof_catalogues_render_and_are_all_checked() -> None:
    from rnnverify.theory.classical import proof_catalogue as classical_catalogue
    from rnnverify.theory.dizzy.theorems import proof_catalogue

    assert list(proof_catalogue()) == [
        "Givens rotation G(0,2,θ) in R^4: orthogonal, det 1",
        "Angle derivative from the output alone",
        "Round-robin schedule covers every pair once",
        "abs non-linearity: Jacobian diag(sgn a), D² = I",
        "Recurrence Jacobians ∂h_t/∂h_(t−1) = D R, ∂h_t/∂x_t = D W",
        "Theorem 3 (all n)", "Theorem 4 (all n, square W)", "Theorems 3/4 exactly for n = 2, 3, 4",
        "tanh / ReLU with the same R contract", "Singular values exposed: W = UΣV",
        "Singular-value regulariser"]
    assert list(classical_catalogue()) == [
        "γ_tanh = 1", "γ_sigmoid = 1/4", "Linear RNN: spectral radius criterion",
        "Non-linear RNN: (γ σ_max)^t bound", "Gradient clipping"]
    for catalogue in (proof_catalogue(), classical_catalogue()):
        for title, steps in catalogue.items():
            assert steps and all(s.checked for s in steps), title
            assert all(isinstance(s.latex(), str) and "=" in s.latex() for s in steps)
