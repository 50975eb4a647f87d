"""``rnnverify check-param``: the paper's limits table via presets, user expressions by a second
route, hostile input refused with nothing written, and a small Monte Carlo slope smoke run."""

from __future__ import annotations

import json

import mpmath
import pytest
import sympy as sp
from hostile_inputs import CODE_EXECUTION, sentinel_payloads
from rnnverify.crosscheck.cli import main
from rnnverify.crosscheck.paramcheck import (
    check_parametrization,
    mc_slopes,
    parse_lambda,
    user_parametrization,
)
from rnnverify.theory.moments import moments
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
    assert out["verdict"] == "explodes"
    assert [(r["rho"], r["order"], r["bounded"]) for r in out["regimes"]] == [
        (0, 0, True), (0.5, 0, True), (1, 1, False)]
    assert out["chain_factor"] == "lam**2*log(lam)**2"  # dλ/dω = λ ln λ (§3.2)


def test_cli_default_rho_and_bounded_verdict(capsys):
    assert main(["check-param", "--preset", "exp_normalized", "--rho", "0,0.5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "bounded"


# ---------------------------------------------------------------- user expressions
def test_user_exp_matches_preset_with_hand_inverse():
    """Our inversion of |λ(w)| = ν (sympy.solve) against the preset's hand-written inverse."""
    user = check_parametrization("exp(-exp(w))", "w", gamma=NORM, rhos=(0, 0.5, 1))
    ref = check_parametrization(preset="exp_normalized", rhos=(0, 0.5, 1))
    assert sp.simplify(user.info.chain_factor - lam**2 * sp.log(lam) ** 2) == 0
    assert str(user.info.direction) == "-oo"
    for a, b in zip(user.regimes, ref.regimes, strict=True):
        assert a.order == b.order and sp.simplify(a.coefficient - b.coefficient) == 0


@pytest.mark.parametrize("lam_value", [0.3, 0.9, 0.99])
def test_user_sigmoid_sensitivity_matches_numeric_chain_rule(lam_value):
    """E|d_s h|² for λ = sigmoid(s): symbolic vs mpmath (numeric dλ/ds × oracle-free moments)."""
    check = check_parametrization("1/(1+exp(-s))", "s", gamma=NORM, rhos=(0.5,))
    s0 = mpmath.log(lam_value / (1 - lam_value))
    dlam_ds = mpmath.diff(lambda s: 1 / (1 + mpmath.exp(-s)), s0)
    numeric = dlam_ds**2 * moments(lam_value, autocorr=0.5, gamma=NORM, dps=30)["dh2_dlam"]
    symbolic = check.regimes[0]  # expression of the regime is the sensitivity at ρ = 1/2
    value = sp.N(check.sensitivity.subs({lam: lam_value, sp.Symbol("rho", real=True): 0.5}),
                 30)
    assert abs(complex(value) - complex(numeric)) <= 1e-12 * abs(complex(numeric))
    assert symbolic.order == 0  # normalized sigmoid: bounded at ρ = 1/2


def test_user_complex_lru_angle_explodes():
    """LRU angle ω_θ with λ = exp(−exp(w) + i exp(a)): γ²E|d_a h|² ~ θ²/2 (1−ν)^−2 (§3.5)."""
    check = check_parametrization("exp(-exp(w) + I*exp(a))", "a", gamma=NORM, rhos=(0,))
    assert check.info.is_complex and str(check.info.magnitude_param) == "w"
    (row,) = check.regimes
    assert row.order == 2 and sp.simplify(row.coefficient - theta**2 / 2) == 0
    assert check.verdict == "explodes"


def test_user_parametrization_rejections():
    with pytest.raises(ValueError, match="reserved name 'rho'"):
        parse_lambda("rho*tanh(w)")
    with pytest.raises(ValueError, match="does not depend on it"):
        user_parametrization("tanh(w)", "v")
    with pytest.raises(ValueError, match="several parameters"):
        user_parametrization("tanh(w)*tanh(v)", "w")
    with pytest.raises(ValueError, match="cannot approach 1"):
        user_parametrization("tanh(w)/2", "w")
    with pytest.raises(ValueError, match="real λ only"):
        user_parametrization("exp(-exp(w) + I*a)", "w", gamma=NORM, gamma_coupled=True)


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
def test_mc_slope_confirms_order_small_budget():
    check = check_parametrization(preset="exp", rhos=(0,))  # order 1: E ~ (1/4)(1−λ)^−1
    (row,) = mc_slopes(check, samples=3000, epsilons=(0.1, 0.03, 0.01), seed=1)
    assert row["holds"], row
    assert row["slope_asymptotic"] == -1.0
    assert abs(row["slope"] - row["slope_theory"]) <= row["z_bound"] * row["stderr"]
    assert len(row["points"]) == 3 and all(p["stderr"] > 0 for p in row["points"])


def test_user_autocorrelation_mixture_is_linear_in_regimes():
    """R = (0.5^k + 0.9^k)/2: E is linear in R, so the limit is the mean of the AR(1) limits
    (1+ρ)/(2(1−ρ)) at ρ = 0.5 and 0.9: (3/2 + 19/2)/2 = 11/2."""
    check = check_parametrization("exp(-exp(w))", "w", gamma=NORM,
                                  autocorr="(0.5**k + 0.9**k)/2")
    (row,) = check.regimes
    assert row.order == 0 and sp.nsimplify(row.coefficient) == sp.Rational(11, 2)
    assert check.verdict == "bounded"


def test_unexpandable_autocorrelation_is_a_clear_error(capsys):
    argv = ["check-param", "--lam", "exp(-exp(w))", "--wrt", "w", "--autocorr", "1/(1+k**2)"]
    assert main(argv) == 2
    assert "cannot determine the order" in capsys.readouterr().err
