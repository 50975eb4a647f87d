"""Command-line wall times (run by hand): ``python benchmarks/bench_cli.py [--parts ...]``.

Each case runs ``python -m rnnverify ...`` in a fresh process ``--repeats`` times and reports the
median wall time (and the min and max) next to its target (issue targets, on 2 idle cores):

* ``help`` — ``--help`` of every command: ≤ 0.5 s each;
* ``errors`` — one bad input per command (refused with exit 2): ≤ 1 s each;
* ``presets`` — ``check-param --preset P`` for every preset: ≤ 3 s each;
* ``lambda`` — ``check-param`` with a one-parameter λ (README examples): ≤ 10 s each;
* ``quick`` — ``verify --quick`` (its worker processes, ``--jobs auto``): ≤ 30 s; and
  ``verify --quick --jobs 1`` (one process) for comparison;
* ``verify`` — ``verify --full``: ≤ 5 min is the target of the default ``verify`` (which is
  ``--quick``); ``--full`` is timed once.

Each process's exit code is checked against the expected one.  The machine's load average is
recorded before and after: on a shared machine the times are upper bounds of the idle ones.
Rows are merged into ``benchmarks/results/bench_cli.json`` (a command measured again
replaces its row; the others stay, each with its own date and load).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"

#: one bad input per command (exit 2 expected)
BAD_INPUTS: dict[str, list[str]] = {
    "verify": ["verify", "--only", "nosuch"],
    "moments": ["moments", "--lam", "2"],
    "simulate": ["simulate", "--lam", "0.9", "--samples", "-1"],
    "check-param": ["check-param", "--lam", "w+", "--wrt", "w"],
    "check-claim": ["check-claim", "--quantity", "h2", "--expr", "bad(("],
    "dizzy": ["dizzy", "--hidden", "1"],
    "copy-task": ["copy-task", "--lag", "5"],
    "report": ["report", "--only", "nosuch"],
    "hessian": ["hessian", "--model", "nosuch"],
    "gru-gates": ["gru-gates", "--timescales", "-1"],
    "teacher-student": ["teacher-student", "--steps", "0"],
    "signal-prop": ["signal-prop", "--models", "nope"],
}
#: one-parameter λ of the README (exit 0 or 1: a verdict either way)
LAMBDAS: list[list[str]] = [
    ["check-param", "--lam", "exp(-exp(w))", "--wrt", "w"],
    ["check-param", "--lam", "(1/(1+exp(-L)))**8", "--wrt", "L", "--gamma", "sqrt(1-lam**2)"],
    ["check-param", "--lam", "tanh(a*w)", "--wrt", "w", "--at", "a=2", "--rho=-1,0,1"],
]
TARGETS = {"help": 0.5, "errors": 1.0, "presets": 3.0, "lambda": 10.0, "quick": 30.0,
           "verify": 300.0}
PARTS = tuple(TARGETS)


def _presets() -> list[str]:
    from rnnverify.theory.params.parametrizations import PRESETS

    return sorted(PRESETS)


def _cases(part: str) -> list[tuple[list[str], tuple[int, ...]]]:
    """``(argv, accepted exit codes)`` of a part."""
    if part == "help":
        from rnnverify.crosscheck.cli import COMMANDS

        return [(["--help"], (0,))] + [([c, "--help"], (0,)) for c in COMMANDS]
    if part == "errors":
        return [(argv, (2,)) for argv in BAD_INPUTS.values()]
    if part == "presets":
        return [(["check-param", "--preset", p], (0, 1)) for p in _presets()]
    if part == "lambda":
        return [(argv, (0, 1)) for argv in LAMBDAS]
    if part == "quick":
        return [(["verify", "--quick"], (0, 1)), (["verify", "--quick", "--jobs", "1"], (0, 1))]
    return [(["verify", "--full"], (0, 1))]


def _time_once(argv: list[str], accepted: tuple[int, ...]) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "rnnverify", *argv], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    if proc.returncode not in accepted:
        raise SystemExit(f"rnnverify {' '.join(argv)}: exit {proc.returncode}, expected "
                         f"{accepted}: {proc.stderr.strip()[-300:]}")
    return seconds


def measure(part: str, repeats: int) -> list[dict]:
    rows = []
    for argv, accepted in _cases(part):
        times = [_time_once(argv, accepted) for _ in range(repeats)]
        med = statistics.median(times)
        row = {"part": part, "command": "rnnverify " + " ".join(argv), "repeats": repeats,
               "median_s": med, "min_s": min(times), "max_s": max(times), "times_s": times,
               "target_s": TARGETS[part], "within_target": med <= TARGETS[part],
               "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "load_average": os.getloadavg()}
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--parts", default="help,errors,presets,lambda,quick",
                   help=f"comma list of {', '.join(PARTS)} (default: all but verify)")
    p.add_argument("--repeats", type=int, default=5,
                   help="runs per case (default 5; the verify part runs once whatever this is)")
    args = p.parse_args()
    parts = [x.strip() for x in args.parts.split(",") if x.strip()]
    unknown = [x for x in parts if x not in PARTS]
    if unknown:
        p.error(f"unknown part(s) {', '.join(unknown)}; valid: {', '.join(PARTS)}")
    load_before = os.getloadavg()
    rows = []
    for part in parts:
        rows += measure(part, 1 if part == "verify" else args.repeats)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "bench_cli.json"
    new = {r["command"] for r in rows}
    kept = []
    if path.exists():
        kept = [r for r in json.loads(path.read_text(encoding="utf-8")).get("rows", [])
                if r.get("command") not in new]
    record = {"python": platform.python_version(), "machine": platform.machine(),
              "cpus": os.cpu_count(), "load_average_before": load_before,
              "load_average_after": os.getloadavg(), "rows": kept + rows,
              "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"rnnverify wall times, median of runs (load {load_before[0]:.1f} "
                        f"→ {record['load_average_after'][0]:.1f})")
    for col in ("part", "command", "median s", "min–max s", "target s", "ok"):
        table.add_column(col, justify="left" if col == "command" else "right")
    for r in rows:
        table.add_row(r["part"], r["command"], f"{r['median_s']:.2f}",
                      f"{r['min_s']:.2f}–{r['max_s']:.2f}", f"{r['target_s']:g}",
                      "yes" if r["within_target"] else "NO")
    Console().print(table)
    print(f"written {path}")


if __name__ == "__main__":
    main()
