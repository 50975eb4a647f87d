"""check-claim never blames a true claim on its own rounding: precise evaluation at large t,
two witnesses for a refutation, ``inconsistent`` when the tool disagrees with itself."""

from __future__ import annotations

import dataclasses
import json

import mpmath
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rnnverify.crosscheck.commands import check_claim as claimcheck
from rnnverify.crosscheck.commands.check_claim import check_claim, decide_claim, prepare_claim
from rnnverify.theory.budget import Budget
from rnnverify.theory.memory.oracle import oracle_moments
from rnnverify.theory.precise import PreciseValue, Unsupported, precise_value
from rnnverify.theory.symbols import lam, rho, t, theta

#: a correct finite-horizon E h_t² for R(k) = ρ^|k| (h_0 = 0), written by hand
FINITE_H2 = ("((1-lam**(2*t)) + 2*((rho*lam-(rho*lam)**t)/(1-rho*lam) "
             "- (rho*lam**(2*t)-rho**t*lam**(t+1))/(lam-rho)))/(1-lam**2)")
STATIONARY_H2_HALF = "(1 + lam/2)/((1 - lam/2)*(1 - lam**2))"


# ----------------------------------------------------------------- theory.precise


def test_cancellation_is_resolved_by_raising_the_digits():
    x = sp.Symbol("x")
    out = precise_value(sp.exp(x) - 1 - x, {x: 1e-30}, digits=40)
    assert out.ok and out.cancellation > 55  # 60 digits cancelled
    with mpmath.workdps(80):
        exact = mpmath.mpf(1e-30) ** 2 / 2 + mpmath.mpf(1e-30) ** 3 / 6
        assert abs(out.value - exact) <= mpmath.mpf(10) ** -40 * exact
    assert out.dps > 100


def test_a_true_zero_is_reported_as_zero_not_as_a_value():
    x = sp.Symbol("x")
    out = precise_value(sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1, {x: 0.7}, max_dps=400)
    assert out.status == "zero" and abs(out.value) <= out.abs_bound
    assert precise_value(sp.Abs(x - 1), {x: 1.0}).status == "zero"


def test_poles_and_conventions():
    x, n = sp.symbols("x n")
    assert precise_value(1 / (x - sp.Rational(1, 2)), {x: 0.5}).status == "undefined"
    assert precise_value(sp.log(x), {x: 0.0}).status == "undefined"
    assert precise_value(sp.sign(x), {x: 0.0}).status == "undefined"
    one = precise_value(sp.Integer(0) ** (n - 1), {n: 1})  # 0**0 = 1, SymPy's convention
    assert one.ok and one.value == 1
    neg = precise_value(sp.Rational(-1, 2) ** n, {n: 10**6 + 1})  # integer-valued exponent
    assert neg.ok and neg.value < 0 and mpmath.isfinite(neg.value)


def test_bad_arguments_name_themselves():
    x = sp.Symbol("x")
    with pytest.raises(ValueError, match="digits"):
        precise_value(x, {x: 1.0}, digits=0)
    with pytest.raises(ValueError, match="point: no value for x"):
        precise_value(x, {})
    with pytest.raises(TypeError, match="not bool"):
        precise_value(x, {x: True})
    with pytest.raises(ValueError, match=r"max_dps must be an integer of at least .* = 70"):
        precise_value(x, {x: 1.0}, digits=50, max_dps=69)
    with pytest.raises(ValueError, match="budget.max_dps must be at least 100, got 99"):
        Budget(max_dps=99)
    with pytest.raises(Unsupported, match="Sum"):
        k = sp.Symbol("k")
        precise_value(sp.Sum(x**k, (k, 1, sp.oo)), {x: 0.5})


@pytest.mark.parametrize("rho_value", [sp.Rational(1, 2), sp.Rational(9, 10)])
@pytest.mark.parametrize("horizon", [10**4, 10**6])
@pytest.mark.parametrize("lam_value", [0.9974821521560668, 1 - 1e-6, -0.9])
def test_derived_finite_moment_at_huge_t_matches_the_oracle(rho_value, horizon, lam_value):
    """2**(-t) and 10**(2t) at t = 10⁴, 10⁶: no float underflow or overflow anywhere."""
    problem = prepare_claim("h2", FINITE_H2, rho=str(rho_value))
    out = precise_value(problem.derived, {lam: lam_value, t: horizon})
    assert out.ok, out
    with mpmath.workdps(70):
        oracle = oracle_moments(lam_value, rho=str(rho_value), t=horizon, dps=60)["h2"]
        assert abs(out.value - oracle) <= mpmath.mpf(10) ** -45 * abs(oracle)
    claimed = precise_value(problem.claim, {lam: lam_value, t: horizon})
    assert claimed.ok
    with mpmath.workdps(70):
        assert abs(claimed.value - oracle) <= mpmath.mpf(10) ** -45 * abs(oracle)


# ----------------------------------------------------------------- the reported case


def test_the_true_finite_form_is_never_refuted_on_the_command_line(cli):
    result = cli("check-claim", "--quantity", "h2", "--rho", "0.5", "--json",
                 "--expr", FINITE_H2)
    doc = json.loads(result.stdout)
    assert result.returncode in (0, 4), doc["counterexample"]
    assert doc["verdict"] in ("proved", "unproven")
    assert doc["counterexample"] is None and doc["failing_points"] == 0


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("rho_text", ["0.5", "0.9"])
def test_the_true_finite_form_is_proved_at_every_seed(seed, rho_text):
    result = check_claim("h2", FINITE_H2, rho=rho_text, n_random=25, seed=seed)
    assert result.verdict == "proved", result.counterexample
    assert result.mode["failing_points"] == 0


def test_same_seed_same_document():
    first = check_claim("h2", FINITE_H2, rho="0.9", n_random=20, seed=7).to_dict()
    second = check_claim("h2", FINITE_H2, rho="0.9", n_random=20, seed=7).to_dict()
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


# ----------------------------------------------------------------- two witnesses


def test_a_broken_derivation_is_reported_inconsistent_not_refuted():
    """The derived value is made wrong by 1e-10: the oracle sides with the claim, so the
    tool reports its own inconsistency and concludes nothing."""
    problem = prepare_claim("h2", STATIONARY_H2_HALF, rho="0.5")
    broken = dataclasses.replace(problem, derived=problem.derived * (1 + lam**2 / 10**10))
    result = decide_claim(broken, n_random=10, seed=0, symbolic=False)
    assert result.verdict == "inconsistent" and result.holds is None
    cex = result.counterexample
    assert cex["oracle"] == pytest.approx(cex["claimed"], rel=1e-15)
    assert cex["derived"] != pytest.approx(cex["claimed"], rel=1e-12)
    assert "disagree" in result.mode["inconsistency"]


def test_a_symbolic_zero_overrides_no_failing_point(monkeypatch):
    """A symbolic zero is a proof: a numeric point that fails against it is the
    evaluation's fault, reported as an inconsistency (never a refutation)."""
    problem = prepare_claim("h2", STATIONARY_H2_HALF, rho="0.5")
    real = claimcheck.precise_value

    def corrupted(expr, point, **kwargs):
        out = real(expr, point, **kwargs)
        if expr == problem.derived and out.ok:
            return dataclasses.replace(out, value=out.value * (1 + mpmath.mpf(10) ** -20))
        return out

    monkeypatch.setattr(claimcheck, "precise_value", corrupted)
    result = decide_claim(problem, n_random=8, seed=0)
    assert result.symbolic == "zero"
    assert result.verdict == "inconsistent" and result.holds is None
    assert result.mode["failing_points"] > 0


def test_without_an_oracle_a_failing_point_does_not_refute(monkeypatch):
    def no_oracle(*args, **kwargs):
        raise ValueError("unavailable")

    monkeypatch.setattr(claimcheck, "_oracle_call", no_oracle)
    wrong = f"{STATIONARY_H2_HALF}*(1 + 1e-20*lam)"
    result = check_claim("h2", wrong, rho="0.5", n_random=10, seed=0, symbolic=False)
    assert result.verdict == "unproven"
    failing = result.mode["failing_points"]
    assert failing > 0 and result.mode["unwitnessed_failures"] == min(failing, Budget().witnesses)


def test_a_wrong_claim_is_refuted_with_all_three_values():
    wrong = f"{STATIONARY_H2_HALF}*(1 + 1e-30*lam)"
    result = check_claim("h2", wrong, rho="0.5", n_random=10, seed=0)
    assert result.verdict == "refuted" and result.decided_by == "numeric"
    cex = result.counterexample
    digits = cex["digits"]
    assert digits["derived"] == digits["oracle"] != digits["claimed"]
    assert 1e-32 < cex["rel_error"] < 1e-29


def test_points_where_both_sides_are_zero_check_nothing():
    """E|d_λh_1|² = 0 (h_0 = 0): at t = 1 both sides vanish and the point is unchecked."""
    derived = prepare_claim("dh2_dlam", "t", rho="0").derived  # the derived finite form
    claim = str(sp.factor(derived))  # another shape of it
    result = check_claim("dh2_dlam", claim, rho="0", n_random=40, seed=2)
    assert result.mode["unchecked"].get("both_zero", 0) >= 1
    assert result.points_skipped == sum(result.mode["unchecked"].values())
    assert all(p["t"] != 1 for p in result.points)
    assert result.verdict in ("proved", "unproven")


def test_the_budget_is_recorded_and_validated():
    result = check_claim("h2", STATIONARY_H2_HALF, rho="0.5", n_random=5,
                         budget=Budget(max_dps=500))
    assert result.mode["budget"]["max_dps"] == 500 and result.mode["budget"]["cut"] == []
    with pytest.raises(ValueError, match="budget.max_dps"):
        Budget(max_dps=0)
    with pytest.raises(TypeError, match="budget must be a Budget"):
        check_claim("h2", STATIONARY_H2_HALF, rho="0.5", budget={"max_dps": 5})


# ----------------------------------------------------------------- property

_SHAPES = {
    "as written": lambda e: e,
    "together": sp.together,
    "expand": sp.expand,
    "powers split": lambda e: sp.expand_power_exp(sp.expand(e)),
    "cancel": lambda e: sp.cancel(sp.expand_power_base(sp.expand_power_exp(e), force=True)),
}
_PREPARED: dict[tuple[str, str], claimcheck.PreparedClaim] = {}


def _prepared(rho_text: str, shape: str) -> claimcheck.PreparedClaim:
    key = (rho_text, shape)
    if key not in _PREPARED:
        base = prepare_claim("h2", FINITE_H2, rho=rho_text)
        _PREPARED[key] = dataclasses.replace(base, claim=_SHAPES[shape](base.claim))
    return _PREPARED[key]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rho_text=st.sampled_from(["0.5", "0.9", "-1/3", "0", "1", "-1"]),
    shape=st.sampled_from(sorted(_SHAPES)),
    gap=st.floats(min_value=1e-7, max_value=0.5),
    negative=st.booleans(),
    horizon=st.integers(min_value=1, max_value=10**5),
)
def test_true_finite_forms_in_any_shape_never_fail_a_point(rho_text, shape, gap, negative,
                                                           horizon):
    """Over t up to 10⁵ and λ up to 1 − 10⁻⁷, a true form rewritten by SymPy never
    differs from the derivation at a point (so it can never be refuted)."""
    problem = _prepared(rho_text, shape)
    lam_value = -(1 - gap) if negative else 1 - gap
    evaluate = claimcheck._closed_form_evaluator(problem, Budget())
    ev = evaluate({lam: lam_value, t: horizon})
    assert not ev.fails, (ev.rel_error, ev.threshold, ev.claimed, ev.derived)
    assert ev.unchecked in (None, "both_zero", "undefined")


def test_rewritten_shapes_are_never_refuted_end_to_end():
    for shape in ("expand", "powers split"):
        problem = _prepared("0.9", shape)
        result = decide_claim(problem, n_random=20, seed=5)
        assert result.verdict in ("proved", "unproven"), (shape, result.counterexample)
        assert result.mode["failing_points"] == 0


def test_precise_value_result_type():
    x = sp.Symbol("x")
    out = precise_value(x + rho, {x: 0.25, rho: 0.5})
    assert isinstance(out, PreciseValue) and out.ok and out.value == mpmath.mpf(0.75)
    assert out.rel_bound <= mpmath.mpf(10) ** -50


def test_a_derived_zero_and_an_oracle_zero_agree_whatever_their_rounding():
    """E|d_θh_1|² = 0 (h_0 = 0): the derived complex form is 0 only up to its bound (no
    exact rational route through e^{iθ}), the oracle exactly 0; they are one witness
    pair, so a claim of 0.01 there is refuted, not reported as an inconsistency."""
    problem = prepare_claim("dh2_dtheta", "t + theta", rho="1/2")
    wrong = dataclasses.replace(problem, claim=problem.derived + sp.Integer(0) ** (t - 1) / 100)
    evaluate = claimcheck._closed_form_evaluator(wrong, Budget(max_dps=600))
    point = {lam: 0.9, theta: 0.3, t: 1}
    assert set(point) == set(wrong.variables)
    ev = evaluate(point)
    assert ev.fails and abs(ev.derived) <= ev.derived_bound  # zero within its bound, not 0
    witness = claimcheck._witness(wrong, point, ev, evaluate)
    assert witness.outcome == "refutes" and witness.oracle == 0
