"""``rnnverify simulate``: JSON contract, determinism, grid, exit codes on bad input."""

from __future__ import annotations

import json

import pytest
from hostile_inputs import HOSTILE_EXPRESSIONS
from rnnverify.crosscheck.cli import main


@pytest.fixture
def simulate_json(main_json):
    """``simulate_json(argv)``: ``rnnverify simulate ARGV --json`` in-process, exit 0, parsed."""
    return lambda argv: main_json(["simulate", *argv, "--json"])


def test_json_contract_real_grid(simulate_json):
    out = simulate_json(["--lam", "0.5,0.9", "--rho", "0.5", "--samples", "20000", "--seed", "3"])
    assert [r["lam"] for r in out["results"]] == [0.5, 0.9]
    for row in out["results"]:
        for q in ("h2", "dh2_dlam"):
            e = row[q]
            assert {"estimate", "stderr", "theory", "z", "bias_bound"} <= set(e)
            assert e["stderr"] > 0 and e["bias_bound"] <= 1e-6
            assert abs(e["z"]) < 4.9  # P(|z| > 4.9) ≈ 1e-6 per quantity if theory is right
        assert row["dh2_dtheta"] is None
    for key in ("samples", "steps", "stationary", "burn_in", "bias_bound", "seed", "device",
                "dtype", "seconds"):
        assert key in out
    assert out["samples"] == 20000 and out["stationary"] and out["dtype"] == "float64"


def test_complex_finite_horizon_and_chunk_independence(simulate_json):
    base = ["--lam", "0.8", "--theta", "1.1", "--rho", "-0.3", "--t", "25", "--samples",
            "6000", "--seed", "9"]
    a = simulate_json(base)
    b = simulate_json([*base, "--chunk", "1000"])
    assert a["steps"] == 25 and not a["stationary"] and a["bias_bound"] == 0
    ra, rb = a["results"][0], b["results"][0]
    for q in ("h2", "dh2_dlam", "dh2_dtheta"):
        assert ra[q]["estimate"] == pytest.approx(rb[q]["estimate"], rel=1e-12)
        assert abs(ra[q]["z"]) < 4.9


def test_gamma_coupled_and_autocorr_expression(simulate_json):
    out = simulate_json(["--lam", "0.7", "--autocorr", "0.5**k", "--gamma", "sqrt(1-lam**2)",
                         "--gamma-coupled", "--samples", "20000"])
    row = out["results"][0]
    assert row["gamma"] == pytest.approx((1 - 0.49) ** 0.5)
    assert abs(row["dh2_dlam"]["z"]) < 4.9 and out["input"].startswith("autocorr")


def test_gamma_coupled_at_negative_lambda_matches_theory(simulate_json):
    """dγ/dλ is taken at λ (not |λ|), as in the closed form: with γ = sqrt(1-λ²) at
    λ = -0.6 the wrong sign would put E(d_λh)² twice too high (z ≈ 50 at these samples)."""
    out = simulate_json(["--lam", "-0.6", "--rho", "0.3", "--gamma", "sqrt(1-lam**2)",
                         "--gamma-coupled", "--samples", "20000", "--seed", "1"])
    entry = out["results"][0]["dh2_dlam"]
    assert abs(entry["z"]) < 4.9  # P(|z| > 4.9) ≈ 1e-6 if theory is right


def test_steps_override_reports_its_bias(simulate_json):
    out = simulate_json(["--lam", "0.9", "--steps", "20", "--samples", "2000"])
    assert out["steps"] == 20 and out["stationary"] and out["bias_bound"] > 0.1


def test_human_output(capsys):
    assert main(["simulate", "--lam", "0.5", "--samples", "3000", "--t", "5"]) == 0
    out = capsys.readouterr().out
    assert "Monte Carlo" in out and "h2" in out and "finite horizon t = 5" in out


@pytest.mark.parametrize(("argv", "names"), [
    (["--lam", "1"], ["--lam", "got 1.0"]), (["--lam", "-1.5"], ["--lam", "got -1.5"]),
    (["--lam", "nan"], ["--lam", "'nan'"]), (["--lam", "0.5,"], ["--lam", "'0.5,'"]),
    (["--lam", "0.5", "--rho", "1.2"], ["--rho", "got 1.2"]),
    (["--lam", "0.5", "--rho", "nan"], ["--rho", "'nan'"]),
    (["--lam", "0.5", "--samples", "0"], ["--samples", "got 0"]),
    (["--lam", "0.5", "--samples", "-4"], ["--samples", "got -4"]),
    (["--lam", "0.5", "--t", "0"], ["--t", "got 0"]),
    (["--lam", "0.5", "--t", "3", "--steps", "4"], ["--t", "--steps", "exclude each other"]),
    (["--lam", "-0.5", "--theta", "1"], ["--lam", "theta given", "got -0.5"]),
    (["--lam", "0.5", "--theta", "1", "--gamma-coupled", "--gamma", "sqrt(1-lam**2)"],
     ["--gamma-coupled", "--theta"]),
    (["--lam", "0.5", "--gamma-coupled"], ["--gamma-coupled needs --gamma"]),
    (["--lam", "0.5", "--autocorr", "rho**k"], ["--autocorr may not use rho"]),
    (["--lam", "0.5", "--autocorr", "Max(0, 1-k**2/10)"],
     ["autocorr Max(0, 1-k**2/10)", "not positive semi-definite"]),
    (["--lam", "0.5", "--max-bias", "0"], ["--max-bias", "got 0.0"]),
    (["--lam", "0.5", "--seed", "-1"], ["--seed", "got -1"]),
    (["--lam", "0.5", "--device", "tpu"], ["--device", "'tpu'"]),
    (["--lam", "0.5", "--dtype", "float16"], ["--dtype", "'float16'"]),
])
def test_bad_input_exits_2_with_one_line(argv, names, capsys, one_line_error):
    assert main(["simulate", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    one_line_error(captured.err, *names)


@pytest.mark.parametrize("expr", HOSTILE_EXPRESSIONS[:12])
def test_hostile_expressions_refused(expr, capsys):
    for flag in ("--gamma", "--autocorr"):
        assert main(["simulate", "--lam", "0.5", flag, expr, "--samples", "10"]) == 2
        assert "Traceback" not in capsys.readouterr().err


def test_console_entry_point_json_only_on_stdout(cli):
    proc = cli("simulate", "--lam", "0.3", "--samples", "500", "--t", "4", "--json", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["results"][0]["lam"] == 0.3
