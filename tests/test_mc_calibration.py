"""The Monte Carlo standard errors are honest, tested with power (crosscheck.stats.calibration).

2500 independent seeds of one cheap check (λ = 0.6, ρ = 0.5, t = 8, 2000 chains each; the
engine and its stderr exactly as the claims use them) give 2500 z's per quantity:

* mean z² within the χ² bound (false-failure rate 2e-4 per quantity); its power against a
  stderr off by 10 % (×0.9 or ×1.1) is ≥ 0.99, stated and then shown on the same z's;
* Kolmogorov–Smirnov distance from Φ within the DKW bound (rate 2e-4);
* the rate of |z| > 2.576 (α = 0.01) within its binomial bounds (rate 2e-4).

The suite itself runs each check at |z| ≤ 4.1–4.4 (α ≈ 1e-5); 2500 trials cannot see that
tail.  The argument for it is crosscheck/stats/ztests.py's: the samples are scaled χ² variables
(skewness ≤ 2√2) averaged over n ≥ 2·10⁴ chains, whose two-sided normal tail at z ≈ 4 is
off by a relative O(γ₁² z⁶ / n) ≲ 0.1 (the first Edgeworth terms cancel); here the same
estimator is checked at the intermediate rate 0.01, in its normal shape (KS) and scale (χ²).
Seeds are fixed, so the outcome is deterministic; all bounds together have a false-failure
rate ≤ 2 × 3 × 2e-4 = 1.2e-3.
"""

from __future__ import annotations

from functools import cache

import pytest
from rnnverify.crosscheck.claims.mc_columns import theory_values
from rnnverify.crosscheck.model.recurrence import Model
from rnnverify.crosscheck.stats.calibration import (
    binomial_bounds,
    chi2_mean_bounds,
    ks_bound,
    ks_distance,
    mean_z2,
    mean_z2_power,
)
from rnnverify.crosscheck.stats.ztests import two_sided_z

SEEDS, SAMPLES, RATE = 2500, 2000, 2e-4
QUANTITIES = ("h2", "dh2_dlam")
TAIL_ALPHA = 0.01


@cache
def _zs() -> dict[str, tuple[float, ...]]:
    model = Model.from_options({"lam": 0.6, "rho": 0.5, "t": 8})
    theory = theory_values(model)
    out: dict[str, list[float]] = {q: [] for q in QUANTITIES}
    for seed in range(SEEDS):
        pt = model.simulate(n_samples=SAMPLES, seed=seed, device="cpu",
                            theory=False).result.points[0]
        for q in QUANTITIES:
            e = pt.quantities[q]
            out[q].append((e.estimate - theory[q]) / e.stderr)
    return {q: tuple(v) for q, v in out.items()}


def _chi2_holds(zs: tuple[float, ...]) -> bool:
    lo, hi = chi2_mean_bounds(len(zs), RATE)
    return lo <= mean_z2(zs) <= hi


def _tail_holds(zs: tuple[float, ...]) -> bool:
    lo, hi = binomial_bounds(len(zs), TAIL_ALPHA, RATE)
    zb = two_sided_z(TAIL_ALPHA)
    return lo <= sum(abs(z) > zb for z in zs) <= hi


@pytest.mark.parametrize("q", QUANTITIES)
def test_mean_z_squared_is_one_within_the_chi2_bound(q: str) -> None:
    zs = _zs()[q]
    assert _chi2_holds(zs), (mean_z2(zs), chi2_mean_bounds(len(zs), RATE))


@pytest.mark.parametrize("q", QUANTITIES)
def test_z_is_normal_by_kolmogorov_smirnov(q: str) -> None:
    zs = _zs()[q]
    assert ks_distance(zs) <= ks_bound(len(zs), RATE)


@pytest.mark.parametrize("q", QUANTITIES)
def test_tail_rate_at_the_intermediate_bound(q: str) -> None:
    assert _tail_holds(_zs()[q])


def test_chi2_bound_has_power_against_a_ten_percent_stderr_error() -> None:
    for scale in (0.9, 1.1):
        assert mean_z2_power(SEEDS, scale, RATE) >= 0.99, scale
    assert mean_z2_power(SEEDS, 1.0, RATE) <= 2 * RATE  # its own false-failure rate


@pytest.mark.parametrize("scale", [0.9, 1.1])
def test_mis_scaled_stderr_fails_calibration(scale: float) -> None:
    """The same simulations with stderr × scale: z → z / scale, and the χ² test rejects."""
    for q in QUANTITIES:
        bad = tuple(z / scale for z in _zs()[q])
        assert not _chi2_holds(bad), (q, scale, mean_z2(bad))
