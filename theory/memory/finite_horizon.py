"""Finite-horizon brackets of Lemmas 1–2 in O(log t) for inputs with a rational spectrum.

The finite version of Lemma 1 (Zucchet & Orvieto 2024, appendix; :mod:`theory.memory.lemmas`)
writes F_T(α, β) = Σ_{n,m<T} α^n β^m R(n − m) = X_T / (1 − αβ) with

    X_T = R(0)(1 − α^T β^T) + Σ_{d=1}^{T−1} R(d) [α^d + β^d − α^T β^{T−d} − β^T α^{T−d}],

and the finite Lemma 2 needs ∂_αX_T, ∂_βX_T, ∂_α∂_βX_T.  With

    A_0(x) = Σ_{d=1}^{T−1} R(d) x^d,            A_1(x) = Σ_{d=1}^{T−1} d R(d) x^{d−1},
    B_0(y) = Σ_{d=1}^{T−1} R(d) y^{T−d},         B_1(y) = Σ_{d=1}^{T−1} (T − d) R(d) y^{T−d−1},

the four brackets are (R(0) part added separately)

    X     = A_0(α) + A_0(β) − α^T B_0(β) − β^T B_0(α)
    ∂_αX  = A_1(α) − T α^{T−1} B_0(β) − β^T B_1(α)
    ∂_βX  = A_1(β) − T β^{T−1} B_0(α) − α^T B_1(β)
    ∂²X   = −T α^{T−1} B_1(β) − T β^{T−1} B_1(α).

When the generating function G(z) = Σ_{k≥1} R(k) z^k is rational, G = P/Q, the
coefficients obey the recurrence Σ_i q_i R(k − i) = 0 for k > deg P, so
R(d) = u^T C^{d−d_s} v (C the companion matrix of Q) from some small d_s on.  Each sum
above is then Σ_{j<n} P^j Q^{n−1−j} for commuting-block matrices (P, Q) — the top-right
block of [[P, I], [0, Q]]^n — computed by binary doubling in O(log T) products of
2p × 2p matrices (p = deg Q); the derivatives ride along as dual numbers
(x ↦ [[x, 1], [0, x]]).  The O(T) route (:func:`theory.memory.moments.finite_kernel_values`)
stays as the independent reference; tests compare the two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import mpmath
import sympy as sp
from rnnverify.theory.memory.autocorr import Autocorrelation
from rnnverify.theory.symbols import rho

_z = sp.Symbol("z_rec")


@dataclass(frozen=True)
class Recurrence:
    """R(d) = u^T C^{d − start} v for every d ≥ start (start ≥ 1); R(1..start−1) listed."""

    C: mpmath.matrix
    u: mpmath.matrix
    v: mpmath.matrix
    start: int
    head: tuple[Any, ...]  # R(1), ..., R(start − 1)

    @property
    def order(self) -> int:
        return self.C.rows


@lru_cache(maxsize=64)
def _rational_parts(r_expr: sp.Expr, rho_value: sp.Expr | None) -> tuple[list, list] | None:
    """(numerator, denominator) coefficient lists (ascending powers of z) of G(z), or None."""
    g = Autocorrelation(r_expr, "R").generating_function(_z)
    if g.method != "closed":
        return None
    expr = g.expr if rho_value is None else g.expr.subs(rho, rho_value)
    if expr.free_symbols - {_z}:
        return None
    num, den = sp.fraction(sp.together(expr))
    try:
        pn, pd = sp.Poly(sp.expand(num), _z), sp.Poly(sp.expand(den), _z)
    except sp.PolynomialError:
        return None
    if pd.is_zero or pd.eval(0) == 0:
        return None
    return list(reversed(pn.all_coeffs())), list(reversed(pd.all_coeffs()))


def _exact(value: Any) -> sp.Expr | None:
    """``value`` as an exact SymPy number (binary floats and mpf exactly, not rounded)."""
    if value is None or isinstance(value, sp.Basic):
        return value
    if isinstance(value, mpmath.mpf):
        man, exp = value.man_exp  # magnitude only: the sign is separate
        return (-1 if value < 0 else 1) * sp.Integer(man) * sp.Integer(2) ** exp
    if isinstance(value, float):
        return sp.Rational(value)
    return sp.nsimplify(str(value), rational=True)


def recurrence(ac: Autocorrelation, rho_value: Any = None, *,
               dps: int = 50) -> Recurrence | None:
    """Linear-recurrence realization of R(d), d ≥ 1, when G is rational (else ``None``).

    Confirmed against R(d) evaluated directly at the first 2·order + 4 lags past the
    start (a realization that disagrees is rejected, never used).
    """
    parts = _rational_parts(ac.expr, _exact(rho_value) if ac.has_rho else None)
    if parts is None:
        return None
    num, den = parts
    with mpmath.workdps(dps):
        q = [mpmath.mpmathify(sp.N(c, dps + 10)) for c in den]
        p = len(q) - 1
        start = max(len(num) - 1, 1)  # the recurrence holds for k > deg P
        if p == 0:  # G polynomial: R(d) = 0 from deg P + 1 on
            head = tuple(ac.evaluate(d, dps, rho=rho_value) for d in range(1, start + 1))
            C, u, v = mpmath.matrix([[0]]), mpmath.matrix([[1]]), mpmath.matrix([[0]])
            return Recurrence(C, u, v, start + 1, head)

        def R(d: int) -> Any:
            return mpmath.mpf(0) if d < 1 else ac.evaluate(d, dps, rho=rho_value)

        C = mpmath.matrix(p, p)
        for i in range(p):
            C[0, i] = -q[i + 1] / q[0]
            if i + 1 < p:
                C[i + 1, i] = 1
        u = mpmath.matrix(1, p)
        u[0, 0] = 1
        v = mpmath.matrix(p, 1)
        for i in range(p):
            v[i, 0] = R(start - i)
        head = tuple(R(d) for d in range(1, start))
        rec = Recurrence(C, u, v, start, head)
        state = v
        for d in range(start, start + 2 * p + 4):
            direct = R(d)
            if abs((u * state)[0, 0] - direct) > mpmath.mpf(10) ** (-dps // 2) * (1 + abs(direct)):
                return None
            state = C * state
        return rec


def _dual(x: Any) -> mpmath.matrix:
    return mpmath.matrix([[x, 1], [0, x]])


def _kron(A: mpmath.matrix, B: mpmath.matrix) -> mpmath.matrix:
    out = mpmath.matrix(A.rows * B.rows, A.cols * B.cols)
    for i in range(A.rows):
        for j in range(A.cols):
            a = A[i, j]
            if a == 0:
                continue
            for k in range(B.rows):
                for m in range(B.cols):
                    out[i * B.rows + k, j * B.cols + m] = a * B[k, m]
    return out


def convolution_power_sum(P: mpmath.matrix, Q: mpmath.matrix, n: int,
                          tick: Callable[[], None] | None = None) -> mpmath.matrix:
    """Σ_{j=0}^{n−1} P^j Q^{n−1−j} by binary doubling: O(log n) matrix products.

    Uses (P^a, Q^a, S_a) ∘ (P^b, Q^b, S_b) = (P^{a+b}, Q^{a+b}, S_a Q^b + P^a S_b), the
    block product of [[P, I], [0, Q]] powers.  ``tick`` is called once per bit (progress).
    """
    size = P.rows
    res = (mpmath.eye(size), mpmath.eye(size), mpmath.zeros(size, size))
    base = (P, Q, mpmath.eye(size))
    while n:
        if n & 1:
            res = (res[0] * base[0], res[1] * base[1], res[2] * base[1] + res[0] * base[2])
        n >>= 1
        if n:
            base = (base[0] * base[0], base[1] * base[1],
                    base[2] * base[1] + base[0] * base[2])
        if tick is not None:
            tick()
    return res[2]


def _sandwich(u: mpmath.matrix, M: mpmath.matrix, v: mpmath.matrix, k: int, m: int) -> Any:
    """u^T M_{(k, m)} v where M = Σ C-blocks ⊗ 2×2 dual blocks; picks dual entry (k, m)."""
    p = u.cols
    total = mpmath.mpf(0)
    for i in range(p):
        if u[0, i] == 0:
            continue
        for j in range(p):
            total += u[0, i] * M[2 * i + k, 2 * j + m] * v[j, 0]
    return total


def _sums(rec: Recurrence, x: Any, horizon: int,
          tick: Callable[[], None] | None) -> tuple[Any, Any, Any, Any]:
    """(A_0(x), A_1(x), B_0(x), B_1(x)) of the module docstring at horizon T."""
    T = horizon
    A0 = A1 = B0 = B1 = mpmath.mpf(0)
    for d, r in enumerate(rec.head, start=1):  # the few lags before the recurrence holds
        if d >= T:
            break
        A0 += r * x**d
        A1 += d * r * x ** (d - 1)
        B0 += r * x ** (T - d)
        B1 += (T - d) * r * x ** (T - d - 1)
    s = rec.start
    n = T - s
    if n <= 0:
        return A0, A1, B0, B1
    eye2 = mpmath.eye(2)
    # A: Σ_{j<n} (x C)^j with x dual
    SA = convolution_power_sum(_kron(rec.C, _dual(x)), mpmath.eye(2 * rec.order), n, tick)
    a00, a01 = _sandwich(rec.u, SA, rec.v, 0, 0), _sandwich(rec.u, SA, rec.v, 0, 1)
    A0 += x**s * a00
    A1 += s * x ** (s - 1) * a00 + x**s * a01
    # B: Σ_{j<n} C^j y^{n−1−j} with y dual; B_0 = y·K0, B_1 = K0 + y·K1
    SB = convolution_power_sum(_kron(rec.C, eye2), _kron(mpmath.eye(rec.order), _dual(x)), n,
                               tick)
    k0, k1 = _sandwich(rec.u, SB, rec.v, 0, 0), _sandwich(rec.u, SB, rec.v, 0, 1)
    B0 += x * k0
    B1 += k0 + x * k1
    return A0, A1, B0, B1


def doubling_steps(horizon: int) -> int:
    """Matrix-doubling rounds :func:`finite_brackets` performs (for progress reporting)."""
    return 4 * max(1, int(horizon).bit_length())


def finite_brackets(rec: Recurrence, r0: Any, a: Any, b: Any, horizon: int,
                    tick: Callable[[], None] | None = None) -> tuple[Any, Any, Any, Any]:
    """(X_T, ∂_αX_T, ∂_βX_T, ∂_α∂_βX_T) at (α, β) in O(log T) (module docstring)."""
    T = int(horizon)
    if T < 1:
        raise ValueError(f"horizon must be a positive integer, got {horizon!r}")
    Aa0, Aa1, Ba0, Ba1 = _sums(rec, a, T, tick)
    if a == b:
        Ab0, Ab1, Bb0, Bb1 = Aa0, Aa1, Ba0, Ba1
    else:
        Ab0, Ab1, Bb0, Bb1 = _sums(rec, b, T, tick)
    aT, bT = a**T, b**T
    aT1, bT1 = a ** (T - 1), b ** (T - 1)
    X = r0 * (1 - aT * bT) + Aa0 + Ab0 - aT * Bb0 - bT * Ba0
    Xa = -r0 * T * aT1 * bT + Aa1 - T * aT1 * Bb0 - bT * Ba1
    Xb = -r0 * T * bT1 * aT + Ab1 - T * bT1 * Ba0 - aT * Bb1
    Xab = -r0 * T * T * aT1 * bT1 - T * aT1 * Bb1 - T * bT1 * Ba1
    return X, Xa, Xb, Xab
