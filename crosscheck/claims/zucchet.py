"""Curse-of-memory claims (Zucchet & Orvieto 2024, arXiv:2405.21064; docs/theory.md §2–§5).

Columns:

* ``symbolic`` — the SymPy derivation of :mod:`theory` (Lemmas 1–2 → moments, asymptotics,
  chain rule) confirmed *exactly* (simplification to 0, or equality of power-series
  coefficients with the defining double sum) **and** at random complex points against a
  direct truncated double sum in double precision (relative tolerance :data:`POINT_TOL`;
  truncation tail ≤ R(0)·N·0.7^N ≪ 1e−12 for N = 160).
* ``oracle`` — :func:`theory.oracle.oracle_moments` / ``oracle_cross`` (Lyapunov equation or
  lag sums with a proven tail bound, never a closed form) at dps 40 against the derived value
  evaluated by :func:`theory.moments.moments` at dps 50: relative error ≤ :data:`ORACLE_TOL`.
  The lemma claims use their own brute-force double sums with proven tail bounds
  (:func:`theory.lemmas.brute_force_sum`).
* ``monte_carlo`` — :func:`crosscheck.mc_columns.mc_column_for`: the PyTorch engine's estimate
  ± standard error against the derived value, z-test at the run's per-check false-failure rate.
"""

from __future__ import annotations

import cmath
import math
import random
from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from typing import Any

import mpmath
import sympy as sp
from hypothesis import strategies as st
from rnnverify.theory import symbols as S
from rnnverify.theory.asymptotics import order_and_coefficient
from rnnverify.theory.autocorr import ar1, from_expression
from rnnverify.theory.lemmas import (
    ALL_LEMMAS,
    brute_force_sum,
    check_step,
    random_sequence,
    rhs_value,
)
from rnnverify.theory.loss1d import (
    FIG1_TEACHERS,
    hessian_at_optimum,
    hessian_value,
    input_autocorrelation,
    lam_star,
    loss_expr,
    mu,
    published_loss,
    sigma,
)
from rnnverify.theory.moments import cross_moments, moment_expr, moments, published_forms, theta2
from rnnverify.theory.oracle import oracle_cross, oracle_moments
from rnnverify.theory.parametrizations import preset, sensitivity_expr
from rnnverify.theory.parser import parse_expression
from rnnverify.theory.symbols import k, lam, rho, t, theta

from ..mc_columns import Model, feasible, mc_column_for, samples_for
from ..registry import CheckOutcome, Claim, Mode, RunContext, register
from ..stats import combine, z_test

#: oracle (dps 40) vs derived value (dps 50): relative error bound
ORACLE_TOL = 1e-25
ORACLE_DPS = 40
#: double-precision random-point confirmation of symbolic identities
POINT_TOL = 1e-9
#: number of terms of the direct double sums at random points (|λ| ≤ 0.7)
DIRECT_TERMS = 160
PAPER = "Zucchet & Orvieto 2024"
#: truncation of the lemma sums at a point with |α|, |β| ≤ 0.6: tail ≤ 80²·0.6^80/0.4² < 1e−13
#: relative to values of order one (the tolerance is 1e−9)
LEMMA_TERMS = 80

#: user autocorrelations used by the general-R claims (all positive definite:
#: exponentially damped cosine with damping > 0 has a positive spectrum only if
#: it is a valid covariance — these are checked |R(k)| ≤ R(0) by the parser route)
GENERAL_AUTOCORRS: tuple[str, ...] = (
    "exp(-k/10)*cos(k/3)",
    "0.3*0.9**k + 0.7*0**k",
    "1/(1+k)",
    "0.5**k",
)


# ------------------------------------------------------------------ helpers
def _rel(a: Any, b: Any, floor: Any = 0) -> float:
    """|a − b| / max(|a|, |b|, 1e−15·floor): relative error, or normwise (relative to
    ``floor``, the largest moment at the point) for a quantity that is (nearly) zero, such
    as E(d_λh_1)² = 0 at t = 1 where the derived value is a rounding residue ~1e−50."""
    with mpmath.workdps(60):
        a, b = mpmath.mpmathify(a), mpmath.mpmathify(b)
        scale = max(abs(a), abs(b), mpmath.mpf(10) ** -15 * abs(mpmath.mpmathify(floor)))
        return float(abs(a - b) / scale) if scale else float(abs(a - b))


def _all(outcomes: list[CheckOutcome]) -> CheckOutcome:
    bad = [o for o in outcomes if not o.holds]
    detail = bad[0].detail if bad else "; ".join(o.detail for o in outcomes)
    return CheckOutcome(not bad, detail, {f"part{i}": o.data for i, o in enumerate(outcomes)})


def _rng(point: Mapping[str, Any]) -> random.Random:
    return random.Random(int(point.get("seed", 0)))


def _autocorr(spec: Any) -> Any:
    if isinstance(spec, str):
        return from_expression(spec)
    return ar1(spec)


@lru_cache(maxsize=64)
def _R_values(r_text: str, rho_value: float | None, n: int) -> list[float]:
    """R(0..n) in double precision (for the direct sums at random points)."""
    ac = _autocorr(r_text) if r_text != "ar1" else _autocorr(rho_value)
    with mpmath.workdps(20):
        return [float(ac.evaluate(j, 20)) for j in range(n + 1)]


def _direct(kind: str, l1: complex, l2: complex, R: list[float], t: int | None = None) -> complex:
    """Σ_{n,m} w(n,m) l1^n l2^m R(|n−m|) (w = 1, or n m /(l1 l2)), truncated or finite."""
    N = DIRECT_TERMS if t is None else t - 1
    pa = [l1**j for j in range(N + 1)]
    pb = [l2**j for j in range(N + 1)]
    total = 0j
    for n in range(N + 1):
        row = 0j
        for m in range(N + 1):
            w = 1 if kind == "h" else m
            row += w * pb[m] * R[abs(n - m)]
        total += (1 if kind == "h" else n) * pa[n] * row
    return total if kind == "h" else total / (l1 * l2)


def _lambdify(expr: Any, names: tuple[str, ...]) -> Callable[..., Any]:
    table = {"lam": S.lam, "lam2": S.lam2, "theta": S.theta, "rho": S.rho, "t": S.t,
             "theta2": theta2}
    return sp.lambdify([table[n] for n in names], expr, modules="cmath")


# ------------------------------------------------------------------ Lemmas 1 and 2
_LEMMA_META = {
    "zo.lemma1": ("lemma1", 1, None, "Lemma 1"),
    "zo.lemma2": ("lemma2", 2, None, "Lemma 2"),
    "zo.lemma1.finite": ("lemma1_finite", 1, 7, "Lemma 1 (finite horizon, derived)"),
    "zo.lemma2.finite": ("lemma2_finite", 2, 7, "Lemma 2 (finite horizon, derived)"),
}


@lru_cache(maxsize=16)
def _lemma_exact(name: str, mode: str) -> tuple[tuple[bool | None, str], ...]:
    """Exact verdict of each proof step (cached: it does not depend on the point)."""

    lemma = ALL_LEMMAS[name]()
    horizons = (3,) if mode == "quick" else (1, 2, 5)
    out = []
    for i, step in enumerate((*lemma.steps,)):
        c = check_step(step, finite=lemma.finite, points=0, seed=i, horizons=horizons)
        out.append((c.exact, c.detail))
    return tuple(out)


def _lemma_point(point: Mapping[str, Any]) -> tuple[complex, complex]:
    return (complex(point["alpha_re"], point["alpha_im"]),
            complex(point["beta_re"], point["beta_im"]))


def _lemma_symbolic(cid: str) -> Callable[[Mapping[str, Any], RunContext], CheckOutcome]:
    name, _, _, label = _LEMMA_META[cid]

    def column(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
        lemma = ALL_LEMMAS[name]()
        exact = _lemma_exact(name, ctx.mode)
        a, b = _lemma_point(point)
        steps = []
        ok = True
        for i, step in enumerate(lemma.steps):
            c = check_step(step, finite=lemma.finite, points=0, seed=int(point.get("seed", 0)),
                           at=[(a, b)], exact=False, terms=LEMMA_TERMS)
            ex, why = exact[i]
            good = ex is not False and c.holds
            ok = ok and good
            steps.append({"latex": step.latex()[:400], "justification": step.justification,
                          "exact": ex, "exact_note": why, "max_rel_error": c.max_rel_error,
                          "holds": good})
        n_exact = sum(1 for s in steps if s["exact"])
        detail = (f"{label}: {len(steps)} proof steps hold at α={a:.3g}, β={b:.3g} "
                  f"(max rel err {max(s['max_rel_error'] for s in steps):.1e} ≤ 1e-9); "
                  f"{n_exact} exact by simplification, the rest (regrouping of the double "
                  f"sum) exact at finite T")
        if not ok:
            bad = next(s for s in steps if not s["holds"])
            detail = f"{label}: step fails: {bad['latex'][:160]} ({bad['max_rel_error']:.2e})"
        return CheckOutcome(ok, detail, {"steps": steps, "statement": lemma.latex()[:600]})

    return column


def _lemma_oracle(cid: str) -> Callable[[Mapping[str, Any], RunContext], CheckOutcome]:
    name, which, horizon, label = _LEMMA_META[cid]

    def column(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
        lemma = ALL_LEMMAS[name]()
        seq = random_sequence(_rng(point))
        a, b = _lemma_point(point)
        with mpmath.workdps(ORACLE_DPS + 10):
            am, bm = mpmath.mpc(a.real, a.imag), mpmath.mpc(b.real, b.imag)
            brute, bound = brute_force_sum(which, am, bm, seq, horizon=horizon, dps=ORACLE_DPS)
            rhs = rhs_value(lemma, am, bm, seq, horizon=horizon, dps=ORACLE_DPS)
            err = _rel(brute, rhs)
        ok = err <= ORACLE_TOL
        return CheckOutcome(ok, f"{label}: brute-force double sum (tail ≤ {float(bound):.1e}) "
                                f"vs right side, rel err {err:.1e} ≤ {ORACLE_TOL:g}",
                            {"rel_error": err, "tail_bound": float(bound),
                             "value": [float(mpmath.re(brute)), float(mpmath.im(brute))]})

    return column


def _lemma_points(mode: Mode) -> list[dict[str, Any]]:
    pts = [{"alpha_re": 0.5, "alpha_im": 0.2, "beta_re": -0.3, "beta_im": 0.4, "seed": 1}]
    if mode == "full":
        rng = random.Random(7)
        for s in range(4):
            a = rng.uniform(0.05, 0.6) * cmath.exp(1j * rng.uniform(-3.1, 3.1))
            b = rng.uniform(0.05, 0.6) * cmath.exp(1j * rng.uniform(-3.1, 3.1))
            pts.append({"alpha_re": a.real, "alpha_im": a.imag, "beta_re": b.real,
                        "beta_im": b.imag, "seed": 10 + s})
    return pts


def _lemma_domain() -> Any:
    def pt(r1: float, p1: float, r2: float, p2: float, seed: int) -> dict[str, Any]:
        a, b = r1 * cmath.exp(1j * p1), r2 * cmath.exp(1j * p2)
        return {"alpha_re": a.real, "alpha_im": a.imag, "beta_re": b.real, "beta_im": b.imag,
                "seed": seed}

    r = st.floats(0.05, 0.5)
    ph = st.floats(-3.14, 3.14)
    return st.builds(pt, r, ph, r, ph, st.integers(0, 10_000))


for _cid, (_name, _which, _h, _label) in _LEMMA_META.items():
    register(Claim(
        id=_cid,
        title=f"{_label}: double geometric sum of a bounded sequence, complex α, β",
        source=f"{PAPER}, {_label.split(' (')[0]} (appendix); docs/theory.md §2",
        symbolic=_lemma_symbolic(_cid),
        oracle=_lemma_oracle(_cid),
        points=_lemma_points,
        domain=_lemma_domain,
    ))


# ------------------------------------------------------------------ moments: shared checks
@cache
def _series_coefficients_ok(kind: str, r_text: str, order: int = 5) -> tuple[bool, str]:
    """Taylor coefficients in λ of the derived real moment equal the defining double sum's:
    [λ^j] E h² = Σ_{n+m=j} R(n−m),  [λ^j] E(d_λh)² = Σ_{n+m=j+2} n m R(n−m)."""

    ac = ar1() if r_text == "ar1" else _autocorr(r_text)
    e = moment_expr("h2" if kind == "h" else "dh2_dlam", ac)
    ser = sp.series(e, lam, 0, order).removeO()
    for j in range(order):
        if kind == "h":
            want = sum((ac.expr.subs(k, abs(n - (j - n))) for n in range(j + 1)), sp.Integer(0))
        else:
            jj = j + 2
            want = sum((n * (jj - n) * ac.expr.subs(k, abs(2 * n - jj)) for n in range(jj + 1)),
                       sp.Integer(0))
        got = ser.coeff(lam, j)
        if sp.simplify(sp.expand((got - want).rewrite(sp.exp))) != 0:
            return False, f"coefficient of lam^{j}: {got} != {want}"
    return True, f"first {order} Taylor coefficients equal the double sum's"


def _oracle_moments_outcome(point: Mapping[str, Any], label: str) -> CheckOutcome:
    """moments() (dps 50, Lemma-based) vs oracle_moments() (dps 40) at ``point``."""

    spec = point.get("autocorr", point.get("rho", 0.0))
    ac = _autocorr(spec)
    theta = point.get("theta")
    t = point.get("t")
    gamma_text = point.get("gamma")
    mine = moments(point["lam"], theta=theta, autocorr=ac, gamma=gamma_text, t=t, dps=50)
    g = mpmath.mpf(1)
    if gamma_text is not None:

        with mpmath.workdps(ORACLE_DPS + 20):
            g = mpmath.mpmathify(sp.N(parse_expression(gamma_text, allowed=("lam",)).subs(
                lam, sp.Float(mpmath.mpf(point["lam"]), 60)), ORACLE_DPS + 20))
    ref = oracle_moments(point["lam"], theta=theta, autocorr=ac, gamma=g, t=t, dps=ORACLE_DPS)
    keys = [q for q in ("h2", "dh2_dlam", "dh2_dtheta") if mine[q] is not None]
    norm = max(abs(ref[q]) for q in keys)
    errs = {q: _rel(mine[q], ref[q], floor=norm) for q in keys}
    worst = max(errs.values())
    ok = worst <= ORACLE_TOL
    where = ", ".join(f"{k_}={v}" for k_, v in point.items() if k_ != "seed")
    return CheckOutcome(ok, f"{label} at {where}: derived vs oracle ({ref['method']}) "
                            f"max rel err {worst:.1e} ≤ {ORACLE_TOL:g}",
                        {"rel_errors": errs, "method": ref["method"],
                         "derived": {q: (None if v is None else float(v)) for q, v in mine.items()},
                         "oracle_error_bound": float(ref["error_bound"])})


def _random_points_outcome(exprs: Mapping[str, Any], names: tuple[str, ...],
                           draws: list[tuple[dict[str, Any], Callable[[str], complex]]],
                           label: str) -> CheckOutcome:
    """Each expression at each draw (a dict of values for ``names`` and the direct value)."""
    worst = 0.0
    for q, e in exprs.items():
        fn = _lambdify(e, names)
        for values, direct in draws:
            got = complex(fn(*(values[n] for n in names)))
            want = direct(q)
            err = abs(got - want) / max(abs(want), abs(got), 1e-300)
            worst = max(worst, err)
            if not err <= POINT_TOL:
                return CheckOutcome(False, f"{label}: {q} at {values}: derived {got} vs direct "
                                           f"sum {want} (rel {err:.2e})", {"rel_error": err})
    return CheckOutcome(True, f"{label}: {len(draws)} random points, max rel err {worst:.1e} "
                              f"≤ {POINT_TOL:g}", {"max_rel_error": worst})


# ------------------------------------------------------------------ zo.moments.general
def _general_symbolic(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    text = point["autocorr"]
    ac = _autocorr(text)
    parts = []
    # series of transcendental closed forms are slow in SymPy: exact series check in full mode
    if ctx.mode == "full" or not any(f in text for f in ("exp", "cos", "sin", "log")):
        for kind in ("h", "dh"):
            ok, why = _series_coefficients_ok(kind, text, 3 if ctx.mode == "quick" else 6)
            parts.append(CheckOutcome(ok, f"{'E h²' if kind == 'h' else 'E(d_λh)²'}: {why}"))
    rng = _rng(point)
    R = _R_values(text, None, DIRECT_TERMS)
    draws = []
    for _ in range(2 if ctx.mode == "quick" else 5):
        lv = rng.uniform(0.1, 0.7) * cmath.exp(1j * rng.uniform(-3.1, 3.1))
        draws.append(({"lam": lv}, lambda q, lv=lv: _direct("h" if q == "h2" else "dh", lv, lv, R)))
    exprs = {"h2": moment_expr("h2", ac), "dh2_dlam": moment_expr("dh2_dlam", ac)}
    if not any(e.has(__import__("sympy").Sum) for e in exprs.values()):
        parts.append(_random_points_outcome(exprs, ("lam",), draws,
                                            f"R(k) = {text}, complex λ"))
    return _all(parts)


def _general_oracle(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    return _oracle_moments_outcome(point, f"R(k) = {point['autocorr']}")


def _general_points(mode: Mode) -> list[dict[str, Any]]:
    if mode == "quick":
        return [{"lam": -0.6, "autocorr": GENERAL_AUTOCORRS[1]},
                {"lam": 0.9, "autocorr": GENERAL_AUTOCORRS[0]}]
    pts = [{"lam": lv, "autocorr": r} for r in GENERAL_AUTOCORRS for lv in (0.3, 0.9, -0.95)]
    pts.append({"lam": 0.99, "autocorr": GENERAL_AUTOCORRS[0]})
    pts.append({"lam": 0.7, "theta": 0.9, "autocorr": GENERAL_AUTOCORRS[2]})
    return pts


def _general_domain() -> Any:
    return st.fixed_dictionaries({"lam": st.floats(-0.9, 0.9),
                                  "autocorr": st.sampled_from(GENERAL_AUTOCORRS[:2]),
                                  "seed": st.integers(0, 1000)})


register(Claim(
    id="zo.moments.general",
    monte_carlo=mc_column_for("zo.moments.general"),
    title="E h² and E(d_λh)² for any autocorrelation R (Lemmas 1–2, α = β = λ)",
    source=f"{PAPER}, §2.2 (Eqs. 5–6, general R_x); docs/theory.md §3.1",
    symbolic=_general_symbolic,
    oracle=_general_oracle,
    points=_general_points,
    domain=_general_domain,
))


# ------------------------------------------------------------------ zo.moments.ar1
def _ar1_symbolic(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    parts = [_published_equal("h2", "h2_real"), _published_equal("dh2_dlam", "dh2_dlam_real")]
    for kind in ("h", "dh"):
        ok, why = _series_coefficients_ok(kind, "ar1", 4 if ctx.mode == "quick" else 6)
        parts.append(CheckOutcome(ok, f"ρ^|k|, {'E h²' if kind == 'h' else 'E(d_λh)²'}: {why}"))
    # both closed forms as rational functions of complex λ and ρ
    rng = _rng(point)
    pub = published_forms()
    draws = []
    for _ in range(2 if ctx.mode == "quick" else 5):
        lv = rng.uniform(0.1, 0.7) * cmath.exp(1j * rng.uniform(-3.1, 3.1))
        rv = rng.uniform(0.1, 0.9) * cmath.exp(1j * rng.uniform(-3.1, 3.1))
        pv = {q: complex(_lambdify(pub[q], ("lam", "rho"))(lv, rv))
              for q in ("h2_real", "dh2_dlam_real")}
        draws.append(({"lam": lv, "rho": rv},
                      lambda q, pv=pv: pv["h2_real" if q == "h2" else "dh2_dlam_real"]))
    parts.append(_random_points_outcome(
        {"h2": moment_expr("h2"), "dh2_dlam": moment_expr("dh2_dlam")}, ("lam", "rho"), draws,
        "derived vs published at complex (λ, ρ)"))
    return _all(parts)


@cache
def _published_equal(quantity: str, key: str, complex_lambda: bool = False,
                     finite: bool = False) -> CheckOutcome:
    mine = moment_expr(quantity, None if not key.endswith("white_finite") else 0,
                       complex_lambda=complex_lambda, finite_t=finite)
    diff = mine - published_forms()[key]
    if complex_lambda:
        diff = diff.rewrite(sp.exp)
    ok = sp.simplify(diff) == 0
    return CheckOutcome(ok, f"{quantity} == published {key} (simplify: {'0' if ok else 'not 0'})")


def _ar1_oracle(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    return _oracle_moments_outcome(point, "R(k) = ρ^|k|")


def _ar1_points(mode: Mode) -> list[dict[str, Any]]:
    pts = [{"lam": 0.999, "rho": 0.9}, {"lam": 0.99999999, "rho": 0.99}]
    if mode == "full":
        pts += [{"lam": lv, "rho": r} for lv in (0.9, 0.99, 0.9999, -0.97)
                for r in (0.0, 0.9, 0.99, 0.999, 1.0, -1.0, -0.5)]
        pts.append({"lam": 1 - 1e-10, "rho": 0.5})
    return pts


def _ar1_domain() -> Any:
    return st.fixed_dictionaries({"lam": st.floats(-0.999, 0.999), "rho": st.floats(-1, 1),
                                  "seed": st.integers(0, 1000)})


register(Claim(
    id="zo.moments.ar1",
    monte_carlo=mc_column_for("zo.moments.ar1"),
    title="closed forms of E h² and E(d_λh)² for R(k) = ρ^|k| (real λ, stationary)",
    source=f"{PAPER}, §2.2 / Fig. 1A (code 1D-case.ipynb h2, dh_dlamb); docs/theory.md §3.2",
    symbolic=_ar1_symbolic,
    oracle=_ar1_oracle,
    points=_ar1_points,
    domain=_ar1_domain,
))


# ------------------------------------------------------------------ zo.moments.complex
def _complex_symbolic(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    parts = [_published_equal("h2", "h2_complex", True),
             _published_equal("dh2_dlam", "dh2_dlam_complex", True)]
    if ctx.mode == "full":
        parts.append(_published_equal("dh2_dtheta", "dh2_dtheta_complex", True))
    rng = _rng(point)
    draws = []
    for _ in range(2 if ctx.mode == "quick" else 4):
        nu, th, r = rng.uniform(0.1, 0.7), rng.uniform(-3.1, 3.1), rng.uniform(-1, 1)
        R = _R_values("ar1", r, DIRECT_TERMS)
        lv = nu * cmath.exp(1j * th)

        def direct(q: str, lv: complex = lv, R: list[float] = R, nu: float = nu) -> complex:
            if q == "h2":
                return _direct("h", lv, lv.conjugate(), R)
            d = _direct("dh", lv, lv.conjugate(), R)
            return d if q == "dh2_dlam" else nu**2 * d

        draws.append(({"lam": nu, "theta": th, "rho": r}, direct))
    exprs = {q: moment_expr(q, complex_lambda=True) for q in ("h2", "dh2_dlam", "dh2_dtheta")}
    parts.append(_random_points_outcome(exprs, ("lam", "theta", "rho"), draws,
                                        "derived vs direct Σ λ^n conj(λ)^m R(n−m)"))
    return _all(parts)


def _complex_oracle(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    return _oracle_moments_outcome(point, "complex λ = ν e^{iθ}")


def _complex_points(mode: Mode) -> list[dict[str, Any]]:
    pts = [{"lam": 0.93, "theta": 0.4, "rho": 0.7}]
    if mode == "full":
        pts += [{"lam": nu, "theta": th, "rho": r} for nu in (0.5, 0.999, 0.99999999)
                for th in (0.01, 1.0, 3.0) for r in (0.0, 0.9, 1.0)]
        pts.append({"lam": 0.9, "theta": 0.3, "autocorr": GENERAL_AUTOCORRS[0]})
    return pts


def _complex_domain() -> Any:
    return st.fixed_dictionaries({"lam": st.floats(0, 0.999), "theta": st.floats(-3.14, 3.14),
                                  "rho": st.floats(-1, 1), "seed": st.integers(0, 1000)})


register(Claim(
    id="zo.moments.complex",
    monte_carlo=mc_column_for("zo.moments.complex"),
    title="E|h|², E|d_λh|², E|d_θh|² = ν² E|d_λh|² for complex λ = ν e^{iθ}",
    source=f"{PAPER}, §2 (complex eigenvalues, α = λ, β = conj λ); docs/theory.md §3.4",
    symbolic=_complex_symbolic,
    oracle=_complex_oracle,
    points=_complex_points,
    domain=_complex_domain,
))


# ------------------------------------------------------------------ zo.moments.finite_t
@cache
def _finite_exact(max_t: int) -> CheckOutcome:
    for q, kind in (("h2", "h"), ("dh2_dlam", "dh")):
        e = moment_expr(q, finite_t=True)
        for tv in range(1, max_t + 1):
            if kind == "h":
                direct = sum(lam ** (n + m) * rho ** abs(n - m)
                             for n in range(tv) for m in range(tv))
            else:
                direct = sum(n * m * lam ** (n + m - 2) * rho ** abs(n - m)
                             for n in range(tv) for m in range(tv))
            if sp.simplify(sp.cancel(sp.together(e.subs(t, tv) - direct))) != 0:
                return CheckOutcome(False, f"finite {q} at t={tv} differs from the double sum")
    return CheckOutcome(True, f"finite-t E h², E(d_λh)² (ρ^|k|) equal the double sums exactly "
                              f"for t = 1..{max_t}")


def _finite_symbolic(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    parts = [_published_equal("h2", "h2_white_finite", finite=True),
             _published_equal("dh2_dlam", "dh2_dlam_white_finite", finite=True),
             _finite_exact(3 if ctx.mode == "quick" else 5)]
    rng = _rng(point)
    draws = []
    for _ in range(2 if ctx.mode == "quick" else 4):
        lv = rng.uniform(0.1, 0.95) * cmath.exp(1j * rng.uniform(-3.1, 3.1))
        r = rng.uniform(-0.95, 0.95)
        tv = rng.randint(1, 40)
        R = _R_values("ar1", r, 60)
        draws.append(({"lam": lv, "rho": r, "t": tv},
                      lambda q, lv=lv, R=R, tv=tv: _direct("h" if q == "h2" else "dh", lv, lv, R,
                                                           tv)))
    exprs = {q: moment_expr(q, finite_t=True) for q in ("h2", "dh2_dlam")}
    parts.append(_random_points_outcome(exprs, ("lam", "rho", "t"), draws,
                                        "finite-t closed form vs direct finite sum"))
    return _all(parts)


def _finite_oracle(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    return _oracle_moments_outcome(point, "finite horizon")


def _finite_points(mode: Mode) -> list[dict[str, Any]]:
    pts = [{"lam": 0.9, "rho": 0.5, "t": 100}, {"lam": 0.8, "theta": 1.2, "rho": 0.9, "t": 17}]
    if mode == "full":
        pts += [{"lam": lv, "rho": r, "t": tv} for lv in (0.5, 0.999, 0.99999999)
                for r in (0.0, 0.9, 1.0) for tv in (1, 2, 1000)]
        pts.append({"lam": 0.9, "autocorr": GENERAL_AUTOCORRS[0], "t": 50})
    return pts


def _finite_domain() -> Any:
    return st.fixed_dictionaries({"lam": st.floats(-0.999, 0.999), "rho": st.floats(-1, 1),
                                  "t": st.integers(1, 300), "seed": st.integers(0, 1000)})


register(Claim(
    id="zo.moments.finite_t",
    monte_carlo=mc_column_for("zo.moments.finite_t"),
    title="finite-horizon E h_t², E(d_λh_t)² with h_0 = 0 (finite Lemmas 1–2)",
    source=f"derived from {PAPER}, Lemmas 1–2 at finite horizon; docs/theory.md §3.3",
    symbolic=_finite_symbolic,
    oracle=_finite_oracle,
    points=_finite_points,
    domain=_finite_domain,
))


# ------------------------------------------------------------------ zo.moments.cross
@cache
def _cross_published() -> CheckOutcome:
    pub = published_forms()
    ok_h = sp.simplify(moment_expr("cross_h") - pub["cross_h_real"]) == 0
    ok_d = sp.simplify(moment_expr("cross_dh") - pub["cross_dh_real"]) == 0
    return CheckOutcome(ok_h and ok_d, "cross_h == f, cross_dh == ∂_λ∂_λ' f of the code's "
                                       f"effect_shrink_eigvals (simplify: {ok_h}, {ok_d})")


def _cross_symbolic(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    parts = [_cross_published()]
    rng = _rng(point)
    draws = []
    for _ in range(2 if ctx.mode == "quick" else 4):
        n1, n2 = rng.uniform(0.1, 0.7), rng.uniform(0.1, 0.7)
        t1, t2, r = rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(-1, 1)
        R = _R_values("ar1", r, DIRECT_TERMS)
        l1, l2 = n1 * cmath.exp(1j * t1), n2 * cmath.exp(1j * t2)
        draws.append(({"lam": n1, "lam2": n2, "theta": t1, "theta2": t2, "rho": r},
                      lambda q, l1=l1, l2=l2, R=R: _direct("h" if q == "cross_h" else "dh", l1,
                                                           l2.conjugate(), R)))
    exprs = {q: moment_expr(q, complex_lambda=True) for q in ("cross_h", "cross_dh")}
    parts.append(_random_points_outcome(exprs, ("lam", "lam2", "theta", "theta2", "rho"), draws,
                                        "E[h(λ) conj h(λ2)] vs direct sum"))
    return _all(parts)


def _cross_oracle(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    ac = _autocorr(point.get("rho", 0.0))
    th1, th2 = point.get("theta"), point.get("theta2")
    mine = cross_moments(point["lam"], point["lam2"], theta=th1, theta2_value=th2, autocorr=ac,
                         t=point.get("t"))
    errs = {}
    for q in ("cross_h", "cross_dh"):
        ref = oracle_cross(point["lam"], point["lam2"], theta=th1, theta2=th2, autocorr=ac,
                           t=point.get("t"), dps=ORACLE_DPS, quantity=q)
        errs[q] = _rel(mine[q], ref["value"])
    worst = max(errs.values())
    return CheckOutcome(worst <= ORACLE_TOL, f"cross-moments at {dict(point)}: max rel err "
                                             f"{worst:.1e} ≤ {ORACLE_TOL:g}", {"rel_errors": errs})


def _cross_points(mode: Mode) -> list[dict[str, Any]]:
    pts = [{"lam": 0.99, "lam2": 0.95, "rho": 0.99},
           {"lam": 0.9, "lam2": 0.8, "theta": 0.3, "theta2": -0.2, "rho": 0.5, "t": 30}]
    if mode == "full":
        pts += [{"lam": 0.999, "lam2": 0.99, "theta": th, "theta2": -th, "rho": r}
                for th in (0.0, 0.1, 2.0) for r in (0.0, 0.9, 1.0)]
    return pts


def _cross_domain() -> Any:
    return st.fixed_dictionaries({"lam": st.floats(0, 0.99), "lam2": st.floats(0, 0.99),
                                  "theta": st.floats(-3, 3), "theta2": st.floats(-3, 3),
                                  "rho": st.floats(-1, 1), "seed": st.integers(0, 1000)})


register(Claim(
    id="zo.moments.cross",
    monte_carlo=mc_column_for("zo.moments.cross"),
    title="cross-moments E[h(λ) conj h(λ')] and S = E[d_λh conj d_λ'h'] (Hessian blocks)",
    source=f"{PAPER}, §3 / App. (Figs. 8, 10; code effect_shrink_eigvals); "
           "docs/theory.md §3.5",
    symbolic=_cross_symbolic,
    oracle=_cross_oracle,
    points=_cross_points,
    domain=_cross_domain,
))


# ------------------------------------------------------------------ zo.normalization
def _table_rows() -> dict[str, tuple[Callable[[Any], Any], Callable[[Any], tuple[Any, Any]],
                                     tuple[Any, Any]]]:
    """name -> (quantity as a function of ρ, published (p, C) for ρ < 1, (p, C) at ρ = 1).

    The published orders and coefficients are docs/theory.md §4 (the claim under test).
    """

    h2, dh2 = moment_expr("h2"), moment_expr("dh2_dlam")
    g2 = 1 - lam**2
    expo = (lam * sp.log(lam)) ** 2
    half = sp.Rational(1, 2)
    return {
        "E h² (unnormalized)": (lambda r: h2.subs(rho, r),
                                lambda r: (1, (1 + r) / (2 * (1 - r))), (2, 1)),
        "E(d_λh)² (unnormalized)": (lambda r: dh2.subs(rho, r),
                                    lambda r: (3, (1 + r) / (4 * (1 - r))), (4, 1)),
        "γ² E h²": (lambda r: g2 * h2.subs(rho, r), lambda r: (0, (1 + r) / (1 - r)), (1, 2)),
        "γ² E(d_λh)²": (lambda r: g2 * dh2.subs(rho, r),
                        lambda r: (2, (1 + r) / (2 * (1 - r))), (3, 2)),
        "γ² (λ ln λ)² E(d_λh)² (normalized + exp)": (
            lambda r: g2 * expo * dh2.subs(rho, r),
            lambda r: (0, half * (1 + r) / (1 - r)), (1, 2)),
    }


@cache
def _coupled_rows() -> CheckOutcome:
    e = moment_expr("dh2_dlam", 0, gamma=sp.sqrt(1 - lam**2), gamma_coupled=True)
    exact = sp.simplify(e - 1 / (1 - lam**2) ** 2) == 0
    p, c = order_and_coefficient(e * (lam * sp.log(lam)) ** 2)
    ok = exact and p == 0 and c == sp.Rational(1, 4)
    return CheckOutcome(ok, f"γ(λ) coupled, i.i.d.: E(d_λh)² = 1/(1−λ²)² ({exact}); with exp "
                            f"reparametrization → {c} (order {p})")


def _norm_symbolic(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    r = sp.nsimplify(point["rho"], rational=True)
    rows = []
    ok = True
    for name, (qty, generic, at_one) in _table_rows().items():
        p, c = order_and_coefficient(qty(r))
        want = at_one if r == 1 else generic(r)
        good = sp.simplify(p - want[0]) == 0 and sp.simplify(c - want[1]) == 0
        ok = ok and good
        rows.append({"quantity": name, "order": str(p), "coefficient": str(c),
                     "published": [str(want[0]), str(sp.nsimplify(want[1]))], "holds": good})
    parts = [CheckOutcome(ok, f"§3.4 table at ρ = {r}: {len(rows)} rows match"
                          if ok else f"§3.4 row differs at ρ = {r}: "
                          f"{next(x for x in rows if not x['holds'])}", {"rows": rows}),
             _coupled_rows()]
    return _all(parts)


def _norm_oracle(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    """Oracle values at λ = 1 − ε times ε^p approach the table's C: |ε^p E/C − 1| ≤ 1e3 ε
    (the next term of the expansion is O(ε) with a coefficient below 1e3 for |ρ| ≤ 0.99)."""

    r = point["rho"]
    eps_v = mpmath.mpf(point.get("eps", 1e-8))
    with mpmath.workdps(ORACLE_DPS):
        lv = 1 - eps_v
        o = oracle_moments(lv, rho=r, dps=ORACLE_DPS)
        g2 = 1 - lv**2
        vals = {
            "E h² (unnormalized)": o["h2"],
            "E(d_λh)² (unnormalized)": o["dh2_dlam"],
            "γ² E h²": g2 * o["h2"],
            "γ² E(d_λh)²": g2 * o["dh2_dlam"],
            "γ² (λ ln λ)² E(d_λh)² (normalized + exp)": g2 * (lv * mpmath.log(lv)) ** 2
            * o["dh2_dlam"],
        }
        rs = sp.nsimplify(r, rational=True)
        worst = 0.0
        for name, (_, generic, at_one) in _table_rows().items():
            p, c = at_one if rs == 1 else generic(rs)
            ratio = vals[name] * eps_v ** int(p) / mpmath.mpf(sp.N(c, ORACLE_DPS))
            worst = max(worst, float(abs(ratio - 1)))
    bound = float(1e3 * eps_v)
    return CheckOutcome(worst <= bound, f"oracle at λ = 1 − {float(eps_v):g}, ρ = {r}: "
                                        f"max |ε^p E / C − 1| = {worst:.1e} ≤ {bound:.0e}",
                        {"max_deviation": worst, "bound": bound})


def _norm_points(mode: Mode) -> list[dict[str, Any]]:
    if mode == "quick":
        return [{"rho": 0.5}, {"rho": 1.0}]
    return [{"rho": r} for r in (0.0, 0.5, 0.9, 0.99, -0.5, 1.0)]


def _norm_domain() -> Any:
    return st.fixed_dictionaries({"rho": st.sampled_from([0.0, 0.25, 0.5, 0.9, -0.5, 1.0])})


register(Claim(
    id="zo.normalization",
    monte_carlo=mc_column_for("zo.normalization"),
    title="normalization γ = √(1−λ²) (+ exp reparametrization) bounds the moments iff ρ < 1",
    source=f"{PAPER}, §3 (input normalization, Fig. 2); docs/theory.md §4",
    symbolic=_norm_symbolic,
    oracle=_norm_oracle,
    points=_norm_points,
    domain=_norm_domain,
))


# ------------------------------------------------------------------ zo.reparam
def _reparam_rows() -> dict[str, tuple[str, str, Any, tuple[Any, Any] | None, Any]]:
    """name -> (preset, parameter, ρ, published (p, C) or None, exact form or None)."""

    half = sp.Rational(1, 2)
    return {
        "exp, unnormalized, ρ=0": ("exp", "omega_nu", 0, (1, sp.Rational(1, 4)), None),
        "exp + γ, ρ=0": ("exp_normalized", "omega_nu", 0, (0, half), None),
        "exp + γ, ρ=1/2": ("exp_normalized", "omega_nu", half, (0, sp.Rational(3, 2)), None),
        "exp + γ, ρ=1": ("exp_normalized", "omega_nu", 1, (1, 2), None),
        "polar angle + γ, ρ=0": ("polar_normalized", "theta", 0, (2, half), None),
        "LRU angle + γ, ρ=0": ("lru_normalized", "omega_theta", 0, (2, theta**2 / 2), None),
        "tanh-optimal ω_ν + γ, ρ=0": ("tanh_optimal_normalized", "omega_nu", 0, None,
                                      1 + lam**2),
        "tanh-optimal ω_θ + γ, ρ=0": ("tanh_optimal_normalized", "omega_theta", 0, None,
                                      sp.Integer(1)),
    }


@cache
def _reparam_row(name: str) -> dict[str, Any]:
    pre, par, r, want, exact = _reparam_rows()[name]
    e = sensitivity_expr(preset(pre), par, r)
    out: dict[str, Any] = {"row": name, "sensitivity": str(e)[:200]}
    if exact is not None:
        out["holds"] = bool(sp.simplify((e - exact).rewrite(sp.exp)) == 0)
        out["claim"] = f"= {exact}"
    else:
        p, c = order_and_coefficient(e)
        out["order"], out["coefficient"] = str(p), str(c)
        out["holds"] = bool(sp.simplify(p - want[0]) == 0 and sp.simplify(c - want[1]) == 0)
        out["claim"] = f"order {want[0]}, coefficient {want[1]}"
    return out


def _reparam_symbolic(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    rows = [_reparam_row(n) for n in point["rows"]]
    bad = [r for r in rows if not r["holds"]]
    if bad:
        return CheckOutcome(False, f"{bad[0]['row']}: expected {bad[0]['claim']}, got "
                                   f"{bad[0].get('order')}, {bad[0].get('coefficient')}",
                            {"rows": rows})
    return CheckOutcome(True, "; ".join(f"{r['row']}: {r['claim']}" for r in rows),
                        {"rows": rows})


def _reparam_oracle(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    """E|d_p h|² = E|γ ∂λ/∂p · d_λh̃|²: oracle_moments with the complex input gain γ ∂λ/∂p
    (∂λ/∂p by mpmath.diff of the parameter map, 40 digits) vs the derived sensitivity."""

    errs = {}
    nu_v, th_v = mpmath.mpf(point["nu"]), mpmath.mpf(point.get("theta", 0.7))
    for name in point["rows"]:
        pre, par_name, r, _, _ = _reparam_rows()[name]
        par = preset(pre)
        e = sensitivity_expr(par, par_name, r)
        with mpmath.workdps(ORACLE_DPS + 20):
            inv = par.inverse
            p_sym = par.param(par_name)
            env = {lam: nu_v, theta: th_v if par.is_complex else 0}
            p_vals = {q: mpmath.mpmathify(sp.N(inv[q].subs(env), ORACLE_DPS + 20))
                      for q in par.params}
            consts = {c: sp.N(v.subs({q: p_vals[q] for q in par.params}), ORACLE_DPS + 20)
                      for c, v in par.constants.items()}
            lam_map = sp.lambdify(p_sym, (par.nu * sp.exp(sp.I * par.theta) if par.is_complex
                                          else par.nu).subs(consts).subs(
                {q: p_vals[q] for q in par.params if q != p_sym}), "mpmath")
            dl = mpmath.diff(lam_map, p_vals[p_sym])
            g = mpmath.sqrt(1 - nu_v**2) if par.gamma is not None else mpmath.mpf(1)
            o = oracle_moments(nu_v, theta=th_v if par.is_complex else None, rho=r,
                               gamma=g * dl, dps=ORACLE_DPS)
            re_v, im_v = sp.N(e.subs({lam: sp.Rational(point["nu"]), theta: sp.Rational(
                point.get("theta", 0.7))}), ORACLE_DPS + 10).as_real_imag()
            mine = mpmath.mpc(mpmath.mpf(str(re_v)), mpmath.mpf(str(im_v)))
            errs[name] = _rel(mine, o["dh2_dlam"])
    worst = max(errs.values())
    tol = ORACLE_TOL
    return CheckOutcome(worst <= tol, f"chain rule at ν = {point['nu']}: derived vs oracle with "
                                      f"γ·∂λ/∂p (mpmath.diff), max rel err {worst:.1e} ≤ {tol:g}",
                        {"rel_errors": errs})


def _reparam_points(mode: Mode) -> list[dict[str, Any]]:
    names = list(_REPARAM_NAMES)
    if mode == "quick":
        return [{"rows": [names[1], names[6], names[7]], "nu": 0.99}]
    return [{"rows": names, "nu": nu} for nu in (0.9, 0.999)]


_REPARAM_NAMES = ("exp, unnormalized, ρ=0", "exp + γ, ρ=0", "exp + γ, ρ=1/2", "exp + γ, ρ=1",
                  "polar angle + γ, ρ=0", "LRU angle + γ, ρ=0", "tanh-optimal ω_ν + γ, ρ=0",
                  "tanh-optimal ω_θ + γ, ρ=0")


def _reparam_domain() -> Any:
    return st.fixed_dictionaries({
        "rows": st.lists(st.sampled_from([_REPARAM_NAMES[i] for i in (1, 6, 7)]),
                         min_size=1, max_size=2, unique=True),
        "nu": st.floats(0.2, 0.999)})


register(Claim(
    id="zo.reparam",
    monte_carlo=mc_column_for("zo.reparam"),
    title="exp / polar / LRU / tanh-optimal reparametrizations: what stays bounded as |λ| → 1",
    source=f"{PAPER}, §3 (reparametrization, Figs. 2, 5B, 6); docs/theory.md §4",
    symbolic=_reparam_symbolic,
    oracle=_reparam_oracle,
    points=_reparam_points,
    domain=_reparam_domain,
))


# ------------------------------------------------------------------ zo.loss1d
@cache
def _loss_symbolic_parts() -> list[CheckOutcome]:
    ok_loss = sp.simplify(loss_expr(False) - published_loss(False)) == 0
    mom = moment_expr("dh2_dlam", input_autocorrelation()).subs(lam, lam_star)
    ok_h = sp.simplify(hessian_at_optimum("lam") - mom) == 0
    ok_t = sp.simplify(hessian_at_optimum("theta") - lam_star**2 * mom) == 0
    return [CheckOutcome(ok_loss, f"loss from Lemma 1 == code's loss (real λ): {ok_loss}"),
            CheckOutcome(ok_h, f"∂²_λ L at λ* == E(d_λh)² (Lemma 2, R = σ²δ + μ²): {ok_h}"),
            CheckOutcome(ok_t, f"∂²_θ L at θ* == λ*² E(d_λh)² = E|d_θh|²: {ok_t}")]


def _loss_symbolic(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    parts = list(_loss_symbolic_parts())
    rng = _rng(point)
    worst = 0.0
    for _ in range(2):
        vals = {lam: rng.uniform(0.05, 0.95), theta: rng.uniform(-3, 3),
                lam_star: rng.uniform(-0.95, 0.95), mu: rng.uniform(-1, 1),
                sigma: rng.uniform(0.1, 2)}
        a = complex(loss_expr(True).subs(vals).evalf(30))
        b = complex(published_loss(True).subs(vals).evalf(30))
        worst = max(worst, abs(a - b) / max(abs(a), abs(b)))
    parts.append(CheckOutcome(worst <= POINT_TOL, f"complex student: derived loss == code's at "
                                                  f"random points (rel {worst:.1e})"))
    return _all(parts)


def _loss_oracle(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    """Numerical second derivative (mpmath.diff, 40 digits) of the code's loss at λ* vs the
    oracle's E(d_λh)² (and E|d_θh|² along the circle)."""

    ls = mpmath.mpf(point["lam_star"])
    mu_v = point.get("mu", 0.0)
    with mpmath.workdps(ORACLE_DPS + 20):
        # exact binary rationals: a Float would be printed in decimal and re-read inexactly
        ls_q, mu_q = sp.Rational(point["lam_star"]), sp.Rational(mu_v)
        f_real = sp.lambdify(lam, published_loss(False).subs({lam_star: ls_q, mu: mu_q,
                                                              sigma: 1}), "mpmath")
        f_th = sp.lambdify(theta, published_loss(True).subs(
            {lam_star: ls_q, mu: mu_q, sigma: 1, lam: ls_q}), "mpmath")
        d2l = mpmath.diff(f_real, ls, 2)
        d2t = mpmath.re(mpmath.diff(f_th, mpmath.mpf(0), 2))

        def R(kk: int) -> Any:
            return (1 if kk == 0 else 0) + mpmath.mpf(mu_v) ** 2

        o = oracle_moments(ls, R=R, dps=ORACLE_DPS) if mu_v else oracle_moments(
            ls, rho=0, dps=ORACLE_DPS)
        # λ = λ* e^{iθ}: a negative teacher is the modulus |λ*| at angle π
        nu_t, th_t = abs(ls), (mpmath.pi if ls < 0 else mpmath.mpf(0))
        ot = oracle_moments(nu_t, theta=th_t, R=R, dps=ORACLE_DPS) if mu_v else oracle_moments(
            nu_t, theta=th_t, rho=0, dps=ORACLE_DPS)
    # normwise for the θ-Hessian (λ*² E(d_λh)², ~0 for tiny λ*): relative to the λ-Hessian
    e1, e2 = _rel(d2l, o["dh2_dlam"]), _rel(d2t, ot["dh2_dtheta"], floor=o["dh2_dlam"])
    tol = 1e-20  # numerical differentiation at 60 digits
    return CheckOutcome(max(e1, e2) <= tol,
                        f"λ* = {point['lam_star']}, μ = {mu_v}: ∂²L (mpmath.diff of the code's "
                        f"loss) = {mpmath.nstr(d2l, 10)} vs oracle E(d_λh)² (rel {e1:.1e}); "
                        f"θ: rel {e2:.1e} ≤ {tol:g}",
                        {"hessian_lam": float(d2l), "hessian_theta": float(d2t),
                         "rel_errors": [e1, e2]})


def _loss_monte_carlo(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    """The sharpness as a practitioner would measure it: simulate the student at the optimum
    λ = λ* (inputs with mean μ and unit variance: R(k) = 0^k + μ²) and estimate ∂²L/∂λ² =
    E(d_λh)² (the residual term h − h* vanishes at the optimum), and ∂²L/∂θ² = E|d_θh|² on the
    circle |λ| = |λ*|; z-test each against the Hessian derived from the loss
    (:func:`theory.loss1d.hessian_value`) at false-failure rate ctx.alpha/2 each."""


    ls = float(point["lam_star"])
    mu_v = float(point.get("mu", 0.0))
    autocorr = f"0**k + {mu_v!r}**2" if mu_v else 0.0
    along = {
        "lam": ({"lam": ls}, "dh2_dlam"),
        # a negative teacher is the modulus |λ*| at angle π
        "theta": ({"lam": abs(ls), "theta": math.pi if ls < 0 else 0.0}, "dh2_dtheta"),
    }
    tests, notes = [], []
    for direction, (opts, quantity) in along.items():
        model, note = feasible(Model.from_options({**opts, "autocorr": autocorr}), ctx.mode)
        if model.t is not None:  # burn-in too long for this mode: the claim is stationary
            notes.append(f"{direction}: skipped ({note})")
            continue
        est = model.simulate(samples_for(model, ctx.mode), seed=ctx.seed,
                             device=ctx.device).points[0]
        hess = float(hessian_value(ls, direction, mu_value=mu_v))
        tests.append(z_test(est.quantities[quantity].estimate, est.quantities[quantity].stderr,
                            hess, alpha=ctx.alpha / 2, bias=est.bias_bound[quantity],
                            label=f"d2L/d{direction}2"))
    if not tests:
        return CheckOutcome(False, "no direction could be simulated: " + "; ".join(notes))
    outcome = combine(tests)
    if notes:
        outcome.detail += " (" + "; ".join(notes) + ")"
    return outcome


def _loss_points(mode: Mode) -> list[dict[str, Any]]:
    if mode == "quick":  # stationary burn-in at 0.9 fits the quick Monte Carlo budget
        return [{"lam_star": 0.9}]
    return [{"lam_star": float(v)} for v in FIG1_TEACHERS] + [{"lam_star": 0.9, "mu": 0.7}]


def _loss_domain() -> Any:
    return st.fixed_dictionaries({"lam_star": st.floats(-0.99, 0.99), "seed": st.integers(0, 99)})


register(Claim(
    id="zo.loss1d",
    title="1-D teacher–student loss; its Hessian at the optimum is E(d_λh)² (sharpness)",
    source=f"{PAPER}, §4.1, Fig. 1B/C (code 1D-case.ipynb loss); docs/theory.md §5",
    symbolic=_loss_symbolic,
    oracle=_loss_oracle,
    monte_carlo=_loss_monte_carlo,
    points=_loss_points,
    domain=_loss_domain,
))
