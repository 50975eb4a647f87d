"""The five gate moments over the noise u ~ N(0, 1) (docs/theory.md §10.1).

With λ = λ(u) and μ = ∂_pλ(u) at the point (p and the other parameters at their values):

    a1 = E λ,   a2 = E λ²,   b1 = E μ,   c = E λμ,   b2 = E μ².

A complex gate (§10.6) has a1 = E λ, a2 = E|λ|², b1 = E μ, c = E[λ̄ μ], b2 = E|μ|²: the same
for a real gate; a1, b1, c are then complex and a2, b2 real.

Two routes, chosen per integrand:

* **exact** — when the integrand expands into terms ``C u^n e^{b u}`` (b free of u), as
  for affine or log-normal gates: ``E[u^n e^{bu}] = e^{b²/2} Σ_j C(n, j) b^{n−j} E Z^j``
  with ``E Z^j = (j−1)!!`` for even j (completing the square); no integral is left to SymPy;
* **quadrature** — otherwise (e.g. ``exp(−exp(w + s u))``, sigmoids): composite
  Gauss–Legendre against the normal density on panels of width 2 covering [−L, L], with
  P(|Z| > L) < 10^(−dps−10), at ``dps + 15`` digits and two levels (48 and 96 nodes per
  panel); ``error`` is the difference of the two levels — an *estimate* of the error, not a
  proven bound (the truncation adds at most sup|f| · 10^(−dps−10) for a bounded integrand).

A gate may leave (−1, 1) for some u: the second moments only need a2 < 1 (mean-square
stability, :mod:`theory.gates.second_moments`), which the callers check.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import mpmath
import sympy as sp
from mpmath.calculus.quadrature import GaussLegendre
from rnnverify.theory.gates.gate import NOISE, Gate

__all__ = ["GATE_MOMENTS", "GateMoments", "gate_moments", "normal_expectation_exact"]

#: the keys of the gate moments, in the order (a1, a2, b1, c, b2)
GATE_MOMENTS: tuple[str, ...] = ("E_lam", "E_lam2", "E_dlam", "E_lam_dlam", "E_dlam2")


@dataclass(frozen=True)
class GateMoments:
    """a1 = E λ, a2 = E λ², b1 = E ∂_pλ, c = E λ∂_pλ, b2 = E (∂_pλ)² (mpmath numbers).

    ``method`` per moment (``"exact"`` or ``"quadrature"``); ``error`` the largest error
    estimate of a quadrature (0 when every moment is exact)."""

    a1: Any
    a2: Any
    b1: Any
    c: Any
    b2: Any
    methods: tuple[str, ...]
    error: Any

    def as_dict(self) -> dict[str, Any]:
        return dict(zip(GATE_MOMENTS, (self.a1, self.a2, self.b1, self.c, self.b2),
                        strict=True))


def _double_factorial_moment(j: int) -> int:
    """E Z^j for Z ~ N(0, 1)."""
    if j % 2:
        return 0
    out = 1
    for i in range(j - 1, 0, -2):
        out *= i
    return out


def _term_expectation(term: sp.Expr, u: sp.Symbol) -> sp.Expr | None:
    coeff, rest = term.as_independent(u, as_Add=False)
    if rest == 1:
        return coeff
    n, exponent = 0, sp.Integer(0)
    for factor in sp.Mul.make_args(sp.powsimp(rest, combine="exp")):
        base, power = factor.as_base_exp()
        if base == u and power.is_Integer and power > 0:
            n += int(power)
        elif isinstance(factor, sp.exp) or base is sp.E:
            arg = factor.args[0] if isinstance(factor, sp.exp) else power
            exponent += arg
        else:
            return None
    exponent = sp.expand(exponent)
    if exponent.has(u) and not exponent.is_polynomial(u):
        return None
    poly = sp.Poly(exponent, u) if exponent.has(u) else None
    if poly is not None and poly.degree() > 1:
        return None
    b = poly.coeff_monomial(u) if poly is not None else sp.Integer(0)
    e0 = sp.expand(exponent - b * u)
    if e0.has(u):
        return None
    moment = sum(sp.binomial(n, j) * b ** (n - j) * _double_factorial_moment(j)
                 for j in range(n + 1))
    return coeff * sp.exp(e0 + b**2 / 2) * moment


def normal_expectation_exact(f: sp.Expr, u: sp.Symbol = NOISE) -> sp.Expr | None:
    """E f(Z), Z ~ N(0, 1), exactly when ``f`` expands into terms C u^n e^{b u + e}
    (b, e free of u); ``None`` otherwise."""
    expanded = sp.expand(sp.powsimp(sp.expand(f), combine="exp"))
    total = sp.Integer(0)
    for term in sp.Add.make_args(expanded):
        value = _term_expectation(term, u)
        if value is None:
            return None
        total += value
    return total


#: Gauss–Legendre levels compared (mpmath degree k: 3·2^(k−1) nodes per panel)
GL_LEVELS = (5, 6)
#: panel width of the truncated line [−L, L]
PANEL_WIDTH = 2


def truncation(dps: int) -> int:
    """L with P(|Z| > L) < 10^(−dps−10): the quadratures integrate over [−L, L]."""
    return math.ceil(math.sqrt(2 * math.log(10) * (dps + 10))) + 1


@lru_cache(maxsize=8)
def _gl_nodes(level: int, prec: int, half_width: int) -> tuple[tuple[Any, Any], ...]:
    """Gauss–Legendre nodes and weights of all panels of [−L, L] at ``prec`` bits."""
    with mpmath.workprec(prec):
        rule = GaussLegendre(mpmath.mp)
        out = []
        for a in range(-half_width, half_width, PANEL_WIDTH):
            out += rule.get_nodes(mpmath.mpf(a), mpmath.mpf(a + PANEL_WIDTH), level, prec)
        return tuple(out)


def gl_expectations(node_values: Callable[[Any], Sequence[Any]], dps: int
                    ) -> tuple[list[Any], Any]:
    """E g_i(Z) for the values ``node_values(u) = (g_1(u), ...)`` by composite Gauss–Legendre
    on [−L, L] (:func:`truncation`) at two levels; returns the finer values and the largest
    difference between the levels (an error estimate)."""
    half = truncation(dps)
    levels = []
    with mpmath.workdps(dps + 15):
        norm = 1 / mpmath.sqrt(2 * mpmath.pi)
        for level in GL_LEVELS:
            sums: list[Any] | None = None
            for node, weight in _gl_nodes(level, mpmath.mp.prec, half):
                w = weight * mpmath.exp(-node * node / 2) * norm
                vals = node_values(node)
                if sums is None:
                    sums = [mpmath.mpf(0)] * len(vals)
                sums = [acc + w * v for acc, v in zip(sums, vals, strict=True)]
            levels.append(sums)
        error = max(abs(x - y) for x, y in zip(levels[0], levels[1], strict=True))
        return [+v for v in levels[1]], error


def _real_value(v: Any) -> Any:
    if isinstance(v, mpmath.mpc):
        if v.imag != 0:
            raise ValueError("the gate is not real at some u")
        return v.real
    return v


def _exact_value(f: sp.Expr, dps: int, complex_ok: bool = False) -> Any | None:
    exact = normal_expectation_exact(f)
    if exact is None:
        return None
    with mpmath.workdps(dps + 10):
        value = sp.N(exact, dps + 10)
        if complex_ok:
            re, im = value.as_real_imag()
            return mpmath.mpc(mpmath.mpf(sp.N(re, dps + 10)), mpmath.mpf(sp.N(im, dps + 10)))
        if not value.is_real:
            raise ValueError(f"E[{f}] is not real")
        return mpmath.mpf(value)


def gate_moments(gate: Gate, dps: int = 50) -> GateMoments:
    """The five gate moments of a random gate (not selective) at ``dps`` digits.

    ∂_pλ is the SymPy derivative; raises ``ValueError`` for a selective gate or a moment
    that is not finite.
    """
    if gate.selective:
        raise ValueError("a selective gate (using x) has no gate moments over u alone")
    lam_u, mu_u = gate.lam(), gate.dlam()
    cplx = gate.is_complex
    if cplx:
        lam_c, mu_c = sp.conjugate(lam_u), sp.conjugate(mu_u)
        integrands = (lam_u, lam_u * lam_c, mu_u, lam_c * mu_u, mu_u * mu_c)
    else:
        integrands = (lam_u, lam_u**2, mu_u, lam_u * mu_u, mu_u**2)
    values = [_exact_value(f, dps, complex_ok=cplx) for f in integrands]
    methods = tuple("exact" if v is not None else "quadrature" for v in values)
    error = mpmath.mpf(0)
    if None in values:
        lam_fn = sp.lambdify(NOISE, lam_u, modules="mpmath")
        mu_fn = sp.lambdify(NOISE, mu_u, modules="mpmath")

        def at_node(v: Any) -> tuple[Any, ...]:
            if cplx:
                a, b = mpmath.mpmathify(lam_fn(v)), mpmath.mpmathify(mu_fn(v))
                ac = mpmath.conj(a)
                return a, mpmath.re(a * ac), b, ac * b, mpmath.re(b * mpmath.conj(b))
            a, b = _real_value(mpmath.mpmathify(lam_fn(v))), _real_value(
                mpmath.mpmathify(mu_fn(v)))
            return a, a * a, b, a * b, b * b

        quad, error = gl_expectations(at_node, dps)
        values = [q if v is None else v for v, q in zip(values, quad, strict=True)]
    if cplx:  # E|λ|², E|μ|² are real: drop the rounding residue of an exact route
        values[1], values[4] = mpmath.re(values[1]), mpmath.re(values[4])
    for name, value, f in zip(GATE_MOMENTS, values, integrands, strict=True):
        if not mpmath.isfinite(value):
            raise ValueError(f"{name} = E[{f}] is not finite")
    return GateMoments(*values, methods, error)
