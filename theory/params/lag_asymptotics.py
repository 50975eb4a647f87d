"""Order of K = E|d_λh|² as |λ| → 1⁻ for an R(k) without a closed-form generating function.

The moment K (Lemmas 1–2 of Zucchet & Orvieto 2024; :func:`theory.memory.moments.moment_expr`)
sees R only through the lag sums G(z) = Σ_{k≥1} z^k R(k) and G'(z) = Σ_{k≥1} k z^{k−1} R(k)
at z = λ and conj λ.  When SymPy finds no closed form they stay as ``Sum`` objects; their
behaviour as z → z* (the limit point 1, −1 or e^{±iθ*}) replaces the series of a closed form:

* **summable R** (R(k) = O(k^{−α}), α > 1, or faster than every power): G(z) → G(z*), the
  spectral density S(θ*) = R(0) + G(e^{iθ*}) + G(e^{−iθ*}) (S(0) = Σ_k R(k) for λ → 1,
  S(π) = Σ_k (−1)^k R(k) for λ → −1) carries the leading term, with a correction
  O(ε^{min(α−1, 1)}); G'(z) → G'(z*) when α > 2 (or z* ≠ 1), else grows at most like
  ε^{α−2};
* **long memory** R(k) ~ c k^{−α}, 0 < α < 1, at z* = 1: the Tauberian asymptotics of the
  lag sums (Σ_k k^{−α} z^k ~ Γ(1−α)(1−z)^{α−1}, Feller, *An Introduction to Probability
  Theory* II, §XIII.5, Thm 5)

      G(z) ~ c Γ(1−α) (1−z)^{α−1},    G'(z) ~ c Γ(2−α) (1−z)^{α−2},

  so the order is not an integer (4 − α for γ = 1: K ~ c Γ(1−α)(2−α)/2 · ε^{α−4}) and the
  coefficient is a closed form in Gamma functions.  The next term of R at k = ∞,
  R − c k^{−α} ~ d k^{−β}, bounds the corrections.

Each lag sum is replaced by its limit (or its Tauberian term) plus a symbol times the
majorant of its correction; the leading term of K comes from the limits, and it stands
only when every correction term is less singular (checked symbolically, term by term).
Constants G(z*) come from :func:`mpmath.nsum` by two methods (Euler–Maclaurin and Levin's
u-transform at z = 1; Levin and Richardson/Shanks elsewhere on the circle) that must
agree: an estimate, not a proven tail bound, recorded with its size; the closed form of
:func:`sympy.summation` is used for the coefficient when SymPy finds one and it agrees
to 18 digits.
The second opinion is numeric: K evaluated with the lag sums at 1 − |λ| = 10^{−3, −4, −5}
(Euler–Maclaurin near z = 1, Levin's transformation on the rest of the circle), and its
local log-log slope compared with the order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import mpmath
import sympy as sp
from rnnverify.theory.budget import Budget
from rnnverify.theory.params.asymptotics import eps, order_and_coefficient
from rnnverify.theory.symbols import k, lam, theta

__all__ = ["Decay", "LagAsymptoticsError", "LagOrder", "decay_of", "lag_moment_order",
           "lag_sum"]

#: digits of the lag sums
LAG_DPS = 25
#: 1 − |λ| of the numeric second opinion
CHECK_EPSILONS = ("1e-3", "1e-4", "1e-5")
#: a logarithm is majorised by this power (|log ε| ≤ ε^{−δ} eventually)
LOG_SLACK = sp.Rational(1, 100)


class LagAsymptoticsError(ValueError):
    """The lag-sum route cannot decide the order (R's decay not recognised, a sum that does
    not settle, a correction as singular as the leading term)."""


@dataclass(frozen=True)
class Decay:
    """R(k) ~ c k^{−α} (+ d k^{−β}) as k → ∞ (``kind`` "power"), faster than every power
    (``kind`` "fast", α = ∞), or not recognised (``kind`` "unknown")."""

    kind: str
    c: sp.Expr = sp.Integer(0)
    alpha: sp.Expr = sp.oo
    beta: sp.Expr = sp.oo  # exponent of the next term (∞: none found or exact power)

    @property
    def summable(self) -> bool:
        return self.kind == "fast" or (self.kind == "power" and bool(self.alpha > 1))

    @property
    def long_memory(self) -> bool:
        return self.kind == "power" and bool(0 < self.alpha < 1)

    def text(self) -> str:
        if self.kind == "fast":
            return "R(k) decays faster than every power of k"
        if self.kind == "power":
            return f"R(k) ~ {sp.sstr(self.c)} k^(-{sp.sstr(self.alpha)})"
        return "decay of R(k) not recognised"


def decay_of(r_expr: sp.Expr, budget: Budget) -> Decay:
    """The decay of R(k) at k = ∞ from the leading terms of R(1/x) as x → 0⁺ (SymPy, within
    the budget), or "fast" when k^8 R(k) → 0 without a power-law leading term."""
    x = sp.Symbol("x_", positive=True)
    kk = sp.Symbol("k_", positive=True)
    r = r_expr.subs(k, kk)
    if not budget.allows(r, "path_ops", "decay of R(k)"):
        return Decay("unknown")

    def lead() -> tuple[sp.Expr, sp.Expr, sp.Expr] | None:
        e = r.subs(kk, 1 / x)
        c, a = e.leadterm(x)
        if c.has(x) or not (c.is_number and a.is_number) or c == 0:
            return None
        rest = sp.simplify(e / (c * x**a) - 1)
        beta = sp.oo
        if rest != 0:
            try:
                c2, b2 = rest.leadterm(x)
                if c2.is_number and b2.is_number and b2 > 0 and not c2.has(x):
                    beta = a + b2
            except (ValueError, NotImplementedError, TypeError, sp.PoleError):
                beta = a  # unknown next term: no better than the leading one
        return c, a, beta

    found = budget.call(lead, "decay of R(k)")
    if found is not None and found[1] > 0:
        return Decay("power", found[0], found[1], found[2])

    def fast() -> bool:
        return sp.limit(kk**8 * r, kk, sp.oo) == 0 and sp.limit(kk**8 * sp.Abs(r), kk,
                                                               sp.oo) == 0

    if found is None and budget.call(fast, "decay of R(k) (faster than powers)"):
        return Decay("fast")
    return Decay("unknown")


def lag_sum(r_expr: sp.Expr, z: Any, weighted: bool, dps: int = LAG_DPS
            ) -> tuple[Any, Any] | None:
    """(Σ_{k≥1} w(k) z^k' R(k), error estimate) with w = 1, k' = k (G) or w = k, k' = k − 1
    (G'), by :func:`mpmath.nsum` with two methods (Euler–Maclaurin and Levin for real
    positive z, Levin and Richardson/Shanks otherwise); None when they disagree beyond
    10^{−10} relative (then no value is claimed)."""
    fn = sp.lambdify([k], r_expr, modules="mpmath")
    with mpmath.workdps(dps):
        zz = mpmath.mpmathify(z)

        def term(n: Any) -> Any:
            n = mpmath.mpf(n)
            return (n * zz ** (n - 1) if weighted else zz**n) * fn(n)

        values = []
        # Euler–Maclaurin needs a smooth summand (z real, positive), checked there by Levin's
        # u-transform (good for algebraic decay, where Richardson is not); oscillating
        # summands (z = −1 or complex, Abel sums included) by Levin and Richardson/Shanks
        near_one = mpmath.im(zz) == 0 and mpmath.re(zz) > 0
        for method in (("e", "levin") if near_one else ("levin", "r+s")):
            try:
                values.append(mpmath.nsum(term, [1, mpmath.inf], method=method))
            except (ValueError, ZeroDivisionError, ArithmeticError, OverflowError):
                continue
        if len(values) < 2:
            return None
        err = abs(values[0] - values[1])
        scale = max(abs(values[0]), mpmath.mpf(1))
        if not mpmath.isfinite(values[0]) or err > mpmath.mpf(10) ** -10 * scale:
            return None
        return values[0], err


@dataclass(frozen=True)
class _LagSum:
    """One ``Sum`` of K: G (``weighted`` False) or G' at z (an expression in lam, theta)."""

    atom: sp.Sum
    z: sp.Expr
    weighted: bool


def _classify(atom: sp.Sum, r_expr: sp.Expr) -> _LagSum | None:
    (var, lo, hi) = atom.limits[0]
    if lo != 1 or hi != sp.oo:
        return None
    g = sp.powsimp(sp.simplify(atom.function.subs(var, k) / r_expr), force=True)
    g1, g2, g3 = (g.subs(k, n) for n in (1, 2, 3))
    if sp.simplify(g1 - 1) == 0 and g.has(k):
        z = sp.simplify(g2 / 2)
        if sp.simplify(g3 - 3 * z**2) == 0:
            return _LagSum(atom, z, True)
        return None
    z = g1
    if sp.simplify(g2 - z**2) == 0 and sp.simplify(g3 - z**3) == 0:
        return _LagSum(atom, z, False)
    return None


@dataclass(frozen=True)
class LagOrder:
    """K ~ coefficient · ε^{−order} from the lag-sum asymptotics, with its notes and the
    numeric second opinion (``extra``)."""

    order: sp.Expr
    coefficient: sp.Expr
    notes: tuple[str, ...]
    extra: dict[str, Any] = field(default_factory=dict)


def _lam_of_eps(target: str) -> sp.Expr:
    return -1 + eps if target == "-1" else 1 - eps


def lag_moment_order(k_expr: sp.Expr, r_expr: sp.Expr, target: str, angle: sp.Expr | None,
                     budget: Budget) -> LagOrder:
    """(order, coefficient) of K as |λ| → 1⁻ towards ``target`` ("1", "-1", or "circle" at
    the fixed ``angle``) when K holds unevaluated lag sums (module docstring).  Raises
    ValueError when R's decay is not recognised or a correction is not shown subleading."""
    sums = [_classify(a, r_expr) for a in k_expr.atoms(sp.Sum)]
    if any(s is None for s in sums):
        raise LagAsymptoticsError("the lag sums of K have an unexpected form")
    decay = decay_of(r_expr, budget)
    if decay.kind == "unknown":
        raise LagAsymptoticsError("the decay of R(k) at large k is not recognised (neither a power "
                         "law c k^(-a) nor faster than every power)")
    point = {lam: 1 if target != "-1" else -1}
    if angle is not None:
        point[theta] = angle
    lam_eps = _lam_of_eps(target)
    notes = [decay.text()]
    const: dict[sp.Expr, sp.Expr] = {}
    major: dict[sp.Expr, sp.Expr] = {}
    corrections: list[sp.Symbol] = []
    numbers: dict[str, Any] = {}
    for i, s in enumerate(sums):
        z_star = sp.simplify(s.z.subs(point))
        z_eps = (s.z if angle is None else s.z.subs(theta, angle)).subs(lam, lam_eps)
        gap = sp.Integer(1) - z_eps  # 1 − z, = ε on the real axis at z* = 1
        corr = sp.Symbol(f"P{i}_")
        corrections.append(corr)
        at_one = sp.simplify(z_star - 1) == 0
        if at_one and decay.long_memory:
            a, c = decay.alpha, decay.c
            lead = c * sp.gamma(2 - a) * gap ** (a - 2) if s.weighted else \
                c * sp.gamma(1 - a) * gap ** (a - 1)
            b = min(decay.beta, sp.Integer(2) if s.weighted else sp.Integer(1))
            power = b - (2 if s.weighted else 1)
            power = power - LOG_SLACK if power == 0 else power
            const[s.atom] = lead
            major[s.atom] = lead + corr * eps ** power
            continue
        if at_one and not decay.summable:
            raise LagAsymptoticsError(f"{decay.text()}: the lag sum diverges like a logarithm at "
                             "lam -> 1 (alpha = 1); not covered")
        summable_g = decay.summable or not at_one
        if s.weighted and at_one and not (decay.kind == "fast" or decay.alpha > 2):
            # G'(z) ≤ Σ k^{1−α} |z|^k ~ ε^{α−2} (a logarithm at α = 2): no constant
            power = decay.alpha - 2 - (LOG_SLACK if decay.alpha == 2 else 0)
            const[s.atom] = sp.Integer(0)
            major[s.atom] = corr * eps ** power
            continue
        if not summable_g:
            raise LagAsymptoticsError(f"{decay.text()}: not covered at this limit point")
        value = lag_sum(r_expr, complex(sp.N(z_star, 30)) if not z_star.is_real
                        else sp.N(z_star, 30), s.weighted)
        if value is None:
            raise LagAsymptoticsError("the lag sum at the limit point did not converge to a value "
                             "two summation methods agree on")
        v, err = value
        exact = _closed_sum(r_expr, z_star, s.weighted, v, budget)
        const[s.atom] = exact if exact is not None else sp.Float(mpmath.re(v), 20) + (
            sp.I * sp.Float(mpmath.im(v), 20) if mpmath.im(v) != 0 else 0)
        name = ("G'" if s.weighted else "G") + f"({sp.sstr(z_star)})"
        numbers[name] = {"value": complex(v).real if mpmath.im(v) == 0 else str(complex(v)),
                         "estimated_error": float(err),
                         "closed_form": None if exact is None else sp.sstr(exact)}
        if at_one and decay.kind == "power":
            b = decay.alpha - (2 if s.weighted else 1)
            power = sp.Min(b, 1)
            power = power - LOG_SLACK if b == 1 else power
        else:
            power = sp.Integer(1) - LOG_SLACK
        major[s.atom] = const[s.atom] + corr * eps ** power
    at_angle = {} if angle is None else {theta: angle}  # after the sums are replaced
    k_const = k_expr.subs(const).subs(at_angle).subs(lam, lam_eps)
    order, coeff = _leading(k_const)
    k_major = k_expr.subs(major).subs(at_angle).subs(lam, lam_eps)
    for corr in corrections:
        d = sp.diff(k_major, corr).subs({q: 0 for q in corrections})
        if d == 0:
            continue
        o_d, _ = _leading(d)
        if not bool(o_d < order):
            raise LagAsymptoticsError(
                "a correction of the lag sums is as singular as the leading term (e.g. the "
                "spectral density vanishes at the limit point)")
    notes.append(_meaning(decay, target, angle))
    extra: dict[str, Any] = {"lag_sums": numbers, "decay": decay.text()}
    check = _numeric_slope(k_expr, r_expr, target, angle, sums)
    if check is not None:
        extra["order_numeric"] = check
        notes.append(f"numeric second opinion: local slope {check['slope']:.5g} at "
                     f"1-|lam| = {CHECK_EPSILONS[-2]}..{CHECK_EPSILONS[-1]} "
                     f"(the order of K = E|d_lam h|^2: {sp.sstr(order)} = {float(order):.5g})")
    return LagOrder(order, coeff, tuple(notes), extra)


def _meaning(decay: Decay, target: str, angle: sp.Expr | None) -> str:
    if decay.long_memory and target == "1":
        return ("long memory: Tauberian asymptotics of the lag sums, G ~ c Gamma(1-a) "
                "(1-lam)^(a-1), G' ~ c Gamma(2-a) (1-lam)^(a-2)")
    where = "S(0)" if target == "1" else "S(pi)" if target == "-1" else \
        f"S({sp.sstr(angle)})"
    return f"leading term from the spectral density {where} at the limit point"


def _closed_sum(r_expr: sp.Expr, z_star: sp.Expr, weighted: bool, value: Any,
                budget: Budget) -> sp.Expr | None:
    """Σ w(k) z*^k R(k) in closed form by :func:`sympy.summation` when it agrees with the
    numeric ``value`` to 20 digits, else None."""
    term = (k * z_star ** (k - 1) if weighted else z_star**k) * r_expr
    if not budget.allows(term, "path_ops", "closed form of a lag sum"):
        return None

    def work() -> sp.Expr | None:
        out = sp.summation(term, (k, 1, sp.oo))
        if out.has(sp.Sum) or out.has(sp.Piecewise) or not out.is_number:
            return None
        return out

    out = budget.call(work, "closed form of a lag sum")
    if out is None:
        return None
    try:
        diff = abs(complex(sp.N(out, 30)) - complex(value))
    except (TypeError, ValueError):
        return None
    return out if diff <= 1e-18 * max(1.0, abs(complex(value))) else None


def _leading(expr_eps: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """(order, coefficient) with expr ~ coefficient ε^{−order}."""
    back = expr_eps.subs(eps, 1 - lam)
    return order_and_coefficient(back, lam, 1, "-")


def _numeric_slope(k_expr: sp.Expr, r_expr: sp.Expr, target: str, angle: sp.Expr | None,
                   sums: list[Any]) -> dict[str, Any] | None:
    """K at 1 − |λ| = 10^{−3, −4, −5} with the lag sums by Euler–Maclaurin; the last local
    slope −Δ log K / Δ log ε (None when an evaluation fails)."""
    fn: Callable[..., Any] = sp.lambdify(
        [lam, theta, *[sp.Symbol(f"S{i}_") for i in range(len(sums))]],
        k_expr.subs({s.atom: sp.Symbol(f"S{i}_") for i, s in enumerate(sums)}),
        modules="mpmath")
    values = []
    with mpmath.workdps(LAG_DPS):
        for e_text in CHECK_EPSILONS:
            e = mpmath.mpf(e_text)
            lam_v = 1 - e if target != "-1" else -1 + e
            th = 0 if angle is None else mpmath.mpf(sp.N(angle, 30))
            sums_v = []
            for s in sums:
                z = complex(sp.N(s.z.subs({lam: sp.Float(str(lam_v), 30),
                                            theta: sp.Float(str(th), 30)}), 30))
                z = z.real if z.imag == 0 else z
                fr = sp.lambdify([k], r_expr, modules="mpmath")
                zz = mpmath.mpmathify(z)
                method = "e" if mpmath.im(zz) == 0 and mpmath.re(zz) > 0 else "levin"
                try:
                    sums_v.append(mpmath.nsum(
                        lambda n, zz=zz, w=s.weighted, fr=fr: (
                            n * zz ** (n - 1) if w else zz**n) * fr(mpmath.mpf(n)),
                        [1, mpmath.inf], method=method))
                except (ValueError, ZeroDivisionError, ArithmeticError):
                    return None
            values.append((e, mpmath.re(fn(lam_v, th, *sums_v))))
    if any(v <= 0 for _, v in values):
        return None
    (e1, v1), (e2, v2) = values[-2], values[-1]
    slope = -(mpmath.log(v2) - mpmath.log(v1)) / (mpmath.log(e2) - mpmath.log(e1))
    return {"slope": float(slope), "epsilons": [float(e) for e, _ in values],
            "values": [float(v) for _, v in values]}
