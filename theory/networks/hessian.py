"""Hessian at the optimum of the diagonal networks, derived from Lemmas 1–2 (symbolic route).

Zucchet & Orvieto (2024), §4 and appendix (Figs. 4, 9, 10).  The network of
:mod:`theory.networks.teacher` is a sum of units plus a skip term,

    ŷ_t = Σ_i Re(a_i Σ_{n≥0} λ_i^n x_{t−n}) + D x_t,    a_i = C_i γ_i B_i,

and D x_t is itself a "unit" with λ = 0 and a = D.  For a real parameter p of unit i the
chain rule (done by SymPy on the unit's parametrization, :func:`unit_specs`) gives

    ∂ŷ/∂p = Re(w_p^h z^h(λ_i) + w_p^g z^g(λ_i)),   w^h = ∂a/∂p,  w^g = a ∂λ/∂p,
    z^h(α) = Σ_n α^n x_{t−n},   z^g(α) = Σ_n n α^{n−1} x_{t−n}.

With Re u Re v = ½Re(uv) + ½Re(u v̄) and conj z(β) = z(β̄) (real input), the Gauss–Newton
entry (= the Hessian at the optimum, where the residual vanishes) is

    H_pq = ½ Re Σ_{k,k'} [w_p^k w_q^{k'} M_{kk'}(λ_i, λ_j) + w_p^k conj(w_q^{k'}) M_{kk'}(λ_i, λ̄_j)]

with M_hh = F, M_gh = ∂_αF, M_hg = ∂_βF, M_gg = ∂_α∂_βF and F(α, β) = Σ_{n,m} α^n β^m R(n−m)
given by Lemma 1 (its derivatives by Lemma 2 and the differentiated Lemma 1 of
:mod:`theory.memory.lemmas`).  For the λ-block of the complex diagonal network this is the block
formula of the authors' code (:func:`published_lambda_block`), which
:func:`lambda_block_difference` confirms symbolically.

:func:`spectrum` turns a Hessian into eigenvalues, the null dimension, the condition number
on the range and after Adam-like diagonal preconditioning.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import mpmath
import sympy as sp
from rnnverify.theory.memory import lemmas
from rnnverify.theory.memory.autocorr import ar1
from rnnverify.theory.networks.teacher import LinearNetwork
from rnnverify.theory.symbols import rho

_alpha, _beta = sp.symbols("alpha_ beta_")
KINDS = ("h", "g")


@dataclass(frozen=True)
class UnitSpec:
    """A unit's real parameters (symbols), its eigenvalue λ and amplitude a = C γ B."""

    params: tuple[sp.Symbol, ...]
    lam: sp.Expr
    amp: sp.Expr

    @property
    def weights(self) -> tuple[tuple[sp.Expr, sp.Expr], ...]:
        """(w^h, w^g) = (∂a/∂p, a ∂λ/∂p) for every parameter p (SymPy chain rule)."""
        return tuple((sp.diff(self.amp, p), self.amp * sp.diff(self.lam, p))
                     for p in self.params)


@cache
def unit_specs(model: str) -> dict[str, UnitSpec]:
    """The unit of ``model`` ("diagonal" or "lru") and the skip unit D, as SymPy objects.

    diagonal: λ = λ_re + i λ_im, a = (C_re + i C_im)(B_re + i B_im);
    lru: λ = exp(−exp(ω_ν) + i exp(ω_θ)), a = (C_re + i C_im) exp(ω_γ) (B_re + i B_im).
    Parameter order within a unit matches the grouping of :class:`networks.LinearNetwork`.
    """
    br, bi, cr, ci = sp.symbols("B_re B_im C_re C_im", real=True)
    if model == "diagonal":
        lr, li = sp.symbols("lam_re lam_im", real=True)
        unit = UnitSpec((lr, li, br, bi, cr, ci), lr + sp.I * li,
                        (cr + sp.I * ci) * (br + sp.I * bi))
    elif model == "lru":
        wn, wt, wg = sp.symbols("omega_nu omega_theta omega_gamma", real=True)
        unit = UnitSpec((wn, wt, wg, br, bi, cr, ci), sp.exp(-sp.exp(wn) + sp.I * sp.exp(wt)),
                        (cr + sp.I * ci) * sp.exp(wg) * (br + sp.I * bi))
    else:
        raise ValueError(f"the symbolic route covers the diagonal family (diagonal, lru), "
                         f"got {model!r}")
    d = sp.Symbol("D", real=True)
    return {"unit": unit, "skip": UnitSpec((d,), sp.Integer(0), d)}


# ------------------------------------------------------------------ the lemma values
@cache
def _lemma_functions() -> tuple[Any, ...]:
    """F, ∂_αF, ∂_βF, ∂_α∂_βF of R(k) = ρ^|k| as mpmath functions of (α, β, ρ)."""
    ac = ar1()
    s = sp.Symbol("s_")
    G = ac.generating_function(s).expr
    Gp = ac.derivative_generating_function(s).expr
    R0 = ac.expr.subs(lemmas.Delta, 0) if ac.expr.has(lemmas.Delta) else sp.Integer(1)
    Ga, Gb = G.subs(s, _alpha), G.subs(s, _beta)
    Gpa, Gpb = Gp.subs(s, _alpha), Gp.subs(s, _beta)
    F = lemmas.lemma1_rhs(_alpha, _beta, R0, Ga, Gb)
    Fb = lemmas.lemma1_dbeta_rhs(_alpha, _beta, R0, Ga, Gb, Gpb)
    Fa = lemmas.lemma1_dbeta_rhs(_beta, _alpha, R0, Gb, Ga, Gpa)
    Fab = lemmas.lemma2_rhs(_alpha, _beta, R0, Ga, Gb, _alpha * Gpa, _beta * Gpb)
    return tuple(sp.lambdify((_alpha, _beta, rho), e, modules="mpmath")
                 for e in (F, Fa, Fb, Fab))


def lemma_moments(alpha: Any, beta: Any, rho: Any) -> dict[tuple[str, str], Any]:
    """M_{kk'}(α, β) = E[z^k(α) z^{k'}(β)] for R(k) = ρ^|k| from Lemmas 1–2."""
    F, Fa, Fb, Fab = _lemma_functions()
    args = (mpmath.mpmathify(alpha), mpmath.mpmathify(beta), mpmath.mpmathify(rho))
    return {("h", "h"): F(*args), ("g", "h"): Fa(*args), ("h", "g"): Fb(*args),
            ("g", "g"): Fab(*args)}


@cache
def _weight_functions(model: str, which: str) -> tuple[Any, Any]:
    spec = unit_specs(model)[which]
    fw = sp.lambdify(spec.params, [list(w) for w in spec.weights], modules="mpmath")
    fl = sp.lambdify(spec.params, spec.lam, modules="mpmath")
    return fw, fl


def _units(net: LinearNetwork) -> list[tuple[list[int], Any, list[tuple[Any, Any]]]]:
    """Per unit (incl. the skip unit): parameter indices, λ, and the numeric weights."""
    n = net.hidden
    per_unit = 6 if net.model == "diagonal" else 7
    fw, fl = _weight_functions(net.model, "unit")
    out = []
    for i in range(n):
        idx = [g * n + i for g in range(per_unit)]
        vals = [net.values[j] for j in idx]
        out.append((idx, fl(*vals), [tuple(w) for w in fw(*vals)]))
    fw_d, _ = _weight_functions(net.model, "skip")
    out.append(([len(net.values) - 1], mpmath.mpf(0), [tuple(w) for w in fw_d(net.D)]))
    return out


def hessian_symbolic(net: LinearNetwork, rho: Any = 0, *, dps: int = 50) -> list[list[Any]]:
    """H (order ``net.names``) of a ``diagonal`` or ``lru`` network from Lemmas 1–2."""
    if net.family != "diagonal":
        raise ValueError(f"the symbolic route covers the diagonal family, got {net.model!r}")
    with mpmath.workdps(dps + 10):
        units = _units(net)
        P = len(net.values)
        H = [[mpmath.mpf(0)] * P for _ in range(P)]
        for a, (idx_i, li, wi) in enumerate(units):
            for b_, (idx_j, lj, wj) in enumerate(units):
                if b_ < a:
                    continue
                M1 = lemma_moments(li, lj, rho)
                M2 = lemma_moments(li, mpmath.conj(lj), rho)
                for p, wp in zip(idx_i, wi, strict=False):
                    for q, wq in zip(idx_j, wj, strict=False):
                        tot = mpmath.mpc(0)
                        for k1 in range(2):
                            for k2 in range(2):
                                key = (KINDS[k1], KINDS[k2])
                                tot += wp[k1] * wq[k2] * M1[key]
                                tot += wp[k1] * mpmath.conj(wq[k2]) * M2[key]
                        H[p][q] = H[q][p] = mpmath.re(tot) / 2
    with mpmath.workdps(dps):
        return [[+v for v in row] for row in H]


# ------------------------------------------------------------------ the authors' block
def published_lambda_block(b_i: Any, b_j: Any, c_i: Any, c_j: Any, s1: Any, s2: Any) -> Any:
    """``block_H`` of the authors' code (effect_shrink_eigvals; paper Fig. 10): with
    A = b_i b_j c_i c_j S(λ_i, λ_j), B = b_i b̄_j c_i c̄_j S(λ_i, λ̄_j), the (Re λ, Im λ) block

        ½ [[Re(A+B), Im(−A+B)], [Im(−A−B), Re(−A+B)]]ᵀ.
    """
    A = b_i * b_j * c_i * c_j * s1
    B = b_i * sp.conjugate(b_j) * c_i * sp.conjugate(c_j) * s2
    M = sp.Matrix([[sp.re(A + B), sp.im(-A + B)], [sp.im(-A - B), sp.re(-A + B)]]) / 2
    return M.T


@cache
def lambda_block_difference() -> tuple[sp.Matrix, sp.Matrix]:
    """(derived − published, derived − publishedᵀ) for the (Re λ_i, Im λ_i) × (Re λ_j, Im λ_j)
    block, with S(λ_i, λ_j), S(λ_i, λ̄_j) and the amplitudes as free complex symbols.

    The derived block is H_pq of the module docstring restricted to the λ parameters (only
    M_gg = ∂_α∂_βF = S contributes, since w^h = 0 for λ).  The first matrix vanishing means
    that the authors' ``block_H(i, j)`` is the block at rows i, columns j; the second, at
    rows j, columns i.
    """
    spec = unit_specs("diagonal")["unit"]
    lr, li = spec.params[0], spec.params[1]
    syms = sp.symbols("bir bii bjr bji cir cii cjr cji s1r s1i s2r s2i", real=True)
    bi_, bj_ = syms[0] + sp.I * syms[1], syms[2] + sp.I * syms[3]
    ci_, cj_ = syms[4] + sp.I * syms[5], syms[6] + sp.I * syms[7]
    s1, s2 = syms[8] + sp.I * syms[9], syms[10] + sp.I * syms[11]
    wg = [sp.diff(spec.lam, p) for p in (lr, li)]
    amp_i, amp_j = ci_ * bi_, cj_ * bj_
    derived = sp.Matrix(2, 2, lambda r, c: sp.re(sp.expand(
        amp_i * wg[r] * amp_j * wg[c] * s1
        + amp_i * wg[r] * sp.conjugate(amp_j * wg[c]) * s2)) / 2)
    pub = published_lambda_block(bi_, bj_, ci_, cj_, s1, s2)
    d1 = (derived - pub).applyfunc(sp.expand)  # polynomials in real symbols: expand is exact
    d2 = (derived - pub.T).applyfunc(sp.expand)
    return d1, d2


# ------------------------------------------------------------------ spectra
def _eigh(H: list[list[Any]], dps: int, vectors: bool = True) -> tuple[list[Any], Any]:
    with mpmath.workdps(dps):
        M = mpmath.matrix(H)
        if not vectors:
            E = mpmath.eigsy(M, eigvals_only=True)
            return [E[i] for i in range(len(H))], None
        E, Q = mpmath.eigsy(M)
        return [E[i] for i in range(len(H))], Q


def spectrum(H: list[list[Any]], recurrent: tuple[bool, ...], *, dps: int = 40,
             null_rtol: Any = None) -> dict[str, Any]:
    """Eigenvalues, null dimension, condition numbers and λ-shares of a PSD Hessian.

    * null directions: eigenvalues ≤ ``null_rtol``·λ_max (default 10^{−dps/2}: exact
      invariances give ~10^{−dps}, genuine curvature far more);
    * ``condition_number`` = λ_max / smallest eigenvalue above the null threshold
      (the Hessian is singular, so the ratio is taken on its range);
    * ``preconditioned_condition_number``: the same for D^{1/2} H D^{1/2} with
      D = diag(H_pp)^{−1/2}, Adam's 1/sqrt(v) with the second moment v_p ∝ H_pp (at the
      optimum the per-step gradient is J_t ε_t, so v = σ_ε² diag E[J Jᵀ]);
    * ``lambda_share``: per eigenvector, the squared weight on the recurrent coordinates.
    """
    P = len(H)
    with mpmath.workdps(dps + 10):
        tol = mpmath.mpf(10) ** (-(dps // 2)) if null_rtol is None else mpmath.mpf(null_rtol)
        E, Q = _eigh(H, dps + 10)
        top = max(E)
        null = sum(1 for e in E if e <= tol * top)
        rng = [e for e in E if e > tol * top]
        cond = top / min(rng)
        dmax = max(H[p][p] for p in range(P))
        # a coordinate with H_pp = 0 is flat (all of its row vanishes): Adam leaves it alone
        d = [1 / mpmath.sqrt(mpmath.sqrt(H[p][p])) if H[p][p] > tol * dmax else 0
             for p in range(P)]
        Hp = [[d[p] * H[p][q] * d[q] for q in range(P)] for p in range(P)]
        Ep, _ = _eigh(Hp, dps + 10, vectors=False)
        topp = max(Ep)
        rngp = [e for e in Ep if e > tol * topp]
        shares = [sum(Q[p, j] ** 2 for p in range(P) if recurrent[p]) for j in range(P)]
    with mpmath.workdps(dps):
        return {"eigenvalues": [+e for e in E], "null_dimension": null,
                "condition_number": +cond, "preconditioned_eigenvalues": [+e for e in Ep],
                "preconditioned_null_dimension": P - len(rngp),
                "preconditioned_condition_number": +(topp / min(rngp)),
                "lambda_share": [+s for s in shares], "null_threshold": +tol}


def top_eigenspaces(H: list[list[Any]], k: int, *, dps: int = 30,
                    cluster_rtol: Any = "1e-12") -> dict[str, Any]:
    """Concentration of the top-``k`` eigenvectors of a symmetric H and the shape of its
    spectrum (Fig. 4: "the top eigenvectors concentrate on few coordinates").

    * ``effective_coordinates[r]`` — the effective number of coordinates of the r-th
      eigenvector, 1/Σ_p v_p⁴ (1 for a coordinate axis, P for a flat vector).  Eigenvalues
      equal to within ``cluster_rtol`` form one eigenspace E of dimension m, whose basis the
      solver picks arbitrarily; each of its vectors gets the basis-free value m/Σ_p Π_pp²
      with Π the orthogonal projector on E (= 1/Σ v_p⁴ when m = 1).
    * ``largest_gap_rank`` — r maximizing λ_r/λ_{r+1} over the eigenvalues above 10^{−15}·λ_1
      (the null directions of the invariances excluded), and that ratio.
    """
    P = len(H)
    if not 1 <= k <= P:
        raise ValueError(f"k must lie in [1, {P}], got {k}")
    with mpmath.workdps(dps + 10):
        E, Q = _eigh(H, dps + 10)
        order = sorted(range(P), key=lambda j: -E[j])
        rtol = mpmath.mpf(cluster_rtol)
        clusters: list[list[int]] = []
        for j in order:
            if clusters and abs(E[j] - E[clusters[-1][0]]) <= rtol * abs(E[clusters[-1][0]]):
                clusters[-1].append(j)
            else:
                clusters.append([j])
        neff: list[Any] = []
        for c in clusters:
            if len(neff) >= k:
                break
            diag = [sum(Q[p, j] ** 2 for j in c) for p in range(P)]
            neff += [len(c) / sum(d * d for d in diag)] * len(c)
        values = [E[j] for j in order]
        live = [e for e in values if e > values[0] * mpmath.mpf(10) ** -15]
        ratios = [live[r] / live[r + 1] for r in range(len(live) - 1)]
        gap = max(range(len(ratios)), key=lambda r: ratios[r]) if ratios else 0
    with mpmath.workdps(dps):
        return {"eigenvalues": [+e for e in values],
                "effective_coordinates": [+n for n in neff[:k]],
                "mean_effective_coordinates": +(sum(neff[:k]) / k),
                "largest_gap_rank": gap + 1, "largest_gap": +ratios[gap] if ratios else None}
