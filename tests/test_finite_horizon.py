"""Finite-t moments in O(log t) (theory.memory.finite_horizon) against the O(t) kernel sum and,
at t = 1e9, against the oracle's Lyapunov doubling of the joint state covariance."""

from __future__ import annotations

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rnnverify.theory.memory.autocorr import ar1, from_expression
from rnnverify.theory.memory.finite_horizon import convolution_power_sum, recurrence
from rnnverify.theory.memory.moments import finite_method_for, moments
from rnnverify.theory.memory.oracle import oracle_moments

#: doubling vs the O(t) sum, both at 50 digits on well-conditioned points
AGREE = mpmath.mpf(10) ** -40


def _normwise(a: dict, b: dict) -> mpmath.mpf:
    keys = [q for q in ("h2", "dh2_dlam", "dh2_dtheta") if a[q] is not None]
    scale = max(abs(b[q]) for q in keys)
    return max(abs(a[q] - b[q]) for q in keys) / scale


def test_convolution_power_sum_matches_direct_sum() -> None:
    P = mpmath.matrix([[0.3, 0.2], [-0.1, 0.5]])
    Q = mpmath.matrix([[0.7, 0.0], [0.4, -0.2]])
    for n in (1, 2, 5, 13):
        want = mpmath.zeros(2, 2)
        for j in range(n):
            want += P**j * Q ** (n - 1 - j)
        got = convolution_power_sum(P, Q, n)
        assert mpmath.mnorm(got - want, 1) < 1e-13


@settings(max_examples=25, deadline=None)
@given(lam=st.floats(-0.95, 0.95), rho=st.floats(-1, 1), t=st.integers(1, 120),
       theta=st.one_of(st.none(), st.floats(-3.1, 3.1)))
def test_doubling_equals_kernel_sum_ar1(lam: float, rho: float, t: int, theta) -> None:
    lam = abs(lam) if theta is not None else lam
    kw = {"theta": theta, "autocorr": ar1(rho), "t": t}
    fast = moments(lam, finite_method="doubling", **kw)
    slow = moments(lam, finite_method="sum", **kw)
    assert _normwise(fast, slow) < AGREE


@pytest.mark.parametrize("text,lam,theta,t", [
    ("exp(-k/10)*cos(k/3)", 0.9, None, 50),        # complex-conjugate poles
    ("0.3*0.9**k + 0.7*0**k", 0.8, 0.4, 37),       # R(0) off the recurrence
    ("(1+k)*0.5**k", -0.7, None, 25),              # a double pole
    ("0.5**k", 0.99, None, 300),
])
def test_doubling_equals_kernel_sum_rational_inputs(text: str, lam: float, theta, t: int) -> None:
    ac = from_expression(text)
    assert finite_method_for(ac) == "doubling"
    fast = moments(lam, theta=theta, autocorr=ac, t=t, finite_method="doubling")
    slow = moments(lam, theta=theta, autocorr=ac, t=t, finite_method="sum")
    assert _normwise(fast, slow) < AGREE


def test_non_rational_input_keeps_the_sum_route() -> None:
    ac = from_expression("1/(1+k)")
    assert recurrence(ac) is None
    assert finite_method_for(ac) == "sum"
    with pytest.raises(ValueError, match="rational generating function"):
        moments(0.5, autocorr=ac, t=5, finite_method="doubling")
    with pytest.raises(ValueError, match="finite_method"):
        finite_method_for(ac, "fast")


@pytest.mark.parametrize("lam,theta,rho,t", [
    ("0.999999999", None, "0.5", 10**9),
    ("0.9999", 0.3, "0.99", 10**12),
    ("0.99", None, "-0.7", 123_456_789),
])
def test_large_t_agrees_with_lyapunov_doubling(lam: str, theta, rho: str, t: int) -> None:
    """The oracle propagates the covariance of (x, h, d_λh, d_θh) (no lemma, no kernel
    sum); 40 digits there, so 35 digits of agreement are asked."""
    fast = moments(lam, theta=theta, autocorr=ar1(rho), t=t, dps=50)
    with mpmath.workdps(80):
        rho_mp = mpmath.mpf(rho)  # the decimal to 80 digits, as ar1(text) takes it exactly
    ref = oracle_moments(lam, theta=theta, rho=rho_mp, t=t, dps=40)
    assert ref["method"] == "lyapunov-doubling"
    for q in ("h2", "dh2_dlam", "dh2_dtheta"):
        if fast[q] is None:
            assert ref[q] is None
            continue
        assert abs(fast[q] - ref[q]) / abs(ref[q]) < mpmath.mpf(10) ** -35


def test_large_t_approaches_the_stationary_value() -> None:
    """At t ≫ 1/(1−λ) the finite value is the stationary one up to λ^t-small terms."""
    fin = moments(0.9, autocorr=ar1(0.5), t=10**6)
    sta = moments(0.9, autocorr=ar1(0.5))
    assert _normwise(fin, sta) < AGREE


def test_cross_moments_doubling_equals_kernel_sum() -> None:
    from rnnverify.theory.memory.moments import cross_moments

    kw = {"theta": 0.3, "theta2_value": -0.2, "autocorr": ar1(0.5), "t": 40}
    fast = cross_moments(0.9, 0.8, finite_method="doubling", **kw)
    slow = cross_moments(0.9, 0.8, finite_method="sum", **kw)
    for q in ("cross_h", "cross_dh"):
        assert abs(fast[q] - slow[q]) / abs(slow[q]) < AGREE


def test_cross_moments_at_large_t_agree_with_the_oracle() -> None:
    from rnnverify.theory.memory.moments import cross_moments
    from rnnverify.theory.memory.oracle import oracle_cross

    with mpmath.workdps(80):
        l1, l2 = mpmath.mpf("0.99999"), mpmath.mpf("0.9999")
    fast = cross_moments(l1, l2, autocorr=ar1("0.5"), t=10**9)
    for q in ("cross_h", "cross_dh"):
        ref = oracle_cross(l1, l2, rho=mpmath.mpf("0.5"), t=10**9, quantity=q, dps=40)
        assert ref["method"] == "lyapunov-doubling"
        assert abs(fast[q] - ref["value"]) / abs(ref["value"]) < mpmath.mpf(10) ** -35
