"""Teacher–student training (Zucchet & Orvieto 2024, §4.2, Fig. 3A): a short smoke run.

The convolution form of the networks is checked against the recurrence stepped one t at a
time (two independent routes); the training itself is deterministic under fixed seeds, so
its checks are exact (no statistical tolerance).
"""

from __future__ import annotations

import json
import math

import pytest
import torch
from rnnverify.crosscheck.schema import SCHEMA_VERSION
from rnnverify.numerics.networks.teacher_student import (
    Protocol,
    cosine_lr,
    draw_teacher,
    init_student,
    mean_and_stderr,
    outputs,
    train,
)

SMALL = Protocol(teacher_hidden=4, student_hidden=4, seq_len=40, batch=8, steps=60,
                 eval_batch=32)


def _recurrence(layout: dict, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """ŷ by stepping h_t = A h_{t−1} + B x_t (h_{−1} = 0), ŷ_t = Re(C h_t) + D x_t."""
    n = layout["hidden"]
    if layout["model"] == "dense":
        A = theta[:n * n].reshape(n, n).to(torch.complex128)
        B = theta[n * n:n * n + n].to(torch.complex128)
        C = theta[n * n + n:n * n + 2 * n].to(torch.complex128)
    else:
        p = theta[:-1].reshape(7, n)
        lam = torch.exp(-torch.exp(p[0]) + 1j * torch.exp(p[1]))
        A = torch.diag(lam)
        B = torch.exp(p[2]) * (p[3] + 1j * p[4])
        C = p[5] + 1j * p[6]
    D = theta[-1]
    h = torch.zeros(x.shape[0], n, dtype=torch.complex128)
    ys = []
    for t in range(x.shape[1]):
        h = h @ A.T + x[:, t:t + 1] * B
        ys.append((h @ C).real + D * x[:, t])
    return torch.stack(ys, dim=1)


@pytest.mark.parametrize("model", ["lru", "dense"])
def test_convolution_matches_recurrence(model: str) -> None:
    layout, theta = init_student(model, 5, 0.9, seed=3)
    x = torch.randn(4, 60, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert torch.allclose(outputs(layout, theta, x), _recurrence(layout, theta, x),
                          rtol=1e-10, atol=1e-10)


def test_teacher_moduli_lie_in_nu0_to_one() -> None:
    t = draw_teacher(10, 0.9, seed=1)
    assert 0.9 <= min(t.moduli) and max(t.moduli) < 1.0
    x = torch.randn(2, 30, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert torch.allclose(outputs(t.layout, t.theta, x), _recurrence(t.layout, t.theta, x),
                          rtol=1e-10, atol=1e-10)


def test_cosine_schedule_ends() -> None:
    assert cosine_lr(0, 100, 0.1) == pytest.approx(0.1)
    assert cosine_lr(100, 100, 0.1) == pytest.approx(1e-7)


def test_mean_and_stderr() -> None:
    mean, se = mean_and_stderr([1.0, 2.0, 3.0])
    assert mean == 2.0 and se == pytest.approx(1 / math.sqrt(3))


@pytest.mark.parametrize("model,lr", [("lru", 0.05), ("dense", 3e-3)])
def test_training_is_deterministic_and_decreases_the_loss(model: str, lr: float) -> None:
    a = train(model, 0.5, lr, seed=2, protocol=SMALL)
    b = train(model, 0.5, lr, seed=2, protocol=SMALL)
    assert a.curve == b.curve and a.final_loss == b.final_loss
    assert len(a.curve) == SMALL.steps and not a.diverged
    assert a.final_loss < 0.5 * a.initial_loss


@pytest.mark.parametrize("kwargs", [{"model": "gru"}, {"nu0": 1.0}, {"lr": -1.0},
                                    {"seed": -1}])
def test_train_rejects_bad_arguments(kwargs: dict) -> None:
    args = {"model": "lru", "nu0": 0.5, "lr": 0.01, **kwargs}
    seed = args.pop("seed", 0)
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        train(args["model"], args["nu0"], args["lr"], seed=seed, protocol=SMALL)


@pytest.mark.slow
def test_cli_json_envelope(cli) -> None:
    r = cli("teacher-student", "--nu0", "0.5", "--seeds", "2", "--steps", "10", "--lr", "0.01",
            "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["command"] == "teacher-student" and doc["schema_version"] == SCHEMA_VERSION
    assert len(r.stderr.strip().splitlines()) == 1 and "planned 4 runs" in r.stderr
    assert [(row["model"], row["nu0"]) for row in doc["rows"]] == [("lru", 0.5), ("dense", 0.5)]
    for row in doc["rows"]:
        assert row["best_lr"] == 0.01 and len(row["by_lr"][0]["final_losses"]) == 2
        assert row["final_loss_stderr"] >= 0 and row["final_loss_mean"] > 0
    assert doc["protocol"]["steps"] == 10


@pytest.mark.parametrize("args", [["--nu0", "1"], ["--nu0", "a"], ["--model", "gru"],
                                  ["--seeds", "0"], ["--lr", "-1"], ["--steps", "x"]])
def test_cli_bad_input_exits_2_with_one_line(args: list[str], cli, one_line_error) -> None:
    r = cli("teacher-student", *args)
    assert r.returncode == 2
    one_line_error(r, f"rnnverify: error: {args[0]}", args[1])


def test_cli_protocol_sizes_are_the_library_s() -> None:
    """The CLI checks sizes and work before importing torch, from its own copy of the two
    protocols: it must be the library's."""
    from rnnverify.crosscheck.cli import teacher_student as cli_ts
    from rnnverify.numerics.networks.teacher_student import FULL, REDUCED

    for mine, lib in ((cli_ts.REDUCED_PROTOCOL, REDUCED), (cli_ts.FULL_PROTOCOL, FULL)):
        assert (mine["hidden"], mine["seq_len"], mine["batch"], mine["eval_batch"],
                mine["steps"]) == (lib.student_hidden, lib.seq_len, lib.batch, lib.eval_batch,
                                   lib.steps)


def test_cli_refuses_work_beyond_the_cap_at_once(cli, one_line_error) -> None:
    # 3 ν₀ × 2 models × 2 learning rates × 100 seeds = 1200 runs × 10⁶ steps = 1.2·10⁹ > 10⁸
    r = cli("teacher-student", "--seeds", "100", "--steps", "1000000")
    assert r.returncode == 2
    one_line_error(r, "rnnverify: error: 1200 runs × 1000000 steps = 1.2e+09 Adam steps",
                   "at most 1e+08")


def test_cli_memory_estimate_refuses_what_cannot_fit() -> None:
    from rnnverify.crosscheck.cli import teacher_student as cli_ts
    from rnnverify.crosscheck.cli.longwork import RequestTooLarge, ensure_fits

    full = cli_ts.FULL_PROTOCOL
    need = cli_ts.memory_bytes(full["eval_batch"], full["seq_len"], full["hidden"])
    # 16 arrays of 1024 × 600 float64, 64² × 9 powers, 2 × 64 × 300 response values
    assert need == 8 * (16 * 1024 * 600 + 64 * 64 * 9 + 2 * 64 * 300)
    ensure_fits(need, "one run", available=2 * need)
    with pytest.raises(RequestTooLarge, match=r"one run needs 79\.\d MB"):
        ensure_fits(need, "one run", available=need)
