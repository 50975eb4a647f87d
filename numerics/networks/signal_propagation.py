"""Signal propagation in a deep recurrent network at initialization.

Zucchet & Orvieto (2024), §5, Fig. 5 and its layer-wise version Fig. 13.  The network is

    encoder (Dense) → L × [norm → recurrence → GELU → norm → GLU (W₁a ⊙ σ(W₂a)) → + skip]
    → decoder (Dense),

with ``norm`` none (Fig. 5A/B) or layer normalization (Fig. 5C).  Recurrences:

* ``crnn``: diagonal complex RNN parametrized directly by λ (real and imaginary parts), no
  input normalization — h_{t+1} = λ ⊙ h_t + B u_{t+1}, y = Re(C h) + D ⊙ u;
* ``lru``: the LRU, λ = exp(−exp(ω_ν) + i·exp(ω_θ)), input normalization γ = sqrt(1 − |λ|²)
  (a separate parameter initialized at that value, as in the LRU) — h_{t+1} = λ ⊙ h_t +
  γ ⊙ B u_{t+1};
* ``gru``: a GRU cell with chrono initialization of the update-gate bias, b = log T with T
  uniform in [t, 2t] (σ(b) = T/(1 + T)), orthogonal recurrent kernels.

The timescale t fixes |λ| = ν uniform on the ring ν ∈ [1 − 1/t, 1 − 1/(2t)] (uniform in area,
as the LRU initialization), θ uniform in [0, 2π).

Inputs: the paper feeds BERT input embeddings of Wikipedia articles, which cannot be fetched
here.  Each input channel is instead an independent Gaussian sequence with the
autocorrelation fitted to those embeddings in Fig. 12, R(Δ) = 0.043056·0.997005^|Δ| +
0.332·δ_{Δ0} (:func:`numerics.networks.gru_gates.autocorrelated_inputs`).  The loss is the authors'
½·mean(ŷ_{t+1} − x_t)² (the prediction at t + 1 compared with the input at t).

:func:`measure` returns, per initialization, the mean squared recurrent state E|h|² per
layer, the mean squared block output per layer, and the mean squared gradient of the loss
per parameter group (``lambda`` for the cRNN, ``omega_nu``/``omega_theta`` for the LRU,
``recurrent`` for the GRU cell, ``rest`` = every other parameter); :func:`study` repeats it
over seeds and gives means with standard errors over initializations.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import torch
from rnnverify.numerics.networks.gru_gates import autocorrelated_inputs
from torch import nn
from torch.nn import functional as F

ARCHS = ("crnn", "lru", "gru")
NORMS = ("none", "layer")
#: Fig. 12's fit of the BERT-embedding autocorrelation: (c_k, ρ_k) of R(Δ) = Σ c_k ρ_k^|Δ|
FIG12_COMPONENTS_FLOAT = ((0.043056426671195004, 0.9970052541497257), (0.332, 0.0))


def modulus_interval(timescale: float) -> tuple[float, float]:
    """[1 − 1/t, 1 − 1/(2t)]: the moduli |λ| drawn for timescale t ≥ 1 (Fig. 5)."""
    if not timescale >= 1:
        raise ValueError(f"timescale must be at least 1, got {timescale}")
    return 1 - 1 / timescale, 1 - 1 / (2 * timescale)


def _ring(n: int, timescale: float, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    lo, hi = modulus_interval(timescale)
    u = torch.rand(n, generator=gen, dtype=torch.float64)
    nu = (lo**2 + u * (hi**2 - lo**2)).sqrt()
    theta = 2 * math.pi * torch.rand(n, generator=gen, dtype=torch.float64)
    return nu, theta


def _scan(lam: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """h_t = λ h_{t−1} + v_t from h_0 = 0 along dim 0 (log-depth doubling, differentiable)."""
    h, power, k = v, lam, 1
    while k < v.shape[0]:
        h = torch.cat([h[:k], h[k:] + power * h[:-k]], dim=0)
        power, k = power * power, 2 * k
    return h


def _cgauss(shape: tuple[int, ...], var: float, gen: torch.Generator) -> torch.Tensor:
    """Complex Gaussian with E|z|² = var."""
    s = math.sqrt(var / 2)
    re = torch.randn(*shape, generator=gen, dtype=torch.float64)
    im = torch.randn(*shape, generator=gen, dtype=torch.float64)
    return torch.complex(s * re, s * im)


class DiagonalComplex(nn.Module):
    """cRNN (λ = λ_re + iλ_im, no γ) or LRU (λ = exp(−e^{ω_ν} + i e^{ω_θ}), γ)."""

    def __init__(self, arch: str, d_model: int, d_hidden: int, timescale: float,
                 gen: torch.Generator) -> None:
        super().__init__()
        self.arch = arch
        nu, theta = _ring(d_hidden, timescale, gen)
        if arch == "lru":
            self.omega_nu = nn.Parameter(torch.log(-torch.log(nu)))
            self.omega_theta = nn.Parameter(torch.log(theta))
            self.gamma = nn.Parameter((1 - nu**2).sqrt())
        else:
            self.lam_re = nn.Parameter(nu * torch.cos(theta))
            self.lam_im = nn.Parameter(nu * torch.sin(theta))
        self.B = nn.Parameter(torch.view_as_real(_cgauss((d_hidden, d_model), 1 / d_model, gen)))
        self.C = nn.Parameter(torch.view_as_real(_cgauss((d_model, d_hidden), 1 / d_hidden, gen)))
        self.D = nn.Parameter(torch.randn(d_model, generator=gen, dtype=torch.float64))

    def lam(self) -> torch.Tensor:
        if self.arch == "lru":
            return torch.exp(torch.complex(-torch.exp(self.omega_nu), torch.exp(self.omega_theta)))
        return torch.complex(self.lam_re, self.lam_im)

    def forward(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """u: (steps, batch, d_model) → (output y, state h)."""
        v = u.to(torch.complex128) @ torch.view_as_complex(self.B).T
        if self.arch == "lru":
            v = v * self.gamma
        h = _scan(self.lam(), v)
        y = (h @ torch.view_as_complex(self.C).T).real + self.D * u
        return y, h


class ChronoGRU(nn.Module):
    """GRU cell h' = (1 − z) ⊙ n + z ⊙ h, chrono update-gate bias b = log U[t, 2t]."""

    def __init__(self, d_model: int, d_hidden: int, timescale: float,
                 gen: torch.Generator) -> None:
        super().__init__()
        w_in = torch.randn(3 * d_hidden, d_model, generator=gen, dtype=torch.float64)
        self.w_in = nn.Parameter(w_in / math.sqrt(d_model))
        blocks = []
        for _ in range(3):
            q, r = torch.linalg.qr(torch.randn(d_hidden, d_hidden, generator=gen,
                                               dtype=torch.float64))
            blocks.append(q * torch.sign(torch.diagonal(r)))
        self.w_h = nn.Parameter(torch.cat(blocks, 0))
        T = timescale * (1 + torch.rand(d_hidden, generator=gen, dtype=torch.float64))
        self.bias = nn.Parameter(torch.cat([torch.log(T), torch.zeros(2 * d_hidden,
                                                                      dtype=torch.float64)]))
        self.d_hidden = d_hidden

    def forward(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        H = self.d_hidden
        xi = u @ self.w_in.T + self.bias
        h = torch.zeros(u.shape[1], H, dtype=u.dtype)
        states = []
        for t in range(u.shape[0]):
            hh = h @ self.w_h.T
            z = torch.sigmoid(xi[t, :, :H] + hh[:, :H])
            r = torch.sigmoid(xi[t, :, H:2 * H] + hh[:, H:2 * H])
            n = torch.tanh(xi[t, :, 2 * H:] + r * hh[:, 2 * H:])
            h = (1 - z) * n + z * h
            states.append(h)
        hs = torch.stack(states)
        return hs, hs


class SequenceLayer(nn.Module):
    """norm → recurrence → GELU → norm → GLU → + skip (Zucchet & Orvieto 2024, §5)."""

    def __init__(self, arch: str, d_model: int, d_hidden: int, timescale: float, norm: str,
                 gen: torch.Generator) -> None:
        super().__init__()
        self.norm = norm
        if arch == "gru":
            self.rnn: nn.Module = ChronoGRU(d_model, d_hidden, timescale, gen)
            d_out = d_hidden
        else:
            self.rnn = DiagonalComplex(arch, d_model, d_hidden, timescale, gen)
            d_out = d_model
        s = 1 / math.sqrt(d_out)
        self.w1 = nn.Parameter(s * torch.randn(d_model, d_out, generator=gen, dtype=torch.float64))
        self.w2 = nn.Parameter(s * torch.randn(d_model, d_out, generator=gen, dtype=torch.float64))

    def _norm(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, x.shape[-1:]) if self.norm == "layer" else x

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y, h = self.rnn(self._norm(x))
        a = self._norm(F.gelu(y))
        return x + (a @ self.w1.T) * torch.sigmoid(a @ self.w2.T), h


class DeepRNN(nn.Module):
    """encoder → ``layers`` × :class:`SequenceLayer` → decoder."""

    def __init__(self, arch: str, *, timescale: float, d_in: int, d_model: int, layers: int,
                 norm: str, gen: torch.Generator) -> None:
        super().__init__()
        self.enc = nn.Parameter(torch.randn(d_model, d_in, generator=gen, dtype=torch.float64)
                                / math.sqrt(d_in))
        self.layers = nn.ModuleList(SequenceLayer(arch, d_model, d_model, timescale, norm, gen)
                                    for _ in range(layers))
        self.dec = nn.Parameter(torch.randn(d_in, d_model, generator=gen, dtype=torch.float64)
                                / math.sqrt(d_model))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor],
                                                list[torch.Tensor]]:
        z = x @ self.enc.T
        states, outputs = [], []
        for layer in self.layers:
            z, h = layer(z)
            states.append(h)
            outputs.append(z)
        return z @ self.dec.T, states, outputs


def parameter_groups(arch: str) -> tuple[str, ...]:
    """The gradient groups of Fig. 5B for ``arch`` (``rest`` = all other parameters)."""
    return {"crnn": ("lambda", "rest"), "lru": ("omega_nu", "omega_theta", "rest"),
            "gru": ("recurrent", "rest")}[arch]


def _group_of(arch: str, name: str) -> str:
    leaf = name.rsplit(".", 1)[-1]
    if arch == "crnn" and leaf in ("lam_re", "lam_im"):
        return "lambda"
    if arch == "lru" and leaf in ("omega_nu", "omega_theta"):
        return leaf
    if arch == "gru" and ".rnn." in name:
        return "recurrent"
    return "rest"


@dataclass(frozen=True)
class SignalConfig:
    """One network and input setting (defaults: small enough for a 2-core quick check)."""

    arch: str
    timescale: float
    d_in: int = 16
    d_model: int = 16
    layers: int = 2
    steps: int = 256
    batch: int = 8
    norm: str = "none"
    burn: int = 0  #: statistics over steps ≥ burn (the gradient always uses every step)

    def __post_init__(self) -> None:
        if self.arch not in ARCHS:
            raise ValueError(f"arch must be one of {', '.join(ARCHS)}, got {self.arch!r}")
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {', '.join(NORMS)}, got {self.norm!r}")
        modulus_interval(self.timescale)
        for name in ("d_in", "d_model", "layers", "steps", "batch"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)}")
        if not 0 <= self.burn < self.steps - 1:
            raise ValueError(f"burn must lie in [0, steps − 1), got {self.burn}")


@dataclass
class Measurement:
    """One initialization: per-layer statistics and per-group mean squared gradients."""

    state_h2: list[float]
    output_h2: list[float]
    grad_sq: dict[str, float]
    network: DeepRNN = field(repr=False)
    inputs: torch.Tensor = field(repr=False)
    first_states: torch.Tensor = field(repr=False)


def measure(cfg: SignalConfig, seed: int) -> Measurement:
    """Build the network of ``cfg`` from ``seed``, run it on fresh inputs, take gradients."""
    gen = torch.Generator().manual_seed(seed)
    net = DeepRNN(cfg.arch, timescale=cfg.timescale, d_in=cfg.d_in, d_model=cfg.d_model,
                  layers=cfg.layers, norm=cfg.norm, gen=gen)
    x = autocorrelated_inputs(cfg.batch * cfg.d_in, cfg.steps, FIG12_COMPONENTS_FLOAT, gen,
                              torch.float64, torch.device("cpu"))
    x = x.reshape(cfg.steps, cfg.batch, cfg.d_in)
    pred, states, outputs = net(x)
    loss = 0.5 * ((pred[1:] - x[:-1]) ** 2).mean()
    loss.backward()
    sums: dict[str, list[float]] = {g: [0.0, 0] for g in parameter_groups(cfg.arch)}
    for name, p in net.named_parameters():
        g = _group_of(cfg.arch, name)
        sums[g][0] += float((p.grad ** 2).sum())
        sums[g][1] += p.numel()
    b = cfg.burn
    with torch.no_grad():
        return Measurement(
            [float((h[b:].abs() ** 2).mean()) for h in states],
            [float((o[b:] ** 2).mean()) for o in outputs],
            {g: s / n for g, (s, n) in sums.items()}, net, x, states[0].detach())


def _mean_se(values: list[float]) -> dict[str, float]:
    n = len(values)
    m = sum(values) / n
    var = sum((v - m) ** 2 for v in values) / max(n - 1, 1)
    return {"estimate": m, "stderr": math.sqrt(var / n), "n": n}


def study(cfg: SignalConfig, seeds: int, *, seed: int = 0) -> dict[str, Any]:
    """Means and standard errors over ``seeds`` initializations (seeds seed·10⁴ + k)."""
    if seeds < 2:
        raise ValueError(f"seeds must be at least 2 (standard errors), got {seeds}")
    start = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        runs = [measure(cfg, seed * 10_000 + k) for k in range(seeds)]
    lo, hi = modulus_interval(cfg.timescale)
    return {
        "arch": cfg.arch, "timescale": cfg.timescale, "nu_interval": [lo, hi],
        "norm": cfg.norm, "layers": cfg.layers, "seeds": seeds,
        "state_h2": [_mean_se([r.state_h2[k] for r in runs]) for k in range(cfg.layers)],
        "output_h2": [_mean_se([r.output_h2[k] for r in runs]) for k in range(cfg.layers)],
        "grad_sq": {g: _mean_se([r.grad_sq[g] for r in runs])
                    for g in parameter_groups(cfg.arch)},
        "per_seed": {"state_h2": {str(k): [r.state_h2[k] for r in runs]
                                   for k in range(cfg.layers)},
                     "grad_sq": {g: [r.grad_sq[g] for r in runs]
                                 for g in parameter_groups(cfg.arch)}},
        "seconds": round(time.perf_counter() - start, 3),
    }
