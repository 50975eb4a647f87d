"""The constant-gate GRU prediction against simulated gates (Zucchet & Orvieto 2024, Fig. 15).

:func:`gate_study` simulates, for each timescale T (chrono gate bias: σ(b) = 1 − 1/(1 + T)),
the three cases of Fig. 15 — constant gate, input-dependent gate, input- and
hidden-dependent gate — on inputs of the Fig. 12 autocorrelation, and reports the ratio of
the measured E h² and E(d_b h)² to the constant-gate prediction (:mod:`theory.networks.gru`),
with standard errors.  Two gate models (:data:`MODEL_DESCRIPTIONS`): ``authors`` — the
notebook's (an almost independent input projection W_iz x, W_iz ~ N(0, 2/fan_in), and an
orthogonal cross-unit W_hz h, one initialization per simulated layer) — and ``shared``, a
variant in which the gate sees the state's own input and a scalar self-connection (gate
weights drawn per chain).
"""

from __future__ import annotations

import math
from typing import Any

from rnnverify.crosscheck.schema import document
from rnnverify.crosscheck.stats.ztests import two_sided_z, z_test

CASES = ("constant", "input", "hidden")


def steps_for(z: float) -> int:
    """Steps from h_0 = 0: z^{2T} ≤ e^{−60} for the constant gate."""
    return math.ceil(30 / (1 - z)) + 8


MODELS = ("authors", "shared")
MODEL_DESCRIPTIONS = {
    "authors": "the authors' Fig. 15 gate model: z = σ(b + σ_x W_iz x + σ_h W_hz h), W_iz ~ "
               "N(0, 2/fan_in) (an almost independent input projection of variance 2R(0)), "
               "W_hz orthogonal (other units' states); state input x_i",
    "shared": "variant (not the authors'): z = σ(b + w_x x_{t+1} + w_h h_t) with the state's "
              "own input and a scalar self-connection, w_x ~ N(0, σ_x²), w_h ~ N(0, σ_h²)",
}
#: units per simulated layer in the authors' model (the notebook: 256; the claims: 32)
LAYER_UNITS = 32


def gate_point(z: float, case: str, *, sigma_x: float, sigma_h: float, samples: int,
               seed: int, device: str = "cpu", alpha: float = 1e-3, model: str = "authors",
               units: int = LAYER_UNITS) -> dict[str, Any]:
    """Simulated moments at gate bias σ⁻¹(z) in ``case`` and their ratio to the theory.

    ``model="authors"``: the Fig. 15 notebook's gate model
    (:func:`numerics.networks.gru_gates.simulate_gate_layer`: input projection W_iz ~
    N(0, 2σ_x²/units), orthogonal cross-unit σ_h W_hz), ``samples`` independent layers of
    ``units`` units.  ``model="shared"``: a variant, not the authors' — the gate is driven by
    the state's own input, z = σ(b + w_x x_{t+1} + w_h h_t), with scalar weights w_x ~
    N(0, σ_x²), w_h ~ N(0, σ_h²) per chain (:func:`simulate_gate`), ``samples`` chains.
    """
    import torch
    from rnnverify.numerics.networks.gru_gates import simulate_gate, simulate_gate_layer
    from rnnverify.theory.networks.gru import components_float, gate_values

    if case not in CASES:
        raise ValueError(f"case must be one of {', '.join(CASES)}, got {case!r}")
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    b = math.log(z / (1 - z))
    sx = sigma_x if case != "constant" else 0.0
    sh = sigma_h if case == "hidden" else 0.0
    if model == "authors":
        est = simulate_gate_layer(b, components=components_float(), layers=samples,
                                  steps=steps_for(z), units=units, scale_x=sx, scale_h=sh,
                                  seed=seed, device=device)
        n_samples = est.layers
    else:
        gen = torch.Generator().manual_seed(seed * 7_777 + 13)
        w_x = sx * torch.randn(samples, generator=gen, dtype=torch.float64) if sx else 0.0
        w_h = sh * torch.randn(samples, generator=gen, dtype=torch.float64) if sh else 0.0
        est = simulate_gate(b, components=components_float(), samples=samples,
                            steps=steps_for(z), w_x=w_x, w_h=w_h, seed=seed, device=device)
        n_samples = est.samples
    theory = gate_values(z)
    out: dict[str, Any] = {"z": z, "case": case, "model": model, "steps": est.steps,
                           "samples": n_samples, "seconds": round(est.seconds, 2)}
    if model == "authors":
        out["units"] = units
    for q, se, th in (("h2", est.h2_stderr, theory["h2"]),
                      ("dh2_db", est.dh2_db_stderr, theory["dh2_db"])):
        val = getattr(est, q)
        zt = z_test(val, se, float(th), alpha=alpha, label=q)
        out[q] = {"estimate": val, "stderr": se, "theory": float(th),
                  "ratio": val / float(th), "ratio_stderr": se / float(th), "z": zt.z}
    code = float(theory["code_var_dbh_code"])
    out["dh2_db"]["code_formula"] = code
    out["dh2_db"]["z_vs_code_formula"] = z_test(est.dh2_db, est.dh2_db_stderr, code,
                                                alpha=alpha, label="code formula").z
    return out


def gate_study(timescales: list[float], *, cases: tuple[str, ...] = CASES,
               sigma_x: float = 1.0, sigma_h: float = 1.0, samples: int = 20_000,
               seed: int = 0, device: str = "cpu", alpha: float = 1e-3,
               model: str = "authors", units: int = LAYER_UNITS,
               on_row: Any = None) -> dict[str, Any]:
    """Every (timescale, case): measured / predicted E h² and E(d_b h)² (``on_row()`` is
    called after each, for progress)."""
    from rnnverify.theory.networks.gru import FIG12_AUTOCORR, gate_for_timescale

    rows = []
    for T in timescales:
        z = gate_for_timescale(T)
        for case in cases:
            row = gate_point(z, case, sigma_x=sigma_x, sigma_h=sigma_h, samples=samples,
                             seed=seed, device=device, alpha=alpha, model=model, units=units)
            row["timescale"] = T
            rows.append(row)
            if on_row is not None:
                on_row()
    return document("gru-gates", {"autocorr": FIG12_AUTOCORR,
            "inputs": "synthetic Gaussian inputs with the autocorrelation fitted in Fig. 12 "
                      "(the paper's BERT/Wikipedia data is not available offline)",
            "model": model, "model_description": MODEL_DESCRIPTIONS[model],
            "sigma_x": sigma_x, "sigma_h": sigma_h, "alpha": alpha,
            "z_bound": two_sided_z(alpha / max(1, 2 * len(rows))), "rows": rows})
