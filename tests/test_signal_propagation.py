"""The deep network at initialization (Zucchet & Orvieto 2024, §5, Fig. 5): the authors'
initializations, the ensemble (members independent, common random numbers across
timescales), the GRU cell against torch's, the layer-1 theory comparison, the paired slope
fits and their t-bounds, and ``rnnverify signal-prop``."""

from __future__ import annotations

import json
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from rnnverify.crosscheck.commands.signal_prop import (
    STATEMENT_RANGES,
    layer1_ratio,
    mean_fit,
    per_seed_slopes,
    slope_test,
    trend,
    two_sided_t,
)
from rnnverify.crosscheck.schema import SCHEMA_VERSION
from rnnverify.crosscheck.stats.ztests import two_sided_z, z_test
from rnnverify.numerics.networks.signal_propagation import (
    TRUNC_STD,
    SignalConfig,
    _draw_member,
    _ensemble,
    _gru,
    _lecun,
    _scan,
    measure,
    measure_members,
    modulus_interval,
    parameter_groups,
    probe_seconds,
    study,
)

#: false-failure rate of each z-test on sampled initial weights below
ALPHA = 1e-4


@settings(max_examples=15, deadline=None)
@given(nu=st.floats(0.0, 0.999), theta=st.floats(0.0, 6.28), steps=st.integers(1, 40))
def test_scan_equals_step_by_step_recurrence(nu: float, theta: float, steps: int) -> None:
    gen = torch.Generator().manual_seed(steps)
    lam = torch.tensor([complex(nu * math.cos(theta), nu * math.sin(theta))],
                       dtype=torch.complex128)
    v = torch.randn(2, steps, 3, 1, generator=gen, dtype=torch.float64).to(torch.complex128)
    h, ref = torch.zeros(2, 3, 1, dtype=torch.complex128), []
    for t in range(steps):
        h = lam * h + v[:, t]
        ref.append(h)
    assert torch.allclose(_scan(lam, v, dim=1), torch.stack(ref, dim=1), atol=1e-12)
    assert torch.allclose(_scan(lam, v[0]), torch.stack(ref, dim=1)[0], atol=1e-12)


def _variance_z(w: torch.Tensor, var: float) -> float:
    """z of the sample variance of i.i.d. zero-mean entries against ``var`` (standard error
    from the sample fourth moment)."""
    x = w.flatten() ** 2
    return (float(x.mean()) - var) / (float(x.std()) / math.sqrt(x.numel()))


def test_authors_initializations_have_their_variances() -> None:
    """GRU input kernels N(0, 2/fan_in), LRU B and C entries N(0, 1/d) per real part, Dense
    kernels truncated at ±2 std with variance 1/fan_in (z-tests on the sampled entries)."""
    zb = two_sided_z(ALPHA)  # false-failure rate ALPHA per test
    gen = torch.Generator().manual_seed(7)
    w = _lecun(gen, 256, 64)
    assert abs(_variance_z(w, 1 / 64)) < zb
    assert float(w.abs().max()) <= 2 / math.sqrt(64) / TRUNC_STD + 1e-12
    gru = _draw_member(SignalConfig("gru", d_model=128, layers=1), 10.0,
                       torch.Generator().manual_seed(3))
    assert abs(_variance_z(gru["layers.0.rnn.w_iz"], 2 / 128)) < zb
    q = gru["layers.0.rnn.w_hn"]
    assert torch.allclose(q @ q.T, torch.eye(128, dtype=torch.float64), atol=1e-10)
    T = gru["layers.0.rnn.b_iz"].exp()
    assert bool(((T >= 10) & (T <= 20)).all())
    lru = _draw_member(SignalConfig("lru", d_model=128, layers=1), 10.0,
                       torch.Generator().manual_seed(4))
    for name in ("B_re", "C_im", "D"):
        assert abs(_variance_z(lru[f"layers.0.rnn.{name}"], 1 / 128)) < zb, name


@pytest.mark.parametrize("timescale", [1.0, 10.0, 100.0])
def test_lru_moduli_lie_in_the_interval_and_gamma_normalizes(timescale: float) -> None:
    p = _draw_member(SignalConfig("lru", d_model=8), timescale, torch.Generator().manual_seed(1))
    lo, hi = modulus_interval(timescale)
    for k in range(2):
        nu = torch.exp(-torch.exp(p[f"layers.{k}.rnn.omega_nu"]))
        assert bool(((nu >= lo - 1e-12) & (nu <= hi + 1e-12)).all())
        assert torch.allclose(torch.exp(p[f"layers.{k}.rnn.log_gamma"]), (1 - nu**2).sqrt())


def test_members_share_random_numbers_across_timescales_only() -> None:
    cfg = SignalConfig("lru", d_model=4, d_in=3, layers=1, steps=16, batch=2)
    params, x = _ensemble(cfg, [(1.0, 5), (100.0, 5), (1.0, 6)])
    assert torch.equal(x[0], x[1]) and not torch.equal(x[0], x[2])
    assert torch.equal(params["layers.0.rnn.B_re"][0], params["layers.0.rnn.B_re"][1])
    theta = params["layers.0.rnn.omega_theta"]
    assert torch.equal(theta[0], theta[1])
    assert not torch.equal(params["layers.0.rnn.omega_nu"][0], params["layers.0.rnn.omega_nu"][1])


@pytest.mark.parametrize("arch,norm", [("crnn", "layer"), ("gru", "none")])
def test_a_member_measures_the_same_alone_and_in_an_ensemble(arch: str, norm: str) -> None:
    """Members never interact: the summed loss gives each its own gradient."""
    cfg = SignalConfig(arch, d_in=3, d_model=4, layers=2, steps=12, batch=2, norm=norm)
    together, _ = measure_members(cfg, [(10.0, 1), (3.0, 2), (1.0, 9)])
    alone = measure(SignalConfig(arch, 3.0, d_in=3, d_model=4, layers=2, steps=12, batch=2,
                                 norm=norm), 2)
    m = together[1]
    assert (m.timescale, m.seed) == (3.0, 2)
    for a, b in zip(m.output_h2 + m.state_h2, alone.output_h2 + alone.state_h2, strict=True):
        assert a == pytest.approx(b, rel=1e-12)
    for g in parameter_groups(arch):
        assert m.grad_sq[g] == pytest.approx(alone.grad_sq[g], rel=1e-10)


def test_gru_cell_equals_torch_gru_cell() -> None:
    """The chrono GRU of the notebook has torch's GRUCell equations (r, z, n; b_hr = b_hz = 0)."""
    H, d, T, B = 5, 3, 7, 4
    gen = torch.Generator().manual_seed(11)
    p = {f"l.{n}": torch.randn(1, H, d if n.startswith("w_i") else H, generator=gen,
                               dtype=torch.float64)
         for n in ("w_ir", "w_iz", "w_in", "w_hr", "w_hz", "w_hn")}
    p.update({f"l.{n}": torch.randn(1, H, generator=gen, dtype=torch.float64)
              for n in ("b_ir", "b_iz", "b_in", "b_hn")})
    u = torch.randn(1, T, B, d, generator=gen, dtype=torch.float64)
    cell = torch.nn.GRUCell(d, H, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.cat([p["l.w_ir"][0], p["l.w_iz"][0], p["l.w_in"][0]]))
        cell.weight_hh.copy_(torch.cat([p["l.w_hr"][0], p["l.w_hz"][0], p["l.w_hn"][0]]))
        cell.bias_ih.copy_(torch.cat([p["l.b_ir"][0], p["l.b_iz"][0], p["l.b_in"][0]]))
        cell.bias_hh.copy_(torch.cat([torch.zeros(2 * H, dtype=torch.float64), p["l.b_hn"][0]]))
        h, ref = torch.zeros(B, H, dtype=torch.float64), []
        for t in range(T):
            h = cell(u[0, t], h)
            ref.append(h)
        assert torch.allclose(_gru(p, "l.", u)[0], torch.stack(ref), atol=1e-12)


@pytest.mark.parametrize("arch,norm", [("crnn", "none"), ("crnn", "layer"), ("lru", "none"),
                                       ("gru", "none")])
def test_measure_gives_finite_statistics_for_every_group(arch: str, norm: str) -> None:
    m = measure(SignalConfig(arch, 10.0, d_in=4, d_model=4, layers=2, steps=12, batch=2,
                             norm=norm), seed=3)
    assert len(m.state_h2) == len(m.output_h2) == 2
    assert all(v > 0 and math.isfinite(v) for v in m.state_h2 + m.output_h2)
    assert set(m.grad_sq) == set(parameter_groups(arch))
    assert all(v > 0 and math.isfinite(v) for v in m.grad_sq.values())


def test_crnn_output_grows_and_lru_output_stays_flat_with_the_timescale() -> None:
    """Fig. 5A in miniature: the plotted layer output grows without γ, not with it."""
    def out(arch: str, t: float) -> float:
        return study(SignalConfig(arch, t, layers=1, steps=128), 3)["output_h2"][0]["estimate"]

    assert out("crnn", 100.0) > 5 * out("crnn", 1.0)
    assert 0.5 < out("lru", 100.0) / out("lru", 1.0) < 2


def test_layer1_matches_the_single_unit_theory() -> None:
    r = layer1_ratio(timescale=4.0, seeds=2, seed=5, d_model=8, steps=200, burn=100)
    t = z_test(r["ratio"], r["stderr"], 1.0, alpha=1e-3)  # false-failure rate 1e-3
    assert t.holds, t.detail


@given(a=st.floats(-3, 3), b=st.floats(-3, 3))
def test_paired_slopes_recover_an_exact_power_law(a: float, b: float) -> None:
    ts = [1.0, 10.0, 100.0]
    offsets = (-0.2, 0.0, 0.3)  # per-seed levels: cancel in the paired slope
    values = [[math.exp(a + o + b * math.log(3 / (4 * t))) for o in offsets] for t in ts]
    assert per_seed_slopes(ts, values) == pytest.approx([b] * 3, abs=1e-9)
    fit = trend(ts, values)
    assert fit["slope"] == pytest.approx(b, abs=1e-9) and fit["stderr"] < 1e-9


def test_t_bound_matches_tables_and_tends_to_z() -> None:
    assert two_sided_t(0.05, 1) == pytest.approx(12.7062, abs=1e-3)
    assert two_sided_t(0.05, 10) == pytest.approx(2.2281, abs=1e-3)
    assert two_sided_t(1e-4, 10_000) == pytest.approx(two_sided_z(1e-4), rel=2e-3)
    with pytest.raises(ValueError, match="^df must"):
        two_sided_t(0.05, 0)


def test_slope_test_follows_the_statement_ranges() -> None:
    assert STATEMENT_RANGES["flat"] == (-0.5, 0.5) and STATEMENT_RANGES["grows"][1] == -0.5
    flat = slope_test(mean_fit([0.1, 0.12, 0.08, 0.1]), "flat", alpha=1e-3)
    assert flat["holds"] and flat["t_bound"] == pytest.approx(two_sided_t(1e-3, 3))
    lo, hi = flat["detectable"]
    assert -0.5 < lo < hi < 0.5
    assert not slope_test(mean_fit([0.1, 0.12, 0.08, 0.1]), "grows", alpha=1e-3)["holds"]
    # the interval, not the point estimate, must lie inside: −0.6 ± wide is not "grows"
    assert not slope_test(mean_fit([-0.1, -1.1, -0.2, -1.0]), "grows", alpha=1e-3)["holds"]
    with pytest.raises(ValueError, match="^statement must"):
        slope_test(mean_fit([0.0, 1.0]), "explodes", alpha=1e-3)


def test_probe_estimate_is_a_positive_time() -> None:
    est = probe_seconds(SignalConfig("gru", d_model=4, d_in=4, layers=1, steps=64, batch=2), 6)
    assert 0 < est < 60


@pytest.mark.parametrize("bad", [{"arch": "lstm"}, {"norm": "batch"}, {"timescale": 0.5},
                                 {"layers": 0}, {"burn": 300}])
def test_bad_configuration_raises_value_error(bad: dict) -> None:
    kw = {"arch": "lru", "timescale": 10.0, **bad}
    with pytest.raises(ValueError, match=f"^{next(iter(bad))} must"):
        SignalConfig(**kw)


def test_cli_json_document(cli) -> None:
    p = cli("signal-prop", "--json", "--models", "lru,crnn-ln", "--timescales", "1,10",
            "--seeds", "2", "--steps", "32", "--layers", "1")
    assert p.returncode == 0, p.stderr
    assert "estimate ~" in p.stderr
    d = json.loads(p.stdout)
    assert d["command"] == "signal-prop" and d["schema_version"] == SCHEMA_VERSION
    assert [m["model"] for m in d["models"]] == ["lru", "crnn-ln"]
    lru = d["models"][0]
    assert set(lru["rows"][0]["grad_sq"]) == {"omega_nu", "omega_theta", "rest"}
    assert {"grad_sq_omega_theta", "output_h2_layer1", "state_h2_layer1"} \
        <= set(lru["slopes_log_1_minus_nu"])
    assert len(lru["rows"][0]["output_h2"]) == 1
    assert "Fig. 12" in d["inputs"]


@pytest.mark.parametrize(("args", "message"), [
    (["--models", "lstm"], "--models: unknown model 'lstm'"),
    (["--timescales", "0.5"], "--timescales must lie in [1, "),
    (["--seeds", "1"], "--seeds must be at least 2"),
    (["--steps", "x"], "--steps must be a positive integer, got 'x'")])
def test_cli_bad_input_exits_2_with_one_line(args: list[str], message: str, cli,
                                             one_line_error) -> None:
    p = cli("signal-prop", *args)
    assert p.returncode == 2
    one_line_error(p, message)


def test_cli_refuses_what_cannot_fit_before_allocating(monkeypatch, capsys) -> None:
    from rnnverify.crosscheck.cli import longwork, main

    monkeypatch.setattr(longwork, "available_memory", lambda device="cpu": 10**6)
    assert main(["signal-prop", "--models", "gru", "--seeds", "2"]) == 2
    err = capsys.readouterr().err
    assert "signal-prop gru" in err and "needs" in err and len(err.strip().splitlines()) == 1


def test_fig5_draws_the_three_panels_from_a_signal_prop_document() -> None:
    from rnnverify.crosscheck.commands.signal_prop import signal_prop_study
    from rnnverify.crosscheck.report.figures import fig5

    doc = signal_prop_study([("crnn", "none"), ("crnn", "layer"), ("lru", "none")],
                            [1.0, 10.0], seeds=2, seed=0, layers=2, steps=16)
    for m, name in zip(doc["models"], ("crnn", "crnn-ln", "lru"), strict=True):
        m["model"] = name
    png = fig5(doc)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    with pytest.raises(KeyError, match="layers"):
        fig5({"models": []})


def test_trend_claims_announce_a_measured_time() -> None:
    from rnnverify.crosscheck.claims.registry import select

    for claim in select("zo.signalprop.*"):
        assert claim.estimate_s is not None, claim.id
    est = select("zo.signalprop.gru_trends")[0].estimate_s("quick")
    assert 0.1 < est < 600
