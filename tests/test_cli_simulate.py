"""``rnnverify simulate``: JSON contract, determinism, grid, exit codes on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hostile_inputs import HOSTILE_EXPRESSIONS
from rnnverify.crosscheck.cli import main


def _json(argv: list[str], capsys) -> dict:
    assert main(["simulate", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_contract_real_grid(capsys):
    out = _json(["--lam", "0.5,0.9", "--rho", "0.5", "--samples", "20000", "--seed", "3"],
                capsys)
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


def test_complex_finite_horizon_and_chunk_independence(capsys):
    base = ["--lam", "0.8", "--theta", "1.1", "--rho", "-0.3", "--t", "25", "--samples",
            "6000", "--seed", "9"]
    a = _json(base, capsys)
    b = _json([*base, "--chunk", "1000"], capsys)
    assert a["steps"] == 25 and not a["stationary"] and a["bias_bound"] == 0
    ra, rb = a["results"][0], b["results"][0]
    for q in ("h2", "dh2_dlam", "dh2_dtheta"):
        assert ra[q]["estimate"] == pytest.approx(rb[q]["estimate"], rel=1e-12)
        assert abs(ra[q]["z"]) < 4.9


def test_gamma_coupled_and_autocorr_expression(capsys):
    out = _json(["--lam", "0.7", "--autocorr", "0.5**k", "--gamma", "sqrt(1-lam**2)",
                 "--gamma-coupled", "--samples", "20000"], capsys)
    row = out["results"][0]
    assert row["gamma"] == pytest.approx((1 - 0.49) ** 0.5)
    assert abs(row["dh2_dlam"]["z"]) < 4.9 and out["input"].startswith("autocorr")


def test_gamma_coupled_at_negative_lambda_matches_theory(capsys):
    """dγ/dλ is taken at λ (not |λ|), as in the closed form: with γ = sqrt(1-λ²) at
    λ = -0.6 the wrong sign would put E(d_λh)² twice too high (z ≈ 50 at these samples)."""
    out = _json(["--lam", "-0.6", "--rho", "0.3", "--gamma", "sqrt(1-lam**2)",
                 "--gamma-coupled", "--samples", "20000", "--seed", "1"], capsys)
    entry = out["results"][0]["dh2_dlam"]
    assert abs(entry["z"]) < 4.9  # P(|z| > 4.9) ≈ 1e-6 if theory is right


def test_steps_override_reports_its_bias(capsys):
    out = _json(["--lam", "0.9", "--steps", "20", "--samples", "2000"], capsys)
    assert out["steps"] == 20 and out["stationary"] and out["bias_bound"] > 0.1


def test_human_output(capsys):
    assert main(["simulate", "--lam", "0.5", "--samples", "3000", "--t", "5"]) == 0
    out = capsys.readouterr().out
    assert "Monte Carlo" in out and "h2" in out and "finite horizon t = 5" in out


@pytest.mark.parametrize("argv", [
    ["--lam", "1"], ["--lam", "-1.5"], ["--lam", "nan"], ["--lam", "0.5,"],
    ["--lam", "0.5", "--rho", "1.2"], ["--lam", "0.5", "--rho", "nan"],
    ["--lam", "0.5", "--samples", "0"], ["--lam", "0.5", "--samples", "-4"],
    ["--lam", "0.5", "--t", "0"], ["--lam", "0.5", "--t", "3", "--steps", "4"],
    ["--lam", "-0.5", "--theta", "1"], ["--lam", "0.5", "--theta", "1", "--gamma-coupled",
                                        "--gamma", "sqrt(1-lam**2)"],
    ["--lam", "0.5", "--gamma-coupled"], ["--lam", "0.5", "--autocorr", "rho**k"],
    ["--lam", "0.5", "--autocorr", "Max(0, 1-k**2/10)"],
    ["--lam", "0.5", "--max-bias", "0"], ["--lam", "0.5", "--seed", "-1"],
    ["--lam", "0.5", "--device", "tpu"], ["--lam", "0.5", "--dtype", "float16"],
])
def test_bad_input_exits_2_with_one_line(argv, capsys):
    assert main(["simulate", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rnnverify: error:")


@pytest.mark.parametrize("expr", HOSTILE_EXPRESSIONS[:12])
def test_hostile_expressions_refused(expr, capsys):
    for flag in ("--gamma", "--autocorr"):
        assert main(["simulate", "--lam", "0.5", flag, expr, "--samples", "10"]) == 2
        assert "Traceback" not in capsys.readouterr().err


def test_console_entry_point_json_only_on_stdout():
    proc = subprocess.run([sys.executable, "-m", "rnnverify", "simulate", "--lam", "0.3",
                           "--samples", "500", "--t", "4", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["results"][0]["lam"] == 0.3
