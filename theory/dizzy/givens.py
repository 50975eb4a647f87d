"""Givens rotations and the derivative of a rotation angle from the output alone.

Dorobantu, Stromhaug & Renteria 2016 ("DizzyRNN", arXiv:1612.04035), §4.1; notation of
docs/theory.md §6.1:

    G(i, j, θ) = I_n + P_ijᵀ (B(θ) − I_2) P_ij,   B(θ) = [[cos θ, −sin θ], [sin θ, cos θ]],
    P_ij = [e_iᵀ; e_jᵀ] ∈ {0,1}^{2×n}   (the *selection matrix*),

so y = G x changes only y_i = c x_i − s x_j and y_j = s x_i + c x_j.  With the fixed matrix
K = B(π/2) = [[0, −1], [1, 0]] one has B'(θ) = K B(θ), hence (paper §4.1, docs/theory.md §6.1)

    ∂y/∂θ = P_ijᵀ K P_ij y,     ∂L/∂θ = gᵀ P_ijᵀ K P_ij y = g_j y_i − g_i y_j,   g = ∂L/∂y,

which needs the output y only (the input is recovered as x = Gᵀ y).

Everything here is exact SymPy; the proofs are lists of :class:`ProofStep`, each verified by
simplification *and* by evaluation at random complex points (SymPy's verify_numerically idea).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import sympy as sp
from rnnverify.theory.proof import ProofStep, check_scalar_identity

__all__ = [
    "rotation_block",
    "FIXED_K",
    "selection_matrix",
    "givens",
    "givens_apply",
    "angle_derivative_from_output",
    "angle_derivative_via_chain_rule",
    "givens_orthogonality_proof",
    "angle_derivative_proof",
    "validate_pair",
]


def validate_pair(n: int, i: int, j: int) -> None:
    """Raise ValueError/TypeError unless 0 ≤ i < j < n are integers (n ≥ 2)."""
    for name, v in (("n", n), ("i", i), ("j", j)):
        if not isinstance(v, int) or isinstance(v, bool):
            raise TypeError(f"{name} must be an int, got {type(v).__name__}")
    if n < 2:
        raise ValueError(f"n must be >= 2, got {n}")
    if not 0 <= i < j < n:
        raise ValueError(f"need 0 <= i < j < n, got i={i}, j={j}, n={n}")


def rotation_block(theta: sp.Expr) -> sp.Matrix:
    """B(θ) = [[cos θ, −sin θ], [sin θ, cos θ]] (docs/theory.md §6.1)."""
    return sp.Matrix([[sp.cos(theta), -sp.sin(theta)], [sp.sin(theta), sp.cos(theta)]])


#: K = B(π/2), the fixed 2×2 matrix of the angle derivative (paper §4.1): B'(θ) = K B(θ).
FIXED_K = sp.ImmutableMatrix([[0, -1], [1, 0]])


def selection_matrix(n: int, i: int, j: int) -> sp.Matrix:
    """P_ij = [e_iᵀ; e_jᵀ] ∈ {0,1}^{2×n}: P_ij x = (x_i, x_j)ᵀ (0-based indices)."""
    validate_pair(n, i, j)
    P = sp.zeros(2, n)
    P[0, i] = 1
    P[1, j] = 1
    return P


def givens(n: int, i: int, j: int, theta: sp.Expr) -> sp.Matrix:
    """G(i, j, θ) = I_n + P_ijᵀ (B(θ) − I_2) P_ij (docs/theory.md §6.1)."""
    P = selection_matrix(n, i, j)
    return sp.eye(n) + P.T * (rotation_block(theta) - sp.eye(2)) * P


def givens_apply(x: Sequence[Any], i: int, j: int, cos_t: Any, sin_t: Any) -> list[Any]:
    """y = G(i, j, θ) x in O(1) work: only y_i = c x_i − s x_j, y_j = s x_i + c x_j change.

    Works on any numbers supporting + and * (SymPy expressions, mpmath mpf, floats).
    """
    validate_pair(len(x), i, j)
    y = list(x)
    y[i] = cos_t * x[i] - sin_t * x[j]
    y[j] = sin_t * x[i] + cos_t * x[j]
    return y


def angle_derivative_from_output(g: Sequence[Any], y: Sequence[Any], i: int, j: int) -> Any:
    """∂L/∂θ = g_j y_i − g_i y_j, from the output y = G x and g = ∂L/∂y alone.

    (docs/theory.md §6.1)
    """
    validate_pair(len(y), i, j)
    if len(g) != len(y):
        raise ValueError(f"g and y must have the same length, got {len(g)} and {len(y)}")
    return g[j] * y[i] - g[i] * y[j]


def angle_derivative_via_chain_rule(n: int, i: int, j: int) -> tuple[sp.Expr, tuple, tuple,
                                                                      sp.Symbol]:
    """∂L/∂θ for L = gᵀ G(θ) x by differentiating the entries of G (the route through the input).

    Returns ``(dL_dtheta, g_symbols, x_symbols, theta)``.
    """
    theta = sp.Symbol("theta", real=True)
    g = sp.symbols(f"g0:{n}")
    x = sp.symbols(f"x0:{n}")
    G = givens(n, i, j, theta)
    L = (sp.Matrix([g]) * G * sp.Matrix(x))[0, 0]
    return sp.diff(L, theta), g, x, theta


@lru_cache(maxsize=64)
def givens_orthogonality_proof(n: int, i: int, j: int) -> tuple[ProofStep, ...]:
    """GᵀG = I, GGᵀ = I and det G = 1 for symbolic θ (exact, for the given n, i, j).

    Also the all-n form: PPᵀ = I_2 and BᵀB = I_2 give
    GᵀG = I + Pᵀ(Bᵀ + B − 2I + (Bᵀ − I)(B − I))P ... = I + Pᵀ(BᵀB − I)P = I.
    """
    validate_pair(n, i, j)
    theta = sp.Symbol("theta", real=True)
    G = givens(n, i, j, theta)
    P = selection_matrix(n, i, j)
    B = rotation_block(theta)
    steps = []
    pp = P * P.T
    steps.append(ProofStep("the selection matrix has orthonormal rows", "P P^T", "I_2",
                           "P_ij P_ijᵀ = I_2 (i ≠ j)", pp == sp.eye(2), {"computed": str(pp)}))
    simp, num, err = check_scalar_identity(B.T * B, sp.eye(2), [theta])
    steps.append(ProofStep("the 2×2 block is orthogonal", B.T * B, sp.eye(2),
                           "cos²θ + sin²θ = 1", simp and num,
                           {"simplified": simp, "numeric_max_err": err}))
    # all-n algebra: (I + Pᵀ(B−I)P)ᵀ(I + Pᵀ(B−I)P) = I + Pᵀ[(Bᵀ−I) + (B−I) + (Bᵀ−I)(B−I)]P
    # (using PPᵀ = I_2), and the bracket equals BᵀB − I.
    bracket = (B.T - sp.eye(2)) + (B - sp.eye(2)) + (B.T - sp.eye(2)) * (B - sp.eye(2))
    ok_bracket = (bracket - (B.T * B - sp.eye(2))).expand() == sp.zeros(2)
    steps.append(ProofStep("GᵀG = I + Pᵀ[(Bᵀ−I)+(B−I)+(Bᵀ−I)PPᵀ(B−I)]P = I + Pᵀ(BᵀB−I)P",
                           "(B^T - I) + (B - I) + (B^T - I)(B - I)", "B^T B - I",
                           "expand, with P Pᵀ = I_2", ok_bracket, {"expanded": ok_bracket}))
    gtg = G.T * G
    simp, num, err = check_scalar_identity(gtg, sp.eye(n), [theta])
    steps.append(ProofStep(f"G({i},{j},θ) is orthogonal (n = {n})", gtg, sp.eye(n),
                           "BᵀB = I_2", simp and num, {"simplified": simp, "numeric_max_err": err}))
    ggt = G * G.T
    simp, num, err = check_scalar_identity(ggt, sp.eye(n), [theta])
    steps.append(ProofStep("and GGᵀ = I", ggt, sp.eye(n), "BBᵀ = I_2", simp and num,
                           {"simplified": simp, "numeric_max_err": err}))
    det = G.det()
    simp, num, err = check_scalar_identity(det, sp.Integer(1), [theta])
    steps.append(ProofStep("det G = cos²θ + sin²θ = 1 (a rotation, not a reflection)", det,
                           sp.Integer(1), "det G = det B", simp and num,
                           {"simplified": simp, "numeric_max_err": err}))
    return tuple(steps)


@lru_cache(maxsize=64)
def angle_derivative_proof(n: int, i: int, j: int) -> tuple[ProofStep, ...]:
    """∂L/∂θ through the input (differentiate G) equals g_j y_i − g_i y_j with y = G x.

    Route 1: L = gᵀ G(θ) x, differentiate the matrix entries.  Route 2: the output-only formula
    of the paper, with y substituted.  Also ∂y/∂θ = Pᵀ K P y and x = Gᵀ y.
    """
    validate_pair(n, i, j)
    dL, g, x, theta = angle_derivative_via_chain_rule(n, i, j)
    G = givens(n, i, j, theta)
    y = list(G * sp.Matrix(x))
    from_output = angle_derivative_from_output(list(g), y, i, j)
    syms = [*g, *x, theta]
    steps = []
    B = rotation_block(theta)
    simp, num, err = check_scalar_identity(sp.diff(B, theta), FIXED_K * B, [theta])
    steps.append(ProofStep("B'(θ) = K B(θ) with the fixed K = [[0,−1],[1,0]]",
                           sp.diff(B, theta), FIXED_K * B, "d/dθ cos = −sin, d/dθ sin = cos",
                           simp and num, {"simplified": simp, "numeric_max_err": err}))
    P = selection_matrix(n, i, j)
    dy = sp.diff(G, theta) * sp.Matrix(x)
    via_k = P.T * FIXED_K * P * sp.Matrix(y)
    simp, num, err = check_scalar_identity(dy, via_k, syms)
    steps.append(ProofStep("∂y/∂θ = Pᵀ K P y (output only)", dy, via_k, "PyP = B P x",
                           simp and num, {"simplified": simp, "numeric_max_err": err}))
    simp, num, err = check_scalar_identity(dL, from_output, syms)
    steps.append(ProofStep("∂L/∂θ = gᵀ (∂G/∂θ) x = g_j y_i − g_i y_j", dL, from_output,
                           "gᵀ Pᵀ K P y = g_j y_i − g_i y_j", simp and num,
                           {"simplified": simp, "numeric_max_err": err}))
    back = G.T * sp.Matrix(y)
    simp, num, err = check_scalar_identity(back, sp.Matrix(x), syms)
    steps.append(ProofStep("the input is recovered from the output: x = Gᵀ y", back,
                           sp.Matrix(x), "GᵀG = I", simp and num,
                           {"simplified": simp, "numeric_max_err": err}))
    return tuple(steps)
