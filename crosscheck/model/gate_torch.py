"""A gate expression (SymPy) as a torch callable ``(p, u, x) -> λ`` for the Monte Carlo route.

The expression tree is translated node by node into torch operations (no ``lambdify``, no
``eval``): ``+ * **``, the whitelisted functions of :mod:`theory.parser` that torch has, and
numbers as Python floats.  Every parameter but p takes its value at the point; p stays a
tensor so that :func:`torch.func.jvp` differentiates through it
(:mod:`numerics.gates.simulate`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import sympy as sp
from rnnverify.theory.gates.gate import INPUT, NOISE, Gate

__all__ = ["torch_gate"]

_UNARY = {
    sp.exp: "exp", sp.log: "log", sp.sin: "sin", sp.cos: "cos", sp.tan: "tan",
    sp.sinh: "sinh", sp.cosh: "cosh", sp.tanh: "tanh", sp.asin: "asin", sp.acos: "acos",
    sp.atan: "atan", sp.asinh: "asinh", sp.acosh: "acosh", sp.atanh: "atanh",
    sp.Abs: "abs", sp.sign: "sign", sp.floor: "floor", sp.ceiling: "ceil",
}

Node = Callable[[dict[str, Any]], Any]


def _build(expr: sp.Basic, torch: Any) -> Node:
    if expr.is_Number or expr in (sp.pi, sp.E):
        value = float(expr)
        return lambda env: value
    if expr == sp.I:  # a complex gate: the tensors become complex from here
        return lambda env: 1j
    if isinstance(expr, sp.Symbol):
        name = expr.name
        return lambda env: env[name]
    if isinstance(expr, sp.Add):
        parts = [_build(a, torch) for a in expr.args]

        def add(env: dict[str, Any]) -> Any:
            out = parts[0](env)
            for part in parts[1:]:
                out = out + part(env)
            return out
        return add
    if isinstance(expr, sp.Mul):
        parts = [_build(a, torch) for a in expr.args]

        def mul(env: dict[str, Any]) -> Any:
            out = parts[0](env)
            for part in parts[1:]:
                out = out * part(env)
            return out
        return mul
    if isinstance(expr, sp.Pow):
        base, exponent = _build(expr.args[0], torch), _build(expr.args[1], torch)
        if expr.args[1] == sp.Rational(1, 2):
            return lambda env: torch.sqrt(torch.as_tensor(base(env)))
        return lambda env: base(env) ** exponent(env)
    for kind, name in _UNARY.items():
        if isinstance(expr, kind):
            fn = getattr(torch, name)
            arg = _build(expr.args[0], torch)
            return lambda env: fn(torch.as_tensor(arg(env)))
    if isinstance(expr, (sp.Min, sp.Max)):
        fn = torch.minimum if isinstance(expr, sp.Min) else torch.maximum
        parts = [_build(a, torch) for a in expr.args]

        def fold(env: dict[str, Any]) -> Any:
            out = torch.as_tensor(parts[0](env))
            for part in parts[1:]:
                out = fn(out, torch.as_tensor(part(env)))
            return out
        return fold
    raise ValueError(f"the Monte Carlo route cannot evaluate {type(expr).__name__} "
                     f"({expr}) in torch")


def torch_gate(gate: Gate) -> tuple[Callable[[Any, Any, Any], Any], float]:
    """``(fn, p)``: fn(p, u, x) evaluates λ with torch; p is the value of ``wrt``."""
    import torch  # the Monte Carlo route only

    expr = gate.lam_of_p()
    p_name = gate.wrt.name
    node = _build(expr, torch)
    p_value = float(gate.p_value)
    if not math.isfinite(p_value):
        raise ValueError(f"{p_name} must be finite")

    def fn(p: Any, u: Any, x: Any) -> Any:
        return node({p_name: p, NOISE.name: u, INPUT.name: x})

    return fn, p_value
