"""``rnnverify dizzy`` and ``rnnverify copy-task``: JSON keys, values, exit codes."""

from __future__ import annotations

import json

import pytest
from rnnverify.crosscheck.cli import main


def _json(capsys, argv):
    code = main(argv)
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else None, captured.err


def test_dizzy_abs_preserves_the_norm(capsys):
    code, out, _ = _json(capsys, ["dizzy", "--hidden", "17", "--steps", "2000", "--json"])
    assert code == 0
    assert abs(out["grad_norm_ratio"] - 1.0) < 1e-12
    assert out["max_step_deviation"] < 1e-14
    assert out["input_grad_ratio"] is None  # dense W: Theorem 4 does not apply
    assert out["hidden"] == 17 and out["steps"] == 2000 and out["rotations"] == 17
    assert {"seconds", "log10_grad_norm_ratio", "nonlinearity"} <= set(out)


def test_dizzy_square_input_and_tanh(capsys):
    code, out, _ = _json(capsys, ["dizzy", "--hidden", "8", "--steps", "500", "--square-input",
                                  "--json"])
    assert code == 0 and abs(out["input_grad_ratio"] - 1.0) < 1e-13
    code, out, _ = _json(capsys, ["dizzy", "--hidden", "8", "--steps", "500",
                                  "--nonlinearity", "tanh", "--map", "householder", "--json"])
    assert code == 0  # the command reports; a vanishing ratio is not an error
    assert out["log10_grad_norm_ratio"] < -20 and out["map"] == "householder"


def test_dizzy_human_output(capsys):
    assert main(["dizzy", "--hidden", "4", "--steps", "50"]) == 0
    out = capsys.readouterr().out
    assert "DizzyRNN back-propagated norm" in out and "seconds" in out


@pytest.mark.parametrize("argv", [
    ["dizzy", "--hidden", "0"],
    ["dizzy", "--hidden", "1"],
    ["dizzy", "--steps", "-5"],
    ["dizzy", "--steps", "ten"],
    ["dizzy", "--rotations", "0"],
    ["dizzy", "--nonlinearity", "sigmoid"],
    ["dizzy", "--map", "expm"],
    ["dizzy", "--square-input", "--input-size", "3"],
    ["dizzy", "--map", "cayley", "--rotations", "3"],
    ["dizzy", "--seed", "-1"],
    ["copy-task", "--model", "transformer"],
    ["copy-task", "--epochs", "0"],
    ["copy-task", "--hidden", "-3"],
    ["copy-task", "--lag", "5"],
    ["copy-task", "--lr", "nan"],
    ["copy-task", "--variant", "adding"],
    ["copy-task", "--model", "lstm", "--rotations", "2"],
])
def test_bad_input_exits_2_with_one_line(capsys, argv):
    assert main(argv + ["--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1 and "error" in captured.err


def test_copy_task_json(capsys):
    code, out, _ = _json(capsys, ["copy-task", "--model", "dizzy", "--epochs", "2", "--hidden",
                                  "6", "--lag", "12", "--json"])
    assert code == 0
    assert len(out["accuracy"]) == 2 and len(out["loss"]) == 2
    assert out["final_accuracy"] == out["accuracy"][-1]
    # the first (1-based) epoch at 99 % test accuracy, or None when no epoch reached it
    reached = [i + 1 for i, a in enumerate(out["accuracy"]) if a >= 0.99]
    assert out["epochs_to_99"] == (reached[0] if reached else None)
    assert out["chance_accuracy"] == 0.1 and out["seconds"] > 0
