"""Monte Carlo across processes, GPUs and hosts with ``torch.distributed`` (launched by torchrun).

A run is distributed when the launcher's environment says so (``WORLD_SIZE`` > 1,
with ``RANK``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT`` as torchrun sets
them); otherwise nothing here touches ``torch.distributed`` and a run is exactly
the single-process one.

**Split.**  The samples' seed blocks (:func:`numerics.seeding.blocks_for`) are dealt
round robin to the ranks (:func:`numerics.seeding.rank_blocks`): block ``i`` goes
to rank ``i mod W`` and is always drawn from the generator of ``(seed, i)``, so
which rank simulates a block never changes its numbers.  Each rank groups its
blocks into chunks of at most ``chunk_samples`` samples (:func:`round_plan`).

**Reduction: all_gather of per-block states, merged in block order.**  The ranks
advance in lockstep rounds: in round ``j`` every rank simulates its ``j``-th chunk
and all ranks ``all_gather`` the per-block moment states
(:class:`numerics.estimators.MomentState`, float64 rows ``[block, count, mean…, M2…]``).
Every rank then merges the blocks in increasing block order with the same
sequential Chan–Golub–LeVeque fold that a single process uses — so the
estimates are those of one process (bitwise when the per-block states are;
the tests require relative 1e-12) and identical on every rank (so ``verify``'s
verdicts agree everywhere and the control flow of all ranks stays the same).
Round robin makes the union of round ``j``'s blocks a contiguous range, so the
merge streams in O(one round) memory.  A round moves ``W × slots × (2 + 2Q)``
doubles — kilobytes — once per chunk (tens of milliseconds to seconds of
simulation), so the exchange costs nothing next to the random numbers; it goes
over a gloo group on CPU tensors even on CUDA, where the default group is NCCL
(the states are host-side float64 anyway; a gloo collective times out with a
catchable error where NCCL's watchdog aborts the process, and gloo has the
``monitored_barrier``).

**Faults** (the bound ``T`` is ``RNNVERIFY_DIST_TIMEOUT`` seconds, default 300):

* a rank whose simulation raises joins the next exchange with a failure flag;
  every rank learns it in that round, the message travels with a second
  all_gather, every rank raises :class:`DistributedRunError` and rank 0 prints
  one line (``rnnverify: error: distributed run failed: rank 1: …``); exit code
  3.  Bound: the rest of the failing round.
* a rank that dies (crash, kill) closes its sockets: the peers' gloo exchange
  fails at once (and torchrun stops the others when a worker exits non-zero).
* a peer that never arrives: ``init_process_group`` gives up after ``T``; a peer
  that hangs: the exchange times out ``T`` after the last healthy rank reached it.
  Either way each waiting rank prints one line and exits non-zero.
* after the process group is up a gloo ``monitored_barrier`` (timeout ``T``) names
  the ranks that did not arrive.

Output: only rank 0 writes (the CLI sends the other ranks' ``sys.stdout`` and
``sys.stderr`` to ``os.devnull``) and progress counts the samples of all ranks.
``RNNVERIFY_TEST_FAIL_RANK`` / ``RNNVERIFY_TEST_FAIL_MODE``
(``raise`` | ``exit`` | ``hang``) inject a failure into one rank's first round —
a hook for the tests only.
"""

from __future__ import annotations

import datetime
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from rnnverify.numerics.estimators import MomentState
from rnnverify.numerics.memory.engine import Plan, iter_block_states
from rnnverify.numerics.memory.inputs import InputSource

# the launcher's environment (torch-free, in .world), re-exported for the callers of this module
from rnnverify.numerics.memory.world import DEFAULT_TIMEOUT_S as DEFAULT_TIMEOUT_S
from rnnverify.numerics.memory.world import (
    ENV_TIMEOUT,
    DistributedRunError,
    World,
    timeout_seconds,
    world_from_env,
)
from rnnverify.numerics.memory.world import is_distributed as is_distributed
from rnnverify.numerics.memory.world import is_root as is_root
from rnnverify.numerics.seeding import Blocks, rank_blocks

#: test hook: the rank that fails, and how (raise | exit | hang)
ENV_FAIL_RANK = "RNNVERIFY_TEST_FAIL_RANK"
ENV_FAIL_MODE = "RNNVERIFY_TEST_FAIL_MODE"
FAIL_MODES = ("raise", "exit", "hang")
#: bytes of an error message carried between ranks
_MESSAGE_BYTES = 480


def choose_backend(device_type: str, *, nccl_available: bool | None = None) -> str:
    """Backend of the default process group: ``gloo`` on CPU, ``nccl`` on CUDA.

    Falls back to gloo on CUDA builds without NCCL.  (The exchange of moment states
    always runs on a gloo group: see the module docstring.)
    """
    if device_type != "cuda":
        return "gloo"
    if nccl_available is None:
        nccl_available = dist.is_nccl_available()
    return "nccl" if nccl_available else "gloo"


def rank_device(requested: str, world: World | None = None) -> str:
    """The device this rank simulates on: ``cuda:LOCAL_RANK`` when CUDA is used.

    ``requested`` is the user's ``auto | cpu | cuda``.  Single-process runs get
    ``requested`` back unchanged.  With more local ranks than GPUs, ranks share GPUs
    (``LOCAL_RANK mod device_count``) — Monte Carlo ranks are independent streams.
    """
    world = world_from_env() if world is None else world
    if world is None or requested == "cpu":
        return requested
    if not torch.cuda.is_available():
        if requested.startswith("cuda"):
            raise ValueError("device 'cuda' requested but no CUDA device is available")
        return "cpu"
    if requested.startswith("cuda:"):
        return requested
    return f"cuda:{world.local_rank % torch.cuda.device_count()}"


# ----------------------------------------------------------------------------- setup

#: the gloo group that carries the exchange and the barrier
_CONTROL: dict[str, Any] = {"group": None}


_SOURCE_LOCATION = re.compile(r"\[[^\]]*\.(?:cc|cpp|h|hpp):\d+\]\s*")
_ADVICE = " This is typically caused by"


def _first_line(exc: BaseException, limit: int = 240) -> str:
    """``Type: message`` on one line, without C++ source locations and boilerplate advice."""
    text = _SOURCE_LOCATION.sub("", " ".join(str(exc).split()))
    text = text.split(_ADVICE)[0].strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@contextmanager
def _captured_fd2() -> Iterator[list[bytes]]:
    """Capture what C++ code writes to file descriptor 2 (c10d's connection-retry logs).

    The captured bytes are appended to the yielded list; the caller decides whether
    to show them (on success) or to replace them by one line (on failure).
    """
    sys.stderr.flush()
    saved = os.dup(2)
    out: list[bytes] = []
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield out
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            out.append(tmp.read())


def _join(world: World, device: str, timeout: float) -> None:
    """``init_process_group`` from torchrun's variables; one line instead of c10d's logs."""

    dev = torch.device(device if device != "auto" else
                       ("cuda" if torch.cuda.is_available() else "cpu"))
    if dev.type == "cuda":
        torch.cuda.set_device(dev.index if dev.index is not None else
                              world.local_rank % torch.cuda.device_count())
    backend = choose_backend(dev.type)
    failure: Exception | None = None
    with _captured_fd2() as logs:
        try:
            dist.init_process_group(backend=backend, init_method="env://", rank=world.rank,
                                    world_size=world.size,
                                    timeout=datetime.timedelta(seconds=timeout))
        except Exception as exc:
            failure = exc
    if failure is not None:  # the one-line message replaces c10d's retry logs
        raise DistributedRunError(
            f"rank {world.rank}: could not join the {world.size} processes within "
            f"{timeout:g} s ({ENV_TIMEOUT}): {_first_line(failure)}")
    if logs and logs[0]:
        sys.stderr.write(logs[0].decode("utf-8", errors="replace"))


def initialize(device: str = "cpu", world: World | None = None) -> World:
    """Join the process group (idempotent): backend by device, timeout T, a monitored barrier.

    Raises :class:`DistributedRunError` when the peers do not all arrive within T.
    A group joined by the caller beforehand is kept (only the gloo control group
    is added).
    """
    world = world_from_env() if world is None else world
    if world is None:
        raise ValueError("initialize() needs a distributed launch (WORLD_SIZE > 1)")
    timeout = timeout_seconds()
    if not dist.is_initialized():
        _join(world, device, timeout)
    if _CONTROL["group"] is not None:
        return world
    try:
        # host-side control traffic on gloo, whatever the default backend (NCCL on CUDA)
        # (a group of its own on CPU too, so that one code path serves both)
        _CONTROL["group"] = dist.new_group(backend="gloo",
                                           timeout=datetime.timedelta(seconds=timeout))
        dist.monitored_barrier(group=_CONTROL["group"],
                               timeout=datetime.timedelta(seconds=timeout), wait_all_ranks=True)
    except Exception as exc:
        raise DistributedRunError(
            f"rank {world.rank}: not all ranks reached the start barrier within "
            f"{timeout:g} s: {_first_line(exc)}") from None
    return world


def shutdown() -> None:
    """Leave the process group if one was joined (local; safe to call twice)."""
    _CONTROL["group"] = None
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


# ----------------------------------------------------------------------- simulation


@dataclass(frozen=True)
class RoundPlan:
    """Who simulates what in which round, built lazily from the (lazy) block sequence:
    rank ``r`` owns ``blocks[r::world]`` and simulates ``per_chunk`` of them a round, so
    :meth:`chunk` makes only the blocks of the round asked for (O(1) memory however many
    blocks: 10¹² samples are 2.4·10⁸ blocks)."""

    blocks: Sequence[tuple[int, int]]
    world: int
    per_chunk: int

    @property
    def rounds(self) -> int:
        most = -(-len(self.blocks) // self.world)  # rank 0 owns the most blocks
        return -(-most // self.per_chunk)

    @property
    def slots(self) -> int:
        """Most blocks any rank contributes in one round (rows of an exchange)."""
        return min(self.per_chunk, -(-len(self.blocks) // self.world))

    def chunk(self, rank: int, j: int) -> tuple[tuple[int, int], ...]:
        mine = rank_blocks(self.blocks, rank, self.world)
        return tuple(mine[j * self.per_chunk: (j + 1) * self.per_chunk])


def _largest_block(blocks: Sequence[tuple[int, int]]) -> int:
    """Samples in the largest block; O(1) for :class:`~numerics.seeding.Blocks` (every block
    is full but the very last, so the first or the last of a slice is the largest)."""
    if len(blocks) == 0:
        return 1
    if isinstance(blocks, Blocks):
        return max(blocks[0][1], blocks[-1][1])
    return max(s for _, s in blocks)


def round_plan(blocks: Sequence[tuple[int, int]], world_size: int,
               chunk_samples: int) -> RoundPlan:
    """Round-robin blocks over ``world_size`` ranks, ``c`` blocks per rank and round.

    ``c = max(1, chunk_samples // block size)``, so a chunk holds ≤ ``chunk_samples``
    samples (or one block) and round ``j`` is exactly the global blocks
    ``[j c W, (j+1) c W)``: the block-order merge never waits past one round.
    The plan depends only on its arguments, so every rank computes the same one; it holds
    the block sequence, not a list of it (a lazy sequence stays lazy).
    """
    if world_size < 1:
        raise ValueError(f"world_size must be ≥ 1, got {world_size}")
    if chunk_samples <= 0:
        raise ValueError(f"chunk_samples must be positive, got {chunk_samples!r}")
    per_chunk = max(1, chunk_samples // _largest_block(blocks))
    return RoundPlan(blocks, world_size, per_chunk)


def _inject_failure(rank: int) -> None:
    """Test hook: fail this rank as ``RNNVERIFY_TEST_FAIL_MODE`` says, if it is the chosen one."""
    chosen = os.environ.get(ENV_FAIL_RANK)
    if chosen is None or chosen.strip() == "" or int(chosen) != rank:
        return
    mode = os.environ.get(ENV_FAIL_MODE, "raise") or "raise"
    if mode not in FAIL_MODES:
        raise ValueError(f"{ENV_FAIL_MODE} must be one of {FAIL_MODES}, got {mode!r}")
    if mode == "exit":
        os._exit(17)  # a crash: no clean-up, sockets close
    if mode == "hang":
        while True:  # alive but silent: the peers' exchange must time out
            time.sleep(3600)
    raise RuntimeError(f"injected failure ({ENV_FAIL_RANK}={rank})")


def _encode(message: str):
    raw = message.encode("utf-8")[:_MESSAGE_BYTES]
    buf = torch.zeros(_MESSAGE_BYTES + 2, dtype=torch.uint8)
    buf[0], buf[1] = len(raw) // 256, len(raw) % 256
    if raw:
        buf[2: 2 + len(raw)] = torch.frombuffer(bytearray(raw), dtype=torch.uint8)
    return buf


def _decode(buf) -> str:
    n = int(buf[0]) * 256 + int(buf[1])
    return bytes(buf[2: 2 + n].tolist()).decode("utf-8", errors="replace")


def _all_gather(tensor, what: str, rank: int) -> list:
    out = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
    try:
        dist.all_gather(out, tensor, group=_CONTROL["group"])
    except Exception as exc:
        raise DistributedRunError(
            f"rank {rank}: lost contact with its peers during {what} (a rank died, or "
            f"stayed silent for {timeout_seconds():g} s, {ENV_TIMEOUT}): "
            f"{_first_line(exc)}") from None
    return out


def ordered_block_states(
    plan: Plan,
    source: InputSource,
    blocks: Sequence[tuple[int, int]],
    *,
    seed: int = 0,
    chunk_samples: int = 65536,
    progress: Callable[[int], None] | None = None,
    threads: int | None = 1,
) -> Iterator[tuple[int, MomentState]]:
    """All ``blocks``' states ``(block, state)`` in increasing block order, on every rank.

    Each rank simulates its round-robin share (:func:`round_plan`) with
    :func:`numerics.memory.engine.iter_block_states`; the states are all_gathered round by
    round.  ``progress`` (rank 0 only) receives the samples of all ranks merged so far.
    Joins the process group first if needed (device from ``plan``).
    """
    world = initialize(str(plan.device))
    rank, size = world.rank, world.size
    rounds = round_plan(blocks, size, chunk_samples)
    n_q = plan.n_quantities
    width = 2 + 2 * n_q
    position = 0  # blocks[position] is the next block to merge
    pending: dict[int, MomentState] = {}
    for j in range(rounds.rounds):
        mine = rounds.chunk(rank, j)
        rows = np.full((1 + rounds.slots, width), -1.0)
        rows[0, :] = 0.0
        error = ""
        try:
            if j == 0:
                _inject_failure(rank)
            if mine:
                states = iter_block_states(plan, source, list(mine), seed=seed,
                                           chunk_samples=max(chunk_samples,
                                                             sum(s for _, s in mine)),
                                           threads=threads)
                for r, (b, st) in enumerate(states, start=1):
                    rows[r, 0] = b
                    rows[r, 1:] = st.to_array()
                rows[0, 1] = len(mine)
        except Exception as exc:  # reported to all ranks below, then raised everywhere
            error = _first_line(exc)
            rows[0, 0] = 1.0
        gathered = _all_gather(torch.from_numpy(rows), f"exchange round {j + 1}/{rounds.rounds}",
                               rank)
        failed = [r for r, g in enumerate(gathered) if g[0, 0].item() != 0.0]
        if failed:
            notes = _all_gather(_encode(error), "the failure report", rank)
            text = "; ".join(f"rank {r}: {_decode(notes[r])}" for r in failed)
            raise DistributedRunError(text, agreed=True)
        for g in gathered:
            arr = g.numpy()
            for r in range(1, 1 + int(arr[0, 1])):
                pending[int(arr[r, 0])] = MomentState.from_array(arr[r, 1:])
        merged = 0
        while position < len(blocks) and blocks[position][0] in pending:
            block = blocks[position][0]
            state = pending.pop(block)
            merged += state.count
            position += 1
            yield block, state
        if progress is not None and rank == 0 and merged:
            progress(merged)
    if position != len(blocks) or pending:  # pragma: no cover - a logic error, not a fault
        raise RuntimeError(f"distributed merge incomplete: {position}/{len(blocks)} blocks")
