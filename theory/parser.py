"""Safe parser for user expressions: a whitelist walk over Python's ``ast``.

A user expression (``--expr``, ``--autocorr``, ``--lam``, ``--gamma`` ...) is
SymPy syntax over the reserved symbols of :mod:`theory.symbols` (``lam``,
``lam2``, ``theta``, ``rho``, ``k``, ``t``), parameters the caller declares,
the constants ``pi``, ``E``, ``I`` and a fixed list of functions
(:data:`FUNCTIONS`).  Conventions: docs/theory.md §1.

How it stays safe:

* the text is parsed with :func:`ast.parse` (``mode="eval"``), which only
  builds a syntax tree and never runs anything;
* the tree is walked node by node and every node type not on the whitelist
  (attribute access, subscripts, lambdas, comparisons, conditionals,
  containers, comprehensions, f-strings, starred arguments, walrus, keyword
  arguments, calls of anything but a whitelisted function name ...) is
  refused with a ``ValueError`` naming what was refused;
* the SymPy object is built by this module from the tree (``Integer``,
  ``Rational``, ``Symbol``, ``+ - * / **`` on SymPy objects, whitelisted
  SymPy functions); ``eval``, ``exec``, ``sympify`` and ``parse_expr`` are
  never called on user text;
* sizes are bounded so that nothing can hang: input length, tree depth and
  node count, literal magnitudes, numeric exponents (``9**9**9`` is refused),
  power towers, and the argument of ``factorial``/``binomial``.

Decimal literals are read *exactly* from their source text (``0.1`` is
``Rational(1, 10)``), so that claimed closed forms written with decimals can
be decided symbolically.
"""

from __future__ import annotations

import ast
import keyword
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import mpmath
import sympy as sp
from rnnverify.theory.symbols import RESERVED

from rnnverify.errors import ArgumentValueError

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_ABS_EXPONENT",
    "MAX_ABS_LITERAL",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "parse_constant",
    "parse_expression",
    "parse_real",
]

#: default maximum number of characters of an expression
MAX_LENGTH = 500
#: maximum nesting depth of the syntax tree
MAX_DEPTH = 60
#: maximum number of syntax-tree nodes
MAX_NODES = 400
#: maximum absolute value of a numeric literal (integers and decimals)
MAX_ABS_LITERAL = 10**15
#: maximum number of digits in a literal's text
MAX_LITERAL_DIGITS = 40
#: maximum absolute value of a numeric exponent
MAX_ABS_EXPONENT = 1000
#: maximum number of decimal digits of a number computed by folding ``a**b``
MAX_FOLDED_DIGITS = 2000
#: maximum power-tower height (``a**b**c`` has height 3)
MAX_POWER_TOWER = 3
#: largest numeric argument of factorial / binomial (evaluated eagerly by SymPy)
MAX_FACTORIAL_ARG = 1000


@dataclass(frozen=True)
class _Function:
    build: Callable[..., sp.Expr]
    min_args: int
    max_args: int


def _log(x: sp.Expr, base: sp.Expr | None = None) -> sp.Expr:
    return sp.log(x) if base is None else sp.log(x, base)


#: whitelisted functions: name -> (SymPy builder, arity range)
FUNCTIONS: dict[str, _Function] = {
    "exp": _Function(sp.exp, 1, 1),
    "log": _Function(_log, 1, 2),
    "ln": _Function(sp.log, 1, 1),
    "sqrt": _Function(sp.sqrt, 1, 1),
    "cbrt": _Function(sp.cbrt, 1, 1),
    "sin": _Function(sp.sin, 1, 1),
    "cos": _Function(sp.cos, 1, 1),
    "tan": _Function(sp.tan, 1, 1),
    "sinh": _Function(sp.sinh, 1, 1),
    "cosh": _Function(sp.cosh, 1, 1),
    "tanh": _Function(sp.tanh, 1, 1),
    "asin": _Function(sp.asin, 1, 1),
    "acos": _Function(sp.acos, 1, 1),
    "atan": _Function(sp.atan, 1, 1),
    "atan2": _Function(sp.atan2, 2, 2),
    "asinh": _Function(sp.asinh, 1, 1),
    "acosh": _Function(sp.acosh, 1, 1),
    "atanh": _Function(sp.atanh, 1, 1),
    "Abs": _Function(sp.Abs, 1, 1),
    "abs": _Function(sp.Abs, 1, 1),
    "re": _Function(sp.re, 1, 1),
    "im": _Function(sp.im, 1, 1),
    "conjugate": _Function(sp.conjugate, 1, 1),
    "arg": _Function(sp.arg, 1, 1),
    "sign": _Function(sp.sign, 1, 1),
    "Min": _Function(sp.Min, 1, 16),
    "Max": _Function(sp.Max, 1, 16),
    "floor": _Function(sp.floor, 1, 1),
    "ceiling": _Function(sp.ceiling, 1, 1),
    "factorial": _Function(sp.factorial, 1, 1),
    "binomial": _Function(sp.binomial, 2, 2),
}

#: named constants
CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "E": sp.E, "I": sp.I}

#: how refused node types are named in error messages
_REFUSED_NODES: dict[type, str] = {
    ast.Lambda: "lambda expressions are",
    ast.Subscript: "subscripts are",
    ast.Slice: "slices are",
    ast.Compare: "comparisons are",
    ast.BoolOp: "boolean operators (and/or) are",
    ast.IfExp: "conditional expressions (x if c else y) are",
    ast.List: "lists are",
    ast.Tuple: "tuples are",
    ast.Set: "sets are",
    ast.Dict: "dicts are",
    ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are",
    ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "generator expressions are",
    ast.JoinedStr: "f-strings are",
    ast.FormattedValue: "f-strings are",
    ast.Starred: "starred arguments are",
    ast.NamedExpr: "assignment expressions (:=) are",
    ast.Await: "await is",
    ast.Yield: "yield is",
    ast.YieldFrom: "yield is",
}

_BINOPS: dict[type, str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
}

_REFUSED_BINOPS: dict[type, str] = {
    ast.BitXor: "operator '^' is not allowed (write ** for powers)",
    ast.FloorDiv: "operator '//' is not allowed (write floor(a/b))",
    ast.Mod: "operator '%' is not allowed",
    ast.MatMult: "operator '@' is not allowed",
    ast.LShift: "operator '<<' is not allowed",
    ast.RShift: "operator '>>' is not allowed",
    ast.BitOr: "operator '|' is not allowed",
    ast.BitAnd: "operator '&' is not allowed",
}


def _short(obj: object, limit: int = 40) -> str:
    text = str(obj)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _refuse(what: str) -> ValueError:
    return ValueError(f"refused: {what}")


def _symbol_table(
    allowed: Iterable[str] | None, params: Iterable[str] | Mapping[str, sp.Symbol]
) -> dict[str, sp.Expr]:
    """Map every name the expression may use to its SymPy object; validate the declarations."""
    if allowed is None:
        names = dict(RESERVED)
    else:
        if isinstance(allowed, str):
            raise TypeError("allowed must be an iterable of names, not a string")
        names = {}
        for name in allowed:
            if name not in RESERVED:
                raise ValueError(
                    f"allowed: {name!r} is not a reserved symbol "
                    f"(reserved: {', '.join(RESERVED)}); declare it in params"
                )
            names[name] = RESERVED[name]
    if isinstance(params, str):
        raise TypeError("params must be an iterable of names, not a string")
    items = params.items() if isinstance(params, Mapping) else ((p, None) for p in params)
    for name, symbol in items:
        if not isinstance(name, str) or not name.isidentifier() or not name.isascii():
            raise ValueError(f"params: {name!r} is not a valid parameter name")
        if name.startswith("_") or keyword.iskeyword(name):
            raise ValueError(f"params: {name!r} is not allowed as a parameter name")
        if name in FUNCTIONS or name in CONSTANTS:
            raise ValueError(f"params: {name!r} collides with a function or constant name")
        if name in RESERVED:
            raise ValueError(f"params: {name!r} is a reserved symbol, not a parameter")
        if symbol is None:
            symbol = sp.Symbol(name, real=True)
        elif not isinstance(symbol, sp.Symbol):
            raise TypeError(f"params: the value for {name!r} must be a sympy Symbol")
        names[name] = symbol
    return names


def _literal(node: ast.Constant, source: str) -> sp.Expr:
    value = node.value
    if isinstance(value, bool) or value is None or value is Ellipsis:
        raise _refuse(f"constant {value!r} is not a number")
    if isinstance(value, (str, bytes)):
        raise _refuse("string literals are not allowed")
    if isinstance(value, complex):
        raise _refuse("imaginary literals are not allowed (write I, e.g. 2*I)")
    text = (ast.get_source_segment(source, node) or repr(value)).replace("_", "")
    if sum(ch.isdigit() for ch in text) > MAX_LITERAL_DIGITS:
        raise _refuse(f"numeric literal {text[:20]}... has too many digits")
    if isinstance(value, int):
        if abs(value) > MAX_ABS_LITERAL:
            raise _refuse(f"integer literal {text} exceeds {MAX_ABS_LITERAL:.0e} in magnitude")
        return sp.Integer(value)
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) > MAX_ABS_LITERAL:
            raise _refuse(f"numeric literal {text} exceeds {MAX_ABS_LITERAL:.0e} in magnitude")
        try:
            return sp.Rational(text)  # exact value of the decimal the user wrote
        except (TypeError, ValueError):  # pragma: no cover - ast accepted an odd spelling
            return sp.Rational(repr(value))
    raise _refuse(f"constant of type {type(value).__name__} is not allowed")


def _log10_abs(number: sp.Rational) -> float:
    p, q = abs(int(number.p)), int(number.q)
    return math.log10(p) - math.log10(q)


def _check_power(base: sp.Expr, exponent: sp.Expr) -> None:
    """Refuse numeric exponents above :data:`MAX_ABS_EXPONENT` and huge folded powers."""
    if not exponent.is_Number:
        return
    if exponent.is_finite is False or abs(exponent) > MAX_ABS_EXPONENT:
        raise _refuse(f"exponent {_short(exponent)} exceeds {MAX_ABS_EXPONENT} in magnitude")
    if base.is_Rational and base != 0 and exponent.is_Rational:
        digits = abs(float(exponent)) * abs(_log10_abs(base))
        if digits > MAX_FOLDED_DIGITS:
            raise _refuse(f"power {_short(base)}**{_short(exponent)} is too large to evaluate")


def _tower_height(node: ast.AST) -> int:
    """Height of the power tower ``a**b**c...`` rooted in the exponent chain of ``node``."""
    height = 0
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        height += 1
        node = node.right
        while isinstance(node, ast.UnaryOp):
            node = node.operand
    return height + 1 if height else 0


class _Builder:
    """Builds the SymPy expression from a whitelisted syntax tree."""

    def __init__(self, source: str, names: dict[str, sp.Expr]):
        self.source = source
        self.names = names

    def build(self, node: ast.AST, depth: int = 0) -> sp.Expr:
        if depth > MAX_DEPTH:
            raise _refuse(f"expression is nested more than {MAX_DEPTH} levels deep")
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise _refuse(self._describe(node))
        return method(node, depth + 1)

    def _describe(self, node: ast.AST) -> str:
        if isinstance(node, ast.Attribute):
            return f"attribute access '.{node.attr}' is not allowed"
        for kind, label in _REFUSED_NODES.items():
            if isinstance(node, kind):
                return f"{label} not allowed"
        return f"syntax element {type(node).__name__} is not allowed"

    def _Constant(self, node: ast.Constant, depth: int) -> sp.Expr:
        return _literal(node, self.source)

    def _Name(self, node: ast.Name, depth: int) -> sp.Expr:
        name = node.id
        if name in self.names:
            return self.names[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in FUNCTIONS:
            raise _refuse(f"function {name!r} must be called, e.g. {name}(x)")
        if name.startswith("__"):
            raise _refuse(f"name {name!r} is not allowed")
        allowed = ", ".join([*self.names, *CONSTANTS])
        raise ValueError(f"refused: unknown name {name!r} (allowed names: {allowed})")

    def _UnaryOp(self, node: ast.UnaryOp, depth: int) -> sp.Expr:
        operand = self.build(node.operand, depth)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        op = "not" if isinstance(node.op, ast.Not) else "~"
        raise _refuse(f"operator '{op}' is not allowed")

    def _BinOp(self, node: ast.BinOp, depth: int) -> sp.Expr:
        op = type(node.op)
        if op in _REFUSED_BINOPS:
            raise _refuse(_REFUSED_BINOPS[op])
        if op not in _BINOPS:  # pragma: no cover - every BinOp is listed above
            raise _refuse(f"operator {op.__name__} is not allowed")
        if op is ast.Pow and _tower_height(node) > MAX_POWER_TOWER:
            raise _refuse(f"power towers higher than {MAX_POWER_TOWER} are not allowed")
        left = self.build(node.left, depth)
        right = self.build(node.right, depth)
        if op is ast.Add:
            return left + right
        if op is ast.Sub:
            return left - right
        if op is ast.Mult:
            return left * right
        if op is ast.Div:
            return left / right
        _check_power(left, right)
        return left**right

    def _Call(self, node: ast.Call, depth: int) -> sp.Expr:
        func = node.func
        if isinstance(func, ast.Attribute):
            raise _refuse(f"attribute access '.{func.attr}' is not allowed")
        if not isinstance(func, ast.Name):
            raise _refuse("calling anything but a named function is not allowed")
        name = func.id
        if name not in FUNCTIONS:
            known = ", ".join(sorted(set(FUNCTIONS)))
            raise _refuse(f"call of unknown function {name!r} (allowed functions: {known})")
        if node.keywords:
            raise _refuse(f"keyword arguments in {name}(...) are not allowed")
        spec = FUNCTIONS[name]
        if not spec.min_args <= len(node.args) <= spec.max_args:
            arity = (
                str(spec.min_args)
                if spec.min_args == spec.max_args
                else f"{spec.min_args} to {spec.max_args}"
            )
            raise ValueError(f"{name}() takes {arity} argument(s), got {len(node.args)}")
        args = [self.build(a, depth) for a in node.args]
        if name in ("factorial", "binomial"):
            for a in args:
                if a.is_Number and abs(a) > MAX_FACTORIAL_ARG:
                    raise _refuse(f"{name} of a number above {MAX_FACTORIAL_ARG}")
        try:
            return spec.build(*args)
        except (TypeError, ValueError, ArithmeticError, NotImplementedError) as exc:
            raise ValueError(
                f"{name}() is undefined for these arguments: {_short(exc, 80)}"
            ) from None


def _check_text(text: object, max_length: int) -> str:
    if not isinstance(text, str):
        raise TypeError(f"expression must be a str, got {type(text).__name__}")
    if len(text) > max_length:
        raise ValueError(f"expression is too long ({len(text)} > {max_length} characters)")
    if not text.strip():
        raise ValueError("expression is empty")
    if "#" in text:
        raise ValueError(f"comments ('#' at position {text.index('#')}) are not allowed")
    for pos, ch in enumerate(text):
        if not ch.isascii():
            raise ValueError(
                f"non-ASCII character {ch!r} at position {pos} (use names like lam, theta, rho)"
            )
        if not ch.isprintable() and ch not in " \t":
            raise ValueError(f"control character {ch!r} at position {pos}")
    return text


def parse_expression(
    text: str,
    allowed: Iterable[str] | None = None,
    *,
    params: Iterable[str] | Mapping[str, sp.Symbol] = (),
    max_length: int = MAX_LENGTH,
) -> sp.Expr:
    """Parse the user expression ``text`` into a SymPy expression, refusing anything unsafe.

    ``allowed`` lists the reserved names (:data:`theory.symbols.RESERVED`) the
    expression may use (default: all of them); they map to the shared symbols
    with their assumptions.  ``params`` declares extra parameter names (real
    symbols), or maps names to the caller's own symbols.  Raises ``TypeError``
    when ``text`` is not a string and ``ValueError`` (message starting with
    ``refused:`` for forbidden constructs) for everything else.
    """
    names = _symbol_table(allowed, params)
    text = _check_text(text, max_length)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        raise ValueError(f"could not parse expression: {exc.msg}{where}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ValueError(f"could not parse expression: {type(exc).__name__}") from None
    count = sum(1 for _ in ast.walk(tree))
    if count > MAX_NODES:
        raise _refuse(f"expression has too many parts ({count} > {MAX_NODES})")
    try:
        expr = _Builder(text.strip(), names).build(tree.body)
    except RecursionError:  # pragma: no cover - depth is capped well below the limit
        raise _refuse("expression is nested too deeply") from None
    if not isinstance(expr, sp.Expr):
        raise ValueError("expression does not evaluate to a number or formula")
    for power in expr.atoms(sp.Pow):  # SymPy merges (x**a)**b and x**a*x**b: check the result
        if power.exp.is_Number and abs(power.exp) > MAX_ABS_EXPONENT:
            raise _refuse(
                f"exponent {_short(power.exp)} (after combining powers) exceeds "
                f"{MAX_ABS_EXPONENT} in magnitude"
            )
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ValueError(
            f"expression is undefined or infinite ({_short(expr)}), e.g. a division by zero"
        )
    return expr


def parse_constant(text: str, *, name: str = "value", max_length: int = 200) -> sp.Expr:
    """Parse a constant expression (no free symbols), e.g. ``"pi/4"`` or ``"1 - 1e-8"``.

    The error names the argument ``name`` (an :class:`~rnnverify.errors.ArgumentValueError`
    when ``name`` is a Python argument name, which the CLI spells as its flag).
    """
    try:
        expr = parse_expression(text, allowed=(), max_length=max_length)
    except ValueError as exc:
        raise _named_error(name, str(exc)) from None
    if expr.free_symbols:  # pragma: no cover - allowed=() admits no symbol
        raise _named_error(name, "must be a constant")
    return expr


def _named_error(name: str, message: str) -> ValueError:
    if name.isidentifier():
        return ArgumentValueError(name, message)
    return ValueError(f"{name}: {message}")


def parse_real(text: str, *, name: str = "value", dps: int = 50):
    """A finite real ``mpmath.mpf`` from a constant expression ``text`` (evaluated at ``dps``)."""

    expr = parse_constant(text, name=name)
    value = sp.N(expr, dps)
    if not value.is_real or not value.is_finite:
        raise _named_error(name, f"must be a finite real number, got {text!r}")
    with mpmath.workdps(dps):
        return mpmath.mpf(value._mpf_ if hasattr(value, "_mpf_") else str(value))
