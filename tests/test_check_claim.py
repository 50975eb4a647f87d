"""Tests of ``rnnverify check-claim`` and its decision logic (crosscheck/claimcheck.py).

The claims are the closed forms of docs/theory.md (§3.2 from the authors'
notebook, §3.3, §3.4, §3.5), typed in here as text exactly as a user
would, and subtly wrong variants of them.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sympy as sp
from hostile_inputs import BAD_NUMBERS, HOSTILE_EXPRESSIONS, sentinel_payloads
from rnnverify.crosscheck.claimcheck import check_claim
from rnnverify.crosscheck.cli import main

H2_REAL = "(1 + lam*rho)/((1 - lam*rho)*(1 - lam**2))"
DH2_REAL = (
    "((1 + lam**2)*(1 - lam**2*rho**2) + 2*lam*rho*(1 - lam**2))/((1 - lam**2)**3*(1 - lam*rho)**2)"
)
ABS2 = "(1 - 2*rho*lam*cos(theta) + rho**2*lam**2)"  # |1 - rho lambda|^2, lambda = lam e^{i theta}
H2_COMPLEX = f"(1 - rho**2*lam**2)/((1 - lam**2)*{ABS2})"
DH2_COMPLEX = (
    f"(1 + lam**2)/(1 - lam**2)**3*(1 - rho**2*lam**2)/{ABS2}"
    " + 2/(1 - lam**2)**2*re(lam*exp(I*theta)*rho/(1 - lam*exp(I*theta)*rho)**2)"
)
H2_FINITE = (
    "(1 - lam**(2*t) + 2*lam*rho*(1 - (lam*rho)**(t - 1))/(1 - lam*rho)"
    " - 2*rho*(lam**(2*t) - lam**(t + 1)*rho**(t - 1))/(lam - rho))/(1 - lam**2)"
)
DH2_WHITE_FINITE = (  # q = lam^2, N = t - 1
    "(1 + lam**2 - t**2*lam**(2*(t - 1)) + (2*(t - 1)**2 + 2*(t - 1) - 1)*lam**(2*t)"
    " - (t - 1)**2*lam**(2*t + 2))/(1 - lam**2)**3"
)
CROSS_H = "(1 - rho**2*lam*lam2)/((1 - lam*lam2)*(1 - rho*lam)*(1 - rho*lam2))"


def _cross_dh_text() -> str:
    """S = d/dlam d/dlam2 of CROSS_H (docs/theory.md §3.5), expanded by SymPy into plain text."""
    lam, lam2, rho = sp.symbols("lam lam2 rho", real=True)
    f = (1 - rho**2 * lam * lam2) / ((1 - lam * lam2) * (1 - rho * lam) * (1 - rho * lam2))
    return str(sp.diff(f, lam, lam2))


# ---------------------------------------------------------------- published forms hold


@pytest.mark.parametrize(
    ("quantity", "expr", "kwargs"),
    [
        ("h2", H2_REAL, {}),
        ("dh2_dlam", DH2_REAL, {}),
        ("h2", "1/(1 - lam**2)", {"rho": "0"}),
        ("dh2_dlam", "(1 + lam**2)/(1 - lam**2)**3", {"rho": "0"}),
        ("h2", "1/(1 - lam)**2", {"rho": "1"}),
        ("dh2_dlam", "1/(1 - lam)**4", {"rho": "1"}),
        ("h2", H2_COMPLEX, {}),
        ("dh2_dlam", DH2_COMPLEX, {}),
        ("dh2_dtheta", f"lam**2*({DH2_COMPLEX})", {}),
        ("dh2_dtheta", "lam**2*(1 + lam**2)/(1 - lam**2)**3", {"rho": "0"}),
        ("h2", H2_FINITE, {}),
        ("h2", "(1 - lam**(2*t))/(1 - lam**2)", {"rho": "0"}),
        ("dh2_dlam", DH2_WHITE_FINITE, {"rho": "0"}),
        ("cross_h", CROSS_H, {}),
        ("h2", H2_REAL.replace("rho", "(1/2)"), {"autocorr": "0.5**k"}),
    ],
)
def test_published_forms_hold(quantity, expr, kwargs):
    result = check_claim(quantity, expr, n_random=30, **kwargs)
    assert result.holds, result.as_dict()
    assert result.counterexample is None
    assert result.max_rel_error < 1e-20
    assert result.decided_by in ("symbolic", "numeric")
    assert result.points_checked >= 20


def test_cross_dh_published_form_holds():
    result = check_claim("cross_dh", _cross_dh_text(), n_random=30)
    assert result.holds and result.decided_by == "symbolic"


def test_a_form_symbolic_simplification_cannot_settle_is_decided_numerically():
    # |1 - rho^2 lam^2| equals 1 - rho^2 lam^2 on the domain only: not a rational identity
    claim = f"Abs(1 - rho**2*lam**2)/((1 - lam**2)*{ABS2})"
    result = check_claim("h2", claim, n_random=30)
    assert result.holds
    assert result.decided_by == "numeric" and result.symbolic == "inconclusive"


# ---------------------------------------------------------------- subtly wrong forms fail


@pytest.mark.parametrize(
    ("quantity", "expr", "kwargs"),
    [
        ("h2", H2_REAL.replace("(1 + lam*rho)", "(1 - lam*rho)", 1), {}),  # sign
        ("h2", H2_REAL.replace("lam**2", "lam**3"), {}),  # exponent
        ("dh2_dlam", DH2_REAL.replace("**3", "**2"), {}),  # exponent
        ("dh2_dlam", DH2_REAL.replace("2*lam*rho", "lam*rho"), {}),  # factor 2
        ("dh2_dtheta", DH2_COMPLEX, {}),  # forgot the |lam|^2
        ("h2", H2_COMPLEX.replace("cos(theta)", "sin(theta)"), {}),
        ("h2", H2_FINITE.replace("rho**(t - 1))/(lam - rho)", "rho**t)/(lam - rho)"), {}),
        ("dh2_dlam", DH2_WHITE_FINITE, {}),  # white-noise formula claimed for every rho
        ("cross_h", CROSS_H.replace("rho**2", "rho"), {}),
        ("dh2_dlam", "1/(1 - lam)**4", {"rho": "1 - 1e-9"}),  # rho = 1 form, rho just below
    ],
)
def test_subtly_wrong_forms_fail_with_a_counterexample(quantity, expr, kwargs):
    result = check_claim(quantity, expr, n_random=30, **kwargs)
    assert not result.holds
    cex = result.counterexample
    assert cex is not None and cex["rel_error"] > 1e-20
    assert cex["claimed"] != cex["derived"]
    if cex["oracle"] is not None:  # the independent oracle sides with the derivation
        derived, oracle = cex["derived"], cex["oracle"]
        if isinstance(derived, dict):
            assert abs(
                complex(derived["re"], derived["im"]) - complex(oracle["re"], oracle["im"])
            ) <= 1e-10 * abs(complex(derived["re"], derived["im"]))
        else:
            assert abs(oracle - derived) <= 1e-10 * abs(derived)


def test_a_tiny_perturbation_is_caught_symbolically():
    result = check_claim("dh2_dlam", f"({DH2_REAL})*(1 + 1e-25*lam)", n_random=20)
    assert not result.holds
    assert result.decided_by == "symbolic" and result.symbolic == "nonzero"
    assert result.counterexample is not None


def test_counterexample_point_reproduces_the_difference():
    """Re-evaluate the claim at the reported point: it gives the reported claimed value."""
    result = check_claim("h2", "1/(1 - lam**2)", n_random=10)  # wrong unless rho = 0
    point = result.counterexample["point"]
    value = 1 / (1 - point["lam"] ** 2)
    assert abs(value - result.counterexample["claimed"]) < 1e-12 * value
    assert point["rho"] != 0


# ---------------------------------------------------------------- CLI contract


def test_cli_json_contract_and_exit_codes(capsys):
    assert main(["check-claim", "--quantity", "h2", "--expr", H2_REAL, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["holds"] is True and out["counterexample"] is None
    assert out["verdict"] in ("proved", "unproven")
    assert out["verdict"] == ("proved" if out["decided_by"] == "symbolic" else "unproven")
    for key in ("verdict", "holds", "max_rel_error", "counterexample", "decided_by"):
        assert key in out
    wrong = H2_REAL.replace("lam**2", "lam**3")
    assert main(["check-claim", "--quantity", "h2", "--expr", wrong, "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["holds"] is False and out["verdict"] == "refuted"
    assert set(out["counterexample"]) >= {"point", "claimed", "derived", "rel_error"}


def test_cli_human_output(capsys):
    assert main(["check-claim", "--quantity", "h2", "--expr", "1/(1-lam**2)", "--rho", "0"]) == 0
    assert "PROVED" in capsys.readouterr().out
    assert main(["check-claim", "--quantity", "h2", "--expr", "1/(1-lam**2)", "--rho", "0.5"]) == 1
    out = capsys.readouterr().out
    assert "REFUTED" in out and "counterexample" in out


def _assert_bad_input(argv, capsys):
    assert main(argv) == 2, argv
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("rnnverify: error:")


@pytest.mark.parametrize("expr", HOSTILE_EXPRESSIONS, ids=lambda s: repr(s[:30]))
def test_hostile_expressions_exit_2(expr, capsys):
    _assert_bad_input(["check-claim", "--quantity", "h2", "--expr", expr], capsys)


@pytest.mark.parametrize("text", BAD_NUMBERS, ids=repr)
def test_bad_rho_exits_2(text, capsys):
    _assert_bad_input(["check-claim", "--quantity", "h2", "--expr", "lam", f"--rho={text}"], capsys)


@pytest.mark.parametrize(
    "argv",
    [
        ["--quantity", "h3", "--expr", "lam"],
        ["--quantity", "h2"],
        ["--quantity", "h2", "--expr", "lam", "--rho", "2"],
        ["--quantity", "h2", "--expr", "lam", "--rho", "0.5", "--autocorr", "0.5**k"],
        ["--quantity", "h2", "--expr", "lam2"],  # lam2 only for cross quantities
        ["--quantity", "h2", "--expr", "k"],
        ["--quantity", "h2", "--expr", "rho", "--autocorr", "0.5**k"],
        ["--quantity", "h2", "--expr", "lam", "--autocorr", "2**k"],  # |R(k)| > R(0)
        ["--quantity", "h2", "--expr", "lam", "--autocorr", "__import__('os')"],
        ["--quantity", "h2", "--expr", "lam", "--points", "0"],
        ["--quantity", "h2", "--expr", "lam", "--seed", "-1"],
    ],
)
def test_bad_flags_exit_2(argv, capsys):
    _assert_bad_input(["check-claim", *argv], capsys)


def test_hostile_payloads_are_never_executed(tmp_path, capsys):
    sentinel = tmp_path / "pwned"
    for payload in sentinel_payloads(str(sentinel)):
        assert main(["check-claim", "--quantity", "h2", "--expr", payload]) == 2
        assert (
            main(["check-claim", "--quantity", "h2", "--expr", "lam", "--autocorr", payload]) == 2
        )
    capsys.readouterr()
    assert not sentinel.exists()


def test_console_entry_point_has_no_traceback():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "rnnverify",
            "check-claim",
            "--quantity",
            "h2",
            "--expr",
            "().__class__",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert "attribute access '.__class__'" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------- other autocorrelations, caps


def test_user_autocorrelation_with_a_closed_form():
    # R(k) = e^{-k} is the rho^|k| family with rho = 1/e
    claim = "(1 + lam*exp(-1))/((1 - lam*exp(-1))*(1 - lam**2))"
    assert check_claim("h2", claim, autocorr="exp(-k)", n_random=20).holds
    wrong = check_claim(
        "h2", claim.replace("exp(-1)", "exp(-2)", 1), autocorr="exp(-k)", n_random=20
    )
    assert not wrong.holds and wrong.counterexample is not None


def test_autocorrelation_without_closed_form_uses_few_low_modulus_points(monkeypatch):
    import rnnverify.crosscheck.claimcheck as cc

    monkeypatch.setattr(cc, "SUM_POINTS", 3)
    result = check_claim("h2", "1/(1 - lam**2)", autocorr="1/(1 + k**2)", n_random=5)
    assert not result.holds and result.decided_by == "numeric"
    assert result.points_checked <= 3
    cex = result.counterexample
    assert abs(cex["point"]["lam"]) <= cc.SUM_MAX_MODULUS
    assert cex["oracle"] is not None and abs(cex["oracle"] - cex["derived"]) < 1e-12


def test_symbolic_stage_is_time_capped(monkeypatch):
    import rnnverify.crosscheck.claimcheck as cc

    monkeypatch.setattr(cc, "SYMBOLIC_SECONDS", 1e-4)
    result = check_claim("dh2_dlam", DH2_REAL, n_random=10)
    assert result.symbolic == "inconclusive" and result.decided_by == "numeric"
    assert result.holds


def test_algebraic_constants_do_not_fake_a_symbolic_disproof():
    # sqrt(3 + 2 sqrt 2) = 1 + sqrt 2, which cancel() does not see: the claim is true
    claim = "1/(1 - lam**2) + lam*(sqrt(3 + 2*sqrt(2)) - 1 - sqrt(2))"
    result = check_claim("h2", claim, rho="0", n_random=10)
    assert result.holds and result.symbolic == "inconclusive"
