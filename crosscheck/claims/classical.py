"""Classical vanishing/exploding-gradient claims (Pascanu, Mikolov & Bengio 2013).

Theory: docs/theory.md §7.

* ``classical.linear`` — spectral radius ρ(W): ρ < 1 ⇒ ‖W^t‖ → 0; ρ > 1 necessary for
  (exponential) explosion; ρ^t ≤ ‖W^t‖ ≤ κ(S) ρ^t for diagonalisable W = SΛS⁻¹.
* ``classical.nonlinear`` — ‖∏ diag(σ'(a_k)) W‖ ≤ (γ_σ σ_max)^t, γ = 1 (tanh), 1/4 (sigmoid).
* ``classical.clipping`` — g ↦ g·min(1, c/‖g‖) keeps the direction and caps the norm at c.

Columns: SymPy proofs (:mod:`theory.classical`), a 30–40-digit mpmath oracle on small random
networks, and float64 PyTorch (autograd Jacobians, ``torch.nn.utils.clip_grad_norm_``) with a
stated rounding bound.  All checks are deterministic (no sampling error), so no z-bound applies.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Any

import mpmath
import torch
from hypothesis import strategies as st
from rnnverify.crosscheck.claims import strategies as rst
from rnnverify.crosscheck.claims.dizzy import EPS, single_threaded, steps_outcome
from rnnverify.crosscheck.claims.registry import Claim, Mode, RunContext, register
from rnnverify.crosscheck.stats.ztests import CheckOutcome
from rnnverify.theory.classical import (
    activation_gamma_proof,
    clip,
    clipping_proof,
    jacobian_product_bound_proof,
    jacobian_product_mp,
    linear_power_proof,
    power_norm_bounds_mp,
)


# ------------------------------------------------------------------ classical.linear
def _linear_points(mode: Mode) -> list[dict[str, Any]]:
    pts = [{"n": 16, "rho": 0.9, "steps": 200, "seed": 0},
           {"n": 16, "rho": 1.1, "steps": 200, "seed": 1}]
    if mode == "full":
        pts += [{"n": 64, "rho": 0.5, "steps": 500, "seed": 2},
                {"n": 64, "rho": 0.99, "steps": 2000, "seed": 3},
                {"n": 64, "rho": 1.01, "steps": 2000, "seed": 4}]
    return pts


def _linear_symbolic(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    return steps_outcome(linear_power_proof(), "spectral-radius criterion")


def _gaussian_with_radius(n: int, rho: float, seed: int) -> list[list[float]]:
    """A Gaussian n×n matrix rescaled to spectral radius ρ (radius computed with mpmath)."""

    rng = random.Random(seed)
    A = [[rng.gauss(0, 1) for _ in range(n)] for _ in range(n)]
    with mpmath.workdps(30):
        ev = mpmath.eig(mpmath.matrix(A), left=False, right=False)
        r = max(abs(e) for e in ev)
        return [[float(mpmath.mpf(a) * rho / r) for a in row] for row in A]


def _linear_oracle(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    n = min(int(point.get("n", 4)), 5)
    rho = float(point["rho"])
    steps = min(int(point.get("steps", 40)), 40)
    W = _gaussian_with_radius(n, rho, int(point.get("seed", 0)) + ctx.seed)
    res = power_norm_bounds_mp(W, steps)
    trend = res["log10_norms"][-1] - res["log10_norms"][0]
    ok = res["lower_holds"] and res["upper_holds"]
    return CheckOutcome(ok, f"mpmath 40 digits, n = {n}, ρ = {res['rho']:.4g}, κ(S) = "
                            f"{res['kappa']:.3g}: ρ^t ≤ ‖W^t‖ ≤ κρ^t for t ≤ {steps}; "
                            f"log10‖W^t‖ moved by {trend:+.2f}",
                        {"rho": res["rho"], "kappa": res["kappa"],
                         "log10_final": res["log10_norms"][-1]})


@single_threaded
def _linear_mc(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    """float64 torch: ‖W^t‖₂ by repeated products; bounds ρ^t ≤ ‖W^t‖ ≤ κ(S) ρ^t with the
    relative rounding allowance t·n·ε·κ²·‖|W|‖₂/ρ (first-order bound on the error of the t-fold
    product, propagated in the eigenbasis); Gelfand rate log‖W^T‖/T → log ρ."""

    n, rho, steps = int(point["n"]), float(point["rho"]), int(point["steps"])
    seed = int(point.get("seed", 0)) + ctx.seed
    dt = torch.float64
    gen = torch.Generator().manual_seed(seed)
    A = torch.randn(n, n, generator=gen, dtype=dt)
    A = A * (rho / float(torch.linalg.eigvals(A).abs().max()))
    ev, S = torch.linalg.eig(A)
    rho_hat = float(ev.abs().max())
    kappa = float(torch.linalg.cond(S))
    absw = float(torch.linalg.matrix_norm(A.abs(), ord=2))
    P = torch.eye(n, dtype=dt)
    ok = True
    worst_low = worst_up = -math.inf
    log10 = []
    # the bounds are checked at ≤ 60 evenly spread t (a spectral norm is an SVD)
    checkpoints = {round(1 + i * (steps - 1) / 59) for i in range(60)} | {steps}
    for t in range(1, steps + 1):
        P = A @ P
        if t not in checkpoints:
            continue
        nrm = float(torch.linalg.matrix_norm(P, ord=2))
        tol = 1.01 * t * n * EPS * kappa**2 * absw / rho_hat + 4 * n * EPS
        low = rho_hat**t
        ok &= nrm >= low * (1 - tol) and nrm <= kappa * low * (1 + tol)
        worst_low = max(worst_low, low / nrm - 1)
        worst_up = max(worst_up, nrm / (kappa * low) - 1)
        log10.append(math.log10(nrm))
    rate = math.log(10) * log10[-1] / steps  # log10[-1] is t = steps
    vanishing = rho < 1 and log10[-1] < 0
    exploding = rho > 1 and log10[-1] > 0
    ok &= vanishing or exploding
    word = "vanishes" if rho < 1 else "explodes"
    return CheckOutcome(ok, f"float64, n = {n}, ρ = {rho_hat:.4g}, κ(S) = {kappa:.3g}: "
                            f"‖W^t‖ within [ρ^t, κρ^t] at {len(log10)} t ≤ {steps}; "
                            f"log10‖W^{steps}‖ = {log10[-1]:.2f} ({word}); "
                            f"rate log‖W^T‖/T = {rate:.4f} vs log ρ = {math.log(rho_hat):.4f}",
                        {"log10_final": log10[-1], "rate": rate, "log_rho": math.log(rho_hat),
                         "kappa": kappa})


def _linear_domain() -> Any:
    return st.fixed_dictionaries({
        "n": rst.size(2, 5), "steps": rst.horizon(30), "seed": rst.seed(),
        "rho": st.one_of(st.floats(0.3, 0.98), st.floats(1.02, 1.5))})


register(Claim(
    id="classical.linear",
    title="Linear RNN: ρ(W) < 1 ⇒ ‖W^t‖ → 0 (vanishing); ρ(W) > 1 necessary for exploding",
    source="Pascanu, Mikolov & Bengio 2013, §2.1 (eq. 7, diagonalisable W)",
    symbolic=_linear_symbolic, oracle=_linear_oracle, numeric=_linear_mc,
    points=_linear_points, domain=_linear_domain))


# ------------------------------------------------------------------ classical.nonlinear
def _nonlinear_points(mode: Mode) -> list[dict[str, Any]]:
    pts = [{"activation": "tanh", "n": 16, "steps": 30, "scale": 0.4, "seed": 0},
           {"activation": "sigmoid", "n": 16, "steps": 30, "scale": 3.5, "seed": 1}]
    if mode == "full":
        pts += [{"activation": "tanh", "n": 64, "steps": 100, "scale": 1.5, "seed": 2},
                {"activation": "sigmoid", "n": 64, "steps": 100, "scale": 6.0, "seed": 3},
                {"activation": "tanh", "n": 32, "steps": 200, "scale": 0.4, "seed": 4},
                {"activation": "sigmoid", "n": 32, "steps": 200, "scale": 1.5, "seed": 5}]
    return pts


def _nonlinear_symbolic(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    act = point.get("activation", "tanh")
    return steps_outcome(jacobian_product_bound_proof() + activation_gamma_proof(act),
                         f"γ_{act} = {1 if act == 'tanh' else '1/4'} and the (γσ_max)^t bound")


def _nonlinear_oracle(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    act = point.get("activation", "tanh")
    n = min(int(point.get("n", 4)), 6)
    steps = min(int(point.get("steps", 10)), 20)
    res = jacobian_product_mp(n, steps, act, seed=int(point.get("seed", 0)) + ctx.seed,
                              scale=float(point.get("scale", 1.0)))
    ok = all(res["holds"])
    margin = min(b - a for a, b in zip(res["log10_norm"], res["log10_bound"], strict=True))
    return CheckOutcome(ok, f"mpmath 30 digits, {act}, n = {n}, t ≤ {steps}: ‖∏ diag(σ')W‖ ≤ "
                            f"(γσ_max)^t at every t (min log10 margin {margin:.2f})",
                        {"log10_norm": res["log10_norm"], "log10_bound": res["log10_bound"]})


@single_threaded
def _nonlinear_mc(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    """float64 torch, autograd Jacobian ∂h_t/∂h_0 of a random RNN (3 seeds, 3 horizons) against
    (γσ_max)^t with relative rounding allowance t·(2n^{3/2} + 8)ε."""

    act = point["activation"]
    n, steps, scale = int(point["n"]), int(point["steps"]), float(point["scale"])
    gamma = 1.0 if act == "tanh" else 0.25
    f = torch.tanh if act == "tanh" else torch.sigmoid
    dt = torch.float64
    ok = True
    rows: list[tuple[int, float, float]] = []
    etas: list[float] = []
    allowance = 0.0
    for rep in range(3):
        gen = torch.Generator().manual_seed(1000 * (int(point.get("seed", 0)) + ctx.seed) + rep)
        W = torch.randn(n, n, generator=gen, dtype=dt) * scale / math.sqrt(n)
        U = torch.randn(n, 2, generator=gen, dtype=dt) / math.sqrt(n)
        b = torch.randn(n, generator=gen, dtype=dt) * 0.1
        xs = torch.randn(steps, 2, generator=gen, dtype=dt)
        smax = float(torch.linalg.matrix_norm(W, ord=2))
        for t in sorted({max(1, steps // 3), max(1, 2 * steps // 3), steps}):
            def run(h0: torch.Tensor, t: int = t, W: torch.Tensor = W, U: torch.Tensor = U,
                    xs: torch.Tensor = xs, b: torch.Tensor = b) -> torch.Tensor:
                h = h0
                for s in range(t):
                    h = f(W @ h + U @ xs[s] + b)
                return h

            J = torch.autograd.functional.jacobian(run, torch.zeros(n, dtype=dt),
                                                   vectorize=True)
            nrm = float(torch.linalg.matrix_norm(J, ord=2))
            log_bound = t * math.log10(gamma * smax)
            allowance = t * (2 * n**1.5 + 8) * EPS
            log_n = math.log10(nrm) if nrm > 0 else -math.inf
            ok &= log_n <= log_bound + math.log10(1 + allowance)
            rows.append((t, log_n, log_bound))
        etas.append(gamma * smax)
    worst = max(r[1] - r[2] for r in rows)
    if max(etas) < 1:  # σ_max < 1/γ: the bound itself forces vanishing
        ok &= rows[-1][1] <= steps * math.log10(max(etas)) + math.log10(1 + allowance)
    regime = "σ_max < 1/γ: vanishing guaranteed" if max(etas) < 1 else \
        "σ_max > 1/γ: no guarantee"
    return CheckOutcome(ok, f"float64 autograd, {act}, n = {n}, 3 networks × 3 horizons ≤ "
                            f"{steps}: log10‖∂h_t/∂h_0‖ − log10(γσ_max)^t ≤ {worst:.2f} (≤ 0 "
                            f"required); γσ_max ∈ [{min(etas):.2f}, {max(etas):.2f}] ({regime}); "
                            f"last log10 norm {rows[-1][1]:.1f}",
                        {"rows": [list(r) for r in rows], "gamma_sigma_max": etas})


def _nonlinear_domain() -> Any:
    return st.fixed_dictionaries({
        "activation": st.sampled_from(["tanh", "sigmoid"]), "n": rst.size(2, 6),
        "steps": rst.horizon(12), "scale": st.floats(0.2, 6.0),
        "seed": rst.seed()})


register(Claim(
    id="classical.nonlinear",
    title="Non-linear RNN: ‖∏ diag(σ'(a_k)) W‖ ≤ (γ_σ σ_max)^t; σ_max < 1/γ_σ ⇒ vanishing "
          "(γ = 1 tanh, 1/4 sigmoid)",
    source="Pascanu, Mikolov & Bengio 2013, §2.1 (eqs. 8–9)",
    symbolic=_nonlinear_symbolic, oracle=_nonlinear_oracle, numeric=_nonlinear_mc,
    points=_nonlinear_points, domain=_nonlinear_domain))


# ------------------------------------------------------------------ classical.clipping
def _clip_points(mode: Mode) -> list[dict[str, Any]]:
    pts = [{"n": 10, "c": 1.0, "scale": 5.0, "seed": 0},
           {"n": 10, "c": 1.0, "scale": 0.01, "seed": 1}]
    if mode == "full":
        pts += [{"n": 1000, "c": 0.5, "scale": 1.0, "seed": 2},
                {"n": 3, "c": 100.0, "scale": 1e4, "seed": 3}]
    return pts


def _clip_symbolic(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    return steps_outcome(clipping_proof(), "norm clipping")


def _clip_oracle(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    n, c = min(int(point.get("n", 4)), 200), float(point.get("c", 1.0))
    rng = random.Random(int(point.get("seed", 0)) + ctx.seed)
    with mpmath.workdps(40):
        g = [mpmath.mpf(rng.gauss(0, float(point.get("scale", 1.0)))) for _ in range(n)]
        out = clip(g, mpmath.mpf(c))
        ng, no = mpmath.norm(mpmath.matrix(g)), mpmath.norm(mpmath.matrix(out))
        norm_err = abs(no - min(ng, c))
        cos_err = abs(mpmath.fdot(g, out) / (ng * no) - 1)
    ok = norm_err < 1e-35 * max(1, c) and cos_err < 1e-35
    return CheckOutcome(ok, f"mpmath 40 digits, n = {n}: ‖clip(g)‖ − min(‖g‖, c) = "
                            f"{float(norm_err):.0e}, 1 − cos = {float(cos_err):.0e}",
                        {"norm_error": float(norm_err), "cos_error": float(cos_err)})


@single_threaded
def _clip_mc(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    """torch.nn.utils.clip_grad_norm_ over several parameter tensors: same direction (cosine 1
    within 4nε), norm = ‖g‖·min(1, c/(‖g‖ + 10⁻⁶)) within 4nε (torch adds 10⁻⁶ to the norm), ≤ c."""

    n, c, scale = int(point["n"]), float(point["c"]), float(point["scale"])
    gen = torch.Generator().manual_seed(int(point.get("seed", 0)) + ctx.seed)
    dt = torch.float64
    sizes = [max(1, n // 3), max(1, n // 3), max(1, n - 2 * max(1, n // 3))]
    params = [torch.nn.Parameter(torch.zeros(s, dtype=dt)) for s in sizes]
    for p in params:
        p.grad = torch.randn(p.shape, generator=gen, dtype=dt) * scale
    g = torch.cat([p.grad.clone() for p in params])
    total = float(torch.nn.utils.clip_grad_norm_(params, c))
    g2 = torch.cat([p.grad for p in params])
    ng, n2 = float(g.norm()), float(g2.norm())
    m = g.numel()
    cos = float(g @ g2) / (ng * n2)
    want = ng * min(1.0, c / (ng + 1e-6))
    tol = 4 * m * EPS
    ok = abs(cos - 1) <= tol and abs(n2 - want) <= tol * want and n2 <= c * (1 + tol) \
        and abs(total - ng) <= tol * ng
    clipped = ng > c
    word = "clipped" if clipped else "kept"
    return CheckOutcome(ok, f"n = {m}, ‖g‖ = {ng:.3g}, c = {c:g} ({word}): ‖clip(g)‖ = "
                            f"{n2:.6g}, 1 − cos = {1 - cos:.0e} (bound 4nε = {tol:.0e})",
                        {"norm_before": ng, "norm_after": n2, "cos": cos})


def _clip_domain() -> Any:
    return st.fixed_dictionaries({"n": rst.size(1, 50), "c": st.floats(0.01, 100.0),
                                  "scale": st.floats(1e-3, 1e3), "seed": rst.seed()})


register(Claim(
    id="classical.clipping",
    title="Gradient clipping g ↦ g·min(1, c/‖g‖) keeps the direction and caps the norm at c",
    source=("Pascanu, Mikolov & Bengio 2013, Algorithm 1; CS224n notes "
            "'Vanishing Gradients and Fancy RNNs'"),
    symbolic=_clip_symbolic, oracle=_clip_oracle, numeric=_clip_mc,
    points=_clip_points, domain=_clip_domain))
