"""Second moments of a linear diagonal recurrence and of its λ-sensitivity.

Model (docs/theory.md §1): h_0 = 0, h_{t+1} = λ h_t + γ x_t with a real,
zero-mean, wide-sense-stationary input of autocorrelation R(k).  Then

    h_t = γ Σ_{n=0}^{t−1} λ^n x_{t−1−n},    d_λ h_t = γ Σ_{n=0}^{t−1} n λ^{n−1} x_{t−1−n}

(holomorphic derivative for complex λ = ν e^{iθ}; d_θ h = iλ d_λ h).  Hence,
with α = λ and β = conj(λ') and F(α, β) = Σ_{n,m} α^n β^m R(n − m):

    E[h(λ) conj h(λ')]          = γγ' F                      (Lemma 1)
    E[d_λh(λ) conj d_λh(λ')]    = γγ' ∂_α∂_β F               (Lemma 2)
    E|d_θ h|^2                  = |λ|^2 E|d_λ h|^2
    γ = γ(λ) differentiated (real λ, ``gamma_coupled``):
    E[(d_λ(γ h̃))^2] = γ'^2 F + 2 γ γ' ∂_β F + γ^2 ∂_α∂_β F.

Stationary (t → ∞) values use Lemmas 1–2 of Zucchet & Orvieto (2024)
(:mod:`theory.memory.lemmas`); finite t uses their finite-horizon versions.  Nothing
here is typed in from the paper: :func:`published_forms` holds the paper's /
code's closed forms (docs/theory.md §3.2, §3.4) only so that tests can
compare them with :func:`moment_expr`.

Numerical evaluation (:func:`moments`) plugs the values of the generating
functions G, G' of R (closed form lambdified to mpmath, or ``mpmath.nsum``)
into the lemma formulas at ``dps`` ≥ 50 digits, so λ = 1 − 1e−8 loses no
accuracy; finite t sums the single-index finite lemma exactly (O(t) terms).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any, Literal, get_args

import mpmath
import sympy as sp
from rnnverify.theory.memory import lemmas
from rnnverify.theory.memory.autocorr import (
    Autocorrelation,
    _lambdified_R,
    ar1,
    as_autocorrelation,
    sum_closed_form,
)
from rnnverify.theory.memory.finite_horizon import doubling_steps, finite_brackets, recurrence
from rnnverify.theory.parser import parse_expression, parse_real
from rnnverify.theory.symbols import k, lam, lam2, rho, t, theta, theta2  # theta2: angle of lam2

Quantity = Literal["h2", "dh2_dlam", "dh2_dtheta", "cross_h", "cross_dh"]
FiniteMethod = Literal["auto", "doubling", "sum"]
FINITE_METHODS: tuple[str, ...] = get_args(FiniteMethod)
QUANTITIES: tuple[str, ...] = get_args(Quantity)
_ONE = sp.Integer(1)

# placeholders of the lemma templates: α, β, R(0), G(α), G(β), G'(α), G'(β);
# finite horizon: the bracket X_T and its partial derivatives; γ's at both sides
_a, _b = sp.symbols("a b")
_R0, _Ga, _Gb, _Gpa, _Gpb = sp.symbols("R0 Ga Gb Gpa Gpb")
_X, _Xa, _Xb, _Xab = sp.symbols("X Xa Xb Xab")
_ga, _gb, _gpa, _gpb = sp.symbols("ga gb gpa gpb")
_PLACEHOLDERS = (_a, _b, _R0, _Ga, _Gb, _Gpa, _Gpb, _X, _Xa, _Xb, _Xab, _ga, _gb, _gpa, _gpb)


# --------------------------------------------------------------------------------------
# Templates: the lemmas with placeholders
# --------------------------------------------------------------------------------------
@cache
def _F_stationary() -> tuple[sp.Expr, sp.Expr, sp.Expr, sp.Expr]:
    """F, ∂_αF, ∂_βF, ∂_α∂_βF from Lemma 1, its β/α-derivatives, and Lemma 2."""
    F = lemmas.lemma1_rhs(_a, _b, _R0, _Ga, _Gb)
    Fb = lemmas.lemma1_dbeta_rhs(_a, _b, _R0, _Ga, _Gb, _Gpb)
    Fa = lemmas.lemma1_dbeta_rhs(_b, _a, _R0, _Gb, _Ga, _Gpa)  # symmetric R: swap roles
    Fab = lemmas.lemma2_rhs(_a, _b, _R0, _Ga, _Gb, _a * _Gpa, _b * _Gpb)
    return F, Fa, Fb, Fab


@cache
def _F_finite() -> tuple[sp.Expr, sp.Expr, sp.Expr, sp.Expr]:
    """F_T = X_T/(1 − αβ) (finite Lemma 1) and its derivatives (finite Lemma 2)."""
    Xf = sp.Function("Xf")(_a, _b)
    F = Xf / (1 - _a * _b)
    derivs = [F, sp.diff(F, _a), sp.diff(F, _b), sp.diff(F, _a, _b)]
    repl = {
        sp.Derivative(Xf, _a, _b): _Xab,
        sp.Derivative(Xf, _a): _Xa,
        sp.Derivative(Xf, _b): _Xb,
    }
    out = []
    for d in derivs:
        for old, new in repl.items():
            d = d.subs(old, new)
        out.append(d.subs(Xf, _X))
    return tuple(out)  # type: ignore[return-value]


def _template(kind: str, finite: bool) -> sp.Expr:
    """Moment in placeholders; ``kind`` ∈ {"h", "dh", "dtheta"}."""
    F, Fa, Fb, Fab = _F_finite() if finite else _F_stationary()
    if kind == "h":
        return _ga * _gb * F
    if kind == "dh":
        return _gpa * _gpb * F + _gpa * _gb * Fb + _ga * _gpb * Fa + _ga * _gb * Fab
    if kind == "dtheta":  # d_θ h = iλ d_λ h on both sides: (iα)(−i β) = αβ
        return _a * _b * _ga * _gb * Fab
    raise ValueError(f"unknown template kind {kind!r}")


_KIND = {"h2": "h", "dh2_dlam": "dh", "dh2_dtheta": "dtheta", "cross_h": "h", "cross_dh": "dh"}


# --------------------------------------------------------------------------------------
# γ handling
# --------------------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _parse_gamma(text: str) -> sp.Expr:
    return parse_expression(text, allowed=("lam",))


def gamma_expression(gamma: Any, *, name: str = "gamma") -> sp.Expr:
    """γ as a SymPy expression in ``lam`` — the one γ specification of every route.

    ``gamma``: ``None`` (γ = 1), expression text (whitelist parser), a SymPy expression or
    a finite number; ``lam`` stands for the modulus |λ| (docs/theory.md §1).  Errors
    (ValueError/TypeError) name the argument as ``name``.
    """
    if gamma is None:
        return sp.Integer(1)
    if isinstance(gamma, str):
        try:
            expr = _parse_gamma(gamma)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    elif isinstance(gamma, sp.Basic):
        expr = gamma
    elif isinstance(gamma, (int, float)) and not isinstance(gamma, bool):
        if not math.isfinite(gamma):
            raise ValueError(f"{name} must be finite, got {gamma!r}")
        expr = sp.nsimplify(gamma) if isinstance(gamma, int) else sp.Rational(gamma)
    else:
        raise TypeError(f"{name} must be an expression in lam or a number, "
                        f"got {type(gamma).__name__}")
    if not isinstance(expr, sp.Expr):
        raise ValueError(f"{name} must be an expression, got {gamma!r}")
    extra = expr.free_symbols - {lam}
    if extra:
        names = ", ".join(sorted(str(s) for s in extra))
        raise ValueError(f"{name} may only use lam, found {names}")
    return expr


# --------------------------------------------------------------------------------------
# Symbolic moments
# --------------------------------------------------------------------------------------
def moment_expr(
    quantity: Quantity,
    autocorr: Autocorrelation | float | str | None = None,
    *,
    complex_lambda: bool = False,
    gamma: Any = _ONE,
    gamma_coupled: bool = False,
    finite_t: bool = False,
) -> sp.Expr:
    """The derived moment as a SymPy expression.

    ``quantity``: ``"h2"`` E|h_t|², ``"dh2_dlam"`` E|d_λ h_t|², ``"dh2_dtheta"``
    E|d_θ h_t|² (complex only), ``"cross_h"`` E[h(λ) conj h(λ2)], ``"cross_dh"``
    E[d_λh(λ) conj d_λh(λ2)].  Symbols: ``lam`` (ν = |λ| when ``complex_lambda``,
    λ = lam·e^{i·theta}), ``lam2`` (λ2 = lam2, or lam2·e^{i·theta2} when complex,
    :data:`theta2`), ``rho`` (if R contains it), ``t`` (when ``finite_t``: the
    value at step t with h_0 = 0; otherwise stationary).  ``gamma`` is an
    expression in ``lam`` (the modulus for complex λ), held constant when
    differentiating unless ``gamma_coupled`` (real λ only).  Default
    autocorrelation: ρ^|k| with symbolic ρ.  Complex results are real-valued but
    written with exp(±i·theta).
    """
    if quantity not in QUANTITIES:
        raise ValueError(f"quantity must be one of {', '.join(QUANTITIES)}, got {quantity!r}")
    ac = ar1() if autocorr is None else as_autocorrelation(autocorr)
    g = gamma_expression(gamma)
    _check_flags(quantity, complex_lambda, gamma_coupled)
    return _moment_expr_cached(quantity, ac.expr, bool(complex_lambda), g,
                               bool(gamma_coupled), bool(finite_t))


def _check_flags(quantity: str, complex_lambda: bool, gamma_coupled: bool) -> None:
    if gamma_coupled and complex_lambda:
        raise ValueError("gamma_coupled is only defined for real lambda (theta not given)")
    if quantity == "dh2_dtheta" and not complex_lambda:
        raise ValueError("dh2_dtheta needs a complex lambda (complex_lambda=True / theta)")


@lru_cache(maxsize=256)
def _moment_expr_cached(quantity: str, r_expr: sp.Expr, complex_lambda: bool, g: sp.Expr,
                        coupled: bool, finite: bool) -> sp.Expr:
    cross = quantity.startswith("cross")
    lam1 = lam * sp.exp(sp.I * theta) if complex_lambda else lam
    if cross:
        lam_b = lam2 * sp.exp(sp.I * theta2) if complex_lambda else lam2
    else:
        lam_b = lam1
    a_val = lam1
    b_val = sp.conjugate(lam_b) if complex_lambda else lam_b
    if complex_lambda:
        b_val = (lam2 if cross else lam) * sp.exp(-sp.I * (theta2 if cross else theta))
    g_a = g
    g_b = g.subs(lam, lam2) if cross else g
    gp_a = sp.diff(g_a, lam) if coupled else sp.Integer(0)
    gp_b = sp.diff(g_b, lam2 if cross else lam) if coupled else sp.Integer(0)
    template = _template(_KIND[quantity], finite)
    subs: dict[sp.Symbol, Any] = {_ga: g_a, _gb: g_b, _gpa: gp_a, _gpb: gp_b}
    if finite:
        sa, sb = sp.symbols("alpha_ beta_")
        X = _finite_bracket_symbolic(r_expr, sa, sb)
        subs.update({
            _X: X, _Xa: sp.diff(X, sa), _Xb: sp.diff(X, sb), _Xab: sp.diff(X, sa, sb),
        })
        expr = template.subs(subs).subs({sa: _a, sb: _b})
    else:
        sa = sp.Symbol("alpha_")
        G = Autocorrelation(r_expr, "R").generating_function(sa).expr
        Gp = Autocorrelation(r_expr, "R").derivative_generating_function(sa).expr
        subs.update({
            _R0: r_expr.subs(k, 0), _Ga: G.subs(sa, _a), _Gb: G.subs(sa, _b),
            _Gpa: Gp.subs(sa, _a), _Gpb: Gp.subs(sa, _b),
        })
        expr = template.subs(subs)
    expr = expr.subs({_a: a_val, _b: b_val}, simultaneous=True)
    if not complex_lambda and not expr.has(sp.Sum):
        expr = sp.factor(sp.cancel(sp.together(expr)))
    return expr


def _finite_bracket_symbolic(r_expr: sp.Expr, sa: sp.Symbol, sb: sp.Symbol) -> sp.Expr:
    """X_t of finite Lemma 1 with closed-form finite sums where found (generic ratios ≠ 1)."""
    d = lemmas.Delta
    summand = r_expr.subs(k, d) * lemmas.finite_kernel(sa, sb, t, d)
    return r_expr.subs(k, 0) * (1 - (sa * sb) ** t) + sum_closed_form(summand, d, 1, t - 1)


# --------------------------------------------------------------------------------------
# Published closed forms (for tests only)
# --------------------------------------------------------------------------------------
def published_forms() -> dict[str, sp.Expr]:
    """Closed forms as printed in the paper's code / research note (R = ρ^|k|).

    Keys: ``h2_real``, ``dh2_dlam_real`` (1D-case.ipynb ``h2``, ``dh_dlamb``; §2.3),
    ``h2_white_finite``, ``dh2_dlam_white_finite`` (§2.4, i.i.d. input),
    ``h2_complex``, ``dh2_dlam_complex``, ``dh2_dtheta_complex`` (§2.5, written with
    |1 − ρλ|² = 1 − 2ρν cos θ + ρ²ν²), ``cross_dh_real`` (§4.3, S = ∂_λ∂_λ' f).
    """
    l, r = lam, rho
    nu, th = lam, theta
    cplx_abs2 = 1 - 2 * r * nu * sp.cos(th) + r**2 * nu**2  # |1 − ρλ|²
    lam_c = nu * sp.exp(sp.I * th)
    re_term = sp.re(sp.expand_complex(lam_c * r / (1 - lam_c * r) ** 2))
    h2c = (1 - r**2 * nu**2) / ((1 - nu**2) * cplx_abs2)
    dh2c = (1 + nu**2) / (1 - nu**2) ** 3 * (1 - r**2 * nu**2) / cplx_abs2 + 2 / (
        1 - nu**2
    ) ** 2 * re_term
    q = l**2
    N = t - 1
    f = (1 - r**2 * l * lam2) / ((1 - l * lam2) * (1 - r * l) * (1 - r * lam2))
    return {
        "h2_real": (1 + l * r) / ((1 - l * r) * (1 - l**2)),
        "dh2_dlam_real": ((1 + l**2) * (1 - l**2 * r**2) + 2 * l * r * (1 - l**2))
        / ((1 - l**2) ** 3 * (1 - l * r) ** 2),
        "h2_white_finite": (1 - l ** (2 * t)) / (1 - l**2),
        "dh2_dlam_white_finite": (
            1 + q - (N + 1) ** 2 * q**N + (2 * N**2 + 2 * N - 1) * q ** (N + 1)
            - N**2 * q ** (N + 2)
        ) / (1 - q) ** 3,
        "h2_complex": h2c,
        "dh2_dlam_complex": dh2c,
        "dh2_dtheta_complex": nu**2 * dh2c,
        "cross_dh_real": sp.diff(f, l, lam2),
        "cross_h_real": f,
    }


# --------------------------------------------------------------------------------------
# Numerical evaluation
# --------------------------------------------------------------------------------------
def _fmt(value: Any) -> str:
    return mpmath.nstr(value, 17) if isinstance(value, mpmath.mpf) else repr(value)


def _coerce_real(value: Any, name: str, dps: int = 50) -> Any:
    """Exact text (``"0.999"`` is 999/1000, parsed by the whitelist parser) and SymPy
    numbers become ``mpf`` at ``dps`` digits; other values pass through unchanged."""
    if isinstance(value, str):

        return parse_real(value, name=name, dps=dps)
    if isinstance(value, sp.Basic) and value.is_number:
        if not value.is_real:
            raise ValueError(f"{name} must be a real number, got {value}")
        with mpmath.workdps(dps):
            return mpmath.mpf(sp.N(value, dps)._mpf_)
    return value


def _validate_number(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, mpmath.mpf)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not mpmath.isfinite(value):
        raise ValueError(f"{name} must be finite, got {_fmt(value)}")


def validate_lambda(lam_value: Any, theta_value: Any = None, *, name: str = "lam") -> None:
    """|λ| < 1, finite; with an angle the modulus must lie in [0, 1)."""
    _validate_number(lam_value, name)
    if theta_value is not None:
        _validate_number(theta_value, "theta")
        if not 0 <= lam_value < 1:
            raise ValueError(
                f"{name} (the modulus, theta given) must lie in [0, 1), got {_fmt(lam_value)}")
    elif not -1 < lam_value < 1:
        raise ValueError(f"{name} must satisfy |{name}| < 1, got {_fmt(lam_value)}")


def _validate_t(t_value: Any) -> None:
    if t_value is None:
        return
    if isinstance(t_value, bool) or not isinstance(t_value, int):
        raise TypeError(f"t must be a positive int, got {type(t_value).__name__}")
    if t_value <= 0:
        raise ValueError(f"t must be a positive integer, got {t_value}")


def _split_autocorr(autocorr: Any) -> tuple[Autocorrelation, Any]:
    """(model with symbolic ρ, numeric ρ or None) so derivations are shared across ρ."""
    ac = as_autocorrelation(autocorr)
    if ac.has_rho:
        raise ValueError(f"autocorrelation {ac.name!r} contains rho: give a number (ar1(rho))")
    if ac.rho is not None and ac.rho.is_number and ac.expr in (ac.rho**k, sp.Integer(1)):
        value = ac.rho
        with mpmath.workdps(max(mpmath.mp.dps, 80)):  # exact to 80 digits, whatever the caller
            num = mpmath.mpf(value.p) / value.q if value.is_Rational else mpmath.mpf(
                str(sp.N(value, 80)))
        return ar1(), num
    return ac, None


@cache
def _lambdified_template(kind: str, finite: bool) -> Callable[..., Any]:
    return sp.lambdify(_PLACEHOLDERS, _template(kind, finite), modules="mpmath")


def _u0_weight_values(a: Any, b: Any, horizon: int) -> tuple[Any, Any, Any, Any]:
    """(w₀, ∂_αw₀, ∂_βw₀, ∂_α∂_βw₀) for the weight w₀ = 1 − α^T β^T of u_0 in X_T
    (explicit exponents, so α = 0 or β = 0 needs no division)."""
    T_ = horizon
    return (1 - a**T_ * b**T_, -T_ * a ** (T_ - 1) * b**T_, -T_ * b ** (T_ - 1) * a**T_,
            -(T_**2) * a ** (T_ - 1) * b ** (T_ - 1))


@cache
def _gamma_fns(g: sp.Expr) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    return (sp.lambdify(lam, g, modules="mpmath"),
            sp.lambdify(lam, sp.diff(g, lam), modules="mpmath"))


def gamma_values(g: sp.Expr, lam_value: Any, *, coupled: bool = False,
                 complex_lambda: bool = False) -> tuple[Any, Any]:
    """(γ, dγ/dλ) of :func:`gamma_expression` ``g`` at the current mpmath precision — the one
    γ rule: γ at the modulus |λ|; coupled (real λ only) dγ/dλ is g' at λ, else 0.
    ``lam_value``: λ for real λ, the modulus ν with an angle (``complex_lambda``)."""
    if coupled and complex_lambda:
        raise ValueError("gamma_coupled is only defined for real lambda (theta not given)")
    f, fp = _gamma_fns(g)
    try:
        gv = mpmath.mpmathify(f(abs(lam_value)))
        gpv = mpmath.mpmathify(fp(lam_value)) if coupled else mpmath.mpf(0)
    except (ZeroDivisionError, ValueError, TypeError) as exc:
        raise ValueError(f"gamma cannot be evaluated at lam={lam_value}: {exc}") from None
    for name, v in (("gamma", gv), ("gamma'", gpv)):
        tiny = mpmath.mpf(10) ** (-mpmath.mp.dps // 2) * (1 + abs(v))
        if not mpmath.isfinite(v) or abs(mpmath.im(v)) > tiny:
            raise ValueError(f"{name} must be a finite real number at lam={lam_value}, got {v}")
    return mpmath.re(gv), mpmath.re(gpv)


def finite_kernel_values(a: Any, b: Any, horizon: int) -> list[tuple[Any, Any, Any, Any]]:
    """[(w, ∂_αw, ∂_βw, ∂_α∂_βw) at Δ = 1..T−1] for the finite-Lemma weight
    w(Δ) = α^Δ + β^Δ − α^T β^{T−Δ} − β^T α^{T−Δ}, from tables of powers (O(T)).

    The derivative formulas are the hand-expanded ∂'s of :func:`theory.memory.lemmas.finite_kernel`;
    tests compare them with SymPy's derivatives.
    """
    T_ = horizon
    pa = [mpmath.mpf(1)] * (T_ + 1)
    pb = [mpmath.mpf(1)] * (T_ + 1)
    for j in range(1, T_ + 1):
        pa[j] = pa[j - 1] * a
        pb[j] = pb[j - 1] * b
    out = []
    for d in range(1, T_):
        e = T_ - d
        w = pa[d] + pb[d] - pa[T_] * pb[e] - pb[T_] * pa[e]
        wa = d * pa[d - 1] - T_ * pa[T_ - 1] * pb[e] - e * pb[T_] * pa[e - 1]
        wb = d * pb[d - 1] - T_ * pb[T_ - 1] * pa[e] - e * pa[T_] * pb[e - 1]
        wab = -T_ * e * (pa[T_ - 1] * pb[e - 1] + pb[T_ - 1] * pa[e - 1])
        out.append((w, wa, wb, wab))
    return out


def _bracket_values(ac: Autocorrelation, rho_value: Any, a: Any, b: Any, t_value: int | None,
                    dps: int, method: str = "sum",
                    progress: Callable[[int], None] | None = None) -> dict[sp.Symbol, Any]:
    """Numeric values of the template's autocorrelation placeholders at (α, β).

    Finite t: ``method="doubling"`` uses :func:`theory.memory.finite_horizon.finite_brackets`
    (O(log t), rational generating functions), ``"sum"`` the O(t) kernel sum (the
    reference route).  ``progress(n)`` is told of each unit of work done.
    """
    if t_value is None:
        G = ac.generating_function()
        Gp = ac.derivative_generating_function()
        return {
            _R0: ac.evaluate(0, dps, rho=rho_value),
            _Ga: G(a, rho=rho_value, dps=dps), _Gb: G(b, rho=rho_value, dps=dps),
            _Gpa: Gp(a, rho=rho_value, dps=dps), _Gpb: Gp(b, rho=rho_value, dps=dps),
        }
    r0 = ac.evaluate(0, dps, rho=rho_value)
    if method == "doubling":
        rec = recurrence(ac, rho_value, dps=dps)
        if rec is None:
            raise ValueError(f"finite_method='doubling' needs a rational generating function; "
                             f"R(k) = {ac.expr} has none (use finite_method='sum')")
        tick = None if progress is None else (lambda: progress(1))
        X, Xa, Xb, Xab = finite_brackets(rec, r0, a, b, t_value, tick)
        return {_X: X, _Xa: Xa, _Xb: Xb, _Xab: Xab}
    w0 = _u0_weight_values(a, b, t_value)
    sums = [r0 * w for w in w0]
    r_of = _lambdified_R(ac.expr)
    rv = mpmath.mpf(0) if rho_value is None else rho_value
    for d, ws in enumerate(finite_kernel_values(a, b, t_value), start=1):
        rd = r_of(mpmath.mpf(d), rv)
        if rd != 0:
            for i in range(4):
                sums[i] += rd * ws[i]
        if progress is not None and d % 4096 == 0:
            progress(4096)
    return {_X: sums[0], _Xa: sums[1], _Xb: sums[2], _Xab: sums[3]}


def finite_method_for(autocorr: Any, finite_method: str = "auto", *, dps: int = 50) -> str:
    """The finite-t route :func:`moments` takes: ``"doubling"`` (O(log t), when the
    generating function of R is rational) or ``"sum"`` (O(t))."""
    if finite_method not in FINITE_METHODS:
        raise ValueError(f"finite_method must be one of {FINITE_METHODS}, got {finite_method!r}")
    if finite_method != "auto":
        return finite_method
    ac, rho_value = _split_autocorr(autocorr)
    return "doubling" if recurrence(ac, rho_value, dps=dps) is not None else "sum"


def finite_work(autocorr: Any, t_value: int, finite_method: str = "auto") -> tuple[str, int]:
    """(route, units of work) of a finite-t evaluation: doubling rounds or kernel terms."""
    route = finite_method_for(autocorr, finite_method)
    return route, (2 * doubling_steps(t_value) if route == "doubling" else int(t_value))


def _evaluate(kind: str, a: Any, b: Any, gammas: tuple[Any, Any, Any, Any],
              brackets: dict[sp.Symbol, Any]) -> Any:
    """The lemma template ``kind`` at numeric placeholders."""
    values: dict[sp.Symbol, Any] = {s: mpmath.mpf(0) for s in _PLACEHOLDERS}
    values.update({_a: a, _b: b, _ga: gammas[0], _gb: gammas[1], _gpa: gammas[2],
                   _gpb: gammas[3]})
    values.update(brackets)
    finite = _X in brackets
    fn = _lambdified_template(kind, finite)
    return fn(*(values[s] for s in _PLACEHOLDERS))


def _real_part(value: Any, what: str) -> Any:
    value = mpmath.mpmathify(value)
    im = mpmath.im(value)
    re = mpmath.re(value)
    if abs(im) > mpmath.mpf(10) ** (-(mpmath.mp.dps - 10)) * max(abs(re), 1):
        raise ArithmeticError(f"{what}: imaginary part {im} of a real quantity")  # a bug
    return re


def moments(
    lam: Any,
    *,
    theta: Any = None,
    autocorr: Autocorrelation | float | str = 0.0,
    gamma: Any = None,
    gamma_coupled: bool = False,
    t: int | None = None,
    dps: int = 50,
    finite_method: FiniteMethod = "auto",
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """E|h|², E|d_λh|², E|d_θh|² (``None`` for real λ) as mpmath numbers.

    λ = ``lam`` (real, |λ| < 1) or λ = lam·e^{i·theta} (0 ≤ lam < 1); numbers may be
    floats, mpmath values, SymPy numbers or exact text such as ``"0.99999999"``;
    ``autocorr``: an :class:`~theory.memory.autocorr.Autocorrelation`, a number ρ
    (R = ρ^|k|) or an expression in k; ``gamma``: expression (text or SymPy) in
    ``lam`` (the modulus), default 1; ``t``: finite horizon (h_0 = 0), else
    stationary; ``dps``: working precision (≥ 50 recommended).  Finite t:
    ``finite_method`` "doubling" (O(log t), rational generating function of R; evaluated
    at two working precisions raised with the conditioning, which must agree to ``dps``
    digits), "sum" (the O(t) kernel sum) or "auto" (doubling where possible);
    ``progress(n)`` is told of units of work done (see :func:`finite_work`).  Raises
    ValueError/TypeError naming the bad argument.
    """
    if isinstance(lam, complex):
        if theta is not None:
            raise ValueError("lam is complex: do not also give theta")
        lam, theta = abs(lam), math.atan2(lam.imag, lam.real)
    if not isinstance(dps, int) or dps < 15:
        raise ValueError(f"dps must be an int >= 15, got {dps!r}")
    lam_in, theta_in = lam, theta
    lam = _coerce_real(lam, "lam", dps)
    theta = None if theta is None else _coerce_real(theta, "theta", dps)
    validate_lambda(lam, theta)
    _validate_t(t)
    if gamma_coupled and theta is not None:
        raise ValueError("gamma_coupled is only defined for real lambda (theta not given)")
    g = gamma_expression(gamma)
    ac, rho_value = _split_autocorr(autocorr)
    route = "stationary" if t is None else finite_method_for(autocorr, finite_method)

    def compute(w: int) -> dict[str, Any]:
        with mpmath.workdps(w):
            lam_w = _coerce_real(lam_in, "lam", w)
            theta_w = None if theta_in is None else _coerce_real(theta_in, "theta", w)
            if theta_w is None:
                a = b = mpmath.mpf(lam_w)
                modulus = abs(a)
            else:
                nu, th = mpmath.mpf(lam_w), mpmath.mpf(theta_w)
                a = nu * mpmath.expj(th)
                b = nu * mpmath.expj(-th)
                modulus = nu
            gv, gpv = gamma_values(g, a if theta_w is None else modulus,
                                   coupled=gamma_coupled, complex_lambda=theta_w is not None)
            gammas = (gv, gv, gpv, gpv)
            br = _bracket_values(ac, rho_value, a, b, t, w,
                                 "sum" if route == "stationary" else route, progress)
            out: dict[str, Any] = {
                "h2": _real_part(_evaluate("h", a, b, gammas, br), "h2"),
                "dh2_dlam": _real_part(_evaluate("dh", a, b, gammas, br), "dh2_dlam"),
                "dh2_dtheta": None,
            }
            if theta_w is not None:
                out["dh2_dtheta"] = _real_part(_evaluate("dtheta", a, b, gammas, br),
                                               "dh2_dtheta")
            return out

    if route != "doubling":
        return compute(dps)
    return _confirmed(compute, dps, [abs(lam)], t)


def _confirmed(compute: Callable[[int], dict[str, Any]], dps: int, moduli: list[Any],
               t_value: int) -> dict[str, Any]:
    """``compute(w)`` of the doubling route, correct to ``dps`` digits.

    The closed-form brackets cancel about the digits of t²/(1 − |λ|)³, so they are carried
    as guard digits; a second evaluation 20 digits more precise must agree to dps + 2
    digits (else the guard grows), and that one is returned.
    """
    worst = max(float(m) for m in moduli)
    guard = 10 + int(3 * -math.log10(max(1 - worst, 1e-300)) + 2 * math.log10(t_value))
    work = dps + guard
    for _ in range(4):
        first, second = compute(work), compute(work + 20)
        keys = [q for q, v in second.items() if v is not None]
        with mpmath.workdps(work + 20):
            scale = max(abs(second[q]) for q in keys)
            diff = max(abs(first[q] - second[q]) for q in keys)
            if diff <= mpmath.mpf(10) ** (-dps - 2) * scale:
                break
        work += guard
    else:
        raise ArithmeticError("finite-t doubling did not reach the requested precision")
    with mpmath.workdps(dps):
        return {q: None if v is None else +v for q, v in second.items()}


def cross_moments(
    lam: Any,
    lam2_value: Any,
    *,
    theta: Any = None,
    theta2_value: Any = None,
    autocorr: Autocorrelation | float | str = 0.0,
    gamma: Any = None,
    gamma_coupled: bool = False,
    t: int | None = None,
    dps: int = 50,
    finite_method: FiniteMethod = "auto",
) -> dict[str, Any]:
    """E[h(λ) conj h(λ2)] and E[d_λh(λ) conj d_λh(λ2)] (keys ``cross_h``, ``cross_dh``).

    λ = lam·e^{i·theta}, λ2 = lam2·e^{i·theta2} (angles optional, 0 when one is
    given and the other not); results are complex mpmath numbers (real when
    both eigenvalues are real).  Same input conventions as :func:`moments`, including
    ``finite_method`` for finite t.
    """
    complex_mode = theta is not None or theta2_value is not None
    th1 = 0 if theta is None else theta
    th2 = 0 if theta2_value is None else theta2_value
    validate_lambda(lam, th1 if complex_mode else None)
    validate_lambda(lam2_value, th2 if complex_mode else None, name="lam2")
    _validate_t(t)
    if gamma_coupled and complex_mode:
        raise ValueError("gamma_coupled is only defined for real lambda (theta not given)")
    g = gamma_expression(gamma)
    ac, rho_value = _split_autocorr(autocorr)
    route = "sum" if t is None else finite_method_for(autocorr, finite_method)

    def compute(w: int) -> dict[str, Any]:
        with mpmath.workdps(w):
            a = mpmath.mpf(lam) * mpmath.expj(mpmath.mpf(th1))
            b = mpmath.mpf(lam2_value) * mpmath.expj(-mpmath.mpf(th2))
            ga, gpa = gamma_values(g, mpmath.mpf(lam), coupled=gamma_coupled)
            gb, gpb = gamma_values(g, mpmath.mpf(lam2_value), coupled=gamma_coupled)
            gammas = (ga, gb, gpa, gpb)
            br = _bracket_values(ac, rho_value, a, b, t, w, route)
            out = {
                "cross_h": _evaluate("h", a, b, gammas, br),
                "cross_dh": _evaluate("dh", a, b, gammas, br),
            }
            if not complex_mode:
                out = {key: _real_part(v, key) for key, v in out.items()}
            return out

    if route != "doubling":
        return compute(dps)
    return _confirmed(compute, dps, [abs(mpmath.mpf(lam)), abs(mpmath.mpf(lam2_value))], t)


def generating_function_method(autocorr: Any) -> str:
    """"closed" or "numeric": how G(α) = Σ α^k R(k) of ``autocorr`` is evaluated."""
    ac, _ = _split_autocorr(autocorr)
    return ac.generating_function().method
