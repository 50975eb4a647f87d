"""Fig. 3A of Zucchet & Orvieto (2024, §4.2): final teacher–student loss of the LRU and of a
dense linear RNN as the teacher's eigenvalue moduli approach 1 (ν₀ → 1).

:func:`teacher_student_study` runs :func:`rnnverify.numerics.teacher_student.sweep` and wraps
the rows in the ``teacher-student`` JSON document; :func:`plot_fig3a` draws the figure
(final loss, mean ± s.e. over seeds at the best learning rate, against ν₀ on the paper's
axis 6 − log₂(100(1 − ν₀))).  The training is a measurement, not a checked claim: the
document reports numbers and states the protocol next to them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from rnnverify.numerics.teacher_student import FULL, REDUCED, Protocol, TrainResult, sweep

from .schema import document


def teacher_student_study(nu0s: list[float], models: list[str], lrs: dict[str, list[float]],
                          seeds: int, *, full: bool = False, steps: int | None = None,
                          on_run: Callable[[TrainResult], None] | None = None) -> dict[str, Any]:
    """The ``teacher-student`` document: protocol, and one row per (model, ν₀)."""
    protocol: Protocol = FULL if full else REDUCED
    if steps is not None:
        protocol = Protocol(**{**asdict(protocol), "steps": steps})
    rows = sweep(nu0s, models, lrs, seeds, protocol=protocol, on_run=on_run)
    return document("teacher-student", {
        "protocol": {**asdict(protocol), "name": "full" if full else "reduced",
                     "optimizer": "Adam, cosine schedule from the peak lr to 1e-7, no warm-up",
                     "loss": "1/2 mean over batch and time of (y_hat - y)^2",
                     "inputs": "white Gaussian, fresh every step",
                     "final_loss": "loss on a fixed evaluation batch after training"},
        "nu0": list(nu0s), "models": list(models), "seeds": seeds,
        "learning_rates": {m: list(lrs[m]) for m in models},
        "rows": rows,
    })


def fig3a_x(nu0: float) -> float:
    """The paper's x-position of ν₀ in Fig. 3A: 6 − log₂(100(1 − ν₀))."""
    return 6.0 - math.log2(100.0 * (1.0 - nu0))


def plot_fig3a(doc: dict[str, Any], path: str) -> None:
    """Final loss (best lr, mean ± s.e. over seeds) against ν₀ for each model, log scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 3.4))
    for model, label, color in (("lru", "LRU", "tab:blue"), ("dense", "dense RNN", "tab:red")):
        rows = [r for r in doc["rows"] if r["model"] == model and r["final_loss_mean"] is not None
                and math.isfinite(r["final_loss_mean"])]
        if not rows:
            continue
        xs = [fig3a_x(r["nu0"]) for r in rows]
        ax.errorbar(xs, [r["final_loss_mean"] for r in rows],
                    yerr=[r["final_loss_stderr"] for r in rows], marker="o", label=label,
                    color=color, capsize=3)
    ticks = sorted({r["nu0"] for r in doc["rows"]})
    ax.set_xticks([fig3a_x(v) for v in ticks], [f"{v:g}" for v in ticks])
    ax.set_yscale("log")
    ax.set_xlabel("ν₀ (teacher eigenvalue moduli in [ν₀, 1))")
    ax.set_ylabel("final loss")
    p = doc["protocol"]
    ax.set_title(f"teacher–student ({p['name']}: {p['steps']} steps, {doc['seeds']} seeds)",
                 fontsize=9)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
