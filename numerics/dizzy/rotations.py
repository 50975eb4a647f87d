"""Packed Givens rotations (DizzyRNN, Dorobantu et al. 2016, §4.1–4.2).

Convention (docs/theory.md §6.1): for coordinates ``i < j`` and angle ``θ`` the Givens
rotation ``G(i, j, θ)`` changes only

    y_i = cos θ · x_i − sin θ · x_j,     y_j = sin θ · x_i + cos θ · x_j,

i.e. the 2×2 block ``B(θ) = [[c, −s], [s, c]]`` on rows/columns ``(i, j)``.
A *packed rotation* ``Q_r`` is the product of Givens rotations on the disjoint pairs of one
round ``M_r`` of a round-robin schedule (a perfect matching of ``{0..n−1}``; for odd ``n`` one
element sits out each round).  With ``k`` rounds

    R = Q_k ⋯ Q_2 Q_1                         (``Q_1`` is applied first),

and the ``n − 1`` rounds (``n`` for odd ``n``) of the circle method cover every pair exactly once,
so ``R`` has ``n(n−1)/2 = dim SO(n)`` angles.

Two ways to apply ``R`` (both differentiable w.r.t. the angles):

* :func:`apply_packed_rotations` — ``k`` rounds, each one gather and three element-wise ops on
  the batch, ``O(kn)`` per vector; no ``n×n`` matrix is formed.
* :func:`packed_rotation_matrix` — the same rounds applied once to the rows of the identity
  (``O(kn²)``; each round one gather of contiguous rows and two in-place passes, no autograd
  graph), giving the dense ``R`` for a per-step mat-mul.  ``benchmarks/bench_dizzy.py``
  measures that assembling ``R`` once per sequence is much faster for forward+backward on CPU
  (the per-step packed route is 34–47× slower at B = 100, n = 64–128, T = 100, k = n − 1: it
  runs ``k`` small ops per step through autograd), so :class:`PackedRotations` uses
  ``mode="dense"`` by default.  The assembly's backward takes the angle gradient from the
  output alone (docs/theory.md §6.1), recovering each earlier round with ``Q_rᵀ`` instead of
  storing it.

:func:`explicit_givens_product` is the naive reference (a product of explicit ``n×n`` Givens
matrices), used by the tests and the benchmark only.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
from torch import nn

ROTATION_MODES = ("dense", "packed")


def _check_size(n: int, name: str = "n") -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name} must be an int, got {type(n).__name__}")
    if n < 2:
        raise ValueError(f"{name} must be at least 2 for rotations, got {n}")


def num_full_rounds(n: int) -> int:
    """Rounds of the circle method covering every pair once: ``n − 1`` (even ``n``), ``n`` (odd)."""
    _check_size(n)
    return n - 1 if n % 2 == 0 else n


@lru_cache(maxsize=256)
def _round_robin(n: int) -> tuple[tuple[tuple[int, int], ...], ...]:
    players = n + (n % 2)  # odd n: add a dummy player ``n`` ("bye")
    others = list(range(1, players))
    rounds = []
    for r in range(players - 1):
        arrangement = [0] + others[r:] + others[:r]  # rotate all but player 0
        pairs = []
        for a in range(players // 2):
            i, j = arrangement[a], arrangement[players - 1 - a]
            if i < n and j < n:  # drop the pair containing the dummy
                pairs.append((min(i, j), max(i, j)))
        rounds.append(tuple(sorted(pairs)))
    return tuple(rounds)


def round_robin_schedule(n: int) -> list[list[tuple[int, int]]]:
    """The circle-method (round-robin tournament) 1-factorisation of the complete graph ``K_n``.

    Returns :func:`num_full_rounds` rounds; each round is a list of disjoint pairs ``(i, j)``,
    ``i < j`` (``⌊n/2⌋`` pairs); over all rounds every pair of ``{0..n−1}`` appears exactly once.
    Odd ``n`` uses a dummy element ``n`` whose partner sits the round out.
    """
    _check_size(n)
    return [list(r) for r in _round_robin(n)]


def schedule_for(n: int, k: int) -> list[list[tuple[int, int]]]:
    """The first ``k`` rounds; ``k`` beyond :func:`num_full_rounds` cycles through the schedule."""
    _check_size(n)
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"rotations must be an int, got {type(k).__name__}")
    if k < 1:
        raise ValueError(f"rotations must be a positive integer, got {k}")
    full = _round_robin(n)
    return [list(full[r % len(full)]) for r in range(k)]


@lru_cache(maxsize=256)
def _round_index_tensors(n: int, k: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per round: ``partner[r, i]`` (``i`` itself when unpaired), ``pair_id[r, i]`` (``m`` when
    unpaired, pointing at a padded zero angle) and ``sign[r, i]`` (−1 for the first element of a
    pair, +1 for the second, 0 when unpaired)."""
    m = n // 2
    partner = torch.arange(n).repeat(k, 1)
    pair_id = torch.full((k, n), m, dtype=torch.long)
    sign = torch.zeros(k, n)
    for r, pairs in enumerate(schedule_for(n, k)):
        for p, (i, j) in enumerate(pairs):
            partner[r, i], partner[r, j] = j, i
            pair_id[r, i] = pair_id[r, j] = p
            sign[r, i], sign[r, j] = -1.0, 1.0
    return partner, pair_id, sign


def _round_coefficients(theta: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor,
                                                                torch.Tensor]:
    """Per-coordinate ``C[r, i]`` and ``S[r, i]`` such that round ``r`` maps
    ``x ↦ C[r] ⊙ x + S[r] ⊙ x[partner[r]]`` (that is exactly ``Q_{r+1}``)."""
    k, m = theta.shape
    partner, pair_id, sign = _round_index_tensors(n, k)
    dev = theta.device
    partner, pair_id = partner.to(dev), pair_id.to(dev)
    padded = torch.cat([theta, theta.new_zeros(k, 1)], dim=1)  # unpaired: cos 0 = 1, sin 0 = 0
    c = torch.gather(torch.cos(padded), 1, pair_id)
    s = torch.gather(torch.sin(padded), 1, pair_id) * sign.to(dev, theta.dtype)
    return c, s, partner


def _check_theta(theta: torch.Tensor, n: int) -> None:
    if not isinstance(theta, torch.Tensor) or theta.dim() != 2:
        raise ValueError("theta must be a 2-D tensor of shape (rotations, n // 2)")
    if theta.shape[1] != n // 2:
        raise ValueError(f"theta must have n // 2 = {n // 2} columns, got {theta.shape[1]}")
    if theta.shape[0] < 1:
        raise ValueError("theta must hold at least one packed rotation")


def apply_packed_rotations(x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """``R x`` for every vector ``x[..., :]`` with ``R = Q_k ⋯ Q_1``, in ``O(kn)`` per vector.

    ``theta`` has shape ``(k, n // 2)``: row ``r`` holds the angles of round ``r`` of
    :func:`schedule_for` (pair ``p`` of that round gets ``theta[r, p]``).  Each round is one
    gather (the partner of each coordinate) and ``y = C ⊙ x + S ⊙ x[partner]``.
    """
    n = x.shape[-1]
    _check_size(n, "x.shape[-1]")
    _check_theta(theta, n)
    c, s, partner = _round_coefficients(theta, n)
    for r in range(theta.shape[0]):
        x = torch.addcmul(c[r] * x, s[r], x.index_select(-1, partner[r]))
    return x


@lru_cache(maxsize=256)
def _pair_tensors(n: int, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``I[r, p], J[r, p]``: the pair ``p`` of round ``r`` (``i < j``)."""
    sched = schedule_for(n, k)
    first = torch.tensor([[i for i, _ in rnd] for rnd in sched], dtype=torch.long)
    second = torch.tensor([[j for _, j in rnd] for rnd in sched], dtype=torch.long)
    return first.reshape(k, n // 2), second.reshape(k, n // 2)


class _RotationMatrix(torch.autograd.Function):
    """``R = Q_k ⋯ Q_1`` built row-wise, ``X_r = Q_r X_{r−1}`` from ``X_0 = I``, with the
    angle gradient taken from the output alone.

    Round ``r`` mixes whole rows: ``X_r[a] = C[r, a] X_{r−1}[a] + S[r, a] X_{r−1}[partner a]``,
    one gather of contiguous rows and two in-place element-wise passes (no autograd graph, no
    allocation per round).  Backward, round ``r`` from the last, with ``G = ∂L/∂X_r``:
    ``∂L/∂θ_{r,p} = ⟨G_j, X_r[i]⟩ − ⟨G_i, X_r[j]⟩`` for the pair ``(i, j)`` (docs/theory.md
    §6.1, "selection matrix + fixed 2×2 matrix"), then ``X_{r−1} = Q_rᵀ X_r`` (reusing the
    gathered rows) and ``G ← Q_rᵀ G`` recover the previous round — no intermediate is stored.
    """

    @staticmethod
    def forward(ctx, theta: torch.Tensor, n: int) -> torch.Tensor:  # type: ignore[override]
        c, s, partner = _round_coefficients(theta, n)
        c, s = c.unsqueeze(-1), s.unsqueeze(-1)  # one coefficient per row
        x = torch.eye(n, dtype=theta.dtype, device=theta.device)
        rows = torch.empty_like(x)
        for r in range(theta.shape[0]):
            torch.index_select(x, 0, partner[r], out=rows)
            x.mul_(c[r]).addcmul_(s[r], rows)
        ctx.n = n
        ctx.save_for_backward(theta, x)
        return x

    @staticmethod
    def backward(ctx, grad_x: torch.Tensor):  # type: ignore[override]
        theta, out = ctx.saved_tensors
        n, k = ctx.n, theta.shape[0]
        c, s, partner = _round_coefficients(theta, n)
        c, s = c.unsqueeze(-1), s.unsqueeze(-1)
        first, second = _pair_tensors(n, k)
        # X_r and G side by side: each round is one row gather and two in-place passes on both
        xg = torch.stack([out, grad_x.to(out.dtype)])
        rows = torch.empty_like(xg)
        g, x_rows = xg[1], rows[0]
        v = theta.new_empty(k, n)  # v[r, a] = ⟨G_a, X_r[partner a]⟩
        for r in range(k - 1, -1, -1):
            torch.index_select(xg, 1, partner[r], out=rows)
            torch.linalg.vecdot(g, x_rows, out=v[r])
            xg.mul_(c[r]).addcmul_(s[r], rows, value=-1.0)
        # ⟨G_j, X_r[i]⟩ − ⟨G_i, X_r[j]⟩ for each pair (i, j)
        dev = theta.device
        grad_theta = v.gather(1, second.to(dev)) - v.gather(1, first.to(dev))
        return grad_theta, None


def packed_rotation_matrix(theta: torch.Tensor, n: int) -> torch.Tensor:
    """The dense ``n×n`` matrix ``R = Q_k ⋯ Q_1`` (rounds applied to the identity, ``O(kn²)``).

    Differentiable w.r.t. θ through a custom backward that uses only the output (see
    :class:`_RotationMatrix`); ``tests/test_rotations.py`` checks it against autograd
    through the explicit Givens product.
    """
    _check_size(n)
    _check_theta(theta, n)
    return _RotationMatrix.apply(theta, n)


def givens_matrix(n: int, i: int, j: int, theta: torch.Tensor | float,
                  dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The explicit ``n×n`` Givens matrix ``G(i, j, θ) = I + P_ijᵀ (B(θ) − I₂) P_ij`` (§1)."""
    _check_size(n)
    if not (0 <= i < j < n):
        raise ValueError(f"need 0 <= i < j < n, got i={i}, j={j}, n={n}")
    th = torch.as_tensor(theta, dtype=dtype)
    c, s = torch.cos(th), torch.sin(th)
    g = torch.eye(n, dtype=dtype, device=th.device)
    g = g.index_put((torch.tensor([i, j, i, j]), torch.tensor([i, j, j, i])),
                    torch.stack([c, c, -s, s]))
    return g


def explicit_givens_product(theta: torch.Tensor, n: int) -> torch.Tensor:
    """Naive reference: ``R`` as the product of the ``k·⌊n/2⌋`` explicit ``n×n`` Givens matrices.

    ``O(k n⁴)`` with dense mat-muls; for tests and the benchmark's "naive" baseline only.
    """
    _check_size(n)
    _check_theta(theta, n)
    k = theta.shape[0]
    result = torch.eye(n, dtype=theta.dtype, device=theta.device)
    for r, pairs in enumerate(schedule_for(n, k)):
        for p, (i, j) in enumerate(pairs):
            result = givens_matrix(n, i, j, theta[r, p], theta.dtype).to(theta.device) @ result
    return result


class PackedRotations(nn.Module):
    """An orthogonal ``n×n`` map ``R(θ) = Q_k ⋯ Q_1`` parametrized by ``k·⌊n/2⌋`` angles.

    Args:
        n: dimension (≥ 2; odd allowed).
        rotations: number ``k`` of packed rotations; ``None`` = :func:`num_full_rounds` (all of
            ``SO(n)`` locally, as the authors' default ``num_rots = state_size − 1``).
        mode: ``"dense"`` assembles ``R`` once per call of :meth:`matrix` (fast, default) or
            ``"packed"`` applies the rounds to the vectors in ``O(kn)`` (no ``n×n`` matrix).
        init: ``"uniform"`` draws θ ~ U[0, 2π) (authors' ``Thetas_RandInit``), ``"zero"`` gives
            ``R = I`` (their layer type 15).
        singular_values: expose ``R = U Σ V`` (docs/theory.md §6.4; authors' layer type 12):
            a vector ``σ`` (init 1, i.e. orthogonal at init) multiplies the state after the first
            ``⌊k/2⌋`` rounds; each application then scales norms by a factor in
            ``[σ_min, σ_max]`` (Theorem 1 / Corollary 2).
        generator: ``torch.Generator`` for the initial angles.
    """

    def __init__(self, n: int, rotations: int | None = None, *, mode: str = "dense",
                 init: str = "uniform", singular_values: bool = False,
                 generator: torch.Generator | None = None,
                 dtype: torch.dtype | None = None) -> None:
        super().__init__()
        _check_size(n)
        k = num_full_rounds(n) if rotations is None else rotations
        schedule_for(n, k)  # validates k
        if mode not in ROTATION_MODES:
            raise ValueError(f"mode must be one of {ROTATION_MODES}, got {mode!r}")
        if init not in ("uniform", "zero"):
            raise ValueError(f"init must be 'uniform' or 'zero', got {init!r}")
        self.n, self.rotations, self.mode = n, k, mode
        theta = torch.empty(k, n // 2, dtype=dtype or torch.get_default_dtype())
        if init == "uniform":
            theta.uniform_(0.0, 2.0 * math.pi, generator=generator)
        else:
            theta.zero_()
        self.theta = nn.Parameter(theta)
        # U Σ V exposure (§4): Σ sits after the first ⌊k/2⌋ rounds (the authors' sigma_spot)
        self.sigma_spot = k // 2
        self.sigma = (nn.Parameter(torch.ones(n, dtype=theta.dtype)) if singular_values
                      else None)

    def matrix(self) -> torch.Tensor:
        """The dense map (differentiable): ``R = Q_k ⋯ Q_1`` or ``U diag(σ) V`` with
        ``V = Q_s ⋯ Q_1``, ``U = Q_k ⋯ Q_{s+1}``, ``s = ⌊k/2⌋`` when singular values are exposed."""
        if self.sigma is None:
            return packed_rotation_matrix(self.theta, self.n)
        s = self.sigma_spot
        u = packed_rotation_matrix(self.theta[s:], self.n)
        if s == 0:
            return u * self.sigma
        return (u * self.sigma) @ packed_rotation_matrix(self.theta[:s], self.n)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``R x`` along the last dimension (in the configured mode)."""
        if self.mode == "dense":
            return x @ self.matrix().transpose(0, 1)
        if self.sigma is None:
            return apply_packed_rotations(x, self.theta)
        s = self.sigma_spot
        if s > 0:
            x = apply_packed_rotations(x, self.theta[:s])
        return apply_packed_rotations(x * self.sigma, self.theta[s:])

    def singular_value_penalty(self) -> torch.Tensor:
        """``mean_i (σ_i − 1)²`` (0 without exposed singular values; docs/theory.md §6.4)."""
        if self.sigma is None:
            return self.theta.new_zeros(())
        return torch.mean((self.sigma - 1.0) ** 2)

    def extra_repr(self) -> str:
        return (f"n={self.n}, rotations={self.rotations}, mode={self.mode!r}, "
                f"singular_values={self.sigma is not None}")
