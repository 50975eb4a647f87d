"""DizzyRNN layer (Dorobantu, Stromhaug & Renteria 2016, arXiv:1612.04035, §4.4).

Theory: docs/theory.md §6.3.

Update (authors' ``dizzyRNNCellOptHacky``: ``abs(state_out + input_out + bias)``)::

    a_t = R h_{t−1} + W x_t + b,       h_t = f(a_t),       h_0 = 0,

with ``R = Q_k ⋯ Q_1`` a product of packed Givens rotations (:mod:`numerics.dizzy.rotations`) and
``f = |·|`` (the paper's norm-preserving non-linearity, §4.3; ``tanh``/``relu`` are offered with
the same rotations to show that they make the gradient vanish).  The input matrix ``W`` is dense
(``N(0, 1/n)`` init as in the authors' ``linearTransformWithBias``) unless the input is square,
when it is itself a product of packed rotations (§4.4 second equation; layers ≥ 2 of a stack).
With ``singular_values=True`` each rotation map becomes ``U diag(σ) V`` (§5; docs/theory.md
§6.4) and
:meth:`DizzyRNN.regularizer` gives ``λ/2 · mean_layers mean_i (σ_i − 1)²`` (authors' final
``regularizeSpread``).

Jacobians (docs/theory.md §6.3): ``∂h_t/∂h_{t−1} = D_t R``, ``∂h_t/∂x_t = D_t W`` with
``D_t = diag(f′(a_t))`` (``±1`` for abs), hence Theorems 3 and 4.

Speed: by default ``R`` is assembled once per forward pass (``O(kn²)``) and the time loop runs
in :class:`_ElementwiseRecurrence`, a custom autograd function whose backward is the explicit
reverse loop ``g_{t−1} = Rᵀ (D_t g_t) + ∂L/∂h_{t−1}`` with the weight gradient
``Σ_t D_t g_t h_{t−1}ᵀ`` taken as one mat-mul at the end.  Its gradients are checked against
plain autograd through :meth:`DizzyRNNLayer.step_function` in ``tests/test_dizzy_layer.py``.
``rotation_mode="packed"`` instead applies the ``k`` rounds to the state at every step with
ordinary autograd (``O(kn)`` flops per step, no ``n×n`` matrix; slower on CPU, see
``benchmarks/bench_dizzy.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from rnnverify.numerics.dizzy.rotations import ROTATION_MODES, PackedRotations
from torch import nn

NONLINEARITIES = ("abs", "tanh", "relu")

StepFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def check_nonlinearity(name: str) -> str:
    """Validate a non-linearity name (ValueError listing the valid ones)."""
    if name not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {', '.join(NONLINEARITIES)}; got {name!r}")
    return name


def activation(a: torch.Tensor, nonlinearity: str) -> torch.Tensor:
    """``f(a)`` for ``abs``, ``tanh`` or ``relu``."""
    if nonlinearity == "abs":
        return torch.abs(a)
    if nonlinearity == "tanh":
        return torch.tanh(a)
    if nonlinearity == "relu":
        return torch.relu(a)
    raise ValueError(check_nonlinearity(nonlinearity))


def activation_derivative(a: torch.Tensor, h: torch.Tensor, nonlinearity: str) -> torch.Tensor:
    """``f′(a)`` (``sgn a`` for abs with ``sgn 0 = 0`` like torch, ``1 − h²`` for tanh,
    ``[a > 0]`` for relu)."""
    if nonlinearity == "abs":
        return torch.sign(a)
    if nonlinearity == "tanh":
        return 1.0 - h * h
    if nonlinearity == "relu":
        return (a > 0).to(a.dtype)
    raise ValueError(check_nonlinearity(nonlinearity))


class _ElementwiseRecurrence(torch.autograd.Function):
    """``h_t = f(R h_{t−1} + u_t)`` for ``t = 1..T`` with an explicit reverse-loop backward."""

    @staticmethod
    def forward(ctx, u: torch.Tensor, r: torch.Tensor, h0: torch.Tensor,  # type: ignore[override]
                nonlinearity: str) -> torch.Tensor:
        steps = u.shape[0]
        hs = u.new_empty(u.shape)
        ds = u.new_empty(u.shape)
        rt = r.transpose(0, 1)
        h = h0
        for t in range(steps):
            a = torch.addmm(u[t], h, rt)
            h = activation(a, nonlinearity)
            hs[t] = h
            ds[t] = activation_derivative(a, h, nonlinearity)
        ctx.save_for_backward(r, h0, hs, ds)
        return hs

    @staticmethod
    def backward(ctx, grad_hs: torch.Tensor):  # type: ignore[override]
        r, h0, hs, ds = ctx.saved_tensors
        steps, n = hs.shape[0], hs.shape[-1]
        deltas = torch.empty_like(hs)
        g = torch.zeros_like(h0)
        for t in range(steps - 1, -1, -1):
            g = g + grad_hs[t]
            delta = ds[t] * g  # ∂L/∂a_t
            deltas[t] = delta
            g = delta @ r  # row form of Rᵀ δ
        grad_r = None
        if ctx.needs_input_grad[1]:
            h_prev = torch.cat([h0.unsqueeze(0), hs[:-1]], dim=0)
            grad_r = deltas.reshape(-1, n).transpose(0, 1) @ h_prev.reshape(-1, n)
        return deltas, grad_r, g, None


def elementwise_recurrence(u: torch.Tensor, r: torch.Tensor, h0: torch.Tensor,
                           nonlinearity: str = "abs") -> torch.Tensor:
    """All states ``h_1..h_T`` (shape ``(T, B, n)``) of ``h_t = f(R h_{t−1} + u_t)``.

    ``u`` is ``(T, B, n)`` (the input drive ``W x_t + b``), ``r`` is ``(n, n)``, ``h0`` ``(B, n)``.
    Differentiable w.r.t. ``u``, ``r`` and ``h0``.
    """
    check_nonlinearity(nonlinearity)
    return _ElementwiseRecurrence.apply(u, r, h0.expand(u.shape[1], -1).contiguous(),
                                        nonlinearity)


def recurrent_step(r: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None,
                   nonlinearity: str = "abs") -> StepFunction:
    """The one-step map ``(h, x) ↦ f(R h + W x + b)`` built from plain torch ops (autograd-able).

    Works on rows: ``h`` is ``(..., n)`` and ``x`` is ``(..., d)``.
    """
    check_nonlinearity(nonlinearity)
    rt, wt = r.transpose(0, 1), w.transpose(0, 1)

    def step(h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        a = h @ rt + x @ wt
        if b is not None:
            a = a + b
        return activation(a, nonlinearity)

    return step


class DizzyRNNLayer(nn.Module):
    """One DizzyRNN layer ``h_t = f(R h_{t−1} + W x_t + b)`` (sequence-first, like ``nn.RNN``).

    Args:
        input_size, hidden_size: ``d`` and ``n`` (``n ≥ 2``; odd ``n`` allowed).
        rotations: packed rotations ``k`` in ``R`` (``None`` = all ``n−1`` rounds, ``n`` if odd).
        nonlinearity: ``"abs"`` (DizzyRNN), ``"tanh"`` or ``"relu"``.
        square_input: ``W`` is a product of packed rotations (needs ``input_size == hidden_size``).
        input_rotations: ``k`` for a square ``W`` (default: same as ``rotations``).
        singular_values: expose ``U Σ V`` in every rotation map (σ init 1).
        bias: learn ``b`` (init 0).
        rotation_mode: ``"dense"`` (assemble ``R`` once per forward, default) or ``"packed"``.
        init: angles ``"uniform"`` on ``[0, 2π)`` or ``"zero"`` (``R = I``).
        input_std: std of the dense ``W`` init (default ``1/√n``, the authors' choice).
        bias_std: std of the ``b`` init (default 0, the authors' choice).  A bias that is large
            next to ``W x_t`` keeps the signs of ``a_t`` stable across sequences, so ``|·|``
            acts almost linearly on their differences and the memory of an untrained layer
            lasts (see ``benchmarks/bench_copy.py``).
        generator: ``torch.Generator`` for all initial values (deterministic construction).
        dtype: parameter dtype (default: torch default dtype).
    """

    def __init__(self, input_size: int, hidden_size: int, *, rotations: int | None = None,
                 nonlinearity: str = "abs", square_input: bool = False,
                 input_rotations: int | None = None, singular_values: bool = False,
                 bias: bool = True, rotation_mode: str = "dense", init: str = "uniform",
                 input_std: float | None = None, bias_std: float = 0.0,
                 generator: torch.Generator | None = None,
                 dtype: torch.dtype | None = None) -> None:
        super().__init__()
        for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"{name} must be an int, got {type(v).__name__}")
            if v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v}")
        if hidden_size < 2:
            raise ValueError(f"hidden_size must be at least 2 for rotations, got {hidden_size}")
        if rotation_mode not in ROTATION_MODES:
            raise ValueError(f"rotation_mode must be one of {ROTATION_MODES}, "
                             f"got {rotation_mode!r}")
        if square_input and input_size != hidden_size:
            raise ValueError(f"square_input needs input_size == hidden_size, got {input_size} and "
                             f"{hidden_size}")
        self.input_size, self.hidden_size = input_size, hidden_size
        self.nonlinearity = check_nonlinearity(nonlinearity)
        self.rotation_mode = rotation_mode
        dtype = dtype or torch.get_default_dtype()
        common = dict(mode=rotation_mode, init=init, singular_values=singular_values,
                      generator=generator, dtype=dtype)
        self.recurrent = PackedRotations(hidden_size, rotations, **common)
        self.square_input = square_input
        if square_input:
            k_in = rotations if input_rotations is None else input_rotations
            self.input_rotations = PackedRotations(hidden_size, k_in, **common)
            self.register_parameter("weight_ih", None)
        else:
            std = 1.0 / math.sqrt(hidden_size) if input_std is None else input_std
            w = torch.randn(hidden_size, input_size, generator=generator, dtype=dtype)
            self.weight_ih = nn.Parameter(w * std)
            self.input_rotations = None
        if bias:
            b = torch.randn(hidden_size, generator=generator, dtype=dtype) * bias_std
            self.bias = nn.Parameter(b)
        else:
            self.register_parameter("bias", None)

    # -- the linear maps -------------------------------------------------------------------
    def recurrent_matrix(self) -> torch.Tensor:
        """Dense ``R`` (``U Σ V`` with exposed singular values)."""
        return self.recurrent.matrix()

    def input_matrix(self) -> torch.Tensor:
        """Dense ``W`` (``n × d``)."""
        if self.input_rotations is not None:
            return self.input_rotations.matrix()
        return self.weight_ih

    def input_drive(self, x: torch.Tensor) -> torch.Tensor:
        """``W x_t + b`` for all steps at once (``x`` is ``(T, B, d)``)."""
        if self.input_rotations is not None:
            u = self.input_rotations(x)
        else:
            u = x @ self.weight_ih.transpose(0, 1)
        return u + self.bias if self.bias is not None else u

    def step_function(self) -> StepFunction:
        """``(h, x_t) ↦ h_t`` with plain autograd ops (for gradient-norm measurements)."""
        if self.rotation_mode == "packed":
            def step(h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
                u = self.input_drive(x)
                return activation(self.recurrent(h) + u, self.nonlinearity)
            return step
        return recurrent_step(self.recurrent_matrix(), self.input_matrix(), self.bias,
                              self.nonlinearity)

    def singular_value_penalty(self) -> torch.Tensor:
        """``mean_i (σ_i − 1)²`` over all exposed singular values of this cell (0 if none)."""
        maps = [self.recurrent]
        if self.input_rotations is not None:
            maps.append(self.input_rotations)
        sig = [m.sigma for m in maps if m.sigma is not None]
        if not sig:
            return self.recurrent.theta.new_zeros(())
        return torch.mean((torch.cat(sig) - 1.0) ** 2)

    # -- forward ---------------------------------------------------------------------------
    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """``x``: ``(T, B, d)`` → (all states ``(T, B, n)``, last state ``(B, n)``)."""
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"x must have shape (T, B, {self.input_size}), got {tuple(x.shape)}")
        batch = x.shape[1]
        if h0 is None:
            h0 = x.new_zeros(batch, self.hidden_size)
        u = self.input_drive(x)
        if self.rotation_mode == "dense":
            hs = elementwise_recurrence(u, self.recurrent_matrix(), h0, self.nonlinearity)
        else:
            h, out = h0, []
            for t in range(x.shape[0]):
                h = activation(self.recurrent(h) + u[t], self.nonlinearity)
                out.append(h)
            hs = torch.stack(out)
        return hs, hs[-1]

    def extra_repr(self) -> str:
        return (f"{self.input_size}, {self.hidden_size}, nonlinearity={self.nonlinearity!r}, "
                f"square_input={self.square_input}")


class DizzyRNN(nn.Module):
    """A stack of :class:`DizzyRNNLayer`: the bottom layer has a dense ``W`` (unless
    ``square_input``), every layer above has square packed-rotation input maps (§4.4; authors'
    ``dizzyRNNCellOpt`` with ``bottom=False``).  Same interface as :mod:`numerics.dizzy.baselines`:
    ``forward(x) -> (outputs (T, B, n), last state (B, n))`` of the top layer.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, *,
                 square_input: bool = False, **layer_kwargs) -> None:
        super().__init__()
        if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError(f"num_layers must be a positive integer, got {num_layers!r}")
        layers = [DizzyRNNLayer(input_size, hidden_size, square_input=square_input,
                                **layer_kwargs)]
        for _ in range(num_layers - 1):
            layers.append(DizzyRNNLayer(hidden_size, hidden_size, square_input=True,
                                        **layer_kwargs))
        self.layers = nn.ModuleList(layers)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for layer in self.layers:
            x, last = layer(x)
        return x, last

    def regularizer(self, lam: float) -> torch.Tensor:
        """``L_σ = λ/2 · mean_layers mean_i (σ_i − 1)²`` (docs/theory.md §6.4, authors' final
        ``regularizeSpread``: mean, not sum); 0 without exposed singular values."""
        if not math.isfinite(lam) or lam < 0:
            raise ValueError(f"lam must be a finite non-negative number, got {lam}")
        pen = torch.stack([layer.singular_value_penalty() for layer in self.layers]).mean()
        return 0.5 * lam * pen
