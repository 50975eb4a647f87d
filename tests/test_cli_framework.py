"""Exit codes and one-line errors of the CLI framework (README, "The commands")."""

from __future__ import annotations

import subprocess
import sys

import pytest
from rnnverify.crosscheck.cli import main


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rnnverify", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("argv", [
    ["no-such-command"],
    ["verify", "--bogus-flag"],
    ["verify", "--only", "no.such.claim*"],
    ["verify", "--seed", "-3"],
    ["verify", "--seed", "abc"],
    ["verify", "--columns", "symbolic,telepathy"],
    ["verify", "--device", "tpu"],
])
def test_bad_input_exits_2_with_one_line(argv: list[str], capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rnnverify: error:")
    assert "Traceback" not in err


def test_no_traceback_through_the_console_entry_point() -> None:
    proc = _run("verify", "--only", "no.such.claim*")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1
