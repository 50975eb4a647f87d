"""Markdown for notebooks: results render in Jupyter (``_repr_markdown_``) as the CLI's
rich tables render in a terminal, with SymPy expressions as LaTeX."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import mpmath
import sympy as sp


def cell(value: Any) -> str:
    """Table-cell text: a ``|`` would end the cell, so it is escaped."""
    return str(value).replace("|", r"\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(cell(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


#: how the reserved symbols are typeset
_SYMBOL_NAMES = {"lam": r"\lambda", "lam2": r"\lambda'", "theta": r"\theta",
                 "theta2": r"\theta'", "rho": r"\rho"}


def latex_body(expr: Any) -> str:
    """LaTeX of a SymPy expression, ``lam``/``rho``/``theta`` typeset as λ, ρ, θ."""
    names = {s: _SYMBOL_NAMES[s.name] for s in getattr(expr, "free_symbols", ())
             if getattr(s, "name", None) in _SYMBOL_NAMES}
    return sp.latex(expr, symbol_names=names)


def latex(expr: Any) -> str:
    """Inline LaTeX of a SymPy expression (``$...$``)."""
    return f"${latex_body(expr)}$"


def latex_number(value: Any, digits: int = 15) -> str:
    """A number with ``digits`` significant digits (mpmath numbers keep their precision)."""
    if isinstance(value, (mpmath.mpf, mpmath.mpc)):
        return mpmath.nstr(value, digits)
    if isinstance(value, float):
        return f"{value:.{min(digits, 17)}g}"
    return str(value)
