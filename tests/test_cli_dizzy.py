"""``rnnverify dizzy`` and ``rnnverify copy-task``: JSON keys, values, exit codes."""

from __future__ import annotations

import pytest
from rnnverify.crosscheck.cli import main


def test_dizzy_abs_preserves_the_norm(main_json):
    out = main_json(["dizzy", "--hidden", "17", "--steps", "2000", "--json"])
    assert abs(out["grad_norm_ratio"] - 1.0) < 1e-12
    assert out["max_step_deviation"] < 1e-14
    assert out["input_grad_ratio"] is None  # dense W: Theorem 4 does not apply
    assert out["hidden"] == 17 and out["steps"] == 2000 and out["rotations"] == 17
    assert {"seconds", "log10_grad_norm_ratio", "nonlinearity"} <= set(out)


def test_dizzy_square_input_and_tanh(main_json):
    out = main_json(["dizzy", "--hidden", "8", "--steps", "500", "--square-input", "--json"])
    assert abs(out["input_grad_ratio"] - 1.0) < 1e-13
    # exit 0 (main_json checks it): the command reports; a vanishing ratio is not an error
    out = main_json(["dizzy", "--hidden", "8", "--steps", "500", "--nonlinearity", "tanh",
                     "--map", "householder", "--json"])
    assert out["log10_grad_norm_ratio"] < -20 and out["map"] == "householder"


def test_dizzy_human_output(capsys):
    assert main(["dizzy", "--hidden", "4", "--steps", "50"]) == 0
    out = capsys.readouterr().out
    assert "DizzyRNN back-propagated norm" in out and "seconds" in out


@pytest.mark.parametrize(("argv", "names"), [
    (["dizzy", "--hidden", "0"], ["--hidden", "got 0"]),
    (["dizzy", "--hidden", "1"], ["--hidden must be at least 2, got 1"]),
    (["dizzy", "--steps", "-5"], ["--steps", "got -5"]),
    (["dizzy", "--steps", "ten"], ["--steps", "got 'ten'"]),
    (["dizzy", "--rotations", "0"], ["--rotations", "got 0"]),
    (["dizzy", "--nonlinearity", "sigmoid"], ["--nonlinearity", "'sigmoid'"]),
    (["dizzy", "--map", "expm"], ["--map", "'expm'"]),
    (["dizzy", "--square-input", "--input-size", "3"], ["--square-input", "--input-size"]),
    (["dizzy", "--map", "cayley", "--rotations", "3"], ["--rotations applies to --map givens"]),
    (["dizzy", "--seed", "-1"], ["--seed", "got -1"]),
    (["copy-task", "--model", "transformer"], ["--model", "'transformer'"]),
    (["copy-task", "--epochs", "0"], ["--epochs", "got 0"]),
    (["copy-task", "--hidden", "-3"], ["--hidden", "got -3"]),
    (["copy-task", "--lag", "5"], ["lag must be at least", "got 5"]),
    (["copy-task", "--lr", "nan"], ["--lr", "'nan'"]),
    (["copy-task", "--variant", "adding"], ["--variant", "'adding'"]),
    (["copy-task", "--model", "lstm", "--rotations", "2"],
     ["--rotations applies to --model dizzy"]),
])
def test_bad_input_exits_2_with_one_line(capsys, one_line_error, argv, names):
    assert main(argv + ["--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    one_line_error(captured.err, *names)


def test_copy_task_json(main_json):
    out = main_json(["copy-task", "--model", "dizzy", "--epochs", "2", "--hidden", "6", "--lag",
                     "12", "--json"])
    assert len(out["accuracy"]) == 2 and len(out["loss"]) == 2
    assert out["final_accuracy"] == out["accuracy"][-1]
    # the first (1-based) epoch at 99 % test accuracy, or None when no epoch reached it
    reached = [i + 1 for i, a in enumerate(out["accuracy"]) if a >= 0.99]
    assert out["epochs_to_99"] == (reached[0] if reached else None)
    assert out["chance_accuracy"] == 0.1 and out["seconds"] > 0
