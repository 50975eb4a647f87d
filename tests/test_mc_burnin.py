"""The burn-in bias bound (numerics.memory.burnin) holds against exact finite-t theory values."""

from __future__ import annotations

import math

import pytest
from rnnverify.numerics.memory.burnin import bias_bounds, burn_in_steps
from rnnverify.theory.memory.moments import moments


def _polar(nu, theta):
    return nu * complex(math.cos(theta), math.sin(theta))


CASES = [  # (modulus, theta, rho, gamma expr, coupled)
    (0.9, None, 0.0, None, False),
    (0.9, None, 0.8, None, False),
    (0.7, None, 0.99, None, False),
    (-0.8, None, 0.9, None, False),
    (0.5, None, 1.0, None, False),
    (0.8, 0.4, 0.7, None, False),
    (0.85, 2.5, -0.6, None, False),
    (0.9, None, 0.5, "sqrt(1-lam**2)", True),
    (0.6, None, -0.9, "sqrt(1-lam**2)", True),
    (0.8, None, 0.3, "1-lam", True),
]


@pytest.mark.parametrize("nu,theta,rho,gamma,coupled", CASES)
@pytest.mark.parametrize("steps", [3, 12, 40])
def test_bias_bound_holds(nu, theta, rho, gamma, coupled, steps):
    """|M_T − M_∞| / M_∞ ≤ bound(T) for every second moment, with M_T from h_0 = 0."""
    kw = dict(theta=theta, autocorr=rho, gamma=gamma, gamma_coupled=coupled, dps=30)
    stat = moments(nu, **kw)
    fin = moments(nu, t=steps, **kw)
    lam = nu if theta is None else _polar(nu, theta)
    lam_c = complex(lam)
    g = 1.0 if gamma is None else (math.sqrt(1 - nu * nu) if "sqrt" in gamma else 1 - nu)
    gp = 0.0
    if coupled:
        gp = -nu / math.sqrt(1 - nu * nu) if "sqrt" in gamma else -1.0
    dirs = [("d_lam", 1.0, gp)]
    if theta is not None:
        dirs.append(("d_theta", 1j * lam_c, 0.0))
    bound = bias_bounds(lam_c, g, dirs, steps)
    pairs = [("h2", "h"), ("dh2_dlam", "d_lam")] + ([("dh2_dtheta", "d_theta")] if theta else [])
    for q, key in pairs:
        rel = abs(float(fin[q]) - float(stat[q])) / float(stat[q])
        assert rel <= bound[key] * (1 + 1e-9), (q, rel, bound[key])


@pytest.mark.parametrize("lam", [0.0, 0.3, -0.9, 0.99, 0.999, 0.9 * 1j])
@pytest.mark.parametrize("target", [1e-3, 1e-6, 1e-10])
def test_burn_in_is_minimal_on_the_decreasing_branch(lam, target):
    dirs = [("d_lam", 1.0, 0.0)]
    steps = burn_in_steps(lam, 1.0, dirs, target)
    assert max(bias_bounds(lam, 1.0, dirs, steps).values()) <= target
    if steps > 2 and abs(lam) > 0 and steps - 1 >= 1 / -math.log(abs(lam)):
        assert max(bias_bounds(lam, 1.0, dirs, steps - 1).values()) > target


def test_burn_in_grows_like_log_over_one_minus_modulus():
    dirs = [("d_lam", 1.0, 0.0)]
    s99 = burn_in_steps(0.99, 1.0, dirs, 1e-6)
    s999 = burn_in_steps(0.999, 1.0, dirs, 1e-6)
    assert 8 < s999 / s99 < 13  # ~ 10x, up to the log T factor


@pytest.mark.parametrize("bad", [0.0, 1.0, -1e-3])
def test_burn_in_bad_target(bad):
    with pytest.raises(ValueError, match="rel_bias"):
        burn_in_steps(0.5, 1.0, [], bad)


def test_burn_in_needs_modulus_below_one():
    with pytest.raises(ValueError, match="lam"):
        burn_in_steps(1.0, 1.0, [], 1e-6)
