"""Norm of the back-propagated signal versus lag (DizzyRNN Theorems 3 and 4; docs/theory.md §6.3).

For a recurrence ``h_t = F(h_{t−1}, x_t)``, ``t = 1..T``, and the unit signal ``L = uᵀ h_T``
(``‖u‖ = 1``), this module returns ``‖∂L/∂h_t‖`` for every ``t = 0..T`` and, for the inputs,
``‖∂L/∂x_t‖``.  Summaries (the keys of ``rnnverify dizzy --json``):

* ``grad_norm_ratio = ‖∂L/∂h_0‖ / ‖∂L/∂h_T‖``;
* ``max_step_deviation = max_t |‖g_{t−1}‖/‖g_t‖ − 1|`` with ``g_t = ∂L/∂h_t``;
* ``input_grad_ratio``: ``‖∂L/∂x_t‖/‖∂L/∂h_t‖`` (= 1 for every t by Theorem 4 when ``W`` is
  square orthogonal); reported as the value farthest from 1 and as a range.

Two independent routes, checked against each other in ``tests/test_gradnorm.py``:

* ``method="vjp"`` (default): an explicit reverse loop; each step's vector–Jacobian product is
  taken by autograd on the one-step map ``F`` (no hand-written Jacobian), and the signal is
  renormalised after every step while the log-norms are accumulated, so vanishing signals
  (tanh over 10⁴ steps: ~10^−1000) are measured without underflow.
* ``method="autograd"``: the practitioner's route — the whole unrolled loop is one graph and a
  single ``torch.autograd.grad`` gives ``∂L/∂h_t`` for all ``t`` (underflows to 0 when the
  signal vanishes below ~1e−308 in float64).

``benchmarks/bench_dizzy.py`` times both at ``T = 10⁴, n = 64``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from rnnverify.numerics.dizzy.layer import (
    DizzyRNNLayer,
    StepFunction,
    check_nonlinearity,
    recurrent_step,
)
from rnnverify.numerics.dizzy.orthogonal_maps import OrthogonalMap, resolve_orthogonal_map

GRADNORM_METHODS = ("vjp", "autograd")


@dataclass(frozen=True)
class GradNormResult:
    """Norms of ``∂L/∂h_t`` (``t = 0..T``) and ``∂L/∂x_t`` (``t = 1..T``) for ``L = uᵀ h_T``.

    ``log_grad_norms[t] = ln ‖∂L/∂h_t‖`` (``−inf`` once the signal is exactly 0);
    ``log_input_grad_norms[t−1] = ln ‖∂L/∂x_t‖``; ``state_norms[t] = ‖h_t‖`` (forward pass).
    """

    log_grad_norms: np.ndarray
    log_input_grad_norms: np.ndarray
    state_norms: np.ndarray
    method: str
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return len(self.log_grad_norms) - 1

    @property
    def grad_norms(self) -> np.ndarray:
        """``‖∂L/∂h_t‖`` for ``t = 0..T`` (float64; may underflow, see :attr:`log_grad_norms`)."""
        return np.exp(self.log_grad_norms)

    @property
    def log10_grad_norm_ratio(self) -> float:
        """``log10(‖∂L/∂h_0‖/‖∂L/∂h_T‖)`` (``−inf`` if the signal died exactly)."""
        return float((self.log_grad_norms[0] - self.log_grad_norms[-1]) / math.log(10.0))

    @property
    def grad_norm_ratio(self) -> float:
        """``‖∂L/∂h_0‖ / ‖∂L/∂h_T‖``."""
        return float(np.exp(self.log_grad_norms[0] - self.log_grad_norms[-1]))

    @property
    def step_ratios(self) -> np.ndarray:
        """``‖g_{t−1}‖/‖g_t‖`` for ``t = 1..T`` (nan after the signal died)."""
        with np.errstate(invalid="ignore"):
            return np.exp(self.log_grad_norms[:-1] - self.log_grad_norms[1:])

    @property
    def max_step_deviation(self) -> float:
        """``max_t |‖g_{t−1}‖/‖g_t‖ − 1|`` (1.0 if the signal was killed in one step)."""
        r = self.step_ratios
        r = np.where(np.isnan(r), 0.0, r)
        return float(np.max(np.abs(r - 1.0))) if len(r) else 0.0

    @property
    def input_grad_ratios(self) -> np.ndarray:
        """``‖∂L/∂x_t‖/‖∂L/∂h_t‖`` for ``t = 1..T`` (nan where ``∂L/∂h_t = 0``)."""
        with np.errstate(invalid="ignore"):
            return np.exp(self.log_input_grad_norms - self.log_grad_norms[1:])

    @property
    def input_grad_ratio(self) -> float:
        """The ``‖∂L/∂x_t‖/‖∂L/∂h_t‖`` farthest from 1 over ``t`` (nan if none is defined)."""
        r = self.input_grad_ratios
        r = r[np.isfinite(r)]
        if not len(r):
            return float("nan")
        return float(r[np.argmax(np.abs(r - 1.0))])

    @property
    def input_grad_ratio_range(self) -> tuple[float, float]:
        r = self.input_grad_ratios
        r = r[np.isfinite(r)]
        return (float(r.min()), float(r.max())) if len(r) else (float("nan"), float("nan"))

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (the ``rnnverify dizzy`` keys)."""
        lo, hi = self.input_grad_ratio_range
        return {
            "grad_norm_ratio": self.grad_norm_ratio,
            "log10_grad_norm_ratio": self.log10_grad_norm_ratio,
            "max_step_deviation": self.max_step_deviation,
            "input_grad_ratio": self.input_grad_ratio,
            "input_grad_ratio_range": [lo, hi],
            "final_state_norm": float(self.state_norms[-1]),
            "method": self.method,
            **self.info,
        }


def _forward_states(step: StepFunction, xs: torch.Tensor, h0: torch.Tensor) -> torch.Tensor:
    hs = [h0]
    with torch.no_grad():
        for t in range(xs.shape[0]):
            hs.append(step(hs[-1], xs[t]))
    return torch.stack(hs)


def _by_vjp(step: StepFunction, xs: torch.Tensor, h0: torch.Tensor, u: torch.Tensor
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    steps = xs.shape[0]
    hs = _forward_states(step, xs, h0)
    log_g = np.full(steps + 1, -np.inf)
    log_gx = np.full(steps, -np.inf)
    log_g[steps] = math.log(float(torch.linalg.vector_norm(u)))
    g = u / torch.linalg.vector_norm(u)
    for t in range(steps, 0, -1):  # h_t = F(h_{t−1}, x_t); xs[t−1] is x_t
        h_prev = hs[t - 1].detach().requires_grad_(True)
        x = xs[t - 1].detach().requires_grad_(True)
        with torch.enable_grad():
            out = step(h_prev, x)
            gh, gx = torch.autograd.grad(out, (h_prev, x), grad_outputs=g)
        norm_h = float(torch.linalg.vector_norm(gh))
        norm_x = float(torch.linalg.vector_norm(gx))
        if norm_x > 0:
            log_gx[t - 1] = log_g[t] + math.log(norm_x)
        if norm_h == 0.0:
            break  # signal killed exactly (e.g. every ReLU unit off): −inf from here on
        log_g[t - 1] = log_g[t] + math.log(norm_h)
        g = gh / norm_h
    return log_g, log_gx, torch.linalg.vector_norm(hs, dim=-1).double().cpu().numpy()


def _by_autograd(step: StepFunction, xs: torch.Tensor, h0: torch.Tensor, u: torch.Tensor
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with torch.enable_grad():
        h = h0.detach().requires_grad_(True)
        # one leaf per step: indexing a single (T, d) leaf would make autograd build a
        # (T, d) zero gradient at every step, O(T²) time and memory
        x_leaves = [x.detach().requires_grad_(True) for x in xs.unbind(0)]
        hs = [h]
        for x_t in x_leaves:
            hs.append(step(hs[-1], x_t))
        loss = (u * hs[-1]).sum()
        grads = torch.autograd.grad(loss, hs[:-1] + x_leaves)
    n_h = len(hs) - 1
    g_h = torch.stack([*grads[:n_h], u])
    g_x = torch.stack(grads[n_h:])
    with np.errstate(divide="ignore"):
        log_g = np.log(torch.linalg.vector_norm(g_h, dim=-1).double().cpu().numpy())
        log_gx = np.log(torch.linalg.vector_norm(g_x, dim=-1).double().cpu().numpy())
    norms = torch.linalg.vector_norm(torch.stack(hs).detach(), dim=-1).double().cpu().numpy()
    return log_g, log_gx, norms


def gradient_norms(step: StepFunction, xs: torch.Tensor, h0: torch.Tensor,
                   direction: torch.Tensor | None = None, *, method: str = "vjp",
                   generator: torch.Generator | None = None) -> GradNormResult:
    """Back-propagate the unit signal ``L = uᵀ h_T`` through ``h_t = step(h_{t−1}, x_t)``.

    Args:
        step: one-step map on single vectors (``h`` of shape ``(n,)``, ``x`` of shape ``(d,)``).
        xs: inputs ``(T, d)``; ``h0``: ``(n,)``.
        direction: ``u`` (normalised here); default a random unit vector from ``generator``.
        method: ``"vjp"`` (renormalised reverse loop, default) or ``"autograd"``.
    """
    if method not in GRADNORM_METHODS:
        raise ValueError(f"method must be one of {GRADNORM_METHODS}, got {method!r}")
    if xs.dim() != 2 or h0.dim() != 1:
        raise ValueError("xs must be (T, d) and h0 must be (n,)")
    if xs.shape[0] < 1:
        raise ValueError("need at least one step")
    if direction is None:
        direction = torch.randn(h0.shape[0], generator=generator, dtype=h0.dtype)
    u = direction.to(h0.dtype) / torch.linalg.vector_norm(direction)
    run = _by_vjp if method == "vjp" else _by_autograd
    log_g, log_gx, norms = run(step, xs, h0, u)
    return GradNormResult(log_g, log_gx, norms, method)


def dizzy_gradient_norms(hidden: int = 64, steps: int = 10_000, *, rotations: int | None = None,
                         nonlinearity: str = "abs", square_input: bool = False,
                         input_size: int | None = None, orthogonal_map: Any = "givens",
                         bias_std: float = 0.1, seed: int = 0, method: str = "vjp",
                         dtype: torch.dtype = torch.float64) -> GradNormResult:
    """The experiment behind ``rnnverify dizzy`` (Theorems 3/4; docs/theory.md §6.3 setup).

    ``h_t = f(R h_{t−1} + W x_t + b)`` with ``R`` from ``orthogonal_map`` (``"givens"``:
    ``rotations`` packed rotations of a :class:`~numerics.dizzy.layer.DizzyRNNLayer`, θ ~ U[0, 2π);
    or a name/callable of :mod:`numerics.dizzy.orthogonal_maps`), ``W`` dense ``N(0, 1/n)`` of shape
    ``n × input_size`` (default ``input_size = 12``, the copy problem's one-hot size) or, with
    ``square_input``, packed rotations (Theorem 4); ``b ~ N(0, bias_std²)``; ``x_t ~ N(0, I)``;
    ``h_0 = 0``; everything drawn from ``torch.Generator().manual_seed(seed)``.
    """
    check_nonlinearity(nonlinearity)
    for name, v in (("hidden", hidden), ("steps", steps)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if hidden < 2:
        raise ValueError(f"hidden must be at least 2, got {hidden}")
    if square_input:
        if input_size not in (None, hidden):
            raise ValueError("square_input needs input_size == hidden")
        input_size = hidden
    elif input_size is None:
        input_size = 12
    gen = torch.Generator().manual_seed(seed)
    layer = DizzyRNNLayer(input_size, hidden, rotations=rotations, nonlinearity=nonlinearity,
                          square_input=square_input, bias_std=bias_std, generator=gen,
                          dtype=dtype)
    with torch.no_grad():
        make_r = resolve_orthogonal_map(orthogonal_map)
        if orthogonal_map == "givens":
            r = layer.recurrent_matrix()
        else:
            r = make_r(hidden, generator=gen, dtype=dtype)
        step = recurrent_step(r.detach(), layer.input_matrix().detach(), layer.bias.detach(),
                              nonlinearity)
        xs = torch.randn(steps, input_size, generator=gen, dtype=dtype)
        u = torch.randn(hidden, generator=gen, dtype=dtype)
        eye = torch.eye(hidden, dtype=dtype)
        orth_err = float(torch.linalg.matrix_norm(r.T @ r - eye, ord=2))
    start = time.perf_counter()
    result = gradient_norms(step, xs, torch.zeros(hidden, dtype=dtype), u, method=method)
    info = {
        "hidden": hidden, "steps": steps, "input_size": input_size,
        "rotations": layer.recurrent.rotations if orthogonal_map == "givens" else None,
        "nonlinearity": nonlinearity, "square_input": square_input,
        "map": orthogonal_map if isinstance(orthogonal_map, str) else repr(orthogonal_map),
        "orthogonality_error": orth_err, "seed": seed, "dtype": str(dtype).replace("torch.", ""),
        "seconds": time.perf_counter() - start,
    }
    return GradNormResult(result.log_grad_norms, result.log_input_grad_norms,
                          result.state_norms, method, info)


def check_orthogonal_map(spec: str | OrthogonalMap, hidden: int = 64, steps: int = 1000, *,
                         nonlinearity: str = "abs", seed: int = 0,
                         **kwargs: Any) -> dict[str, Any]:
    """Orthogonality error of the map and the back-propagated norm through ``steps`` steps of
    ``h_t = f(R h_{t−1} + W x_t + b)`` with ``R`` from the map of
    :mod:`numerics.dizzy.orthogonal_maps` (see :func:`dizzy_gradient_norms`; extra keywords go
    there)."""
    make = resolve_orthogonal_map(spec)
    result = dizzy_gradient_norms(hidden, steps, nonlinearity=nonlinearity,
                                  orthogonal_map=spec if isinstance(spec, str) else make,
                                  seed=seed, **kwargs)
    return result.summary()
