"""Random gates through the public model and the commands: ``rv.Model(gate=...)``,
``moments --gate [--oracle]``, ``simulate --gate`` (docs/theory.md §10)."""

from __future__ import annotations

import math

import mpmath
import pytest
import sympy as sp
import torch
from rnnverify.crosscheck.cli import main
from rnnverify.crosscheck.model.gate_torch import torch_gate
from rnnverify.crosscheck.stats.ztests import z_test
from rnnverify.numerics.gates.simulate import simulate_gate
from rnnverify.numerics.memory.inputs import AR1Input
from rnnverify.theory.gates.gate import INPUT, NOISE, parse_gate

import rnnverify as rv
from rnnverify.errors import ArgumentValueError

SIGMOID = "1/(1 + exp(-(w + s*u)))"
MAMBA = "exp(-exp(w + s*u))"
#: false-failure rate of each z-test below (two-sided)
ALPHA = 1e-4


def test_api_routes_agree_to_30_digits_and_name_keys():
    m = rv.Model(gate=SIGMOID, wrt="w", at="w=2,s=0.5", rho="0.5", gamma="0.3")
    cf, orc = m.closed_form(), m.oracle()
    assert set(cf) == set(orc) == {"h2", "dh2_dp"}
    for q in cf:
        assert abs(cf[q] - orc[q]) < mpmath.mpf(10) ** -30 * abs(cf[q])
    doc = cf.to_dict()
    assert doc["command"] == "moments" and doc["route"] == "closed_form"
    assert set(doc["gate_moments"]) == {"E_lam", "E_lam2", "E_dlam", "E_lam_dlam", "E_dlam2"}
    assert doc["distance_to_one"] == pytest.approx(1 - doc["gate_moments"]["E_lam"], rel=1e-15)


def test_api_bad_arguments_name_them():
    with pytest.raises(ArgumentValueError, match="wrt: 'q' is not a parameter") as info:
        rv.Model(gate=MAMBA, wrt="q", at="w=1,s=1")
    assert info.value.argument == "wrt"
    with pytest.raises(ArgumentValueError, match="gate: .* does not use the noise symbol u"):
        rv.Model(gate="exp(-exp(w))", wrt="w", at="w=1")
    with pytest.raises(ArgumentValueError, match=r"give lam \(a constant λ\) or gate, not both"):
        rv.Model("0.9", gate=MAMBA, wrt="w", at="w=1,s=1")
    with pytest.raises(ArgumentValueError, match="rho: must lie in"):
        rv.Model(gate=MAMBA, wrt="w", at="w=1,s=1", rho=2)
    with pytest.raises(ValueError, match="wrt is only defined with gate"):
        rv.Model("0.9", wrt="w")
    with pytest.raises(ArgumentValueError, match="no closed form because the gate depends"):
        rv.Model(gate="exp(-exp(w + s*u + x))", wrt="w", at="w=1,s=1").closed_form()


def test_cli_moments_closed_form_and_oracle_agree(main_json):
    argv = ["moments", "--gate", MAMBA, "--wrt", "w", "--at", "w=-2,s=0.5", "--rho", "0.5",
            "--json"]
    cf, orc = main_json(argv), main_json([*argv, "--oracle"])
    assert cf["route"] == "closed_form" and orc["route"] == "oracle"
    with mpmath.workdps(40):
        for q in ("h2", "dh2_dp"):
            a, b = mpmath.mpf(cf["digits"][q]), mpmath.mpf(orc["digits"][q])
            assert abs(a - b) <= mpmath.mpf(10) ** -29 * abs(a)
    assert cf["selective"] is False and cf["at"] == {"s": "1/2", "w": "-2"}


@pytest.mark.parametrize(("argv", "names"), [
    (["--gate", "exp(-exp(w + s*u + x))", "--wrt", "w", "--at", "w=-2,s=0.5"],
     ["--gate", "no closed form because the gate depends on the input"]),
    (["--gate", MAMBA, "--wrt", "q", "--at", "w=-2,s=0.5"], ["--wrt", "'q'", "--gate"]),
    (["--gate", "exp(-exp(w + s*u + z))", "--wrt", "w", "--at", "w=-2,s=0.5"],
     ["--gate", "unknown symbol 'z'", "--at"]),
    (["--gate", "exp(-w)", "--wrt", "w", "--at", "w=1"], ["--gate", "noise symbol u"]),
    (["--gate", MAMBA, "--wrt", "w", "--at", "s=0.5"], ["--at", "'w'"]),
    (["--gate", MAMBA, "--lam", "0.9"], ["not allowed with argument"]),
    (["--gate", "w + s*u", "--wrt", "w", "--at", "w=0.9,s=0.5"], ["--gate", "mean-square"]),
    (["--lam", "0.9", "--wrt", "w"], ["--wrt is only defined with --gate"]),
])
def test_cli_moments_refusals_are_one_line(argv, names, capsys, one_line_error):
    assert main(["moments", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    one_line_error(captured.err, *names)


def test_torch_translation_matches_mpmath():
    g = parse_gate("tanh(w*u) + Max(x, 0)*sqrt(w**2 + 1)/(1 + exp(u))", "w", "w=0.7")
    fn, p = torch_gate(g)
    f = sp.lambdify((NOISE, INPUT), g.lam(), modules="mpmath")
    for u, x in ((0.3, -1.2), (-2.0, 0.5), (1.5, 2.0)):
        got = float(fn(torch.tensor(p, dtype=torch.float64), torch.tensor(u, dtype=torch.float64),
                       torch.tensor(x, dtype=torch.float64)))
        assert math.isclose(got, float(f(u, x)), rel_tol=1e-14)


def test_mc_chunking_does_not_change_numbers_and_jvp_is_the_derivative():
    g = parse_gate(MAMBA, "w", "w=-2,s=0.5")
    fn, p = torch_gate(g)
    kw = dict(source=AR1Input(0.5), steps=40, n_samples=3000, seed=3, block_size=512)
    a = simulate_gate(fn, p, chunk_samples=1024, **kw).quantities
    b = simulate_gate(fn, p, chunk_samples=100000, **kw).quantities
    for q in ("h2", "dh2_dp"):
        assert a[q].estimate == pytest.approx(b[q].estimate, rel=1e-12)
    # the tangent the simulator uses (torch.func.jvp) is SymPy's ∂_pλ at sampled (u, x)
    sel = parse_gate("exp(-exp(w + s*u + a*x))", "w", "w=-2,s=0.5,a=0.3")
    fn_sel, p_sel = torch_gate(sel)
    gen = torch.Generator().manual_seed(5)
    u = torch.randn(50, generator=gen, dtype=torch.float64)
    x = torch.randn(50, generator=gen, dtype=torch.float64)
    p0 = torch.tensor(p_sel, dtype=torch.float64)
    _, mu = torch.func.jvp(lambda q: fn_sel(q, u, x), (p0,), (torch.ones_like(p0),))
    ref = sp.lambdify((NOISE, INPUT), sel.dlam(), modules="math")
    for k in range(50):
        assert math.isclose(float(mu[k]), ref(float(u[k]), float(x[k])), rel_tol=1e-13)


def test_mc_finite_t_against_closed_form():
    """Finite t: no burn-in bias; |z| ≤ z_α with α = 1e-4 per quantity."""
    m = rv.Model(gate=SIGMOID, wrt="w", at="w=1,s=1", rho="0.6", t=30)
    sim = m.simulate(samples=20000, seed=1, device="cpu")
    cf = m.closed_form()
    for q in ("h2", "dh2_dp"):
        est = sim[q]
        test = z_test(est.estimate, est.stderr, float(cf[q]), alpha=ALPHA, label=q)
        assert test.holds, test.detail


def test_cli_simulate_gate_json(main_json):
    doc = main_json(["simulate", "--gate", MAMBA, "--wrt", "w", "--at", "w=-1.5,s=0.5",
                     "--samples", "20000", "--device", "cpu", "--json"])
    row = doc["results"][0]
    assert doc["command"] == "simulate" and doc["stationary"] is True
    for q in ("h2", "dh2_dp"):
        e = row[q]
        assert {"estimate", "stderr", "theory", "z", "bias_bound"} <= set(e)
        test = z_test(e["estimate"], e["stderr"], e["theory"], alpha=ALPHA,
                      bias=e["bias_bound"], label=q)
        assert test.holds, test.detail
        assert e["bias_bound"] <= 1e-6


def test_cli_simulate_selective_gate_works(main_json):
    doc = main_json(["simulate", "--gate", "exp(-exp(w + s*u + a*x))", "--wrt", "w", "--at",
                     "w=-2,s=0.5,a=0.5", "--rho", "0.5", "--samples", "5000", "--device", "cpu",
                     "--steps", "200", "--json"])
    row = doc["results"][0]
    assert row["selective"] is True and "theory" not in row["h2"]
    assert row["h2"]["estimate"] > 0 and row["dh2_dp"]["stderr"] > 0
    assert doc["bias_bound_proven"] is False and row["h2"]["bias_bound"] is None


@pytest.mark.slow  # ~20 s: 200 seeds
def test_gate_standard_errors_are_calibrated():
    """z = (MC − closed form)/stderr over 200 seeds at a finite horizon (no bias): mean z² in
    its χ² bounds and the KS distance from Φ below the DKW bound, each at rate 1e-3."""
    from rnnverify.crosscheck.stats.calibration import chi2_mean_bounds, ks_bound, ks_distance
    from rnnverify.crosscheck.stats.calibration import mean_z2 as mean_sq

    m = rv.Model(gate=SIGMOID, wrt="w", at="w=1,s=1", rho="0.5", t=20)
    cf = m.closed_form()
    fn, p = torch_gate(m.gate)
    zs: dict[str, list[float]] = {"h2": [], "dh2_dp": []}
    for seed in range(200):
        res = simulate_gate(fn, p, source=AR1Input(0.5), steps=20, n_samples=2000,
                            seed=seed, block_size=2000).quantities
        for q in zs:
            zs[q].append((res[q].estimate - float(cf[q])) / res[q].stderr)
    lo, hi = chi2_mean_bounds(200, 1e-3)
    for q, z in zs.items():
        assert lo <= mean_sq(z) <= hi, (q, mean_sq(z), lo, hi)
        assert ks_distance(z) <= ks_bound(200, 1e-3), (q, ks_distance(z))
