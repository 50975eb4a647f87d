"""``rnnverify signal-prop``: signal propagation in a deep recurrent network at
initialization (Zucchet & Orvieto 2024, §5, Figs. 5 and 13).

For each model (cRNN, LRU, GRU with chrono initialization; ``crnn-ln`` is the cRNN with layer
normalization, Fig. 5C) and timescale t (moduli |λ| in [1 − 1/t, 1 − 1/(2t)]): the mean
squared output of each layer (after the GLU and the skip connection — the quantity Fig. 5A
plots), E|h|² of the recurrent state per layer, and the mean squared gradient per parameter
group (cRNN: λ, rest; LRU: ω_ν, ω_θ, rest; GRU: recurrent cell, rest), means and standard
errors over initializations, and the paired slope of each in log(1 − ν) (the same
initializations' random numbers at every timescale).  The authors' network and
initializations; inputs are synthetic Gaussian sequences with the autocorrelation fitted in
Fig. 12 (the paper's BERT/Wikipedia embeddings are not available offline).

The start line's time estimate comes from a measured rate (a short probe run of each model);
a request whose working memory cannot fit is refused before allocating.

Exit codes: 0 the measurement ran (the table is the answer), 2 bad input or too large.
"""

from __future__ import annotations

import argparse

from rnnverify.crosscheck.cli._common import (
    EXIT_OK,
    add_seed_argument,
    emit_json,
    non_negative_int,
    parse_float_list,
    positive_int,
    user_input,
)

HELP = ("mean squared layer outputs and states, and mean squared gradients per parameter group "
        "at initialization (Fig. 5)")
MODELS = {"crnn": ("crnn", "none"), "crnn-ln": ("crnn", "layer"), "lru": ("lru", "none"),
          "gru": ("gru", "none")}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--models", default="crnn,crnn-ln,lru,gru",
                   help="comma list of crnn, crnn-ln (layer norm), lru, gru; default all four")
    p.add_argument("--timescales", default="1,10,100", metavar="T,T,...",
                   help="timescales t ≥ 1 (|λ| in [1 − 1/t, 1 − 1/(2t)]); default 1,10,100")
    p.add_argument("--layers", default="4", help="sequence layers (default 4, the paper's)")
    p.add_argument("--steps", default="256", help="sequence length (default 256; paper: 512)")
    p.add_argument("--seeds", default="16", help="initializations per timescale (default 16)")
    add_seed_argument(p, "master seed of the initializations and inputs")


def run(args: argparse.Namespace) -> int:
    from rnnverify.crosscheck.cli.longwork import ensure_fits, planned_work
    from rnnverify.crosscheck.commands.signal_prop import estimate_seconds, signal_prop_study

    with user_input():
        names = [m.strip() for m in args.models.split(",") if m.strip()]
        if not names:
            raise ValueError("--models must name at least one model")
        for m in names:
            if m not in MODELS:
                raise ValueError(f"--models: unknown model {m!r}; valid: {', '.join(MODELS)}")
        timescales = parse_float_list(args.timescales, "--timescales")
        if any(not 1 <= t <= 10_000 for t in timescales):
            raise ValueError("--timescales must lie in [1, 10000]")
        layers = positive_int(args.layers, "--layers")
        steps = positive_int(args.steps, "--steps")
        seeds = positive_int(args.seeds, "--seeds")
        if seeds < 2:
            raise ValueError("--seeds must be at least 2 (standard errors over initializations)")
        if layers > 16 or steps > 8192 or seeds > 1000:
            raise ValueError("--layers ≤ 16, --steps ≤ 8192 and --seeds ≤ 1000")
        if steps < 2:
            raise ValueError("--steps must be at least 2")
        seed = non_negative_int(args.seed, "--seed")
    from rnnverify.numerics.networks.signal_propagation import (
        SignalConfig,
        chunk_size,
        member_bytes,
    )

    models = [MODELS[m] for m in names]
    members = seeds * len(timescales)
    with user_input():
        for arch, norm in models:
            cfg = SignalConfig(arch, 1.0, norm=norm, layers=layers, steps=steps)
            ensure_fits(member_bytes(cfg) * min(chunk_size(cfg), members),
                        f"signal-prop {arch} ({layers} layers × {steps} steps)")
    estimate = estimate_seconds(models, timescales, seeds=seeds, layers=layers, steps=steps)
    with planned_work("signal-prop", f"{len(names)} models × {len(timescales)} timescales × "
                      f"{seeds} initializations", len(names) * members, unit="initializations",
                      estimate_s=estimate, json_mode=args.json) as progress:
        result = signal_prop_study(models, timescales, seeds=seeds, seed=seed, layers=layers,
                                   steps=steps, on_chunk=lambda n: progress(n))
    for model, name in zip(result["models"], names, strict=True):
        model["model"] = name
        for row in model["rows"]:
            row.pop("per_seed")
    if args.json:
        emit_json(result)
    else:
        _print(result)
    return EXIT_OK


def _fmt(s: dict) -> str:
    return f"{s['estimate']:.3g} ± {s['stderr']:.2g}"


def _print(r: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for model in r["models"]:
        groups = list(model["rows"][0]["grad_sq"])
        t = Table(title=f"{model['model']}: mean squared layer output (Fig. 5A) and state "
                        f"per layer, mean squared gradient per group ({r['seeds']} "
                        f"initializations; {r['inputs']})")
        t.add_column("t", justify="right")
        t.add_column("ν range", justify="right")
        for k in range(r["layers"]):
            t.add_column(f"output² layer {k + 1}", justify="right")
        for k in range(r["layers"]):
            t.add_column(f"E|h|² layer {k + 1}", justify="right")
        for g in groups:
            t.add_column(f"grad² {g}", justify="right")
        for row in model["rows"]:
            lo, hi = row["nu_interval"]
            t.add_row(f"{row['timescale']:g}", f"[{lo:.3g}, {hi:.3g}]",
                      *[_fmt(s) for s in row["output_h2"]], *[_fmt(s) for s in row["state_h2"]],
                      *[_fmt(row["grad_sq"][g]) for g in groups])
        console.print(t)
        slopes = model["slopes_log_1_minus_nu"]
        if slopes:
            console.print("paired slopes in log(1 − ν) (mean ± s.e. over initializations): "
                          + ", ".join(f"{k} {v['slope']:+.3f} ± {v['stderr']:.3f}"
                                      for k, v in slopes.items()))
