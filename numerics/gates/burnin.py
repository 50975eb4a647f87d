"""Burn-in for stationary random-gate estimates, with a bound on the relative bias.

Setting (docs/theory.md §10.4): h_0 = d_0 = 0, h_{t+1} = λ_t h_t + γ x_t,
d_{t+1} = λ_t d_t + μ_t h_t, gates (λ_t, μ_t) i.i.d. and independent of the exactly
stationary input, a2 = E λ² < 1, c = E λμ, b2 = E μ².  With (h', d') a copy of the stationary
state independent of the next T gates, h_∞ = h_T + Λ_T h' and
d_∞ = d_T + (∂Λ_T) h' + Λ_T d' (Λ_T the product of T gates), so

    E (h_∞ − h_T)² = a2^T S_h,
    sqrt E (d_∞ − d_T)² ≤ sqrt(D_T S_h) + a2^{T/2} sqrt(S_d),
    D_T = E (∂Λ_T)² = T b2 a2^{T−1} + T(T−1) c² a2^{T−2}.

Stationarity of (h, d) gives (1 − a2) S_d = 2c E[hd] + b2 S_h ≥ b2 S_h − 2|c| sqrt(S_h S_d),
hence r = sqrt(S_h/S_d) ≤ r_max = (|c| + sqrt(c² + b2 (1 − a2)))/b2, and the relative
errors ε_h = a2^{T/2}, ε_d = a2^{T/2} + r_max sqrt(D_T) bound the relative bias of each
second moment by 2ε + 3ε² (as in :mod:`numerics.memory.burnin`).  The gate moments passed
in should be upper bounds (a2, |c|, b2 in D_T) and a lower bound (b2 in r_max).

For a selective gate (λ_t uses x_t) the independence fails unless the input is white;
the simulator then reports no bound.
"""

from __future__ import annotations

import math

__all__ = ["gate_bias_bounds", "gate_burn_in"]


def _eps(a2: float, b2_hi: float, b2_lo: float, c_abs: float, steps: int) -> tuple[float, float]:
    t = steps
    eps_h = a2 ** (t / 2)
    d_t = t * b2_hi * a2 ** (t - 1) + t * (t - 1) * c_abs**2 * a2 ** (t - 2) if a2 > 0 else 0.0
    if b2_lo <= 0:
        return eps_h, math.inf
    r_max = (c_abs + math.sqrt(c_abs**2 + b2_lo * (1 - a2))) / b2_lo
    return eps_h, eps_h + r_max * math.sqrt(d_t)


def gate_bias_bounds(a2: float, b2_hi: float, b2_lo: float, c_abs: float,
                     steps: int) -> dict[str, float]:
    """Relative-bias bounds {"h2", "dh2_dp"} after ``steps`` steps (module docstring)."""
    if not 0 <= a2 < 1:
        raise ValueError(f"E λ² must lie in [0, 1) for a stationary estimate, got {a2!r}")
    eps_h, eps_d = _eps(a2, b2_hi, b2_lo, c_abs, steps)
    return {"h2": 2 * eps_h + 3 * eps_h**2, "dh2_dp": 2 * eps_d + 3 * eps_d**2}


def gate_burn_in(a2: float, b2_hi: float, b2_lo: float, c_abs: float, rel_bias: float, *,
                 max_steps: int = 1_000_000) -> int:
    """Smallest T (past the peak of the T² a2^T term) with both bounds ≤ ``rel_bias``."""
    if not 0 < rel_bias < 1:
        raise ValueError(f"rel_bias must lie in (0, 1), got {rel_bias!r}")
    lo = 2
    if 0 < a2 < 1:
        lo = max(2, math.ceil(2 / -math.log(a2)))
    hi = lo

    def worst(t: int) -> float:
        return max(gate_bias_bounds(a2, b2_hi, b2_lo, c_abs, t).values())

    while worst(hi) > rel_bias:
        if hi >= max_steps:
            raise ValueError(f"no burn-in up to {max_steps} steps reaches relative bias "
                             f"{rel_bias:g} at E λ² = {a2:.6g}")
        hi = min(max_steps, 2 * hi)
    while lo < hi:
        mid = (lo + hi) // 2
        if worst(mid) <= rel_bias:
            hi = mid
        else:
            lo = mid + 1
    return hi
