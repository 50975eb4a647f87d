"""theory.params.parametrizations: chain rule, presets, regimes (docs/theory.md §4)."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from rnnverify.theory.memory.oracle import oracle_moments
from rnnverify.theory.params.parametrizations import (
    PRESETS,
    from_expressions,
    preset,
    regimes,
    sensitivity_expr,
)
from rnnverify.theory.symbols import lam, theta

R = sp.Rational


def test_wrong_preset_name_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown parametrization 'expm'; valid: ") as err:
        preset("expm")
    for name in ("identity", "exp", "polar", "lru", "tanh_optimal", "lru_normalized"):
        assert name in str(err.value)


def test_every_preset_builds_and_has_params() -> None:
    for name in PRESETS:
        par = preset(name)
        assert par.params and par.lam_expr().free_symbols
        assert (par.gamma is not None) == name.endswith("_normalized")


def test_tanh_optimal_is_exactly_flat() -> None:
    """§3.6: γ² E|d_ων h|² = 1 + ν² and γ² E|d_ωθ h|² = 1 (i.i.d. input)."""
    par = preset("tanh_optimal_normalized")
    assert sp.simplify(sensitivity_expr(par, "omega_nu", 0) - (1 + lam**2)) == 0
    e = sensitivity_expr(par, "omega_theta", 0)
    assert sp.simplify((e - 1).rewrite(sp.exp)) == 0


def test_identity_is_the_moment() -> None:
    from rnnverify.theory.memory.moments import moment_expr

    e = sensitivity_expr(preset("identity"), "lam", 0.5)
    assert sp.simplify(e - moment_expr("dh2_dlam", 0.5)) == 0


def test_regimes_exp_normalized() -> None:
    rs = regimes(preset("exp_normalized"), "omega_nu", rhos=(0, R(1, 2), R(9, 10), 1))
    assert [(r.order, r.coefficient, r.bounded) for r in rs] == [
        (0, R(1, 2), True), (0, R(3, 2), True), (0, R(19, 2), True), (1, 2, False)]
    js = rs[0].to_json()
    assert js["bounded"] is True and js["order"] == 0.0 and js["coefficient"] == 0.5


def test_regimes_exp_unnormalized_and_angles_explode() -> None:
    (r0,) = regimes(preset("exp"), "omega_nu", rhos=(0,))
    assert (r0.order, r0.coefficient, r0.bounded) == (1, R(1, 4), False)
    (a,) = regimes(preset("polar_normalized"), "theta", rhos=(0,))
    assert (a.order, a.coefficient, a.bounded) == (2, R(1, 2), False)
    (b,) = regimes(preset("lru_normalized"), "omega_theta", rhos=(0,))
    assert b.order == 2 and sp.simplify(b.coefficient - theta**2 / 2) == 0 and not b.bounded


def test_user_autocorrelation_regime() -> None:
    (r,) = regimes(preset("exp_normalized"), "omega_nu", rhos=(), autocorrs=("0.5**k",))
    assert (r.order, r.coefficient, r.bounded) == (0, R(3, 2), True)
    assert r.rho == "0.5**k"


def test_user_parametrization_matches_preset() -> None:
    user = from_expressions("exp(-exp(w))", ["w"])
    e_user = sensitivity_expr(user, "w", 0)
    e_pre = sensitivity_expr(preset("exp"), "omega_nu", 0)
    assert sp.simplify(e_user - e_pre) == 0
    with pytest.raises(ValueError, match="refused: call of unknown function '__import__'"):
        from_expressions("__import__('os')", ["w"])
    with pytest.raises(ValueError, match="lam expression must depend on a parameter"):
        from_expressions("0.5", ["w"])
    with pytest.raises(ValueError, match="not one of"):
        user.param("v")


def test_coupled_gamma_exp_tends_to_a_quarter() -> None:
    """§3.4: γ(λ) = √(1−λ²) differentiated + exp reparametrization → 1/4 (i.i.d.)."""
    user = from_expressions("exp(-exp(w))", ["w"], gamma_text="sqrt(1-lam**2)", coupled=True)
    (r,) = regimes(user, "w", rhos=(0,))
    assert (r.order, r.coefficient, r.bounded) == (0, R(1, 4), True)


@settings(max_examples=4, deadline=None)
@given(nu=st.floats(0.2, 0.99), th=st.floats(0.1, 3.0),
       name=st.sampled_from(["lru_normalized", "tanh_optimal_normalized", "polar"]),
       which=st.integers(0, 1))
def test_chain_rule_against_oracle(nu: float, th: float, name: str, which: int) -> None:
    """E|d_p h|² = E|γ ∂λ/∂p d_λh̃|²: the oracle with input gain γ·∂λ/∂p (mpmath.diff)."""
    par = preset(name)
    p = par.params[which]
    e = sensitivity_expr(par, p, 0.5)
    with mpmath.workdps(60):
        env = {lam: nu, theta: th}
        pv = {q: mpmath.mpf(sp.N(par.inverse[q].subs(env), 60)) for q in par.params}
        consts = {c: sp.N(v.subs({q: pv[q] for q in par.params}), 60)
                  for c, v in par.constants.items()}
        lam_map = sp.lambdify(p, (par.nu * sp.exp(sp.I * par.theta)).subs(consts).subs(
            {q: pv[q] for q in par.params if q != p}), "mpmath")
        dl = mpmath.diff(lam_map, pv[p])
        g = mpmath.sqrt(1 - mpmath.mpf(nu) ** 2) if par.gamma is not None else 1
        o = oracle_moments(nu, theta=th, rho=0.5, gamma=g * dl, dps=40)
        mine = complex(sp.N(e.subs(env), 40))
        assert abs(mine - complex(o["dh2_dlam"])) <= 1e-12 * abs(mine)


def test_complex_coefficients_are_shown_with_cosines() -> None:
    rs = regimes(preset("lru_normalized"), "omega_theta", rhos=(R(1, 2),))
    c = rs[0].coefficient
    assert not c.has(sp.I)
    assert sp.simplify(c - 3 * theta**2 / (10 - 8 * sp.cos(theta))) == 0
