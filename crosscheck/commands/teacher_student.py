"""Fig. 3A of Zucchet & Orvieto (2024, §4.2): final teacher–student loss of the LRU and of a
dense linear RNN as the teacher's eigenvalue moduli approach 1 (ν₀ → 1).

:func:`teacher_student_study` runs :func:`rnnverify.numerics.networks.teacher_student.sweep` and
wraps
the rows in the ``teacher-student`` JSON document;
:func:`rnnverify.crosscheck.report.figures.fig_teacher_student` draws the figure
(final loss, mean ± s.e. over seeds at the best learning rate, against ν₀ on the paper's
axis 6 − log₂(100(1 − ν₀))).  The training is a measurement, not a checked claim: the
document reports numbers and states the protocol next to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from rnnverify.crosscheck.schema import document
from rnnverify.numerics.networks.teacher_student import FULL, REDUCED, Protocol, TrainResult, sweep


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
