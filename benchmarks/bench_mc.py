"""Throughput of the Monte Carlo engine (numerics.memory.engine) against two references.

    python benchmarks/bench_mc.py [--samples 65536] [--rho 0.5] [--device cpu]
                                  [--dtype float64] [--out benchmarks/results/bench_mc.json]

Measured, on the same device and dtype:

* **raw RNG**: ``Tensor.normal_`` into a preallocated (64, samples) buffer —
  normals per second, the ceiling for anything that draws one normal per
  sample-step (best of 1 and the default number of threads);
* **plain loop**: what a user would write, per λ separately::

      x = torch.randn(n); h = zeros; dh = zeros
      for t in range(T):
          dh = lam * dh + h; h = lam * h + x
          x = rho * x + sqrt(1 - rho**2) * torch.randn(n)

  (best of 1 and the default number of threads);
* **engine**: :func:`numerics.memory.montecarlo.simulate_moments` on a single point and on a
  10-point λ-grid at one ρ (one shared input stream).

All runs use the same samples per λ and the same steps per chain (the engine's
burn-in for the largest λ, bias ≤ 1e-6), so their standard errors are equal in
distribution; the table shows them.  Throughput = λ-points × samples × steps /
seconds ("point-sample-steps per second").  Targets: grid ≥ 5× the
plain loop; single point ≥ 50 % of raw RNG.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rnnverify.numerics.device import resolve_device, resolve_dtype  # noqa: E402
from rnnverify.numerics.memory.engine import make_plan  # noqa: E402
from rnnverify.numerics.memory.inputs import AR1Input  # noqa: E402
from rnnverify.numerics.memory.montecarlo import simulate_moments  # noqa: E402

GRID = [0.5, 0.6, 0.7, 0.8, 0.85, 0.88, 0.9, 0.92, 0.94, 0.95]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _with_threads(n: int | None, fn):
    old = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        return fn()
    finally:
        torch.set_num_threads(old)


def raw_rng(n: int, device, dtype, seconds: float = 1.0) -> float:
    """Normals per second of normal_ into a preallocated buffer."""
    gen = torch.Generator(device=device).manual_seed(0)
    buf = torch.empty(64, n, dtype=dtype, device=device)
    buf.normal_(generator=gen)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        buf.normal_(generator=gen)
        count += buf.numel()
    _sync(device)
    return count / (time.perf_counter() - start)


def plain_loop(lam: float, rho: float, n: int, steps: int, device, dtype, seed: int):
    """The per-point loop a user would write; returns (seconds, E h², se, E dh², se)."""
    gen = torch.Generator(device=device).manual_seed(seed)
    s = math.sqrt(1 - rho * rho)
    start = time.perf_counter()
    x = torch.randn(n, generator=gen, dtype=dtype, device=device)
    h = torch.zeros(n, dtype=dtype, device=device)
    dh = torch.zeros(n, dtype=dtype, device=device)
    for _ in range(steps):
        dh = lam * dh + h
        h = lam * h + x
        x = rho * x + s * torch.randn(n, generator=gen, dtype=dtype, device=device)
    q1, q2 = h.square().double(), dh.square().double()
    out = (q1.mean().item(), q1.std().item() / math.sqrt(n),
           q2.mean().item(), q2.std().item() / math.sqrt(n))
    _sync(device)
    return (time.perf_counter() - start, *out)


def best_plain(lams, rho, n, steps, device, dtype):
    """Plain loops with the faster of 1 thread and the default thread count (chosen by a
    short pilot run): the fairest baseline on a shared machine."""
    pilot = {}
    for threads in (1, None):
        pilot[threads] = _with_threads(
            threads, lambda: plain_loop(lams[0], rho, n, min(steps, 40), device, dtype, 0)[0])
    threads = min(pilot, key=pilot.get)
    runs = _with_threads(threads, lambda: [plain_loop(v, rho, n, steps, device, dtype, i)
                                           for i, v in enumerate(lams)])
    return sum(r[0] for r in runs), runs, threads or torch.get_num_threads()


def engine(lams, rho, n, steps, device, dtype):
    start = time.perf_counter()
    res = simulate_moments(lams, rho=rho, n_samples=n, steps=steps, seed=1, device=device,
                           dtype=dtype, chunk_samples=n, block_size=min(n, 4096))
    _sync(device)
    return time.perf_counter() - start, res


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--samples", type=int, default=65536)
    p.add_argument("--rho", type=float, default=0.5)
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default=None)
    p.add_argument("--out", default="benchmarks/results/bench_mc.json")
    args = p.parse_args(argv)
    device = resolve_device(args.device)
    dtype = resolve_dtype(args.dtype, device)
    n, rho = args.samples, args.rho
    steps = make_plan(max(GRID), source=AR1Input(rho), rel_bias=1e-6).steps
    load_before = os.getloadavg()

    rng = max(_with_threads(t, lambda: raw_rng(n, device, dtype)) for t in (1, None))
    one_secs, one_res = engine([max(GRID)], rho, n, steps, device, dtype)
    one_plain = best_plain([max(GRID)], rho, n, steps, device, dtype)
    grid_secs, grid_res = engine(GRID, rho, n, steps, device, dtype)
    grid_plain = best_plain(GRID, rho, n, steps, device, dtype)
    load_after = os.getloadavg()

    work1, work10 = n * steps, len(GRID) * n * steps
    rows = {
        "raw RNG (normals/s)": rng,
        "plain loop, 1 point": work1 / one_plain[0],
        "engine, 1 point": work1 / one_secs,
        "plain loop, 10-point grid": work10 / grid_plain[0],
        "engine, 10-point grid": work10 / grid_secs,
    }
    se_engine = grid_res.points[-1].quantities["dh2_dlam"].stderr
    se_plain = grid_plain[1][-1][4]
    report = {
        "device": str(device), "dtype": str(dtype).removeprefix("torch."),
        "samples": n, "steps": steps, "rho": rho, "grid": GRID,
        "throughput_point_sample_steps_per_s": rows,
        "grid_speedup_vs_plain": rows["engine, 10-point grid"] / rows["plain loop, 10-point grid"],
        "single_point_fraction_of_rng": rows["engine, 1 point"] / rng,
        "single_point_speedup_vs_plain": rows["engine, 1 point"] / rows["plain loop, 1 point"],
        "stderr_dh2_at_lam_max": {"engine": se_engine, "plain": se_plain},
        "plain_loop_threads": {"single": one_plain[2], "grid": grid_plain[2]},
        "engine_threads": 1,
        "loadavg_before": load_before, "loadavg_after": load_after,
        "cpu_count": os.cpu_count(), "torch": torch.__version__,
        "python": platform.python_version(),
    }
    print(f"Monte Carlo throughput on {device} {report['dtype']}: {n} samples × {steps} steps, "
          f"rho={rho}; load {load_before[0]:.1f} → {load_after[0]:.1f} on {os.cpu_count()} cores")
    for name, value in rows.items():
        print(f"  {name:<28} {value / 1e6:10.1f} M/s")
    print(f"  grid speed-up vs plain loop   {report['grid_speedup_vs_plain']:10.2f} x  "
          "(target ≥ 5)")
    print(f"  single point / raw RNG        {report['single_point_fraction_of_rng']:10.2f}    "
          "(target ≥ 0.5)")
    print(f"  stderr E(dh)^2 at λ={max(GRID)}: engine {se_engine:.4g}, plain {se_plain:.4g}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=2))
    tmp.replace(out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
