"""Order and coefficient of E|d_p h|² along each limit path of a parametrization.

With h = γ h̃ and λ = λ(q), the chain rule (Zucchet & Orvieto 2024, §3; see
:mod:`theory.params.parametrizations`) gives

    E|d_p h|² = |∂λ/∂p|² · K(|λ|, θ),

where K is E|d_λ h|² of :func:`theory.memory.moments.moment_expr` with the input gain
γ(|λ|) (held fixed, or differentiated through for real λ).  Along a path of
:mod:`theory.params.limit_paths` (local variable s → 0⁺, ε = 1 − |λ| → 0⁺):

* **symbolic route** — K ~ a ε^{−k} from the series of K at λ = ±1 (or ν = 1 at
  fixed θ) (:func:`theory.params.asymptotics.order_and_coefficient`);
  |∂λ/∂p|² ~ c ε^{α} from the limits α = lim log|∂λ/∂p|² / log ε and
  c = lim |∂λ/∂p|² ε^{−α} in s (:func:`sympy.limit`, on expressions within the
  budget's ``limit_ops``: a work cap, so the route does not depend on the clock).  Then the
  order is k − α and the coefficient c·a.  No inversion of |λ(q)| is needed;
* **numeric route** — when a limit does not come out (or the angle moves with
  the magnitude parameter): points along the path where ε = 10^{−4}, 10^{−6}, …,
  10^{−24} (found by bisection in s at 150 digits), local slopes
  −Δlog E/Δlog ε, Richardson-extrapolated for an O(ε) correction; the error
  estimate is the change of the last two extrapolants.  The order is reported
  as an exact small-denominator rational when it lies within the error of one.

**Uniformity.**  With a free angle θ (complex λ whose angle is set by a
parameter that stays free) the coefficient C(θ, q) of a bounded path must stay
bounded over θ ∈ [−π, π] and the free parameters: candidate singularities are
the real zeros of its denominator, θ = 0 and π, and q → ±∞, each tested for
growth.  The real-axis angles θ = 0 (λ → 1) and θ = π (λ → −1) are also
analysed as paths of their own; the regime's order is that of the worst path.
A path is *bounded* when its order is ≤ 0 and it is uniform.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp
from rnnverify.theory.budget import Budget
from rnnverify.theory.params.asymptotics import order_and_coefficient
from rnnverify.theory.params.limit_paths import GENERIC, LimitPath, s_local
from rnnverify.theory.params.parametrizations import real_form
from rnnverify.theory.symbols import lam, theta

__all__ = [
    "NUMERIC_DPS",
    "PathAsymptotic",
    "coefficient_singularities",
    "numeric_power_law",
    "symbolic_power_law",
]

#: working precision of the numeric route (≥ 50 digits; moments near |λ| = 1 cancel ~100)
NUMERIC_DPS = 150
#: ε = 1 − |λ| targets of the numeric route: 10^{−4}, 10^{−6}, …, 10^{−24}
NUMERIC_EXPONENTS = tuple(range(4, 25, 2))
#: largest denominator of an order recognised as exact by the numeric route
ORDER_DENOMINATOR = 12


@dataclass(frozen=True)
class PathAsymptotic:
    """E|d_p h|² ~ coefficient · (1 − |λ|)^{−order} along one limit path."""

    limit: str  # display label, made from ``path`` and ``special``
    order: sp.Expr
    coefficient: sp.Expr | None
    uniform: bool
    route: str  # "symbolic" | "numeric"
    notes: tuple[str, ...] = ()
    order_error: float | None = None
    coefficient_error: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    path: LimitPath | None = None  # the limit path this row follows
    special: sp.Expr | None = None  # θ held at 0 or π (real-axis row of a free angle)
    divergence: tuple[str, ...] = ()  # where the coefficient is unbounded ("theta -> 0")
    #: lim E along the path when it was decided (0, a finite C, or oo); None when not
    limit_value: sp.Expr | None = None
    #: why the row is not bounded, when that is not a matter of order (e.g. |∂λ/∂p|² unbounded)
    failure: str | None = None
    #: why the row is undecided, when that is not a matter of order (a supremum not found)
    open_question: str | None = None

    @property
    def undecided_reason(self) -> str | None:
        """Why neither "bounded" nor "explodes" can be said: a numeric order that is 0 to
        within three errors whose limit of E was not decided."""
        if self.failure is not None or not self.uniform or not self.order.is_number:
            return None
        if self.open_question is not None:
            return self.open_question
        if self.order.is_Float and self.order_error is not None \
                and abs(self.order) <= 3 * self.order_error and self.limit_value is None:
            return (f"order {float(self.order):.4g} ± {self.order_error:.2g} is 0 to within "
                    "three errors and the limit of E along the path was not decided")
        return None

    @property
    def unbounded_reason(self) -> str | None:
        """Why this path is not bounded, or None when it is (or is undecided; the one order rule).

        Bounded means: order ≤ 0 and a coefficient bounded over the free angle and
        parameters; at order 0 the limit of E itself decides (E → ∞ with a logarithmic
        factor is unbounded); a numeric order that is not 0 to within three errors must be
        negative."""
        if self.failure is not None:
            return self.failure
        if not self.uniform:
            return "coefficient diverges as " + ", ".join(self.divergence or ("a parameter",))
        if not self.order.is_number:
            return f"order {sp.sstr(self.order)} is not a number"
        if self.limit_value is not None and self.limit_value == sp.oo and self.order == 0:
            return "E tends to oo (a factor slower than any power of 1 - |lam|)"
        if self.order.is_Float and self.order_error is not None:
            if self.order + 3 * self.order_error < 0 or self.undecided_reason is not None:
                return None
            if abs(self.order) <= 3 * self.order_error:  # limit decided
                return None if self.limit_value != sp.oo else "E tends to oo"
            return (f"order {float(self.order):.4g} ± {self.order_error:.2g} is above 0 "
                    "by more than three errors")
        if self.order <= 0:
            return None
        return f"order {sp.sstr(self.order)} > 0"

    @property
    def bounded(self) -> bool:
        return self.unbounded_reason is None and self.undecided_reason is None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "limit": self.limit,
            "order": json_number(self.order),
            "coefficient": json_number(self.coefficient),
            "coefficient_exact": None if self.coefficient is None else sp.sstr(self.coefficient),
            "bounded": self.bounded,
            "uniform": self.uniform,
            "route": self.route,
        }
        if self.order_error is not None:
            out["order_error"] = self.order_error
        if self.coefficient_error is not None:
            out["coefficient_error"] = self.coefficient_error
        if self.limit_value is not None:
            out["limit_of_E"] = json_number(self.limit_value)
        if self.undecided_reason is not None:
            out["undecided"] = self.undecided_reason
        if self.notes:
            out["notes"] = list(self.notes)
        if self.extra:
            out.update(self.extra)
        return out


def json_number(x: Any) -> Any:
    """int/float for real SymPy numbers (±inf as text), SymPy text otherwise."""
    if x is None:
        return None
    if isinstance(x, sp.Basic):
        if x in (sp.oo, -sp.oo):
            return sp.sstr(x)
        if x.is_number:
            try:
                v = complex(x)
            except (TypeError, ValueError):
                return sp.sstr(x)
            if abs(v.imag) <= 1e-15 * max(1.0, abs(v)):
                return int(v.real) if x.is_Integer else v.real
        return sp.sstr(x)
    return x


# ------------------------------------------------------------------ symbolic route
def _along(expr: sp.Expr, path: LimitPath) -> sp.Expr:
    return expr.subs(path.param, path.param_of(s_local))


def epsilon_along(nu: sp.Expr, path: LimitPath) -> sp.Expr:
    """1 − |λ| in the parameters: 1 − ν (target +1 or circle), 1 + λ (target −1)."""
    return 1 + nu if path.target == "-1" else 1 - nu


def symbolic_power_law(f: sp.Expr, eps_expr: sp.Expr, path: LimitPath,
                       budget: Budget | None = None) -> tuple[sp.Expr, sp.Expr] | None:
    """(α, c) with f ~ c ε^α along ``path`` from limits in s (None: SymPy did not decide,
    or f along the path has more operations than ``budget.limit_ops``).

    α = lim log f / log ε; c = lim f ε^{−α}, finite and nonzero for a pure power, and 0 or
    ∞ when f carries a factor slower than any power (f = ε^α / log(1/ε): c = 0).  f ≡ 0
    gives (∞, 0).
    """
    budget = Budget() if budget is None else budget
    if f == 0:
        return sp.oo, sp.Integer(0)
    if not budget.allows(_along(f, path), "limit_ops", f"limits along {path.limit_text}"):
        return None

    def work() -> tuple[sp.Expr, sp.Expr] | None:
        fs, es = _along(f, path), _along(eps_expr, path)
        alpha = sp.limit(sp.log(fs) / sp.log(es), s_local, 0, "+")
        if alpha.has(sp.Limit) or alpha.has(sp.AccumBounds) or alpha is sp.nan:
            return None
        if alpha == sp.oo:
            return sp.oo, sp.Integer(0)
        if not alpha.is_number or not alpha.is_finite:
            return None
        alpha = sp.nsimplify(alpha)
        c = sp.limit(fs / es**alpha, s_local, 0, "+")
        if c.has(sp.Limit) or c.has(sp.AccumBounds) or c is sp.nan:
            return None
        if c == 0 or c == sp.oo:  # a factor slower than any power (a logarithm)
            return alpha, c
        if c.is_number and not c.is_finite:
            return None
        return alpha, sp.simplify(c)

    return budget.call(work, f"limits along {path.limit_text}")


# ------------------------------------------------------------------ numeric route
@dataclass(frozen=True)
class NumericPowerLaw:
    """Result of :func:`numeric_power_law`: order q with E ~ C ε^{−q}."""

    order: sp.Expr  # exact rational when recognised, else a Float
    order_estimate: float
    order_error: float
    coefficient: float | None
    coefficient_error: float | None
    epsilons: tuple[float, ...]
    slopes: tuple[float, ...]
    values: tuple[Any, ...] = ()  # f at the points (mpmath numbers)
    log_power: float | None = None  # β of a logarithmic factor L^β, when one was fitted


def numeric_power_law(f: sp.Expr, eps_expr: sp.Expr, path: LimitPath,
                      dps: int = NUMERIC_DPS) -> NumericPowerLaw:
    """Order and coefficient of f ~ C ε^{−q} along ``path`` by high-precision evaluation.

    ``f`` and ``eps_expr`` must depend on the path parameter only.  Raises
    ValueError when they cannot be evaluated near the end of the path.
    """
    extra = (f.free_symbols | eps_expr.free_symbols) - {path.param}
    if extra:
        names = ", ".join(sorted(str(q) for q in extra))
        raise ValueError(f"the numeric route needs numbers for {names}: give them values "
                         "(the argument at)")
    fs = sp.lambdify([s_local], _along(f, path), modules="mpmath")
    es = sp.lambdify([s_local], _along(eps_expr, path), modules="mpmath")
    with mpmath.workdps(dps):
        def eps_at(u: mpmath.mpf) -> mpmath.mpf | None:
            try:
                v = mpmath.mpmathify(es(mpmath.exp(u)))
            except (ZeroDivisionError, ValueError, TypeError, OverflowError, ArithmeticError,
                    MemoryError):
                return None
            v = mpmath.re(v)
            return v if mpmath.isfinite(v) else None

        u_hi = mpmath.log(mpmath.mpf(1) / 2)
        e_hi = eps_at(u_hi)
        if e_hi is None or e_hi <= 0:
            raise ValueError(f"cannot evaluate 1 - |lam| along {path.limit_text}")
        # walk towards the end in steps of e^{1/4} in s (s >= 10^-30, i.e. |m| <= 10^30 on an
        # infinite end); an evaluation that overflows (exp(exp(m)) at huge m) stops the walk
        u_min = mpmath.log(mpmath.mpf(10) ** -30)
        points: list[tuple[mpmath.mpf, mpmath.mpf]] = []
        hi = u_hi
        for j in NUMERIC_EXPONENTS:
            target = mpmath.mpf(10) ** (-j)
            if target >= e_hi:
                continue
            lo = hi  # walk down in s until 1 − |λ| < target
            e_lo = eps_at(lo)
            while e_lo is not None and e_lo >= target and lo > u_min:
                hi, lo = lo, lo - mpmath.mpf(1) / 4
                e_lo = eps_at(lo)
            if e_lo is None or e_lo >= target:
                break
            for _ in range(200):
                mid = (lo + hi) / 2
                e_mid = eps_at(mid)
                if e_mid is None or e_mid < target:
                    lo = mid
                else:
                    hi = mid
                if hi - lo < mpmath.mpf(10) ** (-(dps // 2)):
                    break
            u = (lo + hi) / 2
            e_val = eps_at(u)
            if e_val is None or e_val <= 0:
                continue
            try:
                f_val = mpmath.re(mpmath.mpmathify(fs(mpmath.exp(u))))
            except (ZeroDivisionError, ValueError, TypeError, OverflowError, ArithmeticError,
                    MemoryError):
                continue
            if not mpmath.isfinite(f_val) or f_val <= 0:
                continue
            points.append((e_val, f_val))
        if len(points) < 4:
            raise ValueError(f"too few evaluable points along {path.limit_text}")
        slopes = [-(mpmath.log(f2) - mpmath.log(f1)) / (mpmath.log(e2) - mpmath.log(e1))
                  for (e1, f1), (e2, f2) in zip(points, points[1:], strict=False)]
        ratio = points[0][0] / points[1][0]
        extrap = [(ratio * b - a) / (ratio - 1) for a, b in zip(slopes, slopes[1:], strict=False)]
        q_hat = extrap[-1]
        err = abs(extrap[-1] - extrap[-2]) + mpmath.mpf(10) ** (-(dps // 3))
        # slow (non-geometric) convergence, e.g. a logarithmic factor: bound the remaining
        # drift of the raw slopes by the geometric tail of their last differences
        d1, d0 = abs(slopes[-1] - slopes[-2]), abs(slopes[-2] - slopes[-3])
        log_power = None
        if d0 > 0 and d1 / d0 > mpmath.mpf(1) / 2:
            # slow (non-geometric) convergence: a logarithmic factor f ~ C ε^{−q} L^β,
            # L = log(1/ε), makes the pair slopes q + β u_j with u_j = Δlog L / ΔL exactly;
            # fit (q, β) on the last four and the last three slopes, and take as error the
            # change between the two fits plus the residual, never less than the geometric
            # tail bound of the raw slopes' drift
            r = d1 / d0
            geometric = d1 * r / (1 - r) if r < 1 else 10 * abs(slopes[-1] - slopes[0])
            logs = [mpmath.log(mpmath.log(1 / e)) for e, _ in points]
            big_l = [mpmath.log(1 / e) for e, _ in points]
            u = [(logs[j + 1] - logs[j]) / (big_l[j + 1] - big_l[j])
                 for j in range(len(slopes))]
            fits = [_line_fit(u[-n:], slopes[-n:]) for n in (4, 3)]
            (q4, b4, res4), (q3, _, _) = fits
            q_hat, log_power = q4, float(b4)
            err = max(err, geometric, abs(q4 - q3) + 3 * res4)
        frac = Fraction(float(q_hat)).limit_denominator(ORDER_DENOMINATOR)
        # a power law converges geometrically (error ~1e-20 here); anything slower is
        # reported as a number with its error, never rounded to a rational
        exact = err < mpmath.mpf(10) ** -8 and abs(
            q_hat - mpmath.mpf(frac.numerator) / frac.denominator) <= max(
            3 * err, mpmath.mpf(10) ** -12)
        coeff = coeff_err = None
        if exact:
            q = mpmath.mpf(frac.numerator) / frac.denominator
            cs = [fv * ev**q for ev, fv in points]
            cx = [(ratio * b - a) / (ratio - 1) for a, b in zip(cs, cs[1:], strict=False)]
            coeff, coeff_err = float(cx[-1]), float(abs(cx[-1] - cx[-2]))
            order: sp.Expr = sp.Rational(frac.numerator, frac.denominator)
        else:
            order = sp.Float(float(q_hat), 15)
        return NumericPowerLaw(order, float(q_hat), float(err), coeff, coeff_err,
                               tuple(float(e) for e, _ in points),
                               tuple(float(x) for x in slopes),
                               tuple(mpmath.mpf(v) for _, v in points), log_power)


def _line_fit(x: list[Any], y: list[Any]) -> tuple[Any, Any, Any]:
    """Least-squares y = a + b x: (a, b, largest |residual|)."""
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxx = sum((xi - mx) ** 2 for xi in x)
    b = sum((xi - mx) * (yi - my) for xi, yi in zip(x, y, strict=True)) / sxx if sxx else 0
    a = my - b * mx
    res = max(abs(yi - a - b * xi) for xi, yi in zip(x, y, strict=True))
    return a, b, res


# ------------------------------------------------------------------ uniformity
def _grows_towards(c: sp.Expr, var: sp.Symbol, at: sp.Expr, others: dict[sp.Symbol, Any]
                   ) -> bool:
    """|c| grows without bound as ``var`` → ``at`` (from either side; ±∞ allowed)."""
    f = sp.lambdify([var], c.subs(others), modules="mpmath")

    def values(side: int) -> list[mpmath.mpf] | None:
        out = []
        for d in ("1e-2", "1e-4", "1e-6", "1e-8"):
            if at in (sp.oo, -sp.oo):
                x = (1 if at == sp.oo else -1) / mpmath.mpf(d)
            else:
                x = mpmath.mpf(sp.N(at, 40)) + side * mpmath.mpf(d)
            try:
                v = abs(mpmath.mpmathify(f(x)))
            except (ZeroDivisionError, ValueError, TypeError, OverflowError, ArithmeticError):
                return None
            out.append(v)
        return out

    with mpmath.workdps(40):
        for side in ((1,) if at in (sp.oo, -sp.oo) else (1, -1)):
            vs = values(side)
            if vs is None:
                return True  # undefined arbitrarily close: cannot vouch for a bound
            if any(not mpmath.isfinite(v) for v in vs):
                return True
            if vs[-1] > 10 * max(vs[0], mpmath.mpf(10) ** -30) and vs[-1] > vs[-2] > vs[-3]:
                return True
    return False


def coefficient_singularities(c: sp.Expr, variables: list[sp.Symbol],
                              budget: Budget | None = None) -> list[str]:
    """Where the coefficient ``c`` is unbounded over its free ``variables``.

    ``theta`` ranges over [−π, π]; other variables over the reals.  Candidates:
    real zeros of the denominator (:func:`sympy.solveset` within the budget's
    ``limit_ops``; a 200-point grid in [−π, π] or ±sinh-spaced reals when SymPy gives no finite
    set), θ = 0 and π, q → ±∞; each is tested for growth with the other
    variables at the generic value 3/10.  Returns descriptions such as
    ``"theta -> 0"``.
    """
    budget = Budget() if budget is None else budget
    found: list[str] = []
    if c is None:
        return found
    _, den = sp.fraction(sp.together(c))
    for var in variables:
        others = {q: GENERIC for q in c.free_symbols if q != var}
        domain = sp.Interval(-sp.pi, sp.pi) if var == theta else sp.S.Reals

        def zeros(var: sp.Symbol = var, domain: sp.Set = domain,
                  others: dict[sp.Symbol, Any] = others) -> list[sp.Expr] | None:
            sols = sp.solveset(den.subs(others), var, domain)
            if isinstance(sols, sp.FiniteSet):
                return list(sols)
            if sols is sp.S.EmptySet:
                return []
            return None

        cands: list[sp.Expr] | None = []
        if den.has(var):
            cands = (budget.call(zeros, f"zeros of the coefficient's denominator in {var}")
                     if budget.allows(den, "limit_ops", "zeros of the coefficient") else None)
        if cands is None:
            cands = _grid_suspects(c.subs(others), var)
        if var == theta:
            cands = [*cands, sp.Integer(0), sp.pi]
        else:
            cands = [*cands, sp.oo, -sp.oo]
        seen: set[str] = set()
        for at in cands:
            if var == theta and at == -sp.pi:
                at = sp.pi  # same angle
            key = sp.sstr(sp.nsimplify(at)) if at.is_finite else sp.sstr(at)
            if key in seen:
                continue
            seen.add(key)
            if _grows_towards(c, var, at, others):
                found.append(f"{var} -> {key}")
    return found


def _grid_suspects(c: sp.Expr, var: sp.Symbol) -> list[sp.Expr]:
    """Grid points where |c| is largest (local maxima), as candidates for singularities."""
    f = sp.lambdify([var], c, modules="mpmath")
    if var == theta:
        xs = [-math.pi + 2 * math.pi * i / 200 for i in range(201)]
    else:
        xs = [math.sinh(i / 25) for i in range(-200, 201)]
    vals = []
    for x in xs:
        try:
            vals.append(float(abs(mpmath.mpmathify(f(x)))))
        except (ZeroDivisionError, ValueError, TypeError, OverflowError, ArithmeticError):
            vals.append(math.inf)
    out = []
    for i in range(1, len(xs) - 1):
        if vals[i] >= vals[i - 1] and vals[i] >= vals[i + 1]:
            out.append(sp.Float(xs[i], 20))
    return out[:20]


# ------------------------------------------------------------------ moment factor
def _tidy(e: sp.Expr, budget: Budget | None) -> sp.Expr:
    """``simplify(e)`` when ``count_ops(e)`` is within ``budget.simplify_ops``, else ``e``."""
    budget = Budget() if budget is None else budget
    return sp.simplify(e) if budget.allows(e, "simplify_ops", "simplify a coefficient") else e


def moment_order(k_expr: sp.Expr, path_target: str, angle: sp.Expr | None = None,
                 budget: Budget | None = None) -> tuple[sp.Expr, sp.Expr]:
    """(k, a) with K ~ a ε^{−k}: series at λ = 1⁻, λ = −1⁺ (real) or ν = 1⁻ at angle θ.

    For complex λ, e^{iθ} is first replaced by a symbol z (e^{−iθ} by 1/z), which
    makes K a rational function of (ν, z) whose series is quick; the coefficient
    is written back in θ (cosines where possible).
    """
    if path_target == "-1" and not k_expr.has(theta):
        return order_and_coefficient(k_expr, lam, -1, "+")
    if not k_expr.has(theta):
        return order_and_coefficient(k_expr, lam, 1, "-")
    z = sp.Dummy("z")
    kz = k_expr.subs(sp.exp(sp.I * theta), z).subs(sp.exp(-sp.I * theta), 1 / z)
    if kz.has(theta):  # not a function of e^{iθ} alone: expand in θ directly
        e = k_expr if angle is None else k_expr.subs(theta, angle)
        return order_and_coefficient(e, lam, 1, "-")
    kz = sp.cancel(sp.together(kz))
    k, a = order_and_coefficient(kz, lam, 1, "-")
    if angle is not None:
        # the generic expansion holds at θ0 when its coefficient is finite and nonzero there
        z0 = sp.exp(sp.I * angle)
        a0 = _tidy(a.subs(z, z0), budget) if not a.has(sp.zoo) else sp.zoo
        if a0.is_number and a0.is_finite and a0 != 0:
            value = complex(a0)
            if abs(value.imag) <= 1e-30 * max(1.0, abs(value)):
                a0 = _tidy(sp.re(sp.expand_complex(a0)), budget)
            return k, a0
        k, a = order_and_coefficient(sp.cancel(kz.subs(z, z0)), lam, 1, "-")
        return k, _tidy(sp.re(sp.expand_complex(a)), budget)
    a = a.subs(z, sp.exp(sp.I * theta))
    return k, real_form(a, budget)
