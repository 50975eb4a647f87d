"""The data layout of the copy problem (:class:`CopyTaskConfig`), without torch: the command
line checks it before loading the training code (:mod:`numerics.dizzy.copy_task`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

VARIANTS = ("dizzy", "arjovsky")


@dataclass(frozen=True)
class CopyTaskConfig:
    """Data layout of the copy problem (defaults: the DizzyRNN paper's setup)."""

    variant: str = "dizzy"
    lag: int = 90
    copy_len: int = 10
    batch_size: int = 100
    batches_per_epoch: int = 10
    test_size: int = 1000
    test_seed: int = 2016

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}; got {self.variant!r}")
        for name in ("lag", "copy_len", "batch_size", "batches_per_epoch", "test_size"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if self.lag < self.copy_len + 1:
            raise ValueError(f"lag must be at least copy_len + 1 = {self.copy_len + 1}, "
                             f"got {self.lag}")

    @property
    def n_symbols(self) -> int:
        return 10 if self.variant == "dizzy" else 8

    @property
    def input_size(self) -> int:
        return 12 if self.variant == "dizzy" else 10

    @property
    def n_classes(self) -> int:
        return 12 if self.variant == "dizzy" else 9

    @property
    def length(self) -> int:
        """Sequence length: ``lag + copy_len`` (both variants)."""
        return self.lag + self.copy_len

    @property
    def chance_accuracy(self) -> float:
        """Memoryless accuracy on the scored steps."""
        if self.variant == "dizzy":
            return 1.0 / self.n_symbols
        return (self.length - self.copy_len + self.copy_len / self.n_symbols) / self.length

    @property
    def chance_loss(self) -> float:
        """Memoryless cross-entropy per scored step (ln 10; Arjovsky: ``10 ln 8/(T+20)``)."""
        if self.variant == "dizzy":
            return math.log(self.n_symbols)
        return self.copy_len * math.log(self.n_symbols) / self.length
