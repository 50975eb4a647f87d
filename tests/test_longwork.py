"""Long work announces itself, impossible work is refused before allocating, Ctrl-C is clean."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rnnverify.crosscheck.cli import main
from rnnverify.crosscheck.cli.longwork import (
    RequestTooLarge,
    ensure_fits,
    format_bytes,
    format_seconds,
    planned_work,
)

#: these tests time child processes (start lines, Ctrl-C): kept apart from the CPU-hog test
pytestmark = pytest.mark.usefixtures("timing_sensitive")


def test_formatting() -> None:
    assert format_bytes(8e12) == "8.0 TB"
    assert format_bytes(512) == "512 B"
    assert format_seconds(42) == "42 s"
    assert format_seconds(7200) == "2.0 h"
    assert "days" in format_seconds(75 * 86400)


def test_ensure_fits_names_the_amount() -> None:
    ensure_fits(1e9, "a small request", available=10**10)
    with pytest.raises(RequestTooLarge, match="8.0 TB"):
        ensure_fits(8e12, "the rotation matrix", available=10**10)
    assert issubclass(RequestTooLarge, ValueError)  # the CLI maps it to exit 2


def test_start_line_without_a_terminal() -> None:
    err = io.StringIO()
    seen = []
    with planned_work("simulate", "Monte Carlo", 2e14, unit="sample-steps",
                      estimate_s=6.5e6, stream=err) as progress:
        progress(10)
        seen.append(True)
    lines = err.getvalue().splitlines()
    assert seen and len(lines) == 1
    assert lines[0].startswith("rnnverify simulate: Monte Carlo: planned 2e+14 sample-steps")
    assert "estimate ~75.2 days" in lines[0]


def test_json_mode_prints_the_start_line_even_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Tty()
    with planned_work("verify", "--quick", 40, unit="claim columns", estimate_s=50,
                      json_mode=True, stream=err) as progress:
        progress(1)
    assert err.getvalue().count("\n") == 1 and "planned 40 claim columns" in err.getvalue()


def test_dizzy_too_big_exits_2_naming_the_rotation_matrix(capsys) -> None:
    assert main(["dizzy", "--hidden", "1000000", "--steps", "10"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "8.0 TB" in err[0] and "rotation matrix" in err[0]


def test_moments_refuses_an_o_t_sum_that_cannot_fit(capsys) -> None:
    assert main(["moments", "--lam", "0.9", "--autocorr", "1/(1+k)", "--t", "10000000000",
                 "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "TB" in captured.err


def test_moments_at_t_1e9_is_the_fast_route(capsys) -> None:
    assert main(["moments", "--lam", "0.999999999", "--rho", "0.5", "--t", "1000000000",
                 "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["generating_function_method"] == "finite_doubling"
    assert rec["digits"]["h2"].startswith("1296997073.7259118591668")


def _as_from_a_terminal() -> None:
    """In the child, before exec: SIGINT handled and unblocked, as in a terminal.  A test
    worker may hold SIGINT ignored or blocked, and the child would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _interrupt(argv: list[str], prefix: str, delay: float) -> tuple[int, str, str]:
    """Start ``rnnverify ARGV``, wait for its start line, SIGINT it after ``delay`` s; the
    exit code and output (the child's signal state is in the message if it hangs)."""
    proc = subprocess.Popen([sys.executable, "-m", "rnnverify", *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_as_from_a_terminal)
    try:
        line = proc.stderr.readline()
        assert line.startswith(prefix) and "estimate ~" in line, line
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            status = Path(f"/proc/{proc.pid}/status")
            state = [ln for ln in status.read_text().splitlines() if ln.startswith("Sig")] \
                if status.exists() else []
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
            kids = children.read_text() if children.exists() else "?"
            raise AssertionError(f"no exit 60 s after SIGINT; {state}; children: {kids}") \
                from None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out, err


def test_simulate_start_line_then_ctrl_c_exits_130_cleanly() -> None:
    """1e12 samples: the start line (planned work, estimate) comes before any simulation;
    SIGINT then ends the run with exit 130, one line on stderr, nothing on stdout."""
    rc, out, err = _interrupt(
        ["simulate", "--samples", "1000000000000", "--lam", "0.9", "--json"],
        "rnnverify simulate: Monte Carlo: planned 1.95e+14 sample-steps", 0.5)
    assert rc == 130
    assert out == ""
    assert err.strip() == "rnnverify: interrupted" and "Traceback" not in err


def test_copy_task_too_big_exits_2(capsys) -> None:
    assert main(["copy-task", "--model", "lstm", "--hidden", "1000000", "--epochs", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "TB" in err[0]


def test_simulate_refuses_a_chunk_that_cannot_fit(capsys) -> None:
    assert main(["simulate", "--samples", "100000000000", "--chunk", "100000000000",
                 "--lam", "0.9", "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "TB" in captured.err


def test_seed_blocks_are_lazy() -> None:
    """10¹² samples: 2.4·10⁸ blocks, held in O(1) memory, sliced per rank lazily."""
    from rnnverify.numerics.seeding import blocks_for, rank_blocks

    blocks = blocks_for(10**12, 4096)
    assert len(blocks) == 244_140_625 and blocks[-1] == (244_140_624, 4096)
    mine = rank_blocks(blocks, 2, 3)
    assert mine[0] == (2, 4096) and len(mine) == 81_380_208
    assert blocks_for(10, 4) == [(0, 4), (1, 4), (2, 2)]


def test_progress_bar_on_a_terminal_names_the_current_item() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Tty()
    with planned_work("verify", "--quick", 3, unit="claim columns", estimate_s=5,
                      stream=err) as progress:
        progress(1, "zo.lemma1 [symbolic]")
        progress()
        progress(1)
    text = err.getvalue()
    assert "zo.lemma1 [symbolic]" in text and "ETA" in text and "3/3" in text
    assert "planned" not in text  # the bar replaces the start line


def test_verify_ctrl_c_exits_130_with_nothing_on_stdout() -> None:
    rc, out, err = _interrupt(["verify", "--quick", "--json"], "rnnverify verify: --quick", 1.0)
    assert rc == 130 and out == ""
    assert "Traceback" not in err and err.strip().endswith("rnnverify: interrupted")


def _all_children(pid: int) -> set[int]:
    """Every descendant of ``pid`` (Linux /proc)."""
    out: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        path = Path(f"/proc/{p}/task/{p}/children")
        kids = {int(k) for k in path.read_text().split()} if path.exists() else set()
        todo += sorted(kids - out)
        out |= kids
    return out


def test_verify_ctrl_c_with_workers_stops_them_all() -> None:
    """SIGINT while two worker processes run claims: exit 130 without waiting for the units
    the workers are in (the slowest takes ~15 s; stopping takes ~1 s, bound 10 s), one line
    on stderr, and no worker left running."""
    proc = subprocess.Popen([sys.executable, "-m", "rnnverify", "verify", "--quick", "--json",
                             "--jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_as_from_a_terminal)
    try:
        line = proc.stderr.readline()
        assert "2 processes" in line, line
        workers: set[int] = set()
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline:  # both workers started
            time.sleep(0.2)
            workers = _all_children(proc.pid)
        assert len(workers) >= 2, workers
        time.sleep(2.0)
        proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        out, err = proc.communicate(timeout=60)
        waited = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130 and out == ""
    assert "Traceback" not in err and err.strip().endswith("rnnverify: interrupted"), err
    assert waited < 10, f"{waited:.1f} s from SIGINT to exit"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists()
                                              and "zombie" not in _state(w) for w in workers):
        time.sleep(0.1)
    alive = [w for w in workers if Path(f"/proc/{w}").exists() and "zombie" not in _state(w)]
    assert alive == [], alive


def _state(pid: int) -> str:
    try:
        return next(ln for ln in Path(f"/proc/{pid}/status").read_text().splitlines()
                    if ln.startswith("State:"))
    except (FileNotFoundError, StopIteration):
        return "zombie (gone)"
