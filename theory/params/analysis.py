"""Asymptotics of E|d_p h|² for a parametrization λ(q), path by path and regime by regime.

Given λ = ν(q)·e^{iθ(q)} (:class:`theory.params.parametrizations.Parametrization`, any
user expression), the parameter p to differentiate, γ and an input regime,
:func:`analyse` returns for every limit path of :func:`theory.params.limit_paths.find_limit_paths`
the order and coefficient of E|d_p h|² ~ C (1 − |λ|)^{−order}
(:mod:`theory.params.path_asymptotics`), whether it is bounded uniformly in the free
angle and parameters, and which route decided.  Nothing is inverted: the
chain factor |∂λ/∂p|² stays a function of the parameters, and its power of
ε = 1 − |λ| comes from limits along the path (Zucchet & Orvieto 2024, §3).

The angle of a complex λ is treated in one of three ways:

* **constant** — θ(q) has no free parameter left: its value is used;
* **free** — θ depends on a parameter other than the magnitude parameter m
  that stays free, which can hold θ fixed while m moves (the convention of
  the limit |λ| → 1⁻ at fixed θ).  θ is then a free angle: the coefficient
  must be bounded uniformly over θ ∈ [−π, π], and the real-axis angles θ = 0, π
  are analysed as paths of their own;
* **moving** — θ moves with m and nothing can hold it: E|d_p h|² is followed
  along the actual curve λ(m).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath
import sympy as sp
from rnnverify.theory.budget import Budget
from rnnverify.theory.memory.moments import moment_expr
from rnnverify.theory.params.inside_disc import (
    NeverNearOne,
    moment_bound,
    never_near_one,
    scan_maximum,
)
from rnnverify.theory.params.lag_asymptotics import lag_moment_order
from rnnverify.theory.params.limit_paths import LimitPath, find_limit_paths
from rnnverify.theory.params.parametrizations import Parametrization, real_form
from rnnverify.theory.params.path_asymptotics import (
    PathAsymptotic,
    coefficient_singularities,
    epsilon_along,
    json_number,
    moment_order,
    numeric_power_law,
    symbolic_power_law,
)
from rnnverify.theory.symbols import lam, theta

from rnnverify.errors import ArgumentValueError

__all__ = ["ParamSetup", "RegimePaths", "Unbounded", "Verdict", "analyse", "decide_verdict",
           "moment_factor", "setup"]


@dataclass(frozen=True)
class ParamSetup:
    """A parametrization prepared for the limit analysis (parameters fixed by ``at``
    substituted)."""

    par: Parametrization
    wrt: sp.Symbol
    lam_expr: sp.Expr  # λ in the parameters
    nu: sp.Expr  # signed λ (real) or modulus
    angle: sp.Expr | None  # θ in the parameters, None for real λ
    chain: sp.Expr  # |∂λ/∂p|² in the parameters
    magnitude: sp.Symbol
    angle_mode: str  # "real" | "constant" | "free" | "moving"
    paths: tuple[LimitPath, ...]
    fixed: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()
    budget: Budget = field(default_factory=Budget, compare=False)  # caps SymPy's work
    #: with no limit path: sup |λ| < 1 shown (:mod:`theory.params.inside_disc`)
    inside: NeverNearOne | None = None

    @property
    def is_complex(self) -> bool:
        return self.angle is not None

    @property
    def free_parameters(self) -> list[sp.Symbol]:
        syms = self.chain.free_symbols | self.nu.free_symbols
        if self.angle is not None:
            syms |= self.angle.free_symbols
        return sorted(syms - {self.magnitude}, key=lambda q: q.name)


def setup(par: Parametrization, wrt: str | sp.Symbol,
          at: Mapping[str, Any] | None = None, budget: Budget | None = None) -> ParamSetup:
    """Chain factor, magnitude parameter, angle mode and limit paths of ``par``.

    ``at`` fixes parameters to values (after differentiation); ``budget`` caps SymPy's
    work here and in :func:`analyse` (it records what it cut).  Raises
    ValueError when |λ| depends on no parameter or on several, or has no path to 1.
    """
    p = par.param(wrt)
    fixed: dict[sp.Symbol, sp.Expr] = {}
    for name, value in (at or {}).items():
        q = par.param(name)
        fixed[q] = sp.nsimplify(value, rational=True) if not isinstance(value, sp.Basic) else value
    dnu, dth = par.chain_factors(p)
    nu = par._const(par.nu)
    angle = None if par.theta is None else par._const(par.theta)
    chain = dnu**2 if angle is None else dnu**2 + nu**2 * dth**2
    if chain == 0:
        raise ArgumentValueError("wrt", f"d lam/d {p} is identically zero")
    lam_expr = nu if angle is None else nu * sp.exp(sp.I * angle)
    subs = dict(fixed)
    nu_f, chain_f, lam_f = nu.subs(subs), chain.subs(subs), lam_expr.subs(subs)
    angle_f = None if angle is None else sp.simplify(angle.subs(subs))
    mags = sorted(nu_f.free_symbols, key=lambda q: q.name)
    if not mags:
        raise ValueError("|lam| does not depend on any free parameter, so |lam| -> 1 "
                         "cannot be approached")
    if len(mags) > 1:
        raise ArgumentValueError(
            "at", "|lam| depends on several parameters (" + ", ".join(q.name for q in mags)
            + "): fix all but one with {at}")
    m = mags[0]
    if angle_f is None:
        mode = "real"
    elif not angle_f.free_symbols:
        mode = "constant"
    else:
        compensators = angle_f.free_symbols - {m}
        if compensators and (m not in angle_f.free_symbols
                             or not (chain_f.free_symbols & compensators)):
            mode = "free"
        else:
            mode = "moving"
    budget = Budget() if budget is None else budget
    paths = find_limit_paths(lam_f, nu_f, angle_f, m, budget)
    inside = None
    if not paths:
        inside = never_near_one(nu_f, chain_f, m, budget)
        if inside is None:
            raise ValueError(
                f"|lam| cannot approach 1 for real values of {m} (no path with |lam| -> 1 "
                f"from inside the unit disc as {m} -> ±oo or a finite point), and sup |lam| "
                "< 1 could not be shown")
    return ParamSetup(par, p, lam_f, nu_f, angle_f, chain_f, m, mode, tuple(paths),
                      tuple(fixed.items()), budget, inside)


def moment_factor(par: Parametrization, autocorr: Any) -> sp.Expr:
    """K(lam, theta) = E|d_λ h|² with the input gain γ(|λ|) of ``par`` (coupled or not), so
    that E|d_p h|² = |∂λ/∂p|² K (:func:`theory.memory.moments.moment_expr`)."""
    gamma = sp.Integer(1) if par.gamma is None else par.gamma
    return moment_expr("dh2_dlam", autocorr, complex_lambda=par.is_complex, gamma=gamma,
                       gamma_coupled=par.coupled)


@dataclass(frozen=True)
class RegimePaths:
    """All paths of one input regime; the regime's order is that of its worst path."""

    rho: Any
    paths: tuple[PathAsymptotic, ...]

    @property
    def worst(self) -> PathAsymptotic:
        def key(pa: PathAsymptotic) -> tuple[float, int, float]:
            o = pa.order
            value = float("inf") if o == sp.oo else float("-inf") if o == -sp.oo else float(o)
            c = pa.coefficient
            size = abs(complex(c)) if c is not None and c.is_number else 0.0
            return value, 0 if pa.uniform else 1, size

        return max(self.paths, key=key)

    @property
    def bounded(self) -> bool:
        return all(pa.bounded for pa in self.paths)

    @property
    def order(self) -> sp.Expr:
        return self.worst.order

    @property
    def coefficient(self) -> sp.Expr | None:
        return self.worst.coefficient


def _chain_power(st: ParamSetup, path: LimitPath, cache: dict[Any, Any]) -> Any:
    """(α, c, route, numeric record) with |∂λ/∂p|² ~ c ε^α along ``path`` (cached per path)."""
    if path in cache:
        return cache[path]
    eps_expr = epsilon_along(st.nu, path)
    found = symbolic_power_law(st.chain, eps_expr, path, st.budget)
    if found is not None:
        out = (found[0], found[1], "symbolic", None)
    else:
        num = numeric_power_law(st.chain, eps_expr, path)
        coeff = None if num.coefficient is None else sp.Float(num.coefficient, 15)
        out = (-num.order, coeff, "numeric", num)
    cache[path] = out
    return out


def _combine(path: LimitPath, k: sp.Expr, a: sp.Expr, alpha: sp.Expr, c: sp.Expr | None,
             route: str, num: Any, uniform_vars: Sequence[sp.Symbol],
             notes: tuple[str, ...] = (), budget: Budget | None = None,
             special: sp.Expr | None = None, extra: dict[str, Any] | None = None
             ) -> PathAsymptotic:
    """One row: E ~ (c·a) ε^{−(k − α)} from K ~ a ε^{−k} and |∂λ/∂p|² ~ c ε^{α}.

    c = 0 or ∞ (a factor slower than any power, from :func:`symbolic_power_law`) leaves the
    order k − α; at order 0 it decides the limit of E (0 or ∞).  A numeric order that is 0
    to within its error has its limit decided from E at the points of the numeric route
    (:func:`_numeric_limit`), or stays undecided."""
    limit = path.label(special)
    note_list = list(notes)
    limit_value: sp.Expr | None = None
    if a == 0:  # K ≡ 0 along the path: E vanishes identically
        order, coeff, limit_value = -sp.oo, sp.Integer(0), sp.Integer(0)
        note_list.append("E is identically 0 along this path")
    elif alpha == sp.oo:
        order, coeff, limit_value = -sp.oo, sp.Integer(0), sp.Integer(0)
    else:
        order = sp.nsimplify(k - alpha) if route == "symbolic" else k - alpha
        coeff = None if c is None else sp.simplify(c * a)
        if c is not None and c in (sp.Integer(0), sp.oo):
            grows = c == sp.oo
            note_list.append(
                "E (1 - |lam|)^order -> " + ("oo" if grows else "0")
                + ": a factor slower than any power of 1 - |lam| (a logarithm)")
            if order == 0:
                limit_value = sp.oo if grows else sp.Integer(0)
                coeff = limit_value
            else:
                coeff = None
        elif order == 0 and coeff is not None and coeff.is_number:
            limit_value = coeff
    if not (order.is_number or order in (sp.oo, -sp.oo)):
        names = ", ".join(sorted(str(q) for q in order.free_symbols))
        raise ArgumentValueError("at", f"the order along {limit} depends on {names}: "
                                 "give them values with {at}")
    coeff = None if coeff is None else real_form(coeff, budget)
    bad: list[str] = []
    if coeff is not None and uniform_vars and coeff.is_finite is not False:
        vars_in = [v for v in uniform_vars if coeff.has(v)]
        bad = coefficient_singularities(coeff, vars_in, budget) if vars_in else []
    if bad:
        note_list.append("coefficient diverges as " + ", ".join(bad))
    extra = dict(extra or {})
    order_err = coeff_err = None
    if num is not None:
        order_err = num.order_error
        coeff_err = num.coefficient_error
        if num.coefficient is None:
            path_order = float(k) + num.order_estimate
            beta = "" if num.log_power is None else (
                f", a factor (log 1/(1-|lam|))^{num.log_power:.3g}")
            note_list.append(f"order {path_order:.6g} ± {num.order_error:.2g} "
                             f"(not a small rational: logarithmic corrections{beta})")
            if abs(path_order) <= 3 * num.order_error:
                limit_value, why = _numeric_limit(num, k, a)
                note_list.append(why)
    return PathAsymptotic(limit, order, coeff, not bad, route, tuple(note_list), order_err,
                          coeff_err, extra, path, special, tuple(bad), limit_value)


#: E at the numeric route's points must move monotonically over this many of the last
#: points, with a fitted logarithmic power |β| above LOG_POWER_MIN, to call its limit
LIMIT_POINTS, LOG_POWER_MIN = 5, 0.1


def _numeric_limit(num: Any, k: sp.Expr, a: sp.Expr) -> tuple[sp.Expr | None, str]:
    """The limit of E = |∂λ/∂p|² K along a path whose order is 0 to within its error:
    0 or ∞ when E = a f_j ε_j^{−k} (f the chain factor at the numeric points, K's leading
    term) moves monotonically over the last points with a fitted factor L^β, |β| ≥ 0.1
    (L = log 1/ε), in the direction of β; otherwise undecided (None).  Evidence from
    ε = 10^{−4} … 10^{−24}, not a proof; the note says so."""
    try:
        a_val = abs(complex(a))
    except (TypeError, ValueError):
        return None, "the limit of E was not decided (coefficient not a number)"
    with mpmath.workdps(50):
        e_vals = [a_val * f * mpmath.mpf(e) ** (-float(k)) if k != 0 else a_val * f
                  for e, f in zip(num.epsilons, num.values, strict=True)]
    tail = e_vals[-LIMIT_POINTS:]
    steps = [y - x for x, y in zip(tail, tail[1:], strict=False)]
    beta = num.log_power
    span = (f"E = {mpmath.nstr(e_vals[0], 4)} at 1-|lam| = {num.epsilons[0]:.0e} to "
            f"{mpmath.nstr(e_vals[-1], 4)} at {num.epsilons[-1]:.0e}")
    if beta is not None and len(steps) == LIMIT_POINTS - 1 and abs(beta) >= LOG_POWER_MIN:
        if beta < 0 and all(d < 0 for d in steps):
            return sp.Integer(0), f"E -> 0 like (log 1/(1-|lam|))^{beta:.3g} (numeric: {span})"
        if beta > 0 and all(d > 0 for d in steps):
            return sp.oo, f"E -> oo like (log 1/(1-|lam|))^{beta:.3g} (numeric: {span})"
    return None, f"the limit of E is not decided ({span})"


def never_near_one_row(st: ParamSetup, k_expr: sp.Expr, r0: Any = None) -> PathAsymptotic:
    """The one row of a parametrization with sup |λ| = s < 1: bounded when the chain factor's
    supremum c is finite (E ≤ c · sup_{|λ| ≤ s} K, and K is bounded on |λ| ≤ s), with the
    explicit bound c · max γ² · R(0)/(1 − s)^4 for decoupled γ and the largest E found by a
    scan (:mod:`theory.params.inside_disc`)."""
    inside = st.inside
    s_val = inside.sup_abs_lam.value
    limit = f"never near |lam| = 1: sup |lam| = {sp.sstr(s_val)} < 1"
    extra: dict[str, Any] = {"sup_abs_lam": json_number(s_val),
                             "sup_abs_lam_exact": sp.sstr(s_val),
                             "sup_abs_lam_attained": inside.sup_abs_lam.attained}
    notes = [f"sup |lam| = {sp.sstr(s_val)} < 1 over {st.magnitude} "
             "(sympy function_range, scan as second opinion)"]
    failure = open_question = None
    sup_chain = inside.sup_chain
    if sup_chain is None:
        open_question = (f"sup |lam| < 1, but the supremum of |d lam/d {st.wrt}|^2 over "
                         f"{st.magnitude} was not found")
    elif not sup_chain.finite:
        failure = f"|d lam/d {st.wrt}|^2 is unbounded over {st.magnitude} (sup = oo)"
    else:
        extra["sup_chain_factor"] = json_number(sup_chain.value)
        bound = None if st.par.coupled else moment_bound(
            s_val, sup_chain.value, st.par.gamma, r0, lam, st.budget)
        if bound is not None:
            extra["sensitivity_bound"] = json_number(bound)
            notes.append(f"E <= sup|d lam/d {st.wrt}|^2 * max gamma^2 * R(0)/(1 - s)^4 = "
                         f"{sp.sstr(bound)}")
        else:
            notes.append("E <= sup|d lam/d p|^2 * sup_{|lam| <= s} K, finite (K converges "
                         "uniformly on |lam| <= s)")
    if failure is None and open_question is None:
        subs = {lam: st.nu} if st.angle is None else {lam: st.nu, theta: st.angle}
        full = st.chain * k_expr.subs(subs, simultaneous=True)
        if not full.has(sp.Sum) and full.free_symbols <= {st.magnitude}:
            best, where = scan_maximum(full, st.magnitude)
            if best == best:
                extra["max_sensitivity_found"] = best
                extra["max_sensitivity_at"] = {str(st.magnitude): where}
                notes.append(f"largest E found by a scan: {best:.6g} at {st.magnitude} = "
                             f"{where:.6g}")
    return PathAsymptotic(limit, sp.Integer(0), None, True, "symbolic", tuple(notes),
                          extra=extra, failure=failure, open_question=open_question)


@dataclass(frozen=True)
class Unbounded:
    """A path that is not bounded, in a regime, and why
    (:attr:`PathAsymptotic.unbounded_reason`)."""

    regime: Any
    path: PathAsymptotic
    reason: str


@dataclass(frozen=True)
class Verdict:
    """The check-param verdict: ``"bounded"`` only when every path of every regime is
    bounded (order ≤ 0 with a coefficient bounded over the free angle and parameters, and
    at order 0 a finite limit of E), ``"explodes"`` with the paths that are not, and
    ``"undecided"`` when no path explodes but one could not be decided (a numeric order 0
    to within its error whose limit of E is unknown; ``undecided`` lists them)."""

    verdict: str
    unbounded: tuple[Unbounded, ...]
    undecided: tuple[Unbounded, ...] = ()


def decide_verdict(regimes: Sequence[RegimePaths]) -> Verdict:
    """The one verdict of a parametrization, from its typed path results."""
    bad = tuple(Unbounded(r.rho, pa, pa.unbounded_reason) for r in regimes for pa in r.paths
                if pa.unbounded_reason is not None)
    open_ = tuple(Unbounded(r.rho, pa, pa.undecided_reason) for r in regimes
                  for pa in r.paths if pa.undecided_reason is not None)
    verdict = "explodes" if bad else "undecided" if open_ else "bounded"
    return Verdict(verdict, bad, open_)


def _lags(k_expr: sp.Expr, lags: sp.Expr | None) -> sp.Expr:
    """R(k) of a regime whose K holds lag sums (given by the caller)."""
    if lags is None:
        raise ValueError("K holds lag sums without a closed form: pass the regime's R(k) "
                         "as lags")
    return lags


def _is_zero(k_expr: sp.Expr, budget: Budget) -> bool:
    """K ≡ 0 (e.g. γ = 1 − λ coupled with a constant input: h = x, d_λh = 0)."""
    if k_expr == 0:
        return True
    if k_expr.has(sp.Sum) or not budget.allows(k_expr, "simplify_ops", "is K zero"):
        return False
    return sp.cancel(sp.together(k_expr)) == 0


def analyse(st: ParamSetup, k_expr: sp.Expr, rho_value: Any = None,
            cache: dict[Any, Any] | None = None, *, r0: Any = None,
            lags: sp.Expr | None = None) -> RegimePaths:
    """Every path of ``st`` for the moment factor ``k_expr`` (K of :func:`moment_factor`
    for one regime: ρ substituted).  ``cache`` (a dict shared across regimes) keeps the
    chain factor's power law per path.  With no path (sup |λ| < 1, ``st.inside``) the one row
    says so, with the bound on E (``r0`` = R(0) of the regime makes it explicit).  ``lags``
    is the regime's R(k), needed when K holds lag sums without a closed form
    (:mod:`theory.params.lag_asymptotics`)."""
    cache = {} if cache is None else cache
    free = st.free_parameters
    results: list[PathAsymptotic] = []
    if not st.paths and st.inside is not None:
        return RegimePaths(rho_value, (never_near_one_row(st, k_expr, r0),))
    zero = _is_zero(k_expr, st.budget)
    for path in st.paths:
        if zero:
            results.append(_combine(path, sp.Integer(0), sp.Integer(0), sp.Integer(0),
                                    sp.Integer(1), "symbolic", None, (), budget=st.budget))
        elif st.angle_mode in ("real", "constant"):
            angle = None if st.angle_mode == "real" else st.angle
            notes: tuple[str, ...] = ()
            extra: dict[str, Any] = {}
            if k_expr.has(sp.Sum):  # R(k) without a closed-form generating function
                lag = lag_moment_order(k_expr, _lags(k_expr, lags), path.target, angle,
                                       st.budget)
                k, a, notes, extra = lag.order, lag.coefficient, lag.notes, lag.extra
            else:
                k, a = moment_order(k_expr, path.target, angle, st.budget)
            alpha, c, route, num = _chain_power(st, path, cache)
            results.append(_combine(path, k, a, alpha, c, route, num, free, notes,
                                    budget=st.budget, extra=extra))
        elif k_expr.has(sp.Sum):
            raise ArgumentValueError(
                "at", "an R(k) without a closed-form generating function is analysed at a "
                "fixed angle: the angle of lam " + ("moves with its magnitude"
                                                    if st.angle_mode == "moving" else
                                                    "is free") + "; give the angle's "
                "parameters values with {at}, or use a geometric R(k)")
        elif st.angle_mode == "free":
            alpha, c, route, num = _chain_power(st, path, cache)
            k, a = moment_order(k_expr, "circle", None, st.budget)
            uniform_vars = [theta, *[q for q in free if q != theta]]
            results.append(_combine(path, k, a, alpha, c, route, num,
                                    uniform_vars, budget=st.budget))
            for special in (sp.Integer(0), sp.pi):
                k_s, a_s = moment_order(k_expr, "circle", special, st.budget)
                results.append(_combine(path, k_s, a_s, alpha, c, route, num, free,
                                        budget=st.budget, special=special))
        else:  # moving angle: follow the curve λ(m)
            full = st.chain * k_expr.subs({lam: st.nu, theta: st.angle}, simultaneous=True)
            eps_expr = epsilon_along(st.nu, path)
            found = symbolic_power_law(full, eps_expr, path, st.budget)
            note = ("the angle moves with " + str(st.magnitude)
                    + " (nothing holds it fixed): followed along the curve lam(" +
                    str(st.magnitude) + ")",)
            if found is not None:
                results.append(_combine(path, sp.Integer(0), sp.Integer(1),
                                        found[0], found[1], "symbolic", None, free, note,
                                        st.budget))
            else:
                num = numeric_power_law(full, eps_expr, path)
                c = None if num.coefficient is None else sp.Float(num.coefficient, 15)
                results.append(_combine(path, sp.Integer(0), sp.Integer(1),
                                        -num.order, c, "numeric", num, free, note, st.budget))
    return RegimePaths(rho_value, tuple(results))
