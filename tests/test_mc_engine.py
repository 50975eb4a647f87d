"""Monte Carlo engine: determinism, seed blocks, streaming estimators, bounded memory,
tangent recurrence == autograd, shared-stream grid == single points."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from rnnverify.numerics.estimators import MomentState
from rnnverify.numerics.memory.engine import (
    iter_block_states,
    make_plan,
    simulate_blocks,
)
from rnnverify.numerics.memory.inputs import AR1Input
from rnnverify.numerics.memory.linear import (
    autograd_holomorphic,
    autograd_sensitivities,
    tangent_sensitivities,
)
from rnnverify.numerics.memory.montecarlo import simulate_moments
from rnnverify.numerics.seeding import block_seed, blocks_for, rank_blocks

from rnnverify import strategies as rst


def _values(res):
    return np.array([[q.estimate, q.stderr] for p in res.points for q in p.quantities.values()])


# ------------------------------------------------------------------ seeds and blocks


def test_block_seeds_distinct_and_stable():
    seeds = {block_seed(s, b) for s in range(20) for b in range(500)}
    assert len(seeds) == 20 * 500
    assert block_seed(3, 7) == block_seed(3, 7)
    with pytest.raises(ValueError, match="non-negative"):
        block_seed(-1, 0)


def test_rank_blocks_partition():
    blocks = blocks_for(10_001, 100)
    assert blocks[-1] == (100, 1) and sum(s for _, s in blocks) == 10_001
    parts = [rank_blocks(blocks, r, 3) for r in range(3)]
    assert sorted(b for p in parts for b in p) == blocks


# ---------------------------------------------------------------------- determinism


@pytest.mark.parametrize("lam,rho", [(0.8, 0.5), (0.7 * complex(math.cos(1), math.sin(1)), 0.3)])
def test_same_seed_same_numbers_whatever_chunk(lam, rho):
    """Chunks are unions of seed blocks: estimates agree to ≤ 1e-12 relative (float round-off
    of the merge order is the only difference; the samples themselves are identical)."""
    runs = [simulate_moments(lam, rho=rho, n_samples=5_000, horizon=40, seed=11,
                             block_size=512, chunk_samples=c) for c in (512, 1536, 100_000)]
    ref = _values(runs[0])
    for other in runs[1:]:
        np.testing.assert_allclose(_values(other), ref, rtol=1e-12, atol=0)
    different = simulate_moments(lam, rho=rho, n_samples=5_000, horizon=40, seed=12,
                                 block_size=512)
    assert not np.allclose(_values(different), ref)


def test_distributed_merge_equals_single_run():
    """Ranks taking disjoint seed blocks and merging their states give the same numbers."""
    src = AR1Input(0.6)
    plan = make_plan([0.5, 0.9], source=src, horizon=30, block_size=256)
    blocks = blocks_for(3_000, plan.block_size)
    single = MomentState.merge_all(s for _, s in simulate_blocks(plan, src, blocks, seed=5))
    per_rank = [simulate_blocks(plan, src, rank_blocks(blocks, r, 3), seed=5) for r in range(3)]
    # gather: e.g. all_gather of MomentState.to_array() per block, then merge in block order
    gathered = sorted((i, MomentState.from_array(s.to_array())) for p in per_rank for i, s in p)
    merged = MomentState.merge_all(s for _, s in gathered)
    assert merged.count == single.count == 3_000
    np.testing.assert_allclose(merged.mean, single.mean, rtol=1e-12)
    np.testing.assert_allclose(merged.m2, single.m2, rtol=1e-12)


def test_grid_point_equals_single_point():
    """One shared input stream: each grid point sees exactly the inputs of a lone run."""
    grid = simulate_moments([0.3, 0.8, -0.5], rho=0.4, n_samples=3_000, horizon=25, seed=2,
                            block_size=500)
    for i, lam in enumerate([0.3, 0.8, -0.5]):
        one = simulate_moments(lam, rho=0.4, n_samples=3_000, horizon=25, seed=2,
                               block_size=500)
        for q, est in one.points[0].quantities.items():
            assert grid.points[i].quantities[q].estimate == pytest.approx(est.estimate,
                                                                         rel=1e-12)


# ------------------------------------------------------------------------ estimators


@given(st.lists(st.integers(1, 60), min_size=1, max_size=12), st.integers(0, 2**31))
@settings(max_examples=40, deadline=None)
def test_chan_merge_matches_two_pass(sizes, seed):
    rng = np.random.default_rng(seed)
    data = rng.standard_normal((3, sum(sizes))) ** 2 * 1e3 + 7.0
    states, start = [], 0
    for s in sizes:
        states.append(MomentState.from_samples(data[:, start: start + s]))
        start += s
    merged = MomentState.merge_all(states)
    np.testing.assert_allclose(merged.mean, data.mean(axis=1), rtol=1e-13)
    np.testing.assert_allclose(merged.m2, ((data - data.mean(axis=1, keepdims=True)) ** 2)
                               .sum(axis=1), rtol=1e-10)
    if merged.count > 1:
        np.testing.assert_allclose(merged.stderr, data.std(axis=1, ddof=1)
                                   / math.sqrt(merged.count), rtol=1e-10)


def test_streaming_with_small_chunks_counts_every_sample():
    states = list(iter_block_states(make_plan(0.5, source=AR1Input(0.0), horizon=3,
                                              block_size=64), AR1Input(0.0),
                                    blocks_for(1_000, 64), seed=0, chunk_samples=100))
    assert [i for i, _ in states] == list(range(16))
    assert sum(s.count for _, s in states) == 1_000


_MEM_SCRIPT = """
import resource, sys
from rnnverify.numerics.memory.montecarlo import simulate_moments
n = int(sys.argv[1])
r = simulate_moments(0.5, rho=0.5, n_samples=n, horizon=1, block_size=8192, chunk_samples=8192)
assert r.points[0].quantities["h2"].n == n
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_memory_does_not_grow_with_samples():
    """Peak RSS of 4·10⁶ samples in 8192-sample chunks equals that of 4·10⁵ (± 64 MB) and is
    far below 2 GB: memory is O(chunk), independent of the sample count, so 10⁸ samples fit
    in < 2 GB as well (measured: 10⁸ samples, 65536-sample chunks, peak RSS 240 MB)."""
    peaks = []
    for n in (400_000, 4_000_000):
        out = subprocess.run([sys.executable, "-c", _MEM_SCRIPT, str(n)], capture_output=True,
                             text=True, check=True)
        peaks.append(int(out.stdout.strip().splitlines()[-1]) / 1024)  # MB (Linux: KiB)
    assert peaks[1] < 2048
    assert peaks[1] - peaks[0] < 64, peaks


# ------------------------------------------------------------- tangent == autograd


def _inputs(rho, steps, n, seed):
    gen = torch.Generator().manual_seed(seed)
    stream = AR1Input(rho).open([gen], [n], steps, dtype=torch.float64,
                                device=torch.device("cpu"))
    return stream.next_tile(steps).clone()


def _close(a, b):
    scale = b.abs().max().item()
    return (a - b).abs().max().item() <= 1e-12 * max(scale, 1e-300)


@given(lam=rst.lam_real(0.99), rho=rst.rho(), seed=rst.seed(2**20))
@settings(max_examples=25, deadline=None)
def test_autograd_equals_tangent_real(lam, rho, seed):
    x = _inputs(rho, 60, 16, seed)
    a = autograd_sensitivities(x, lam)
    b = tangent_sensitivities(x, lam)
    assert _close(a["h"], b["h"]) and _close(a["d_lam"], b["d_lam"])


@given(lam=rst.lam_real(0.95), rho=rst.rho(), seed=rst.seed(2**20))
@settings(max_examples=20, deadline=None)
def test_autograd_equals_tangent_gamma_coupled(lam, rho, seed):
    """γ(λ) = sqrt(1−λ²) differentiated by autograd vs the tangent with γ'x_t."""
    x = _inputs(rho, 60, 16, seed)
    g = math.sqrt(1 - lam * lam)
    a = autograd_sensitivities(x, lam, gamma=lambda v: torch.sqrt(1 - v * v))
    b = tangent_sensitivities(x, lam, gamma=g, gamma_prime=-lam / g)
    assert _close(a["h"], b["h"]) and _close(a["d_lam"], b["d_lam"])


@given(nu=rst.modulus(0.99), theta=rst.angle(), rho=rst.rho(), seed=rst.seed(2**20))
@settings(max_examples=25, deadline=None)
def test_autograd_equals_tangent_complex(nu, theta, rho, seed):
    """Polar leaves (ν, θ) and the Wirtinger route both give the tangent's d_λh and d_θh."""
    lam = nu * complex(math.cos(theta), math.sin(theta))
    x = _inputs(rho, 50, 8, seed)
    a = autograd_sensitivities(x, lam, is_complex=True, gamma=0.7)
    b = tangent_sensitivities(x, lam, is_complex=True, gamma=0.7)
    for key in ("h", "d_lam", "d_theta"):
        assert _close(a[key], b[key]), key
    assert _close(autograd_holomorphic(x, lam, gamma=0.7), b["d_lam"])


def test_engine_uses_the_tangent_recurrence_on_the_stream():
    """The engine's per-sample |d_λh_T|² equal autograd's on the same inputs (one block)."""
    from rnnverify.numerics.seeding import block_generator

    src, n, steps, lam = AR1Input(0.5), 300, 70, 0.85
    x = src.open([block_generator(4, 0, torch.device("cpu"))], [n], steps,
                 dtype=torch.float64, device=torch.device("cpu"))
    tile1, tile2 = x.next_tile(64).clone(), x.next_tile(6).clone()
    a = autograd_sensitivities(torch.cat([tile1, tile2]), lam)
    res = simulate_moments(lam, source=src, n_samples=n, horizon=steps, seed=4, block_size=n)
    q = res.points[0].quantities
    assert q["h2"].estimate == pytest.approx(a["h"].square().mean().item(), rel=1e-12)
    assert q["dh2_dlam"].estimate == pytest.approx(a["d_lam"].square().mean().item(), rel=1e-12)


# ------------------------------------------------------------------------- validation


@pytest.mark.parametrize("kwargs,match", [
    (dict(lam=1.0, rho=0.0, n_samples=10), "lam"),
    (dict(lam=float("nan"), rho=0.0, n_samples=10), "lam"),
    (dict(lam=0.5, rho=1.5, n_samples=10), "rho"),
    (dict(lam=0.5, rho=0.0, n_samples=0), "n_samples"),
    (dict(lam=0.5j, rho=0.0, n_samples=10, gamma_prime=0.1), "real lam"),
    (dict(lam=0.5, rho=0.0, n_samples=10, horizon=3, steps=4), "horizon"),
])
def test_bad_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate_moments(**kwargs)


def test_rho_plus_minus_one_exact():
    """ρ = ±1: x_t = ρ^{t+1} x_{-1} exactly (constant / alternating input)."""
    for rho in (1.0, -1.0):
        x = _inputs(rho, 20, 50, 3)
        for t in range(20):
            assert torch.equal(x[t], x[0] * rho**t)
