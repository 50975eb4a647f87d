"""Hypothesis strategies for rnnverify's parameter domains (λ real or complex, ρ, θ, t, sizes).

The same strategies draw the claims' property-test points; use them to
property-test your own code over the same domains::

    from hypothesis import given
    from rnnverify import strategies as rst

    @given(rst.model_kwargs(complex_lambda=False))
    def test_mine(kw): ...

Defined in :mod:`rnnverify.crosscheck.claims.strategies`.
"""

from rnnverify.crosscheck.claims.strategies import (
    angle,
    horizon,
    lam_complex,
    lam_real,
    model_kwargs,
    modulus,
    rho,
    seed,
    size,
)

__all__ = ["angle", "horizon", "lam_complex", "lam_real", "model_kwargs", "modulus", "rho",
           "seed", "size"]
