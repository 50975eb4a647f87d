"""Run claims from the registry column by column and collect verdicts.

``verify``, ``report`` and the tests call :func:`run_claims`; it is the only
place that decides the per-check false-failure rate (Bonferroni across all
Monte Carlo checks of the run, so the whole run has
:data:`~crosscheck.claims.registry.SUITE_FALSE_FAILURE_RATE`).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rnnverify.crosscheck.claims.registry import (
    COLUMNS,
    SUITE_FALSE_FAILURE_RATE,
    Claim,
    Mode,
    RunContext,
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
) -> list[ClaimVerification]:
    """Run ``columns`` of every claim; ``on_step`` is called after each column (progress)."""
    n_mc = max(1, count_mc_checks(claims, mode)) if "monte_carlo" in columns else 1
    ctx = RunContext(mode=mode, seed=seed, device=device, alpha=suite_rate / n_mc)
    results = []
    for claim in claims:
        cols = {}
        for name in COLUMNS:
            cols[name] = _run_column(claim, name, ctx) if name in columns else ColumnResult("n/a")
            if on_step is not None:
                on_step(claim, name)
        results.append(ClaimVerification(claim, cols))
    return results
