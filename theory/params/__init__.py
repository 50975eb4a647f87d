"""Parametrizations λ(p) and the blow-up of E|d_p h|² (Zucchet & Orvieto 2024, §3).

Map:

- ``parametrizations`` — presets and the chain rule E|d_p h|² = |∂λ/∂p|² E|d_λh|² (+ θ terms).
- ``asymptotics`` — order and coefficient of a blow-up as |λ| → 1⁻.
- ``limit_paths`` — where |λ(p)| → 1 along a parametrization, without inverting it.
- ``path_asymptotics`` — order and coefficient of E|d_p h|² along each limit path.
- ``lag_asymptotics`` — order of E|d_λh|² for an R(k) without a closed-form generating function.
- ``inside_disc`` — sup |λ| < 1: the supremum of |λ| and the bound on E|d_p h|².
- ``analysis`` — the paths and regimes of one parametrization, and the verdict.
"""
