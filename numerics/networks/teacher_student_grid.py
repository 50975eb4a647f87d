"""The students and learning-rate grids of the teacher–student comparison (Fig. 3A).

Plain constants, without torch, so that ``rnnverify teacher-student`` checks its
flags against them before the training code (:mod:`numerics.networks.teacher_student`,
which re-exports them) is imported.
"""

from __future__ import annotations

MODELS = ("lru", "dense")
#: learning-rate grids of Fig. 3A (best per model and ν₀)
FULL_LRS = {"lru": (0.32, 0.1, 0.032, 0.01, 0.0032),
            "dense": (3.2e-3, 1e-3, 3.2e-4, 1e-4, 3.2e-5)}
#: reduced grids: the larger rates of each, since the reduced runs are short
REDUCED_LRS = {"lru": (0.1, 0.032), "dense": (3.2e-3, 1e-3)}
