"""The inputs of ``check-param``: λ(params) or a preset, γ, ``--at``, the ρ of the regimes.

Parsing and validating them needs only SymPy and the whitelist parser
(:mod:`theory.parser`), not the limit analysis of :mod:`.check_param` (nor
:mod:`.checks`): the command line reads its input with :func:`read_param_input`
before it imports those, so that a bad input is reported at once.
:func:`.check_param.check_parametrization` reads its input the same way, so the
messages are the same on both routes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp
from rnnverify.theory.params.limit_paths import polar_form
from rnnverify.theory.params.parametrizations import Parametrization
from rnnverify.theory.params.parametrizations import preset as theory_preset
from rnnverify.theory.parser import (
    CONSTANTS,
    FUNCTIONS,
    MAX_LENGTH,
    parse_constant,
    parse_expression,
)
from rnnverify.theory.symbols import RESERVED

from rnnverify.errors import ArgumentTypeError, ArgumentValueError

__all__ = [
    "ParamInput",
    "parse_at",
    "parse_gamma",
    "parse_lambda",
    "preset_parametrization",
    "read_param_input",
    "rho_values",
    "user_parametrization",
]

#: reserved names a λ expression may not use (``theta`` may serve as a parameter)
_FORBIDDEN_IN_LAM = tuple(n for n in RESERVED if n != "theta")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _parameter_names(text: str) -> list[str]:
    """Names in ``text`` that are neither functions, constants nor reserved symbols."""
    if not isinstance(text, str):
        raise ArgumentTypeError("lam", f"must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ArgumentValueError("lam", f"is too long ({len(text)} > {MAX_LENGTH} characters)")
    names: list[str] = []
    for name in _NAME.findall(text):
        if name in FUNCTIONS or name in CONSTANTS or name == "theta":
            continue
        if name in _FORBIDDEN_IN_LAM:
            raise ArgumentValueError(
                "lam", f"must be an expression of parameters, not of the reserved name {name!r}"
            )
        if name.startswith("_") or not name.isidentifier():
            continue  # left to the parser, which refuses it
        if name not in names:
            names.append(name)
    return names


def parse_lambda(text: str) -> tuple[sp.Expr, dict[str, sp.Symbol]]:
    """Parse ``text`` into λ(params); returns the expression and name -> real Symbol."""
    names = _parameter_names(text)
    params = {n: sp.Symbol(n, real=True) for n in names}
    try:
        expr = parse_expression(text, allowed=("theta",), params=params)
    except ValueError as exc:
        raise ArgumentValueError("lam", str(exc)) from None
    symbols = {s.name: s for s in expr.free_symbols}
    if not symbols:
        raise ArgumentValueError("lam", "must depend on at least one parameter")
    return expr, dict(sorted(symbols.items()))


def parse_gamma(text: str | None) -> sp.Expr | None:
    """γ as an expression of ``lam`` (the modulus |λ|); ``None`` means γ = 1."""
    if text is None:
        return None
    try:
        return parse_expression(text, allowed=("lam",))
    except ValueError as exc:
        raise ArgumentValueError("gamma", str(exc)) from None


def parse_at(text: str | Mapping[str, Any] | None) -> dict[str, sp.Expr]:
    """``"q=0.5,r=2"`` (or a mapping) -> {name: exact number}; values are constants."""
    if text is None:
        return {}
    items: list[tuple[str, Any]]
    if isinstance(text, Mapping):
        items = list(text.items())
    elif isinstance(text, str):
        items = []
        for part in text.split(","):
            if "=" not in part:
                raise ArgumentValueError("at", f"must look like NAME=VALUE,..., got {text!r}")
            name, value = part.split("=", 1)
            items.append((name.strip(), value.strip()))
    else:
        raise ArgumentTypeError("at", f"must be a string or a mapping, got {type(text).__name__}")
    out: dict[str, sp.Expr] = {}
    for name, value in items:
        if not isinstance(name, str) or not name.isidentifier():
            raise ArgumentValueError("at", f"{name!r} is not a parameter name")
        if isinstance(value, bool):
            raise ArgumentTypeError("at", f"{name}: a number is needed, got a bool")
        if isinstance(value, (int, float)):
            if not math.isfinite(value):
                raise ArgumentValueError("at", f"{name}: must be finite, got {value!r}")
            v = sp.Integer(value) if isinstance(value, int) else sp.Rational(value)
        else:
            try:
                v = parse_constant(str(value), name="at")
            except ValueError as exc:
                message = str(exc).removeprefix("at: ")
                raise ArgumentValueError("at", f"{name}: {message}") from None
        if not v.is_real or not v.is_finite:
            raise ArgumentValueError("at", f"{name}: must be a finite real number, got {value}")
        out[name] = v
    return out


def user_parametrization(lam_text: str, wrt: str, *, gamma: str | None = None,
                         gamma_coupled: bool = False) -> Parametrization:
    """A :class:`theory.params.parametrizations.Parametrization` for the user's λ(params).

    λ is split into modulus and angle factor by factor
    (:func:`theory.params.limit_paths.polar_form`); nothing is inverted.
    """
    lam_expr, params = parse_lambda(lam_text)
    if not isinstance(wrt, str) or not wrt:
        raise ArgumentValueError("wrt", "must name a parameter of {lam}")
    if wrt not in params:
        known = ", ".join(params) or "none"
        raise ArgumentValueError(
            "wrt", f"{wrt!r}: λ does not depend on it (its parameters: {known})")
    gamma_expr = parse_gamma(gamma)
    if gamma_coupled and gamma_expr is None:
        raise ArgumentValueError("gamma_coupled", "{gamma_coupled} needs {gamma}")
    nu_expr, theta_expr = polar_form(lam_expr)
    if gamma_coupled and theta_expr is not None:
        raise ArgumentValueError("gamma_coupled", "is supported for real λ only")
    if sp.diff(lam_expr, params[wrt]) == 0:
        raise ArgumentValueError("wrt", f"{wrt!r}: ∂λ/∂{wrt} is identically zero")
    return Parametrization("user", tuple(params.values()), nu_expr, theta_expr, gamma_expr,
                           bool(gamma_coupled), description=f"lam = {lam_text}")


def preset_parametrization(name: str, wrt: str | None) -> tuple[Parametrization, str]:
    """A preset of :mod:`theory.params.parametrizations` and the parameter to differentiate
    (default: its first parameter)."""
    par = theory_preset(name)
    names = [str(q) for q in par.params]
    wrt = names[0] if wrt is None else wrt
    if wrt not in names:
        raise ArgumentValueError(
            "wrt", f"{wrt!r}: preset {name!r} has parameters {', '.join(names)}")
    return par, wrt



def rho_values(rhos: Sequence[Any]) -> list[sp.Expr]:
    """The AR(1) ρ of the regimes as exact numbers in [−1, 1]."""
    if not rhos:
        raise ArgumentValueError("rho", "needs at least one value")
    out = []
    for value in rhos:
        if isinstance(value, sp.Basic):
            v = value
        else:
            value = float(value)
            if not math.isfinite(value):
                raise ArgumentValueError("rho", f"values must be finite, got {value!r}")
            v = sp.nsimplify(value, rational=True)
        if not -1 <= v <= 1:
            raise ArgumentValueError("rho", f"values must lie in [-1, 1], got {value!r}")
        out.append(v)
    return out


@dataclass(frozen=True)
class ParamInput:
    """The validated input of one check: the parametrization, the parameter to
    differentiate, the description, the parameters fixed by ``--at`` and the ρ values."""

    par: Parametrization
    wrt: str
    description: str
    fixed: dict[str, sp.Expr]
    rho_values: list[sp.Expr]


def read_param_input(
    lam_text: str | None = None,
    wrt: str | None = None,
    *,
    preset: str | None = None,
    gamma: str | None = None,
    gamma_coupled: bool = False,
    rhos: Sequence[Any] = (0.0, 0.5, 1.0),
    at: str | Mapping[str, Any] | None = None,
) -> ParamInput:
    """Parse and validate the arguments of :func:`.check_param.check_parametrization`
    (all but ``autocorr``, which is read after the limit paths are found)."""
    if (lam_text is None) == (preset is None):
        raise ArgumentValueError("lam", "give either {lam} or {preset}")
    if preset is not None:
        if gamma is not None or gamma_coupled:
            raise ArgumentValueError(
                "gamma", "{gamma} applies to {lam}; presets carry their own "
                "(use the *_normalized presets for gamma = sqrt(1-lam**2))")
        par, wrt_name = preset_parametrization(preset, wrt)
        description = f"preset {preset}: {par.description}"
    else:
        if wrt is None:
            raise ArgumentValueError("wrt", "{wrt} is required with {lam}")
        par = user_parametrization(lam_text, wrt, gamma=gamma, gamma_coupled=gamma_coupled)
        wrt_name = wrt
        description = f"lam = {lam_text}"
    fixed = parse_at(at)
    names = [str(q) for q in par.params]
    for name in fixed:
        if name not in names:
            raise ArgumentValueError(
                "at", f"{name}: not a parameter of lambda ({', '.join(names)})")
    return ParamInput(par, wrt_name, description, fixed, rho_values(rhos))
