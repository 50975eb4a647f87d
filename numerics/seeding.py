"""Seed blocks: the map from sample indices to random-number generators.

Samples ``0, 1, ..., N-1`` are split into *blocks* of a fixed size; block ``i``
always draws from a generator seeded with :func:`block_seed` ``(seed, i)`` and
draws its numbers in a fixed order (time tiles of :data:`TILE_STEPS` steps).
A chunk is a union of consecutive blocks, so the numbers a sample sees depend
on ``(seed, block size, block index)`` only, never on the chunk size, the
device count (ranks take disjoint sets of blocks) or the order of execution.
"""

from __future__ import annotations

import torch

_MASK64 = (1 << 64) - 1

#: steps drawn per call of a block's generator; part of the stream definition.
TILE_STEPS = 64


def _splitmix64(z: int) -> int:
    """SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mixer."""
    z = (z + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def block_seed(seed: int, block: int) -> int:
    """64-bit seed of sample block ``block`` under master seed ``seed`` (both ≥ 0)."""
    if seed < 0 or block < 0:
        raise ValueError(f"seed and block must be non-negative, got {seed}, {block}")
    return _splitmix64(_splitmix64(seed & _MASK64) ^ (block & _MASK64))


def block_generator(seed: int, block: int, device: torch.device) -> torch.Generator:
    """A fresh ``torch.Generator`` on ``device`` for block ``block``."""
    gen = torch.Generator(device=device)
    gen.manual_seed(block_seed(seed, block))
    return gen


def blocks_for(n_samples: int, block_size: int) -> list[tuple[int, int]]:
    """``(block index, samples in it)`` covering ``n_samples``; the last block may be short."""
    if n_samples <= 0:
        raise ValueError(f"n_samples must be positive, got {n_samples}")
    if block_size <= 0:
        raise ValueError(f"block_size must be positive, got {block_size}")
    full, rest = divmod(n_samples, block_size)
    out = [(i, block_size) for i in range(full)]
    if rest:
        out.append((full, rest))
    return out


def rank_blocks(blocks: list[tuple[int, int]], rank: int, world: int) -> list[tuple[int, int]]:
    """Blocks owned by ``rank`` of ``world`` (round robin): disjoint, covering, balanced."""
    if not 0 <= rank < world:
        raise ValueError(f"rank must lie in [0, world), got rank={rank}, world={world}")
    return blocks[rank::world]
