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


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"quantity": "nosuch", "expr": "lam"}, r"^quantity: must be one of h2, "),
    ({"quantity": "h2", "expr": "lam +"}, r"^expr: "),
    ({"quantity": "h2", "expr": "lam", "rho": 0.5, "autocorr": "rho**Abs(k)"},
     r"^give rho or autocorr, not both$"),
    ({"quantity": "h2", "expr": "lam", "rho": 2}, r"^rho: must lie in \[-1, 1\], got 2$"),
    ({"quantity": "h2", "expr": "lam", "points": 0}, r"^points: must be an integer ≥ 1, got 0$"),
])
def test_check_claim_names_the_python_argument(kwargs, pattern) -> None:
    import rnnverify as rv

    with pytest.raises(ArgumentValueError, match=pattern):
        rv.check_claim(**kwargs)


def test_check_claim_type_errors_name_the_argument() -> None:
    import rnnverify as rv

    with pytest.raises(ArgumentTypeError, match=r"^expr: must be a string, got int$"):
        rv.check_claim("h2", 3)


@pytest.mark.parametrize(("argv", "line"), [
    (["--quantity", "h2", "--expr", "rho*lam", "--autocorr", "2**(-Abs(k))"],
     "rnnverify: error: --expr uses rho but the autocorrelation given by --autocorr does not"),
    (["--quantity", "h2", "--expr", "lam", "--rho", "2"],
     "rnnverify: error: --rho: must lie in [-1, 1], got 2"),
])
def test_check_claim_cli_spells_the_same_errors_with_flags(capsys, argv, line) -> None:
    from rnnverify.crosscheck.cli import main

    assert main(["check-claim", *argv]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [line]
