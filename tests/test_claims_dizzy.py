"""The DizzyRNN and classical claims in the registry: ids, sources, points, quick-mode verdicts,
and negative controls that the checks can fail."""

from __future__ import annotations

import pytest
import rnnverify.crosscheck.claims.classical  # noqa: F401  (registers)
import rnnverify.crosscheck.claims.dizzy  # noqa: F401
from rnnverify.crosscheck.claims.dizzy import EPS, _dizzy_run, _per_step_bound, steps_outcome
from rnnverify.crosscheck.claims.registry import COLUMNS, RunContext, all_claims
from rnnverify.crosscheck.claims.runner import run_claims
from rnnverify.theory.proof import ProofStep

IDS = ["dizzy.givens", "dizzy.packed", "dizzy.abs", "dizzy.thm3", "dizzy.thm4",
       "dizzy.saturating", "dizzy.svd", "classical.linear", "classical.nonlinear",
       "classical.clipping"]
CLAIMS = {c.id: c for c in all_claims() if c.id in IDS}


def test_every_claim_is_registered_with_three_columns_and_a_source() -> None:
    assert set(CLAIMS) == set(IDS)
    for claim in CLAIMS.values():
        assert claim.source and claim.title
        present = [c for c in COLUMNS if claim.column(c) is not None]
        # exact facts: the third route is a deterministic float64 check, not a z-test
        assert present == ["symbolic", "oracle", "numeric"], claim.id
        assert all(callable(claim.column(c)) for c in present) and not claim.statistical
        assert callable(claim.domain), claim.id
        for mode in ("quick", "full"):
            pts = claim.points(mode)
            assert pts and all(isinstance(p, dict) for p in pts)
        assert len(claim.points("full")) >= len(claim.points("quick"))


def test_full_mode_runs_theorem_3_over_ten_thousand_steps_with_odd_n() -> None:
    pts = CLAIMS["dizzy.thm3"].points("full")
    assert any(p["steps"] >= 10_000 and p["n"] % 2 == 1 for p in pts)
    assert any(p["steps"] >= 10_000 and p["n"] >= 64 for p in pts)


@pytest.mark.slow
def test_all_claims_hold_in_quick_mode() -> None:
    results = run_claims([CLAIMS[i] for i in IDS], mode="quick", seed=0)
    failures = {r.claim.id: {n: c.detail for n, c in r.columns.items() if c.status == "fail"}
                for r in results if not r.holds}
    assert not failures, failures
    for r in results:
        ran = {n: c.status for n, c in r.columns.items() if r.claim.column(n) is not None}
        assert ran == {"symbolic": "pass", "oracle": "pass", "numeric": "pass"}, r.claim.id


def test_quick_mode_numbers_are_reported() -> None:
    res = run_claims([CLAIMS["dizzy.saturating"]], mode="quick", seed=0)[0]
    data = res.columns["numeric"].points[0]["data"]
    assert data["tanh"]["log10_ratio"] <= -3 and data["relu"]["log10_ratio"] <= -3
    assert abs(data["abs"]["log10_ratio"]) < 1e-10


def test_an_unconfirmed_step_fails_the_column() -> None:
    good = ProofStep("a", 1, 1, "r", True)
    bad = ProofStep("b", 1, 2, "r", False)
    assert steps_outcome([good], "x").holds
    out = steps_outcome([good, bad], "x")
    assert not out.holds and "b" in out.detail


def test_rectangular_input_breaks_theorem_4_as_the_paper_says() -> None:
    res, _, _ = _dizzy_run(8, 50, square_input=False, seed=0)
    lo, hi = res.input_grad_ratio_range
    assert max(abs(lo - 1), abs(hi - 1)) > 1e6 * _per_step_bound(8, 0.0)


def test_tanh_violates_the_theorem_3_bound() -> None:
    res, d_r, _ = _dizzy_run(8, 50, nonlinearity="tanh", seed=0)
    assert abs(res.grad_norm_ratio - 1) > 50 * _per_step_bound(8, d_r)


def test_per_step_bound_is_a_few_ulps_for_orthogonal_matrices() -> None:
    assert _per_step_bound(8, 0.0) == pytest.approx(1.01 * 8**1.5 * EPS + 4 * EPS)
    assert _per_step_bound(64, 1e-15) < 1e-12


@pytest.mark.parametrize("cid", ["dizzy.thm3", "dizzy.packed", "classical.clipping"])
def test_domain_points_work_for_the_numeric_column_too(cid: str) -> None:
    from hypothesis import HealthCheck, given, settings

    ctx = RunContext(mode="quick", seed=0)
    claim = CLAIMS[cid]

    @settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
    @given(point=claim.domain())
    def check(point) -> None:
        out = claim.numeric(point, ctx)
        assert out.holds, (point, out.detail)

    check()
