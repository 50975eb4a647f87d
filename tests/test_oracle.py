"""Tests of the high-precision oracle (theory/memory/oracle.py).

Independent references only: brute-force double sums whose weights come from
running the recurrence on an impulse and differentiating numerically
(mpmath.diff), the two oracle routes against each other, and numbers of
docs/theory.md §3.2 and §3.4 (evaluated from the authors' closed forms).  No closed
form of the moments is used here.
"""

from __future__ import annotations

import math

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rnnverify.theory.memory.oracle import oracle_cross, oracle_moments

# ---------------------------------------------------------------- brute force


def _impulse_weight(a: int, lam, gamma):
    """Weight of x_{t-1-a} in h_t, by running h_{s+1} = lam h_s + gamma x_s on an impulse."""
    h = mpmath.mpf(0)
    for step in range(a + 1):
        h = lam * h + (gamma if step == 0 else 0)
    return h


def _weights(n, lam, theta, gamma_fn, quantity):
    """Weights of x_{t-1-a}, a < n, in h, d_lam h or d_theta h (numerical derivatives)."""
    if theta is None:
        base = mpmath.mpf(lam)

        def weight(a, l):
            return _impulse_weight(a, l, gamma_fn(l))

        if quantity == "h":
            return [weight(a, base) for a in range(n)]
        return [mpmath.diff(lambda l, a=a: weight(a, l), base) for a in range(n)]
    nu, th = mpmath.mpf(lam), mpmath.mpf(theta)
    g = gamma_fn(nu)
    if quantity == "h":
        return [_impulse_weight(a, nu * mpmath.expj(th), g) for a in range(n)]
    if quantity == "dlam":  # holomorphic derivative: differentiate along the real direction
        l0 = nu * mpmath.expj(th)
        return [mpmath.diff(lambda x, a=a: _impulse_weight(a, l0 + x, g), 0) for a in range(n)]
    return [
        mpmath.diff(lambda s, a=a: _impulse_weight(a, nu * mpmath.expj(s), g), th) for a in range(n)
    ]


def _double_sum(w1, w2, R):
    return mpmath.fsum(
        w1[a] * mpmath.conj(w2[b]) * R(abs(a - b)) for a in range(len(w1)) for b in range(len(w2))
    )


def _brute(lam, *, theta=None, R, n, quantity, gamma_fn=lambda l: 1):
    w = _weights(n, lam, theta, gamma_fn, quantity)
    return mpmath.re(_double_sum(w, w, R))


def _close(x, y, rel):
    return abs(x - y) <= rel * max(abs(x), abs(y), mpmath.mpf(1) * 10**-30)


# ---------------------------------------------------------------- against brute force


@pytest.mark.parametrize(
    ("lam", "theta", "rho"),
    [(0.5, None, 0.3), (-0.55, None, -0.8), (0.45, None, 1.0), (0.5, 1.1, 0.7), (0.45, -2.5, -1.0)],
)
@pytest.mark.parametrize("method", ["lyapunov", "sums"])
def test_stationary_matches_brute_force_double_sum(lam, theta, rho, method):
    with mpmath.workdps(40):
        R = (lambda k: mpmath.mpf(rho) ** k) if rho != 1 else (lambda k: mpmath.mpf(1))
        out = oracle_moments(lam, theta=theta, rho=rho, dps=30, method=method)
        n = 130  # n^2 |lam|^n < 1e-29: truncation below the tolerance
        assert _close(out["h2"], _brute(lam, theta=theta, R=R, n=n, quantity="h"), 1e-25)
        assert _close(out["dh2_dlam"], _brute(lam, theta=theta, R=R, n=n, quantity="dlam"), 1e-25)
        if theta is None:
            assert out["dh2_dtheta"] is None
        else:
            ref = _brute(lam, theta=theta, R=R, n=n, quantity="dtheta")
            assert _close(out["dh2_dtheta"], ref, 1e-25)


@pytest.mark.parametrize("t", [1, 2, 3, 9])
@pytest.mark.parametrize("method", ["lyapunov", "sums"])
def test_finite_horizon_matches_brute_force(t, method):
    with mpmath.workdps(40):
        for lam, theta, rho in [(0.9, None, 0.5), (0.8, 0.7, -0.4), (-0.95, None, 1.0)]:
            R = lambda k, r=rho: mpmath.mpf(r) ** k  # noqa: E731
            out = oracle_moments(lam, theta=theta, rho=rho, t=t, dps=30, method=method)
            assert _close(out["h2"], _brute(lam, theta=theta, R=R, n=t, quantity="h"), 1e-25)
            ref = _brute(lam, theta=theta, R=R, n=t, quantity="dlam")
            assert abs(out["dh2_dlam"] - ref) <= 1e-25 * (1 + abs(ref))


@pytest.mark.slow
def test_general_autocorrelation_matches_brute_force():
    """A non-geometric R(k) (a sum of two exponentials, the shape fitted to text data for
    Zucchet & Orvieto 2024, Fig. 5) and a damped cosine, through the callable R= interface."""
    with mpmath.workdps(40):
        models = [
            lambda k: (
                mpmath.mpf("0.3") * mpmath.mpf("0.9") ** k + (mpmath.mpf("0.7") if k == 0 else 0)
            ),
            lambda k: mpmath.mpf("0.8") ** k * mpmath.cos(mpmath.mpf("0.7") * k),
        ]
        for R in models:
            out = oracle_moments(0.5, theta=0.6, R=R, dps=30)
            assert out["method"] == "lag-sums-truncated"
            for key, q in (("h2", "h"), ("dh2_dlam", "dlam"), ("dh2_dtheta", "dtheta")):
                ref = _brute(0.5, theta=0.6, R=R, n=130, quantity=q)
                assert _close(out[key], ref, 1e-25)
                assert abs(out[key] - ref) <= out["error_bound"] + 1e-28 * abs(ref)


def test_gamma_coupled_matches_numerical_derivative_through_gamma():
    """d_lam h with gamma(lam) = sqrt(1 - lam^2) differentiated through (real lam)."""
    with mpmath.workdps(40):
        lam = mpmath.mpf("0.55")

        def gamma_fn(l):
            return mpmath.sqrt(1 - l**2)

        dgamma = mpmath.diff(gamma_fn, lam)
        R = lambda k: mpmath.mpf("0.4") ** k  # noqa: E731
        for method in ("lyapunov", "sums"):
            for t in (None, 6):
                out = oracle_moments(
                    lam,
                    rho="0.4",
                    gamma=gamma_fn(lam),
                    dgamma=dgamma,
                    gamma_coupled=True,
                    t=t,
                    dps=30,
                    method=method,
                )
                n = 130 if t is None else t
                ref = _brute(lam, R=R, n=n, quantity="dlam", gamma_fn=gamma_fn)
                assert _close(out["dh2_dlam"], ref, 1e-25)
                ref_h = _brute(lam, R=R, n=n, quantity="h", gamma_fn=gamma_fn)
                assert _close(out["h2"], ref_h, 1e-25)


@pytest.mark.parametrize("quantity", ["cross_h", "cross_dh"])
def test_cross_moments_match_brute_force(quantity):
    with mpmath.workdps(40):
        R = lambda k: mpmath.mpf("0.6") ** k  # noqa: E731
        q = "h" if quantity == "cross_h" else "dlam"
        for (l1, th1), (l2, th2), t in [
            ((0.5, None), (-0.4, None), None),
            ((0.5, 0.3), (0.45, -1.2), None),
            ((0.9, 0.3), (0.7, 2.0), 5),
        ]:
            n = 130 if t is None else t
            w1 = _weights(n, l1, th1, lambda l: 1, q)
            w2 = _weights(n, l2, th2, lambda l: 1, q)
            ref = _double_sum(w1, w2, R)
            for method in ("lyapunov", "sums"):
                out = oracle_cross(
                    l1,
                    l2,
                    theta=th1,
                    theta2=th2,
                    rho="0.6",
                    t=t,
                    dps=30,
                    quantity=quantity,
                    method=method,
                )
                assert abs(out["value"] - ref) <= 1e-25 * max(1, abs(ref)), (method, l1, l2)


def test_cross_moment_on_the_diagonal_is_the_second_moment():
    m = oracle_moments(0.8, theta=0.3, rho=0.6)
    c = oracle_cross(0.8, 0.8, theta=0.3, theta2=0.3, rho=0.6)
    assert _close(c["value"], m["h2"], 1e-35)
    cd = oracle_cross(0.8, 0.8, theta=0.3, theta2=0.3, rho=0.6, quantity="cross_dh")
    assert _close(cd["value"], m["dh2_dlam"], 1e-35)


# ---------------------------------------------------------------- routes against each other


@settings(max_examples=25, deadline=None)
@given(
    lam=st.floats(-0.97, 0.97),
    theta=st.one_of(st.none(), st.floats(-math.pi, math.pi)),
    rho=st.one_of(st.sampled_from([-1.0, 0.0, 1.0]), st.floats(-1.0, 1.0)),
    t=st.integers(1, 60),
)
def test_finite_t_lyapunov_doubling_equals_lag_sums(lam, theta, rho, t):
    if theta is not None:
        lam = abs(lam)
    a = oracle_moments(lam, theta=theta, rho=rho, t=t, dps=30, method="lyapunov")
    b = oracle_moments(lam, theta=theta, rho=rho, t=t, dps=30, method="sums")
    for key in ("h2", "dh2_dlam", "dh2_dtheta"):
        if a[key] is None:
            assert b[key] is None
            continue
        assert abs(a[key] - b[key]) <= 1e-25 * (1 + abs(a[key])), key


@settings(max_examples=12, deadline=None)
@given(
    lam=st.floats(-0.85, 0.85),
    theta=st.one_of(st.none(), st.floats(-math.pi, math.pi)),
    rho=st.one_of(st.sampled_from([-1.0, 0.0, 1.0]), st.floats(-1.0, 1.0)),
)
def test_stationary_lyapunov_equals_truncated_lag_sums_within_the_bound(lam, theta, rho):
    if theta is not None:
        lam = abs(lam)
    a = oracle_moments(lam, theta=theta, rho=rho, dps=30, method="lyapunov")
    b = oracle_moments(lam, theta=theta, rho=rho, dps=30, method="sums")
    for key in ("h2", "dh2_dlam", "dh2_dtheta"):
        if a[key] is None:
            continue
        assert abs(a[key] - b[key]) <= b["error_bound"] + 1e-28 * abs(a[key]), key
        assert _close(a[key], b[key], 1e-28)


@pytest.mark.parametrize(
    ("lam", "theta", "rho"),
    [
        ("0.99999999", None, "0"),
        ("0.99999999", None, "0.99999999"),
        ("0.99999999", "0.4", "0.7"),
        ("-0.99999999", None, "-0.9999"),
        ("0.99999999", None, "1"),
    ],
)
def test_thirty_digits_at_one_minus_1e_minus_8(lam, theta, rho):
    """Stationary solve vs doubling at t = 1e12 (lam^t = e^-1e4) and dps 40 vs 70 agree."""
    a = oracle_moments(lam, theta=theta, rho=rho, dps=40)
    b = oracle_moments(lam, theta=theta, rho=rho, dps=70)
    c = oracle_moments(lam, theta=theta, rho=rho, dps=40, t=10**12)
    with mpmath.workdps(70):
        for key in ("h2", "dh2_dlam", "dh2_dtheta"):
            if a[key] is None:
                continue
            assert abs(a[key] - b[key]) <= 1e-35 * abs(b[key])
            assert abs(c[key] - b[key]) <= 1e-35 * abs(b[key])


def test_large_horizon_tends_to_the_stationary_value():
    stat = oracle_moments(0.9, theta=0.2, rho=0.95)
    far = oracle_moments(0.9, theta=0.2, rho=0.95, t=5000)  # 0.9^5000 ~ 1e-229
    near = oracle_moments(0.9, theta=0.2, rho=0.95, t=20)
    for key in ("h2", "dh2_dlam", "dh2_dtheta"):
        assert _close(far[key], stat[key], 1e-35)
        assert not _close(near[key], stat[key], 1e-3)  # the horizon is not ignored


# ---------------------------------------------------------------- published numbers


@pytest.mark.parametrize(
    ("lam", "rho", "expected"),
    [  # docs/theory.md §3.2, E[(d_lam h)^2] (Fig. 1A curves), 4 significant digits
        ("0.9", "0", 2.639e2),
        ("0.9", "0.9", 3.757e3),
        ("0.9", "0.99", 8.733e3),
        ("0.9", "0.999", 9.859e3),
        ("0.9", "1", 1.0e4),
        ("0.99", "0", 2.513e5),
        ("0.99", "0.9", 4.738e6),
        ("0.99", "0.99", 3.750e7),
        ("0.99", "0.999", 8.683e7),
        ("0.99", "1", 1.0e8),
        ("0.999", "0.9", 4.752e9),
        ("0.999", "0.99", 4.937e10),
        ("0.999", "1", 1.0e12),
        ("0.9999", "0", 2.500e11),
        ("0.9999", "0.99", 4.975e13),
        ("0.9999", "0.999", 4.956e14),
    ],
)
def test_zucchet_fig1a_table(lam, rho, expected):
    out = oracle_moments(lam, rho=rho, dps=30)
    assert abs(out["dh2_dlam"] / expected - 1) < 6e-4


@pytest.mark.parametrize(("lam", "expected"), [("0.9", 1e2), ("0.99", 1e4), ("0.9999", 1e8)])
def test_zucchet_variance_column_at_rho_one(lam, expected):
    out = oracle_moments(lam, rho=1, dps=30)
    assert abs(out["h2"] / expected - 1) < 1e-20  # 1/(1-lam)^2 is an exact power of ten


def test_zucchet_complex_and_real_checkpoints():
    out = oracle_moments(0.93, theta=0.4, rho=0.7)  # §2.5
    assert abs(out["h2"] - mpmath.mpf("18.99095806")) < 5e-9
    assert abs(out["dh2_dlam"] - mpmath.mpf("1953.707729")) < 5e-7
    out = oracle_moments("0.97", rho="0.99")  # §8
    assert abs(out["h2"] - mpmath.mpf("835.496341")) < 5e-7
    assert abs(out["dh2_dlam"] - mpmath.mpf("813156.1927")) < 5e-5


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "exc", "fragment"),
    [
        (dict(lam=1.0, rho=0), ValueError, "lam"),
        (dict(lam=-1.5, rho=0), ValueError, "lam"),
        (dict(lam=float("nan"), rho=0), ValueError, "lam"),
        (dict(lam=float("inf"), rho=0), ValueError, "lam"),
        (dict(lam="abc", rho=0), ValueError, "lam"),
        (dict(lam=True, rho=0), TypeError, "lam"),
        (dict(lam=[0.5], rho=0), TypeError, "lam"),
        (dict(lam=0.5, theta=0.1, rho=0, dps=10), ValueError, "dps"),
        (dict(lam=-0.5, theta=0.1, rho=0), ValueError, "lam"),
        (dict(lam=complex(0.1, 0.2), theta=0.1, rho=0), ValueError, "lam"),
        (dict(lam=complex(0.8, 0.7), rho=0), ValueError, "lam"),
        (dict(lam=0.5, theta=float("nan"), rho=0), ValueError, "theta"),
        (dict(lam=0.5, rho=1.1), ValueError, "rho"),
        (dict(lam=0.5, rho=float("nan")), ValueError, "rho"),
        (dict(lam=0.5, rho=0, t=0), ValueError, "t"),
        (dict(lam=0.5, rho=0, t=-3), ValueError, "t"),
        (dict(lam=0.5, rho=0, t=2.5), TypeError, "t"),
        (dict(lam=0.5, rho=0, t=True), TypeError, "t"),
        (dict(lam=0.5), ValueError, "autocorr"),
        (dict(lam=0.5, rho=0, R=lambda k: 1), ValueError, "R"),
        (dict(lam=0.5, R=3), TypeError, "R"),
        (dict(lam=0.5, R=lambda k: 2.0 if k == 3 else 1.0), ValueError, "R(3)"),
        (dict(lam=0.5, R=lambda k: -1.0), ValueError, "R(0)"),
        (
            dict(lam=0.5, theta=0.2, rho=0, gamma_coupled=True, dgamma=1),
            ValueError,
            "gamma_coupled",
        ),
        (dict(lam=0.5, rho=0, dgamma=1), ValueError, "dgamma"),
        (dict(lam=0.5, rho=0, gamma=float("inf")), ValueError, "gamma"),
        (dict(lam=0.5, rho=0, method="magic"), ValueError, "method"),
        (dict(lam=0.5, R=lambda k: 1.0, method="lyapunov"), ValueError, "lyapunov"),
        (dict(lam="0.9999999", R=lambda k: 1.0), ValueError, "too close to 1"),
    ],
)
def test_invalid_arguments_are_named(kwargs, exc, fragment):
    with pytest.raises(exc, match=None) as info:
        oracle_moments(**kwargs)
    assert fragment in str(info.value)


def test_cross_validation():
    with pytest.raises(ValueError, match="quantity"):
        oracle_cross(0.5, 0.4, rho=0, quantity="cross_x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lam2"):
        oracle_cross(0.5, 1.0, rho=0)


def test_accepts_autocorrelation_objects_and_exact_inputs():
    from rnnverify.theory.memory.autocorr import ar1, from_expression

    a = oracle_moments("0.7", rho="0.5")
    b = oracle_moments("0.7", autocorr=ar1(), rho="0.5")
    c = oracle_moments("0.7", autocorr=from_expression("0.5**k"))
    assert a["method"] == b["method"] == c["method"] == "lyapunov"
    assert _close(a["h2"], b["h2"], 1e-38) and _close(a["h2"], c["h2"], 1e-38)
    d = oracle_moments("0.7", autocorr=from_expression("(1 + k)*0.5**k"))
    assert d["method"] == "lag-sums-truncated"
    with mpmath.workdps(40):
        R = lambda k: (1 + k) * mpmath.mpf("0.5") ** k  # noqa: E731
        assert _close(d["h2"], _brute(mpmath.mpf("0.7"), R=R, n=240, quantity="h"), 1e-28)


@settings(max_examples=20, deadline=None)
@given(
    t=st.integers(1, 120),
    lam_re=st.floats(-0.9, 0.9),
    lam_im=st.floats(-0.4, 0.4),
    mu_re=st.floats(-0.9, 0.9),
    coeffs=st.tuples(*[st.floats(-3, 3)] * 4),
    decay=st.floats(-1, 1),
)
def test_fixed_point_lag_sum_equals_floating_point(t, lam_re, lam_im, mu_re, coeffs, decay):
    """The fast integer fixed-point kernel against the plain mpmath kernel."""
    from rnnverify.theory.memory.oracle import _Coefficients, _lag_sum, _lag_sum_fixed

    with mpmath.workdps(45):
        lam = mpmath.mpc(lam_re, lam_im) if lam_im else mpmath.mpf(lam_re)
        f = _Coefficients(lam, mpmath.mpf(coeffs[0]), mpmath.mpc(coeffs[1], 0.5))
        g = _Coefficients(mpmath.mpf(mu_re), mpmath.mpf(coeffs[2]), mpmath.mpf(coeffs[3]))
        R = [mpmath.mpf(decay) ** k if k else mpmath.mpf(1) for k in range(t)]
        a, b = _lag_sum(f, g, R, t), _lag_sum_fixed(f, g, R, t)
        assert abs(a - b) <= mpmath.mpf(10) ** -38 * (1 + abs(a))
