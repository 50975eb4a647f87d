"""Calibration tests with power for Monte Carlo standard errors.

If a Monte Carlo check is honest, its z = (estimate − theory)/stderr over independent
seeds is N(0, 1).  Three tests, each with a stated false-failure rate:

* **mean of z²** — N·mean(z²) ~ χ²_N, so mean(z²) lies in :func:`chi2_mean_bounds`; a
  stderr off by a factor s scales mean(z²) by 1/s², which the bound detects with the
  probability :func:`mean_z2_power` (≥ 0.99 for s = 0.9 and 1.1 at N = 2500);
* **normality** — the Kolmogorov–Smirnov distance of the z's from Φ, bounded by the
  Dvoretzky–Kiefer–Wolfowitz inequality with Massart's constant,
  P(sup |F_N − Φ| > ε) ≤ 2 exp(−2Nε²) (:func:`ks_bound`);
* **tail rate** — the count of |z| > z_α is Binomial(N, α) (:func:`binomial_bounds`).

The normal approximation to χ²_N quantiles is Wilson–Hilferty's (relative error
O(N^{−3/2}), negligible at N ≥ 1000).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rnnverify.crosscheck.stats.ztests import two_sided_z


def _phi(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _chi2_quantile(n: int, z: float) -> float:
    """Wilson–Hilferty: χ²_n quantile at the standard normal quantile z."""
    c = 2.0 / (9.0 * n)
    return n * (1.0 - c + z * math.sqrt(c)) ** 3


def chi2_mean_bounds(n: int, rate: float) -> tuple[float, float]:
    """[lo, hi] with P(mean of n independent χ²_1 ∉ [lo, hi]) ≈ ``rate`` (rate/2 a side)."""
    if n < 1 or not 0 < rate < 1:
        raise ValueError(f"need n >= 1 and rate in (0, 1), got n={n!r}, rate={rate!r}")
    z = two_sided_z(rate)
    return _chi2_quantile(n, -z) / n, _chi2_quantile(n, z) / n


def mean_z2_power(n: int, scale: float, rate: float) -> float:
    """Probability that :func:`chi2_mean_bounds` rejects when the reported stderr is
    ``scale`` × the true one (then mean z² = mean χ²_1 / scale²)."""
    lo, hi = chi2_mean_bounds(n, rate)

    def cdf(x: float) -> float:  # P(χ²_n / n ≤ x), Wilson–Hilferty
        c = 2.0 / (9.0 * n)
        return _phi(((x) ** (1 / 3) - (1 - c)) / math.sqrt(c))

    s2 = scale * scale
    return cdf(lo * s2) + 1.0 - cdf(hi * s2)


def mean_z2(zs: Sequence[float]) -> float:
    return sum(z * z for z in zs) / len(zs)


def ks_distance(zs: Sequence[float]) -> float:
    """sup_x |F_N(x) − Φ(x)| of the empirical distribution of ``zs``."""
    xs = sorted(zs)
    n = len(xs)
    return max(max((i + 1) / n - _phi(x), _phi(x) - i / n) for i, x in enumerate(xs))


def ks_bound(n: int, rate: float) -> float:
    """ε with P(KS distance > ε) ≤ ``rate`` (DKW–Massart): sqrt(ln(2/rate) / (2n))."""
    return math.sqrt(math.log(2.0 / rate) / (2.0 * n))


def _binomial_pmf(i: int, n: int, p: float) -> float:
    return math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
                    + i * math.log(p) + (n - i) * math.log1p(-p))


def binomial_bounds(n: int, p: float, rate: float) -> tuple[int, int]:
    """[lo, hi] with P(Binomial(n, p) < lo) ≤ rate/2 and P(> hi) ≤ rate/2 (exact sums of
    the pmf in log space)."""
    if not 0 < p < 1:
        raise ValueError(f"p must lie in (0, 1), got {p!r}")
    pmf = [_binomial_pmf(i, n, p) for i in range(n + 1)]
    lo, below = 0, 0.0
    while below + pmf[lo] <= rate / 2:
        below += pmf[lo]
        lo += 1
    hi, above = n, 0.0
    while above + pmf[hi] <= rate / 2:
        above += pmf[hi]
        hi -= 1
    return lo, hi
