"""``rnnverify check-claim``: is a claimed closed form equal to the derived moment?

The claim is an expression in ``lam`` (the modulus ν when ``theta`` appears),
``lam2`` and ``theta2`` (cross quantities), ``rho`` and ``t`` (finite horizon).
The decision logic lives in :mod:`rnnverify.crosscheck.commands.check_claim` (the document
is :meth:`rnnverify.crosscheck.api.ClaimCheck.to_dict`): symbolic
simplification of the difference first (capped by work, not time), then evaluation
to 50 significant digits (the working precision follows each point's cancellation)
at random points drawn from ``--seed`` (plus the points where the claim's terms
vary fastest).  Verdicts: proved (exit 0), refuted with a counterexample that the
independent oracle confirms (exit 1), unproven or inconsistent (exit 4); 2 for bad
input.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rnnverify.crosscheck.cli._common import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    EXIT_UNPROVEN,
    InputError,
    add_seed_argument,
    emit_json,
    flag,
    non_negative_int,
    positive_int,
    user_input,
)
from rnnverify.crosscheck.cli.budget_option import add_budget_argument, parse_budget

HELP = "decide whether a claimed closed form equals the derived moment: proved/refuted/unproven"

EPILOG = """verdicts and exit codes:
  proved    (exit 0, holds: true)   the difference simplifies to zero symbolically
  refuted   (exit 1, holds: false)  a point where the claim differs beyond the detection
                                    threshold from the derivation AND from the independent
                                    oracle, which agree with each other (all three shown)
  unproven  (exit 4, holds: null)   no counterexample at the points checked and no proof
  inconsistent (exit 4, holds: null) the derivation disagrees with the oracle or with its
                                    own symbolic proof: a fault of the tool, reported as
                                    such, never blamed on the claim
Points are random (drawn from --seed and reported): real and complex lambda,
|lambda| up to 1 - 1e-6, rho in [-1, 1] with rho = +-1, t from 1 to 1e4, plus the
stationary points and poles of the claim's own terms.  Each value is evaluated to 50
significant digits, the working precision raised to what its cancellation needs
(checked by a second evaluation with 20 more digits); a relative discrepancy above
1e-40 is detected.  Points where both sides are 0, or either is undefined, check
nothing and are counted apart.  Same seed, same document: the work is capped by
counts, not by the clock."""

QUANTITIES = ("h2", "dh2_dlam", "dh2_dtheta", "cross_h", "cross_dh")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument(
        "--quantity",
        required=True,
        choices=QUANTITIES,
        help="h2 = E|h|^2, dh2_dlam = E|d_lam h|^2, dh2_dtheta = E|d_theta h|^2, "
        "cross_h = E[h(lam) conj h(lam2)], cross_dh = E[d h(lam) conj d h(lam2)]",
    )
    p.add_argument(
        "--expr",
        required=True,
        metavar="EXPR",
        help="the claimed closed form in lam, rho, theta, t (and lam2, theta2 for "
        "cross quantities); with theta, lam is the modulus of lambda",
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--rho",
        metavar="R",
        help="fix R(k) = R^|k| (R in [-1, 1]); default: rho ranges over [-1, 1]",
    )
    src.add_argument(
        "--autocorr",
        metavar="EXPR",
        help="input autocorrelation R(k) as an expression in k (and rho)",
    )
    p.add_argument(
        "--points",
        metavar="N",
        default="100",
        help="random evaluation points on top of the edge points (default 100)",
    )
    add_seed_argument(p, "seed of the random points (reported)")
    add_budget_argument(p)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return f"{value['re']:.12g} {'+' if value['im'] >= 0 else '-'} {abs(value['im']):.12g}i"
    if isinstance(value, float):
        return f"{value:.12g}"
    return str(value)


def _clip(text: str, limit: int = 400) -> str:
    """Long derived forms (finite t) are shown clipped; --json has them in full."""
    return text if len(text) <= limit else text[: limit - 25] + f" ... ({len(text)} chars)"


def _unchecked_text(unchecked: dict[str, int]) -> str:
    words = {"undefined": "undefined there", "both_zero": "both sides 0",
             "precision": "digits beyond the budget", "over_budget": "lag sum over budget"}
    return ", ".join(f"{n} {words.get(k, k)}" for k, n in unchecked.items()) or "none"


def _print_human(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    colour = {"proved": "green", "refuted": "red", "inconsistent": "magenta"}.get(
        result["verdict"], "yellow")
    verdict = f"[{colour}]{result['verdict'].upper()}[/{colour}]"
    table = Table(title=f"check-claim {result['quantity']}: {verdict}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    table.add_row("claim", _clip(result["claim"]))
    table.add_row("derived", _clip(result["derived"]))
    regime = "complex lambda" if result["complex_lambda"] else "real lambda"
    regime += ", finite t" if result["finite_t"] else ", stationary"
    if result["rho"] is not None:
        regime += f", rho = {result['rho']:g}"
    elif result["rho_ranges"]:
        regime += ", rho in [-1, 1]"
    table.add_row("regime", f"{regime}; R(k) = {result['autocorr']}")
    table.add_row("decided by", f"{result['decided_by']} (symbolic stage: {result['symbolic']})")
    table.add_row(
        "points",
        f"{result['points_checked']} checked ({result['focus_points']} where the claim's terms "
        f"vary fastest), {result['points_skipped']} unchecked "
        f"({_unchecked_text(result['unchecked'])}); seed {result['seed']}; "
        f"|lam| up to {result['max_abs_lam_checked']:.7g}; up to {result['max_dps']} digits",
    )
    if result["inconsistency"]:
        table.add_row("inconsistency", result["inconsistency"])
    table.add_row("max rel. error", _fmt(result["max_rel_error"]))
    table.add_row("detectable", f"relative discrepancies above "
                  f"{_fmt(result['smallest_detectable_rel_error'])} at every point")
    table.add_row("meaning", result["verdict_means"])
    cex = result["counterexample"]
    if cex is not None:
        where = ", ".join(f"{k} = {_fmt(v)}" for k, v in cex["point"].items())
        table.add_row("counterexample", where)
        digits = cex.get("digits") or {}
        for key in ("claimed", "derived", "oracle"):
            table.add_row(f"  {key}", digits.get(key) or _fmt(cex[key]))
        table.add_row("  rel. error", _fmt(cex["rel_error"]))
    console.print(table)


def run(args: argparse.Namespace) -> int:
    from rnnverify.crosscheck.commands.check_claim import UnevaluableClaim, prepare_claim

    with user_input():
        n_random = positive_int(args.points, "--points")
        seed = non_negative_int(args.seed, "--seed")
        budget = parse_budget(args.budget)
        problem = prepare_claim(args.quantity, args.expr, rho=args.rho, autocorr=args.autocorr)
        # the API (the claims' runner, the parametrization checks) once the claim has parsed
        from rnnverify.crosscheck.api import decide, validate_claim_options

        n_random, seed = validate_claim_options(n_random, seed)
    try:
        result = decide(problem, points=n_random, seed=seed, budget=budget).to_dict()
    except UnevaluableClaim as exc:
        raise InputError(exc.render(flag)) from exc
    if args.json:
        emit_json(result)
    else:
        _print_human(result)
    if result["verdict"] == "inconsistent":
        print(f"rnnverify check-claim: internal inconsistency ({result['inconsistency']}); "
              "nothing is concluded about the claim", file=sys.stderr)
    return {"proved": EXIT_OK, "refuted": EXIT_CHECK_FAILED}.get(result["verdict"], EXIT_UNPROVEN)
