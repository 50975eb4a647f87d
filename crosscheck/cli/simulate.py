"""``rnnverify simulate``: Monte Carlo E|h|², E|d_λh|², E|d_θh|² on a λ-grid, next to theory.

The recurrence h_{t+1} = λ h_t + γ x_t is simulated by :mod:`numerics.engine`
(independent chains, one input stream shared by the whole λ-grid, derivatives
by the tangent recurrence); each estimate carries its standard error, the
proven bound on its burn-in bias, and the theory value of
:func:`theory.moments.moments` with the z-score of the difference.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from typing import Any

from ._common import (
    EXIT_OK,
    add_model_arguments,
    emit_json,
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
#: memory of one chunk per chain: complex128 states, tangents and moment sums per λ, and
#: the input (bounded from above; the engine holds one chunk at a time)
CHUNK_BYTES_PER_LAM, CHUNK_BYTES_INPUT = 512, 64


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_model_arguments(p, grid=True)
    p.add_argument("--samples", default=str(DEFAULT_SAMPLES), metavar="N",
                   help=f"independent chains (default {DEFAULT_SAMPLES})")
    p.add_argument("--steps", metavar="T",
                   help="steps per chain for the stationary estimate (default: the burn-in "
                        "whose relative bias is ≤ --max-bias)")
    p.add_argument("--max-bias", default="1e-6", metavar="B",
                   help="relative burn-in bias bound of stationary estimates (default 1e-6)")
    p.add_argument("--seed", default="0", metavar="S", help="master seed (default 0)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
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


def _read(args: argparse.Namespace) -> dict[str, Any]:
    from rnnverify.numerics.engine import make_plan
    from rnnverify.numerics.inputs import AR1Input, CirculantInput

    from ..longwork import ensure_fits
    from ..mc_columns import gamma_numbers, input_source

    parts = [p for p in args.lam.split(",")]
    if any(not p.strip() for p in parts):
        raise ValueError(f"--lam must be a comma-separated list of numbers, got {args.lam!r}")
    lams = [_real(p, "--lam") for p in parts]
    theta = None if args.theta is None else _real(args.theta, "--theta")
    for v in lams:
        if theta is not None and v < 0:
            raise ValueError(f"--lam is the modulus when --theta is given: need 0 ≤ L < 1, got {v}")
        if not abs(v) < 1:
            raise ValueError(f"--lam must satisfy |λ| < 1, got {v}")
    if args.autocorr is not None:
        from rnnverify.theory.autocorr import from_expression

        ac = from_expression(args.autocorr)
        if ac.has_rho:
            raise ValueError("--autocorr may not use rho (give --rho for the ρ^|k| family)")
        source = input_source(ac)
        autocorr: Any = ac
    else:
        rho = 0.0 if args.rho is None else _real(args.rho, "--rho")
        if not -1.0 <= rho <= 1.0:
            raise ValueError(f"--rho must lie in [-1, 1], got {args.rho}")
        source, autocorr = AR1Input(rho), rho
    if args.gamma_coupled and args.gamma is None:
        raise ValueError("--gamma-coupled needs --gamma")
    if args.gamma_coupled and theta is not None:
        raise ValueError("--gamma-coupled is only defined for real λ (drop --theta)")
    gam = [gamma_numbers(args.gamma, abs(v), coupled=args.gamma_coupled) for v in lams]
    t = None if args.t is None else positive_int(args.t, "--t")
    steps = None if args.steps is None else positive_int(args.steps, "--steps")
    if t is not None and steps is not None:
        raise ValueError("--t (finite horizon) and --steps (stationary) exclude each other")
    max_bias = _real(args.max_bias, "--max-bias")
    if not 0 < max_bias < 1:
        raise ValueError(f"--max-bias must lie in (0, 1), got {args.max_bias}")
    samples = positive_int(args.samples, "--samples")
    seed = non_negative_int(args.seed, "--seed")
    chunk = positive_int(args.chunk, "--chunk")
    cplx = [v if theta is None else v * complex(math.cos(theta), math.sin(theta)) for v in lams]
    plan = make_plan(cplx, source=source, gamma=[g for g, _ in gam],
                     gamma_prime=[gp for _, gp in gam] if args.gamma_coupled else None,
                     theta_derivative=theta is not None, horizon=t, rel_bias=max_bias,
                     steps=steps, device=args.device, dtype=args.dtype)
    in_chunk = min(chunk, samples)
    ensure_fits(in_chunk * (CHUNK_BYTES_PER_LAM * len(lams) + CHUNK_BYTES_INPUT),
                f"simulate: a chunk of {in_chunk} chains × {len(lams)} λ", device=str(plan.device))
    if isinstance(source, CirculantInput) and plan.steps > 0:
        source.sqrt_eigenvalues(plan.steps)  # refuse a non-PSD R before simulating
    return {"lams": lams, "lam_values": cplx, "theta": theta, "source": source,
            "autocorr": autocorr, "gamma": gam, "t": t, "steps": steps, "max_bias": max_bias,
            "samples": samples, "seed": seed, "chunk": chunk, "plan": plan}


def _theory(inp: dict[str, Any], args: argparse.Namespace, lam: float) -> dict[str, Any]:
    from rnnverify.theory.moments import moments

    vals = moments(lam, theta=inp["theta"], autocorr=inp["autocorr"], gamma=args.gamma,
                   gamma_coupled=bool(args.gamma_coupled), t=inp["t"], dps=30)
    return {k: (None if v is None else float(v)) for k, v in vals.items()}


def run(args: argparse.Namespace) -> int:
    """One process, or one rank of a torchrun launch (output and files on rank 0 only)."""
    from ._common import InputError
    from .launch import run_command

    return run_command(lambda device: _run(args, device), args.device, bad_input=InputError)


def _run(args: argparse.Namespace, device: str) -> int:
    from rnnverify.numerics.montecarlo import simulate_moments

    args.device = device  # cuda:LOCAL_RANK under torchrun
    with user_input():
        inp = _read(args)
    plan = inp["plan"]
    work = inp["samples"] * max(1, plan.steps) * len(inp["lams"])
    start = time.perf_counter()
    kwargs = dict(source=inp["source"], n_samples=inp["samples"],
                  gamma=[g for g, _ in inp["gamma"]],
                  gamma_prime=[gp for _, gp in inp["gamma"]] if args.gamma_coupled else None,
                  theta_derivative=inp["theta"] is not None, horizon=inp["t"],
                  rel_bias=inp["max_bias"], steps=inp["steps"], seed=inp["seed"],
                  device=plan.device, dtype=plan.dtype, chunk_samples=inp["chunk"])
    from ..longwork import planned_work

    units = f"sample-steps ({inp['samples']} samples × {plan.steps} steps × {len(inp['lams'])} λ)"
    rate = SAMPLE_STEPS_PER_SECOND / getattr(inp["source"], "relative_cost", 1.0)
    if work < PROGRESS_MIN_WORK:
        result = simulate_moments(inp["lam_values"], **kwargs)
    else:
        with planned_work("simulate", "Monte Carlo", work, unit=units,
                          estimate_s=work / rate, json_mode=args.json) as progress:
            per_sample = max(1, plan.steps) * len(inp["lams"])
            result = simulate_moments(inp["lam_values"],
                                      progress=lambda n: progress(n * per_sample), **kwargs)
    seconds = time.perf_counter() - start

    from ..registry import two_sided_z

    rows = []
    for lam, pt in zip(inp["lams"], result.points, strict=True):
        theory = None if args.no_theory else _theory(inp, args, lam)
        row: dict[str, Any] = {"lam": lam, "theta": inp["theta"], "gamma": pt.gamma}
        for q in ("h2", "dh2_dlam", "dh2_dtheta"):
            est = pt.quantities.get(q)
            if est is None:
                row[q] = None
                continue
            entry: dict[str, Any] = est.to_json()
            entry["bias_bound"] = pt.bias_bound[q]
            if theory is not None and theory.get(q) is not None:
                entry["theory"] = theory[q]
                diff = est.estimate - theory[q]
                entry["z"] = diff / est.stderr if est.stderr > 0 else (0.0 if diff == 0 else None)
            row[q] = entry
        rows.append(row)
    meta = {
        "samples": result.n_samples,
        "steps": result.steps,
        "stationary": result.stationary,
        "burn_in": result.steps if result.stationary else 0,
        "bias_bound": max(max(p.bias_bound.values()) for p in result.points),
        "max_bias": inp["max_bias"],
        "seed": result.seed,
        "device": result.device,
        "dtype": result.dtype,
        "block_size": result.block_size,
        "chunk": result.chunk_samples,
        "seconds": round(seconds, 3),
        "sample_steps_per_second": (result.n_samples * result.steps / seconds
                                    if seconds > 0 else None),
        "z_bound_at_alpha_1e-3": two_sided_z(1e-3),
        "input": (f"AR(1) rho={inp['autocorr']}" if isinstance(inp["autocorr"], float)
                  else f"autocorr {inp['autocorr'].name}"),
    }
    if args.json:
        emit_json({"results": rows, **meta})
    else:
        _print(rows, meta)
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
