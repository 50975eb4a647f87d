"""A GRU with a constant update gate is a diagonal linear recurrence (Zucchet & Orvieto 2024,
§5 and appendix, Figs. 12, 14, 15).

With update gate z = σ(b) constant, the GRU state obeys

    h_{t+1} = z h_t + (1 − z) x_{t+1},

i.e. the recurrence of :mod:`theory.memory.moments` with λ = z and the *coupled* input normalization
γ(λ) = 1 − λ.  Hence (Lemmas 1–2, derived by :func:`theory.memory.moments.moment_expr`)

    E h²       = moment h2 with γ = 1 − λ,
    E(d_b h)²  = σ'(b)² E(d_λ h)²  with γ = 1 − λ differentiated, σ'(b) = z(1 − z).

The inputs follow the autocorrelation fitted to BERT embeddings of Wikipedia in Fig. 12,
R(Δ) = 0.043056·0.997005^|Δ| + 0.332·δ_{Δ0} (:data:`FIG12_AUTOCORR`; the paper's text data is
not available offline, so simulations draw Gaussian inputs with this autocorrelation).

:func:`published_aux` is the authors' ``aux(α, β)`` (does_theory_hold_for_GRUs.ipynb), a sum
over the two exponential components of (1 − α)(1 − β)·Lemma 1; their predicted variance of
d_b h is σ'² (aux + 2∂_α aux + ∂_α∂_β aux)(λ, λ) (:func:`published_var_dbh`), while
E(d_b h)² is σ'² ∂_α∂_β aux(λ, λ) alone (E[h(α) h(β)] = aux(α, β)).  The two extra terms make
the code's value σ'² E[(h + d_λh)²].  :func:`implied_unnormalized` turns either formula into
the statement it makes about the un-normalized E(d_λh̃)² (h̃_{t+1} = λh̃_t + x_{t+1}), the
quantity ``rnnverify check-claim`` decides.
"""

from __future__ import annotations

from functools import cache

import mpmath
import sympy as sp
from rnnverify.theory.memory.autocorr import Autocorrelation, from_expression
from rnnverify.theory.memory.moments import moment_expr
from rnnverify.theory.symbols import lam

#: R(Δ) fitted in Fig. 12 (exact text: the constants are the code's rho0_0, rho0, rho1_0)
FIG12_COMPONENTS: tuple[tuple[str, str], ...] = (
    ("0.043056426671195004", "0.9970052541497257"),
    ("0.332", "0"),
)
FIG12_AUTOCORR = (f"{FIG12_COMPONENTS[0][0]}*{FIG12_COMPONENTS[0][1]}**k"
                  f" + {FIG12_COMPONENTS[1][0]}*0**k")

_a, _b = sp.symbols("alpha_gru beta_gru")


def fig12_autocorrelation() -> Autocorrelation:
    """R(k) of Fig. 12 through the whitelist parser (exact rational constants)."""
    return from_expression(FIG12_AUTOCORR)


def sigmoid_prime(z: sp.Expr) -> sp.Expr:
    """σ'(b) written in z = σ(b): z(1 − z)."""
    return z * (1 - z)


@cache
def derived_moments() -> dict[str, sp.Expr]:
    """E h² and E(d_b h)² of the constant-gate GRU as expressions in ``lam`` (= z)."""
    ac = fig12_autocorrelation()
    h2 = moment_expr("h2", ac, gamma="1-lam")
    dz2 = moment_expr("dh2_dlam", ac, gamma="1-lam", gamma_coupled=True)
    return {"h2": sp.factor(sp.cancel(h2)),
            "dh2_db": sp.factor(sp.cancel(sigmoid_prime(lam) ** 2 * dz2)),
            "dh2_dz": sp.factor(sp.cancel(dz2))}


def published_aux(alpha: sp.Expr = _a, beta: sp.Expr = _b) -> sp.Expr:
    """The code's aux(α, β) = Σ_k c_k (1−α)(1−β)(1 − ρ_k² αβ)/((1 − ρ_kα)(1 − ρ_kβ)(1 − αβ))."""
    total = sp.Integer(0)
    for c_text, r_text in FIG12_COMPONENTS:
        c, r = sp.Rational(c_text), sp.Rational(r_text)
        total += c * (1 - alpha) * (1 - beta) * (1 - r**2 * alpha * beta) / (
            (1 - r * alpha) * (1 - r * beta) * (1 - alpha * beta))
    return total


def _at_diagonal(e: sp.Expr) -> sp.Expr:
    return e.subs({_a: lam, _b: lam}, simultaneous=True)


@cache
def published_forms() -> dict[str, sp.Expr]:
    """The code's Var h, Var d_b h (with its extra terms) and the pure ∂_α∂_β term."""
    aux = published_aux()
    s2 = sigmoid_prime(lam) ** 2
    return {
        "var_h": _at_diagonal(aux),
        "var_dbh_code": s2 * _at_diagonal(aux + 2 * sp.diff(aux, _a) + sp.diff(aux, _a, _b)),
        "var_dbh_pure": s2 * _at_diagonal(sp.diff(aux, _a, _b)),
    }


def implied_unnormalized(var_dbh: sp.Expr, var_h: sp.Expr) -> dict[str, sp.Expr]:
    """What a pair (Var h, Var d_b h) of the GRU says about h̃_{t+1} = λh̃_t + x_{t+1}.

    With h = (1 − λ) h̃ and F(λ) = E h̃² = Var h/(1 − λ)²:
    E(d_λh)² = F − 2(1 − λ) E[h̃ d_λh̃] + (1 − λ)² E(d_λh̃)² and E[h̃ d_λh̃] = F'(λ)/2, so
    E(d_λh̃)² = (Var d_b h / σ'² − F + (1 − λ) F') / (1 − λ)².
    Returns ``h2`` = F and ``dh2_dlam`` = E(d_λh̃)², both in ``lam``, in lowest terms.

    Rational functions of λ are worked in the field ℚ(λ) (:func:`rational_in_lam`: no
    expansion of the 16-digit rational constants, ~50× faster than ``sp.cancel``, the same
    expression); anything else falls back to ``sp.cancel``.
    """
    try:
        K, L = _field()
        F = rational_in_lam(var_h) / (1 - L) ** 2
        dz2 = rational_in_lam(var_dbh) / (L * (1 - L)) ** 2
        implied = (dz2 - F + (1 - L) * F.diff(L)) / (1 - L) ** 2
        return {"h2": F.as_expr(), "dh2_dlam": implied.as_expr()}
    except ValueError:  # not a rational function of λ with rational coefficients
        F = var_h / (1 - lam) ** 2
        dz2 = var_dbh / sigmoid_prime(lam) ** 2
        return {"h2": sp.cancel(F),
                "dh2_dlam": sp.cancel((dz2 - F + (1 - lam) * sp.diff(F, lam)) / (1 - lam) ** 2)}


@cache
def _field():
    return sp.polys.fields.field([lam], sp.QQ)


def rational_in_lam(expr: sp.Expr):
    """``expr`` as an element of the field ℚ(λ), built by the field's own arithmetic from
    the expression tree (in lowest terms); ``ValueError`` if it is not such a function."""
    K, _ = _field()
    return K.from_expr(expr)


def same_rational_function(a: sp.Expr, b: sp.Expr) -> bool:
    """Whether ``a`` and ``b`` are the same rational function of λ (exact, in ℚ(λ));
    ``sp.cancel`` of the difference when either is not rational in λ."""
    try:
        return rational_in_lam(a) == rational_in_lam(b)
    except ValueError:
        return sp.cancel(sp.together(a - b)) == 0


def gate_for_timescale(timescale: float) -> float:
    """Chrono initialization (Fig. 5/15): σ(b) = 1 − 1/(1 + T), i.e. b = log T."""
    if not timescale > 0:
        raise ValueError(f"timescale must be positive, got {timescale!r}")
    return 1 - 1 / (1 + timescale)


def components_float() -> tuple[tuple[float, float], ...]:
    """(c_k, ρ_k) of :data:`FIG12_COMPONENTS` as floats (for the simulation layer)."""
    return tuple((float(c), float(r)) for c, r in FIG12_COMPONENTS)


@cache
def _lambdified() -> dict[str, object]:
    exprs = {**derived_moments(), **{f"code_{k}": v for k, v in published_forms().items()}}
    return {k: sp.lambdify(lam, v, modules="mpmath") for k, v in exprs.items()}


def gate_values(z: object, dps: int = 30) -> dict[str, object]:
    """Derived E h², E(d_b h)² and the code's forms at gate value z ∈ (0, 1) (mpmath)."""
    with mpmath.workdps(dps):
        zv = mpmath.mpf(z)
        if not 0 < zv < 1:
            raise ValueError(f"z must lie in (0, 1), got {z}")
        return {k: f(zv) for k, f in _lambdified().items()}
