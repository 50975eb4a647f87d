"""A gate expression: λ_t = f(p, u_t) (random gate) or f(p, u_t, x_t) (selective gate).

Model (docs/theory.md §10): ``h_{t+1} = λ_t h_t + γ x_t`` with u_t i.i.d. N(0, 1)
independent of the input; ``u`` and ``x`` are the reserved names of the gate (the noise and
the current input x_t).  Every other name is a parameter and needs a value in ``at``; the
derivative is taken with respect to ``wrt`` (one of them).  The expression goes through the
whitelist parser (:mod:`theory.parser`), never ``eval``.

Examples: ``exp(-exp(w + s*u))`` (Mamba-like, λ = exp(−Δ A) with log-normal Δ A),
``exp(-exp(w + s*u))*exp(I*th)`` (complex, LRU-like: a random modulus and a fixed phase),
``1/(1 + exp(-(w + s*u)))`` (a sigmoid forget gate), ``exp(-exp(w + s*u + a*x))``
(selective: the step depends on the input).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp
from rnnverify.theory.parser import (
    CONSTANTS,
    FUNCTIONS,
    MAX_LENGTH,
    parse_constant,
    parse_expression,
)
from rnnverify.theory.symbols import RESERVED

from rnnverify.errors import ArgumentTypeError, ArgumentValueError

__all__ = ["NOISE", "INPUT", "Gate", "parse_gate"]

#: the noise symbol u (u_t i.i.d. standard normal)
NOISE = sp.Symbol("u", real=True)
#: the input symbol x (x_t, the input added at the same step): a gate using it is selective
INPUT = sp.Symbol("x", real=True)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Gate:
    """A parsed gate at a point.

    ``expr``: λ as a SymPy expression in ``u``, ``x`` and the parameters; ``wrt``: the
    parameter symbol p; ``values``: exact values of every parameter (p included);
    ``text``: what the user wrote.
    """

    text: str
    expr: sp.Expr
    wrt: sp.Symbol
    values: tuple[tuple[sp.Symbol, sp.Expr], ...]

    @property
    def selective(self) -> bool:
        """Whether λ_t depends on the input x_t."""
        return self.expr.has(INPUT)

    @property
    def is_complex(self) -> bool:
        """Whether λ_t is complex (the expression uses ``I``, e.g. ``ν_t e^{iθ}``): the
        moments are then E|h|², E|d_p h|² (docs/theory.md §10.6)."""
        return self.expr.has(sp.I)

    @property
    def point(self) -> dict[sp.Symbol, sp.Expr]:
        return dict(self.values)

    def lam(self) -> sp.Expr:
        """λ(u[, x]) with every parameter at its value."""
        return self.expr.subs(self.point)

    def dlam(self) -> sp.Expr:
        """∂_pλ(u[, x]) at the point (SymPy derivative, then the values)."""
        return sp.diff(self.expr, self.wrt).subs(self.point)

    def lam_of_p(self) -> sp.Expr:
        """λ(p, u[, x]) with every parameter but p at its value."""
        return self.expr.subs({s: v for s, v in self.values if s != self.wrt})

    @property
    def p_value(self) -> sp.Expr:
        return self.point[self.wrt]

    def describe(self) -> dict[str, Any]:
        return {"gate": self.text, "wrt": str(self.wrt),
                "at": {str(s): str(v) for s, v in self.values},
                "selective": self.selective, "complex": self.is_complex}


def _names(text: str) -> list[str]:
    out: list[str] = []
    for name in _NAME.findall(text):
        if name in FUNCTIONS or name in CONSTANTS or name in ("u", "x"):
            continue
        if name not in out:
            out.append(name)
    return out


def _at_values(at: Any) -> dict[str, sp.Expr]:
    if at is None:
        return {}
    if isinstance(at, str):
        items = []
        for part in at.split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise ArgumentValueError("at", f"must look like NAME=VALUE,..., got {at!r}")
            name, value = part.split("=", 1)
            items.append((name.strip(), value.strip()))
    elif isinstance(at, Mapping):
        items = list(at.items())
    else:
        raise ArgumentTypeError("at", f"must be NAME=VALUE text or a mapping, "
                                      f"got {type(at).__name__}")
    out: dict[str, sp.Expr] = {}
    for name, value in items:
        if not isinstance(name, str) or not name.isidentifier():
            raise ArgumentValueError("at", f"{name!r} is not a parameter name")
        if name in ("u", "x"):
            raise ArgumentValueError("at", f"{name!r} is the reserved "
                                           f"{'noise' if name == 'u' else 'input'} symbol, "
                                           "not a parameter")
        if isinstance(value, bool):
            raise ArgumentTypeError("at", f"{name}: a number is needed, got a bool")
        if isinstance(value, int):
            v: sp.Expr = sp.Integer(value)
        elif isinstance(value, float):
            v = sp.Rational(value)
        elif isinstance(value, (str, sp.Basic)):
            try:
                v = parse_constant(str(value), name=name)
            except ValueError as exc:
                raise ArgumentValueError("at", str(exc)) from None
        else:
            raise ArgumentTypeError("at", f"{name}: a number is needed, "
                                          f"got {type(value).__name__}")
        if not (v.is_real and v.is_finite):
            raise ArgumentValueError("at", f"{name} must be a finite real number, got {value}")
        out[name] = v
    return out


def parse_gate(gate: Any, wrt: Any, at: Any) -> Gate:
    """Parse and validate a gate (errors name ``gate``, ``wrt`` or ``at``).

    ``gate``: expression text in ``u`` (required), optionally ``x``, and parameters;
    ``wrt``: the parameter p of ∂_pλ; ``at``: ``"p=V,q=W"`` or a mapping giving every
    parameter a value (p included).
    """
    if not isinstance(gate, str):
        raise ArgumentTypeError("gate", f"must be an expression text, got {type(gate).__name__}")
    if len(gate) > MAX_LENGTH:
        raise ArgumentValueError("gate", f"is too long ({len(gate)} > {MAX_LENGTH} characters)")
    if not isinstance(wrt, str):
        raise ArgumentTypeError("wrt", f"must be a parameter name, got {type(wrt).__name__}")
    names = _names(gate)
    for name in names:
        if name in RESERVED:
            raise ArgumentValueError("gate", f"{name!r} is a reserved name of the linear "
                                             "recurrence; a gate uses u (noise), x (input) "
                                             "and parameters")
    params = {n: sp.Symbol(n, real=True) for n in names if n.isidentifier()
              and not n.startswith("_")}
    try:
        expr = parse_expression(gate, allowed=(), params={"u": NOISE, "x": INPUT, **params})
    except ValueError as exc:
        raise ArgumentValueError("gate", str(exc)) from None
    if not expr.has(NOISE):
        raise ArgumentValueError("gate", f"{gate!r} does not use the noise symbol u "
                                         "(u_t i.i.d. N(0, 1)); a constant gate is "
                                         "'rnnverify moments --lam'")
    values = _at_values(at)
    symbols = {s.name: s for s in expr.free_symbols if s not in (NOISE, INPUT)}
    if wrt not in symbols:
        known = ", ".join(sorted(symbols)) or "none"
        raise ArgumentValueError("wrt", f"{wrt!r} is not a parameter of {{gate}} {gate!r} "
                                        f"(its parameters: {known})")
    unknown = sorted(set(values) - set(symbols))
    if unknown:
        raise ArgumentValueError("at", f"{', '.join(unknown)} not in the gate {gate!r} "
                                       f"(its parameters: {', '.join(sorted(symbols))})")
    missing = sorted(set(symbols) - set(values))
    unknown_names = [n for n in missing if n != wrt]
    if unknown_names:
        raise ArgumentValueError("gate", f"unknown symbol {', '.join(map(repr, unknown_names))}:"
                                         " every name but u (noise) and x (input) is a "
                                         "parameter and needs a value in {at}")
    if missing:
        raise ArgumentValueError("at", f"give the value of the parameter {wrt!r} "
                                       f"(e.g. {wrt}=0.5)")
    ordered = tuple(sorted(((symbols[n], v) for n, v in values.items()),
                           key=lambda sv: sv[0].name))
    return Gate(gate.strip(), expr, symbols[wrt], ordered)
