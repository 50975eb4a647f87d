"""Simulators of the diagonal linear recurrence and its sensitivities.

Model (Zucchet & Orvieto 2024, §2; docs/theory.md §1): h_0 = 0, h_{t+1} = λ h_t + γ x_t,
λ real in (−1, 1) or complex λ = ν e^{iθ}.  A *tangent direction* p with seeds
λ̇ = ∂λ/∂p and γ̇ = ∂γ/∂p is propagated by the forward-mode (tangent) recurrence

    ḣ_{t+1} = λ ḣ_t + λ̇ h_t + γ̇ x_t,      ḣ_0 = 0,

which gives d_λ h (λ̇ = 1; γ̇ = γ'(λ) when γ is coupled to λ, 0 when decoupled),
d_θ h (λ̇ = iλ, γ̇ = 0: γ depends on |λ| only) and d_p h for a
reparametrization (λ̇ = dλ/dp, γ̇ = dγ/dp).  For complex λ, d_λ is the
holomorphic derivative.

:class:`LinearRecurrence` advances all grid points λ_1..λ_K on ONE input
stream (state shape (K, samples)), with fused in-place updates.
:func:`autograd_sensitivities` and :func:`autograd_holomorphic` compute the same
derivatives by reverse-mode autograd, as a practitioner would, for cross-checks.
"""

from __future__ import annotations

import cmath
from collections.abc import Callable, Sequence

import torch

DirectionSeeds = tuple[str, Sequence[complex], Sequence[float]]


def complex_dtype(real: torch.dtype) -> torch.dtype:
    """complex128 for float64, complex64 for float32."""
    return torch.complex128 if real == torch.float64 else torch.complex64


def _col(values: Sequence[complex], dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    if dtype.is_complex:
        data = [complex(v) for v in values]
    else:
        data = [float(complex(v).real) for v in values]
    return torch.tensor(data, dtype=dtype, device=device).reshape(-1, 1)


class LinearRecurrence:
    """States h (K, n) and tangents ḣ_p (K, n) of K grid points driven by the same inputs.

    ``gammas`` are the γ_k; ``directions`` a list of ``(name, λ̇_k, γ̇_k)``.  When
    ``is_complex`` the states are complex (needed for complex λ or a θ-direction).
    """

    def __init__(
        self,
        lams: Sequence[complex],
        n_samples: int,
        *,
        gammas: Sequence[float] | None = None,
        directions: Sequence[DirectionSeeds] = (),
        is_complex: bool = False,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str = "cpu",
    ) -> None:
        device = torch.device(device)
        k = len(lams)
        if k == 0:
            raise ValueError("lams must not be empty")
        if not is_complex and any(complex(v).imag != 0 for v in lams):
            raise ValueError("complex lam needs is_complex=True")
        gammas = [1.0] * k if gammas is None else [float(g) for g in gammas]
        if len(gammas) != k:
            raise ValueError(f"gammas must have {k} entries, got {len(gammas)}")
        self.state_dtype = complex_dtype(dtype) if is_complex else dtype
        self.lam = _col(lams, self.state_dtype, device)
        self.unit_gamma = all(g == 1.0 for g in gammas)
        self.gamma = _col(gammas, dtype, device)
        self.h = torch.zeros(k, n_samples, dtype=self.state_dtype, device=device)
        self.names: list[str] = []
        self.tangents: list[torch.Tensor] = []
        self._plans: list[tuple[bool, torch.Tensor, torch.Tensor | None]] = []
        for name, lam_dot, gamma_dot in directions:
            if len(lam_dot) != k or len(gamma_dot) != k:
                raise ValueError(f"direction {name!r} needs {k} seeds for lam_dot and gamma_dot")
            if not is_complex and any(complex(v).imag != 0 for v in lam_dot):
                raise ValueError(f"direction {name!r} has a complex lam_dot: use is_complex=True")
            plain = all(complex(v) == 1 for v in lam_dot) and all(g == 0 for g in gamma_dot)
            gdot = None if all(g == 0 for g in gamma_dot) else _col(gamma_dot, dtype, device)
            self.names.append(name)
            self.tangents.append(torch.zeros_like(self.h))
            self._plans.append((plain, _col(lam_dot, self.state_dtype, device), gdot))

    def step(self, x: torch.Tensor) -> None:
        """Advance one step with input row ``x`` of shape (n,)."""
        h, lam = self.h, self.lam
        for hd, (plain, lam_dot, gdot) in zip(self.tangents, self._plans, strict=True):
            if plain:  # ḣ ← h + λ ḣ   (one fused pass)
                torch.addcmul(h, lam, hd, out=hd)
            else:  # ḣ ← λ ḣ + λ̇ h + γ̇ x
                hd.mul_(lam).addcmul_(lam_dot, h)
                if gdot is not None:
                    hd.addcmul_(gdot, x)
        if self.unit_gamma:  # h ← x + λ h   (one fused pass)
            torch.addcmul(x, lam, h, out=h)
        else:
            h.mul_(lam).addcmul_(self.gamma, x)

    def run(self, x: torch.Tensor) -> None:
        """Advance over every row of ``x`` (steps, n)."""
        for row in x:
            self.step(row)

    def squared_moduli(self) -> tuple[list[str], torch.Tensor]:
        """Names and per-sample |h|², |ḣ_p|² stacked as (quantities·K, n), quantity-major."""
        parts = [self.h, *self.tangents]
        q = torch.stack([p.abs().square() if p.is_complex() else p.square() for p in parts])
        return ["h", *self.names], q.reshape(len(parts) * self.h.shape[0], -1)

    def values(self) -> dict[str, torch.Tensor]:
        """Current h and tangents by name (each (K, n))."""
        return {"h": self.h, **dict(zip(self.names, self.tangents, strict=True))}


def tangent_sensitivities(
    x: torch.Tensor,
    lam: complex,
    *,
    gamma: float = 1.0,
    gamma_prime: float = 0.0,
    is_complex: bool | None = None,
) -> dict[str, torch.Tensor]:
    """h_T, d_λ h_T (and d_θ h_T for complex λ) by the tangent recurrence on inputs ``x`` (T, n)."""
    is_complex = complex(lam).imag != 0 if is_complex is None else is_complex
    dirs: list[DirectionSeeds] = [("d_lam", [1.0], [gamma_prime])]
    if is_complex:
        dirs.append(("d_theta", [1j * complex(lam)], [0.0]))
    real_dtype = x.dtype
    rec = LinearRecurrence([lam], x.shape[1], gammas=[gamma], directions=dirs,
                           is_complex=is_complex, dtype=real_dtype, device=x.device)
    rec.run(x)
    return {k: v[0] for k, v in rec.values().items()}


def autograd_sensitivities(
    x: torch.Tensor,
    lam: complex,
    *,
    gamma: float | Callable[[torch.Tensor], torch.Tensor] = 1.0,
    is_complex: bool | None = None,
) -> dict[str, torch.Tensor]:
    """h_T, d_λ h_T (and d_θ h_T) by reverse-mode autograd through the plain loop.

    Real λ: a leaf λ of shape (n,) (one copy per sample, so ``grad`` gives
    per-sample derivatives); ``gamma`` may be a torch function of λ
    (γ coupled: autograd differentiates through it).  Complex λ = ν e^{iθ}:
    real leaves ν, θ; d_ν h and d_θ h from the gradients of Re h and Im h, and
    the holomorphic derivative d_λ h = e^{−iθ} d_ν h (∂λ/∂ν = e^{iθ}).
    """
    n = x.shape[1]
    is_complex = complex(lam).imag != 0 if is_complex is None else is_complex
    dtype = x.dtype
    if not is_complex:
        lam_v = torch.full((n,), float(complex(lam).real), dtype=dtype, device=x.device,
                           requires_grad=True)
        g = gamma(lam_v) if callable(gamma) else gamma
        h = torch.zeros(n, dtype=dtype, device=x.device)
        for row in x:
            h = lam_v * h + g * row
        (d_lam,) = torch.autograd.grad(h.sum(), lam_v)
        return {"h": h.detach(), "d_lam": d_lam}
    if callable(gamma):
        raise ValueError("a gamma coupled to lam is supported for real lam only")
    nu0, th0 = abs(complex(lam)), cmath.phase(complex(lam))
    nu = torch.full((n,), nu0, dtype=dtype, device=x.device, requires_grad=True)
    th = torch.full((n,), th0, dtype=dtype, device=x.device, requires_grad=True)
    # not torch.polar: its backward w.r.t. the modulus is 0 at modulus 0 (torch 2.x)
    lam_v = torch.complex(nu * torch.cos(th), nu * torch.sin(th))
    h = torch.zeros(n, dtype=complex_dtype(dtype), device=x.device)
    for row in x:
        h = lam_v * h + gamma * row
    re_nu, re_th = torch.autograd.grad(h.real.sum(), [nu, th], retain_graph=True)
    im_nu, im_th = torch.autograd.grad(h.imag.sum(), [nu, th])
    d_nu = torch.complex(re_nu, im_nu)
    d_theta = torch.complex(re_th, im_th)
    d_lam = d_nu * torch.polar(torch.ones_like(nu.detach()), -th.detach())
    return {"h": h.detach(), "d_lam": d_lam, "d_theta": d_theta}


def autograd_holomorphic(x: torch.Tensor, lam: complex, *, gamma: float = 1.0) -> torch.Tensor:
    """d_λ h_T with a complex leaf λ: PyTorch returns the conjugate Wirtinger
    vector–Jacobian product, conj(∂h/∂λ)·v for holomorphic h, so d_λ h = conj(grad)."""
    n = x.shape[1]
    lam_v = torch.full((n,), complex(lam), dtype=complex_dtype(x.dtype), device=x.device,
                       requires_grad=True)
    h = torch.zeros(n, dtype=lam_v.dtype, device=x.device)
    for row in x:
        h = lam_v * h + gamma * row
    (g,) = torch.autograd.grad(h, lam_v, grad_outputs=torch.ones_like(h))
    return g.conj()
