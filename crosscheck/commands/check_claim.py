"""Decide whether a claimed closed form equals a derived moment (``rnnverify check-claim``).

A user claims that a quantity of the linear recurrence h_{t+1} = λh_t + x_t
(``h2`` = E|h|², ``dh2_dlam`` = E|d_λh|², ``dh2_dtheta`` = E|d_θh|², ``cross_h`` =
E[h(λ) conj h(λ₂)], ``cross_dh`` = E[d_λh(λ) conj d_λh(λ₂)]) equals an expression in
``lam`` (the modulus ν when an angle is present), ``lam2``, ``theta``, ``theta2``
(angle of λ₂), ``rho`` and ``t`` (finite horizon, h_0 = 0; absent = stationary).
The reference is the derived SymPy expression :func:`theory.memory.moments.moment_expr`
(Lemmas 1–2 of Zucchet & Orvieto 2024 applied to the autocorrelation).

Three verdicts (``holds`` true / false / null; exit codes 0 / 1 / 4):

* **proved** — the difference simplifies to zero symbolically (in a child
  process under a time budget): generators e^{iθ} → z, base^t → a symbol,
  re/im through conjugates, trigonometric functions through exponentials, then
  ``cancel``/``together``, ``radsimp``, exp/log/sqrt rewriting and ``simplify``.
  The proof is also confirmed at the numeric points.
* **refuted** — a point where the claim and the derivation differ by more than
  the detection threshold at 120 digits; it is reported with the claimed,
  derived and (independent, :mod:`theory.memory.oracle`) oracle values.  A difference
  proven to be a nonzero rational function with rational coefficients refutes
  the claim too (the worst point is then shown).
* **unproven** — neither: agreement at every point checked is evidence, not proof.

**Points** are random, drawn from ``--seed`` and reported: real λ in (−1, 1)
and complex λ = ν e^{iθ} (θ in [−π, π], small and near π too), |λ| up to
1 − 10⁻⁶, ρ in [−1, 1] including ρ = ±1 exactly, t from 1 to 10⁴; plus points
where the claim's own terms vary fastest — the stationary points of every
additive term and of every argument of exp/sin/cos/log inside it (bump centres),
and the neighbourhoods of its poles.

**Tolerance** follows from the working precision: each point is evaluated at
60 and 120 digits; the 60-digit values estimate the rounding error, and a point
fails when the 120-digit relative difference exceeds max(10⁻⁴⁰, 10³ × the
rounding estimate scaled to 120 digits).  The report states the smallest
relative discrepancy the run could have detected (the largest threshold used).

**Autocorrelations without a closed-form generating function** are evaluated
through the oracle's lag sums with their proven tail bound
(:func:`theory.memory.oracle.oracle_moments`, ``method="sums"``) at the same random
points; points whose lag sum would exceed :data:`LAG_TERMS_BUDGET` terms are
skipped and counted, and the largest |λ| reached is reported.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from rnnverify.crosscheck.schema import document
from rnnverify.theory.budget import Budget
from rnnverify.theory.memory.autocorr import ar1, from_expression
from rnnverify.theory.memory.moments import moment_expr, theta2
from rnnverify.theory.memory.oracle import oracle_cross, oracle_moments
from rnnverify.theory.parser import parse_constant, parse_expression
from rnnverify.theory.precise import GUARD_DIGITS, PreciseValue, precise_value
from rnnverify.theory.symbols import lam, lam2, rho, t, theta

from rnnverify.errors import ArgumentTypeError, ArgumentValueError

__all__ = [
    "QUANTITIES",
    "VERDICTS",
    "ClaimResult",
    "PreparedClaim",
    "UnevaluableClaim",
    "check_claim",
    "decide_claim",
    "prepare_claim",
]

QUANTITIES = ("h2", "dh2_dlam", "dh2_dtheta", "cross_h", "cross_dh")
#: the verdicts and what each means (``holds``: True / False / None)
VERDICTS = {
    "proved": "the difference simplifies to zero symbolically",
    "refuted": "a point where the claim differs from both the derivation and the "
               "independent oracle, which agree with each other",
    "unproven": "no counterexample at the points checked and no proof",
    "inconsistent": "the derivation and the independent oracle (or the symbolic proof) "
                    "disagree at a point: a fault of the tool, not of the claim; nothing "
                    "is concluded",
}
#: significant digits every compared value is evaluated to (theory.precise)
DIGITS = 50
#: relative difference that refutes (far above the DIGITS-digit error bounds)
TOLERANCE = 1e-40
#: lag-sum route (autocorrelations without closed form): digits
SUM_DPS = 30
#: digits of the oracle at a failing point (more when the difference is smaller)
ORACLE_DIGITS = 40
#: focus points: grid size of the scan, bisection steps per root, roots per piece,
#: pieces of the claim scanned, largest count_ops scanned, points kept
FOCUS_GRID, FOCUS_BISECTIONS, FOCUS_ROOTS = 512, 60, 6
FOCUS_PIECES, FOCUS_MAX_OPS, FOCUS_MAX_POINTS = 8, 400, 60
#: |λ| closest to 1 in the random points
EDGE = 1e-6

_z, _z2 = sp.symbols("z z2")


# ----------------------------------------------------------------- result


@dataclass
class ClaimResult:
    """The verdict of :func:`check_claim` (``as_dict`` gives the body of the CLI's JSON,
    ``to_dict`` the whole document)."""

    verdict: str  # "proved" | "refuted" | "unproven" | "inconsistent" (VERDICTS)
    max_rel_error: float | None
    counterexample: dict[str, Any] | None
    decided_by: str  # "symbolic" | "numeric" | "none"
    symbolic: str  # "zero" | "nonzero" | "inconclusive" | "skipped"
    quantity: str
    claim: str
    derived: str
    points_checked: int
    points_skipped: int
    seed: int
    detectable: float | None  # smallest relative discrepancy detectable at every point
    points: list[dict[str, Any]] = field(default_factory=list)
    focus_points: int = 0
    mode: dict[str, Any] = field(default_factory=dict)

    @property
    def holds(self) -> bool | None:
        return {"proved": True, "refuted": False}.get(self.verdict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "holds": self.holds,
            "max_rel_error": self.max_rel_error,
            "counterexample": self.counterexample,
            "decided_by": self.decided_by,
            "symbolic": self.symbolic,
            "quantity": self.quantity,
            "claim": self.claim,
            "derived": self.derived,
            "points_checked": self.points_checked,
            "points_skipped": self.points_skipped,
            "focus_points": self.focus_points,
            "seed": self.seed,
            "tolerance": TOLERANCE,
            "smallest_detectable_rel_error": self.detectable,
            "digits": SUM_DPS if self.mode.get("lag_sums") else DIGITS,
            "verdict_means": VERDICTS[self.verdict],
            **self.mode,
            "points": self.points,
        }

    def to_dict(self) -> dict[str, Any]:
        """The ``check-claim --json`` document."""
        return document("check-claim", self.as_dict())


# ----------------------------------------------------------------- setup


def _theta2() -> sp.Symbol:
    return theta2


@dataclass(frozen=True)
class PreparedClaim:
    """A parsed claim with its derived reference, the regime and the variables that range."""

    quantity: str
    claim: sp.Expr
    derived: sp.Expr
    complex_mode: bool
    finite: bool
    rho_fixed: sp.Expr | None  # exact value when --rho is given
    rho_free: bool  # rho ranges over [-1, 1]
    autocorr: Any  # theory.memory.autocorr.Autocorrelation
    variables: tuple[sp.Symbol, ...]
    #: the claim's domain in λ when narrower than (−1, 1): points are drawn inside it only
    lam_interval: tuple[float, float] | None = None


def _parse_claim(text: str, quantity: str) -> sp.Expr:
    cross = quantity.startswith("cross")
    allowed = ["lam", "rho", "theta", "t"] + (["lam2", "theta2"] if cross else [])
    try:
        return parse_expression(text, allowed=allowed)
    except ValueError as exc:
        raise ArgumentValueError("expr", str(exc)) from None


def _setup(quantity: str, expr: str, rho_value: Any, autocorr_text: str | None) -> PreparedClaim:
    if quantity not in QUANTITIES:
        raise ArgumentValueError("quantity", f"must be one of {', '.join(QUANTITIES)}, got "
                                 f"{quantity!r}")
    if rho_value is not None and autocorr_text is not None:
        raise ArgumentValueError("autocorr", "give {rho} or {autocorr}, not both")
    claim = _parse_claim(expr, quantity)
    syms = claim.free_symbols
    theta2 = _theta2()
    complex_mode = quantity == "dh2_dtheta" or bool(syms & {theta, theta2})
    finite = t in syms
    rho_fixed = None
    if autocorr_text is not None:
        if not isinstance(autocorr_text, str):
            raise ArgumentTypeError("autocorr", "must be an expression string")
        try:
            ac = from_expression(autocorr_text)
        except ValueError as exc:
            raise ArgumentValueError("autocorr", str(exc)) from None
        if rho in syms and not ac.has_rho:
            raise ArgumentValueError("expr", "{expr} uses rho but the autocorrelation given by "
                                     "{autocorr} does not")
    elif rho_value is not None:
        rho_fixed = _exact_rho(rho_value)
        ac = ar1(rho_fixed)
    else:
        ac = ar1()
    derived = moment_expr(quantity, ac, complex_lambda=complex_mode, finite_t=finite)
    if rho_fixed is not None:
        claim = claim.subs(rho, rho_fixed)
        derived = derived.subs(rho, rho_fixed)
    rho_free = (claim.has(rho) or derived.has(rho)) and rho_fixed is None
    variables = [lam]
    if quantity.startswith("cross"):
        variables.append(lam2)
    if complex_mode:
        variables.append(theta)
        if quantity.startswith("cross"):
            variables.append(theta2)
    if rho_free:
        variables.append(rho)
    if finite:
        variables.append(t)
    return PreparedClaim(
        quantity, claim, derived, complex_mode, finite, rho_fixed, rho_free, ac, tuple(variables)
    )


def _exact_rho(value: Any) -> sp.Expr:
    """ρ as an exact SymPy number in [−1, 1] from a number or a constant expression."""
    if isinstance(value, str):
        r = parse_constant(value, name="rho")
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgumentTypeError("rho", f"must be a number, got {type(value).__name__}")
    else:
        if not math.isfinite(value):
            raise ArgumentValueError("rho", f"must be finite, got {value!r}")
        r = sp.Integer(value) if isinstance(value, int) else sp.Rational(value)
    if not r.is_real or not (-1 <= r <= 1):
        raise ArgumentValueError("rho", f"must lie in [-1, 1], got {value}")
    return r


# ----------------------------------------------------------------- symbolic stage


def _exp_to_z(arg: sp.Expr) -> sp.Expr:
    """exp(c₀ + i n θ + i m θ₂) → exp(c₀) z^n z₂^m for integer n, m."""
    theta2 = _theta2()
    rest, pz, pz2 = sp.Integer(0), sp.Integer(0), sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(arg)):
        c1 = sp.simplify(term / (sp.I * theta)) if term.has(theta) else None
        c2 = sp.simplify(term / (sp.I * theta2)) if term.has(theta2) else None
        if c1 is not None and c1.is_Integer:
            pz += c1
        elif c2 is not None and c2.is_Integer:
            pz2 += c2
        else:
            rest += term
    return sp.exp(rest) * _z**pz * _z2**pz2


def _normal_form(diff: sp.Expr) -> tuple[sp.Expr, tuple[sp.Symbol, ...]]:
    """The difference as an expression in independent generators (see module docstring)."""
    d = diff.replace(sp.re, lambda x: (x + sp.conjugate(x)) / 2)
    d = d.replace(sp.im, lambda x: (x - sp.conjugate(x)) / (2 * sp.I))
    gens: list[sp.Symbol] = []
    if d.has(t):
        # t is an integer: (ab)^t = a^t b^t and a^(t+c) = a^t a^c are identities
        d = d.replace(
            lambda e: e.is_Pow and e.exp.has(t),
            lambda e: sp.expand_power_base(sp.expand_power_exp(e), force=True),
        )
        bases = sorted({p.base for p in d.atoms(sp.Pow) if p.exp.has(t)}, key=sp.default_sort_key)
        for i, base in enumerate(bases):
            g = sp.Symbol(f"_pow{i}")
            d = d.subs(base**t, g)
            gens.append(g)
    for trig in (sp.sin, sp.cos, sp.tan, sp.sinh, sp.cosh, sp.tanh):
        d = d.rewrite(trig, sp.exp)
    d = d.replace(sp.exp, _exp_to_z)
    return d, tuple(gens)


def _rewrites(d: sp.Expr, diff: sp.Expr, simplify_ops: int) -> list[Callable[[], sp.Expr]]:
    """Equality-preserving rewritings tried in turn (cheap first); ``simplify`` only on
    expressions of at most ``simplify_ops`` operations (a work cap, not a clock)."""
    out = [
        lambda: sp.radsimp(d),
        lambda: sp.cancel(sp.powsimp(sp.expand_log(d))),
        lambda: sp.cancel(sp.together(sp.powdenest(d.rewrite(sp.exp)))),
    ]
    if sp.count_ops(d) <= simplify_ops:
        out.append(lambda: sp.simplify(d))
    if sp.count_ops(diff) <= simplify_ops:
        out.append(lambda: sp.simplify(diff))
    return out


def _symbolic_verdict(diff: sp.Expr, finite: bool, simplify_ops: int) -> str:
    """'zero', 'nonzero' (proven) or 'inconclusive'."""
    d, gens = _normal_form(diff)
    d = sp.cancel(sp.together(d))
    if d == 0:
        return "zero"
    theta2 = _theta2()
    if not finite and not d.has(theta, theta2):
        generators = [s for s in (lam, lam2, rho, _z, _z2) if d.has(s)]
        if generators and _is_nonzero_rational_over_QQ(d, generators):
            return "nonzero"
    for attempt in _rewrites(d, diff, simplify_ops):
        try:
            if sp.cancel(sp.together(attempt())) == 0:
                return "zero"
        except (NotImplementedError, ValueError, TypeError, RecursionError,
                sp.PolynomialError):
            continue
    return "inconclusive"


def _is_nonzero_rational_over_QQ(d: sp.Expr, generators: list[sp.Symbol]) -> bool:
    """True when d is a ratio of polynomials in ``generators`` with *rational* coefficients
    and a nonzero numerator: then d ≢ 0 is proven.  Coefficients such as sqrt(3 + 2 sqrt 2)
    − 1 − sqrt 2 (zero, but not recognised by ``cancel``), pi or I make it inconclusive."""
    numer, denom = sp.fraction(sp.cancel(d))
    try:
        p = sp.Poly(numer, *generators, domain="QQ")
        sp.Poly(denom, *generators, domain="QQ")
    except (sp.PolynomialError, sp.CoercionFailed, sp.GeneratorsNeeded, ValueError, TypeError):
        return False
    return not p.is_zero


def _symbolic_stage(problem: PreparedClaim, budget: Budget) -> str:
    """The symbolic verdict (``"skipped"`` over ``symbolic_ops``; cuts are recorded)."""
    diff = problem.claim - problem.derived
    if not budget.allows(diff, "symbolic_ops", "symbolic stage"):
        return "skipped"
    verdict = budget.call(lambda: _symbolic_verdict(diff, problem.finite, budget.simplify_ops),
                          "symbolic stage")
    return "inconclusive" if verdict is None else verdict


# ----------------------------------------------------------------- points


def _random_value(v: sp.Symbol, problem: PreparedClaim, rng: random.Random) -> Any:
    """One random value of variable ``v`` over its whole domain (module docstring); a float,
    evaluated exactly (its binary value), so the reported point is the point checked."""
    theta2 = _theta2()
    u = rng.random()
    if v in (lam, lam2) and problem.lam_interval is not None:
        lo, hi = max(problem.lam_interval[0], -(1 - EDGE)), min(problem.lam_interval[1],
                                                                1 - EDGE)
        width = hi - lo  # uniform inside, and geometrically close to either end
        if u < 0.5:  # open interval: never an end point itself
            return float(min(max(rng.uniform(lo, hi), lo + width * 1e-9), hi - width * 1e-9))
        near = width * 10 ** rng.uniform(-6, -0.5)
        return float(lo + near if u < 0.75 else hi - near)
    if v in (lam, lam2):
        if u < 0.45:
            mag = rng.uniform(0.0, 1.0)
        elif u < 0.85:
            mag = 1 - 10 ** rng.uniform(-6, -0.5)
        else:
            mag = 1 - EDGE
        sign = 1 if problem.complex_mode or rng.random() < 0.5 else -1
        return float(sign * mag)
    if v in (theta, theta2):
        if u < 0.7:
            return float(rng.uniform(-math.pi, math.pi))
        if u < 0.85:
            return float(rng.choice((1, -1)) * 10 ** rng.uniform(-6, -1))
        return float(rng.choice((1, -1)) * (math.pi - 10 ** rng.uniform(-6, -1)))
    if v is rho:
        if u < 0.5:
            return float(rng.uniform(-1, 1))
        if u < 0.65:
            return 1.0
        if u < 0.8:
            return -1.0
        return float(rng.choice((1, -1)) * (1 - 10 ** rng.uniform(-6, -1)))
    # t: small, moderate and large horizons
    if u < 0.4:
        return rng.choice((1, 2, 3, 5))
    if u < 0.7:
        return rng.randint(6, 100)
    return rng.randint(101, 10_000)


def _random_points(problem: PreparedClaim, n: int, rng: random.Random
                   ) -> list[dict[sp.Symbol, Any]]:
    return [{v: _random_value(v, problem, rng) for v in problem.variables} for _ in range(n)]


def _inner_arguments(expr: sp.Expr) -> list[sp.Expr]:
    """Arguments of exp/sin/cos/tan/log/sinh/cosh/tanh/Pow-with-symbolic-exponent in ``expr``."""
    funcs = (sp.exp, sp.sin, sp.cos, sp.tan, sp.log, sp.sinh, sp.cosh, sp.tanh)
    out = [a.args[0] for a in expr.atoms(*funcs)]
    out += [p.exp for p in expr.atoms(sp.Pow) if p.exp.free_symbols]
    return out


def _scan_grid(lo: float, hi: float) -> np.ndarray:
    """FOCUS_GRID points spread over [lo, hi], denser (geometrically) towards both ends."""
    n_edge = FOCUS_GRID // 8
    width = hi - lo
    near = width * np.logspace(-7, -1, n_edge)
    grid = np.concatenate([lo + near, np.linspace(lo, hi, FOCUS_GRID - 2 * n_edge), hi - near])
    return np.unique(np.clip(grid, lo, hi))


def _critical_values(f: sp.Expr, v: sp.Symbol, lo: float, hi: float) -> list[float]:
    """Real v in [lo, hi] where df/dv or the denominator of f changes sign between two
    neighbours of a fixed grid (stationary points and poles), refined by
    :data:`FOCUS_BISECTIONS` bisection steps: a fixed amount of work, whatever the
    machine's load (a double root without a sign change is not found)."""
    out: list[float] = []
    if sp.count_ops(f) > FOCUS_MAX_OPS:
        return out
    grid = _scan_grid(lo, hi)
    for g in (sp.diff(f, v), sp.fraction(sp.together(f))[1]):
        if not g.has(v) or g.free_symbols - {v}:
            continue
        try:
            fn = sp.lambdify(v, g, modules="numpy")
        except (ValueError, TypeError, RecursionError):  # e.g. a rational of 10⁴ digits
            continue
        with np.errstate(all="ignore"):
            try:
                values = np.asarray(fn(grid), dtype=complex) * np.ones_like(grid)
            except (ValueError, TypeError, ZeroDivisionError, OverflowError, NameError):
                continue
            values = np.where(np.abs(values.imag) <= 1e-12 * np.abs(values), values.real, np.nan)
            sign = np.sign(values.real)
            flips = np.flatnonzero((sign[:-1] * sign[1:] < 0)
                                   & np.isfinite(values.real[:-1]) & np.isfinite(values.real[1:]))
            for i in flips[:FOCUS_ROOTS]:
                a, b, fa = float(grid[i]), float(grid[i + 1]), float(sign[i])
                for _ in range(FOCUS_BISECTIONS):
                    m = 0.5 * (a + b)
                    try:
                        fm = complex(fn(m)).real
                    except (ValueError, TypeError, ZeroDivisionError, OverflowError):
                        break
                    if not math.isfinite(fm):
                        break
                    if math.copysign(1.0, fm) == fa:
                        a = m
                    else:
                        b = m
                out.append(0.5 * (a + b))
    return out


def _focus_points(problem: PreparedClaim, rng: random.Random) -> list[dict[sp.Symbol, Any]]:
    """Points where the claim's own terms vary fastest: stationary points of each additive
    term and of each argument of exp/sin/cos/log/... inside it (e.g. the centre of a
    narrow bump), and near its poles; the other variables at random values.  The work
    is fixed (grid scans, no solver under a clock), so a seed gives the same points."""
    base = {v: _random_value(v, problem, rng) for v in problem.variables}
    theta2 = _theta2()
    targets = [v for v in problem.variables if v in (lam, lam2, theta, theta2, rho)]
    pieces: list[sp.Expr] = []
    for term in sp.Add.make_args(sp.expand(problem.claim, deep=False)):
        inner = _inner_arguments(term)
        if inner:  # rational terms vary fastest at the domain's edges, which are sampled
            pieces.append(term)
            pieces.extend(inner)
    pieces = [p for p in pieces if p.free_symbols & set(targets)][:FOCUS_PIECES]
    points: list[dict[sp.Symbol, Any]] = []
    for v in targets:
        if v in (theta, theta2):
            lo, hi = -math.pi, math.pi
        elif problem.complex_mode and v in (lam, lam2):
            lo, hi = 0.0, 1 - EDGE
        elif v in (lam, lam2) and problem.lam_interval is not None:
            lo = max(problem.lam_interval[0], -(1 - EDGE)) + EDGE
            hi = min(problem.lam_interval[1], 1 - EDGE) - EDGE
        elif v in (lam, lam2):
            lo, hi = -(1 - EDGE), 1 - EDGE
        else:
            lo, hi = -1.0, 1.0
        others = {w: sp.Float(base[w], 30) for w in problem.variables if w is not v}
        for piece in pieces:
            if not piece.has(v):
                continue
            for c_val in _critical_values(piece.subs(others), v, lo, hi)[:FOCUS_ROOTS]:
                for offset in (0.0, 1e-7, -1e-4):
                    x = c_val + offset
                    if lo <= x <= hi:
                        points.append({**base, v: float(x)})
    return points[:FOCUS_MAX_POINTS]


# ----------------------------------------------------------------- evaluation


@dataclass
class _Evaluation:
    """Claim and derived value at one point, or why the point checks nothing."""

    claimed: Any = None
    derived: Any = None
    rel_error: float = 0.0
    threshold: float = 0.0
    dps: int = 0
    cancellation: float = 0.0
    unchecked: str | None = None  # "undefined" | "both_zero" | "precision" | "over_budget"
    claimed_bound: Any = 0  # absolute error bounds of the two values
    derived_bound: Any = 0

    @property
    def fails(self) -> bool:
        return self.unchecked is None and self.rel_error > self.threshold


def _compare(c: PreciseValue, d: PreciseValue) -> _Evaluation:
    """The relative difference of two precise values and the threshold it must exceed:
    TOLERANCE, or 10 × the two error bounds when they are larger."""
    dps = max(c.dps, d.dps)
    cancellation = max(c.cancellation, d.cancellation)
    bad = {"undefined", "non_finite"}
    if c.status in bad or d.status in bad:
        return _Evaluation(unchecked="undefined", dps=dps, cancellation=cancellation)
    if c.status == "lost" or d.status == "lost":
        return _Evaluation(unchecked="precision", dps=dps, cancellation=cancellation)
    if c.status == "zero" and d.status == "zero":
        return _Evaluation(c.value, d.value, unchecked="both_zero", dps=dps,
                           cancellation=cancellation)
    with mpmath.workdps(dps):
        scale = max(abs(c.value), abs(d.value))
        rel = abs(c.value - d.value) / scale
        threshold = max(mpmath.mpf(TOLERANCE), 10 * (c.abs_bound + d.abs_bound) / scale)
    return _Evaluation(c.value, d.value, float(rel), float(threshold), dps, cancellation,
                       claimed_bound=c.abs_bound, derived_bound=d.abs_bound)


def _closed_form_evaluator(problem: PreparedClaim, budget: Budget
                           ) -> Callable[[Mapping[sp.Symbol, Any]], _Evaluation]:
    """Claim and derived closed form, each to DIGITS significant digits with the working
    precision its cancellation needs (:func:`theory.precise.precise_value`)."""

    def evaluate(point: Mapping[sp.Symbol, Any], digits: int = DIGITS) -> _Evaluation:
        values = {v: point[v] for v in problem.variables}
        cap = max(budget.max_dps, digits + GUARD_DIGITS)
        c = precise_value(problem.claim, values, digits=digits, max_dps=cap)
        d = precise_value(problem.derived, values, digits=digits, max_dps=cap)
        return _compare(c, d)

    return evaluate


def _lag_terms(point: Mapping[sp.Symbol, Any]) -> float:
    """Terms the oracle's lag sum needs at this point (theory.memory.oracle: ≈ (2.3 dps + 3 ln
    1/(1−r))/(1−r) for stationary moments, t for finite ones)."""
    r = max(abs(float(point[v])) for v in (lam, lam2) if v in point)
    if t in point:
        return float(point[t])
    gap = max(1.0 - r, 1e-300)
    return (2.3 * SUM_DPS + 3 * math.log(1 / gap)) / gap


def _oracle_call(problem: PreparedClaim, point: Mapping[sp.Symbol, Any], dps: int,
                 method: str) -> tuple[Any, Any]:
    """The oracle (theory.memory.oracle, which never uses the closed form): value and error
    bound."""
    theta2 = _theta2()
    ac = problem.autocorr
    rho_val = sp.Rational(point[rho]) if rho in point else problem.rho_fixed
    kwargs: dict[str, Any] = {"t": point.get(t), "dps": dps, "method": method}
    if ac.rho is not None and method != "sums":  # R(k) = r^|k|: the Lyapunov route
        r = ac.rho.subs(rho, rho_val) if ac.rho.has(rho) else ac.rho
        kwargs["rho"] = str(sp.N(r, dps + 30))
    else:
        kwargs["autocorr"] = ac
        if ac.has_rho:
            kwargs["rho"] = str(sp.N(rho_val, dps + 30))
    if problem.quantity.startswith("cross"):
        out = oracle_cross(point[lam], point[lam2], theta=point.get(theta),
                           theta2=point.get(theta2), quantity=problem.quantity, **kwargs)
        return out["value"], out["error_bound"]
    out = oracle_moments(point[lam], theta=point.get(theta), **kwargs)
    return out[problem.quantity], out["error_bound"]


def _lag_sum_evaluator(problem: PreparedClaim, budget: Budget
                       ) -> Callable[[Mapping[sp.Symbol, Any]], _Evaluation]:
    """Derived value by the oracle's lag sums with their proven tail bound (no closed form
    for the generating function); the threshold is 10 × (tail + rounding bound)."""

    def evaluate(point: Mapping[sp.Symbol, Any], digits: int = SUM_DPS) -> _Evaluation:
        if _lag_terms(point) > budget.lag_terms:
            return _Evaluation(unchecked="over_budget")
        values = {v: point[v] for v in problem.variables}
        cap = max(budget.max_dps, digits + GUARD_DIGITS)
        c = precise_value(problem.claim, values, digits=digits, max_dps=cap)
        try:
            d, bound = _oracle_call(problem, point, digits, "sums")
        except (ValueError, ZeroDivisionError, ArithmeticError):
            return _Evaluation(unchecked="undefined")
        with mpmath.workdps(digits + 10):
            d = mpmath.mpmathify(d)
            dz = abs(d) <= abs(bound)
            derived = PreciseValue("zero" if dz else "ok", d, mpmath.mpf(abs(bound)),
                                   digits + 10, 0.0)
        ev = _compare(c, derived)
        if ev.unchecked is None:
            ev.threshold = max(ev.threshold, 10.0 ** (-(digits - 5)))
        return ev

    return evaluate


@dataclass
class _Witness:
    """What the independent oracle says at a failing point."""

    outcome: str  # "refutes" | "unwitnessed" | "inconsistent"
    oracle: Any = None
    detail: str = ""


def _witness(problem: PreparedClaim, point: Mapping[sp.Symbol, Any], ev: _Evaluation,
             evaluate: Callable[..., _Evaluation]) -> _Witness:
    """A refutation needs two witnesses: the derivation and the independent oracle must
    agree with each other and both differ from the claim.  When they disagree the
    derivation is evaluated again with twice the digits; a disagreement that stays is
    the tool's inconsistency, never the user's error."""
    digits = max(ORACLE_DIGITS, int(-math.log10(max(ev.rel_error, 1e-300))) + 25)
    sums = problem.derived.has(sp.Sum)
    try:
        o, bound = _oracle_call(problem, point, digits, "sums" if sums else "auto")
    except (ValueError, ZeroDivisionError, ArithmeticError) as exc:
        return _Witness("unwitnessed", detail=f"oracle unavailable here: {exc}")
    if sums:
        # the derived value came from the same lag sums: the second witness is the
        # derived series summed by mpmath.nsum (extrapolation, another algorithm)
        try:
            o = _nsum_value(problem, point, digits)
        except (ValueError, ZeroDivisionError, ArithmeticError, TypeError) as exc:
            return _Witness("unwitnessed", detail=f"second summation unavailable: {exc}")
        bound = abs(o) * mpmath.mpf(10) ** (-(digits // 2))
    with mpmath.workdps(digits + 20):
        o = mpmath.mpmathify(o)
        floor = mpmath.mpf(10) ** (-digits)
        tol = max(mpmath.mpf(ev.threshold), 10 * abs(bound) / max(abs(o), floor),
                  mpmath.mpf(10) ** (-(digits - 10)))

        def close(a: Any, a_bound: Any, b: Any, b_bound: Any) -> bool:
            """Equal within the relative tolerance, or within the two values' own
            absolute error bounds (two zeros of different rounding are equal)."""
            scale = max(abs(a), abs(b))
            return abs(a - b) <= tol * scale + 2 * (abs(a_bound) + abs(b_bound))

        derived_ok = close(ev.derived, ev.derived_bound, o, bound)
        claim_ok = close(ev.claimed, ev.claimed_bound, o, bound)
    if derived_ok and not claim_ok:
        return _Witness("refutes", o)
    if derived_ok and claim_ok:  # the oracle cannot resolve the difference
        return _Witness("unwitnessed", o, "the oracle agrees with both at its precision")
    again = evaluate(point, digits=2 * (DIGITS if not sums else SUM_DPS))
    if again.unchecked is None and not again.fails:
        return _Witness("unwitnessed", o, "no difference at twice the digits")
    with mpmath.workdps(digits + 20):
        if (again.unchecked is None and close(again.derived, again.derived_bound, o, bound)
                and not close(again.claimed, again.claimed_bound, o, bound)):
            return _Witness("refutes", o)
    return _Witness("inconsistent", o, "the derived value and the oracle disagree")


def _nsum_value(problem: PreparedClaim, point: Mapping[sp.Symbol, Any], digits: int) -> Any:
    """The derived expression with each of its series summed by ``mpmath.nsum``."""
    expr = problem.derived
    replaced: dict[sp.Basic, sp.Symbol] = {}
    values: dict[sp.Symbol, Any] = {v: point[v] for v in problem.variables}
    with mpmath.workdps(digits + 10):
        for i, series in enumerate(sorted(expr.atoms(sp.Sum), key=sp.default_sort_key)):
            (k, a, b), = series.limits
            fn = sp.lambdify((k, *problem.variables), series.function, modules="mpmath")
            args = [mpmath.mpmathify(values[v]) for v in problem.variables]
            total = mpmath.nsum(lambda kk, fn=fn, args=args: fn(kk, *args),
                                [int(a), mpmath.inf if b is sp.oo else int(b)])
            sym = sp.Symbol(f"_series{i}")
            replaced[series] = sym
            values[sym] = total
    out = precise_value(expr.xreplace(replaced), values, digits=digits)
    if not out.ok:
        raise ValueError(f"the summed form is {out.status} here")
    return out.value


def _jsonable_number(value: Any) -> Any:
    if value is None:
        return None
    value = mpmath.mpmathify(value)
    if isinstance(value, mpmath.mpc):
        if abs(value.imag) <= 1e-30 * abs(value):  # real up to rounding
            return float(value.real)
        return {"re": float(value.real), "im": float(value.imag)}
    return float(value)


def _digits_text(value: Any, digits: int = 30) -> str | None:
    """A value with ``digits`` significant digits, as text (JSON floats keep 17)."""
    if value is None:
        return None
    return mpmath.nstr(mpmath.mpmathify(value), digits)


def _point_dict(point: Mapping[sp.Symbol, Any]) -> dict[str, Any]:
    return {str(v): (val if isinstance(val, int) else float(val)) for v, val in point.items()}


# ----------------------------------------------------------------- entry point


class UnevaluableClaim(ArgumentValueError):
    """The claimed expression is undefined at every point of the domain (bad input)."""


def prepare_claim(
    quantity: str, expr: str, *, rho: Any = None, autocorr: str | None = None,
    lam_interval: tuple[float, float] | None = None,
) -> PreparedClaim:
    """Parse and validate the claim and derive the reference expression.

    ``lam_interval`` = (lo, hi) restricts a real-λ claim to lo < λ < hi (e.g. (0, 1) for a
    GRU gate λ = σ(b)): every point checked, hence every counterexample, lies inside it.

    Raises :class:`~rnnverify.errors.ArgumentValueError` / ``ArgumentTypeError`` naming the
    argument (``quantity``, ``expr``, ``rho``, ``autocorr``) for bad input.
    """
    if not isinstance(quantity, str):
        raise ArgumentTypeError("quantity", f"must be a string, got {type(quantity).__name__}")
    if not isinstance(expr, str):
        raise ArgumentTypeError("expr", f"must be a string, got {type(expr).__name__}")
    prepared = _setup(quantity, expr, rho, autocorr)
    if lam_interval is None:
        return prepared
    if prepared.complex_mode:
        raise ArgumentValueError("lam_interval", "applies to real λ only, not to a claim "
                                 "with an angle")
    try:
        lo, hi = (float(v) for v in lam_interval)
    except (TypeError, ValueError):
        raise ArgumentTypeError("lam_interval", "must be a pair of numbers (lo, hi)") from None
    if not -1.0 <= lo < hi <= 1.0:
        raise ArgumentValueError("lam_interval", f"must satisfy −1 ≤ lo < hi ≤ 1, got "
                                 f"({lo}, {hi})")
    return dataclasses.replace(prepared, lam_interval=(lo, hi))


def _counterexample(problem: PreparedClaim, point: Mapping[sp.Symbol, Any], ev: _Evaluation,
                    witness: _Witness | None) -> dict[str, Any]:
    # enough digits to show the difference: 30, or 6 more than the relative error needs
    shown = min(DIGITS, max(30, int(-math.log10(max(ev.rel_error, 1e-300))) + 6))
    oracle = witness.oracle if witness is not None else None
    if witness is None:
        try:
            oracle = _oracle_call(problem, point, ORACLE_DIGITS,
                                  "sums" if problem.derived.has(sp.Sum) else "auto")[0]
        except (ValueError, ZeroDivisionError, ArithmeticError):
            oracle = None
    return {
        "point": _point_dict(point),
        "claimed": _jsonable_number(ev.claimed),
        "derived": _jsonable_number(ev.derived),
        "oracle": _jsonable_number(oracle),
        "digits": {key: _digits_text(value, shown) for key, value in
                   (("claimed", ev.claimed), ("derived", ev.derived), ("oracle", oracle))},
        "rel_error": ev.rel_error,
        "threshold": ev.threshold,
        "dps": ev.dps,
    }


def decide_claim(
    problem: PreparedClaim, *, n_random: int = 100, seed: int = 0, symbolic: bool = True,
    budget: Budget | None = None,
) -> ClaimResult:
    """Run the symbolic and numeric stages on a prepared claim (module docstring)."""
    budget = (budget or Budget()).fresh()
    verdict = _symbolic_stage(problem, budget) if symbolic else "skipped"
    rng = random.Random(seed)
    focus = _focus_points(problem, rng)
    points = focus + _random_points(problem, n_random, rng)
    lag_sums = problem.derived.has(sp.Sum)
    evaluate = (_lag_sum_evaluator(problem, budget) if lag_sums
                else _closed_form_evaluator(problem, budget))
    checked = 0
    unchecked: dict[str, int] = {}
    max_err = 0.0
    detectable = 0.0
    worst: tuple[Any, _Evaluation] | None = None
    failing: list[tuple[Any, _Evaluation]] = []
    reported: list[dict[str, Any]] = []
    max_modulus = 0.0
    max_dps = 0
    for i, point in enumerate(points):
        ev = evaluate(point)
        max_dps = max(max_dps, ev.dps)
        if ev.unchecked is not None:
            unchecked[ev.unchecked] = unchecked.get(ev.unchecked, 0) + 1
            continue
        checked += 1
        detectable = max(detectable, ev.threshold)
        max_modulus = max([max_modulus] + [abs(float(point[v])) for v in (lam, lam2)
                                           if v in point])
        reported.append({**_point_dict(point), "rel_error": ev.rel_error,
                         "threshold": ev.threshold, "focus": i < len(focus), "dps": ev.dps})
        if worst is None or ev.rel_error > max_err:
            max_err, worst = ev.rel_error, (point, ev)
        if ev.fails:
            failing.append((point, ev))
    if checked == 0 or worst is None:
        if unchecked.get("both_zero"):
            raise UnevaluableClaim("expr", "{expr} and the derived quantity are both 0 at every "
                                   "point checked: nothing can be decided")
        raise UnevaluableClaim("expr", "{expr} could not be evaluated at any point of the domain")
    failing.sort(key=lambda pe: -pe[1].rel_error)
    refuting: tuple[Any, _Evaluation, _Witness] | None = None
    inconsistent: tuple[Any, _Evaluation, _Witness] | None = None
    unwitnessed = 0
    for point, ev in failing[: budget.witnesses]:
        w = _witness(problem, point, ev, evaluate)
        if w.outcome == "refutes":
            refuting = (point, ev, w)
            break  # one witnessed counterexample refutes
        if w.outcome == "inconsistent" and inconsistent is None:
            inconsistent = (point, ev, w)
        elif w.outcome == "unwitnessed":
            unwitnessed += 1
    shown: tuple[Any, _Evaluation, _Witness | None] | None = None
    note = None
    if verdict == "zero" and failing:
        # a symbolic zero is a proof: a failing point means the evaluation is broken
        outcome, decided = "inconsistent", "none"
        shown = refuting or inconsistent or (failing[0][0], failing[0][1], None)
        note = "the difference simplifies to zero, yet a numeric point differs"
    elif verdict == "zero":
        outcome, decided = "proved", "symbolic"
    elif refuting is not None:
        outcome, decided, shown = "refuted", "numeric", refuting
    elif inconsistent is not None:
        outcome, decided, shown = "inconsistent", "none", inconsistent
        note = inconsistent[2].detail
    elif verdict == "nonzero":
        # a nonzero rational function of independent generators: false even where the
        # sampled differences are tiny; the worst point serves as the counterexample
        outcome, decided, shown = "refuted", "symbolic", (worst[0], worst[1], None)
    else:
        outcome, decided = "unproven", "none"
    counterexample = None
    if shown is not None:
        counterexample = _counterexample(problem, shown[0], shown[1], shown[2])
    mode = {
        "complex_lambda": problem.complex_mode,
        "finite_t": problem.finite,
        "rho": None if problem.rho_fixed is None else float(problem.rho_fixed),
        "rho_ranges": problem.rho_free,
        "autocorr": str(problem.autocorr.expr),
        "lag_sums": lag_sums,
        "max_abs_lam_checked": max_modulus,
        "max_dps": max_dps,
        "failing_points": len(failing),
        "unwitnessed_failures": unwitnessed,
        "unchecked": dict(sorted(unchecked.items())),
        "inconsistency": note,
        "budget": budget.to_dict(),
    }
    return ClaimResult(
        verdict=outcome,
        max_rel_error=max_err,
        counterexample=counterexample,
        decided_by=decided,
        symbolic=verdict,
        quantity=problem.quantity,
        claim=str(problem.claim),
        derived=str(problem.derived),
        points_checked=checked,
        points_skipped=sum(unchecked.values()),
        seed=seed,
        detectable=detectable,
        points=reported,
        focus_points=len(focus),
        mode=mode,
    )


def check_claim(
    quantity: str,
    expr: str,
    *,
    rho: Any = None,
    autocorr: str | None = None,
    n_random: int = 100,
    seed: int = 0,
    symbolic: bool = True,
    budget: Budget | None = None,
) -> ClaimResult:
    """Decide whether ``expr`` equals the derived ``quantity`` (module docstring).

    ``rho`` fixes R(k) = ρ^|k| (a number or a constant expression string);
    ``autocorr`` is an expression in k (and rho); neither: ρ^|k| with ρ ranging
    over [−1, 1].  ``budget`` caps the work (:class:`theory.budget.Budget`).
    Raises ValueError/TypeError for bad input (naming the flag).
    """
    problem = prepare_claim(quantity, expr, rho=rho, autocorr=autocorr)
    if budget is not None and not isinstance(budget, Budget):
        raise TypeError(f"budget must be a Budget, got {type(budget).__name__}")
    return decide_claim(problem, n_random=n_random, seed=seed, symbolic=symbolic,
                        budget=budget)
