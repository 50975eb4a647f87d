"""Order and coefficient of a blow-up as |λ| → 1⁻ (docs/theory.md §1).

"Order p, coefficient C" means E ~ C (1 − |λ|)^{−p} as |λ| → 1⁻ at fixed ρ
(and fixed θ); p = 0 means bounded with limit C (C may be 0: the quantity
vanishes).  Computed by substituting λ = at − ε and taking the leading term of
the expansion in ε → 0⁺ (:meth:`sympy.Expr.leadterm`), then confirmed by
``limit(ε^p E, ε → 0⁺) = C``.  Exponents and coefficients stay exact
(rationals, surds, symbols such as ρ or θ) when SymPy can keep them exact.

Used for the limits table of docs/theory.md §4 and the
reparametrizations of §3.5–3.6 (Zucchet & Orvieto 2024, §3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp
from rnnverify.theory.symbols import lam

#: ε = at − λ > 0, the distance to the boundary
eps = sp.Symbol("epsilon", positive=True)


@dataclass(frozen=True)
class Asymptotic:
    """E ~ coefficient · (1 − |λ|)^{−order}; ``bounded`` iff order ≤ 0 (order < 0 → limit 0)."""

    order: sp.Expr
    coefficient: sp.Expr

    @property
    def bounded(self) -> bool:
        return bool(self.order <= 0)

    @property
    def limit(self) -> sp.Expr:
        """The limit as |λ| → 1⁻ (∞ when unbounded)."""
        if self.order > 0:
            return sp.oo * sp.sign(self.coefficient)
        if self.order < 0:
            return sp.Integer(0)
        return self.coefficient


def _leading(expr_eps: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """(c, e) with expr ~ c ε^e as ε → 0⁺."""
    e = sp.cancel(sp.together(expr_eps)) if not expr_eps.has(sp.log, sp.exp) else expr_eps
    try:
        c, ex = e.leadterm(eps)
    except (ValueError, NotImplementedError, TypeError):
        ser = sp.series(e, eps, 0, 3).removeO()
        c, ex = ser.as_leading_term(eps).as_coeff_exponent(eps)
    return sp.simplify(c), sp.nsimplify(ex)


def order_and_coefficient(expr: Any, var: sp.Symbol = lam, at: Any = 1, side: str = "-"
                          ) -> tuple[sp.Expr, sp.Expr]:
    """(p, C) with expr ~ C |at − var|^{−p} as var → at⁻ (``side="-"``) or at⁺ (``"+"``).

    The approach from above serves real λ → −1⁺, where 1 − |λ| = 1 + λ.

    ``expr`` is a SymPy expression (or anything :func:`sympy.sympify` accepts
    that is not user text).  Other symbols (ρ, θ, ...) are generic parameters:
    substitute values first for a specific regime (e.g. ρ = 1).  Raises
    ValueError when the leading behaviour has a logarithm (not a pure power).
    """
    if side not in ("-", "+"):
        raise ValueError(f"side must be '-' or '+', got {side!r}")
    e = sp.sympify(expr)
    e_eps = e.subs(var, sp.sympify(at) - eps if side == "-" else sp.sympify(at) + eps)
    c, ex = _leading(e_eps)
    if c.has(eps) or c.has(sp.log(eps)):
        raise ValueError(f"leading behaviour of {e} is not a pure power of (at - var): {c}")
    p = -ex
    check = sp.limit(e_eps * eps**p, eps, 0, "+")
    if check.has(sp.Limit) or sp.simplify(check - c) != 0:
        if not (check.is_number and c.is_number and abs(complex(check) - complex(c)) < 1e-12):
            raise ValueError(f"could not confirm the leading term of {e}: {c} vs limit {check}")
    return p, c


def asymptotic(expr: Any, var: sp.Symbol = lam, at: Any = 1, side: str = "-") -> Asymptotic:
    """:func:`order_and_coefficient` as an :class:`Asymptotic`."""
    p, c = order_and_coefficient(expr, var, at, side)
    return Asymptotic(p, c)
