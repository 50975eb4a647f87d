"""Exposed singular values W = U Σ V and the singular-value regulariser (DizzyRNN §2, §5).

Dorobantu et al. 2016, §2.1 Corollaries 1–2 and §5; docs/theory.md §6.4.

* Corollary 1: σ_min ‖x‖ ≤ ‖A x‖ ≤ σ_max ‖x‖ (square A, or x in the row space);
  Corollary 2: Aᵀ has the same singular values, so the backpropagated signal ∂L/∂x = Aᵀ ∂L/∂y is
  scaled by a factor in [σ_min, σ_max] as well.  With A = U Σ V (U, V products of packed rotations,
  Σ = diag(σ)) the factor of one step lies in [min_i |σ_i|, max_i |σ_i|]; with the abs
  non-linearity in front (D² = I) the per-step backward factor of a DizzyRNN with recurrent
  U Σ V lies in the same interval.
* Regulariser (the authors' final ``utils/regularizeSpread.py``; docs/theory.md §6.4):
  L_σ = (λ/2)·(1/n) Σ_i (σ_i − 1)²  ("mean"), or (λ/2) ‖σ − 1‖² ("sum").
  ∂L_σ/∂σ_k = λ (σ_k − 1)/n (mean); L_σ ≥ 0 with equality iff σ = 1, i.e. W orthogonal
  ("initializing the singular values to 1 is equivalent to an orthogonal initialization", §5.3).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal

import mpmath
import sympy as sp
from rnnverify.theory.proof import (
    ProofStep,
    check_matrix_identity,
    combine_sums,
    random_orthogonal_mp,
    rewrite_adjacent,
)

__all__ = [
    "svd_scaling_proof",
    "scaling_bounds_mp",
    "regularizer",
    "regularizer_gradient",
    "regularizer_proof",
]

Reduction = Literal["mean", "sum"]


@lru_cache(maxsize=1)
def svd_scaling_proof(sizes: tuple[int, ...] = (2, 3, 5)) -> tuple[ProofStep, ...]:
    """‖U Σ V x‖² = zᵀ Σ² z with ‖z‖ = ‖x‖ (all n), and σ_min² ‖z‖² ≤ zᵀΣ²z ≤ σ_max² ‖z‖².

    The bound is proved for symbolic n with indexed sums: zᵀΣ²z − σ_min²‖z‖² = Σ_i δ_i z_i² with
    δ_i = σ_i² − σ_min² ≥ 0, and σ_max²‖z‖² − zᵀΣ²z = Σ_i ε_i z_i² with ε_i = σ_max² − σ_i² ≥ 0.
    Backward: ‖(UΣV)ᵀ g‖² = gᵀ U Σ² Uᵀ g, the same form with z = Uᵀ g.
    """
    n = sp.Symbol("n", integer=True, positive=True)
    U, V, S = (sp.MatrixSymbol(s, n, n) for s in ("U", "V", "Sigma"))
    x = sp.MatrixSymbol("x", n, 1)
    steps = []
    sq = ((U * S * V * x).T * (U * S * V * x)).doit()
    fs, log = rewrite_adjacent(sq.args, {(U.T, U): sp.Identity(n)}, unary={S.T: S})
    target = [x.T, V.T, S, S, V, x]
    err = check_matrix_identity(sq, sp.MatMul(*fs), {U: "orth", V: "orth", S: "sign", x: "vec"},
                         sizes, seed=11)
    # (S as a random ±1 diagonal is enough for the Sᵀ = S, UᵀU = I rewrite; Σ general below)
    steps.append(ProofStep("forward: ‖UΣVx‖² = xᵀVᵀΣUᵀUΣVx = (Vx)ᵀ Σ² (Vx)", sq,
                           sp.MatMul(*fs), "UᵀU = I, Σᵀ = Σ (diagonal)",
                           fs == target and err < 1e-30,
                           {"rewrites": "; ".join(log), "numeric_max_err": err}))
    zz = sp.MatMul(x.T, V.T, V, x)
    fs2, _ = rewrite_adjacent(zz.args, {(V.T, V): sp.Identity(n)})
    steps.append(ProofStep("z = Vx has ‖z‖ = ‖x‖", zz, sp.MatMul(*fs2), "VᵀV = I",
                           fs2 == [x.T, x], {}))
    sq_b = ((U * S * V).T * x).T * ((U * S * V).T * x)
    sq_b = sq_b.doit()
    fs3, log3 = rewrite_adjacent(sq_b.args, {(V, V.T): sp.Identity(n)}, unary={S.T: S})
    steps.append(ProofStep("backward: ‖(UΣV)ᵀ g‖² = gᵀ U Σ² Uᵀ g (Corollary 2: same σ's)", sq_b,
                           sp.MatMul(*fs3), "V Vᵀ = I", fs3 == [x.T, U, S, S, U.T, x],
                           {"rewrites": "; ".join(log3)}))
    i = sp.Symbol("i", integer=True)
    z = sp.IndexedBase("z", real=True)
    sig = sp.IndexedBase("sigma", real=True)
    smin, smax = sp.symbols("sigma_min sigma_max", nonnegative=True)
    delta = sp.IndexedBase("delta", nonnegative=True)  # σ_i² − σ_min²
    eps = sp.IndexedBase("epsilon", nonnegative=True)  # σ_max² − σ_i²
    quad = sp.Sum(sig[i] ** 2 * z[i] ** 2, (i, 0, n - 1))
    lower = sp.Sum((smin**2 + delta[i]) * z[i] ** 2, (i, 0, n - 1)) - smin**2 * sp.Sum(
        z[i] ** 2, (i, 0, n - 1))
    lower_ok = bool(combine_sums(lower).is_nonnegative)
    steps.append(ProofStep("lower bound: zᵀΣ²z − σ_min²‖z‖² = Σ_i (σ_i² − σ_min²) z_i² ≥ 0", quad,
                           sp.Symbol("sigma_min**2*|z|**2 + sum(delta_i z_i**2)"),
                           "σ_i² = σ_min² + δ_i, δ_i ≥ 0", lower_ok,
                           {"combined": str(combine_sums(lower))}))
    upper = smax**2 * sp.Sum(z[i] ** 2, (i, 0, n - 1)) - sp.Sum(
        (smax**2 - eps[i]) * z[i] ** 2, (i, 0, n - 1))
    upper_ok = bool(combine_sums(upper).is_nonnegative)
    steps.append(ProofStep("upper bound: σ_max²‖z‖² − zᵀΣ²z = Σ_i (σ_max² − σ_i²) z_i² ≥ 0",
                           sp.Symbol("sigma_max**2*|z|**2 - z^T Sigma^2 z"),
                           sp.Symbol("sum(epsilon_i z_i**2)"), "σ_i² = σ_max² − ε_i, ε_i ≥ 0",
                           upper_ok, {"combined": str(combine_sums(upper))}))
    # numeric: random U, V, σ; ratio in [σ_min, σ_max] at 40 digits
    lo_hi = scaling_bounds_mp(4, [0.5, 0.9, 1.3, 2.0], trials=20, seed=3)
    steps.append(ProofStep("numeric: ‖UΣVx‖/‖x‖ and ‖(UΣV)ᵀg‖/‖g‖ lie in [σ_min, σ_max]",
                           sp.Symbol("ratio"), sp.Interval(0.5, 2.0), "random U, V, x, g (mpmath)",
                           lo_hi["within"], {k: v for k, v in lo_hi.items() if k != "within"}))
    return tuple(steps)


def scaling_bounds_mp(n: int, sigma: Sequence[float], *, trials: int = 10, seed: int = 0,
                      dps: int = 40) -> dict[str, Any]:
    """Random orthogonal U, V and random x, g: min/max of ‖UΣVx‖/‖x‖ and ‖(UΣV)ᵀg‖/‖g‖ (mpmath).

    ``within`` is True when every ratio lies in [min|σ|, max|σ|] (to 10⁻³⁰).
    """
    if len(sigma) != n:
        raise ValueError(f"sigma must have n = {n} entries, got {len(sigma)}")
    rng = random.Random(seed)
    with mpmath.workdps(dps):
        S = mpmath.diag([mpmath.mpf(s) for s in sigma])
        lo, hi = min(abs(s) for s in sigma), max(abs(s) for s in sigma)
        ratios = []
        for _ in range(trials):
            U, V = random_orthogonal_mp(n, rng, dps), random_orthogonal_mp(n, rng, dps)
            A = U * S * V
            for M in (A, A.T):
                v = mpmath.matrix([mpmath.mpf(rng.gauss(0, 1)) for _ in range(n)])
                ratios.append(mpmath.norm(M * v) / mpmath.norm(v))
        tol = mpmath.mpf(10) ** (-30)
        within = all(lo - tol <= r <= hi + tol for r in ratios)
        return {"within": within, "min_ratio": float(min(ratios)), "max_ratio": float(max(ratios)),
                "sigma_min": float(lo), "sigma_max": float(hi)}


def regularizer(sigma: Sequence[Any], lam: Any, reduction: Reduction = "mean") -> Any:
    """L_σ = (λ/2)·mean_i (σ_i − 1)² (``"mean"``, authors' final code) or (λ/2)·Σ_i (σ_i − 1)²."""
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    if len(sigma) == 0:
        raise ValueError("sigma must not be empty")
    total = sum((s - 1) ** 2 for s in sigma)
    return lam / 2 * total / (len(sigma) if reduction == "mean" else 1)


def regularizer_gradient(sigma: Sequence[Any], lam: Any, reduction: Reduction = "mean"
                         ) -> list[Any]:
    """∂L_σ/∂σ_k = λ (σ_k − 1)/n (mean) or λ (σ_k − 1) (sum), from :func:`regularizer_proof`."""
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    scale = lam / len(sigma) if reduction == "mean" else lam
    return [scale * (s - 1) for s in sigma]


@lru_cache(maxsize=2)
def regularizer_proof(reduction: Reduction = "mean") -> tuple[ProofStep, ...]:
    """For symbolic n: the gradient of L_σ, L_σ ≥ 0, and L_σ = 0 ⇔ σ = 1 (orthogonal W)."""
    n = sp.Symbol("n", integer=True, positive=True)
    i, k = sp.symbols("i k", integer=True)
    lam = sp.Symbol("lambda", positive=True)
    sig = sp.IndexedBase("sigma", real=True)
    norm = n if reduction == "mean" else 1
    L = lam / (2 * norm) * sp.Sum((sig[i] - 1) ** 2, (i, 0, n - 1))
    raw = sp.diff(L, sig[k]).doit()
    pieces = raw.atoms(sp.Piecewise)
    ok_piece = all(pw.args[0][1] == sp.And(k >= 0, k <= n - 1) for pw in pieces)
    grad = sp.simplify(raw.replace(lambda e: isinstance(e, sp.Piecewise),
                                   lambda pw: pw.args[0][0]))
    target = lam * (sig[k] - 1) / norm
    grad_ok = ok_piece and sp.simplify(grad - target) == 0
    steps = [ProofStep(f"∂L_σ/∂σ_k = λ(σ_k − 1)/{norm} ({reduction}, any n)", raw, target,
                       "differentiate the indexed sum", grad_ok, {})]
    steps.append(ProofStep("L_σ ≥ 0 (a sum of squares with λ > 0)", L, sp.Integer(0),
                           "each (σ_i − 1)² ≥ 0", bool(L.is_nonnegative), {}))
    # L_σ = 0 ⇔ σ = 1 for n = 1..4 (solve), gradient zero only at σ = 1
    ok_solve = True
    for m in range(1, 5):
        ss = sp.symbols(f"s0:{m}", real=True)
        Lm = lam / (2 * (m if reduction == "mean" else 1)) * sum((s - 1) ** 2 for s in ss)
        sol = sp.solve([sp.diff(Lm, s) for s in ss], ss, dict=True)
        hess = sp.hessian(Lm, ss)
        ok_solve &= sol == [dict.fromkeys(ss, 1)] and hess.is_positive_definite and \
            Lm.subs(dict.fromkeys(ss, 1)) == 0
    steps.append(ProofStep("the only stationary point is σ = 1, where L_σ = 0 (Hessian λ/n·I ≻ 0):"
                           " the regulariser pulls W towards orthogonal", sp.Symbol("grad L = 0"),
                           sp.Symbol("sigma = 1"), "solve, n = 1..4", bool(ok_solve), {}))
    return tuple(steps)
