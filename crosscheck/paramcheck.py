"""Check a user's parametrization λ(params): sensitivity, order of blow-up per regime, verdict.

A user writes the eigenvalue as an expression of their parameters, e.g.
``exp(-exp(w))`` (the exponential reparametrization of Zucchet & Orvieto 2024,
§3.2 of research/zucchet.md) or ``exp(-exp(w) + I*exp(a))`` (the LRU's
exp-angle form, §3.3), names the parameter ``P`` to differentiate (``--wrt``)
and optionally an input normalization γ as an expression of ``lam`` (the
modulus |λ|; §3.1).  This module

1. parses λ with the whitelist parser (:func:`theory.parser.parse_expression`);
   the parameters are the free names that are neither functions, constants
   nor reserved symbols (``theta`` may be used as a parameter; ``lam``,
   ``lam2``, ``rho``, ``k`` and ``t`` may not);
2. finds the *magnitude parameter* ``m``, the one parameter that |λ| depends
   on, and inverts |λ(m)| = ν symbolically (:func:`sympy.solve`); when several
   values of ``m`` give the same ν the branch with the largest Re λ is taken
   (the approach to λ = +1).  All other parameters are held fixed, so the
   limit |λ| → 1⁻ is taken along ``m`` (e.g. ω → −∞ for λ = exp(−exp(ω)));
3. applies the chain rule.  h is holomorphic in λ (γ decoupled), so
   ``d_P h = (∂λ/∂P) d_λ h`` and
   ``E|d_P h|² = |∂λ/∂P|² · E|d_λ h|²``, where ``E|d_λ h|²`` (with γ, coupled
   or not) comes from :func:`theory.moments.moment_expr` — derived from
   Lemmas 1–2, never typed in here.  ``|∂λ/∂P|²`` is rewritten as a function
   of ν through the inverse of step 2 (for λ = exp(−exp(ω)) it is
   (λ ln λ)², the factor of §3.2);
4. for each input-correlation regime (AR(1) ``ρ`` or a user autocorrelation)
   reads off the order ``p`` and coefficient ``C`` of
   ``E|d_P h|² ~ C (1 − ν)^{−p}`` with
   :func:`theory.asymptotics.order_and_coefficient`; a regime is bounded when
   ``p ≤ 0``, and the verdict is "bounded" only when every regime is;
5. optionally confirms the orders by Monte Carlo (:func:`mc_slopes`): the
   simulated ``E|d_λ h|²`` at points ``1 − ν = 10^{−1 … −2.5}`` times the exact
   chain factor, regressed on ``log(1 − ν)``; its slope is z-tested against
   the slope of the exact formula at the same points.

Limitations (each raises ``ValueError`` with a message saying so):
|λ| must depend on exactly one parameter; the equation |λ(m)| = ν must be
solvable by SymPy with a real branch for ν near 1; γ may depend on ``lam``
only; ``gamma_coupled`` needs a real λ; for real λ the limit is λ → +1.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from theory.symbols import RESERVED, lam, rho, theta

__all__ = [
    "PRESETS",
    "ParamCheck",
    "Parametrized",
    "Preset",
    "Regime",
    "check_parametrization",
    "mc_slopes",
    "parametrize",
    "preset",
]

#: reserved names a λ expression may not use (``theta`` may serve as a parameter)
_FORBIDDEN_IN_LAM = tuple(n for n in RESERVED if n != "theta")
#: generic value given to the parameters held fixed when choosing a branch numerically
_GENERIC = sp.Rational(3, 10)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# --------------------------------------------------------------------------- presets
@dataclass(frozen=True)
class Preset:
    """A parametrization of the paper, spelled as the CLI would take it."""

    lam: str
    wrt: str
    gamma: str | None
    source: str
    expected: str  # what research/zucchet.md §3.4–3.6 says, for the reader


_NORM = "sqrt(1-lam**2)"
_TANH_ANGLE = "tanh(w)*exp(I*a*(1-tanh(w)**2)/(tanh(w)*sqrt(1+tanh(w)**2)))"

#: the parametrizations of Zucchet & Orvieto (research/zucchet.md §3), name -> preset
PRESETS: dict[str, Preset] = {
    "identity": Preset("nu", "nu", None, "§3.4 row 2",
                       "explodes: order 3 for rho<1, 4 at rho=1"),
    "identity_normalized": Preset("nu", "nu", _NORM, "§3.4 row 4",
                                  "explodes: order 2 for rho<1, 3 at rho=1"),
    "exp": Preset("exp(-exp(w))", "w", None, "§3.4 (exp only)", "explodes (order 1 for rho<1)"),
    "exp_normalized": Preset("exp(-exp(w))", "w", _NORM, "§3.4 row 5",
                             "bounded for rho<1 (limit (1+rho)/(2(1-rho))), order 1 at rho=1"),
    "polar_magnitude": Preset("nu*exp(I*theta)", "nu", None, "§2.5", "explodes"),
    "polar_angle": Preset("nu*exp(I*theta)", "theta", None, "§2.5", "explodes"),
    "polar_angle_normalized": Preset("nu*exp(I*theta)", "theta", _NORM, "§3.5",
                                     "explodes: order 2 (i.i.d.)"),
    "lru_magnitude": Preset("exp(-exp(w) + I*exp(a))", "w", _NORM, "§3.3",
                            "bounded for i.i.d. input"),
    "lru_angle": Preset("exp(-exp(w) + I*exp(a))", "a", _NORM, "§3.5",
                        "explodes: order 2 (only the angle explodes, Fig. 5B)"),
    "tanh_optimal": Preset("tanh(w)", "w", _NORM, "§3.6",
                           "bounded for i.i.d. input (gamma^2 E = 1 + nu^2)"),
    "tanh_optimal_angle": Preset(_TANH_ANGLE, "a", _NORM, "§3.6",
                                 "bounded for i.i.d. input (gamma^2 E = 1 exactly)"),
}


def preset(name: str) -> Preset:
    """The preset ``name``; a wrong name raises ``ValueError`` listing the valid ones."""
    if name not in PRESETS:
        raise ValueError(f"--preset must be one of {', '.join(PRESETS)}, got {name!r}")
    return PRESETS[name]


# --------------------------------------------------------------------------- parsing
def _parameter_names(text: str) -> list[str]:
    """Names in ``text`` that are neither functions, constants nor reserved symbols."""
    from theory.parser import CONSTANTS, FUNCTIONS, MAX_LENGTH

    if not isinstance(text, str):
        raise TypeError(f"--lam must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"--lam is too long ({len(text)} > {MAX_LENGTH} characters)")
    names: list[str] = []
    for name in _NAME.findall(text):
        if name in FUNCTIONS or name in CONSTANTS or name == "theta":
            continue
        if name in _FORBIDDEN_IN_LAM:
            raise ValueError(
                f"--lam must be an expression of parameters, not of the reserved name {name!r}"
            )
        if name.startswith("_") or not name.isidentifier():
            continue  # left to the parser, which refuses it
        if name not in names:
            names.append(name)
    return names


def parse_lambda(text: str) -> tuple[sp.Expr, dict[str, sp.Symbol]]:
    """Parse ``text`` into λ(params); returns the expression and name -> real Symbol."""
    from theory.parser import parse_expression

    names = _parameter_names(text)
    params = {n: sp.Symbol(n, real=True) for n in names}
    try:
        expr = parse_expression(text, allowed=("theta",), params=params)
    except ValueError as exc:
        raise ValueError(f"--lam: {exc}") from None
    symbols = {s.name: s for s in expr.free_symbols}
    if not symbols:
        raise ValueError("--lam must depend on at least one parameter")
    return expr, dict(sorted(symbols.items()))


def parse_gamma(text: str | None) -> sp.Expr:
    """γ as an expression of ``lam`` (the modulus |λ|); ``None`` means γ = 1."""
    from theory.parser import parse_expression

    if text is None:
        return sp.Integer(1)
    try:
        return parse_expression(text, allowed=("lam",))
    except ValueError as exc:
        raise ValueError(f"--gamma: {exc}") from None


# --------------------------------------------------------------------------- inversion
@dataclass
class Parametrized:
    """λ(params) brought into the form the asymptotics need.

    ``chain_factor`` is |∂λ/∂P|² as a function of ``lam`` (= ν = |λ|) and the
    fixed parameters; ``angle`` is arg λ (``None`` for real λ); ``inverse``
    is the magnitude parameter as a function of ν; ``direction`` the limit of
    the magnitude parameter as ν → 1⁻ (for the reader).
    """

    lam_expr: sp.Expr
    params: dict[str, sp.Symbol]
    wrt: sp.Symbol
    magnitude_param: sp.Symbol
    is_complex: bool
    inverse: sp.Expr
    chain_factor: sp.Expr
    angle: sp.Expr | None
    direction: sp.Expr | None
    fixed: tuple[sp.Symbol, ...] = ()


def _tidy(expr: sp.Expr) -> sp.Expr:
    """The shortest of a few simplifications (exp/log rewrites often collapse hyperbolics)."""
    candidates = [expr]
    for attempt in (
        lambda e: sp.simplify(e),
        lambda e: sp.factor(sp.simplify(e.rewrite(sp.exp))),
    ):
        try:
            candidates.append(attempt(expr))
        except (NotImplementedError, ValueError, TypeError, RecursionError):  # pragma: no cover
            continue
    return min(candidates, key=sp.count_ops)


def _is_real(expr: sp.Expr) -> bool:
    im = sp.simplify(sp.im(sp.expand_complex(expr)))
    return im == 0


def _modulus_squared(expr: sp.Expr) -> sp.Expr:
    return sp.simplify(sp.expand_complex(expr * sp.conjugate(expr)))


def _generic_subs(expr: sp.Expr, keep: Sequence[sp.Symbol] = ()) -> dict[sp.Symbol, sp.Expr]:
    return {s: _GENERIC for s in expr.free_symbols if s not in keep}


def _choose_branch(sols: list[sp.Expr], lam_expr: sp.Expr, m: sp.Symbol, nu: sp.Symbol
                   ) -> sp.Expr:
    """Among solutions m(ν), keep those real for ν near 1; take the one with largest Re λ."""
    scored: list[tuple[float, int, sp.Expr]] = []
    for i, sol in enumerate(sols):
        ok = True
        re_lam = -math.inf
        for probe in (sp.Rational(1, 2), sp.Rational(99, 100), 1 - sp.Rational(1, 10**6)):
            subs = {nu: probe, **_generic_subs(sol, keep=(nu,))}
            value = complex(sp.N(sol.subs(subs), 30))
            if not (math.isfinite(value.real) and abs(value.imag) <= 1e-12 * (1 + abs(value))):
                ok = False
                break
            lam_at = lam_expr.subs(m, value.real)
            lam_at = complex(sp.N(lam_at.subs(_generic_subs(lam_at)), 30))
            if abs(abs(lam_at) - float(probe)) > 1e-8:
                ok = False
                break
            re_lam = lam_at.real
        if ok:
            scored.append((re_lam, -i, sol))
    if not scored:
        raise ValueError(
            f"|λ| cannot approach 1 for real values of {m}: no real solution of |λ({m})| = ν "
            "for ν near 1"
        )
    return max(scored, key=lambda s: (s[0], s[1]))[2]


def _angle(expr: sp.Expr) -> sp.Expr:
    """arg λ for λ(params) with real parameters, factor by factor (exp(z) -> Im z)."""
    total = sp.Integer(0)
    rest = sp.Integer(1)
    for f in sp.Mul.make_args(sp.powsimp(expr, combine="exp")):
        if isinstance(f, sp.exp):
            total += sp.im(sp.expand_complex(f.args[0]))
        elif f.is_positive:
            continue
        else:
            rest *= f
    if rest != 1:
        total += sp.arg(rest)
    return total


def parametrize(lam_text: str, wrt: str) -> Parametrized:
    """Parse λ(params), find the magnitude parameter, invert |λ| = ν and form |∂λ/∂P|²(ν)."""
    lam_expr, params = parse_lambda(lam_text)
    if not isinstance(wrt, str) or not wrt:
        raise ValueError("--wrt must name a parameter of --lam")
    if wrt not in params:
        known = ", ".join(params) or "none"
        raise ValueError(f"--wrt {wrt!r}: λ does not depend on it (its parameters: {known})")
    p = params[wrt]
    nu = sp.Symbol("nu", positive=True)
    is_complex = not _is_real(lam_expr)
    mod2 = _modulus_squared(lam_expr)
    mag = sorted((s for s in mod2.free_symbols), key=lambda s: s.name)
    if not mag:
        raise ValueError("|λ| does not depend on any parameter, so |λ| → 1 cannot be approached")
    if len(mag) > 1:
        raise ValueError(
            "|λ| depends on several parameters ("
            + ", ".join(s.name for s in mag)
            + "); check-param needs |λ| controlled by one parameter (fix the others as numbers)"
        )
    m = mag[0]
    equation = (lam_expr - nu) if not is_complex else (mod2 - nu**2)
    try:
        sols = sp.solve(equation, m)
    except (NotImplementedError, ValueError) as exc:
        raise ValueError(
            f"cannot solve |λ({m.name})| = ν for {m.name} symbolically ({exc}); "
            "rewrite λ so that |λ| is an invertible function of one parameter"
        ) from None
    if not sols:
        raise ValueError(
            f"cannot solve |λ({m.name})| = ν for {m.name} symbolically; "
            "rewrite λ so that |λ| is an invertible function of one parameter"
        )
    inverse = _tidy(_choose_branch(list(sols), lam_expr, m, nu))
    dlam = sp.diff(lam_expr, p)
    if dlam == 0:
        raise ValueError(f"--wrt {wrt!r}: ∂λ/∂{wrt} is identically zero")
    factor = dlam**2 if not is_complex else sp.expand_complex(dlam * sp.conjugate(dlam))
    factor = _tidy(factor.subs(m, inverse))
    angle = None
    if is_complex:
        angle = _tidy(_angle(lam_expr).subs(m, inverse))
    try:
        direction = sp.limit(inverse, nu, 1, "-")
    except (NotImplementedError, ValueError, TypeError):  # pragma: no cover - reader info only
        direction = None
    to_lam = {nu: lam}
    fixed = tuple(s for s in params.values() if s != m)
    return Parametrized(
        lam_expr=lam_expr,
        params=params,
        wrt=p,
        magnitude_param=m,
        is_complex=is_complex,
        inverse=inverse.subs(to_lam),
        chain_factor=factor.subs(to_lam),
        angle=None if angle is None else angle.subs(to_lam),
        direction=direction,
        fixed=fixed,
    )


# --------------------------------------------------------------------------- moments
def _base_moment(pz: Parametrized, autocorr: Any, gamma: sp.Expr, gamma_coupled: bool
                 ) -> sp.Expr:
    """E|d_λ h|² (holomorphic d_λ, with γ) from theory.moments, in ``lam`` = ν (and the angle)."""
    from theory.moments import moment_expr

    expr = moment_expr("dh2_dlam", autocorr, complex_lambda=pz.is_complex, gamma=gamma,
                       gamma_coupled=gamma_coupled)
    if pz.is_complex:
        expr = expr.subs(theta, pz.angle)
    return expr


def _autocorr_for(regime_rho: sp.Expr | None, autocorr_text: str | None) -> Any:
    from theory import autocorr as ac

    if autocorr_text is None:
        return ac.ar1(regime_rho)
    model = ac.from_expression(autocorr_text) if regime_rho is None else ac.from_expression(
        str(_substitute_rho_text(autocorr_text, regime_rho)))
    return model


def _substitute_rho_text(text: str, value: sp.Expr) -> str:
    """Autocorrelation text with ``rho`` replaced by a number (re-parsed, so still whitelisted)."""
    from theory.parser import parse_expression

    expr = parse_expression(text, allowed=("k", "rho"))
    return sp.sstr(expr.subs(rho, value))


# --------------------------------------------------------------------------- result
@dataclass
class Regime:
    """Order ``p`` and coefficient ``C`` of E|d_P h|² ~ C (1−|λ|)^{−p} for one input regime."""

    rho: float | None
    label: str
    expr: sp.Expr
    order: sp.Expr
    coefficient: sp.Expr

    @property
    def bounded(self) -> bool:
        return bool(self.order <= 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "rho": self.rho,
            "autocorr": self.label,
            "order": _num(self.order),
            "coefficient": _num(self.coefficient),
            "coefficient_exact": sp.sstr(self.coefficient),
            "bounded": self.bounded,
        }


def _num(x: sp.Expr) -> float | str:
    x = sp.sympify(x)
    if x.free_symbols:
        return sp.sstr(x)
    if x.is_infinite:
        return math.inf
    if x.is_Integer:
        return int(x)
    return float(sp.N(x, 17))


@dataclass
class ParamCheck:
    """Everything ``check-param`` derives about one parametrization."""

    lam_text: str
    wrt: str
    gamma_text: str | None
    gamma_coupled: bool
    parametrized: Parametrized
    sensitivity: sp.Expr  # general-ρ form (AR(1)) or the single-regime form
    regimes: list[Regime]
    mc: list[dict[str, Any]] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return "bounded" if all(r.bounded for r in self.regimes) else "explodes"

    def to_json(self) -> dict[str, Any]:
        pz = self.parametrized
        return {
            "lam": self.lam_text,
            "wrt": self.wrt,
            "gamma": self.gamma_text,
            "gamma_coupled": self.gamma_coupled,
            "complex": pz.is_complex,
            "magnitude_parameter": pz.magnitude_param.name,
            "limit": (f"{pz.magnitude_param.name} -> {sp.sstr(pz.direction)}"
                      if pz.direction is not None else None),
            "chain_factor": sp.sstr(pz.chain_factor),
            "sensitivity": sp.sstr(self.sensitivity),
            "verdict": self.verdict,
            "regimes": [r.to_json() for r in self.regimes],
            "mc": self.mc,
        }


def _clean_rho(value: float) -> sp.Expr:
    if not -1 <= value <= 1 or not math.isfinite(value):
        raise ValueError(f"--rho values must lie in [-1, 1], got {value!r}")
    return sp.nsimplify(value, rational=True) if value not in (0, 1) else sp.Integer(int(value))


def check_parametrization(
    lam_text: str,
    wrt: str,
    *,
    gamma: str | None = None,
    gamma_coupled: bool = False,
    rhos: Sequence[float] = (0.0, 0.5, 1.0),
    autocorr: str | None = None,
) -> ParamCheck:
    """Derive E|d_P h|² for λ(params) and its order of blow-up per regime (module docstring)."""
    from theory.asymptotics import order_and_coefficient

    pz = parametrize(lam_text, wrt)
    gamma_expr = parse_gamma(gamma)
    if gamma_coupled and gamma is None:
        raise ValueError("--gamma-coupled needs --gamma")
    if gamma_coupled and pz.is_complex:
        raise ValueError("--gamma-coupled is supported for real λ only")
    if not rhos:
        raise ValueError("--rho needs at least one value")
    rho_values = [_clean_rho(float(r)) for r in rhos]
    uses_rho = True
    if autocorr is not None:
        from theory.parser import parse_expression

        try:
            ac_expr = parse_expression(autocorr, allowed=("k", "rho"))
        except ValueError as exc:
            raise ValueError(f"--autocorr: {exc}") from None
        uses_rho = ac_expr.has(rho)
    if uses_rho:
        try:
            general = pz.chain_factor * _base_moment(pz, _autocorr_for(rho, autocorr), gamma_expr,
                                                     gamma_coupled)
        except (TypeError, ValueError):  # the autocorrelation model needs a numeric ρ
            general = None
        regime_specs = [(float(r), r) for r in rho_values]
    else:
        general = None
        regime_specs = [(None, None)]
    regimes: list[Regime] = []
    for rho_float, rho_value in regime_specs:
        model = _autocorr_for(rho_value, autocorr)
        expr = pz.chain_factor * _base_moment(pz, model, gamma_expr, gamma_coupled)
        order, coeff = order_and_coefficient(expr, var=lam, at=1)
        label = (autocorr if autocorr is not None else "rho**Abs(k)")
        if rho_value is not None and autocorr is not None:
            label = _substitute_rho_text(autocorr, rho_value)
        regimes.append(Regime(rho_float, label, expr, sp.sympify(order), sp.sympify(coeff)))
    sensitivity = general if general is not None else regimes[0].expr
    return ParamCheck(lam_text, wrt, gamma, gamma_coupled, pz, sp.simplify(sensitivity)
                      if sp.count_ops(sensitivity) < 400 else sensitivity, regimes)


# --------------------------------------------------------------------------- Monte Carlo
#: 1 − |λ| at which the Monte Carlo slope is measured (10^-1 … 10^-2.5)
MC_EPSILONS: tuple[float, ...] = (10**-1.0, 10**-1.5, 10**-2.0, 10**-2.5)


def mc_slopes(check: ParamCheck, **kwargs: Any) -> list[dict[str, Any]]:
    """Monte Carlo confirmation of each regime's order; see :mod:`crosscheck.paramcheck_mc`."""
    from crosscheck.paramcheck_mc import confirm_orders

    return confirm_orders(check, **kwargs)
