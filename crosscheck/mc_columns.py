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
``dlam_dp`` (expression text in lam: the ``dh2_dp`` quantity is E|d_p h|² for
the reparametrization with ∂λ/∂p = dlam_dp(λ)).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from crosscheck.registry import CheckOutcome, Column, Mode, RunContext

#: Monte Carlo budget per check in sample-steps (AR(1) inputs: ≈ 1 s per 3e7 on one idle core)
SAMPLE_STEPS = {"quick": 1.5e7, "full": 3e8}
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
    import numpy as np
    import sympy as sp

    from numerics.inputs import AR1Input, CirculantInput
    from theory.autocorr import as_autocorrelation
    from theory.symbols import k

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
    import sympy as sp

    from theory.parser import parse_expression
    from theory.symbols import lam

    expr = parse_expression(text, allowed=("lam",))
    return sp.lambdify(lam, expr, modules="mpmath"), sp.lambdify(lam, sp.diff(expr, lam),
                                                                 modules="mpmath")


def _real_number(value: Any, what: str) -> float:
    import mpmath

    v = mpmath.mpmathify(value)
    if not mpmath.isfinite(v) or abs(mpmath.im(v)) > 1e-12 * (1 + abs(v)):
        raise ValueError(f"{what} must be a finite real number, got {v}")
    return float(mpmath.re(v))


def gamma_numbers(gamma: str | float | None, at: float, *,
                  coupled: bool) -> tuple[float, float]:
    """(γ, dγ/dλ) of a γ expression in ``lam`` evaluated at ``at`` (γ' = 0 if decoupled).

    DESIGN.md: ``lam`` is λ itself for real λ and the modulus ν for complex λ, so
    pass λ (signed) for real eigenvalues and ν with an angle.
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


def lam_function(text: str) -> Callable[[complex], complex]:
    """A numeric function of λ from expression text in ``lam`` (whitelist parser)."""
    import sympy as sp

    from theory.parser import parse_expression
    from theory.symbols import lam

    f = sp.lambdify(lam, parse_expression(text, allowed=("lam",)), modules="cmath")
    return lambda v: complex(f(v))


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
        from theory.moments import moments

        vals = moments(self.lam, theta=self.theta, autocorr=self.autocorr, gamma=self.gamma,
                       gamma_coupled=self.gamma_coupled, t=self.t, dps=dps)
        out = {k: (None if v is None else float(v)) for k, v in vals.items()}
        if self.dlam_dp is not None:
            ld = lam_function(self.dlam_dp)(self.lam_complex)
            out["dh2_dp"] = abs(ld) ** 2 * out["dh2_dlam"]
        return out

    def simulate(self, n_samples: int, *, seed: int, device: str, dtype: Any = None,
                 progress: Callable[[int], None] | None = None, chunk_samples: int = 65536):
        """Monte Carlo estimates at this point (a :class:`numerics.engine.MCResult`)."""
        from numerics.engine import simulate_moments

        g, gp = gamma_numbers(self.gamma, self.lam, coupled=self.gamma_coupled)
        reparam = None
        if self.dlam_dp is not None:
            ld = lam_function(self.dlam_dp)(self.lam_complex)
            reparam = {"p": ([ld], [gp * ld.real if self.gamma_coupled else 0.0])}
        return simulate_moments(
            self.lam_complex, source=input_source(self.autocorr), n_samples=n_samples,
            gamma=g, gamma_prime=gp if self.gamma_coupled else None,
            theta_derivative=self.theta is not None, reparam=reparam, horizon=self.t,
            rel_bias=REL_BIAS, seed=seed, device=device, dtype=dtype, progress=progress,
            chunk_samples=chunk_samples)


def steps_for(model: Model) -> int:
    """Steps per chain the engine will run at ``model`` (burn-in or horizon)."""
    from numerics.engine import make_plan
    from numerics.inputs import AR1Input

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


def moment_mc_column(quantity: str | Sequence[str] = ("h2", "dh2_dlam"),
                     **model_options: Any) -> Column:
    """Registry column comparing Monte Carlo second moments with :func:`theory.moments.moments`.

    ``quantity``: one of :data:`KNOWN_QUANTITIES` or a sequence of them (each is a
    separate z-test at false-failure rate ctx.alpha / len(quantity), Bonferroni).
    ``model_options``: defaults for the model keys (see module docstring); the
    point's keys override them.  ``dh2_dtheta`` is skipped (not tested) at
    points without θ.
    """
    quantities = (quantity,) if isinstance(quantity, str) else tuple(quantity)
    for q in quantities:
        if q not in KNOWN_QUANTITIES:
            raise ValueError(f"quantity must be one of {KNOWN_QUANTITIES}, got {q!r}")
    defaults = dict(model_options)

    def column(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
        from crosscheck.stats import combine, z_test

        model = Model.from_options({**defaults, **point})
        wanted = [q for q in quantities if not (q == "dh2_dtheta" and model.theta is None)]
        if "dh2_dp" in wanted and model.dlam_dp is None:
            raise ValueError("quantity dh2_dp needs the model option dlam_dp")
        n = samples_for(model, ctx.mode)
        start = time.perf_counter()
        result = model.simulate(n, seed=ctx.seed, device=ctx.device)
        seconds = time.perf_counter() - start
        theory = model.theory()
        pt = result.points[0]
        alpha = ctx.alpha / max(1, len(wanted))
        tests = [z_test(pt.quantities[q].estimate, pt.quantities[q].stderr, theory[q],
                        alpha=alpha, bias=pt.bias_bound[q], label=q) for q in wanted]
        return combine(tests, data={"samples": n, "steps": result.steps,
                                    "stationary": result.stationary, "seed": ctx.seed,
                                    "device": result.device, "dtype": result.dtype,
                                    "seconds": round(seconds, 3)})

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
    quantities = (quantity,) if isinstance(quantity, str) else tuple(quantity)
    for q in quantities:
        if q not in CROSS_QUANTITIES:
            raise ValueError(f"quantity must be one of {CROSS_QUANTITIES}, got {q!r}")
    defaults = dict(model_options)

    def column(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
        from crosscheck.stats import combine, z_test
        from numerics.engine import simulate_moments
        from theory.moments import cross_moments

        opts = {**defaults, **point}
        if "lam2" not in opts:
            raise ValueError("the point must give lam2")
        m1 = Model.from_options(opts)
        th2 = opts.get("theta2")
        m2 = Model.from_options({**opts, "lam": opts["lam2"],
                                 "theta": th2 if th2 is not None else
                                 (0.0 if m1.theta is not None else None)})
        complex_mode = m1.theta is not None or m2.theta is not None
        g1 = gamma_numbers(m1.gamma, m1.lam, coupled=m1.gamma_coupled)
        g2 = gamma_numbers(m1.gamma, m2.lam, coupled=m1.gamma_coupled)
        lam1 = m1.lam_complex if m1.theta is not None or not complex_mode else complex(m1.lam)
        lam2 = m2.lam_complex
        n = samples_for(m1, ctx.mode)
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
                tests.append(z_test(est.estimate, est.stderr, target, alpha=alpha,
                                    abs_bias=cr.abs_bias[q], label=f"{q}.{part}"))
        return combine(tests, data={"samples": n, "steps": res.steps, "seed": ctx.seed,
                                    "device": res.device, "dtype": res.dtype,
                                    "seconds": round(seconds, 3)})

    column.__name__ = f"cross_mc_column[{','.join(quantities)}]"
    column.__doc__ = f"Monte Carlo vs theory.moments.cross_moments for {', '.join(quantities)}"
    return column
