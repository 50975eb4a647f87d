"""Classical vanishing/exploding conditions (Pascanu et al. 2013) and gradient clipping."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from rnnverify.theory.classical import (
    GAMMA,
    activation_gamma_proof,
    clip,
    clipping_proof,
    jacobian_product_bound_proof,
    jacobian_product_mp,
    linear_power_proof,
    power_norm_bounds_mp,
)


def test_gamma_is_derived_not_assumed() -> None:
    assert GAMMA == {"tanh": 1, "sigmoid": sp.Rational(1, 4)}
    for name in ("tanh", "sigmoid"):
        steps = activation_gamma_proof(name)
        assert all(s.checked for s in steps)
        assert steps[2].rhs == GAMMA[name]  # attained at 0
    with pytest.raises(ValueError, match="activation must be 'tanh' or 'sigmoid', got 'relu'"):
        activation_gamma_proof("relu")


def test_symbolic_proofs_are_checked() -> None:
    for steps in (linear_power_proof(), jacobian_product_bound_proof(), clipping_proof()):
        assert all(s.checked for s in steps), [s.statement for s in steps if not s.checked]


def _random_with_radius(n: int, rho: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n))
    return a * rho / np.abs(np.linalg.eigvals(a)).max()


@settings(max_examples=8, deadline=None)
@given(n=st.integers(2, 4), rho=st.one_of(st.floats(0.3, 0.95), st.floats(1.05, 1.4)),
       seed=st.integers(0, 10_000))
def test_power_norms_sit_between_rho_t_and_kappa_rho_t(n: int, rho: float, seed: int) -> None:
    W = _random_with_radius(n, rho, seed)
    res = power_norm_bounds_mp(W.tolist(), 15)
    assert res["lower_holds"] and res["upper_holds"]
    assert res["rho"] == pytest.approx(rho, rel=1e-12)


@pytest.mark.parametrize(("rho", "vanishes"), [(0.9, True), (0.99, True), (1.02, False)])
def test_spectral_radius_decides_vanishing_on_random_matrices(rho: float, vanishes: bool) -> None:
    for seed in range(5):
        W = _random_with_radius(20, rho, seed)
        norms = [np.linalg.norm(np.linalg.matrix_power(W, t), 2) for t in (100, 2000)]
        # Gelfand: ‖W^t‖^(1/t) → ρ
        assert norms[1] ** (1 / 2000) == pytest.approx(rho, rel=2e-3)
        assert (norms[1] < 1e-6) == vanishes
        assert (norms[1] > 1e6) == (not vanishes)


def test_rho_one_jordan_block_grows_polynomially() -> None:
    J = np.array([[1.0, 1.0], [0.0, 1.0]])
    assert np.linalg.norm(np.linalg.matrix_power(J, 1000), 2) == pytest.approx(1000, rel=1e-2)


@settings(max_examples=10, deadline=None)
@given(act=st.sampled_from(["tanh", "sigmoid"]), n=st.integers(2, 5), steps=st.integers(1, 8),
       scale=st.floats(0.2, 6.0), seed=st.integers(0, 10_000))
def test_jacobian_products_respect_gamma_sigma_max_power(act, n, steps, scale, seed) -> None:
    res = jacobian_product_mp(n, steps, act, seed=seed, scale=scale)
    assert all(res["holds"])
    assert all(a <= b + 1e-12 for a, b in zip(res["log10_norm"], res["log10_bound"], strict=True))


def test_small_sigma_max_forces_vanishing() -> None:
    res = jacobian_product_mp(5, 40, "tanh", seed=1, scale=0.3)
    eta = res["gamma"] * res["sigma_max"]
    assert eta < 1
    assert res["log10_norm"][-1] <= 40 * math.log10(eta) + 1e-12


@settings(max_examples=40, deadline=None)
@given(g=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=12), c=st.floats(1e-3, 1e3))
def test_clip_keeps_direction_and_caps_norm(g: list[float], c: float) -> None:
    with mpmath.workdps(30):
        out = clip(g, c)
        ng = mpmath.norm(mpmath.matrix(g))
        no = mpmath.norm(mpmath.matrix(out))
        if ng == 0:
            assert no == 0
            return
        assert abs(no - min(ng, c)) <= 1e-20 * max(1, c)
        assert abs(mpmath.fdot(g, out) - ng * no) <= 1e-20 * ng * no


def test_clip_rejects_non_positive_threshold() -> None:
    with pytest.raises(ValueError, match="threshold c must be positive, got 0.0"):
        clip([1.0, 2.0], 0.0)
    with pytest.raises(ValueError, match="threshold c must be positive, got -1.0"):
        clip([1.0, 2.0], -1.0)


def test_symbolic_clip_of_a_long_vector() -> None:
    g = sp.symbols("g0:3", real=True)
    c = sp.Symbol("c", positive=True)
    out = clip(list(g), c)
    at = {g[0]: 3, g[1]: 4, g[2]: 12}  # ‖g‖ = 13
    assert [sp.nsimplify(o.subs(at).subs(c, 1)) for o in out] == [
        sp.Rational(3, 13), sp.Rational(4, 13), sp.Rational(12, 13)]
    assert all(o.subs(at).subs(c, 100) == at[x] for o, x in zip(out, g, strict=True))
