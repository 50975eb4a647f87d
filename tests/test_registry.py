"""The claim registry, the runner and the ``verify`` command's plumbing."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rnnverify.crosscheck.claims.registry import Claim, RunContext, select
from rnnverify.crosscheck.claims.runner import count_mc_checks, run_claims
from rnnverify.crosscheck.stats.ztests import CheckOutcome, two_sided_z


@given(st.floats(min_value=1e-12, max_value=0.999))
def test_two_sided_z_inverts_erfc(alpha: float) -> None:
    z = two_sided_z(alpha)
    assert math.erfc(z / math.sqrt(2.0)) == pytest.approx(alpha, rel=1e-9)


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, float("nan")])
def test_two_sided_z_rejects_bad_alpha(alpha: float) -> None:
    with pytest.raises(ValueError, match="alpha"):
        two_sided_z(alpha)


def _claim(cid: str, **cols) -> Claim:
    return Claim(id=cid, title=cid, source="test", **cols)


def test_select_by_glob_and_unknown_glob() -> None:
    pool = [_claim("zo.a"), _claim("zo.b"), _claim("dizzy.c")]
    assert [c.id for c in select("zo.*", pool)] == ["zo.a", "zo.b"]
    with pytest.raises(ValueError, match="matches no claim"):
        select("nothing.*", pool)


def test_runner_marks_a_crashing_column_as_failed_with_its_reason() -> None:
    def boom(point, ctx):
        raise ZeroDivisionError("deliberate")

    def ok(point, ctx):
        return CheckOutcome(True, "fine")

    res = run_claims([_claim("x", symbolic=ok, oracle=boom)])[0]
    assert res.columns["symbolic"].status == "pass"
    assert res.columns["oracle"].status == "fail"
    assert "ZeroDivisionError" in res.columns["oracle"].detail
    assert res.columns["monte_carlo"].status == "n/a"
    assert not res.holds


def test_runner_splits_the_suite_rate_over_monte_carlo_checks() -> None:
    seen: list[float] = []

    def mc(point, ctx: RunContext):
        seen.append(ctx.alpha)
        return CheckOutcome(True)

    def three_points(mode):
        return [{"i": i} for i in range(3)]

    claims = [_claim("a", monte_carlo=mc, points=three_points), _claim("b", monte_carlo=mc)]
    assert count_mc_checks(claims, "quick") == 4
    run_claims(claims, suite_rate=1e-3)
    assert seen == [pytest.approx(2.5e-4)] * 4


def test_deterministic_numeric_columns_do_not_share_the_statistical_budget() -> None:
    seen: list[float] = []

    def mc(point, ctx: RunContext):
        seen.append(ctx.alpha)
        return CheckOutcome(True)

    claims = [_claim("stat", monte_carlo=mc),
              Claim(id="exact", title="exact", source="t", numeric=mc)]
    assert count_mc_checks(claims, "quick") == 1
    assert [c.statistical for c in claims] == [True, False]
    results = run_claims(claims, suite_rate=1e-3)
    assert seen == [pytest.approx(1e-3)] * 2
    assert [r.columns["numeric"].status for r in results] == ["n/a", "pass"]
    assert [r.columns["monte_carlo"].status for r in results] == ["pass", "n/a"]


def test_a_claim_has_a_monte_carlo_or_a_numeric_column_not_both() -> None:
    def mc(point, ctx: RunContext):
        return CheckOutcome(True)

    with pytest.raises(ValueError, match="claim both: give a monte_carlo or a numeric"):
        Claim(id="both", title="both", source="t", monte_carlo=mc, numeric=mc)
