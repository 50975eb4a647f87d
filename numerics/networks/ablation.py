"""The ablation of Fig. 3B (Zucchet & Orvieto 2024, §4.2), reduced: from the dense RNN to the
LRU one ingredient at a time, at ν₀ = 0.99.

The teacher and the training protocol are those of :mod:`numerics.networks.teacher_student`
(its :data:`~numerics.networks.teacher_student.REDUCED` protocol; the paper: 64 units, 10 000
steps).  The six students, in the paper's plot order (code ``scans/ablation_LRU_p*.yaml``):

* ``rnn`` — dense n×n A (initialised like the teacher with ν₀ = 0);
* ``block_diagonal`` — n/2 heads of size 2 (A block-diagonal, each block initialised so);
* ``more_neurons`` — n heads of size 2, 2n units;
* ``complex`` — n complex diagonal units λ = Re λ + i Im λ (the "default" parametrization),
  no γ, |λ| initialised on the ring [ν₀, 1), angle in [0, max_phase);
* ``gamma`` — the same with a learned input normalization γ (stored as log γ, initialised
  sqrt(1 − |λ|²));
* ``lru`` — the exponential parametrization with learned γ (the teacher–student LRU).

All are linear, so the outputs are a causal convolution with the impulse response
(:func:`numerics.networks.linear_network.impulse_response`).
"""

from __future__ import annotations

import math
import time
from typing import Any

import torch
from rnnverify.numerics.memory.engine import cpu_threads
from rnnverify.numerics.networks.linear_network import impulse_response
from rnnverify.numerics.networks.teacher_student import (
    REDUCED,
    Protocol,
    _remapped_dense,
    cosine_lr,
    draw_teacher,
    init_student,
)

VARIANTS = ("rnn", "block_diagonal", "more_neurons", "complex", "gamma", "lru")
#: learning-rate grids of the paper's ablation (LRU variants / RNN-head variants), reduced
#: to two values each
ABLATION_LRS = {"rnn": (3.2e-3, 1e-3), "block_diagonal": (1e-2, 3.2e-3),
                "more_neurons": (1e-2, 3.2e-3), "complex": (3.2e-2, 1e-2),
                "gamma": (3.2e-2, 1e-2), "lru": (1e-1, 3.2e-2)}


def _heads_student(n: int, head: int, gen: torch.Generator,
                   max_phase: float) -> tuple[dict[str, Any], torch.Tensor]:
    blocks = [_remapped_dense(head, 0.0, max_phase, gen) for _ in range(n // head)]
    mask = [(k * head + i, k * head + j) for k in range(n // head) for i in range(head)
            for j in range(head)]
    A = torch.cat([blk.reshape(-1) for blk in blocks])
    B = torch.randn(n, generator=gen, dtype=torch.float64)
    C = torch.randn(n, generator=gen, dtype=torch.float64) / math.sqrt(n)
    D = torch.randn(1, generator=gen, dtype=torch.float64)
    return {"model": "heads", "hidden": n, "mask": mask}, torch.cat([A, B, C, D])


def _complex_student(n: int, nu0: float, gen: torch.Generator, max_phase: float,
                     gamma: bool) -> tuple[dict[str, Any], torch.Tensor]:
    u = torch.rand(n, generator=gen, dtype=torch.float64)
    mod = torch.sqrt(u * (1.0 - nu0**2) + nu0**2).clamp_max(1 - 1e-9)
    phase = torch.rand(n, generator=gen, dtype=torch.float64) * max_phase
    b = torch.randn(2, n, generator=gen, dtype=torch.float64) / math.sqrt(2.0)
    c = torch.randn(2, n, generator=gen, dtype=torch.float64) / math.sqrt(2.0 * n)
    D = torch.randn(1, generator=gen, dtype=torch.float64)
    parts = [mod * torch.cos(phase), mod * torch.sin(phase)]
    if gamma:
        parts.append(0.5 * torch.log(1.0 - mod**2))
    theta = torch.cat(parts + [b[0], b[1], c[0], c[1], D])
    return {"model": "diagonal", "hidden": n, "gamma": gamma}, theta


def init_variant(variant: str, hidden: int, nu0: float, *, seed: int = 0,
                 max_phase: float = math.pi) -> tuple[dict[str, Any], torch.Tensor]:
    """(layout, initial parameters) of an ablation student (module docstring)."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    if variant in ("rnn", "lru"):
        return init_student("dense" if variant == "rnn" else "lru", hidden, nu0, seed=seed,
                            max_phase=max_phase)
    gen = torch.Generator().manual_seed(2 * seed + 1)
    if variant == "block_diagonal":
        return _heads_student(hidden, 2, gen, max_phase)
    if variant == "more_neurons":
        return _heads_student(2 * hidden, 2, gen, max_phase)
    return _complex_student(hidden, nu0, gen, max_phase, gamma=variant == "gamma")


def variant_impulse(layout: dict[str, Any], theta: torch.Tensor, steps: int) -> torch.Tensor:
    """k_0..k_{T−1}; the γ variant multiplies B by e^{log γ} before the diagonal response."""
    if layout.get("gamma"):
        n = layout["hidden"]
        g = torch.exp(theta[2 * n:3 * n])
        theta = torch.cat([theta[:2 * n], g * theta[3 * n:4 * n], g * theta[4 * n:5 * n],
                           theta[5 * n:]])
    return impulse_response(layout, theta, steps)


def _outputs(layout: dict[str, Any], theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    steps = x.shape[1]
    k = variant_impulse(layout, theta, steps)
    size = 2 * steps
    spec = torch.fft.rfft(x, n=size) * torch.fft.rfft(k, n=size)
    return torch.fft.irfft(spec, n=size)[:, :steps]


def train_variant(variant: str, nu0: float, lr: float, *, seed: int = 0,
                  protocol: Protocol = REDUCED) -> dict[str, Any]:
    """Final and initial loss (½·mean(ŷ − y)² on a fixed evaluation batch) after
    ``protocol.steps`` Adam steps with the cosine schedule (as in teacher_student.train)."""
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    start = time.perf_counter()
    p = protocol
    with cpu_threads(1, torch.device("cpu")):
        teacher = draw_teacher(p.teacher_hidden, nu0, seed=seed, max_phase=p.max_phase)
        layout, theta0 = init_variant(variant, p.student_hidden, nu0, seed=seed,
                                      max_phase=p.max_phase)
        theta = theta0.clone().requires_grad_(True)
        data = torch.Generator().manual_seed(1_000_003 * (seed + 1))
        evalgen = torch.Generator().manual_seed(7_000_001 + seed)
        x_eval = torch.randn(p.eval_batch, p.seq_len, generator=evalgen, dtype=torch.float64)

        def loss_on(th: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
            with torch.no_grad():
                y = _outputs(teacher.layout, teacher.theta, x)
            return 0.5 * ((_outputs(layout, th, x) - y) ** 2).mean()

        with torch.no_grad():
            initial = float(loss_on(theta, x_eval))
        opt = torch.optim.Adam([theta], lr=lr)
        diverged = False
        for step in range(p.steps):
            for group in opt.param_groups:
                group["lr"] = cosine_lr(step, p.steps, lr)
            x = torch.randn(p.batch, p.seq_len, generator=data, dtype=torch.float64)
            loss = loss_on(theta, x)
            if not math.isfinite(float(loss.detach())):
                diverged = True
                break
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            final = math.inf if diverged else float(loss_on(theta, x_eval))
    return {"variant": variant, "nu0": nu0, "lr": lr, "seed": seed, "initial_loss": initial,
            "final_loss": final if math.isfinite(final) else math.inf,
            "diverged": diverged or not math.isfinite(final),
            "seconds": round(time.perf_counter() - start, 2)}


def ablation_study(*, nu0: float = 0.99, seeds: int = 2, variants: tuple[str, ...] = VARIANTS,
                   protocol: Protocol = REDUCED) -> dict[str, Any]:
    """Every variant at its best learning rate of :data:`ABLATION_LRS` (lowest mean final loss
    over ``seeds`` seeds): rows with the mean and standard error of the final loss."""
    rows = []
    for v in variants:
        best = None
        for lr in ABLATION_LRS[v]:
            runs = [train_variant(v, nu0, lr, seed=s, protocol=protocol) for s in range(seeds)]
            finals = [r["final_loss"] for r in runs]
            mean = sum(finals) / len(finals)
            se = (math.sqrt(sum((f - mean) ** 2 for f in finals) / (len(finals) - 1))
                  / math.sqrt(len(finals))) if len(finals) > 1 and math.isfinite(mean) else 0.0
            row = {"variant": v, "lr": lr, "final_loss_mean": mean, "final_loss_stderr": se,
                   "initial_loss_mean": sum(r["initial_loss"] for r in runs) / len(runs),
                   "seconds": round(sum(r["seconds"] for r in runs), 2)}
            if best is None or row["final_loss_mean"] < best["final_loss_mean"]:
                best = row
        rows.append(best)
    return {"nu0": nu0, "seeds": seeds, "protocol": {"steps": protocol.steps,
            "student_hidden": protocol.student_hidden, "seq_len": protocol.seq_len,
            "batch": protocol.batch}, "rows": rows}
