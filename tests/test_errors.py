"""Errors name the argument at fault: Python names from the library, flags from the CLI."""

from __future__ import annotations

import pytest
from rnnverify.crosscheck.cli._common import InputError, flag, user_input

from rnnverify.errors import ArgumentProblem, ArgumentTypeError, ArgumentValueError


def test_python_spelling_puts_the_argument_first() -> None:
    exc = ArgumentValueError("lam", "must depend on at least one parameter")
    assert str(exc) == "lam: must depend on at least one parameter"
    assert exc.argument == "lam"
    assert isinstance(exc, ValueError) and not isinstance(exc, TypeError)


def test_placeholders_name_other_arguments_and_suppress_the_prefix() -> None:
    exc = ArgumentValueError("gamma_coupled", "{gamma_coupled} needs {gamma}")
    assert str(exc) == "gamma_coupled needs gamma"
    assert exc.render(flag) == "--gamma-coupled needs --gamma"


def test_type_errors_are_type_errors() -> None:
    exc = ArgumentTypeError("at", "must be a string or a mapping, got int")
    assert isinstance(exc, TypeError) and not isinstance(exc, ValueError)
    assert isinstance(exc, ArgumentProblem)


def test_the_cli_spells_flags_in_one_place() -> None:
    with pytest.raises(InputError, match=r"^--wrt: 'q' is not a parameter of --lam$"):
        with user_input():
            raise ArgumentValueError("wrt", "'q' is not a parameter of {lam}")


def test_an_argument_name_must_be_a_python_name() -> None:
    with pytest.raises(ValueError, match="argument must be a Python name"):
        ArgumentValueError("--lam", "x")
