"""``rnnverify simulate``: Monte Carlo E|h|², E|d_λh|², E|d_θh|² on a λ-grid, next to theory.

The recurrence h_{t+1} = λ h_t + γ x_t is simulated by :mod:`numerics.memory.engine`
(independent chains, one input stream shared by the whole λ-grid, derivatives
by the tangent recurrence); each estimate carries its standard error, the
proven bound on its burn-in bias, and the theory value of
:func:`rnnverify.theory.memory.moments.moments` with the z-score of the difference.
The document is :meth:`rnnverify.crosscheck.model.simulate.Simulation.to_dict`, the same
as ``rnnverify.Model(...).simulate(...).to_dict()`` for one λ.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from rnnverify.crosscheck.cli._common import (
    EXIT_OK,
    add_device_argument,
    add_model_arguments,
    add_samples_argument,
    add_seed_argument,
    emit_json,
    model_from_args,
    non_negative_int,
    positive_int,
    user_input,
)

HELP = "Monte Carlo second moments (with standard errors) on a λ-grid, next to theory"

DEFAULT_SAMPLES = 100_000
#: only runs longer than this many sample-steps get a progress bar
PROGRESS_MIN_WORK = 2e8
#: sample-steps per second of one idle CPU core with AR(1) inputs (measured with
#: benchmarks/bench_mc.py); the start line's estimate divides by it
SAMPLE_STEPS_PER_SECOND = 3e7
#: sample-steps per second of the gate simulator on one loaded CPU core (measured: 20000
#: chains × 137 steps of exp(-exp(w + s*u)) in 0.4 s)
GATE_SAMPLE_STEPS_PER_SECOND = 5e6
#: memory of one chunk per chain: complex128 states, tangents and moment sums per λ, and
#: the input (bounded from above; the engine holds one chunk at a time)
CHUNK_BYTES_PER_LAM, CHUNK_BYTES_INPUT = 512, 64


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_model_arguments(p, grid=True)
    add_samples_argument(p, DEFAULT_SAMPLES, "independent chains")
    p.add_argument("--steps", metavar="T",
                   help="steps per chain for the stationary estimate (default: the burn-in "
                        "whose relative bias is ≤ --max-bias)")
    p.add_argument("--max-bias", default="1e-6", metavar="B",
                   help="relative burn-in bias bound of stationary estimates (default 1e-6)")
    add_seed_argument(p)
    add_device_argument(p)
    p.add_argument("--dtype", choices=["float32", "float64"],
                   help="default float64 on CPU, float32 on CUDA")
    p.add_argument("--chunk", default="65536", metavar="N",
                   help="samples per chunk (memory; results do not depend on it)")
    p.add_argument("--no-theory", action="store_true", help="skip the theory values")


def _real(text: str, name: str) -> float:
    from rnnverify.theory.parser import parse_real

    value = float(parse_real(text.strip(), name=name, dps=30))
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {text!r}")
    return value


def _plan(args: argparse.Namespace, device: str):
    """The validated request (:func:`rnnverify.crosscheck.model.recurrence.plan_simulation`)."""
    parts = args.lam.split(",")
    if any(not p.strip() for p in parts):
        raise ValueError(f"--lam must be a comma-separated list of numbers, got {args.lam!r}")
    models = [model_from_args(args, lam=p) for p in parts]
    samples = positive_int(args.samples, "--samples")
    seed = non_negative_int(args.seed, "--seed")
    steps = None if args.steps is None else positive_int(args.steps, "--steps")
    max_bias = _real(args.max_bias, "--max-bias")
    chunk = positive_int(args.chunk, "--chunk")
    from rnnverify.crosscheck.model.simulate import (
        plan_simulation,  # torch: after the checks of the flags
    )

    return plan_simulation(models, samples=samples, seed=seed, device=device, dtype=args.dtype,
                           steps=steps, max_bias=max_bias, chunk=chunk,
                           theory=not args.no_theory, _cli=True)


def run(args: argparse.Namespace) -> int:
    """One process, or one rank of a torchrun launch (output and files on rank 0 only)."""
    from rnnverify.crosscheck.cli._common import InputError
    from rnnverify.crosscheck.cli.launch import run_command

    return run_command(lambda device: _run(args, device), args.device, bad_input=InputError)


def _run(args: argparse.Namespace, device: str) -> int:
    from rnnverify.crosscheck.cli.longwork import ensure_fits, planned_work

    if args.gate is not None:
        return _run_gate(args, device)
    with user_input():
        request = _plan(args, device)  # device: cuda:LOCAL_RANK under torchrun
        in_chunk = min(request.chunk, request.samples)
        lams = len(request.models)
        ensure_fits(in_chunk * (CHUNK_BYTES_PER_LAM * lams + CHUNK_BYTES_INPUT),
                    f"simulate: a chunk of {in_chunk} chains × {lams} λ",
                    device=str(request.plan.device))
    from rnnverify.crosscheck.model.simulate import run_simulation
    if request.work < PROGRESS_MIN_WORK:
        result = run_simulation(request)
    else:
        steps = request.plan.steps
        units = f"sample-steps ({request.samples} samples × {steps} steps × {lams} λ)"
        rate = SAMPLE_STEPS_PER_SECOND / getattr(request.source, "relative_cost", 1.0)
        per_sample = max(1, steps) * lams
        with planned_work("simulate", "Monte Carlo", request.work, unit=units,
                          estimate_s=request.work / rate, json_mode=args.json) as progress:
            result = run_simulation(request, progress=lambda n: progress(n * per_sample))
    if args.json:
        emit_json(result.to_dict())
    else:
        _print(result.rows, result.meta)
    return EXIT_OK


def _run_gate(args: argparse.Namespace, device: str) -> int:
    """``simulate --gate``: a random or selective gate (one point, no λ-grid)."""
    with user_input():
        model = model_from_args(args)
        samples = positive_int(args.samples, "--samples")
        seed = non_negative_int(args.seed, "--seed")
        steps = None if args.steps is None else positive_int(args.steps, "--steps")
        max_bias = _real(args.max_bias, "--max-bias")
        chunk = positive_int(args.chunk, "--chunk")
        from rnnverify.crosscheck.cli.longwork import ensure_fits, planned_work
        from rnnverify.crosscheck.model.gates import plan_gate_simulation, run_gate_simulation

        plan = plan_gate_simulation(model, samples=samples, seed=seed, device=device,
                                    dtype=args.dtype, steps=steps, max_bias=max_bias,
                                    chunk=chunk)
        in_chunk = min(chunk, samples)
        # per chain: h, d, one tile of u, x, λ, μ (64 steps) in float64
        ensure_fits(in_chunk * 8 * (2 + 4 * 64) + CHUNK_BYTES_INPUT * in_chunk,
                    f"simulate --gate: a chunk of {in_chunk} chains",
                    device=str(plan["device"]))
    work = plan["samples"] * max(1, plan["steps"])
    if work < PROGRESS_MIN_WORK:
        result = run_gate_simulation(plan, theory=not args.no_theory)
    else:
        with planned_work("simulate", "Monte Carlo of the gate", work,
                          unit=f"sample-steps ({plan['samples']} samples × {plan['steps']} "
                               "steps)", estimate_s=work / GATE_SAMPLE_STEPS_PER_SECOND,
                          json_mode=args.json) as progress:
            result = run_gate_simulation(plan, theory=not args.no_theory,
                                         progress=lambda n: progress(n * plan["steps"]))
    if args.json:
        emit_json(result.to_dict())
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    meta, row = result.meta, result.rows[0]
    table = Table(title=f"rnnverify simulate --gate: {meta['samples']} chains, "
                        f"{meta['steps']} steps")
    for col in ("quantity", "Monte Carlo", "± stderr", "theory", "z"):
        table.add_column(col, justify="left" if col == "quantity" else "right")
    for q in ("h2", "dh2_dp"):
        e = row[q]
        z = e.get("z")
        table.add_row(q, _fmt(e, "estimate"), f"{e['stderr']:.2g}", _fmt(e, "theory"),
                      "–" if z is None else f"{z:+.2f}")
    console = Console()
    console.print(f"λ_t = {row['gate']}; {meta['input']}", highlight=False)
    console.print(table)
    if meta["bias_note"]:
        console.print(meta["bias_note"], highlight=False)
    return EXIT_OK


def _fmt(entry: dict[str, Any] | None, key: str) -> str:
    if entry is None or entry.get(key) is None:
        return "–"
    return f"{entry[key]:.6g}"


def _print(rows: list[dict[str, Any]], meta: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    how = (f"stationary, {meta['steps']} steps per chain (relative bias ≤ {meta['bias_bound']:.1e})"
           if meta["stationary"] else f"finite horizon t = {meta['steps']} from h_0 = 0")
    table = Table(title=f"rnnverify simulate: {meta['samples']} chains, {how}")
    for col in ("λ", "quantity", "Monte Carlo", "± stderr", "theory", "z"):
        table.add_column(col, justify="right" if col != "quantity" else "left")
    for row in rows:
        lam = f"{row['lam']:g}" + ("" if row["theta"] is None else f"·e^(i{row['theta']:g})")
        for q in ("h2", "dh2_dlam", "dh2_dtheta"):
            e = row[q]
            if e is None:
                continue
            z = e.get("z")
            table.add_row(lam, q, _fmt(e, "estimate"), f"{e['stderr']:.2g}", _fmt(e, "theory"),
                          "–" if z is None else f"{z:+.2f}")
    console = Console()
    console.print(table)
    console.print(f"{meta['input']}; seed {meta['seed']}, {meta['device']} {meta['dtype']}, "
                  f"{meta['seconds']:.2f} s; |z| > {meta['z_bound_at_alpha_1e-3']:.2f} happens "
                  "with probability 1e-3 per quantity if theory is right.", highlight=False)
    sys.stdout.flush()
