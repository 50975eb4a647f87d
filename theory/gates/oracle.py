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

A complex gate (docs/theory.md §10.6): P_t = E[s_t s_t^H] and ``E[A_t ⊗ Ā_t]``, whose entries
take E λ̄, E μ̄, E[λ μ̄] = conj E[λ̄ μ] where the second factor is conjugated; E|h|², E|d|²
are the real diagonal entries.

The expectations of λ, λ², μ, λμ, μ² are computed here by their own route: the gate is
lambdified in (p, u); μ is the **numerical** derivative in p (complex step
``Im f(p + iε)/ε`` with ε = 10^(−dps) for real analytic expressions, :func:`mpmath.diff`
otherwise, complex gates included), never SymPy's derivative; the integrals over
u ~ N(0, 1) use tanh-sinh (:func:`mpmath.quad`) on panels of width 4 covering [−L, L] —
other nodes and another rule than the closed form's Gauss–Legendre.  ``error_bound`` is an
estimate: the quadrature's own estimate plus the difference of the linear solve at two
precisions.

**Any autocorrelation R(k)** (docs/theory.md §10.9; the input is then not a finite-state
Markov chain, so (x, h, d) has no closed covariance recursion).  The second moments H = E h²,
X = E hd, D = E d² still obey, since (λ_s, μ_s) is independent of (h_s, d_s, x_s),

    H' = a2 H + 2γ Re(a1 f) + γ² R(0),   X' = a2 X + c H + γ (a1 g + b1 f),
    D' = a2 D + 2 Re(c̄ X) + b2 H

(X = E[d h̄] for a complex gate; the Re and bars are no-ops for a real one), driven by the
cross moments f_s = E[h_s x_s], g_s = E[d_s x_s].  Those solve
E[h_{s+1} x_{s+1+j}] = a1 E[h_s x_{s+1+j}] + γ R(j+1) and the same for d with b1 E[h x]:
f_s = γ Σ_{n<s} a1^n R(n+1), g_s = γ b1 Σ_{n<s} n a1^(n−1) R(n+1), summed term by term
from R (with a proven tail bound, or Euler–Maclaurin when stationary near |a1| = 1; running
sums, O(t), at finite t).  Stationary: the fixed point of the 3×3 triangular system.  Nothing here
uses the generating functions or the lag weights of the closed form.
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy as sp
from rnnverify.theory.gates.gate import NOISE, Gate
from rnnverify.theory.gates.gate_moments import truncation
from rnnverify.theory.memory.autocorr import Autocorrelation

__all__ = ["MAX_LAG_SUM_T", "oracle_gate_moments", "oracle_second_moments"]

#: largest finite horizon of the running lag sums with a user R(k)
MAX_LAG_SUM_T = 100_000
#: most terms of a stationary lag sum summed directly (with the proven tail bound)
MAX_DIRECT_TERMS = 200_000

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
    # the complex step Im f(p + iε)/ε needs f real on the real axis: not for a complex gate
    holomorphic = not expr.has(*_NOT_HOLOMORPHIC) and not gate.is_complex
    step = mpmath.mpf(10) ** (-(dps + 10))

    def lam_mu(v: Any) -> tuple[Any, Any]:
        lam_v = mpmath.mpmathify(fn(p0, v))
        if holomorphic:
            mu = mpmath.im(fn(mpmath.mpc(p0, step), v)) / step
        else:
            mu = mpmath.diff(lambda q: fn(q, v), p0)
        if gate.is_complex:
            return mpmath.mpmathify(lam_v), mpmath.mpmathify(mu)
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
        conj = mpmath.conj
        shapes = (lambda a, b: a, lambda a, b: mpmath.re(a * conj(a)), lambda a, b: b,
                  lambda a, b: conj(a) * b, lambda a, b: mpmath.re(b * conj(b)))
        for shape in shapes:
            value, err = mpmath.quad(lambda v, s=shape: s(*node(v)) * mpmath.exp(-v * v / 2),
                                     panels, error=True)
            if isinstance(value, mpmath.mpc) and value.imag == 0:
                value = value.real
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
    """E[A ⊗ Ā] (row (i, j), column (k, l) = E[A_ik conj A_jl]; vec index 3i + j), so that
    P = E[s s^H] (a complex gate; for a real one Ā = A), c = E[λ̄ μ]."""
    a1, a2, b1, c, b2 = moments
    cj = mpmath.conj
    pair = {("1", "1"): 1, ("1", "lam"): cj(a1), ("lam", "1"): a1, ("1", "mu"): cj(b1),
            ("mu", "1"): b1, ("lam", "lam"): a2, ("lam", "mu"): cj(c), ("mu", "lam"): c,
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
    return {"h2": mpmath.re(vec[4]), "dh2_dp": mpmath.re(vec[8]), "cov_hd": vec[5]}


def _step_moments(moments: list[Any], gamma: Any, r0: Any, state: tuple[Any, Any, Any],
                  f: Any, g: Any) -> tuple[Any, Any, Any]:
    """(H, X, D) one step on, given the cross moments f = E[h x], g = E[d x]."""
    a1, a2, b1, c, b2 = moments
    big_h, big_x, big_d = state
    re = mpmath.re
    return (a2 * big_h + 2 * gamma * re(a1 * f) + gamma * gamma * r0,
            a2 * big_x + c * big_h + gamma * (a1 * g + b1 * f),
            a2 * big_d + 2 * re(mpmath.conj(c) * big_x) + b2 * big_h)


def _cross_sums(a1: Any, autocorr: Autocorrelation, dps: int) -> tuple[Any, Any, Any]:
    """S_f = Σ_{n≥0} a1^n R(n+1), S_g = Σ_{n≥0} (n+1) a1^n R(n+2) and an error bound.

    Term by term to the N where the tail bound (|R(k)| ≤ R(0) for any autocorrelation)
    T(N) = R(0) (N|a1|^(N−1)/(1−|a1|) + |a1|^N/(1−|a1|)²) is below 10^(−dps): a *proven*
    bound, used when N ≤ :data:`MAX_DIRECT_TERMS`.  Nearer |a1| = 1, :func:`mpmath.nsum`
    by Euler–Maclaurin, and its difference from Richardson/Shanks extrapolation as an
    *estimate* of the error."""
    lag = autocorr.lag_function()
    r0 = abs(lag(mpmath.mpf(0)))
    x = abs(a1)
    tol = mpmath.mpf(10) ** (-dps)

    def tail(n: int) -> Any:
        return r0 * (n * x ** (n - 1) / (1 - x) + x**n / (1 - x) ** 2)

    if x == 0:
        return lag(mpmath.mpf(1)), lag(mpmath.mpf(2)), mpmath.mpf(0)
    n_terms = max(2, int(mpmath.ceil((mpmath.log(tol) - mpmath.log(r0 + 1)
                                      + 2 * mpmath.log(1 - x)) / mpmath.log(x))))
    if n_terms <= MAX_DIRECT_TERMS:
        while tail(n_terms) > tol:
            n_terms += n_terms // 8 + 1
        r = [lag(mpmath.mpf(k)) for k in range(1, n_terms + 2)]   # r[k−1] = R(k)
        s_f = s_g = mpmath.mpf(0)
        power = mpmath.mpf(1)        # a1^n
        for n in range(n_terms):
            s_f += power * r[n]
            s_g += (n + 1) * power * r[n + 1]
            power *= a1
        return s_f, s_g, 2 * tail(n_terms)

    def term_f(n: Any) -> Any:
        return a1**n * lag(n + 1)

    def term_g(n: Any) -> Any:
        return (n + 1) * a1**n * lag(n + 2)

    sums = [(mpmath.nsum(term_f, [0, mpmath.inf], method=m),
             mpmath.nsum(term_g, [0, mpmath.inf], method=m))
            for m in ("euler-maclaurin", "richardson+shanks")]
    (s_f, s_g), other = sums
    return s_f, s_g, abs(s_f - other[0]) + abs(s_g - other[1])


def _solve_lag_sums(moments: list[Any], autocorr: Autocorrelation, gamma: Any, t: int | None
                    ) -> tuple[dict[str, Any], Any]:
    """The moment recursion driven by lag sums of R (module docstring); returns the values
    and the error estimate of the infinite sums (0 at finite t)."""
    a1, a2, b1, c, b2 = moments
    dps = mpmath.mp.dps
    lag = autocorr.lag_function()
    r0 = lag(mpmath.mpf(0))
    state = (mpmath.mpf(0),) * 3
    if t is not None:
        f = g = mpmath.mpf(0)
        a1_pow, a1_pow_prev = mpmath.mpf(1), mpmath.mpf(0)   # a1^s, a1^(s−1)
        for s in range(t):
            state = _step_moments(moments, gamma, r0, state, f, g)
            r_next = lag(mpmath.mpf(s + 1))
            f += gamma * a1_pow * r_next
            g += gamma * b1 * s * a1_pow_prev * r_next
            a1_pow_prev, a1_pow = a1_pow, a1_pow * a1
        err = mpmath.mpf(0)
    else:
        f_sum, g_sum, err = _cross_sums(a1, autocorr, dps)
        f, g = gamma * f_sum, gamma * b1 * g_sum
        big_h = (2 * gamma * mpmath.re(a1 * f) + gamma * gamma * r0) / (1 - a2)
        big_x = (c * big_h + gamma * (a1 * g + b1 * f)) / (1 - a2)
        big_d = (2 * mpmath.re(mpmath.conj(c) * big_x) + b2 * big_h) / (1 - a2)
        state = (big_h, big_x, big_d)
        err = err * max(1, abs(gamma)) ** 2 * max(1, abs(b1)) * 10 / (1 - a2) ** 3
    big_h, big_x, big_d = state
    return {"h2": big_h, "dh2_dp": big_d, "cov_hd": big_x}, err


def oracle_second_moments(gate: Gate, gamma: Any, rho: Any = None, *, t: int | None = None,
                          dps: int = 40, autocorr: Autocorrelation | None = None
                          ) -> dict[str, Any]:
    """E h², E (d_p h)² (stationary, or at step ``t`` from h_0 = 0) by the covariance
    recursion (R = ρ^|k|) or the lag-sum moment recursion (a user ``autocorr``, ``rho``
    None), with the gate moments of :func:`oracle_gate_moments`; keys ``h2``, ``dh2_dp``,
    ``cov_hd`` (E[h d]), ``gate_moments``, ``error_bound`` (estimate)."""
    if autocorr is not None:
        if rho is not None:
            raise ValueError("give rho or autocorr, not both")
        if t is not None and t > MAX_LAG_SUM_T:
            raise ValueError(f"t must be at most {MAX_LAG_SUM_T} for the lag-sum oracle, "
                             f"got {t}")
    moments, quad_error = oracle_gate_moments(gate, dps)
    if t is None and not moments[1] < 1:
        raise ValueError(f"E λ² = {mpmath.nstr(moments[1], 10)} ≥ 1: the gate is not "
                         "mean-square stable, the stationary second moments are infinite")
    results, sum_err = [], mpmath.mpf(0)
    for extra in (10, 30):
        with mpmath.workdps(dps + extra):
            args = ([+mpmath.mpmathify(m) for m in moments], mpmath.mpmathify(gamma))
            if autocorr is None:
                results.append(_solve(args[0], mpmath.mpmathify(rho), args[1], t))
            else:
                values, sum_err = _solve_lag_sums(args[0], autocorr, args[1], t)
                results.append(values)
    out = results[1]
    with mpmath.workdps(dps + 10):
        solve_err = max(abs(results[1][k] - results[0][k]) for k in ("h2", "dh2_dp"))
        scale = max(abs(out["h2"]), abs(out["dh2_dp"]), 1)
        # first-order propagation of the gate-moment error through the solve
        bound = solve_err + quad_error * scale * 10 + sum_err * scale
    return {**out, "gate_moments": moments, "error_bound": bound}
