"""Burn-in length for stationary estimates, with a proven bound on the relative bias.

Setting: h_0 = 0, h_{t+1} = λ h_t + γ x_t with (x_t)_{t≥0} *exactly* stationary
(our input streams are), ν = |λ| < 1.  A tangent direction with seeds (λ̇, γ̇)
(λ̇ = ∂λ/∂p, γ̇ = ∂γ/∂p) is ḣ = λ̇ γ D + γ̇ h̃, where h̃ is the recurrence with
γ = 1 and D = ∂_λ h̃.

After T steps, the stationary variable is h_∞ = h_T + λ^T h' with h' a copy of
the stationary state (stationarity of x), so b := h_∞ − h_T has
E|b|² = ν^{2T} S_h (S := stationary second moment).  For the tangent,
D_∞ − D_T = T λ^{T-1} h̃' + λ^T D', hence
sqrt E|b_D|² ≤ ν^T sqrt(S_D) + T ν^{T-1} sqrt(S_h̃).

Spectral comparison (any WSS input, spectral measure F): with
u(ω) = 1/(e^{iω} − λ), the transfer of h̃ is H(ω) and that of D is H u, and of
ḣ is H (λ̇ γ u + γ̇).  The image of the unit circle under u is the circle with
centre c = conj(λ)/(1−ν²) and radius r = 1/(1−ν²), so
|u| ∈ [1/(1+ν), 1/(1−ν)] and m := min_ω |λ̇γu + γ̇| = | |λ̇γ c + γ̇| − |λ̇γ| r |.
Therefore S_h̃ ≤ (1+ν)² S_D and S_ḣ ≥ m² S_h̃.  Writing ε for
sqrt(E|b|²)/sqrt(S) of a quantity:

* h:                      ε = ν^T
* direction with γ̇ = 0:   ε = ν^T + T ν^{T-1} (1+ν)
* direction with γ̇ ≠ 0:   ε = (|λ̇γ| (ν^T/(1−ν) + T ν^{T-1}) + |γ̇| ν^T) / m   (∞ if m = 0)

and, by Cauchy–Schwarz, |E|h_T|² − S| ≤ 2 sqrt(S E|b|²)(1+ε)... precisely
|E|a+b|² − E|a|²| ≤ 2 sqrt(E|a|² E|b|²) + E|b|² with sqrt(E|a|²) ≤ sqrt(S)(1+ε), so

    relative bias of the second moment  ≤  2ε + 3ε².

:func:`burn_in_steps` returns the smallest T (on the decreasing branch) for
which every requested quantity has relative bias ≤ ``rel_bias``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def _eps_h(nu: float, steps: int) -> float:
    return nu**steps


def _eps_direction(lam: complex, gamma: float, lam_dot: complex, gamma_dot: float,
                   steps: int) -> float:
    nu = abs(lam)
    tail = steps * nu ** (steps - 1) if steps >= 1 else 1.0
    if gamma_dot == 0.0:
        return nu**steps + tail * (1.0 + nu)
    a = abs(lam_dot * gamma)
    centre = lam.conjugate() / (1.0 - nu * nu)
    radius = 1.0 / (1.0 - nu * nu)
    m = abs(abs(lam_dot * gamma * centre + gamma_dot) - a * radius)
    if m == 0.0:
        return math.inf
    return (a * (nu**steps / (1.0 - nu) + tail) + abs(gamma_dot) * nu**steps) / m


def relative_bias(eps: float) -> float:
    """Bound 2ε + 3ε² on |E|h_T|² − S| / S given sqrt(E|h_∞ − h_T|²) ≤ ε sqrt(S)."""
    return 2.0 * eps + 3.0 * eps * eps


def bias_bounds(lam: complex, gamma: float, directions: Sequence[tuple[str, complex, float]],
                steps: int) -> dict[str, float]:
    """Relative-bias bound of each second moment after ``steps`` steps from h_0 = 0.

    ``directions`` holds ``(name, λ̇, γ̇)``; the result has key ``"h"`` and one key per name.
    """
    out = {"h": relative_bias(_eps_h(abs(lam), steps))}
    for name, lam_dot, gamma_dot in directions:
        out[name] = relative_bias(_eps_direction(complex(lam), float(gamma), complex(lam_dot),
                                                 float(gamma_dot), steps))
    return out


def burn_in_steps(lam: complex, gamma: float, directions: Sequence[tuple[str, complex, float]],
                  rel_bias: float, *, max_steps: int = 10_000_000) -> int:
    """Smallest T ≥ 2 past the peak of T ν^{T-1} with every bias bound ≤ ``rel_bias``."""
    if not 0.0 < rel_bias < 1.0:
        raise ValueError(f"rel_bias must lie in (0, 1), got {rel_bias!r}")
    nu = abs(complex(lam))
    if not nu < 1.0:
        raise ValueError(f"|lam| must be < 1 for a stationary estimate, got {nu!r}")

    def worst(steps: int) -> float:
        return max(bias_bounds(lam, gamma, directions, steps).values())

    lo = 2
    if nu > 0.0:  # T ν^{T-1} increases up to T = 1/ln(1/ν); search beyond it
        lo = max(2, math.ceil(1.0 / -math.log(nu)))
    hi = lo
    while worst(hi) > rel_bias:
        if hi >= max_steps:
            raise ValueError(
                f"no burn-in up to {max_steps} steps reaches relative bias {rel_bias:g} "
                f"at |lam| = {nu!r}")
        hi = min(max_steps, 2 * hi)
    while lo < hi:  # worst() is decreasing on [lo, ∞)
        mid = (lo + hi) // 2
        if worst(mid) <= rel_bias:
            hi = mid
        else:
            lo = mid + 1
    return hi
