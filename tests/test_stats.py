"""crosscheck.stats.ztests: the z-test, its bias allowance, and the binomial bound."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rnnverify.crosscheck.stats.ztests import (
    CheckOutcome,
    binomial_sf,
    combine,
    max_failures,
    two_sided_z,
    z_test,
)


def test_z_test_accepts_within_bound_and_rejects_outside():
    zb = two_sided_z(1e-3)
    ok = z_test(10.0 + 0.99 * zb * 0.1, 0.1, 10.0, alpha=1e-3, label="h2")
    bad = z_test(10.0 + 1.01 * zb * 0.1, 0.1, 10.0, alpha=1e-3)
    assert ok.holds and not bad.holds
    assert ok.z == pytest.approx(0.99 * zb) and ok.z_bound == pytest.approx(zb)
    assert ok.rel_error == pytest.approx(0.99 * zb * 0.01)
    assert "h2" in ok.detail and "α = 0.001" in ok.detail
    assert isinstance(ok.outcome(), CheckOutcome) and ok.outcome().data["z"] == ok.z


def test_bias_allowance_widens_deterministically():
    zb = two_sided_z(1e-2)
    est = 100.0 + zb * 1.0 + 0.5  # just outside the pure z bound
    assert not z_test(est, 1.0, 100.0, alpha=1e-2).holds
    assert z_test(est, 1.0, 100.0, alpha=1e-2, bias=0.006).holds  # 0.6 absolute


def test_absolute_bias_for_vanishing_quantities():
    assert not z_test(0.05, 0.01, 0.0, alpha=1e-3).holds
    assert z_test(0.05, 0.01, 0.0, alpha=1e-3, abs_bias=0.02).holds


def test_zero_stderr():
    assert z_test(1.0, 0.0, 1.0, alpha=0.01).holds
    t = z_test(1.1, 0.0, 1.0, alpha=0.01)
    assert not t.holds and math.isinf(t.z)


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(estimate=float("nan")), "estimate must be finite, got nan"),
    (dict(stderr=-1.0), "stderr, bias and abs_bias must be non-negative"),
    (dict(theory=float("inf")), "theory must be finite, got inf"),
    (dict(alpha=0.0), r"alpha must lie in \(0, 1\), got 0.0")])
def test_bad_input(kwargs, match):
    args = dict(estimate=1.0, stderr=0.1, theory=1.0, alpha=0.01) | kwargs
    with pytest.raises(ValueError, match=match):
        z_test(args.pop("estimate"), args.pop("stderr"), args.pop("theory"), **args)


def test_combine_holds_iff_all_hold():
    a = z_test(1.0, 0.1, 1.0, alpha=0.01, label="h2")
    b = z_test(2.0, 0.1, 1.0, alpha=0.01, label="dh2_dlam")
    out = combine([a, b], data={"samples": 10})
    assert not out.holds and "dh2_dlam" in out.detail and out.data["samples"] == 10
    assert combine([a]).holds


@given(st.integers(1, 300), st.floats(1e-3, 0.5), st.floats(1e-6, 0.2))
@settings(max_examples=60, deadline=None)
def test_max_failures_is_the_smallest_valid_bound(n, p, rate):
    c = max_failures(n, p, rate)
    assert binomial_sf(c, n, p) <= rate
    if c > 0:
        assert binomial_sf(c - 1, n, p) > rate


def test_binomial_sf_against_sampling():
    """Exact tail vs 2e5 seeded binomial draws (independent route; ±5 stderr)."""
    draws = np.random.default_rng(0).binomial(200, 0.05, size=200_000)
    for c in (5, 10, 15, 20):
        emp = float((draws > c).mean())
        exact = binomial_sf(c, 200, 0.05)
        assert abs(emp - exact) <= 5 * math.sqrt(exact * (1 - exact) / draws.size) + 1e-12
