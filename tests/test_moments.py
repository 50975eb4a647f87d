"""theory.memory.moments: derived moments vs published closed forms, the mpmath oracle and brute
force."""

from __future__ import annotations

import math

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from rnnverify.theory.memory.autocorr import ar1, from_expression
from rnnverify.theory.memory.moments import (
    QUANTITIES,
    cross_moments,
    finite_kernel_values,
    moment_expr,
    moments,
    published_forms,
)
from rnnverify.theory.memory.oracle import oracle_cross, oracle_moments
from rnnverify.theory.symbols import lam, rho, t

from rnnverify import strategies as rst

REL = mpmath.mpf(10) ** -25


def rel(a, b, floor=0) -> mpmath.mpf:
    """Relative error; normwise (vs 1e-15·floor) for a value that is (nearly) zero."""
    with mpmath.workdps(60):
        scale = max(abs(a), abs(b), mpmath.mpf(10) ** -15 * abs(floor))
        return abs(a - b) / scale if scale else abs(a - b)


def brute(lam_v: complex, R, *, kind: str, horizon: int | None = None, N: int = 200) -> complex:
    """Σ w λ^n conj(λ)^m R(|n−m|) directly (double precision; |λ| ≤ 0.8 so 0.8^200 ≈ 4e-20)."""
    top = N if horizon is None else horizon - 1
    lb = lam_v.conjugate()
    total = 0j
    for n in range(top + 1):
        for m in range(top + 1):
            w = 1 if kind == "h" else n * m * (lam_v ** (n - 1) if n else 0) * (
                lb ** (m - 1) if m else 0)
            total += (lam_v**n * lb**m if kind == "h" else w) * R(abs(n - m))
    return total


# ---------------------------------------------------------------- published forms
def test_real_rho_forms_equal_the_code() -> None:
    pub = published_forms()
    assert sp.simplify(moment_expr("h2") - pub["h2_real"]) == 0
    assert sp.simplify(moment_expr("dh2_dlam") - pub["dh2_dlam_real"]) == 0


def test_special_cases_rho_0_and_1() -> None:
    assert sp.simplify(moment_expr("h2", 0) - 1 / (1 - lam**2)) == 0
    assert sp.simplify(moment_expr("dh2_dlam", 0) - (1 + lam**2) / (1 - lam**2) ** 3) == 0
    assert sp.simplify(moment_expr("h2", 1.0) - 1 / (1 - lam) ** 2) == 0
    assert sp.simplify(moment_expr("dh2_dlam", 1.0) - 1 / (1 - lam) ** 4) == 0


def test_complex_forms_equal_the_research_note() -> None:
    pub = published_forms()
    for q, key in (("h2", "h2_complex"), ("dh2_dlam", "dh2_dlam_complex")):
        diff = (moment_expr(q, complex_lambda=True) - pub[key]).rewrite(sp.exp)
        assert sp.simplify(diff) == 0, q


def test_finite_white_noise_forms() -> None:
    pub = published_forms()
    assert sp.simplify(moment_expr("h2", 0, finite_t=True) - pub["h2_white_finite"]) == 0
    assert sp.simplify(moment_expr("dh2_dlam", 0, finite_t=True)
                       - pub["dh2_dlam_white_finite"]) == 0


def test_finite_t_tends_to_stationary() -> None:
    e = moment_expr("h2", finite_t=True)
    at = {lam: sp.Rational(9, 10), rho: sp.Rational(1, 2)}
    assert abs(float(e.subs(at).subs(t, 2000) - moment_expr("h2").subs(at))) < 1e-30


def test_cross_moments_equal_the_code_S() -> None:
    pub = published_forms()
    assert sp.simplify(moment_expr("cross_h") - pub["cross_h_real"]) == 0
    assert sp.simplify(moment_expr("cross_dh") - pub["cross_dh_real"]) == 0


def test_research_note_numbers() -> None:
    m = moments(0.97, autocorr=0.99)
    assert mpmath.nstr(m["h2"], 9) == "835.496341"
    assert mpmath.nstr(m["dh2_dlam"], 10) == "813156.1927"
    c = moments(0.93, theta=0.4, autocorr=0.7)
    assert mpmath.nstr(c["h2"], 10) == "18.99095806"
    assert mpmath.nstr(c["dh2_dlam"], 10) == "1953.707729"
    with mpmath.workdps(50):
        assert rel(c["dh2_dtheta"], mpmath.mpf(0.93) ** 2 * c["dh2_dlam"]) < REL


def test_gamma_coupled_iid_is_one_over_one_minus_lam2_squared() -> None:
    m = moments(0.9, autocorr=0.0, gamma="sqrt(1-lam**2)", gamma_coupled=True)
    with mpmath.workdps(50):
        assert rel(m["dh2_dlam"], 1 / (1 - mpmath.mpf(0.9) ** 2) ** 2) < REL
    e = moment_expr("dh2_dlam", 0, gamma=sp.sqrt(1 - lam**2), gamma_coupled=True)
    assert sp.simplify(e - 1 / (1 - lam**2) ** 2) == 0


# ---------------------------------------------------------------- against the oracle
@settings(max_examples=12, deadline=None)
@given(lam_v=rst.lam_real(0.999), rho_v=rst.rho(), horizon=rst.horizon(200, stationary=True))
def test_real_lambda_matches_oracle(lam_v: float, rho_v: float, horizon: int | None) -> None:
    m = moments(lam_v, autocorr=ar1(rho_v), t=horizon)
    o = oracle_moments(lam_v, rho=rho_v, t=horizon, dps=40)
    for q in ("h2", "dh2_dlam"):
        assert rel(m[q], o[q], floor=o["h2"]) < REL, q
    assert m["dh2_dtheta"] is None


@settings(max_examples=10, deadline=None)
@given(nu=rst.modulus(0.999), th=rst.angle(3.14), rho_v=rst.rho(),
       horizon=rst.horizon(100, stationary=True))
def test_complex_lambda_matches_oracle(nu: float, th: float, rho_v: float,
                                       horizon: int | None) -> None:
    m = moments(nu, theta=th, autocorr=ar1(rho_v), t=horizon)
    o = oracle_moments(nu, theta=th, rho=rho_v, t=horizon, dps=40)
    for q in ("h2", "dh2_dlam", "dh2_dtheta"):
        assert rel(m[q], o[q], floor=o["h2"]) < REL, q


@pytest.mark.parametrize("lam_v,rho_v", [(1 - 1e-8, 0.9), (1 - 1e-8, 1.0), (-(1 - 1e-8), 0.5),
                                         (1 - 1e-10, 0.0)])
def test_near_one_no_cancellation(lam_v: float, rho_v: float) -> None:
    m = moments(lam_v, autocorr=ar1(rho_v))
    o = oracle_moments(lam_v, rho=rho_v, dps=40)
    assert rel(m["h2"], o["h2"]) < REL and rel(m["dh2_dlam"], o["dh2_dlam"]) < REL
    # the published rational form at 100 digits agrees too
    pub = published_forms()
    with mpmath.workdps(100):
        f = sp.lambdify((lam, rho), pub["dh2_dlam_real"], "mpmath")
        assert rel(m["dh2_dlam"], f(mpmath.mpf(lam_v), mpmath.mpf(rho_v))) < REL


@pytest.mark.parametrize("text", ["exp(-k/10)*cos(k/3)", "0.5**k", "1/(1+k)", "exp(-k**2/50)"])
def test_user_autocorrelation_matches_oracle(text: str) -> None:
    ac = from_expression(text)
    for lam_v, th, horizon in ((0.9, None, None), (0.6, 1.1, None), (0.95, None, 40)):
        m = moments(lam_v, theta=th, autocorr=ac, t=horizon)
        o = oracle_moments(lam_v, theta=th, autocorr=ac, t=horizon, dps=40)
        for q in ("h2", "dh2_dlam", "dh2_dtheta"):
            if m[q] is not None:
                assert rel(m[q], o[q]) < REL, (text, q)


def test_normalized_gamma_matches_oracle() -> None:
    m = moments(0.999, autocorr=ar1(0.9), gamma="sqrt(1-lam**2)")
    with mpmath.workdps(60):
        g = mpmath.sqrt(1 - mpmath.mpf(0.999) ** 2)
    o = oracle_moments(0.999, rho=0.9, gamma=g, dps=40)
    assert rel(m["dh2_dlam"], o["dh2_dlam"]) < REL


@settings(max_examples=6, deadline=None)
@given(n1=rst.modulus(0.99), n2=rst.modulus(0.99), t1=rst.angle(3), t2=rst.angle(3),
       rho_v=rst.rho())
def test_cross_moments_match_oracle(n1, n2, t1, t2, rho_v) -> None:
    mine = cross_moments(n1, n2, theta=t1, theta2_value=t2, autocorr=ar1(rho_v))
    for q in ("cross_h", "cross_dh"):
        ref = oracle_cross(n1, n2, theta=t1, theta2=t2, rho=rho_v, quantity=q, dps=40)
        assert rel(mine[q], ref["value"]) < REL


# ---------------------------------------------------------------- against brute force
@settings(max_examples=5, deadline=None)
@given(nu=rst.modulus(0.8, min_value=0.05), th=rst.angle(3.1), rho_v=rst.rho(),
       horizon=rst.horizon(30, stationary=True))
def test_symbolic_expressions_equal_brute_force(nu, th, rho_v, horizon) -> None:
    """moment_expr (complex, stationary or finite t) at a point vs the defining double sum."""
    lv = nu * complex(math.cos(th), math.sin(th))

    def R(j: int) -> float:
        return rho_v**j

    sub = {lam: nu, sp.Symbol("theta", real=True): th, rho: rho_v}
    finite = horizon is not None
    if finite:
        sub[t] = horizon
    h = complex(moment_expr("h2", complex_lambda=True, finite_t=finite).subs(sub).evalf(30))
    d = complex(moment_expr("dh2_dlam", complex_lambda=True, finite_t=finite).subs(sub).evalf(30))
    bh, bd = brute(lv, R, kind="h", horizon=horizon), brute(lv, R, kind="dh", horizon=horizon)
    assert abs(h - bh) <= 1e-9 * abs(bh) and abs(d - bd) <= 1e-9 * abs(bd)


@pytest.mark.parametrize("horizon", [1, 2, 3])
def test_small_horizons_and_zero_lambda(horizon: int) -> None:
    """t = 1: d_λh_1 = 0; λ = 0: h_t = x_{t−1}, d_λh_t = x_{t−2} (t ≥ 2)."""
    m = moments(0.0, autocorr=ar1(0.5), t=horizon)
    assert m["h2"] == 1
    assert abs(m["dh2_dlam"] - (0 if horizon == 1 else 1)) < 1e-40
    c = moments(0.0, theta=1.0, autocorr=ar1(0.5), t=horizon)
    assert abs(c["dh2_dtheta"]) < 1e-40
    m1 = moments(0.7, autocorr=ar1(-0.3), t=1)
    assert abs(m1["dh2_dlam"]) < 1e-40 and abs(m1["h2"] - 1) < 1e-40


def test_finite_kernel_derivatives_match_sympy() -> None:
    from rnnverify.theory.memory.lemmas import finite_kernel

    a_s, b_s = sp.symbols("a b")
    a, b, T = mpmath.mpc(0.3, 0.4), mpmath.mpc(-0.2, 0.5), 7
    vals = finite_kernel_values(a, b, T)
    for d in range(1, T):
        w = finite_kernel(a_s, b_s, T, d)
        exprs = [w, sp.diff(w, a_s), sp.diff(w, b_s), sp.diff(w, a_s, b_s)]
        for got, e in zip(vals[d - 1], exprs, strict=True):
            want = complex(e.subs({a_s: complex(a), b_s: complex(b)}))
            assert abs(complex(got) - want) < 1e-14


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize("kwargs,match", [
    ({"lam": 1.0}, "lam"),
    ({"lam": -1.0}, "lam"),
    ({"lam": float("nan")}, "lam"),
    ({"lam": 0.5, "theta": 0.1, "gamma": "lam", "gamma_coupled": True}, "gamma_coupled"),
    ({"lam": -0.5, "theta": 0.1}, "lam"),
    ({"lam": 0.5, "t": 0}, "t"),
    ({"lam": 0.5, "t": -3}, "t"),
    ({"lam": 0.5, "autocorr": 1.5}, "rho"),
    ({"lam": 0.5, "gamma": "rho*lam"}, "rho|gamma|lam"),
    ({"lam": 0.5, "theta": float("inf")}, "theta"),
])
def test_bad_inputs_raise_value_error_naming_the_argument(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        moments(**kwargs)


def test_bad_types() -> None:
    with pytest.raises(TypeError, match="lam must be a real number, got list"):
        moments([0.5])
    with pytest.raises(TypeError, match="t must be a positive int, got float"):
        moments(0.5, t=2.5)
    with pytest.raises(ValueError, match="lam"):
        moments("__import__('os')")


def test_exact_text_input_is_the_decimal_it_spells() -> None:
    exact = moments("0.999", autocorr=ar1("0.9"))
    rational = moments(sp.Rational(999, 1000), autocorr=ar1(sp.Rational(9, 10)))
    for q in ("h2", "dh2_dlam"):
        assert exact[q] == rational[q]


def test_moment_expr_validation() -> None:
    with pytest.raises(ValueError, match="quantity"):
        moment_expr("h3")
    with pytest.raises(ValueError, match="complex"):
        moment_expr("dh2_dtheta")
    with pytest.raises(ValueError, match="gamma_coupled"):
        moment_expr("h2", complex_lambda=True, gamma_coupled=True)
    assert set(QUANTITIES) == {"h2", "dh2_dlam", "dh2_dtheta", "cross_h", "cross_dh"}
