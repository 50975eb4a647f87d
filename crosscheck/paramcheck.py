"""Check a user's parametrization λ(params): sensitivity, order of blow-up per regime, verdict.

A user writes the eigenvalue as an expression of their parameters, e.g.
``exp(-exp(w))`` (the exponential reparametrization of Zucchet & Orvieto 2024,
§3; docs/theory.md §4) or ``exp(-exp(w) + I*exp(a))`` (the LRU's
exp-angle form), names the parameter ``P`` to differentiate (``--wrt``)
and optionally an input normalization γ as an expression of ``lam`` (the
modulus |λ|; docs/theory.md §4).  This module

1. parses λ with the whitelist parser (:func:`theory.parser.parse_expression`);
   the parameters are the free names that are neither functions, constants
   nor reserved symbols (``theta`` may be used as a parameter; ``lam``,
   ``lam2``, ``rho``, ``k`` and ``t`` may not);
2. writes λ = ν e^{iθ} factor by factor (:func:`polar_form`; exp(z) gives
   e^{Re z} and Im z), finds the *magnitude parameter* ``m`` — the one
   parameter ν depends on — and inverts ν(m) = |λ| symbolically
   (:func:`sympy.solve`); when several values of ``m`` give the same |λ| the
   real branch with the largest Re λ is taken (the approach to λ = +1).  A
   single angle parameter is rewritten in θ when SymPy can solve for it, so
   the limit |λ| → 1⁻ is at fixed θ (docs/theory.md §1); any other
   parameter is held fixed and stays symbolic (e.g. ω → −∞ for
   λ = exp(−exp(ω)));
3. hands the result to T1's calculus as a
   :class:`theory.parametrizations.Parametrization`: the chain rule
   ``E|d_P h|² = |∂λ/∂P|² γ² E|d_λ h̃|²`` (plus the γ' terms when γ is
   coupled) with the moments of Lemmas 1–2
   (:func:`theory.parametrizations.sensitivity_expr`), never typed in here.
   ``|∂λ/∂P|²`` as a function of |λ| is reported too (for λ = exp(−exp(ω)) it
   is (λ ln λ)², the factor of §3.2);
4. for each input-correlation regime (AR(1) ``ρ`` or a user autocorrelation)
   reads off the order ``p`` and coefficient ``C`` of
   ``E|d_P h|² ~ C (1 − |λ|)^{−p}`` (:func:`theory.parametrizations.regimes`,
   i.e. :func:`theory.asymptotics.order_and_coefficient`); a regime is bounded
   when ``p ≤ 0``, and the verdict is "bounded" only when every regime is;
5. optionally confirms the orders by Monte Carlo (:func:`mc_slopes`): the
   simulated ``E|d_λ h|²`` at points ``1 − |λ| = 10^{−1 … −2.5}`` times the
   exact chain factor, regressed on ``log(1 − |λ|)``; its slope is z-tested
   against the slope of the exact values at the same points.

The paper's parametrizations are available as presets
(:func:`preset_parametrization`, names of :data:`theory.parametrizations.PRESETS`).

Limitations (each raises ``ValueError`` with a message saying so):
|λ| must depend on exactly one parameter; the equation |λ(m)| = ν must be
solvable by SymPy with a real branch for |λ| near 1; γ may depend on ``lam``
only; ``gamma_coupled`` needs a real λ; for real λ the limit is λ → +1; a user
autocorrelation whose generating function SymPy cannot expand at |λ| = 1 is
refused (use AR(1) regimes); ``--mc`` simulates AR(1) inputs only.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from rnnverify.theory.autocorr import ar1, from_expression
from rnnverify.theory.parametrizations import Parametrization, regimes, sensitivity_expr
from rnnverify.theory.parametrizations import preset as t1_preset
from rnnverify.theory.parser import CONSTANTS, FUNCTIONS, MAX_LENGTH, parse_expression
from rnnverify.theory.symbols import RESERVED, lam, theta

from .mc_columns import Model, steps_for
from .registry import two_sided_z

__all__ = [
    "MC_EPSILONS",
    "ParamCheck",
    "Parametrized",
    "check_parametrization",
    "mc_slopes",
    "parse_lambda",
    "polar_form",
    "preset_parametrization",
    "user_parametrization",
]

#: reserved names a λ expression may not use (``theta`` may serve as a parameter)
_FORBIDDEN_IN_LAM = tuple(n for n in RESERVED if n != "theta")
#: generic value given to the parameters held fixed when choosing a branch numerically
_GENERIC = sp.Rational(3, 10)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# --------------------------------------------------------------------------- parsing
def _parameter_names(text: str) -> list[str]:
    """Names in ``text`` that are neither functions, constants nor reserved symbols."""

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


def polar_form(expr: sp.Expr) -> tuple[sp.Expr, sp.Expr | None]:
    """(ν, θ) with λ = ν e^{iθ}, factor by factor (exp(z) gives e^{Re z} and Im z).

    Real factors count towards ν with their sign (the branch chosen later makes
    λ approach +1); θ is ``None`` when λ is real.
    """
    nu = sp.Integer(1)
    angle = sp.Integer(0)
    for f in sp.Mul.make_args(sp.powsimp(expr, combine="exp")):
        if isinstance(f, sp.exp):
            z = sp.expand_complex(f.args[0])
            nu *= sp.exp(sp.re(z))
            angle += sp.im(z)
        elif f == sp.I:
            angle += sp.pi / 2
        elif f.is_extended_real or _is_real(f):
            nu *= f
        else:
            nu *= sp.Abs(f)
            angle += sp.arg(f)
    angle = sp.simplify(angle)
    if angle == 0:
        return expr, None
    return sp.simplify(nu), angle


def user_parametrization(lam_text: str, wrt: str, *, gamma: str | None = None,
                         gamma_coupled: bool = False) -> tuple[Any, Parametrized]:
    """A :class:`theory.parametrizations.Parametrization` for the user's λ(params).

    Returns it with the :class:`Parametrized` record of how it was inverted.
    The magnitude parameter is written in ``lam`` (= ν); a single angle
    parameter, when SymPy can solve for it, in ``theta`` (so the limit is at
    fixed θ, docs/theory.md §1); other parameters stay symbolic (held fixed).
    """

    lam_expr, params = parse_lambda(lam_text)
    if not isinstance(wrt, str) or not wrt:
        raise ValueError("--wrt must name a parameter of --lam")
    if wrt not in params:
        known = ", ".join(params) or "none"
        raise ValueError(f"--wrt {wrt!r}: λ does not depend on it (its parameters: {known})")
    gamma_expr = parse_gamma(gamma)
    nu_expr, theta_expr = polar_form(lam_expr)
    is_complex = theta_expr is not None
    if gamma_coupled and gamma is None:
        raise ValueError("--gamma-coupled needs --gamma")
    if gamma_coupled and is_complex:
        raise ValueError("--gamma-coupled is supported for real λ only")
    mag = sorted(nu_expr.free_symbols, key=lambda s: s.name)
    if not mag:
        raise ValueError("|λ| does not depend on any parameter, so |λ| → 1 cannot be approached")
    if len(mag) > 1:
        raise ValueError(
            "|λ| depends on several parameters (" + ", ".join(s.name for s in mag)
            + "); check-param needs |λ| controlled by one parameter (fix the others as numbers)"
        )
    m = mag[0]
    nu = sp.Symbol("nu", positive=True)
    try:
        sols = sp.solve(nu_expr - nu, m)
    except (NotImplementedError, ValueError) as exc:
        sols = []
        reason = f" ({exc})"
    else:
        reason = ""
    if not sols:
        raise ValueError(
            f"cannot solve |λ({m.name})| = ν for {m.name} symbolically{reason}; "
            "rewrite λ so that |λ| is an invertible function of one parameter"
        )
    inverse_nu = _tidy(_choose_branch(list(sols), lam_expr, m, nu))
    inverse: dict[sp.Symbol, sp.Expr] = {m: inverse_nu.subs(nu, lam)}
    if is_complex:
        others = sorted((theta_expr.free_symbols - {m}), key=lambda s: s.name)
        if len(others) == 1:
            a = others[0]
            try:
                th_sols = sp.solve(theta_expr.subs(m, inverse_nu).subs(nu, lam) - theta, a)
            except (NotImplementedError, ValueError):
                th_sols = []
            real_sols = [x for x in th_sols if not x.has(sp.I)]
            if real_sols:
                inverse[a] = _tidy(real_sols[0])
    for s in params.values():
        inverse.setdefault(s, s)  # held fixed
    dlam = sp.diff(lam_expr, params[wrt])
    if dlam == 0:
        raise ValueError(f"--wrt {wrt!r}: ∂λ/∂{wrt} is identically zero")
    # hyperbolic functions as exponentials, so that substituting the inverse (a logarithm)
    # collapses to a rational function of lam (same function, friendlier to series)
    hyper = (sp.tanh, sp.sinh, sp.cosh)
    nu_par = nu_expr.rewrite(sp.exp) if nu_expr.has(*hyper) else nu_expr
    theta_par = theta_expr
    if theta_expr is not None and theta_expr.has(*hyper):
        theta_par = theta_expr.rewrite(sp.exp)
    par = Parametrization(
        "user", tuple(params.values()), nu_par, theta_par,
        None if gamma is None else gamma_expr, bool(gamma_coupled), inverse=inverse,
        description=f"lam = {lam_text}",
    )
    try:
        direction = sp.limit(inverse_nu, nu, 1, "-")
    except (NotImplementedError, ValueError, TypeError):  # pragma: no cover - reader info only
        direction = None
    info = Parametrized(lam_expr, params, params[wrt], m, is_complex, inverse[m],
                        chain_factor=_chain_factor(par, wrt), angle=theta_expr,
                        direction=direction,
                        fixed=tuple(s for s in params.values() if inverse[s] == s))
    return par, info


def _chain_factor(par: Any, wrt: str) -> sp.Expr:
    """|∂λ/∂P|² = (∂ν/∂P)² + ν²(∂θ/∂P)² written in ``lam`` (and ``theta``)."""
    dnu, dth = (par._to_lam(f) for f in par.chain_factors(wrt))
    return _tidy(dnu**2 + lam**2 * dth**2)


def preset_parametrization(name: str, wrt: str | None) -> tuple[Any, Parametrized]:
    """A preset of :mod:`theory.parametrizations` (``wrt`` defaults to its first parameter)."""

    par = t1_preset(name)
    names = [str(q) for q in par.params]
    wrt = names[0] if wrt is None else wrt
    if wrt not in names:
        raise ValueError(f"--wrt {wrt!r}: preset {name!r} has parameters {', '.join(names)}")
    p = par.param(wrt)
    m = par.params[0]
    direction = None
    inv = dict(par.inverse).get(m)
    if inv is not None:
        try:
            direction = sp.limit(inv, lam, 1, "-")
        except (NotImplementedError, ValueError, TypeError):  # pragma: no cover
            direction = None
    info = Parametrized(par.lam_expr(), {str(q): q for q in par.params}, p, m, par.is_complex,
                        inv if inv is not None else m, _chain_factor(par, wrt), par.theta,
                        direction)
    return par, info


# --------------------------------------------------------------------------- result
@dataclass
class ParamCheck:
    """Everything ``check-param`` derives about one parametrization."""

    description: str
    wrt: str
    gamma_text: str | None
    gamma_coupled: bool
    parametrization: Any  # theory.parametrizations.Parametrization
    info: Parametrized
    sensitivity: sp.Expr  # E|d_P h|² in lam (ν), theta, rho (or the user's R)
    regimes: list[Any]  # theory.parametrizations.Regime
    mc: list[dict[str, Any]] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return "bounded" if all(r.bounded for r in self.regimes) else "explodes"

    def to_json(self) -> dict[str, Any]:
        info = self.info
        limit = None
        if info.direction is not None:
            limit = f"{info.magnitude_param} -> {sp.sstr(info.direction)}"
        return {
            "parametrization": self.description,
            "lam": sp.sstr(info.lam_expr),
            "wrt": self.wrt,
            "gamma": self.gamma_text,
            "gamma_coupled": self.gamma_coupled,
            "complex": info.is_complex,
            "magnitude_parameter": str(info.magnitude_param),
            "limit": limit,
            "chain_factor": sp.sstr(info.chain_factor),
            "sensitivity": sp.sstr(self.sensitivity),
            "verdict": self.verdict,
            "regimes": [_regime_json(r) for r in self.regimes],
            "mc": self.mc,
        }


def _plain(x: Any) -> Any:
    """A JSON-friendly number (int when integral) for SymPy numbers; text otherwise."""
    if isinstance(x, sp.Basic):
        if x.is_number and x.is_real:
            v = float(x)
            return int(v) if x.is_Integer else v
        return sp.sstr(x)
    return x


def _regime_json(regime: Any) -> dict[str, Any]:
    row = regime.to_json()
    row["rho"] = _plain(regime.rho) if not isinstance(regime.rho, str) else regime.rho
    row["order"] = _plain(regime.order)
    return row


def _rho_values(rhos: Sequence[float]) -> list[sp.Expr]:
    if not rhos:
        raise ValueError("--rho needs at least one value")
    out = []
    for value in rhos:
        value = float(value)
        if not math.isfinite(value) or not -1 <= value <= 1:
            raise ValueError(f"--rho values must lie in [-1, 1], got {value!r}")
        out.append(sp.nsimplify(value, rational=True))
    return out


def check_parametrization(
    lam_text: str | None = None,
    wrt: str | None = None,
    *,
    preset: str | None = None,
    gamma: str | None = None,
    gamma_coupled: bool = False,
    rhos: Sequence[float] = (0.0, 0.5, 1.0),
    autocorr: str | None = None,
) -> ParamCheck:
    """Derive E|d_P h|² for λ(params) (or a preset) and its order of blow-up per regime.

    See the module docstring for the method and its limitations.  Regimes are
    the AR(1) inputs R(k) = ρ^|k| for each ρ in ``rhos``, or the user's
    ``autocorr`` (an expression in ``k``; if it contains ``rho``, once per ρ).
    """

    if (lam_text is None) == (preset is None):
        raise ValueError("give either --lam or --preset")
    if preset is not None:
        if gamma is not None or gamma_coupled:
            raise ValueError("--gamma applies to --lam; presets carry their own "
                             "(use the *_normalized presets for gamma = sqrt(1-lam**2))")
        par, info = preset_parametrization(preset, wrt)
        description = f"preset {preset}: {par.description}"
    else:
        if wrt is None:
            raise ValueError("--wrt is required with --lam")
        par, info = user_parametrization(lam_text, wrt, gamma=gamma, gamma_coupled=gamma_coupled)
        description = f"lam = {lam_text}"
    wrt_name = str(info.wrt)
    rho_values = _rho_values(rhos)
    if autocorr is not None:
        try:
            model = from_expression(autocorr)
        except ValueError as exc:
            raise ValueError(f"--autocorr: {exc}") from None
        if model.has_rho:
            models = [model.at_rho(r) for r in rho_values]
            rho_list: list[Any] = []
        else:
            models = [model]
            rho_list = []
        sensitivity = sensitivity_expr(par, wrt_name, model)
    else:
        models = []
        rho_list = rho_values
        sensitivity = sensitivity_expr(par, wrt_name, ar1())
    found = []
    for spec in [("rho", r) for r in rho_list] + [("autocorr", a) for a in models]:
        kwargs = {"rhos": [spec[1]], "autocorrs": []} if spec[0] == "rho" else {
            "rhos": [], "autocorrs": [spec[1]]}
        try:
            found.extend(regimes(par, wrt_name, **kwargs))
        except (ValueError, NotImplementedError, TypeError, sp.PoleError) as exc:
            what = f"rho = {spec[1]}" if spec[0] == "rho" else f"R(k) = {spec[1].name}"
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(
                f"cannot determine the order of E|d_{wrt_name} h|^2 as |lam| -> 1 for {what}: "
                f"SymPy could not expand it ({first[:120]}); try --rho values or a "
                "geometric R(k)") from None
    if sp.count_ops(sensitivity) < 300:
        sensitivity = sp.simplify(sensitivity)
    gamma_text = gamma
    if preset is not None and par.gamma is not None:
        gamma_text = sp.sstr(par.gamma)
    return ParamCheck(description, wrt_name, gamma_text, bool(par.coupled), par, info,
                      sensitivity, found)


# --------------------------------------------------------------------------- Monte Carlo
#: 1 − |λ| at which the Monte Carlo slope is measured (10^-1 … 10^-2.5)
MC_EPSILONS: tuple[float, ...] = (10**-1.0, 10**-1.5, 10**-2.0, 10**-2.5)
#: false-failure rate of each regime's slope z-test (Bonferroni is applied across regimes)
MC_ALPHA = 1e-3
#: generic fixed angle used for complex λ in the simulation
MC_THETA = 0.7


def _weighted_slope(x: Sequence[float], y: Sequence[float], se: Sequence[float]
                    ) -> tuple[float, float]:
    """Weighted least-squares slope of y on x and its standard error (weights 1/se²)."""
    w = [1.0 / (s * s) for s in se]
    sw = sum(w)
    xm = sum(wi * xi for wi, xi in zip(w, x, strict=True)) / sw
    ym = sum(wi * yi for wi, yi in zip(w, y, strict=True)) / sw
    sxx = sum(wi * (xi - xm) ** 2 for wi, xi in zip(w, x, strict=True))
    sxy = sum(wi * (xi - xm) * (yi - ym) for wi, xi, yi in zip(w, x, y, strict=True))
    return sxy / sxx, math.sqrt(1.0 / sxx)


def _numeric_factor(check: ParamCheck, nu_value: float, theta_value: float | None) -> float:
    """|∂λ/∂P|² at ν (and θ), with held-fixed parameters at the generic value 3/10."""
    f = check.info.chain_factor
    subs: dict[sp.Symbol, Any] = {lam: nu_value}
    if theta_value is not None:
        subs[theta] = theta_value
    f = f.subs(subs)
    f = f.subs({s: _GENERIC for s in f.free_symbols})
    value = complex(sp.N(f, 20))
    return abs(value.real)


def mc_slopes(
    check: ParamCheck,
    *,
    samples: int = 20_000,
    epsilons: Sequence[float] = MC_EPSILONS,
    seed: int = 0,
    device: str = "cpu",
    alpha: float = MC_ALPHA,
    time_budget: float = 60.0,
) -> list[dict[str, Any]]:
    """Monte Carlo confirmation of each regime's order of blow-up.

    At each 1 − |λ| = ε in ``epsilons`` the engine (:mod:`numerics.engine`, via
    :class:`crosscheck.mc_columns.Model`) simulates E|d_λ h|² (with γ; the
    coupled case simulates E|d_P h|² directly through ∂λ/∂P); multiplied by the
    exact |∂λ/∂P|² this estimates E|d_P h|² ± stderr.  The weighted regression
    of log E on log ε has slope ``slope ± stderr``; it is z-tested against the
    slope of the exact values (theory.moments, mpmath) at the same ε — at
    false-failure rate ``alpha`` / number of regimes — and reported next to
    the asymptotic slope −p.  Each point uses its own seed, so the points are
    independent.  The sample count is reduced when the estimated cost exceeds
    ``time_budget`` seconds in all.
    """


    if samples < 1000:
        raise ValueError(f"samples must be at least 1000, got {samples}")
    eps_list = [float(e) for e in epsilons]
    if len(eps_list) < 2 or any(not 0 < e < 1 for e in eps_list):
        raise ValueError("epsilons must be at least two numbers in (0, 1)")
    info = check.info
    theta_value = MC_THETA if info.is_complex else None
    par = check.parametrization
    gamma_text = None if par.gamma is None else sp.sstr(par.gamma)
    dlam_dp = None
    if par.coupled:
        dnu, _ = (par._to_lam(f) for f in par.chain_factors(check.wrt))
        dlam_dp = sp.sstr(dnu.subs({s: _GENERIC for s in dnu.free_symbols if s != lam}))
    regimes_in = [r for r in check.regimes if isinstance(r.rho, (int, float, sp.Rational))
                  or (isinstance(r.rho, sp.Basic) and r.rho.is_number)]
    if not regimes_in:
        raise ValueError("--mc needs numeric --rho regimes (a user autocorrelation is not "
                         "simulated by check-param)")
    z_bound = two_sided_z(alpha / len(regimes_in))
    # cost estimate: steps per chain × samples, ≈ 3e7 sample-steps per second
    total_steps = sum(steps_for(Model(1 - e, theta_value, 0.0, gamma_text, par.coupled, None,
                                      dlam_dp)) for e in eps_list) * len(regimes_in)
    n = int(max(1000, min(samples, time_budget * 2.5e7 / max(1, total_steps))))
    out: list[dict[str, Any]] = []
    start = time.perf_counter()
    for ri, regime in enumerate(regimes_in):
        r = float(regime.rho)
        xs, ys, ses, th = [], [], [], []
        points = []
        for ei, eps_v in enumerate(eps_list):
            nu_v = 1.0 - eps_v
            model = Model(nu_v, theta_value, r, gamma_text, par.coupled, None, dlam_dp)
            res = model.simulate(n, seed=seed + 1000 * ri + ei, device=device)
            q = "dh2_dp" if dlam_dp is not None else "dh2_dlam"
            est = res.points[0].quantities[q]
            theory_val = model.theory()[q]
            factor = 1.0 if dlam_dp is not None else _numeric_factor(check, nu_v, theta_value)
            e_val, s_val, t_val = est.estimate * factor, est.stderr * factor, theory_val * factor
            xs.append(math.log(eps_v))
            ys.append(math.log(e_val))
            ses.append(max(s_val / e_val, 1e-12))
            th.append(math.log(t_val))
            points.append({"one_minus_abs_lam": eps_v, "estimate": e_val, "stderr": s_val,
                           "theory": t_val})
        slope, slope_se = _weighted_slope(xs, ys, ses)
        slope_theory, _ = _weighted_slope(xs, th, ses)
        z = (slope - slope_theory) / slope_se
        out.append({
            "rho": r,
            "theta": theta_value,
            "samples": n,
            "points": points,
            "slope": slope,
            "stderr": slope_se,
            "slope_theory": slope_theory,
            "slope_asymptotic": 0.0 - float(regime.order),
            "z": z,
            "z_bound": z_bound,
            "false_failure_rate": alpha / len(regimes_in),
            "holds": abs(z) <= z_bound,
        })
    elapsed = time.perf_counter() - start
    for row in out:
        row["seconds_total"] = round(elapsed, 2)
    return out
