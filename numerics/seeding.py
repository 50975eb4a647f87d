"""Seed blocks: the map from sample indices to random-number generators.

Samples ``0, 1, ..., N-1`` are split into *blocks* of a fixed size; block ``i``
always draws from a generator seeded with :func:`block_seed` ``(seed, i)`` and
draws its numbers in a fixed order (time tiles of :data:`TILE_STEPS` steps).
A chunk is a union of consecutive blocks, so the numbers a sample sees depend
on ``(seed, block size, block index)`` only, never on the chunk size, the
device count (ranks take disjoint sets of blocks) or the order of execution.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

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


class Blocks(Sequence[tuple[int, int]]):
    """``(block index, samples in it)`` of ``n_samples`` in blocks of ``block_size``, as a
    lazy sequence: O(1) memory however many blocks (10¹² samples are 2.4·10⁸ blocks),
    indexable and sliceable (a slice is again lazy, e.g. a rank's ``blocks[r::world]``)."""

    def __init__(self, n_samples: int, block_size: int, indices: range | None = None):
        self.n_samples, self.block_size = n_samples, block_size
        self.indices = range(-(-n_samples // block_size)) if indices is None else indices

    def _block(self, i: int) -> tuple[int, int]:
        return i, min(self.block_size, self.n_samples - i * self.block_size)

    def __len__(self) -> int:
        return len(self.indices)

    @overload
    def __getitem__(self, item: int) -> tuple[int, int]: ...

    @overload
    def __getitem__(self, item: slice) -> Blocks: ...

    def __getitem__(self, item: int | slice) -> tuple[int, int] | Blocks:
        if isinstance(item, slice):
            return Blocks(self.n_samples, self.block_size, self.indices[item])
        return self._block(self.indices[item])

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return (self._block(i) for i in self.indices)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"Blocks(n_samples={self.n_samples}, block_size={self.block_size}, "
                f"indices={self.indices!r})")


def blocks_for(n_samples: int, block_size: int) -> Blocks:
    """``(block index, samples in it)`` covering ``n_samples``; the last block may be short
    (a lazy :class:`Blocks` sequence)."""
    if n_samples <= 0:
        raise ValueError(f"n_samples must be positive, got {n_samples}")
    if block_size <= 0:
        raise ValueError(f"block_size must be positive, got {block_size}")
    return Blocks(n_samples, block_size)


def rank_blocks(blocks: Sequence[tuple[int, int]], rank: int,
                world: int) -> Sequence[tuple[int, int]]:
    """Blocks owned by ``rank`` of ``world`` (round robin): disjoint, covering, balanced."""
    if not 0 <= rank < world:
        raise ValueError(f"rank must lie in [0, world), got rank={rank}, world={world}")
    return blocks[rank::world]
