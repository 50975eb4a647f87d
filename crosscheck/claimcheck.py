"""Decide whether a claimed closed form equals a derived moment (``rnnverify check-claim``).

A user claims that a quantity of the linear recurrence h_{t+1} = λh_t + x_t
(``h2`` = E|h|², ``dh2_dlam`` = E|d_λh|², ``dh2_dtheta`` = E|d_θh|², ``cross_h`` =
E[h(λ) conj h(λ₂)], ``cross_dh`` = E[d_λh(λ) conj d_λh(λ₂)]) equals an expression in
``lam`` (the modulus ν when an angle is present), ``lam2``, ``theta``, ``theta2``
(angle of λ₂), ``rho`` and ``t`` (finite horizon, h_0 = 0; absent = stationary).
The reference is the derived SymPy expression :func:`theory.moments.moment_expr`
(Lemmas 1–2 of Zucchet & Orvieto 2024 applied to the autocorrelation).

Three verdicts (``holds`` true / false / null; exit codes 0 / 1 / 4):

* **proved** — the difference simplifies to zero symbolically (in a child
  process under a time budget): generators e^{iθ} → z, base^t → a symbol,
  re/im through conjugates, trigonometric functions through exponentials, then
  ``cancel``/``together``, ``radsimp``, exp/log/sqrt rewriting and ``simplify``.
  The proof is also confirmed at the numeric points.
* **refuted** — a point where the claim and the derivation differ by more than
  the detection threshold at 120 digits; it is reported with the claimed,
  derived and (independent, :mod:`theory.oracle`) oracle values.  A difference
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
(:func:`theory.oracle.oracle_moments`, ``method="sums"``) at the same random
points; points whose lag sum would exceed :data:`LAG_TERMS_BUDGET` terms are
skipped and counted, and the largest |λ| reached is reported.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import mpmath
import sympy as sp
from rnnverify.theory.autocorr import ar1, from_expression
from rnnverify.theory.budget import within_budget
from rnnverify.theory.moments import moment_expr, theta2
from rnnverify.theory.oracle import oracle_cross, oracle_moments
from rnnverify.theory.parser import parse_constant, parse_expression
from rnnverify.theory.symbols import lam, lam2, rho, t, theta

from .schema import document

__all__ = [
    "QUANTITIES",
    "ClaimResult",
    "PreparedClaim",
    "UnevaluableClaim",
    "check_claim",
    "decide_claim",
    "prepare_claim",
]

QUANTITIES = ("h2", "dh2_dlam", "dh2_dtheta", "cross_h", "cross_dh")
#: working precisions: values at DPS estimate the rounding error of those at DPS_CONFIRM
DPS, DPS_CONFIRM = 60, 120
#: relative difference always detectable at DPS_CONFIRM digits (DPS digits minus 20 guard)
TOLERANCE = 1e-40
#: lag-sum route (autocorrelations without closed form): digits and largest lag count
SUM_DPS, LAG_TERMS_BUDGET = 30, 200_000
#: wall-clock budget of the numeric stage (seconds); it stops early after MIN_POINTS
NUMERIC_SECONDS, MIN_POINTS = 30.0, 8
#: seconds the symbolic stage may run (child process, killed after)
SYMBOLIC_SECONDS = 6.0
#: seconds SymPy gets per term when looking for the points where the claim's terms vary
#: fastest (a term it cannot solve within them contributes no point)
FOCUS_SECONDS = 1.5
#: largest operation count the symbolic stage attempts
SYMBOLIC_MAX_OPS = 4000
#: |λ| closest to 1 in the random points
EDGE = 1e-6

_z, _z2 = sp.symbols("z z2")


# ----------------------------------------------------------------- result


@dataclass
class ClaimResult:
    """The verdict of :func:`check_claim` (``as_dict`` gives the body of the CLI's JSON,
    ``to_dict`` the whole document)."""

    verdict: str  # "proved" | "refuted" | "unproven"
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
            "dps": [DPS, DPS_CONFIRM] if not self.mode.get("lag_sums") else [SUM_DPS],
            "verdict_means": {
                "proved": "the difference simplifies to zero symbolically",
                "refuted": "a point where claim and derivation differ beyond the threshold",
                "unproven": "no counterexample at the points checked and no proof",
            }[self.verdict],
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
    autocorr: Any  # theory.autocorr.Autocorrelation
    variables: tuple[sp.Symbol, ...]


def _parse_claim(text: str, quantity: str) -> sp.Expr:
    cross = quantity.startswith("cross")
    allowed = ["lam", "rho", "theta", "t"] + (["lam2", "theta2"] if cross else [])
    try:
        return parse_expression(text, allowed=allowed)
    except ValueError as exc:
        raise ValueError(f"--expr: {exc}") from None


def _setup(quantity: str, expr: str, rho_value: Any, autocorr_text: str | None) -> PreparedClaim:
    if quantity not in QUANTITIES:
        raise ValueError(f"--quantity must be one of {', '.join(QUANTITIES)}, got {quantity!r}")
    if rho_value is not None and autocorr_text is not None:
        raise ValueError("give --rho or --autocorr, not both")
    claim = _parse_claim(expr, quantity)
    syms = claim.free_symbols
    theta2 = _theta2()
    complex_mode = quantity == "dh2_dtheta" or bool(syms & {theta, theta2})
    finite = t in syms
    rho_fixed = None
    if autocorr_text is not None:
        if not isinstance(autocorr_text, str):
            raise TypeError("--autocorr must be an expression string")
        try:
            ac = from_expression(autocorr_text)
        except ValueError as exc:
            raise ValueError(f"--autocorr: {exc}") from None
        if rho in syms and not ac.has_rho:
            raise ValueError("--expr uses rho but the autocorrelation given by --autocorr does not")
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
        r = parse_constant(value, name="--rho")
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"--rho must be a number, got {type(value).__name__}")
    else:
        if not math.isfinite(value):
            raise ValueError(f"--rho must be finite, got {value!r}")
        r = sp.Integer(value) if isinstance(value, int) else sp.Rational(value)
    if not r.is_real or not (-1 <= r <= 1):
        raise ValueError(f"--rho must lie in [-1, 1], got {value}")
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


def _rewrites(d: sp.Expr, diff: sp.Expr) -> list[Callable[[], sp.Expr]]:
    """Equality-preserving rewritings tried in turn (cheap first)."""
    return [
        lambda: sp.radsimp(d),
        lambda: sp.cancel(sp.powsimp(sp.expand_log(d))),
        lambda: sp.cancel(sp.together(sp.powdenest(d.rewrite(sp.exp)))),
        lambda: sp.simplify(d),
        lambda: sp.simplify(diff),
    ]


def _symbolic_verdict(diff: sp.Expr, finite: bool) -> str:
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
    for attempt in _rewrites(d, diff):
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


def _symbolic_stage(problem: PreparedClaim) -> str:
    diff = problem.claim - problem.derived
    if sp.count_ops(diff) > SYMBOLIC_MAX_OPS:
        return "skipped"
    verdict = within_budget(lambda: _symbolic_verdict(diff, problem.finite), SYMBOLIC_SECONDS)
    return "inconclusive" if verdict is None else verdict


# ----------------------------------------------------------------- points


def _random_value(v: sp.Symbol, problem: PreparedClaim, rng: random.Random) -> Any:
    """One random value of variable ``v`` over its whole domain (module docstring); a float,
    evaluated exactly (its binary value), so the reported point is the point checked."""
    theta2 = _theta2()
    u = rng.random()
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


def _critical_values(f: sp.Expr, v: sp.Symbol, domain: sp.Interval) -> list[sp.Expr] | None:
    """Real v in ``domain`` with df/dv = 0 or 1/f = 0 (stationary points and poles)."""
    out: list[sp.Expr] = []
    num, den = sp.fraction(sp.together(f))
    for eq in (sp.diff(f, v), den):
        if not eq.has(v):
            continue
        sols = sp.solveset(eq, v, domain)
        if isinstance(sols, sp.FiniteSet):
            out.extend(s for s in sols if s.is_number)
    return out


def _focus_points(problem: PreparedClaim, rng: random.Random) -> list[dict[sp.Symbol, Any]]:
    """Points where the claim's own terms vary fastest: stationary points of each additive
    term and of each argument of exp/sin/cos/log/... inside it (e.g. the centre of a
    narrow bump), and near its poles; the other variables at random values."""
    base = {v: _random_value(v, problem, rng) for v in problem.variables}
    theta2 = _theta2()
    targets = [v for v in problem.variables if v in (lam, lam2, theta, theta2, rho)]
    pieces: list[sp.Expr] = []
    for term in sp.Add.make_args(sp.expand(problem.claim, deep=False)):
        inner = _inner_arguments(term)
        if inner:  # rational terms vary fastest at the domain's edges, which are sampled
            pieces.append(term)
            pieces.extend(inner)
    pieces = [p for p in pieces if p.free_symbols & set(targets)][:8]
    points: list[dict[sp.Symbol, Any]] = []
    for v in targets:
        if v in (theta, theta2):
            domain = sp.Interval(-sp.pi, sp.pi)
        elif problem.complex_mode and v in (lam, lam2):
            domain = sp.Interval(0, 1)
        else:
            domain = sp.Interval(-1, 1)
        others = {w: sp.Float(base[w], 30) if not isinstance(base[w], int) else base[w]
                  for w in problem.variables if w is not v}
        for piece in pieces:
            if not piece.has(v):
                continue
            f = piece.subs(others)
            found = within_budget(lambda f=f, v=v, domain=domain: _critical_values(f, v, domain),
                                  FOCUS_SECONDS)
            for c in (found or [])[:6]:
                try:
                    c_val = float(sp.re(sp.N(c, 30)))
                except (TypeError, ValueError):
                    continue
                for offset in (0.0, 1e-7, -1e-4):
                    x = c_val + offset
                    lo, hi = float(domain.start), float(domain.end)
                    if v in (lam, lam2):
                        lo, hi = max(lo, -(1 - EDGE)), min(hi, 1 - EDGE)
                    if lo <= x <= hi:
                        points.append({**base, v: float(x)})
    return points[:60]


# ----------------------------------------------------------------- evaluation


def _lambdify(expr: sp.Expr, variables: tuple[sp.Symbol, ...]) -> Callable[..., Any]:
    return sp.lambdify(variables, expr, modules="mpmath")


def _value(
    fn: Callable[..., Any],
    point: Mapping[sp.Symbol, Any],
    variables: tuple[sp.Symbol, ...],
    dps: int,
) -> Any:
    with mpmath.workdps(dps):
        args = [point[v] if v is t else mpmath.mpf(point[v]) for v in variables]
        try:
            out = mpmath.mpmathify(fn(*args))
        except (ZeroDivisionError, ValueError, TypeError, OverflowError, ArithmeticError):
            return None
        if not mpmath.isfinite(out):
            return None
        return out


def _scale(*values: Any) -> Any:
    """max |value| with a floor of 10^(−dps/2), so that two values that are both zero up to
    rounding (e.g. E|d_λh_1|² = 0) do not count as a difference."""
    return max(*(abs(v) for v in values), mpmath.mpf(10) ** (-(mpmath.mp.dps // 2)))


@dataclass
class _Evaluation:
    claimed: Any
    derived: Any
    rel_error: float
    threshold: float

    @property
    def fails(self) -> bool:
        return self.rel_error > self.threshold


def _closed_form_evaluator(problem: PreparedClaim) -> Callable[[Mapping[sp.Symbol, Any]],
                                                               _Evaluation | None]:
    """Claim and derived closed form at DPS and DPS_CONFIRM digits; the DPS values estimate
    the rounding error (module docstring)."""
    claim_fn = _lambdify(problem.claim, problem.variables)
    derived_fn = _lambdify(problem.derived, problem.variables)

    def evaluate(point: Mapping[sp.Symbol, Any]) -> _Evaluation | None:
        c1 = _value(claim_fn, point, problem.variables, DPS)
        d1 = _value(derived_fn, point, problem.variables, DPS)
        c2 = _value(claim_fn, point, problem.variables, DPS_CONFIRM)
        d2 = _value(derived_fn, point, problem.variables, DPS_CONFIRM)
        if c1 is None or d1 is None or c2 is None or d2 is None:
            return None
        with mpmath.workdps(DPS_CONFIRM):
            scale = _scale(c2, d2)
            rel = abs(c2 - d2) / scale
            rounding = (abs(c1 - c2) + abs(d1 - d2)) / scale
            scaled = rounding * mpmath.mpf(10) ** (-(DPS_CONFIRM - DPS))
            threshold = max(mpmath.mpf(TOLERANCE), 1000 * scaled)
        return _Evaluation(c2, d2, float(rel), float(threshold))

    return evaluate


def _lag_terms(point: Mapping[sp.Symbol, Any]) -> float:
    """Terms the oracle's lag sum needs at this point (theory.oracle: ≈ (2.3 dps + 3 ln
    1/(1−r))/(1−r) for stationary moments, t for finite ones)."""
    r = max(abs(float(point[v])) for v in (lam, lam2) if v in point)
    if t in point:
        return float(point[t])
    gap = max(1.0 - r, 1e-300)
    return (2.3 * SUM_DPS + 3 * math.log(1 / gap)) / gap


def _lag_sum_evaluator(problem: PreparedClaim) -> Callable[[Mapping[sp.Symbol, Any]],
                                                          _Evaluation | None]:
    """Derived value by the oracle's lag sums with their proven tail bound (no closed form
    for the generating function); the threshold is 10 × (tail + rounding bound)."""
    claim_fn = _lambdify(problem.claim, problem.variables)
    theta2 = _theta2()

    def evaluate(point: Mapping[sp.Symbol, Any]) -> _Evaluation | None:
        if _lag_terms(point) > LAG_TERMS_BUDGET:
            return None
        c = _value(claim_fn, point, problem.variables, SUM_DPS + 10)
        if c is None:
            return None
        kwargs: dict[str, Any] = {"autocorr": problem.autocorr, "t": point.get(t),
                                  "dps": SUM_DPS, "method": "sums"}
        if problem.autocorr.has_rho:
            kwargs["rho"] = point[rho] if rho in point else str(problem.rho_fixed)
        try:
            if problem.quantity.startswith("cross"):
                out = oracle_cross(point[lam], point[lam2], theta=point.get(theta),
                                   theta2=point.get(theta2), quantity=problem.quantity, **kwargs)
                d, bound = out["value"], out["error_bound"]
            else:
                out = oracle_moments(point[lam], theta=point.get(theta), **kwargs)
                d, bound = out[problem.quantity], out["error_bound"]
        except (ValueError, ZeroDivisionError, ArithmeticError):
            return None
        with mpmath.workdps(SUM_DPS + 10):
            scale = _scale(c, d)
            rel = abs(c - d) / scale
            threshold = max(10 * abs(bound) / scale, mpmath.mpf(10) ** (-(SUM_DPS - 5)))
        return _Evaluation(c, d, float(rel), float(threshold))

    return evaluate


def _oracle_value(problem: PreparedClaim, point: Mapping[sp.Symbol, Any]) -> Any:
    """The independent oracle (theory.oracle) at a point, when it is cheap; else None."""
    theta2 = _theta2()
    ac = problem.autocorr
    rho_val = sp.Rational(point[rho]) if rho in point else problem.rho_fixed
    kwargs: dict[str, Any] = {"t": point.get(t), "dps": 30}
    if ac.rho is not None:  # R(k) = r^|k|: the Lyapunov route
        r = ac.rho.subs(rho, rho_val) if ac.rho.has(rho) else ac.rho
        kwargs["rho"] = str(sp.N(r, 50))
    else:
        kwargs["autocorr"] = ac
        if ac.has_rho:
            kwargs["rho"] = str(sp.N(rho_val, 50))
        moduli = [abs(float(point[lam]))] + ([abs(float(point[lam2]))] if lam2 in point else [])
        if max(moduli) > 0.99 and point.get(t) is None:
            return None  # the lag-sum route would need too many terms to be cheap
    try:
        if problem.quantity.startswith("cross"):
            out = oracle_cross(
                point[lam],
                point[lam2],
                theta=point.get(theta),
                theta2=point.get(theta2),
                quantity=problem.quantity,
                **kwargs,
            )
            return out["value"]
        out = oracle_moments(point[lam], theta=point.get(theta), **kwargs)
        return out[problem.quantity]
    except ValueError:
        return None


def _jsonable_number(value: Any) -> Any:
    if value is None:
        return None
    value = mpmath.mpmathify(value)
    if isinstance(value, mpmath.mpc):
        if abs(value.imag) <= 1e-30 * abs(value):  # real up to rounding
            return float(value.real)
        return {"re": float(value.real), "im": float(value.imag)}
    return float(value)


def _point_dict(point: Mapping[sp.Symbol, Any]) -> dict[str, Any]:
    return {str(v): (val if isinstance(val, int) else float(val)) for v, val in point.items()}


# ----------------------------------------------------------------- entry point


class UnevaluableClaim(ValueError):
    """The claimed expression is undefined at every point of the domain (bad input)."""


def prepare_claim(
    quantity: str, expr: str, *, rho: Any = None, autocorr: str | None = None
) -> PreparedClaim:
    """Parse and validate the claim and derive the reference expression.

    Raises ValueError/TypeError naming the flag (``--quantity``, ``--expr``, ``--rho``,
    ``--autocorr``) for bad input.
    """
    if not isinstance(quantity, str):
        raise TypeError(f"--quantity must be a string, got {type(quantity).__name__}")
    if not isinstance(expr, str):
        raise TypeError(f"--expr must be a string, got {type(expr).__name__}")
    return _setup(quantity, expr, rho, autocorr)


def decide_claim(
    problem: PreparedClaim, *, n_random: int = 100, seed: int = 0, symbolic: bool = True
) -> ClaimResult:
    """Run the symbolic and numeric stages on a prepared claim (module docstring)."""
    verdict = _symbolic_stage(problem) if symbolic else "skipped"
    rng = random.Random(seed)
    focus = _focus_points(problem, rng)
    points = focus + _random_points(problem, n_random, rng)
    lag_sums = problem.derived.has(sp.Sum)
    evaluate = _lag_sum_evaluator(problem) if lag_sums else _closed_form_evaluator(problem)
    checked = skipped = 0
    max_err = 0.0
    detectable = 0.0
    worst: tuple[Any, _Evaluation] | None = None
    failing: tuple[Any, _Evaluation] | None = None
    reported: list[dict[str, Any]] = []
    max_modulus = 0.0
    deadline = time.monotonic() + NUMERIC_SECONDS
    for i, point in enumerate(points):
        if checked >= MIN_POINTS and time.monotonic() > deadline:
            skipped += len(points) - i
            break
        ev = evaluate(point)
        if ev is None:
            skipped += 1
            continue
        checked += 1
        detectable = max(detectable, ev.threshold)
        max_modulus = max([max_modulus] + [abs(float(point[v])) for v in (lam, lam2)
                                           if v in point])
        reported.append({**_point_dict(point), "rel_error": ev.rel_error,
                         "threshold": ev.threshold, "focus": i < len(focus)})
        if worst is None or ev.rel_error > max_err:
            max_err, worst = ev.rel_error, (point, ev)
        if ev.fails and (failing is None or ev.rel_error > failing[1].rel_error):
            failing = (point, ev)
    if checked == 0 or worst is None:
        raise UnevaluableClaim("--expr could not be evaluated at any point of the domain")
    if failing is not None:
        outcome, decided, shown = "refuted", "numeric", failing
    elif verdict == "nonzero":
        # a nonzero rational function of independent generators: false even where the
        # sampled differences are tiny; the worst point serves as the counterexample
        outcome, decided, shown = "refuted", "symbolic", worst
    elif verdict == "zero":
        outcome, decided, shown = "proved", "symbolic", None
    else:
        outcome, decided, shown = "unproven", "none", None
    counterexample = None
    if shown is not None:
        point, ev = shown
        counterexample = {
            "point": _point_dict(point),
            "claimed": _jsonable_number(ev.claimed),
            "derived": _jsonable_number(ev.derived),
            "oracle": _jsonable_number(_oracle_value(problem, point)),
            "rel_error": ev.rel_error,
            "threshold": ev.threshold,
        }
    mode = {
        "complex_lambda": problem.complex_mode,
        "finite_t": problem.finite,
        "rho": None if problem.rho_fixed is None else float(problem.rho_fixed),
        "rho_ranges": problem.rho_free,
        "autocorr": str(problem.autocorr.expr),
        "lag_sums": lag_sums,
        "max_abs_lam_checked": max_modulus,
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
        points_skipped=skipped,
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
) -> ClaimResult:
    """Decide whether ``expr`` equals the derived ``quantity`` (module docstring).

    ``rho`` fixes R(k) = ρ^|k| (a number or a constant expression string);
    ``autocorr`` is an expression in k (and rho); neither: ρ^|k| with ρ ranging
    over [−1, 1].  Raises ValueError/TypeError for bad input (naming the flag).
    """
    problem = prepare_claim(quantity, expr, rho=rho, autocorr=autocorr)
    return decide_claim(problem, n_random=n_random, seed=seed, symbolic=symbolic)
