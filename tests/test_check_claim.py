"""Tests of ``rnnverify check-claim`` and its decision logic (crosscheck/commands/check_claim.py).

The claims are the closed forms of docs/theory.md (§3.2 from the authors'
notebook, §3.3, §3.4, §3.5), typed in here as text exactly as a user
would, and subtly wrong variants of them.
"""

from __future__ import annotations

import json
import subprocess
import sys

import mpmath
import pytest
import sympy as sp
from hostile_inputs import BAD_NUMBERS, HOSTILE_EXPRESSIONS, sentinel_payloads
from rnnverify.crosscheck.cli import main
from rnnverify.crosscheck.commands.check_claim import check_claim

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
def test_published_forms_are_proved(quantity, expr, kwargs):
    result = check_claim(quantity, expr, n_random=30, **kwargs)
    assert result.verdict == "proved", result.as_dict()
    assert result.holds is True and result.decided_by == "symbolic"
    assert result.counterexample is None
    assert result.max_rel_error < 1e-40  # the numeric confirmation agrees at 120 digits
    assert result.points_checked >= 20


def test_cross_dh_published_form_is_proved():
    result = check_claim("cross_dh", _cross_dh_text(), n_random=30)
    assert result.verdict == "proved" and result.decided_by == "symbolic"


def test_a_form_true_only_on_the_domain_is_unproven_not_proved():
    # |1 - rho^2 lam^2| equals 1 - rho^2 lam^2 on the domain only: not an identity SymPy proves
    claim = f"Abs(1 - rho**2*lam**2)/((1 - lam**2)*{ABS2})"
    result = check_claim("h2", claim, n_random=30)
    assert result.verdict == "unproven" and result.holds is None
    assert result.symbolic == "inconclusive" and result.counterexample is None


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
    assert result.verdict == "refuted" and result.holds is False
    cex = result.counterexample
    assert cex is not None and cex["rel_error"] > cex["threshold"]
    assert cex["claimed"] != cex["derived"]
    if cex["oracle"] is not None:  # the independent oracle sides with the derivation
        derived, oracle = cex["derived"], cex["oracle"]
        if isinstance(derived, dict):
            assert abs(
                complex(derived["re"], derived["im"]) - complex(oracle["re"], oracle["im"])
            ) <= 1e-10 * abs(complex(derived["re"], derived["im"]))
        else:
            assert abs(oracle - derived) <= 1e-10 * abs(derived)


def test_a_tiny_rational_perturbation_is_refuted():
    result = check_claim("dh2_dlam", f"({DH2_REAL})*(1 + 1e-25*lam)", n_random=20)
    assert result.verdict == "refuted" and result.symbolic == "nonzero"
    assert result.counterexample is not None


def test_counterexample_point_reproduces_the_difference():
    """Re-evaluate the claim at the reported point: it gives the reported claimed value."""
    result = check_claim("h2", "1/(1 - lam**2)", n_random=10)  # wrong unless rho = 0
    point = result.counterexample["point"]
    with mpmath.workdps(30):
        value = float(1 / (1 - mpmath.mpf(point["lam"]) ** 2))
    assert abs(value - result.counterexample["claimed"]) < 1e-12 * value
    assert point["rho"] != 0


# ---------------------------------------------------------------- CLI contract


def test_cli_json_contract_and_exit_codes(capsys):
    assert main(["check-claim", "--quantity", "h2", "--expr", H2_REAL, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["command"] == "check-claim" and "schema_version" in out
    assert out["verdict"] == "proved"
    assert out["holds"] is True and out["counterexample"] is None
    for key in ("verdict", "holds", "max_rel_error", "counterexample", "decided_by", "seed",
                "smallest_detectable_rel_error", "points"):
        assert key in out
    assert out["smallest_detectable_rel_error"] <= 1e-25
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
    unproven = "sqrt((1/(1-lam**2))**2)"  # |x| = x only on the domain
    assert main(["check-claim", "--quantity", "h2", "--expr", unproven, "--rho", "0"]) == 4
    assert "UNPROVEN" in capsys.readouterr().out


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
    assert check_claim("h2", claim, autocorr="exp(-k)", n_random=20).verdict == "proved"
    wrong = check_claim(
        "h2", claim.replace("exp(-1)", "exp(-2)", 1), autocorr="exp(-k)", n_random=20
    )
    assert wrong.verdict == "refuted" and wrong.counterexample is not None


def test_autocorrelation_without_closed_form_is_checked_by_lag_sums_near_the_edge():
    """R(k) = 1/(1+k²) has no closed-form generating function: the oracle's lag sums (with
    their tail bound) decide, at random points up to the lag-sum budget."""
    result = check_claim("h2", "1/(1 - lam**2)", autocorr="1/(1 + k**2)", n_random=12, seed=3)
    assert result.verdict == "refuted" and result.decided_by == "numeric"
    assert result.mode["lag_sums"] and result.mode["max_abs_lam_checked"] > 0.99
    cex = result.counterexample
    assert cex["rel_error"] > cex["threshold"]


def test_symbolic_stage_is_capped_by_work_not_time():
    from rnnverify.theory.budget import Budget

    result = check_claim("dh2_dlam", DH2_REAL, n_random=10, budget=Budget(symbolic_ops=5))
    assert result.symbolic == "skipped" and result.verdict == "unproven"
    assert result.holds is None
    assert result.mode["budget"]["symbolic_ops"] == 5
    (cut,) = result.mode["budget"]["cut"]
    assert cut.startswith("symbolic stage:") and cut.endswith("> symbolic_ops = 5")


def test_algebraic_constants_do_not_fake_a_symbolic_disproof():
    # sqrt(3 + 2 sqrt 2) = 1 + sqrt 2, which cancel() does not see: the claim is true
    claim = "1/(1 - lam**2) + lam*(sqrt(3 + 2*sqrt(2)) - 1 - sqrt(2))"
    result = check_claim("h2", claim, rho="0", n_random=10)
    assert result.verdict in ("proved", "unproven") and result.counterexample is None


# ---------------------------------------------------------------- adversarial corpus
TRUE_H2_HALF = "(1 + lam/2)/((1 - lam/2)*(1 - lam**2))"  # E|h|² at rho = 1/2
TRUE_DH2_WHITE = "(1 + lam**2)/(1 - lam**2)**3"


@pytest.mark.parametrize(
    ("quantity", "expr", "kwargs"),
    [
        # a narrow bump: invisible on any fixed grid, found at its centre
        ("dh2_dlam", f"{TRUE_DH2_WHITE} + exp(-1e10*(lam-0.4242)**2)", {"rho": "0"}),
        ("h2", f"{TRUE_H2_HALF}*(1 + exp(-1e12*(lam+0.7131)**2))", {"rho": "0.5"}),
        # tiny non-rational terms
        ("h2", f"{TRUE_H2_HALF} + 1e-25*sin(lam)", {"rho": "0.5"}),
        ("h2", f"{TRUE_H2_HALF}*(1 + 1e-30*exp(lam))", {"rho": "0.5"}),
        # terms that vanish only on the real axis (theta = 0)
        ("h2", f"{H2_COMPLEX} + 1e-3*sin(theta)**2", {}),
        # wrong only at complex lambda
        ("dh2_dtheta", f"lam**2*({DH2_COMPLEX})*(1 + (1 - cos(theta))/10)", {}),
        # wrong only at finite t
        ("h2", "(1 - lam**(2*t))/(1 - lam**2) + 0**(t - 1)*lam/10", {"rho": "0"}),
        ("h2", "(1 - lam**(2*t))/(1 - lam**2)*(1 + 1e-20*lam**t)", {"rho": "0"}),
    ],
)
def test_adversarial_claims_are_never_proved(quantity, expr, kwargs):
    result = check_claim(quantity, expr, n_random=40, seed=11, **kwargs)
    assert result.verdict in ("refuted", "unproven"), result.as_dict()
    assert result.verdict == "refuted", result.as_dict()  # each is in fact caught
    cex = result.counterexample
    assert cex["rel_error"] > cex["threshold"] or result.symbolic == "nonzero"


def test_the_1e25_perturbation_is_refuted_at_60_digits_and_exits_1(capsys):
    expr = f"{TRUE_H2_HALF} + 1e-25*sin(lam)"
    assert main(["check-claim", "--quantity", "h2", "--rho", "0.5", "--expr", expr,
                 "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "refuted" and out["holds"] is False
    assert 1e-27 < out["counterexample"]["rel_error"] < 1e-24
    assert out["smallest_detectable_rel_error"] < 1e-25


def test_a_true_non_rational_form_is_proved(capsys):
    assert main(["check-claim", "--quantity", "h2", "--rho", "0.5",
                 "--expr", f"exp(log({TRUE_H2_HALF}))", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "proved"
    result = check_claim("h2", "exp(log(1 - lam**2)/2)**(-2)", rho="0")
    assert result.verdict == "proved"


def test_points_are_random_seeded_and_reported():
    a = check_claim("h2", TRUE_H2_HALF, rho="0.5", n_random=15, seed=1)
    b = check_claim("h2", TRUE_H2_HALF, rho="0.5", n_random=15, seed=1)
    c = check_claim("h2", TRUE_H2_HALF, rho="0.5", n_random=15, seed=2)
    pa, pb, pc = ([p["lam"] for p in r.points if not p["focus"]] for r in (a, b, c))
    assert pa == pb and pa != pc and a.seed == 1
    assert len(a.points) == a.points_checked


def test_random_points_cover_the_domain():
    """Over many points: both signs of real lam, |lam| = 1 - 1e-6, rho = ±1, complex angles,
    several horizons."""
    result = check_claim("h2", H2_FINITE, n_random=300, seed=0)
    lams = [p["lam"] for p in result.points]
    rhos = [p["rho"] for p in result.points]
    ts = {p["t"] for p in result.points}
    assert min(lams) < -0.999 and max(lams) >= 1 - 1e-6 - 1e-15
    assert 1.0 in rhos and -1.0 in rhos
    assert len(ts) >= 10 and max(ts) > 100
    cplx = check_claim("h2", H2_COMPLEX, n_random=100, seed=0)
    thetas = [p["theta"] for p in cplx.points]
    assert min(thetas) < -2 and max(thetas) > 2 and min(abs(x) for x in thetas) < 1e-2
