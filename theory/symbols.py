"""The SymPy symbols every module of :mod:`theory` shares (docs/theory.md §1).

User expressions may use exactly these names (plus declared parameters):
``lam`` (λ, or its modulus ν when an angle is given), ``lam2`` (the second
eigenvalue of cross-moments), ``theta`` (angle of λ = ν e^{iθ}), ``theta2`` (angle of lam2), ``rho``
(AR(1) input correlation), ``k`` (lag of the autocorrelation R(k)) and ``t``
(finite horizon, h_0 = 0).
"""

from __future__ import annotations

import sympy as sp

lam = sp.Symbol("lam", real=True)
lam2 = sp.Symbol("lam2", real=True)
theta = sp.Symbol("theta", real=True)
#: angle of the second eigenvalue of cross-moments, λ2 = lam2·e^{iθ2}
theta2 = sp.Symbol("theta2", real=True)
rho = sp.Symbol("rho", real=True)
k = sp.Symbol("k", integer=True, nonnegative=True)
t = sp.Symbol("t", integer=True, positive=True)
#: complex arguments of Lemmas 1 and 2
alpha = sp.Symbol("alpha")
beta = sp.Symbol("beta")

#: the reserved names a user expression may use, name -> symbol
RESERVED: dict[str, sp.Symbol] = {
    "lam": lam,
    "lam2": lam2,
    "theta": theta,
    "theta2": theta2,
    "rho": rho,
    "k": k,
    "t": t,
}
