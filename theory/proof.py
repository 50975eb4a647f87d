"""Checked proof steps shared by the matrix-algebra theory modules (DizzyRNN, classical).

A :class:`ProofStep` records one equality ``lhs = rhs`` of a derivation together with the
fact it uses and whether it was confirmed by two routes: SymPy simplification *and*
evaluation at random complex points (SymPy's ``verify_numerically`` idea), as
:func:`check_scalar_identity` does.  (The curse-of-memory lemmas keep their own step
templates in :mod:`theory.memory.lemmas`, checked by :func:`theory.memory.lemmas.check_step`
against a
concrete test sequence.)
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath
import sympy as sp

__all__ = [
    "ProofStep",
    "check_matrix_identity",
    "check_scalar_identity",
    "combine_sums",
    "evaluate_matrix_expression",
    "matmul_of",
    "random_orthogonal_mp",
    "rewrite_adjacent",
]


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
        """Alias of ``reason`` (the name of :class:`theory.memory.lemmas.LemmaStep`, for the
        reports)."""
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


# ---------------------------------------------------------------- matrix-expression engine
def rewrite_adjacent(factors: Sequence[Any], rules: dict[tuple[Any, Any], Any],
                     unary: dict[Any, Any] | None = None) -> tuple[list[Any], list[str]]:
    """Apply ``unary`` replacements, then repeatedly replace adjacent pairs by ``rules``.

    ``rules[(A, B)]`` is the replacement of the adjacent product A·B (an Identity is dropped).
    Returns the final factor list and a log of the rewrites applied (in order).
    """
    fs = [(unary or {}).get(f, f) for f in factors]
    log = [f"{a} -> {b}" for a, b in (unary or {}).items() if a in factors]
    changed = True
    while changed:
        changed = False
        for p in range(len(fs) - 1):
            key = (fs[p], fs[p + 1])
            if key in rules:
                rep = rules[key]
                log.append(f"{key[0]}*{key[1]} -> {rep}")
                fs = fs[:p] + ([] if isinstance(rep, sp.Identity) else [rep]) + fs[p + 2:]
                changed = True
                break
    return fs, log


def matmul_of(factors: Sequence[Any], n: Any) -> Any:
    """The product of ``factors`` as one matrix expression (``Identity(n)`` when empty)."""
    if not factors:
        return sp.Identity(n)
    return factors[0] if len(factors) == 1 else sp.MatMul(*factors)


def random_orthogonal_mp(n: int, rng: random.Random, dps: int = 40) -> mpmath.matrix:
    """A random orthogonal n×n matrix: Q of the QR factorisation of a Gaussian matrix (mpmath)."""
    with mpmath.workdps(dps):
        A = mpmath.matrix(n, n)
        for r in range(n):
            for c in range(n):
                A[r, c] = mpmath.mpf(rng.gauss(0.0, 1.0))
        Q, _ = mpmath.qr(A)
        return Q


def evaluate_matrix_expression(expr: Any, env: dict[Any, mpmath.matrix]) -> mpmath.matrix:
    """Evaluate a MatMul / Transpose / MatrixSymbol / Identity expression with mpmath matrices."""
    if isinstance(expr, sp.MatrixSymbol):
        return env[expr]
    if isinstance(expr, sp.Transpose):
        return evaluate_matrix_expression(expr.arg, env).T
    if isinstance(expr, sp.Identity):
        return mpmath.eye(int(env["__n__"]))
    if isinstance(expr, sp.MatMul):
        out = None
        for f in expr.args:
            m = evaluate_matrix_expression(f, env)
            out = m if out is None else out * m
        return out
    raise TypeError(f"cannot evaluate {type(expr).__name__}")


def check_matrix_identity(lhs: Any, rhs: Any, symbols: dict[str, Any], sizes: Sequence[int],
                   seed: int, dps: int = 40) -> float:
    """max |lhs − rhs| over random points: orthogonal matrices for 'orth' symbols, random ±1
    diagonals for 'sign' symbols, random complex vectors for 'vec' symbols, for each n."""
    rng = random.Random(seed)
    worst = mpmath.mpf(0)
    with mpmath.workdps(dps):
        for n in sizes:
            env: dict[Any, Any] = {"__n__": n}
            for sym, kind in symbols.items():
                if kind == "orth":
                    env[sym] = random_orthogonal_mp(n, rng, dps)
                elif kind == "sign":
                    env[sym] = mpmath.diag([rng.choice((-1, 1)) for _ in range(n)])
                else:
                    env[sym] = mpmath.matrix([mpmath.mpc(rng.uniform(-2, 2), rng.uniform(-2, 2))
                                              for _ in range(n)])
            diff = evaluate_matrix_expression(lhs, env) - evaluate_matrix_expression(rhs, env)
            worst = max(worst, max(abs(diff[r, c]) for r in range(diff.rows)
                                   for c in range(diff.cols)))
    return float(worst)


def combine_sums(expr: sp.Expr) -> sp.Expr:
    """Combine Σ a_i − Σ b_i over the same range into Σ (a_i − b_i) and expand the summand."""
    sums = list(sp.Add.make_args(sp.expand(expr)))
    limits = None
    terms = []
    for term in sums:
        coeff, rest = term.as_independent(sp.Sum)
        if not isinstance(rest, sp.Sum):
            raise ValueError(f"expected a combination of sums, got {term}")
        if limits is None:
            limits = rest.limits
        if rest.limits != limits:
            raise ValueError("sums over different ranges")
        terms.append(coeff * rest.function)
    return sp.Sum(sp.expand(sp.Add(*terms)), *limits)
