"""Streaming mean and standard error in bounded memory, mergeable across chunks and ranks.

:class:`MomentState` holds, per quantity, (count, mean, M2) in float64 with
M2 = Σ (q_i − mean)².  Block statistics are computed two-pass (mean, then
centred squares) and merged with Chan, Golub & LeVeque's (1979) pairwise update

    n = n_a + n_b,  δ = mean_b − mean_a,
    mean = mean_a + δ n_b / n,  M2 = M2_a + M2_b + δ² n_a n_b / n,

always in increasing block order, so the result does not depend on how blocks
were grouped into chunks (or ranks: gather the per-rank states, merge in rank
order, or keep per-block states and merge them in block order).

Standard error of the mean: sqrt(M2 / (n − 1) / n) (independent samples: every
sample is an independent chain).  The quantities here are squared moduli of
Gaussian variables (χ²-like, all moments finite), so the CLT applies to the
mean and a z-test with this standard error is calibrated for n in the
thousands; see :mod:`crosscheck.stats.ztests`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class MomentState:
    """count, mean, M2 of ``Q`` quantities (numpy float64 arrays of shape (Q,))."""

    count: int
    mean: np.ndarray
    m2: np.ndarray

    @classmethod
    def empty(cls, n_quantities: int) -> MomentState:
        return cls(0, np.zeros(n_quantities), np.zeros(n_quantities))

    @classmethod
    def from_samples(cls, q: torch.Tensor | np.ndarray) -> MomentState:
        """State of samples ``q`` of shape (Q, n) (reduced in float64, two-pass)."""
        if isinstance(q, torch.Tensor):
            q = q.detach().to(torch.float64)
            mean = q.mean(dim=1)
            m2 = ((q - mean[:, None]) ** 2).sum(dim=1)
            return cls(int(q.shape[1]), mean.cpu().numpy(), m2.cpu().numpy())
        q = np.asarray(q, dtype=np.float64)
        mean = q.mean(axis=1)
        return cls(int(q.shape[1]), mean, ((q - mean[:, None]) ** 2).sum(axis=1))

    def merge(self, other: MomentState) -> MomentState:
        """Chan et al. merge of two disjoint sample sets (``self`` first)."""
        if other.count == 0:
            return MomentState(self.count, self.mean.copy(), self.m2.copy())
        if self.count == 0:
            return MomentState(other.count, other.mean.copy(), other.m2.copy())
        n = self.count + other.count
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.count / n)
        m2 = self.m2 + other.m2 + delta * delta * (self.count * other.count / n)
        return MomentState(n, mean, m2)

    @staticmethod
    def merge_all(states: Iterable[MomentState]) -> MomentState:
        """Merge in the given order (pass states in block or rank order)."""
        out: MomentState | None = None
        for s in states:
            out = s if out is None else out.merge(s)
        if out is None:
            raise ValueError("merge_all needs at least one state")
        return out

    @property
    def variance(self) -> np.ndarray:
        """Unbiased sample variance per quantity (nan when count < 2)."""
        if self.count < 2:
            return np.full_like(self.mean, math.nan)
        return self.m2 / (self.count - 1)

    @property
    def stderr(self) -> np.ndarray:
        """Standard error of the mean, sqrt(var / n)."""
        return np.sqrt(self.variance / self.count) if self.count >= 2 else self.variance

    def to_array(self) -> np.ndarray:
        """Flat float64 [count, mean..., M2...] (for all_gather across ranks)."""
        return np.concatenate([[float(self.count)], self.mean, self.m2])

    @classmethod
    def from_array(cls, arr: np.ndarray) -> MomentState:
        arr = np.asarray(arr, dtype=np.float64)
        q = (arr.size - 1) // 2
        return cls(int(arr[0]), arr[1: 1 + q].copy(), arr[1 + q:].copy())


def block_states(q: torch.Tensor, block_sizes: list[int]) -> list[MomentState]:
    """Per-block states of samples ``q`` (Q, Σ block_sizes), blocks laid out consecutively."""
    out = []
    start = 0
    for size in block_sizes:
        out.append(MomentState.from_samples(q[:, start: start + size]))
        start += size
    return out
