"""``verify --jobs``: claims in worker processes give the document one process gives."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rnnverify.crosscheck.api import verify
from rnnverify.crosscheck.claims.costs import DEFAULT_SECONDS, QUICK_SECONDS, claim_seconds
from rnnverify.crosscheck.claims.registry import all_claims, select
from rnnverify.crosscheck.claims.runner import run_claims, work_units
from rnnverify.crosscheck.cli._common import MAX_AUTO_JOBS, MAX_JOBS, parse_jobs

from rnnverify.errors import ArgumentTypeError, ArgumentValueError

#: cheap claims from three modules (three units of work), one with a Monte Carlo column
SUBSET = ("dizzy.abs", "dizzy.givens", "classical.clipping", "gates.selective_white")


def _without_seconds(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: _without_seconds(v) for k, v in doc.items() if k != "seconds"}
    if isinstance(doc, list):
        return [_without_seconds(v) for v in doc]
    return doc


def test_two_workers_give_the_document_of_one_process() -> None:
    claims = [c for c in all_claims() if c.id in SUBSET]
    serial = run_claims(claims, jobs=1)
    parallel = run_claims(claims, jobs=2)
    assert [r.claim.id for r in parallel] == [c.id for c in claims]  # registry order
    assert [r.claim for r in parallel] == claims
    a = json.dumps(_without_seconds([r.to_json() for r in serial]), sort_keys=True)
    b = json.dumps(_without_seconds([r.to_json() for r in parallel]), sort_keys=True)
    assert a == b
    assert all(r.holds for r in parallel)


def test_progress_is_reported_for_every_column_of_every_claim() -> None:
    claims = [c for c in all_claims() if c.id in SUBSET[:3]]
    steps: list[tuple[str, str]] = []
    run_claims(claims, jobs=2, on_step=lambda claim, col: steps.append((claim.id, col)))
    assert sorted(steps) == sorted((c.id, col) for c in claims
                                   for col in ("symbolic", "oracle", "monte_carlo", "numeric"))


def test_work_units_group_by_module_most_expensive_first() -> None:
    units = work_units(all_claims())
    ids = [[c.id for c in u] for u in units]
    assert sorted(i for u in ids for i in u) == sorted(c.id for c in all_claims())
    signalprop = next(u for u in ids if "zo.signalprop.gru_trends" in u)
    assert "zo.signalprop.gru_state" in signalprop  # shares gru_trends's cached ensemble
    costs = [sum(claim_seconds(i) for i in u) for u in ids]
    assert costs == sorted(costs, reverse=True)
    assert ids[0] == signalprop  # the largest unit, measured at ~16 s
    assert claim_seconds("no.such.claim") == DEFAULT_SECONDS
    assert set(QUICK_SECONDS) == {c.id for c in all_claims()}  # every claim measured


def test_ad_hoc_claims_run_in_this_process() -> None:
    """A claim not in the registry cannot be found by a worker: it runs here instead."""
    from rnnverify.crosscheck.claims.registry import Claim
    from rnnverify.crosscheck.stats.ztests import CheckOutcome

    mine = Claim(id="test.local", title="t", source="test",
                 symbolic=lambda point, ctx: CheckOutcome(True, "local"))
    (res,) = run_claims([mine], jobs=2)
    assert res.columns["symbolic"].detail == "local" and res.holds


@pytest.mark.parametrize("jobs, exc, match", [
    (0, ValueError, "at least 1"), (True, TypeError, "jobs must be an int"),
    (1.5, TypeError, "jobs must be an int")])
def test_run_claims_rejects_bad_jobs(jobs: Any, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        run_claims(select("dizzy.abs"), jobs=jobs)


def test_api_verify_names_jobs() -> None:
    with pytest.raises(ArgumentValueError, match="jobs"):
        verify(True, only="dizzy.abs", jobs=0)
    with pytest.raises(ArgumentTypeError, match="jobs"):
        verify(True, only="dizzy.abs", jobs="2")


def test_parse_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(32)))
    assert parse_jobs("auto", "cpu") == MAX_AUTO_JOBS
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1})
    assert parse_jobs("auto", "cpu") == 2
    assert parse_jobs("auto", "cuda:0") == 1
    assert parse_jobs("3", "cuda") == 3
    assert parse_jobs(str(MAX_JOBS), "cpu") == MAX_JOBS
    for bad, msg in (("0", "positive integer"), ("two", "positive integer"),
                     (str(MAX_JOBS + 1), f"at most {MAX_JOBS}")):
        with pytest.raises(ValueError, match=msg):
            parse_jobs(bad, "cpu")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert parse_jobs("auto", "cpu") == 1
    with pytest.raises(ValueError, match="distributed launch"):
        parse_jobs("2", "cpu")


@pytest.mark.parametrize("value", ["0", "-1", "many", "65"])
def test_cli_refuses_a_bad_jobs_value(cli, one_line_error, value: str) -> None:
    res = cli("verify", "--jobs", value)
    assert res.returncode == 2
    one_line_error(res, "--jobs")


def test_cli_jobs_in_start_line_and_document(cli) -> None:
    res = cli("verify", "--only", "dizzy.*", "--jobs", "2")
    assert res.returncode == 0, res.stderr
    assert "7 claims, 2 processes" in res.stderr
    assert "7/7 claims hold" in res.stdout
