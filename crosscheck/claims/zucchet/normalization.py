"""Claims zo.normalization and zo.reparam: what input normalization and reparametrizations
keep bounded as |λ| → 1 (Zucchet & Orvieto 2024, §3, Figs. 2, 5B, 6; docs/theory.md §4)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import mpmath
import sympy as sp
from hypothesis import strategies as st
from rnnverify.crosscheck.claims import strategies as rst
from rnnverify.crosscheck.claims.mc_columns import moment_mc_column, reparam_mc_column
from rnnverify.crosscheck.claims.registry import Claim, Mode, RunContext, register
from rnnverify.crosscheck.claims.zucchet.common import (
    ORACLE_DPS,
    ORACLE_TOL,
    PAPER,
    all_of,
    rel_error,
)
from rnnverify.crosscheck.model.bridge import gamma_values
from rnnverify.crosscheck.stats.ztests import CheckOutcome
from rnnverify.theory.memory.moments import moment_expr
from rnnverify.theory.memory.oracle import oracle_moments
from rnnverify.theory.params.asymptotics import order_and_coefficient
from rnnverify.theory.params.parametrizations import preset, sensitivity_expr
from rnnverify.theory.symbols import lam, rho, theta


# ------------------------------------------------------------------ zo.normalization
@dataclass(frozen=True)
class NormalizationRow:
    """One row of the table of what normalization bounds (docs/theory.md §4).

    ``quantity(ρ)`` is the derived SymPy expression in λ; ``oracle(o, λ)`` the same quantity
    from the oracle's moments ``o`` at λ (mpmath); ``generic(ρ)`` the published (order,
    coefficient) for ρ < 1 and ``at_one`` the pair at ρ = 1 (the claim under test).
    """

    quantity: Callable[[Any], Any]
    oracle: Callable[[Mapping[str, Any], Any], Any]
    generic: Callable[[Any], tuple[Any, Any]]
    at_one: tuple[Any, Any]


def _table_rows() -> dict[str, NormalizationRow]:
    """The zo.normalization rows by name (real λ, γ = √(1−λ²) decoupled)."""
    h2, dh2 = moment_expr("h2"), moment_expr("dh2_dlam")
    g2 = 1 - lam**2
    expo = (lam * sp.log(lam)) ** 2
    half = sp.Rational(1, 2)
    return {
        "E h² (unnormalized)": NormalizationRow(
            lambda r: h2.subs(rho, r), lambda o, lv: o["h2"],
            lambda r: (1, (1 + r) / (2 * (1 - r))), (2, 1)),
        "E(d_λh)² (unnormalized)": NormalizationRow(
            lambda r: dh2.subs(rho, r), lambda o, lv: o["dh2_dlam"],
            lambda r: (3, (1 + r) / (4 * (1 - r))), (4, 1)),
        "γ² E h²": NormalizationRow(
            lambda r: g2 * h2.subs(rho, r), lambda o, lv: (1 - lv**2) * o["h2"],
            lambda r: (0, (1 + r) / (1 - r)), (1, 2)),
        "γ² E(d_λh)²": NormalizationRow(
            lambda r: g2 * dh2.subs(rho, r), lambda o, lv: (1 - lv**2) * o["dh2_dlam"],
            lambda r: (2, (1 + r) / (2 * (1 - r))), (3, 2)),
        "γ² (λ ln λ)² E(d_λh)² (normalized + exp)": NormalizationRow(
            lambda r: g2 * expo * dh2.subs(rho, r),
            lambda o, lv: (1 - lv**2) * (lv * mpmath.log(lv)) ** 2 * o["dh2_dlam"],
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
    for name, row in _table_rows().items():
        p, c = order_and_coefficient(row.quantity(r))
        want = row.at_one if r == 1 else row.generic(r)
        good = sp.simplify(p - want[0]) == 0 and sp.simplify(c - want[1]) == 0
        ok = ok and good
        rows.append({"quantity": name, "order": str(p), "coefficient": str(c),
                     "published": [str(want[0]), str(sp.nsimplify(want[1]))], "holds": good})
    parts = [CheckOutcome(ok, f"§3.4 table at ρ = {r}: {len(rows)} rows match"
                          if ok else f"§3.4 row differs at ρ = {r}: "
                          f"{next(x for x in rows if not x['holds'])}", {"rows": rows}),
             _coupled_rows()]
    return all_of(parts)


def _norm_oracle(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    """Oracle values at λ = 1 − ε times ε^p approach the table's C: |ε^p E/C − 1| ≤ 1e3 ε
    (the next term of the expansion is O(ε) with a coefficient below 1e3 for |ρ| ≤ 0.99)."""

    r = point["rho"]
    eps_v = mpmath.mpf(point.get("eps", 1e-8))
    with mpmath.workdps(ORACLE_DPS):
        lv = 1 - eps_v
        o = oracle_moments(lv, rho=r, dps=ORACLE_DPS)
        rs = sp.nsimplify(r, rational=True)
        worst = 0.0
        for row in _table_rows().values():
            p, c = row.at_one if rs == 1 else row.generic(rs)
            ratio = row.oracle(o, lv) * eps_v ** int(p) / mpmath.mpf(sp.N(c, ORACLE_DPS))
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
    monte_carlo=moment_mc_column(("h2", "dh2_dlam"), lam=(0.5, 0.9, 0.99),
                                 gamma="sqrt(1-lam**2)"),
    title="normalization γ = √(1−λ²) (+ exp reparametrization) bounds the moments iff ρ < 1",
    source=f"{PAPER}, §3 (input normalization, Fig. 2); docs/theory.md §4",
    symbolic=_norm_symbolic,
    oracle=_norm_oracle,
    points=_norm_points,
    domain=_norm_domain,
))


# ------------------------------------------------------------------ zo.reparam
@dataclass(frozen=True)
class ReparamRow:
    """One row of zo.reparam (docs/theory.md §4), for all three columns.

    ``preset`` and ``parameter`` name the parametrization
    (:func:`theory.params.parametrizations.preset`)
    and the parameter p; ``rho`` the input correlation; ``published`` the claimed (order,
    coefficient) of γ² E|d_p h|² as |λ| → 1, or ``exact`` its claimed closed form.
    ``dlam_dp`` is ∂λ/∂p derived by hand from the parameter map, as expression text in ``lam``
    (ν for complex presets) and ``theta``: the Monte Carlo tangent seed, so that the simulation
    shares only the preset's definition with the symbolic chain rule.
    """

    preset: str
    parameter: str
    rho: Any
    published: tuple[Any, Any] | None
    exact: Any
    dlam_dp: str


_HALF = sp.Rational(1, 2)
#: the rows of zo.reparam, by name
REPARAM_ROWS: dict[str, ReparamRow] = {
    "exp, unnormalized, ρ=0": ReparamRow("exp", "omega_nu", 0, (1, sp.Rational(1, 4)), None,
                                         "lam*log(lam)"),
    "exp + γ, ρ=0": ReparamRow("exp_normalized", "omega_nu", 0, (0, _HALF), None,
                               "lam*log(lam)"),
    "exp + γ, ρ=1/2": ReparamRow("exp_normalized", "omega_nu", _HALF, (0, sp.Rational(3, 2)),
                                 None, "lam*log(lam)"),
    "exp + γ, ρ=1": ReparamRow("exp_normalized", "omega_nu", 1, (1, 2), None, "lam*log(lam)"),
    "polar angle + γ, ρ=0": ReparamRow("polar_normalized", "theta", 0, (2, _HALF), None,
                                       "I*lam*exp(I*theta)"),
    "LRU angle + γ, ρ=0": ReparamRow("lru_normalized", "omega_theta", 0, (2, theta**2 / 2),
                                     None, "I*theta*lam*exp(I*theta)"),
    "tanh-optimal ω_ν + γ, ρ=0": ReparamRow("tanh_optimal_normalized", "omega_nu", 0, None,
                                            1 + lam**2, "(1-lam**2)*exp(I*theta)"),
    "tanh-optimal ω_θ + γ, ρ=0": ReparamRow("tanh_optimal_normalized", "omega_theta", 0, None,
                                            sp.Integer(1),
                                            "I*exp(I*theta)*(1-lam**2)/sqrt(1+lam**2)"),
}
#: angle of the complex presets' points (oracle and Monte Carlo)
REPARAM_THETA = 0.7


@cache
def _reparam_row(name: str) -> dict[str, Any]:
    row = REPARAM_ROWS[name]
    want, exact = row.published, row.exact
    e = sensitivity_expr(preset(row.preset), row.parameter, row.rho)
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
    th_point = point.get("theta", REPARAM_THETA)
    nu_v, th_v = mpmath.mpf(point["nu"]), mpmath.mpf(th_point)
    for name in point["rows"]:
        row = REPARAM_ROWS[name]
        par_name, r = row.parameter, row.rho
        par = preset(row.preset)
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
            g, _ = gamma_values(par.gamma, nu_v, theta=th_v if par.is_complex else None)
            o = oracle_moments(nu_v, theta=th_v if par.is_complex else None, rho=r,
                               gamma=g * dl, dps=ORACLE_DPS)
            re_v, im_v = sp.N(e.subs({lam: sp.Rational(point["nu"]), theta: sp.Rational(th_point)}),
                         ORACLE_DPS + 10).as_real_imag()
            mine = mpmath.mpc(mpmath.mpf(str(re_v)), mpmath.mpf(str(im_v)))
            errs[name] = rel_error(mine, o["dh2_dlam"])
    worst = max(errs.values())
    tol = ORACLE_TOL
    return CheckOutcome(worst <= tol, f"chain rule at ν = {point['nu']}: derived vs oracle with "
                                      f"γ·∂λ/∂p (mpmath.diff), max rel err {worst:.1e} ≤ {tol:g}",
                        {"rel_errors": errs})


def _reparam_points(mode: Mode) -> list[dict[str, Any]]:
    names = list(REPARAM_ROWS)
    if mode == "quick":
        return [{"rows": [names[1], names[6], names[7]], "nu": 0.99}]
    return [{"rows": names, "nu": nu} for nu in (0.9, 0.999)]


def _reparam_domain() -> Any:
    return st.fixed_dictionaries({
        "rows": st.lists(st.sampled_from([list(REPARAM_ROWS)[i] for i in (1, 6, 7)]),
                         min_size=1, max_size=2, unique=True),
        "nu": rst.modulus(0.999, min_value=0.2)})


register(Claim(
    id="zo.reparam",
    monte_carlo=reparam_mc_column(
        {name: (row.preset, row.parameter, float(row.rho), row.dlam_dp)
         for name, row in REPARAM_ROWS.items()}, angle=REPARAM_THETA),
    title="exp / polar / LRU / tanh-optimal reparametrizations: what stays bounded as |λ| → 1",
    source=f"{PAPER}, §3 (reparametrization, Figs. 2, 5B, 6); docs/theory.md §4",
    symbolic=_reparam_symbolic,
    oracle=_reparam_oracle,
    points=_reparam_points,
    domain=_reparam_domain,
))
