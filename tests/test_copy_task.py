"""Copy problem (numerics.dizzy.copy_task): data layout of both variants, determinism, a short
run."""

from __future__ import annotations

import math

import pytest
import torch
from rnnverify.numerics.dizzy.copy_task import (
    CopyTaskConfig,
    make_batch,
    scored_steps,
    train_copy_task,
)


def test_dizzy_variant_layout():
    cfg = CopyTaskConfig()  # 10 symbols, lag 90
    x, y = make_batch(cfg, 7, torch.Generator().manual_seed(0))
    assert x.shape == (100, 7, 12) and y.shape == (100, 7)
    idx = x.argmax(-1)
    assert torch.all(x.sum(-1) == 1)  # one-hot
    assert torch.all((idx[:10] >= 2) & (idx[:10] <= 11))  # symbols 2..11 at steps 0..9
    assert torch.all(idx[89] == 0)  # trigger at num_steps − copy_len − 1
    assert torch.all(idx[10:89] == 1) and torch.all(idx[90:] == 1)  # blanks
    assert torch.equal(y[90:], idx[:10])  # recalled after lag 90
    assert torch.all(y[:90] == 1)
    assert scored_steps(cfg) == slice(90, 100)
    assert cfg.chance_accuracy == 0.1 and cfg.chance_loss == pytest.approx(math.log(10))


def test_arjovsky_variant_layout():
    cfg = CopyTaskConfig(variant="arjovsky", lag=30)  # T = 20 blanks
    x, y = make_batch(cfg, 5, torch.Generator().manual_seed(1))
    idx = x.argmax(-1)
    assert x.shape == (40, 5, 10) and y.shape == (40, 5)  # length T + 20
    assert torch.all((idx[:10] >= 1) & (idx[:10] <= 8))
    assert torch.all(idx[10:29] == 0) and torch.all(idx[29] == 9) and torch.all(idx[30:] == 0)
    assert torch.all(y[:30] == 0) and torch.equal(y[30:], idx[:10])
    assert scored_steps(cfg) == slice(None)
    assert cfg.chance_loss == pytest.approx(10 * math.log(8) / 40)
    assert cfg.chance_accuracy == pytest.approx((30 + 10 / 8) / 40)


def test_config_validation():
    with pytest.raises(ValueError, match="variant"):
        CopyTaskConfig(variant="adding")
    with pytest.raises(ValueError, match="lag"):
        CopyTaskConfig(lag=5)
    with pytest.raises(ValueError, match="batch_size"):
        CopyTaskConfig(batch_size=0)
    with pytest.raises(ValueError, match="unknown model"):
        train_copy_task("transformer", epochs=1)


def _tiny(model: str, seed: int = 0, **kw):
    cfg = CopyTaskConfig(lag=12, copy_len=3, batch_size=20, batches_per_epoch=4, test_size=50)
    return train_copy_task(model, epochs=kw.pop("epochs", 3), hidden=10, config=cfg, seed=seed,
                           **kw)


@pytest.mark.parametrize("model", ["dizzy", "rnn", "lstm"])
def test_short_run_shapes_and_determinism(model):
    a, b = _tiny(model), _tiny(model)
    assert len(a.accuracy) == len(a.loss) == len(a.train_loss) == 3
    assert a.accuracy == b.accuracy and a.loss == b.loss  # same seed, same numbers
    assert all(0.0 <= v <= 1.0 for v in a.accuracy)
    out = a.to_json()
    assert set(out) >= {"accuracy", "final_accuracy", "loss", "epochs_to_99", "seconds"}
    assert _tiny(model, seed=1).loss != a.loss


def test_dizzy_training_loss_decreases():
    res = _tiny("dizzy", epochs=12, lr=1e-2, model_kwargs={"rotations": 1})
    first, last = res.train_loss[0], min(res.train_loss[-3:])
    assert last < first - 0.05, res.train_loss
