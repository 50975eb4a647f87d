"""Wall time of ``rnnverify report`` and ``check-param --mc`` (run by hand, prints numbers).

Targets: ``report`` within 2 minutes on CPU (verify --quick included),
``check-param --mc`` within 60 s.

    python benchmarks/bench_report.py            # report --quick --no-verify, check-param --mc
    python benchmarks/bench_report.py --verify   # report --quick with the verdict table
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
from pathlib import Path

from rnnverify.crosscheck.cli import main


def timed(argv: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    return time.perf_counter() - start, code


def run() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--verify", action="store_true", help="include verify --quick in the report")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report"
        argv = ["report", "--out", str(out), "--quick"] + ([] if args.verify else ["--no-verify"])
        secs, code = timed(argv)
        print(f"rnnverify {' '.join(argv[:1] + argv[3:])}: {secs:.1f} s (exit {code})")
        for preset, rho in (("exp_normalized", "0,0.5,1"), ("lru_normalized", "0")):
            wrt = "omega_theta" if preset.startswith("lru") else "omega_nu"
            argv = ["check-param", "--preset", preset, "--wrt", wrt, "--rho", rho, "--mc"]
            secs, code = timed(argv)
            print(f"rnnverify {' '.join(argv)}: {secs:.1f} s (exit {code})")


if __name__ == "__main__":
    run()
