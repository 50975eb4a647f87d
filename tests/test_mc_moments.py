"""Monte Carlo second moments agree with theory.memory.moments over a grid of (λ, ρ, θ, γ, t).

Every comparison is the z-test of crosscheck.stats.ztests; the false-failure rate of the
whole file is FILE_RATE, split equally (Bonferroni) over all its z-tests.  Seeds fixed.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rnnverify.crosscheck.claims.mc_columns import cross_mc_column, moment_mc_column, theory_values
from rnnverify.crosscheck.claims.registry import RunContext
from rnnverify.crosscheck.model.recurrence import Model
from rnnverify.crosscheck.stats.ztests import z_test

FILE_RATE = 1e-3
N = 20_000

GRID = [  # model options, quantities compared
    (dict(lam=0.9, rho=0.0), ("h2", "dh2_dlam")),
    (dict(lam=0.9, rho=0.8), ("h2", "dh2_dlam")),
    (dict(lam=-0.6, rho=0.9), ("h2", "dh2_dlam")),
    (dict(lam=0.5, rho=1.0), ("h2", "dh2_dlam")),
    (dict(lam=0.97, rho=0.5), ("h2", "dh2_dlam")),
    (dict(lam=0.93, theta=0.4, rho=0.7), ("h2", "dh2_dlam", "dh2_dtheta")),
    (dict(lam=0.8, theta=2.0, rho=-0.5, gamma="sqrt(1-lam**2)"), ("h2", "dh2_dlam", "dh2_dtheta")),
    (dict(lam=0.8, rho=0.5, gamma="sqrt(1-lam**2)", gamma_coupled=True), ("h2", "dh2_dlam")),
    (dict(lam=0.7, autocorr="0.8**k*cos(7*k/10)"), ("h2", "dh2_dlam")),
    (dict(lam=0.9, rho=0.5, t=30), ("h2", "dh2_dlam")),
    (dict(lam=0.6, theta=2.0, rho=-0.5, t=20), ("h2", "dh2_dlam", "dh2_dtheta")),
    (dict(lam=0.95, rho=0.5, gamma="sqrt(1-lam**2)", dlam_dp="lam*log(lam)"), ("dh2_dp",)),
    (dict(lam=0.9, rho=0.0, gamma="sqrt(1-lam**2)", gamma_coupled=True,
          dlam_dp="lam*log(lam)"), ("dh2_dp",)),
]
HYPOTHESIS_EXAMPLES = 8
N_TESTS = sum(len(q) for _, q in GRID) + 3 * HYPOTHESIS_EXAMPLES + 4  # + cross points
ALPHA = FILE_RATE / N_TESTS


@pytest.mark.parametrize("options,quantities", GRID)
def test_mc_agrees_with_theory(options, quantities):
    model = Model.from_options(options)
    res = model.simulate(n_samples=N, seed=2024, device="cpu", theory=False).result
    theory = theory_values(model)
    pt = res.points[0]
    for q in quantities:
        t = z_test(pt.quantities[q].estimate, pt.quantities[q].stderr, theory[q], alpha=ALPHA,
                   bias=pt.bias_bound[q], label=q)
        assert t.holds, t.detail


@given(lam=st.floats(0.0, 0.95), theta=st.one_of(st.none(), st.floats(-3.0, 3.0)),
       rho=st.sampled_from([-1.0, -0.5, 0.0, 0.3, 0.9, 1.0]), t=st.integers(1, 40))
@settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None, derandomize=True)
def test_mc_agrees_with_theory_finite_horizon(lam, theta, rho, t):
    model = Model.from_options(dict(lam=lam, theta=theta, rho=rho, t=t))
    res = model.simulate(n_samples=N, seed=7, device="cpu", theory=False).result
    theory = theory_values(model)
    pt = res.points[0]
    for q in ("h2", "dh2_dlam", "dh2_dtheta"):
        if theory.get(q) is None or (t == 1 and q != "h2"):
            continue  # d_λh_1 = 0 exactly: nothing to test statistically
        e = pt.quantities[q]
        assert z_test(e.estimate, e.stderr, theory[q], alpha=ALPHA, label=q).holds


def test_column_detects_a_wrong_theory():
    """Power: a 5 % error in the theory value is caught (z ≈ 5 with N = 2·10⁴ at ρ = 0)."""
    model = Model.from_options(dict(lam=0.5, rho=0.0, t=10))
    pt = model.simulate(n_samples=N, seed=1, device="cpu", theory=False).result.points[0]
    wrong = 1.05 * theory_values(model)["h2"]
    assert not z_test(pt.quantities["h2"].estimate, pt.quantities["h2"].stderr, wrong,
                      alpha=1e-4).holds


def test_column_is_registry_compatible():
    col = moment_mc_column(("h2", "dh2_dlam", "dh2_dtheta"), rho=0.5)
    out = col({"lam": 0.5, "t": 12}, RunContext(mode="quick", seed=3, alpha=1e-4))
    assert out.holds, out.detail
    assert set(out.data) >= {"h2", "dh2_dlam", "runs", "seed", "device", "substituted"}
    assert set(out.data["runs"][0]) >= {"lam", "samples", "steps", "stationary", "seconds"}
    assert "dh2_dtheta" not in out.data  # real λ: no θ-derivative to test
    assert out.data["h2"]["alpha"] == pytest.approx(0.5e-4)
    with pytest.raises(ValueError, match="quantity"):
        moment_mc_column("h3")


CROSS_POINTS = [
    dict(lam=0.9, lam2=0.7, rho=0.5),
    dict(lam=0.9, lam2=0.8, theta=0.3, theta2=-1.0, rho=0.5),
    dict(lam=0.9, lam2=-0.5, rho=0.3, gamma="sqrt(1-lam**2)", gamma_coupled=True),
    dict(lam=0.8, lam2=0.6, rho=0.9, t=20),
]


@pytest.mark.parametrize("point", CROSS_POINTS)
def test_cross_moments_agree_with_theory(point):
    """E[h(λ) conj h(λ2)], E[d_λh(λ) conj d_λh(λ2)] on one shared stream vs cross_moments
    (rate FILE_RATE / N_TESTS per point, Bonferroni over Re/Im inside the column)."""
    out = cross_mc_column()(point, RunContext(mode="quick", seed=99, alpha=ALPHA))
    assert out.holds, out.detail


def test_cross_of_a_point_with_itself_is_its_second_moment():
    from rnnverify.numerics.memory.montecarlo import simulate_moments

    res = simulate_moments([0.7, 0.4], rho=0.2, n_samples=3000, horizon=15, seed=1,
                           cross_pairs=[(0, 0), (1, 1), (0, 1), (1, 0)])
    for c, p in zip(res.cross[:2], res.points, strict=True):
        assert c.quantities["cross_h"][0].estimate == pytest.approx(
            p.quantities["h2"].estimate, rel=1e-12)
        assert c.quantities["cross_dh"][0].estimate == pytest.approx(
            p.quantities["dh2_dlam"].estimate, rel=1e-12)
    assert res.cross[2].quantities["cross_h"][0].estimate == pytest.approx(
        res.cross[3].quantities["cross_h"][0].estimate, rel=1e-12)


def test_gamma_is_evaluated_at_the_modulus_and_its_derivative_at_lambda():
    """The one γ rule (theory.memory.moments.gamma_values, every route): --gamma is an expression
    in lam = |λ|; coupled (real λ), dγ/dλ is its derivative at the signed λ."""
    from rnnverify.crosscheck.model.bridge import gamma_numbers
    from rnnverify.theory.memory.moments import moments

    assert gamma_numbers("1-lam", -0.5, coupled=True) == (0.5, -1.0)
    g, gp = gamma_numbers("sqrt(1-lam**2)", -0.6, coupled=True)
    assert g == pytest.approx(0.8) and gp == pytest.approx(0.75)
    assert gamma_numbers("sqrt(1-lam**2)", 0.6, coupled=False)[1] == 0.0
    with pytest.raises(ValueError, match="gamma"):
        gamma_numbers("log(lam)", 0.0, coupled=False)
    with pytest.raises(ValueError, match="gamma"):
        gamma_numbers("sqrt(lam-1)", -0.5, coupled=False)
    with pytest.raises(ValueError, match="gamma_coupled"):
        gamma_numbers("1-lam", 0.5, theta=0.3, coupled=True)
    # the closed form takes the same γ: E h² = γ(|λ|)²/(1 − λ²) at ρ = 0
    assert float(moments(-0.5, gamma="1-lam")["h2"]) == pytest.approx(0.25 / 0.75)


def test_reparam_rows_agree_with_the_symbolic_chain_rule(monkeypatch):
    """Hand-derived ∂λ/∂p seeds in the tangent recurrence vs T1's sensitivity_expr (all rows of
    zo.reparam at ν = 0.9, stationary)."""
    import rnnverify.crosscheck.claims.mc_columns as mc
    from rnnverify.crosscheck.claims.registry import all_claims
    from rnnverify.crosscheck.claims.zucchet.normalization import REPARAM_ROWS

    monkeypatch.setitem(mc.SAMPLE_STEPS, "quick", 4e6)  # → MIN_SAMPLES chains per group

    column = {c.id: c for c in all_claims()}["zo.reparam"].monte_carlo
    out = column({"rows": list(REPARAM_ROWS), "nu": 0.9},
                 RunContext(mode="quick", seed=5, alpha=FILE_RATE / 100))
    assert out.holds, out.detail
    assert not out.data["substituted"]
    assert len(out.data["runs"]) == 5  # the four complex rows share one simulation


def test_normalization_grid_column_and_substitution_note():
    col = moment_mc_column(("h2", "dh2_dlam"), lam=(0.5, 0.9, 0.999), gamma="sqrt(1-lam**2)")
    out = col({"rho": 0.5}, RunContext(mode="quick", seed=8, alpha=FILE_RATE / 100))
    assert out.holds, out.detail
    assert [r["lam"] for r in out.data["runs"]] == [0.5, 0.9, 0.999]
    assert [r["stationary"] for r in out.data["runs"]] == [True, True, False]
    assert "finite horizon t = 1000" in out.detail and len(out.data["substituted"]) == 1


def test_lam_function_uses_real_modulus_and_angle():
    import cmath

    from rnnverify.crosscheck.model.bridge import lam_function

    f = lam_function("I*exp(I*theta)*(1-lam**2)/sqrt(1+lam**2)")
    assert f(0.9, 0.7) == pytest.approx(1j * cmath.exp(0.7j) * 0.19 / (1.81**0.5))
    assert lam_function("lam*log(lam)")(0.5) == pytest.approx(0.5 * cmath.log(0.5))


def test_reparam_column_refuses_an_unknown_row():
    from rnnverify.crosscheck.claims.mc_columns import reparam_mc_column

    column = reparam_mc_column({"exp": ("exp", "omega_nu", 0.0, "lam*log(lam)")})
    with pytest.raises(ValueError, match="no Monte Carlo row"):
        column({"rows": ["nope"], "nu": 0.9}, RunContext(mode="quick"))


def test_deterministic_quantity_compared_up_to_roundoff():
    """t = 1: d_λh_1 = 0 exactly (stderr 0); theory's value may carry round-off."""
    out = moment_mc_column(("h2", "dh2_dlam"))({"lam": 0.999, "rho": 0.9, "t": 1},
                                               RunContext(mode="quick", seed=0, alpha=1e-4))
    assert out.holds, out.detail
    assert out.data["dh2_dlam"]["stderr"] == 0
