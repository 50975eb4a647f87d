"""``rnnverify check-param``: is a parametrization λ(params) safe from the curse of memory?

Derives E|d_P h|², its order of blow-up along every path on which |λ| → 1⁻
(λ → 1, λ → −1, λ → e^{iθ}) per input regime, a verdict, and optionally a
Monte Carlo confirmation of the orders and a report (see
:mod:`rnnverify.crosscheck.commands.check_param`; the document is
:meth:`rnnverify.crosscheck.api.ParamCheckResult.to_dict`).  "bounded" means:
order ≤ 0 on every path of every regime, with the coefficient bounded uniformly
over the free angle and free parameters; anything else is "explodes", naming the path.
"""

from __future__ import annotations

import argparse

from rnnverify.crosscheck.cli._common import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    add_device_argument,
    add_gamma_arguments,
    add_samples_argument,
    add_seed_argument,
    emit_json,
    non_negative_int,
    parse_float_list,
    positive_int,
    user_input,
)
from rnnverify.crosscheck.cli.budget_option import add_budget_argument, parse_budget

HELP = "check a parametrization lambda(params): sensitivity, order of blow-up, verdict"

EPILOG = """examples:
  rnnverify check-param --lam "exp(-exp(w))" --wrt w --gamma "sqrt(1-lam**2)"
  rnnverify check-param --lam "exp(-exp(w) + I*exp(a))" --wrt a --gamma "sqrt(1-lam**2)"
  rnnverify check-param --preset exp_normalized --mc
  rnnverify check-param --lam "(1/(1+exp(-L)))**8" --wrt L --gamma "sqrt(1-lam**2)"
  rnnverify check-param --lam "tanh(a*w)" --wrt w --at a=2 --rho=-1,0,1
presets: identity, exp, polar, lru, tanh_optimal and each *_normalized (Zucchet & Orvieto §3).

Every way |lam| -> 1 along the one parameter |lam| depends on is analysed: that
parameter -> +oo, -oo or a finite point, with lam -> 1, lam -> -1 or
lam -> exp(I*theta); other parameters stay symbolic unless fixed by --at.
verdict "bounded": order p <= 0 on every path of every regime AND the
coefficient bounded over the free angle theta and free parameters (a
coefficient diverging as theta -> 0 is "explodes") AND, at order 0, a finite
limit of E (E -> oo like a logarithm is "explodes"); or, when |lam| never
comes near 1, sup |lam| < 1 (stated) with |d lam/d p|^2 bounded.  "explodes"
names the paths; "undecided" when a numeric order is 0 within its error and
the limit of E could not be decided.
Each row says which route decided: "symbolic" (series and limits) or
"numeric" (150-digit evaluation along the path, extrapolated slopes).
The Monte Carlo slope is tested against the derivation's own slope over the
same 1-|lam| (the asymptotic -p is shown beside it).
--autocorr takes any R(k) the parser accepts: closed-form generating functions
are expanded exactly; otherwise a summable R gives the order from the spectral
density S(0), S(pi) or S(theta) at the limit point, and a long-memory
R(k) ~ c k^(-a), 0 < a < 1, the non-integer order of the lag sums' Tauberian
asymptotics (coefficient with Gamma functions), checked by the numeric route.
Exit 0 (1 if --mc was asked and a Monte Carlo z-test failed), 2 bad input."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("--lam", metavar="EXPR",
                   help="lambda as an expression of your parameters, e.g. 'exp(-exp(w))'")
    p.add_argument("--wrt", metavar="P", help="the parameter to differentiate with respect to")
    from rnnverify.crosscheck.cli.check_param_gate import add_gate_option  # --gate

    add_gate_option(p)
    p.add_argument("--preset", metavar="NAME",
                   help="a parametrization of the paper instead of --lam")
    add_gamma_arguments(p)
    p.add_argument("--rho", metavar="R,R,...", default="0,0.5,1",
                   help="AR(1) input correlations in [-1, 1] (default 0,0.5,1; write "
                        "--rho=-1 for negative values)")
    p.add_argument("--at", metavar="q=V,...",
                   help="fix other parameters of lambda to values (else they stay symbolic)")
    p.add_argument("--autocorr", metavar="EXPR",
                   help="input autocorrelation R(k) instead of rho^|k|")
    p.add_argument("--mc", action="store_true", help="confirm the orders by Monte Carlo (< 60 s)")
    add_samples_argument(p, 20000, "Monte Carlo samples per point")
    add_seed_argument(p, "Monte Carlo seed")
    add_device_argument(p)
    p.add_argument("--report", metavar="DIR", help="also write a report (md, html, tex) into DIR")
    add_budget_argument(p)


def run(args: argparse.Namespace) -> int:
    from rnnverify.crosscheck.commands.param_input import read_param_input

    with user_input():
        rhos = parse_float_list(args.rho, "--rho")
        samples = positive_int(args.samples, "--samples")
        seed = non_negative_int(args.seed, "--seed")
        budget = parse_budget(args.budget)
        if args.lam is None and args.preset is None:
            raise ValueError("give --lam EXPR --wrt P, or --preset NAME")
        if args.lam is not None and args.preset is not None:
            raise ValueError("give --lam or --preset, not both")
        if args.autocorr is not None and args.mc:
            raise ValueError("--mc simulates AR(1) inputs: use --rho with --mc, not --autocorr")
        device = "cpu"
        if args.mc:
            from rnnverify.numerics.device import resolve_device

            device = str(resolve_device(args.device))
        # the input is read before the limit analysis is imported: a bad one fails at once
        read_param_input(args.lam, args.wrt, preset=args.preset, gamma=args.gamma,
                         gamma_coupled=args.gamma_coupled, rhos=rhos, at=args.at)
        if args.mc:
            from rnnverify.crosscheck.commands.check_param import MC_MAX_SAMPLES

            if not 1000 <= samples <= MC_MAX_SAMPLES:
                raise ValueError(f"--samples must lie in [1000, {MC_MAX_SAMPLES}] with --mc, "
                                 f"got {samples}")
        from rnnverify.crosscheck.api import check_parametrization

        result = check_parametrization(
            args.lam, args.wrt, preset=args.preset, gamma=args.gamma,
            gamma_coupled=args.gamma_coupled, rho=rhos, autocorr=args.autocorr, at=args.at,
            budget=budget)
        if args.report is not None:
            from rnnverify.crosscheck.report.options import validate_out_dir

            validate_out_dir(args.report)
    if args.mc:
        result.add_monte_carlo(samples=samples, seed=seed, device=device)
    if args.report is not None:
        from rnnverify.crosscheck.report.build import write_param_report

        write_param_report(result.check, args.report)
    mc_ok = all(row["holds"] for row in result.mc)
    if args.json:
        emit_json(result.to_dict())
    else:
        _print(result.to_dict(), args.report)
    return EXIT_OK if mc_ok else EXIT_CHECK_FAILED


def _fmt(x) -> str:
    if isinstance(x, float):
        return f"{x:.6g}"
    return str(x)


def _print(j: dict, report_dir: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{j['parametrization']}[/]   d/d{j['wrt']}"
                  + (f"   gamma = {j['gamma']}" + (" (coupled)" if j["gamma_coupled"] else "")
                     if j["gamma"] else ""), highlight=False)
    if j["at"]:
        console.print("fixed: " + ", ".join(f"{k} = {v}" for k, v in j["at"].items()),
                      highlight=False)
    console.print(f"|d lam/d {j['wrt']}|^2 = {j['chain_factor']}", highlight=False)
    console.print(f"E|d_{j['wrt']} h|^2 = |d lam/d {j['wrt']}|^2 * ({j['moment_factor']})"
                  "   [lam = |lam|]", highlight=False)
    table = Table(title="E|d_P h|^2 ~ C (1-|lam|)^(-p) along each path")
    for col in ("regime", "path", "order p", "coefficient C", "uniform", "route", "bounded"):
        table.add_column(col)
    for r in j["regimes"]:
        regime = f"rho = {r['rho']}" if not isinstance(r["rho"], str) else r["rho"]
        for i, pa in enumerate(r["paths"]):
            order = _fmt(pa["order"])
            if pa.get("order_error") is not None:
                order += f" ± {pa['order_error']:.1g}"
            coeff = pa["coefficient_exact"] if pa["coefficient_exact"] is not None else "-"
            if pa.get("notes"):
                coeff += "  (" + "; ".join(pa["notes"]) + ")"
            table.add_row(regime if i == 0 else "", pa["limit"], order, coeff,
                          "yes" if pa["uniform"] else "[red]no[/]", pa["route"],
                          "[green]yes[/]" if pa["bounded"] else "[red]no[/]")
    console.print(table)
    if j["mc"]:
        mt = Table(title="Monte Carlo of the parametrized recurrence: log-log slope vs the "
                         "derivation's slope over the same 1-|lam| (asymptotic -p beside it)")
        for col in ("rho", "path", "slope ± se", "derived", "-p", "z (slope)", "values", "ok"):
            mt.add_column(col)
        for row in j["mc"]:
            worst_z = max(abs(p["z"]) for p in row["points"])
            mt.add_row(_fmt(row["rho"]), row["path"], f"{row['slope']:.4f} ± {row['stderr']:.4f}",
                       f"{row['slope_theory']:.4f}", _fmt(row["slope_asymptotic"]),
                       f"{row['z']:+.2f} (|z|≤{row['z_bound']:.2f})",
                       f"max |z| {worst_z:.2f}",
                       "[green]✔[/]" if row["holds"] else "[red]✘[/]")
        capped = [row for row in j["mc"] if row["samples"] < row["samples_requested"]]
        if capped:
            console.print(f"[dim]samples per point: {capped[0]['samples']} of the "
                          f"{capped[0]['samples_requested']} asked (the route's 60 s budget)[/]",
                          highlight=False)
        console.print(mt)
    colour = {"bounded": "green", "undecided": "yellow"}.get(j["verdict"], "red")
    why = ""
    for key, word in (("why", "unbounded"), ("undecided", "undecided")):
        if j.get(key):
            bad = [f"{u['rho']}: {u['path']}: {u['reason']}" for u in j[key]]
            why += (f"  ({word}: " + "; ".join(bad[:4]) + (" ..." if len(bad) > 4 else "")
                    + ")")
    console.print(f"verdict: [bold {colour}]{j['verdict']}[/]{why}", highlight=False)
    console.print(f"[dim]bounded = {j['bounded_means']}[/]", highlight=False)
    if report_dir:
        console.print(f"report written to {report_dir}", highlight=False)
