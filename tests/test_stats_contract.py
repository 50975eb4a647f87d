"""The z-test's numbers, texts and JSON keys, pinned (what reports and --json documents show).

Quantiles are checked against values independent of the bisection: the standard normal
quantiles Φ⁻¹(0.75) = 0.6744897501960817, Φ⁻¹(0.975) = 1.959963984540054 and
Φ⁻¹(0.9995) = 3.290526731491926 (statistical tables / scipy.stats.norm.ppf).
"""

from __future__ import annotations

import math

import pytest
from rnnverify.crosscheck.stats.ztests import (
    MISSED_RATE,
    Z_MISSED,
    CheckOutcome,
    ZTest,
    binomial_sf,
    combine,
    two_sided_z,
    z_test,
)


@pytest.mark.parametrize(("alpha", "z"), [
    (0.5, 0.6744897501960817), (0.05, 1.959963984540054), (1e-3, 3.290526731491926),
])
def test_two_sided_quantiles(alpha, z) -> None:
    assert two_sided_z(alpha) == pytest.approx(z, rel=1e-13)


@pytest.mark.parametrize("alpha", [0.0, 1.0, 1.5, -0.1])
def test_alpha_outside_the_open_unit_interval_is_refused(alpha) -> None:
    with pytest.raises(ValueError, match=rf"^alpha must lie in \(0, 1\), got {alpha!r}$"):
        two_sided_z(alpha)


def test_power_quantile_is_the_one_sided_normal_quantile_of_the_missed_rate() -> None:
    assert MISSED_RATE == 0.05
    assert 0.5 * math.erfc(Z_MISSED / math.sqrt(2)) == pytest.approx(MISSED_RATE, rel=1e-12)


def test_check_outcome_defaults_are_empty() -> None:
    out = CheckOutcome(True)
    assert out.detail == "" and out.data == {}
    assert CheckOutcome(False).data is not out.data  # a fresh dict each time


def test_detail_and_json_of_a_labelled_test_with_a_bias_allowance() -> None:
    t = z_test(1.05, 0.02, 1.0, alpha=1e-3, bias=0.01, label="h2")
    zb = two_sided_z(1e-3)
    assert t.holds and t.z == pytest.approx(2.5) and t.allowance == pytest.approx(0.01)
    assert t.min_detectable == pytest.approx(((zb + Z_MISSED) * 0.02 + 0.01) / 1.0)
    assert t.detail == (
        "h2: MC 1.05 ± 0.02 vs theory 1 (z = +2.50, |z| ≤ 3.29 at α = 0.001 + 1.0e-02 bias "
        "allowance; rel. err. 5.00e-02; detects a relative discrepancy ≥ 1.1e-01 with "
        "probability ≥ 0.95)")
    assert t.to_json() == {
        "holds": True, "estimate": 1.05, "stderr": 0.02, "theory": 1.0, "z": t.z,
        "z_bound": zb, "alpha": 1e-3, "bias_bound": 0.01, "allowance": t.allowance,
        "rel_error": t.rel_error, "min_detectable_rel_discrepancy": t.min_detectable,
        "missed_rate": 0.05}
    assert t.outcome() == CheckOutcome(True, t.detail, t.to_json())


def test_min_detectable_scales_with_the_theory_and_subtracts_nothing() -> None:
    t = z_test(-4.0, 0.5, -4.0, alpha=0.05, abs_bias=0.25)
    assert t.min_detectable == pytest.approx(((1.959963984540054 + Z_MISSED) * 0.5 + 0.25) / 4)


def test_min_detectable_of_a_directly_built_test_uses_the_zero_default_allowance() -> None:
    t = ZTest(True, 2.0, 0.1, 2.0, 0.0, 1.96, 0.05, 0.0, 0.0)
    assert t.allowance == 0.0 and t.label == ""
    assert t.min_detectable == pytest.approx((1.96 + Z_MISSED) * 0.1 / 2.0)


def test_a_vanishing_theory_with_no_spread() -> None:
    t = z_test(0.0, 0.0, 0.0, alpha=0.05)
    assert t.holds and t.z == 0.0 and t.rel_error == math.inf and t.min_detectable == math.inf
    assert t.detail == (
        "MC 0 ± 0 vs theory 0 (z = +0.00, |z| ≤ 1.96 at α = 0.05; rel. err. n/a; detects a "
        "relative discrepancy ≥ inf with probability ≥ 0.95)")
    one = z_test(1.0, 0.0, 0.0, alpha=0.05)
    assert one.z == math.inf and not one.holds
    assert z_test(-1.0, 0.0, 0.0, alpha=0.05).z == -math.inf
    assert z_test(1.0, 0.0, 1.0, alpha=0.05).z == 0.0


def test_a_theory_of_one_has_a_finite_power() -> None:
    t = z_test(1.0, 0.1, 1.0, alpha=0.05)
    assert t.min_detectable == pytest.approx((1.959963984540054 + Z_MISSED) * 0.1)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"estimate": math.nan}, r"^estimate must be finite, got nan$"),
    ({"theory": math.inf}, r"^theory must be finite, got inf$"),
    ({"stderr": math.inf}, r"^stderr must be finite, got inf$"),
    ({"bias": math.nan}, r"^bias must be finite, got nan$"),
    ({"abs_bias": -math.inf}, r"^abs_bias must be finite, got -inf$"),
    ({"stderr": -1.0}, r"^stderr, bias and abs_bias must be non-negative$"),
])
def test_bad_arguments_are_named(kwargs, message) -> None:
    args = {"estimate": 1.0, "stderr": 0.1, "theory": 1.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        z_test(args.pop("estimate"), args.pop("stderr"), args.pop("theory"), alpha=0.05, **args)


def test_combine_shows_the_failures_only_and_keys_by_label_or_position() -> None:
    good = z_test(1.0, 0.1, 1.0, alpha=0.05, label="h2")
    bad = z_test(3.0, 0.1, 1.0, alpha=0.05)
    other = z_test(2.0, 0.1, 2.0, alpha=0.05)
    both = combine([good, other])
    assert both.holds and both.detail == f"{good.detail}; {other.detail}"
    assert list(both.data) == ["h2", "1"]
    failing = combine([good, bad, other], data={"note": 1})
    assert not failing.holds and failing.detail == bad.detail
    assert list(failing.data) == ["h2", "1", "2", "note"]


def test_binomial_tail_at_the_edges() -> None:
    assert binomial_sf(3, 3, 0.5) == 0.0
    assert binomial_sf(2, 3, 0.5) == pytest.approx(0.125)
    assert binomial_sf(-1, 3, 0.5) == 1.0


def test_a_z_test_result_is_immutable() -> None:
    import dataclasses

    t = z_test(1.0, 0.1, 1.0, alpha=0.05)
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.holds = False  # type: ignore[misc]
