"""Teacher–student training of linear recurrent networks (Zucchet & Orvieto 2024, §4.2, Fig. 3A).

A *teacher* linear RNN h_{t+1} = A h_t + B x_{t+1}, y_t = C h_t + D x_t (d_in = d_out = 1,
h_{−1} = 0) is drawn as in the paper: A₀ ~ N(0, 1)/√n is eigendecomposed,
A₀ = V diag(l) V⁻¹, every eigenvalue is mapped to modulus ν₀ + (1 − ν₀)·tanh|l| and angle
∠l·max_phase/π, and A = Re(V diag(·) V⁻¹) — so all moduli lie in [ν₀, 1); B ~ N(0, 1),
C ~ N(0, 1)/√n, D ~ N(0, 1).  Inputs are white, x_t ~ N(0, 1), fresh every step.

A *student* learns the teacher's outputs by Adam on ½·mean_{b,t}(ŷ − y)² with the cosine
schedule of the paper (peak ``lr``, warm-up 0, decayed to 10⁻⁷):

* ``lru`` — n complex units in the exponential parametrization with learned γ
  (λ = exp(−e^{ν_log} + i e^{θ_log}), γ = e^{γ_log}, ŷ = Re(C γ (h)) + D x), |λ| initialised
  uniformly on the ring [ν₀, 1) and θ in [0, π), γ = sqrt(1 − |λ|²) (the LRU initialisation);
* ``dense`` — a real dense n×n A, initialised like the teacher with ν₀ = 0 (the paper: "better
  results without" the teacher's distribution), dense B, C, D.

Both networks are linear, so ŷ_t = Σ_{m≤t} k_m x_{t−m} with the impulse response k of
:func:`rnnverify.numerics.networks.linear_network.impulse_response`; the outputs are one causal
convolution.  This is the same function of the parameters as the recurrence (the authors
evaluate it by an associative scan), so the loss and its gradients are the same; it only
replaces T sequential steps by log₂T matrix products.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from rnnverify.numerics.memory.engine import cpu_threads
from rnnverify.numerics.networks.linear_network import impulse_response
from rnnverify.numerics.networks.teacher_student_grid import FULL_LRS as FULL_LRS
from rnnverify.numerics.networks.teacher_student_grid import MODELS
from rnnverify.numerics.networks.teacher_student_grid import REDUCED_LRS as REDUCED_LRS

#: end (and start) value of the cosine learning-rate schedule (§4.2 protocol)
LR_FLOOR = 1e-7


@dataclass(frozen=True)
class Protocol:
    """Sizes and schedule of one teacher–student run."""

    teacher_hidden: int = 10
    student_hidden: int = 16
    seq_len: int = 200
    batch: int = 32
    steps: int = 300
    eval_batch: int = 256
    max_phase: float = math.pi

    def __post_init__(self) -> None:
        for name in ("teacher_hidden", "student_hidden", "seq_len", "batch", "steps",
                     "eval_batch"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        if self.student_hidden > 256 or self.teacher_hidden > 256:
            raise ValueError("hidden sizes must be at most 256")
        if self.seq_len > 10_000:
            raise ValueError(f"seq_len must be at most 10000, got {self.seq_len}")
        if not 0 < self.max_phase <= math.pi:
            raise ValueError(f"max_phase must lie in (0, π], got {self.max_phase}")


#: reduced protocol (seconds per run on one CPU core)
REDUCED = Protocol()
#: the published protocol of §4.2: 64 student units, batch 128, T = 300, 100 × 100 steps
FULL = Protocol(teacher_hidden=10, student_hidden=64, seq_len=300, batch=128, steps=10_000,
                eval_batch=1024)


def _remapped_dense(n: int, nu0: float, max_phase: float, gen: torch.Generator) -> torch.Tensor:
    """Real n×n matrix with eigenvalue moduli ν₀ + (1 − ν₀) tanh|l| (the paper's teacher map)."""
    a0 = torch.randn(n, n, generator=gen, dtype=torch.float64) / math.sqrt(n)
    lam, V = torch.linalg.eig(a0)
    mod = nu0 + (1.0 - nu0) * torch.tanh(lam.abs())
    ang = torch.angle(lam) * max_phase / math.pi
    new = torch.polar(mod, ang)
    return (V @ torch.diag(new) @ torch.linalg.inv(V)).real


def _dense_layout(n: int) -> dict[str, Any]:
    return {"model": "dense", "hidden": n, "mask": [(i, j) for i in range(n) for j in range(n)]}


def _lru_layout(n: int) -> dict[str, Any]:
    return {"model": "lru", "hidden": n}


@dataclass
class Teacher:
    """The teacher's parameter vector in the ``dense`` layout and its eigenvalue moduli."""

    layout: dict[str, Any]
    theta: torch.Tensor
    moduli: list[float]


def draw_teacher(hidden: int, nu0: float, *, seed: int = 0,
                 max_phase: float = math.pi) -> Teacher:
    """The §4.2 teacher (module docstring), drawn from ``torch.Generator`` seeded ``seed``."""
    _check_nu0(nu0)
    gen = torch.Generator().manual_seed(2 * seed)
    A = _remapped_dense(hidden, nu0, max_phase, gen)
    B = torch.randn(hidden, generator=gen, dtype=torch.float64)
    C = torch.randn(hidden, generator=gen, dtype=torch.float64) / math.sqrt(hidden)
    D = torch.randn(1, generator=gen, dtype=torch.float64)
    theta = torch.cat([A.reshape(-1), B, C, D])
    moduli = sorted(torch.linalg.eigvals(A).abs().tolist())
    return Teacher(_dense_layout(hidden), theta, moduli)


def init_student(model: str, hidden: int, nu0: float, *, seed: int = 0,
                 max_phase: float = math.pi) -> tuple[dict[str, Any], torch.Tensor]:
    """(layout, initial parameter vector) of the student ``model`` (module docstring)."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    _check_nu0(nu0)
    gen = torch.Generator().manual_seed(2 * seed + 1)
    n = hidden
    if model == "dense":
        A = _remapped_dense(n, 0.0, max_phase, gen)
        B = torch.randn(n, generator=gen, dtype=torch.float64)
        C = torch.randn(n, generator=gen, dtype=torch.float64) / math.sqrt(n)
        D = torch.randn(1, generator=gen, dtype=torch.float64)
        return _dense_layout(n), torch.cat([A.reshape(-1), B, C, D])
    u = torch.rand(n, generator=gen, dtype=torch.float64)
    # |λ|² uniform on [ν₀², 1): the LRU's ring initialisation (|λ| = e^{−ν}, ν = e^{ν_log})
    nu = -0.5 * torch.log(u * (1.0 - nu0 ** 2) + nu0 ** 2)
    nu = nu.clamp_min(1e-12)
    phase = torch.rand(n, generator=gen, dtype=torch.float64) * max_phase
    phase = phase.clamp_min(1e-12)
    gamma = torch.sqrt(1.0 - torch.exp(-2.0 * nu))
    b = torch.randn(2, n, generator=gen, dtype=torch.float64) / math.sqrt(2.0)
    c = torch.randn(2, n, generator=gen, dtype=torch.float64) / math.sqrt(2.0 * n)
    D = torch.randn(1, generator=gen, dtype=torch.float64)
    theta = torch.cat([torch.log(nu), torch.log(phase), torch.log(gamma), b[0], b[1],
                       c[0], c[1], D])
    return _lru_layout(n), theta


def outputs(layout: dict[str, Any], theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """ŷ_t = Σ_{m≤t} k_m x_{t−m} for inputs ``x`` of shape (batch, T): a causal convolution,
    evaluated by FFT on 2T points."""
    steps = x.shape[1]
    k = impulse_response(layout, theta, steps)
    size = 2 * steps  # zero padding: the circular convolution equals the causal one
    spec = torch.fft.rfft(x, n=size) * torch.fft.rfft(k, n=size)
    return torch.fft.irfft(spec, n=size)[:, :steps]


def cosine_lr(step: int, total: int, peak: float) -> float:
    """Cosine decay from ``peak`` (warm-up 0) to :data:`LR_FLOOR` over ``total`` steps."""
    return LR_FLOOR + 0.5 * (peak - LR_FLOOR) * (1.0 + math.cos(math.pi * step / total))


@dataclass
class TrainResult:
    """One training run: the final loss on a fixed evaluation batch and the loss curve."""

    model: str
    nu0: float
    lr: float
    seed: int
    final_loss: float
    initial_loss: float
    curve: list[float] = field(repr=False)
    diverged: bool
    seconds: float
    teacher_moduli: list[float] = field(repr=False)


def train(model: str, nu0: float, lr: float, *, seed: int = 0,
          protocol: Protocol = REDUCED) -> TrainResult:
    """Train the student ``model`` on the ν₀ teacher of ``seed`` for ``protocol.steps`` Adam steps.

    ``final_loss`` and ``initial_loss`` are ½·mean(ŷ − y)² on one evaluation batch
    (``protocol.eval_batch`` sequences, seeded) after and before training; ``curve`` is the
    training loss at every step.  A non-finite loss stops the run (``diverged``; final loss inf).
    """
    if not (isinstance(lr, float | int) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    # small sequential passes: one intra-op thread (see numerics.memory.engine.cpu_threads)
    with cpu_threads(1, torch.device("cpu")):
        return _train(model, nu0, lr, seed, protocol)


def _train(model: str, nu0: float, lr: float, seed: int, protocol: Protocol) -> TrainResult:
    start = time.perf_counter()
    p = protocol
    teacher = draw_teacher(p.teacher_hidden, nu0, seed=seed, max_phase=p.max_phase)
    layout, theta0 = init_student(model, p.student_hidden, nu0, seed=seed,
                                  max_phase=p.max_phase)
    theta = theta0.clone().requires_grad_(True)
    data = torch.Generator().manual_seed(1_000_003 * (seed + 1))
    evalgen = torch.Generator().manual_seed(7_000_001 + seed)
    x_eval = torch.randn(p.eval_batch, p.seq_len, generator=evalgen, dtype=torch.float64)

    def loss_on(th: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            y = outputs(teacher.layout, teacher.theta, x)
        return 0.5 * ((outputs(layout, th, x) - y) ** 2).mean()

    with torch.no_grad():
        initial = float(loss_on(theta, x_eval))
    opt = torch.optim.Adam([theta], lr=lr)
    curve: list[float] = []
    diverged = False
    for step in range(p.steps):
        for group in opt.param_groups:
            group["lr"] = cosine_lr(step, p.steps, lr)
        x = torch.randn(p.batch, p.seq_len, generator=data, dtype=torch.float64)
        loss = loss_on(theta, x)
        value = float(loss.detach())
        curve.append(value)
        if not math.isfinite(value):
            diverged = True
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        final = math.inf if diverged else float(loss_on(theta, x_eval))
    if not math.isfinite(final):
        diverged, final = True, math.inf
    return TrainResult(model, float(nu0), float(lr), seed, final, initial, curve, diverged,
                       time.perf_counter() - start, teacher.moduli)


def mean_and_stderr(values: list[float]) -> tuple[float, float]:
    """Sample mean and its standard error s/√n (s the unbiased standard deviation; 0 if n = 1)."""
    n = len(values)
    if n == 0:
        raise ValueError("values must be non-empty")
    mean = sum(values) / n
    if n == 1 or not math.isfinite(mean):
        return mean, 0.0 if n == 1 else math.nan
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, math.sqrt(var / n)


def sweep(nu0s: list[float], models: list[str], lrs: dict[str, list[float]], seeds: int, *,
          protocol: Protocol = REDUCED,
          on_run: Callable[[TrainResult], None] | None = None) -> list[dict[str, Any]]:
    """Fig. 3A: for each model and ν₀, the final loss (mean ± s.e. over ``seeds`` seeds) at every
    learning rate, and the best learning rate (lowest mean final loss; diverged runs count as
    inf).  Returns one row per (model, ν₀)."""
    for m in models:
        if m not in MODELS:
            raise ValueError(f"model must be one of {', '.join(MODELS)}, got {m!r}")
    for nu0 in nu0s:
        _check_nu0(nu0)
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds must be a positive int, got {seeds!r}")
    rows = []
    for model in models:
        for nu0 in nu0s:
            per_lr = []
            for lr in lrs[model]:
                runs = []
                for s in range(seeds):
                    r = train(model, nu0, lr, seed=s, protocol=protocol)
                    runs.append(r)
                    if on_run is not None:
                        on_run(r)
                finals = [r.final_loss for r in runs]
                mean, se = mean_and_stderr(finals)
                per_lr.append({"lr": lr, "final_loss_mean": mean, "final_loss_stderr": se,
                               "final_losses": finals,
                               "initial_loss_mean": mean_and_stderr(
                                   [r.initial_loss for r in runs])[0],
                               "diverged": sum(r.diverged for r in runs),
                               "curve_mean": _mean_curve([r.curve for r in runs])})
            best = min(per_lr, key=lambda d: (d["final_loss_mean"], d["lr"]))
            rows.append({"model": model, "nu0": nu0, "best_lr": best["lr"],
                         "final_loss_mean": best["final_loss_mean"],
                         "final_loss_stderr": best["final_loss_stderr"], "by_lr": per_lr})
    return rows


def _mean_curve(curves: list[list[float]], points: int = 50) -> list[float]:
    """Mean training-loss curve over seeds, subsampled to at most ``points`` values."""
    length = min(len(c) for c in curves)
    every = max(1, length // points)
    return [sum(c[i] for c in curves) / len(curves) for i in range(0, length, every)]


def _check_nu0(nu0: float) -> None:
    if isinstance(nu0, bool) or not isinstance(nu0, float | int) or not 0 <= nu0 < 1:
        raise ValueError(f"nu0 must lie in [0, 1), got {nu0!r}")
