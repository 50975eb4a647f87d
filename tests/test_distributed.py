"""numerics.memory.distributed: 2 processes over gloo agree with 1; faults end the run, one line.

The multi-process scenarios are started together by one module fixture (they
mostly wait on each other or on timeouts, so running them side by side keeps
the file near 30 s of wall time on 2 shared cores):

* ``torchrun``: ``python -m torch.distributed.run --nproc-per-node 2 --no-python
  rnnverify simulate … --json`` (the contract) on loopback;
* ``api``: two ranks launched with torchrun's variables running this file as a
  worker (circulant input, coupled γ, a reparametrization, a finite horizon, and
  the cross-moment claim's Monte Carlo column from crosscheck.claims.mc_columns);
* ``raise`` (under torchrun) / ``crash`` / ``hang``: rank 1 fails through the test
  hook ``RNNVERIFY_TEST_FAIL_RANK=1`` with ``RNNVERIFY_TEST_FAIL_MODE`` raise / exit / hang;
* ``absent``: rank 0 of 2 whose peer never comes.

Agreement is required to relative 1e-12 (in practice the per-block states are
bitwise equal and merged in the same order, so the estimates are identical).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import cpu_lock_shared
from hypothesis import given, settings
from hypothesis import strategies as st
from rnnverify.crosscheck.cli import launch
from rnnverify.numerics.memory import distributed as D

REL = 1e-12
#: the fault bound used by the fault scenarios (RNNVERIFY_DIST_TIMEOUT, seconds); it also
#: bounds the join, and the six scenarios start together (a dozen processes importing torch
#: on 2 cores), so it leaves room for a slow start: at 3 s a loaded run once failed to join
FAULT_TIMEOUT_S = 20
#: liveness limit for every scenario (start-up on a loaded 2-core machine included)
WAIT_S = 150

SIM_ARGS = ["simulate", "--lam", "0.9,0.6", "--theta", "0.4", "--rho", "0.5",
            "--samples", "20000", "--steps", "60", "--seed", "7", "--chunk", "8192",
            "--no-theory", "--json"]
FAULT_ARGS = ["simulate", "--lam", "0.5", "--samples", "9000", "--steps", "20",
              "--no-theory", "--json"]

#: configurations the ``api`` worker simulates (keywords of simulate_moments)
API_CASES = {
    "circulant": dict(lam=[0.8, -0.5], autocorr="1/(1+k**2)", n_samples=700, steps=40,
                      seed=3, chunk_samples=300),
    "coupled": dict(lam=[0.7, 0.3], rho=0.3, gamma=[0.714142842854285, 0.953939201416946],
                    gamma_prime=[-0.98019605881960, -0.31448545101657], n_samples=9000,
                    horizon=25, seed=11, chunk_samples=4096),
    "reparam": dict(lam=[0.6 + 0.2j], rho=-0.4, reparam={"p": ([0.3 - 0.1j], [0.0])},
                    n_samples=5000, steps=30, seed=5, chunk_samples=2048),
}
#: a point of the cross-moment claim (Monte Carlo column with cross pairs)
CROSS_POINT = {"lam": 0.9, "lam2": 0.7, "rho": 0.5}


# ----------------------------------------------------------------------- launching


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT",
                        D.ENV_FAIL_RANK, D.ENV_FAIL_MODE, D.ENV_TIMEOUT)}
    env.update(MASTER_ADDR="127.0.0.1", OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    if Path("/sys/class/net/lo").exists():
        env["GLOO_SOCKET_IFNAME"] = "lo"  # loopback only
    env.update(extra)
    return env


def _rnnverify() -> list[str]:
    exe = shutil.which("rnnverify", path=str(Path(sys.executable).parent)) or \
        shutil.which("rnnverify")
    return [exe] if exe else [sys.executable, "-m", "rnnverify"]


@dataclass
class Proc:
    popen: subprocess.Popen
    started: float
    rc: int | None = None
    out: str = ""
    err: str = ""
    seconds: float = math.nan


def _ranks(cmd: list[str], n_ranks: int, *, spawn: range | None = None,
           **extra: str) -> list[Proc]:
    """Start ranks ``spawn`` (default all) of an ``n_ranks`` run with torchrun's variables."""
    port = str(_free_port())
    procs = []
    for r in spawn if spawn is not None else range(n_ranks):
        env = _env(WORLD_SIZE=str(n_ranks), RANK=str(r), LOCAL_RANK=str(r), MASTER_PORT=port,
                   **extra)
        procs.append(Proc(subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                                           stderr=subprocess.PIPE, text=True),
                          time.monotonic()))
    return procs


def _torchrun(rv: list[str], args: list[str], **extra: str) -> list[Proc]:
    """``python -m torch.distributed.run --nproc-per-node 2 --no-python rnnverify ARGS``."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
           "--master-addr", "127.0.0.1", "--master-port", str(_free_port()),
           *(["--no-python", rv[0]] if len(rv) == 1 else ["-m", "rnnverify"]), *args]
    return [Proc(subprocess.Popen(cmd, env=_env(**extra), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True), time.monotonic())]


def _finish(p: Proc, timeout: float) -> Proc:
    try:
        p.out, p.err = p.popen.communicate(timeout=timeout)
        p.rc = p.popen.returncode
    except subprocess.TimeoutExpired:
        p.popen.kill()
        p.out, p.err = p.popen.communicate()
        p.rc = None  # did not end by itself
    p.seconds = time.monotonic() - p.started
    return p


@pytest.fixture(scope="module")
def launches() -> dict[str, list[Proc]]:
    with cpu_lock_shared():  # the fault bounds are timed: no CPU-hog test meanwhile
        return _launch_all()


def _launch_all() -> dict[str, list[Proc]]:
    rv = _rnnverify()
    timeout = {D.ENV_TIMEOUT: str(FAULT_TIMEOUT_S)}
    runs: dict[str, list[Proc]] = {
        "torchrun": _torchrun(rv, SIM_ARGS),
        "api": _ranks([sys.executable, str(Path(__file__).resolve()), "worker"], 2),
        "raise": _torchrun(rv, FAULT_ARGS, **{D.ENV_FAIL_RANK: "1"}, **timeout),
        "crash": _ranks(rv + FAULT_ARGS, 2, **{D.ENV_FAIL_RANK: "1", D.ENV_FAIL_MODE: "exit"},
                        **timeout),
        "hang": _ranks(rv + FAULT_ARGS, 2, **{D.ENV_FAIL_RANK: "1", D.ENV_FAIL_MODE: "hang"},
                       **timeout),
        "absent": _ranks(rv + FAULT_ARGS, 2, spawn=range(1), **timeout),
    }
    deadline = time.monotonic() + WAIT_S
    for name, procs in runs.items():
        if name == "hang":
            _finish(procs[0], max(1.0, deadline - time.monotonic()))
            procs[1].popen.send_signal(signal.SIGKILL)  # the hung rank: ours, by pid
            _finish(procs[1], 10)
            continue
        for p in procs:
            _finish(p, max(1.0, deadline - time.monotonic()))
    return runs


def _one_line_error(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.startswith("rnnverify: error:")]
    assert len(lines) == 1, err
    return lines[0]


# ------------------------------------------------------------ agreement 1 vs 2 ranks


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return a == b or abs(a - b) <= REL * max(abs(a), abs(b))


def _same(a, b) -> bool:
    """Equal structures, floats to relative 1e-12, ``seconds`` entries ignored."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = a.keys() - {"seconds"}
        return keys == b.keys() - {"seconds"} and all(_same(a[k], b[k]) for k in keys)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return _close(a, b)
    return a == b


@pytest.mark.slow
def test_torchrun_simulate_json_equals_single_process(launches, capsys) -> None:
    (p,) = launches["torchrun"]
    assert p.rc == 0, p.err
    two = json.loads(p.out)
    from rnnverify.crosscheck.cli import main

    assert main(SIM_ARGS) == 0
    one = json.loads(capsys.readouterr().out)
    timing = {"seconds", "sample_steps_per_second"}
    assert {k: v for k, v in two.items() if k not in timing | {"results"}} == \
        {k: v for k, v in one.items() if k not in timing | {"results"}}
    assert len(two["results"]) == len(one["results"]) == 2
    checked = 0
    for r2, r1 in zip(two["results"], one["results"], strict=True):
        assert r2.keys() == r1.keys()
        for key, v1 in r1.items():
            if isinstance(v1, dict):
                for field, x in v1.items():
                    assert _close(r2[key][field], x), (key, field, r2[key][field], x)
                    checked += 1
            else:
                assert r2[key] == v1
    assert checked >= 2 * 3 * 2  # h2, dh2_dlam, dh2_dtheta: estimate and stderr per λ


def _api_results(distributed: bool | None) -> dict[str, list]:
    """The ``api`` cases: in one process (``distributed=False``) or on every rank (``None``).

    Besides :data:`API_CASES`, the Monte Carlo column of the cross-moment claim
    (crosscheck.claims.mc_columns, with cross pairs) at its first quick point; input sources from
    crosscheck.model.bridge.
    """
    from rnnverify.crosscheck.claims.mc_columns import cross_mc_column
    from rnnverify.crosscheck.claims.registry import RunContext
    from rnnverify.crosscheck.model.bridge import input_source
    from rnnverify.numerics.memory.montecarlo import simulate_moments

    out: dict[str, list] = {}
    for name, case in API_CASES.items():
        kw = dict(case)
        if "autocorr" in kw:
            kw["source"] = input_source(kw.pop("autocorr"))
        res = simulate_moments(kw.pop("lam"), distributed=distributed, **kw)
        out[name] = [[pt.quantities[q].estimate, pt.quantities[q].stderr]
                     for pt in res.points for q in sorted(pt.quantities)]
        out[name].append([res.n_samples, res.steps])
    outcome = cross_mc_column()(CROSS_POINT, RunContext(seed=1))
    out["cross_column"] = [outcome.holds, outcome.detail, outcome.data]
    return out


def _worker() -> int:
    """Run by each rank of the ``api`` scenario: print the results on rank 0 only."""
    assert D.is_distributed()
    results = _api_results(None)  # distributed, from the launcher's environment
    if D.is_root():
        print(json.dumps(results))
    D.shutdown()
    return 0


@pytest.mark.slow
def test_api_two_ranks_equal_one_for_every_input_law(launches) -> None:
    rank0, rank1 = launches["api"]
    assert rank0.rc == 0 and rank1.rc == 0, rank0.err + rank1.err
    assert rank1.out == ""  # only rank 0 prints
    two = json.loads(rank0.out)
    from unittest import mock

    with mock.patch.dict(os.environ, {"WORLD_SIZE": "1"}):  # the column runs in one process
        one = _api_results(False)
    assert two.keys() == one.keys() == {*API_CASES, "cross_column"}
    assert _same(two.pop("cross_column"), one.pop("cross_column"))  # verdict, detail, data
    for name in one:
        assert len(two[name]) == len(one[name]), name
        for row2, row1 in zip(two[name], one[name], strict=True):
            for a, b in zip(row2, row1, strict=True):
                assert _close(a, b), (name, a, b)


# ------------------------------------------------------------------------- faults


@pytest.mark.slow
def test_failing_rank_is_reported_once_and_exits_nonzero(launches) -> None:
    (p,) = launches["raise"]  # under torchrun: both workers exit 3, torchrun exits 1
    assert p.rc == 1, p.err
    assert f"exitcode  : {launch.EXIT_DISTRIBUTED_FAILURE}" in p.err  # torchrun's summary
    line = _one_line_error(p.err)  # exactly one line: rank 0 prints, rank 1 does not
    assert "rank 1" in line and "injected failure" in line
    assert p.out == ""  # no partial JSON


@pytest.mark.slow
def test_crashed_rank_ends_the_run(launches) -> None:
    rank0, rank1 = launches["crash"]
    assert rank1.rc == 17  # the injected crash (os._exit)
    assert rank0.rc == launch.EXIT_DISTRIBUTED_FAILURE, rank0.err
    assert "lost contact" in _one_line_error(rank0.err)
    assert rank0.out == ""


@pytest.mark.slow
def test_silent_rank_ends_the_run_after_the_timeout(launches) -> None:
    rank0, _ = launches["hang"]
    assert rank0.rc == launch.EXIT_DISTRIBUTED_FAILURE, rank0.err  # ended by itself, not killed
    line = _one_line_error(rank0.err)
    assert "lost contact" in line and f"{FAULT_TIMEOUT_S} s" in line
    assert rank0.out == ""


@pytest.mark.slow
def test_peer_that_never_arrives_ends_the_run(launches) -> None:
    (rank0,) = launches["absent"]
    assert rank0.rc == launch.EXIT_DISTRIBUTED_FAILURE, rank0.err
    line = _one_line_error(rank0.err)
    assert "could not join the 2 processes" in line
    assert "Traceback" not in rank0.err and rank0.out == ""


# ------------------------------------------------------------------- in-process units


def test_world_from_env() -> None:
    assert D.world_from_env({}) is None
    assert D.world_from_env({"WORLD_SIZE": "1", "RANK": "0"}) is None
    w = D.world_from_env({"WORLD_SIZE": "4", "RANK": "2", "LOCAL_RANK": "0"})
    assert w == D.World(rank=2, size=4, local_rank=0) and not w.is_root
    assert D.world_from_env({"WORLD_SIZE": "2", "RANK": "1"}).local_rank == 1
    for bad, name in [({"WORLD_SIZE": "2"}, "RANK"), ({"WORLD_SIZE": "x"}, "WORLD_SIZE"),
                      ({"WORLD_SIZE": "2", "RANK": "2"}, "RANK"),
                      ({"WORLD_SIZE": "0"}, "WORLD_SIZE"),
                      ({"WORLD_SIZE": "2", "RANK": "0", "LOCAL_RANK": "-1"}, "LOCAL_RANK")]:
        with pytest.raises(ValueError, match=name):
            D.world_from_env(bad)


def test_timeout_and_backend_and_device_choice(monkeypatch) -> None:
    assert D.timeout_seconds({}) == D.DEFAULT_TIMEOUT_S
    assert D.timeout_seconds({D.ENV_TIMEOUT: "2.5"}) == 2.5
    for bad in ("0", "-1", "nan", "soon"):
        with pytest.raises(ValueError, match=D.ENV_TIMEOUT):
            D.timeout_seconds({D.ENV_TIMEOUT: bad})
    assert D.choose_backend("cpu") == "gloo"
    assert D.choose_backend("cuda", nccl_available=True) == "nccl"
    assert D.choose_backend("cuda", nccl_available=False) == "gloo"
    world = D.World(1, 2, 1)
    monkeypatch.delenv("WORLD_SIZE", raising=False)  # a single process, whatever launched pytest
    for requested in ("auto", "cpu", "cuda", "cuda:1"):  # single-process runs: unchanged
        assert D.rank_device(requested, None) == requested
    assert D.rank_device("cpu", world) == "cpu"
    import torch

    if torch.cuda.is_available():
        assert D.rank_device("auto", world) == f"cuda:{1 % torch.cuda.device_count()}"
    else:
        assert D.rank_device("auto", world) == "cpu"
        with pytest.raises(ValueError, match="cuda"):
            D.rank_device("cuda", world)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 5000), block=st.integers(1, 700), world=st.integers(1, 9),
       chunk=st.integers(1, 3000))
def test_round_plan_deals_every_block_once_in_contiguous_rounds(n, block, world, chunk) -> None:
    from rnnverify.numerics.seeding import blocks_for

    blocks = blocks_for(n, block)
    plan = D.round_plan(blocks, world, chunk)
    seen: list[int] = []
    for j in range(plan.rounds):
        this = sorted(b for r in range(world) for b, _ in plan.chunk(r, j))
        assert this  # every round has work, and continues where the last one stopped
        assert this == list(range(len(seen), len(seen) + len(this)))
        seen += this
        for r in range(world):
            ch = plan.chunk(r, j)
            assert len(ch) <= plan.slots
            assert len(ch) <= 1 or sum(s for _, s in ch) <= chunk
            assert all(b % world == r for b, _ in ch)
    assert seen == list(range(len(blocks)))


def test_one_line_messages_drop_cpp_locations() -> None:
    exc = RuntimeError("[/src/gloo/transport/tcp/pair.cc:537] Read error: Connection reset by "
                       "peer. This is typically caused by a remote worker hanging.\nmore")
    assert D._first_line(exc) == "RuntimeError: Read error: Connection reset by peer."


def test_single_process_runs_the_body_unchanged(monkeypatch) -> None:
    for var in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(var, raising=False)
    assert launch.run_command(lambda dev: 5 if dev == "auto" else 0, "auto") == 5
    import torch.distributed as dist

    assert not dist.is_initialized()
    monkeypatch.setenv("WORLD_SIZE", "3")
    monkeypatch.setenv("RANK", "7")

    class Bad(Exception):
        pass

    with pytest.raises(Bad, match="RANK"):
        launch.run_command(lambda dev: 0, "cpu", bad_input=Bad)


def test_root_only_output_silences_other_ranks(capsys) -> None:
    with launch.root_only_output(D.World(1, 2, 1)):
        print("hidden")
        print("hidden too", file=sys.stderr)
    with launch.root_only_output(D.World(0, 2, 0)):
        print("shown")
    out = capsys.readouterr()
    assert out.out == "shown\n" and out.err == ""


if __name__ == "__main__" and sys.argv[1:] == ["worker"]:
    sys.exit(_worker())


def test_round_plan_is_lazy_over_a_trillion_samples() -> None:
    """The plan of 10¹² samples (2.4·10⁸ blocks) holds the lazy block sequence: each chunk is
    made when asked, and it is the slice the round-robin rule names."""
    from rnnverify.numerics.seeding import Blocks, blocks_for

    blocks = blocks_for(10**12, 4096)
    plan = D.round_plan(blocks, 4, 65536)
    assert isinstance(plan.blocks, Blocks)
    assert plan.per_chunk == 16 and plan.slots == 16
    assert plan.rounds == ((len(blocks) + 3) // 4 + 15) // 16 == 3_814_698
    assert plan.chunk(3, 5) == tuple((b, 4096) for b in range(3 + 4 * 80, 3 + 4 * 96, 4))
    last = plan.chunk(0, plan.rounds - 1)
    assert last[-1] == (len(blocks) - 1, 10**12 - 4096 * (len(blocks) - 1))
