"""Signal propagation in a deep network at initialization (Zucchet & Orvieto 2024, §5,
Figs. 5 and 13), measured on synthetic inputs with the Fig. 12 autocorrelation (the paper's
BERT/Wikipedia embeddings are not available offline), with the authors' network and
initializations (:mod:`numerics.networks.signal_propagation`).

``zo.signalprop.lru_layer1`` — the first LRU layer against the single-unit theory
:func:`theory.memory.moments.moments` (Lemma 1, complex λ, Fig. 12's R): the measured /
predicted E|h|² has mean 1 (two-sided z-test).

The trend claims test the paper's statements as slopes in log(1 − ν) over the timescales
t = 1, 10, 100 (ν ∈ [1 − 1/t, 1 − 1/(2t)]) of the quantities Fig. 5 plots: the mean squared
output of layers 1 and 4 (Fig. 5A, ``mean(output**2)`` after the GLU and the skip
connection) and the mean squared gradient per parameter group (Fig. 5B/C).  Network: the
paper's 4 layers, 16 units instead of 256, 256 steps instead of 512, 8 sequences per
initialization.  Each statement fixes its range before measuring
(:data:`commands.signal_prop.STATEMENT_RANGES`: "flat" within halfway of 0 and the
unnormalized 1/(1 − ν) law, "grows" steeper than halfway, "controlled" not growing); a slope
is the mean of per-initialization slopes (the same random numbers at every timescale), its
interval uses Student's t with K − 1 degrees of freedom at the claim's α split over its
slopes, and each verdict prints its bound, α and the range of slopes it accepts with
probability ≥ 0.95 (its power).  K = 32 initializations in --quick, 64 in --full.

``zo.signalprop.gru_state`` is a separate finding about the GRU's recurrent *state*, which
Fig. 5A does not plot: it falls with the timescale, as the constant-gate theory of the
GRU appendix predicts (its slope is printed next to the measurement).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rnnverify.crosscheck.claims.registry import Claim, Mode, RunContext, register
from rnnverify.crosscheck.stats.ztests import CheckOutcome, z_test

PAPER = "Zucchet & Orvieto 2024"
TIMESCALES = [1.0, 10.0, 100.0]
SEEDS = {"quick": 32, "full": 64}
LAYERS = 4
STEPS = 256
LAYER1_SEEDS = {"quick": 4, "full": 16}
NETWORK = (f"{LAYERS} layers, 16 units, {STEPS} steps, synthetic Fig. 12 inputs, the "
           "authors' initializations")


def _layer1_estimate(mode: Mode) -> float:
    """The simulation's time by a probe, plus one unit's theory value timed × units × seeds."""
    from rnnverify.numerics.networks.signal_propagation import SignalConfig, probe_seconds
    from rnnverify.theory.memory.moments import moments
    from rnnverify.theory.networks.gru import FIG12_AUTOCORR

    cfg = SignalConfig("lru", 10.0, layers=1, steps=512, burn=256)
    unit = _timed(lambda: moments(0.93, theta=0.4, autocorr=FIG12_AUTOCORR, dps=20),
                  cfg.d_model * LAYER1_SEEDS[mode])
    return probe_seconds(cfg, LAYER1_SEEDS[mode]) + unit


def _layer1_mc(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    from rnnverify.crosscheck.commands.signal_prop import layer1_ratio

    r = layer1_ratio(timescale=float(point["timescale"]), seeds=LAYER1_SEEDS[ctx.mode],
                     seed=ctx.seed)
    t = z_test(r["ratio"], r["stderr"], 1.0, alpha=ctx.alpha, label="E|h|² measured/predicted")
    return CheckOutcome(t.holds, f"t = {point['timescale']} (ν ∈ [1 − 1/t, 1 − 1/(2t)]), "
                        f"{r['sequences']} sequences: {t.detail}",
                        {"test": t.to_json(), **r})


register(Claim(
    id="zo.signalprop.lru_layer1",
    title="deep LRU at initialization: layer 1's E|h|² per unit = the single-unit theory "
          "(its γ, Fig. 12 input autocorrelation)",
    source=f"{PAPER}, §5 (Fig. 5A), Lemma 1; synthetic inputs with the Fig. 12 "
           "autocorrelation",
    monte_carlo=_layer1_mc,
    points=lambda mode: [{"timescale": 10}],
    estimate_s=lambda mode: _layer1_estimate(mode),
))


@dataclass(frozen=True)
class Slope:
    """One tested slope: the per-seed values at ``path`` of the grid ``grid``, optionally
    minus the same initializations' slopes at ``minus`` = (grid, path); ``statement`` is a
    key of STATEMENT_RANGES."""

    name: str
    grid: str
    path: tuple[str, ...]
    statement: str
    minus: tuple[str, tuple[str, ...]] | None = None


def _output(layer: int) -> tuple[str, ...]:
    return ("output_h2", str(layer - 1))


def _state(layer: int) -> tuple[str, ...]:
    return ("state_h2", str(layer - 1))


def _grad(group: str) -> tuple[str, ...]:
    return ("grad_sq", group)


def _trend_column(grids: dict[str, tuple[str, str]], slopes: list[Slope], prefix: str,
                  extra: Any = None):
    """The Monte Carlo column of a trend claim: run each (arch, norm) grid once (shared
    between claims through :func:`commands.signal_prop.run_grid`), test every slope at the
    claim's α split over its slopes; ``extra(rows) -> (text, data)`` adds context."""

    def column(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
        from rnnverify.crosscheck.commands.signal_prop import (
            describe,
            mean_fit,
            per_seed,
            per_seed_slopes,
            run_grid,
            slope_test,
        )

        rows = {g: run_grid(arch, TIMESCALES, seeds=SEEDS[ctx.mode], seed=ctx.seed, norm=norm,
                            layers=LAYERS, steps=STEPS) for g, (arch, norm) in grids.items()}
        alpha = ctx.alpha / len(slopes)
        tests = {}
        for s in slopes:
            sl = per_seed_slopes(TIMESCALES, per_seed(rows[s.grid], s.path))
            if s.minus is not None:
                other = per_seed_slopes(TIMESCALES, per_seed(rows[s.minus[0]], s.minus[1]))
                sl = [a - b for a, b in zip(sl, other, strict=True)]
            tests[s.name] = slope_test(mean_fit(sl), s.statement, alpha=alpha)
        text, data = extra(rows) if extra is not None else ("", {})
        detail = (f"{prefix}; slopes in log(1 − ν) at t = 1, 10, 100, {SEEDS[ctx.mode]} "
                  "initializations: " + "; ".join(describe(n, t) for n, t in tests.items())
                  + text)
        return CheckOutcome(all(t["holds"] for t in tests.values()), detail,
                            {"tests": tests, "timescales": TIMESCALES, "layers": LAYERS,
                             "steps": STEPS, "seeds": SEEDS[ctx.mode], **data})

    return column


def _points(mode: Mode) -> list[dict[str, Any]]:
    return [{"timescales": "1,10,100"}]


def _grid_estimate(grids: dict[str, tuple[str, str]], extra_s: Any = None):
    """The ``estimate_s`` of a trend claim: each grid's time from a measured rate
    (:func:`numerics.networks.signal_propagation.probe_seconds`), plus ``extra_s()``."""

    def estimate(mode: Mode) -> float:
        from rnnverify.numerics.networks.signal_propagation import SignalConfig, probe_seconds

        total = sum(probe_seconds(SignalConfig(arch, 1.0, norm=norm, layers=LAYERS,
                                               steps=STEPS), SEEDS[mode] * len(TIMESCALES))
                    for arch, norm in grids.values())
        return total + (extra_s() if extra_s is not None else 0.0)

    return estimate


def _timed(fn: Any, repeat: int) -> float:
    """Measured seconds of ``repeat`` calls of ``fn``: the first call (one-off set-up
    included) plus the second's time for each of the others."""
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    fn()
    return first + (time.perf_counter() - start - first) * max(repeat - 1, 0)


LRU_GRIDS = {"lru": ("lru", "none")}
LRU_SLOPES = [
    Slope("output_h2_layer1", "lru", _output(1), "flat"),
    Slope(f"output_h2_layer{LAYERS}", "lru", _output(LAYERS), "flat"),
    Slope("grad_omega_theta", "lru", _grad("omega_theta"), "grows"),
    Slope("grad_omega_nu", "lru", _grad("omega_nu"), "controlled"),
    Slope("grad_rest", "lru", _grad("rest"), "controlled"),
]

register(Claim(
    id="zo.signalprop.lru_trends",
    title="deep LRU at initialization: the layer outputs Fig. 5A plots stay flat in ν; only "
          "the angle's gradient (ω_θ) grows, ω_ν's and the other parameters' stay controlled",
    source=f"{PAPER}, §5 (Fig. 5A/B, Fig. 13); {NETWORK}",
    monte_carlo=_trend_column(LRU_GRIDS, LRU_SLOPES, "LRU, no layer norm"),
    points=_points,
    estimate_s=_grid_estimate(LRU_GRIDS),
))


CRNN_GRIDS = {"none": ("crnn", "none"), "layer": ("crnn", "layer")}
CRNN_SLOPES = [
    Slope("none_output_h2_layer1", "none", _output(1), "grows"),
    Slope(f"none_output_h2_layer{LAYERS}", "none", _output(LAYERS), "grows"),
    Slope("none_grad_rest", "none", _grad("rest"), "grows"),
    Slope("layer_grad_rest", "layer", _grad("rest"), "controlled"),
    Slope("layer_grad_lambda", "layer", _grad("lambda"), "grows"),
    Slope("lambda_layer_minus_none", "layer", _grad("lambda"), "less steep",
          minus=("none", _grad("lambda"))),
]

register(Claim(
    id="zo.signalprop.crnn_layernorm",
    title="deep cRNN at initialization: without normalization the layer outputs and the "
          "gradients grow with ν; layer normalization controls the gradient of every "
          "parameter but λ, whose gradient still grows (less steeply than without)",
    source=f"{PAPER}, §5 (Fig. 5A, 5C); {NETWORK}",
    monte_carlo=_trend_column(CRNN_GRIDS, CRNN_SLOPES, "cRNN, no norm vs layer norm"),
    points=_points,
    estimate_s=_grid_estimate(CRNN_GRIDS),
))


GRU_GRIDS = {"gru": ("gru", "none")}
GRU_SLOPES = [
    Slope("output_h2_layer1", "gru", _output(1), "flat"),
    Slope(f"output_h2_layer{LAYERS}", "gru", _output(LAYERS), "flat"),
    Slope("grad_recurrent", "gru", _grad("recurrent"), "controlled"),
    Slope("grad_rest", "gru", _grad("rest"), "controlled"),
]

register(Claim(
    id="zo.signalprop.gru_trends",
    title="deep chrono-initialized GRU at initialization: the layer outputs Fig. 5A plots "
          "stay flat in ν and the gradients stay controlled",
    source=f"{PAPER}, §5 (Fig. 5A/B); {NETWORK}",
    monte_carlo=_trend_column(GRU_GRIDS, GRU_SLOPES, "chrono GRU, no layer norm"),
    points=_points,
    estimate_s=_grid_estimate(GRU_GRIDS),
))


GATE_GRID = 32


def _gate_h2(z: float) -> float:
    from rnnverify.theory.networks.gru import gate_values

    return float(gate_values(z, dps=20)["h2"])


def constant_gate_slope(timescales: list[float] = TIMESCALES, grid: int = GATE_GRID) -> float:
    """The slope in log(1 − ν_mid) of log E h² that the constant-gate theory predicts for a
    chrono-initialized unit: E h² = aux(z, z) (GRU appendix, Fig. 12's R) averaged over
    T ~ U[t, 2t], z = T/(1 + T) (midpoint rule with ``grid`` nodes), least squares over t."""
    from rnnverify.crosscheck.commands.signal_prop import log_nu_gap

    xs, ys = [], []
    for t in timescales:
        Ts = [t * (1 + (i + 0.5) / grid) for i in range(grid)]
        ys.append(math.log(sum(_gate_h2(T / (1 + T)) for T in Ts) / grid))
        xs.append(log_nu_gap(t))
    xb, yb = sum(xs) / len(xs), sum(ys) / len(ys)
    return (sum((x - xb) * (y - yb) for x, y in zip(xs, ys, strict=True))
            / sum((x - xb) ** 2 for x in xs))


def _constant_gate_context(rows: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    s = constant_gate_slope()
    return (f"; constant-gate theory (aux(z, z), Fig. 12 R, T ~ U[t, 2t]) predicts slope "
            f"{s:+.3f}", {"constant_gate_theory_slope": s})


GRU_STATE_SLOPES = [
    Slope("state_h2_layer1", "gru", _state(1), "falls"),
    Slope(f"state_h2_layer{LAYERS}", "gru", _state(LAYERS), "falls"),
]

register(Claim(
    id="zo.signalprop.gru_state",
    title="deep chrono-initialized GRU at initialization: the recurrent state's E h² (not "
          "plotted in Fig. 5A) falls as ν → 1, as the constant-gate theory predicts",
    source=f"{PAPER}, §5 and GRU appendix (Figs. 5A, 12); {NETWORK}",
    monte_carlo=_trend_column(GRU_GRIDS, GRU_STATE_SLOPES, "chrono GRU state",
                              extra=_constant_gate_context),
    points=_points,
    # alone; run after gru_trends the grid is shared and only the theory's slope costs time
    estimate_s=_grid_estimate(GRU_GRIDS, extra_s=lambda: _timed(
        lambda: _gate_h2(0.9), len(TIMESCALES) * GATE_GRID)),
))
