"""``rnnverify check-param``: is a parametrization λ(params) safe from the curse of memory?

Derives E|d_P h|², its order of blow-up as |λ| → 1⁻ per input regime, a
verdict ("bounded" only if every regime is), and optionally a Monte Carlo
confirmation of the orders and a report (see :mod:`rnnverify.crosscheck.paramcheck`; the
document is :meth:`rnnverify.crosscheck.checks.ParamCheckResult.to_dict`).
"""

from __future__ import annotations

import argparse

from ._common import (
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

HELP = "check a parametrization lambda(params): sensitivity, order of blow-up, verdict"

EPILOG = """examples:
  rnnverify check-param --lam "exp(-exp(w))" --wrt w --gamma "sqrt(1-lam**2)"
  rnnverify check-param --lam "exp(-exp(w) + I*exp(a))" --wrt a --gamma "sqrt(1-lam**2)"
  rnnverify check-param --preset exp_normalized --mc
presets: identity, exp, polar, lru, tanh_optimal and each *_normalized (Zucchet & Orvieto §3).
The limit |lam| -> 1 is taken along the one parameter |lam| depends on (others fixed)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("--lam", metavar="EXPR",
                   help="lambda as an expression of your parameters, e.g. 'exp(-exp(w))'")
    p.add_argument("--wrt", metavar="P", help="the parameter to differentiate with respect to")
    p.add_argument("--preset", metavar="NAME",
                   help="a parametrization of the paper instead of --lam")
    add_gamma_arguments(p)
    p.add_argument("--rho", metavar="R,R,...", default="0,0.5,1",
                   help="AR(1) input correlations (default 0,0.5,1)")
    p.add_argument("--autocorr", metavar="EXPR",
                   help="input autocorrelation R(k) instead of rho^|k|")
    p.add_argument("--mc", action="store_true", help="confirm the orders by Monte Carlo (< 60 s)")
    add_samples_argument(p, 20000, "Monte Carlo samples per point")
    add_seed_argument(p, "Monte Carlo seed")
    add_device_argument(p)
    p.add_argument("--report", metavar="DIR", help="also write a report (md, html, tex) into DIR")


def run(args: argparse.Namespace) -> int:
    from ..checks import check_parametrization

    with user_input():
        rhos = parse_float_list(args.rho, "--rho")
        samples = positive_int(args.samples, "--samples")
        seed = non_negative_int(args.seed, "--seed")
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
        result = check_parametrization(
            args.lam, args.wrt, preset=args.preset, gamma=args.gamma,
            gamma_coupled=args.gamma_coupled, rho=rhos, autocorr=args.autocorr)
        if args.report is not None:
            from ..report.build import validate_out_dir

            validate_out_dir(args.report)
    if args.mc:
        result.add_monte_carlo(samples=samples, seed=seed, device=device)
    if args.report is not None:
        from ..report.build import write_param_report

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
    if j["limit"]:
        console.print(f"|lam| -> 1 along {j['limit']};  |d lam/d {j['wrt']}|^2 = "
                      f"{j['chain_factor']}", highlight=False)
    console.print(f"E|d_{j['wrt']} h|^2 = {j['sensitivity']}", highlight=False)
    table = Table(title="E|d_P h|^2 ~ C (1-|lam|)^(-p) as |lam| -> 1")
    for col in ("regime", "order p", "coefficient C", "bounded"):
        table.add_column(col)
    for r in j["regimes"]:
        regime = f"rho = {r['rho']}" if not isinstance(r["rho"], str) else r["rho"]
        table.add_row(regime, _fmt(r["order"]), _fmt(r["coefficient"]),
                      "[green]yes[/]" if r["bounded"] else "[red]no[/]")
    console.print(table)
    if j["mc"]:
        mt = Table(title="Monte Carlo log-log slope vs 1-|lam| (exact slope, asymptotic -p)")
        for col in ("rho", "slope ± se", "exact", "-p", "z", "ok"):
            mt.add_column(col)
        for row in j["mc"]:
            mt.add_row(_fmt(row["rho"]), f"{row['slope']:.3f} ± {row['stderr']:.3f}",
                       f"{row['slope_theory']:.3f}", _fmt(row["slope_asymptotic"]),
                       f"{row['z']:+.2f} (|z|≤{row['z_bound']:.2f})",
                       "[green]✔[/]" if row["holds"] else "[red]✘[/]")
        console.print(mt)
    colour = "green" if j["verdict"] == "bounded" else "red"
    console.print(f"verdict: [bold {colour}]{j['verdict']}[/]")
    if report_dir:
        console.print(f"report written to {report_dir}", highlight=False)
