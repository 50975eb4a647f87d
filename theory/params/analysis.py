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

import sympy as sp
from rnnverify.theory.budget import Budget
from rnnverify.theory.memory.moments import moment_expr
from rnnverify.theory.params.limit_paths import LimitPath, find_limit_paths
from rnnverify.theory.params.parametrizations import Parametrization, real_form
from rnnverify.theory.params.path_asymptotics import (
    PathAsymptotic,
    coefficient_singularities,
    epsilon_along,
    moment_order,
    numeric_power_law,
    symbolic_power_law,
)
from rnnverify.theory.symbols import lam, theta

__all__ = ["ParamSetup", "RegimePaths", "Unbounded", "Verdict", "analyse", "decide_verdict",
           "moment_factor", "setup"]


@dataclass(frozen=True)
class ParamSetup:
    """A parametrization prepared for the limit analysis (parameters fixed by ``--at``
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
        raise ValueError(f"--wrt {p}: d lam/d {p} is identically zero")
    lam_expr = nu if angle is None else nu * sp.exp(sp.I * angle)
    subs = dict(fixed)
    nu_f, chain_f, lam_f = nu.subs(subs), chain.subs(subs), lam_expr.subs(subs)
    angle_f = None if angle is None else sp.simplify(angle.subs(subs))
    mags = sorted(nu_f.free_symbols, key=lambda q: q.name)
    if not mags:
        raise ValueError("|lam| does not depend on any free parameter, so |lam| -> 1 "
                         "cannot be approached")
    if len(mags) > 1:
        raise ValueError(
            "|lam| depends on several parameters (" + ", ".join(q.name for q in mags)
            + "); fix all but one with --at NAME=VALUE")
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
    if not paths:
        raise ValueError(f"|lam| cannot approach 1 for real values of {m} (no path with "
                         f"|lam| -> 1 from inside the unit disc as {m} -> ±oo or a finite point)")
    return ParamSetup(par, p, lam_f, nu_f, angle_f, chain_f, m, mode, tuple(paths),
                      tuple(fixed.items()), budget)


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
             special: sp.Expr | None = None) -> PathAsymptotic:
    limit = path.limit_text
    if special is not None:
        target = "1" if special == 0 else "-1"
        limit = (f"lam -> {target} (theta -> {sp.sstr(special)}) as "
                 + limit.split(" as ", 1)[1])
    if alpha == sp.oo:
        order, coeff = -sp.oo, sp.Integer(0)
    else:
        order = sp.nsimplify(k - alpha) if route == "symbolic" else k - alpha
        coeff = None if c is None else sp.simplify(c * a)
    if not (order.is_number or order in (sp.oo, -sp.oo)):
        raise ValueError(f"the order along {limit} depends on {order.free_symbols}: "
                         "fix parameters with --at")
    coeff = None if coeff is None else real_form(coeff)
    bad: list[str] = []
    if coeff is not None and uniform_vars:
        vars_in = [v for v in uniform_vars if coeff.has(v)]
        bad = coefficient_singularities(coeff, vars_in, budget) if vars_in else []
    note_list = list(notes)
    if bad:
        note_list.append("coefficient diverges as " + ", ".join(bad))
    extra: dict[str, Any] = {}
    order_err = coeff_err = None
    if num is not None:
        order_err = num.order_error
        coeff_err = num.coefficient_error
        if num.coefficient is None:
            note_list.append(f"order {num.order_estimate:.6g} ± {num.order_error:.2g} "
                             "(not a small rational: logarithmic corrections?)")
    return PathAsymptotic(limit, order, coeff, not bad, route, tuple(note_list), order_err,
                          coeff_err, extra, path, special, tuple(bad))


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
    bounded (order ≤ 0 with a coefficient bounded over the free angle and parameters),
    else ``"explodes"`` with the paths that are not."""

    verdict: str
    unbounded: tuple[Unbounded, ...]


def decide_verdict(regimes: Sequence[RegimePaths]) -> Verdict:
    """The one verdict of a parametrization, from its typed path results."""
    bad = tuple(Unbounded(r.rho, pa, pa.unbounded_reason) for r in regimes for pa in r.paths
                if pa.unbounded_reason is not None)
    return Verdict("explodes" if bad else "bounded", bad)


def analyse(st: ParamSetup, k_expr: sp.Expr, rho_value: Any = None,
            cache: dict[Any, Any] | None = None) -> RegimePaths:
    """Every path of ``st`` for the moment factor ``k_expr`` (K of :func:`moment_factor`
    for one regime: ρ substituted).  ``cache`` (a dict shared across regimes) keeps the
    chain factor's power law per path."""
    cache = {} if cache is None else cache
    free = st.free_parameters
    results: list[PathAsymptotic] = []
    for path in st.paths:
        if st.angle_mode in ("real", "constant"):
            angle = None if st.angle_mode == "real" else st.angle
            k, a = moment_order(k_expr, path.target, angle)
            alpha, c, route, num = _chain_power(st, path, cache)
            results.append(_combine(path, k, a, alpha, c, route, num, free,
                                    budget=st.budget))
        elif st.angle_mode == "free":
            alpha, c, route, num = _chain_power(st, path, cache)
            k, a = moment_order(k_expr, "circle", None)
            uniform_vars = [theta, *[q for q in free if q != theta]]
            results.append(_combine(path, k, a, alpha, c, route, num,
                                    uniform_vars, budget=st.budget))
            for special in (sp.Integer(0), sp.pi):
                k_s, a_s = moment_order(k_expr, "circle", special)
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
