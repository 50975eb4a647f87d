"""Monte Carlo columns for the moment claims (the public Model, numbers from
crosscheck.model.bridge).

:func:`moment_mc_column` returns a registry column ``fn(point, ctx) -> CheckOutcome``
that simulates the recurrence at the point with :mod:`numerics.memory.engine`
(derivatives by the tangent recurrence; autograd agreement is tested
separately) and compares each requested second moment with the theory value of
:func:`theory.memory.moments.moments` by the calibrated z-test of
:mod:`crosscheck.stats.ztests`.  The two routes share nothing but the model
definition: theory sums Lemmas 1–2 with mpmath, the simulation draws Gaussian
inputs with the prescribed autocorrelation and runs the recurrence.

Model options (keyword arguments of :func:`moment_mc_column`, overridden by
keys of the same name in the point): ``lam`` (modulus when ``theta`` is given),
``theta``, ``rho`` or ``autocorr`` (expression text in k), ``gamma``
(expression text in lam), ``gamma_coupled``, ``t`` (finite horizon),
``dlam_dp`` (expression text in lam, theta: the ``dh2_dp`` quantity is E|d_p h|² for
the reparametrization with ∂λ/∂p = dlam_dp(lam, theta); see
:func:`crosscheck.model.bridge.lam_function`).  Each point is a public
:class:`crosscheck.model.recurrence.Model`
(:meth:`~crosscheck.model.recurrence.Model.from_options`); the
numbers the engine needs come from :mod:`crosscheck.model.bridge`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import sympy as sp
from rnnverify.crosscheck.claims.registry import Column, Mode, RunContext
from rnnverify.crosscheck.model.bridge import engine_args, model_source, reparam_factors
from rnnverify.crosscheck.model.recurrence import Model
from rnnverify.crosscheck.stats.ztests import CheckOutcome, combine, z_test
from rnnverify.numerics.memory.engine import MCResult, make_plan
from rnnverify.numerics.memory.inputs import AR1Input
from rnnverify.numerics.memory.montecarlo import simulate_moments
from rnnverify.theory.memory.moments import cross_moments
from rnnverify.theory.params.parametrizations import preset, sensitivity_expr
from rnnverify.theory.symbols import lam, theta

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


# ---------------------------------------------------------------------------- model


def theory_values(model: Model) -> dict[str, float | None]:
    """Theory values at ``model`` (floats; ``None`` if undefined): its closed form
    (:func:`theory.memory.moments.moments`, 30 digits) and, for each reparametrization p of
    ``dlam_dp``, ``dh2_dp`` = |∂λ/∂p|² · E|d_λh|²."""

    out = {q: (None if v is None else float(v)) for q, v in model.closed_form(dps=30).items()}
    for p, ld in reparam_factors(model).items():
        out[f"dh2_d{p}"] = abs(ld) ** 2 * out["dh2_dlam"]
    return out


def simulate(model: Model, n_samples: int, ctx: RunContext) -> MCResult:
    """Monte Carlo estimates at ``model`` for a column (burn-in bias ≤ REL_BIAS)."""
    return model.simulate(n_samples=n_samples, seed=ctx.seed, device=ctx.device,
                          max_bias=REL_BIAS, theory=False).result


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
    nu = abs(float(model.lam))
    # the h-bound alone needs ν^T ≤ δ/3: a cheap lower bound on the burn-in
    lower = math.log(REL_BIAS / 3) / math.log(nu) if 0 < nu < 1 else 0.0
    need = f"> {math.floor(lower)}" if lower > MAX_STEPS[mode] else steps_for(model)
    if isinstance(need, int) and need <= MAX_STEPS[mode]:
        return model, ""
    t = FALLBACK_T[mode]
    note = (f"stationary infeasible at |λ| = {nu:.10g}: the burn-in needs {need} steps per "
            f"chain for bias ≤ {REL_BIAS:g} (> {MAX_STEPS[mode]} in --{mode}); checked the "
            f"finite horizon t = {t} at this λ instead")
    return model.at_horizon(t), note


#: relative float round-off allowance for a deterministic estimate (all samples equal)
ROUNDOFF = 1e-9


def _roundoff(stderr: float, scale: float) -> float:
    """Absolute allowance when the estimate has no sampling error (stderr = 0, e.g.
    d_λh_1 = 0 exactly): float round-off on both sides, ROUNDOFF · (largest moment at the
    point); 0 otherwise, so statistical checks keep their pure z-bound."""
    return ROUNDOFF * scale if stderr == 0 else 0.0


def steps_for(model: Model) -> int:
    """Steps per chain the engine will run at ``model`` (burn-in or horizon)."""

    plan = make_plan(source=AR1Input(0.0), rel_bias=REL_BIAS,
                     **engine_args([model], reparam=False))
    return plan.steps


def samples_for(model: Model, mode: Mode) -> int:
    """Sample budget of one check: SAMPLE_STEPS[mode] / (steps · relative cost of the input
    source), clamped to [MIN_SAMPLES, MAX_SAMPLES]."""
    steps = max(1, steps_for(model))
    cost = model_source(model).relative_cost
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
    """Registry column comparing Monte Carlo second moments with
    :func:`theory.memory.moments.moments`.

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
            if "dh2_dp" in wanted and "p" not in model.dlam_dp:
                raise ValueError("quantity dh2_dp needs the model option dlam_dp")
            models.append((model, wanted, bool(note)))
            wanted_all += wanted
            if note:
                notes.append(note)
        alpha = ctx.alpha / max(1, len(wanted_all))
        for model, wanted, infeasible in models:
            n = samples_for(model, ctx.mode)
            start = time.perf_counter()
            result = simulate(model, n, ctx)
            seconds = time.perf_counter() - start
            theory = theory_values(model)
            pt = result.points[0]
            prefix = f"λ={float(model.lam):g} " if len(grid) > 1 else ""
            scale = max(abs(v) for v in theory.values() if v is not None)
            tests += [z_test(pt.quantities[q].estimate, pt.quantities[q].stderr, theory[q],
                             alpha=alpha, bias=pt.bias_bound[q],
                             abs_bias=_roundoff(pt.quantities[q].stderr, scale),
                             label=prefix + q)
                      for q in wanted]
            info.append({"lam": float(model.lam), "horizon": horizon_of(model),
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
    column.__doc__ = f"Monte Carlo vs theory.memory.moments for {', '.join(quantities)}"
    return column


def cross_mc_column(quantity: str | Sequence[str] = CROSS_QUANTITIES,
                    **model_options: Any) -> Column:
    """Registry column for E[h(λ) conj h(λ2)] and E[d_λh(λ) conj d_λh(λ2)] (``cross_h``,
    ``cross_dh``) against :func:`theory.memory.moments.cross_moments`.

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
            m2 = m2.at_horizon(m1.t)
        m2b, note2 = feasible(m2, ctx.mode)
        if note2 and not note:  # the second eigenvalue is the slow one
            m1 = m1.at_horizon(m2b.t)
            m2, note = m2b, note2
        complex_mode = m1.theta is not None or m2.theta is not None
        args = [engine_args([m], reparam=False) for m in (m1, m2)]
        lam1 = args[0]["lam"][0]
        if complex_mode and m1.theta is None:
            lam1 = complex(lam1)
        n = min(samples_for(m1, ctx.mode), samples_for(m2, ctx.mode))
        start = time.perf_counter()
        res = simulate_moments(
            [lam1, args[1]["lam"][0]], source=model_source(m1), n_samples=n,
            gamma=[a["gamma"][0] for a in args],
            gamma_prime=[a["gamma_prime"][0] for a in args] if m1.gamma_coupled else None,
            theta_derivative=False if not complex_mode else None, horizon=m1.t,
            rel_bias=REL_BIAS, cross_pairs=[(0, 1)], seed=ctx.seed, device=ctx.device)
        seconds = time.perf_counter() - start
        theory = cross_moments(float(m1.lam), float(m2.lam),
                               theta=None if m1.theta is None else float(m1.theta),
                               theta2_value=None if m2.theta is None else float(m2.theta),
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
    column.__doc__ = ("Monte Carlo vs theory.memory.moments.cross_moments for "
                      f"{', '.join(quantities)}")
    return column


def reparam_mc_column(rows: Mapping[str, tuple[str, str, float, str]], *,
                      angle: float = 0.7) -> Column:
    """Registry column for points ``{"rows": [names], "nu": ν}`` of a reparametrization claim.

    ``rows`` maps a row name to (preset, parameter p, ρ, ∂λ/∂p as expression text in ``lam``
    and ``theta``).  E|d_p h|² by the tangent recurrence with seeds (∂λ/∂p, 0) (γ = √(1−ν²)
    decoupled for ``*_normalized`` presets) vs
    :func:`theory.params.parametrizations.sensitivity_expr`
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
            model, note = feasible(Model(nu, theta=th, rho=rho_value, gamma=gamma,
                                         dlam_dp={f"p{i}": table[m][3]
                                                  for i, m in enumerate(members)}), ctx.mode)
            n = samples_for(model, ctx.mode)
            # the tangents of the seeds only: no θ-derivative
            res = simulate_moments(source=model_source(model), n_samples=n, rel_bias=REL_BIAS,
                                   seed=ctx.seed, device=ctx.device,
                                   **{**engine_args([model]), "theta_derivative": False})
            finite = theory_values(model) if model.t is not None else None
            for i, m in enumerate(members):
                pre, par_name, _, _ = table[m]
                if finite is not None:  # finite horizon: |∂λ/∂p|² · finite-t moment
                    target = finite[f"dh2_dp{i}"]
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
    column.__doc__ = "Monte Carlo E|d_p h|² vs theory.params.parametrizations.sensitivity_expr"
    return column
