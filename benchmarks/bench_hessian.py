"""The ν₀ sweep of the Hessian at the optimum (Zucchet & Orvieto 2024, Figs. 3A, 4) and the
wall time of ``rnnverify hessian`` (run by hand, prints numbers, writes JSON).

For ν₀ ∈ {0.36, …, 0.99} (the paper's grid) and seeds 0–2, N = 4, white input: the condition
number on the range and the Adam-like preconditioned condition number of the dense, complex
diagonal and LRU networks of the same seed (Lyapunov oracle, 30 digits).  Then the wall time
of ``hessian --model diagonal|dense --hidden 4|8 --nu0 0.99 --json`` (target: under a minute
for N ≤ 8 on 2 cores).

    python benchmarks/bench_hessian.py [--seeds 3] [--out benchmarks/results/hessian_sweep.json]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import time
from pathlib import Path

from rnnverify.crosscheck.cli import main
from rnnverify.theory.networks.hessian import spectrum
from rnnverify.theory.networks.hessian_oracle import hessian_oracle
from rnnverify.theory.networks.teacher import nu_grid, teacher


def sweep(seeds: int) -> list[dict]:
    rows = []
    for seed in range(seeds):
        for nu0 in nu_grid():
            row: dict = {"nu0": nu0, "seed": seed}
            for model in ("dense", "diagonal", "lru"):
                net = teacher(model, 4, nu0, seed=seed, dps=40)
                H = hessian_oracle(net, 0, dps=30, rounding_check=False)["hessian"]
                s = spectrum(H, net.recurrent, dps=30)
                row[model] = {"condition_number": float(s["condition_number"]),
                              "preconditioned_condition_number":
                                  float(s["preconditioned_condition_number"]),
                              "largest_eigenvalue": float(max(s["eigenvalues"])),
                              "null_dimension": s["null_dimension"]}
            rows.append(row)
            print(f"seed {seed} ν₀ {nu0}: " + ", ".join(
                f"{m} κ {row[m]['condition_number']:.3g} / precond. "
                f"{row[m]['preconditioned_condition_number']:.3g}"
                for m in ("dense", "diagonal", "lru")), flush=True)
    return rows


def timings() -> list[dict]:
    out = []
    for model, hidden in (("diagonal", 4), ("dense", 4), ("diagonal", 8), ("dense", 8)):
        argv = ["hessian", "--model", model, "--hidden", str(hidden), "--nu0", "0.99", "--json"]
        start = time.perf_counter()
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            code = main(argv)
        wall = time.perf_counter() - start
        doc = json.loads(buf.getvalue())
        out.append({"argv": argv, "exit": code, "seconds": round(wall, 1),
                    "timings": doc["timings"], "holds": doc["holds"]})
        print(f"{' '.join(argv)}: {wall:.1f} s (exit {code}) {doc['timings']}", flush=True)
    return out


def run() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--out", default="benchmarks/results/hessian_sweep.json")
    ap.add_argument("--no-timings", action="store_true")
    args = ap.parse_args()
    result = {"sweep": sweep(args.seeds)}
    if not args.no_timings:
        result["timings"] = timings()
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    run()
