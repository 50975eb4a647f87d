"""rnnverify: executable, cross-checked theory of gradient pathologies in recurrent networks.

The public API (loaded on first use, so ``import rnnverify`` stays fast)::

    import rnnverify as rv
    m = rv.Model(lam="0.99", rho="0.5")   # also theta=, autocorr=, gamma=, gamma_coupled=, t=
    m.closed_form()                        # {"h2": mpf, "dh2_dlam": mpf, "dh2_dtheta": None}
    m.oracle()                             # same keys, no closed form used
    m.simulate(samples=20000, seed=0)      # same keys -> Estimate(estimate, stderr)
    rv.check_parametrization(lam="exp(-exp(w))", wrt="w", gamma="sqrt(1-lam**2)")
    rv.check_claim("h2", "(1+rho*lam)/((1-lam*rho)*(1-lam**2))", rho="0.5")
    rv.verify(quick=True)
    rv.claims()

Every result has ``to_dict()`` (the ``--json`` document of the matching
command) and renders in Jupyter.  :mod:`rnnverify.strategies` holds Hypothesis
strategies for the parameter domains.  The three layers are sub-packages:
:mod:`rnnverify.theory` (SymPy/mpmath), :mod:`rnnverify.numerics` (PyTorch) and
:mod:`rnnverify.crosscheck` (claims, statistics, command line, reports).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    "Model": "rnnverify.crosscheck.model.recurrence",
    "Moments": "rnnverify.crosscheck.model.recurrence",
    "Simulation": "rnnverify.crosscheck.model.simulate",
    "Estimate": "rnnverify.numerics.memory.engine",
    "check_parametrization": "rnnverify.crosscheck.api",
    "check_claim": "rnnverify.crosscheck.api",
    "verify": "rnnverify.crosscheck.api",
    "claims": "rnnverify.crosscheck.api",
    "ParamCheckResult": "rnnverify.crosscheck.api",
    "ClaimCheck": "rnnverify.crosscheck.api",
    "VerifyResult": "rnnverify.crosscheck.api",
    "SCHEMA_VERSION": "rnnverify.crosscheck.schema",
    "Budget": "rnnverify.theory.budget",
    "ArgumentValueError": "rnnverify.errors",
    "ArgumentTypeError": "rnnverify.errors",
}
_SUBMODULES = ("strategies", "errors", "theory", "numerics", "crosscheck")

__all__ = [
    "SCHEMA_VERSION",
    "ArgumentTypeError",
    "ArgumentValueError",
    "Budget",
    "ClaimCheck",
    "Estimate",
    "Model",
    "Moments",
    "ParamCheckResult",
    "Simulation",
    "VerifyResult",
    "__version__",
    "check_claim",
    "check_parametrization",
    "claims",
    "strategies",
    "verify",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from rnnverify.crosscheck.api import (
        ClaimCheck,
        ParamCheckResult,
        VerifyResult,
        check_claim,
        check_parametrization,
        claims,
        verify,
    )
    from rnnverify.crosscheck.model.recurrence import Model, Moments
    from rnnverify.crosscheck.model.simulate import Simulation
    from rnnverify.crosscheck.schema import SCHEMA_VERSION
    from rnnverify.numerics.memory.engine import Estimate
    from rnnverify.theory.budget import Budget

    from rnnverify import strategies


def __getattr__(name: str) -> Any:
    """Import the public names on first use (PEP 562)."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
