"""Signal propagation in a deep recurrent network at initialization.

Zucchet & Orvieto (2024), §5, Fig. 5 and its layer-wise version Fig. 13.  The network is the
authors' (signal_propagation notebook)

    encoder (Dense) → L × [norm → recurrence → GELU → norm → GLU (W₁a ⊙ σ(W₂a)) → + skip]
    → decoder (Dense),

with ``norm`` none (Fig. 5A/B) or layer normalization (Fig. 5C; one LayerNorm per layer,
applied at both places, as in the notebook).  Initializations are the authors':

* Dense layers (encoder, GLU, decoder): Flax's default, a normal truncated at ±2 standard
  deviations scaled to variance 1/fan_in ("lecun_normal"), zero biases; GELU in its tanh
  form (Flax's default);
* ``crnn``: the LRU code with the ``default`` parametrization and no γ — λ = λ_re + iλ_im,
  h_{t+1} = λ ⊙ h_t + B u_{t+1}, y = Re(C h) + D u;
* ``lru``: the ``exp`` parametrization with learned γ — λ = exp(−exp(ω_ν) + i·exp(ω_θ)),
  γ = exp(ω_γ) initialized at sqrt(1 − |λ|²), h_{t+1} = λ ⊙ h_t + γ ⊙ B u_{t+1};
  for both, B_re, B_im ~ N(0, 1)/sqrt(d_hidden), C_re, C_im ~ N(0, 1)/sqrt(d_model) and a
  dense D ~ N(0, 1)/sqrt(d_model) (the LRU code's ``matrix_init``, which divides by the first
  dimension);
* ``gru``: the notebook's ChronoGRUCell — r = σ(W_ir u + b_ir + W_hr h),
  z = σ(W_iz u + b_iz + W_hz h), n = tanh(W_in u + b_in + r ⊙ (W_hn h + b_hn)),
  h' = (1 − z) ⊙ n + z ⊙ h, input kernels N(0, 2/fan_in), orthogonal recurrent kernels,
  chrono update-gate bias b_iz = log T with T uniform in [t, 2t] (σ(b) = T/(1 + T)), other
  biases zero, h_0 = 0.

The timescale t fixes |λ| = ν on the ring ν ∈ [1 − 1/t, 1 − 1/(2t)] (uniform in area, the
LRU's ``nu_init``), θ uniform in [0, 2π).

Inputs: the paper feeds BERT input embeddings of Wikipedia articles, which cannot be fetched
here.  Each input channel is instead an independent stationary Gaussian sequence with the
autocorrelation fitted to those embeddings in Fig. 12, R(Δ) = 0.043056·0.997005^|Δ| +
0.332·δ_{Δ0}.  The loss is the authors' ½·mean(ŷ_{t+1} − x_t)² (the prediction at t + 1
compared with the input at t).

Many initializations run as one *ensemble*: every parameter carries a leading member
dimension and the loss is the sum of the members' losses, so one backward pass gives each
member its own gradient (members never interact).  A member is a (timescale, seed) pair and
draws everything — parameters and inputs — from ``torch.Generator().manual_seed(seed)`` in
a fixed order that does not depend on the timescale: members with the same seed at different
timescales share their random numbers (common random numbers), only the map from the drawn
uniforms to ν (or T) changes.  A member's statistics do not depend on which ensemble it runs
in (tests check this).

:func:`measure_members` returns, per member, the mean squared recurrent state E|h|² per
layer, the mean squared layer output (after the GLU and the skip connection: the quantity
Fig. 5A plots, ``mean(output**2)``) per layer, and the mean squared gradient of the loss per
parameter group (``lambda`` for the cRNN, ``omega_nu``/``omega_theta`` for the LRU,
``recurrent`` = every parameter of the GRU cell, ``rest`` = every other parameter), each the
mean over all the group's entries as in the notebook.  :func:`study_grid` repeats it over
seeds and timescales and gives means with standard errors over initializations.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from rnnverify.numerics.memory.engine import cpu_threads
from torch.nn import functional as F

ARCHS = ("crnn", "lru", "gru")
NORMS = ("none", "layer")
#: Fig. 12's fit of the BERT-embedding autocorrelation: (c_k, ρ_k) of R(Δ) = Σ c_k ρ_k^|Δ|
FIG12_COMPONENTS_FLOAT = ((0.043056426671195004, 0.9970052541497257), (0.332, 0.0))
#: standard deviation of N(0, 1) truncated to [−2, 2] (Flax's truncated-normal rescaling)
TRUNC_STD = 0.87962566103423978
#: Flax LayerNorm's ε
LAYER_NORM_EPS = 1e-6
#: working memory one ensemble chunk may plan to use (members are split into chunks)
CHUNK_BYTES = 192 * 2**20
_F64 = torch.float64
_CPU = torch.device("cpu")


def modulus_interval(timescale: float) -> tuple[float, float]:
    """[1 − 1/t, 1 − 1/(2t)]: the moduli |λ| drawn for timescale t ≥ 1 (Fig. 5)."""
    if not timescale >= 1:
        raise ValueError(f"timescale must be at least 1, got {timescale}")
    return 1 - 1 / timescale, 1 - 1 / (2 * timescale)


def _scan(lam: torch.Tensor, v: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """h_t = λ h_{t−1} + v_t from h_0 = 0 along ``dim`` (log-depth doubling, differentiable)."""
    n = v.shape[dim]
    h, power, k = v, lam, 1
    while k < n:
        h = torch.cat([h.narrow(dim, 0, k),
                       h.narrow(dim, k, n - k) + power * h.narrow(dim, 0, n - k)], dim=dim)
        power, k = power * power, 2 * k
    return h


def _lecun(gen: torch.Generator, out_f: int, in_f: int) -> torch.Tensor:
    """Flax ``nn.Dense`` default kernel (out × in): truncated normal, variance 1/fan_in."""
    w = torch.empty(out_f, in_f, dtype=_F64)
    torch.nn.init.trunc_normal_(w, 0.0, 1.0, -2.0, 2.0, generator=gen)
    return w * (math.sqrt(1.0 / in_f) / TRUNC_STD)


def _normal(gen: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=_F64)


def _orthogonal(gen: torch.Generator, n: int) -> torch.Tensor:
    q, r = torch.linalg.qr(_normal(gen, n, n))
    return q * torch.sign(torch.diagonal(r))


def _draw_recurrence(arch: str, d: int, timescale: float, gen: torch.Generator
                     ) -> dict[str, torch.Tensor]:
    """One member's recurrence parameters (d_hidden = d_model = d, as in the paper)."""
    lo, hi = modulus_interval(timescale)
    if arch == "gru":
        p = {f"w_i{g}": _normal(gen, d, d) * math.sqrt(2.0 / d) for g in "rzn"}
        p.update({f"w_h{g}": _orthogonal(gen, d) for g in "rzn"})
        T = timescale * (1 + torch.rand(d, generator=gen, dtype=_F64))
        p.update(b_ir=torch.zeros(d, dtype=_F64), b_iz=torch.log(T),
                 b_in=torch.zeros(d, dtype=_F64), b_hn=torch.zeros(d, dtype=_F64))
        return p
    u = torch.rand(d, generator=gen, dtype=_F64)
    nu = (lo**2 + u * (hi**2 - lo**2)).sqrt()
    theta = 2 * math.pi * torch.rand(d, generator=gen, dtype=_F64)
    if arch == "lru":
        p = {"omega_nu": torch.log(-torch.log(nu)), "omega_theta": torch.log(theta),
             "log_gamma": 0.5 * torch.log(1 - nu**2)}
    else:
        p = {"lam_re": nu * torch.cos(theta), "lam_im": nu * torch.sin(theta)}
    p.update(B_re=_normal(gen, d, d) / math.sqrt(d), B_im=_normal(gen, d, d) / math.sqrt(d),
             C_re=_normal(gen, d, d) / math.sqrt(d), C_im=_normal(gen, d, d) / math.sqrt(d),
             D=_normal(gen, d, d) / math.sqrt(d))
    return p


def _draw_member(cfg: SignalConfig, timescale: float, gen: torch.Generator
                 ) -> dict[str, torch.Tensor]:
    d, z = cfg.d_model, torch.zeros
    p = {"enc.w": _lecun(gen, d, cfg.d_in), "enc.b": z(d, dtype=_F64)}
    for k in range(cfg.layers):
        p.update({f"layers.{k}.rnn.{n}": v
                  for n, v in _draw_recurrence(cfg.arch, d, timescale, gen).items()})
        p.update({f"layers.{k}.glu.w1": _lecun(gen, d, d), f"layers.{k}.glu.b1": z(d, dtype=_F64),
                  f"layers.{k}.glu.w2": _lecun(gen, d, d), f"layers.{k}.glu.b2": z(d, dtype=_F64)})
        if cfg.norm == "layer":
            p.update({f"layers.{k}.norm.scale": torch.ones(d, dtype=_F64),
                      f"layers.{k}.norm.bias": z(d, dtype=_F64)})
    p.update({"dec.w": _lecun(gen, cfg.d_in, d), "dec.b": z(cfg.d_in, dtype=_F64)})
    return p


def _member_noise(cfg: SignalConfig, gen: torch.Generator) -> list[torch.Tensor]:
    """White N(0, 1) draws (steps, batch, d_in) for each Fig. 12 component."""
    return [_normal(gen, cfg.steps, cfg.batch, cfg.d_in) for _ in FIG12_COMPONENTS_FLOAT]


def fig12_inputs(noises: Sequence[torch.Tensor], dim: int = 0) -> torch.Tensor:
    """Stationary Gaussian inputs with R(Δ) = Σ c_k ρ_k^|Δ| along ``dim`` from one white
    N(0, 1) tensor per component: x = Σ_k sqrt(c_k)·u_k, u_k the AR(1) of coefficient ρ_k
    started from its stationary law (u_0 = ξ_0, u_t = ρ u_{t−1} + sqrt(1 − ρ²) ξ_t)."""
    x = torch.zeros_like(noises[0])
    for (c, r), xi in zip(FIG12_COMPONENTS_FLOAT, noises, strict=True):
        if r == 0.0:
            x += math.sqrt(c) * xi
            continue
        u = xi.clone()
        u.narrow(dim, 1, u.shape[dim] - 1).mul_(math.sqrt(1 - r * r))
        for t in range(1, u.shape[dim]):
            u.select(dim, t).add_(u.select(dim, t - 1), alpha=r)
        x += math.sqrt(c) * u
    return x


def parameter_groups(arch: str) -> tuple[str, ...]:
    """The gradient groups of Fig. 5B for ``arch`` (``rest`` = all other parameters)."""
    return {"crnn": ("lambda", "rest"), "lru": ("omega_nu", "omega_theta", "rest"),
            "gru": ("recurrent", "rest")}[arch]


def group_of(arch: str, name: str) -> str:
    """The Fig. 5B gradient group of parameter ``name``."""
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
    timescale: float = 1.0
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


def member_bytes(cfg: SignalConfig) -> int:
    """Planned working memory of one member (float64 activations kept for the backward pass;
    an upper estimate: the doubling scan keeps ⌈log₂ T⌉ complex copies of the states, the GRU
    about 16 tensors of (batch, d) per step)."""
    act = cfg.steps * cfg.batch * cfg.d_model * 8
    per_layer = (16 + 4 * math.ceil(math.log2(max(cfg.steps, 2)))) * act if cfg.arch != "gru" \
        else 24 * act
    return cfg.layers * per_layer + 8 * cfg.steps * cfg.batch * cfg.d_in * 8


def chunk_size(cfg: SignalConfig) -> int:
    """Members per ensemble pass: as many as fit in :data:`CHUNK_BYTES` (at least one)."""
    return max(1, CHUNK_BYTES // member_bytes(cfg))


def _lin(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None = None) -> torch.Tensor:
    """x (E, T, B, in) → x Wᵀ + b with per-member W (E, out, in), b (E, out)."""
    e, t, n, d = x.shape
    if b is None:
        y = torch.bmm(x.reshape(e, t * n, d), w.transpose(1, 2))
    else:
        y = torch.baddbmm(b[:, None, :], x.reshape(e, t * n, d), w.transpose(1, 2))
    return y.reshape(e, t, n, w.shape[1])


def _diagonal(arch: str, p: dict[str, torch.Tensor], pre: str, u: torch.Tensor
              ) -> tuple[torch.Tensor, torch.Tensor]:
    if arch == "lru":
        lam = torch.exp(torch.complex(-torch.exp(p[pre + "omega_nu"]),
                                      torch.exp(p[pre + "omega_theta"])))
    else:
        lam = torch.complex(p[pre + "lam_re"], p[pre + "lam_im"])
    v = torch.complex(_lin(u, p[pre + "B_re"]), _lin(u, p[pre + "B_im"]))
    if arch == "lru":
        v = v * torch.exp(p[pre + "log_gamma"])[:, None, None, :]
    h = _scan(lam[:, None, None, :], v, dim=1)
    y = _lin(h.real, p[pre + "C_re"]) - _lin(h.imag, p[pre + "C_im"]) + _lin(u, p[pre + "D"])
    return y, h


def _gru(p: dict[str, torch.Tensor], pre: str, u: torch.Tensor) -> torch.Tensor:
    """The chrono GRU cell over time (dim 1); returns the states (E, T, B, H)."""
    w_i = torch.cat([p[pre + "w_ir"], p[pre + "w_iz"], p[pre + "w_in"]], dim=1)
    b_i = torch.cat([p[pre + "b_ir"], p[pre + "b_iz"], p[pre + "b_in"]], dim=1)
    w_h = torch.cat([p[pre + "w_hr"], p[pre + "w_hz"], p[pre + "w_hn"]], dim=1).transpose(1, 2)
    b_hn = p[pre + "b_hn"][:, None, :]
    H = w_i.shape[1] // 3
    # unbind once: indexing xi[:, t] in the loop would cost a full-size gradient per step
    xr, xz, xn = (part.unbind(1) for part in _lin(u, w_i, b_i).split(H, dim=-1))
    h = torch.zeros(u.shape[0], u.shape[2], H, dtype=u.dtype)
    states = []
    for t in range(u.shape[1]):
        hr, hz, hn = torch.bmm(h, w_h).split(H, dim=-1)
        r = torch.sigmoid(xr[t] + hr)
        z = torch.sigmoid(xz[t] + hz)
        n = torch.tanh(xn[t] + r * (hn + b_hn))
        h = n + z * (h - n)
        states.append(h)
    return torch.stack(states, dim=1)


def forward(cfg: SignalConfig, p: dict[str, torch.Tensor], x: torch.Tensor
            ) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
    """The ensemble network on x (E, T, B, d_in): prediction, per-layer states and outputs."""

    def norm(k: int, a: torch.Tensor) -> torch.Tensor:
        if cfg.norm == "none":
            return a
        a = F.layer_norm(a, a.shape[-1:], eps=LAYER_NORM_EPS)
        return a * p[f"layers.{k}.norm.scale"][:, None, None, :] \
            + p[f"layers.{k}.norm.bias"][:, None, None, :]

    z = _lin(x, p["enc.w"], p["enc.b"])
    states, outputs = [], []
    for k in range(cfg.layers):
        pre = f"layers.{k}.rnn."
        a = norm(k, z)
        if cfg.arch == "gru":
            h = _gru(p, pre, a)
            y = h
        else:
            y, h = _diagonal(cfg.arch, p, pre, a)
        a = norm(k, F.gelu(y, approximate="tanh"))
        g = f"layers.{k}.glu."
        z = z + _lin(a, p[g + "w1"], p[g + "b1"]) * torch.sigmoid(_lin(a, p[g + "w2"], p[g + "b2"]))
        states.append(h)
        outputs.append(z)
    return _lin(z, p["dec.w"], p["dec.b"]), states, outputs


@dataclass
class Measurement:
    """One initialization: per-layer statistics and per-group mean squared gradients."""

    timescale: float
    seed: int
    state_h2: list[float]
    output_h2: list[float]
    grad_sq: dict[str, float]


@dataclass
class FirstLayer:
    """One member's first recurrent layer (diagonal archs): λ, γ (1 for the cRNN), the input
    map B·W_enc seen by the layer and its states (steps, batch, d) — what the single-unit
    theory needs (layer 1 has no normalization in front: its input is W_enc x)."""

    lam: torch.Tensor
    gamma: torch.Tensor
    input_map: torch.Tensor
    states: torch.Tensor


def _ensemble(cfg: SignalConfig, members: Sequence[tuple[float, int]]
              ) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    draws, noises = [], []
    for t, seed in members:
        gen = torch.Generator().manual_seed(int(seed))
        draws.append(_draw_member(cfg, float(t), gen))
        noises.append(_member_noise(cfg, gen))
    params = {n: torch.stack([d[n] for d in draws]).requires_grad_(True) for n in draws[0]}
    x = fig12_inputs([torch.stack([nz[k] for nz in noises]) for k in range(len(noises[0]))],
                     dim=1)
    return params, x


def _measure_chunk(cfg: SignalConfig, members: Sequence[tuple[float, int]],
                   first_layer: bool) -> tuple[list[Measurement], list[FirstLayer]]:
    params, x = _ensemble(cfg, members)
    pred, states, outputs = forward(cfg, params, x)
    # the sum of the members' losses: each member's gradient is its own loss's gradient
    loss = 0.5 * ((pred[:, 1:] - x[:, :-1]) ** 2).mean(dim=(1, 2, 3)).sum()
    loss.backward()
    groups = parameter_groups(cfg.arch)
    sq = {g: torch.zeros(len(members), dtype=_F64) for g in groups}
    count = dict.fromkeys(groups, 0)
    for name, p in params.items():
        g = group_of(cfg.arch, name)
        sq[g] += (p.grad ** 2).flatten(1).sum(1)
        count[g] += p[0].numel()
    b = cfg.burn
    with torch.no_grad():
        h2 = [(h[:, b:].abs() ** 2).mean(dim=(1, 2, 3)) for h in states]
        o2 = [(o[:, b:] ** 2).mean(dim=(1, 2, 3)) for o in outputs]
        out = [Measurement(float(t), int(s), [float(v[e]) for v in h2], [float(v[e]) for v in o2],
                           {g: float(sq[g][e] / count[g]) for g in groups})
               for e, (t, s) in enumerate(members)]
        firsts = []
        if first_layer and cfg.arch != "gru":
            pre = "layers.0.rnn."
            for e in range(len(members)):
                if cfg.arch == "lru":
                    lam = torch.exp(torch.complex(-torch.exp(params[pre + "omega_nu"][e]),
                                                  torch.exp(params[pre + "omega_theta"][e])))
                    gamma = torch.exp(params[pre + "log_gamma"][e])
                else:
                    lam = torch.complex(params[pre + "lam_re"][e], params[pre + "lam_im"][e])
                    gamma = torch.ones_like(lam.real)
                B = torch.complex(params[pre + "B_re"][e], params[pre + "B_im"][e])
                firsts.append(FirstLayer(lam.detach(), gamma.detach(),
                                         (B @ params["enc.w"][e].to(torch.complex128)).detach(),
                                         states[0][e].detach()))
    return out, firsts


def measure_members(cfg: SignalConfig, members: Sequence[tuple[float, int]], *,
                    first_layer: bool = False, on_chunk: Any = None
                    ) -> tuple[list[Measurement], list[FirstLayer]]:
    """Measure every (timescale, seed) member of ``members`` with the network of ``cfg``
    (its ``timescale`` is ignored), :func:`chunk_size` members per ensemble pass, one
    intra-op thread (small tensors: threads only add synchronization, see
    :func:`numerics.memory.engine.cpu_threads`).  ``first_layer`` also returns each member's
    :class:`FirstLayer` (diagonal archs).  ``on_chunk(n)`` is called after each pass."""
    for t, _ in members:
        modulus_interval(float(t))
    size = chunk_size(cfg)
    out: list[Measurement] = []
    firsts: list[FirstLayer] = []
    with torch.random.fork_rng(devices=[]), cpu_threads(1, _CPU):
        for i in range(0, len(members), size):
            m, f = _measure_chunk(cfg, members[i:i + size], first_layer)
            out += m
            firsts += f
            if on_chunk is not None:
                on_chunk(len(m))
    return out, firsts


def measure(cfg: SignalConfig, seed: int) -> Measurement:
    """One initialization of ``cfg`` at its timescale from ``seed``."""
    return measure_members(cfg, [(cfg.timescale, seed)])[0][0]


def probe_seconds(cfg: SignalConfig, members: int, *, probe_steps: tuple[int, int] = (16, 64)
                  ) -> float:
    """Estimated wall time of :func:`measure_members` for ``members`` members, from measured
    rates: one pass of a full chunk is timed at two short lengths T₁ < T₂ and the time,
    a + b·w(T) with w(T) = T (the GRU's step loop) or T·log₂T (the doubling scan), is
    extrapolated to ``cfg.steps`` and multiplied by the number of chunks."""
    size = min(chunk_size(cfg), members)

    def timed(steps: int) -> float:
        probe = SignalConfig(cfg.arch, cfg.timescale, d_in=cfg.d_in, d_model=cfg.d_model,
                             layers=cfg.layers, steps=steps, batch=cfg.batch, norm=cfg.norm)
        start = time.perf_counter()
        measure_members(probe, [(cfg.timescale, k) for k in range(size)])
        return time.perf_counter() - start

    def work(steps: int) -> float:
        return steps * (1.0 if cfg.arch == "gru" else math.log2(max(steps, 2)))

    t1, t2 = (min(cfg.steps, s) for s in probe_steps)
    if t2 <= max(t1, 2):
        return timed(max(t2, 2)) * math.ceil(members / size)
    timed(t1)  # warm-up (first-call allocations), not counted
    s1, s2 = timed(t1), timed(t2)
    slope = max(s2 - s1, 0.0) / (work(t2) - work(t1))
    per_chunk = s1 + slope * (work(cfg.steps) - work(t1))
    return per_chunk * math.ceil(members / size)


def member_seed(seed: int, k: int) -> int:
    """The k-th initialization's seed under master ``seed``: seed·10⁴ + k."""
    return seed * 10_000 + k


def _mean_se(values: list[float]) -> dict[str, float]:
    n = len(values)
    m = sum(values) / n
    var = sum((v - m) ** 2 for v in values) / max(n - 1, 1)
    return {"estimate": m, "stderr": math.sqrt(var / n), "n": n}


def study_grid(cfg: SignalConfig, timescales: Sequence[float], seeds: int, *, seed: int = 0,
               on_chunk: Any = None) -> list[dict[str, Any]]:
    """One row per timescale: means and standard errors over ``seeds`` initializations
    (seeds :func:`member_seed`, the same at every timescale: common random numbers), and
    the per-seed values in ``per_seed`` (index k = seed k at every timescale)."""
    if seeds < 2:
        raise ValueError(f"seeds must be at least 2 (standard errors), got {seeds}")
    start = time.perf_counter()
    members = [(float(t), member_seed(seed, k)) for t in timescales for k in range(seeds)]
    runs, _ = measure_members(cfg, members, on_chunk=on_chunk)
    seconds = time.perf_counter() - start
    rows = []
    for j, t in enumerate(timescales):
        rs = runs[j * seeds:(j + 1) * seeds]
        lo, hi = modulus_interval(t)
        rows.append({
            "arch": cfg.arch, "timescale": float(t), "nu_interval": [lo, hi], "norm": cfg.norm,
            "layers": cfg.layers, "seeds": seeds,
            "state_h2": [_mean_se([r.state_h2[k] for r in rs]) for k in range(cfg.layers)],
            "output_h2": [_mean_se([r.output_h2[k] for r in rs]) for k in range(cfg.layers)],
            "grad_sq": {g: _mean_se([r.grad_sq[g] for r in rs])
                        for g in parameter_groups(cfg.arch)},
            "per_seed": {"state_h2": {str(k): [r.state_h2[k] for r in rs]
                                      for k in range(cfg.layers)},
                         "output_h2": {str(k): [r.output_h2[k] for r in rs]
                                       for k in range(cfg.layers)},
                         "grad_sq": {g: [r.grad_sq[g] for r in rs]
                                     for g in parameter_groups(cfg.arch)}},
            "seconds": round(seconds / len(timescales), 3),
        })
    return rows


def study(cfg: SignalConfig, seeds: int, *, seed: int = 0) -> dict[str, Any]:
    """:func:`study_grid` at ``cfg.timescale`` alone."""
    return study_grid(cfg, [cfg.timescale], seeds, seed=seed)[0]
