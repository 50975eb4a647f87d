"""Packed Givens rotations (numerics.dizzy.rotations) against explicit Givens matrix products."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from rnnverify.numerics.dizzy.rotations import (
    PackedRotations,
    apply_packed_rotations,
    explicit_givens_product,
    givens_matrix,
    num_full_rounds,
    packed_rotation_matrix,
    round_robin_schedule,
    schedule_for,
)

F64 = torch.float64


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 7, 8, 9, 16, 33, 64, 101])
def test_schedule_is_a_one_factorisation(n):
    sched = round_robin_schedule(n)
    assert len(sched) == num_full_rounds(n) == (n - 1 if n % 2 == 0 else n)
    for rnd in sched:
        flat = [a for pair in rnd for a in pair]
        assert len(flat) == len(set(flat)) == 2 * (n // 2)  # disjoint, ⌊n/2⌋ pairs
        assert all(0 <= i < j < n for i, j in rnd)
    pairs = [p for rnd in sched for p in rnd]
    assert sorted(pairs) == list(itertools.combinations(range(n), 2))  # every pair exactly once


def test_schedule_for_cycles_and_validates():
    assert schedule_for(6, 7)[5] == schedule_for(6, 7)[0]
    with pytest.raises(ValueError, match="rotations"):
        schedule_for(6, 0)
    with pytest.raises(ValueError, match="at least 2"):
        round_robin_schedule(1)
    with pytest.raises(TypeError, match="^n must be an int, got float"):
        round_robin_schedule(4.0)


def test_givens_matrix_convention():
    g = givens_matrix(4, 1, 3, 0.3)
    x = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=F64)
    y = g @ x
    c, s = math.cos(0.3), math.sin(0.3)
    assert torch.allclose(y, torch.tensor([1.0, c * 2 - s * 4, 3.0, s * 2 + c * 4], dtype=F64))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 13), k=st.integers(1, 30), seed=st.integers(0, 2**31 - 1))
def test_packed_application_matches_explicit_product(n, k, seed):
    gen = torch.Generator().manual_seed(seed)
    theta = torch.rand(k, n // 2, generator=gen, dtype=F64) * 2 * math.pi
    explicit = explicit_givens_product(theta, n)
    x = torch.randn(3, n, generator=gen, dtype=F64)
    assert torch.allclose(apply_packed_rotations(x, theta), x @ explicit.T, atol=1e-13, rtol=0)
    dense = packed_rotation_matrix(theta, n)
    assert torch.allclose(dense, explicit, atol=1e-13, rtol=0)
    eye = torch.eye(n, dtype=F64)
    assert torch.allclose(dense.T @ dense, eye, atol=1e-13, rtol=0)
    assert torch.linalg.det(dense).item() == pytest.approx(1.0, abs=1e-12)  # SO(n)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 9), k=st.integers(1, 9), seed=st.integers(0, 2**31 - 1))
def test_angle_gradients_match_explicit_product(n, k, seed):
    gen = torch.Generator().manual_seed(seed)
    theta0 = torch.rand(k, n // 2, generator=gen, dtype=F64) * 2 * math.pi
    x = torch.randn(4, n, generator=gen, dtype=F64)
    w = torch.randn(4, n, generator=gen, dtype=F64)
    grads = []
    for route in (lambda t: apply_packed_rotations(x, t),
                  lambda t: x @ explicit_givens_product(t, n).T):
        theta = theta0.clone().requires_grad_(True)
        (route(theta) * w).sum().backward()
        grads.append(theta.grad)
    assert torch.allclose(grads[0], grads[1], atol=1e-12, rtol=0)


def test_angle_gradient_from_the_output_alone():
    """dL/dθ = g_j y_i − g_i y_j for one rotation (docs/theory.md §6.1), from the output y only."""
    gen = torch.Generator().manual_seed(3)
    theta = torch.tensor([[0.7, -1.2, 2.5]], dtype=F64, requires_grad=True)
    x = torch.randn(6, generator=gen, dtype=F64)
    g = torch.randn(6, generator=gen, dtype=F64)
    y = apply_packed_rotations(x, theta)
    (y * g).sum().backward()
    y = y.detach()
    expected = [g[j] * y[i] - g[i] * y[j] for i, j in schedule_for(6, 1)[0]]
    assert torch.allclose(theta.grad[0], torch.stack(expected), atol=1e-14)


@pytest.mark.parametrize("n,k", [(8, None), (7, 3), (10, 1)])
@pytest.mark.parametrize("singular_values", [False, True])
def test_module_modes_agree(n, k, singular_values):
    gen = torch.Generator().manual_seed(0)
    dense = PackedRotations(n, k, generator=gen, dtype=F64, singular_values=singular_values)
    packed = PackedRotations(n, k, mode="packed", dtype=F64, singular_values=singular_values)
    with torch.no_grad():
        packed.theta.copy_(dense.theta)
        if singular_values:
            sigma = torch.linspace(0.5, 1.5, n, dtype=F64)
            dense.sigma.copy_(sigma)
            packed.sigma.copy_(sigma)
    x = torch.randn(5, n, dtype=F64, generator=gen)
    assert torch.allclose(dense(x), packed(x), atol=1e-13)
    assert torch.allclose(dense(x), x @ dense.matrix().T, atol=1e-13)


def test_usv_has_the_exposed_singular_values():
    gen = torch.Generator().manual_seed(1)
    rot = PackedRotations(9, 6, generator=gen, dtype=F64, singular_values=True)
    sigma = torch.rand(9, generator=gen, dtype=F64) + 0.2
    with torch.no_grad():
        rot.sigma.copy_(sigma)
    sv = torch.linalg.svdvals(rot.matrix())
    assert torch.allclose(sv, torch.sort(sigma, descending=True).values, atol=1e-13)
    # U diag(σ) V with V the first ⌊k/2⌋ rounds
    v = packed_rotation_matrix(rot.theta[:3].detach(), 9)
    u = packed_rotation_matrix(rot.theta[3:].detach(), 9)
    assert torch.allclose(rot.matrix().detach(), u @ torch.diag(sigma) @ v, atol=1e-13)


def test_zero_init_is_identity_and_bad_args():
    rot = PackedRotations(5, init="zero", dtype=F64)
    assert torch.equal(rot.matrix().detach(), torch.eye(5, dtype=F64))
    with pytest.raises(ValueError, match="mode"):
        PackedRotations(4, mode="sparse")
    with pytest.raises(ValueError, match="columns"):
        apply_packed_rotations(torch.zeros(2, 6), torch.zeros(3, 2))


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 11), k=st.integers(1, 14), seed=st.integers(0, 2**31 - 1))
def test_matrix_gradient_from_outputs_matches_explicit_product(n, k, seed):
    """The dense assembly's custom backward (angle gradient from the output alone,
    docs/theory.md §6.1) against autograd through the product of explicit Givens matrices."""
    gen = torch.Generator().manual_seed(seed)
    theta0 = torch.rand(k, n // 2, generator=gen, dtype=F64) * 2 * math.pi
    w = torch.randn(n, n, generator=gen, dtype=F64)
    grads = []
    for build in (packed_rotation_matrix, lambda t, m: explicit_givens_product(t, m)):
        theta = theta0.clone().requires_grad_(True)
        (build(theta, n) * w).sum().backward()
        grads.append(theta.grad)
    assert torch.allclose(grads[0], grads[1], atol=1e-12, rtol=0)


def test_matrix_gradcheck():
    theta = torch.rand(5, 3, dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: packed_rotation_matrix(t, 7), (theta,))
