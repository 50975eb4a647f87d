"""Checked proof steps shared by the matrix-algebra theory modules (DizzyRNN, classical).

A :class:`ProofStep` records one equality ``lhs = rhs`` of a derivation together with the
fact it uses and whether it was confirmed by two routes: SymPy simplification *and*
evaluation at random complex points (SymPy's ``verify_numerically`` idea), as
:func:`check_scalar_identity` does.  (The curse-of-memory lemmas keep their own step
templates in :mod:`theory.lemmas`, checked by :func:`theory.lemmas.check_step` against a
concrete test sequence.)
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

__all__ = ["ProofStep", "check_scalar_identity"]


@dataclass(frozen=True)
class ProofStep:
    """One checked step ``lhs = rhs`` of a derivation.

    ``reason`` says which fact is used (orthogonality, D² = I, ...); ``checked`` is True only
    when the step was confirmed by two routes (symbolic rewriting/simplification and numeric
    evaluation at random points); ``evidence`` records how.
    """

    statement: str
    lhs: Any
    rhs: Any
    reason: str
    checked: bool
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def justification(self) -> str:
        """Alias of ``reason`` (the name theory/lemmas.py's ProofStep uses, for the reports)."""
        return self.reason

    @property
    def equation(self) -> str:
        """``lhs = rhs`` as plain text."""
        return f"{self.lhs} = {self.rhs}"

    def latex(self) -> str:
        """``lhs = rhs`` typeset with :func:`sympy.latex` (strings pass through)."""
        def tex(x: Any) -> str:
            return x if isinstance(x, str) else sp.latex(x)

        return f"{tex(self.lhs)} = {tex(self.rhs)}"

    def to_json(self) -> dict[str, Any]:
        return {"statement": self.statement, "lhs": str(self.lhs), "rhs": str(self.rhs),
                "latex": self.latex(), "reason": self.reason, "checked": self.checked,
                "evidence": {k: (v if isinstance(v, (bool, int, float, str)) else str(v))
                             for k, v in self.evidence.items()}}


def check_scalar_identity(lhs: sp.Expr | sp.MatrixBase, rhs: sp.Expr | sp.MatrixBase,
                          symbols: Sequence[sp.Symbol], *, trials: int = 4,
                          seed: int = 0, tol: float = 1e-25,
                          sampler: Callable[[random.Random], dict] | None = None
                          ) -> tuple[bool, bool, float]:
    """Confirm ``lhs == rhs`` by ``simplify(lhs − rhs) == 0`` and at random complex points.

    Returns ``(simplified_to_zero, numerically_equal, max_abs_difference)``.  Points are
    complex with real and imaginary parts in [−2, 2] (``sampler`` may supply a dict of values
    instead, for identities that only hold on a constraint set); evaluation at 40 digits.
    """
    diff = sp.Matrix(lhs) - sp.Matrix(rhs) if isinstance(lhs, sp.MatrixBase) else lhs - rhs
    if isinstance(diff, sp.MatrixBase):
        simplified = all(_simplifies_to_zero(e) for e in diff)
    else:
        simplified = _simplifies_to_zero(diff)
    rng = random.Random(seed)
    worst = 0.0
    for _ in range(trials):
        if sampler is not None:
            vals = sampler(rng)
        else:
            vals = {s: sp.Float(rng.uniform(-2, 2), 40) + sp.I * sp.Float(rng.uniform(-2, 2), 40)
                    for s in symbols}
        entries = diff if isinstance(diff, sp.MatrixBase) else [diff]
        for e in entries:
            val = complex(sp.N(e.xreplace(vals), 40))
            worst = max(worst, abs(val))
    return bool(simplified), worst < tol, worst


def _simplifies_to_zero(e: sp.Expr) -> bool:
    """Exact zero test: cheap rewrites first (expand, trigsimp), ``simplify`` as the last resort.

    Each route only ever answers True for an expression that is identically zero.
    """
    e = sp.sympify(e)
    if e == 0:
        return True
    expanded = sp.expand(e)
    if expanded == 0:
        return True
    if expanded.has(sp.sin, sp.cos) and sp.expand(expanded.rewrite(sp.exp)) == 0:
        return True  # polynomial trig identities vanish identically in e^{±iθ}
    return sp.simplify(e) == 0
