"""Finite-t moments: O(log t) doubling vs the O(t) kernel sum, and t = 1e9 vs the oracle.

Run by hand: ``python benchmarks/bench_finite_t.py``; prints JSON and writes
benchmarks/results/finite_t.json.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import mpmath
from rnnverify.theory.memory.autocorr import ar1
from rnnverify.theory.memory.moments import moments
from rnnverify.theory.memory.oracle import oracle_moments


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> dict:
    rows = []
    for t in (10**3, 10**4, 10**5):
        fast, s_fast = _timed(lambda t=t: moments(0.9, autocorr=ar1(0.5), t=t,
                                                   finite_method="doubling"))
        slow, s_slow = _timed(lambda t=t: moments(0.9, autocorr=ar1(0.5), t=t,
                                                   finite_method="sum"))
        rel = max(abs(fast[q] - slow[q]) / abs(slow[q]) for q in ("h2", "dh2_dlam"))
        rows.append({"t": t, "doubling_s": s_fast, "sum_s": s_slow,
                     "max_rel_difference": float(rel)})
    big, s_big = _timed(lambda: moments("0.999999999", autocorr=ar1("0.5"), t=10**9))
    ref, s_ref = _timed(lambda: oracle_moments("0.999999999", rho=mpmath.mpf("0.5"),
                                               t=10**9, dps=40))
    rel = max(abs(big[q] - ref[q]) / abs(ref[q]) for q in ("h2", "dh2_dlam"))
    out = {"grid": rows,
           "t_1e9": {"lam": "0.999999999", "rho": "0.5", "doubling_s": s_big,
                     "oracle_lyapunov_doubling_s": s_ref, "max_rel_difference": float(rel),
                     "h2": mpmath.nstr(big["h2"], 30),
                     "dh2_dlam": mpmath.nstr(big["dh2_dlam"], 30)},
           "load": os.getloadavg()[0]}
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    (results / "finite_t.json").write_text(json.dumps(out, indent=2) + "\n")
    return out


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
