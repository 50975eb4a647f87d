"""Monte Carlo of E h_T² and E (d_p h_T)² (E|h_T|², E|d_p h_T|² for a complex gate) with a
random or selective gate.

Model (docs/theory.md §10): independent chains, h_0 = d_0 = 0, each step

    u_t ~ N(0, 1),  λ_t = gate(p, u_t, x_t),  μ_t = ∂_pλ_t,
    d_{t+1} = λ_t d_t + μ_t h_t,   h_{t+1} = λ_t h_t + γ x_t,

x from a numerics input source (:mod:`numerics.memory.inputs`).  ``gate`` is a torch
callable ``(p, u, x) -> λ`` (built outside numerics from the user's expression); μ_t is its
forward-mode derivative in p (:func:`torch.func.jvp`), evaluated a tile of 64 steps at a
time.  Seeds: samples are grouped in blocks (:mod:`numerics.seeding`); block i draws its
input and then its tile of u from its own generator, so the numbers do not depend on the
chunk size.  The estimates are sample means of h_T², d_T² over the chains with standard
errors sqrt(var/n) (independent chains).

:func:`sample_gate_moments` estimates E λ², E λμ, E μ² from independent draws (u, and x ~
N(0, 1) for a selective gate) for the burn-in of :mod:`numerics.gates.burnin`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from rnnverify.numerics.device import resolve_device, resolve_dtype
from rnnverify.numerics.estimators import MomentState, block_states
from rnnverify.numerics.memory.engine import Estimate, cpu_threads
from rnnverify.numerics.memory.inputs import InputSource
from rnnverify.numerics.seeding import TILE_STEPS, block_generator, blocks_for

__all__ = ["GateFn", "GateMCResult", "sample_gate_moments", "simulate_gate"]

#: a gate: (p, u, x) -> λ, elementwise torch operations (p a 0-dim tensor)
GateFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
#: seed offset of the gate-moment draws (apart from the chains' blocks)
MOMENT_SEED_BLOCK = 2**40


@dataclass
class GateMCResult:
    """Estimates ``h2`` and ``dh2_dp`` at step ``steps`` of ``n_samples`` chains."""

    quantities: dict[str, Estimate]
    n_samples: int
    steps: int
    seed: int
    device: str
    dtype: str
    block_size: int
    chunk_samples: int
    seconds: float
    meta: dict[str, Any] = field(default_factory=dict)


def _lam_mu(gate: GateFn, p0: torch.Tensor, u: torch.Tensor, x: torch.Tensor
            ) -> tuple[torch.Tensor, torch.Tensor]:
    one = torch.ones_like(p0)
    lam, mu = torch.func.jvp(lambda q: gate(q, u, x), (p0,), (one,))
    lam = torch.broadcast_to(lam, u.shape)
    mu = torch.broadcast_to(mu, u.shape)
    if torch.is_complex(lam) != torch.is_complex(mu):  # e.g. a real λ with a complex ∂λ
        lam, mu = lam.to(torch.result_type(lam, mu)), mu.to(torch.result_type(lam, mu))
    return lam, mu


def sample_gate_moments(gate: GateFn, p: float, *, n: int = 2**18, seed: int = 0,
                        device: str | torch.device = "cpu",
                        dtype: torch.dtype = torch.float64) -> dict[str, tuple[float, float]]:
    """(mean, stderr) of λ², λμ, μ² over independent u (and x) ~ N(0, 1); for a complex gate
    of |λ|², |E λ̄μ| (the modulus of the mean, with the stderr of λ̄μ) and |μ|².

    On CPU the means run on one thread: a reduction's summation order, hence its last
    bits, would otherwise depend on how many cores the machine (or worker) has.
    """
    dev = resolve_device(device)
    gen = block_generator(seed, MOMENT_SEED_BLOCK, dev)
    with cpu_threads(1, dev):
        u = torch.randn(n, generator=gen, dtype=dtype, device=dev)
        x = torch.randn(n, generator=gen, dtype=dtype, device=dev)
        lam, mu = _lam_mu(gate, torch.tensor(float(p), dtype=dtype, device=dev), u, x)
        out = {}
        lam_c = lam.conj()
        for name, v in (("a2", (lam * lam_c).real), ("c", lam_c * mu),
                        ("b2", (mu * mu.conj()).real)):
            v = v.to(torch.complex128 if torch.is_complex(v) else torch.float64)
            if not bool(torch.isfinite(v).all()):
                raise ValueError(f"the gate gives a non-finite {name} at some draw")
            mean = v.mean()
            out[name] = (float(mean.abs()) if torch.is_complex(mean) else float(mean),
                         float(v.std() / math.sqrt(n)))
    return out


def _chunk(gate: GateFn, p: float, gamma: float, source: InputSource, chunk: list[tuple[int, int]],
           steps: int, seed: int, device: torch.device, dtype: torch.dtype
           ) -> list[tuple[int, MomentState]]:
    sizes = [s for _, s in chunk]
    n = sum(sizes)
    gens = [block_generator(seed, i, device) for i, _ in chunk]
    stream = source.open(gens, sizes, steps, dtype=dtype, device=device, scale=1.0)
    p0 = torch.tensor(float(p), dtype=dtype, device=device)
    h = d = None  # the gate's dtype (complex for a complex gate) fixes the state's
    u = torch.empty(TILE_STEPS, n, dtype=dtype, device=device)
    done = 0
    while done < steps:
        m = min(TILE_STEPS, steps - done)
        x = stream.next_tile(m)
        start = 0
        for g, s in zip(gens, sizes, strict=True):  # each block's u after its input tile
            block = torch.empty(m, s, dtype=dtype, device=device)
            block.normal_(0.0, 1.0, generator=g)
            u[:m, start:start + s].copy_(block)
            start += s
        lam, mu = _lam_mu(gate, p0, u[:m], x)
        if h is None:
            h = torch.zeros(n, dtype=lam.dtype, device=device)
            d = torch.zeros(n, dtype=lam.dtype, device=device)
        for j in range(m):
            d = lam[j] * d + mu[j] * h
            h = lam[j] * h + gamma * x[j]
        done += m
    q = torch.stack([(h * h.conj()).real, (d * d.conj()).real])
    if not bool(torch.isfinite(q).all()):
        raise ValueError("the simulated state overflowed (the gate is not mean-square stable?)")
    return list(zip((i for i, _ in chunk), block_states(q, sizes), strict=True))


def simulate_gate(gate: GateFn, p: float, *, source: InputSource, steps: int,
                  gamma: float = 1.0, n_samples: int = 20_000, seed: int = 0,
                  device: str | torch.device = "cpu", dtype: str | torch.dtype | None = None,
                  chunk_samples: int = 65536, block_size: int | None = None,
                  progress: Callable[[int], None] | None = None,
                  threads: int | None = 1) -> GateMCResult:
    """E h_T², E (d_p h_T)² ± stderr over ``n_samples`` chains of ``steps`` steps."""
    for name, v in (("n_samples", n_samples), ("steps", steps), ("chunk_samples", chunk_samples)):
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not math.isfinite(gamma) or not math.isfinite(p):
        raise ValueError("gamma and p must be finite")
    dev = resolve_device(device)
    dt = resolve_dtype(dtype, dev)
    bs = source.default_block_size if block_size is None else int(block_size)
    cap = source.max_chunk_samples(steps)
    if cap is not None:
        chunk_samples = min(chunk_samples, max(cap, bs))
    start = time.perf_counter()
    blocks = list(blocks_for(n_samples, bs))
    total = MomentState.empty(2)
    chunk: list[tuple[int, int]] = []
    count = 0
    pending = []
    for blk in blocks:
        if chunk and count + blk[1] > chunk_samples:
            pending.append(chunk)
            chunk, count = [], 0
        chunk.append(blk)
        count += blk[1]
    if chunk:
        pending.append(chunk)
    for ch in pending:
        with cpu_threads(threads, dev), torch.no_grad():
            states = _chunk(gate, p, float(gamma), source, ch, steps, seed, dev, dt)
        for _, state in states:
            total = total.merge(state)
        if progress is not None:
            progress(sum(s for _, s in ch))
    se = total.stderr
    quantities = {q: Estimate(float(total.mean[i]), float(se[i]), total.count)
                  for i, q in enumerate(("h2", "dh2_dp"))}
    return GateMCResult(quantities, n_samples, steps, seed, str(dev),
                        str(dt).removeprefix("torch."), bs, chunk_samples,
                        time.perf_counter() - start)
