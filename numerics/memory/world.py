"""The launcher's environment: is this process one rank of a torchrun launch, and which?

Only the environment is read here (``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``,
``RNNVERIFY_DIST_TIMEOUT``), without torch, so that a single-process command
decides it is one before anything heavy is imported.  Joining the group and the
exchange of the Monte Carlo states are in :mod:`numerics.memory.distributed`, which
re-exports these names.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

#: environment variable: timeout (seconds) for rendezvous, exchanges and the barrier
ENV_TIMEOUT = "RNNVERIFY_DIST_TIMEOUT"
DEFAULT_TIMEOUT_S = 300.0


class DistributedRunError(BaseException):
    """The distributed run cannot go on (a rank failed, a peer is gone or silent).

    A ``BaseException`` (like ``KeyboardInterrupt``) on purpose: it must abort the
    whole command on every rank instead of being recorded as one failed check by
    code that catches ``Exception`` (the claim runner), which would let the ranks'
    control flow diverge.  ``agreed`` is true when all ranks raise the same message
    (then only rank 0 prints it).
    """

    def __init__(self, message: str, *, agreed: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.agreed = agreed


@dataclass(frozen=True)
class World:
    """This process's place in the run, from the launcher's environment."""

    rank: int
    size: int
    local_rank: int

    @property
    def is_root(self) -> bool:
        return self.rank == 0


def _env_int(env: Mapping[str, str], name: str, default: int | None = None) -> int:
    text = env.get(name)
    if text is None or text.strip() == "":
        if default is None:
            raise ValueError(f"distributed run: environment variable {name} is not set")
        return default
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"distributed run: {name} must be an integer, got {text!r}") from None


def world_from_env(env: Mapping[str, str] | None = None) -> World | None:
    """The :class:`World` described by torchrun's variables, or ``None`` for one process.

    ``WORLD_SIZE`` unset or 1 means a single process.  Otherwise ``RANK`` must lie in
    [0, WORLD_SIZE) and ``LOCAL_RANK`` (default: ``RANK``) be non-negative.
    """
    env = os.environ if env is None else env
    size = _env_int(env, "WORLD_SIZE", 1)
    if size < 1:
        raise ValueError(f"distributed run: WORLD_SIZE must be ≥ 1, got {size}")
    if size == 1:
        return None
    rank = _env_int(env, "RANK")
    if not 0 <= rank < size:
        raise ValueError(f"distributed run: RANK must lie in [0, {size}), got {rank}")
    local = _env_int(env, "LOCAL_RANK", rank)
    if local < 0:
        raise ValueError(f"distributed run: LOCAL_RANK must be ≥ 0, got {local}")
    return World(rank, size, local)


def is_distributed() -> bool:
    """True when launched as one of several processes (cheap: reads the environment)."""
    return world_from_env() is not None


def is_root() -> bool:
    """True on rank 0 and in single-process runs: the process that prints and writes files."""
    world = world_from_env()
    return world is None or world.is_root


def timeout_seconds(env: Mapping[str, str] | None = None) -> float:
    """The fault bound T from ``RNNVERIFY_DIST_TIMEOUT`` (seconds, > 0; default 300)."""
    env = os.environ if env is None else env
    text = env.get(ENV_TIMEOUT)
    if text is None or text.strip() == "":
        return DEFAULT_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{ENV_TIMEOUT} must be a number of seconds, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{ENV_TIMEOUT} must be positive and finite, got {text!r}")
    return value
