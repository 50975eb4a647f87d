"""Random gates with any input autocorrelation R(k) (docs/theory.md §10.9): the lag-weight
closed form, the lag-sum oracle, Monte Carlo on circulant inputs, and the commands."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from rnnverify.crosscheck.cli import main
from rnnverify.crosscheck.stats.ztests import z_test
from rnnverify.theory.gates.gate import parse_gate
from rnnverify.theory.gates.gate_moments import gate_moments
from rnnverify.theory.gates.oracle import _cross_sums, oracle_second_moments
from rnnverify.theory.gates.second_moments import (
    a2,
    b1,
    b2,
    c,
    finite_values,
    lag_weight_coefficients,
    stationary_values,
)
from rnnverify.theory.memory.autocorr import Autocorrelation, from_expression, numeric_lag_sum
from rnnverify.theory.symbols import k

import rnnverify as rv
from rnnverify.errors import ArgumentValueError

MAMBA = "exp(-exp(w + s*u))"
SIGMOID = "1/(1 + exp(-(w + s*u)))"
LONG_MEMORY = "binomial(2*k, k)/4**k"
AUTOCORRS = (LONG_MEMORY, "exp(-k/10)*cos(k)", "1/(1+k)**2", "(1+k)**(-1/2)")
#: false-failure rate of each z-test below (two-sided)
ALPHA = 1e-4


def rel(a, b):
    return abs(a - b) / abs(b)


def test_lag_weights_are_the_documented_forms():
    k1, k2 = lag_weight_coefficients("h2")
    assert sp.simplify(k1 - 1 / (1 - a2)) == 0 and k2 == 0
    k1, k2 = lag_weight_coefficients("dh2_dp")
    assert sp.simplify(k1 - (b2 / (1 - a2)**2 + 2 * c**2 / (1 - a2)**3)) == 0
    assert sp.simplify(k2 - c * b1 / (1 - a2)**2) == 0


@pytest.mark.parametrize("rho", [sp.Rational(1, 2), sp.Rational(-3, 10)])
def test_a_user_r_equal_to_rho_k_gives_the_ar1_forms(rho):
    """ρ^k entered as a user R(k) (no ρ recognised) takes the G route: the same numbers as the
    AR(1) forms, stationary and at t = 1, 2, 3, 40."""
    as_user = Autocorrelation(rho**k, "user rho^k", None)
    m = gate_moments(parse_gate(SIGMOID, "w", "w=2,s=0.5"))
    cf, ar = stationary_values(m, "0.7", None, autocorr=as_user), stationary_values(m, "0.7", rho)
    for q in ("h2", "dh2_dp"):
        assert rel(cf[q], ar[q]) < mpmath.mpf(10) ** -45
    for t in (1, 2, 3, 40):
        got, ref = finite_values(m, 1, None, t, autocorr=as_user), finite_values(m, 1, rho, t)
        for q in ("h2", "dh2_dp"):
            assert abs(got[q] - ref[q]) <= mpmath.mpf(10) ** -45 * max(1, abs(ref[q]))


def test_noise_zero_with_long_memory_gives_the_constant_lambda_moments():
    """s = 0: λ = r, ∂_rλ = 1, so E (d_r h)² is E (d_λ h)² of Lemma 2 for the same R(k)."""
    text = "(1+k)**(-1/2)"
    g = rv.Model(gate="r*exp(s*u)", wrt="r", at="r=0.9,s=0", autocorr=text).closed_form()
    ref = rv.Model(lam="0.9", autocorr=text).closed_form()
    assert rel(g["h2"], ref["h2"]) < mpmath.mpf(10) ** -35
    assert rel(g["dh2_dp"], ref["dh2_dlam"]) < mpmath.mpf(10) ** -35


@settings(max_examples=4, deadline=None)
@given(gate=st.sampled_from([MAMBA, SIGMOID]), w=st.sampled_from(["-2", "-1", "1", "2"]),
       s=st.sampled_from(["0.1", "0.5", "1"]), r=st.sampled_from(AUTOCORRS))
def test_closed_form_equals_lag_sum_oracle(gate, w, s, r):
    m = rv.Model(gate=gate, wrt="w", at=f"w={w},s={s}", autocorr=r, gamma="0.7")
    cf, orc = m.closed_form(), m.oracle()
    for q in ("h2", "dh2_dp"):
        assert rel(cf[q], orc[q]) < mpmath.mpf(10) ** -30, q


@pytest.mark.parametrize("t", [1, 2, 3, 25])
def test_finite_t_closed_form_equals_the_stepped_oracle(t):
    g = parse_gate(MAMBA, "w", "w=-1,s=0.5")
    ac = from_expression("exp(-k/10)*cos(k)")
    cf = finite_values(gate_moments(g), 2, None, t, autocorr=ac)
    orc = oracle_second_moments(g, 2, t=t, autocorr=ac)
    for q in ("h2", "dh2_dp"):
        assert abs(cf[q] - orc[q]) <= mpmath.mpf(10) ** -30 * max(1, abs(cf[q])), (t, q)
    if t == 1:  # h_1 = γ x_0, d_1 = 0
        assert abs(cf["h2"] - 4) < mpmath.mpf(10) ** -40 and cf["dh2_dp"] == 0


def test_oracle_tail_bound_covers_the_exact_tail_and_is_tight():
    """S_f = Σ a^n R(n+1) for R = (1+k)^(−1/2) is a·Φ(a, 1/2, 2)/a = Φ(a, 1/2, 2) (Lerch)."""
    ac = from_expression("(1+k)**(-1/2)")
    with mpmath.workdps(40):
        a = mpmath.mpf("0.9")
        s_f, s_g, bound = _cross_sums(a, ac, 30)
        exact_f = mpmath.lerchphi(a, 0.5, 2)
        exact_g = mpmath.diff(lambda x: mpmath.lerchphi(x, 0.5, 2), a)
        err = abs(s_f - exact_f) + abs(s_g - exact_g)
        assert err <= bound
        assert bound < mpmath.mpf(10) ** -29


@pytest.mark.parametrize("alpha", ["0.9996", "-0.9996", "0.5"])
def test_numeric_generating_function_keeps_its_digits_near_one(alpha):
    """Richardson/Shanks alone gave 8 of 60 digits at α = 0.9996 for R = (1+k)^(−1/2)."""
    R = from_expression("(1+k)**(-1/2)").lag_function()
    with mpmath.workdps(50):
        a = mpmath.mpf(alpha)
        got = numeric_lag_sum(R, a, weighted=False, dps=45)
        assert rel(got, a * mpmath.lerchphi(a, 0.5, 2)) < mpmath.mpf(10) ** -40
        weighted = numeric_lag_sum(R, a, weighted=True, power=1, dps=45)
        ref = mpmath.diff(lambda x: x * mpmath.lerchphi(x, 0.5, 2), a)
        assert rel(weighted, ref) < mpmath.mpf(10) ** -30


def test_monte_carlo_on_a_long_memory_input_is_consistent():
    m = rv.Model(gate=MAMBA, wrt="w", at="w=-2,s=0.5", autocorr=LONG_MEMORY)
    sim = m.simulate(samples=20_000, seed=2, device="cpu")
    cf = m.closed_form(dps=30)
    assert sim.meta["input"] == f"autocorr {LONG_MEMORY}" and sim.meta["bias_bound_proven"]
    for q in ("h2", "dh2_dp"):
        bias = sim.rows[0][q]["bias_bound"] * float(cf[q])
        t = z_test(sim[q].estimate, sim[q].stderr, float(cf[q]), alpha=ALPHA, bias=bias)
        assert t.holds, t.detail


def test_cli_moments_closed_form_and_oracle_agree_with_autocorr(main_json):
    argv = ["moments", "--gate", MAMBA, "--wrt", "w", "--at", "w=-2,s=0.5", "--autocorr",
            "exp(-k/10)*cos(k)", "--json"]
    cf, orc = main_json(argv), main_json([*argv, "--oracle"])
    assert cf["rho"] is None and cf["autocorr"] == "exp(-k/10)*cos(k)"
    assert orc["oracle_method"].startswith("moment recursion")
    with mpmath.workdps(40):
        for q in ("h2", "dh2_dp"):
            a, b = mpmath.mpf(cf["digits"][q]), mpmath.mpf(orc["digits"][q])
            assert abs(a - b) <= mpmath.mpf(10) ** -29 * abs(a)


def test_rho_k_as_autocorr_takes_the_ar1_routes():
    m = rv.Model(gate=MAMBA, wrt="w", at="w=-2,s=0.5", autocorr="0.5**k")
    assert m.autocorr is None and m.rho == 0.5
    assert m.oracle().to_dict()["oracle_method"].startswith("covariance recursion")


@pytest.mark.parametrize(("argv", "names"), [
    (["--rho", "0.5", "--autocorr", "0.5**k"], ["not allowed with argument"]),
    (["--autocorr", "rho**k"], ["--autocorr", "rho"]),
    (["--autocorr", "2 - 0**k"], ["--autocorr", "exceeds"]),
    (["--autocorr", "0.9**k", "--theta", "0.1"], ["--theta", "not defined with --gate"]),
])
def test_cli_moments_gate_input_refusals(argv, names, capsys, one_line_error):
    assert main(["moments", "--gate", MAMBA, "--wrt", "w", "--at", "w=-2,s=0.5", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    one_line_error(captured.err, *names)


def test_cli_simulate_refuses_a_non_psd_autocorrelation_before_simulating(capsys,
                                                                          one_line_error):
    assert main(["simulate", "--gate", MAMBA, "--wrt", "w", "--at", "w=-2,s=0.5",
                 "--autocorr", "Max(0, 1-k**2/10)", "--samples", "1000"]) == 2
    one_line_error(capsys.readouterr().err, "--autocorr", "not positive semi-definite")


def test_finite_horizon_caps_name_t():
    m = rv.Model(gate=MAMBA, wrt="w", at="w=-2,s=0.5", autocorr=LONG_MEMORY, t=10**6)
    with pytest.raises(ArgumentValueError, match="t: at most 100000") as info:
        m.closed_form()
    assert info.value.argument == "t"
    with pytest.raises(ArgumentValueError, match="t: at most 100000"):
        m.oracle()


def test_check_param_gate_long_memory_raises_the_order_to_three_halves(main_json):
    """G(α) = (1−α)^(−1/2) − 1 for R = C(2k,k)/4^k: E (d_w h)² ~ δ^(−1) · δ^(−1/2)."""
    doc = main_json(["check-param", "--gate", MAMBA, "--wrt", "w", "--at", "w=-1,s=0.5",
                     "--autocorr", LONG_MEMORY, "--json"])
    (row,) = doc["regimes"]
    assert row["autocorr"] == LONG_MEMORY and row["rho"] is None
    assert row["dh2_dp"]["measured_order"] == pytest.approx(1.5, abs=1e-3)
    assert row["h2"]["measured_order"] == pytest.approx(1.5, abs=1e-3)


def test_a_gate_with_mean_square_exactly_one_is_refused():
    """λ = u: E λ² = 1 exactly (exact route); the boundary is not mean-square stable."""
    m = gate_moments(parse_gate("w + s*u", "w", "w=0,s=1"))
    assert m.a2 == 1
    with pytest.raises(ValueError, match="E λ² = 1.0 ≥ 1: the gate is not mean-square stable"):
        stationary_values(m, 1, 0)
