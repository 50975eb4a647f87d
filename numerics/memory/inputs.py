"""Stationary Gaussian input streams with a prescribed autocorrelation R(k) = E[x_t x_{t+k}].

Two sources, one interface (:class:`InputSource.open` → :class:`InputStream`):

* :class:`AR1Input` — R(k) = ρ^|k| exactly: x_{-1} ~ N(0, 1) (the stationary law)
  and x_t = ρ x_{t-1} + sqrt(1-ρ²) ξ_t, ξ_t iid N(0, 1) (docs/theory.md §1).  ρ = ±1
  is exact too (x_t = ρ^{t+1} x_{-1}: a constant / alternating input).  Streams in
  O(samples) memory, one normal draw per sample-step.
* :class:`CirculantInput` — any valid R given as a function of the lag, by
  circulant embedding (Dietrich & Newsam 1997; Wood & Chan 1994): the first row
  c = (R(0), …, R(M/2), R(M/2-1), …, R(1)) of an M×M circulant with
  M = 2^⌈log2 2(L-1)⌉ ≥ 2(L-1) is diagonalised by the DFT, Λ = FFT(c); if Λ ≥ 0,
  Y = FFT(sqrt(Λ/M) Z) with Z complex standard normal gives two independent exact
  samples Re Y[:L], Im Y[:L] of the stationary sequence.  Cost per pair of paths:
  O(M log M) time and 16·M bytes, so a block of ``b`` samples holds 8·b·L bytes of
  path plus 8·b·M bytes of transform; raises ``ValueError`` when R is not positive
  semi-definite or the embedding (tried at M, 2M, 4M) has negative eigenvalues.

Every draw of block ``i`` comes from that block's own generator in a fixed order
(see :mod:`numerics.seeding`), so the numbers do not depend on how blocks are
grouped into chunks.  ``scale`` multiplies the whole stream (the γ of the
recurrence can be folded in).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from rnnverify.numerics.seeding import TILE_STEPS

#: relative tolerance below zero accepted (and clipped) in embedding eigenvalues
EMBEDDING_TOL = 1e-10


class InputStream:
    """Time-major input tiles for a chunk: ``next_tile()`` → tensor (steps, samples)."""

    def next_tile(self, n_steps: int) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError


class InputSource:
    """A stationary input law; ``open`` starts independent streams for a chunk of blocks."""

    #: default samples per seed block for this source
    default_block_size: int = 4096
    #: relative cost of one sample-step compared with AR(1) streaming (for budgets)
    relative_cost: float = 1.0

    def max_chunk_samples(self, n_steps: int) -> int | None:
        """Largest chunk that keeps this source's buffers near 128 MB (None: no limit)."""
        return None

    def open(
        self,
        generators: Sequence[torch.Generator],
        block_sizes: Sequence[int],
        n_steps: int,
        *,
        dtype: torch.dtype,
        device: torch.device,
        scale: float = 1.0,
    ) -> InputStream:  # pragma: no cover - interface
        raise NotImplementedError

    def autocorr(self, lags: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        """R(k) at integer lags (for tests and reports)."""
        raise NotImplementedError


def _check_scale(scale: float) -> float:
    scale = float(scale)
    if not math.isfinite(scale):
        raise ValueError(f"scale must be finite, got {scale!r}")
    return scale


# ---------------------------------------------------------------------------- AR(1)


@dataclass(frozen=True)
class AR1Input(InputSource):
    """x_t = ρ x_{t-1} + sqrt(1-ρ²) ξ_t with x_{-1} ~ N(0,1): R(k) = ρ^|k| for every t ≥ 0."""

    rho: float
    default_block_size: int = field(default=4096, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.rho, bool) or not isinstance(self.rho, (int, float)):
            raise TypeError(f"rho must be a real number, got {type(self.rho).__name__}")
        if not math.isfinite(self.rho) or not -1.0 <= self.rho <= 1.0:
            raise ValueError(f"rho must lie in [-1, 1], got {self.rho!r}")

    @property
    def innovation_std(self) -> float:
        """sqrt(1 - ρ²): 0 exactly at ρ = ±1."""
        return math.sqrt(max(0.0, 1.0 - float(self.rho) ** 2))

    def autocorr(self, lags: np.ndarray) -> np.ndarray:
        return float(self.rho) ** np.abs(np.asarray(lags, dtype=np.float64))

    def open(self, generators, block_sizes, n_steps, *, dtype, device, scale=1.0):
        return _AR1Stream(self, generators, block_sizes, dtype, device, _check_scale(scale))


class _AR1Stream(InputStream):
    def __init__(self, src: AR1Input, gens, sizes, dtype, device, scale: float) -> None:
        self.rho = float(src.rho)
        self.std = src.innovation_std * scale
        self.gens = list(gens)
        self.sizes = list(sizes)
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).tolist()
        n = self.offsets[-1]
        self.x = torch.empty(n, dtype=dtype, device=device)
        for g, a, b in zip(self.gens, self.offsets[:-1], self.offsets[1:], strict=True):
            self.x[a:b].normal_(0.0, scale, generator=g)  # x_{-1}: stationary law
        self.tile = torch.empty(TILE_STEPS, n, dtype=dtype, device=device)
        scratch = {s: torch.empty(TILE_STEPS * s, dtype=dtype, device=device)
                   for s in set(self.sizes)}
        self.blocks = [(g, scratch[s], s, a) for g, s, a in
                       zip(self.gens, self.sizes, self.offsets[:-1], strict=True)]

    def next_tile(self, n_steps: int) -> torch.Tensor:
        tile = self.tile[:n_steps]
        if self.std > 0.0:
            for g, scratch, s, a in self.blocks:
                # one contiguous draw per block and tile: fixed order, chunk-independent
                buf = scratch[: n_steps * s].view(n_steps, s)
                buf.normal_(0.0, self.std, generator=g)
                tile[:, a: a + s].copy_(buf)
        else:
            tile.zero_()
        x = self.x
        for j in range(n_steps):
            row = tile[j]
            torch.add(row, x, alpha=self.rho, out=row)  # x_t = ρ x_{t-1} + innovation
            x = row
        self.x = x.clone()
        return tile


# ---------------------------------------------------------------------- circulant


def _embedding_size(n_steps: int) -> int:
    return 1 << max(1, math.ceil(math.log2(max(2, 2 * (n_steps - 1)))))


def toeplitz_min_eigenvalue(autocorr: Callable[[np.ndarray], np.ndarray], n: int) -> float:
    """Smallest eigenvalue of the n×n Toeplitz matrix [R(|i-j|)] (a PSD check, O(n³))."""
    r = np.asarray(autocorr(np.arange(n, dtype=np.float64)), dtype=np.float64)
    idx = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    return float(np.linalg.eigvalsh(r[idx])[0])


class CirculantInput(InputSource):
    """Stationary Gaussian input with autocorrelation ``autocorr(k)`` by circulant embedding.

    ``autocorr`` maps a float64 numpy array of lags k ≥ 0 to R(k) (numpy or torch
    evaluable).  The embedding is prepared lazily for each path length.
    """

    def __init__(self, autocorr: Callable[[np.ndarray], np.ndarray], *, name: str = "R") -> None:
        if not callable(autocorr):
            raise TypeError("autocorr must be a callable of the lag k")
        self._autocorr = autocorr
        self.name = name
        self._cache: dict[int, np.ndarray] = {}
        r0 = float(self.autocorr(np.zeros(1))[0])
        if not math.isfinite(r0) or r0 < 0:
            raise ValueError(f"autocorr: R(0) must be finite and ≥ 0, got {r0!r}")

    def autocorr(self, lags: np.ndarray) -> np.ndarray:
        lags = np.asarray(lags, dtype=np.float64)
        out = self._autocorr(lags)
        if isinstance(out, torch.Tensor):
            out = out.detach().cpu().numpy()
        out = np.broadcast_to(np.asarray(out, dtype=np.float64), lags.shape)
        if not np.all(np.isfinite(out)):
            raise ValueError("autocorr: R(k) is not finite at some lag")
        return out

    def sqrt_eigenvalues(self, n_steps: int) -> np.ndarray:
        """sqrt(Λ/M) of the smallest admissible embedding of a length-``n_steps`` path."""
        if n_steps in self._cache:
            return self._cache[n_steps]
        m = _embedding_size(n_steps)
        worst = 0.0
        for _ in range(3):  # M, 2M, 4M
            half = np.arange(m // 2 + 1, dtype=np.float64)
            r = self.autocorr(half)
            c = np.concatenate([r, r[-2:0:-1]])
            lam = np.fft.fft(c).real
            scale = max(float(np.max(np.abs(lam))), 1e-300)
            worst = float(lam.min()) / scale
            if worst >= -EMBEDDING_TOL:
                out = np.sqrt(np.clip(lam, 0.0, None) / m)
                self._cache[n_steps] = out
                return out
            m *= 2
        k = min(n_steps, 256)
        if toeplitz_min_eigenvalue(self.autocorr, k) < -1e-9 * abs(float(self.autocorr(
                np.zeros(1))[0]) or 1.0):
            raise ValueError(
                f"autocorr {self.name} is not positive semi-definite (its {k}x{k} Toeplitz "
                "matrix has a negative eigenvalue): not a valid autocorrelation")
        raise ValueError(
            f"circulant embedding of autocorr {self.name} failed for {n_steps} steps "
            f"(min eigenvalue {worst:.3g} relative, embedding sizes up to {m // 2}); "
            "R may not be positive semi-definite")

    @property
    def default_block_size(self) -> int:  # type: ignore[override]
        return 256

    #: FFT and path storage make a sample-step about 5x dearer than AR(1) streaming
    relative_cost = 5.0

    def max_chunk_samples(self, n_steps: int) -> int | None:
        """Paths are held whole (8·n·steps bytes): cap a chunk at ~128 MB of path."""
        return max(1, (1 << 27) // (8 * max(1, n_steps)))

    def open(self, generators, block_sizes, n_steps, *, dtype, device, scale=1.0):
        return _CirculantStream(self, generators, block_sizes, n_steps, dtype, device,
                                _check_scale(scale))

    def sample_paths(self, generator: torch.Generator, n_paths: int, n_steps: int, *,
                     dtype: torch.dtype, device: torch.device) -> torch.Tensor:
        """``n_paths`` independent stationary paths of length ``n_steps``: (n_steps, n_paths)."""
        root = torch.as_tensor(self.sqrt_eigenvalues(n_steps), device=device,
                               dtype=torch.float64).to(dtype)
        m = root.numel()
        pairs = (n_paths + 1) // 2
        z = torch.empty(pairs, m, 2, dtype=dtype, device=device)
        z.normal_(0.0, 1.0, generator=generator)
        y = torch.fft.fft(torch.view_as_complex(z) * root)
        paths = torch.cat([y.real[:, :n_steps], y.imag[:, :n_steps]], dim=0)[:n_paths]
        return paths.T.contiguous()


class _CirculantStream(InputStream):
    def __init__(self, src: CirculantInput, gens, sizes, n_steps, dtype, device, scale) -> None:
        parts = [src.sample_paths(g, s, n_steps, dtype=dtype, device=device)
                 for g, s in zip(gens, sizes, strict=True)]
        self.path = torch.cat(parts, dim=1)
        if scale != 1.0:
            self.path.mul_(scale)
        self.pos = 0

    def next_tile(self, n_steps: int) -> torch.Tensor:
        tile = self.path[self.pos: self.pos + n_steps]
        self.pos += n_steps
        return tile
