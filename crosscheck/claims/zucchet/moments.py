"""Claims on the second moments: zo.moments.general, .ar1, .complex, .finite_t, .cross
(Zucchet & Orvieto 2024, §2.2, Fig. 1A, appendix; docs/theory.md §3)."""

from __future__ import annotations

import cmath
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import sympy as sp
from hypothesis import strategies as st
from rnnverify.crosscheck.claims import strategies as rst
from rnnverify.crosscheck.claims.mc_columns import cross_mc_column, moment_mc_column
from rnnverify.crosscheck.claims.registry import (
    Claim,
    Column,
    Mode,
    PointsFn,
    RunContext,
    register,
)
from rnnverify.crosscheck.claims.zucchet.common import (
    DIRECT_TERMS,
    GENERAL_AUTOCORRS,
    ORACLE_DPS,
    ORACLE_TOL,
    PAPER,
    POINT_TOL,
    all_of,
    autocorr_of,
    direct_sum,
    lambdify_names,
    point_rng,
    r_values,
    rel_error,
)
from rnnverify.crosscheck.model.bridge import gamma_values
from rnnverify.crosscheck.stats.ztests import CheckOutcome
from rnnverify.theory.memory.autocorr import ar1
from rnnverify.theory.memory.moments import cross_moments, moment_expr, moments, published_forms
from rnnverify.theory.memory.oracle import oracle_cross, oracle_moments
from rnnverify.theory.symbols import k, lam, rho, t


# ------------------------------------------------------------------ moments: shared checks
@cache
def _series_coefficients_ok(kind: str, r_text: str, order: int = 5) -> tuple[bool, str]:
    """Taylor coefficients in λ of the derived real moment equal the defining double sum's:
    [λ^j] E h² = Σ_{n+m=j} R(n−m),  [λ^j] E(d_λh)² = Σ_{n+m=j+2} n m R(n−m)."""

    ac = ar1() if r_text == "ar1" else autocorr_of(r_text)
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
    ac = autocorr_of(spec)
    theta = point.get("theta")
    t = point.get("t")
    gamma_text = point.get("gamma")
    mine = moments(point["lam"], theta=theta, autocorr=ac, gamma=gamma_text, t=t, dps=50)
    g, _ = gamma_values(gamma_text, point["lam"], theta=theta, dps=ORACLE_DPS + 20)
    ref = oracle_moments(point["lam"], theta=theta, autocorr=ac, gamma=g, t=t, dps=ORACLE_DPS)
    keys = [q for q in ("h2", "dh2_dlam", "dh2_dtheta") if mine[q] is not None]
    norm = max(abs(ref[q]) for q in keys)
    errs = {q: rel_error(mine[q], ref[q], floor=norm) for q in keys}
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
        fn = lambdify_names(e, names)
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
    ac = autocorr_of(text)
    parts = []
    # series of transcendental closed forms are slow in SymPy: exact series check in full mode
    if ctx.mode == "full" or not any(f in text for f in ("exp", "cos", "sin", "log")):
        for kind in ("h", "dh"):
            ok, why = _series_coefficients_ok(kind, text, 3 if ctx.mode == "quick" else 6)
            parts.append(CheckOutcome(ok, f"{'E h²' if kind == 'h' else 'E(d_λh)²'}: {why}"))
    rng = point_rng(point)
    R = r_values(text, None, DIRECT_TERMS)
    draws = []
    for _ in range(2 if ctx.mode == "quick" else 5):
        lv = rng.uniform(0.1, 0.7) * cmath.exp(1j * rng.uniform(-3.1, 3.1))
        draws.append(({"lam": lv},
                      lambda q, lv=lv: direct_sum("h" if q == "h2" else "dh", lv, lv, R)))
    exprs = {"h2": moment_expr("h2", ac), "dh2_dlam": moment_expr("dh2_dlam", ac)}
    if not any(e.has(sp.Sum) for e in exprs.values()):
        parts.append(_random_points_outcome(exprs, ("lam",), draws,
                                            f"R(k) = {text}, complex λ"))
    return all_of(parts)


# ------------------------------------------------------------------ zo.moments.ar1
def _ar1_symbolic(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    parts = [_published_equal("h2", "h2_real"), _published_equal("dh2_dlam", "dh2_dlam_real")]
    for kind in ("h", "dh"):
        ok, why = _series_coefficients_ok(kind, "ar1", 4 if ctx.mode == "quick" else 6)
        parts.append(CheckOutcome(ok, f"ρ^|k|, {'E h²' if kind == 'h' else 'E(d_λh)²'}: {why}"))
    # both closed forms as rational functions of complex λ and ρ
    rng = point_rng(point)
    pub = published_forms()
    draws = []
    for _ in range(2 if ctx.mode == "quick" else 5):
        lv = rng.uniform(0.1, 0.7) * cmath.exp(1j * rng.uniform(-3.1, 3.1))
        rv = rng.uniform(0.1, 0.9) * cmath.exp(1j * rng.uniform(-3.1, 3.1))
        pv = {q: complex(lambdify_names(pub[q], ("lam", "rho"))(lv, rv))
              for q in ("h2_real", "dh2_dlam_real")}
        draws.append(({"lam": lv, "rho": rv},
                      lambda q, pv=pv: pv["h2_real" if q == "h2" else "dh2_dlam_real"]))
    parts.append(_random_points_outcome(
        {"h2": moment_expr("h2"), "dh2_dlam": moment_expr("dh2_dlam")}, ("lam", "rho"), draws,
        "derived vs published at complex (λ, ρ)"))
    return all_of(parts)


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


# ------------------------------------------------------------------ zo.moments.complex
def _complex_symbolic(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    parts = [_published_equal("h2", "h2_complex", True),
             _published_equal("dh2_dlam", "dh2_dlam_complex", True)]
    if ctx.mode == "full":
        parts.append(_published_equal("dh2_dtheta", "dh2_dtheta_complex", True))
    rng = point_rng(point)
    draws = []
    for _ in range(2 if ctx.mode == "quick" else 4):
        nu, th, r = rng.uniform(0.1, 0.7), rng.uniform(-3.1, 3.1), rng.uniform(-1, 1)
        R = r_values("ar1", r, DIRECT_TERMS)
        lv = nu * cmath.exp(1j * th)

        def direct(q: str, lv: complex = lv, R: list[float] = R, nu: float = nu) -> complex:
            if q == "h2":
                return direct_sum("h", lv, lv.conjugate(), R)
            d = direct_sum("dh", lv, lv.conjugate(), R)
            return d if q == "dh2_dlam" else nu**2 * d

        draws.append(({"lam": nu, "theta": th, "rho": r}, direct))
    exprs = {q: moment_expr(q, complex_lambda=True) for q in ("h2", "dh2_dlam", "dh2_dtheta")}
    parts.append(_random_points_outcome(exprs, ("lam", "theta", "rho"), draws,
                                        "derived vs direct Σ λ^n conj(λ)^m R(n−m)"))
    return all_of(parts)


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
    rng = point_rng(point)
    draws = []
    for _ in range(2 if ctx.mode == "quick" else 4):
        lv = rng.uniform(0.1, 0.95) * cmath.exp(1j * rng.uniform(-3.1, 3.1))
        r = rng.uniform(-0.95, 0.95)
        tv = rng.randint(1, 40)
        R = r_values("ar1", r, 60)
        draws.append(({"lam": lv, "rho": r, "t": tv},
                      lambda q, lv=lv, R=R, tv=tv: direct_sum("h" if q == "h2" else "dh", lv, lv, R,
                                                           tv)))
    exprs = {q: moment_expr(q, finite_t=True) for q in ("h2", "dh2_dlam")}
    parts.append(_random_points_outcome(exprs, ("lam", "rho", "t"), draws,
                                        "finite-t closed form vs direct finite sum"))
    return all_of(parts)


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
    rng = point_rng(point)
    draws = []
    for _ in range(2 if ctx.mode == "quick" else 4):
        n1, n2 = rng.uniform(0.1, 0.7), rng.uniform(0.1, 0.7)
        t1, t2, r = rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(-1, 1)
        R = r_values("ar1", r, DIRECT_TERMS)
        l1, l2 = n1 * cmath.exp(1j * t1), n2 * cmath.exp(1j * t2)
        draws.append(({"lam": n1, "lam2": n2, "theta": t1, "theta2": t2, "rho": r},
                      lambda q, l1=l1, l2=l2, R=R: direct_sum("h" if q == "cross_h" else "dh", l1,
                                                           l2.conjugate(), R)))
    exprs = {q: moment_expr(q, complex_lambda=True) for q in ("cross_h", "cross_dh")}
    parts.append(_random_points_outcome(exprs, ("lam", "lam2", "theta", "theta2", "rho"), draws,
                                        "E[h(λ) conj h(λ2)] vs direct sum"))
    return all_of(parts)


def _cross_oracle(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    ac = autocorr_of(point.get("rho", 0.0))
    th1, th2 = point.get("theta"), point.get("theta2")
    mine = cross_moments(point["lam"], point["lam2"], theta=th1, theta2_value=th2, autocorr=ac,
                         t=point.get("t"))
    errs = {}
    for q in ("cross_h", "cross_dh"):
        ref = oracle_cross(point["lam"], point["lam2"], theta=th1, theta2=th2, autocorr=ac,
                           t=point.get("t"), dps=ORACLE_DPS, quantity=q)
        errs[q] = rel_error(mine[q], ref["value"])
    worst = max(errs.values())
    return CheckOutcome(worst <= ORACLE_TOL, f"cross-moments at {dict(point)}: max rel err "
                                             f"{worst:.1e} ≤ {ORACLE_TOL:g}", {"rel_errors": errs})


# ------------------------------------------------------------------ the claims: one table
def _moment_oracle(label: str) -> Column:
    """The oracle column of a moment claim: derived vs oracle at the point, labelled."""
    def column(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
        return _oracle_moments_outcome(point, label)
    return column


def _points(quick: list[dict[str, Any]], full: list[dict[str, Any]]) -> PointsFn:
    """The points of each mode (fresh copies: a caller may annotate them)."""
    def points(mode: Mode) -> list[dict[str, Any]]:
        return [dict(p) for p in (quick if mode == "quick" else full)]
    return points


def _domain(**fields: Callable[[], Any]) -> Callable[[], Any]:
    """The Hypothesis strategy of a claim's parameters, built when asked (drawn by the tests)."""
    return lambda: st.fixed_dictionaries({name: make() for name, make in fields.items()})


_G = GENERAL_AUTOCORRS
#: λ = 0.99: the stationary burn-in fits the quick Monte Carlo budget; the other two are
#: stationary-infeasible there (checked at the labelled finite horizon)
_AR1_QUICK = [{"lam": 0.99, "rho": 0.9}, {"lam": 0.999, "rho": 0.9},
              {"lam": 0.99999999, "rho": 0.99}]
_COMPLEX_QUICK = [{"lam": 0.93, "theta": 0.4, "rho": 0.7}]
_FINITE_QUICK = [{"lam": 0.9, "rho": 0.5, "t": 100},
                 {"lam": 0.8, "theta": 1.2, "rho": 0.9, "t": 17}]
_CROSS_QUICK = [{"lam": 0.99, "lam2": 0.95, "rho": 0.99},
                {"lam": 0.9, "lam2": 0.8, "theta": 0.3, "theta2": -0.2, "rho": 0.5, "t": 30}]

#: one row per claim: id, quantities simulated (None: the cross-moment column), title, source,
#: symbolic and oracle columns, quick and full points, parameter domain
_CLAIMS: tuple[dict[str, Any], ...] = (
    dict(id="zo.moments.general", mc=("h2", "dh2_dlam", "dh2_dtheta"),
         title="E h² and E(d_λh)² for any autocorrelation R (Lemmas 1–2, α = β = λ)",
         source=f"{PAPER}, §2.2 (Eqs. 5–6, general R_x); docs/theory.md §3.1",
         symbolic=_general_symbolic,
         oracle=lambda point, ctx: _oracle_moments_outcome(point,
                                                            f"R(k) = {point['autocorr']}"),
         quick=[{"lam": -0.6, "autocorr": _G[1]}, {"lam": 0.9, "autocorr": _G[0]}],
         full=[{"lam": lv, "autocorr": r} for r in _G for lv in (0.3, 0.9, -0.95)]
         + [{"lam": 0.99, "autocorr": _G[0]}, {"lam": 0.7, "theta": 0.9, "autocorr": _G[2]}],
         domain=_domain(lam=lambda: rst.lam_real(0.9),
                        autocorr=lambda: st.sampled_from(_G[:2]), seed=lambda: rst.seed(1000))),
    dict(id="zo.moments.ar1", mc=("h2", "dh2_dlam"),
         title="closed forms of E h² and E(d_λh)² for R(k) = ρ^|k| (real λ, stationary)",
         source=f"{PAPER}, §2.2 / Fig. 1A (code 1D-case.ipynb h2, dh_dlamb); docs/theory.md §3.2",
         symbolic=_ar1_symbolic, oracle=_moment_oracle("R(k) = ρ^|k|"),
         quick=_AR1_QUICK,
         full=_AR1_QUICK + [{"lam": lv, "rho": r} for lv in (0.9, 0.99, 0.9999, -0.97)
                            for r in (0.0, 0.9, 0.99, 0.999, 1.0, -1.0, -0.5)]
         + [{"lam": 1 - 1e-10, "rho": 0.5}],
         domain=_domain(lam=lambda: rst.lam_real(0.999), rho=rst.rho,
                        seed=lambda: rst.seed(1000))),
    dict(id="zo.moments.complex", mc=("h2", "dh2_dlam", "dh2_dtheta"),
         title="E|h|², E|d_λh|², E|d_θh|² = ν² E|d_λh|² for complex λ = ν e^{iθ}",
         source=f"{PAPER}, §2 (complex eigenvalues, α = λ, β = conj λ); docs/theory.md §3.4",
         symbolic=_complex_symbolic, oracle=_moment_oracle("complex λ = ν e^{iθ}"),
         quick=_COMPLEX_QUICK,
         full=_COMPLEX_QUICK + [{"lam": nu, "theta": th, "rho": r}
                                for nu in (0.5, 0.999, 0.99999999) for th in (0.01, 1.0, 3.0)
                                for r in (0.0, 0.9, 1.0)]
         + [{"lam": 0.9, "theta": 0.3, "autocorr": _G[0]}],
         domain=_domain(lam=lambda: rst.modulus(0.999), theta=lambda: rst.angle(3.14),
                        rho=rst.rho, seed=lambda: rst.seed(1000))),
    dict(id="zo.moments.finite_t", mc=("h2", "dh2_dlam", "dh2_dtheta"),
         title="finite-horizon E h_t², E(d_λh_t)² with h_0 = 0 (finite Lemmas 1–2)",
         source=f"derived from {PAPER}, Lemmas 1–2 at finite horizon; docs/theory.md §3.3",
         symbolic=_finite_symbolic, oracle=_moment_oracle("finite horizon"),
         quick=_FINITE_QUICK,
         full=_FINITE_QUICK + [{"lam": lv, "rho": r, "t": tv}
                               for lv in (0.5, 0.999, 0.99999999) for r in (0.0, 0.9, 1.0)
                               for tv in (1, 2, 1000)]
         + [{"lam": 0.9, "autocorr": _G[0], "t": 50}],
         domain=_domain(lam=lambda: rst.lam_real(0.999), rho=rst.rho,
                        t=lambda: rst.horizon(300), seed=lambda: rst.seed(1000))),
    dict(id="zo.moments.cross", mc=None,
         title="cross-moments E[h(λ) conj h(λ')] and S = E[d_λh conj d_λ'h'] (Hessian blocks)",
         source=f"{PAPER}, §3 / App. (Figs. 8, 10; code effect_shrink_eigvals); "
                "docs/theory.md §3.5",
         symbolic=_cross_symbolic, oracle=_cross_oracle,
         quick=_CROSS_QUICK,
         full=_CROSS_QUICK + [{"lam": 0.999, "lam2": 0.99, "theta": th, "theta2": -th, "rho": r}
                              for th in (0.0, 0.1, 2.0) for r in (0.0, 0.9, 1.0)],
         domain=_domain(lam=lambda: rst.modulus(0.99), lam2=lambda: rst.modulus(0.99),
                        theta=lambda: rst.angle(3), theta2=lambda: rst.angle(3), rho=rst.rho,
                        seed=lambda: rst.seed(1000))),
)

for _row in _CLAIMS:
    register(Claim(
        id=_row["id"],
        monte_carlo=cross_mc_column() if _row["mc"] is None else moment_mc_column(_row["mc"]),
        title=_row["title"],
        source=_row["source"],
        symbolic=_row["symbolic"],
        oracle=_row["oracle"],
        points=_points(_row["quick"], _row["full"]),
        domain=_row["domain"],
    ))
