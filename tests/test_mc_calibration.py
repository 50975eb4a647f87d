"""The Monte Carlo z-test fails at its stated rate: 200 seeds of one cheap check at α = 0.05.

The observed failure count F ~ Binomial(200, 0.05) if the check is calibrated.  The test
accepts F within [c_lo, c_hi], each side with false-failure rate 5e-4 (so this test's own
false-failure rate is ≤ 1e-3): too many failures = stderr underestimated or biased
estimator, too few = stderr overestimated (a check with no power).
"""

from __future__ import annotations

from rnnverify.crosscheck.mc_columns import Model
from rnnverify.crosscheck.stats import binomial_sf, max_failures, z_test

SEEDS, ALPHA, SIDE_RATE = 200, 0.05, 5e-4


def _lower_bound(n: int, p: float, rate: float) -> int:
    """Largest c with P(F < c) ≤ rate."""
    c = 0
    while 1.0 - binomial_sf(c, n, p) <= rate:  # P(F ≤ c) ≤ rate ⇒ P(F < c + 1) ≤ rate
        c += 1
    return c


def test_false_failure_rate_matches_alpha():
    model = Model.from_options(dict(lam=0.6, rho=0.5, t=15))
    theory = model.theory()
    failures = {"h2": 0, "dh2_dlam": 0}
    for seed in range(SEEDS):
        pt = model.simulate(2_000, seed=seed, device="cpu").points[0]
        for q in failures:
            e = pt.quantities[q]
            failures[q] += not z_test(e.estimate, e.stderr, theory[q], alpha=ALPHA).holds
    lo, hi = _lower_bound(SEEDS, ALPHA, SIDE_RATE / 2), max_failures(SEEDS, ALPHA, SIDE_RATE / 2)
    assert 0 < lo < SEEDS * ALPHA < hi
    for q, f in failures.items():  # two quantities: 4 one-sided bounds at 2.5e-4 each
        assert lo <= f <= hi, (q, f, lo, hi)
