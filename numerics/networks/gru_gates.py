"""A single GRU unit's update gate, simulated: E h² and E(d_b h)² with standard errors.

Zucchet & Orvieto (2024), §5 and appendix (Figs. 12, 14, 15).  The unit

    h_{t+1} = z_t h_t + (1 − z_t) x_{t+1},      z_t = σ(b + w_x x_{t+1} + w_h h_t),

is a diagonal linear recurrence with λ = σ(b) when the gate is constant (w_x = w_h = 0); the
three cases of Fig. 15 are ``constant``, ``input`` (w_x ≠ 0) and ``hidden`` (w_x, w_h ≠ 0).
d_b h is taken by forward-mode autograd (``torch.func.jvp`` in b) through the whole loop.

Inputs are Gaussian with the autocorrelation R(Δ) = c₀ ρ₀^|Δ| + c₁ δ_{Δ0} (Fig. 12's fit):
x = sqrt(c₀)·u + sqrt(c₁)·ξ with u a stationary AR(1) of coefficient ρ₀ (started from its
stationary law) and ξ white, so R is exact at every step.  h_0 = 0; callers choose ``steps``
so that the start is forgotten (the relative bias of a constant gate is ≲ T² z^{2T}).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import torch
from rnnverify.numerics.memory.engine import cpu_threads
from torch.func import jvp

CASES = ("constant", "input", "hidden")
MAX_SAMPLES = 4_000_000


@dataclass
class GateEstimate:
    """Means and standard errors of h_T² and (d_b h_T)² over independent chains."""

    h2: float
    h2_stderr: float
    dh2_db: float
    dh2_db_stderr: float
    samples: int
    steps: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"h2": {"estimate": self.h2, "stderr": self.h2_stderr},
                "dh2_db": {"estimate": self.dh2_db, "stderr": self.dh2_db_stderr},
                "samples": self.samples, "steps": self.steps,
                "seconds": round(self.seconds, 3)}


def autocorrelated_inputs(batch: int, steps: int, components: tuple[tuple[float, float], ...],
                          gen: torch.Generator, dtype: torch.dtype,
                          device: torch.device) -> torch.Tensor:
    """Time-major (steps, batch) Gaussian inputs with R(Δ) = Σ c_k ρ_k^|Δ|, stationary from
    the first step (contiguous rows per step)."""
    x = torch.zeros(steps, batch, dtype=dtype, device=device)
    for c, r in components:
        noise = torch.randn(steps, batch, generator=gen, dtype=dtype, device=device)
        if r == 0.0:
            x += math.sqrt(c) * noise
            continue
        s = math.sqrt(1 - r * r)
        noise[1:] *= s
        for t in range(1, steps):  # in place: u_t = r u_{t−1} + sqrt(1 − r²) ξ_t
            noise[t].add_(noise[t - 1], alpha=r)
        x += math.sqrt(c) * noise
    return x


def _final_state(b: torch.Tensor, x: torch.Tensor, w_x: torch.Tensor,
                 w_h: torch.Tensor) -> torch.Tensor:
    h = torch.zeros_like(x[0])
    for t in range(x.shape[0]):
        z = torch.sigmoid(b + w_x * x[t] + w_h * h)
        h = z * h + (1 - z) * x[t]
    return h


def _chunk(b: float, components: tuple[tuple[float, float], ...], steps: int,
           wx_all: torch.Tensor, wh_all: torch.Tensor, s1: torch.Tensor, s2: torch.Tensor,
           done: int, block: int, n: int, seed: int, dtype: torch.dtype,
           dev: torch.device) -> tuple[int, int]:
    gen = torch.Generator(device=dev)
    gen.manual_seed(seed * 1_000_003 + block)
    x = autocorrelated_inputs(n, steps, components, gen, dtype, dev)
    wx, wh = wx_all[done:done + n], wh_all[done:done + n]
    b0 = torch.tensor(float(b), dtype=dtype, device=dev)
    h, dh = jvp(lambda bb: _final_state(bb, x, wx, wh), (b0,), (torch.ones_like(b0),))
    v = torch.stack([h * h, dh * dh])
    s1 += v.sum(1)
    s2 += (v * v).sum(1)
    return n, block + 1


def simulate_gate(b: float, *, components: tuple[tuple[float, float], ...], samples: int,
                  steps: int, w_x: Any = 0.0, w_h: Any = 0.0, seed: int = 0,
                  chunk: int = 200_000, device: str | torch.device = "cpu") -> GateEstimate:
    """E h_T² and E(d_b h_T)² over ``samples`` chains (float64).

    ``w_x``/``w_h`` are numbers or tensors of shape (samples,) (one gate per chain: random
    initializations).  ``components`` lists (c_k, ρ_k) of R(Δ) = Σ c_k ρ_k^|Δ| (ρ_k = 0 is
    white noise).
    """
    if not 1 <= samples <= MAX_SAMPLES:
        raise ValueError(f"samples must lie in [1, {MAX_SAMPLES}], got {samples}")
    if steps < 1:
        raise ValueError(f"steps must be positive, got {steps}")
    start = time.perf_counter()
    dev = torch.device(device)
    dtype = torch.float64
    wx_all = torch.as_tensor(w_x, dtype=dtype, device=dev).expand(samples)
    wh_all = torch.as_tensor(w_h, dtype=dtype, device=dev).expand(samples)
    s1 = torch.zeros(2, dtype=dtype, device=dev)
    s2 = torch.zeros(2, dtype=dtype, device=dev)
    done = 0
    block = 0
    with cpu_threads(1, dev):  # short elementwise steps: one thread (see numerics.memory.engine)
        while done < samples:
            n, block = _chunk(b, components, steps, wx_all, wh_all, s1, s2, done, block,
                              min(chunk, samples - done), seed, dtype, dev)
            done += n
    mean = s1 / done
    var = (s2 / done - mean**2).clamp_min(0) * done / max(done - 1, 1)
    se = (var / done).sqrt()
    return GateEstimate(float(mean[0]), float(se[0]), float(mean[1]), float(se[1]), done,
                        steps, time.perf_counter() - start)
