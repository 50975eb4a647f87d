"""Input streams reproduce their autocorrelation (statistically) and refuse invalid R."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from rnnverify.crosscheck.stats.ztests import two_sided_z
from rnnverify.numerics.memory.inputs import AR1Input, CirculantInput, toeplitz_min_eigenvalue
from rnnverify.numerics.seeding import block_generator

CPU = torch.device("cpu")
#: false-failure rate of each test below (Bonferroni over its lags)
RATE = 1e-3


def _paths(source, n, steps, seed):
    gens = [block_generator(seed, i, CPU) for i in range(4)]
    stream = source.open(gens, [n // 4] * 4, steps, dtype=torch.float64, device=CPU)
    tiles, done = [], 0
    while done < steps:
        m = min(64, steps - done)
        tiles.append(stream.next_tile(m).clone())
        done += m
    return torch.cat(tiles)  # (steps, n)


def _check_autocorr(x, r_of_k, lags):
    """Per-path time averages of x_t x_{t+k} are iid over paths: z-test each lag against R(k)."""
    z_bound = two_sided_z(RATE / len(lags))
    for k in lags:
        per_path = (x[: x.shape[0] - k] * x[k:]).mean(dim=0)
        mean = per_path.mean().item()
        se = per_path.std().item() / math.sqrt(per_path.numel())
        target = float(r_of_k(np.array([k]))[0])
        assert abs(mean - target) <= z_bound * se, (k, mean, target, se)


@pytest.mark.parametrize("rho", [0.0, 0.5, -0.8, 0.95])
def test_ar1_autocorrelation(rho):
    src = AR1Input(rho)
    x = _paths(src, 8_000, 80, seed=1)
    _check_autocorr(x, src.autocorr, [0, 1, 2, 3, 5, 10])
    # stationary from the first step: the variance at t = 0 is R(0) = 1
    z = (x[0].square().mean().item() - 1.0) / (x[0].square().std().item() / math.sqrt(8_000))
    assert abs(z) <= two_sided_z(RATE)


def test_circulant_autocorrelation():
    src = CirculantInput(lambda k: 0.8 ** np.abs(k) * np.cos(0.7 * k), name="0.8^k cos 0.7k")
    x = _paths(src, 8_000, 100, seed=2)
    _check_autocorr(x, src.autocorr, [0, 1, 2, 3, 4, 7, 12])


def test_circulant_matches_ar1_exactly_in_law():
    """Same R = ρ^k by the two generators: the embedding eigenvalues are non-negative and
    the circulant paths have the AR(1) autocorrelation."""
    src = CirculantInput(lambda k: 0.6 ** np.abs(k))
    assert np.all(src.sqrt_eigenvalues(300) >= 0)
    _check_autocorr(_paths(src, 8_000, 50, seed=3), AR1Input(0.6).autocorr, [0, 1, 4])


def test_non_psd_autocorrelation_refused():
    bad = lambda k: np.where(k == 0, 1.0, np.where(k == 1, 0.9, 0.0))  # noqa: E731
    assert toeplitz_min_eigenvalue(bad, 10) < 0
    with pytest.raises(ValueError, match="not positive semi-definite"):
        CirculantInput(bad).sqrt_eigenvalues(50)


def test_embedding_failure_is_a_clear_error():
    """A valid R whose frequencies are off the DFT grid may defeat the embedding: say so."""
    src = CirculantInput(lambda k: np.cos(k) + 1.5 * np.cos(2 * k))
    with pytest.raises(ValueError, match="circulant embedding .* failed"):
        src.sqrt_eigenvalues(30)


@pytest.mark.parametrize("rho", [1.5, -1.01, float("nan"), float("inf")])
def test_ar1_bad_rho(rho):
    with pytest.raises(ValueError, match="rho"):
        AR1Input(rho)


def test_ar1_rejects_non_number():
    with pytest.raises(TypeError, match="rho"):
        AR1Input("0.5")  # type: ignore[arg-type]


def test_circulant_bad_r0():
    with pytest.raises(ValueError, match="R\\(0\\)"):
        CirculantInput(lambda k: -np.ones_like(k))
