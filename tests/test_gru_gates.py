"""Constant-gate GRU theory (Zucchet & Orvieto 2024, §5, Figs. 12, 15): derivation, the
simulator and the ``gru-gates`` command.  The registry tests run ``zo.gru.*`` themselves."""

from __future__ import annotations

import json
import math

import mpmath
import pytest
import sympy as sp
from rnnverify.crosscheck.schema import SCHEMA_VERSION
from rnnverify.numerics.networks.gru_gates import simulate_gate
from rnnverify.theory.networks.gru import (
    components_float,
    derived_moments,
    gate_for_timescale,
    gate_values,
    implied_unnormalized,
    published_forms,
)
from rnnverify.theory.symbols import lam


def test_white_input_limit_is_the_normalized_recurrence() -> None:
    """With R = δ (drop the correlated component) E h² = (1−z)²/(1−z²) = (1−z)/(1+z)."""
    from rnnverify.theory.memory.moments import moment_expr

    h2 = moment_expr("h2", "0**k", gamma="1-lam")
    assert sp.simplify(h2 - (1 - lam) / (1 + lam)) == 0


def test_implied_unnormalized_inverts_the_normalization() -> None:
    """Feeding the derived GRU moments back gives the un-normalized E h̃², E(d_λh̃)²."""
    from rnnverify.theory.memory.moments import moment_expr
    from rnnverify.theory.networks.gru import fig12_autocorrelation

    d = derived_moments()
    back = implied_unnormalized(d["dh2_db"], d["h2"])
    ac = fig12_autocorrelation()
    for key in ("h2", "dh2_dlam"):
        want = moment_expr(key, ac)
        for z in (0.3, 0.9):
            assert float(back[key].subs(lam, z)) == pytest.approx(float(want.subs(lam, z)),
                                                                  rel=1e-9)


def test_code_formula_differs_by_the_h_plus_dh_cross_terms() -> None:
    p = published_forms()
    v = gate_values(0.8)
    assert mpmath.almosteq(v["dh2_db"], v["code_var_dbh_pure"], 1e-25)
    assert not mpmath.almosteq(v["dh2_db"], v["code_var_dbh_code"], 1e-3)
    assert p["var_dbh_code"] != p["var_dbh_pure"]


def test_simulated_constant_gate_matches_theory_within_standard_errors() -> None:
    z = 0.6
    est = simulate_gate(math.log(z / (1 - z)), components=components_float(), samples=20000,
                        steps=90, seed=3)
    v = gate_values(z)
    assert abs(est.h2 - float(v["h2"])) < 4.5 * est.h2_stderr
    assert abs(est.dh2_db - float(v["dh2_db"])) < 4.5 * est.dh2_db_stderr


@pytest.mark.parametrize(("kwargs", "name"), [({"samples": 0, "steps": 10}, "samples"),
                                            ({"samples": 10, "steps": 0}, "steps")])
def test_simulate_gate_rejects_bad_sizes(kwargs, name) -> None:
    with pytest.raises(ValueError, match=f"^{name} must .*got 0$"):
        simulate_gate(0.0, components=components_float(), **kwargs)


def test_gate_for_timescale() -> None:
    assert gate_for_timescale(1) == 0.5
    with pytest.raises(ValueError, match="timescale"):
        gate_for_timescale(0)


@pytest.mark.slow
def test_cli_gru_gates_json(cli, tmp_path) -> None:
    plot = tmp_path / "fig15.png"
    r = cli("gru-gates", "--timescales", "2", "--cases", "constant,input", "--samples", "200",
            "--units", "8", "--json", "--plot", str(plot))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["command"] == "gru-gates" and doc["schema_version"] == SCHEMA_VERSION
    assert [row["case"] for row in doc["rows"]] == ["constant", "input"]
    assert "Fig. 12" in doc["inputs"]
    assert doc["model"] == "authors" and "orthogonal" in doc["model_description"]
    assert doc["plot"] == str(plot) and plot.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("args", [("--timescales", "0"), ("--cases", "lstm"),
                                  ("--samples", "-1"), ("--sigma-x", "nan"),
                                  ("--units", "0"), ("--model", "lstm")])
def test_cli_gru_gates_bad_input_exits_2(args, cli, one_line_error) -> None:
    r = cli("gru-gates", *args)
    assert r.returncode == 2
    one_line_error(r, args[0])


def test_code_formula_counterexample_lies_in_the_gate_range() -> None:
    """check-claim restricted to λ ∈ (0, 1) (the gate's range) refutes the code's formula at a
    point inside it and proves the pure ∂_α∂_β term."""
    from rnnverify.crosscheck.claims.gru import code_formula_verdicts

    v = code_formula_verdicts()
    assert v["var_dbh_pure"]["holds"] is True
    assert v["var_dbh_code"]["holds"] is False
    lam_ce = float(v["var_dbh_code"]["counterexample"]["point"]["lam"])
    assert 0.0 < lam_ce < 1.0


def test_lam_interval_keeps_every_point_inside() -> None:
    """A wrong claim on (0.2, 0.6): all points checked and the counterexample lie inside."""
    from rnnverify.crosscheck.commands.check_claim import decide_claim, prepare_claim

    problem = prepare_claim("h2", "1/(1-lam**2) + lam/10", rho=0, lam_interval=(0.2, 0.6))
    res = decide_claim(problem, n_random=30, seed=1, symbolic=False).as_dict()
    assert res["holds"] is False
    assert 0.2 < float(res["counterexample"]["point"]["lam"]) < 0.6
    assert all(0.2 < float(p["lam"]) < 0.6 for p in res["points"])


@pytest.mark.parametrize(("interval", "message"), [
    ((0.5, 0.2), r"^lam_interval: must satisfy −1 ≤ lo < hi ≤ 1, got \(0.5, 0.2\)$"),
    ((-2, 0.5), r"^lam_interval: must satisfy"),
])
def test_lam_interval_rejects_bad_bounds(interval, message) -> None:
    from rnnverify.crosscheck.commands.check_claim import prepare_claim

    from rnnverify.errors import ArgumentValueError

    with pytest.raises(ArgumentValueError, match=message):
        prepare_claim("h2", "1/(1-lam**2)", rho=0, lam_interval=interval)
    with pytest.raises(ArgumentValueError, match="real λ only"):
        prepare_claim("dh2_dtheta", "1", rho=0, lam_interval=(0, 1))


def test_layer_tangent_recurrence_equals_autograd_diagonal() -> None:
    """D_t = ∂h_t/∂b by the written-out tangent recurrence equals the diagonal of
    torch.func.jacfwd through the stepped loop (with a cross-unit W_hz)."""
    import torch
    from rnnverify.numerics.networks.gru_gates import layer_final_state

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(30, 2, 5, generator=gen, dtype=torch.float64)
    w_iz = 0.5 * torch.randn(2, 5, 5, generator=gen, dtype=torch.float64)
    w_hz = 0.5 * torch.randn(2, 5, 5, generator=gen, dtype=torch.float64)
    b = torch.full((5,), 0.7, dtype=torch.float64)

    def final(bb: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(2, 5, dtype=torch.float64)
        for t in range(30):
            zt = torch.sigmoid(bb + torch.einsum("lij,lj->li", w_iz, x[t])
                               + torch.einsum("lij,lj->li", w_hz, h))
            h = zt * h + (1 - zt) * x[t]
        return h

    h, diag = layer_final_state(b, x, w_iz, w_hz)
    jac = torch.func.jacfwd(final)(b)  # (layers, units, units)
    assert torch.allclose(h, final(b), atol=1e-15, rtol=0)
    assert torch.allclose(diag, torch.diagonal(jac, dim1=-2, dim2=-1), atol=1e-14, rtol=0)
    assert float(diag.abs().min()) > 0


def test_haar_orthogonal_is_orthogonal() -> None:
    import torch
    from rnnverify.numerics.networks.gru_gates import haar_orthogonal

    q = haar_orthogonal(6, 3, torch.Generator().manual_seed(1), torch.float64,
                        torch.device("cpu"))
    eye = torch.eye(6, dtype=torch.float64).expand(3, 6, 6)
    assert torch.allclose(q @ q.transpose(-1, -2), eye, atol=1e-13)


def test_layer_with_constant_gates_matches_the_theory() -> None:
    """scale_x = scale_h = 0: every unit is the constant-gate recurrence (z-bound 4.5:
    two-sided false-failure rate 7e−6 per quantity)."""
    from rnnverify.numerics.networks.gru_gates import simulate_gate_layer

    z = 0.75
    est = simulate_gate_layer(math.log(z / (1 - z)), components=components_float(),
                              layers=300, steps=130, units=16, scale_x=0.0, scale_h=0.0,
                              seed=2)
    v = gate_values(z)
    assert (est.layers, est.units) == (300, 16)
    assert abs(est.h2 - float(v["h2"])) < 4.5 * est.h2_stderr
    assert abs(est.dh2_db - float(v["dh2_db"])) < 4.5 * est.dh2_db_stderr


@pytest.mark.parametrize(("kwargs", "name"), [({"layers": 0}, "layers"), ({"steps": 0}, "steps"),
                                            ({"units": 0}, "units")])
def test_simulate_gate_layer_rejects_bad_sizes(kwargs, name) -> None:
    from rnnverify.numerics.networks.gru_gates import simulate_gate_layer

    args = {"layers": 2, "steps": 5, "units": 3, **kwargs}
    with pytest.raises(ValueError, match=f"^{name} must .*got 0$"):
        simulate_gate_layer(0.0, components=components_float(), **args)


def test_gate_point_models() -> None:
    """The authors' model reports layers and units; an unknown model is refused."""
    from rnnverify.crosscheck.commands.gru_gates import gate_point

    row = gate_point(0.5, "input", sigma_x=1.0, sigma_h=1.0, samples=20, seed=0, units=8)
    assert (row["model"], row["units"], row["samples"]) == ("authors", 8, 20)
    assert row["h2"]["ratio"] > 0
    with pytest.raises(ValueError, match="^model must be one of authors, shared, got 'x'$"):
        gate_point(0.5, "input", sigma_x=1.0, sigma_h=1.0, samples=20, seed=0, model="x")


def test_recurrent_jacobians_equal_autograd() -> None:
    """∂h_Δ/∂h_0 by the exact product equals torch.func.jacfwd of h_Δ in h_0 (at h_0 = 0)."""
    import torch
    from rnnverify.numerics.networks.gru_gates import recurrent_jacobians

    gen = torch.Generator().manual_seed(3)
    x = torch.randn(12, 1, 4, generator=gen, dtype=torch.float64)
    w_iz = 0.4 * torch.randn(1, 4, 4, generator=gen, dtype=torch.float64)
    w_hz = 0.6 * torch.randn(1, 4, 4, generator=gen, dtype=torch.float64)
    b = torch.tensor([0.1, 1.0, 2.0, 3.0], dtype=torch.float64)

    def h_at(h0: torch.Tensor, lag: int) -> torch.Tensor:
        h = h0[None]
        for t in range(lag):
            zt = torch.sigmoid(b + torch.einsum("lij,lj->li", w_iz, x[t])
                               + torch.einsum("lij,lj->li", w_hz, h))
            h = zt * h + (1 - zt) * x[t]
        return h[0]

    got = recurrent_jacobians(b, x, w_iz, w_hz, [5, 12])
    for lag in (5, 12):
        want = torch.func.jacfwd(lambda h0, lag=lag: h_at(h0, lag))(
            torch.zeros(4, dtype=torch.float64))
        assert torch.allclose(got[lag][0], want, atol=1e-14, rtol=0)
    with pytest.raises(ValueError, match=r"^lags must lie in \[1, 12\], got \[13\]$"):
        recurrent_jacobians(b, x, w_iz, w_hz, [13])


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_gru_figures_render() -> None:
    """Figs. 12, 14, 15 from small studies: PNGs, Fig. 14 one panel per study (wider)."""
    from rnnverify.crosscheck.commands.gru_gates import gate_study
    from rnnverify.crosscheck.report.figures import fig12, fig14, fig15
    from rnnverify.numerics.networks.gru_gates import jacobian_study

    assert _png_size(fig12(64))[0] > 200
    studies = [jacobian_study(timescales=(1.0, 16.0), units=4, layers=2, scale_x=sx,
                              scale_h=sh, lags=[1, 4, 16], components=components_float())
               for sx, sh in ((0.0, 0.0), (1.0, 1.0))]
    assert studies[0]["rows"][0]["mean_abs_off_diagonal"] == 0.0  # constant gates: diagonal
    assert studies[1]["rows"][0]["mean_abs_off_diagonal"] > 0.0
    w1 = _png_size(fig14(studies[:1]))[0]
    w2 = _png_size(fig14(studies))[0]
    assert w2 > 1.5 * w1
    doc = gate_study([1.0, 4.0], cases=("constant", "input"), samples=10, units=4)
    assert _png_size(fig15(doc))[0] > 300


def test_implied_unnormalized_in_the_field_is_the_cancelled_form() -> None:
    """ℚ(λ) arithmetic gives exactly what sp.cancel gives (and the fallback is taken for an
    expression that is not rational in λ)."""
    import sympy as sp
    from rnnverify.theory.networks.gru import (
        implied_unnormalized,
        published_forms,
        same_rational_function,
    )
    from rnnverify.theory.symbols import lam

    p = published_forms()
    got = implied_unnormalized(p["var_dbh_code"], p["var_h"])
    F = p["var_h"] / (1 - lam) ** 2
    dz2 = p["var_dbh_code"] / (lam * (1 - lam)) ** 2
    want = sp.cancel((dz2 - F + (1 - lam) * sp.diff(F, lam)) / (1 - lam) ** 2)
    assert sp.cancel(got["dh2_dlam"] - want) == 0
    assert sp.cancel(got["h2"] - sp.cancel(F)) == 0
    assert same_rational_function(p["var_h"], sp.expand(p["var_h"]))
    assert not same_rational_function(p["var_h"], p["var_h"] + lam ** 7 / 10**20)
    odd = implied_unnormalized(sp.exp(lam) * lam**2 * (1 - lam)**2, (1 - lam) ** 2)
    assert sp.simplify(odd["dh2_dlam"] - (sp.exp(lam) - 1) / (1 - lam) ** 2) == 0
    assert same_rational_function(sp.exp(lam), sp.exp(lam))  # fallback: cancel
