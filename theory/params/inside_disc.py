"""Parametrizations whose |λ| never comes near 1: the supremum of |λ| and of E|d_p h|².

When no limit path reaches |λ| = 1 (:func:`theory.params.limit_paths.find_limit_paths`), the
question "does E|d_p h|² blow up as |λ| → 1⁻?" still has an answer: if

    s = sup_m |λ(m)| < 1   and   c = sup_m |∂λ/∂p|²(m) < ∞,

then E|d_p h|² = |∂λ/∂p|² K(|λ|, θ) is bounded, because K (Lemma 2 of Zucchet & Orvieto
2024, a double power series in λ, conj λ) converges absolutely and uniformly on |λ| ≤ s.
For γ held constant (decoupled) and any autocorrelation (|R(k)| ≤ R(0)),

    E|d_p h|² ≤ c · max_{[0, s]} γ² · R(0) (Σ_{n≥1} n s^{n−1})² = c · max γ² · R(0)/(1 − s)^4;

with γ differentiated (coupled), Cauchy–Schwarz on d_p h = A d_λh̃ + B h̃ gives
(|A| √R(0)/(1−s)² + |B| √R(0)/(1−s))² with the suprema of |A|, |B|.

Both suprema come from :func:`sympy.calculus.util.function_range` over the reals (the
proof), within the budget's ``path_ops``; a 801-point scan of the same functions on
m = ±sinh(0 … 8) is the second opinion (a scan value above the symbolic supremum refutes
it).  The largest E|d_p h|² along the scan, refined by golden-section search, is reported as
what was found (evidence: a scan, not a proof of the maximum).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp
from rnnverify.theory.budget import Budget
from rnnverify.theory.params.limit_paths import GENERIC
from sympy.calculus.util import function_range

__all__ = ["SCAN_GRID", "NeverNearOne", "Supremum", "moment_bound", "never_near_one",
           "scan_maximum", "supremum"]

#: the scan of the second opinion: m = sinh(i/50), i = −400 … 400
SCAN_GRID = tuple(range(-400, 401))


@dataclass(frozen=True)
class Supremum:
    """sup_m f(m) over the reals: ``value`` (exact when SymPy found it), whether it is
    ``attained`` (a closed end of the range), and the scan's largest value (second opinion)."""

    value: sp.Expr
    attained: bool
    scan_max: float
    route: str  # "function_range"

    @property
    def finite(self) -> bool:
        return bool(self.value.is_finite)


def _mp_function(expr: sp.Expr, m: sp.Symbol) -> Callable[[Any], Any]:
    generic = {q: GENERIC for q in expr.free_symbols if q != m}
    f = sp.lambdify([m], expr.subs(generic), modules="mpmath")

    def value(x: Any) -> Any:
        try:
            v = mpmath.mpmathify(f(x))
        except (ZeroDivisionError, ValueError, TypeError, OverflowError, ArithmeticError):
            return None
        return abs(v) if mpmath.isfinite(v) else None

    return value


def scan_maximum(expr: sp.Expr, m: sp.Symbol) -> tuple[float, float]:
    """(largest |expr|, where) on the scan grid, refined by golden-section search around the
    best grid point (evidence, not a bound)."""
    value = _mp_function(expr, m)
    with mpmath.workdps(30):
        grid = [mpmath.sinh(mpmath.mpf(i) / 50) for i in SCAN_GRID]
        vals = [value(g) for g in grid]
        best = max(range(len(grid)), key=lambda i: -1 if vals[i] is None else vals[i])
        if vals[best] is None:
            return float("nan"), float("nan")
        lo = grid[max(best - 1, 0)]
        hi = grid[min(best + 1, len(grid) - 1)]
        g = (mpmath.sqrt(5) - 1) / 2

        def neg(x: Any) -> Any:
            v = value(x)
            return mpmath.inf if v is None else -v

        c, d = hi - g * (hi - lo), lo + g * (hi - lo)
        fc, fd = neg(c), neg(d)
        for _ in range(80):
            if fc < fd:
                hi, d, fd = d, c, fc
                c = hi - g * (hi - lo)
                fc = neg(c)
            else:
                lo, c, fc = c, d, fd
                d = lo + g * (hi - lo)
                fd = neg(d)
        x = (lo + hi) / 2
        vx = value(x)
        if vx is None or vx < vals[best]:
            return float(vals[best]), float(grid[best])
        return float(vx), float(x)


def supremum(expr: sp.Expr, m: sp.Symbol, budget: Budget, what: str) -> Supremum | None:
    """sup_m |expr| over the reals from :func:`function_range` (None when SymPy gave no
    interval within the budget, or the scan found a larger value: then nothing is claimed)."""
    if not budget.allows(expr, "path_ops", f"range of {what}"):
        return None

    def work() -> sp.Set:
        return function_range(expr, m, sp.S.Reals)

    rng = budget.call(work, f"range of {what}")
    if rng is None:
        return None
    parts = rng.args if isinstance(rng, sp.Union) else (rng,)
    if not parts or not all(isinstance(p, (sp.Interval, sp.FiniteSet)) for p in parts):
        return None
    best, attained = sp.Integer(0), True
    for part in parts:
        if isinstance(part, sp.FiniteSet):
            ends = [(abs(x), True) for x in part]
        else:
            ends = [(abs(part.inf), not part.left_open), (abs(part.sup), not part.right_open)]
        for v, closed in ends:
            if not v.is_number:
                return None
            if v == sp.oo or v > best:
                best, attained = v, closed
            elif v == best:
                attained = attained or closed
    scan, _ = scan_maximum(expr, m)
    if best.is_finite and scan == scan and scan > float(best) * (1 + 1e-12) + 1e-300:
        budget.record(f"range of {what}: the scan found {scan:.6g} > {sp.sstr(best)}")
        return None
    return Supremum(best, bool(attained),
                    scan, "function_range")


@dataclass(frozen=True)
class NeverNearOne:
    """sup |λ| < 1 over the magnitude parameter, with the supremum of |∂λ/∂p|²."""

    sup_abs_lam: Supremum
    sup_chain: Supremum | None  # None: the chain factor's range was not found


def never_near_one(nu: sp.Expr, chain: sp.Expr, m: sp.Symbol, budget: Budget
                   ) -> NeverNearOne | None:
    """The suprema of |λ| (``nu``: the signed λ or the modulus) and of ``chain`` over the real
    ``m``, when sup |λ| < 1 is shown (else None: nothing claimed)."""
    sup_lam = supremum(nu, m, budget, "|lam|")
    if sup_lam is None or not sup_lam.value.is_number or not sup_lam.value < 1:
        return None
    sup_chain = supremum(chain, m, budget, "|d lam/d p|^2") if chain.free_symbols <= {m} \
        else None
    return NeverNearOne(sup_lam, sup_chain)


def moment_bound(sup_lam: sp.Expr, sup_chain: sp.Expr, gamma: sp.Expr | None, r0: Any,
                 lam_symbol: sp.Symbol, budget: Budget) -> sp.Expr | None:
    """c · max_{[0, s]} γ² · R(0)/(1 − s)^4 (module docstring; γ decoupled), or None when
    the maximum of γ² on [0, s] is not found."""
    if r0 is None:
        return None
    g_max: sp.Expr = sp.Integer(1)
    if gamma is not None:
        g2 = gamma**2
        if not budget.allows(g2, "path_ops", "range of gamma^2"):
            return None
        rng = budget.call(lambda: function_range(g2, lam_symbol, sp.Interval(0, sup_lam)),
                          "range of gamma^2")
        if not isinstance(rng, sp.Interval) or not rng.sup.is_finite:
            return None
        g_max = rng.sup
    return sup_chain * g_max * r0 / (1 - sup_lam) ** 4
