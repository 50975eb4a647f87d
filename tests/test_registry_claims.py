"""Every registered claim, every column, as ``verify --quick`` runs it; and each
claim's symbolic/oracle columns at points Hypothesis draws from its domain.

This is the test-side view of the registry: a claim added once is checked here
without touching this file.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from rnnverify.crosscheck.claims.registry import COLUMNS, RunContext, all_claims
from rnnverify.crosscheck.claims.runner import run_claims

import rnnverify as rv

CLAIMS = all_claims()
IDS = [c.id for c in CLAIMS]

#: every registered claim, in registration order (a claim added or dropped must be listed here)
EXPECTED_IDS = [
    "zo.lemma1", "zo.lemma2", "zo.lemma1.finite", "zo.lemma2.finite",
    "zo.moments.general", "zo.moments.ar1", "zo.moments.complex", "zo.moments.finite_t",
    "zo.moments.cross", "zo.normalization", "zo.reparam", "zo.loss1d",
    "dizzy.givens", "dizzy.packed", "dizzy.abs", "dizzy.thm3", "dizzy.thm4",
    "dizzy.saturating", "dizzy.svd",
    "classical.linear", "classical.nonlinear", "classical.clipping",
    "zo.hessian.diagonal", "zo.hessian.dense", "zo.hessian.conditioning",
    "zo.hessian.concentration", "zo.hessian.spectra", "zo.hessian.adam_lr",
    "zo.gru.constant_gate", "zo.gru.gates", "zo.gru.jacobian",
    "zo.signalprop.lru_layer1", "zo.signalprop.lru_trends", "zo.signalprop.crnn_layernorm",
    "zo.signalprop.gru_trends", "zo.signalprop.gru_state",
    "gates.deterministic_limit", "gates.ar1", "gates.autocorr", "gates.long_memory_order",
    "gates.complex", "gates.selective_white",
]


def test_registry_holds_exactly_the_listed_unique_sourced_claims() -> None:
    assert len(EXPECTED_IDS) == len(set(EXPECTED_IDS)) == 42
    assert IDS == EXPECTED_IDS
    for claim in CLAIMS:
        assert claim.source and claim.title
        assert any(callable(claim.column(c)) for c in COLUMNS), claim.id
        for c in COLUMNS:
            assert claim.column(c) is None or callable(claim.column(c)), (claim.id, c)
        prefix = claim.id.split(".")[0]
        assert prefix in {"zo", "dizzy", "classical", "gates"}, claim.id


#: claims whose quick run takes over ~20 s on 2 CI cores (measured with --durations)
SLOW_QUICK = {"zo.signalprop.gru_trends", "zo.signalprop.lru_trends",
              "zo.signalprop.crnn_layernorm", "zo.hessian.dense", "zo.gru.constant_gate",
              "zo.moments.general"}
#: claims whose domain draws take over ~20 s
SLOW_DOMAIN = {"zo.gru.constant_gate", "zo.lemma2.finite", "zo.hessian.dense",
               "zo.moments.general"}


def _params(claims, slow: set[str]) -> list:
    return [pytest.param(c, id=c.id, marks=[pytest.mark.slow] if c.id in slow else [])
            for c in claims]


@pytest.mark.parametrize("claim", _params(CLAIMS, SLOW_QUICK))
def test_claim_holds_in_quick_mode(claim) -> None:
    """Through the public API, one claim at a time (as ``rnnverify verify --only ID``)."""
    suite = rv.verify(quick=True, only=claim.id, seed=0, device="cpu")
    assert [r.claim for r in suite.claims] == [claim]
    result = suite.claims[0]
    failures = {n: c.detail for n, c in result.columns.items() if c.status == "fail"}
    assert not failures, failures


WITH_DOMAIN = [c for c in CLAIMS if c.domain is not None and (c.symbolic or c.oracle)]


@pytest.mark.parametrize("claim", _params(WITH_DOMAIN, SLOW_DOMAIN))
def test_claim_holds_at_points_drawn_from_its_domain(claim) -> None:
    ctx = RunContext(mode="quick", seed=0)

    @settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
    @given(point=claim.domain())
    def check(point) -> None:
        for col in (claim.symbolic, claim.oracle):
            if col is not None:
                outcome = col(point, ctx)
                assert outcome.holds, (point, outcome.detail)

    check()


def test_json_of_a_verify_run_is_complete() -> None:
    results = run_claims(CLAIMS[:1], mode="quick", columns=("symbolic",))
    record = results[0].to_json()
    assert set(record) >= {"id", "source", "holds", "columns"}
    assert set(record["columns"]) == set(COLUMNS)
