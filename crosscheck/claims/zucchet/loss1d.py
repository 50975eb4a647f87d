"""Claim zo.loss1d: the 1-D teacher–student loss and its Hessian at the optimum (Zucchet &
Orvieto 2024, §4.1, Fig. 1B/C; docs/theory.md §5)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from typing import Any

import mpmath
import sympy as sp
from hypothesis import strategies as st
from rnnverify.crosscheck.claims import strategies as rst
from rnnverify.crosscheck.claims.mc_columns import feasible, samples_for, simulate
from rnnverify.crosscheck.claims.registry import Claim, Mode, RunContext, register
from rnnverify.crosscheck.claims.zucchet.common import (
    ORACLE_DPS,
    PAPER,
    POINT_TOL,
    all_of,
    point_rng,
    rel_error,
)
from rnnverify.crosscheck.model.recurrence import Model
from rnnverify.crosscheck.stats.ztests import CheckOutcome, combine, z_test
from rnnverify.theory.memory.loss1d import (
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
from rnnverify.theory.memory.moments import moment_expr
from rnnverify.theory.memory.oracle import oracle_moments
from rnnverify.theory.symbols import lam, theta


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
    rng = point_rng(point)
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
    return all_of(parts)


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
    e1, e2 = rel_error(d2l, o["dh2_dlam"]), rel_error(d2t, ot["dh2_dtheta"], floor=o["dh2_dlam"])
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
    (:func:`theory.memory.loss1d.hessian_value`) at false-failure rate ctx.alpha/2 each."""


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
        est = simulate(model, samples_for(model, ctx.mode), ctx).points[0]
        hess = float(hessian_value(ls, direction, mu_value=mu_v))
        tests.append(z_test(est.quantities[quantity].estimate, est.quantities[quantity].stderr,
                            hess, alpha=ctx.alpha / 2, bias=est.bias_bound[quantity],
                            label=f"d2L/d{direction}2"))
    if not tests:
        return CheckOutcome(False, "no direction could be simulated: " + "; ".join(notes))
    outcome = combine(tests, data={"horizon": "stationary", "stationary_infeasible": bool(notes)})
    if notes:
        outcome.detail += " (" + "; ".join(notes) + ")"
    return outcome


def _loss_points(mode: Mode) -> list[dict[str, Any]]:
    if mode == "quick":  # stationary burn-in at 0.9 fits the quick Monte Carlo budget
        return [{"lam_star": 0.9}]
    return [{"lam_star": float(v)} for v in FIG1_TEACHERS] + [{"lam_star": 0.9, "mu": 0.7}]


def _loss_domain() -> Any:
    return st.fixed_dictionaries({"lam_star": rst.lam_real(0.99), "seed": rst.seed(99)})


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
