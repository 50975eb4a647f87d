"""``rnnverify teacher-student``: LRU vs dense linear RNN learning a teacher (Fig. 3A).

Zucchet & Orvieto (2024, §4.2): a linear teacher whose eigenvalue moduli lie in [ν₀, 1) is
learned by an LRU student and a dense RNN student with Adam; the final loss (best learning
rate, mean ± standard error over seeds) is reported for each model and ν₀.  Defaults are a
reduced protocol (16 student units, T = 200, batch 32, 300 steps: about a second per run on one
core); ``--full`` runs the published one (64 units, T = 300, batch 128, 10 000 steps, the
paper's ν₀ and learning-rate grids, 10 seeds) — hours on a CPU.

Exit codes: 0 the runs finished (the losses are the answer), 2 bad input.
"""

from __future__ import annotations

import argparse

from rnnverify.crosscheck.cli._common import (
    EXIT_OK,
    emit_json,
    parse_float_list,
    positive_int,
    user_input,
)

#: the sizes of the two protocols (numerics.networks.teacher_student.REDUCED and FULL; a test
#: checks they agree) and their time per Adam step on one core, for the checks before torch
REDUCED_PROTOCOL = {"hidden": 16, "seq_len": 200, "batch": 32, "eval_batch": 256, "steps": 300,
                    "seconds_per_step": 0.8 / 300}
FULL_PROTOCOL = {"hidden": 64, "seq_len": 300, "batch": 128, "eval_batch": 1024,
                 "steps": 10_000, "seconds_per_step": 30.0 / 10_000}

HELP = "final loss of LRU vs dense RNN students of a linear teacher vs ν₀ (Fig. 3A)"

REDUCED_NU0 = "0.5,0.9,0.99"
FULL_NU0 = (0.36, 0.68, 0.84, 0.92, 0.96, 0.98, 0.99)
MAX_RUNS = 10_000
#: Adam steps of all runs together (the published protocol is 700 runs × 10 000 steps = 7e6;
#: 1e8 is about 3.5 days on one core at its 30 s per 10 000 steps)
MAX_TOTAL_STEPS = 10**8
#: float64 arrays of batch × 2T values alive in one step (inputs, their spectra, outputs,
#: targets and what autograd saves of the FFT convolution), bounded from above
ARRAYS_PER_STEP = 16


def memory_bytes(batch: int, seq_len: int, hidden: int) -> int:
    """Float64 bytes of one run, at least not below: ``ARRAYS_PER_STEP`` arrays of
    batch × 2T (the FFT convolution on 2T points) and the student's powers ``A^m`` for the
    impulse response (``hidden² · log₂T``) with its T-long response."""
    return 8 * (ARRAYS_PER_STEP * batch * 2 * seq_len
                + hidden * hidden * max(1, seq_len.bit_length()) + 2 * hidden * seq_len)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--nu0", default=None, metavar="V[,V,...]",
                   help=f"teacher moduli lower bounds ν₀ in [0, 1) (default {REDUCED_NU0}; "
                        "--full: 0.36,0.68,0.84,0.92,0.96,0.98,0.99)")
    p.add_argument("--model", default="lru,dense", metavar="lru,dense",
                   help="comma list of students (default lru,dense)")
    p.add_argument("--seeds", default=None, metavar="N",
                   help="seeds 0..N-1 per point (default 3; --full: 10)")
    p.add_argument("--lr", default=None, metavar="LR[,LR,...]",
                   help="learning rates, best of (default per model: lru 0.1,0.032; dense "
                        "3.2e-3,1e-3; --full: the paper's five per model)")
    p.add_argument("--steps", default=None, metavar="N",
                   help="Adam steps per run (default 300; --full: 10000)")
    p.add_argument("--full", action="store_true", help="the published protocol (hours on CPU)")
    p.add_argument("--plot", metavar="PATH", help="write the Fig. 3A-like figure to PATH")


def run(args: argparse.Namespace) -> int:
    from rnnverify.crosscheck.cli.longwork import ensure_fits, format_seconds, planned_work
    from rnnverify.crosscheck.report.atomic import atomic_write_bytes
    from rnnverify.numerics.networks.teacher_student_grid import FULL_LRS, MODELS, REDUCED_LRS

    with user_input():
        nu0s = (list(FULL_NU0) if args.full and args.nu0 is None
                else parse_float_list(args.nu0 or REDUCED_NU0, "--nu0"))
        for v in nu0s:
            if not 0 <= v < 1:
                raise ValueError(f"--nu0 values must lie in [0, 1), got {v:g}")
        models = [m.strip() for m in args.model.split(",")]
        for m in models:
            if m not in MODELS:
                raise ValueError(f"--model: unknown model {m!r}; valid: {', '.join(MODELS)}")
        seeds = positive_int(args.seeds or ("10" if args.full else "3"), "--seeds")
        if args.lr is not None:
            given = parse_float_list(args.lr, "--lr")
            if any(v <= 0 or v > 10 for v in given):
                raise ValueError(f"--lr values must lie in (0, 10], got {args.lr}")
            lrs = {m: given for m in models}
        else:
            lrs = {m: list((FULL_LRS if args.full else REDUCED_LRS)[m]) for m in models}
        steps = None if args.steps is None else positive_int(args.steps, "--steps")
        if steps is not None and steps > 1_000_000:
            raise ValueError(f"--steps must be at most 1000000, got {steps}")
        runs = seeds * sum(len(nu0s) * len(lrs[m]) for m in models)
        if runs > MAX_RUNS:
            raise ValueError(f"{runs} training runs requested; at most {MAX_RUNS}")
        p = FULL_PROTOCOL if args.full else REDUCED_PROTOCOL
        per_run_steps = steps or p["steps"]
        if runs * per_run_steps > MAX_TOTAL_STEPS:
            raise ValueError(f"{runs} runs × {per_run_steps} steps = {runs * per_run_steps:.3g} "
                             f"Adam steps requested (estimate ~"
                             f"{format_seconds(runs * per_run_steps * p['seconds_per_step'])}); "
                             f"at most {MAX_TOTAL_STEPS:.0e}: reduce --seeds, --steps or the grids")
        ensure_fits(memory_bytes(max(p["batch"], p["eval_batch"]), p["seq_len"], p["hidden"]),
                    f"teacher-student: one run of batch {max(p['batch'], p['eval_batch'])} × "
                    f"T = {p['seq_len']}")
    from rnnverify.crosscheck.commands.teacher_student import teacher_student_study
    from rnnverify.crosscheck.report.figures import (
        fig_teacher_student,  # torch, matplotlib: after the checks
    )

    per_run = p["seconds_per_step"] * per_run_steps
    with planned_work("teacher-student", f"{len(models)} models × {len(nu0s)} ν₀ × "
                      f"{seeds} seeds × learning rates", runs, unit="runs",
                      estimate_s=runs * per_run, json_mode=args.json) as progress:
        doc = teacher_student_study(
            nu0s, models, lrs, seeds, full=args.full, steps=steps,
            on_run=lambda r: progress(what=f"{r.model} ν₀={r.nu0:g} lr={r.lr:g}"))
    if args.plot:
        atomic_write_bytes(args.plot, fig_teacher_student(doc))
        doc["plot"] = args.plot
    if args.json:
        emit_json(doc)
    else:
        _print(doc)
    return EXIT_OK


def _print(doc: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    p = doc["protocol"]
    t = Table(title=f"teacher–student, {p['name']} protocol: {p['student_hidden']} student units, "
                    f"T = {p['seq_len']}, batch {p['batch']}, {p['steps']} steps, "
                    f"{doc['seeds']} seeds (final loss at the best lr, mean ± s.e.)")
    for col in ("model", "ν₀", "best lr", "final loss", "diverged runs"):
        t.add_column(col, justify="right")
    for r in doc["rows"]:
        t.add_row(r["model"], f"{r['nu0']:g}", f"{r['best_lr']:g}",
                  f"{r['final_loss_mean']:.4g} ± {r['final_loss_stderr']:.2g}",
                  str(sum(b["diverged"] for b in r["by_lr"])))
    Console().print(t)
