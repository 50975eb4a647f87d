"""Fig. 3A of Zucchet & Orvieto (2024, §4.2), reduced: final teacher–student loss of the LRU
and of a dense linear RNN for ν₀ ∈ {0.36, 0.68, 0.84, 0.92, 0.96, 0.98, 0.99} (the paper's
grid; ``--nu0`` to change it), best of the reduced learning-rate grids, mean ± s.e. over
seeds (run by hand).

Writes the ``teacher-student`` JSON document and a Fig. 3A-like figure.

    python benchmarks/bench_teacher_student.py [--seeds 3] [--nu0 V,...] [--steps 300] [--full]
        [--out benchmarks/results/teacher_student.json]
        [--plot benchmarks/results/teacher_student.png]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rnnverify.crosscheck.cli._common import jsonable
from rnnverify.crosscheck.cli.teacher_student import FULL_NU0
from rnnverify.crosscheck.commands.teacher_student import teacher_student_study
from rnnverify.crosscheck.report.figures import fig_teacher_student
from rnnverify.numerics.networks.teacher_student import FULL_LRS, REDUCED_LRS


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--nu0", default=",".join(f"{v:g}" for v in FULL_NU0),
                    help="comma list of ν₀ (default: the paper's grid)")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--full", action="store_true", help="the published protocol (hours)")
    ap.add_argument("--out", default="benchmarks/results/teacher_student.json")
    ap.add_argument("--plot", default="benchmarks/results/teacher_student.png")
    a = ap.parse_args()
    grids = FULL_LRS if a.full else REDUCED_LRS
    lrs = {m: list(grids[m]) for m in ("lru", "dense")}
    start = time.perf_counter()
    nu0s = [float(v) for v in a.nu0.split(",")]
    doc = teacher_student_study(nu0s, ["lru", "dense"], lrs, a.seeds, full=a.full,
                                steps=a.steps)
    doc["seconds"] = time.perf_counter() - start
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(jsonable(doc), indent=2) + "\n", encoding="utf-8")
    Path(a.plot).write_bytes(fig_teacher_student(doc))
    print(f"{'model':>6} {'nu0':>5} {'best lr':>8} {'final loss (mean ± s.e.)':>28}")
    for r in doc["rows"]:
        print(f"{r['model']:>6} {r['nu0']:>5g} {r['best_lr']:>8g} "
              f"{r['final_loss_mean']:>14.4g} ± {r['final_loss_stderr']:.2g}")
    print(f"{doc['seconds']:.0f} s; wrote {a.out} and {a.plot}")


if __name__ == "__main__":
    main()
