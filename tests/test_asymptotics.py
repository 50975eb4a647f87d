"""theory.params.asymptotics: orders and coefficients as |λ| → 1⁻ (docs/theory.md §4)."""

from __future__ import annotations

import pytest
import sympy as sp
from rnnverify.theory.memory.moments import moment_expr
from rnnverify.theory.params.asymptotics import asymptotic, order_and_coefficient
from rnnverify.theory.symbols import lam, rho, theta

R = sp.Rational
G2 = 1 - lam**2
EXPO = (lam * sp.log(lam)) ** 2


def test_elementary_powers() -> None:
    assert order_and_coefficient(1 / (1 - lam) ** R(3, 2)) == (R(3, 2), 1)
    assert order_and_coefficient(sp.Integer(5)) == (0, 5)
    assert order_and_coefficient((1 - lam) ** 2) == (-2, 1)
    assert order_and_coefficient(1 / (1 - lam**2)) == (1, R(1, 2))
    a = asymptotic((1 - lam) ** 2)
    assert a.bounded and a.limit == 0
    assert asymptotic(1 / (1 - lam)).limit == sp.oo


def test_logarithmic_blow_up_is_refused() -> None:
    with pytest.raises(ValueError, match="pure power"):
        order_and_coefficient(-sp.log(1 - lam))


def test_generic_rho_rows() -> None:
    """§2.3 asymptotics with symbolic ρ < 1."""
    p, c = order_and_coefficient(moment_expr("h2"))
    assert p == 1 and sp.simplify(c - (1 + rho) / (2 * (1 - rho))) == 0
    p, c = order_and_coefficient(moment_expr("dh2_dlam"))
    assert p == 3 and sp.simplify(c - (1 + rho) / (4 * (1 - rho))) == 0


# docs/theory.md §4: quantity, (p, C) for ρ < 1 as a function of ρ, (p, C) at ρ = 1
TABLE = [
    (lambda: moment_expr("h2"), lambda r: (1, (1 + r) / (2 * (1 - r))), (2, 1)),
    (lambda: moment_expr("dh2_dlam"), lambda r: (3, (1 + r) / (4 * (1 - r))), (4, 1)),
    (lambda: G2 * moment_expr("h2"), lambda r: (0, (1 + r) / (1 - r)), (1, 2)),
    (lambda: G2 * moment_expr("dh2_dlam"), lambda r: (2, (1 + r) / (2 * (1 - r))), (3, 2)),
    (lambda: G2 * EXPO * moment_expr("dh2_dlam"), lambda r: (0, (1 + r) / (2 * (1 - r))), (1, 2)),
]


@pytest.mark.parametrize("row", range(len(TABLE)))
@pytest.mark.parametrize("r", [0, R(1, 2), R(9, 10), 1])
def test_limits_table(row: int, r) -> None:
    make, generic, at_one = TABLE[row]
    p, c = order_and_coefficient(make().subs(rho, r))
    want = at_one if r == 1 else generic(r)
    assert (p, sp.nsimplify(c)) == (want[0], sp.nsimplify(want[1]))


def test_published_exp_limits() -> None:
    """½ at ρ = 0, 3/2 at 0.5, 19/2 at 0.9 (normalized + exp)."""
    e = G2 * EXPO * moment_expr("dh2_dlam")
    got = [order_and_coefficient(e.subs(rho, r))[1] for r in (0, R(1, 2), R(9, 10))]
    assert got == [R(1, 2), R(3, 2), R(19, 2)]


def test_coupled_gamma_rows() -> None:
    e = moment_expr("dh2_dlam", 0, gamma=sp.sqrt(1 - lam**2), gamma_coupled=True)
    assert order_and_coefficient(e) == (2, R(1, 4))
    assert order_and_coefficient(e * EXPO) == (0, R(1, 4))


def test_complex_angle_rows() -> None:
    """§3.5: γ² E|d_θh|² ~ ν²(1+ν²)/(1−ν²)² → order 2, C = 1/2 (i.i.d.)."""
    e = (1 - lam**2) * moment_expr("dh2_dtheta", 0, complex_lambda=True)
    assert order_and_coefficient(e) == (2, R(1, 2))
    # correlated input, θ ≠ 0: the ρ factor stays bounded, the order is that of ρ = 0
    p, c = order_and_coefficient(moment_expr("h2", complex_lambda=True).subs(theta, 1))
    assert p == 1
