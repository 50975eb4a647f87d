"""Lemma 1 and Lemma 2 of Zucchet & Orvieto (2024), stationary and finite-horizon.

For α, β ∈ ℂ with |α|, |β| < 1 and a bounded sequence (u_Δ)_{Δ∈ℤ}:

Lemma 1   Σ_{n,m≥0} α^n β^m u_{n−m}
            = (u_0 + Σ_{Δ≥1} α^Δ u_Δ + Σ_{Δ≥1} β^Δ u_{−Δ}) / (1 − αβ)

Lemma 2   Σ_{n,m≥0} n m α^{n−1} β^{m−1} u_{n−m}
            = (1 + αβ)/(1 − αβ)^3 · S + (Σ_{Δ≥1} Δ α^Δ u_Δ + Σ_{Δ≥1} Δ β^Δ u_{−Δ}) / (1 − αβ)^2

with S the bracket of Lemma 1 (docs/theory.md §2; paper appendix).
Finite horizon (sums over 0 ≤ n, m < T):

Lemma 1_T  = (u_0 (1 − (αβ)^T)
              + Σ_{Δ=1}^{T−1} [u_Δ (α^Δ − α^T β^{T−Δ}) + u_{−Δ} (β^Δ − β^T α^{T−Δ})]) / (1 − αβ)
Lemma 2_T  = ∂_α ∂_β Lemma 1_T.

This module gives the right-hand sides as builders (used by
:mod:`theory.memory.moments`) and, in :func:`lemma1`, :func:`lemma2`, ... the
statements with their proofs as lists of :class:`LemmaStep`, each an equality
with a one-line justification that :func:`check_step` confirms by exact
simplification and at random complex points.
"""

from __future__ import annotations

import cmath
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import mpmath
import sympy as sp
from rnnverify.theory.memory.autocorr import sum_closed_form
from rnnverify.theory.symbols import alpha, beta

#: summation indices and the horizon used in the statements
n, m = sp.symbols("n m", integer=True, nonnegative=True)
Delta = sp.Symbol("Delta", integer=True, positive=True)
T = sp.Symbol("T", integer=True, positive=True)
#: the bounded sequence u_Δ (Δ ∈ ℤ) as an undefined function
u = sp.Function("u")


# --------------------------------------------------------------------------------------
# Right-hand sides (builders shared with theory.memory.moments)
# --------------------------------------------------------------------------------------
def lemma1_rhs(a: Any, b: Any, u0: Any, g_plus: Any, g_minus: Any) -> sp.Expr:
    """Lemma 1: (u_0 + G₊(α) + G₋(β)) / (1 − αβ).

    ``g_plus`` = Σ_{Δ≥1} α^Δ u_Δ and ``g_minus`` = Σ_{Δ≥1} β^Δ u_{−Δ} (equal
    functions for a symmetric sequence such as an autocorrelation).
    """
    return (u0 + g_plus + g_minus) / (1 - a * b)


def lemma2_rhs(
    a: Any, b: Any, u0: Any, g_plus: Any, g_minus: Any, w_plus: Any, w_minus: Any
) -> sp.Expr:
    """Lemma 2: (1 + αβ)/(1 − αβ)^3 · S + (W₊(α) + W₋(β)) / (1 − αβ)^2.

    S = u_0 + G₊(α) + G₋(β) is the bracket of Lemma 1 and W₊(α) = Σ_{Δ≥1} Δ α^Δ u_Δ,
    W₋(β) = Σ_{Δ≥1} Δ β^Δ u_{−Δ}.
    """
    s = u0 + g_plus + g_minus
    return (1 + a * b) / (1 - a * b) ** 3 * s + (w_plus + w_minus) / (1 - a * b) ** 2


def lemma1_dbeta_rhs(a: Any, b: Any, u0: Any, g_plus: Any, g_minus: Any, gp_minus: Any) -> sp.Expr:
    """∂_β of Lemma 1: Σ_{n,m≥0} m α^n β^{m−1} u_{n−m} = G₋'(β)/(1 − αβ) + α S/(1 − αβ)^2.

    Termwise differentiation of Lemma 1 (legitimate inside the polydisc); used
    for the cross term E[h d_λ h] when γ(λ) is differentiated.
    """
    s = u0 + g_plus + g_minus
    return gp_minus / (1 - a * b) + a * s / (1 - a * b) ** 2


def finite_kernel(a: Any, b: Any, horizon: Any, lag: Any) -> sp.Expr:
    """Weight of u_Δ in X_T: α^Δ + β^Δ − α^T β^{T−Δ} − β^T α^{T−Δ} (symmetric u)."""
    return a**lag + b**lag - a**horizon * b ** (horizon - lag) - b**horizon * a ** (horizon - lag)


# --------------------------------------------------------------------------------------
# Statements and proofs
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LemmaStep:
    """One step ``lhs = rhs`` of a lemma's proof, with a one-line justification.

    Both sides are SymPy expressions in α, β and the sequence ``u``; :func:`check_step`
    instantiates them on a concrete test sequence and compares them.
    """

    lhs: sp.Expr
    rhs: sp.Expr
    justification: str

    @property
    def equation(self) -> sp.Eq:
        return sp.Eq(self.lhs, self.rhs, evaluate=False)

    def latex(self) -> str:
        return f"{sp.latex(self.lhs)} = {sp.latex(self.rhs)}"


@dataclass(frozen=True)
class Lemma:
    """A statement ``lhs = rhs`` with hypotheses and a proof (list of steps)."""

    name: str
    source: str
    hypotheses: str
    lhs: sp.Expr
    rhs: sp.Expr
    steps: tuple[LemmaStep, ...] = field(default_factory=tuple)
    finite: bool = False

    @property
    def statement(self) -> sp.Eq:
        return sp.Eq(self.lhs, self.rhs, evaluate=False)

    def latex(self) -> str:
        return f"{sp.latex(self.lhs)} = {sp.latex(self.rhs)}"


def _S(a: sp.Expr, b: sp.Expr, upper: Any = sp.oo) -> sp.Expr:
    return u(0) + sp.Sum(a**Delta * u(Delta), (Delta, 1, upper)) + sp.Sum(
        b**Delta * u(-Delta), (Delta, 1, upper)
    )


@cache
def lemma1() -> Lemma:
    """Lemma 1 (stationary), with its proof."""
    a, b = alpha, beta
    lhs = sp.Sum(a**n * b**m * u(n - m), (n, 0, sp.oo), (m, 0, sp.oo))
    split = (
        sp.Sum((a * b) ** m * u(0), (m, 0, sp.oo))
        + sp.Sum(a ** (m + Delta) * b**m * u(Delta), (m, 0, sp.oo), (Delta, 1, sp.oo))
        + sp.Sum(a**n * b ** (n + Delta) * u(-Delta), (n, 0, sp.oo), (Delta, 1, sp.oo))
    )
    geom = (
        u(0) / (1 - a * b)
        + sp.Sum(a**Delta * u(Delta) / (1 - a * b), (Delta, 1, sp.oo))
        + sp.Sum(b**Delta * u(-Delta) / (1 - a * b), (Delta, 1, sp.oo))
    )
    rhs = _S(a, b) / (1 - a * b)
    steps = (
        LemmaStep(lhs, split, "group the terms by Δ = n − m (absolute convergence: "
                  "|α^n β^m u_{n−m}| ≤ sup|u| |α|^n |β|^m, so rearranging is allowed)"),
        LemmaStep(split, geom, "Σ_{m≥0} (αβ)^m = 1/(1 − αβ) since |αβ| < 1; "
                  "α^{m+Δ} β^m = α^Δ (αβ)^m"),
        LemmaStep(geom, rhs, "factor 1/(1 − αβ)"),
    )
    return Lemma(
        "Lemma 1",
        "Zucchet & Orvieto 2024, Lemma 1 (appendix); docs/theory.md §2",
        "α, β ∈ ℂ, |α| < 1, |β| < 1, (u_Δ)_{Δ∈ℤ} bounded",
        lhs,
        rhs,
        steps,
    )


@cache
def lemma2() -> Lemma:
    """Lemma 2 (stationary), proved by applying ∂_α ∂_β to Lemma 1."""
    a, b = alpha, beta
    lhs = sp.Sum(n * m * a ** (n - 1) * b ** (m - 1) * u(n - m), (n, 0, sp.oo), (m, 0, sp.oo))
    l1 = lemma1().rhs
    d_l1 = sp.Derivative(l1, a, b)
    s = _S(a, b)
    w = sp.Sum(Delta * a**Delta * u(Delta), (Delta, 1, sp.oo)) + sp.Sum(
        Delta * b**Delta * u(-Delta), (Delta, 1, sp.oo)
    )
    expanded = (
        s / (1 - a * b) ** 2
        + 2 * a * b * s / (1 - a * b) ** 3
        + (a * sp.Derivative(s, a) + b * sp.Derivative(s, b)) / (1 - a * b) ** 2
    )
    rhs = (1 + a * b) / (1 - a * b) ** 3 * s + w / (1 - a * b) ** 2
    steps = (
        LemmaStep(lhs, sp.Derivative(lemma1().lhs, a, b),
                  "termwise ∂_α ∂_β of the double power series (uniform convergence on "
                  "compact subsets of the polydisc)"),
        LemmaStep(sp.Derivative(lemma1().lhs, a, b), d_l1, "Lemma 1"),
        LemmaStep(d_l1, expanded, "product and quotient rules"),
        LemmaStep(expanded, rhs, "α ∂_α S = Σ Δ α^Δ u_Δ, β ∂_β S = Σ Δ β^Δ u_{−Δ}; "
                  "collect (1 − αβ) + 2αβ = 1 + αβ"),
    )
    return Lemma(
        "Lemma 2",
        "Zucchet & Orvieto 2024, Lemma 2 (appendix); docs/theory.md §2",
        "α, β ∈ ℂ, |α| < 1, |β| < 1, (u_Δ)_{Δ∈ℤ} bounded",
        lhs,
        rhs,
        steps,
    )


@cache
def lemma1_finite() -> Lemma:
    """Lemma 1 at finite horizon T (0 ≤ n, m < T)."""
    a, b = alpha, beta
    lhs = sp.Sum(a**n * b**m * u(n - m), (n, 0, T - 1), (m, 0, T - 1))
    split = (
        sp.Sum((a * b) ** m * u(0), (m, 0, T - 1))
        + sp.Sum(a ** (m + Delta) * b**m * u(Delta), (m, 0, T - 1 - Delta), (Delta, 1, T - 1))
        + sp.Sum(a**n * b ** (n + Delta) * u(-Delta), (n, 0, T - 1 - Delta), (Delta, 1, T - 1))
    )
    geom = (
        u(0) * (1 - (a * b) ** T) / (1 - a * b)
        + sp.Sum(a**Delta * u(Delta) * (1 - (a * b) ** (T - Delta)) / (1 - a * b),
                 (Delta, 1, T - 1))
        + sp.Sum(b**Delta * u(-Delta) * (1 - (a * b) ** (T - Delta)) / (1 - a * b),
                 (Delta, 1, T - 1))
    )
    rhs = (
        u(0) * (1 - (a * b) ** T)
        + sp.Sum(u(Delta) * (a**Delta - a**T * b ** (T - Delta))
                 + u(-Delta) * (b**Delta - b**T * a ** (T - Delta)), (Delta, 1, T - 1))
    ) / (1 - a * b)
    steps = (
        LemmaStep(lhs, split, "group the (finitely many) terms by Δ = n − m; for Δ ≥ 0, "
                  "n = m + Δ with 0 ≤ m ≤ T − 1 − Δ"),
        LemmaStep(split, geom, "finite geometric sum Σ_{m=0}^{N−1} (αβ)^m = "
                  "(1 − (αβ)^N)/(1 − αβ), αβ ≠ 1"),
        LemmaStep(geom, rhs, "α^Δ (αβ)^{T−Δ} = α^T β^{T−Δ}; factor 1/(1 − αβ)"),
    )
    return Lemma(
        "Lemma 1 (finite horizon)",
        "finite-horizon version of Zucchet & Orvieto 2024, Lemma 1 (derived here)",
        "α, β ∈ ℂ, αβ ≠ 1, T ≥ 1 an integer, (u_Δ) any sequence",
        lhs,
        rhs,
        steps,
        finite=True,
    )


@cache
def lemma2_finite() -> Lemma:
    """Lemma 2 at finite horizon T: ∂_α ∂_β of finite Lemma 1."""
    a, b = alpha, beta
    lhs = sp.Sum(n * m * a ** (n - 1) * b ** (m - 1) * u(n - m), (n, 0, T - 1), (m, 0, T - 1))
    l1 = lemma1_finite()
    rhs = sp.diff(l1.rhs, a, b)
    steps = (
        LemmaStep(lhs, sp.Derivative(l1.lhs, a, b), "∂_α ∂_β of a polynomial, term by term"),
        LemmaStep(sp.Derivative(l1.lhs, a, b), rhs, "finite Lemma 1, then differentiate"),
    )
    return Lemma(
        "Lemma 2 (finite horizon)",
        "finite-horizon version of Zucchet & Orvieto 2024, Lemma 2 (derived here)",
        "α, β ∈ ℂ, αβ ≠ 1, T ≥ 1 an integer, (u_Δ) any sequence",
        lhs,
        rhs,
        steps,
        finite=True,
    )


ALL_LEMMAS: dict[str, Callable[[], Lemma]] = {
    "lemma1": lemma1,
    "lemma2": lemma2,
    "lemma1_finite": lemma1_finite,
    "lemma2_finite": lemma2_finite,
}


# --------------------------------------------------------------------------------------
# Checking
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TestSequence:
    """A bounded, non-symmetric test sequence with exactly summable tails.

    u_Δ = c₊ r₊^Δ + e_Δ (Δ ≥ 0) and u_{−Δ} = c₋ r₋^Δ + e_{−Δ} (Δ ≥ 1), where e is
    supported on |Δ| ≤ K; all constants are exact rationals.
    """

    c_plus: sp.Rational
    r_plus: sp.Rational
    c_minus: sp.Rational
    r_minus: sp.Rational
    bumps: tuple[sp.Rational, ...]  # e_{−K..K}

    @property
    def K(self) -> int:
        return len(self.bumps) // 2

    def value(self, d: int) -> sp.Rational:
        bump = self.bumps[d + self.K] if abs(d) <= self.K else 0
        if d >= 0:
            return self.c_plus * self.r_plus**d + bump
        return self.c_minus * self.r_minus ** (-d) + bump

    def symbolic(self, arg: sp.Expr) -> sp.Expr | None:
        """u(arg) for an argument of known sign (a number, Δ or −Δ with Δ ≥ 1), else None."""
        if arg.is_Integer:
            return self.value(int(arg))
        for sign, c, r in ((1, self.c_plus, self.r_plus), (-1, self.c_minus, self.r_minus)):
            var = sign * arg
            if var.is_Symbol and var.is_positive:
                bumps = sum((self.bumps[self.K + sign * j] * sp.KroneckerDelta(var, j)
                             for j in range(1, self.K + 1)), sp.Integer(0))
                return c * r**var + bumps
        return None


def random_sequence(rng: Any) -> TestSequence:
    """A :class:`TestSequence` with random rational constants (``rng``: random.Random)."""

    def q(lo: float, hi: float) -> sp.Rational:
        return sp.Rational(round(rng.uniform(lo, hi) * 1000), 1000)

    K = 2
    return TestSequence(q(-1, 1), q(-0.9, 0.9), q(-1, 1), q(-0.9, 0.9),
                        tuple(q(-1, 1) for _ in range(2 * K + 1)))


def _is_u(e: sp.Basic) -> bool:
    return isinstance(e, sp.Function) and e.func == u


class _NotExact(Exception):
    """A sum whose u-argument has unknown sign (the double sum of a lemma's left side)."""


def _sum_one(body: sp.Expr, var: sp.Symbol, lo: Any, hi: Any, seq: TestSequence) -> sp.Expr:
    """Σ_{var=lo}^{hi} body exactly, with u(±var) := the geometric part plus the bumps."""

    calls = [c for c in body.atoms(sp.Function) if _is_u(c) and c.has(var)]
    if not calls:
        return sum_closed_form(body, var, lo, hi)
    if len(calls) > 1:
        terms = sp.Add.make_args(sp.expand(body))
        if len(terms) == 1:
            raise _NotExact
        return sum((_sum_one(term, var, lo, hi, seq) for term in terms), sp.Integer(0))
    call = calls[0]
    arg = call.args[0]
    if arg == var:
        sign, c, r = 1, seq.c_plus, seq.r_plus
    elif arg == -var:
        sign, c, r = -1, seq.c_minus, seq.r_minus
    else:
        raise _NotExact
    if not (lo.is_Integer and lo >= 1):
        raise _NotExact
    total = sum_closed_form(body.xreplace({call: c * r**var}), var, lo, hi)
    for j in range(int(lo), seq.K + 1):
        if hi is sp.oo or (hi.is_Integer and j <= hi):
            total += body.xreplace({call: seq.bumps[seq.K + sign * j]}).subs(var, j)
    return total


def _exact(expr: sp.Expr, seq: TestSequence, horizon: int | None) -> sp.Expr | None:
    """``expr`` with u := ``seq`` (and T := ``horizon``), every sum done exactly, derivatives
    taken after summing; None if a sum has a u-argument of unknown sign (u(n − m))."""
    e = expr if horizon is None else expr.subs(T, horizon)
    e = e.replace(lambda x: _is_u(x) and x.args[0].is_Integer,
                  lambda x: seq.value(int(x.args[0])))

    def ev(x: sp.Basic) -> sp.Basic:
        if isinstance(x, sp.Sum):
            body = ev(x.function)
            for var, lo, hi in x.limits:
                body = _sum_one(body, var, lo, hi, seq)
            return body
        if x.args:
            return x.func(*[ev(arg) for arg in x.args])
        return x

    try:
        e = ev(e)
    except _NotExact:
        if horizon is None:
            return None
        # finite horizon: every sum is finite; expand them, then u(number) := seq
        e = (expr.subs(T, horizon)).doit()
        e = e.replace(_is_u, lambda x: seq.value(int(x.args[0])))
    return e.doit() if e.has(sp.Derivative) else e


def _numeric(expr: sp.Expr, seq: TestSequence, a: complex, b: complex, horizon: int | None,
             terms: int) -> complex:
    """``expr`` at α = a, β = b in double precision, infinite sums truncated at ``terms``."""
    e = expr if horizon is None else expr.subs(T, horizon)
    e = e.replace(lambda x: isinstance(x, sp.Derivative), lambda x: x.doit())
    values: dict[int, float] = {}

    def uval(d: int) -> float:
        d = int(d)
        if d not in values:
            values[d] = float(seq.value(d))
        return values[d]

    env = {alpha: a, beta: b}
    sums = list(e.atoms(sp.Sum))
    sums = [x for x in sums if not any(x != y and y.has(x) for y in sums)]  # outermost
    placeholders = {x: sp.Dummy() for x in sums}
    outer = e.xreplace(placeholders)
    vals = [_numeric_sum(x, env, uval, terms) for x in sums]
    fn = sp.lambdify([alpha, beta, *placeholders.values()], outer,
                     modules=[{"u": uval}, "cmath"])
    return complex(fn(a, b, *vals))


def _numeric_sum(s: sp.Sum, env: dict, uval: Callable[[int], float], terms: int) -> complex:
    limits = list(s.limits)
    variables = [lim[0] for lim in limits]
    body = sp.lambdify([alpha, beta, *variables], s.function, modules=[{"u": uval}, "cmath"])
    bound = [sp.lambdify([alpha, beta, *variables], lim[1:], modules="math") for lim in limits]

    def loop(level: int, fixed: dict[sp.Symbol, int]) -> complex:
        var, lo, hi = limits[level]
        args = [env[alpha], env[beta], *(fixed.get(v, 0) for v in variables)]
        lo_v = int(lo) if lo.is_number else int(bound[level](*args)[0].real)
        hi_v = lo_v + terms if hi is sp.oo else (
            int(hi) if hi.is_number else int(bound[level](*args)[1].real))
        total = 0j
        for j in range(lo_v, hi_v + 1):
            fixed2 = {**fixed, var: j}
            if level == 0:
                total += body(env[alpha], env[beta], *(fixed2.get(v, 0) for v in variables))
            else:
                total += loop(level - 1, fixed2)
        return total

    return loop(len(limits) - 1, {})


@dataclass(frozen=True)
class StepCheck:
    """Outcome of :func:`check_step`: exact verdict (None: not decidable exactly for this
    step, see ``detail``) and the largest relative difference at random complex points."""

    holds: bool
    exact: bool | None
    max_rel_error: float
    detail: str


#: relative tolerance of the double-precision numeric confirmation
NUMERIC_TOL = 1e-9


def check_step(step: LemmaStep, *, finite: bool, points: int = 3, seed: int = 0,
               horizons: Sequence[int] = (1, 2, 5), terms: int = 120,
               at: Sequence[tuple[complex, complex]] = (), exact: bool = True) -> StepCheck:
    """Confirm ``step`` exactly and at random complex points.

    *Exact*: u is a random non-symmetric :class:`TestSequence` (exact rationals:
    geometric tails plus bumps) and, for finite-horizon steps, T is each of
    ``horizons``; every sum is evaluated exactly and ``simplify(lhs − rhs) == 0`` is
    required as a rational function of the symbols α, β.  A stationary step whose
    double sum has a u-argument of unknown sign (the regrouping of Lemma 1) cannot
    be summed exactly; it is the T → ∞ limit of the finite-horizon step that is
    checked exactly, and here it is confirmed numerically.
    *Numeric*: both sides at ``points`` random α, β with 0.1 ≤ |α|, |β| ≤ 0.7 (and at
    the pairs ``at``),
    infinite sums truncated after ``terms`` terms (tail ≤ 0.7^terms times a
    polynomial factor, < 1e−15 for 120 terms), finite ones summed fully;
    relative difference ≤ :data:`NUMERIC_TOL`.
    """

    rng = random.Random(seed)
    seq = random_sequence(rng)
    verdict: bool | None = True
    detail = ""
    for h in (horizons if finite and exact else (None,) if exact else ()):
        lhs, rhs = _exact(step.lhs, seq, h), _exact(step.rhs, seq, h)
        if lhs is None or rhs is None:
            verdict = None
            detail = "regrouping of an absolutely convergent double sum: exact at finite T"
            break
        if sp.simplify(sp.together(lhs - rhs)) != 0:
            verdict = False
            detail = f"lhs - rhs != 0 for u = {seq} at T = {h}"
            break
    if not exact:
        verdict, detail = None, "exact check not requested"
    max_err = 0.0
    pairs = [(rng.uniform(0.1, 0.7) * cmath.exp(1j * rng.uniform(-3.1, 3.1)),
              rng.uniform(0.1, 0.7) * cmath.exp(1j * rng.uniform(-3.1, 3.1)))
             for _ in range(points)]
    for a, b in [*pairs, *at]:
        h = horizons[-1] + 2 if finite else None
        lv = _numeric(step.lhs, seq, a, b, h, terms)
        rv = _numeric(step.rhs, seq, a, b, h, terms)
        max_err = max(max_err, abs(lv - rv) / max(abs(lv), abs(rv), 1e-300))
    holds = verdict is not False and max_err <= NUMERIC_TOL
    return StepCheck(holds, verdict, max_err, detail)


# --------------------------------------------------------------------------------------
# Brute-force route (oracle column): truncated double sums with a proven tail bound
# --------------------------------------------------------------------------------------
def brute_force_sum(which: int, a: Any, b: Any, seq: TestSequence, *, horizon: int | None = None,
                    dps: int = 40) -> tuple[Any, Any]:
    """(value, error bound) of Σ_{n,m} w α^n β^m u_{n−m} in mpmath, never using a lemma.

    ``which`` = 1: w = 1 (Lemma 1's left side); 2: w = n m / (αβ) (Lemma 2's).
    Finite ``horizon`` T: the exact finite sum over n, m < T (bound 0).  Stationary:
    truncated at n, m ≤ N with N chosen so that the proven tail bound
    U [τ(|α|) σ(|β|) + σ(|α|) τ(|β|)] ≤ 10^{−dps}, where U ≥ sup|u|, σ(r) = Σ_{n≥0} w_n r^n
    and τ(r) = Σ_{n>N} w_n r^n (w_n = 1 or n r^{−1}), both summed exactly.
    """
    if which not in (1, 2):
        raise ValueError(f"which must be 1 or 2, got {which!r}")
    with mpmath.workdps(dps + 10):
        a, b = mpmath.mpmathify(a), mpmath.mpmathify(b)
        ra, rb = abs(a), abs(b)
        if not (ra < 1 and rb < 1):
            raise ValueError("|alpha| and |beta| must be < 1")
        U = (abs(seq.c_plus) + abs(seq.c_minus) + max(abs(x) for x in seq.bumps))
        U = mpmath.mpf(U.p) / U.q

        def sigma(r: Any) -> Any:
            return 1 / (1 - r) if which == 1 else 1 / (1 - r) ** 2

        def tau(r: Any, N: int) -> Any:
            if which == 1:
                return r ** (N + 1) / (1 - r)
            return ((N + 1) * r**N * (1 - r) + r ** (N + 1)) / (1 - r) ** 2

        if horizon is None:
            N, bound = 8, mpmath.inf
            target = mpmath.mpf(10) ** (-dps)
            while True:
                bound = U * (tau(ra, N) * sigma(rb) + sigma(ra) * tau(rb, N))
                if bound < target or N > 20000:
                    break
                N = int(N * 1.3) + 1
            top = N
        else:
            top, bound = horizon - 1, mpmath.mpf(0)
        uv = {d: (lambda q: mpmath.mpf(q.p) / q.q)(seq.value(d)) for d in range(-top, top + 1)}
        pa = [mpmath.mpf(1)] * (top + 1)
        pb = [mpmath.mpf(1)] * (top + 1)
        for j in range(1, top + 1):
            pa[j], pb[j] = pa[j - 1] * a, pb[j - 1] * b
        total = mpmath.mpc(0)
        for n_ in range(top + 1):
            row = mpmath.mpc(0)
            for m_ in range(top + 1):
                term = pb[m_] * uv[n_ - m_]
                row += term if which == 1 else m_ * term
            total += pa[n_] * row if which == 1 else n_ * pa[n_] * row
        if which == 2:
            total /= a * b
        return +total, +bound


def rhs_value(lemma: Lemma, a: Any, b: Any, seq: TestSequence, *, horizon: int | None = None,
              dps: int = 40) -> Any:
    """The right side of ``lemma`` with u := ``seq`` summed exactly, evaluated at (α, β)."""
    e = _exact(lemma.rhs, seq, horizon)
    if e is None:
        raise ValueError("right side cannot be summed exactly")
    with mpmath.workdps(dps + 10):
        val = sp.N(e.subs({alpha: sp.Float(mpmath.re(a), dps + 10) + sp.I * sp.Float(
            mpmath.im(a), dps + 10), beta: sp.Float(mpmath.re(b), dps + 10) + sp.I * sp.Float(
            mpmath.im(b), dps + 10)}), dps + 5)
        re_v, im_v = val.as_real_imag()
        return mpmath.mpc(mpmath.mpf(str(re_v.evalf(dps + 5))),
                          mpmath.mpf(str(im_v.evalf(dps + 5))))
