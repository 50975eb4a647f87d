"""``rnnverify moments``: JSON contract, agreement with the oracle, exit codes."""

from __future__ import annotations

import mpmath
import pytest
from rnnverify.crosscheck.cli import main
from rnnverify.theory.memory.autocorr import ar1, from_expression
from rnnverify.theory.memory.oracle import oracle_moments


@pytest.fixture
def run_json(main_json):
    """``run_json(*argv)``: ``rnnverify moments ARGV --json`` in-process, exit 0, parsed."""
    return lambda *argv: main_json(["moments", *argv, "--json"])


def dec(text: str) -> mpmath.mpf:
    """A decimal input exactly as the CLI reads it (60 digits, not the nearest double)."""
    with mpmath.workdps(60):
        return mpmath.mpf(text)


def agree(x: float, y, digits: int = 12) -> bool:
    return abs(x - float(y)) <= 10.0**-digits * abs(float(y))


def test_json_keys_and_oracle_agreement(run_json) -> None:
    rec = run_json("--lam", "0.999", "--rho", "0.9")
    assert {"h2", "dh2_dlam", "dh2_dtheta", "generating_function_method", "digits"} <= set(rec)
    assert rec["dh2_dtheta"] is None and rec["stationary"] is True
    o = oracle_moments(dec("0.999"), rho=dec("0.9"), dps=40)
    assert agree(rec["h2"], o["h2"], 14) and agree(rec["dh2_dlam"], o["dh2_dlam"], 14)
    # the digits strings carry 30 significant digits of the same values
    with mpmath.workdps(40):
        assert abs(mpmath.mpf(rec["digits"]["h2"]) - o["h2"]) < 1e-25 * o["h2"]


def test_complex_user_autocorr_gamma_and_finite_t(run_json) -> None:
    rec = run_json("--lam", "0.9", "--theta", "0.5", "--autocorr", "exp(-k/10)*cos(k/3)",
                   "--gamma", "sqrt(1-lam**2)", "--t", "60")
    ac = from_expression("exp(-k/10)*cos(k/3)")
    with mpmath.workdps(60):
        g = mpmath.sqrt(1 - mpmath.mpf("0.9") ** 2)
    o = oracle_moments(dec("0.9"), theta=dec("0.5"), autocorr=ac, gamma=g, t=60)
    for q in ("h2", "dh2_dlam", "dh2_dtheta"):
        assert agree(rec[q], o[q], 14), q
    assert rec["generating_function_method"] == "finite_doubling"  # rational G: O(log t)


def test_lambda_one_minus_1e_8(run_json) -> None:
    rec = run_json("--lam", "1-1e-8", "--rho", "0.9")
    o = oracle_moments(dec("0.99999999"), rho=dec("0.9"), dps=40)
    assert agree(rec["dh2_dlam"], o["dh2_dlam"], 14) and agree(rec["h2"], o["h2"], 14)
    assert rec["lam_digits"].startswith("0.99999999")


def test_gamma_coupled(run_json) -> None:
    rec = run_json("--lam", "0.9", "--gamma", "sqrt(1-lam**2)", "--gamma-coupled")
    assert agree(rec["dh2_dlam"], 1 / (1 - 0.81) ** 2, 14)


def test_user_autocorr_power(run_json) -> None:
    rec = run_json("--lam", "0.95", "--autocorr", "0.5**k")
    o = oracle_moments(dec("0.95"), autocorr=ar1(0.5), dps=40)
    assert agree(rec["dh2_dlam"], o["dh2_dlam"], 14)


def test_human_output(capsys) -> None:
    assert main(["moments", "--lam", "0.93", "--theta", "0.4", "--rho", "0.7"]) == 0
    out = capsys.readouterr().out
    assert "1953.70772913286" in out and "18.9909580598763" in out


@pytest.mark.parametrize(("argv", "names"), [
    (["--lam", "1"], ["--lam", "got 1.0"]),
    (["--lam", "-1.5"], ["--lam", "got -1.5"]),
    (["--lam", "nan"], ["--lam", "'nan'"]),
    (["--lam", "0.5", "--rho", "1.5"], ["--rho", "got 1.5"]),
    (["--lam", "0.5", "--rho", "0.5", "--autocorr", "0.5**k"], ["--autocorr", "--rho"]),
    (["--lam", "0.5", "--t", "0"], ["--t", "got 0"]),
    (["--lam", "0.5", "--t", "-2"], ["--t", "got -2"]),
    (["--lam", "0.5", "--t", "1.5"], ["--t", "got '1.5'"]),
    (["--lam", "0.5", "--autocorr", "__import__('os').system('true')"],
     ["--autocorr", "refused"]),
    (["--lam", "0.5", "--autocorr", "2**k"], ["--autocorr", "not an autocorrelation"]),
    (["--lam", "0.5", "--autocorr", "rho**k"], ["--autocorr may not use rho"]),
    (["--lam", "0.5", "--gamma", "lam.real"], ["--gamma", "'.real'"]),
    (["--lam", "0.5", "--gamma-coupled"], ["--gamma-coupled needs --gamma"]),
    (["--lam", "0.5", "--theta", "1", "--gamma", "lam", "--gamma-coupled"],
     ["--gamma-coupled", "--theta"]),
    (["--lam", "-0.5", "--theta", "1"], ["--lam", "theta given", "got -0.5"]),
    (["--lam", "0.5", "--theta", "inf"], ["--theta", "'inf'"]),
    ([], ["required", "--lam"]),
])
def test_bad_input_exits_2_with_one_line(capsys, one_line_error, argv: list[str],
                                         names: list[str]) -> None:
    assert main(["moments", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    one_line_error(captured.err, *names)
