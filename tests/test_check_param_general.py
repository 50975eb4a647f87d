"""check-param on the inputs people have: any R(k) (summable and long memory), complex limit
points named by where λ goes, a λ that never reaches |λ| = 1, logarithmic factors at order 0,
and E ≡ 0.  Every order and coefficient is pitted against an independent route: the lag-sum
oracle (theory.memory.oracle, no lemmas, proven tail bound), 50-digit evaluation of E along
the path, or the lemma route's numerics."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rnnverify.crosscheck.cli import main
from rnnverify.crosscheck.commands.check_param import check_parametrization
from rnnverify.theory.budget import Budget
from rnnverify.theory.memory.autocorr import from_expression
from rnnverify.theory.memory.moments import moments
from rnnverify.theory.memory.oracle import oracle_moments
from rnnverify.theory.params.lag_asymptotics import decay_of, lag_moment_order
from rnnverify.theory.params.limit_paths import LimitPath, limit_point
from rnnverify.theory.params.parametrizations import real_form
from rnnverify.theory.params.path_asymptotics import PathAsymptotic
from rnnverify.theory.symbols import lam, theta

NORM = "sqrt(1-lam**2)"


def _only_path(check):
    (regime,) = check.regimes
    (path,) = regime.paths.paths
    return path


def _oracle_k(r_text: str, eps: str) -> mpmath.mpf:
    """E|d_λh|² at λ = 1 − ε by the oracle's lag sums (independent of the lemmas)."""
    ac = from_expression(r_text)
    return oracle_moments(1 - mpmath.mpf(eps), autocorr=ac, dps=15)["dh2_dlam"]


# ---------------------------------------------------------------- any R(k)
def test_summable_autocorrelation_order_from_the_spectral_density():
    """R = 1/(1+k²): K ~ S(0)/(4ε³), S(0) = π coth π (closed form found and checked against
    the sums); with λ = exp(−e^w) the chain factor is ε², so the order is 1 with C = S(0)/4.
    The oracle at ε = 2·10⁻³ agrees to the O(ε) correction."""
    check = check_parametrization("exp(-exp(w))", "w", autocorr="1/(1+k**2)")
    path = _only_path(check)
    s0 = sp.pi / sp.tanh(sp.pi)
    assert path.order == 1 and sp.simplify(path.coefficient - s0 / 4) == 0
    assert check.verdict == "explodes"
    ratio = _oracle_k("1/(1+k**2)", "2e-3") * mpmath.mpf("2e-3") ** 3 * 4 / mpmath.mpf(
        sp.N(s0, 30))
    assert abs(ratio - 1) < 5e-3  # O(ε) relative correction at ε = 2e-3


def test_long_memory_order_is_not_an_integer_and_the_coefficient_has_gamma_functions():
    """R = (1+|k|)^(−1/2) ~ k^(−1/2): Σ R diverges; Tauberian G ~ Γ(1/2) ε^(−1/2),
    G' ~ Γ(3/2) ε^(−3/2) give K ~ (3√π/4) ε^(−7/2), so E|d_w h|² ~ (3√π/4) ε^(−3/2).
    Second route: the oracle's K at ε = 4e-3 and 2e-3, Richardson-extrapolated in ε^(1/2)
    (the relative correction of a k^(−1/2) law with a k^(−3/2) next term)."""
    check = check_parametrization("exp(-exp(w))", "w", autocorr="(1+Abs(k))**(-1/2)")
    path = _only_path(check)
    assert path.order == sp.Rational(3, 2)
    assert sp.simplify(path.coefficient - 3 * sp.sqrt(sp.pi) / 4) == 0
    c = mpmath.mpf(sp.N(3 * sp.sqrt(sp.pi) / 4, 30))
    r1, r2 = (_oracle_k("(1+Abs(k))**(-1/2)", e) * mpmath.mpf(e) ** 3.5 / c
              for e in ("4e-3", "2e-3"))
    extrapolated = (r2 * mpmath.sqrt(2) - r1) / (mpmath.sqrt(2) - 1)
    assert abs(extrapolated - 1) < 5e-3, (r1, r2, extrapolated)
    assert abs(path.to_dict()["order_numeric"]["slope"] - 3.5) < 0.01


def test_cli_answers_for_any_autocorrelation(main_json):
    out = main_json(["check-param", "--lam", "exp(-exp(w))", "--wrt", "w", "--gamma", NORM,
                     "--autocorr", "1/(1+k**2)", "--json"])
    (path,) = out["regimes"][0]["paths"]
    # normalized: E -> S(0)/2 = π coth(π)/2, bounded
    assert out["verdict"] == "bounded" and path["order"] == 0
    assert abs(path["coefficient"] - float(sp.pi / sp.tanh(sp.pi)) / 2) < 1e-12
    assert path["lag_sums"]["G(1)"]["closed_form"] is not None


@pytest.mark.slow
@settings(max_examples=2, deadline=None, derandomize=True, phases=(Phase.generate,),
          suppress_health_check=[HealthCheck.too_slow])
@given(alpha=st.sampled_from(["1/3", "1/2", "3/2", "5/2"]),
       form=st.sampled_from(["(1+k)**(-{a})", "(1+k**2)**(-{a}/2)"]))
def test_power_law_order_agrees_with_the_oracle_slope(alpha, form):
    """Property: for R(k) ~ k^(−α) the lag-asymptotic order of K (4 − α for α < 1, 3 for
    α > 1) is the local log-log slope of the oracle's K between ε = 4e-3 and 2e-3, within
    2 ε^γ, γ = min(|1 − α|, 1), the size of the first correction."""
    text = form.format(a=alpha)
    a = sp.Rational(alpha)
    ac = from_expression(text)
    from rnnverify.theory.memory.moments import moment_expr

    k_expr = moment_expr("dh2_dlam", ac)
    found = lag_moment_order(k_expr, ac.expr, "1", None, Budget())
    assert found.order == (4 - a if a < 1 else 3)
    k1, k2 = _oracle_k(text, "4e-3"), _oracle_k(text, "2e-3")
    slope = -(mpmath.log(k2) - mpmath.log(k1)) / (mpmath.log(2e-3) - mpmath.log(4e-3))
    gamma_ = min(abs(1 - a), 1)
    assert abs(slope - float(found.order)) <= 2 * 4e-3 ** float(gamma_), (text, slope)


def test_decay_is_classified():
    b = Budget()
    assert decay_of(from_expression("1/(1+k**2)").expr, b).alpha == 2
    lm = decay_of(from_expression("(1+Abs(k))**(-1/2)").expr, b)
    assert lm.long_memory and lm.c == 1 and lm.beta == sp.Rational(3, 2)
    assert decay_of(from_expression("exp(-k**2/50)").expr, b).kind == "fast"


# ---------------------------------------------------------------- complex limit points
def test_constant_angle_path_is_named_by_its_limit_point():
    check = check_parametrization("exp(-exp(w) + 0.3*I)", "w", rhos=(0,))
    path = _only_path(check)
    assert path.limit == "lam -> exp(0.3*I) as w -> -oo"
    assert path.path.lam_limit == sp.exp(sp.I * sp.Rational(3, 10))
    assert (path.order, path.coefficient) == (1, sp.Rational(1, 4))


def test_s4d_angle_moving_to_zero_is_lam_to_one():
    """λ = exp(D(−1/2 + iπ)) as D → 0⁺: θ = πD → 0, so λ → 1 (label and typed point)."""
    check = check_parametrization("exp(D*(-1/2 + I*pi))", "D", rhos=(0.5,))
    path = _only_path(check)
    assert path.limit == "lam -> 1 as D -> 0+" and path.path.lam_limit == 1
    assert path.order == 3 and check.setup.angle_mode == "moving"


def test_limit_point_labels():
    w = sp.Symbol("w")
    labels = {a: LimitPath(w, -sp.oo, "+", "circle", limit_point(a)).limit_text
              for a in (sp.Rational(3, 10), sp.pi, 2 * sp.pi, sp.Rational(1, 3))}
    assert labels == {sp.Rational(3, 10): "lam -> exp(0.3*I) as w -> -oo",
                      sp.pi: "lam -> -1 as w -> -oo", 2 * sp.pi: "lam -> 1 as w -> -oo",
                      sp.Rational(1, 3): "lam -> exp(I/3) as w -> -oo"}
    free = LimitPath(w, sp.Integer(1), "-", "circle")
    assert free.limit_text == "lam -> exp(I*theta) as w -> 1-"
    assert free.label(sp.Integer(0)) == "lam -> 1 (theta -> 0) as w -> 1-"


# ---------------------------------------------------------------- never near one
def test_lambda_that_never_reaches_the_circle_is_bounded_with_its_supremum():
    """λ = tanh(w)/2: sup |λ| = 1/2 (not attained), |dλ/dw|² ≤ 1/4, so E ≤ (1/4)·R(0)/(1/2)^4
    = 4; the largest E at ρ = 0 is at w = 0: (1/4)·E(d_λh)²|_{λ=0} = 1/4 (lemma route)."""
    check = check_parametrization("0.5*tanh(w)", "w", rhos=(0, 1))
    assert check.verdict == "bounded"
    rows = [r.paths.paths[0].to_dict() for r in check.regimes]
    for row in rows:
        assert row["sup_abs_lam_exact"] == "1/2" and row["sup_abs_lam_attained"] is False
        assert row["sensitivity_bound"] == 4 and row["bounded"]
    at_zero = moments(0.0, autocorr=0, dps=30)["dh2_dlam"] / 4
    assert abs(rows[0]["max_sensitivity_found"] - float(at_zero)) < 1e-12
    assert rows[1]["max_sensitivity_found"] <= 4


def test_cli_never_near_one_exits_0(main_json):
    out = main_json(["check-param", "--lam", "0.5*tanh(w)", "--wrt", "w", "--rho", "0",
                     "--json"])
    assert out["verdict"] == "bounded" and out["limits"] == []
    assert out["regimes"][0]["paths"][0]["sup_abs_lam"] == 0.5


# ---------------------------------------------------------------- limit of E at order 0
def test_logarithmic_factor_tending_to_zero_is_bounded_not_explodes():
    """λ = exp(−log(1+w²)/w²) at ρ = 0: E ≈ 1/log(1/ε) → 0 (order 0, limit 0).  Second
    route: E evaluated at 50 digits decreases along w = 10^3, 10^6, 10^12 with
    E·log(1/ε) rising towards 1."""
    check = check_parametrization("exp(-log(1+w**2)/w**2)", "w", rhos=(0,))
    assert check.verdict == "bounded"
    for path in check.regimes[0].paths.paths:
        assert path.order == 0 and path.limit_value == 0 and path.bounded
    with mpmath.workdps(50):
        def lam_of(w):
            return mpmath.exp(-mpmath.log(1 + w**2) / w**2)

        values = []
        for w in (mpmath.mpf(10) ** 3, mpmath.mpf(10) ** 6, mpmath.mpf(10) ** 12):
            lv, d = lam_of(w), mpmath.diff(lam_of, w)
            e = d**2 * (1 + lv**2) / (1 - lv**2) ** 3
            values.append((e, e * mpmath.log(1 / (1 - lv))))
    assert values[0][0] > values[1][0] > values[2][0]
    assert values[0][1] < values[1][1] < values[2][1] < 1


def _numeric_row(order, err, limit_value=None):
    return PathAsymptotic("x", sp.Float(order), None, True, "numeric", order_error=err,
                          limit_value=limit_value)


def test_order_zero_within_errors_needs_the_limit_of_e():
    assert _numeric_row(-0.017, 0.008).undecided_reason is not None
    assert not _numeric_row(-0.017, 0.008).bounded
    assert _numeric_row(-0.017, 0.008).unbounded_reason is None  # never "explodes"
    assert _numeric_row(-0.017, 0.008, sp.Integer(0)).bounded
    assert _numeric_row(0.001, 0.008, sp.oo).unbounded_reason == "E tends to oo"
    assert _numeric_row(0.5, 0.01).unbounded_reason.startswith("order 0.5")
    assert _numeric_row(-0.5, 0.01).bounded


def test_e_identically_zero_is_not_an_order():
    """ZOH-style γ = 1 − λ, coupled, constant input: h = x exactly, so d_λh ≡ 0."""
    check = check_parametrization("exp(-exp(w))", "w", gamma="1-lam", gamma_coupled=True,
                                  rhos=(1,))
    path = _only_path(check)
    assert path.order == -sp.oo and path.coefficient == 0 and path.limit_value == 0
    assert any("identically 0" in n for n in path.notes)


# ---------------------------------------------------------------- budgets
def test_real_form_is_budgeted_and_falls_back_to_the_unsimplified_form():
    c = (sp.exp(sp.I * theta) + sp.exp(-sp.I * theta)) / (lam + 2)
    budget = Budget(simplify_ops=1)
    assert real_form(c, budget) == c and budget.cut
    assert not real_form(c).has(sp.I)


@pytest.mark.slow
def test_damped_cosine_input_does_not_hang():
    """The case whose display-only simplification ran for minutes: now within the budget.
    E → 2 S(0) with S(0) = Re((1+z)/(1−z)), z = e^{−1/3 + i/2} (chain factor 8ε³)."""
    check = check_parametrization("w/sqrt(1+w**2)", "w", autocorr="exp(-Abs(k)/3)*cos(k/2)")
    rows = {p.limit: p for p in check.regimes[0].paths.paths}
    z = mpmath.exp(mpmath.mpf(-1) / 3 + 0.5j)
    expected = 2 * mpmath.re((1 + z) / (1 - z))
    plus = rows["lam -> 1 as w -> oo"]
    assert plus.order == 0 and abs(complex(plus.coefficient) - complex(expected)) < 1e-12


def test_cli_error_names_the_flag(capsys):
    assert main(["check-param", "--lam", "tanh(w)*tanh(v)", "--wrt", "w"]) == 2
    err = capsys.readouterr().err
    assert "fix all but one with --at" in err and err.count("\n") == 1
