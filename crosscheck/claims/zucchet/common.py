"""Shared tolerances and helpers of the curse-of-memory claims (Zucchet & Orvieto 2024)."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import mpmath
import sympy as sp
from rnnverify.crosscheck.stats.ztests import CheckOutcome
from rnnverify.theory import symbols as S
from rnnverify.theory.memory.autocorr import ar1, from_expression
from rnnverify.theory.memory.moments import theta2

#: oracle (dps 40) vs derived value (dps 50): relative error bound
ORACLE_TOL = 1e-25
ORACLE_DPS = 40
#: double-precision random-point confirmation of symbolic identities
POINT_TOL = 1e-9
#: number of terms of the direct double sums at random points (|λ| ≤ 0.7)
DIRECT_TERMS = 160
PAPER = "Zucchet & Orvieto 2024"
#: truncation of the lemma sums at a point with |α|, |β| ≤ 0.6: tail ≤ 80²·0.6^80/0.4² < 1e−13
#: relative to values of order one (the tolerance is 1e−9)
LEMMA_TERMS = 80

#: user autocorrelations used by the general-R claims (all positive definite:
#: exponentially damped cosine with damping > 0 has a positive spectrum only if
#: it is a valid covariance — these are checked |R(k)| ≤ R(0) by the parser route)
GENERAL_AUTOCORRS: tuple[str, ...] = (
    "exp(-k/10)*cos(k/3)",
    "0.3*0.9**k + 0.7*0**k",
    "1/(1+k)",
    "0.5**k",
)


# ------------------------------------------------------------------ helpers
def rel_error(a: Any, b: Any, floor: Any = 0) -> float:
    """|a − b| / max(|a|, |b|, 1e−15·floor): relative error, or normwise (relative to
    ``floor``, the largest moment at the point) for a quantity that is (nearly) zero, such
    as E(d_λh_1)² = 0 at t = 1 where the derived value is a rounding residue ~1e−50."""
    with mpmath.workdps(60):
        a, b = mpmath.mpmathify(a), mpmath.mpmathify(b)
        scale = max(abs(a), abs(b), mpmath.mpf(10) ** -15 * abs(mpmath.mpmathify(floor)))
        return float(abs(a - b) / scale) if scale else float(abs(a - b))


def all_of(outcomes: list[CheckOutcome]) -> CheckOutcome:
    bad = [o for o in outcomes if not o.holds]
    detail = bad[0].detail if bad else "; ".join(o.detail for o in outcomes)
    return CheckOutcome(not bad, detail, {f"part{i}": o.data for i, o in enumerate(outcomes)})


def point_rng(point: Mapping[str, Any]) -> random.Random:
    return random.Random(int(point.get("seed", 0)))


def autocorr_of(spec: Any) -> Any:
    if isinstance(spec, str):
        return from_expression(spec)
    return ar1(spec)


@lru_cache(maxsize=64)
def r_values(r_text: str, rho_value: float | None, n: int) -> list[float]:
    """R(0..n) in double precision (for the direct sums at random points)."""
    ac = autocorr_of(r_text) if r_text != "ar1" else autocorr_of(rho_value)
    with mpmath.workdps(20):
        return [float(ac.evaluate(j, 20)) for j in range(n + 1)]


def direct_sum(kind: str, l1: complex, l2: complex, R: list[float],
               t: int | None = None) -> complex:
    """Σ_{n,m} w(n,m) l1^n l2^m R(|n−m|) (w = 1, or n m /(l1 l2)), truncated or finite."""
    N = DIRECT_TERMS if t is None else t - 1
    pa = [l1**j for j in range(N + 1)]
    pb = [l2**j for j in range(N + 1)]
    total = 0j
    for n in range(N + 1):
        row = 0j
        for m in range(N + 1):
            w = 1 if kind == "h" else m
            row += w * pb[m] * R[abs(n - m)]
        total += (1 if kind == "h" else n) * pa[n] * row
    return total if kind == "h" else total / (l1 * l2)


def lambdify_names(expr: Any, names: tuple[str, ...]) -> Callable[..., Any]:
    table = {"lam": S.lam, "lam2": S.lam2, "theta": S.theta, "rho": S.rho, "t": S.t,
             "theta2": theta2}
    return sp.lambdify([table[n] for n in names], expr, modules="cmath")
