"""The one-dimensional teacher–student task (Zucchet & Orvieto 2024, §4.1, Fig. 1B/C).

Teacher h*_{t+1} = λ* h*_t + x_t (λ* real), student h_{t+1} = λ h_t + x_t
(λ = ν e^{iθ}), inputs i.i.d. with mean μ and variance σ², so
R(k) = E[x_s x_{s+k}] = σ² [k = 0] + μ².  The stationary loss

    L(λ, λ*) = ½ E|h_t − h*_t|² = ½ [F(λ, λ̄) + F(λ*, λ*) − 2 Re F(λ, λ*)]

with F(α, β) = E[h(α) conj h(conj β)] given by Lemma 1; this is derived here
(:func:`loss_expr`) and compared with the code's closed form
(:func:`published_loss`, docs/theory.md §5):

    L = ½ [μ² |1/(1−λ) − 1/(1−λ*)|² + σ² (1/(1−|λ|²) + 1/(1−λ*²) − 2 Re 1/(1−λλ*))].

At the optimum λ = λ* the residual vanishes, so the Hessian is the
Gauss–Newton term: ∂²_λ L = E[(d_λ h)²] and ∂²_θ L = E|d_θ h|² (the moments of
:mod:`theory.memory.moments`), e.g. (1+λ*²)/(1−λ*²)³ and ν²(1+ν²)/(1−ν²)³ for μ = 0,
σ = 1.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

import mpmath
import sympy as sp
from rnnverify.theory.memory import lemmas
from rnnverify.theory.memory.autocorr import Autocorrelation
from rnnverify.theory.symbols import k, lam, theta

lam_star = sp.Symbol("lam_star", real=True)
mu = sp.Symbol("mu", real=True)
sigma = sp.Symbol("sigma", positive=True)

#: λ* values of Fig. 1 (1 − {0.64, ..., 0.01})
FIG1_TEACHERS: tuple[str, ...] = ("0.36", "0.68", "0.84", "0.92", "0.96", "0.98", "0.99")


def input_autocorrelation() -> Autocorrelation:
    """R(k) = σ² 0^k + μ² (i.i.d. inputs with mean μ, variance σ²)."""
    return Autocorrelation(sigma**2 * sp.Integer(0) ** k + mu**2, "sigma**2*[k=0] + mu**2")


def _F(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """Σ_{n,m} a^n b^m R(n − m) by Lemma 1 with this input's generating function."""
    ac = input_autocorrelation()
    s = sp.Symbol("s_")
    G = ac.generating_function(s).expr
    return lemmas.lemma1_rhs(a, b, ac.expr.subs(k, 0), G.subs(s, a), G.subs(s, b))


@cache
def loss_expr(complex_student: bool = True) -> sp.Expr:
    """L(λ, λ*) derived from Lemma 1; λ = lam·e^{i·theta} (or λ = lam when real)."""
    lam_c = lam * sp.exp(sp.I * theta) if complex_student else lam
    lam_cb = lam * sp.exp(-sp.I * theta) if complex_student else lam
    cross = _F(lam_c, lam_star)
    cross_conj = _F(lam_cb, lam_star)
    return sp.Rational(1, 2) * (_F(lam_c, lam_cb) + _F(lam_star, lam_star)
                                - (cross + cross_conj))


def published_loss(complex_student: bool = True) -> sp.Expr:
    """The code's closed form (1D-case.ipynb ``loss``; docs/theory.md §5)."""
    lam_c = lam * sp.exp(sp.I * theta) if complex_student else lam
    lam_cb = lam * sp.exp(-sp.I * theta) if complex_student else lam
    diff = 1 / (1 - lam_c) - 1 / (1 - lam_star)
    diff_c = 1 / (1 - lam_cb) - 1 / (1 - lam_star)
    re_part = (1 / (1 - lam_c * lam_star) + 1 / (1 - lam_cb * lam_star)) / 2
    return sp.Rational(1, 2) * (mu**2 * diff * diff_c + sigma**2 * (
        1 / (1 - lam**2) + 1 / (1 - lam_star**2) - 2 * re_part))


@cache
def hessian_at_optimum(direction: Literal["lam", "theta"] = "lam") -> sp.Expr:
    """∂²L along λ (real axis) or θ (circle of radius λ*) at the optimum, in lam_star, mu, sigma."""
    if direction == "lam":
        e = sp.diff(loss_expr(False), lam, 2).subs(lam, lam_star)
    elif direction == "theta":
        e = sp.diff(loss_expr(True), theta, 2).subs({theta: 0, lam: lam_star})
    else:
        raise ValueError(f"direction must be 'lam' or 'theta', got {direction!r}")
    return sp.factor(sp.simplify(e))


def hessian_value(lam_star_value: Any, direction: Literal["lam", "theta"] = "lam", *,
                  mu_value: Any = 0, sigma_value: Any = 1, dps: int = 50) -> Any:
    """Numeric :func:`hessian_at_optimum` (mpmath, ``dps`` digits); |λ*| < 1, σ > 0."""
    for name, v in (("lam_star", lam_star_value), ("mu", mu_value), ("sigma", sigma_value)):
        if isinstance(v, bool) or not isinstance(v, (int, float, mpmath.mpf, str)):
            raise TypeError(f"{name} must be a real number")
    with mpmath.workdps(dps):
        ls, m, s = (mpmath.mpf(v) for v in (lam_star_value, mu_value, sigma_value))
        if not (mpmath.isfinite(ls) and -1 < ls < 1):
            raise ValueError(f"lam_star must satisfy |lam_star| < 1, got {lam_star_value}")
        if not (mpmath.isfinite(s) and s > 0 and mpmath.isfinite(m)):
            raise ValueError("sigma must be positive and mu finite")
        fn = sp.lambdify((lam_star, mu, sigma), hessian_at_optimum(direction), "mpmath")
        return fn(ls, m, s)
