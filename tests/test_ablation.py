"""The Fig. 3B ablation students (Zucchet & Orvieto 2024, §4.2): layouts, the γ variant's
normalization, a short training run per variant and the figure."""

from __future__ import annotations

import math

import pytest
import torch
from rnnverify.numerics.networks.ablation import (
    VARIANTS,
    init_variant,
    train_variant,
    variant_impulse,
)
from rnnverify.numerics.networks.teacher_student import Protocol

TINY = Protocol(teacher_hidden=4, student_hidden=4, seq_len=40, batch=4, steps=5, eval_batch=8)


def test_head_students_are_block_diagonal() -> None:
    layout, theta = init_variant("block_diagonal", 6, 0.99, seed=0)
    assert layout["model"] == "heads" and len(layout["mask"]) == 3 * 4
    assert all(i // 2 == j // 2 for i, j in layout["mask"])
    more, _ = init_variant("more_neurons", 6, 0.99, seed=0)
    assert more["hidden"] == 12
    assert theta.shape[0] == 12 + 6 + 6 + 1


def test_gamma_variant_is_the_complex_one_with_b_scaled() -> None:
    """log γ = 0 reproduces the γ-free response; log γ = log 2 doubles it (k is linear in B)."""
    lg, th = init_variant("gamma", 3, 0.9, seed=1)
    lc, _ = init_variant("complex", 3, 0.9, seed=1)
    n = 3
    base = torch.cat([th[:2 * n], th[3 * n:]])
    k0 = variant_impulse(lc, base, 30)
    th1 = th.clone()
    th1[2 * n:3 * n] = 0.0
    assert torch.allclose(variant_impulse(lg, th1, 30)[1:], k0[1:], atol=1e-15)
    th1[2 * n:3 * n] = math.log(2.0)
    assert torch.allclose(variant_impulse(lg, th1, 30)[1:], 2 * k0[1:], atol=1e-14)
    mod = torch.sqrt(th[:n] ** 2 + th[n:2 * n] ** 2)
    assert torch.allclose(torch.exp(th[2 * n:3 * n]), torch.sqrt(1 - mod**2))
    assert bool((mod >= 0.9 - 1e-12).all())


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_trains(variant: str) -> None:
    r = train_variant(variant, 0.9, 1e-3, seed=0, protocol=TINY)
    assert not r["diverged"] and 0 < r["final_loss"] < r["initial_loss"] * 1.5
    with pytest.raises(ValueError, match="^variant must be one of rnn, "):
        init_variant("gru", 4, 0.9)


def test_fig3b_renders() -> None:
    from rnnverify.crosscheck.report.figures import fig3b

    doc = {"nu0": 0.99, "seeds": 2, "protocol": {"steps": 5},
           "rows": [{"variant": v, "final_loss_mean": 1.0 + i, "final_loss_stderr": 0.1}
                    for i, v in enumerate(VARIANTS)]}
    assert fig3b(doc)[:8] == b"\x89PNG\r\n\x1a\n"
