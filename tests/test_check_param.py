"""``rnnverify check-param``: the paper's limits table via presets, user expressions by a second
route, hostile input refused with nothing written, and a small Monte Carlo slope smoke run."""

from __future__ import annotations

import json

import mpmath
import pytest
import sympy as sp
from hostile_inputs import CODE_EXECUTION, sentinel_payloads
from rnnverify.crosscheck.cli import main
from rnnverify.crosscheck.commands.check_param import (
    check_parametrization,
    mc_slopes,
    parse_lambda,
    user_parametrization,
)
from rnnverify.crosscheck.schema import SCHEMA_VERSION
from rnnverify.theory.memory.moments import moments
from rnnverify.theory.params import limit_paths
from rnnverify.theory.symbols import lam, theta

NORM = "sqrt(1-lam**2)"


def _rows(check):
    return {r["rho"]: r for r in check.to_json()["regimes"]}


# ---------------------------------------------------------------- docs/theory.md §4 table
def test_exp_normalized_bounded_below_rho_one_and_explodes_at_one():
    rows = _rows(check_parametrization(preset="exp_normalized", rhos=(0, 0.5, 0.9, 1)))
    for r in (0, 0.5, 0.9):  # → (1+ρ)/(2(1−ρ)): 1/2, 3/2, 19/2
        expected = sp.nsimplify((1 + r) / (2 * (1 - r)))
        assert rows[r]["bounded"] and rows[r]["order"] == 0
        assert sp.sympify(rows[r]["coefficient_exact"]) == expected
    assert not rows[1]["bounded"] and rows[1]["order"] == 1  # ~ 2/(1−λ)
    assert sp.sympify(rows[1]["coefficient_exact"]) == 2


def test_identity_unnormalized_orders_three_and_four():
    check = check_parametrization(preset="identity", rhos=(0, 0.5, 1))
    rows = _rows(check)
    assert rows[0]["order"] == 3 and rows[0.5]["order"] == 3 and rows[1]["order"] == 4
    # coefficient (1+ρ)/(4(1−ρ)) for ρ < 1 (§2.3 asymptotics), 1 at ρ = 1
    assert sp.sympify(rows[0.5]["coefficient_exact"]) == sp.Rational(3, 4)
    assert sp.sympify(rows[1]["coefficient_exact"]) == 1
    assert check.verdict == "explodes"


def test_tanh_optimal_bounded_for_iid_input():
    check = check_parametrization(preset="tanh_optimal_normalized", wrt="omega_nu", rhos=(0,))
    assert check.verdict == "bounded"
    # γ² E|d_ω h|² = 1 + ν² (§3.6) -> 2 at ν = 1
    assert sp.sympify(_rows(check)[0]["coefficient_exact"]) == 2


def test_cli_preset_json_reproduces_table(capsys):
    assert main(["check-param", "--preset", "exp_normalized", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["command"] == "check-param" and out["schema_version"] == SCHEMA_VERSION
    assert out["verdict"] == "explodes"
    assert [(r["rho"], r["order"], r["bounded"]) for r in out["regimes"]] == [
        (0, 0, True), (0.5, 0, True), (1, 1, False)]
    w = sp.Symbol("omega_nu", real=True)
    lam_w = sp.exp(-sp.exp(w))
    # dλ/dω = λ ln λ (§3.2), kept in the parameter: no inversion
    assert sp.simplify(sp.sympify(out["chain_factor"], locals={"omega_nu": w})
                       - (lam_w * sp.log(lam_w)) ** 2) == 0
    (path,) = out["regimes"][2]["paths"]
    assert path["limit"] == "lam -> 1 as omega_nu -> -oo" and path["route"] == "symbolic"


def test_cli_default_rho_is_zero_half_and_one(main_json):
    out = main_json(["check-param", "--preset", "exp_normalized", "--json"])  # no --rho
    assert [r["rho"] for r in out["regimes"]] == [0, 0.5, 1]
    assert out["verdict"] == "explodes"  # because the default includes ρ = 1


def test_cli_bounded_verdict_when_every_rho_is_below_one(main_json):
    out = main_json(["check-param", "--preset", "exp_normalized", "--rho", "0,0.5", "--json"])
    assert [(r["rho"], r["bounded"]) for r in out["regimes"]] == [(0, True), (0.5, True)]
    assert out["verdict"] == "bounded"


# ---------------------------------------------------------------- user expressions
def test_user_exp_matches_preset():
    user = check_parametrization("exp(-exp(w))", "w", gamma=NORM, rhos=(0, 0.5, 1))
    ref = check_parametrization(preset="exp_normalized", rhos=(0, 0.5, 1))
    for a, b in zip(user.regimes, ref.regimes, strict=True):
        assert a.order == b.order and sp.simplify(a.coefficient - b.coefficient) == 0


@pytest.mark.parametrize("lam_value", [0.3, 0.9, 0.99])
def test_user_sigmoid_sensitivity_matches_numeric_chain_rule(lam_value):
    """E|d_s h|² for λ = sigmoid(s): the derivation vs a numeric derivative of λ(s) times the
    moment evaluated by the lemma route of theory.memory.moments."""
    check = check_parametrization("1/(1+exp(-s))", "s", gamma=NORM, rhos=(0.5,))
    s0 = mpmath.log(lam_value / (1 - lam_value))
    dlam_ds = mpmath.diff(lambda s: 1 / (1 + mpmath.exp(-s)), s0)
    numeric = dlam_ds**2 * moments(lam_value, autocorr=0.5, gamma=NORM, dps=30)["dh2_dlam"]
    s_sym = sp.Symbol("s", real=True)
    value = sp.N(check.sensitivity.subs({s_sym: sp.Float(s0, 30), lam: lam_value,
                                         sp.Symbol("rho", real=True): sp.Rational(1, 2)}), 30)
    assert abs(complex(value) - complex(numeric)) <= 1e-12 * abs(complex(numeric))
    assert check.regimes[0].order == 0  # normalized sigmoid: bounded at ρ = 1/2


def test_user_complex_lru_angle_explodes():
    """LRU angle ω_θ with λ = exp(−exp(w) + i exp(a)): γ²E|d_a h|² ~ θ²/2 (1−ν)^−2 (§3.5),
    θ = e^a, so the coefficient is e^{2a}/2 in the parameter."""
    check = check_parametrization("exp(-exp(w) + I*exp(a))", "a", gamma=NORM, rhos=(0,))
    assert check.setup.is_complex and str(check.setup.magnitude) == "w"
    assert check.setup.angle_mode == "free"
    (row,) = check.regimes
    a = sp.Symbol("a", real=True)
    assert row.order == 2 and sp.simplify(row.coefficient - sp.exp(2 * a) / 2) == 0
    assert check.verdict == "explodes"


def test_user_parametrization_rejections():
    with pytest.raises(ValueError, match="reserved name 'rho'"):
        parse_lambda("rho*tanh(w)")
    with pytest.raises(ValueError, match="does not depend on it"):
        user_parametrization("tanh(w)", "v")
    with pytest.raises(ValueError, match="several parameters"):
        check_parametrization("tanh(w)*tanh(v)", "w")
    with pytest.raises(ValueError, match="real λ only"):
        user_parametrization("exp(-exp(w) + I*a)", "w", gamma=NORM, gamma_coupled=True)
    with pytest.raises(ValueError, match=r"^\|lam\| depends on several parameters \(a, w\): "
                                         "fix all but one with at$"):
        check_parametrization("tanh(a*w)", "w")  # |λ| depends on a and w
    with pytest.raises(ValueError, match="not a parameter"):
        check_parametrization("tanh(w)", "w", at="q=1")


# ---------------------------------------------------------------- every path, every regime
def _path(check, rho, limit):
    (regime,) = [r for r in check.regimes if r.rho == sp.nsimplify(rho)]
    (path,) = [p for p in regime.paths.paths if p.limit == limit]
    return regime, path


def test_tanh_normalized_explodes_at_alternating_input_along_lam_to_minus_one():
    """ρ = −1 at λ → −1 is the mirror image of ρ = 1 at λ → +1 (tanh is odd)."""
    check = check_parametrization("tanh(w)", "w", gamma=NORM, rhos=(-1, 1))
    assert check.verdict == "explodes"
    regime, minus = _path(check, -1, "lam -> -1 as w -> -oo")
    assert not regime.bounded and regime.paths.worst is minus
    _, plus = _path(check, 1, "lam -> 1 as w -> oo")
    assert (minus.order, minus.coefficient) == (plus.order, plus.coefficient) == (1, 8)
    _, other = _path(check, -1, "lam -> 1 as w -> oo")
    assert other.bounded and other.order == -3


@pytest.mark.parametrize(("lam_text", "minus_one_at"), [("cos(w)", "pi"), ("sin(w)", "3*pi/2")])
def test_touching_points_of_a_periodic_lambda_give_every_path(lam_text, minus_one_at):
    """|λ| = 1 is reached from inside the disc on both sides (a touch, not a crossing), at
    λ = +1 and at λ = −1 within one period: at ρ = −1 the λ → −1 points explode."""
    check = check_parametrization(lam_text, "w", gamma=NORM, rhos=(-1,))
    assert check.verdict == "explodes"
    limits = {p.limit: p for p in check.regimes[0].paths.paths}
    for side in "-+":
        minus = limits[f"lam -> -1 as w -> {minus_one_at}{side}"]
        assert not minus.bounded and minus.order == 2
    assert sum(p.limit.startswith("lam -> 1 ") for p in limits.values()) == 2


def test_points_where_lambda_is_undefined_are_limit_paths():
    """λ = tanh(1/w) is undefined at w = 0 and tends to −1 from below, +1 from above: both
    are paths (the λ → −1 one explodes at ρ = −1), never "cannot approach 1"."""
    check = check_parametrization("tanh(1/w)", "w", gamma=NORM, rhos=(-1,))
    limits = {p.limit: p for p in check.regimes[0].paths.paths}
    assert set(limits) == {"lam -> -1 as w -> 0-", "lam -> 1 as w -> 0+"}
    assert check.verdict == "explodes" and not limits["lam -> -1 as w -> 0-"].bounded


def test_touching_zero_found_by_the_scan_when_sympy_gives_no_set():
    """A non-periodic λ = cos(2w)·e^{−w²/100}: SymPy returns a ConditionSet, and the scan
    must still see the touch of λ = 1 at w = 0."""
    w = sp.Symbol("w", real=True)
    points = limit_paths._scan_zeros(sp.cos(2 * w) * sp.exp(-w**2 / 100) - 1, w)
    assert len(points) == 1 and abs(points[0]) < 1e-15


def test_polar_normalized_at_constant_input_is_not_uniformly_bounded():
    """At fixed θ ≠ 0 the limit is finite, with coefficient 1/(3 − 4cos θ + cos 2θ), which
    diverges as θ → 0; on the real axis the order is 3."""
    check = check_parametrization(preset="polar_normalized", wrt="nu", rhos=(1,))
    assert check.verdict == "explodes"
    (regime,) = check.regimes
    generic, real_axis, _ = regime.paths.paths
    assert generic.limit == "lam -> exp(I*theta) as nu -> 1-"
    expected = 1 / (3 - 4 * sp.cos(theta) + sp.cos(2 * theta))
    assert sp.simplify(generic.coefficient - expected) == 0
    assert not generic.uniform and not generic.bounded
    assert any("theta -> 0" in n for n in generic.notes)
    assert real_axis.limit.startswith("lam -> 1 (theta -> 0)") and real_axis.order == 3
    assert regime.order == 3


def test_finite_end_points_give_both_paths():
    check = check_parametrization(preset="identity", rhos=(-1,))
    limits = {p.limit: p for p in check.regimes[0].paths.paths}
    assert set(limits) == {"lam -> 1 as lam -> 1-", "lam -> -1 as lam -> -1+"}
    assert limits["lam -> -1 as lam -> -1+"].order == 4  # mirror of ρ = 1 at λ → 1


@pytest.mark.parametrize(("coupled", "expected"), [
    (False, {0: (0, sp.Rational(1, 2)), 0.5: (0, sp.Rational(3, 2)), 1: (1, 2)}),
    (True, {0: (0, sp.Rational(1, 4)), 0.5: (0, sp.Rational(3, 4)), 1: (1, sp.Rational(1, 2))}),
])
def test_griffin_gate_is_analysed_without_inversion(coupled, expected):
    """RG-LRU gate λ = σ(L)^8: 1 − λ ≈ 8e^{−L} and dλ/dL ≈ 8e^{−L}, so |dλ/dL|² ~ (1 − λ)²;
    the orders and coefficients are those of the normalized exp parametrization (decoupled)
    resp. of the coupled normalization.  Checked against the numeric route below."""
    check = check_parametrization("(1/(1+exp(-L)))**8", "L", gamma=NORM, gamma_coupled=coupled,
                                  rhos=tuple(expected))
    for regime in check.regimes:
        (path,) = regime.paths.paths
        assert path.limit == "lam -> 1 as L -> oo" and path.route == "symbolic"
        assert (path.order, path.coefficient) == expected[float(regime.rho)]


def test_numeric_route_agrees_with_the_symbolic_one():
    """With SymPy's limits cut off by the work budget, the 150-digit route decides and
    agrees (order exactly, coefficient to its error estimate); the cut is recorded."""
    from rnnverify.theory.budget import Budget

    symbolic = check_parametrization("(1/(1+exp(-L)))**8", "L", gamma=NORM, rhos=(1,))
    numeric = check_parametrization("(1/(1+exp(-L)))**8", "L", gamma=NORM, rhos=(1,),
                                    budget=Budget(limit_ops=1))
    assert symbolic.to_dict()["budget"]["cut"] == []
    (cut,) = numeric.to_dict()["budget"]["cut"]
    assert cut.startswith("limits along lam -> 1 as L -> oo:") and "limit_ops = 1" in cut
    (s_path,), (n_path,) = symbolic.regimes[0].paths.paths, numeric.regimes[0].paths.paths
    assert n_path.route == "numeric" and s_path.route == "symbolic"
    assert n_path.order == s_path.order == 1
    assert abs(float(n_path.coefficient) - 2) <= max(10 * n_path.coefficient_error, 1e-12)


def test_moving_angle_is_followed_along_the_curve():
    """λ = exp((−1 + i)e^w): the angle e^w → 0 with 1 − |λ|, nothing holds it fixed."""
    check = check_parametrization("exp((-1 + I)*exp(w))", "w", gamma=NORM, rhos=(0,))
    assert check.setup.angle_mode == "moving"
    (path,) = check.regimes[0].paths.paths
    # the angle e^w → 0 with the modulus: λ → 1, and the label says so
    assert path.limit == "lam -> 1 as w -> -oo" and path.order.is_number


def test_at_fixes_parameters(capsys):
    assert main(["check-param", "--lam", "tanh(a*w)", "--wrt", "w", "--at", "a=2",
                 "--rho=-1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["at"] == {"a": 2} and out["verdict"] == "explodes"
    assert {p["limit"] for p in out["regimes"][0]["paths"]} == {
        "lam -> 1 as w -> oo", "lam -> -1 as w -> -oo"}


def test_cli_table_shows_one_row_per_path(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["check-param", "--lam", "tanh(w)", "--wrt", "w", "--gamma", NORM,
                 "--rho=-1"]) == 0
    out = capsys.readouterr().out
    assert "lam -> -1 as w -> -oo" in out and "lam -> 1 as w -> oo" in out
    assert "verdict: explodes" in out


# ---------------------------------------------------------------- hostile input
@pytest.mark.parametrize("payload", CODE_EXECUTION[:8] + ["9**9**9**9", "w" * 600])
def test_hostile_lam_exits_2_and_writes_nothing(payload, tmp_path, capsys):
    report = tmp_path / "rep"
    code = main(["check-param", "--lam", payload, "--wrt", "w", "--report", str(report)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert not report.exists() and list(tmp_path.iterdir()) == []


def test_sentinel_payloads_never_execute(tmp_path, capsys):
    sentinel = tmp_path / "pwned"
    for payload in sentinel_payloads(str(sentinel)):
        for flag in ("--lam", "--gamma"):
            argv = ["check-param", "--lam", "tanh(w)", "--wrt", "w", flag, payload]
            assert main(argv) == 2
    capsys.readouterr()
    assert not sentinel.exists()


@pytest.mark.parametrize("argv", [
    ["--lam", "tanh(w)", "--wrt", "w", "--rho", "1.5"],
    ["--lam", "tanh(w)", "--wrt", "w", "--rho", "nan"],
    ["--preset", "nope"],
    ["--preset", "exp", "--lam", "tanh(w)"],
    ["--lam", "tanh(w)"],
    ["--lam", "tanh(w)", "--wrt", "w", "--gamma-coupled"],
])
def test_bad_input_exits_2(argv, capsys):
    assert main(["check-param", *argv]) == 2
    assert capsys.readouterr().err.count("\n") == 1


# ---------------------------------------------------------------- Monte Carlo smoke
def test_mc_simulates_the_parametrization_and_confirms_the_order():
    check = check_parametrization(preset="exp", rhos=(0,))  # order 1: E ~ (1/4)(1−λ)^−1
    (row,) = mc_slopes(check, samples=4000, seed=1)
    assert row["holds"], row
    assert row["slope_asymptotic"] == -1.0
    assert abs(row["slope"] + 1) <= row["z_bound"] * row["stderr"]
    assert len(row["points"]) == 4 and all(p["stderr"] > 0 for p in row["points"])
    for p in row["points"]:  # the seed of the tangent recurrence is autograd's dλ/dω, which
        lam_p = mpmath.exp(-mpmath.exp(p["param"]))  # agrees with a numeric derivative
        numeric = mpmath.diff(lambda w: mpmath.exp(-mpmath.exp(w)), p["param"])
        assert abs(p["lam"][0] - float(lam_p)) < 1e-12
        assert abs(p["dlam_dp_autograd"][0] - float(numeric)) < 1e-9 * abs(float(numeric))


@pytest.mark.parametrize("samples", [999, 10**8 + 1])
def test_mc_rejects_a_sample_count_outside_its_range(samples):
    check = check_parametrization(preset="exp", rhos=(0,))
    message = rf"samples must lie in \[1000, 100000000\], got {samples}"
    with pytest.raises(ValueError, match=message):
        mc_slopes(check, samples=samples)


def test_mc_reports_the_samples_it_ran_beside_those_asked():
    check = check_parametrization(preset="exp", rhos=(0,))
    (row,) = mc_slopes(check, samples=10**8, seed=1, time_budget=0.5)
    assert row["samples_requested"] == 10**8
    assert 1000 <= row["samples"] < 10**8


def test_cli_mc_refuses_an_impossible_sample_count_at_once(cli, one_line_error):
    r = cli("check-param", "--preset", "exp", "--mc", "--samples", "100000000000000")
    assert r.returncode == 2
    one_line_error(r, "--samples must lie in [1000, 100000000] with --mc, got 100000000000000")


def test_mc_detects_a_wrong_derivation():
    """The slope z-test has power: a derivation off by a factor (1−λ)^{1/2} (order 1/2, not
    1, for the unnormalized exp) moves the derived slope, and the simulation refutes it."""
    check = check_parametrization(preset="exp", rhos=(0,))  # order 1: E ~ (1/4)(1−λ)^−1
    check.moment = check.moment * sp.sqrt(1 - lam)
    (row,) = mc_slopes(check, samples=4000, seed=2)
    assert not row["holds"] and abs(row["z"]) > row["z_bound"]
    assert abs(row["slope_theory"] + 0.5) < 0.05  # the wrong derivation's own slope


def test_mc_slope_is_tested_against_the_derivations_slope():
    """S4D-style λ = exp(D(−1/2 + iπ)) at ρ = 1/2: the finite-ε slope of the derivation
    (≈ −2.96) differs from the asymptotic −3 by more than the Monte Carlo error; the test
    compares like with like and passes, with −3 reported beside it."""
    check = check_parametrization("exp(D*(-1/2 + I*pi))", "D", rhos=(0.5,))
    (row,) = mc_slopes(check, samples=4000, seed=3)
    assert row["slope_asymptotic"] == -3.0 and abs(row["slope_theory"] + 3) > 0.01
    assert row["holds"], row
    assert abs(row["slope"] - row["slope_theory"]) <= row["z_bound"] * row["stderr"]


def test_user_autocorrelation_mixture_is_linear_in_regimes():
    """R = (0.5^k + 0.9^k)/2: E is linear in R, so the limit is the mean of the AR(1) limits
    (1+ρ)/(2(1−ρ)) at ρ = 0.5 and 0.9: (3/2 + 19/2)/2 = 11/2."""
    check = check_parametrization("exp(-exp(w))", "w", gamma=NORM,
                                  autocorr="(0.5**k + 0.9**k)/2")
    (row,) = check.regimes
    assert row.order == 0 and sp.nsimplify(row.coefficient) == sp.Rational(11, 2)
    assert check.verdict == "bounded"


def test_autocorrelation_without_closed_form_is_answered(capsys):
    argv = ["check-param", "--lam", "exp(-exp(w))", "--wrt", "w", "--autocorr", "1/(1+k**2)",
            "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["regimes"][0]["order"] == 1


def test_the_verdict_is_one_object_with_typed_reasons():
    """decide_verdict is the one rule: every unbounded path is listed with its reason, the
    real-axis rows of a free angle carry the angle as data (no label parsing)."""
    from rnnverify.theory.params.analysis import RegimePaths, decide_verdict

    check = check_parametrization(preset="polar_normalized", wrt="nu", rhos=(1,))
    doc = check.to_dict()
    assert doc["verdict"] == "explodes" == check.decision.verdict
    reasons = {(u["path"], u["reason"]) for u in doc["why"]}
    assert ("lam -> 1 (theta -> 0) as nu -> 1-", "order 3 > 0") in reasons
    assert any(r.startswith("coefficient diverges as theta -> 0") for _, r in reasons)
    specials = {pa.special for pa in check.regimes[0].paths.paths}
    assert specials == {None, sp.Integer(0), sp.pi}
    assert all(pa.path in check.setup.paths for pa in check.regimes[0].paths.paths)
    bounded_rows = tuple(pa for pa in check.regimes[0].paths.paths if pa.bounded)
    assert bounded_rows  # lam -> -1 (theta -> pi) is bounded
    assert decide_verdict([RegimePaths(1, bounded_rows)]).verdict == "bounded"
    assert decide_verdict([RegimePaths(1, bounded_rows)]).unbounded == ()
