"""Orthogonal parametrizations to put under the DizzyRNN norm checks.

A map is any callable ``make(n, *, generator, dtype) -> Tensor (n, n)`` returning an orthogonal
matrix drawn at a random point of its parameter space.  Registry (geotorch style: a name *or* any
callable; a wrong name raises ``ValueError`` listing the valid ones):

* ``"givens"`` — ``n − 1`` packed Givens rotations (``n`` for odd ``n``), θ ~ U[0, 2π)
  (:class:`numerics.dizzy.rotations.PackedRotations`; DizzyRNN §4.1–4.2);
* ``"matrix_exp"``, ``"cayley"``, ``"householder"`` —
  ``torch.nn.utils.parametrizations.orthogonal`` with that ``orthogonal_map``, base set to ``I``
  and the free parameters (strictly lower triangle) drawn ``N(0, 1)`` from the generator.

:func:`numerics.dizzy.gradnorm.check_orthogonal_map` runs the measurement of ``rnnverify dizzy`` on
any of them.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from rnnverify.numerics.dizzy.rotations import PackedRotations
from torch import nn

OrthogonalMap = Callable[..., torch.Tensor]


def givens_map(n: int, *, generator: torch.Generator | None = None,
               dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """A random product of all round-robin packed Givens rotations."""
    with torch.no_grad():
        return PackedRotations(n, generator=generator, dtype=dtype).matrix()


def _torch_parametrization(map_name: str) -> OrthogonalMap:
    def make(n: int, *, generator: torch.Generator | None = None,
             dtype: torch.dtype = torch.float64) -> torch.Tensor:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        layer = nn.Linear(n, n, bias=False, dtype=dtype)
        with torch.no_grad():
            layer.weight.copy_(torch.eye(n, dtype=dtype))  # base = I (deterministic)
        torch.nn.utils.parametrizations.orthogonal(layer, orthogonal_map=map_name)
        with torch.no_grad():
            original = layer.parametrizations.weight.original
            draw = torch.randn(n, n, generator=generator, dtype=dtype).tril(-1)
            # keep the diagonal (householder reads its ±1 signs from it)
            original.copy_(original.triu() + draw)
            return layer.weight.detach().clone()

    make.__name__ = f"torch_{map_name}"
    make.__doc__ = f"torch.nn.utils.parametrizations.orthogonal(orthogonal_map={map_name!r})"
    return make


#: name -> map ``(n, *, generator, dtype) -> orthogonal (n, n) tensor``
ORTHOGONAL_MAPS: dict[str, OrthogonalMap] = {
    "givens": givens_map,
    "matrix_exp": _torch_parametrization("matrix_exp"),
    "cayley": _torch_parametrization("cayley"),
    "householder": _torch_parametrization("householder"),
}


def resolve_orthogonal_map(spec: str | OrthogonalMap) -> OrthogonalMap:
    """A registry name or any callable → the map (ValueError listing valid names otherwise)."""
    if callable(spec):
        return spec
    if isinstance(spec, str) and spec in ORTHOGONAL_MAPS:
        return ORTHOGONAL_MAPS[spec]
    raise ValueError(f"unknown orthogonal map {spec!r}; valid maps: {', '.join(ORTHOGONAL_MAPS)} "
                     "or any callable (n, *, generator, dtype) -> (n, n) tensor")


def orthogonality_error(q: torch.Tensor) -> float:
    """``‖QᵀQ − I‖₂`` (spectral norm)."""
    eye = torch.eye(q.shape[-1], dtype=q.dtype, device=q.device)
    return float(torch.linalg.matrix_norm(q.transpose(-2, -1) @ q - eye, ord=2))
