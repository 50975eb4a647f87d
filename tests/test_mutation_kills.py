"""Tests written against the survivors of mutation testing (benchmarks/mutation.sh,
docs/mutation.md): each pins a behaviour of theory/precise.py, crosscheck/commands/check_claim.py,
theory/memory/oracle.py or numerics/memory/linear.py that a mutant changed without any other
test noticing."""

from __future__ import annotations

import dataclasses

import mpmath
import pytest
import sympy as sp
from rnnverify.theory.precise import precise_value

x = sp.Symbol("x")


def test_precise_value_is_immutable():
    """A PreciseValue is a frozen record (kills ``@dataclass(frozen=False)``): a caller
    that keeps a value cannot have its status or bound changed under it."""
    out = precise_value(x + 1, {x: 0.5})
    with pytest.raises(dataclasses.FrozenInstanceError):
        out.status = "zero"  # type: ignore[misc]


def test_rel_bound_is_the_bound_over_the_magnitude():
    """rel_bound = abs_bound / |value| (kills ``abs_bound * |value|``): for a value of
    10³⁰ the relative bound is 10⁻³⁰ times the absolute one, and a zero value has an
    infinite relative bound."""
    out = precise_value(x / 3, {x: 3e30})  # 1/3 is rounded: a nonzero bound
    assert out.ok and out.abs_bound > 0
    assert out.rel_bound == out.abs_bound / abs(out.value)
    assert out.rel_bound <= mpmath.mpf(10) ** -80  # the mutant gives about 10⁻³⁰
    zero = precise_value(x - x, {x: 1.0})
    assert zero.rel_bound == mpmath.inf


def test_log_of_one_is_an_exact_zero_not_a_pole():
    """log(1) = 0 is defined (kills ``a == 1`` in the log-near-0 test): the pole is at
    a = 0 only."""
    out = precise_value(sp.log(x), {x: 1.0})
    assert out.status == "zero" and out.value == 0


def test_a_negative_power_of_one_is_one():
    """1⁻² = 1 (kills ``b == 1`` in the division-by-zero test of integer powers): only
    b = 0 is a pole."""
    out = precise_value(x**-2, {x: 1.0})
    assert out.ok and out.value == 1


def test_zero_to_the_zero_is_one_in_the_exact_rational_fallback():
    """A value no precision tells from 0 is settled exactly where the expression is
    rational in the point, and there 0⁰ = 1 as in the evaluator (kills ``n <= 0`` in
    the exact fallback's 0-to-a-negative-power test, which would make the fallback give
    up and report a rounded zero with a nonzero bound)."""
    a, b, z, n = sp.symbols("a b z n")
    expr = z**n * (a / 3 - b / 3)  # 1/3 is rounded: the value is 0 within a bound > 0
    out = precise_value(expr, {a: 1.0, b: 1.0, z: 0.0, n: 0}, max_dps=600)
    assert out.status == "zero"
    assert out.abs_bound == 0 and out.value == 0  # settled exactly, not within a bound
    assert out.dps < 600


def test_a_real_power_carries_its_rounding_error():
    """b^x with exact b and x still has the rounding u|b^x| in its bound (kills ``- u``
    there, which makes the bound negative: no evaluation could then confirm the value)."""
    y = sp.Symbol("y")
    out = precise_value(x**y, {x: 2.0, y: 0.5}, max_dps=400)
    assert out.ok and out.abs_bound > 0
    with mpmath.workdps(80):
        assert abs(out.value - mpmath.sqrt(2)) <= mpmath.mpf(10) ** -50


@pytest.mark.parametrize("func, reference", [(sp.sin, mpmath.sin), (sp.atan, mpmath.atan)])
def test_a_function_is_evaluated_at_its_argument(func, reference):
    """f(a) is computed from a's value, not from a's error bound (kills ``a[1]`` in
    place of ``a[0]``; sin² + cos² − 1 is 0 at the wrong argument too, so the existing
    zero test cannot see it)."""
    out = precise_value(func(x), {x: 0.5})
    assert out.ok
    with mpmath.workdps(80):
        assert abs(out.value - reference(mpmath.mpf(0.5))) <= mpmath.mpf(10) ** -50


def test_the_exact_fallback_keeps_to_its_digit_cap():
    """The exact rational fallback declines numbers over EXACT_BITS (kills a size that
    subtracts the denominator's bits from the numerator's): (1/3 as a float)^100000 has
    about 10⁷ bits, so the zero below is reported within a bound, not settled exactly."""
    a, b, n = sp.symbols("a b n")
    expr = x**n * (a / 3 - b / 3)
    out = precise_value(expr, {a: 1.0, b: 1.0, x: 1 / 3, n: 100_000}, max_dps=400)
    assert out.status == "zero" and out.abs_bound > 0


def test_a_symbolic_stage_that_fails_is_inconclusive(monkeypatch):
    """When the symbolic verdict raises inside its guarded child, the stage reports the
    documented value "inconclusive" (kills a mangled string there)."""
    from rnnverify.crosscheck.commands import check_claim as claimcheck
    from rnnverify.theory.budget import Budget

    def broken(*args, **kwargs):
        raise RuntimeError("symbolic stage broke")

    monkeypatch.setattr(claimcheck, "_symbolic_verdict", broken)
    problem = claimcheck.prepare_claim("h2", "(1 + lam/2)/((1 - lam/2)*(1 - lam**2))", rho=0.5)
    assert claimcheck._symbolic_stage(problem, Budget()) == "inconclusive"


@pytest.mark.parametrize("value, error, message", [
    (True, TypeError, "point values must be numbers, not bool"),
    (float("inf"), ValueError, "point values must be finite, got inf"),
    (sp.Rational(1, 3), ValueError,
     "point value 1/3 is not exact in binary; pass a float or mpf"),
    ("0.5", TypeError, "point values must be numbers, got str"),
])
def test_bad_point_values_get_the_exact_message(value, error, message):
    """The whole message, anchored (the existing tests search a fragment, so text added
    around it went unnoticed)."""
    with pytest.raises(error) as info:
        precise_value(x, {x: value})
    assert str(info.value) == message


def test_one_significant_digit_is_a_valid_request():
    """digits = 1 is the smallest valid request (kills ``digits <= 1`` in the argument
    check); 0 is rejected."""
    out = precise_value(x / 3, {x: 1.0}, digits=1)
    assert out.ok and out.rel_bound <= mpmath.mpf(10) ** -1
    with pytest.raises(ValueError, match="^digits must be a positive integer, got 0$"):
        precise_value(x, {x: 1.0}, digits=0)


def test_missing_symbols_are_all_named_in_one_message():
    """Every symbol without a value is named, sorted, comma-separated, in an anchored
    message (kills mangled separators and text around it)."""
    y, z = sp.symbols("y z")
    with pytest.raises(ValueError) as info:
        precise_value(x + y + z, {y: 1.0})
    assert str(info.value) == "point: no value for x, z"


def test_float_coordinates_enter_the_exact_fallback_at_their_binary_value():
    """The exact fallback reads a float as mantissa × 2^exponent (kills ``2 * exponent``):
    a/3 − b/6 at a = 3, b = 6 is exactly 0, and the fallback must say so with a zero
    bound rather than a nonzero value."""
    a, b = sp.symbols("a b")
    out = precise_value(a / 3 - b / 6, {a: 3.0, b: 6.0}, max_dps=600)
    assert out.status == "zero" and out.value == 0 and out.abs_bound == 0


@pytest.mark.parametrize("expr, expected", [
    (sp.factorial(x), 120),
    (sp.binomial(x, 2), 10),
])
def test_factorial_and_binomial_reach_mpmath(expr, expected):
    """factorial and binomial are evaluated by their mpmath functions (kills a mangled
    name in the SymPy → mpmath table, which would make them Unsupported)."""
    out = precise_value(expr, {x: 5.0})
    assert out.ok and out.value == expected


def test_a_difference_within_the_error_bounds_does_not_fail():
    """The threshold a point must exceed is 10 × the *sum* of the two error bounds over
    the scale (kills their difference, which with equal bounds leaves only TOLERANCE
    and fails a point on its own rounding)."""
    from rnnverify.crosscheck.commands.check_claim import TOLERANCE, _compare
    from rnnverify.theory.precise import PreciseValue

    one = mpmath.mpf(1)
    bound = mpmath.mpf(10) ** -30
    c = PreciseValue("ok", one, bound, 80, 0.0)
    d = PreciseValue("ok", one + bound, bound, 80, 0.0)
    ev = _compare(c, d)
    assert ev.unchecked is None and not ev.fails
    assert ev.threshold > TOLERANCE
    assert ev.threshold == pytest.approx(float(20 * bound / (one + bound)))


def test_random_rho_stays_in_its_domain_and_reaches_its_edges():
    """Random ρ lie in [−1, 1], with some within 10⁻¹ of ±1 but not on them (kills
    ``1 + 10^u`` for ``1 − 10^u``, which draws ρ outside the domain)."""
    import random

    from rnnverify.crosscheck.commands import check_claim as claimcheck
    from rnnverify.theory.symbols import rho

    problem = claimcheck.prepare_claim("h2", "(1 + rho*lam)/((1 - rho*lam)*(1 - lam**2))")
    rng = random.Random(0)
    values = [claimcheck._random_value(rho, problem, rng) for _ in range(2000)]
    assert all(-1.0 <= r <= 1.0 for r in values)
    near_edge = [r for r in values if 0.9 <= abs(r) < 1.0]
    assert len(near_edge) > 100


@pytest.mark.parametrize(("r", "c0", "c1", "n"), [
    ("0.9", "1", "0", 30), ("0.5", "0.7", "1.3", 7), ("0.99", "0", "2", 200), ("0.3", "1", "1", 1),
])
def test_the_oracle_majorant_tail_is_the_exact_geometric_tail(r, c0, c1, n):
    """Σ_{a≥N} (|c₀| r^a + |c₁| a r^{a−1}) in closed form against mpmath's nsum of the
    terms themselves (kills a tail bound that is halved or drops a term)."""
    from rnnverify.theory.memory.oracle import _Coefficients, _majorant

    with mpmath.workdps(40):
        r, c0, c1 = mpmath.mpf(r), mpmath.mpf(c0), mpmath.mpf(c1)

        def term(a):
            return c0 * r**a + c1 * a * r ** (a - 1)

        total, tail = _majorant(_Coefficients(r, c0, c1), n)
        assert mpmath.almosteq(total, mpmath.nsum(term, [0, mpmath.inf]), rel_eps=1e-30)
        assert mpmath.almosteq(tail, mpmath.nsum(term, [n, mpmath.inf]), rel_eps=1e-30)


def test_the_oracle_tail_bound_covers_the_worst_autocorrelation_sharply():
    """With positive weights and R ≡ R(0) (ρ = 1, the extreme |R(k)| = R(0)), the tail of the
    double sum is R0 (F G − F_N G_N) exactly: the bound must cover it and may exceed it by
    at most R0·F_tail·G_tail, so half the bound (a weakened proof) no longer covers it."""
    from rnnverify.theory.memory.oracle import _Coefficients, _majorant, _tail_bound

    with mpmath.workdps(40):
        f = _Coefficients(mpmath.mpf("0.9"), mpmath.mpf(1), mpmath.mpf("0.5"))
        g = _Coefficients(mpmath.mpf("0.8"), mpmath.mpf(2), mpmath.mpf(0))
        r0, n = mpmath.mpf(3), 25
        (F, Ft), (G, Gt) = _majorant(f, n), _majorant(g, n)
        exact = r0 * (F * G - (F - Ft) * (G - Gt))
        bound = _tail_bound(f, g, r0, n)
        assert exact <= bound <= exact + r0 * Ft * Gt * (1 + mpmath.mpf(10) ** -30)
        assert bound / 2 < exact


@pytest.mark.parametrize("direction", ["plain", "seeded", "gamma"])
def test_the_tangent_recurrence_uses_the_state_before_the_step(direction):
    """ḣ_{t+1} = λ ḣ_t + λ̇ h_t + γ̇ x_t uses h_t, not h_{t+1}: at t = 1, 2, 3 against the
    explicit sums ḣ_T = Σ_{s<T} [λ̇ (T−1−s) λ^{T−2−s} γ + γ̇ λ^{T−1−s}] x_s (kills a
    recurrence that updates h first: its ḣ_1 = λ̇ γ x_0 ≠ 0)."""
    import torch
    from rnnverify.numerics.memory.linear import LinearRecurrence

    lam, gamma = 0.7, 1.5
    lam_dot, gamma_dot = {"plain": (1.0, 0.0), "seeded": (2.5, 0.0), "gamma": (1.0, -0.4)}[
        direction]
    x = torch.tensor([[1.0, -2.0], [0.5, 3.0], [-1.5, 0.25]], dtype=torch.float64)
    rec = LinearRecurrence([lam], 2, gammas=[gamma], directions=[("p", [lam_dot], [gamma_dot])])
    for steps in (1, 2, 3):
        rec.step(x[steps - 1])
        want = sum(
            (lam_dot * (steps - 1 - s) * lam ** (steps - 2 - s) * gamma if steps - 1 - s else 0.0)
            * x[s] + gamma_dot * lam ** (steps - 1 - s) * x[s]
            for s in range(steps))
        torch.testing.assert_close(rec.values()["p"][0], want, rtol=1e-14, atol=1e-14)
