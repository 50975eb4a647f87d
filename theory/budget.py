"""Run a SymPy computation under a wall-clock budget (in a forked child, killed after).

SymPy's ``limit``, ``simplify`` and ``solveset`` can run for minutes on
innocent-looking expressions.  :func:`within_budget` runs ``fn()`` in a forked
child process and returns its (picklable) result, or ``None`` when it did not
finish in time or raised; the caller then takes another route and says so.
Where ``fork`` is unavailable the call runs inline (no budget).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["within_budget"]


def within_budget(fn: Callable[[], T], seconds: float) -> T | None:
    """``fn()`` if it returns within ``seconds`` without raising, else ``None``."""
    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - no fork on this platform
        try:
            return fn()
        except Exception:  # noqa: BLE001 - any failure means "no answer from this route"
            return None
    receiver, sender = ctx.Pipe(duplex=False)

    def work() -> None:
        try:
            out: Any = ("ok", fn())
        except Exception as exc:  # noqa: BLE001
            out = ("error", type(exc).__name__)
        try:
            sender.send(out)
        except Exception:  # noqa: BLE001 - unpicklable result: no answer
            sender.send(("error", "unpicklable"))

    proc = ctx.Process(target=work, daemon=True)
    proc.start()
    sender.close()
    result: T | None = None
    try:
        if receiver.poll(seconds):
            status, value = receiver.recv()
            if status == "ok":
                result = value
    except (EOFError, OSError):
        result = None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(1.0)
        receiver.close()
    return result
