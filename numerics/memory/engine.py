"""Chunked Monte Carlo driver for E|h|², E|d_λ h|², E|d_θ h|², E|d_p h|² on a λ-grid.

Design (the model of Zucchet & Orvieto 2024, §2; front door: :mod:`numerics.memory.montecarlo`):

* **Independent chains.**  Every sample is its own chain: x stationary from
  t = 0 (see :mod:`numerics.memory.inputs`), h_0 = 0, run T steps, keep |h_T|² etc.
  Samples are iid, so the standard error sqrt(var/n) is honest.  Stationary
  estimates (``horizon=None``) take T from :func:`numerics.memory.burnin.burn_in_steps`,
  which bounds the relative bias by ``rel_bias`` (reported per quantity);
  finite-horizon estimates (``horizon=t``) have no bias.
* **One input stream for the whole grid.**  All λ_k of a call are advanced on the
  same x (state (K, samples)), so one normal draw serves K grid points.
* **Seed blocks.**  Samples are grouped in blocks of ``block_size``; block i draws
  from its own generator seeded by ``(seed, i)``; chunks are unions of
  consecutive blocks, and block statistics are merged in block order — the
  same seed gives the same numbers whatever ``chunk_samples`` (to float
  round-off) and, with :func:`simulate_blocks` on disjoint block sets, whatever
  the number of ranks.
* **Bounded memory.**  One chunk lives at a time: O(chunk · K · quantities)
  for AR(1) inputs (plus a 64-step input tile), independent of ``n_samples``;
  block states are merged as they arrive.
* **Cross-moments.**  ``cross_pairs`` adds E[u(λ_i) conj u(λ_j)] (Re, Im) for
  u = h and every tangent — observable only because the grid shares one stream.
* **Why burn-in, not a stationary start.**  Drawing h_0 from its stationary law
  would need that law's covariance, i.e. the very moments under test; the
  burn-in keeps the simulation independent of theory at a logarithmic cost.
* **Throughput.**  Per step: one fused pass per state (``addcmul``/``add`` with
  ``out=``), one normal draw per sample shared by the grid; on CPU the normal
  RNG dominates (benchmarks/bench_mc.py), so torch.compile would gain little.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from rnnverify.numerics.device import resolve_device, resolve_dtype
from rnnverify.numerics.estimators import MomentState, block_states
from rnnverify.numerics.memory.burnin import bias_bounds, burn_in_steps
from rnnverify.numerics.memory.inputs import InputSource
from rnnverify.numerics.memory.linear import DirectionSeeds, LinearRecurrence
from rnnverify.numerics.seeding import TILE_STEPS, block_generator, blocks_for


def quantity_name(direction: str) -> str:
    """"h" → "h2", "d_lam" → "dh2_dlam", "d_theta" → "dh2_dtheta", "d_p" → "dh2_dp"."""
    return "h2" if direction == "h" else "dh2_d" + direction.removeprefix("d_")


def cross_name(direction: str) -> str:
    """"h" → "cross_h", "d_lam" → "cross_dh", "d_theta" → "cross_dh_dtheta"."""
    if direction == "h":
        return "cross_h"
    return "cross_dh" if direction == "d_lam" else "cross_dh_d" + direction.removeprefix("d_")


@dataclass(frozen=True)
class Estimate:
    """Sample mean and its standard error over ``n`` independent samples."""

    estimate: float
    stderr: float
    n: int

    def to_json(self) -> dict[str, float]:
        return {"estimate": self.estimate, "stderr": self.stderr}


@dataclass
class PointResult:
    """Estimates at one grid point; ``bias_bound`` is the relative-bias bound per quantity."""

    lam: complex
    gamma: float
    quantities: dict[str, Estimate]
    bias_bound: dict[str, float]


@dataclass
class CrossResult:
    """E[u(λ_i) conj u(λ_j)] for u = h and each direction, as (Re, Im) estimates.

    ``abs_bias`` bounds |bias| of Re and of Im (absolute; plug-in second moments):
    sqrt(S_i S_j) (ε_i + ε_j + ε_i ε_j) with ε from :mod:`numerics.memory.burnin`.
    """

    i: int
    j: int
    quantities: dict[str, tuple[Estimate, Estimate]]
    abs_bias: dict[str, float]


@dataclass
class MCResult:
    points: list[PointResult]
    n_samples: int
    steps: int
    stationary: bool
    rel_bias: float
    seed: int
    device: str
    dtype: str
    block_size: int
    chunk_samples: int
    seconds: float
    cross: list[CrossResult] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """Everything fixed before sampling: grid, directions, steps, dtype, blocks."""

    lams: tuple[complex, ...]
    gammas: tuple[float, ...]
    directions: tuple[DirectionSeeds, ...]
    is_complex: bool
    steps: int
    stationary: bool
    rel_bias: float
    block_size: int
    device: torch.device
    dtype: torch.dtype
    cross_pairs: tuple[tuple[int, int], ...] = ()

    @property
    def names(self) -> list[str]:
        return ["h", *(d[0] for d in self.directions)]

    @property
    def n_quantities(self) -> int:
        """Rows of the moment state: |·|² per name and point, then Re/Im per name and pair."""
        return len(self.names) * (len(self.lams) + 2 * len(self.cross_pairs))


def _as_list(value: Any, k: int, name: str) -> list[Any]:
    if isinstance(value, (list, tuple, np.ndarray)):
        out = list(value)
        if len(out) != k:
            raise ValueError(f"{name} must have one entry per lam ({k}), got {len(out)}")
        return out
    return [value] * k


def make_plan(
    lam: complex | Sequence[complex],
    *,
    source: InputSource,
    gamma: float | Sequence[float] = 1.0,
    gamma_prime: float | Sequence[float] | None = None,
    theta_derivative: bool | None = None,
    reparam: Mapping[str, tuple[Sequence[complex], Sequence[float]]] | None = None,
    horizon: int | None = None,
    rel_bias: float = 1e-6,
    steps: int | None = None,
    block_size: int | None = None,
    device: str | torch.device = "cpu",
    dtype: str | torch.dtype | None = None,
    cross_pairs: Sequence[tuple[int, int]] = (),
) -> Plan:
    """Validate the model and fix the number of steps.

    ``horizon`` = t: finite horizon, t steps from h_0 = 0 (no bias).  Otherwise
    stationary: ``steps`` if given (its bias bound is reported, whatever it is),
    else the burn-in that guarantees relative bias ≤ ``rel_bias``.
    """
    lams = [complex(v) for v in (lam if isinstance(lam, (list, tuple, np.ndarray)) else [lam])]
    if not lams:
        raise ValueError("lam must not be empty")
    for v in lams:
        if not (math.isfinite(v.real) and math.isfinite(v.imag)):
            raise ValueError(f"lam must be finite, got {v!r}")
        if not abs(v) < 1.0:
            raise ValueError(f"|lam| must be < 1, got {abs(v)!r}")
    k = len(lams)
    gammas = [float(g) for g in _as_list(gamma, k, "gamma")]
    if not all(math.isfinite(g) for g in gammas):
        raise ValueError("gamma must be finite")
    is_complex = any(v.imag != 0 for v in lams)
    if theta_derivative is None:
        theta_derivative = is_complex
    is_complex = is_complex or bool(theta_derivative)
    directions: list[DirectionSeeds] = []
    if gamma_prime is None:
        directions.append(("d_lam", [1.0] * k, [0.0] * k))
    else:
        if is_complex:
            raise ValueError("gamma coupled to lam (gamma_prime) is supported for real lam only")
        gp = [float(g) for g in _as_list(gamma_prime, k, "gamma_prime")]
        if not all(math.isfinite(g) for g in gp):
            raise ValueError("gamma_prime must be finite")
        directions.append(("d_lam", [1.0] * k, gp))
    if theta_derivative:
        directions.append(("d_theta", [1j * v for v in lams], [0.0] * k))
    for name, (ld, gd) in (reparam or {}).items():
        if not name.isidentifier():
            raise ValueError(f"reparametrization name must be an identifier, got {name!r}")
        ld = [complex(v) for v in _as_list(ld, k, f"reparam[{name}].lam_dot")]
        gd = [float(v) for v in _as_list(gd, k, f"reparam[{name}].gamma_dot")]
        if any(v.imag != 0 for v in ld) and not is_complex:
            raise ValueError(f"reparam {name!r}: complex dlam/dp needs complex lam")
        directions.append(("d_" + name, ld, gd))
    if horizon is not None and steps is not None:
        raise ValueError("give either horizon (finite t) or steps (stationary), not both")
    if steps is not None:
        if isinstance(steps, bool) or not isinstance(steps, int) or steps <= 0:
            raise ValueError(f"steps must be a positive integer, got {steps!r}")
    elif horizon is None:
        steps = max(
            burn_in_steps(v, g, [(n, ld[i], gd[i]) for n, ld, gd in directions], rel_bias)
            for i, (v, g) in enumerate(zip(lams, gammas, strict=True))
        )
    else:
        if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 0:
            raise ValueError(f"horizon must be a non-negative integer, got {horizon!r}")
        steps = horizon
    dev = resolve_device(device)
    dt = resolve_dtype(dtype, dev)
    bs = source.default_block_size if block_size is None else int(block_size)
    if bs <= 0:
        raise ValueError(f"block_size must be positive, got {block_size!r}")
    pairs = []
    for pair in cross_pairs:
        i, j = (int(v) for v in pair)
        if not (0 <= i < k and 0 <= j < k):
            raise ValueError(f"cross pair {pair!r} must index the lam grid (0..{k - 1})")
        pairs.append((i, j))
    return Plan(tuple(lams), tuple(gammas), tuple(directions), is_complex, steps,
                horizon is None, rel_bias, bs, dev, dt, tuple(pairs))


@contextmanager
def cpu_threads(n: int | None, device: torch.device) -> Iterator[None]:
    """Run with ``n`` intra-op CPU threads (restored after); no-op for ``None`` or CUDA.

    Sampling is a sequence of short elementwise passes; on a shared 2-core machine
    OpenMP spin-waiting across threads made it ~8x slower than one thread, so the
    engine defaults to one thread per process (scale out with processes/ranks).
    """
    if n is None or device.type != "cpu" or n == torch.get_num_threads():
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _chunks(blocks: Sequence[tuple[int, int]], chunk_samples: int):
    cur: list[tuple[int, int]] = []
    total = 0
    for blk in blocks:
        if cur and total + blk[1] > chunk_samples:
            yield cur
            cur, total = [], 0
        cur.append(blk)
        total += blk[1]
    if cur:
        yield cur


def iter_block_states(
    plan: Plan,
    source: InputSource,
    blocks: Sequence[tuple[int, int]],
    *,
    seed: int = 0,
    chunk_samples: int = 65536,
    progress: Callable[[int], None] | None = None,
    threads: int | None = 1,
) -> Iterator[tuple[int, MomentState]]:
    """Yield ``(block index, moment state)`` for the given blocks, chunk by chunk, in order.

    State layout: quantity-major, ``[h(λ_1..λ_K), dir_1(λ_1..λ_K), ...]`` (|·|² of each).
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if chunk_samples <= 0:
        raise ValueError(f"chunk_samples must be positive, got {chunk_samples!r}")
    # fold a common γ into the input stream (exact rescaling of a linear system)
    common = plan.gammas[0] if len(set(plan.gammas)) == 1 and plan.gammas[0] != 0 else None
    gammas = [1.0] * len(plan.lams) if common is not None else list(plan.gammas)
    dirs = [(n, ld, [g / common for g in gd] if common is not None else gd)
            for n, ld, gd in plan.directions]
    cap = source.max_chunk_samples(plan.steps)
    if cap is not None:  # chunking never changes the numbers, only memory
        chunk_samples = min(chunk_samples, max(cap, plan.block_size))
    for chunk in _chunks(blocks, chunk_samples):
        with cpu_threads(threads, plan.device):
            states = _simulate_chunk(plan, source, chunk, seed, common, gammas, dirs)
        yield from states
        if progress is not None:
            progress(sum(s for _, s in chunk))


def simulate_blocks(
    plan: Plan,
    source: InputSource,
    blocks: Sequence[tuple[int, int]],
    **kwargs: Any,
) -> list[tuple[int, MomentState]]:
    """Per-block moment states ``(block index, state)`` (keywords of :func:`iter_block_states`).

    The unit a distributed run splits: each rank calls this on its own blocks
    (:func:`numerics.seeding.rank_blocks`), the states are gathered and merged in
    block order with :meth:`MomentState.merge_all`.
    """
    return list(iter_block_states(plan, source, blocks, **kwargs))


def _simulate_chunk(
    plan: Plan,
    source: InputSource,
    chunk: list[tuple[int, int]],
    seed: int,
    common: float | None,
    gammas: list[float],
    dirs: list[DirectionSeeds],
) -> list[tuple[int, MomentState]]:
    """Run one chunk (a union of consecutive blocks) for ``plan.steps`` steps."""
    sizes = [s for _, s in chunk]
    n = sum(sizes)
    gens = [block_generator(seed, i, plan.device) for i, _ in chunk]
    stream = source.open(gens, sizes, plan.steps, dtype=plan.dtype, device=plan.device,
                         scale=1.0 if common is None else common)
    rec = LinearRecurrence(plan.lams, n, gammas=gammas, directions=dirs,
                           is_complex=plan.is_complex, dtype=plan.dtype, device=plan.device)
    done = 0
    while done < plan.steps:
        m = min(TILE_STEPS, plan.steps - done)
        rec.run(stream.next_tile(m))
        done += m
    _, q = rec.squared_moduli()
    if plan.cross_pairs:
        ii = torch.tensor([i for i, _ in plan.cross_pairs], device=plan.device)
        jj = torch.tensor([j for _, j in plan.cross_pairs], device=plan.device)
        rows = []
        for u in rec.values().values():  # h, then each direction: E[u_i conj u_j]
            prod = u[ii] * (u[jj].conj() if u.is_complex() else u[jj])
            rows += [prod.real, prod.imag if u.is_complex() else torch.zeros_like(prod)]
        q = torch.cat([q, *rows])
    return list(zip((i for i, _ in chunk), block_states(q, sizes), strict=True))




#: signature of a block-state iterator: :func:`iter_block_states` on one process,
#: :func:`numerics.memory.distributed.ordered_block_states` across ranks
BlockStates = Callable[..., Iterator[tuple[int, MomentState]]]


def simulate_plan(
    plan: Plan,
    source: InputSource,
    n_samples: int,
    *,
    seed: int = 0,
    chunk_samples: int = 65536,
    progress: Callable[[int], None] | None = None,
    threads: int | None = 1,
    block_states: BlockStates = iter_block_states,
) -> MCResult:
    """Run ``plan`` on ``n_samples`` samples and fold the block states into an :class:`MCResult`.

    ``block_states`` yields ``(block, state)`` in increasing block order (keywords of
    :func:`iter_block_states`); the fold keeps O(1) states in memory.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples <= 0:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    start = time.perf_counter()
    blocks = blocks_for(n_samples, plan.block_size)
    total = MomentState.empty(plan.n_quantities)
    for _, state in block_states(plan, source, blocks, seed=seed, chunk_samples=chunk_samples,
                                 progress=progress, threads=threads):
        total = total.merge(state)  # blocks arrive in increasing order: O(1) memory
    return _result(plan, total, n_samples, seed, chunk_samples, time.perf_counter() - start)


def _result(plan: Plan, total: MomentState, n_samples: int, seed: int, chunk_samples: int,
            seconds: float) -> MCResult:
    k = len(plan.lams)
    se = total.stderr
    points = []
    for i, (v, g) in enumerate(zip(plan.lams, plan.gammas, strict=True)):
        quantities = {}
        for j, name in enumerate(plan.names):
            idx = j * k + i
            quantities[quantity_name(name)] = Estimate(float(total.mean[idx]), float(se[idx]),
                                                       total.count)
        if plan.stationary:
            seeds = [(n, ld[i], gd[i]) for n, ld, gd in plan.directions]
            bounds = bias_bounds(v, g, seeds, plan.steps)
        else:
            bounds = {name: 0.0 for name in plan.names}
        points.append(PointResult(v, g, quantities,
                                  {quantity_name(n): b for n, b in bounds.items()}))
    cross = []
    base = len(plan.names) * k
    for p, (i, j) in enumerate(plan.cross_pairs):
        quantities, abs_bias = {}, {}
        for m, name in enumerate(plan.names):
            row = base + 2 * len(plan.cross_pairs) * m + p  # [Re pairs, Im pairs] per name
            row_im = row + len(plan.cross_pairs)
            re = Estimate(float(total.mean[row]), float(se[row]), total.count)
            im = Estimate(float(total.mean[row_im]), float(se[row_im]), total.count)
            quantities[cross_name(name)] = (re, im)
            qn = quantity_name(name)
            ei = _eps_from_bound(points[i].bias_bound[qn])
            ej = _eps_from_bound(points[j].bias_bound[qn])
            scale = math.sqrt(max(0.0, points[i].quantities[qn].estimate)
                              * max(0.0, points[j].quantities[qn].estimate))
            abs_bias[cross_name(name)] = scale * (ei + ej + ei * ej)
        cross.append(CrossResult(i, j, quantities, abs_bias))
    return MCResult(points, n_samples, plan.steps, plan.stationary, plan.rel_bias, seed,
                    str(plan.device), str(plan.dtype).removeprefix("torch."), plan.block_size,
                    chunk_samples, seconds, cross)


def _eps_from_bound(bound: float) -> float:
    """Invert b = 2ε + 3ε² (the relative second-moment bound) for ε ≥ 0."""
    return (-2.0 + math.sqrt(4.0 + 12.0 * bound)) / 6.0 if bound > 0 else 0.0
