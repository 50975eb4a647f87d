"""``rnnverify gru-gates``: how far the constant-gate GRU theory holds (Fig. 15).

For each timescale T (chrono gate bias, σ(b) = 1 − 1/(1 + T)) and each case — constant gate,
input-dependent gate, input- and hidden-dependent gate — the measured E h² and E(d_b h)² of a
GRU unit divided by the constant-gate prediction of Zucchet & Orvieto (2024, §5, Figs. 12,
15).  ``--model authors`` (default) simulates the notebook's gates: an input projection
W_iz ~ N(0, 2/fan_in) and an orthogonal W_hz across the units of a layer, one initialization
per layer; ``--model shared`` a variant whose gate sees the state's own input and a scalar
self-connection (weights drawn per chain).
Inputs are synthetic Gaussian sequences with the autocorrelation fitted in Fig. 12 (the
paper's BERT/Wikipedia data is not available offline).

Exit codes: 0 the measurement ran (the ratios are the answer), 2 bad input.
"""

from __future__ import annotations

import argparse

from rnnverify.crosscheck.cli._common import (
    EXIT_OK,
    add_device_argument,
    add_seed_argument,
    emit_json,
    non_negative_int,
    parse_float,
    parse_float_list,
    positive_int,
    user_input,
)

HELP = "constant-gate GRU theory vs input/hidden-dependent gates (Fig. 15), by simulation"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--timescales", default="1,4,16,64,256", metavar="T,T,...",
                   help="gate timescales T (σ(b) = 1 − 1/(1+T)); default 1,4,16,64,256")
    p.add_argument("--cases", default="constant,input,hidden",
                   help="comma list of constant, input, hidden")
    p.add_argument("--model", default="authors", choices=("authors", "shared"),
                   help="authors: the Fig. 15 notebook's gates (W_iz ~ N(0, 2/fan_in), "
                        "orthogonal W_hz across units); shared: a variant whose gate sees the "
                        "state's own input and a scalar self-connection")
    p.add_argument("--units", default="32", help="units per layer (authors model)")
    p.add_argument("--sigma-x", default="1",
                   help="scale of the input gate weights (authors: ×W_iz; shared: std of w_x)")
    p.add_argument("--sigma-h", default="1",
                   help="scale of the hidden gate weights (authors: ×W_hz; shared: std of w_h)")
    p.add_argument("--samples", default=None,
                   help="independent layers (authors, default 2000) or chains (shared, "
                        "default 20000) per (timescale, case)")
    p.add_argument("--plot", metavar="PATH",
                   help="write the Fig. 15 ratios (measured / predicted vs T) to PATH (png)")
    add_seed_argument(p, "seed of the gate weights and inputs")
    add_device_argument(p)


def run(args: argparse.Namespace) -> int:
    from rnnverify.crosscheck.cli.longwork import planned_work
    from rnnverify.crosscheck.commands.gru_gates import CASES, gate_study

    with user_input():
        timescales = parse_float_list(args.timescales, "--timescales")
        if any(t <= 0 or t > 10_000 for t in timescales):
            raise ValueError("--timescales must lie in (0, 10000]")
        cases = tuple(c.strip() for c in args.cases.split(",") if c.strip())
        for c in cases:
            if c not in CASES:
                raise ValueError(f"--cases: unknown case {c!r}; valid: {', '.join(CASES)}")
        sigma_x = parse_float(args.sigma_x, "--sigma-x")
        sigma_h = parse_float(args.sigma_h, "--sigma-h")
        if sigma_x < 0 or sigma_h < 0:
            raise ValueError("--sigma-x and --sigma-h must be non-negative")
        default = "2000" if args.model == "authors" else "20000"
        samples = positive_int(args.samples if args.samples is not None else default,
                               "--samples")
        if samples > 4_000_000:
            raise ValueError(f"--samples must be at most 4000000, got {samples}")
        units = positive_int(args.units, "--units")
        if units > 512:
            raise ValueError(f"--units must be at most 512, got {units}")
        seed = non_negative_int(args.seed, "--seed")
        from rnnverify.numerics.device import resolve_device  # torch: after the flags' checks

        device = str(resolve_device(args.device))
    runs = len(timescales) * len(cases)
    what = f"layers of {units} units" if args.model == "authors" else "chains"
    with planned_work("gru-gates", f"{len(timescales)} timescales × {len(cases)} cases × "
                      f"{samples} {what}", runs, unit="runs", json_mode=args.json) as progress:
        result = gate_study(timescales, cases=cases, sigma_x=sigma_x, sigma_h=sigma_h,
                            samples=samples, seed=seed, device=device, model=args.model,
                            units=units, on_row=lambda: progress())
    if args.plot:
        from rnnverify.crosscheck.report.atomic import atomic_write_bytes
        from rnnverify.crosscheck.report.figures import fig15

        atomic_write_bytes(args.plot, fig15(result))
        result["plot"] = args.plot
    if args.json:
        emit_json(result)
    else:
        _print(result)
    return EXIT_OK


def _print(r: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"GRU gate: measured / constant-gate prediction (σ_x = {r['sigma_x']}, "
                    f"σ_h = {r['sigma_h']}); {r['model_description']}; {r['inputs']}")
    for col in ("T", "case", "E h² ratio", "E(d_b h)² ratio", "z vs code's Var(d_b h)"):
        t.add_column(col, justify="right")
    for row in r["rows"]:
        t.add_row(f"{row['timescale']:g}", row["case"],
                  f"{row['h2']['ratio']:.3f} ± {row['h2']['ratio_stderr']:.3f}",
                  f"{row['dh2_db']['ratio']:.3f} ± {row['dh2_db']['ratio_stderr']:.3f}",
                  f"{row['dh2_db']['z_vs_code_formula']:+.1f}")
    Console().print(t)
