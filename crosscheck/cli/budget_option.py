"""``--budget KEY=VALUE,...``: the work caps of check-param and check-claim on the command line.

The keys are the fields of :class:`rnnverify.theory.budget.Budget` (``symbolic_ops``,
``simplify_ops``, ``path_ops``, ``limit_ops``, ``max_dps``, ``witnesses``, ``lag_terms``,
``guard_seconds``); unnamed ones keep their defaults.  The budget counts work, not
time, so the same command gives the same document on any machine.
"""

from __future__ import annotations

import argparse
import dataclasses

from rnnverify.theory.budget import Budget

__all__ = ["BUDGET_KEYS", "add_budget_argument", "parse_budget"]

#: the keys --budget accepts
BUDGET_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Budget) if f.name != "cut")


def add_budget_argument(p: argparse.ArgumentParser) -> None:
    """``--budget KEY=VALUE,...``."""
    defaults = Budget()
    shown = ", ".join(f"{k}={getattr(defaults, k):g}" for k in BUDGET_KEYS)
    p.add_argument("--budget", metavar="KEY=V,...",
                   help=f"work caps (counts, not time; recorded in the document): {shown}")


def parse_budget(text: str | None) -> Budget:
    """The Budget a ``--budget`` value asks for (ValueError naming the flag otherwise)."""
    if text is None:
        return Budget()
    values: dict[str, int | float] = {}
    for item in text.split(","):
        key, sep, raw = item.strip().partition("=")
        key = key.strip()
        if not sep or key not in BUDGET_KEYS:
            raise ValueError(f"--budget: expected KEY=VALUE with KEY one of "
                             f"{', '.join(BUDGET_KEYS)}, got {item.strip()!r}")
        if key in values:
            raise ValueError(f"--budget: {key} given twice")
        try:
            values[key] = float(raw) if key == "guard_seconds" else int(raw)
        except ValueError:
            kind = "a number" if key == "guard_seconds" else "an integer"
            raise ValueError(f"--budget: {key} must be {kind}, got {raw.strip()!r}") from None
    try:
        return Budget(**values)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"--budget: {str(exc).removeprefix('budget.')}") from None
