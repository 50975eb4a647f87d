"""Signal propagation at initialization against the single-unit theory and the paper's
statements (Zucchet & Orvieto 2024, §5, Figs. 5 and 13).

* :func:`layer1_ratio` — the first LRU layer (no normalization in front, as in Fig. 5A/B)
  is driven by the linear encoder, so each unit is the single complex unit of Lemma 1 with
  its γ and an input of autocorrelation s_i·R(Δ), s_i = Σ_j |(B·W_enc)_ij|² (R of Fig. 12 on
  every raw channel).  The prediction γ_i²·s_i·E|h|²(ν_i, θ_i) comes from
  :func:`theory.memory.moments.moments`; the measured per-unit time average of |h|² (after a
  burn-in) divided by it is one sample per sequence, averaged over sequences and
  initializations.
* :func:`trend` — the slope of log(quantity) against log(1 − ν_mid), ν_mid = 1 − 3/(4t) the
  middle of the modulus interval, as a *paired* estimate: initialization k uses the same
  random numbers at every timescale (common random numbers), its own least-squares slope
  over the timescales is one sample, and the slope is the mean of the K samples with the
  standard error of that mean.
* :func:`slope_test` — a statement about a slope ("flat", "grows", ...) turned into a range
  by :data:`STATEMENT_RANGES` *before* measuring, accepted when the slope's confidence
  interval lies inside it; the bound is Student's t with K − 1 degrees of freedom
  (:func:`two_sided_t`), since the standard error comes from K samples.
* :func:`signal_prop_study` — the document of ``rnnverify signal-prop``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from rnnverify.crosscheck.schema import document
from rnnverify.crosscheck.stats.ztests import MISSED_RATE, Z_MISSED

INPUTS_NOTE = ("synthetic Gaussian inputs with the autocorrelation fitted in Fig. 12, "
               "R(Δ) = 0.043056·0.997005^|Δ| + 0.332·δ_Δ0, on every channel (the paper uses "
               "BERT embeddings of Wikipedia, not available offline)")

#: Each statement's range for a slope in log(1 − ν), fixed by the statement itself: the
#: normalized and the unnormalized recurrence differ by the 1/(1 − ν) law (slope −1) — E|h|²
#: of a unit without input normalization grows like 1/(1 − ν²) (Lemma 1) — so a quantity is
#: "flat" when its slope lies within halfway of 0 on both sides, "grows" (explodes) when it
#: is steeper than halfway to that law, "controlled" when it does not grow (falling allowed);
#: "falls" and "less steep" are strict signs (a decrease; a difference of slopes > 0).
STATEMENT_RANGES: dict[str, tuple[float, float]] = {
    "flat": (-0.5, 0.5),
    "grows": (-math.inf, -0.5),
    "controlled": (-0.5, math.inf),
    "falls": (0.0, math.inf),
    "less steep": (0.0, math.inf),
}


def two_sided_t(alpha: float, df: int) -> float:
    """t such that P(|T_df| > t) = alpha for Student's t with ``df`` degrees of freedom
    (bisection on the regularized incomplete beta function, mpmath)."""
    import mpmath

    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    if int(df) < 1:
        raise ValueError(f"df must be a positive integer, got {df!r}")
    lo, hi = 0.0, 1e6
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        tail = mpmath.betainc(df / 2, 0.5, 0, df / (df + mid * mid), regularized=True)
        if tail > alpha:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def log_nu_gap(timescale: float) -> float:
    """log(1 − ν_mid) = log(3/(4t)), ν_mid = 1 − 3/(4t) the middle of [1 − 1/t, 1 − 1/(2t)]."""
    return math.log(3 / (4 * timescale))


def per_seed_slopes(timescales: Sequence[float], values: Sequence[Sequence[float]]
                    ) -> list[float]:
    """Least-squares slope of log(value) on log(1 − ν_mid) for each initialization k;
    ``values[j][k]`` is initialization k at ``timescales[j]``."""
    if len(timescales) < 2:
        raise ValueError("a slope needs at least two timescales")
    xs = [log_nu_gap(t) for t in timescales]
    xb = sum(xs) / len(xs)
    sxx = sum((x - xb) ** 2 for x in xs)
    n_seeds = {len(v) for v in values}
    if len(n_seeds) != 1:
        raise ValueError("every timescale needs the same initializations")
    out = []
    for k in range(n_seeds.pop()):
        ys = [math.log(values[j][k]) for j in range(len(timescales))]
        yb = sum(ys) / len(ys)
        out.append(sum((x - xb) * (y - yb) for x, y in zip(xs, ys, strict=True)) / sxx)
    return out


def mean_fit(slopes: Sequence[float]) -> dict[str, float]:
    """Mean of per-seed slopes with the standard error of the mean."""
    n = len(slopes)
    if n < 2:
        raise ValueError("a standard error needs at least two initializations")
    m = sum(slopes) / n
    sd = math.sqrt(sum((s - m) ** 2 for s in slopes) / (n - 1))
    return {"slope": m, "stderr": sd / math.sqrt(n), "seeds": n}


def trend(timescales: Sequence[float], values: Sequence[Sequence[float]]) -> dict[str, float]:
    """Paired slope of log(quantity) in log(1 − ν): :func:`mean_fit` of
    :func:`per_seed_slopes`."""
    return mean_fit(per_seed_slopes(timescales, values))


def per_seed(rows: Sequence[dict[str, Any]], path: tuple[str, ...]) -> list[list[float]]:
    """Per-timescale lists of the per-seed values at ``path`` in each study row."""
    out = []
    for r in rows:
        node: Any = r["per_seed"]
        for key in path:
            node = node[key]
        out.append(list(node))
    return out


def slope_test(fit: dict[str, float], statement: str, *, alpha: float) -> dict[str, Any]:
    """Accept ``statement`` about the slope ``fit`` when [slope ± c·stderr] lies inside its
    :data:`STATEMENT_RANGES` range, c = :func:`two_sided_t` (α, K − 1).

    Error rates: a slope outside the range (the statement false) is accepted with
    probability ≤ α/2; a slope inside by at least 2c·stderr is rejected with probability
    ≤ α (the false-failure rate); the test accepts with probability ≥ 1 − MISSED_RATE every
    slope inside by at least (c + z₀.₉₅)·stderr — ``detectable`` is that sub-range, the
    power of the test."""
    if statement not in STATEMENT_RANGES:
        raise ValueError(f"statement must be one of {', '.join(STATEMENT_RANGES)}, "
                         f"got {statement!r}")
    lo, hi = STATEMENT_RANGES[statement]
    c = two_sided_t(alpha, int(fit["seeds"]) - 1)
    s, se = fit["slope"], fit["stderr"]
    holds = s - c * se > lo and s + c * se < hi
    margin = (c + Z_MISSED) * se
    return {"statement": statement, "range": [lo, hi], "holds": holds, "slope": s,
            "stderr": se, "seeds": int(fit["seeds"]), "t_bound": c, "alpha": alpha,
            "false_pass_rate": alpha / 2, "detectable": [lo + margin, hi - margin],
            "missed_rate": MISSED_RATE}


def describe(name: str, t: dict[str, Any]) -> str:
    """One line: ``name: slope ± se, statement (range): verdict [power]``."""
    lo, hi = t["range"]
    dlo, dhi = t["detectable"]
    span = (f"({lo:g}, {hi:g})").replace("inf", "∞")
    power = (f"({dlo:+.2f}, {dhi:+.2f})").replace("inf", "∞")
    return (f"{name}: slope {t['slope']:+.3f} ± {t['stderr']:.2g}, {t['statement']} {span}: "
            f"{'holds' if t['holds'] else 'FAILS'} [t ≤ {t['t_bound']:.2f}, "
            f"{t['seeds'] - 1} df, α = {t['alpha']:.1g}; accepts any slope in {power} with "
            f"probability ≥ {1 - t['missed_rate']:g}]")


def layer1_ratio(*, timescale: float, seeds: int, seed: int, d_model: int = 16,
                 steps: int = 512, burn: int = 256, batch: int = 8) -> dict[str, Any]:
    """Measured / predicted E|h|² of the first LRU layer: mean and standard error over the
    ``seeds``·``batch`` independent sequences (per-sequence mean over units and steps ≥ burn)."""
    import torch
    from rnnverify.numerics.networks.signal_propagation import (
        SignalConfig,
        measure_members,
        member_seed,
    )
    from rnnverify.theory.memory.moments import moments
    from rnnverify.theory.networks.gru import FIG12_AUTOCORR

    cfg = SignalConfig("lru", timescale, d_in=d_model, d_model=d_model, layers=1, steps=steps,
                       batch=batch, burn=burn)
    _, firsts = measure_members(cfg, [(timescale, member_seed(seed, k)) for k in range(seeds)],
                                first_layer=True)
    samples: list[float] = []
    for f in firsts:
        nu, theta = f.lam.abs(), f.lam.angle()
        s = (f.input_map.abs() ** 2).sum(1) * f.gamma ** 2
        # γ is its own parameter (ω_γ = log γ), initialized at sqrt(1 − ν²): a constant input
        # scale for the theory, which takes the un-normalized unit (γ = 1) here
        unit = torch.tensor([float(moments(float(nu[i]), theta=float(theta[i]),
                                           autocorr=FIG12_AUTOCORR, dps=20)["h2"])
                             for i in range(len(nu))], dtype=torch.float64)
        meas = (f.states[burn:].abs() ** 2).mean(0)  # (batch, units)
        samples += (meas / (unit * s)).mean(1).tolist()
    n = len(samples)
    mean = sum(samples) / n
    se = math.sqrt(sum((v - mean) ** 2 for v in samples) / (n - 1) / n)
    return {"ratio": mean, "stderr": se, "sequences": n, "timescale": timescale,
            "steps": steps, "burn": burn}


@lru_cache(maxsize=8)
def _grid(arch: str, timescales: tuple[float, ...], seeds: int, seed: int, norm: str,
          layers: int, steps: int) -> tuple[dict[str, Any], ...]:
    from rnnverify.numerics.networks.signal_propagation import SignalConfig, study_grid

    cfg = SignalConfig(arch, timescales[0], norm=norm, layers=layers, steps=steps)
    return tuple(study_grid(cfg, timescales, seeds, seed=seed))


def run_grid(arch: str, timescales: Sequence[float], *, seeds: int, seed: int,
             norm: str = "none", layers: int = 2, steps: int = 256) -> list[dict[str, Any]]:
    """:func:`numerics.networks.signal_propagation.study_grid` (one row per timescale),
    remembered for the process: claims that test different quantities of the same networks
    share one run (same arguments → the same rows, copied)."""
    return copy.deepcopy(list(_grid(arch, tuple(float(t) for t in timescales), int(seeds),
                                    int(seed), norm, int(layers), int(steps))))


def estimate_seconds(models: Sequence[tuple[str, str]], timescales: Sequence[float], *,
                     seeds: int, layers: int, steps: int) -> float:
    """Wall-time estimate of :func:`signal_prop_study` from measured rates
    (:func:`numerics.networks.signal_propagation.probe_seconds` per model)."""
    from rnnverify.numerics.networks.signal_propagation import SignalConfig, probe_seconds

    return sum(probe_seconds(SignalConfig(arch, 1.0, norm=norm, layers=layers, steps=steps),
                             seeds * len(timescales)) for arch, norm in models)


def signal_prop_study(models: Sequence[tuple[str, str]], timescales: Sequence[float], *,
                      seeds: int, seed: int, layers: int, steps: int, on_chunk: Any = None
                      ) -> dict[str, Any]:
    """The document of ``rnnverify signal-prop``: rows per (arch, norm, timescale) and the
    paired slopes in log(1 − ν) of each quantity (:func:`trend`)."""
    from rnnverify.numerics.networks.signal_propagation import SignalConfig, study_grid

    out = []
    for arch, norm in models:
        cfg = SignalConfig(arch, float(timescales[0]), norm=norm, layers=layers, steps=steps)
        rows = study_grid(cfg, timescales, seeds, seed=seed, on_chunk=on_chunk)
        slopes: dict[str, Any] = {}
        if len(timescales) >= 2:
            for k in range(layers):
                for q in ("output_h2", "state_h2"):
                    slopes[f"{q}_layer{k + 1}"] = trend(timescales, per_seed(rows, (q, str(k))))
            for g in rows[0]["grad_sq"]:
                slopes[f"grad_sq_{g}"] = trend(timescales, per_seed(rows, ("grad_sq", g)))
        out.append({"arch": arch, "norm": norm, "rows": rows, "slopes_log_1_minus_nu": slopes})
    return document("signal-prop", {"inputs": INPUTS_NOTE, "layers": layers, "steps": steps,
                                    "seeds": seeds, "timescales": list(timescales),
                                    "models": out})
