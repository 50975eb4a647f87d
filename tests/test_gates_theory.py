"""Random gates, theory layer: parsing, gate moments, the derived second moments against
the covariance-recursion oracle (docs/theory.md §10)."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from rnnverify.theory.gates.gate import NOISE, parse_gate
from rnnverify.theory.gates.gate_moments import gate_moments, normal_expectation_exact
from rnnverify.theory.gates.oracle import oracle_second_moments
from rnnverify.theory.gates.second_moments import (
    a1,
    a2,
    b1,
    b2,
    c,
    finite_values,
    gamma_s,
    pair_expectation,
    rho_s,
    stationary_expr,
    stationary_values,
)
from rnnverify.theory.memory.autocorr import ar1
from rnnverify.theory.memory.moments import moments as constant_moments

from rnnverify.errors import ArgumentValueError

MAMBA = "exp(-exp(w + s*u))"
SIGMOID = "1/(1 + exp(-(w + s*u)))"


def rel(a, b):
    return abs(a - b) / abs(b)


@pytest.mark.parametrize(("gate", "wrt", "at", "argument", "match"), [
    ("exp(-exp(w))", "w", "w=1", "gate", "does not use the noise symbol u"),
    (MAMBA, "q", "w=1,s=1", "wrt", "'q' is not a parameter"),
    ("exp(-exp(w + s*u + zz))", "w", "w=1,s=1", "gate", "unknown symbol 'zz'"),
    (MAMBA, "w", "s=1", "at", "give the value of the parameter 'w'"),
    (MAMBA, "w", "w=1,s=1,q=2", "at", "q not in the gate"),
    ("exp(-exp(lam*u))", "lam", "lam=1", "gate", "'lam' is a reserved name"),
    ("exp(-foo(w*u))", "w", "w=1", "gate", "unknown function 'foo'"),
])
def test_bad_gates_name_their_argument(gate, wrt, at, argument, match):
    with pytest.raises(ArgumentValueError, match=match) as info:
        parse_gate(gate, wrt, at)
    assert info.value.argument == argument


def test_parse_gate_selective_and_values():
    g = parse_gate("exp(-exp(w + s*u + a*x))", "w", {"w": -2, "s": "0.5", "a": 0.25})
    assert g.selective and g.p_value == -2
    assert g.point[sp.Symbol("s", real=True)] == sp.Rational(1, 2)
    assert not parse_gate(MAMBA, "w", "w=-2,s=0.5").selective


def test_exact_normal_expectations():
    u = NOISE
    b = sp.Rational(3, 10)
    assert normal_expectation_exact(sp.exp(b * u)) == sp.exp(b**2 / 2)
    assert normal_expectation_exact(u**4) == 3
    # E[u e^{bu}] = b e^{b²/2} (Stein's lemma)
    stein = normal_expectation_exact(u * sp.exp(b * u + 1))
    assert sp.simplify(stein - b * sp.exp(1 + b**2 / 2)) == 0
    assert normal_expectation_exact(sp.exp(-sp.exp(u))) is None
    m = gate_moments(parse_gate("w + s*u", "w", "w=0.5,s=0.2"))
    assert m.methods == ("exact",) * 5
    with mpmath.workdps(60):
        expected = (mpmath.mpf("0.5"), mpmath.mpf("0.29"), 1, mpmath.mpf("0.5"), 1)
        assert all(abs(x - y) < mpmath.mpf(10) ** -55
                   for x, y in zip((m.a1, m.a2, m.b1, m.c, m.b2), expected, strict=True))


def test_quadrature_matches_exact_log_normal_gate():
    """r·exp(s u − s²/2) is exact; the same gate times sin² + cos² goes to quadrature."""
    exact = gate_moments(parse_gate("r*exp(s*u - s**2/2)", "r", "r=0.9,s=0.3"))
    quad = gate_moments(parse_gate("r*exp(s*u - s**2/2)*(sin(u)**2 + cos(u)**2)", "r",
                                   "r=0.9,s=0.3"))
    assert exact.methods == ("exact",) * 5
    assert quad.methods == ("quadrature",) * 5 and quad.error < mpmath.mpf(10) ** -45
    for x, y in zip(exact.as_dict().values(), quad.as_dict().values(), strict=True):
        assert rel(y, x) < mpmath.mpf(10) ** -45


def _expectation_by_enumeration(n: int, m: int, deriv: bool) -> sp.Expr:
    """E[Λ_n Λ_m] or E[∂Λ_n ∂Λ_m] by expanding the products over independent steps i, each
    monomial λ_i^j μ_i^k replaced by its moment (a1, a2, b1, c, b2)."""
    lam = sp.symbols(f"l0:{n}")
    mu = sp.symbols(f"q0:{n}")

    def prod(count):
        base = sp.Mul(*lam[:count])
        if not deriv:
            return base
        return sum(mu[j] * sp.Mul(*(lam[i] for i in range(count) if i != j))
                   for j in range(count))

    poly = sp.Poly(sp.expand(prod(n) * prod(m)), *lam, *mu)
    table = {(0, 0): 1, (1, 0): a1, (2, 0): a2, (0, 1): b1, (1, 1): c, (0, 2): b2}
    total = sp.Integer(0)
    for powers, coeff in poly.terms():
        term = coeff
        for i in range(n):
            term *= table[(powers[i], powers[n + i])]
        total += term
    return sp.expand(total)


@pytest.mark.parametrize(("n", "m"), [(0, 0), (1, 1), (2, 1), (3, 2), (3, 3), (4, 2)])
def test_pair_expectation_by_enumeration(n, m):
    for deriv, q in ((False, "h2"), (True, "dh2_dp")):
        direct = (_expectation_by_enumeration(n, m, deriv) if n
                  else sp.Integer(0 if deriv else 1))
        assert sp.expand(pair_expectation(q, m, n - m) - direct) == 0, (q, n, m)


def test_stationary_expr_is_the_documented_form():
    expected = gamma_s**2 * ((b2 / (1 - a2)**2 + 2 * c**2 / (1 - a2)**3)
                             * (1 + rho_s * a1) / (1 - rho_s * a1)
                             + 2 * rho_s * c * b1 / ((1 - a2)**2 * (1 - rho_s * a1)**2))
    assert sp.simplify(stationary_expr("dh2_dp") - expected) == 0
    assert sp.simplify(stationary_expr("h2") - gamma_s**2 * (1 + rho_s * a1)
                       / ((1 - a2) * (1 - rho_s * a1))) == 0


@pytest.mark.parametrize("rho", ["0", "0.6", "1"])
def test_noise_zero_gives_lemma_moments(rho):
    """s = 0: λ = r constant, ∂_rλ = 1: the gate moments are those of Lemmas 1–2."""
    g = parse_gate("r*exp(s*u)", "r", "r=0.95,s=0")
    got = stationary_values(gate_moments(g), 1, rho)
    ref = constant_moments("0.95", autocorr=ar1(sp.Rational(rho)), dps=50)
    assert rel(got["h2"], ref["h2"]) < mpmath.mpf(10) ** -40
    assert rel(got["dh2_dp"], ref["dh2_dlam"]) < mpmath.mpf(10) ** -40


@settings(max_examples=3)
@given(w=st.floats(-3, -0.5), s=st.floats(0.05, 1.0), rho=st.sampled_from(["0", "0.5", "-0.3"]))
def test_closed_form_equals_oracle_mamba_gate(w, s, rho):
    g = parse_gate(MAMBA, "w", {"w": w, "s": s})
    cf = stationary_values(gate_moments(g), "0.7", rho)
    orc = oracle_second_moments(g, "0.7", rho)
    for q in ("h2", "dh2_dp"):
        assert rel(cf[q], orc[q]) < mpmath.mpf(10) ** -30, q


def test_finite_t_against_oracle_and_limit():
    g = parse_gate(SIGMOID, "w", "w=2,s=0.5")
    m = gate_moments(g)
    for t in (2, 17):
        cf = finite_values(m, 1, "0.5", t)
        orc = oracle_second_moments(g, 1, "0.5", t=t)
        assert rel(cf["h2"], orc["h2"]) < mpmath.mpf(10) ** -30
        assert rel(cf["dh2_dp"], orc["dh2_dp"]) < mpmath.mpf(10) ** -30
    assert finite_values(m, 3, "0.5", 1) == {"h2": 9, "dh2_dp": 0}
    far = finite_values(m, 1, "0.5", 3000)
    stat = stationary_values(m, 1, "0.5")
    assert rel(far["dh2_dp"], stat["dh2_dp"]) < mpmath.mpf(10) ** -40


def test_mean_square_unstable_gate_refused_and_gate_outside_unit_interval_accepted():
    loud = gate_moments(parse_gate("w + s*u", "w", "w=0.9,s=0.5"))  # E λ² = 1.06
    with pytest.raises(ValueError, match="not mean-square stable"):
        stationary_values(loud, 1, 0)
    # leaves (−1, 1) with positive probability, yet E λ² = 0.5: finite moments
    ok = gate_moments(parse_gate("w + s*u", "w", "w=0.5,s=0.5"))
    assert stationary_values(ok, 1, 0)["h2"] == 2


def test_selective_gate_has_no_gate_moments():
    with pytest.raises(ValueError, match="selective"):
        gate_moments(parse_gate("exp(-exp(w + s*u + x))", "w", "w=-2,s=0.5"))

