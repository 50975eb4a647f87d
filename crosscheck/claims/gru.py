"""GRU gates as a diagonal linear recurrence (Zucchet & Orvieto 2024, §5 and appendix,
Figs. 12, 14, 15).

``zo.gru.constant_gate`` — with a constant update gate z = σ(b), h_{t+1} = z h_t +
(1 − z) x_{t+1}; inputs with the Fig. 12 autocorrelation:

* symbolic: E h² and E(d_b h)² derived from Lemmas 1–2 (:func:`theory.networks.gru.derived_moments`)
  equal the authors' aux(λ, λ) and σ'² ∂_α∂_β aux(λ, λ) exactly (SymPy ``cancel``); and the
  check-claim machinery (:func:`crosscheck.commands.check_claim.decide_claim`) decides the authors'
  coded
  variance of d_b h, σ'² (aux + 2∂_α aux + ∂_α∂_β aux), translated into the statement it makes
  about the un-normalized E(d_λh̃)²: it must be **refuted** (with a counterexample) while the
  pure ∂_α∂_β term is proved.
* oracle: the derived values (50 digits) against :func:`theory.memory.oracle.oracle_moments` (lag
  sums with a proven tail bound, coupled γ = 1 − λ) at 40 digits.
* monte_carlo: :func:`numerics.networks.gru_gates.simulate_gate` (forward-mode autograd in b) — the
  derived values within the z-bound, and the coded formula outside it.

``zo.gru.gates`` — how far the prediction holds when the gate depends on the input and the
other units' states, in the authors' gate model (Fig. 15; :data:`GATES_STATEMENT`).

``zo.gru.jacobian`` — the recurrent Jacobian ∂h_{t+Δ}/∂h_t of that model (Fig. 14;
:data:`JACOBIAN_STATEMENT`): diag(z^Δ) for constant gates, diagonally dominated otherwise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import mpmath
from rnnverify.crosscheck.claims.registry import Claim, Mode, RunContext, register
from rnnverify.crosscheck.stats.ztests import CheckOutcome, z_test

PAPER = "Zucchet & Orvieto 2024"
ORACLE_TOL = 1e-25
MC_SAMPLES = {"quick": 20_000, "full": 200_000}


@lru_cache(maxsize=1)
def _symbolic_identities() -> CheckOutcome:
    from rnnverify.theory.networks.gru import (
        derived_moments,
        published_forms,
        same_rational_function,
    )

    d, p = derived_moments(), published_forms()
    ok_h = same_rational_function(d["h2"], p["var_h"])
    ok_d = same_rational_function(d["dh2_db"], p["var_dbh_pure"])
    return CheckOutcome(ok_h and ok_d,
                        f"derived E h² = aux(λ, λ): {ok_h}; derived E(d_b h)² = σ'² ∂_α∂_β "
                        f"aux(λ, λ): {ok_d} (equal in the field ℚ(λ))",
                        {"h2": ok_h, "dh2_db": ok_d})


@lru_cache(maxsize=1)
def code_formula_verdicts() -> dict[str, Any]:
    """check-claim's verdicts on the two candidate formulas for Var(d_b h) (as E(d_λh̃)²)."""
    from rnnverify.crosscheck.commands.check_claim import decide_claim, prepare_claim
    from rnnverify.theory.networks.gru import FIG12_AUTOCORR, implied_unnormalized, published_forms

    p = published_forms()
    # the gate λ = σ(b) lies in (0, 1): the claim's domain, so any counterexample does too
    base = prepare_claim("dh2_dlam", "0", autocorr=FIG12_AUTOCORR, lam_interval=(0.0, 1.0))
    out = {}
    for key in ("var_dbh_pure", "var_dbh_code"):
        implied = implied_unnormalized(p[key], p["var_h"])["dh2_dlam"]
        res = decide_claim(dataclasses.replace(base, claim=implied), n_random=20)
        out[key] = res.as_dict()
    return out


def _symbolic(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    ident = _symbolic_identities()
    v = code_formula_verdicts()
    pure, code = v["var_dbh_pure"], v["var_dbh_code"]
    ok = ident.holds and pure["holds"] and not code["holds"]
    ce = code["counterexample"] or {}
    detail = (f"{ident.detail}; check-claim: σ'²∂_α∂_β aux proved ({pure['decided_by']}), the "
              f"authors' σ'²(aux + 2∂_α aux + ∂_α∂_β aux) refuted ({code['decided_by']}; at "
              f"λ = {ce.get('point', {}).get('lam')}: implied E(d_λh̃)² {ce.get('claimed'):.6g} "
              f"vs derived {ce.get('derived'):.6g}, oracle {ce.get('oracle'):.6g}) — the code's "
              f"extra terms make it σ'² E[(h + d_λh)²]")
    return CheckOutcome(ok, detail, {"identities": ident.data, "check_claim": v})


def _z(point: Mapping[str, Any]) -> float:
    return float(point["z"])


def _oracle(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    from rnnverify.theory.memory.oracle import oracle_moments
    from rnnverify.theory.networks.gru import fig12_autocorrelation, gate_values

    z = mpmath.mpf(str(point["z"]))
    mine = gate_values(z, dps=50)
    with mpmath.workdps(60):
        ref = oracle_moments(z, autocorr=fig12_autocorrelation(), gamma=1 - z, dgamma=-1,
                             gamma_coupled=True, dps=40)
        s2 = (z * (1 - z)) ** 2
        errs = {"h2": abs(mine["h2"] - ref["h2"]) / abs(ref["h2"]),
                "dh2_db": abs(mine["dh2_db"] - s2 * ref["dh2_dlam"]) / abs(s2 * ref["dh2_dlam"])}
    worst = float(max(errs.values()))
    return CheckOutcome(worst <= ORACLE_TOL,
                        f"z = {point['z']}: derived E h², E(d_b h)² vs oracle ({ref['method']}, "
                        f"coupled γ = 1 − z): max rel err {worst:.1e} ≤ {ORACLE_TOL:g}",
                        {"rel_errors": {k: float(v) for k, v in errs.items()},
                         "oracle_error_bound": float(ref["error_bound"])})


def _monte_carlo(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    from rnnverify.crosscheck.commands.gru_gates import gate_point

    # a constant gate has no input or hidden dependence: the single-unit simulator
    row = gate_point(_z(point), "constant", sigma_x=0.0, sigma_h=0.0, model="shared",
                     samples=MC_SAMPLES[ctx.mode], seed=ctx.seed, device=ctx.device)
    alpha = ctx.alpha / 3
    tests = [z_test(row[q]["estimate"], row[q]["stderr"], row[q]["theory"], alpha=alpha,
                    label=q) for q in ("h2", "dh2_db")]
    code = z_test(row["dh2_db"]["estimate"], row["dh2_db"]["stderr"],
                  row["dh2_db"]["code_formula"], alpha=alpha, label="code formula")
    ok = all(t.holds for t in tests) and not code.holds
    detail = "; ".join(t.detail for t in tests) + (
        f"; the code's Var(d_b h) {code.theory:.6g} is rejected (z = {code.z:+.1f})"
        if not code.holds else f"; the code's formula is NOT rejected (z = {code.z:+.2f})")
    return CheckOutcome(ok, f"z = {point['z']}: {detail}",
                        {"tests": [t.to_json() for t in tests], "code_formula": code.to_json(),
                         "steps": row["steps"], "samples": row["samples"]})


def _points(mode: Mode) -> list[dict[str, Any]]:
    pts = [{"z": 0.8}]
    if mode == "full":
        pts += [{"z": 0.5}, {"z": 0.95}]
    return pts


def _domain() -> Any:
    from hypothesis import strategies as st

    return st.fixed_dictionaries({"z": st.sampled_from([0.1, 0.5, 0.8, 0.9, 0.97])})


register(Claim(
    id="zo.gru.constant_gate",
    title="constant-gate GRU = diagonal linear recurrence (λ = σ(b), γ = 1 − λ): E h², "
          "E(d_b h)²; the authors' coded Var(d_b h) has two spurious terms",
    source=f"{PAPER}, §5 and appendix (Figs. 12, 15; code does_theory_hold_for_GRUs aux)",
    symbolic=_symbolic,
    oracle=_oracle,
    monte_carlo=_monte_carlo,
    points=_points,
    domain=_domain,
))


# ------------------------------------------------------------------ zo.gru.gates
#: layers of LAYER_UNITS units per case (one initialization each: standard errors over layers)
GATE_LAYERS = {"quick": 400, "full": 1000}
#: "the theory holds" on Fig. 15's log axes (four decades): prediction and measured mean
#: within a factor FACTOR of each other (a criterion chosen after a first measurement, stated
#: as such in docs/networks.md; not derived from the paper's text)
FACTOR = 2.0
GATES_STATEMENT = (
    "Fig. 15, the authors' gate model (input projection W_iz ~ N(0, 2/fan_in), orthogonal "
    "cross-unit W_hz, inputs of the Fig. 12 autocorrelation): with constant gates the "
    "prediction is exact (z-test); with input-dependent and input- and hidden-dependent gates "
    "it holds within a factor 2 for E h² and E(d_b h)² (the ratio's z-interval inside "
    "(1/2, 2)), and it is biased low for E h² (measured above the prediction beyond the "
    "z-bound).  Measured (32 units, 400 layers): E h² ratio 1.14–1.47, E(d_b h)² 0.89–1.66 "
    "for T = 1–256 (docs/networks.md).")


def _gates_mc(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    from rnnverify.crosscheck.commands.gru_gates import gate_point
    from rnnverify.crosscheck.stats.ztests import two_sided_z
    from rnnverify.theory.networks.gru import gate_for_timescale

    z = gate_for_timescale(float(point["timescale"]))
    alpha = ctx.alpha / 10  # 2 z-tests (constant) + 2 × 4 interval/one-sided tests
    zb = two_sided_z(alpha)
    rows = {case: gate_point(z, case, sigma_x=1.0, sigma_h=1.0, samples=GATE_LAYERS[ctx.mode],
                             seed=ctx.seed, device=ctx.device, alpha=alpha, model="authors")
            for case in ("constant", "input", "hidden")}
    const = [z_test(rows["constant"][q]["estimate"], rows["constant"][q]["stderr"],
                    rows["constant"][q]["theory"], alpha=alpha, label=f"constant {q}")
             for q in ("h2", "dh2_db")]
    parts, data = [], {}
    ok = all(t.holds for t in const)
    for case in ("input", "hidden"):
        for q in ("h2", "dh2_db"):
            r = rows[case][q]
            lo, hi = r["ratio"] - zb * r["ratio_stderr"], r["ratio"] + zb * r["ratio_stderr"]
            within = 1 / FACTOR < lo and hi < FACTOR
            above = r["z"] > zb if q == "h2" else True
            ok = ok and within and above
            parts.append(f"{case} {q} ratio {r['ratio']:.3f} ∈ [{lo:.3f}, {hi:.3f}]"
                         + (f", z = {r['z']:+.1f}" if q == "h2" else ""))
            data[f"{case}_{q}"] = {"ratio": r["ratio"], "interval": [lo, hi], "z": r["z"],
                                   "within_factor": within, "above": above}
    detail = (f"T = {point['timescale']} (z = {z:.3f}), authors' gate model, "
              f"{rows['input']['units']} units × {rows['input']['samples']} layers: constant "
              f"gate {'; '.join(f'{t.label} z = {t.z:+.2f}' for t in const)} (|z| ≤ {zb:.2f}); "
              + "; ".join(parts) + f" — within a factor {FACTOR:g} and E h² above the "
              f"prediction beyond |z| ≤ {zb:.2f}: {ok}")
    return CheckOutcome(ok, detail, {"ratios": data, "statement": GATES_STATEMENT,
                                     "constant": [t.to_json() for t in const]})


register(Claim(
    id="zo.gru.gates",
    title="the authors' Fig. 15 gate model: the constant-gate prediction is exact for constant "
          "gates and within a factor 2 (biased low for E h²) for input/hidden-dependent gates",
    source=f"{PAPER}, appendix (Fig. 15; code does_theory_hold_for_GRUs); synthetic inputs "
           "with the Fig. 12 autocorrelation",
    monte_carlo=_gates_mc,
    points=lambda mode: [{"timescale": 4}] if mode == "quick" else [{"timescale": 4},
                                                                    {"timescale": 16}],
))


# ------------------------------------------------------------------ zo.gru.jacobian
#: float64 product of Δ ≤ 512 diagonal factors vs z^Δ: relative rounding ≲ Δ·ε ≈ 1e−13
JACOBIAN_ROUNDING = 1e-12
JACOBIAN_LAGS = [1, 4, 16, 64, 256, 512]
JACOBIAN_STATEMENT = (
    "Fig. 14: the GRU's recurrent Jacobian ∂h_{t+Δ}/∂h_t, which the diagonal theory assumes "
    "diagonal.  Tested (authors' gate model, 32 units, chrono timescales T ∈ [1, 256]): with "
    "constant gates it is diag(z_i^Δ) (to rounding); with input- and hidden-dependent gates "
    "(σ_x = σ_h = 1) its off-diagonal part stays below its diagonal part, ‖offdiag‖_F < "
    "‖diag‖_F, at every lag Δ ≤ 512 (measured ratio ≤ 0.13; 0.40 at σ_h = 3, reported).  For "
    "short timescales (T ∈ [1, 16]) the ratio exceeds 1 only after Δ ≈ 256, where every entry "
    "is below 1e−7 (reported).")


def _jacobian_numeric(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    import torch
    from rnnverify.numerics.networks.gru_gates import jacobian_study, recurrent_jacobians
    from rnnverify.theory.networks.gru import components_float

    seed = int(point["seed"])
    comps = components_float()
    # constant gates: the product route against the closed form diag(σ(b_i)^Δ)
    gen = torch.Generator().manual_seed(seed)
    b = torch.log(1 + 255 * torch.rand(8, generator=gen, dtype=torch.float64))
    x = torch.randn(512, 2, 8, generator=gen, dtype=torch.float64)
    zeros = torch.zeros(2, 8, 8, dtype=torch.float64)
    jac = recurrent_jacobians(b, x, zeros, zeros, [1, 16, 256, 512])
    worst = 0.0
    for lag, J in jac.items():
        want = torch.diag_embed(torch.sigmoid(b) ** lag).expand(2, 8, 8)
        worst = max(worst, float(((J - want).abs() / want.abs().amax(dim=(-2, -1),
                                                                    keepdim=True)).max()))
    exact = worst <= JACOBIAN_ROUNDING
    rows = {}
    for sh in (1.0, 3.0):
        r = jacobian_study(timescales=(1.0, 256.0), units=32, layers=20, scale_x=1.0,
                           scale_h=sh, lags=JACOBIAN_LAGS, components=comps, seed=seed)
        rows[sh] = [row["off_to_diagonal_frobenius"] for row in r["rows"]]
    short = jacobian_study(timescales=(1.0, 16.0), units=32, layers=20, scale_x=1.0,
                           scale_h=1.0, lags=JACOBIAN_LAGS, components=comps, seed=seed)
    dominated = max(rows[1.0]) < 1
    ok = exact and dominated
    return CheckOutcome(ok, f"seed {seed}: constant gates ∂h_Δ/∂h_0 = diag(z^Δ) to "
                            f"{worst:.1e} (≤ {JACOBIAN_ROUNDING:g}); σ_x = σ_h = 1, T ∈ [1, 256]:"
                            f" ‖offdiag‖/‖diag‖ = "
                            + ", ".join(f"{v:.3f}" for v in rows[1.0])
                            + f" at Δ = {JACOBIAN_LAGS} (< 1: {dominated}); σ_h = 3: max "
                            f"{max(rows[3.0]):.2f}",
                        {"constant_gate_rel_error": worst, "ratio_sigma_h_1": rows[1.0],
                         "ratio_sigma_h_3": rows[3.0], "lags": JACOBIAN_LAGS,
                         "short_timescales": short["rows"], "statement": JACOBIAN_STATEMENT})


register(Claim(
    id="zo.gru.jacobian",
    title="GRU recurrent Jacobian ∂h_{t+Δ}/∂h_t: diag(z^Δ) for constant gates, diagonally "
          "dominated for input/hidden-dependent gates up to Δ = 512 (Fig. 14)",
    source=f"{PAPER}, appendix (Fig. 14; code does_theory_hold_for_GRUs)",
    numeric=_jacobian_numeric,
    points=lambda mode: [{"seed": 0}] if mode == "quick" else [{"seed": 0}, {"seed": 1}],
))
