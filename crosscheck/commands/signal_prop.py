"""Signal propagation at initialization against the single-unit theory and the paper's
statements (Zucchet & Orvieto 2024, §5, Figs. 5 and 13).

* :func:`layer1_ratio` — the first LRU layer (no normalization in front, as in Fig. 5A/B)
  is driven by the linear encoder, so each unit is the single complex unit of Lemma 1 with
  γ = sqrt(1 − |λ|²) and an input of autocorrelation s_i·R(Δ), s_i = Σ_j |(B·W_enc)_ij|²
  (R of Fig. 12 on every raw channel).  The prediction s_i·E|h|²(ν_i, θ_i) comes from
  :func:`theory.memory.moments.moments`; the measured per-unit time average of |h|² (after a
  burn-in) divided by it is one sample per sequence, averaged over sequences and
  initializations.
* :func:`trend` — the slope of the mean over initializations of log(quantity) against
  log(1 − ν_mid), ν_mid = 1 − 3/(4t) the middle of the modulus interval, by weighted least
  squares with the standard errors over initializations.
* :func:`signal_prop_study` — the table of ``rnnverify signal-prop``.
"""

from __future__ import annotations

import math
from typing import Any

from rnnverify.crosscheck.schema import document

INPUTS_NOTE = ("synthetic Gaussian inputs with the autocorrelation fitted in Fig. 12, "
               "R(Δ) = 0.043056·0.997005^|Δ| + 0.332·δ_Δ0, on every channel (the paper uses "
               "BERT embeddings of Wikipedia, not available offline)")


def layer1_ratio(*, timescale: float, seeds: int, seed: int, d_model: int = 16,
                 steps: int = 512, burn: int = 256, batch: int = 8) -> dict[str, Any]:
    """Measured / predicted E|h|² of the first LRU layer: mean and standard error over the
    ``seeds``·``batch`` independent sequences (per-sequence mean over units and steps ≥ burn)."""
    import torch
    from rnnverify.numerics.networks.signal_propagation import SignalConfig, measure
    from rnnverify.theory.memory.moments import moments
    from rnnverify.theory.networks.gru import FIG12_AUTOCORR

    cfg = SignalConfig("lru", timescale, d_in=d_model, d_model=d_model, layers=1, steps=steps,
                       batch=batch, burn=burn)
    samples: list[float] = []
    for k in range(seeds):
        m = measure(cfg, seed * 10_000 + k)
        rnn = m.network.layers[0].rnn
        with torch.no_grad():
            lam = rnn.lam()
            nu, theta = lam.abs(), lam.angle()
            mix = torch.view_as_complex(rnn.B) @ m.network.enc.to(torch.complex128)
            s = (mix.abs() ** 2).sum(1)
            pred = torch.tensor([float(moments(float(nu[i]), theta=float(theta[i]),
                                               autocorr=FIG12_AUTOCORR,
                                               gamma="sqrt(1-lam**2)", dps=20)["h2"])
                                 for i in range(len(nu))], dtype=torch.float64) * s
            # γ is its own parameter, initialized at sqrt(1 − ν²): the theory's γ
            meas = (m.first_states[burn:].abs() ** 2).mean(0)  # (batch, units)
            samples += (meas / pred).mean(1).tolist()
    n = len(samples)
    mean = sum(samples) / n
    se = math.sqrt(sum((v - mean) ** 2 for v in samples) / (n - 1) / n)
    return {"ratio": mean, "stderr": se, "sequences": n, "timescale": timescale,
            "steps": steps, "burn": burn}


def log_samples(runs: list[dict[str, Any]], path: tuple[str, ...]) -> list[list[float]]:
    """Per-timescale lists of log(per-seed value) at ``path`` in each study row."""
    out = []
    for r in runs:
        node: Any = r["per_seed"]
        for key in path:
            node = node[key]
        out.append([math.log(v) for v in node])
    return out


def trend(timescales: list[float], logs: list[list[float]]) -> dict[str, float]:
    """WLS slope of mean log(quantity) against log(1 − ν_mid) with its standard error."""
    xs = [math.log(3 / (4 * t)) for t in timescales]
    ys, ws = [], []
    for vals in logs:
        n = len(vals)
        m = sum(vals) / n
        var = sum((v - m) ** 2 for v in vals) / (n - 1) / n
        ys.append(m)
        ws.append(1 / max(var, 1e-300))
    sw = sum(ws)
    xb = sum(w * x for w, x in zip(ws, xs, strict=True)) / sw
    yb = sum(w * y for w, y in zip(ws, ys, strict=True)) / sw
    sxx = sum(w * (x - xb) ** 2 for w, x in zip(ws, xs, strict=True))
    slope = sum(w * (x - xb) * (y - yb) for w, x, y in zip(ws, xs, ys, strict=True)) / sxx
    return {"slope": slope, "stderr": math.sqrt(1 / sxx)}


def inside(fit: dict[str, float], lo: float, hi: float, z: float) -> bool:
    """The slope's z-confidence interval lies inside (lo, hi)."""
    return fit["slope"] - z * fit["stderr"] > lo and fit["slope"] + z * fit["stderr"] < hi


def run_grid(arch: str, timescales: list[float], *, seeds: int, seed: int, norm: str = "none",
             layers: int = 2, steps: int = 256, on_row: Any = None) -> list[dict[str, Any]]:
    """:func:`numerics.networks.signal_propagation.study` at every timescale."""
    from rnnverify.numerics.networks.signal_propagation import SignalConfig, study

    rows = []
    for t in timescales:
        rows.append(study(SignalConfig(arch, t, norm=norm, layers=layers, steps=steps), seeds,
                          seed=seed))
        if on_row is not None:
            on_row()
    return rows


def signal_prop_study(archs: list[tuple[str, str]], timescales: list[float], *, seeds: int,
                      seed: int, layers: int, steps: int, on_row: Any = None) -> dict[str, Any]:
    """The document of ``rnnverify signal-prop``: rows per (arch, norm, timescale) and the
    slopes in log(1 − ν) of each quantity."""
    out = []
    for arch, norm in archs:
        rows = run_grid(arch, timescales, seeds=seeds, seed=seed, norm=norm, layers=layers,
                        steps=steps, on_row=on_row)
        slopes: dict[str, Any] = {}
        if len(timescales) >= 2:
            for k in range(layers):
                slopes[f"state_h2_layer{k + 1}"] = trend(
                    timescales, log_samples(rows, ("state_h2", str(k))))
            for g in rows[0]["grad_sq"]:
                slopes[f"grad_sq_{g}"] = trend(timescales, log_samples(rows, ("grad_sq", g)))
        out.append({"arch": arch, "norm": norm, "rows": rows, "slopes_log_1_minus_nu": slopes})
    return document("signal-prop", {"inputs": INPUTS_NOTE, "layers": layers, "steps": steps,
                                    "seeds": seeds, "timescales": timescales, "models": out})
