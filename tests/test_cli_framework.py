"""Exit codes and one-line errors of the CLI framework (README, "The commands")."""

from __future__ import annotations

import pytest
from rnnverify.crosscheck.cli import main


@pytest.mark.parametrize(("argv", "names"), [
    (["no-such-command"], ["COMMAND", "'no-such-command'"]),
    (["verify", "--bogus-flag"], ["unrecognized arguments: --bogus-flag"]),
    (["verify", "--only", "no.such.claim*"], ["--only 'no.such.claim*' matches no claim"]),
    (["verify", "--seed", "-3"], ["--seed", "got -3"]),
    (["verify", "--seed", "abc"], ["--seed", "got 'abc'"]),
    (["verify", "--columns", "symbolic,telepathy"], ["--columns", "'telepathy'"]),
    (["verify", "--device", "tpu"], ["--device", "'tpu'"]),
])
def test_bad_input_exits_2_with_one_line(argv: list[str], names: list[str], capsys,
                                         one_line_error) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    one_line_error(captured.err, *names)


def test_no_traceback_through_the_console_entry_point(cli, one_line_error) -> None:
    proc = cli("verify", "--only", "no.such.claim*", timeout=120)
    assert proc.returncode == 2
    one_line_error(proc, "--only 'no.such.claim*' matches no claim")
