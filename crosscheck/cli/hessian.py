"""``rnnverify hessian``: the Hessian of the teacher–student loss at the optimum, every route.

Zucchet & Orvieto (2024), §4 and appendix (Figs. 4, 9, 10): teacher = student linear recurrent
network (``dense``, complex ``diagonal``, ``lru`` or ``heads:K``), stationary AR(1) input.
Prints the spectrum, the condition number on the range (the Hessian is singular along the
network's invariances), the condition number after Adam-like diagonal preconditioning, the
share of each eigenvector on the recurrent (λ) coordinates, and the agreement of the routes.

Exit codes: 0 the routes agree, 1 they do not, 2 bad input.
"""

from __future__ import annotations

import argparse

from rnnverify.crosscheck.cli._common import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    add_device_argument,
    add_seed_argument,
    emit_json,
    non_negative_int,
    positive_int,
    user_input,
)

HELP = "Hessian at the optimum of a linear recurrent network (Fig. 4): all routes, spectrum"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="diagonal", metavar="dense|diagonal|lru|heads:K",
                   help="parametrization of the recurrence (default diagonal)")
    p.add_argument("--hidden", default="4", metavar="N", help="hidden size (default 4, ≤ 16)")
    p.add_argument("--nu0", default="0.99", metavar="V",
                   help="eigenvalue moduli uniform in [V, (1+V)/2] (default 0.99)")
    p.add_argument("--rho", default="0", metavar="R", help="AR(1) input correlation in (-1, 1)")
    add_seed_argument(p, "seed of the teacher and of the simulation")
    p.add_argument("--mc-samples", default="4000", metavar="S",
                   help="Monte Carlo sequences (0: skip the simulation route)")
    p.add_argument("--dps", default="30", metavar="D", help="digits of the oracle (default 30)")
    add_device_argument(p)
    p.add_argument("--plot", metavar="PATH", help="write the Fig. 4 heatmaps to PATH (png/pdf)")


def run(args: argparse.Namespace) -> int:
    import mpmath
    from rnnverify.crosscheck.cli._common import parse_float
    from rnnverify.crosscheck.report.atomic import atomic_write_bytes
    from rnnverify.theory.networks.teacher import parse_model

    with user_input():
        parse_model(args.model)
        hidden = positive_int(args.hidden, "--hidden")
        nu0 = parse_float(args.nu0, "--nu0")
        if not 0 <= nu0 < 1:
            raise ValueError(f"--nu0 must lie in [0, 1), got {args.nu0}")
        rho = parse_float(args.rho, "--rho")
        if not -1 < rho < 1:
            raise ValueError(f"--rho must lie in (-1, 1), got {args.rho}")
        seed = non_negative_int(args.seed, "--seed")
        samples = non_negative_int(args.mc_samples, "--mc-samples")
        dps = positive_int(args.dps, "--dps")
        if not 20 <= dps <= 100:
            raise ValueError(f"--dps must lie in [20, 100], got {dps}")
        # validation of the model/size combination (heads dividing N, N ≤ 16) happens here
        from rnnverify.theory.networks.teacher import teacher

        kind, heads = parse_model(args.model)
        with mpmath.workdps(20):
            net = teacher(kind, hidden, args.nu0, heads=heads, seed=seed, dps=20)
        from rnnverify.numerics.device import resolve_device  # torch: after the flags' checks

        device = str(resolve_device(args.device))
        from rnnverify.crosscheck.cli.longwork import ensure_fits, planned_work
        from rnnverify.crosscheck.commands.hessian import estimate_seconds, mc_steps
        from rnnverify.numerics.networks.linear_network import MAX_SAMPLES, gauss_newton_bytes

        if samples > MAX_SAMPLES:
            raise ValueError(f"--mc-samples must be at most {MAX_SAMPLES}, got {samples}")
        steps = mc_steps(nu0)
        if samples:
            ensure_fits(gauss_newton_bytes(len(net.names), hidden, samples=samples, steps=steps,
                                           window=4),
                        f"the Monte Carlo Jacobians ({len(net.names)} parameters × {steps} "
                        f"steps at --nu0 {args.nu0})", device=device)

    from rnnverify.crosscheck.commands.hessian import hessian_analysis
    from rnnverify.crosscheck.report.figures import fig_hessian

    estimate = estimate_seconds(len(net.names), samples=samples, steps=steps)
    with planned_work("hessian", f"{args.model}, N = {hidden}, {len(net.names)} parameters",
                      1, unit="analysis", estimate_s=estimate, json_mode=args.json) as progress:
        result = hessian_analysis(args.model, hidden, args.nu0, rho=args.rho, seed=seed,
                                  mc_samples=samples, dps=dps, device=device)
        progress()
    if args.plot:
        suffix = args.plot.rsplit(".", 1)[-1].lower() if "." in args.plot else "png"
        atomic_write_bytes(args.plot, fig_hessian(result, suffix if suffix in ("png", "pdf", "svg")
                                                  else "png"))
        result["plot"] = args.plot
    if args.json:
        emit_json(result)
    else:
        _print(result)
    return EXIT_OK if result["holds"] else EXIT_CHECK_FAILED


def _print(r: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    a = r["agreement"]
    t = Table(title=f"Hessian at the optimum: {r['model']}, N = {r['hidden']}, "
                    f"ν₀ = {r['nu0']}, ρ = {r['rho']}, seed {r['seed']}")
    t.add_column("quantity")
    t.add_column("value", justify="right")
    rows = [
        ("parameters", str(len(r["parameters"]))),
        ("null directions (invariances predict)",
         f"{r['null_dimension']} ({r['predicted_null_dimension']})"),
        ("largest eigenvalue", f"{max(r['eigenvalues']):.6g}"),
        ("condition number on the range", f"{r['condition_number']:.6g}"),
        ("preconditioned condition number (Adam-like)",
         f"{r['preconditioned_condition_number']:.6g}"),
        ("top eigenvectors: mean 1/Σv⁴ (Fig. 4B)",
         f"{r['top_eigenvectors']['mean_effective_coordinates']:.3f} of "
         f"{len(r['parameters'])} coordinates"),
        ("symbolic vs oracle (normwise rel.)",
         "n/a (no diagonal form)" if a["symbolic_vs_oracle"] is None
         else f"{a['symbolic_vs_oracle']:.2e}"),
    ]
    mc = a["monte_carlo"]
    if mc is not None:
        rows += [("Monte Carlo max |z| (bound)", f"{mc['max_abs_z']:.2f} ({mc['z_bound']:.2f})"),
                 ("Monte Carlo rel. Frobenius error", f"{mc['relative_frobenius_error']:.2e}"),
                 ("torch.func.hessian vs J Jᵀ", f"{mc['autograd_hessian_rel_difference']:.1e}")]
    rows.append(("routes agree", "yes" if r["holds"] else "NO"))
    rows.append(("seconds", f"{r['seconds']:.1f}"))
    for name, value in rows:
        t.add_row(name, value)
    console.print(t)
    e = Table(title="eigenvectors: share carried by the recurrent (λ) coordinates")
    e.add_column("#", justify="right")
    e.add_column("eigenvalue", justify="right")
    e.add_column("λ share", justify="right")
    order = sorted(range(len(r["eigenvalues"])), key=lambda i: -r["eigenvalues"][i])
    for rank, i in enumerate(order[: len(order) - r["null_dimension"]]):
        e.add_row(str(rank + 1), f"{r['eigenvalues'][i]:.6g}", f"{r['lambda_share'][i]:.3f}")
    console.print(e)
