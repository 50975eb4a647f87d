"""Long work seen from the command line: progress, a start line, and memory limits.

One helper for every command:

* :func:`planned_work` — on a terminal (and without ``--json``) a rich progress bar with
  the rate and ETA on stderr; otherwise exactly one start line on stderr naming the
  planned work and an estimate of its duration.  Nothing is written to stdout.
* :func:`ensure_fits` — refuse, before allocating, a request whose estimated memory
  exceeds what the machine has (:class:`RequestTooLarge`, a ``ValueError`` the CLI turns
  into one line on stderr and exit 2) and name the amount it would need.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

#: fraction of the available memory a single request may plan to use
MEMORY_FRACTION = 0.8


class RequestTooLarge(ValueError):
    """A request that cannot fit in memory (the CLI exits 2 with this message)."""


def format_bytes(n: float) -> str:
    """``8e12`` → ``"8.0 TB"`` (decimal units)."""
    for unit in ("B", "kB", "MB", "GB", "TB", "PB", "EB"):
        if abs(n) < 1000 or unit == "EB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1000
    return f"{n:.1f} EB"  # pragma: no cover


def format_seconds(s: float) -> str:
    """A duration for humans: ``"42 s"``, ``"3.1 min"``, ``"2.0 h"``, ``"4.5 days"``..."""
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.1f} min"
    if s < 172800:
        return f"{s / 3600:.1f} h"
    if s < 3.2e7 * 2:
        return f"{s / 86400:.1f} days"
    return f"{s / 3.15e7:.2g} years"


def available_memory(device: str = "cpu") -> int:
    """Bytes available for a new allocation: MemAvailable of /proc/meminfo (CPU; physical
    pages × page size where that file is missing) or the free memory of a CUDA device."""
    if str(device).startswith("cuda"):
        import torch

        free, _ = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def ensure_fits(nbytes: float, what: str, *, device: str = "cpu",
                available: int | None = None) -> None:
    """Raise :class:`RequestTooLarge` naming ``nbytes`` if it exceeds MEMORY_FRACTION of the
    available memory; ``what`` says what would be allocated."""
    have = available_memory(device) if available is None else available
    if nbytes > MEMORY_FRACTION * have:
        raise RequestTooLarge(f"{what} needs {format_bytes(nbytes)} but {format_bytes(have)} "
                              f"is available on {device}: reduce the request")


Progress = Callable[..., None]
"""``progress(n=1, what=None)``: n more units done; ``what`` names the current item."""


@contextmanager
def planned_work(command: str, description: str, total: float, *, unit: str = "steps",
                 estimate_s: float | None = None, json_mode: bool = False,
                 stream: Any = None) -> Iterator[Progress]:
    """Announce work of ``total`` ``unit``; yields ``progress(n=1, what=None)``.

    Terminal and not ``json_mode``: a transient rich bar (description, bar, percentage,
    elapsed, ETA) on stderr.  Otherwise one line ``rnnverify COMMAND: DESCRIPTION — planned
    TOTAL UNIT, estimate ~T`` on stderr, then silence until the result.
    """
    err = sys.stderr if stream is None else stream
    interactive = not json_mode and getattr(err, "isatty", lambda: False)()
    if not interactive:
        est = "" if estimate_s is None else f", estimate ~{format_seconds(estimate_s)}"
        print(f"rnnverify {command}: {description}: planned {total:.4g} {unit}{est}",
              file=err, flush=True)
        yield lambda n=1, what=None: None
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as RichProgress

    columns = [TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
               MofNCompleteColumn() if total < 1e6 else TextColumn(f"{total:.3g} {unit}"),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
    head = escape(f"{command}: {description}")
    with RichProgress(*columns, console=Console(file=err), transient=True) as bar:
        task = bar.add_task(head, total=total)

        def progress(n: float = 1, what: str | None = None) -> None:
            if what is None:
                bar.advance(task, n)
            else:
                bar.update(task, advance=n, description=f"{head} · {escape(what)}")

        yield progress
