"""Hessian at the optimum by the Lyapunov equation of the joint linear system (oracle).

At the optimum of ½E(ŷ_t − y_t)² the residual vanishes, so the Hessian is the Gauss–Newton
matrix H = E[J_t J_tᵀ] with J_t = ∇_θ ŷ_t (Zucchet & Orvieto 2024, §4 and appendix, Fig. 4).
Every component of J_t is a linear functional of a *joint state* s_t that follows a linear
system driven by the white noise ξ of the AR(1) input x_{t+1} = ρ x_t + sqrt(1 − ρ²) ξ_{t+1}
(R(k) = ρ^|k|):

    s_{t+1} = F s_t + b ξ_{t+1},     J_t = K s_t,     H = K Σ Kᵀ,   Σ = F Σ Fᵀ + b bᵀ.

Joint states (never a closed form, never Lemmas 1–2):

* dense family (``dense``, ``heads:K``), y_t = C h_t + D x_t: s = (x, h, m, M) with
  m_t = ∂ŷ_t/∂B and M_t = ∂ŷ_t/∂A (N² entries, only the parameter entries for heads):

      h_{t+1} = A h_t + B x_{t+1},   m_{t+1} = Aᵀ m_t + Cᵀ x_{t+1},   M_{t+1} = Aᵀ M_t + Cᵀ h_tᵀ,

  (from δh_t = A δh_{t−1} + δA h_{t−1} + δB x_t, so ∂ŷ_t/∂A = Σ_s (Aᵀ)^s Cᵀ h_{t−1−s}ᵀ), and
  ∂ŷ/∂C = h, ∂ŷ/∂D = x.  Dimension 1 + 2N + N².
* diagonal family (``diagonal``, ``lru``): per unit the real and imaginary parts of
  h̃_{t+1} = λ h̃_t + x_{t+1} and g_{t+1} = λ g_t + h̃_t (g = ∂h̃/∂λ), and every derivative
  is Re(w z) with z ∈ {h̃, g, x} and w from the chain rule written out below (not derived by
  SymPy: the symbolic route derives it).  Dimension 1 + 4N.

The Stein equation Σ = FΣFᵀ + bbᵀ is solved by Smith's doubling (S ← S + P S Pᵀ, P ← P²,
starting from S = bbᵀ, P = F) in binary fixed point on Python integers (fast and exact up to
one unit of the last place per product).  After k doublings the omitted part is
P Σ Pᵀ with P = F^{2^k}, so ‖Σ − S‖_F ≤ ‖P‖_F² ‖S‖_F/(1 − ‖P‖_F²): the loop stops when
this *proven* truncation bound is below 10^{−dps−5} of ‖S‖, and the rounding error is
estimated by a second solve with 64 more bits.
"""

from __future__ import annotations

from operator import mul
from typing import Any

import mpmath
from rnnverify.theory.networks.teacher import LinearNetwork

#: most doublings before giving up (F^{2^k} must be negligible long before)
MAX_DOUBLINGS = 80


# ------------------------------------------------------------------ joint systems
def _dense_system(net: LinearNetwork, rho: Any) -> tuple[list, list, list]:
    n = net.hidden
    A, B, C = net.A, net.B, net.C
    mask = list(net.mask)
    idx_M = {kl: 1 + 2 * n + i for i, kl in enumerate(mask)}
    dim = 1 + 2 * n + len(mask)
    F = [[mpmath.mpf(0)] * dim for _ in range(dim)]
    b = [mpmath.mpf(0)] * dim
    sigma = mpmath.sqrt(1 - rho**2)
    F[0][0] = rho
    b[0] = sigma
    for i in range(n):  # h and m
        h, m = 1 + i, 1 + n + i
        for j in range(n):
            F[h][1 + j] = A[i][j]
            F[m][1 + n + j] = A[j][i]
        F[h][0] = rho * B[i]
        b[h] = sigma * B[i]
        F[m][0] = rho * C[i]
        b[m] = sigma * C[i]
    for (k, l), row in idx_M.items():  # M'_{kl} = Σ_j A_{jk} M_{jl} + C_k h_l
        for j in range(n):
            if A[j][k] != 0:
                F[row][idx_M[(j, l)]] = A[j][k]
        F[row][1 + l] += C[k]
    K = []
    for (k, l) in mask:
        K.append({idx_M[(k, l)]: mpmath.mpf(1)})
    K += [{1 + n + i: mpmath.mpf(1)} for i in range(n)]  # B
    K += [{1 + i: mpmath.mpf(1)} for i in range(n)]  # C
    K.append({0: mpmath.mpf(1)})  # D
    return F, b, K


def _diagonal_weights(net: LinearNetwork) -> list[tuple[int, str, Any]]:
    """(unit, "h"|"g"|"x", w) per parameter, in ``net.names`` order: ∂ŷ/∂p = Re(w z)."""
    n = net.hidden
    lam, bb, cc, gg = net.lam, net.b, net.c, net.gamma
    amp = [cc[i] * gg[i] * bb[i] for i in range(n)]
    out: list[tuple[int, str, Any]] = []
    if net.model == "diagonal":
        out += [(i, "g", amp[i]) for i in range(n)]  # ∂λ/∂Re λ = 1
        out += [(i, "g", 1j * amp[i]) for i in range(n)]  # ∂λ/∂Im λ = i
    else:
        # λ = exp(−e^{ω_ν} + i e^{ω_θ}): ∂λ/∂ω_ν = −e^{ω_ν} λ = λ log|λ|, ∂λ/∂ω_θ = i θ λ
        out += [(i, "g", amp[i] * lam[i] * mpmath.log(abs(lam[i]))) for i in range(n)]
        out += [(i, "g", amp[i] * 1j * mpmath.arg(lam[i]) * lam[i]) for i in range(n)]
        out += [(i, "h", amp[i]) for i in range(n)]  # ∂γ/∂ω_γ = γ
    out += [(i, "h", cc[i] * gg[i]) for i in range(n)]
    out += [(i, "h", 1j * cc[i] * gg[i]) for i in range(n)]
    out += [(i, "h", gg[i] * bb[i]) for i in range(n)]
    out += [(i, "h", 1j * gg[i] * bb[i]) for i in range(n)]
    out.append((-1, "x", mpmath.mpf(1)))
    return out


def _diagonal_system(net: LinearNetwork, rho: Any) -> tuple[list, list, list]:
    n = net.hidden
    dim = 1 + 4 * n
    F = [[mpmath.mpf(0)] * dim for _ in range(dim)]
    b = [mpmath.mpf(0)] * dim
    sigma = mpmath.sqrt(1 - rho**2)
    F[0][0] = rho
    b[0] = sigma
    for i, lam in enumerate(net.lam):
        hr, hi, gr, gi = (1 + 4 * i + j for j in range(4))
        lr, li = mpmath.re(lam), mpmath.im(lam)
        F[hr][hr], F[hr][hi], F[hr][0] = lr, -li, rho
        b[hr] = sigma
        F[hi][hr], F[hi][hi] = li, lr
        F[gr][gr], F[gr][gi], F[gr][hr] = lr, -li, mpmath.mpf(1)
        F[gi][gr], F[gi][gi], F[gi][hi] = li, lr, mpmath.mpf(1)
    K = []
    for unit, kind, w in _diagonal_weights(net):
        w = mpmath.mpc(w)
        if kind == "x":
            K.append({0: mpmath.re(w)})
            continue
        base = 1 + 4 * unit + (0 if kind == "h" else 2)
        K.append({base: mpmath.re(w), base + 1: -mpmath.im(w)})  # Re(w z)
    return F, b, K


def joint_system(net: LinearNetwork, rho: Any) -> tuple[list, list, list]:
    """(F, b, K): s_{t+1} = F s_t + b ξ, J_t = K s_t (K as sparse rows {state: weight})."""
    rho = mpmath.mpf(rho)
    if not -1 < rho < 1:
        raise ValueError(f"rho must lie in (-1, 1) for a stationary Hessian, got {rho}")
    if net.family == "dense":
        return _dense_system(net, rho)
    return _diagonal_system(net, rho)


# ------------------------------------------------------------------ Smith doubling
def _fixed(M: list, bits: int) -> list[list[int]]:
    scale = mpmath.mpf(2) ** bits
    return [[int(mpmath.nint(v * scale)) for v in row] for row in M]


def _matmul(X: list[list[int]], Y: list[list[int]], bits: int) -> list[list[int]]:
    cols = list(zip(*Y, strict=False))
    return [[sum(map(mul, r, c)) >> bits for c in cols] for r in X]


def _frob2(X: list[list[int]]) -> int:
    return sum(v * v for row in X for v in row)


def stein_doubling(F: list, b: list, *, dps: int) -> tuple[list[list[Any]], Any, int]:
    """Σ = Σ_{j≥0} F^j b bᵀ F^{jᵀ} by Smith's doubling; returns (Σ as mpf rows, proven
    truncation bound on ‖Σ − result‖_F, number of doublings)."""
    n = len(F)
    bits = int((dps + 30) * 3.33) + 16
    with mpmath.workdps(dps + 40):
        P = _fixed(F, bits)
        bf = [int(mpmath.nint(v * mpmath.mpf(2) ** bits)) for v in b]
        S = [[(bf[i] * bf[j]) >> bits for j in range(n)] for i in range(n)]
        one2 = 1 << (2 * bits)
        target = mpmath.mpf(10) ** (-(dps + 5))
        for k in range(1, MAX_DOUBLINGS + 1):  # noqa: B007 (k is returned)
            PS = _matmul(P, S, bits)
            PSPt = _matmul(PS, [list(r) for r in zip(*P, strict=False)], bits)
            S = [[s + t for s, t in zip(rs, rt, strict=True)]
                 for rs, rt in zip(S, PSPt, strict=True)]
            P = _matmul(P, P, bits)
            p2 = mpmath.mpf(_frob2(P)) / one2
            if p2 < target:
                break
        else:
            raise ValueError("the joint system is not stable enough for the doubling "
                             f"(‖F^(2^{MAX_DOUBLINGS})‖ still ≥ 1e-{dps + 5})")
        s_norm = mpmath.sqrt(mpmath.mpf(_frob2(S)) / one2)
        bound = p2 * s_norm / (1 - p2)
        scale = mpmath.mpf(2) ** -bits
        Sm = [[mpmath.mpf(v) * scale for v in row] for row in S]
    return Sm, bound, k


def _sandwich(K: list[dict[int, Any]], S: list[list[Any]]) -> list[list[Any]]:
    P = len(K)
    H = [[mpmath.mpf(0)] * P for _ in range(P)]
    for p in range(P):
        for q in range(p, P):
            v = mpmath.mpf(0)
            for a, wa in K[p].items():
                row = S[a]
                for c, wc in K[q].items():
                    v += wa * row[c] * wc
            H[p][q] = H[q][p] = v
    return H


def _kbound(K: list[dict[int, Any]]) -> Any:
    return sum(sum(abs(w) for w in row.values()) ** 2 for row in K)


def hessian_oracle(net: LinearNetwork, rho: Any = 0, *, dps: int = 40,
                   rounding_check: bool = True) -> dict[str, Any]:
    """H = E[∇ŷ ∇ŷᵀ] at the optimum from the joint Lyapunov equation.

    Returns ``hessian`` (list of mpf rows, order ``net.names``), ``error_bound`` (proven
    truncation bound plus the rounding estimate, an absolute bound on each entry), ``method``,
    ``state_dimension``, ``doublings``.
    """
    with mpmath.workdps(dps + 20):
        F, b, K = joint_system(net, rho)
        S, trunc, k = stein_doubling(F, b, dps=dps + 10)
        H = _sandwich(K, S)
        rounding = mpmath.mpf(0)
        if rounding_check:
            S2, _, _ = stein_doubling(F, b, dps=dps + 30)
            H2 = _sandwich(K, S2)
            rounding = max(abs(H[i][j] - H2[i][j]) for i in range(len(H)) for j in range(len(H)))
            H = H2
        bound = trunc * _kbound(K) + rounding
    with mpmath.workdps(dps):
        return {"hessian": [[+v for v in row] for row in H], "error_bound": +bound,
                "method": "lyapunov-doubling", "state_dimension": len(F), "doublings": k}
