"""theory.memory.autocorr: AR(1) factories, user autocorrelations, generating functions."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from rnnverify.theory.memory.autocorr import (
    Autocorrelation,
    ar1,
    as_autocorrelation,
    from_expression,
    sum_closed_form,
    white,
)
from rnnverify.theory.symbols import alpha, k, rho


def _direct_gf(ac: Autocorrelation, a: complex, weighted: bool = False, rho_value=None) -> complex:
    """Σ_{k=1}^{N} (k) a^k R(k) with |a| ≤ 0.8 and N = 400 (tail ≤ R(0)·400·0.8^400 ≈ 1e-36)."""
    with mpmath.workdps(30):
        return complex(sum((j if weighted else 1) * mpmath.mpc(a) ** j
                           * ac.evaluate(j, 30, rho=rho_value) for j in range(1, 401)))


def test_ar1_special_cases_are_exact() -> None:
    assert white().generating_function().expr == 0
    assert white().evaluate(0) == 1 and white().evaluate(3) == 0
    const = ar1(1)
    assert const.expr == 1
    assert sp.simplify(const.generating_function().expr - alpha / (1 - alpha)) == 0
    fam = ar1()
    assert sp.simplify(fam.generating_function().expr - alpha * rho / (1 - alpha * rho)) == 0
    assert fam.rho == rho and fam.generating_function().method == "closed"
    assert ar1(0.5).evaluate(-3) == mpmath.mpf(0.125)  # R(-k) = R(k)


@pytest.mark.parametrize("bad", [1.5, -1.01, float("nan"), float("inf")])
def test_ar1_rejects_bad_rho(bad: float) -> None:
    with pytest.raises(ValueError, match="rho"):
        ar1(bad)


@pytest.mark.parametrize("text", ["0.5**k", "exp(-k/10)*cos(k/3)", "0.3*0.9**k + 0.7*0**k",
                                  "1/(1+k)", "exp(-k**2/50)"])
@settings(max_examples=4, deadline=None)
@given(r=st.floats(0.05, 0.8), phase=st.floats(-3.1, 3.1))
def test_generating_functions_match_direct_sums(text: str, r: float, phase: float) -> None:
    ac = from_expression(text)
    a = complex(r * mpmath.expj(phase))
    gfs = ((False, ac.generating_function()), (True, ac.weighted_generating_function()))
    for weighted, gf in gfs:
        got = complex(gf(a))
        want = _direct_gf(ac, a, weighted)
        assert abs(got - want) <= 1e-12 * max(1.0, abs(want)), (text, weighted, gf.method)


def test_method_says_closed_or_numeric() -> None:
    assert from_expression("exp(-k/10)*cos(k/3)").generating_function().method == "closed"
    numeric = from_expression("exp(-k**2/50)").generating_function()
    assert numeric.method == "numeric" and numeric.expr.has(sp.Sum)


def test_removable_singularity_at_zero() -> None:
    ac = from_expression("1/(1+k)")
    assert ac.generating_function()(0) == 0
    assert ac.derivative_generating_function()(0) == mpmath.mpf(1) / 2  # G'(0) = R(1)


def test_from_expression_recognises_the_rho_family() -> None:
    ac = from_expression("0.5**k")
    assert ac.rho == sp.Rational(1, 2)
    assert from_expression("exp(-k/10)*cos(k/3)").rho is None


@pytest.mark.parametrize("text,match", [
    ("2**k", "exceeds"),
    ("-1", "positive"),
    ("lam*k", "refused"),
    ("__import__('os')", "refused"),
    ("k**2", "positive"),
    ("1 + k", "exceeds"),
])
def test_from_expression_rejects(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        from_expression(text)


def test_evaluate_needs_rho_when_symbolic() -> None:
    with pytest.raises(ValueError, match="rho"):
        ar1().evaluate(2)
    assert ar1().evaluate(2, rho=0.5) == mpmath.mpf(0.25)


def test_as_autocorrelation_dispatch() -> None:
    assert as_autocorrelation(0.5).rho == sp.Rational(1, 2)
    assert as_autocorrelation("0.5**k").expr == sp.Rational(1, 2) ** k
    with pytest.raises(TypeError, match="^autocorr must be an Autocorrelation, .*got list$"):
        as_autocorrelation([1, 2])


def test_sum_closed_form_finite_geometric() -> None:
    r = sp.Symbol("r")
    n = sp.Symbol("n", integer=True)
    got = sum_closed_form(r**n, n, 1, 5)
    assert sp.simplify(got - sum(r**j for j in range(1, 6))) == 0
