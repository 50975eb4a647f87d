"""Decide whether a claimed closed form equals a derived moment (``rnnverify check-claim``).

A user claims that a quantity of the linear recurrence h_{t+1} = λh_t + x_t
(``h2`` = E|h|², ``dh2_dlam`` = E|d_λh|², ``dh2_dtheta`` = E|d_θh|², ``cross_h`` =
E[h(λ) conj h(λ₂)], ``cross_dh`` = E[d_λh(λ) conj d_λh(λ₂)]) equals an expression in
``lam`` (the modulus ν when an angle is present), ``lam2``, ``theta``, ``theta2``
(angle of λ₂), ``rho`` and ``t`` (finite horizon, h_0 = 0; absent = stationary).
The reference is the derived SymPy expression :func:`theory.moments.moment_expr`
(Lemmas 1–2 applied to the autocorrelation).

The decision has two stages:

1. **symbolic** — the difference is brought to a rational function of
   independent generators (e^{iθ} → z, e^{iθ₂} → z₂, base^t → a symbol per base;
   re/im through conjugates; trigonometric functions through exponentials) and
   cancelled, in a child process with a time cap.  ``0`` proves the claim; a
   nonzero rational function of (λ, ρ, λ₂, z, z₂) proves it false (stationary
   case only; with t the generators may be dependent, so a nonzero result is
   left to stage 2).
2. **numeric** — both sides at ~150 points (|λ| up to 1 − 10⁻⁶, ρ = ±1 and near it,
   complex λ when an angle is involved, t from 1 to 200) in mpmath at 60 digits;
   a point fails when the relative difference exceeds 1e−20 at 60 digits *and*
   at 120 digits.  A symbolic proof is still confirmed at a subset of points.
   Resolution: a claim off by less than 1e−20 relative everywhere (e.g. ``+ 1e-30*sin(lam)``)
   passes the numeric stage; it is caught only when stage 1 can prove the difference
   nonzero.

A failing claim gets a counterexample: the first failing point (points are
ordered simple first), the claimed and derived values, and the independent
oracle's value (:mod:`theory.oracle`) at that point when it is cheap.
"""

from __future__ import annotations

import math
import multiprocessing
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import mpmath
import sympy as sp
from rnnverify.theory.autocorr import ar1, from_expression
from rnnverify.theory.moments import cross_moments, moment_expr, moments, theta2
from rnnverify.theory.oracle import oracle_cross, oracle_moments
from rnnverify.theory.parser import parse_constant, parse_expression
from rnnverify.theory.symbols import lam, lam2, rho, t, theta

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
#: relative difference above which a point fails
TOLERANCE = 1e-20
#: working precisions of the numeric stage (a failure must show at both)
DPS, DPS_CONFIRM = 60, 120
#: when the derived form keeps an unevaluated Sum (no closed-form generating function) each
#: point costs a numerical series (seconds near |λ| = 1): fewer points, |λ| ≤ 0.95, 30 digits
SUM_POINTS, SUM_MAX_MODULUS, SUM_DPS, SUM_DPS_CONFIRM = 16, 0.95, 30, 45
#: wall-clock budget of the numeric stage (seconds); it stops early after MIN_POINTS
NUMERIC_SECONDS, MIN_POINTS = 30.0, 8
#: seconds the symbolic stage may run (child process, killed after)
SYMBOLIC_SECONDS = 4.0
#: largest operation count the symbolic stage attempts
SYMBOLIC_MAX_OPS = 4000

_z, _z2 = sp.symbols("z z2")


# ----------------------------------------------------------------- result


@dataclass
class ClaimResult:
    """The verdict of :func:`check_claim` (``as_dict`` gives the CLI's JSON)."""

    holds: bool
    max_rel_error: float | None
    counterexample: dict[str, Any] | None
    decided_by: str  # "symbolic" | "numeric"
    symbolic: str  # "zero" | "nonzero" | "inconclusive" | "skipped"
    quantity: str
    claim: str
    derived: str
    points_checked: int
    points_skipped: int
    mode: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
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
            "tolerance": TOLERANCE,
            **self.mode,
        }


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


def _symbolic_verdict(diff: sp.Expr, finite: bool) -> str:
    """'zero', 'nonzero' (proven) or 'inconclusive'."""
    d, gens = _normal_form(diff)
    d = sp.cancel(sp.together(d))
    if d == 0:
        return "zero"
    theta2 = _theta2()
    if finite or d.has(theta, theta2):
        return "inconclusive"
    generators = [s for s in (lam, lam2, rho, _z, _z2) if d.has(s)]
    if generators and _is_nonzero_rational_over_QQ(d, generators):
        return "nonzero"
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
    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - no fork on this platform: run inline
        try:
            return _symbolic_verdict(diff, problem.finite)
        except Exception:  # noqa: BLE001 - any SymPy failure means "could not decide"
            return "inconclusive"
    receiver, sender = ctx.Pipe(duplex=False)

    def work() -> None:
        try:
            sender.send(_symbolic_verdict(diff, problem.finite))
        except Exception:  # noqa: BLE001
            sender.send("inconclusive")

    proc = ctx.Process(target=work, daemon=True)
    proc.start()
    sender.close()
    verdict = "inconclusive"
    if receiver.poll(SYMBOLIC_SECONDS):
        try:
            verdict = receiver.recv()
        except EOFError:
            verdict = "inconclusive"
    if proc.is_alive():
        proc.kill()
    proc.join(1.0)
    receiver.close()
    return verdict


# ----------------------------------------------------------------- numeric stage

_REAL_LAMS = [
    "0.5",
    "-0.5",
    "0.9",
    "0.3",
    "-0.9",
    "0.99",
    "0.1",
    "-0.99",
    "0",
    "0.999",
    "-0.7",
    "0.9999",
    "0.999999",
    "-0.999999",
    "0.75",
]
_MODULI = ["0.5", "0.93", "0.2", "0.99", "0.7", "0.9999", "0", "0.999999", "0.35", "0.999"]
_LAM2S = ["0.4", "-0.6", "0.8", "0.95", "-0.2", "0.999", "0.6", "-0.99", "0.999999", "0"]
_MODULI2 = ["0.4", "0.8", "0.95", "0.6", "0.999", "0.3", "0.99", "0.999999"]
_RHOS = ["0.3", "0.7", "-0.6", "0", "0.9", "-0.95", "1", "-1", "0.99", "0.999999", "-0.3", "0.5"]
_THETAS = ["0.4", "-1.3", "2.5", "0.05", "3.1", "0", "-2.2", "1"]
_THETA2S = ["-0.7", "1.9", "0.3", "-3", "0", "2.8"]
_TS = [1, 2, 3, 5, 8, 13, 40, 200, 4, 21]


def _points(problem: PreparedClaim, n_random: int, seed: int) -> list[dict[sp.Symbol, Any]]:
    """Deterministic evaluation points: edge values cycled together first, then random ones."""
    theta2 = _theta2()
    lists: dict[sp.Symbol, list[Any]] = {
        lam: _MODULI if problem.complex_mode else _REAL_LAMS,
        lam2: _MODULI2 if problem.complex_mode else _LAM2S,
        theta: _THETAS,
        theta2: _THETA2S,
        rho: _RHOS,
        t: _TS,
    }
    n_edge = max(len(lists[v]) for v in problem.variables) * 3
    points = []
    for i in range(n_edge):
        points.append(
            {v: lists[v][(i + i // len(lists[v])) % len(lists[v])] for v in problem.variables}
        )
    rng = random.Random(seed)
    for _ in range(n_random):
        pt: dict[sp.Symbol, Any] = {}
        for v in problem.variables:
            if v in (lam, lam2):
                near_one = rng.random() < 0.3
                mag = 1 - 10 ** rng.uniform(-6, -1) if near_one else rng.uniform(0, 0.98)
                sign = 1 if problem.complex_mode or rng.random() < 0.6 else -1
                pt[v] = repr(sign * mag)
            elif v in (theta, theta2):
                pt[v] = repr(rng.uniform(-math.pi, math.pi))
            elif v is rho:
                pt[v] = repr(rng.choice([rng.uniform(-1, 1), 1 - 10 ** rng.uniform(-6, -1)]))
            else:
                pt[v] = rng.choice([rng.randint(1, 30), rng.randint(31, 400)])
        points.append(pt)
    return points


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


def _rel_error(claimed: Any, derived: Any) -> Any:
    """|c − d| / max(|c|, |d|, 10^(−dps/2)): relative, with a floor so that two values that
    are both zero up to rounding (e.g. E|d_λh_1|² = 0) do not count as a difference."""
    floor = mpmath.mpf(10) ** (-(mpmath.mp.dps // 2))
    return abs(claimed - derived) / max(abs(derived), abs(claimed), floor)


def _derived_evaluator(problem: PreparedClaim) -> Callable[[Mapping[sp.Symbol, Any], int], Any]:
    """The derived value at a point: lambdified closed form, or the numeric lemma evaluation
    (:func:`theory.moments.moments`) when the generating function has no closed form."""
    if not problem.derived.has(sp.Sum):
        fn = _lambdify(problem.derived, problem.variables)
        return lambda point, dps: _value(fn, point, problem.variables, dps)

    def numeric(point: Mapping[sp.Symbol, Any], dps: int) -> Any:
        ac = problem.autocorr.at_rho(sp.Rational(point[rho])) if rho in point else problem.autocorr
        th = float(point[theta]) if theta in point else None
        tt = point.get(t)
        try:
            with mpmath.workdps(dps):
                if problem.quantity.startswith("cross"):
                    th2 = float(point[_theta2()]) if _theta2() in point else None
                    out = cross_moments(
                        float(point[lam]),
                        float(point[lam2]),
                        theta=th,
                        theta2_value=th2,
                        autocorr=ac,
                        t=tt,
                        dps=dps,
                    )
                    return out[problem.quantity]
                out = moments(float(point[lam]), theta=th, autocorr=ac, t=tt, dps=dps)
                return out[problem.quantity]
        except (ValueError, ZeroDivisionError, ArithmeticError):
            return None

    return numeric


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
    claim_fn = _lambdify(problem.claim, problem.variables)
    derived_at = _derived_evaluator(problem)
    points = _points(problem, n_random if verdict != "zero" else n_random // 4, seed)
    dps, dps_confirm = DPS, DPS_CONFIRM
    if problem.derived.has(sp.Sum):
        small = [
            p
            for p in points
            if all(abs(float(p[v])) <= SUM_MAX_MODULUS for v in (lam, lam2) if v in p)
        ]
        points = small[:SUM_POINTS]
        dps, dps_confirm = SUM_DPS, SUM_DPS_CONFIRM
    checked = skipped = 0
    max_err = mpmath.mpf(0)
    worst: tuple[Any, Any, Any, Any] | None = None  # (point, claimed, derived, error)
    first_fail: tuple[Any, Any, Any, Any] | None = None
    deadline = time.monotonic() + NUMERIC_SECONDS
    for point in points:
        if checked >= MIN_POINTS and time.monotonic() > deadline:
            break
        c = _value(claim_fn, point, problem.variables, dps)
        d = derived_at(point, dps)
        if c is None or d is None:
            skipped += 1
            continue
        with mpmath.workdps(dps):
            err = _rel_error(c, d)
        if err > TOLERANCE:  # confirm at higher precision before believing it
            c2 = _value(claim_fn, point, problem.variables, dps_confirm)
            d2 = derived_at(point, dps_confirm)
            if c2 is None or d2 is None:
                skipped += 1
                continue
            with mpmath.workdps(dps_confirm):
                c, d, err = c2, d2, _rel_error(c2, d2)
            if err > TOLERANCE and first_fail is None:
                first_fail = (point, c, d, err)
        checked += 1
        if worst is None or err > max_err:
            max_err, worst = err, (point, c, d, err)
    if checked == 0 or worst is None:
        raise UnevaluableClaim("--expr could not be evaluated at any point of the domain")
    numeric_holds = first_fail is None
    if verdict == "zero" and numeric_holds:
        holds, decided = True, "symbolic"
    elif verdict == "nonzero":
        # a nonzero rational function of independent generators: false even if the
        # sampled differences are tiny; the worst point serves as the counterexample
        holds, decided = False, "symbolic"
        first_fail = first_fail or worst
    else:
        holds, decided = numeric_holds, "numeric"
    counterexample = None
    if not holds and first_fail is not None:
        point, c, d, err = first_fail
        counterexample = {
            "point": _point_dict(point),
            "claimed": _jsonable_number(c),
            "derived": _jsonable_number(d),
            "oracle": _jsonable_number(_oracle_value(problem, point)),
            "rel_error": float(err),
        }
    mode = {
        "complex_lambda": problem.complex_mode,
        "finite_t": problem.finite,
        "rho": None if problem.rho_fixed is None else float(problem.rho_fixed),
        "rho_ranges": problem.rho_free,
        "autocorr": str(problem.autocorr.expr),
    }
    return ClaimResult(
        holds=holds,
        max_rel_error=float(max_err),
        counterexample=counterexample,
        decided_by=decided,
        symbolic=verdict,
        quantity=problem.quantity,
        claim=str(problem.claim),
        derived=str(problem.derived),
        points_checked=checked,
        points_skipped=skipped,
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
