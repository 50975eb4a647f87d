"""Work budgets for SymPy and high-precision work, and a guard for calls that do not end.

:class:`Budget` holds the work caps (operation counts, digits, points) that decide what
is attempted: the same input gives the same result whatever the machine's load.
:func:`guarded` runs one SymPy call in a forked child under a last-resort guard and says
whether it finished.  :func:`within_budget` is the older wall-clock form.

SymPy's ``limit``, ``simplify`` and ``solveset`` can run for minutes on
innocent-looking expressions.  :func:`within_budget` runs ``fn()`` in a forked
child process and returns its (picklable) result, or ``None`` when it did not
finish in time or raised; the caller then takes another route and says so.
Where ``fork`` is unavailable the call runs inline (no budget).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any, Generic, TypeVar

T = TypeVar("T")

__all__ = ["Budget", "Guarded", "guarded", "within_budget"]


def within_budget(fn: Callable[[], T], seconds: float) -> T | None:
    """``fn()`` if it returns within ``seconds`` without raising, else ``None``."""
    outcome = guarded(fn, seconds)
    return outcome.value if outcome.status == "ok" else None


@dataclass(frozen=True)
class Budget:
    """Work caps of the symbolic and high-precision stages: counts, not clocks, so that the
    same input gives the same document on an idle or a loaded machine.

    ``symbolic_ops``: largest ``count_ops`` of a difference the symbolic stage attempts;
    ``simplify_ops``: largest ``count_ops`` on which the expensive rewrites (``simplify``)
    run; ``path_ops``: largest ``count_ops`` of |λ| handed to ``limit``/``solveset`` when
    finding the limit paths; ``limit_ops``: largest ``count_ops`` of a sensitivity
    handed to ``limit`` along a path (larger ones take the numeric route); ``max_dps``:
    most decimal digits a high-precision evaluation may use (at least 100);
    ``witnesses``: failing points checked against the independent oracle;
    ``lag_terms``: most terms of an oracle lag sum; ``guard_seconds``: a last-resort
    guard on a single SymPy call that does not end (never reached by the work caps on
    the inputs the tests cover).  What the caps cut is recorded in ``cut`` and shown
    in the document; :meth:`fresh` gives the same caps with an empty record.
    """

    symbolic_ops: int = 4000
    simplify_ops: int = 800
    path_ops: int = 200
    limit_ops: int = 80
    max_dps: int = 12_000
    witnesses: int = 8
    lag_terms: int = 200_000
    guard_seconds: float = 120.0
    cut: list[str] = field(default_factory=list, compare=False)

    def __post_init__(self) -> None:
        for name in _CAPS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"budget.{name} must be an int, got {type(value).__name__}")
            least = _LEAST.get(name, 1)
            if value < least:
                raise ValueError(f"budget.{name} must be at least {least}, got {value}")
        g = self.guard_seconds
        if isinstance(g, bool) or not isinstance(g, (int, float)) or not g > 0:
            raise ValueError(f"budget.guard_seconds must be a positive number, got {g!r}")

    def fresh(self) -> Budget:
        """The same caps with an empty record of cuts (one per run)."""
        return replace(self, cut=[])

    def record(self, what: str) -> None:
        """Note that the budget cut ``what`` (kept once, in order)."""
        if what not in self.cut:
            self.cut.append(what)

    def allows(self, expr: Any, cap: str, what: str) -> bool:
        """Whether ``count_ops(expr)`` is within the cap named ``cap``; records a cut if not."""
        ops = expr.count_ops() if hasattr(expr, "count_ops") else 0
        limit = getattr(self, cap)
        if ops > limit:
            self.record(f"{what}: {ops} operations > {cap} = {limit}")
            return False
        return True

    def call(self, fn: Callable[[], T], what: str) -> T | None:
        """``fn()`` under the last-resort guard: its value, or None when it raised or the
        guard fired (recorded)."""
        outcome = guarded(fn, self.guard_seconds)
        if outcome.status == "guard":
            self.record(f"{what}: guard of {self.guard_seconds:g} s fired")
        return outcome.value if outcome.status == "ok" else None

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "cut"}
        return {**out, "cut": list(self.cut)}


#: smallest values of the caps that are not 1 (a 50-digit evaluation needs 70 digits)
_LEAST = {"max_dps": 100}
#: the integer caps of a Budget
_CAPS = ("symbolic_ops", "simplify_ops", "path_ops", "limit_ops", "max_dps", "witnesses",
         "lag_terms")


@dataclass(frozen=True)
class Guarded(Generic[T]):
    """The outcome of :func:`guarded`: ``status`` is ``"ok"``, ``"error"`` (the computation
    raised: ``value`` is the exception's name) or ``"guard"`` (the guard fired)."""

    status: str
    value: Any = None


def guarded(fn: Callable[[], T], seconds: float) -> Guarded[T]:
    """``fn()`` in a forked child under a last-resort guard of ``seconds``; unlike
    :func:`within_budget` it says whether the computation finished, failed or was cut."""
    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - no fork on this platform
        try:
            return Guarded("ok", fn())
        except Exception as exc:  # noqa: BLE001
            return Guarded("error", type(exc).__name__)
    receiver, sender = ctx.Pipe(duplex=False)

    def work() -> None:
        try:
            out: Any = ("ok", fn())
        except Exception as exc:  # noqa: BLE001
            out = ("error", type(exc).__name__)
        try:
            sender.send(out)
        except Exception:  # noqa: BLE001 - unpicklable result
            sender.send(("error", "unpicklable"))

    proc = ctx.Process(target=work, daemon=True)
    proc.start()
    sender.close()
    outcome: Guarded[T] = Guarded("guard")
    try:
        if receiver.poll(seconds):
            status, value = receiver.recv()
            outcome = Guarded(status, value)
    except (EOFError, OSError):
        outcome = Guarded("error", "child died")
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(1.0)
        receiver.close()
    return outcome
