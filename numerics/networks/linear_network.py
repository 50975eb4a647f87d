"""Monte Carlo Gauss–Newton matrix of a linear recurrent network at the optimum (torch.func).

The network (Zucchet & Orvieto 2024, §4, Fig. 4) is h_{t+1} = A h_t + B x_{t+1},
ŷ_t = Re(C h_t) + D x_t with the four parametrizations ``dense``, ``diagonal``, ``lru`` and
``heads`` described by a *layout* (plain Python: model, hidden size, parameter names and
values, the mask of A's parameter entries).  Inputs are stationary AR(1) sequences
x_{t+1} = ρ x_t + sqrt(1 − ρ²) ξ_{t+1} started from the stationary law, h_0 = 0.

Two estimates, both by autograd exactly as a practitioner would compute them:

* :func:`gauss_newton_mc` — per-sequence Jacobians J = ∂ŷ_t/∂θ at the last ``window`` steps
  of each sequence after ``steps`` steps from h_0 = 0.  ŷ is linear in x,
  ŷ_t = Σ_{n<T} k_n(θ) x_{t−n} with the impulse response k (:func:`impulse_response`), so
  ∂ŷ_t/∂θ = Σ_n x_{t−n} ∂k_n/∂θ: ``torch.func.jacfwd`` differentiates k once and a matrix
  product applies it to every sequence (the recurrence stepped one t at a time under ``vmap``
  gives the same numbers, orders of magnitude slower).  Each sequence contributes one
  sample mean_t J_t J_tᵀ, so sequences are independent and the standard error of the mean
  over sequences is honest.  The truncation at T steps (h_0 = 0) is a bias of relative size
  about T⁴ ν_max^{2T}; callers pick T so that it is negligible.
* :func:`empirical_loss_hessian` — ``torch.func.hessian`` of the empirical loss
  ½·mean(ŷ(θ) − y)² at θ = θ* on sequences labelled by the teacher θ*: since the residual is
  0, it equals the mean of J Jᵀ over the same sequences (to rounding).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from rnnverify.numerics.memory.engine import cpu_threads
from torch.func import hessian, jacfwd

MAX_SAMPLES = 1_000_000


def _ar1_inputs(batch: int, steps: int, rho: float, gen: torch.Generator,
                dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """(batch, steps) stationary AR(1) inputs, generated time-major (contiguous steps)."""
    noise = torch.randn(steps, batch, generator=gen, dtype=dtype, device=device)
    if rho != 0.0:
        noise[1:] *= math.sqrt(1.0 - rho * rho)  # x_0 stationary: Var x_0 = 1
        for t in range(1, steps):
            noise[t].add_(noise[t - 1], alpha=rho)
    return noise.T


def _split(layout: Mapping[str, Any], theta: torch.Tensor) -> dict[str, torch.Tensor]:
    n = layout["hidden"]
    if layout["model"] in ("dense", "heads"):
        mask = layout["mask"]
        k = len(mask)
        rows = torch.tensor([p[0] for p in mask])
        cols = torch.tensor([p[1] for p in mask])
        A = torch.zeros(n, n, dtype=theta.dtype, device=theta.device)
        A = A.index_put((rows, cols), theta[:k])
        return {"A": A, "B": theta[k:k + n], "C": theta[k + n:k + 2 * n], "D": theta[-1]}
    g = 2 if layout["model"] == "diagonal" else 3
    parts = theta[:-1].reshape(g + 4, n)
    if layout["model"] == "diagonal":
        lr, li, gamma = parts[0], parts[1], torch.ones_like(parts[0])
    else:
        mod = torch.exp(-torch.exp(parts[0]))
        ang = torch.exp(parts[1])
        lr, li, gamma = mod * torch.cos(ang), mod * torch.sin(ang), torch.exp(parts[2])
    br, bi, cr, ci = parts[g], parts[g + 1], parts[g + 2], parts[g + 3]
    # amplitude a = C γ B (complex product written out in real arithmetic)
    ar = gamma * (cr * br - ci * bi)
    ai = gamma * (cr * bi + ci * br)
    return {"lr": lr, "li": li, "ar": ar, "ai": ai, "D": theta[-1]}


def impulse_response(layout: Mapping[str, Any], theta: torch.Tensor,
                     steps: int) -> torch.Tensor:
    """k_0..k_{T−1} with ŷ_t = Σ_n k_n x_{t−n} (h_0 = 0): k_n = C Aⁿ B + D·[n = 0], or
    Re Σ_i a_i λ_iⁿ + D·[n = 0] for the diagonal family (λⁿ = |λ|ⁿ e^{i n arg λ})."""
    p = _split(layout, theta)
    if "A" in p:
        A, B, C = p["A"], p["B"], p["C"]
        cols = B[:, None]  # A^0 B ... A^{m−1} B, doubled by A^m
        Am = A
        while cols.shape[1] < steps:
            cols = torch.cat([cols, Am @ cols], dim=1)
            Am = Am @ Am
        k = C @ cols[:, :steps]
    else:
        n = torch.arange(steps, dtype=theta.dtype, device=theta.device)[:, None]
        mod = torch.sqrt(p["lr"] ** 2 + p["li"] ** 2)
        ang = torch.atan2(p["li"], p["lr"])
        powr = torch.exp(n * torch.log(mod))
        k = (powr * (p["ar"] * torch.cos(n * ang) - p["ai"] * torch.sin(n * ang))).sum(-1)
    return k + p["D"] * (torch.arange(steps, device=theta.device) == 0).to(theta.dtype)


def network_outputs(layout: Mapping[str, Any], theta: torch.Tensor, x: torch.Tensor,
                    window: int) -> torch.Tensor:
    """ŷ_t at the last ``window`` steps for inputs ``x`` (batch, T), h_0 = 0: the recurrence
    unrolled into its impulse response (the authors unroll it by an associative scan)."""
    steps = x.shape[1]
    k = impulse_response(layout, theta, steps)
    xr = x.flip(1)  # xr[:, j] = x_{T−1−j}
    outs = [xr[:, s:] @ k[:steps - s] for s in range(window - 1, -1, -1)]
    return torch.stack(outs, dim=1)


@dataclass
class GaussNewtonEstimate:
    """Mean over sequences of mean_t J_t J_tᵀ, its standard error, and the sample count."""

    mean: torch.Tensor
    stderr: torch.Tensor
    samples: int
    steps: int
    window: int
    seconds: float


def _theta(layout: Mapping[str, Any], dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    return torch.tensor(layout["values"], dtype=dtype, device=device)


def gauss_newton_bytes(parameters: int, hidden: int, *, samples: int, steps: int,
                       window: int = 1) -> int:
    """Peak bytes of :func:`gauss_newton_mc` (float64), estimated before allocating.

    The forward-mode Jacobian of the impulse response carries ``parameters`` tangents of
    O(steps · hidden) intermediates (counted 8 deep); a chunk of b sequences holds the inputs
    and their flip (2 b T), the Jacobians (b W P) and the per-sequence J Jᵀ and its square
    (2 b P²).  Measured peaks (2026-12-04, torch 2.13 CPU): diagonal N = 4, P = 25, T = 5008:
    estimate 0.18 GB, RSS 0.65 GB (0.45 GB of it the interpreter and libraries); dense N = 16,
    P = 289: estimate 3.9 GB, RSS 4.0 GB.
    """
    b = max(1, min(samples, 2**23 // steps))
    jacobian = 8 * parameters * steps * max(hidden, 1) * 8
    chunk = 8 * (2 * b * steps + b * window * parameters + 2 * b * parameters**2)
    return jacobian + chunk


def gauss_newton_mc(layout: Mapping[str, Any], *, rho: float, samples: int, steps: int,
                    window: int = 1, seed: int = 0, chunk: int | None = None,
                    device: str | torch.device = "cpu") -> GaussNewtonEstimate:
    """E[J Jᵀ] by per-sequence ``torch.func.jacfwd`` Jacobians (float64), streaming chunks."""
    import time

    if not 1 <= samples <= MAX_SAMPLES:
        raise ValueError(f"samples must lie in [1, {MAX_SAMPLES}], got {samples}")
    if not 1 <= window <= steps:
        raise ValueError(f"window must lie in [1, steps], got {window} (steps {steps})")
    if not -1.0 < rho < 1.0:
        raise ValueError(f"rho must lie in (-1, 1), got {rho}")
    start = time.perf_counter()
    dev = torch.device(device)
    dtype = torch.float64
    theta = _theta(layout, dtype, dev)
    P = theta.numel()
    total = torch.zeros(P, P, dtype=dtype, device=dev)
    total2 = torch.zeros(P, P, dtype=dtype, device=dev)
    done = 0
    block = 0
    chunk = chunk or max(1, min(samples, 2**23 // steps))  # ≤ 64 MB of inputs at a time
    with cpu_threads(1, dev):  # short passes: one thread (see numerics.memory.engine)
        while done < samples:
            b = min(chunk, samples - done)
            gen = torch.Generator(device=dev)
            gen.manual_seed(seed * 1_000_003 + block)
            x = _ar1_inputs(b, steps, rho, gen, dtype, dev)
            dk = jacfwd(lambda th: impulse_response(layout, th, steps))(theta)  # (T, P)
            xr = x.flip(1)
            J = torch.stack([xr[:, s:] @ dk[:steps - s] for s in range(window - 1, -1, -1)],
                            dim=1)  # (b, W, P): per-sequence ∂ŷ_t/∂θ
            S = torch.einsum("bwp,bwq->bpq", J, J) / window
            total += S.sum(0)
            total2 += (S * S).sum(0)
            done += b
            block += 1
    mean = total / done
    var = (total2 / done - mean * mean).clamp_min(0) * done / max(done - 1, 1)
    return GaussNewtonEstimate(mean, (var / done).sqrt(), done, steps, window,
                               time.perf_counter() - start)


def empirical_loss_hessian(layout: Mapping[str, Any], *, rho: float, batch: int, steps: int,
                           window: int, seed: int = 0,
                           device: str | torch.device = "cpu") -> dict[str, Any]:
    """``torch.func.hessian`` of ½·mean(ŷ(θ) − y)² at θ* and mean J Jᵀ on the same data.

    Returns ``hessian``, ``gauss_newton`` (P×P tensors) and ``max_abs_difference``.
    """
    dev = torch.device(device)
    dtype = torch.float64
    theta = _theta(layout, dtype, dev)
    gen = torch.Generator(device=dev)
    gen.manual_seed(seed * 1_000_003 + 777_777)
    x = _ar1_inputs(batch, steps, rho, gen, dtype, dev)
    with torch.no_grad():
        y = network_outputs(layout, theta, x, window)

    def loss(th: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((network_outputs(layout, th, x, window) - y) ** 2).mean()

    with cpu_threads(1, dev):
        H = hessian(loss)(theta)
        J = jacfwd(lambda th: network_outputs(layout, th, x, window))(theta)
    G = torch.einsum("bwp,bwq->pq", J, J) / (batch * window)
    return {"hessian": H, "gauss_newton": G,
            "max_abs_difference": float((H - G).abs().max())}


def impulse_gauss_newton(layout: Mapping[str, Any], *, steps: int) -> torch.Tensor:
    """The Gauss–Newton matrix for white unit-variance input, deterministically (float64).

    ŷ_t = Σ_n k_n x_{t−n} (:func:`impulse_response`), so with E x_s x_{s'} = δ_{ss'}
    E[∂ŷ/∂θ ∂ŷ/∂θᵀ] = Σ_{n≥0} ∂k_n/∂θ ∂k_n/∂θᵀ — a third route to the Hessian at the optimum
    (no Lyapunov equation, no Lemma), truncated at ``steps`` terms: the neglected tail is
    ≲ steps⁴ ν_max^{2·steps} relative (∂k_n/∂λ grows like n ν^n); callers pick steps for it.
    """
    if steps < 1:
        raise ValueError(f"steps must be positive, got {steps}")
    theta = _theta(layout, torch.float64, torch.device("cpu"))
    with cpu_threads(1, torch.device("cpu")):
        J = jacfwd(lambda th: impulse_response(layout, th, steps))(theta)  # (steps, P)
        return J.T @ J


def top_eigenspaces(H: torch.Tensor, k: int, *, cluster_rtol: float = 1e-8) -> dict[str, Any]:
    """float64 twin of :func:`theory.networks.hessian.top_eigenspaces`: per top-``k``
    eigenvector the effective number of coordinates 1/Σ v_p⁴ (m/Σ_p Π_pp² for an eigenspace
    of dimension m whose eigenvalues agree within ``cluster_rtol``), their mean, and the
    rank of the largest ratio of consecutive eigenvalues above 10^{−12}·λ_1."""
    P = H.shape[0]
    if not 1 <= k <= P:
        raise ValueError(f"k must lie in [1, {P}], got {k}")
    E, Q = torch.linalg.eigh(H)
    order = torch.argsort(E, descending=True).tolist()
    clusters: list[list[int]] = []
    for j in order:
        if clusters and abs(float(E[j] - E[clusters[-1][0]])) <= \
                cluster_rtol * abs(float(E[clusters[-1][0]])):
            clusters[-1].append(j)
        else:
            clusters.append([j])
    neff: list[float] = []
    for c in clusters:
        if len(neff) >= k:
            break
        diag = (Q[:, c] ** 2).sum(1)
        neff += [len(c) / float((diag * diag).sum())] * len(c)
    values = [float(E[j]) for j in order]
    live = [e for e in values if e > values[0] * 1e-12]
    ratios = [live[r] / live[r + 1] for r in range(len(live) - 1)]
    gap = max(range(len(ratios)), key=lambda r: ratios[r]) if ratios else 0
    return {"eigenvalues": values, "effective_coordinates": neff[:k],
            "mean_effective_coordinates": sum(neff[:k]) / k, "largest_gap_rank": gap + 1,
            "largest_gap": ratios[gap] if ratios else None}
