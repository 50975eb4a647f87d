"""Where |λ(p)| → 1 along a parametrization, without inverting |λ(p)|.

A parametrization writes the eigenvalue through real parameters, λ = ν(q)·e^{iθ(q)}
(real λ: λ = ν(q) with its sign).  The curse of memory (Zucchet & Orvieto 2024,
§2–3) is a statement about |λ| → 1; along a parametrization that limit is
reached when one parameter — the *magnitude parameter* m, the one ν depends
on — runs to +∞, to −∞, or to a finite point m* where |λ(m*)| = 1, with the
others held fixed.  :func:`find_limit_paths` lists those ways:

* for real λ each end m → ±∞ whose limit of λ is +1 or −1, and each finite m*
  with λ(m*) = ±1 approached from the side where |λ| < 1;
* for complex λ the same for the modulus ν, the limit being λ → e^{iθ}.

Finite points come from :func:`sympy.solveset` over the reals (a periodic family
counted once per period of λ), or, when SymPy returns no usable set, from a scan
that finds both crossings and touching zeros of |λ| = 1.  Each
path carries the local variable s → 0⁺ (m = 1/s, −1/s, m* ∓ s), so that the
asymptotics of :mod:`theory.params.path_asymptotics` are series and limits in s — no
inversion of |λ(m)| is needed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

import mpmath
import sympy as sp
from rnnverify.theory.budget import Budget
from sympy.calculus.singularities import singularities

from rnnverify.errors import ArgumentValueError

__all__ = [
    "LimitPath",
    "find_limit_paths",
    "is_real_expr",
    "polar_form",
    "s_local",
]

#: the local variable of a path, s → 0⁺
s_local = sp.Symbol("s", positive=True)
#: generic value of parameters left symbolic, used only to decide numerically on which
#: side of a finite point |λ| < 1
GENERIC = sp.Rational(3, 10)


@dataclass(frozen=True)
class LimitPath:
    """One way |λ| → 1⁻: the magnitude parameter ``param`` goes to ``point`` (``±oo`` or m*)
    from ``side`` ("-" below, "+" above); ``target`` is "1", "-1" or "circle" (the kind of
    limit: it decides ε = 1 − |λ| and the expansion of the moment).

    ``lam_limit`` is the point λ tends to: +1 or −1 for real λ; for complex λ the number
    e^{iθ*} when the angle has a limit θ* along the path (a constant angle, or one that moves
    with ``param``), and ``None`` when θ stays free (``lam -> exp(I*theta)``).  The label
    (:attr:`limit_text`) is made from these fields, never parsed back.
    """

    param: sp.Symbol
    point: sp.Expr
    side: str
    target: str
    lam_limit: sp.Expr | None = None

    def __post_init__(self) -> None:
        if self.target in ("1", "-1") and self.lam_limit is None:
            object.__setattr__(self, "lam_limit", sp.Integer(int(self.target)))

    def param_of(self, s: sp.Expr = s_local) -> sp.Expr:
        """m as a function of the local variable s → 0⁺."""
        if self.point == sp.oo:
            return 1 / s
        if self.point == -sp.oo:
            return -1 / s
        return self.point - s if self.side == "-" else self.point + s

    @property
    def limit_angle(self) -> sp.Expr | None:
        """θ* with λ → e^{iθ*} in (−π, π] (0 for λ → 1, π for λ → −1), None when θ is free."""
        if self.lam_limit is None:
            return None
        if self.lam_limit == 1:
            return sp.Integer(0)
        if self.lam_limit == -1:
            return sp.pi
        return sp.arg(self.lam_limit)

    @property
    def lam_text(self) -> str:
        """``lam -> 1``, ``lam -> -1``, ``lam -> exp(0.3*I)`` or ``lam -> exp(I*theta)``."""
        if self.lam_limit is None:
            return "lam -> exp(I*theta)"
        angle = self.limit_angle
        if isinstance(self.lam_limit, sp.exp) and angle is not None and angle.is_Rational \
                and _terminates(angle):
            return f"lam -> exp({_decimal(angle)}*I)"  # as typed: 0.3, not 3/10
        return f"lam -> {sp.sstr(self.lam_limit)}"

    @property
    def where_text(self) -> str:
        """``w -> oo``, ``w -> -oo``, ``w -> 0+``: how the magnitude parameter moves."""
        if self.point in (sp.oo, -sp.oo):
            return f"{self.param} -> {sp.sstr(self.point)}"
        return f"{self.param} -> {sp.sstr(self.point)}{self.side}"

    def label(self, special: sp.Expr | None = None) -> str:
        """The display label; ``special`` (0 or π) is the real-axis angle a free-angle path is
        analysed at: ``lam -> 1 (theta -> 0) as nu -> 1-``."""
        if special is None:
            return f"{self.lam_text} as {self.where_text}"
        target = "1" if special == 0 else "-1"
        return f"lam -> {target} (theta -> {sp.sstr(special)}) as {self.where_text}"

    @property
    def limit_text(self) -> str:
        return self.label()


def _terminates(q: sp.Rational) -> bool:
    """Whether the rational ``q`` has a finite decimal expansion (denominator 2^a 5^b)."""
    d = int(q.q)
    for f in (2, 5):
        while d % f == 0:
            d //= f
    return d == 1


def _decimal(q: sp.Rational) -> str:
    """The finite decimal expansion of ``q`` (:func:`_terminates`)."""
    return format(Decimal(int(q.p)) / Decimal(int(q.q)), "f")


def limit_point(angle: sp.Expr) -> sp.Expr:
    """e^{iθ*} for a limit angle θ*, written as 1 or −1 on the real axis (θ* ≡ 0, π mod 2π)."""
    exact = angle.is_number and not angle.has(sp.Float)
    turns = sp.simplify(angle / (2 * sp.pi)) if exact else None
    if turns is not None and turns.is_Rational:
        frac = turns - sp.floor(turns)
        if frac == 0:
            return sp.Integer(1)
        if frac == sp.Rational(1, 2):
            return sp.Integer(-1)
    if angle == 0:
        return sp.Integer(1)
    return sp.exp(sp.I * angle)


def is_real_expr(expr: sp.Expr) -> bool:
    """True when ``expr`` is real for real parameters (Im simplifies to 0)."""
    if expr.is_extended_real:
        return True
    return sp.simplify(sp.im(sp.expand_complex(expr))) == 0


def polar_form(expr: sp.Expr) -> tuple[sp.Expr, sp.Expr | None]:
    """(ν, θ) with λ = ν e^{iθ}, factor by factor (exp(z) gives e^{Re z} and Im z).

    For real λ returns (λ, None) — ν keeps its sign.  Complex factors other than
    exponentials contribute their modulus and argument.
    """
    if is_real_expr(expr):
        return expr, None
    nu = sp.Integer(1)
    angle = sp.Integer(0)
    for f in sp.Mul.make_args(sp.powsimp(expr, combine="exp")):
        if isinstance(f, sp.exp):
            z = sp.expand_complex(f.args[0])
            nu *= sp.exp(sp.re(z))
            angle += sp.im(z)
        elif f == sp.I:
            angle += sp.pi / 2
        elif f.is_extended_real or is_real_expr(f):
            nu *= f
        else:
            nu *= sp.Abs(f)
            angle += sp.arg(f)
    angle = sp.simplify(angle)
    if angle == 0:
        return expr, None
    return sp.simplify(nu), angle


def _limit(expr: sp.Expr, m: sp.Symbol, point: sp.Expr, side: str, budget: Budget
           ) -> sp.Expr | None:
    if not budget.allows(expr, "path_ops", "limit of |lam|"):
        return None

    def work() -> sp.Expr:
        return sp.limit(expr, m, point, side if point not in (sp.oo, -sp.oo) else "+")

    return budget.call(work, f"limit of |lam| as {m} -> {sp.sstr(point)}")


def _inside(lam_expr: sp.Expr, path: LimitPath) -> bool:
    """|λ| < 1 near the end of ``path``: 1 − |λ| > 0 at three points approaching it (m = ±2,
    ±5, ±10 for an infinite end, m* ∓ 10^{−3, −6, −9} for a finite one), evaluated by
    SymPy's adaptive-precision ``evalf`` so that 1 − |λ| = 10^{−2000} is still seen as
    positive; parameters left symbolic take the generic value 3/10."""
    infinite = path.point in (sp.oo, -sp.oo)
    steps = ("1/2", "1/5", "1/10") if infinite else ("1/1000", "1/1000000", "1/1000000000")
    generic = {q: GENERIC for q in lam_expr.free_symbols if q != path.param}
    gap = 1 - sp.Abs(lam_expr.subs(generic))
    for step in steps:
        value = gap.subs(path.param, path.param_of(sp.Rational(step)))
        try:
            v = sp.N(value, 15, maxn=20000)
        except (ValueError, TypeError, ZeroDivisionError, ArithmeticError):
            return False
        if not v.is_number or not v.is_real or not v.is_finite or not v > 0:
            return False
    return True


def _finite_points(nu: sp.Expr, m: sp.Symbol, real_lambda: bool, budget: Budget
                   ) -> list[sp.Expr]:
    """Real m* with λ(m*) = ±1 (real λ) or ν(m*) = 1 (complex λ); SymPy's solveset within
    the budget's ``path_ops``, else a numeric scan."""
    equations = [nu - 1, nu + 1] if real_lambda else [nu - 1]
    symbolic = budget.allows(nu, "path_ops", "|lam| = 1 by solveset")
    period = budget.call(lambda: sp.periodicity(nu, m), "period of |lam|") if symbolic else None
    points: list[sp.Expr] = []
    for eq in equations:
        def work(eq: sp.Expr = eq) -> list[sp.Expr] | None:
            return _solution_points(sp.solveset(eq, m, sp.S.Reals), period)

        found = budget.call(work, f"solveset {sp.sstr(eq)} = 0") if symbolic else None
        if found is None:
            found = _scan_zeros(eq, m)
        points.extend(p for p in found if p not in points)
    return points


def _solution_points(sols: sp.Set, period: sp.Expr | None) -> list[sp.Expr] | None:
    """The points of a solution set of |λ| = 1, or ``None`` when SymPy gave no usable set.

    A family ``{f(n) : n ∈ ℤ}`` (a trigonometric λ) counts by one member, f(0), only when λ
    itself is periodic in the parameter (:func:`sympy.periodicity`) with a period that is a
    multiple of the family's step: every other member is the same path shifted by whole
    periods, with the same local behaviour."""
    if isinstance(sols, sp.FiniteSet):
        return list(sols)
    if sols is sp.S.EmptySet:
        return []
    if isinstance(sols, sp.Union):
        parts = [_solution_points(a, period) for a in sols.args]
        if any(p is None for p in parts):
            return None
        return [x for p in parts for x in p]  # type: ignore[union-attr]
    if (isinstance(sols, sp.ImageSet) and period is not None and len(sols.base_sets) == 1
            and sols.base_sets[0] == sp.S.Integers and len(sols.lamda.variables) == 1):
        step = sp.simplify(sols.lamda(1) - sols.lamda(0))
        ratio = sp.simplify(period / step) if step != 0 else None
        if ratio is not None and ratio.is_integer:
            return [sp.simplify(sols.lamda(n)) for n in range(int(abs(ratio)))]
    return None


def _scan_zeros(eq: sp.Expr, m: sp.Symbol) -> list[sp.Expr]:
    """Zeros of ``eq`` on m ∈ ±sinh(0 … 8), refined to 40 digits: sign changes by bisection,
    and touching zeros — |λ| = 1 reached from inside the disc on both sides, where ``eq``
    keeps its sign — as local minima of |eq| refined by golden-section search and kept only
    when |eq| vanishes there to the working precision."""
    out: list[sp.Expr] = []
    value = _real_function(eq, m)
    with mpmath.workdps(40):
        grid = [mpmath.sinh(mpmath.mpf(i) / 50) for i in range(-400, 401)]
        vals = [value(g) for g in grid]
        for a, b, fa, fb in zip(grid, grid[1:], vals, vals[1:], strict=False):
            if fa is None or fb is None:
                continue
            if fa == 0:
                out.append(sp.Float(a, 40))
                continue
            if mpmath.sign(fa) * mpmath.sign(fb) < 0:
                lo, hi, flo = a, b, fa
                for _ in range(140):
                    mid = (lo + hi) / 2
                    fm = value(mid)
                    if fm is None:
                        break
                    if mpmath.sign(fm) == mpmath.sign(flo):
                        lo, flo = mid, fm
                    else:
                        hi = mid
                out.append(sp.Float((lo + hi) / 2, 40))
        for i in range(1, len(grid) - 1):
            f0, f1, f2 = vals[i - 1], vals[i], vals[i + 1]
            if None in (f0, f1, f2) or f1 == 0 or mpmath.sign(f0) != mpmath.sign(f2):
                continue
            if abs(f1) <= abs(f0) and abs(f1) <= abs(f2):
                x = _golden_min(value, grid[i - 1], grid[i + 1])
                fx = value(x)
                if fx is not None and abs(fx) < mpmath.mpf(10) ** -30:
                    point = sp.Float(x, 40)
                    if all(abs(point - q) > 1e-20 for q in out):
                        out.append(point)
    return out


def _real_function(eq: sp.Expr, m: sp.Symbol) -> Callable[[mpmath.mpf], mpmath.mpf | None]:
    """``eq`` as an mpmath function of m (compiled once; other parameters at the generic
    value): the real value, or ``None`` where it is undefined or not real."""
    generic = {q: GENERIC for q in eq.free_symbols if q != m}
    f = sp.lambdify([m], eq.subs(generic), modules="mpmath")

    def value(x: mpmath.mpf) -> mpmath.mpf | None:
        try:
            v = mpmath.mpmathify(f(x))
        except (ZeroDivisionError, ValueError, TypeError, OverflowError, ArithmeticError):
            return None
        return mpmath.re(v) if mpmath.im(v) == 0 else None

    return value


def _golden_min(value: Callable[[mpmath.mpf], mpmath.mpf | None], lo: mpmath.mpf,
                hi: mpmath.mpf) -> mpmath.mpf:
    """Minimiser of |eq| on [lo, hi] by golden-section search (180 steps shrink the bracket
    by 1e−37; at a touching zero |eq| grows quadratically, so the minimiser found to
    ~1e−20 at 40 digits leaves |eq| near 1e−40, well under the 1e−30 acceptance)."""
    g = (mpmath.sqrt(5) - 1) / 2

    def f(x: mpmath.mpf) -> mpmath.mpf:
        v = value(x)
        return mpmath.inf if v is None else abs(v)

    c, d = hi - g * (hi - lo), lo + g * (hi - lo)
    fc, fd = f(c), f(d)
    for _ in range(180):
        if fc < fd:
            hi, d, fd = d, c, fc
            c = hi - g * (hi - lo)
            fc = f(c)
        else:
            lo, c, fc = c, d, fd
            d = lo + g * (hi - lo)
            fd = f(d)
    return (lo + hi) / 2


def find_limit_paths(lam_expr: sp.Expr, nu: sp.Expr, theta_expr: sp.Expr | None,
                     m: sp.Symbol, budget: Budget | None = None) -> list[LimitPath]:
    """Every way |λ| → 1⁻ as the magnitude parameter ``m`` moves (module docstring).

    ``lam_expr`` is λ in the parameters; ``nu`` the signed λ (real case) or the
    modulus; ``theta_expr`` the angle or ``None``; ``budget`` caps SymPy's work
    (:class:`theory.budget.Budget`).  Raises ValueError when the limit of λ at an
    end depends on parameters left symbolic (fix them).
    """
    budget = Budget() if budget is None else budget
    real_lambda = theta_expr is None
    paths: list[LimitPath] = []
    for point in (sp.oo, -sp.oo):
        value = _limit(nu, m, point, "+", budget)
        if value is None:
            continue
        if value.free_symbols:
            names = ", ".join(sorted(str(q) for q in value.free_symbols))
            raise ArgumentValueError(
                "at", f"the limit of |lam| as {m} -> {sp.sstr(point)} depends on {names}: "
                "give them values with {at}")
        if not value.is_number or not value.is_finite:
            continue
        side = "-" if point == sp.oo else "+"
        for target in (("1", "-1") if real_lambda else ("circle",)):
            goal = -1 if target == "-1" else 1
            if value == goal:
                path = LimitPath(m, point, side, target)
                if _inside(lam_expr, path):
                    paths.append(path)
    for p_star in _finite_points(nu, m, real_lambda, budget):
        if p_star.free_symbols:
            names = ", ".join(sorted(str(q) for q in p_star.free_symbols))
            raise ArgumentValueError(
                "at", f"|lam| = 1 at {m} = {sp.sstr(p_star)}, which depends on {names}: "
                "give them values with {at}")
        for side in ("-", "+"):
            if real_lambda:
                value = complex(sp.N(nu.subs(m, p_star), 30))
                target = "1" if value.real > 0 else "-1"
            else:
                target = "circle"
            path = LimitPath(m, p_star, side, target)
            if _inside(lam_expr, path):
                paths.append(path)
    for point in _singular_points(nu, m, budget):
        for side in ("-", "+"):
            value = _limit(nu, m, point, side, budget)
            if value is None or not value.is_number or not value.is_finite:
                continue
            for target in (("1", "-1") if real_lambda else ("circle",)):
                if value == (-1 if target == "-1" else 1):
                    path = LimitPath(m, point, side, target)
                    if path not in paths and _inside(lam_expr, path):
                        paths.append(path)
    if real_lambda:
        return paths
    return [_with_limit_point(p, theta_expr, budget) for p in paths]


def _with_limit_point(path: LimitPath, theta_expr: sp.Expr, budget: Budget) -> LimitPath:
    """``path`` with the point λ tends to: e^{iθ*} when the angle has a limit θ* along it (a
    constant angle, or one moving with the magnitude parameter), else unchanged (θ free)."""
    if not theta_expr.has(path.param):
        if theta_expr.free_symbols:
            return path  # a free angle: lam -> exp(I*theta)
        return replace(path, lam_limit=limit_point(theta_expr))
    along = theta_expr.subs(path.param, path.param_of(s_local))
    if not budget.allows(along, "path_ops", "limit of the angle"):
        return path

    def work() -> sp.Expr:
        return sp.limit(along, s_local, 0, "+")

    value = budget.call(work, f"limit of the angle as {path.where_text}")
    if value is None or not value.is_number or not value.is_finite or value.has(sp.Limit):
        return path
    return replace(path, lam_limit=limit_point(value))


def _singular_points(nu: sp.Expr, m: sp.Symbol, budget: Budget) -> list[sp.Expr]:
    """Real points where λ is undefined (e.g. m = 0 in tanh(1/m)), from
    :func:`sympy.calculus.singularities.singularities`; |λ| may tend to 1 there."""
    def work() -> list[sp.Expr]:
        found = singularities(nu, m, sp.S.Reals)
        return [p for p in found if p.is_number] if isinstance(found, sp.FiniteSet) else []

    if not budget.allows(nu, "path_ops", "singularities of |lam|"):
        return []
    return budget.call(work, "singularities of |lam|") or []
