"""``rnnverify copy-task``: train a recurrent model on the copy problem, report learning curves.

Variants (:mod:`numerics.dizzy.copy_task`): ``dizzy`` (the DizzyRNN authors' setup: 10 symbols, lag
90, loss/accuracy on the 10 recall steps, batch 100, 10 fresh batches an epoch, fixed test set)
and ``arjovsky`` (the standard task, loss/accuracy over all steps).  Unset optimizer settings
come from ``numerics.dizzy.copy_task.DEFAULT_HYPERPARAMETERS``.  Exit 0 when training ran (the
accuracy reached is the report, not a verdict), 2 on bad input.
"""

from __future__ import annotations

import argparse
from typing import Any

from rnnverify.crosscheck.cli._common import (
    EXIT_OK,
    add_device_argument,
    add_seed_argument,
    document,
    emit_json,
    non_negative_int,
    parse_float,
    positive_int,
    user_input,
)

#: rough wall time of one epoch at the default sizes on 2 CPU cores (start-line estimate)
SECONDS_PER_EPOCH = 5.0

HELP = "train DizzyRNN or a baseline on the copy problem; per-epoch test accuracy and loss"

MODEL_NAMES = ("dizzy", "rnn", "irnn", "lstm", "gru")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="dizzy", metavar="|".join(MODEL_NAMES),
                   help="dizzy (DizzyRNN), rnn (tanh), irnn, lstm or gru")
    p.add_argument("--epochs", default="100", metavar="E", help="epochs (default 100)")
    p.add_argument("--hidden", default=None, metavar="N",
                   help="hidden size (default per model: dizzy 512, others 128)")
    p.add_argument("--lag", default="90", metavar="L", help="recall lag (default 90)")
    add_seed_argument(p, "seed of the model init and training data")
    p.add_argument("--variant", default="dizzy", choices=("dizzy", "arjovsky"))
    add_device_argument(p)
    p.add_argument("--optimizer", default=None, choices=("adam", "rmsprop", "adagrad"),
                   help="default per model (numerics.dizzy.copy_task.DEFAULT_HYPERPARAMETERS)")
    p.add_argument("--lr", default=None, help="learning rate (default per model)")
    p.add_argument("--angle-lr", default=None,
                   help="dizzy only: learning rate of the rotation angles (default per model)")
    p.add_argument("--readout-init", default=None, choices=("uniform", "zero"),
                   help="read-out weight init (default per model)")
    p.add_argument("--schedule", default=None, choices=("constant", "cosine"),
                   help="learning-rate schedule (default per model)")
    p.add_argument("--rotations", default=None, metavar="K",
                   help="dizzy only: packed rotations (default per model)")
    p.add_argument("--layers", default="1", metavar="S", help="stack size (default 1)")
    p.add_argument("--threads", default=None, metavar="N", help="torch CPU threads")


#: hidden size of each model when --hidden is not given (DEFAULT_HYPERPARAMETERS of
#: numerics.dizzy.copy_task, repeated here for the memory check before torch; a test compares)
DEFAULT_HIDDEN = {"dizzy": 512, "rnn": 128, "irnn": 128, "lstm": 128, "gru": 128}

#: weight matrices per layer (gates) of each model, for the memory estimate
GATES = {"dizzy": 1, "rnn": 1, "irnn": 1, "lstm": 4, "gru": 3}


def memory_bytes(model: str, hidden: int, lag: int, layers: int, *, batch: int = 100,
                 symbols: int = 12) -> int:
    """Float32 bytes of training, at least: per layer and gate an n × n recurrent and an
    n × d input matrix, four copies (weights, gradients, two Adam moments), plus the
    activations of a batch unrolled over lag + 21 steps kept for back-propagation."""
    g = GATES.get(model, 4)
    weights = 4 * 4 * g * layers * (hidden * hidden + hidden * max(symbols, hidden))
    activations = 4 * 2 * g * layers * batch * (lag + 21) * hidden
    return weights + activations


def run(args: argparse.Namespace) -> int:
    from rnnverify.crosscheck.cli.longwork import ensure_fits
    from rnnverify.numerics.dizzy.copy_config import CopyTaskConfig

    with user_input():
        if args.model not in MODEL_NAMES:
            raise ValueError(f"--model: unknown model {args.model!r}; valid models: "
                             f"{', '.join(MODEL_NAMES)}")
        epochs = positive_int(args.epochs, "--epochs")
        hidden = None if args.hidden is None else positive_int(args.hidden, "--hidden")
        if args.model == "dizzy" and hidden is not None and hidden < 2:
            raise ValueError(f"--hidden must be at least 2 for dizzy, got {hidden}")
        lag = positive_int(args.lag, "--lag")
        seed = non_negative_int(args.seed, "--seed")
        layers = positive_int(args.layers, "--layers")
        size = DEFAULT_HIDDEN[args.model] if hidden is None else hidden
        ensure_fits(memory_bytes(args.model, size, lag, layers),
                    f"copy-task --model {args.model} --hidden {size} --lag {lag} "
                    f"(weights, gradients, optimizer state and the unrolled activations)")
        lr = None if args.lr is None else parse_float(args.lr, "--lr")
        if lr is not None and lr <= 0:
            raise ValueError(f"--lr must be positive, got {lr}")
        angle_lr = None if args.angle_lr is None else parse_float(args.angle_lr, "--angle-lr")
        if angle_lr is not None:
            if args.model != "dizzy":
                raise ValueError("--angle-lr applies to --model dizzy only")
            if angle_lr <= 0:
                raise ValueError(f"--angle-lr must be positive, got {angle_lr}")
        model_kwargs = {}
        if args.rotations is not None:
            if args.model != "dizzy":
                raise ValueError("--rotations applies to --model dizzy only")
            model_kwargs["rotations"] = positive_int(args.rotations, "--rotations")
        threads = None if args.threads is None else positive_int(args.threads, "--threads")
        config = CopyTaskConfig(variant=args.variant, lag=lag)
        # torch only after the checks that do not need it
        import torch
        from rnnverify.numerics.device import resolve_device
        from rnnverify.numerics.dizzy.copy_task import train_copy_task

        device = resolve_device(args.device)
        if threads is not None:
            torch.set_num_threads(threads)

    kwargs = dict(epochs=epochs, hidden=hidden, num_layers=layers, config=config, seed=seed,
                  optimizer=args.optimizer, lr=lr, device=device, model_kwargs=model_kwargs)
    if angle_lr is not None:
        kwargs["angle_lr"] = angle_lr
    if args.schedule is not None:
        kwargs["schedule"] = args.schedule
    if args.readout_init is not None:
        kwargs["readout_init"] = args.readout_init
    from rnnverify.crosscheck.cli.longwork import planned_work

    with planned_work("copy-task", f"{args.model}, {epochs} epochs", epochs, unit="epochs",
                      estimate_s=epochs * SECONDS_PER_EPOCH, json_mode=args.json) as progress:
        def on_epoch(epoch: int, res: Any) -> None:
            progress(1, f"epoch {epoch}: acc {res.accuracy[-1]:.3f} loss {res.loss[-1]:.3f}")

        result = train_copy_task(args.model, on_epoch=on_epoch, **kwargs)
    out = result.to_json()
    out["chance_accuracy"] = config.chance_accuracy
    out["chance_loss"] = config.chance_loss
    if args.json:
        emit_json(document("copy-task", out))
    else:
        _print(out)
    return EXIT_OK


def _print(out: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"copy problem ({out['config']['variant']}, lag {out['config']['lag']}): "
                        f"{out['model']}, hidden {out['hyperparameters']['hidden']}")
    for col in ("epoch", "test accuracy", "test loss", "train loss"):
        table.add_column(col, justify="right")
    n = len(out["accuracy"])
    shown = sorted({0, n - 1, *range(0, n, max(1, n // 10))})
    for i in shown:
        table.add_row(str(i + 1), f"{out['accuracy'][i]:.4f}", f"{out['loss'][i]:.4f}",
                      f"{out['train_loss'][i]:.4f}")
    console = Console()
    console.print(table)
    e99 = out["epochs_to_99"]
    console.print(f"final accuracy {out['final_accuracy']:.4f} (chance "
                  f"{out['chance_accuracy']:.4f}); epochs to 99 %: "
                  f"{'not reached' if e99 is None else e99}; {out['seconds']:.1f} s")
