"""Run claims from the registry column by column and collect verdicts.

``verify``, ``report`` and the tests call :func:`run_claims`; it is the only
place that decides the per-check false-failure rate (Bonferroni across all
Monte Carlo checks of the run, so the whole run has
:data:`~crosscheck.claims.registry.SUITE_FALSE_FAILURE_RATE`).

With ``jobs > 1`` the claims run in that many worker processes (``spawn``; one
claim module is one unit of work, since its claims share its caches), handed out
most expensive first (:mod:`crosscheck.claims.costs`).  Every column draws its
random numbers from generators seeded by the run's seed and its own point, never
from shared state, and the simulations' reductions run on one CPU thread, so the
verdicts and the numbers do not depend on ``jobs`` or on which worker ran what
(only the measured seconds do); the results come back in registry order.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from rnnverify.crosscheck.claims.costs import claim_seconds
from rnnverify.crosscheck.claims.registry import (
    COLUMNS,
    SUITE_FALSE_FAILURE_RATE,
    Claim,
    Mode,
    RunContext,
    all_claims,
    origin,
)
from rnnverify.crosscheck.stats.ztests import CheckOutcome


@dataclass
class ColumnResult:
    """Verdict of one column of one claim over all its points."""

    status: str  # "pass" | "fail" | "n/a"
    detail: str = ""
    points: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class ClaimVerification:
    """Verdicts of one registry claim, column by column (``holds`` unless a column failed)."""

    claim: Claim
    columns: dict[str, ColumnResult]

    @property
    def holds(self) -> bool:
        return all(c.status != "fail" for c in self.columns.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.claim.id,
            "title": self.claim.title,
            "source": self.claim.source,
            "holds": self.holds,
            "columns": {
                name: {
                    "status": col.status,
                    "detail": col.detail,
                    "seconds": round(col.seconds, 3),
                    "points": col.points,
                }
                for name, col in self.columns.items()
            },
        }


def count_mc_checks(claims: Sequence[Claim], mode: Mode) -> int:
    """Number of statistical Monte Carlo checks (claims × points) in a run."""
    return sum(len(c.points(mode)) for c in claims if c.monte_carlo is not None)


def _run_column(claim: Claim, name: str, ctx: RunContext) -> ColumnResult:
    fn = claim.column(name)
    if fn is None:
        return ColumnResult("n/a")
    start = time.perf_counter()
    records: list[dict[str, Any]] = []
    failed: list[str] = []
    details: list[str] = []
    for point in claim.points(ctx.mode):
        try:
            outcome: CheckOutcome = fn(point, ctx)
        except Exception as exc:  # a crashing check is a failed check, with its reason
            tb = traceback.extract_tb(exc.__traceback__)[-1]
            outcome = CheckOutcome(
                False, f"error: {type(exc).__name__}: {exc} ({tb.filename}:{tb.lineno})"
            )
        record: dict[str, Any] = {"point": point, "holds": outcome.holds,
                                  "detail": outcome.detail}
        if name == "monte_carlo":  # what the simulation tested: "stationary" or the integer t
            record["horizon"] = outcome.data.get("horizon")
            record["stationary_infeasible"] = bool(outcome.data.get("stationary_infeasible"))
        if outcome.data:
            record["data"] = outcome.data
        records.append(record)
        (details if outcome.holds else failed).append(outcome.detail)
    status = "fail" if failed else "pass"
    shown = failed[0] if failed else (details[0] if details else "")
    if len(records) > 1:
        shown = f"{len(records) - len(failed)}/{len(records)} points; {shown}"
    return ColumnResult(status, shown, records, time.perf_counter() - start)


def horizon_summary(column: ColumnResult) -> str:
    """Short text of the horizons a Monte Carlo column simulated: "stationary", "t=100",
    "stationary + t=2500*" (``*``: a stationary point whose burn-in does not fit the mode,
    checked at that finite horizon instead); "" when no point names a horizon."""
    parts: list[str] = []
    for rec in column.points:
        h = rec.get("horizon")
        values = h if isinstance(h, list) else [h]
        for v in values:
            if v is None:
                continue
            text = "stationary" if v == "stationary" else f"t={v}"
            if rec.get("stationary_infeasible") and v != "stationary":
                text += "*"
            if text not in parts:
                parts.append(text)
    return " + ".join(parts)


def run_claims(
    claims: Sequence[Claim],
    *,
    mode: Mode = "quick",
    seed: int = 0,
    device: str = "cpu",
    columns: Sequence[str] = COLUMNS,
    suite_rate: float = SUITE_FALSE_FAILURE_RATE,
    on_step: Callable[[Claim, str], None] | None = None,
    jobs: int = 1,
) -> list[ClaimVerification]:
    """Run ``columns`` of every claim; ``on_step`` is called after each column (progress).

    ``jobs``: worker processes (1: this process, in order).  With several, ``on_step``
    is called for the columns of a module's claims when that module's unit finishes.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int):
        raise TypeError(f"jobs must be an int, got {type(jobs).__name__}")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    n_mc = max(1, count_mc_checks(claims, mode)) if "monte_carlo" in columns else 1
    ctx = RunContext(mode=mode, seed=seed, device=device, alpha=suite_rate / n_mc)
    units = work_units(claims)
    registry = {c.id: c for c in all_claims()}
    shippable = all(registry.get(c.id) is c for c in claims)  # a worker finds it by id
    if jobs == 1 or len(units) == 1 or not shippable:
        return [_verify_claim(claim, ctx, columns, on_step) for claim in claims]
    by_id = {c.id: c for c in claims}
    done: dict[str, dict[str, ColumnResult]] = {}
    threads = max(1, _cpu_count() // jobs)
    tasks = [([c.id for c in unit], ctx, tuple(columns)) for unit in units]
    # not multiprocessing.Pool: its workers are daemonic, and a claim's SymPy call may
    # run in a child process of its own (theory.budget's guard)
    pool = ProcessPoolExecutor(min(jobs, len(units)), mp_context=multiprocessing.get_context(
        "spawn"), initializer=_init_worker, initargs=(threads,))
    try:
        # submitted most expensive first: an idle worker takes the next unit in that order
        futures = [pool.submit(_run_unit, task) for task in tasks]
        for fut in as_completed(futures):
            for claim_id, cols in fut.result():
                done[claim_id] = cols
                if on_step is not None:
                    for name in COLUMNS:
                        on_step(by_id[claim_id], name)
    except BaseException:
        # Ctrl-C or a broken worker: stop the others now rather than after their units
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return [ClaimVerification(c, done[c.id]) for c in claims]


def work_units(claims: Sequence[Claim]) -> list[list[Claim]]:
    """The claims grouped by the module that registered them (one unit shares one
    process's caches), most expensive unit first by :func:`costs.claim_seconds`; ties
    keep registry order."""
    groups: dict[str, list[Claim]] = {}
    for c in claims:
        groups.setdefault(origin(c.id), []).append(c)
    units = list(groups.values())
    return sorted(units, key=lambda u: -sum(claim_seconds(c.id) for c in u))


def _verify_claim(claim: Claim, ctx: RunContext, columns: Sequence[str],
                  on_step: Callable[[Claim, str], None] | None = None) -> ClaimVerification:
    cols = {}
    for name in COLUMNS:
        cols[name] = _run_column(claim, name, ctx) if name in columns else ColumnResult("n/a")
        if on_step is not None:
            on_step(claim, name)
    return ClaimVerification(claim, cols)


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _init_worker(threads: int) -> None:
    """A worker process: Ctrl-C is the parent's to handle (it terminates the pool), and
    the cores are shared out among the workers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import torch

    torch.set_num_threads(threads)


def _run_unit(task: tuple[list[str], RunContext, tuple[str, ...]]
              ) -> list[tuple[str, dict[str, ColumnResult]]]:
    ids, ctx, columns = task
    registry = {c.id: c for c in all_claims()}
    return [(cid, _verify_claim(registry[cid], ctx, columns).columns) for cid in ids]
