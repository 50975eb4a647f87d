"""Hypothesis strategies for the parameter domains of the claims.

The claim registry draws its property-test points from these (each claim's
``domain``), and so can users property-testing their own code over the same
domains (``from rnnverify import strategies``).  Conventions (Zucchet & Orvieto
2024, §2): λ real in (−1, 1) or λ = ν e^{iθ} with ν in [0, 1); inputs
R(k) = ρ^|k| with ρ in [−1, 1]; a horizon t ≥ 1 counts steps from h_0 = 0
(``None`` is stationary).  Each strategy draws parameters, never tensors.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

__all__ = [
    "angle",
    "horizon",
    "lam_complex",
    "lam_real",
    "model_kwargs",
    "modulus",
    "rho",
    "seed",
    "size",
]


def _check_bound(value: float, name: str, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must lie in [{low}, {high}], got {value!r}")


def lam_real(bound: float = 0.999) -> SearchStrategy[float]:
    """Real λ in [−bound, bound] (``bound`` < 1: stationary moments exist)."""
    _check_bound(bound, "bound", 0.0, math.nextafter(1.0, 0.0))
    return st.floats(-bound, bound)


def modulus(max_value: float = 0.999, min_value: float = 0.0) -> SearchStrategy[float]:
    """Modulus ν of λ = ν e^{iθ}, in [min_value, max_value] ⊂ [0, 1)."""
    _check_bound(max_value, "max_value", 0.0, math.nextafter(1.0, 0.0))
    _check_bound(min_value, "min_value", 0.0, max_value)
    return st.floats(min_value, max_value)


def angle(bound: float = math.pi) -> SearchStrategy[float]:
    """Angle θ of λ = ν e^{iθ}, in [−bound, bound]."""
    _check_bound(bound, "bound", 0.0, 1e6)
    return st.floats(-bound, bound)


def lam_complex(max_modulus: float = 0.999, angle_bound: float = math.pi
                ) -> SearchStrategy[tuple[float, float]]:
    """(ν, θ) of a complex λ = ν e^{iθ}."""
    return st.tuples(modulus(max_modulus), angle(angle_bound))


def rho(low: float = -1.0, high: float = 1.0) -> SearchStrategy[float]:
    """ρ of the AR(1) input R(k) = ρ^|k|, in [low, high] ⊂ [−1, 1] (±1 included)."""
    _check_bound(low, "low", -1.0, 1.0)
    _check_bound(high, "high", low, 1.0)
    return st.floats(low, high)


def horizon(max_t: int = 300, *, stationary: bool = False) -> SearchStrategy[int | None]:
    """A finite horizon t in [1, max_t]; with ``stationary`` also ``None`` (t → ∞)."""
    if isinstance(max_t, bool) or not isinstance(max_t, int) or max_t < 1:
        raise ValueError(f"max_t must be a positive int, got {max_t!r}")
    finite = st.integers(1, max_t)
    return st.one_of(st.none(), finite) if stationary else finite


def size(min_n: int = 2, max_n: int = 12) -> SearchStrategy[int]:
    """A hidden size n in [min_n, max_n]."""
    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 1:
        raise ValueError(f"min_n must be a positive int, got {min_n!r}")
    if isinstance(max_n, bool) or not isinstance(max_n, int) or max_n < min_n:
        raise ValueError(f"max_n must be an int ≥ min_n, got {max_n!r}")
    return st.integers(min_n, max_n)


def seed(max_seed: int = 10_000) -> SearchStrategy[int]:
    """A seed in [0, max_seed]."""
    if isinstance(max_seed, bool) or not isinstance(max_seed, int) or max_seed < 0:
        raise ValueError(f"max_seed must be a non-negative int, got {max_seed!r}")
    return st.integers(0, max_seed)


def model_kwargs(*, complex_lambda: bool | None = None, max_modulus: float = 0.99,
                 max_t: int | None = None) -> SearchStrategy[dict[str, Any]]:
    """Keyword arguments of :class:`rnnverify.Model`: ``lam``, ``rho`` and, for complex λ,
    ``theta``; with ``max_t`` also ``t`` (``None`` or 1..max_t).  ``complex_lambda``:
    ``True``/``False`` to fix the kind of λ, ``None`` for both."""
    extra: dict[str, SearchStrategy[Any]] = {}
    if max_t is not None:
        extra["t"] = horizon(max_t, stationary=True)
    real = st.fixed_dictionaries({"lam": lam_real(max_modulus), "rho": rho(), **extra})
    cplx = st.fixed_dictionaries({"lam": modulus(max_modulus), "theta": angle(),
                                  "rho": rho(), **extra})
    if complex_lambda is None:
        return st.one_of(real, cplx)
    return cplx if complex_lambda else real
