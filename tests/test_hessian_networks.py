"""Hessian at the optimum of linear recurrent networks (Zucchet & Orvieto 2024, §4, Fig. 4):
teacher construction, the three routes, and the ``hessian`` command.

The registry-wide tests run the ``zo.hessian.*`` claims (all columns, quick points) and their
symbolic/oracle columns at Hypothesis-drawn points; here: what the claims do not cover.
"""

from __future__ import annotations

import json

import mpmath
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from rnnverify.crosscheck.schema import SCHEMA_VERSION
from rnnverify.numerics.networks.linear_network import network_outputs
from rnnverify.theory.networks.hessian import hessian_symbolic, spectrum
from rnnverify.theory.networks.hessian_oracle import hessian_oracle
from rnnverify.theory.networks.teacher import parameter_layout, parse_model, teacher


@pytest.mark.parametrize("model", ["dense", "diagonal", "lru", "heads:2"])
def test_impulse_response_outputs_equal_the_stepped_recurrence(model: str) -> None:
    """ŷ from the unrolled kernel equals h_{t+1} = A h_t + B x_{t+1}, ŷ = Re(C h) + D x."""
    kind, heads = parse_model(model)
    net = teacher(kind, 4, "0.7", heads=heads, seed=3, dps=30)
    layout = parameter_layout(net)
    theta = torch.tensor(layout["values"], dtype=torch.float64)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(5, 40, generator=gen, dtype=torch.float64)
    got = network_outputs(layout, theta, x, window=6)
    if net.family == "dense":
        A = torch.tensor([[float(v) for v in r] for r in net.A], dtype=torch.float64)
        B = torch.tensor([float(v) for v in net.B], dtype=torch.float64)
        C = torch.tensor([float(v) for v in net.C], dtype=torch.float64)
        h = torch.zeros(5, 4, dtype=torch.float64)
        ys = []
        for t in range(40):
            h = h @ A.T + x[:, t:t + 1] * B
            ys.append(h @ C + float(net.D) * x[:, t])
    else:
        lam = torch.tensor([complex(v) for v in net.lam], dtype=torch.complex128)
        gb = torch.tensor([complex(g * b) for g, b in zip(net.gamma, net.b, strict=True)],
                          dtype=torch.complex128)
        c = torch.tensor([complex(v) for v in net.c], dtype=torch.complex128)
        h = torch.zeros(5, 4, dtype=torch.complex128)
        ys = []
        for t in range(40):
            h = lam * h + gb * x[:, t:t + 1]
            ys.append((h * c).sum(-1).real + float(net.D) * x[:, t])
    want = torch.stack(ys[-6:], dim=1)
    assert torch.allclose(got, want, rtol=1e-10, atol=1e-10)


@settings(max_examples=4, deadline=None)
@given(model=st.sampled_from(["diagonal", "lru"]), hidden=st.integers(1, 3),
       nu0=st.sampled_from(["0.2", "0.8", "0.97"]), rho=st.sampled_from(["0", "0.6", "-0.4"]),
       seed=st.integers(0, 100))
def test_symbolic_and_oracle_agree_to_30_digits(model, hidden, nu0, rho, seed) -> None:
    net = teacher(model, hidden, nu0, seed=seed, dps=60)
    Ho = hessian_oracle(net, mpmath.mpf(rho), dps=40)
    Hs = hessian_symbolic(net, mpmath.mpf(rho), dps=50)
    with mpmath.workdps(50):
        top = max(abs(v) for r in Hs for v in r)
        err = max(abs(a - b) for ra, rb in zip(Ho["hessian"], Hs, strict=True)
                  for a, b in zip(ra, rb, strict=True)) / top
    assert err < 1e-30
    assert Ho["error_bound"] < mpmath.mpf(10) ** -35 * top


def test_null_directions_are_the_invariances_for_every_model() -> None:
    for model, heads in (("dense", 1), ("heads", 2), ("diagonal", 1), ("lru", 1)):
        net = teacher(model, 4, "0.9", heads=heads, seed=1, dps=50)
        s = spectrum(hessian_oracle(net, 0.3, dps=30)["hessian"], net.recurrent, dps=30)
        assert s["null_dimension"] == net.invariance_dimension(), model
        assert s["condition_number"] > 1
        assert s["preconditioned_condition_number"] > 1


def test_dense_and_diagonal_are_the_same_system() -> None:
    """Same seed: the diagonal network is the eigenbasis of the dense one.  Basis-free
    entries agree: H_DD = E x² = 1, and Σ_k C_k H[D, C_k] = E[x (ŷ − D x)] (with
    ∂ŷ/∂Re C = Re(B h̃), ∂ŷ/∂Im C = −Im(B h̃) in the diagonal network)."""
    n = 4
    d = teacher("dense", n, "0.9", seed=5, dps=40)
    g = teacher("diagonal", n, "0.9", seed=5, dps=40)
    Hd = hessian_oracle(d, 0.5, dps=30)["hessian"]
    Hg = hessian_oracle(g, 0.5, dps=30)["hessian"]
    assert mpmath.almosteq(Hd[-1][-1], 1, 1e-25) and mpmath.almosteq(Hg[-1][-1], 1, 1e-25)
    P_d, P_g = len(d.names), len(g.names)
    with mpmath.workdps(40):
        dense_side = sum(d.C[k] * Hd[-1][P_d - 1 - n + k] for k in range(n))
        diag_side = sum(mpmath.re(g.c[k]) * Hg[-1][P_g - 1 - 2 * n + k]
                        + mpmath.im(g.c[k]) * Hg[-1][P_g - 1 - n + k] for k in range(n))
        assert abs(dense_side) > 1e-3
        assert mpmath.almosteq(dense_side, diag_side, 1e-20)


@pytest.mark.parametrize("kwargs, match", [
    ({"model": "cnn", "hidden": 2, "nu0": "0.5"}, "model"),
    ({"model": "dense", "hidden": 0, "nu0": "0.5"}, "hidden"),
    ({"model": "dense", "hidden": 2, "nu0": "1.0"}, "nu0"),
    ({"model": "heads", "hidden": 3, "nu0": "0.5", "heads": 2}, "multiple"),
])
def test_teacher_rejects_bad_input(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        teacher(**kwargs)


def test_parse_model() -> None:
    assert parse_model("heads:4") == ("heads", 4)
    assert parse_model("lru") == ("lru", 1)
    with pytest.raises(ValueError, match="heads"):
        parse_model("heads:x")


def test_cli_hessian_json_has_the_contract_keys(tmp_path, cli) -> None:
    plot = tmp_path / "fig4.png"
    r = cli("hessian", "--model", "diagonal", "--hidden", "2", "--nu0", "0.5", "--rho", "0.3",
             "--mc-samples", "2000", "--json", "--plot", str(plot))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    for key in ("command", "schema_version", "parameters", "hessian", "eigenvalues",
                "condition_number", "preconditioned_condition_number", "agreement",
                "lambda_share"):
        assert key in doc
    assert doc["command"] == "hessian" and doc["schema_version"] == SCHEMA_VERSION
    assert len(doc["hessian"]) == len(doc["parameters"]) == 13
    assert doc["agreement"]["symbolic_vs_oracle"] < 1e-25
    assert doc["agreement"]["monte_carlo"]["holds"]
    assert doc["null_dimension"] == doc["predicted_null_dimension"]
    top = doc["top_eigenvectors"]
    assert len(top["effective_coordinates"]) == 2  # the top N = 2 eigenvectors
    assert 1 <= top["mean_effective_coordinates"] <= 13
    assert plot.stat().st_size > 1000


@pytest.mark.parametrize(("args", "message"), [
    (("--model", "rnn"), "--model: must be one of dense, diagonal, lru, heads:K, got 'rnn'"),
    (("--hidden", "0"), "--hidden must be a positive integer, got 0"),
    (("--nu0", "1.5"), "--nu0 must lie in [0, 1), got 1.5"),
    (("--rho", "1"), "--rho must lie in (-1, 1), got 1"),
    (("--model", "heads:3", "--hidden", "4"),
     "--hidden: 4 is not a multiple of the number of heads (3)"),
    (("--hidden", "99"), "--hidden: must lie in [1, 16], got 99"),
])
def test_cli_hessian_bad_input_exits_2(args, message, cli, one_line_error) -> None:
    r = cli("hessian", *args, "--mc-samples", "0")
    assert r.returncode == 2
    one_line_error(r, message)


@pytest.mark.parametrize(("args", "fragments"), [
    (("--mc-samples", "10000000000000"), ("--mc-samples must be at most 1000000",)),
    (("--nu0", "0.9999999"), ("Monte Carlo Jacobians", "500000009 steps", "TB", "reduce")),
])
def test_cli_hessian_refuses_an_impossible_simulation_at_once(args, fragments, cli,
                                                              one_line_error) -> None:
    """Refused before the oracle runs (it would take seconds to minutes first)."""
    r = cli("hessian", *args)
    assert r.returncode == 2
    one_line_error(r, *fragments)


def test_gauss_newton_bytes_counts_the_jacobian_and_the_chunk() -> None:
    from rnnverify.numerics.networks.linear_network import gauss_newton_bytes

    # Jacobian 8·P·T·N·8 plus chunk 8·(2bT + bWP + 2bP²) with b = min(S, 2²³ // T)
    P, N, T, S, W = 25, 4, 5008, 4000, 4
    b = 2**23 // T
    assert gauss_newton_bytes(P, N, samples=S, steps=T, window=W) == (
        64 * P * T * N + 8 * (2 * b * T + b * W * P + 2 * b * P * P))
    # one sequence at a time once a sequence is longer than 2²³ steps
    assert gauss_newton_bytes(1, 1, samples=5, steps=2**24) == 64 * 2**24 + 8 * (2 * 2**24 + 1 + 2)


def test_hessian_time_estimate_grows_as_stated() -> None:
    from rnnverify.crosscheck.commands.hessian import estimate_seconds

    assert estimate_seconds(10, samples=0, steps=100) == pytest.approx(5e-5 * 1000)
    assert estimate_seconds(10, samples=1000, steps=100) == pytest.approx(5e-2 + 4e-9 * 1e6)


def _rotated_diag(values: list[float], basis_angle: float) -> tuple[list[list[float]], int]:
    """H = Q diag(values) Qᵀ with Q a rotation by ``basis_angle`` in coordinates (0, 1) of a
    4-dim space: eigenvector 1 has 1/Σv⁴ = 1/(cos⁴ + sin⁴)."""
    import math

    c, s = math.cos(basis_angle), math.sin(basis_angle)
    Q = [[c, -s, 0, 0], [s, c, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    H = [[sum(Q[i][k] * values[k] * Q[j][k] for k in range(4)) for j in range(4)]
         for i in range(4)]
    return H, 4


@pytest.mark.parametrize("angle", [0.0, 0.3, 0.7853981633974483])
def test_top_eigenspaces_effective_coordinates_both_routes(angle: float) -> None:
    """Simple eigenvalues: 1/Σv⁴ exactly (1 on an axis, 2 at 45°); mpmath and float64 agree."""
    import math

    from rnnverify.numerics.networks.linear_network import top_eigenspaces as te_float
    from rnnverify.theory.networks.hessian import top_eigenspaces as te_mp

    H, _ = _rotated_diag([9.0, 3.0, 0.01, 1e-20], angle)
    want = 1 / (math.cos(angle) ** 4 + math.sin(angle) ** 4)
    a = te_mp([[mpmath.mpf(v) for v in r] for r in H], 2, dps=30)
    b = te_float(torch.tensor(H, dtype=torch.float64), 2)
    assert float(a["effective_coordinates"][0]) == pytest.approx(want, rel=1e-12)
    assert b["effective_coordinates"][0] == pytest.approx(want, rel=1e-10)
    assert a["largest_gap_rank"] == b["largest_gap_rank"] == 2  # 3/0.01; 1e−20 is null


def test_top_eigenspaces_is_basis_free_on_a_degenerate_eigenspace() -> None:
    """A 2-fold top eigenvalue on coordinates (0, 1): Π = diag(1, 1, 0, 0) whatever basis the
    solver returns, so each vector gets m/ΣΠ_pp² = 2/2 = 1."""
    from rnnverify.theory.networks.hessian import top_eigenspaces

    for angle in (0.0, 0.4, 1.1):
        H, _ = _rotated_diag([5.0, 5.0, 1.0, 0.5], angle)
        out = top_eigenspaces([[mpmath.mpf(v) for v in r] for r in H], 2, dps=30)
        assert [float(v) for v in out["effective_coordinates"]] == pytest.approx([1.0, 1.0])
    with pytest.raises(ValueError, match=r"^k must lie in \[1, 4\], got 5$"):
        top_eigenspaces([[mpmath.mpf(v) for v in r] for r in H], 5)


@pytest.mark.parametrize("model", ["dense", "diagonal"])
def test_impulse_gauss_newton_equals_the_lyapunov_hessian(model: str) -> None:
    """Σ_n ∂k_n ∂k_nᵀ (float64, white input) is the Lyapunov Hessian to rounding."""
    from rnnverify.numerics.networks.linear_network import impulse_gauss_newton

    net = teacher(model, 2, "0.8", seed=4, dps=30)
    H = hessian_oracle(net, 0, dps=25, rounding_check=False)["hessian"]
    G = impulse_gauss_newton(parameter_layout(net), steps=400)
    T = torch.tensor([[float(v) for v in r] for r in H], dtype=torch.float64)
    assert float((G - T).abs().max() / T.abs().max()) < 1e-12
    with pytest.raises(ValueError, match="^steps must be positive, got 0$"):
        impulse_gauss_newton(parameter_layout(net), steps=0)


def test_adam_stability_bound_both_routes() -> None:
    """For a diagonal H, D^½HD^½ = diag(sqrt(H_pp)): the bound is 2/max sqrt(H_pp); a flat
    coordinate (H_pp = 0) is left out; the mpmath and float64 routes agree on a full matrix."""
    from rnnverify.crosscheck.claims.networks import _adam_bound_float, _adam_bound_mp

    H = [[16.0, 0, 0], [0, 4.0, 0], [0, 0, 0.0]]
    assert _adam_bound_mp([[mpmath.mpf(v) for v in r] for r in H]) == pytest.approx(0.5)
    assert _adam_bound_float(torch.tensor(H, dtype=torch.float64)) == pytest.approx(0.5)
    full = [[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]]
    assert _adam_bound_mp([[mpmath.mpf(v) for v in r] for r in full]) == pytest.approx(
        _adam_bound_float(torch.tensor(full, dtype=torch.float64)), rel=1e-12)


def test_landscape_figures_render() -> None:
    """Figs. 1B/C, 6, 8: PNGs with one panel per curve family (Fig. 8 one per ρ)."""
    from rnnverify.crosscheck.report.figures import fig1bc, fig6, fig8

    for data in (fig1bc(points=60, teachers=("0.5", "0.9")), fig6(points=30)):
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    one = int.from_bytes(fig8(points=11, rhos=(0.5,))[16:20], "big")
    three = int.from_bytes(fig8(points=11, rhos=(0.0, 0.5, 0.9))[16:20], "big")
    assert three > 2 * one
