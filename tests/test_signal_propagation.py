"""The deep network at initialization (Zucchet & Orvieto 2024, §5, Fig. 5): recurrences,
parameter groups, the layer-1 theory comparison, slope fits and ``rnnverify signal-prop``."""

from __future__ import annotations

import json
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from rnnverify.crosscheck.commands.signal_prop import inside, layer1_ratio, trend
from rnnverify.crosscheck.schema import SCHEMA_VERSION
from rnnverify.crosscheck.stats.ztests import z_test
from rnnverify.numerics.networks.signal_propagation import (
    DeepRNN,
    SignalConfig,
    _scan,
    measure,
    modulus_interval,
    parameter_groups,
    study,
)


@settings(max_examples=15, deadline=None)
@given(nu=st.floats(0.0, 0.999), theta=st.floats(0.0, 6.28), steps=st.integers(1, 40))
def test_scan_equals_step_by_step_recurrence(nu: float, theta: float, steps: int) -> None:
    gen = torch.Generator().manual_seed(steps)
    lam = torch.tensor([complex(nu * math.cos(theta), nu * math.sin(theta))])
    v = torch.randn(steps, 3, 1, generator=gen, dtype=torch.float64).to(torch.complex128)
    h, ref = torch.zeros(3, 1, dtype=torch.complex128), []
    for t in range(steps):
        h = lam * h + v[t]
        ref.append(h)
    assert torch.allclose(_scan(lam, v), torch.stack(ref), atol=1e-12)


@pytest.mark.parametrize("timescale", [1.0, 10.0, 100.0])
def test_lru_moduli_lie_in_the_interval_and_gamma_normalizes(timescale: float) -> None:
    net = DeepRNN("lru", timescale=timescale, d_in=4, d_model=8, layers=2, norm="none",
                  gen=torch.Generator().manual_seed(1))
    lo, hi = modulus_interval(timescale)
    for layer in net.layers:
        with torch.no_grad():
            nu = layer.rnn.lam().abs()
            assert bool(((nu >= lo - 1e-12) & (nu <= hi + 1e-12)).all())
            assert torch.allclose(layer.rnn.gamma, (1 - nu**2).sqrt())


@pytest.mark.parametrize("arch,norm", [("crnn", "none"), ("crnn", "layer"), ("lru", "none"),
                                       ("gru", "none")])
def test_measure_gives_finite_statistics_for_every_group(arch: str, norm: str) -> None:
    m = measure(SignalConfig(arch, 10.0, d_in=4, d_model=4, layers=2, steps=12, batch=2,
                             norm=norm), seed=3)
    assert len(m.state_h2) == 2 and all(v > 0 and math.isfinite(v) for v in m.state_h2)
    assert set(m.grad_sq) == set(parameter_groups(arch))
    assert all(v > 0 and math.isfinite(v) for v in m.grad_sq.values())


def test_crnn_state_grows_and_lru_state_stays_bounded_with_the_timescale() -> None:
    """Fig. 5A in miniature: without γ, E|h|² grows like 1/(1 − ν²)."""
    short = study(SignalConfig("crnn", 1.0, layers=1, steps=128), 3)
    long = study(SignalConfig("crnn", 100.0, layers=1, steps=128), 3)
    assert long["state_h2"][0]["estimate"] > 10 * short["state_h2"][0]["estimate"]
    lshort = study(SignalConfig("lru", 1.0, layers=1, steps=128), 3)
    llong = study(SignalConfig("lru", 100.0, layers=1, steps=128), 3)
    assert 0.2 < llong["state_h2"][0]["estimate"] / lshort["state_h2"][0]["estimate"] < 5


def test_layer1_matches_the_single_unit_theory() -> None:
    r = layer1_ratio(timescale=4.0, seeds=2, seed=5, d_model=8, steps=200, burn=100)
    t = z_test(r["ratio"], r["stderr"], 1.0, alpha=1e-3)  # false-failure rate 1e-3
    assert t.holds, t.detail


@given(a=st.floats(-3, 3), b=st.floats(-3, 3))
def test_trend_recovers_an_exact_power_law(a: float, b: float) -> None:
    ts = [1.0, 10.0, 100.0]
    logs = [[a + b * math.log(3 / (4 * t)) + e for e in (-0.1, 0.0, 0.1)] for t in ts]
    fit = trend(ts, logs)
    assert fit["slope"] == pytest.approx(b, abs=1e-9)
    assert inside(fit, b - 1, b + 1, z=3.0)
    assert not inside(fit, b + 0.5, b + 2, z=3.0)


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
    d = json.loads(p.stdout)
    assert d["command"] == "signal-prop" and d["schema_version"] == SCHEMA_VERSION
    assert [m["model"] for m in d["models"]] == ["lru", "crnn-ln"]
    lru = d["models"][0]
    assert set(lru["rows"][0]["grad_sq"]) == {"omega_nu", "omega_theta", "rest"}
    assert "grad_sq_omega_theta" in lru["slopes_log_1_minus_nu"]
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
