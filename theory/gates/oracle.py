"""Oracle for random gates: the covariance recursion of (x, h, d) with random coefficients.

State s_t = (x_t, h_t, d_t) with AR(1) input x_{t+1} = ρ x_t + sqrt(1−ρ²) ξ_t:

    s_{t+1} = A_t s_t + b ξ_t,   A_t = [[ρ, 0, 0], [γ, λ_t, 0], [0, μ_t, λ_t]],
    b = (sqrt(1−ρ²), 0, 0),      μ_t = ∂_pλ_t.

A_t depends on u_t only, which is independent of s_t and ξ_t, so the covariance
P_t = E[s_t s_tᵀ] obeys the linear recursion ``P_{t+1} = E[A_t P_t A_tᵀ] + b bᵀ``, i.e.
``vec P_{t+1} = E[A_t ⊗ A_t] vec P_t + vec(b bᵀ)``: each entry of E[A ⊗ A] is the
expectation of a product of two entries of A, a polynomial of degree ≤ 2 in (λ, μ).
P_0 = diag(1, 0, 0) (x stationary, h_0 = d_0 = 0).  Finite t: exact doubling of the affine
map, O(log t) products of 9×9 matrices; stationary: the fixed point, one 9×9 linear solve
(ρ = ±1: no noise, P_xx = 1 held and the other entries solved).  Nothing here uses the
closed form of :mod:`theory.gates.second_moments`.

The expectations of λ, λ², μ, λμ, μ² are computed here by their own route: the gate is
lambdified in (p, u); μ is the **numerical** derivative in p (complex step
``Im f(p + iε)/ε`` with ε = 10^(−dps) for analytic expressions, :func:`mpmath.diff`
otherwise), never SymPy's derivative; the integrals over u ~ N(0, 1) use tanh-sinh
(:func:`mpmath.quad`) on panels of width 4 covering [−L, L] — other nodes and another rule than the
closed form's Gauss–Legendre.  ``error_bound`` is an estimate: the quadrature's own
estimate plus the difference of the linear solve at two precisions.
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy as sp
from rnnverify.theory.gates.gate import NOISE, Gate
from rnnverify.theory.gates.gate_moments import truncation

__all__ = ["oracle_gate_moments", "oracle_second_moments"]

#: functions through which the complex step is not valid (not holomorphic)
_NOT_HOLOMORPHIC = (sp.Abs, sp.sign, sp.floor, sp.ceiling, sp.Min, sp.Max, sp.re, sp.im,
                    sp.arg, sp.conjugate)
_P = sp.Symbol("p_", real=True)
#: panel width of the tanh-sinh quadrature on [−L, L]
PANEL = 4


def _derivative_fn(gate: Gate, dps: int):
    expr = gate.lam_of_p().subs(gate.wrt, _P)
    fn = sp.lambdify((_P, NOISE), expr, modules="mpmath")
    with mpmath.workdps(dps + 20):
        p0 = mpmath.mpf(sp.N(gate.p_value, dps + 20))
    holomorphic = not expr.has(*_NOT_HOLOMORPHIC)
    step = mpmath.mpf(10) ** (-(dps + 10))

    def lam_mu(v: Any) -> tuple[Any, Any]:
        lam_v = mpmath.mpmathify(fn(p0, v))
        if holomorphic:
            mu = mpmath.im(fn(mpmath.mpc(p0, step), v)) / step
        else:
            mu = mpmath.diff(lambda q: fn(q, v), p0)
        return mpmath.re(lam_v), mpmath.re(mu)

    return lam_mu


def oracle_gate_moments(gate: Gate, dps: int = 40) -> tuple[list[Any], Any]:
    """[E λ, E λ², E μ, E λμ, E μ²] and an error estimate (module docstring)."""
    if gate.selective:
        raise ValueError("the oracle needs a gate independent of the input (no x)")
    lam_mu = _derivative_fn(gate, dps)
    cache: dict[Any, tuple[Any, Any]] = {}
    half = truncation(dps)
    out, error = [], mpmath.mpf(0)
    with mpmath.workdps(dps + 15):
        norm = 1 / mpmath.sqrt(2 * mpmath.pi)

        def node(v: Any) -> tuple[Any, Any]:
            key = v
            if key not in cache:
                cache[key] = lam_mu(v)
            return cache[key]

        panels = [mpmath.mpf(a) for a in (*range(-half, half, PANEL), half)]
        shapes = (lambda a, b: a, lambda a, b: a * a, lambda a, b: b, lambda a, b: a * b,
                  lambda a, b: b * b)
        for shape in shapes:
            value, err = mpmath.quad(lambda v, s=shape: s(*node(v)) * mpmath.exp(-v * v / 2),
                                     panels, error=True)
            out.append(value * norm)
            error = max(error, abs(err) * norm)
    return out, error


def _entries(rho: Any, gamma: Any) -> list[list[dict[str, Any]]]:
    """A as linear forms in the random atoms {"1", "lam", "mu"}."""
    zero: dict[str, Any] = {}
    return [[{"1": rho}, zero, zero],
            [{"1": gamma}, {"lam": 1}, zero],
            [zero, {"mu": 1}, {"lam": 1}]]


def _expected_kron(moments: list[Any], rho: Any, gamma: Any) -> mpmath.matrix:
    """E[A ⊗ A] (row (i, j), column (k, l) = E[A_ik A_jl]; vec index 3i + j)."""
    a1, a2, b1, c, b2 = moments
    pair = {("1", "1"): 1, ("1", "lam"): a1, ("lam", "1"): a1, ("1", "mu"): b1,
            ("mu", "1"): b1, ("lam", "lam"): a2, ("lam", "mu"): c, ("mu", "lam"): c,
            ("mu", "mu"): b2}
    A = _entries(rho, gamma)
    M = mpmath.matrix(9, 9)
    for i in range(3):
        for j in range(3):
            for k in range(3):
                for m in range(3):
                    total = mpmath.mpf(0)
                    for x, cx in A[i][k].items():
                        for y, cy in A[j][m].items():
                            total += cx * cy * pair[(x, y)]
                    M[3 * i + j, 3 * k + m] = total
    return M


def _affine_power(M: mpmath.matrix, q: mpmath.matrix, t: int) -> tuple[mpmath.matrix, Any]:
    """(M^t, Σ_{j<t} M^j q) by binary doubling."""
    result_M = mpmath.eye(9)
    result_q = mpmath.matrix(9, 1)
    power_M, power_q = M, q  # the map applied 2^k times: v -> power_M v + power_q
    while t:
        if t & 1:
            result_M, result_q = power_M * result_M, power_M * result_q + power_q
        power_M, power_q = power_M * power_M, power_M * power_q + power_q
        t >>= 1
    return result_M, result_q


def _solve(moments: list[Any], rho: Any, gamma: Any, t: int | None) -> dict[str, Any]:
    M = _expected_kron(moments, rho, gamma)
    q = mpmath.matrix(9, 1)
    q[0] = 1 - rho * rho
    p0 = mpmath.matrix(9, 1)
    p0[0] = 1
    if t is not None:
        Mt, qt = _affine_power(M, q, t)
        vec = Mt * p0 + qt
    elif abs(rho) == 1:
        rest = list(range(1, 9))
        lhs = mpmath.matrix(8, 8)
        rhs = mpmath.matrix(8, 1)
        for r, i in enumerate(rest):
            rhs[r] = M[i, 0]
            for s, j in enumerate(rest):
                lhs[r, s] = (1 if i == j else 0) - M[i, j]
        sol = mpmath.lu_solve(lhs, rhs)
        vec = mpmath.matrix(9, 1)
        vec[0] = 1
        for r, i in enumerate(rest):
            vec[i] = sol[r]
    else:
        vec = mpmath.lu_solve(mpmath.eye(9) - M, q)
    return {"h2": vec[4], "dh2_dp": vec[8], "cov_hd": vec[5]}


def oracle_second_moments(gate: Gate, gamma: Any, rho: Any, *, t: int | None = None,
                          dps: int = 40) -> dict[str, Any]:
    """E h², E (d_p h)² (stationary, or at step ``t`` from h_0 = 0) by the covariance
    recursion, with the gate moments of :func:`oracle_gate_moments`; keys ``h2``,
    ``dh2_dp``, ``cov_hd`` (E[h d]), ``gate_moments``, ``error_bound`` (estimate)."""
    moments, quad_error = oracle_gate_moments(gate, dps)
    if t is None and not moments[1] < 1:
        raise ValueError(f"E λ² = {mpmath.nstr(moments[1], 10)} ≥ 1: the gate is not "
                         "mean-square stable, the stationary second moments are infinite")
    results = []
    for extra in (10, 30):
        with mpmath.workdps(dps + extra):
            results.append(_solve([mpmath.mpf(m) for m in moments], mpmath.mpmathify(rho),
                                  mpmath.mpmathify(gamma), t))
    out = results[1]
    with mpmath.workdps(dps + 10):
        solve_err = max(abs(results[1][k] - results[0][k]) for k in ("h2", "dh2_dp"))
        scale = max(abs(out["h2"]), abs(out["dh2_dp"]), 1)
        # first-order propagation of the gate-moment error through the solve
        bound = solve_err + quad_error * scale * 10
    return {**out, "gate_moments": moments, "error_bound": bound}
