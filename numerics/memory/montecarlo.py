"""Monte Carlo moments on a λ-grid: one call, on one process or across torchrun ranks.

The front door of the simulation layer.  It builds a :class:`numerics.memory.engine.Plan`,
lets :func:`numerics.memory.engine.iter_block_states` simulate the seed blocks on this
process, or :func:`numerics.memory.distributed.ordered_block_states` deal them to the
ranks of a torchrun launch, and folds the block states in block order — so the
same seed gives the same estimates either way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
from rnnverify.numerics.memory import distributed as dist
from rnnverify.numerics.memory.engine import MCResult, iter_block_states, make_plan, simulate_plan
from rnnverify.numerics.memory.inputs import AR1Input, InputSource


def simulate_moments(
    lam: complex | Sequence[complex],
    *,
    source: InputSource | None = None,
    rho: float | None = None,
    n_samples: int,
    gamma: float | Sequence[float] = 1.0,
    gamma_prime: float | Sequence[float] | None = None,
    theta_derivative: bool | None = None,
    reparam: Mapping[str, tuple[Sequence[complex], Sequence[float]]] | None = None,
    horizon: int | None = None,
    rel_bias: float = 1e-6,
    steps: int | None = None,
    cross_pairs: Sequence[tuple[int, int]] = (),
    seed: int = 0,
    device: str | torch.device = "cpu",
    dtype: str | torch.dtype | None = None,
    chunk_samples: int = 65536,
    block_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    threads: int | None = 1,
    distributed: bool | None = None,
) -> MCResult:
    """Monte Carlo E|h_T|², E|d_λ h_T|² (, E|d_θ h_T|², E|d_p h_T|²) on a λ-grid.

    Give the input law as ``source`` or as ``rho`` (AR(1), R(k) = ρ^|k|).
    ``gamma`` (per point or common) multiplies the input; ``gamma_prime`` = dγ/dλ
    makes γ coupled (real λ); ``reparam`` maps a parameter name p to seeds
    (dλ/dp, dγ/dp) per point.  ``horizon`` = t gives the finite-horizon moment
    from h_0 = 0; ``None`` the stationary one with relative bias ≤ ``rel_bias``.

    ``distributed`` (default: true when launched by torchrun with WORLD_SIZE > 1)
    deals the seed blocks to the ranks and returns the same estimates on every rank
    (:func:`numerics.memory.distributed.ordered_block_states`); ``progress`` then counts
    all ranks' samples, on rank 0 only.
    """
    if source is None:
        if rho is None:
            raise ValueError("give the input law: source=... or rho=...")
        source = AR1Input(rho)
    elif rho is not None:
        raise ValueError("give either source or rho, not both")
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples <= 0:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    plan = make_plan(lam, source=source, gamma=gamma, gamma_prime=gamma_prime,
                     theta_derivative=theta_derivative, reparam=reparam, horizon=horizon,
                     rel_bias=rel_bias, steps=steps, block_size=block_size, device=device,
                     dtype=dtype, cross_pairs=cross_pairs)
    spread = distributed if distributed is not None else dist.is_distributed()
    block_states = dist.ordered_block_states if spread else iter_block_states
    return simulate_plan(plan, source, n_samples, seed=seed, chunk_samples=chunk_samples,
                         progress=progress, threads=threads, block_states=block_states)
