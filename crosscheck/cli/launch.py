"""Commands on one process or as one rank of a torchrun launch: output on rank 0 only.

The simulation layer splits the work (:mod:`numerics.memory.distributed`); what a
command prints, and the exit code a failed run gives, are decided here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rnnverify.crosscheck.cli._common import EXIT_BAD_INPUT
from rnnverify.numerics.memory.world import DistributedRunError, World, world_from_env

#: exit code of a worker whose distributed run failed (torchrun itself then exits 1)
EXIT_DISTRIBUTED_FAILURE = 3


@contextmanager
def root_only_output(world: World | None) -> Iterator[None]:
    """On non-root ranks send ``sys.stdout`` and ``sys.stderr`` to ``os.devnull`` (restored)."""
    if world is None or world.is_root:
        yield
        return
    old_out, old_err = sys.stdout, sys.stderr
    with open(os.devnull, "w", encoding="utf-8") as sink:
        sys.stdout = sys.stderr = sink
        try:
            yield
        finally:
            sys.stdout, sys.stderr = old_out, old_err


def run_command(body: Callable[[str], int], device: str = "auto", *,
                bad_input: type[Exception] = ValueError) -> int:
    """Run a CLI command ``body(device) -> exit code`` on one process or under torchrun.

    Single process: ``body(device)`` as is.  Distributed: join the group, run
    ``body(rank_device(device))`` with output on rank 0 only, leave the group.  A
    :class:`DistributedRunError` becomes one line on stderr (rank 0 only when all
    ranks agree on it, else every rank that saw it, prefixed by its rank) and exit
    code :data:`EXIT_DISTRIBUTED_FAILURE`.  ``bad_input`` is the CLI's bad-input
    exception: invalid launcher variables are raised as it, and when ``body``
    raises it (every rank read the same arguments) only rank 0 lets it through —
    the other ranks return exit code 2 quietly.
    """
    try:
        world = world_from_env()
    except ValueError as exc:
        raise bad_input(str(exc)) from None
    if world is None:
        return body(device)
    # torch.distributed only where several processes were launched
    from rnnverify.numerics.memory.distributed import initialize, rank_device, shutdown

    try:
        dev = rank_device(device, world)
    except ValueError as exc:
        raise bad_input(str(exc)) from None
    try:
        initialize(dev, world)
        with root_only_output(world):
            code = body(dev)
    except DistributedRunError as exc:
        if world.is_root or not exc.agreed:
            print(f"rnnverify: error: distributed run failed: {' '.join(exc.message.split())}",
                  file=sys.stderr, flush=True)
        if not exc.agreed:
            # the group is broken (a peer died or hangs): tearing it down can block or
            # abort in C++ destructors, so leave at once
            sys.stdout.flush()
            os._exit(EXIT_DISTRIBUTED_FAILURE)
        shutdown()
        return EXIT_DISTRIBUTED_FAILURE
    except bad_input:
        if world.is_root:
            raise
        return EXIT_BAD_INPUT
    shutdown()
    return code
