"""Back-propagated norm vs lag (numerics.dizzy.gradnorm, numerics.dizzy.orthogonal_maps): Theorems
3 and 4
over 10⁴ steps in float64, vanishing for tanh/relu with the same rotations, two routes agree."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from rnnverify.numerics.dizzy.gradnorm import (
    check_orthogonal_map,
    dizzy_gradient_norms,
    gradient_norms,
)
from rnnverify.numerics.dizzy.orthogonal_maps import (
    ORTHOGONAL_MAPS,
    orthogonality_error,
    resolve_orthogonal_map,
)


@pytest.mark.parametrize("hidden,square_input", [(64, False), (31, True)])
def test_abs_preserves_the_norm_over_ten_thousand_steps(hidden, square_input):
    res = dizzy_gradient_norms(hidden, 10_000, square_input=square_input, seed=1)
    # rounding only: each step is an exact isometry in exact arithmetic; 10⁴ steps of ~1e-16
    assert abs(res.grad_norm_ratio - 1.0) < 1e-11
    assert res.max_step_deviation < 1e-14
    assert np.all(np.abs(res.grad_norms - 1.0) < 1e-11)
    if square_input:  # Theorem 4: ‖∂L/∂x_t‖ = ‖∂L/∂h_t‖ at every step
        lo, hi = res.input_grad_ratio_range
        assert 1 - 1e-13 < lo <= hi < 1 + 1e-13
    else:  # a dense, non-square W does not preserve it (docs/theory.md §6.3 caveat 3)
        assert max(abs(r - 1.0) for r in res.input_grad_ratio_range) > 0.1


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_tanh_and_relu_vanish_with_the_same_rotations(nonlinearity):
    res = dizzy_gradient_norms(33, 2_000, nonlinearity=nonlinearity, seed=1)
    assert res.log10_grad_norm_ratio < -100  # measured in logs, below what float64 can show
    assert np.all(res.step_ratios[np.isfinite(res.step_ratios)] <= 1.0 + 1e-12)
    assert res.max_step_deviation > 0.1


@pytest.mark.parametrize("nonlinearity", ["abs", "tanh"])
def test_vjp_route_agrees_with_whole_loop_autograd(nonlinearity):
    kw = dict(hidden=12, steps=150, nonlinearity=nonlinearity, square_input=True, seed=3)
    a = dizzy_gradient_norms(method="vjp", **kw)
    b = dizzy_gradient_norms(method="autograd", **kw)
    assert np.allclose(a.log_grad_norms, b.log_grad_norms, atol=1e-9, rtol=0)
    assert np.allclose(a.log_input_grad_norms, b.log_input_grad_norms, atol=1e-9, rtol=0)


def test_linear_contraction_matches_closed_form():
    """h_t = λ h_{t−1} + x_t (scalar): ‖∂L/∂h_t‖ = |λ|^{T−t} exactly."""
    lam, steps = 0.9, 40
    res = gradient_norms(lambda h, x: lam * h + x, torch.zeros(steps, 1, dtype=torch.float64),
                         torch.zeros(1, dtype=torch.float64), torch.ones(1, dtype=torch.float64))
    expected = (steps - np.arange(steps + 1)) * math.log(lam)
    assert np.allclose(res.log_grad_norms, expected, atol=1e-12)
    assert res.grad_norm_ratio == pytest.approx(lam ** steps, rel=1e-12)
    assert res.max_step_deviation == pytest.approx(1 - lam, rel=1e-12)


def test_relu_signal_killed_exactly_is_reported_as_minus_inf():
    res = gradient_norms(lambda h, x: torch.relu(-torch.ones_like(h) + 0 * h + 0 * x),
                         torch.zeros(5, 1, dtype=torch.float64),
                         torch.zeros(3, dtype=torch.float64))
    assert res.grad_norm_ratio == 0.0 and res.log_grad_norms[0] == -np.inf
    assert res.max_step_deviation == 1.0


@pytest.mark.parametrize("name", sorted(ORTHOGONAL_MAPS))
def test_orthogonal_maps_preserve_norms(name):
    q = resolve_orthogonal_map(name)(9, generator=torch.Generator().manual_seed(0),
                                     dtype=torch.float64)
    assert orthogonality_error(q) < 1e-12
    assert not torch.allclose(q, torch.eye(9, dtype=torch.float64))  # a random point, not I
    x = torch.randn(20, 9, dtype=torch.float64)
    assert torch.allclose(torch.linalg.vector_norm(x @ q.T, dim=1),
                          torch.linalg.vector_norm(x, dim=1), atol=1e-12)
    summary = check_orthogonal_map(name, hidden=9, steps=500, seed=2)
    assert abs(summary["grad_norm_ratio"] - 1.0) < 1e-11


def test_user_callable_and_bad_map_name():
    def scaled_identity(n, *, generator=None, dtype=torch.float64):
        return 0.99 * torch.eye(n, dtype=dtype)

    summary = check_orthogonal_map(scaled_identity, hidden=4, steps=100)
    assert summary["grad_norm_ratio"] == pytest.approx(0.99 ** 100, rel=1e-9)
    with pytest.raises(ValueError, match="valid maps: givens, matrix_exp, cayley, householder"):
        resolve_orthogonal_map("expm")


def test_same_seed_same_numbers_and_bad_input():
    a = dizzy_gradient_norms(8, 50, seed=4).log_grad_norms
    b = dizzy_gradient_norms(8, 50, seed=4).log_grad_norms
    assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="steps"):
        dizzy_gradient_norms(8, 0)
    with pytest.raises(ValueError, match="method"):
        dizzy_gradient_norms(8, 5, method="fd")
