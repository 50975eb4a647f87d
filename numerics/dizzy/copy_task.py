"""The copy problem (docs/theory.md §6.5).

Two variants:

* ``"dizzy"`` — as in the DizzyRNN authors' ``runCopyProblem.py``/``genCopyProblemData.py``
  (commit 34446b7, in force when arXiv v1 was posted): 10 symbols, one-hot input of size 12
  (0 = trigger, 1 = blank, 2..11 = symbols); sequence length ``lag + 10``; the symbols at steps
  0..9, the trigger at step ``lag − 1``, blanks elsewhere; targets: the symbols at steps
  ``lag..lag+9`` (lag 90 by default), blank elsewhere; loss **and** accuracy on the 10 recall
  steps only (chance: 10 % and ln 10 nats); 12 output classes.
* ``"arjovsky"`` — the standard task (Arjovsky, Shah & Bengio 2016, ``memory_problem.py``):
  8 symbols (1..8), blank 0, delimiter 9, input ``[seq(10) | 0^(T−1) | 9 | 0^10]`` of length
  ``T + 20``, target ``[0^(T+10) | seq]``, 9 output classes, loss and accuracy over **all**
  steps (baseline CE ``10 ln 8 / (T + 20)``).  Symbol ``i`` is due at step ``T + 10 + i``, so
  ``lag = T + 10`` (``--lag 90`` means ``T = 80``).

Training (authors' setup): batches of 100 freshly sampled sequences, 10 batches an epoch, a
fixed test set (the authors used 100 test sequences; we use 1000 by default for a tighter
accuracy estimate), per-epoch test accuracy and loss.  The authors used Adagrad with an
unrecorded learning rate and hidden size; :data:`DEFAULT_HYPERPARAMETERS` holds what we use
(see ``benchmarks/bench_copy.py``).  All randomness comes from ``torch.Generator`` objects:
model init from ``seed``, training data from ``seed + 1``, the test set from ``test_seed``
(the same for every model), so the same seed gives the same numbers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from rnnverify.numerics.dizzy.baselines import MODELS, make_model
from rnnverify.numerics.dizzy.copy_config import CopyTaskConfig
from torch import nn

OPTIMIZERS = ("adam", "rmsprop", "adagrad")
SCHEDULES = ("constant", "cosine")
READOUT_INITS = ("uniform", "zero")

#: per model: hidden size, optimizer, learning rate(s), gradient clipping (None = none) and
#: model keywords.  DizzyRNN: 512 units but one packed rotation (256 angles; ~13k parameters in
#: all, fewer than the 72k of the 128-unit LSTM).  Sweep (seed 0, test accuracy after 100
#: epochs; benchmarks/results/): the authors' init (W ~ N(0, 1/n), b = 0) with all n − 1
#: rotations stays at chance (Adam 1e-3 and 1e-2, 128 units); b ~ N(0, 1), W ~ N(0, 0.1²) keeps
#: the memory of the untrained layer (sign patterns stable, see DizzyRNNLayer); one rotation:
#: 128 units 92 %, 256 units 97.5 %, 512 units ≥ 99 % (2 rotations learned slower; a cosine
#: schedule and a larger lr were worse).
DEFAULT_HYPERPARAMETERS: dict[str, dict[str, Any]] = {
    "dizzy": {"hidden": 512, "optimizer": "adam", "lr": 1e-2, "angle_lr": 1e-3, "clip": None,
              "model": {"rotations": 1, "input_std": 0.1, "bias_std": 1.0}},
    "rnn": {"hidden": 128, "optimizer": "adam", "lr": 1e-3, "clip": 1.0, "model": {}},
    "irnn": {"hidden": 128, "optimizer": "adam", "lr": 1e-4, "clip": 1.0, "model": {}},
    "lstm": {"hidden": 128, "optimizer": "adam", "lr": 1e-3, "clip": 1.0, "model": {}},
    "gru": {"hidden": 128, "optimizer": "adam", "lr": 1e-3, "clip": 1.0, "model": {}},
}


def make_batch(config: CopyTaskConfig, batch: int, generator: torch.Generator,
               device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """One batch: one-hot inputs ``(L, B, input_size)`` and integer targets ``(L, B)``."""
    k, length = config.copy_len, config.length
    if config.variant == "dizzy":
        blank, trigger, first = 1, 0, 2
        seq = torch.randint(first, first + config.n_symbols, (batch, k), generator=generator)
        x = torch.full((batch, length), blank, dtype=torch.long)
        x[:, :k] = seq
        x[:, config.lag - 1] = trigger
        y = torch.full((batch, length), blank, dtype=torch.long)
        y[:, config.lag:] = seq
    else:
        seq = torch.randint(1, 1 + config.n_symbols, (batch, k), generator=generator)
        x = torch.zeros((batch, length), dtype=torch.long)
        x[:, :k] = seq
        x[:, length - k - 1] = 9  # delimiter after T − 1 blanks
        y = torch.zeros((batch, length), dtype=torch.long)
        y[:, config.lag:] = seq
    inputs = nn.functional.one_hot(x.T, config.input_size).to(dtype)
    return inputs.to(device), y.T.contiguous().to(device)


def scored_steps(config: CopyTaskConfig) -> slice:
    """Steps entering loss and accuracy: the recall steps (dizzy) or all steps (arjovsky)."""
    return slice(config.lag, config.length) if config.variant == "dizzy" else slice(None)


class CopyModel(nn.Module):
    """A recurrent model followed by a linear soft-max read-out at every step."""

    def __init__(self, rnn: nn.Module, hidden_size: int, n_classes: int,
                 generator: torch.Generator | None = None, readout_init: str = "uniform"
                 ) -> None:
        super().__init__()
        if readout_init not in READOUT_INITS:
            raise ValueError(f"readout_init must be one of {', '.join(READOUT_INITS)}; "
                             f"got {readout_init!r}")
        self.rnn = rnn
        self.readout = nn.Linear(hidden_size, n_classes)
        bound = 1.0 / math.sqrt(hidden_size)
        with torch.no_grad():
            self.readout.weight.uniform_(-bound, bound, generator=generator)
            if readout_init == "zero":  # logits 0 at start, whatever the size of h_t
                self.readout.weight.zero_()
            self.readout.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hs, _ = self.rnn(x)
        return self.readout(hs)


@dataclass
class CopyTaskResult:
    """Per-epoch learning curves (test accuracy/loss on the fixed test set)."""

    model: str
    config: dict[str, Any]
    hyperparameters: dict[str, Any]
    accuracy: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    recall_accuracy: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def final_accuracy(self) -> float | None:
        return self.accuracy[-1] if self.accuracy else None

    def epochs_to(self, threshold: float = 0.99) -> int | None:
        """First epoch (1-based) whose test accuracy reaches ``threshold``."""
        for i, a in enumerate(self.accuracy):
            if a >= threshold:
                return i + 1
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "accuracy": self.accuracy,
            "final_accuracy": self.final_accuracy,
            "loss": self.loss,
            "recall_accuracy": self.recall_accuracy,
            "train_loss": self.train_loss,
            "epochs_to_99": self.epochs_to(0.99),
            "seconds": self.seconds,
            "config": self.config,
            "hyperparameters": self.hyperparameters,
        }


def _evaluate(model: nn.Module, config: CopyTaskConfig, xs: torch.Tensor, ys: torch.Tensor
              ) -> tuple[float, float, float]:
    sc = scored_steps(config)
    with torch.no_grad():
        logits = model(xs)
        lg, tg = logits[sc], ys[sc]
        loss = nn.functional.cross_entropy(lg.reshape(-1, lg.shape[-1]), tg.reshape(-1))
        acc = (lg.argmax(-1) == tg).double().mean()
        recall = (logits[config.lag:].argmax(-1) == ys[config.lag:]).double().mean()
    return float(acc), float(loss), float(recall)


def train_copy_task(model: str = "dizzy", *, epochs: int = 100, hidden: int | None = None,
                    num_layers: int = 1,
                    config: CopyTaskConfig | None = None, seed: int = 0,
                    optimizer: str | None = None, lr: float | None = None,
                    clip: float | None | str = "default", angle_lr: float | None | str = "default",
                    schedule: str | None = None, readout_init: str | None = None,
                    device: str | torch.device = "cpu",
                    model_kwargs: dict[str, Any] | None = None,
                    on_epoch: Callable[[int, CopyTaskResult], None] | None = None
                    ) -> CopyTaskResult:
    """Train ``model`` (a :data:`numerics.dizzy.baselines.MODELS` name) on the copy problem.

    Unset ``hidden``/``optimizer``/``lr``/``angle_lr``/``clip``/model keywords come from
    :data:`DEFAULT_HYPERPARAMETERS`.  ``angle_lr`` is the learning rate of the rotation angles
    θ (``None``: same as ``lr``): a phase error of ``ε`` per step becomes ``lag·ε`` at the
    recall, so the angles want a smaller step than the other weights (like expRNN's
    ``lr_orth``).  ``schedule="cosine"`` anneals every learning rate to 0 over the run.
    Returns per-epoch test accuracy and loss (plus recall accuracy and mean training loss);
    ``on_epoch(epoch, result)`` is called after each epoch (progress bars).
    """
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; valid models: {', '.join(MODELS)}")
    defaults = DEFAULT_HYPERPARAMETERS[model]
    hidden = defaults["hidden"] if hidden is None else hidden
    for name, v in (("epochs", epochs), ("hidden", hidden)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    config = config or CopyTaskConfig()
    optimizer = optimizer or defaults["optimizer"]
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {optimizer!r}")
    lr = defaults["lr"] if lr is None else lr
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr}")
    clip = defaults["clip"] if clip == "default" else clip
    angle_lr = defaults.get("angle_lr") if angle_lr == "default" else angle_lr
    if angle_lr is not None and not (math.isfinite(angle_lr) and angle_lr > 0):
        raise ValueError(f"angle_lr must be a positive number, got {angle_lr}")
    kwargs = {**defaults["model"], **(model_kwargs or {})}
    device = torch.device(device)

    init_gen = torch.Generator().manual_seed(seed)
    data_gen = torch.Generator().manual_seed(seed + 1)
    test_gen = torch.Generator().manual_seed(config.test_seed)
    rnn = make_model(model, config.input_size, hidden, num_layers, generator=init_gen, **kwargs)
    readout_init = readout_init or defaults.get("readout_init", "uniform")
    net = CopyModel(rnn, hidden, config.n_classes, generator=init_gen,
                    readout_init=readout_init).to(device)
    opt_cls = {"adam": torch.optim.Adam, "rmsprop": torch.optim.RMSprop,
               "adagrad": torch.optim.Adagrad}[optimizer]
    angles = [p for name, p in net.named_parameters() if name.endswith("theta")]
    others = [p for name, p in net.named_parameters() if not name.endswith("theta")]
    groups = [{"params": others}]
    if angles:
        groups.append({"params": angles, "lr": lr if angle_lr is None else angle_lr})
    opt = opt_cls(groups, lr=lr)
    schedule = schedule or defaults.get("schedule", "constant")
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}; got {schedule!r}")
    total_steps = epochs * config.batches_per_epoch
    scheduler = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps)
                 if schedule == "cosine" else None)
    test_x, test_y = make_batch(config, config.test_size, test_gen, device)
    sc = scored_steps(config)

    result = CopyTaskResult(model=model, config=asdict(config), hyperparameters={
        "hidden": hidden, "num_layers": num_layers, "optimizer": optimizer, "lr": lr,
        "angle_lr": angle_lr if angles else None, "schedule": schedule, "clip": clip,
        "readout_init": readout_init,
        "seed": seed,
        "epochs": epochs, "device": str(device), **kwargs})
    start = time.perf_counter()
    for epoch in range(epochs):
        net.train()
        total = 0.0
        for _ in range(config.batches_per_epoch):
            x, y = make_batch(config, config.batch_size, data_gen, device)
            logits = net(x)[sc]
            loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                               y[sc].reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if clip is not None:
                nn.utils.clip_grad_norm_(net.parameters(), clip)
            opt.step()
            if scheduler is not None:
                scheduler.step()
            total += float(loss.detach())
        net.eval()
        acc, test_loss, recall = _evaluate(net, config, test_x, test_y)
        result.accuracy.append(acc)
        result.loss.append(test_loss)
        result.recall_accuracy.append(recall)
        result.train_loss.append(total / config.batches_per_epoch)
        result.seconds = time.perf_counter() - start
        if on_epoch is not None:
            on_epoch(epoch + 1, result)
    return result
