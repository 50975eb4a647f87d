"""Complex random gates λ_t = ν_t e^{iθ_t} (docs/theory.md §10.6): E|h|², E|d_p h|² by the
closed form, the complex covariance recursion, the lag-sum oracle and Monte Carlo."""

from __future__ import annotations

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rnnverify.crosscheck.stats.ztests import z_test
from rnnverify.theory.gates.gate import parse_gate
from rnnverify.theory.gates.gate_moments import gate_moments
from rnnverify.theory.gates.oracle import oracle_second_moments
from rnnverify.theory.gates.second_moments import finite_values, is_complex_moments
from rnnverify.theory.memory.autocorr import from_expression

import rnnverify as rv

LRU_LIKE = "exp(-exp(w + s*u))*exp(I*th)"
RANDOM_PHASE = "exp(-exp(w + s*u) + I*(th + s*u))"
#: false-failure rate of each z-test below (two-sided)
ALPHA = 1e-4


def rel(a, b):
    return abs(a - b) / abs(b)


def test_log_normal_phase_gate_moments_are_exact():
    """λ = r e^{su + iθ}, ∂_rλ = λ/r: E λ = r e^{s²/2 + iθ}, E|λ|² = r² e^{2s²},
    E λ̄∂λ = r e^{2s²}, E|∂λ|² = e^{2s²}."""
    g = parse_gate("r*exp(s*u + I*th)", "r", "r=0.9,s=0.2,th=0.5")
    assert g.is_complex
    m = gate_moments(g, 40)
    assert m.methods == ("exact",) * 5 and is_complex_moments(m)
    with mpmath.workdps(40):
        r, s, th = mpmath.mpf("0.9"), mpmath.mpf("0.2"), mpmath.mpf("0.5")
        expected = (r * mpmath.exp(s * s / 2 + 1j * th), r * r * mpmath.exp(2 * s * s),
                    mpmath.exp(s * s / 2 + 1j * th), r * mpmath.exp(2 * s * s),
                    mpmath.exp(2 * s * s))
        for got, want in zip((m.a1, m.a2, m.b1, m.c, m.b2), expected, strict=True):
            assert abs(got - want) < mpmath.mpf(10) ** -35


def test_a_fixed_phase_rotates_the_real_gate_moments():
    """λ = e^{iθ} × (a real gate), by quadrature: E λ, E ∂λ rotate by e^{iθ}; E|λ|², E λ̄∂λ,
    E|∂λ|² are the real gate's."""
    cplx = gate_moments(parse_gate(LRU_LIKE, "w", "w=-2,s=0.5,th=0.5"), 40)
    real = gate_moments(parse_gate("exp(-exp(w + s*u))", "w", "w=-2,s=0.5"), 40)
    assert "quadrature" in cplx.methods
    with mpmath.workdps(40):
        phase = mpmath.exp(1j * mpmath.mpf("0.5"))
        pairs = ((cplx.a1, phase * real.a1), (cplx.a2, real.a2), (cplx.b1, phase * real.b1),
                 (cplx.c, real.c), (cplx.b2, real.b2))
        for got, want in pairs:
            assert abs(got - want) < mpmath.mpf(10) ** -35


@pytest.mark.parametrize(("wrt", "key"), [("r", "dh2_dlam"), ("th", "dh2_dtheta")])
@pytest.mark.parametrize("rho", ["0", "0.5", "1"])
def test_noise_zero_gives_the_lru_moments_of_lemmas_1_2(wrt, key, rho):
    g = rv.Model(gate="r*exp(s*u + I*th)", wrt=wrt, at="r=0.9,s=0,th=0.3", rho=rho)
    ref = rv.Model(lam="0.9", theta="0.3", rho=rho).closed_form()
    cf = g.closed_form()
    assert rel(cf["h2"], ref["h2"]) < mpmath.mpf(10) ** -40
    assert rel(cf["dh2_dp"], ref[key]) < mpmath.mpf(10) ** -40


@settings(max_examples=3, deadline=None)
@given(gate=st.sampled_from([LRU_LIKE, RANDOM_PHASE]), w=st.sampled_from(["-3", "-2", "-1"]),
       th=st.sampled_from(["0.01", "0.5", "3"]), rho=st.sampled_from(["0", "0.5", "-0.5", "1"]),
       wrt=st.sampled_from(["w", "th", "s"]))
def test_closed_form_equals_the_complex_covariance_recursion(gate, w, th, rho, wrt):
    m = rv.Model(gate=gate, wrt=wrt, at=f"w={w},s=0.5,th={th}", rho=rho, gamma="0.7")
    cf, orc = m.closed_form(), m.oracle()
    for q in ("h2", "dh2_dp"):
        assert rel(cf[q], orc[q]) < mpmath.mpf(10) ** -30, q


def test_finite_t_and_autocorr_agree_with_the_oracles():
    g = parse_gate(RANDOM_PHASE, "th", "w=-1,s=0.5,th=1")
    m = gate_moments(g)
    for t in (1, 2, 3, 20):
        cf, orc = finite_values(m, 1, "0.5", t), oracle_second_moments(g, 1, "0.5", t=t)
        for q in ("h2", "dh2_dp"):
            assert abs(cf[q] - orc[q]) <= mpmath.mpf(10) ** -30 * max(1, abs(cf[q]))
    model = rv.Model(gate=RANDOM_PHASE, wrt="th", at="w=-1,s=0.5,th=1",
                     autocorr="exp(-k/10)*cos(k)")
    cf, orc = model.closed_form(), model.oracle()
    for q in ("h2", "dh2_dp"):
        assert rel(cf[q], orc[q]) < mpmath.mpf(10) ** -30
    ac = from_expression("binomial(2*k, k)/4**k")
    cf = finite_values(m, 1, None, 9, autocorr=ac)
    orc = oracle_second_moments(g, 1, t=9, autocorr=ac)
    assert rel(cf["dh2_dp"], orc["dh2_dp"]) < mpmath.mpf(10) ** -30


def test_monte_carlo_with_complex_states_is_consistent():
    m = rv.Model(gate=RANDOM_PHASE, wrt="th", at="w=-2,s=0.5,th=0.5", rho="0.5")
    sim = m.simulate(samples=20_000, seed=4, device="cpu")
    cf = m.closed_form(dps=30)
    for q in ("h2", "dh2_dp"):
        bias = sim.rows[0][q]["bias_bound"] * float(cf[q])
        t = z_test(sim[q].estimate, sim[q].stderr, float(cf[q]), alpha=ALPHA, bias=bias)
        assert t.holds, t.detail


def test_cli_documents_of_a_complex_gate(main_json):
    argv = ["moments", "--gate", LRU_LIKE, "--wrt", "th", "--at", "w=-2,s=0.5,th=0.5",
            "--rho", "0.5", "--json"]
    doc = main_json(argv)
    assert doc["complex"] is True
    e_lam = doc["gate_moments"]["E_lam"]
    assert set(e_lam) == {"re", "im"} and e_lam["im"] > 0
    assert doc["distance_to_one"] == pytest.approx(1 - abs(complex(e_lam["re"], e_lam["im"])))
    assert isinstance(doc["gate_moments"]["E_lam2"], float)
    orc = main_json([*argv, "--oracle"])
    assert rel(mpmath.mpf(doc["digits"]["dh2_dp"]), mpmath.mpf(orc["digits"]["dh2_dp"])) < 1e-29
    sim = main_json(["simulate", "--gate", LRU_LIKE, "--wrt", "th", "--at",
                     "w=-2,s=0.5,th=0.5", "--rho", "0.5", "--samples", "2000", "--json"])
    row = sim["results"][0]
    assert row["complex"] is True and abs(row["h2"]["z"]) < 5


def test_check_param_gate_measures_against_the_modulus(main_json):
    doc = main_json(["check-param", "--gate", LRU_LIKE, "--wrt", "w", "--at",
                     "w=-3,s=0.5,th=0.5", "--rho", "0", "--json"])
    assert doc["distance_to_one"] == "1 - |E lam|" and doc["reached_target"]
    assert doc["regimes"][0]["dh2_dp"]["measured_order"] == pytest.approx(1.0, abs=1e-3)
