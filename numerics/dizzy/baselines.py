"""Baseline recurrent models with the DizzyRNN interface (docs/theory.md §6.5).

Model ids of the authors' ``runCopyProblem.py``: tanh RNN (id 2), IRNN (id 7; Le, Jaitly &
Hinton 2015: ReLU, recurrent matrix initialised to the identity, biases 0), LSTM (id 1),
GRU (id 5), and DizzyRNN.

Common interface (sequence-first, like ``torch.nn.RNN``)::

    model = make_model(name, input_size, hidden_size, generator=g)
    outputs, last = model(x)          # x (T, B, d) -> (T, B, n), (B, n)

Initial values are drawn from the given ``torch.Generator`` (PyTorch's own default schemes,
re-drawn with the generator), so the same seed gives the same model.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from rnnverify.numerics.dizzy.layer import DizzyRNN, StepFunction, recurrent_step
from torch import nn


def _reset_uniform(module: nn.Module, hidden_size: int, generator: torch.Generator | None) -> None:
    """PyTorch's default RNN init ``U(−1/√n, 1/√n)`` for every parameter, from ``generator``."""
    bound = 1.0 / math.sqrt(hidden_size)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.empty_like(p).uniform_(-bound, bound, generator=generator))


class TorchRecurrent(nn.Module):
    """Wrap ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (one layer stack) as ``x -> (outputs, last h)``."""

    def __init__(self, kind: str, input_size: int, hidden_size: int, num_layers: int = 1, *,
                 generator: torch.Generator | None = None, dtype: torch.dtype | None = None,
                 identity_init: bool = False) -> None:
        super().__init__()
        for name, v in (("input_size", input_size), ("hidden_size", hidden_size),
                        ("num_layers", num_layers)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if kind == "rnn":
            self.rnn: nn.Module = nn.RNN(input_size, hidden_size, num_layers, nonlinearity="tanh",
                                         dtype=dtype)
        elif kind == "irnn":
            self.rnn = nn.RNN(input_size, hidden_size, num_layers, nonlinearity="relu",
                              dtype=dtype)
        elif kind == "lstm":
            self.rnn = nn.LSTM(input_size, hidden_size, num_layers, dtype=dtype)
        elif kind == "gru":
            self.rnn = nn.GRU(input_size, hidden_size, num_layers, dtype=dtype)
        else:
            raise ValueError(f"kind must be rnn, irnn, lstm or gru, got {kind!r}")
        self.kind, self.input_size, self.hidden_size = kind, input_size, hidden_size
        _reset_uniform(self.rnn, hidden_size, generator)
        if kind == "irnn" or identity_init:
            with torch.no_grad():
                for name, p in self.rnn.named_parameters():
                    if name.startswith("weight_hh"):
                        p.copy_(torch.eye(hidden_size, dtype=p.dtype))
                    elif name.startswith("bias"):
                        p.zero_()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out, _ = self.rnn(x)
        return out, out[-1]

    def step_function(self) -> StepFunction:
        """``(h, x_t) ↦ h_t`` of the (single-layer) tanh RNN / IRNN with plain autograd ops."""
        if self.kind not in ("rnn", "irnn") or self.rnn.num_layers != 1:
            raise ValueError("step_function is defined for single-layer rnn and irnn only")
        r = self.rnn
        b = r.bias_ih_l0 + r.bias_hh_l0 if r.bias else None
        return recurrent_step(r.weight_hh_l0, r.weight_ih_l0, b,
                              "tanh" if self.kind == "rnn" else "relu")


ModelFactory = Callable[..., nn.Module]


def _dizzy(input_size: int, hidden_size: int, num_layers: int = 1, **kw) -> nn.Module:
    return DizzyRNN(input_size, hidden_size, num_layers, **kw)


def _torch(kind: str) -> ModelFactory:
    def factory(input_size: int, hidden_size: int, num_layers: int = 1, **kw) -> nn.Module:
        return TorchRecurrent(kind, input_size, hidden_size, num_layers, **kw)
    factory.__name__ = kind
    return factory


#: model name -> factory ``(input_size, hidden_size, num_layers=1, **kwargs) -> nn.Module``
MODELS: dict[str, ModelFactory] = {
    "dizzy": _dizzy,
    "rnn": _torch("rnn"),
    "irnn": _torch("irnn"),
    "lstm": _torch("lstm"),
    "gru": _torch("gru"),
}


def make_model(name: str, input_size: int, hidden_size: int, num_layers: int = 1,
               **kwargs) -> nn.Module:
    """Build a recurrent model by name (ValueError listing the valid names otherwise).

    Extra keyword arguments go to the model (``generator``, ``dtype``; for ``dizzy`` also
    ``rotations``, ``nonlinearity``, ``singular_values``, ``init``, ``rotation_mode``...).
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; valid models: {', '.join(MODELS)}")
    return MODELS[name](input_size, hidden_size, num_layers, **kwargs)
