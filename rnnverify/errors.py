"""Errors that name the argument at fault, spelled for whoever called.

The library raises :class:`ArgumentValueError` / :class:`ArgumentTypeError` with the
Python name of the argument (``lam``, ``wrt``, ``at``); ``str(exc)`` reads
``"lam: must depend on at least one parameter"``.  A message may name other arguments
as ``{name}`` placeholders.  The command line spells the same error with its flags
(``"--lam: ..."``) through :meth:`ArgumentProblem.render`, in one place
(:func:`rnnverify.crosscheck.cli._common.user_input`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["ArgumentProblem", "ArgumentTypeError", "ArgumentValueError"]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class ArgumentProblem(Exception):
    """An error in the argument ``argument`` (its Python name); see the module docstring."""

    def __init__(self, argument: str, message: str) -> None:
        if not isinstance(argument, str) or not argument.isidentifier():
            raise ValueError(f"argument must be a Python name, got {argument!r}")
        self.argument = argument
        self.template = message
        super().__init__(self.render())

    def render(self, spell: Callable[[str], str] = str) -> str:
        """The message with every argument name spelled by ``spell`` (``str``: Python names).

        The argument at fault is put in front (``"NAME: message"``) unless the message
        names it itself as ``{NAME}``.
        """
        body = _PLACEHOLDER.sub(lambda m: spell(m.group(1)), self.template)
        if "{" + self.argument + "}" in self.template:
            return body
        return f"{spell(self.argument)}: {body}"


class ArgumentValueError(ArgumentProblem, ValueError):
    """A named argument has a value the function cannot accept."""


class ArgumentTypeError(ArgumentProblem, TypeError):
    """A named argument has the wrong type."""
