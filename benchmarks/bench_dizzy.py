"""DizzyRNN speed (run by hand): ``python benchmarks/bench_dizzy.py [--quick] [--threads N]``.

1. Layer forward+backward (float32, CPU) vs ``torch.nn.RNN`` (tanh) of the same size, run
   alternately (median of the per-pair ratios):
   DizzyRNN with ``R`` assembled once per sequence (default), with packed rotations applied at
   every step (``rotation_mode="packed"``, O(kn) per step, no n×n matrix), and the naive route
   that builds ``R`` as the product of the n(n−1)/2 explicit n×n Givens matrices.
   Targets: DizzyRNN ≤ 1.5× nn.RNN; ≥ 10× faster than the naive product.
   The cost above nn.RNN is the O(k n²) assembly of R once per sequence (k sequential rounds,
   each one gather of contiguous rows and two in-place passes, forward and backward): with all
   k = n − 1 rounds at T = 100 it is a fraction of the recurrence, negligible for few
   rotations (the copy-task setting) or long sequences.  On a machine shared with other work
   use ``--threads 1``: two threads that wait for each other on a busy machine inflate every
   small op.
2. Gradient norm vs lag at T = 10⁴, n = 64 (float64): reverse loop of per-step VJPs (default
   of ``numerics.dizzy.gradnorm``) vs one autograd pass over the unrolled loop.

Prints a table and writes ``benchmarks/results/bench_dizzy.json`` (with the load average: the
machine is shared, so ratios are measured in one run, interleaved, median of repeats).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import torch
from rnnverify.numerics.dizzy.gradnorm import dizzy_gradient_norms
from rnnverify.numerics.dizzy.layer import DizzyRNNLayer, elementwise_recurrence
from rnnverify.numerics.dizzy.rotations import explicit_givens_product
from torch import nn

RESULTS = Path(__file__).parent / "results"


def _time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _interleaved(fa, fb, repeats: int) -> tuple[float, float, float]:
    """Median times of ``fa`` and ``fb`` and the median of the per-pair ratio ``fb/fa``, run
    alternately so that a load change on the shared machine hits both alike."""
    fa(), fb()  # warm-up
    ta, tb = [], []
    for _ in range(repeats):
        for fn, acc in ((fa, ta), (fb, tb)):
            start = time.perf_counter()
            fn()
            acc.append(time.perf_counter() - start)
    ratios = [b / a for a, b in zip(ta, tb, strict=True)]
    return statistics.median(ta), statistics.median(tb), statistics.median(ratios)


def _fwd_bwd(module: nn.Module, x: torch.Tensor):
    def run():
        module.zero_grad(set_to_none=True)
        out, _ = module(x)
        out.sum().backward()
    return run


def _naive(layer: DizzyRNNLayer, x: torch.Tensor):
    """Same layer, but R = product of explicit n×n Givens matrices (autograd through it)."""
    def run():
        layer.zero_grad(set_to_none=True)
        r = explicit_givens_product(layer.recurrent.theta, layer.hidden_size)
        u = layer.input_drive(x)
        h0 = x.new_zeros(x.shape[1], layer.hidden_size)
        elementwise_recurrence(u, r, h0, "abs").sum().backward()
    return run


def bench_layers(sizes, repeats: int, naive_max_n: int) -> list[dict]:
    rows = []
    for batch, n, steps, k in sizes:
        k = n - 1 if k is None else k
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(steps, batch, n, generator=gen)
        rnn = nn.RNN(n, n, nonlinearity="tanh")
        dizzy = DizzyRNNLayer(n, n, rotations=k, generator=gen)
        packed = DizzyRNNLayer(n, n, rotations=k, rotation_mode="packed", generator=gen)
        t_rnn, t_dizzy, ratio = _interleaved(_fwd_bwd(rnn, x), _fwd_bwd(dizzy, x), repeats)
        row = {"batch": batch, "hidden": n, "steps": steps, "rotations": k,
               "nn_rnn_s": t_rnn, "dizzy_s": t_dizzy, "dizzy_over_rnn": ratio}
        if steps <= 100 and n <= 128 and k == n - 1:
            row["packed_s"] = _time(_fwd_bwd(packed, x), max(1, repeats // 3))
            row["packed_over_dense"] = row["packed_s"] / row["dizzy_s"]
        if n <= naive_max_n and k == n - 1:
            row["naive_givens_s"] = _time(_naive(dizzy, x), 1)
            row["naive_over_dizzy"] = row["naive_givens_s"] / row["dizzy_s"]
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def bench_gradnorm(steps: int, hidden: int) -> dict:
    out = {"steps": steps, "hidden": hidden}
    for method in ("vjp", "autograd"):
        start = time.perf_counter()
        res = dizzy_gradient_norms(hidden, steps, method=method)
        out[f"{method}_s"] = time.perf_counter() - start
        out[f"{method}_grad_norm_ratio_minus_1"] = res.grad_norm_ratio - 1.0
    print(json.dumps(out), flush=True)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="one size, fewer repeats")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--naive-max-n", type=int, default=64,
                   help="largest n for the naive explicit-Givens route (slow: n(n−1)/2 mat-muls)")
    p.add_argument("--no-autograd-gradnorm", action="store_true",
                   help="skip the (slow) whole-loop autograd timing at T=1e4")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    # (batch, hidden, steps, rotations); None = all n − 1 rounds (full SO(n))
    sizes = [(100, 128, 100, None)] if args.quick else [
        (100, 64, 100, None), (100, 128, 100, None), (100, 256, 100, None),
        (32, 128, 500, None), (100, 128, 100, 8), (100, 512, 100, 1), (100, 512, 100, None)]
    load_before = os.getloadavg()
    layers = bench_layers(sizes, args.repeats, naive_max_n=args.naive_max_n)
    grad = (bench_gradnorm(10_000, 64) if not args.no_autograd_gradnorm
            else bench_gradnorm(2_000, 64))
    record = {"threads": args.threads, "torch": torch.__version__,
              "python": platform.python_version(), "machine": platform.machine(),
              "load_average_before": load_before, "load_average_after": os.getloadavg(),
              "layers": layers, "gradnorm": grad,
              "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "bench_dizzy.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=2))
    tmp.replace(path)

    from rich.console import Console
    from rich.table import Table
    table = Table(title=f"DizzyRNN forward+backward, CPU float32, {args.threads} threads "
                        f"(load {load_before[0]:.1f})")
    for col in ("B", "n", "T", "k", "nn.RNN s", "Dizzy s", "Dizzy/RNN", "packed/dense",
                "naive/Dizzy"):
        table.add_column(col, justify="right")
    for r in layers:
        table.add_row(str(r["batch"]), str(r["hidden"]), str(r["steps"]), str(r["rotations"]),
                      f"{r['nn_rnn_s']:.4f}",
                      f"{r['dizzy_s']:.4f}", f"{r['dizzy_over_rnn']:.2f}",
                      f"{r['packed_over_dense']:.1f}" if "packed_over_dense" in r else "—",
                      f"{r['naive_over_dizzy']:.0f}" if "naive_over_dizzy" in r else "—")
    console = Console()
    console.print(table)
    console.print(f"gradient norm vs lag, T={grad['steps']}, n={grad['hidden']}: "
                  f"vjp loop {grad['vjp_s']:.2f} s, whole-loop autograd {grad['autograd_s']:.2f} s")
    console.print(f"written {path}")


if __name__ == "__main__":
    main()
