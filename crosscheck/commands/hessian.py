"""The Hessian at the optimum by every route, compared (``rnnverify hessian``).

Routes (Zucchet & Orvieto 2024, §4 and appendix, Figs. 4, 9, 10):

* ``oracle`` — Lyapunov equation of the joint system (:mod:`theory.networks.hessian_oracle`), every
  model;
* ``symbolic`` — Lemmas 1–2 via the cross-moments S(λ_i, λ_j) (:mod:`theory.networks.hessian`), the
  diagonal family (``diagonal``, ``lru``);
* ``monte_carlo`` — per-sequence ``torch.func`` Jacobians and ``torch.func.hessian`` of the
  empirical loss (:mod:`numerics.networks.linear_network`).

:func:`hessian_analysis` returns the JSON document of the command;
:func:`rnnverify.crosscheck.report.figures.fig_hessian` draws its Fig. 4 heatmaps.
"""

from __future__ import annotations

import math
import time
from typing import Any

import mpmath
import torch
from rnnverify.crosscheck.schema import document
from rnnverify.crosscheck.stats.ztests import z_test
from rnnverify.numerics.networks.linear_network import empirical_loss_hessian, gauss_newton_mc
from rnnverify.theory.networks.hessian import hessian_symbolic, spectrum, top_eigenspaces
from rnnverify.theory.networks.hessian_oracle import hessian_oracle
from rnnverify.theory.networks.teacher import parameter_layout, parse_model, teacher

#: Monte Carlo false-failure rate of the command's agreement verdict (all entries together)
MC_ALPHA = 1e-3
#: symbolic vs oracle, normwise relative (both at ≥ 30 digits)
SYMBOLIC_TOL = 1e-25
#: torch.func.hessian of the empirical loss vs empirical J Jᵀ (float64 rounding)
AUTOGRAD_TOL = 1e-10


def mc_steps(nu0: float) -> int:
    """Steps from h_0 = 0 so that the truncation bias ≲ T⁴ e^{−50} (ν_max ≤ (1 + ν₀)/2)."""
    return math.ceil(25 / (1 - (1 + nu0) / 2)) + 8


#: seconds per P³ of the 20-digit eigen-decompositions plus the oracle's Lyapunov solve,
#: and per sample·step·parameter of the Monte Carlo route: the largest of the rates measured
#: on 2 idle cores (2026-12-04; diagonal N = 4, lru N = 16, dense N = 16: 1.9–4.0e−5 and
#: 6.8e−6 per P³, 1.9–3.5e−9 per sample·step·parameter), so an upper estimate
SECONDS_PER_CUBED_PARAMETER = 5e-5
SECONDS_PER_SAMPLE_STEP_PARAMETER = 4e-9


def estimate_seconds(parameters: int, *, samples: int, steps: int) -> float:
    """Wall time of :func:`hessian_analysis` on 2 cores: c₁ P³ + c₂ S T P (measured rates)."""
    return (SECONDS_PER_CUBED_PARAMETER * parameters**3
            + SECONDS_PER_SAMPLE_STEP_PARAMETER * samples * steps * parameters)


def _floats(H: list[list[Any]]) -> list[list[float]]:
    return [[float(v) for v in row] for row in H]


def _normwise(H1: list[list[Any]], H2: list[list[Any]]) -> float:
    with mpmath.workdps(60):
        top = max(abs(v) for row in H2 for v in row)
        diff = max(abs(a - b) for r1, r2 in zip(H1, H2, strict=True)
                   for a, b in zip(r1, r2, strict=True))
        return float(diff / top)


def monte_carlo_agreement(layout: dict[str, Any], H: list[list[float]], *, rho: float,
                          nu0: float, samples: int, seed: int, device: str = "cpu",
                          alpha: float = MC_ALPHA) -> dict[str, Any]:
    """MC estimate of E[J Jᵀ] vs ``H``: largest |z| over the distinct entries (Bonferroni at
    ``alpha``), relative Frobenius error, and the autograd-Hessian identity."""
    steps = mc_steps(nu0)
    est = gauss_newton_mc(layout, rho=rho, samples=samples, steps=steps, window=4, seed=seed,
                          device=device)
    T = torch.tensor(H, dtype=torch.float64)
    P = T.shape[0]
    allowance = 1e-10 * float(T.abs().max())
    n_entries = P * (P + 1) // 2
    tests = [z_test(float(est.mean[p, q]), float(est.stderr[p, q]), float(T[p, q]),
                    alpha=alpha / n_entries, abs_bias=allowance, label=f"H[{p},{q}]")
             for p in range(P) for q in range(p, P)]
    zb = tests[0].z_bound
    # |z| beyond the rounding allowance (0 inside it), the statistic the bound applies to
    excess = [max(0.0, abs(t.estimate - t.theory) - allowance) for t in tests]
    z = [e / t.stderr if t.stderr > 0 else (0.0 if e == 0 else math.inf)
         for e, t in zip(excess, tests, strict=True)]
    auto = empirical_loss_hessian(layout, rho=rho, batch=64, steps=min(steps, 300), window=10,
                                  seed=seed, device=device)
    auto_rel = auto["max_abs_difference"] / float(auto["gauss_newton"].abs().max())
    max_z = max(z)
    return {
        "samples": est.samples, "steps": steps, "window": est.window,
        "max_abs_z": max_z, "z_bound": zb, "alpha": alpha,
        "relative_frobenius_error": float((est.mean - T).norm() / T.norm()),
        "autograd_hessian_rel_difference": auto_rel,
        "holds": all(t.holds for t in tests) and auto_rel <= AUTOGRAD_TOL,
        "seconds": round(est.seconds, 2),
    }


def hessian_analysis(model: str, hidden: int, nu0: str, *, rho: str = "0", seed: int = 0,
                     mc_samples: int = 4000, dps: int = 30,
                     device: str = "cpu") -> dict[str, Any]:
    """Every route at one teacher; the ``rnnverify hessian --json`` document."""
    start = time.perf_counter()
    kind, heads = parse_model(model)
    with mpmath.workdps(dps + 30):  # the decimal text, exact to the working precision
        rho_m = mpmath.mpf(rho)
    if not -1 < rho_m < 1:
        raise ValueError(f"rho must lie in (-1, 1), got {rho}")
    net = teacher(kind, hidden, nu0, heads=heads, seed=seed, dps=dps + 30)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    ref = hessian_oracle(net, rho_m, dps=dps)
    timings["oracle"] = time.perf_counter() - t0
    H = ref["hessian"]
    agreement: dict[str, Any] = {"oracle_error_bound": float(ref["error_bound"]),
                                 "oracle_state_dimension": ref["state_dimension"]}
    holds = True
    if net.family == "diagonal":
        t0 = time.perf_counter()
        Hs = hessian_symbolic(net, rho_m, dps=dps + 10)
        timings["symbolic"] = time.perf_counter() - t0
        err = _normwise(Hs, H)
        agreement["symbolic_vs_oracle"] = err
        holds = holds and err <= SYMBOLIC_TOL
    else:
        agreement["symbolic_vs_oracle"] = None
    t0 = time.perf_counter()
    # eigenvalues at 30 working digits: exact null directions sit near 1e−28 relative,
    # genuine curvature above 1e−14 (condition numbers up to 1e14 are resolved)
    spec = spectrum(H, net.recurrent, dps=20, null_rtol="1e-14")
    # Fig. 4B: effective number of coordinates 1/Σv⁴ of the top `hidden` eigenvectors
    top = top_eigenspaces(H, min(hidden, len(H)), dps=20)
    timings["spectrum"] = time.perf_counter() - t0
    if mc_samples:
        t0 = time.perf_counter()
        mc = monte_carlo_agreement(parameter_layout(net), _floats(H), rho=float(rho_m),
                                   nu0=float(mpmath.mpf(nu0)), samples=mc_samples, seed=seed,
                                   device=device)
        timings["monte_carlo"] = time.perf_counter() - t0
        agreement["monte_carlo"] = mc
        holds = holds and mc["holds"]
    else:
        agreement["monte_carlo"] = None
    return document("hessian", {
        "model": model, "hidden": hidden, "nu0": str(nu0), "rho": str(rho), "seed": seed,
        "parameters": list(net.names),
        "recurrent": list(net.recurrent),
        "hessian": _floats(H),
        "eigenvalues": [float(e) for e in spec["eigenvalues"]],
        "null_dimension": spec["null_dimension"],
        "predicted_null_dimension": net.invariance_dimension(),
        "condition_number": float(spec["condition_number"]),
        "preconditioned_eigenvalues": [float(e) for e in spec["preconditioned_eigenvalues"]],
        "preconditioned_condition_number": float(spec["preconditioned_condition_number"]),
        "lambda_share": [float(s) for s in spec["lambda_share"]],
        "top_eigenvectors": {
            "effective_coordinates": [float(v) for v in top["effective_coordinates"]],
            "mean_effective_coordinates": float(top["mean_effective_coordinates"]),
            "largest_gap_rank": top["largest_gap_rank"]},
        "agreement": agreement,
        "holds": holds,
        "timings": {k: round(v, 2) for k, v in timings.items()},
        "seconds": round(time.perf_counter() - start, 2),
    })
