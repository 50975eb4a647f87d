"""Evaluate a SymPy expression at a point with as many digits as its terms need.

A closed form such as the finite-horizon E h_t² of Zucchet & Orvieto (2024,
Lemma 1 with h_0 = 0) holds terms like 2^t λ^{2t} whose sum is far smaller than
the terms themselves; at t = 10⁴ a fixed 60 or 120 digits cannot see a
cancellation of 10^3000, and a Python float inside the evaluation (``2**(-t)``
with an ``int`` t) underflows to 0.  This module evaluates the expression tree
itself, node by node, in mpmath numbers only (every literal exact or at the
working precision, t an mpmath integer), and carries with each value a
first-order bound on its absolute error (a running error analysis, Higham,
*Accuracy and Stability of Numerical Algorithms*, 2nd ed., §3.3):

* a sum Σ vᵢ: eᵢ summed, plus u·Σ|vᵢ| for the roundings (u = 10^{−dps});
* a product Π vᵢ: Σᵢ eᵢ Π_{j≠i}|vⱼ| + n u |Π vᵢ|;
* b^x: |x b^{x−1}| e_b + |b^x log b| e_x + u|b^x|;
* a function f(a): |f′(a)| e_a + u|f(a)| (f′ from SymPy), with exp, log and the
  non-smooth functions (Abs, re, im, sign, floor, …) treated exactly.

The cancellation of a sum shows as a bound that is large against the value;
:func:`precise_value` then raises the working precision to the digits the bound
says were lost, and accepts a value only when its bound is below 10^{−digits}
relative *and* a second evaluation with more digits agrees with it within the
two bounds.  A value whose bound stays above its magnitude is settled in exact
rational arithmetic where the expression is rational in the point (an exact 0, or
its exact value); otherwise, up to :data:`MAX_DPS` digits, it is reported as zero
within that bound (``status == "zero"``); one that is undefined (a pole, log 0)
or not finite is reported so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

import mpmath
import sympy as sp

__all__ = ["GUARD_DIGITS", "MAX_DPS", "PreciseValue", "Unsupported", "precise_value"]

#: extra digits of the confirming evaluation, and the margin kept above the digits lost
GUARD_DIGITS = 20
#: largest working precision (decimal digits) tried before a value is declared zero/lost
MAX_DPS = 12_000


class Unsupported(TypeError):
    """The expression holds a node this evaluator does not bound (e.g. an unevaluated Sum)."""


@dataclass(frozen=True)
class PreciseValue:
    """A value with its error bound and how it was obtained.

    ``status``: ``"ok"`` (``value`` correct to ``rel_bound`` relative), ``"zero"``
    (|value| ≤ ``abs_bound``: zero as far as ``dps`` digits can tell), ``"undefined"``
    (a pole, log 0, 0⁻¹ at the point), ``"non_finite"`` or ``"lost"`` (the digits
    needed exceed ``max_dps``).  ``cancellation`` is log₁₀ of the largest term's
    scale over the value: the decimal digits the sums cancelled.
    """

    status: str
    value: Any
    abs_bound: Any
    dps: int
    cancellation: float

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def rel_bound(self) -> Any:
        if self.value is None or self.value == 0:
            return mpmath.inf
        return self.abs_bound / abs(self.value)


class _Undefined(ArithmeticError):
    pass


@lru_cache(maxsize=256)
def _derivative(func: type, arity: int, index: int) -> Callable[..., Any]:
    """∂f/∂(argument ``index``) of a SymPy function class, lambdified to mpmath."""
    xs = sp.symbols(f"_a0:{arity}")
    return sp.lambdify(xs, sp.diff(func(*xs), xs[index]), modules="mpmath")


_EXACT_FUNCS: dict[type, Callable[[Any], Any]] = {
    sp.Abs: abs,
    sp.re: mpmath.re,
    sp.im: mpmath.im,
    sp.conjugate: mpmath.conj,
}

_DISCONTINUOUS: dict[type, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    # function, distance of its argument to the nearest discontinuity
    sp.sign: (mpmath.sign, lambda a: abs(a)),
    sp.floor: (mpmath.floor, lambda a: min(a - mpmath.floor(a), mpmath.ceil(a) - a)
               if a != mpmath.floor(a) else mpmath.mpf(0)),
    sp.ceiling: (mpmath.ceil, lambda a: min(a - mpmath.floor(a), mpmath.ceil(a) - a)
                 if a != mpmath.floor(a) else mpmath.mpf(0)),
}


def _real_if_real(value: Any) -> Any:
    if isinstance(value, mpmath.mpc) and value.imag == 0:
        return value.real
    return value


class _Evaluator:
    """One evaluation of an expression tree at ``dps`` digits with error bounds."""

    def __init__(self, point: Mapping[sp.Symbol, Any], dps: int):
        self.dps = dps
        self.u = mpmath.mpf(10) ** (-dps)
        self.point = point
        self.memo: dict[sp.Basic, tuple[Any, Any]] = {}
        self.scale = mpmath.mpf(0)  # largest Σ|vᵢ| / |Σ vᵢ| met in a sum

    def __call__(self, e: sp.Basic) -> tuple[Any, Any]:
        hit = self.memo.get(e)
        if hit is None:
            hit = self._eval(e)
            self.memo[e] = hit
        return hit

    def _eval(self, e: sp.Basic) -> tuple[Any, Any]:  # noqa: PLR0911, PLR0912 - one case per node
        u = self.u
        if e.is_Symbol:
            if e not in self.point:
                raise Unsupported(f"no value for symbol {e}")
            return _exact_at_precision(self.point[e], u)
        if e.is_Integer:
            return _exact_at_precision(int(e), u)
        if e.is_Rational:
            v = mpmath.mpf(int(e.p)) / int(e.q)
            return v, u * abs(v)
        if e.is_Float:
            return mpmath.mpf(e._mpf_), mpmath.mpf(0)
        if e is sp.I:
            return mpmath.mpc(0, 1), mpmath.mpf(0)
        if e is sp.pi:
            return +mpmath.pi, u * mpmath.pi
        if e is sp.E:
            return mpmath.e, u * mpmath.e
        if e.is_Add:
            parts = [self(a) for a in e.args]
            v = mpmath.fsum(p[0] for p in parts)
            terms = mpmath.fsum(abs(p[0]) for p in parts)
            # mpmath.fsum adds exactly and rounds once, unless two terms are more than
            # 2·prec bits apart (the smaller is then dropped): rounding u|v|, plus u²Σ|vᵢ|
            # only in that case
            mags = [mpmath.mag(p[0]) for p in parts if p[0] != 0]
            spread = max(mags) - min(mags) if mags else 0
            dropped = u * u * terms if spread > 2 * mpmath.mp.prec - 8 else 0
            err = mpmath.fsum(p[1] for p in parts) + u * abs(v) + dropped
            if v != 0:
                self.scale = max(self.scale, terms / abs(v))
            elif terms != 0:
                self.scale = mpmath.inf
            return _real_if_real(v), err
        if e.is_Mul:
            parts = [self(a) for a in e.args]
            v = mpmath.mpf(1)
            for p in parts:
                v = v * p[0]
            mags = [abs(p[0]) for p in parts]
            err = u * len(parts) * abs(v)
            for i, p in enumerate(parts):
                if p[1]:
                    others = mpmath.mpf(1)
                    for j, m in enumerate(mags):
                        if j != i:
                            others *= m
                    err += p[1] * others
            return _real_if_real(v), err
        if e.is_Pow:
            return self._pow(e)
        if isinstance(e, sp.exp):
            a, ea = self(e.args[0])
            v = mpmath.exp(a)
            return _real_if_real(v), abs(v) * (ea + u)
        if isinstance(e, sp.log) and len(e.args) == 1:
            a, ea = self(e.args[0])
            if a == 0 or ea >= abs(a):
                raise _Undefined("log near 0")
            v = mpmath.log(a)
            return _real_if_real(v), ea / abs(a) + u * abs(v)
        if isinstance(e, tuple(_EXACT_FUNCS)):
            a, ea = self(e.args[0])
            return _EXACT_FUNCS[type(e)](a), ea
        if isinstance(e, tuple(_DISCONTINUOUS)):
            fn, distance = _DISCONTINUOUS[type(e)]
            a, ea = self(e.args[0])
            if isinstance(a, mpmath.mpc):
                raise Unsupported(f"{type(e).__name__} of a complex number")
            if distance(a) <= ea or (distance(a) == 0):
                raise _Undefined(f"{type(e).__name__} at its discontinuity")
            return fn(a), mpmath.mpf(0)
        if isinstance(e, (sp.Min, sp.Max)):
            parts = [self(a) for a in e.args]
            pick = min if isinstance(e, sp.Min) else max
            return pick(p[0] for p in parts), max(p[1] for p in parts)
        if isinstance(e, sp.Function) and not isinstance(e, sp.Sum):
            return self._function(e)
        raise Unsupported(f"cannot bound the error of {type(e).__name__}")

    def _pow(self, e: sp.Pow) -> tuple[Any, Any]:
        u = self.u
        base, exponent = e.args
        b, eb = self(base)
        if exponent.is_Integer:
            n = int(exponent)
            if n < 0 and (b == 0 or eb >= abs(b)):
                raise _Undefined("division by a value indistinguishable from 0")
            v = b**n if n >= 0 else 1 / b ** (-n)
            if n == 0:
                return mpmath.mpf(1), mpmath.mpf(0)
            db = abs(n) * abs(b) ** (n - 1) if b != 0 else mpmath.mpf(0 if n > 1 else 1)
            return _real_if_real(v), db * eb + u * abs(v)
        x, ex = self(exponent)
        if x == 0 and ex == 0:
            return mpmath.mpf(1), mpmath.mpf(0)  # b**0 = 1, 0**0 included (SymPy's convention)
        if b == 0:
            if mpmath.re(x) > 0 and eb == 0:
                return mpmath.mpf(0), mpmath.mpf(0)
            raise _Undefined("0 to a power that is not a positive constant")
        if eb >= abs(b):
            raise _Undefined("power of a value indistinguishable from 0")
        if isinstance(b, mpmath.mpf) and b < 0 and isinstance(x, mpmath.mpf) and ex == 0 \
                and x == mpmath.floor(x):
            v = b ** int(x) if abs(x) < 2**62 else mpmath.power(b, x)  # integer-valued (e.g. t)
        else:
            v = mpmath.power(b, x)
        err = abs(v) * (abs(x / b) * eb + abs(mpmath.log(b)) * ex + u)
        return _real_if_real(v), err

    def _function(self, e: sp.Function) -> tuple[Any, Any]:
        func = type(e)
        args = [self(a) for a in e.args]
        name = func.__name__
        mp_fn = getattr(mpmath, name, None)  # SymPy and mpmath share these names
        if mp_fn is None:
            raise Unsupported(f"no mpmath function for {name}")
        try:
            v = mp_fn(*(a[0] for a in args))
        except (ValueError, ZeroDivisionError) as exc:
            raise _Undefined(str(exc)) from None
        err = self.u * abs(v)
        for i, (_, ea) in enumerate(args):
            if ea:
                d = mpmath.mpmathify(_derivative(func, len(args), i)(*(a[0] for a in args)))
                err += abs(d) * ea
        return _real_if_real(mpmath.mpmathify(v)), err


#: largest numerator/denominator (bits) of the exact rational evaluation
EXACT_BITS = 1_000_000


def _exact_rational(expr: sp.Expr, point: Mapping[sp.Symbol, Any]) -> Fraction | None:
    """``expr`` at ``point`` in exact rational arithmetic when it is a rational function of
    the point (floats are dyadic rationals, integer-valued exponents such as t), and the
    numbers stay under :data:`EXACT_BITS`; ``None`` otherwise.  It settles whether a value
    that no working precision can tell from 0 is exactly 0."""
    memo: dict[sp.Basic, Fraction] = {}

    def size(q: Fraction) -> int:
        return q.numerator.bit_length() + q.denominator.bit_length()

    def ev(e: sp.Basic) -> Fraction:
        if e in memo:
            return memo[e]
        if e.is_Symbol:
            v = point[e]
            if isinstance(v, mpmath.mpf):
                v = mpmath.mpf(v)
                man, exp_ = v.man_exp
                out = Fraction(int(man)) * (Fraction(2) ** int(exp_))
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                out = Fraction(v)
            else:
                raise Unsupported("not a real exact point")
        elif e.is_Rational:
            out = Fraction(int(e.p), int(e.q))
        elif e.is_Add:
            out = sum((ev(a) for a in e.args), Fraction(0))
        elif e.is_Mul:
            out = Fraction(1)
            for a in e.args:
                out *= ev(a)
        elif e.is_Pow:
            n = ev(e.exp)
            if n.denominator != 1:
                raise Unsupported("a non-integer power")
            b = ev(e.base)
            if b == 0 and n < 0:
                raise ZeroDivisionError("0 to a negative power")
            if size(b) * abs(n.numerator) > EXACT_BITS:
                raise Unsupported("too many digits")
            out = b ** int(n.numerator)
        else:
            raise Unsupported(type(e).__name__)
        if size(out) > EXACT_BITS:
            raise Unsupported("too many digits")
        memo[e] = out
        return out

    try:
        return ev(expr)
    except (Unsupported, ZeroDivisionError, KeyError, OverflowError):
        return None


def _one(expr: sp.Expr, point: Mapping[sp.Symbol, Any], dps: int) -> tuple[Any, Any, float]:
    with mpmath.workdps(dps):
        ev = _Evaluator(point, dps)
        try:
            v, err = ev(expr)
        except (ZeroDivisionError, _Undefined):
            return None, None, 0.0
        v = mpmath.mpmathify(v)
        scale = ev.scale
        cancel = float(mpmath.log10(scale)) if scale and mpmath.isfinite(scale) and scale > 1 \
            else (math.inf if scale == mpmath.inf else 0.0)
        return +v, +err, cancel


def precise_value(expr: sp.Expr, point: Mapping[sp.Symbol, Any], *, digits: int = 50,
                  max_dps: int = MAX_DPS) -> PreciseValue:
    """``expr`` at ``point`` correct to ``digits`` significant digits (module docstring).

    ``point`` maps every free symbol to an exact number: a Python int or float (its
    binary value), an mpmath number, or a SymPy number (converted exactly or at the
    working precision).  Raises :class:`Unsupported` for a node the evaluator cannot
    bound (an unevaluated ``Sum``, an unknown function).
    """
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 1:
        raise ValueError(f"digits must be a positive integer, got {digits!r}")
    if isinstance(max_dps, bool) or not isinstance(max_dps, int) or max_dps < digits + GUARD_DIGITS:
        raise ValueError(f"max_dps must be an integer of at least digits + {GUARD_DIGITS} = "
                         f"{digits + GUARD_DIGITS}, got {max_dps!r}")
    missing = expr.free_symbols - set(point)
    if missing:
        raise ValueError(f"point: no value for {', '.join(sorted(map(str, missing)))}")
    exact = {s: _exact(v) for s, v in point.items()}
    dps = digits + GUARD_DIGITS
    cancellation = 0.0
    while True:
        v, err, cancel = _one(expr, exact, dps)
        cancellation = max(cancellation, cancel if math.isfinite(cancel) else float(dps))
        if v is None:
            return PreciseValue("undefined", None, None, dps, cancellation)
        if not mpmath.isfinite(v) or not mpmath.isfinite(err):
            return PreciseValue("non_finite", None, None, dps, cancellation)
        if v == 0 and err == 0:
            return PreciseValue("zero", v, err, dps, cancellation)  # exactly zero
        with mpmath.workdps(dps):
            good = v != 0 and err <= abs(v) * mpmath.mpf(10) ** (-digits)
        if good:
            v2, err2, _ = _one(expr, exact, dps + GUARD_DIGITS)
            with mpmath.workdps(dps + GUARD_DIGITS):
                agree = v2 is not None and abs(v - v2) <= 2 * (err + err2)
            if agree:
                return PreciseValue("ok", v2, err2, dps + GUARD_DIGITS, cancellation)
            lost = float(dps)  # the bound was not honest: double the digits
        else:
            with mpmath.workdps(dps):
                lost = float(mpmath.log10(err / abs(v))) + dps if v != 0 and err > 0 \
                    else float(dps)
        if (v == 0 or err >= abs(v)) and dps >= 4 * (digits + GUARD_DIGITS):
            q = _exact_rational(expr, exact)  # indistinguishable from 0: is it exactly 0?
            if q is not None:
                with mpmath.workdps(dps):
                    value = mpmath.mpf(q.numerator) / q.denominator
                if q == 0:
                    return PreciseValue("zero", value, mpmath.mpf(0), dps, cancellation)
                return PreciseValue("ok", value, abs(value) * mpmath.mpf(10) ** (-dps), dps,
                                    cancellation)
        if dps >= max_dps:
            if v == 0 or err >= abs(v):
                return PreciseValue("zero", v, err, dps, cancellation)
            return PreciseValue("lost", v, err, dps, cancellation)
        dps = min(max_dps, max(2 * dps, int(math.ceil(lost)) + digits + GUARD_DIGITS))


def _exact_at_precision(value: Any, u: Any) -> tuple[Any, Any]:
    """A point coordinate at the working precision with its error (0 when exact)."""
    if isinstance(value, int):
        v = mpmath.mpf(value)
        return v, (mpmath.mpf(0) if abs(value) < 2 ** mpmath.mp.prec else u * abs(v))
    return value, mpmath.mpf(0)


def _exact(value: Any) -> Any:
    """A point coordinate as an exact number: a Python int (converted at the working
    precision), or an mpmath number (Python floats are binary-exact)."""
    if isinstance(value, bool):
        raise TypeError("point values must be numbers, not bool")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"point values must be finite, got {value!r}")
        return mpmath.mpf(value)
    if isinstance(value, (mpmath.mpf, mpmath.mpc)):
        return value
    if isinstance(value, sp.Basic) and value.is_number:
        if value.is_Integer:
            return int(value)
        if value.is_Float:
            return mpmath.mpf(value._mpf_)
        raise ValueError(f"point value {value} is not exact in binary; pass a float or mpf")
    raise TypeError(f"point values must be numbers, got {type(value).__name__}")
