"""Shared pytest configuration and helpers.

* a Hypothesis profile sized for 2-core CI;
* ``cli``: runs ``python -m rnnverify ARGS`` in a fresh interpreter (the console
  entry point, as a user runs it) and returns the ``CompletedProcess``;
* ``main_json``: runs ``rnnverify.crosscheck.cli.main(ARGV)`` in-process, asserts
  the exit code and returns the JSON document it printed;
* ``timing_sensitive`` / ``cpu_hogs``: a lock that keeps the CPU-hog test apart from
  tests that time a child process;
* ``one_line_error``: asserts a refused command's contract (nothing on stdout, one
  ``rnnverify: error:`` line on stderr naming what was wrong) and returns the line.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import rnnverify

settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,  # CI is deterministic: the same examples every run
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci")


def pytest_report_header(config) -> str:
    """Say which copy of rnnverify runs: the checkout, or an installed wheel."""
    return f"rnnverify from {Path(rnnverify.__file__).parent}"


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python -m rnnverify ARGS`` with text stdout/stderr captured; ``timeout`` in seconds."""
    return subprocess.run([sys.executable, "-m", "rnnverify", *args],
                          capture_output=True, text=True, timeout=timeout)


def check_one_line_error(result: subprocess.CompletedProcess[str] | str, *names: str) -> str:
    """The single ``rnnverify: error:`` line of a refused command; each of ``names`` must be in it.

    ``result`` is a finished process (its stdout must then be empty) or stderr text.
    """
    if isinstance(result, str):
        err = result
    else:
        assert result.stdout == "", result.stdout
        err = result.stderr
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    (line,) = lines
    assert line.startswith("rnnverify: error:"), line
    assert "Traceback" not in err
    for name in names:
        assert name in line, (name, line)
    return line


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """:func:`run_cli`: ``cli("verify", "--quick")`` -> ``CompletedProcess``."""
    return run_cli


@pytest.fixture
def one_line_error() -> Callable[..., str]:
    """:func:`check_one_line_error`."""
    return check_one_line_error


@pytest.fixture
def main_json(capsys) -> Callable[..., Any]:
    """``main_json(argv, code=0)``: run the CLI in-process, assert the exit code, parse stdout."""
    from rnnverify.crosscheck.cli import main

    def run(argv: list[str], code: int = 0) -> Any:
        got = main(list(argv))
        captured = capsys.readouterr()
        assert got == code, captured.err
        return json.loads(captured.out)

    return run


#: lock file shared by the xdist workers of one run: tests that time a child process
#: (Ctrl-C, fault bounds) hold it shared; the CPU-hog test holds it exclusively, so the
#: hogs never starve a timed test running on the other worker
_CPU_LOCK = Path(tempfile.gettempdir()) / f"rnnverify-tests-cpu-{os.getuid()}.lock"


@contextlib.contextmanager
def _cpu_lock(mode: int) -> Iterator[None]:
    with open(_CPU_LOCK, "a+") as handle:
        fcntl.flock(handle, mode)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def cpu_lock_shared() -> contextlib.AbstractContextManager[None]:
    """The CPU lock held shared (for module fixtures that time child processes)."""
    return _cpu_lock(fcntl.LOCK_SH)


@pytest.fixture
def timing_sensitive() -> Iterator[None]:
    """Hold the CPU lock shared: no CPU-hog test runs meanwhile."""
    with cpu_lock_shared():
        yield


@pytest.fixture
def cpu_hogs() -> Iterator[None]:
    """Two busy processes for the duration of the test, with the CPU lock held
    exclusively (no timing-sensitive test runs on another worker meanwhile)."""
    with _cpu_lock(fcntl.LOCK_EX):
        hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
        try:
            yield
        finally:
            for hog in hogs:
                hog.kill()
                hog.wait()
