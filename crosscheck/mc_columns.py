"""Monte Carlo columns for the moment claims, and the SymPy → numerics bridge they use.

:func:`moment_mc_column` returns a registry column ``fn(point, ctx) -> CheckOutcome``
that simulates the recurrence at the point with :mod:`numerics.engine`
(derivatives by the tangent recurrence; autograd agreement is tested
separately) and compares each requested second moment with the theory value of
:func:`theory.moments.moments` by the calibrated z-test of
:mod:`crosscheck.stats`.  The two routes share nothing but the model
definition: theory sums Lemmas 1–2 with mpmath, the simulation draws Gaussian
inputs with the prescribed autocorrelation and runs the recurrence.

Model options (keyword arguments of :func:`moment_mc_column`, overridden by
keys of the same name in the point): ``lam`` (modulus when ``theta`` is given),
``theta``, ``rho`` or ``autocorr`` (expression text in k), ``gamma``
(expression text in lam), ``gamma_coupled``, ``t`` (finite horizon),
``dlam_dp`` (expression text in lam, theta: the ``dh2_dp`` quantity is E|d_p h|² for
the reparametrization with ∂λ/∂p = dlam_dp(lam, theta); see :func:`lam_function`).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from rnnverify.numerics.engine import make_plan
from rnnverify.numerics.inputs import AR1Input, CirculantInput
from rnnverify.numerics.montecarlo import simulate_moments
from rnnverify.theory.autocorr import as_autocorrelation
from rnnverify.theory.moments import cross_moments, moments
from rnnverify.theory.parametrizations import preset, sensitivity_expr
from rnnverify.theory.parser import parse_expression
from rnnverify.theory.symbols import k, lam, theta

from .registry import CheckOutcome, Column, Mode, RunContext
from .stats import combine, z_test

#: Monte Carlo budget per check in sample-steps (AR(1) inputs: ≈ 1 s per 3e7 on one idle core)
SAMPLE_STEPS = {"quick": 1.5e7, "full": 4e7}
#: longest chain per check; a stationary point needing a longer burn-in (|λ| too close to
#: 1) is infeasible in that mode: it is checked at the finite horizon t = FALLBACK_T instead,
#: and labelled so (``"horizon": t``, ``"stationary_infeasible": true`` and a note).
#: 2500 steps hold the proven burn-in of |λ| = 0.99 (≈ 1.8e3 steps at bias 1e−6).
MAX_STEPS = {"quick": 2500, "full": 4000}
#: the finite horizon an infeasible stationary point is checked at instead
FALLBACK_T = {"quick": 1000, "full": 4000}
#: sample-count bounds per check (the lower one keeps the z-test's tails calibrated)
MIN_SAMPLES, MAX_SAMPLES = 20_000, 4_000_000
#: relative burn-in bias bound of stationary estimates
REL_BIAS = 1e-6

KNOWN_QUANTITIES = ("h2", "dh2_dlam", "dh2_dtheta", "dh2_dp")
CROSS_QUANTITIES = ("cross_h", "cross_dh")


# ------------------------------------------------------------------ SymPy → numerics


def input_source(autocorr: Any = 0.0):
    """numerics input source for ``autocorr`` (a number ρ, expression text in k, or an
    :class:`theory.autocorr.Autocorrelation`): exact streaming AR(1) when R(k) = ρ^k
    with a numeric ρ, otherwise circulant embedding of R lambdified to numpy."""

    ac = as_autocorrelation(autocorr)
    if ac.rho is not None and ac.rho.is_number:
        return AR1Input(float(ac.rho))
    if ac.has_rho:
        raise ValueError(f"autocorr {ac.name!r} contains rho: give a number for rho")
    fn = sp.lambdify(k, ac.expr, modules="numpy")

    def r_of_k(lags: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(fn(lags), dtype=np.float64), np.shape(lags))

    return CirculantInput(r_of_k, name=ac.name)


@lru_cache(maxsize=64)
def _gamma_exprs(text: str):
    expr = parse_expression(text, allowed=("lam",))
    return sp.lambdify(lam, expr, modules="mpmath"), sp.lambdify(lam, sp.diff(expr, lam),
                                                                 modules="mpmath")


def _real_number(value: Any, what: str) -> float:
    v = mpmath.mpmathify(value)
    if not mpmath.isfinite(v) or abs(mpmath.im(v)) > 1e-12 * (1 + abs(v)):
        raise ValueError(f"{what} must be a finite real number, got {v}")
    return float(mpmath.re(v))


def gamma_numbers(gamma: str | float | None, at: float, *,
                  coupled: bool) -> tuple[float, float]:
    """(γ, dγ/dλ) of a γ expression in ``lam`` evaluated at ``at`` (γ' = 0 if decoupled).

    Convention (docs/theory.md §1): ``lam`` is λ itself for real λ and the modulus ν for
    complex λ, so pass λ (signed) for real eigenvalues and ν with an angle.
    """
    if gamma is None:
        return 1.0, 0.0
    if isinstance(gamma, (int, float)) and not isinstance(gamma, bool):
        if coupled:
            raise ValueError("gamma_coupled needs gamma as an expression in lam")
        return float(gamma), 0.0
    f, fp = _gamma_exprs(str(gamma))
    try:
        g = _real_number(f(at), f"gamma at lam={at}")
        gp = _real_number(fp(at), f"gamma' at lam={at}") if coupled else 0.0
    except ZeroDivisionError as exc:
        raise ValueError(f"gamma cannot be evaluated at lam={at}: {exc}") from None
    return g, gp


def lam_function(text: str) -> Callable[[float, float], complex]:
    """∂λ/∂p as a numeric function ``f(lam, theta)`` from expression text in ``lam`` and
    ``theta`` (whitelist parser).  Convention: ``lam`` is λ for real λ (θ = 0)
    and the modulus ν for complex λ = ν e^{iθ} — both real symbols, so write e.g. the
    polar angle derivative as ``I*lam*exp(I*theta)``."""

    f = sp.lambdify((lam, theta), parse_expression(text, allowed=("lam", "theta")),
                    modules="cmath")
    return lambda v, th=0.0: complex(f(v, th))


# ---------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Model:
    """One simulation point, validated: λ (complex if θ given), input law, γ, horizon."""

    lam: float
    theta: float | None
    autocorr: Any
    gamma: Any
    gamma_coupled: bool
    t: int | None
    dlam_dp: str | None

    @property
    def lam_complex(self) -> complex:
        return self.lam if self.theta is None else self.lam * complex(math.cos(self.theta),
                                                                      math.sin(self.theta))

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Model:
        if "lam" not in options:
            raise ValueError("the point must give lam")
        if "rho" in options and options.get("autocorr") is not None:
            raise ValueError("give rho or autocorr, not both")
        autocorr = options.get("autocorr")
        if autocorr is None:
            autocorr = float(options.get("rho", 0.0))
        t = options.get("t")
        return cls(float(options["lam"]),
                   None if options.get("theta") is None else float(options["theta"]),
                   autocorr, options.get("gamma"), bool(options.get("gamma_coupled", False)),
                   None if t is None else int(t), options.get("dlam_dp"))

    def theory(self, dps: int = 30) -> dict[str, float | None]:
        """Theory values from :func:`theory.moments.moments` (floats; ``None`` if undefined)."""

        vals = moments(self.lam, theta=self.theta, autocorr=self.autocorr, gamma=self.gamma,
                       gamma_coupled=self.gamma_coupled, t=self.t, dps=dps)
        out = {k: (None if v is None else float(v)) for k, v in vals.items()}
        if self.dlam_dp is not None:
            ld = lam_function(self.dlam_dp)(self.lam, self.theta or 0.0)
            out["dh2_dp"] = abs(ld) ** 2 * out["dh2_dlam"]
        return out

    def simulate(self, n_samples: int, *, seed: int, device: str, dtype: Any = None,
                 progress: Callable[[int], None] | None = None, chunk_samples: int = 65536):
        """Monte Carlo estimates at this point (a :class:`numerics.engine.MCResult`)."""

        g, gp = gamma_numbers(self.gamma, self.lam, coupled=self.gamma_coupled)
        reparam = None
        if self.dlam_dp is not None:
            ld = lam_function(self.dlam_dp)(self.lam, self.theta or 0.0)
            reparam = {"p": ([ld], [gp * ld.real if self.gamma_coupled else 0.0])}
        return simulate_moments(
            self.lam_complex, source=input_source(self.autocorr), n_samples=n_samples,
            gamma=g, gamma_prime=gp if self.gamma_coupled else None,
            theta_derivative=self.theta is not None, reparam=reparam, horizon=self.t,
            rel_bias=REL_BIAS, seed=seed, device=device, dtype=dtype, progress=progress,
            chunk_samples=chunk_samples)


def horizon_of(model: Model) -> str | int:
    """What a simulation of ``model`` tests: ``"stationary"`` or the integer horizon t."""
    return "stationary" if model.t is None else int(model.t)


def horizon_data(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Outcome keys naming the horizon(s) a check simulated: ``horizon`` (one value, or the
    list of per-run values when they differ) and ``stationary_infeasible`` (some stationary
    point was replaced by its finite horizon because its burn-in does not fit the mode)."""
    hs = [r["horizon"] for r in runs]
    return {"horizon": hs[0] if len(set(map(str, hs))) == 1 else hs,
            "stationary_infeasible": any(r.get("stationary_infeasible") for r in runs)}


def feasible(model: Model, mode: Mode) -> tuple[Model, str]:
    """``model`` itself, or — if its stationary burn-in exceeds MAX_STEPS[mode] — the same
    model at the finite horizon t = FALLBACK_T[mode] (exact from h_0 = 0), with a note."""
    if model.t is not None:
        return model, ""
    nu = abs(model.lam)
    # the h-bound alone needs ν^T ≤ δ/3: a cheap lower bound on the burn-in
    lower = math.log(REL_BIAS / 3) / math.log(nu) if 0 < nu < 1 else 0.0
    need = f"> {math.floor(lower)}" if lower > MAX_STEPS[mode] else steps_for(model)
    if isinstance(need, int) and need <= MAX_STEPS[mode]:
        return model, ""
    t = FALLBACK_T[mode]
    note = (f"stationary infeasible at |λ| = {nu:.10g}: the burn-in needs {need} steps per "
            f"chain for bias ≤ {REL_BIAS:g} (> {MAX_STEPS[mode]} in --{mode}); checked the "
            f"finite horizon t = {t} at this λ instead")
    return dataclasses.replace(model, t=t), note


#: relative float round-off allowance for a deterministic estimate (all samples equal)
ROUNDOFF = 1e-9


def _roundoff(stderr: float, scale: float) -> float:
    """Absolute allowance when the estimate has no sampling error (stderr = 0, e.g.
    d_λh_1 = 0 exactly): float round-off on both sides, ROUNDOFF · (largest moment at the
    point); 0 otherwise, so statistical checks keep their pure z-bound."""
    return ROUNDOFF * scale if stderr == 0 else 0.0


def steps_for(model: Model) -> int:
    """Steps per chain the engine will run at ``model`` (burn-in or horizon)."""

    g, gp = gamma_numbers(model.gamma, model.lam, coupled=model.gamma_coupled)
    plan = make_plan(model.lam_complex, source=AR1Input(0.0), gamma=g,
                     gamma_prime=gp if model.gamma_coupled else None,
                     theta_derivative=model.theta is not None, horizon=model.t,
                     rel_bias=REL_BIAS)
    return plan.steps


def samples_for(model: Model, mode: Mode) -> int:
    """Sample budget of one check: SAMPLE_STEPS[mode] / (steps · relative cost of the input
    source), clamped to [MIN_SAMPLES, MAX_SAMPLES]."""
    steps = max(1, steps_for(model))
    cost = input_source(model.autocorr).relative_cost
    return int(min(MAX_SAMPLES, max(MIN_SAMPLES, SAMPLE_STEPS[mode] / cost // steps)))


# --------------------------------------------------------------------------- column


def _as_quantities(quantity: str | Sequence[str], allowed: Sequence[str]) -> tuple[str, ...]:
    """``quantity`` as a tuple of names, each one of ``allowed`` (ValueError otherwise)."""
    quantities = (quantity,) if isinstance(quantity, str) else tuple(quantity)
    for q in quantities:
        if q not in allowed:
            raise ValueError(f"quantity must be one of {tuple(allowed)}, got {q!r}")
    return quantities


def moment_mc_column(quantity: str | Sequence[str] = ("h2", "dh2_dlam"),
                     **model_options: Any) -> Column:
    """Registry column comparing Monte Carlo second moments with :func:`theory.moments.moments`.

    ``quantity``: one of :data:`KNOWN_QUANTITIES` or a sequence of them (each is a
    separate z-test at false-failure rate ctx.alpha / len(quantity), Bonferroni).
    ``model_options``: defaults for the model keys (see module docstring); the
    point's keys override them.  ``dh2_dtheta`` is skipped (not tested) at
    points without θ.
    """
    quantities = _as_quantities(quantity, KNOWN_QUANTITIES)
    defaults = dict(model_options)

    def column(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
        opts = {**defaults, **point}
        lams = opts.get("lam")
        grid = list(lams) if isinstance(lams, (list, tuple)) else [lams]
        tests, notes, info = [], [], []
        wanted_all = []
        models = []
        for lam_value in grid:
            model, note = feasible(Model.from_options({**opts, "lam": lam_value}), ctx.mode)
            wanted = [q for q in quantities if not (q == "dh2_dtheta" and model.theta is None)]
            if "dh2_dp" in wanted and model.dlam_dp is None:
                raise ValueError("quantity dh2_dp needs the model option dlam_dp")
            models.append((model, wanted, bool(note)))
            wanted_all += wanted
            if note:
                notes.append(note)
        alpha = ctx.alpha / max(1, len(wanted_all))
        for model, wanted, infeasible in models:
            n = samples_for(model, ctx.mode)
            start = time.perf_counter()
            result = model.simulate(n, seed=ctx.seed, device=ctx.device)
            seconds = time.perf_counter() - start
            theory = model.theory()
            pt = result.points[0]
            prefix = f"λ={model.lam:g} " if len(grid) > 1 else ""
            scale = max(abs(v) for v in theory.values() if v is not None)
            tests += [z_test(pt.quantities[q].estimate, pt.quantities[q].stderr, theory[q],
                             alpha=alpha, bias=pt.bias_bound[q],
                             abs_bias=_roundoff(pt.quantities[q].stderr, scale),
                             label=prefix + q)
                      for q in wanted]
            info.append({"lam": model.lam, "horizon": horizon_of(model),
                         "stationary_infeasible": infeasible, "samples": n,
                         "steps": result.steps, "stationary": result.stationary,
                         "seconds": round(seconds, 3)})
        out = combine(tests, data={"runs": info, "seed": ctx.seed, "device": result.device,
                                   "dtype": result.dtype, "substituted": notes,
                                   **horizon_data(info)})
        if notes:
            out.detail = f"{out.detail} [{'; '.join(notes)}]"
        return out

    column.__name__ = f"moment_mc_column[{','.join(quantities)}]"
    column.__doc__ = f"Monte Carlo vs theory.moments for {', '.join(quantities)}"
    return column


def cross_mc_column(quantity: str | Sequence[str] = CROSS_QUANTITIES,
                    **model_options: Any) -> Column:
    """Registry column for E[h(λ) conj h(λ2)] and E[d_λh(λ) conj d_λh(λ2)] (``cross_h``,
    ``cross_dh``) against :func:`theory.moments.cross_moments`.

    Both eigenvalues run on ONE input stream (that is what makes the cross-moment
    observable).  Point/option keys: ``lam``, ``lam2`` (moduli when angles are given),
    ``theta``, ``theta2``, ``rho`` or ``autocorr``, ``gamma``, ``gamma_coupled``, ``t``.
    Re and Im are separate z-tests (Im only for complex eigenvalues), Bonferroni over all.
    """
    quantities = _as_quantities(quantity, CROSS_QUANTITIES)
    defaults = dict(model_options)

    def column(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
        opts = {**defaults, **point}
        if "lam2" not in opts:
            raise ValueError("the point must give lam2")
        m1 = Model.from_options(opts)
        th2 = opts.get("theta2")
        m2 = Model.from_options({**opts, "lam": opts["lam2"],
                                 "theta": th2 if th2 is not None else
                                 (0.0 if m1.theta is not None else None)})
        m1, note = feasible(m1, ctx.mode)
        if note:
            m2 = Model(m2.lam, m2.theta, m2.autocorr, m2.gamma, m2.gamma_coupled, m1.t, None)
        m2b, note2 = feasible(m2, ctx.mode)
        if note2 and not note:  # the second eigenvalue is the slow one
            m1 = Model(m1.lam, m1.theta, m1.autocorr, m1.gamma, m1.gamma_coupled, m2b.t, None)
            m2, note = m2b, note2
        complex_mode = m1.theta is not None or m2.theta is not None
        g1 = gamma_numbers(m1.gamma, m1.lam, coupled=m1.gamma_coupled)
        g2 = gamma_numbers(m1.gamma, m2.lam, coupled=m1.gamma_coupled)
        lam1 = m1.lam_complex if m1.theta is not None or not complex_mode else complex(m1.lam)
        lam2 = m2.lam_complex
        n = min(samples_for(m1, ctx.mode), samples_for(m2, ctx.mode))
        start = time.perf_counter()
        res = simulate_moments(
            [lam1, lam2], source=input_source(m1.autocorr), n_samples=n,
            gamma=[g1[0], g2[0]],
            gamma_prime=[g1[1], g2[1]] if m1.gamma_coupled else None,
            theta_derivative=False if not complex_mode else None, horizon=m1.t,
            rel_bias=REL_BIAS, cross_pairs=[(0, 1)], seed=ctx.seed, device=ctx.device)
        seconds = time.perf_counter() - start
        theory = cross_moments(m1.lam, m2.lam, theta=m1.theta, theta2_value=m2.theta,
                               autocorr=m1.autocorr, gamma=m1.gamma,
                               gamma_coupled=m1.gamma_coupled, t=m1.t, dps=30)
        cr = res.cross[0]
        parts = ("re", "im") if complex_mode else ("re",)
        alpha = ctx.alpha / (len(quantities) * len(parts))
        tests = []
        for q in quantities:
            value = complex(theory[q])
            for part, est in zip(("re", "im"), cr.quantities[q], strict=True):
                if part not in parts:
                    continue
                target = value.real if part == "re" else value.imag
                scale = max(abs(complex(v)) for v in theory.values())
                tests.append(z_test(est.estimate, est.stderr, target, alpha=alpha,
                                    abs_bias=cr.abs_bias[q] + _roundoff(est.stderr, scale),
                                    label=f"{q}.{part}"))
        out = combine(tests, data={"samples": n, "steps": res.steps, "seed": ctx.seed,
                                   "device": res.device, "dtype": res.dtype,
                                   "seconds": round(seconds, 3), "substituted": note,
                                   **horizon_data([{"horizon": horizon_of(m1),
                                                    "stationary_infeasible": bool(note)}])})
        if note:
            out.detail = f"{out.detail} [{note}]"
        return out

    column.__name__ = f"cross_mc_column[{','.join(quantities)}]"
    column.__doc__ = f"Monte Carlo vs theory.moments.cross_moments for {', '.join(quantities)}"
    return column


def reparam_mc_column(rows: Mapping[str, tuple[str, str, float, str]], *,
                      angle: float = 0.7) -> Column:
    """Registry column for points ``{"rows": [names], "nu": ν}`` of a reparametrization claim.

    ``rows`` maps a row name to (preset, parameter p, ρ, ∂λ/∂p as expression text in ``lam``
    and ``theta``).  E|d_p h|² by the tangent recurrence with seeds (∂λ/∂p, 0) (γ = √(1−ν²)
    decoupled for ``*_normalized`` presets) vs :func:`theory.parametrizations.sensitivity_expr`
    at (ν, θ = ``angle`` for complex presets).
    """
    table = dict(rows)

    def column(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
        names = list(point["rows"])
        unknown = [n for n in names if n not in table]
        if unknown:
            raise ValueError(f"no Monte Carlo row for {unknown}; known: {sorted(table)}")
        nu = float(point["nu"])
        alpha = ctx.alpha / len(names)
        # rows sharing (λ, ρ, γ) run as extra tangent directions of ONE simulation
        groups: dict[tuple[Any, ...], list[str]] = {}
        for name in names:
            pre, _, rho_value, _ = table[name]
            par = preset(pre)
            if par.coupled:
                raise ValueError(f"row {name!r}: coupled γ is not supported by this column")
            key = (par.is_complex, rho_value, None if par.gamma is None else str(par.gamma))
            groups.setdefault(key, []).append(name)
        tests, notes, info = {}, [], []
        for (is_complex, rho_value, gamma), members in groups.items():
            th = angle if is_complex else None
            model, note = feasible(Model(nu, th, rho_value, gamma, False, None, None), ctx.mode)
            g, _ = gamma_numbers(model.gamma, model.lam, coupled=False)
            seeds = {f"p{i}": ([lam_function(table[m][3])(nu, th or 0.0)], [0.0])
                     for i, m in enumerate(members)}
            n = samples_for(model, ctx.mode)
            res = simulate_moments(model.lam_complex, source=input_source(rho_value),
                                   n_samples=n, gamma=g, theta_derivative=False,
                                   reparam=seeds, horizon=model.t, rel_bias=REL_BIAS,
                                   seed=ctx.seed, device=ctx.device)
            finite = model.theory()["dh2_dlam"] if model.t is not None else None
            for i, m in enumerate(members):
                pre, par_name, _, _ = table[m]
                if finite is not None:  # finite horizon: |∂λ/∂p|² · finite-t moment
                    target = abs(seeds[f"p{i}"][0][0]) ** 2 * finite
                else:
                    expr = sensitivity_expr(preset(pre), par_name, rho_value)
                    target = float(sp.re(sp.N(expr.subs({lam: nu, theta: th or 0}), 30)))
                e = res.points[0].quantities[f"dh2_dp{i}"]
                tests[m] = z_test(e.estimate, e.stderr, target, alpha=alpha,
                                  bias=res.points[0].bias_bound[f"dh2_dp{i}"], label=m)
            info.append({"rows": members, "samples": n, "steps": res.steps,
                         "horizon": horizon_of(model), "stationary_infeasible": bool(note)})
            if note and note not in notes:
                notes.append(note)
        out = combine([tests[m] for m in names],
                      data={"runs": info, "seed": ctx.seed, "substituted": notes,
                            **horizon_data(info)})
        if notes:
            out.detail = f"{out.detail} [{'; '.join(notes)}]"
        return out

    column.__name__ = "reparam_mc_column"
    column.__doc__ = "Monte Carlo E|d_p h|² vs theory.parametrizations.sensitivity_expr"
    return column
