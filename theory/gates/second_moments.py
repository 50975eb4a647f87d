"""E h² and E (d_p h)² of h_{t+1} = λ_t h_t + γ x_t with a random gate (docs/theory.md §10.2).

Setting: λ_t = f(p, u_t), u_t i.i.d. N(0, 1) independent of the input x (real, zero mean,
R(k) = ρ^|k|), h_0 = 0, d_t = ∂_p h_t, d_{t+1} = λ_t d_t + μ_t h_t with μ_t = ∂_pλ_t, γ fixed.
Unrolled, with Λ_n = λ_{t−1} ⋯ λ_{t−n} (Λ_0 = 1),

    h_t = γ Σ_{n<t} Λ_n x_{t−1−n},     d_t = γ Σ_{n<t} (∂_pΛ_n) x_{t−1−n},
    ∂_pΛ_n = Σ_{j=1}^{n} μ_{t−j} Π_{i≠j} λ_{t−i}.

Since the gates are independent of x, ``E h_t² = γ² Σ_{n,m} E[Λ_nΛ_m] R(n−m)`` and the same
with ∂_pΛ.  For n = m + Δ (Δ ≥ 0) the indices i ≤ m appear in both products and
m < i ≤ n in one, so with the gate moments a1 = Eλ, a2 = Eλ², b1 = Eμ, c = Eλμ, b2 = Eμ²
(:mod:`theory.gates.gate_moments`):

    E[Λ_n Λ_m]   = a2^m a1^Δ
    E[∂Λ_n ∂Λ_m] = m b2 a2^{m−1} a1^Δ           (j = k ≤ m)
                 + m(m−1) c² a2^{m−2} a1^Δ      (j ≠ k, both ≤ m)
                 + Δ m c b1 a2^{m−1} a1^{Δ−1}   (k ≤ m < j ≤ n)

(:func:`pair_expectation`).  Summing m over [0, t−Δ) gives the weight W_t(Δ) of R(Δ),
and ``E = γ² (W(0) R(0) + 2 Σ_{Δ≥1} W(Δ) R(Δ))``.  Stationary (t → ∞, needs a2 < 1:
mean-square stability; then |ρ a1| ≤ |a1| ≤ sqrt(a2) < 1), SymPy sums the series
(:func:`stationary_expr`); for R = ρ^|k|

    E h²       = γ² (1 + ρ a1) / ((1 − a2)(1 − ρ a1))
    E (d_p h)² = γ² [ (b2/(1−a2)² + 2c²/(1−a2)³) (1 + ρ a1)/(1 − ρ a1)
                      + 2 ρ c b1 / ((1−a2)² (1 − ρ a1)²) ].

A constant gate (a1 = λ, a2 = λ², b1 = λ', c = λλ', b2 = λ'²) gives λ'² times the
moments of Lemmas 1–2 (Zucchet & Orvieto 2024, §2.2; docs/theory.md §3.2).  Finite t
(:func:`finite_values`) sums the exact finite weights in O(t).

Any autocorrelation (docs/theory.md §10.9).  The stationary weights are
W(Δ) = K1 a1^Δ + K2 Δ a1^(Δ−1) (:func:`lag_weight_coefficients`; K2 = 0 for h²), so with the
generating functions G(α) = Σ_{k≥1} α^k R(k) and G'(α) of :mod:`theory.memory.autocorr`

    E = γ² [ K1 (R(0) + 2 G(a1)) + 2 K2 G'(a1) ],
    K1 = 1/(1−a2) (h²),  K1 = b2/(1−a2)² + 2c²/(1−a2)³, K2 = c b1/(1−a2)² (d_p h)².

R = ρ^|k| gives back the forms above (G = ρa1/(1−ρa1)).  Long-memory R (R(k) ~ k^(−α),
not summable for α ≤ 1) is covered as long as a2 < 1: |a1| < 1 makes G converge.

Complex gates (docs/theory.md §10.6), E|h|² and E|d_p h|²: with a2 = E|λ|², c = E[λ̄μ],
b2 = E|μ|², the lags Δ < 0 are the conjugates of Δ > 0 and the three pair terms carry
|c|² and c̄ b1 in place of c² and c b1, so

    E = γ² [ K1 (R(0) + 2 Re G(a1)) + 2 Re(K2 G'(a1)) ],  K1 ∋ 2|c|²/(1−a2)³, K2 = c̄ b1/(1−a2)².
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

import mpmath
import sympy as sp
from rnnverify.theory.gates.gate_moments import GateMoments
from rnnverify.theory.memory.autocorr import Autocorrelation, sum_closed_form

__all__ = ["MAX_FINITE_T", "MAX_FINITE_T_AUTOCORR", "a1", "a2", "b1", "b2", "c", "finite_values",
           "complex_stationary_expr", "is_complex_moments", "lag_weight_coefficients",
           "pair_expectation", "stationary_expr",
           "stationary_values"]

a1, a2, b1, c, b2 = sp.symbols("a1 a2 b1 c b2", real=True)
gamma_s, rho_s = sp.symbols("gamma rho", real=True)
_m, _delta = sp.symbols("m Delta", integer=True, nonnegative=True)

#: largest horizon of the O(t) finite-t sum
MAX_FINITE_T = 1_000_000
#: largest horizon with a user R(k) (t evaluations of R at 50 digits, about 20 µs each)
MAX_FINITE_T_AUTOCORR = 100_000


def pair_expectation(quantity: str, m: Any, delta: Any) -> sp.Expr:
    """E[Λ_{m+Δ} Λ_m] (``"h2"``) or E[∂Λ_{m+Δ} ∂Λ_m] (``"dh2_dp"``), by counting which
    factors the two products share (module docstring)."""
    if quantity == "h2":
        return a2**m * a1**delta
    if quantity == "dh2_dp":
        return (m * b2 * a2 ** (m - 1) * a1**delta
                + m * (m - 1) * c**2 * a2 ** (m - 2) * a1**delta
                + delta * m * c * b1 * a2 ** (m - 1) * a1 ** (delta - 1))
    raise ValueError(f"quantity must be 'h2' or 'dh2_dp', got {quantity!r}")


@cache
def stationary_expr(quantity: str) -> sp.Expr:
    """The stationary moment in a1, a2, b1, c, b2, ``gamma``, ``rho`` (R = ρ^|k|), summed by
    SymPy from :func:`pair_expectation` (|a2| < 1, |ρ a1| < 1)."""
    weight = sum_closed_form(sp.expand(pair_expectation(quantity, _m, _delta)), _m, 0, sp.oo)
    lag_sum = sum_closed_form(sp.expand(weight * rho_s**_delta), _delta, 1, sp.oo)
    if weight.has(sp.Sum) or lag_sum.has(sp.Sum):  # pragma: no cover - geometric series
        raise RuntimeError("SymPy left a sum unevaluated")
    total = gamma_s**2 * (weight.subs(_delta, 0) + 2 * lag_sum)
    return sp.factor(sp.cancel(sp.together(total)))


@cache
def lag_weight_coefficients(quantity: str) -> tuple[sp.Expr, sp.Expr]:
    """(K1, K2) in a1, a2, b1, c, b2 with the stationary lag weight
    W(Δ) = Σ_{m≥0} E[pair(m, Δ)] = K1 a1^Δ + K2 Δ a1^(Δ−1), summed by SymPy from
    :func:`pair_expectation` (|a2| < 1)."""
    weight = sum_closed_form(sp.expand(pair_expectation(quantity, _m, _delta)), _m, 0, sp.oo)
    if weight.has(sp.Sum):  # pragma: no cover - geometric series
        raise RuntimeError("SymPy left a sum unevaluated")
    # divide every term by a1^Δ: each carries one power a1^(Δ + j)
    per_power = sp.expand(weight).replace(
        lambda e: e.is_Pow and e.base == a1 and e.exp.has(_delta),
        lambda e: a1 ** e.exp.subs(_delta, 0))
    poly = sp.Poly(per_power, _delta)
    if poly.degree() > 1:  # pragma: no cover - the pair expectations are linear in Δ
        raise RuntimeError(f"lag weight of {quantity} is not linear in Δ: {per_power}")
    k1 = sp.factor(sp.cancel(poly.coeff_monomial(1)))
    k2 = sp.factor(sp.cancel(poly.coeff_monomial(_delta) * a1))
    return k1, k2


#: the conjugates of a1, b1, c as independent symbols (complex gates)
a1c, b1c, cc = sp.symbols("a1c b1c cc")


@cache
def complex_stationary_expr(quantity: str) -> sp.Expr:
    """E|h|² or E|d_p h|² of a complex gate, R = ρ^|k| (module docstring), in a1, a2, b1, c,
    b2, ``gamma``, ``rho`` and the conjugates ``a1c``, ``b1c``, ``cc`` as their own symbols:
    γ²[K1 (1 + G(a1) + G(ā1)) + K2 G'(a1) + K̄2 G'(ā1)], G(α) = ρα/(1−ρα), with K1 holding
    c c̄ in place of c² and K2 = c̄ b1/(1−a2)²."""
    k1, k2 = lag_weight_coefficients(quantity)
    k1 = k1.subs(c**2, c * cc)
    k2_bar = k2.subs({b1: b1c})
    k2 = k2.subs(c, cc)

    def big_g(x: sp.Expr) -> sp.Expr:
        return rho_s * x / (1 - rho_s * x)

    def big_gp(x: sp.Expr) -> sp.Expr:
        return rho_s / (1 - rho_s * x) ** 2

    return gamma_s**2 * (k1 * (1 + big_g(a1) + big_g(a1c)) + k2 * big_gp(a1)
                         + k2_bar * big_gp(a1c))


@lru_cache(maxsize=8)
def _weight_fn(quantity: str):
    return sp.lambdify((a1, a2, b1, c, b2), lag_weight_coefficients(quantity), modules="mpmath")


def _moment_args(moments: GateMoments) -> tuple[Any, ...]:
    return tuple(mpmath.mpmathify(v) for v in
                 (moments.a1, moments.a2, moments.b1, moments.c, moments.b2))


def _user_autocorr(autocorr: Autocorrelation | None, rho: Any) -> bool:
    """Whether ``autocorr`` is a user R(k) (not ρ^|k|); refuses both or a symbolic ρ."""
    if autocorr is None:
        return False
    if not isinstance(autocorr, Autocorrelation):
        raise TypeError(f"autocorr must be an Autocorrelation, got {type(autocorr).__name__}")
    if rho is not None:
        raise ValueError("give rho or autocorr, not both")
    if autocorr.has_rho:
        raise ValueError("autocorr may not contain the symbol rho here: give its value")
    return True


def is_complex_moments(moments: GateMoments) -> bool:
    """Whether the gate moments are those of a complex gate (a1, b1 or c not real)."""
    return any(isinstance(v, mpmath.mpc) and v.imag != 0
               for v in (moments.a1, moments.b1, moments.c))


def _lag_formula(args: tuple[Any, ...], gamma: Any, r0: Any, big_g: Any, big_gp: Any
                 ) -> dict[str, Any]:
    """γ² [K1 (R(0) + 2 Re G) + 2 Re(K2 G')], K1 at |c| (it holds c²) and K2 at c̄ (it holds
    c b1): the real formula when every argument is real (module docstring)."""
    a_1, a_2, b_1, c_, b_2 = args
    out = {}
    for q in ("h2", "dh2_dp"):
        k1, _ = _weight_fn(q)(a_1, a_2, b_1, abs(c_), b_2)
        _, k2 = _weight_fn(q)(a_1, a_2, b_1, mpmath.conj(c_), b_2)
        value = gamma * gamma * (k1 * (r0 + 2 * mpmath.re(big_g)) + 2 * mpmath.re(k2 * big_gp))
        out[q] = +mpmath.re(value)
    return out


def _stationary_autocorr(moments: GateMoments, gamma: Any, autocorr: Autocorrelation | None,
                         dps: int, rho: Any = None) -> dict[str, Any]:
    """E = γ² [K1 (R(0) + 2 Re G(a1)) + 2 Re(K2 G'(a1))] (module docstring), with G of the
    user ``autocorr`` or, if None, of ρ^|k|: G = ρα/(1−ρα), G' = ρ/(1−ρα)²."""
    work = dps + 10
    with mpmath.workdps(work):
        args = _moment_args(moments)
        g = mpmath.mpmathify(gamma)
        if autocorr is None:
            r = mpmath.mpmathify(rho)
            r0, big_g, big_gp = (mpmath.mpf(1), r * args[0] / (1 - r * args[0]),
                                 r / (1 - r * args[0]) ** 2)
        else:
            r0 = autocorr.evaluate(0, work)
            big_g = autocorr.generating_function()(args[0], dps=work)
            big_gp = autocorr.derivative_generating_function()(args[0], dps=work)
            if not is_complex_moments(moments):
                big_g, big_gp = mpmath.re(big_g), mpmath.re(big_gp)
        return _lag_formula(args, g, r0, big_g, big_gp)


@lru_cache(maxsize=8)
def _stationary_fn(quantity: str):
    return sp.lambdify((a1, a2, b1, c, b2, gamma_s, rho_s), stationary_expr(quantity),
                       modules="mpmath")


def check_stable(moments: GateMoments) -> None:
    """Refuse a2 = E λ² ≥ 1: the stationary second moments are infinite."""
    if not moments.a2 < 1:
        raise ValueError(f"E λ² = {mpmath.nstr(moments.a2, 10)} ≥ 1: the gate is not "
                         "mean-square stable, the stationary second moments are infinite "
                         "(give a finite t)")


def stationary_values(moments: GateMoments, gamma: Any, rho: Any = None, dps: int = 50, *,
                      autocorr: Autocorrelation | None = None) -> dict[str, Any]:
    """{"h2", "dh2_dp"} stationary at ``dps`` digits (refuses a2 ≥ 1), for R = ρ^|k| or a
    user ``autocorr`` (then ``rho`` is None)."""
    user = _user_autocorr(autocorr, rho)
    check_stable(moments)
    if user:
        return _stationary_autocorr(moments, gamma, autocorr, dps)
    if is_complex_moments(moments):
        return _stationary_autocorr(moments, gamma, None, dps, rho=rho)
    with mpmath.workdps(dps + 10):
        args = (moments.a1, moments.a2, moments.b1, moments.c, moments.b2,
                mpmath.mpmathify(gamma), mpmath.mpmathify(rho))
        return {q: mpmath.mpf(_stationary_fn(q)(*args)) for q in ("h2", "dh2_dp")}


def finite_values(moments: GateMoments, gamma: Any, rho: Any, t: int, dps: int = 50, *,
                  autocorr: Autocorrelation | None = None) -> dict[str, Any]:
    """{"h2", "dh2_dp"} at step t from h_0 = 0: the finite weights
    W_t(Δ) = Σ_{m < t−Δ} E[pair(m, Δ)] with running partial sums, O(t) work; lag Δ is
    weighted by R(Δ): ρ^Δ, or the user's ``autocorr`` (then ``rho`` is None)."""
    user = _user_autocorr(autocorr, rho)
    cap = MAX_FINITE_T_AUTOCORR if user else MAX_FINITE_T
    if not 1 <= t <= cap:
        raise ValueError(f"t must lie in [1, {cap}] for the finite-t sum, got {t}")
    work = dps + 10 + len(str(t))
    with mpmath.workdps(work):
        A1, A2, B1, C, B2 = _moment_args(moments)
        g = mpmath.mpmathify(gamma)
        if user:
            fn = autocorr.lag_function()
            r0 = fn(mpmath.mpf(0))

            def lag(delta: int) -> Any:
                return fn(mpmath.mpf(delta))
        else:
            r0, r = mpmath.mpf(1), mpmath.mpmathify(rho)

            def lag(delta: int) -> Any:
                return r**delta
        # partial sums over m < M of a2^m, m a2^(m−1), m(m−1) a2^(m−2), M = t − Δ
        s0 = s1 = s2 = mpmath.mpf(0)
        weights_h, weights_d = [mpmath.mpf(0)] * t, [mpmath.mpf(0)] * t
        a2_m = mpmath.mpf(1)      # a2^(M−1) for the newest m = M − 1
        a2_m1 = mpmath.mpf(0)     # a2^(M−2)
        a2_m2 = mpmath.mpf(0)     # a2^(M−3)
        for big_m in range(1, t + 1):
            m = big_m - 1
            s0 += a2_m
            s1 += m * a2_m1
            s2 += m * (m - 1) * a2_m2
            delta = t - big_m
            weights_h[delta] = s0
            weights_d[delta] = (B2 * s1 + abs(C) ** 2 * s2, mpmath.conj(C) * B1 * s1)
            a2_m2, a2_m1, a2_m = a2_m1, a2_m, a2_m * A2
        h2 = r0 * weights_h[0]
        d_first, _ = weights_d[0]
        dh2 = r0 * d_first
        a1_pow = mpmath.mpf(1)   # a1^(Δ−1)
        lag_h = lag_d = mpmath.mpf(0)  # Σ_{Δ≥1}: the lags Δ < 0 are their conjugates
        for delta in range(1, t):
            r_pow = lag(delta)
            wd1, wd2 = weights_d[delta]
            lag_h += r_pow * a1_pow * A1 * weights_h[delta]
            lag_d += r_pow * (a1_pow * A1 * wd1 + delta * a1_pow * wd2)
            a1_pow *= A1
        h2 += 2 * mpmath.re(lag_h)
        dh2 += 2 * mpmath.re(lag_d)
        return {"h2": +mpmath.re(g * g * h2), "dh2_dp": +mpmath.re(g * g * dh2)}
