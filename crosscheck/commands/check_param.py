"""Check a user's parametrization λ(params): sensitivity, order of blow-up per path and regime.

A user writes the eigenvalue as an expression of their parameters, e.g.
``exp(-exp(w))`` (the exponential reparametrization of Zucchet & Orvieto 2024,
§3.2), ``(1/(1+exp(-L)))**8`` (a Griffin RG-LRU gate) or
``exp(-exp(w) + I*exp(a))`` (the LRU's exp-angle form, §3.3), names the
parameter to differentiate (``--wrt``), optionally an input normalization γ as
an expression of ``lam`` (= |λ|; §3.1) and fixes other parameters with
``--at q=V``.  This module orchestrates:

1. parsing with the whitelist parser (:func:`.paraminput.parse_lambda`) into a
   :class:`theory.params.parametrizations.Parametrization` — no inversion of |λ|;
2. :func:`theory.params.analysis.setup`: chain factor |∂λ/∂p|² in the
   parameters, the magnitude parameter, and every limit path along which
   |λ| → 1⁻ (λ → +1, λ → −1, λ → e^{iθ}; :mod:`theory.params.limit_paths`);
3. per input regime (AR(1) ρ, negative ρ included, or a user R(k)) and path,
   the order and coefficient of E|d_p h|² ~ C (1 − |λ|)^{−p} and the route that
   decided them (symbolic limits, or the 150-digit numeric route), with
   uniformity over a free angle and free parameters
   (:func:`theory.params.analysis.analyse`);
4. optionally (:func:`mc_slopes`) a Monte Carlo confirmation that simulates the
   parametrized recurrence itself: λ(p) and γ(p) computed in torch from p, the
   derivative of λ and γ with respect to p by forward-mode autograd
   (:func:`torch.func.jvp`) seeding the tangent recurrence of
   :mod:`numerics.memory.engine`; the fitted log-log slope is z-tested against −p and
   each simulated E|d_p h|² against the derived value.

**What "bounded" covers.**  A path is bounded when its order is ≤ 0 *and* its
coefficient is bounded over the free angle θ ∈ [−π, π] and the free parameters
(candidate singularities: real zeros of the coefficient's denominator, θ = 0 and
π, parameters → ±∞), with the real-axis angles analysed as paths of their
own.  The verdict is "bounded" only when every path of every reported regime
is; otherwise "explodes", and the rows say which path.  Orders decided by the
numeric route carry an error estimate.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from rnnverify.crosscheck.commands.param_input import (
    parse_at,
    parse_lambda,
    preset_parametrization,
    read_param_input,
    user_parametrization,
)
from rnnverify.crosscheck.schema import document
from rnnverify.crosscheck.stats.ztests import Z_MISSED, z_test
from rnnverify.theory.budget import Budget
from rnnverify.theory.memory.autocorr import ar1, from_expression
from rnnverify.theory.params.analysis import (
    ParamSetup,
    RegimePaths,
    Verdict,
    analyse,
    decide_verdict,
    moment_factor,
    setup,
)
from rnnverify.theory.params.lag_asymptotics import LagAsymptoticsError
from rnnverify.theory.params.limit_paths import GENERIC, LimitPath, s_local
from rnnverify.theory.params.parametrizations import Parametrization
from rnnverify.theory.params.path_asymptotics import epsilon_along, json_number
from rnnverify.theory.symbols import k as lag
from rnnverify.theory.symbols import lam, rho, theta

from rnnverify.errors import ArgumentProblem, ArgumentValueError

__all__ = [
    "MC_EPSILONS",
    "ParamCheck",
    "RegimeResult",
    "check_parametrization",
    "mc_slopes",
    "parse_at",
    "parse_lambda",
    "preset_parametrization",
    "user_parametrization",
]

# --------------------------------------------------------------------------- result
def _reason_row(u: Any) -> dict[str, Any]:
    return {"rho": json_number(u.regime) if isinstance(u.regime, sp.Basic) else u.regime,
            "path": u.path.limit, "reason": u.reason}


@dataclass
class RegimeResult:
    """One input regime: its paths and the worst of them."""

    rho: Any  # exact number, or the autocorrelation's text for a user R(k)
    paths: RegimePaths

    @property
    def order(self) -> sp.Expr:
        return self.paths.order

    @property
    def coefficient(self) -> sp.Expr | None:
        return self.paths.coefficient

    @property
    def bounded(self) -> bool:
        return self.paths.bounded

    def to_json(self) -> dict[str, Any]:
        worst = self.paths.worst
        return {
            "rho": json_number(self.rho) if isinstance(self.rho, sp.Basic) else self.rho,
            "order": json_number(worst.order),
            "order_exact": sp.sstr(worst.order),
            "coefficient": json_number(worst.coefficient),
            "coefficient_exact": None if worst.coefficient is None else sp.sstr(
                worst.coefficient),
            "bounded": self.bounded,
            "worst_path": worst.limit,
            "paths": [p.to_dict() for p in self.paths.paths],
        }


@dataclass
class ParamCheck:
    """Everything ``check-param`` derives about one parametrization."""

    description: str
    wrt: str
    gamma_text: str | None
    gamma_coupled: bool
    parametrization: Parametrization
    setup: ParamSetup
    moment: sp.Expr  # K(lam, theta, rho): E|d_p h|² = chain · K
    regimes: list[RegimeResult]
    at: dict[str, sp.Expr] = field(default_factory=dict)
    seconds: float = 0.0
    mc: list[dict[str, Any]] = field(default_factory=list)
    decision: Verdict | None = None  # computed once from the regimes (decide_verdict)

    def __post_init__(self) -> None:
        if self.decision is None:
            self.decision = decide_verdict([r.paths for r in self.regimes])

    @property
    def verdict(self) -> str:
        return self.decision.verdict

    def why(self) -> list[dict[str, Any]]:
        """The paths that are not bounded: regime, path and reason."""
        return [_reason_row(u) for u in self.decision.unbounded]

    def undecided(self) -> list[dict[str, Any]]:
        """The paths whose boundedness was not decided: regime, path and reason."""
        return [_reason_row(u) for u in self.decision.undecided]

    @property
    def chain_factor(self) -> sp.Expr:
        return self.setup.chain

    @property
    def sensitivity(self) -> sp.Expr:
        """E|d_p h|² = |∂λ/∂p|²(params) · K(lam = |λ|, theta, rho)."""
        return self.setup.chain * self.moment

    def to_json(self) -> dict[str, Any]:
        st = self.setup
        return {
            "parametrization": self.description,
            "lam": sp.sstr(st.lam_expr),
            "wrt": self.wrt,
            "gamma": self.gamma_text,
            "gamma_coupled": self.gamma_coupled,
            "complex": st.is_complex,
            "angle": st.angle_mode,
            "at": {k: json_number(v) for k, v in self.at.items()},
            "magnitude_parameter": str(st.magnitude),
            "free_parameters": [str(q) for q in st.free_parameters],
            "limits": [p.limit_text for p in st.paths],
            "chain_factor": sp.sstr(st.chain),
            "moment_factor": sp.sstr(self.moment),
            "sensitivity": sp.sstr(self.sensitivity),
            "sensitivity_note": "chain_factor (in the parameters) times moment_factor, where "
                                "lam stands for |lam(params)| and theta for its angle",
            "verdict": self.verdict,
            "why": self.why(),
            "undecided": self.undecided(),
            "bounded_means": "order <= 0 on every path (lam -> 1, lam -> -1, lam -> "
                             "exp(I*theta)) of every regime, with the coefficient bounded "
                             "over the free angle and free parameters and, at order 0, a "
                             "finite limit of E; or sup |lam| < 1 with |d lam/d p|^2 bounded",
            "regimes": [r.to_json() for r in self.regimes],
            "budget": st.budget.to_dict(),
            "mc": self.mc,
        }

    def to_dict(self) -> dict[str, Any]:
        """The ``check-param --json`` document."""
        return document("check-param", self.to_json())


def check_parametrization(
    lam_text: str | None = None,
    wrt: str | None = None,
    *,
    preset: str | None = None,
    gamma: str | None = None,
    gamma_coupled: bool = False,
    rhos: Sequence[Any] = (0.0, 0.5, 1.0),
    autocorr: str | None = None,
    at: str | Mapping[str, Any] | None = None,
    budget: Budget | None = None,
) -> ParamCheck:
    """Derive E|d_P h|² for λ(params) (or a preset) and its order of blow-up per path/regime.

    Regimes are R(k) = ρ^|k| for each ρ in ``rhos`` or the user's ``autocorr``
    (an expression in ``k``; if it contains ``rho``, once per ρ).  ``at`` fixes
    parameters (``"q=0.5"`` or a mapping).  ``budget`` caps SymPy's work (work, not
    time: the same input gives the same document); what it cut is in the document.
    See the module docstring.
    """
    if budget is not None and not isinstance(budget, Budget):
        raise TypeError(f"budget must be a Budget, got {type(budget).__name__}")
    budget = (budget or Budget()).fresh()
    start = time.perf_counter()
    given = read_param_input(lam_text, wrt, preset=preset, gamma=gamma,
                             gamma_coupled=gamma_coupled, rhos=rhos, at=at)
    par, wrt_name, description, fixed = given.par, given.wrt, given.description, given.fixed
    rho_values = given.rho_values
    st = setup(par, wrt_name, fixed, budget)
    specs: list[tuple[Any, Any]] = []  # (label, autocorrelation)
    if autocorr is not None:
        try:
            model = from_expression(autocorr)
        except ValueError as exc:
            raise ArgumentValueError("autocorr", str(exc)) from None
        if model.has_rho:
            specs = [(f"{model.name} at rho = {sp.sstr(r)}", model.at_rho(r)) for r in rho_values]
        else:
            specs = [(model.name, model)]
        moment = moment_factor(par, model)
    else:
        specs = [(r, ar1(r)) for r in rho_values]
        moment = moment_factor(par, ar1())
    cache: dict[Any, Any] = {}
    found: list[RegimeResult] = []
    for label, ac in specs:
        k_expr = moment_factor(par, ac)
        try:
            found.append(RegimeResult(label, analyse(st, k_expr, label, cache,
                                                     r0=ac.expr.subs(lag, 0),
                                                     lags=ac.expr)))
        except (NotImplementedError, TypeError, sp.PoleError, ValueError) as exc:
            if isinstance(exc, ArgumentProblem) or (
                    isinstance(exc, ValueError) and not _expansion_failure(exc)):
                raise
            what = f"rho = {label}" if isinstance(label, sp.Basic) else f"R(k) = {label}"
            raise ArgumentValueError(
                "autocorr" if autocorr is not None else "rho",
                f"cannot determine the order of E|d_{wrt_name} h|^2 as |lam| -> 1 for {what}: "
                f"{_first_line(exc)}") from None
    gamma_text = gamma
    if preset is not None and par.gamma is not None:
        gamma_text = sp.sstr(par.gamma)
    return ParamCheck(description, wrt_name, gamma_text, bool(par.coupled), par, st, moment,
                      found, fixed, time.perf_counter() - start)


def _expansion_failure(exc: ValueError) -> bool:
    """A ValueError of the series/limit stage (not a bad input)."""
    if isinstance(exc, LagAsymptoticsError):
        return True
    text = str(exc)
    return "not a pure power" in text or "could not confirm" in text


def _first_line(exc: Exception, limit: int = 200) -> str:
    """The first line of an exception's message, shortened at a word boundary."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    if len(first) <= limit:
        return first
    cut = first[:limit].rsplit(" ", 1)[0]
    return cut + " ..."


# --------------------------------------------------------------------------- Monte Carlo
#: 1 − |λ| at which the Monte Carlo estimates are taken along the tested path
MC_EPSILONS: tuple[float, ...] = (0.04, 0.02, 0.01, 0.005)
#: false-failure rate of all z-tests of one ``mc_slopes`` call (Bonferroni inside)
MC_ALPHA = 1e-3
#: the most samples per point ``--mc`` accepts; the route caps what it runs to its time
#: budget (reported as ``samples`` beside ``samples_requested``)
MC_MAX_SAMPLES = 10**8


def _path_point(st: ParamSetup, path: LimitPath, eps_target: float) -> mpmath.mpf:
    """The parameter value on ``path`` where 1 − |λ| = ``eps_target`` (bisection in s)."""
    eps_expr = epsilon_along(st.nu, path).subs({q: GENERIC for q in st.free_parameters})
    f = sp.lambdify([s_local], eps_expr.subs(path.param, path.param_of(s_local)),
                    modules="mpmath")
    with mpmath.workdps(40):
        lo, hi = mpmath.mpf(-200), mpmath.log(mpmath.mpf(1) / 2)
        target = mpmath.mpf(eps_target)
        if mpmath.re(f(mpmath.exp(hi))) < target:
            raise ValueError(f"1 - |lam| never reaches {eps_target} along {path.limit_text}")
        for _ in range(200):
            mid = (lo + hi) / 2
            try:
                v = mpmath.re(mpmath.mpmathify(f(mpmath.exp(mid))))
            except (ZeroDivisionError, ValueError, ArithmeticError):
                v = mpmath.mpf(0)
            if v < target:
                lo = mid
            else:
                hi = mid
        s_val = mpmath.exp((lo + hi) / 2)
        return mpmath.mpf(sp.N(path.param_of(sp.Float(s_val, 40)), 40))


def _simulate_point(check: ParamCheck, m_value: float, rho_value: float, samples: int,
                    seed: int, device: str) -> tuple[float, float, dict[str, Any]]:
    """E|d_p h|² ± stderr at magnitude parameter m = ``m_value`` (other parameters at their
    --at or generic values), by the tangent recurrence seeded from autograd of λ(p), γ(p)."""
    import torch  # torch loads only for the Monte Carlo route
    from rnnverify.numerics.memory.montecarlo import simulate_moments

    st = check.setup
    par = check.parametrization
    values: dict[sp.Symbol, sp.Expr] = {q: GENERIC for q in st.free_parameters}
    values.update(dict(st.fixed))
    values[st.magnitude] = sp.Float(m_value, 30)
    p_sym = st.wrt
    # stop-gradient factors (presets) take their value at the point and are not differentiated
    consts = {c: sp.N(e.subs(values), 30) for c, e in par.constants.items()}
    lam_raw = par.nu if par.theta is None else par.nu * sp.exp(sp.I * par.theta)
    lam_p = lam_raw.subs(consts).subs({q: v for q, v in values.items() if q != p_sym})
    lam_fn = sp.lambdify([p_sym], lam_p, modules="torch")
    gamma_expr = par.gamma
    gamma_fn = None if gamma_expr is None else sp.lambdify([lam], gamma_expr, modules="torch")
    p0 = torch.tensor(float(values[p_sym]), dtype=torch.float64)

    def lam_of(p: Any) -> Any:
        out = lam_fn(p)
        return out if torch.is_tensor(out) else torch.as_tensor(out, dtype=torch.float64) + 0 * p

    def gamma_of(p: Any) -> Any:
        if gamma_fn is None:
            return torch.ones((), dtype=torch.float64) + 0 * p
        lv = lam_of(p)
        arg = lv.abs() if torch.is_complex(lv) else lv
        g = gamma_fn(arg)
        return g if torch.is_tensor(g) else torch.as_tensor(g, dtype=torch.float64) + 0 * p

    one = torch.ones((), dtype=torch.float64)
    lam_v, lam_dot = torch.func.jvp(lam_of, (p0,), (one,))
    g_v, g_dot = torch.func.jvp(gamma_of, (p0,), (one,))
    if not par.coupled:
        g_dot = torch.zeros_like(g_dot)  # γ held constant (decoupled, as in Fig. 2 of the paper)
    lam_c, lam_dot_c = complex(lam_v.item()), complex(lam_dot.item())
    is_real = abs(lam_c.imag) == 0 and abs(lam_dot_c.imag) == 0
    lam_arg: complex | float = lam_c.real if is_real else lam_c
    dot_arg: complex | float = lam_dot_c.real if is_real else lam_dot_c
    res = simulate_moments(lam_arg, rho=rho_value, n_samples=samples,
                           gamma=float(g_v.real if torch.is_complex(g_v) else g_v),
                           theta_derivative=False,
                           reparam={"p": ([dot_arg], [float(g_dot)])},
                           seed=seed, device=device)
    est = res.points[0].quantities["dh2_dp"]
    return est.estimate, est.stderr, {"lam": [lam_c.real, lam_c.imag],
                                      "dlam_dp_autograd": [lam_dot_c.real, lam_dot_c.imag],
                                      "steps": res.steps}


def _derived_value(check: ParamCheck, rho_value: sp.Expr, m_value: mpmath.mpf) -> float:
    """E|d_p h|² from the derivation (chain factor × K) at the same parameter values."""
    st = check.setup
    values = {q: GENERIC for q in st.free_parameters}
    values[st.magnitude] = sp.Float(m_value, 40)
    k_expr = check.moment.subs(rho, rho_value)
    nu_v = st.nu.subs(values)
    subs = {lam: nu_v}
    if st.angle is not None:
        subs[theta] = st.angle.subs(values)
    full = st.chain.subs(values) * k_expr.subs(subs, simultaneous=True)
    return float(sp.re(sp.N(full, 30)))


def regime_curve(check: ParamCheck, regime: RegimeResult, exponents: Sequence[float]
                 ) -> tuple[str, list[float], list[float]]:
    """E|d_p h|² from the derivation along the regime's worst (non-special) path at
    1 − |λ| = 10^{−x} for x in ``exponents``: (path label, xs, values); points that cannot
    be reached or evaluated are left out."""
    generic = [pa for pa in regime.paths.paths if pa.special is None and pa.path is not None]
    if not generic:  # no limit path (sup |lam| < 1): no curve towards |lam| = 1
        return regime.paths.paths[0].limit, [], []
    tested = max(generic, key=lambda pa: float(pa.order) if pa.order.is_finite else -1e9)
    path = tested.path
    xs, ys = [], []
    for x in exponents:
        try:
            m_val = _path_point(check.setup, path, 10.0 ** (-x))
            ys.append(_derived_value(check, regime.rho, m_val))
            xs.append(float(x))
        except (ValueError, TypeError, ZeroDivisionError):
            continue
    return tested.limit, xs, ys


def _wls(xs: Sequence[Sequence[float]], y: Sequence[float], se: Sequence[float]
         ) -> tuple[list[float], list[list[float]]]:
    """Weighted least squares: coefficients and their covariance (weights 1/se²)."""
    X = np.asarray(xs, dtype=float)
    w = 1.0 / np.asarray(se, dtype=float) ** 2
    xtwx = X.T @ (w[:, None] * X)
    cov = np.linalg.inv(xtwx)
    beta = cov @ (X.T @ (w * np.asarray(y, dtype=float)))
    return beta.tolist(), cov.tolist()


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
    """Monte Carlo confirmation of each AR(1) regime's worst path.

    Along the path (other parameters at their ``--at`` values or 3/10), the
    parameter values where 1 − |λ| = ε for ε in ``epsilons`` are found by
    bisection.  At each, torch computes λ(p) and γ(p) from p and their
    derivatives by :func:`torch.func.jvp` (never the symbolic ∂λ/∂p); the
    engine's tangent recurrence gives E|d_p h|² ± stderr (independent seeds per
    point).  Two z-tests per regime, Bonferroni over all of them at total
    false-failure rate ``alpha``:

    * the slope β of log E = a + β log ε + b ε (weighted least squares; the b ε
      term absorbs the first finite-ε correction of the power law) against the slope of
      the same fit, with the same weights, to the derived E|d_p h|² at the same ε
      (``slope_theory``): the test asks whether the simulation follows the derivation,
      at any sample size.  The asymptotic −p is reported beside it (``slope_asymptotic``);
      that the derivation tends to it is the symbolic/numeric routes' business;
    * each simulated value against the derived E|d_p h|² at the same p.

    Every z-test is :func:`rnnverify.crosscheck.stats.ztests.z_test`.  The smallest slope
    error the test detects with 95 % power is reported as ``slope_power``.  Regimes with
    order −∞ (E → 0 faster than any power), rows without a limit path (sup |λ| < 1) or a
    user autocorrelation are not simulated.
    """
    if not 1000 <= samples <= MC_MAX_SAMPLES:
        raise ValueError(f"samples must lie in [1000, {MC_MAX_SAMPLES}], got {samples}")
    eps_list = sorted((float(e) for e in epsilons), reverse=True)
    if len(eps_list) < 4 or any(not 0 < e < 1 for e in eps_list):
        raise ValueError("epsilons must be at least four numbers in (0, 1)")
    regimes_in = [r for r in check.regimes if isinstance(r.rho, sp.Basic)
                  and r.rho.is_number and r.order not in (sp.oo, -sp.oo)
                  and any(pa.path is not None for pa in r.paths.paths)]
    if not regimes_in:
        raise ValueError("--mc needs numeric --rho regimes with a finite order (a user "
                         "autocorrelation is not simulated by check-param)")
    n_tests = len(regimes_in) * (1 + len(eps_list))
    steps_total = sum(14.0 / e for e in eps_list) * len(regimes_in)
    n = int(max(1000, min(samples, time_budget * 2.5e7 / max(1.0, steps_total))))
    out: list[dict[str, Any]] = []
    start = time.perf_counter()
    for ri, regime in enumerate(regimes_in):
        worst = regime.paths.worst
        generic = [pa for pa in regime.paths.paths if pa.special is None]
        tested = worst if worst in generic else max(
            generic, key=lambda pa: float(pa.order) if pa.order.is_finite else -1e9)
        path = tested.path
        r = float(regime.rho)
        points = []
        for ei, eps_v in enumerate(eps_list):
            m_val = _path_point(check.setup, path, eps_v)
            est, se, meta = _simulate_point(check, float(m_val), r, n,
                                            seed + 1000 * ri + ei, device)
            derived = _derived_value(check, regime.rho, m_val)
            value_test = z_test(est, se, derived, alpha=alpha / n_tests,
                                label=f"E at 1-|lam| = {eps_v:g}")
            points.append({"one_minus_abs_lam": eps_v, "param": float(m_val),
                           "estimate": est, "stderr": se, "derived": derived,
                           "z": value_test.z, "holds": value_test.holds, **meta})
        xs = [[1.0, math.log(p["one_minus_abs_lam"]), p["one_minus_abs_lam"]] for p in points]
        ys = [math.log(p["estimate"]) for p in points]
        ses = [max(p["stderr"] / p["estimate"], 1e-12) for p in points]
        beta, cov = _wls(xs, ys, ses)
        slope, slope_se = beta[1], math.sqrt(cov[1][1])
        derived_y = [math.log(p["derived"]) for p in points]
        beta_d, _ = _wls(xs, derived_y, ses)
        slope_test = z_test(slope, slope_se, beta_d[1], alpha=alpha / n_tests,
                            label="log-log slope vs the derivation's slope")
        out.append({
            "rho": r,
            "path": tested.limit,
            "params_at": {str(q): float(GENERIC) for q in check.setup.free_parameters},
            "samples": n,
            "samples_requested": samples,
            "points": points,
            "slope": slope,
            "stderr": slope_se,
            "slope_theory": beta_d[1],
            "slope_asymptotic": 0.0 - float(tested.order),
            "fit": "log E = a + slope*log(eps) + b*eps (weighted least squares), the same "
                   "fit to the derived values gives slope_theory",
            "z": slope_test.z,
            "z_bound": slope_test.z_bound,
            "false_failure_rate": alpha,
            "slope_power": (slope_test.z_bound + Z_MISSED) * slope_se,
            "holds": slope_test.holds and all(p["holds"] for p in points),
        })
    elapsed = time.perf_counter() - start
    for row in out:
        row["seconds_total"] = round(elapsed, 2)
    return out
