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


# ------------------------------------------------------------------ the authors' gate model
def haar_orthogonal(n: int, batch: int, gen: torch.Generator, dtype: torch.dtype,
                    device: torch.device) -> torch.Tensor:
    """(batch, n, n) Haar-random orthogonal matrices: QR of a Gaussian matrix with the signs
    of R's diagonal moved into Q (Mezzadri 2007), the law of flax's ``orthogonal`` init."""
    g = torch.randn(batch, n, n, generator=gen, dtype=dtype, device=device)
    q, r = torch.linalg.qr(g)
    return q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1)).unsqueeze(-2)


@dataclass
class LayerGateEstimate:
    """E h_i² and E(∂h_i/∂b_i)² at step T of a layer of ``units`` gated units, averaged over
    units; one sample per independent layer (its unit average), so the standard errors are
    over layers."""

    h2: float
    h2_stderr: float
    dh2_db: float
    dh2_db_stderr: float
    layers: int
    units: int
    steps: int
    seconds: float


def layer_final_state(b: torch.Tensor, x: torch.Tensor, w_iz: torch.Tensor,
                      w_hz: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """h_T and the diagonal ∂h_{i,T}/∂b_i of the authors' gate model, by the tangent
    recurrence (forward mode written out):

        a_t = b + W_iz x_t + W_hz h_{t−1},  z_t = σ(a_t),  h_t = z_t ⊙ h_{t−1} + (1 − z_t) ⊙ x_t,
        D_t = z_t ⊙ D_{t−1} + (z_t(1 − z_t)(h_{t−1} − x_t)) ⊙ (I + W_hz D_{t−1}),

    D_t = ∂h_t/∂b (units × units per layer; diagonal when W_hz = 0).  ``x`` is (steps,
    layers, units); ``w_iz``, ``w_hz`` are (layers, units, units), already scaled.
    """
    steps, layers, n = x.shape
    h = torch.zeros(layers, n, dtype=x.dtype, device=x.device)
    coupled = bool(w_hz.abs().max() > 0)
    eye = torch.eye(n, dtype=x.dtype, device=x.device)
    D = torch.zeros(layers, n, n if coupled else 1, dtype=x.dtype, device=x.device)
    for t in range(steps):
        xt = x[t]
        a = b + torch.einsum("lij,lj->li", w_iz, xt)
        if coupled:
            a = a + torch.einsum("lij,lj->li", w_hz, h)
        z = torch.sigmoid(a)
        g = (z * (1 - z) * (h - xt)).unsqueeze(-1)
        if coupled:
            D = z.unsqueeze(-1) * D + g * (eye + torch.bmm(w_hz, D))
        else:
            D = z.unsqueeze(-1) * D + g
        h = z * h + (1 - z) * xt
    diag = torch.diagonal(D, dim1=-2, dim2=-1) if coupled else D[..., 0]
    return h, diag


def simulate_gate_layer(b: float, *, components: tuple[tuple[float, float], ...], layers: int,
                        steps: int, units: int = 32, scale_x: float = 1.0,
                        scale_h: float = 1.0, seed: int = 0, chunk: int = 256,
                        device: str | torch.device = "cpu") -> LayerGateEstimate:
    """The gate model of the authors' Fig. 15 notebook (``ChronoGRUCell``, simple version),
    every unit at gate bias ``b``, one fresh initialization per layer:

    * the state's input is the unit's own input channel x_i (R of Fig. 12, channels
      independent);
    * the gate's input projection is W_iz x with W_iz ~ N(0, 2·scale_x²/units) — the
      authors' variance scaling 2/fan_in — so (W_iz x)_i has variance 2·scale_x²·R(0) and is
      almost independent of x_i (its own channel carries a 1/units share);
    * the hidden dependence is scale_h · W_hz h with W_hz Haar orthogonal: a mix of the
      *other* units' states, not a self-connection.
    """
    if not 1 <= layers <= MAX_SAMPLES:
        raise ValueError(f"layers must lie in [1, {MAX_SAMPLES}], got {layers}")
    if steps < 1:
        raise ValueError(f"steps must be positive, got {steps}")
    if units < 1:
        raise ValueError(f"units must be positive, got {units}")
    start = time.perf_counter()
    dev = torch.device(device)
    dtype = torch.float64
    s1 = torch.zeros(2, dtype=dtype, device=dev)
    s2 = torch.zeros(2, dtype=dtype, device=dev)
    done, block = 0, 0
    with cpu_threads(1, dev):
        while done < layers:
            n = min(chunk, layers - done)
            gen = torch.Generator(device=dev)
            gen.manual_seed(seed * 1_000_003 + 7_919 * block + 1)
            x = autocorrelated_inputs(n * units, steps, components, gen, dtype, dev)
            x = x.reshape(steps, n, units)
            w_iz = scale_x * math.sqrt(2.0 / units) * torch.randn(
                n, units, units, generator=gen, dtype=dtype, device=dev)
            w_hz = scale_h * haar_orthogonal(units, n, gen, dtype, dev) if scale_h else \
                torch.zeros(n, units, units, dtype=dtype, device=dev)
            h, dh = layer_final_state(torch.full((units,), float(b), dtype=dtype, device=dev),
                                      x, w_iz, w_hz)
            v = torch.stack([(h * h).mean(1), (dh * dh).mean(1)])  # one sample per layer
            s1 += v.sum(1)
            s2 += (v * v).sum(1)
            done += n
            block += 1
    mean = s1 / done
    var = (s2 / done - mean**2).clamp_min(0) * done / max(done - 1, 1)
    se = (var / done).sqrt()
    return LayerGateEstimate(float(mean[0]), float(se[0]), float(mean[1]), float(se[1]), done,
                             units, steps, time.perf_counter() - start)


def recurrent_jacobians(b: torch.Tensor, x: torch.Tensor, w_iz: torch.Tensor,
                        w_hz: torch.Tensor, lags: list[int]) -> dict[int, torch.Tensor]:
    """∂h_Δ/∂h_0 of the authors' gate model (Fig. 14) at the given lags Δ, started from
    h_0 = 0 (the linearization point), by the exact product

        ∂h_t/∂h_{t−1} = diag(z_t) + diag(z_t(1 − z_t)(h_{t−1} − x_t)) W_hz,

    so with W_hz = 0 (or constant gates) it is diag(∏ z_t) — diag(z^Δ) for a constant gate.
    ``b`` is (units,), ``x`` (steps, layers, units), the weights (layers, units, units)."""
    steps, layers, n = x.shape
    if not lags or min(lags) < 1 or max(lags) > steps:
        raise ValueError(f"lags must lie in [1, {steps}], got {lags}")
    h = torch.zeros(layers, n, dtype=x.dtype, device=x.device)
    J = torch.eye(n, dtype=x.dtype, device=x.device).expand(layers, n, n).clone()
    out: dict[int, torch.Tensor] = {}
    wanted = set(lags)
    for t in range(max(lags)):
        xt = x[t]
        z = torch.sigmoid(b + torch.einsum("lij,lj->li", w_iz, xt)
                          + torch.einsum("lij,lj->li", w_hz, h))
        g = z * (1 - z) * (h - xt)
        J = z.unsqueeze(-1) * J + g.unsqueeze(-1) * torch.bmm(w_hz, J)
        h = z * h + (1 - z) * xt
        if t + 1 in wanted:
            out[t + 1] = J.clone()
    return out


def jacobian_study(*, timescales: tuple[float, float], units: int, layers: int, scale_x: float,
                   scale_h: float, lags: list[int], components: tuple[tuple[float, float], ...],
                   seed: int = 0) -> dict[str, Any]:
    """Fig. 14's measurement on ``layers`` initializations of ``units`` units: chrono biases
    b_i = log T_i, T_i ~ U[T_min, T_max] with ``timescales`` = (T_min, T_max) (the notebook's
    b = log U[T_min, T_max]); W_iz ~ N(0, 2·scale_x²/units),
    W_hz = scale_h·orthogonal; for each lag the mean |diagonal| and |off-diagonal| entries of
    ∂h_Δ/∂h_0 and the ratio of their Frobenius norms."""
    dev = torch.device("cpu")
    dtype = torch.float64
    gen = torch.Generator().manual_seed(seed * 1_000_003 + 17)
    lo, hi = timescales
    T = lo + (hi - lo) * torch.rand(units, generator=gen, dtype=dtype)
    b = torch.log(T)
    steps = max(lags)
    x = autocorrelated_inputs(layers * units, steps, components, gen, dtype, dev)
    x = x.reshape(steps, layers, units)
    w_iz = scale_x * math.sqrt(2.0 / units) * torch.randn(layers, units, units, generator=gen,
                                                          dtype=dtype)
    w_hz = scale_h * haar_orthogonal(units, layers, gen, dtype, dev) if scale_h else \
        torch.zeros(layers, units, units, dtype=dtype)
    with cpu_threads(1, dev):
        jac = recurrent_jacobians(b, x, w_iz, w_hz, lags)
    eye = torch.eye(units, dtype=torch.bool)
    rows = []
    for lag in lags:
        J = jac[lag]
        d = torch.diagonal(J, dim1=-2, dim2=-1)
        off = J.masked_fill(eye, 0.0)
        rows.append({"lag": lag, "mean_abs_diagonal": float(d.abs().mean()),
                     "mean_abs_off_diagonal": float(off.abs().sum() / (layers * units
                                                                       * (units - 1))),
                     "off_to_diagonal_frobenius": float((off.norm(dim=(-2, -1))
                                                        / d.norm(dim=-1)).mean()),
                     "entries": J[0, :min(units, 4), :min(units, 4)].tolist()})
    return {"timescales": list(timescales), "units": units, "layers": layers,
            "scale_x": scale_x, "scale_h": scale_h, "biases": b.tolist(), "rows": rows}
