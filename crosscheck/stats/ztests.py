"""Statistical comparison of a Monte Carlo estimate with a theory value.

The test (two-sided z-test with a deterministic bias allowance):

    holds  ⇔  |estimate − theory| ≤ z_α · stderr + bias · |theory|,

with z_α = :func:`two_sided_z` (P(|N(0,1)| > z_α) = α) and
``bias`` the proven bound on the relative bias of the estimator (burn-in of a
stationary estimate, :mod:`numerics.memory.burnin`; 0 for a finite horizon).  If the
estimator's bias is within ``bias`` and the estimate is asymptotically normal,
the false-failure rate is at most α (up to the CLT error).

Calibration of the CLT here: the Monte Carlo samples are squared moduli
|h_T|², |d h_T|² of Gaussian variables (scaled χ² with one or two degrees of
freedom: skewness γ₁ ≤ 2√2, all moments finite) averaged over n independent
chains.  The one-term Edgeworth expansion puts the relative error of a normal
tail probability at z near γ₁ (z³ − 3z)/(6√n) per tail, and the two tails'
errors cancel to first order in the two-sided test; at z ≈ 4 and n ≥ 2·10⁴ the
one-sided error is ≲ 0.2 and the two-sided one much smaller.  Hence the Monte
Carlo columns use n ≥ 2·10⁴ samples, and the empirical false-failure rate is
measured over many seeds in tests/test_mc_calibration.py.  Heavier-tailed
inputs would need batch means before the z-test; the engine's inputs are
Gaussian.

:func:`max_failures` gives the binomial bound used to check that a check's
observed failure count over many seeds matches its stated rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


def two_sided_z(alpha: float) -> float:
    """z such that P(|N(0,1)| > z) = alpha (inverse of erfc(z/sqrt 2))."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    lo, hi = 0.0, 40.0
    for _ in range(200):  # bisection on a monotone function: exact to float precision
        mid = 0.5 * (lo + hi)
        if math.erfc(mid / math.sqrt(2.0)) > alpha:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)



@dataclass
class CheckOutcome:
    """Result of one column at one point.

    ``holds`` is the verdict; ``detail`` a one-line human explanation (the
    numbers compared); ``data`` machine-readable values for ``--json`` and the
    reports (must be JSON-serialisable).
    """

    holds: bool
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)


#: false-pass rate at which a check's power (:attr:`ZTest.min_detectable`) is stated
MISSED_RATE = 0.05
#: one-sided normal quantile of MISSED_RATE: P(N(0,1) > Z_MISSED) = MISSED_RATE
Z_MISSED = 1.6448536269514722


@dataclass(frozen=True)
class ZTest:
    """Outcome of :func:`z_test` (all fields JSON-friendly)."""

    holds: bool
    estimate: float
    stderr: float
    theory: float
    z: float
    z_bound: float
    alpha: float
    bias: float
    rel_error: float
    label: str = ""
    allowance: float = 0.0

    @property
    def min_detectable(self) -> float:
        """Power of the check: the smallest relative discrepancy |E[estimate] − theory| /
        |theory| it detects with probability ≥ 1 − MISSED_RATE (TensorFlow Probability's
        ``min_discrepancy_of_true_means_detectable_by``): (z_α + z_β)·stderr + allowance,
        relative to |theory| (∞ when theory = 0)."""
        if self.theory == 0:
            return math.inf
        return ((self.z_bound + Z_MISSED) * self.stderr + self.allowance) / abs(self.theory)

    @property
    def detail(self) -> str:
        name = f"{self.label}: " if self.label else ""
        rel = f"{self.rel_error:.2e}" if math.isfinite(self.rel_error) else "n/a"
        return (f"{name}MC {self.estimate:.6g} ± {self.stderr:.2g} vs theory {self.theory:.6g} "
                f"(z = {self.z:+.2f}, |z| ≤ {self.z_bound:.2f} at α = {self.alpha:.2g}"
                f"{f' + {self.allowance:.1e} bias allowance' if self.allowance else ''}; "
                f"rel. err. {rel}; detects a relative discrepancy ≥ "
                f"{self.min_detectable:.1e} with probability ≥ {1 - MISSED_RATE:g})")

    def to_json(self) -> dict[str, Any]:
        return {"holds": self.holds, "estimate": self.estimate, "stderr": self.stderr,
                "theory": self.theory, "z": self.z, "z_bound": self.z_bound,
                "alpha": self.alpha, "bias_bound": self.bias, "allowance": self.allowance,
                "rel_error": self.rel_error,
                "min_detectable_rel_discrepancy": self.min_detectable,
                "missed_rate": MISSED_RATE}

    def outcome(self) -> CheckOutcome:
        return CheckOutcome(self.holds, self.detail, self.to_json())


def _finite(value: float, name: str) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def z_test(
    estimate: float,
    stderr: float,
    theory: float,
    *,
    alpha: float,
    bias: float = 0.0,
    abs_bias: float = 0.0,
    label: str = "",
) -> ZTest:
    """Compare ``estimate ± stderr`` with ``theory`` at false-failure rate ``alpha``.

    ``bias`` bounds |E[estimate] − theory| / |theory| and ``abs_bias`` bounds it in
    absolute terms (for quantities that may vanish, e.g. cross-moments), both known a
    priori (burn-in); they widen the acceptance region deterministically.
    """
    estimate = _finite(estimate, "estimate")
    theory = _finite(theory, "theory")
    stderr = _finite(stderr, "stderr")
    bias = _finite(bias, "bias")
    abs_bias = _finite(abs_bias, "abs_bias")
    if stderr < 0 or bias < 0 or abs_bias < 0:
        raise ValueError("stderr, bias and abs_bias must be non-negative")
    zb = two_sided_z(alpha)
    diff = estimate - theory
    z = diff / stderr if stderr > 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))
    allowance = bias * abs(theory) + abs_bias
    holds = abs(diff) <= zb * stderr + allowance
    rel = abs(diff) / abs(theory) if theory != 0 else math.inf
    return ZTest(holds, estimate, stderr, theory, z, zb, alpha, bias, rel, label, allowance)


def combine(tests: list[ZTest], *, data: dict[str, Any] | None = None) -> CheckOutcome:
    """One CheckOutcome for several z-tests at one point (holds iff all hold)."""
    failed = [t for t in tests if not t.holds]
    shown = failed or tests
    detail = "; ".join(t.detail for t in shown)
    payload = {t.label or str(i): t.to_json() for i, t in enumerate(tests)}
    if data:
        payload.update(data)
    return CheckOutcome(not failed, detail, payload)


def binomial_sf(c: int, n: int, p: float) -> float:
    """P(X > c) for X ~ Binomial(n, p) (exact sum)."""
    if c >= n:
        return 0.0
    if c < 0:
        return 1.0
    total = 0.0
    for i in range(c + 1, n + 1):
        total += math.comb(n, i) * p**i * (1 - p) ** (n - i)
    return min(1.0, total)


def max_failures(n_trials: int, alpha: float, false_failure_rate: float) -> int:
    """Smallest c with P(Binomial(n, α) > c) ≤ ``false_failure_rate``.

    A calibrated check failing more than c times in ``n_trials`` independent
    seeds happens with probability ≤ ``false_failure_rate``.
    """
    if n_trials <= 0:
        raise ValueError(f"n_trials must be positive, got {n_trials}")
    if not 0 < alpha < 1 or not 0 < false_failure_rate < 1:
        raise ValueError("alpha and false_failure_rate must lie in (0, 1)")
    c = 0
    while binomial_sf(c, n_trials, alpha) > false_failure_rate:
        c += 1
    return c
