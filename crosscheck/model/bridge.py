"""The one bridge from a model request to the numbers each route needs.

The theory routes take the model exactly (SymPy/mpmath); the Monte Carlo engine
(:mod:`rnnverify.numerics`) takes plain numbers and input-source objects.  Every
route gets its numbers here, from one specification:

* γ — :func:`rnnverify.theory.memory.moments.gamma_expression` (an expression in ``lam``,
  the modulus |λ|) evaluated by :func:`rnnverify.theory.memory.moments.gamma_values` (γ at
  |λ|; coupled, real λ only, dγ/dλ at λ): :func:`gamma_values` at any precision for the
  oracle, :func:`gamma_numbers` as floats for the engine;
* ∂λ/∂p of a reparametrization — :func:`lam_function` (expression in ``lam`` and
  ``theta``);
* the input law — :func:`input_source`: exact streaming AR(1) for R(k) = ρ^|k| with a
  numeric ρ, otherwise circulant embedding of R(k);
* :func:`engine_args`: the engine keywords (λ's, γ's, seeds, horizon) of models that
  differ only in λ.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import mpmath
import sympy as sp
from rnnverify.theory.memory.autocorr import as_autocorrelation
from rnnverify.theory.memory.moments import gamma_expression
from rnnverify.theory.memory.moments import gamma_values as _gamma_at
from rnnverify.theory.parser import parse_expression
from rnnverify.theory.symbols import k, lam, theta

__all__ = ["engine_args", "gamma_numbers", "gamma_values", "input_source", "lam_function",
           "model_source", "reparam_factors"]


# ------------------------------------------------------------------------------- γ
def gamma_values(gamma: Any, lam_value: Any, *, theta: Any = None, coupled: bool = False,
                 dps: int | None = None, name: str = "gamma") -> tuple[Any, Any]:
    """(γ, dγ/dλ) as mpmath numbers at ``dps`` digits (the ambient precision if ``None``).

    ``lam_value`` is λ (real λ) or the modulus ν when an angle ``theta`` is given; γ is
    evaluated at |λ|, dγ/dλ at λ when ``coupled`` (real λ only), else 0.  Errors name
    ``name`` (``gamma``, ``--gamma``).
    """
    g = gamma_expression(gamma, name=name)
    with mpmath.workdps(dps if dps is not None else mpmath.mp.dps):
        return _gamma_at(g, mpmath.mpmathify(lam_value), coupled=coupled,
                         complex_lambda=theta is not None)


def gamma_numbers(gamma: Any, lam_value: Any, *, theta: Any = None,
                  coupled: bool = False) -> tuple[float, float]:
    """:func:`gamma_values` as floats, for the Monte Carlo engine."""
    g, gp = gamma_values(gamma, lam_value, theta=theta, coupled=coupled)
    return float(g), float(gp)


# ------------------------------------------------------------------------ ∂λ/∂p
@lru_cache(maxsize=64)
def lam_function(text: str) -> Callable[..., complex]:
    """∂λ/∂p as a numeric function ``f(lam, theta=0)`` from expression text in ``lam`` and
    ``theta`` (whitelist parser).  Convention: ``lam`` is λ for real λ (θ = 0)
    and the modulus ν for complex λ = ν e^{iθ} — both real symbols, so write e.g. the
    polar angle derivative as ``I*lam*exp(I*theta)``."""

    f = sp.lambdify((lam, theta), parse_expression(text, allowed=("lam", "theta")),
                    modules="cmath")
    return lambda v, th=0.0: complex(f(v, th))


def reparam_factors(model: Any) -> dict[str, complex]:
    """∂λ/∂p at ``model`` for each reparametrization p of its ``dlam_dp`` ({} if none)."""
    return {p: lam_function(text)(float(model.lam), float(model.theta or 0.0))
            for p, text in model.dlam_dp.items()}


# ---------------------------------------------------------------------------- input
def input_source(autocorr: Any = 0.0):
    """numerics input source for ``autocorr`` (a number ρ, expression text in k, or an
    :class:`theory.memory.autocorr.Autocorrelation`): exact streaming AR(1) when R(k) = ρ^k
    with a numeric ρ, otherwise circulant embedding of R lambdified to numpy."""
    import numpy as np  # the engine's libraries load with the Monte Carlo route only
    from rnnverify.numerics.memory.inputs import AR1Input, CirculantInput

    ac = as_autocorrelation(autocorr)
    if ac.rho is not None and ac.rho.is_number:
        return AR1Input(float(ac.rho))
    if ac.has_rho:
        raise ValueError(f"autocorr {ac.name!r} contains rho: give a number for rho")
    fn = sp.lambdify(k, ac.expr, modules="numpy")
    scalar = ac.lag_function()

    def r_of_k(lags: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            try:
                return np.broadcast_to(np.asarray(fn(lags), dtype=np.float64), np.shape(lags))
            except (TypeError, ValueError):  # not vectorised (e.g. binomial): lag by lag
                flat = [float(scalar(mpmath.mpf(int(v)))) for v in np.ravel(lags)]
                return np.asarray(flat, dtype=np.float64).reshape(np.shape(lags))

    return CirculantInput(r_of_k, name=ac.name)


def model_source(model: Any):
    """The input source of a :class:`~rnnverify.crosscheck.model.recurrence.Model`: AR(1) with its
    float ρ, or circulant embedding of its R(k)."""
    from rnnverify.numerics.memory.inputs import AR1Input

    return AR1Input(model.rho) if model.rho is not None else input_source(model.autocorr)


# --------------------------------------------------------------------------- engine
def engine_args(models: Sequence[Any], *, reparam: bool = True) -> dict[str, Any]:
    """Keywords of :func:`numerics.memory.engine.make_plan` / ``simulate_moments`` for models that
    differ only in λ: ``lam``, ``gamma``, ``gamma_prime`` (coupled only),
    ``theta_derivative``, ``horizon`` and — with ``reparam`` and a ``dlam_dp`` — the
    tangent seeds (∂λ/∂p, ∂γ/∂p = dγ/dλ · Re ∂λ/∂p when coupled) of each p."""
    first = models[0]
    coupled = first.gamma_coupled
    pairs = [gamma_numbers(first.gamma, m.lam, theta=m.theta, coupled=coupled)
             for m in models]
    out: dict[str, Any] = {
        "lam": [m.lam_complex for m in models],
        "gamma": [g for g, _ in pairs],
        "gamma_prime": [gp for _, gp in pairs] if coupled else None,
        "theta_derivative": first.theta is not None,
        "horizon": first.t,
    }
    if reparam and first.dlam_dp:
        factors = [reparam_factors(m) for m in models]
        out["reparam"] = {p: ([f[p] for f in factors],
                              [gp * f[p].real if coupled else 0.0
                               for f, (_, gp) in zip(factors, pairs, strict=True)])
                          for p in first.dlam_dp}
    return out
