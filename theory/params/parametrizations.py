"""Parametrizations of the recurrent eigenvalue and the chain rule for E|d_p h|².

A :class:`Parametrization` writes λ through parameters p: real λ = ``nu(p)``,
or complex λ = ν(p)·e^{iθ(p)} with ``nu`` and ``theta`` expressions; an
optional input gain γ (an expression in ``lam``, the modulus) is held constant
(decoupled, default) or differentiated through (``coupled``).  With h = γ h̃,

    d_p h = A · d_λ h̃ + B · h̃,   A = γ ∂λ/∂p,   B = γ'(|λ|) ∂|λ|/∂p (coupled only; 0 otherwise)

where ∂λ/∂p = e^{iθ}(∂ν/∂p + iν ∂θ/∂p) (so d_θ h = iλ d_λ h), and

    E|d_p h|² = |A|² E|d_λh̃|² + 2 Re(A B̄ E[d_λh̃ conj h̃]) + |B|² E|h̃|²

(Zucchet & Orvieto 2024, §3; docs/theory.md §4).  The three
expectations are the Lemma 1/2 forms of :mod:`theory.memory.moments`; for decoupled γ
this is E|d_p h|² = |∂λ/∂p|² γ² E|d_λ h̃|².

Presets (:data:`PRESETS`, geotorch style: a wrong name raises a ValueError that
lists the valid ones): ``identity``, ``exp`` (λ = exp(−exp(ω_ν))), ``polar``,
``lru`` (λ = exp(−exp(ω_ν) + i exp(ω_θ))), ``tanh_optimal`` (§3.6: ν = tanh ω_ν,
θ = s(ν) ω_θ with s(ν) = (1−ν²)/(ν√(1+ν²)) not differentiated, as the code's
stop-gradient), each also as ``<name>_normalized`` with γ = √(1 − |λ|²) (decoupled).
:func:`regimes` gives, per input regime ρ (or a user autocorrelation), the
order, coefficient and boundedness of E|d_p h|² as |λ| → 1⁻ (used by
``rnnverify check-param``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sympy as sp
from rnnverify.theory.budget import Budget
from rnnverify.theory.memory import moments as _m
from rnnverify.theory.memory.autocorr import Autocorrelation, ar1, as_autocorrelation
from rnnverify.theory.params.asymptotics import Asymptotic, asymptotic
from rnnverify.theory.parser import parse_expression
from rnnverify.theory.symbols import k, lam, rho, theta

omega_nu = sp.Symbol("omega_nu", real=True)
omega_theta = sp.Symbol("omega_theta", real=True)
#: the stop-gradient scale of the tanh_optimal angle
_s = sp.Symbol("s_theta", positive=True)


@dataclass(frozen=True)
class Parametrization:
    """λ as a function of parameters.

    ``nu``: λ (real case) or its modulus ν (complex case) as an expression in
    ``params``; ``theta``: the angle (None for real λ); ``gamma``: γ as an
    expression in ``lam`` (the modulus) or None for γ = 1; ``coupled``: whether
    γ(|λ|) is differentiated; ``constants``: symbols standing for factors that
    are *not* differentiated (stop-gradient), with their value in the
    parameters; ``inverse``: each parameter as an expression in ``lam`` (and
    ``theta``), used to write the sensitivity as a function of λ.
    """

    name: str
    params: tuple[sp.Symbol, ...]
    nu: sp.Expr
    theta: sp.Expr | None = None
    gamma: sp.Expr | None = None
    coupled: bool = False
    constants: Mapping[sp.Symbol, sp.Expr] = field(default_factory=dict)
    inverse: Mapping[sp.Symbol, sp.Expr] = field(default_factory=dict)
    description: str = ""

    def __hash__(self) -> int:
        return hash((self.name, self.params, self.nu, self.theta, self.gamma, self.coupled,
                     tuple(self.constants.items()), tuple(self.inverse.items())))

    @property
    def is_complex(self) -> bool:
        return self.theta is not None

    def lam_expr(self) -> sp.Expr:
        """λ as an expression of the parameters (stop-gradient constants substituted)."""
        if self.theta is None:
            return self._const(self.nu)
        return self._const(self.nu * sp.exp(sp.I * self.theta))

    def _const(self, e: sp.Expr) -> sp.Expr:
        return e.subs(dict(self.constants)) if self.constants else e

    def param(self, p: str | sp.Symbol) -> sp.Symbol:
        names = {str(q): q for q in self.params}
        key = str(p)
        if key not in names:
            raise ValueError(f"parameter {key!r} is not one of {', '.join(names)}")
        return names[key]

    def normalized(self) -> Parametrization:
        """The same with γ = √(1 − |λ|²) (decoupled)."""
        return Parametrization(f"{self.name}_normalized", self.params, self.nu, self.theta,
                               sp.sqrt(1 - lam**2), False, self.constants, self.inverse,
                               self.description + "; gamma = sqrt(1 - |lam|^2)")

    # -- chain rule -------------------------------------------------------------
    def chain_factors(self, p: str | sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
        """(∂ν/∂p, ∂θ/∂p) in the parameters (stop-gradient factors held constant)."""
        q = self.param(p)
        dnu = self._const(sp.diff(self.nu, q))
        dth = sp.Integer(0) if self.theta is None else self._const(sp.diff(self.theta, q))
        return dnu, dth

    def _to_lam(self, e: sp.Expr) -> sp.Expr:
        """Rewrite an expression of the parameters in lam (and theta)."""
        inv = self.inverse or _solve_inverse(self)
        return sp.simplify(e.subs(dict(inv)))


@lru_cache(maxsize=64)
def _solve_inverse(par: Parametrization) -> dict[sp.Symbol, sp.Expr]:
    eqs = [sp.Eq(par._const(par.nu), lam)]
    if par.theta is not None:
        eqs.append(sp.Eq(par._const(par.theta), theta))
    sols = sp.solve(eqs, list(par.params), dict=True)
    if not sols:
        raise ValueError(f"cannot invert lam = {par.nu} for {par.params}: give inverse=")
    real = [s for s in sols if all(not v.has(sp.I) for v in s.values())] or sols
    return real[0]


def sensitivity_expr(par: Parametrization, p: str | sp.Symbol,
                     autocorr: Autocorrelation | float | str | None = None) -> sp.Expr:
    """E|d_p h|² (stationary) as an expression in ``lam`` (ν), ``theta``, ``rho``.

    Derived from the chain rule above and the Lemma 1/2 moments of
    :mod:`theory.memory.moments` (γ = 1 there; γ enters through A and B).
    """
    ac = ar1() if autocorr is None else as_autocorrelation(autocorr)
    return _sensitivity_cached(par, str(p), ac.expr)


@lru_cache(maxsize=256)
def _sensitivity_cached(par: Parametrization, p: str, r_expr: sp.Expr) -> sp.Expr:
    ac = Autocorrelation(r_expr, "R")
    dnu, dth = (par._to_lam(f) for f in par.chain_factors(p))
    g = sp.Integer(1) if par.gamma is None else par.gamma
    gp = sp.diff(g, lam) if par.coupled else sp.Integer(0)
    complex_lambda = par.is_complex
    if complex_lambda:
        # |∂λ/∂p|² = (∂ν/∂p)² + ν²(∂θ/∂p)²; A B̄ = γγ' ∂ν/∂p e^{iθ}(∂ν/∂p + iν∂θ/∂p)
        dl_abs2 = dnu**2 + lam**2 * dth**2
        a_bbar = g * gp * dnu * sp.exp(sp.I * theta) * (dnu + sp.I * lam * dth)
    else:
        dl_abs2 = dnu**2
        a_bbar = g * gp * dnu**2
    e_dh = _m.moment_expr("dh2_dlam", ac, complex_lambda=complex_lambda)
    total = g**2 * dl_abs2 * e_dh
    if par.coupled:
        e_h = _m.moment_expr("h2", ac, complex_lambda=complex_lambda)
        mixed = _mixed_expr(ac, complex_lambda)  # E[d_λh̃ conj h̃]
        total += gp**2 * dnu**2 * e_h + 2 * sp.re(a_bbar * mixed) if complex_lambda else (
            gp**2 * dnu**2 * e_h + 2 * a_bbar * mixed)
    if not complex_lambda:
        total = sp.simplify(total)
    return total


def _mixed_expr(ac: Autocorrelation, complex_lambda: bool) -> sp.Expr:
    """E[d_λh̃ conj h̃] = ∂_α F(α, β) at α = λ, β = conj λ (Lemma 1 differentiated)."""
    F, Fa, Fb, Fab = _m._F_stationary()
    sa = sp.Symbol("alpha_")
    G = ac.generating_function(sa).expr
    Gp = ac.derivative_generating_function(sa).expr
    lam1 = lam * sp.exp(sp.I * theta) if complex_lambda else lam
    lamb = lam * sp.exp(-sp.I * theta) if complex_lambda else lam
    e = Fa.subs({_m._R0: ac.expr.subs(k, 0),
                 _m._Ga: G.subs(sa, _m._a), _m._Gb: G.subs(sa, _m._b),
                 _m._Gpa: Gp.subs(sa, _m._a), _m._Gpb: Gp.subs(sa, _m._b)})
    return e.subs({_m._a: lam1, _m._b: lamb}, simultaneous=True)


@dataclass(frozen=True)
class Regime:
    """Asymptotics of E|d_p h|² as |λ| → 1⁻ for one input regime."""

    rho: Any  # number, or the autocorrelation's text for a user R(k)
    order: sp.Expr
    coefficient: sp.Expr
    bounded: bool

    def to_json(self) -> dict[str, Any]:
        coeff = self.coefficient
        try:
            c_val: Any = float(coeff) if coeff.is_number and coeff.is_real else str(coeff)
        except TypeError:
            c_val = str(coeff)
        return {"rho": self.rho, "order": float(self.order) if self.order.is_number else str(
            self.order), "order_exact": str(self.order), "coefficient": c_val,
            "coefficient_exact": str(coeff), "bounded": self.bounded}


def regimes(par: Parametrization, p: str | sp.Symbol,
            rhos: Iterable[Any] = (0, sp.Rational(1, 2), 1),
            autocorrs: Iterable[Autocorrelation | str] = (),
            theta_value: Any = None) -> list[Regime]:
    """Order p, coefficient C and boundedness of E|d_p h|² as |λ| → 1⁻ per regime.

    ``rhos``: values of ρ for R(k) = ρ^|k| (exact rationals are used for floats
    through :func:`sympy.nsimplify`); ``autocorrs``: further user
    autocorrelations; ``theta_value``: the fixed angle for complex λ (default:
    generic symbolic θ).
    """
    out: list[Regime] = []
    for r in rhos:
        r_exact = sp.nsimplify(r, rational=True) if not isinstance(r, sp.Basic) else r
        e = sensitivity_expr(par, p, ar1()).subs(rho, r_exact)
        if theta_value is not None and par.is_complex:
            e = e.subs(theta, sp.nsimplify(theta_value))
        a = _asym(e)
        out.append(Regime(r, a.order, a.coefficient, a.bounded))
    for ac in autocorrs:
        acx = as_autocorrelation(ac)
        e = sensitivity_expr(par, p, acx)
        if theta_value is not None and par.is_complex:
            e = e.subs(theta, sp.nsimplify(theta_value))
        a = _asym(e)
        out.append(Regime(acx.name, a.order, a.coefficient, a.bounded))
    return out


def _asym(e: sp.Expr) -> Asymptotic:
    a = asymptotic(e, lam, 1)
    return Asymptotic(a.order, real_form(a.coefficient))


def real_form(c: sp.Expr, budget: Budget | None = None) -> sp.Expr:
    """A real-valued expression in exp(iθ) rewritten with cosines (display only).

    Numerator and denominator are polynomials in z = exp(iθ); dividing both by
    z^{deg/2} makes them palindromic sums of cos(jθ).  Returns ``c`` unchanged
    when this does not give an expression free of i.  A number with i in it (a real
    coefficient written with exp(i·x)) is written as its real part when its imaginary part
    is 0.  The rewriting runs only when ``count_ops(c)`` is within ``budget.simplify_ops``
    (:class:`theory.budget.Budget`: a work cap, not a clock); above it, or when the
    expansion itself grows past the cap, ``c`` comes back unsimplified and the cut is
    recorded.
    """
    if not c.has(sp.I):
        return c
    budget = Budget() if budget is None else budget
    if not budget.allows(c, "simplify_ops", "real form of a coefficient"):
        return c
    if c.is_number:
        re_part, im_part = c.as_real_imag()
        value = complex(sp.N(c, 40))
        if im_part == 0 or abs(value.imag) <= 1e-30 * max(1.0, abs(value)):
            return re_part if budget.allows(re_part, "simplify_ops", "real part") else c
        return c
    z = sp.exp(sp.I * theta)
    try:
        num, den = sp.fraction(sp.together(c))
        w = sp.Dummy("w")
        deg = sp.Poly(den.subs(z, w), w).degree()
        half = sp.Rational(deg, 2)
        top = sp.expand(num / z**half).rewrite(sp.cos)
        bottom = sp.expand(den / z**half).rewrite(sp.cos)
        if not (budget.allows(top, "simplify_ops", "real form (numerator)")
                and budget.allows(bottom, "simplify_ops", "real form (denominator)")):
            return c
        out = sp.simplify(top / bottom)
    except (sp.PolynomialError, sp.GeneratorsNeeded, ValueError, TypeError):
        return c
    return out if not out.has(sp.I) else c


# -- presets -------------------------------------------------------------------------
def _identity() -> Parametrization:
    return Parametrization("identity", (lam,), lam, inverse={lam: lam},
                           description="lambda = lam (real)")


def _exp() -> Parametrization:
    return Parametrization("exp", (omega_nu,), sp.exp(-sp.exp(omega_nu)),
                           inverse={omega_nu: sp.log(-sp.log(lam))},
                           description="lambda = exp(-exp(omega_nu)) (real)")


def _polar() -> Parametrization:
    nu_s = sp.Symbol("nu", positive=True)
    return Parametrization("polar", (nu_s, theta), nu_s, theta,
                           inverse={nu_s: lam, theta: theta},
                           description="lambda = nu exp(i theta)")


def _lru() -> Parametrization:
    return Parametrization("lru", (omega_nu, omega_theta), sp.exp(-sp.exp(omega_nu)),
                           sp.exp(omega_theta),
                           inverse={omega_nu: sp.log(-sp.log(lam)), omega_theta: sp.log(theta)},
                           description="lambda = exp(-exp(omega_nu) + i exp(omega_theta)) (LRU)")


def _tanh_optimal() -> Parametrization:
    nu_w = sp.tanh(omega_nu)
    return Parametrization(
        "tanh_optimal", (omega_nu, omega_theta), nu_w, _s * omega_theta,
        constants={_s: (1 - nu_w**2) / (nu_w * sp.sqrt(1 + nu_w**2))},
        inverse={omega_nu: sp.atanh(lam),
                 omega_theta: theta * lam * sp.sqrt(1 + lam**2) / (1 - lam**2)},
        description="nu = tanh(omega_nu), theta = s(nu) omega_theta, "
                    "s = (1-nu^2)/(nu sqrt(1+nu^2)) held constant (Zucchet & Orvieto §3.6)")


_BASE: dict[str, Callable[[], Parametrization]] = {
    "identity": _identity,
    "exp": _exp,
    "polar": _polar,
    "lru": _lru,
    "tanh_optimal": _tanh_optimal,
}

#: preset name -> factory (each also as "<name>_normalized": γ = sqrt(1 − |λ|²))
PRESETS: dict[str, Callable[[], Parametrization]] = {
    **_BASE,
    **{f"{n}_normalized": (lambda f=f: f().normalized()) for n, f in _BASE.items()},
}


def preset(name: str | Parametrization) -> Parametrization:
    """A preset by name (or a :class:`Parametrization` passed through)."""
    if isinstance(name, Parametrization):
        return name
    if name not in PRESETS:
        raise ValueError(
            f"unknown parametrization {name!r}; valid: {', '.join(sorted(PRESETS))}")
    return PRESETS[name]()


def from_expressions(lam_text: str, params: Iterable[str], *, theta_text: str | None = None,
                     gamma_text: str | None = None, coupled: bool = False) -> Parametrization:
    """A user parametrization from text (whitelist parser): λ (or ν) and θ in ``params``,
    γ in ``lam``.  Raises ValueError on a bad expression or a parameter-free λ."""

    names = tuple(params)
    if not names:
        raise ValueError("declare at least one parameter")
    syms = {n: sp.Symbol(n, real=True) for n in names}
    nu = parse_expression(lam_text, allowed=(), params=syms)
    if not nu.free_symbols:
        raise ValueError("lam expression must depend on a parameter")
    th = None if theta_text is None else parse_expression(theta_text, allowed=(), params=syms)
    g = None if gamma_text is None else parse_expression(gamma_text, allowed=("lam",))
    if coupled and g is None:
        raise ValueError("coupled needs a gamma expression")
    return Parametrization("user", tuple(syms.values()), nu, th, g, coupled,
                           description=f"lam = {lam_text}")
