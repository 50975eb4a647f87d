"""``rnnverify verify``: run every claim of the registry, print verdicts, exit 0 iff all hold.

The document is :meth:`rnnverify.crosscheck.api.VerifyResult.to_dict`, the same as
``rnnverify.verify(...).to_dict()``.
"""

from __future__ import annotations

import argparse
import sys

from rnnverify.crosscheck.cli._common import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    add_device_argument,
    add_jobs_argument,
    add_seed_argument,
    emit_json,
    non_negative_int,
    parse_jobs,
    user_input,
)

#: wall time of the whole suite on 2 CPU cores (DESIGN targets; start-line estimate)
SUITE_SECONDS = {"quick": 50.0, "full": 600.0}

HELP = "run the verification suite: every claim, three independent columns"


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quick", dest="mode", action="store_const", const="quick",
                   help="few points per claim (default; about 30 s on 2 cores)")
    g.add_argument("--full", dest="mode", action="store_const", const="full",
                   help="more points and samples (about 10 minutes on 2 cores)")
    p.set_defaults(mode="quick")
    p.add_argument("--only", metavar="GLOB", help="run only claims whose id matches GLOB")
    add_device_argument(p)
    add_seed_argument(p, "master seed of the Monte Carlo columns")
    add_jobs_argument(p)
    p.add_argument("--columns", default="symbolic,oracle,monte_carlo,numeric",
                   help="comma list of columns to run (monte_carlo: statistical simulation; "
                        "numeric: deterministic float64 check)")


def run(args: argparse.Namespace) -> int:
    """One process, or one rank of a torchrun launch: every rank runs every column, the
    Monte Carlo moments split their samples over the ranks (numerics.memory.distributed),
    rank 0 prints."""
    from rnnverify.crosscheck.cli._common import InputError
    from rnnverify.crosscheck.cli.launch import run_command

    return run_command(lambda device: _run(args, device), args.device, bad_input=InputError)


def _run(args: argparse.Namespace, device_name: str) -> int:
    from rnnverify.crosscheck.claims.ids import matching_ids
    from rnnverify.crosscheck.claims.registry import COLUMNS, all_claims, select
    from rnnverify.crosscheck.cli.longwork import planned_work

    with user_input():
        # every flag is checked before the claims are loaded (their modules load torch):
        # --only against the list of claim ids, so that a bad flag fails at once
        if args.only is not None:
            matching_ids(args.only)
        seed = non_negative_int(args.seed, "--seed")
        columns = [c.strip() for c in args.columns.split(",") if c.strip()]
        for c in columns:
            if c not in COLUMNS:
                raise ValueError(f"--columns: unknown column {c!r}; valid: {', '.join(COLUMNS)}")
        claims = all_claims() if args.only is None else select(args.only)
        device = _resolve_device(device_name) if "monte_carlo" in columns else "cpu"
        jobs = min(parse_jobs(args.jobs, device), len(claims))
    from rnnverify.crosscheck.api import verify

    quick = args.mode == "quick"
    total = len(claims) * len(COLUMNS)
    share = SUITE_SECONDS[args.mode] / max(1, len(all_claims()))
    estimate = sum(c.estimate_s(args.mode) if c.estimate_s is not None and "monte_carlo"
                   in columns else share for c in claims)
    workers = f", {jobs} processes" if jobs > 1 else ""
    with planned_work("verify", f"--{args.mode}, {len(claims)} claims{workers}", total,
                      unit="claim columns", estimate_s=estimate / jobs,
                      json_mode=args.json) as progress:
        result = verify(quick, only=args.only, seed=seed, device=device, columns=columns,
                        on_step=lambda claim, col: progress(1, f"{claim.id} [{col}]"),
                        jobs=jobs)
    if args.json:
        emit_json(result.to_dict())
    else:
        _print_table(result.claims, result.seconds, result.mode, seed, result.device)
    return EXIT_OK if result.holds else EXIT_CHECK_FAILED


def _resolve_device(name: str) -> str:
    from rnnverify.numerics.device import resolve_device

    return str(resolve_device(name))


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr)


_MARK = {"pass": "[green]✔[/]", "fail": "[bold red]✘ FAIL[/]", "n/a": "[dim]–[/]"}


def _print_table(results, elapsed: float, mode: str, seed: int, device: str) -> None:
    from rich.table import Table
    from rnnverify.crosscheck.claims.registry import SUITE_FALSE_FAILURE_RATE
    from rnnverify.crosscheck.claims.runner import horizon_summary

    table = Table(title=f"rnnverify verify --{mode}  (seed {seed}, device {device})",
                  caption="sym: SymPy derivation · oracle: mpmath, no closed form · "
                          "MC: PyTorch simulation, z-test · num: deterministic float64 "
                          "PyTorch within a rounding bound · MC horizon: stationary or the "
                          "finite t "
                          "simulated (*: stationary point whose burn-in does not fit this "
                          "mode, checked at that t instead)",
                  expand=False)
    table.add_column("claim", style="bold", no_wrap=True)
    for col in ("sym", "oracle", "MC", "num"):
        table.add_column(col, no_wrap=True, justify="center")
    table.add_column("MC horizon", no_wrap=True)
    table.add_column("s", justify="right", no_wrap=True)
    table.add_column("source", overflow="fold", ratio=1, style="dim")
    for r in results:
        cells = [_MARK[r.columns[c].status]
                 for c in ("symbolic", "oracle", "monte_carlo", "numeric")]
        seconds = sum(c.seconds for c in r.columns.values())
        claim = r.claim.id if r.holds else f"[red]{r.claim.id}[/]"
        table.add_row(claim, *cells, horizon_summary(r.columns["monte_carlo"]),
                      f"{seconds:.1f}", r.claim.source)
    console = _console()
    console.print(table)
    for r in results:
        for name, col in r.columns.items():
            if col.status == "fail":
                console.print(f"[red]{r.claim.id} [{name}][/]: {col.detail}", highlight=False)
    n_ok = sum(r.holds for r in results)
    console.print(
        f"{n_ok}/{len(results)} claims hold in {elapsed:.1f} s; Monte Carlo false-failure "
        f"rate of the whole run ≤ {SUITE_FALSE_FAILURE_RATE:g} (Bonferroni)."
    )
    sys.stdout.flush()
