"""DizzyRNN layer (numerics.dizzy.layer): fused recurrence vs plain autograd, Jacobian structure,
UΣV scaling, stacking, baselines' interface."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from rnnverify.numerics.dizzy.baselines import MODELS, make_model
from rnnverify.numerics.dizzy.layer import (
    DizzyRNN,
    DizzyRNNLayer,
    elementwise_recurrence,
    recurrent_step,
)
from rnnverify.numerics.dizzy.rotations import PackedRotations

F64 = torch.float64


def _plain_loop(layer: DizzyRNNLayer, x: torch.Tensor) -> torch.Tensor:
    step, h, out = layer.step_function(), torch.zeros(x.shape[1], layer.hidden_size,
                                                      dtype=x.dtype), []
    for t in range(x.shape[0]):
        h = step(h, x[t])
        out.append(h)
    return torch.stack(out)


@pytest.mark.parametrize("nonlinearity", ["abs", "tanh", "relu"])
@pytest.mark.parametrize("square_input", [False, True])
@pytest.mark.parametrize("singular_values", [False, True])
def test_fused_recurrence_matches_plain_autograd(nonlinearity, square_input, singular_values):
    gen = torch.Generator().manual_seed(7)
    n, d = 7, (7 if square_input else 3)
    layer = DizzyRNNLayer(d, n, rotations=4, nonlinearity=nonlinearity, square_input=square_input,
                          singular_values=singular_values, bias_std=0.5, generator=gen,
                          dtype=F64)
    if singular_values:
        with torch.no_grad():
            layer.recurrent.sigma.uniform_(0.6, 1.4, generator=gen)
    x = torch.randn(15, 4, d, generator=gen, dtype=F64)
    w = torch.randn(15, 4, n, generator=gen, dtype=F64)
    grads = []
    for forward in (lambda: layer(x)[0], lambda: _plain_loop(layer, x)):
        layer.zero_grad()
        hs = forward()
        (hs * w).sum().backward()
        grads.append((hs.detach(), [p.grad.clone() for p in layer.parameters()]))
    (h1, g1), (h2, g2) = grads
    assert torch.allclose(h1, h2, atol=1e-12, rtol=0)
    for a, b in zip(g1, g2, strict=True):
        assert torch.allclose(a, b, atol=1e-10, rtol=1e-10)


def test_elementwise_recurrence_gradcheck():
    gen = torch.Generator().manual_seed(0)
    u = torch.randn(5, 2, 4, generator=gen, dtype=F64, requires_grad=True)
    r = torch.randn(4, 4, generator=gen, dtype=F64, requires_grad=True)
    h0 = torch.randn(2, 4, generator=gen, dtype=F64, requires_grad=True)
    for nl in ("abs", "tanh"):
        assert torch.autograd.gradcheck(lambda a, b, c, nl=nl: elementwise_recurrence(a, b, c, nl),
                                        (u, r, h0))


def test_packed_mode_equals_dense_mode():
    gen = torch.Generator().manual_seed(2)
    dense = DizzyRNNLayer(3, 6, rotations=3, generator=gen, dtype=F64, bias_std=0.3)
    packed = DizzyRNNLayer(3, 6, rotations=3, rotation_mode="packed", dtype=F64)
    packed.load_state_dict(dense.state_dict())
    x = torch.randn(10, 2, 3, generator=gen, dtype=F64)
    assert torch.allclose(dense(x)[0], packed(x)[0], atol=1e-12)


@settings(max_examples=10, deadline=None)
@given(n=st.integers(2, 12), seed=st.integers(0, 2**31 - 1))
def test_abs_jacobian_is_signs_times_rotation(n, seed):
    """∂h_t/∂h_{t−1} = D_t R with D_t = diag(±1) (docs/theory.md §6.3): orthogonal for abs."""
    gen = torch.Generator().manual_seed(seed)
    layer = DizzyRNNLayer(3, n, generator=gen, dtype=F64, bias_std=0.2)
    step = layer.step_function()
    h = torch.rand(n, generator=gen, dtype=F64)
    x = torch.randn(3, generator=gen, dtype=F64)
    jac = torch.autograd.functional.jacobian(lambda v: step(v, x), h)
    a = layer.recurrent_matrix() @ h + layer.input_matrix() @ x + layer.bias
    expected = torch.diag(torch.sign(a)) @ layer.recurrent_matrix()
    assert torch.allclose(jac, expected.detach(), atol=1e-13)
    assert torch.allclose(jac.T @ jac, torch.eye(n, dtype=F64), atol=1e-12)


def test_usv_backprop_scaling_within_singular_value_range():
    """With R = U Σ V, ‖Jᵀ g‖/‖g‖ ∈ [σ_min, σ_max] for every g (Theorem 1 / Corollary 2)."""
    gen = torch.Generator().manual_seed(4)
    n = 10
    layer = DizzyRNNLayer(4, n, singular_values=True, generator=gen, dtype=F64, bias_std=0.3)
    sigma = torch.linspace(0.5, 1.7, n, dtype=F64)
    with torch.no_grad():
        layer.recurrent.sigma.copy_(sigma[torch.randperm(n, generator=gen)])
    step = layer.step_function()
    h = torch.rand(n, generator=gen, dtype=F64)
    x = torch.randn(4, generator=gen, dtype=F64)
    jac = torch.autograd.functional.jacobian(lambda v: step(v, x), h)
    g = torch.randn(200, n, generator=gen, dtype=F64)
    ratios = torch.linalg.vector_norm(g @ jac, dim=1) / torch.linalg.vector_norm(g, dim=1)
    assert ratios.min() >= 0.5 - 1e-12 and ratios.max() <= 1.7 + 1e-12
    sv = torch.linalg.svdvals(jac)
    assert sv.min().item() == pytest.approx(0.5, abs=1e-12)
    assert sv.max().item() == pytest.approx(1.7, abs=1e-12)


def test_regularizer_is_half_lambda_mean_squared_deviation():
    gen = torch.Generator().manual_seed(5)
    net = DizzyRNN(3, 4, num_layers=2, singular_values=True, generator=gen, dtype=F64)
    s0 = torch.tensor([1.0, 2.0, 1.0, 0.0], dtype=F64)
    with torch.no_grad():
        net.layers[0].recurrent.sigma.copy_(s0)
    # layer 0: one σ vector (dense W) -> mean (0+1+0+1)/4 = 0.5; layer 1: 8 σ's all 1 -> 0
    assert net.regularizer(2.0).item() == pytest.approx(0.5 * 2.0 * (0.5 + 0.0) / 2)
    with pytest.raises(ValueError, match="lam must be a finite non-negative number, got -1.0"):
        net.regularizer(-1.0)


def test_stack_uses_square_rotations_above_the_first_layer():
    net = DizzyRNN(5, 6, num_layers=3, generator=torch.Generator().manual_seed(0))
    first = net.layers[0]
    assert first.weight_ih.shape == (6, 5) and first.input_rotations is None
    for layer in net.layers[1:]:
        assert isinstance(layer.input_rotations, PackedRotations) and layer.weight_ih is None
        assert layer.input_rotations.n == 6
    out, last = net(torch.randn(8, 2, 5))
    assert out.shape == (8, 2, 6) and torch.equal(last, out[-1])


@pytest.mark.parametrize("name", sorted(MODELS))
def test_common_interface_and_seeded_init(name):
    models = [make_model(name, 3, 6, generator=torch.Generator().manual_seed(11))
              for _ in range(2)]
    x = torch.randn(9, 4, 3)
    out, last = models[0](x)
    assert out.shape == (9, 4, 6) and last.shape == (4, 6)
    assert torch.equal(out, models[1](x)[0])  # same seed, same model


def test_irnn_identity_init_and_step_function():
    m = make_model("irnn", 3, 5, generator=torch.Generator().manual_seed(0), dtype=F64)
    assert torch.equal(m.rnn.weight_hh_l0.detach(), torch.eye(5, dtype=F64))
    x = torch.randn(6, 1, 3, dtype=F64)
    step, h = m.step_function(), torch.zeros(1, 5, dtype=F64)
    for t in range(6):
        h = step(h, x[t])
    assert torch.allclose(h, m(x)[1], atol=1e-13)


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown model 'foo'; valid models: dizzy"):
        make_model("foo", 2, 3)
    with pytest.raises(ValueError, match="nonlinearity"):
        DizzyRNNLayer(2, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="square_input"):
        DizzyRNNLayer(3, 4, square_input=True)
    with pytest.raises(ValueError, match="hidden_size"):
        DizzyRNNLayer(3, 0)
    with pytest.raises(ValueError, match="shape"):
        DizzyRNNLayer(3, 4)(torch.zeros(5, 3))
    with pytest.raises(ValueError, match="nonlinearity"):
        recurrent_step(torch.eye(2), torch.eye(2), None, "gelu")
