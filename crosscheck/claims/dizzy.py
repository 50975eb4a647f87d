"""DizzyRNN claims (Dorobantu, Stromhaug & Renteria 2016, arXiv:1612.04035).

Each claim pits three routes against each other:

* ``symbolic`` — the SymPy proofs of :mod:`theory.dizzy.givens`, :mod:`theory.dizzy.packed`,
  :mod:`theory.dizzy.theorems`, :mod:`theory.dizzy.singular_values` (lists of checked steps);
* ``oracle`` — exact SymPy for small n or a 50-digit mpmath run that never uses the closed form;
* ``numeric`` — float64 PyTorch (the layer and gradient-norm code of :mod:`numerics`, with
  derivatives from autograd), compared with a *stated* float64 rounding bound.  These checks are
  deterministic (no sampling error), so no z-bound applies; the bound is written in the detail.

Rounding bounds use ε = 2⁻⁵² and the standard first-order model: a length-n dot product has
relative error ≤ nε, so one mat-vec with an orthogonal matrix changes a norm by at most
n^{3/2}ε (‖|R|‖₂ ≤ ‖R‖_F = √n), and a matrix with ‖RᵀR − I‖₂ = δ changes it by ≤ δ/2.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache, wraps
from typing import Any

import mpmath
import numpy as np
import sympy as sp
import torch
from hypothesis import strategies as st
from rnnverify.crosscheck.claims import strategies as rst
from rnnverify.crosscheck.claims.registry import Claim, Mode, RunContext, register
from rnnverify.crosscheck.stats.ztests import CheckOutcome
from rnnverify.numerics.dizzy import rotations as torch_rotations
from rnnverify.numerics.dizzy.gradnorm import gradient_norms
from rnnverify.numerics.dizzy.layer import DizzyRNN, DizzyRNNLayer, recurrent_step
from rnnverify.numerics.dizzy.rotations import givens_matrix, schedule_for
from rnnverify.theory.classical import activation_gamma_proof
from rnnverify.theory.dizzy.givens import (
    angle_derivative_from_output,
    angle_derivative_proof,
    givens_apply,
    givens_orthogonality_proof,
)
from rnnverify.theory.dizzy.packed import (
    apply_packed_rotations,
    check_schedule,
    disjoint_givens_commute,
    packed_multiplication_count,
    rotation_product_matrix,
    round_robin_schedule,
    schedule_proof,
)
from rnnverify.theory.dizzy.singular_values import (
    regularizer,
    regularizer_gradient,
    regularizer_proof,
    scaling_bounds_mp,
    svd_scaling_proof,
)
from rnnverify.theory.dizzy.theorems import (
    abs_jacobian_proof,
    backprop_norms_mp,
    contraction_proof,
    recurrence_jacobian_proof,
    theorem_exact_small_n,
    theorem_lag_proof,
    theorem_proof,
)

EPS = 2.0**-52


# ------------------------------------------------------------------ helpers
@contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one intra-op thread, restoring the previous setting afterwards.

    The Monte Carlo columns are loops of tiny ops (n ≤ 65); with several threads each op pays a
    synchronisation, which on a loaded 2-core machine made them 10–20× slower (measured: 2016
    Givens products at n = 64, 3.5 s on 2 threads vs 0.19 s on 1).
    """

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def single_threaded(fn: Any) -> Any:
    """Decorator form of :func:`single_thread` for a column."""
    @wraps(fn)
    def wrapper(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
        with single_thread():
            return fn(point, ctx)
    return wrapper


def steps_outcome(steps: Any, label: str) -> CheckOutcome:
    """Summarise a list of :class:`theory.proof.ProofStep` as one outcome."""
    steps = list(steps)
    bad = [s.statement for s in steps if not s.checked]
    data = {"steps": [{"statement": s.statement, "reason": s.reason, "checked": s.checked,
                       "latex": s.latex()[:300]} for s in steps]}
    if bad:
        return CheckOutcome(False, f"{label}: step not confirmed: {bad[0]}", data)
    return CheckOutcome(True, f"{label}: {len(steps)}/{len(steps)} steps checked "
                              "(symbolic + random points)", data)


def _combine(*outcomes: CheckOutcome) -> CheckOutcome:
    holds = all(o.holds for o in outcomes)
    failed = [o.detail for o in outcomes if not o.holds]
    detail = failed[0] if failed else "; ".join(o.detail for o in outcomes)
    data: dict[str, Any] = {}
    for i, o in enumerate(outcomes):
        data[f"part{i}"] = o.data
    return CheckOutcome(holds, detail, data)


def _n(point: Mapping[str, Any], default: int = 4) -> int:
    return int(point.get("n", default))


def _dizzy_run(n: int, steps: int, *, rotations: int | None = None, nonlinearity: str = "abs",
               square_input: bool = False, seed: int = 0, method: str = "autograd",
               input_size: int = 12) -> tuple[Any, float, float]:
    """One route of :func:`_dizzy_runs`: (GradNormResult, ‖RᵀR−I‖₂, ‖WᵀW−I‖₂ or nan)."""
    runs, d_r, d_w = _dizzy_runs(n, steps, rotations=rotations, nonlinearity=nonlinearity,
                                 square_input=square_input, seed=seed, methods=(method,),
                                 input_size=input_size)
    return runs[method], d_r, d_w


def _dizzy_runs(n: int, steps: int, *, rotations: int | None = None, nonlinearity: str = "abs",
                square_input: bool = False, seed: int = 0,
                methods: tuple[str, ...] = ("autograd",), input_size: int = 12
                ) -> tuple[dict[str, Any], float, float]:
    """numerics' layer + gradient-norm code; returns ({method: GradNormResult}, ‖RᵀR−I‖₂,
    ‖WᵀW−I‖₂ or nan), by :func:`numerics.dizzy.gradnorm.gradient_norms`: ``"autograd"`` is the
    practitioner's route (one graph, O(T)), ``"vjp"`` the renormalised reverse loop (the
    route of ``rnnverify dizzy``).

    Same setup as :func:`numerics.dizzy.gradnorm.dizzy_gradient_norms` (docs/theory.md §6.3):
    θ ~ U[0, 2π), W ~ N(0, 1/n) (or packed rotations), b ~ N(0, 0.01), x_t ~ N(0, I),
    h_0 = 0, L = uᵀh_T.
    The rotations are drawn from the seed only, so tanh/ReLU/abs runs share the same R.
    """

    dt = torch.float64
    d = n if square_input else input_size
    gen = torch.Generator().manual_seed(seed)
    layer = DizzyRNNLayer(d, n, rotations=rotations, nonlinearity=nonlinearity,
                          square_input=square_input, generator=gen, dtype=dt)
    with torch.no_grad():
        layer.bias.copy_(torch.randn(n, generator=gen, dtype=dt) * 0.1)
        r = layer.recurrent_matrix()
        w = layer.input_matrix()
        step = recurrent_step(r, w, layer.bias, nonlinearity)
        xs = torch.randn(steps, d, generator=gen, dtype=dt)
        u = torch.randn(n, generator=gen, dtype=dt)
        eye = torch.eye(n, dtype=dt)
        d_r = float(torch.linalg.matrix_norm(r.T @ r - eye, ord=2))
        d_w = float(torch.linalg.matrix_norm(w.T @ w - eye, ord=2)) if square_input else math.nan
    runs = {method: gradient_norms(step, xs, torch.zeros(n, dtype=dt), u, method=method)
            for method in methods}
    return runs, d_r, d_w


def _per_step_bound(n: int, delta: float) -> float:
    """Relative change of ‖g‖ allowed per step by float64: δ/2 + 1.01 n^{3/2} ε + 4ε."""
    return delta / 2 + 1.01 * n**1.5 * EPS + 4 * EPS


# ------------------------------------------------------------------ dizzy.givens
def _givens_points(mode: Mode) -> list[dict[str, Any]]:
    pts = [{"n": 4, "i": 1, "j": 3, "seed": 0}, {"n": 5, "i": 0, "j": 4, "seed": 1}]
    if mode == "full":
        pts += [{"n": 8, "i": 2, "j": 7, "seed": 2}, {"n": 12, "i": 0, "j": 11, "seed": 3}]
    return pts


def _givens_symbolic(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    n, i, j = _n(point), int(point["i"]), int(point["j"])
    return steps_outcome(givens_orthogonality_proof(n, i, j) + angle_derivative_proof(n, i, j),
                         f"G({i},{j},θ) in R^{n}")


def _givens_oracle(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    """50 digits: central difference of L(θ) = gᵀG(θ)x (step 10⁻¹⁵, error O(10⁻³⁰)) against
    g_j y_i − g_i y_j from the output; GᵀG = I and det G = 1 at that θ."""

    n, i, j = _n(point), int(point["i"]), int(point["j"])
    rng = random.Random(int(point.get("seed", 0)) + ctx.seed)
    with mpmath.workdps(50):
        th = mpmath.mpf(rng.uniform(-math.pi, math.pi))
        x = [mpmath.mpf(rng.gauss(0, 1)) for _ in range(n)]
        g = [mpmath.mpf(rng.gauss(0, 1)) for _ in range(n)]

        def loss(t: Any) -> Any:
            return mpmath.fdot(g, givens_apply(x, i, j, mpmath.cos(t), mpmath.sin(t)))

        h = mpmath.mpf(10) ** -15
        fd = (loss(th + h) - loss(th - h)) / (2 * h)
        y = givens_apply(x, i, j, mpmath.cos(th), mpmath.sin(th))
        formula = angle_derivative_from_output(g, y, i, j)
        G = mpmath.eye(n)
        G[i, i] = G[j, j] = mpmath.cos(th)
        G[i, j], G[j, i] = -mpmath.sin(th), mpmath.sin(th)
        orth = mpmath.mnorm(G.T * G - mpmath.eye(n), 1)
        det = mpmath.det(G)
        err = abs(fd - formula)
        ok = err < 1e-25 and orth < 1e-45 and abs(det - 1) < 1e-45
    return CheckOutcome(ok, f"|finite diff − (g_j y_i − g_i y_j)| = {float(err):.1e} (< 1e-25), "
                            f"‖GᵀG−I‖ = {float(orth):.0e}, |det G − 1| = {float(abs(det - 1)):.0e}",
                        {"fd_error": float(err), "orth_error": float(orth)})


@single_threaded
def _givens_mc(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    """float64 torch: autograd ∂L/∂θ for all angles of the full packed schedule vs the
    output-only backward (recover each round's input from its output, g_j y_i − g_i y_j);
    single Givens matrix orthogonal with det 1."""

    n, i, j = _n(point), int(point["i"]), int(point["j"])
    dt = torch.float64
    gen = torch.Generator().manual_seed(1000 * int(point.get("seed", 0)) + ctx.seed)
    k = n - 1 if n % 2 == 0 else n
    theta = (torch.rand(k, n // 2, generator=gen, dtype=dt) * 2 * math.pi).requires_grad_(True)
    x = torch.randn(n, generator=gen, dtype=dt)
    g = torch.randn(n, generator=gen, dtype=dt)
    y = torch_rotations.apply_packed_rotations(x, theta)
    (auto,) = torch.autograd.grad((g * y).sum(), theta)
    # output-only backward, last round first
    sched = schedule_for(n, k)
    out = y.detach().clone()
    gg = g.clone()
    manual = torch.zeros_like(theta)
    with torch.no_grad():
        for r in range(k - 1, -1, -1):
            for p, (a, b) in enumerate(sched[r]):
                manual[r, p] = gg[b] * out[a] - gg[a] * out[b]
            c, s = torch.cos(theta[r]), torch.sin(theta[r])
            ia = torch.tensor([a for a, _ in sched[r]], dtype=torch.long)
            ib = torch.tensor([b for _, b in sched[r]], dtype=torch.long)
            # Q_rᵀ: rotate back by −θ (input from output, and the gradient)
            for v in (out, gg):
                va, vb = v[ia].clone(), v[ib].clone()
                v[ia] = c * va + s * vb
                v[ib] = -s * va + c * vb
        err = float((auto - manual).abs().max())
        rec = float((out - x).abs().max())
        tol = 32 * (k + 1) * EPS * float(g.norm() * x.norm())
        G = givens_matrix(n, i, j, float(theta[0, 0]))
        orth = float((G.T @ G - torch.eye(n, dtype=dt)).abs().max())
        det = abs(float(torch.linalg.det(G)) - 1)
    ok = err <= tol and rec <= 16 * k * EPS * float(x.norm()) and orth <= 4 * EPS \
        and det <= 8 * n * EPS
    return CheckOutcome(ok, f"{k}×{n // 2} angles: max|autograd − output-only| = {err:.1e} "
                            f"(bound 32(k+1)ε‖g‖‖x‖ = {tol:.1e}); input recovered to {rec:.1e}; "
                            f"‖GᵀG−I‖_max = {orth:.0e}, |det−1| = {det:.0e}",
                        {"max_abs_error": err, "bound": tol, "input_recovery": rec})


def _givens_domain() -> Any:
    return rst.size(2, 12).flatmap(lambda n: st.tuples(
        st.just(n), st.integers(0, n - 2)).flatmap(lambda t: st.fixed_dictionaries({
            "n": st.just(t[0]), "i": st.just(t[1]), "j": st.integers(t[1] + 1, t[0] - 1),
            "seed": rst.seed()})))


register(Claim(
    id="dizzy.givens",
    title="Givens rotation: orthogonal, det 1, ∂L/∂θ = g_j y_i − g_i y_j from the output alone",
    source="Dorobantu et al. 2016, §4.1 (selection matrix P, fixed 2×2 matrix K)",
    symbolic=_givens_symbolic, oracle=_givens_oracle, numeric=_givens_mc,
    points=_givens_points, domain=_givens_domain))


# ------------------------------------------------------------------ dizzy.packed
def _packed_points(mode: Mode) -> list[dict[str, Any]]:
    pts = [{"n": 6, "k": None}, {"n": 7, "k": None}, {"n": 8, "k": 3}]
    if mode == "full":
        pts += [{"n": 16, "k": None}, {"n": 17, "k": None}, {"n": 64, "k": None},
                {"n": 65, "k": 5}]
    return pts


@lru_cache(maxsize=1)
def _schedules_up_to(limit: int) -> tuple[int, bool]:
    bad = [m for m in range(2, limit + 1) if not check_schedule(m).holds]
    return limit, not bad


def _full_k(n: int, k: Any) -> int:
    return (n - 1 if n % 2 == 0 else n) if k is None else int(k)


def _packed_symbolic(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    n = _n(point)
    k = _full_k(n, point.get("k"))
    proof = steps_outcome(schedule_proof() + (disjoint_givens_commute(),), "circle method")
    rep = check_schedule(n)
    limit, all_ok = _schedules_up_to(64)
    pairs = sum(len(r) for r in round_robin_schedule(n)[:k]) if k <= len(
        round_robin_schedule(n)) else None
    mults = packed_multiplication_count(n, k)
    cost_ok = mults <= 2 * k * n and (pairs is None or mults == 4 * pairs)
    ok = rep.holds and all_ok and cost_ok
    sched = CheckOutcome(ok, f"n = {n}: {rep.rounds} rounds (expected {rep.expected_rounds}), "
                             f"every pair once = {rep.every_pair_exactly_once}; exhaustive for "
                             f"n = 2..{limit}: {all_ok}; {k} rounds cost {mults} mults ≤ 2kn",
                         {"rounds": rep.rounds, "multiplications": mults})
    return _combine(proof, sched)


def _packed_oracle(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    """Exact SymPy: the O(kn) routine on symbolic x, cos, sin equals the explicit product of
    Givens matrices times x (expanded difference 0), for min(n, 7) and min(k, 3) rounds."""

    n = min(_n(point), 7)
    full = round_robin_schedule(n)
    k = min(_full_k(_n(point), point.get("k")), 3)
    rounds = [full[r % len(full)] for r in range(k)]
    thetas = [[sp.Symbol(f"t{r}_{p}", real=True) for p in range(len(rnd))]
              for r, rnd in enumerate(rounds)]
    x = sp.symbols(f"x0:{n}")
    fast = apply_packed_rotations(list(x), rounds,
                                  [[(sp.cos(t), sp.sin(t)) for t in row] for row in thetas])
    slow = rotation_product_matrix(n, rounds, thetas) * sp.Matrix(x)
    diff = [sp.expand(a - b) for a, b in zip(fast, slow, strict=True)]
    ok = all(d == 0 for d in diff)
    return CheckOutcome(ok, f"n = {n}, {k} rounds: O(kn) routine ≡ explicit Givens product "
                            f"(exact, symbolic angles)", {"n": n, "k": k})


@single_threaded
def _packed_mc(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    """float64 torch (numerics.dizzy.rotations): O(kn) packed application vs multiplying by the
    k·⌊n/2⌋ explicit n×n Givens matrices; numerics' schedule checked with theory's checker."""

    n = _n(point)
    k = _full_k(n, point.get("k"))
    rep = check_schedule(n, [list(r) for r in torch_rotations.round_robin_schedule(n)])
    gen = torch.Generator().manual_seed(7 + ctx.seed)
    dt = torch.float64
    theta = torch.rand(k, n // 2, generator=gen, dtype=dt) * 2 * math.pi
    x = torch.randn(5, n, generator=gen, dtype=dt)
    fast = torch_rotations.apply_packed_rotations(x, theta)
    slow = x.clone()  # the explicit n×n Givens matrices, one after the other (O(k n³) here)
    for r, pairs in enumerate(schedule_for(n, k)):
        for p, (i, j) in enumerate(pairs):
            slow = slow @ givens_matrix(n, i, j, theta[r, p], dt).T
    err = float((fast - slow).norm(dim=-1).max() / x.norm(dim=-1).min())
    tol = 2 * 6 * k * EPS * math.sqrt(n)  # two routes, ≤ 6ε per coordinate per round
    sched_ok = rep.holds and len(schedule_for(n, k)) == k
    ok = err <= tol and sched_ok
    return CheckOutcome(ok, f"n = {n}, k = {k}: ‖packed − explicit‖/‖x‖ = {err:.1e} "
                            f"(bound 12kε√n = {tol:.1e}); numerics schedule: {rep.rounds} rounds, "
                            f"each pair once = {rep.every_pair_exactly_once}",
                        {"relative_error": err, "bound": tol})


def _packed_domain() -> Any:
    return st.fixed_dictionaries({"n": rst.size(2, 12),
                                  "k": st.one_of(st.none(), st.integers(1, 4))})


register(Claim(
    id="dizzy.packed",
    title="Packed rotations: round-robin covers every pair once (odd n via a dummy), O(kn) "
          "application equals the explicit Givens product",
    source="Dorobantu et al. 2016, §4.2 (round-robin schedule; odd n with a dummy element)",
    symbolic=_packed_symbolic, oracle=_packed_oracle, numeric=_packed_mc,
    points=_packed_points, domain=_packed_domain))


# ------------------------------------------------------------------ dizzy.abs
def _abs_points(mode: Mode) -> list[dict[str, Any]]:
    return [{"n": 5, "seed": 0}] + ([{"n": 12, "seed": 1}, {"n": 64, "seed": 2}]
                                    if mode == "full" else [])


def _abs_symbolic(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    return steps_outcome(abs_jacobian_proof(min(_n(point), 6)) + recurrence_jacobian_proof(),
                         "abs Jacobian")


def _abs_oracle(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    """50 digits: central differences of the element-wise |·| at random non-zero a."""

    n = _n(point)
    rng = random.Random(int(point.get("seed", 0)) + ctx.seed)
    worst = 0.0
    with mpmath.workdps(50):
        a = [mpmath.mpf(rng.choice((-1, 1)) * rng.uniform(0.01, 3)) for _ in range(n)]
        h = mpmath.mpf(10) ** -12  # |·| is linear on [a − h, a + h]: no truncation error
        for c in range(n):
            for r in range(n):
                ap, am = list(a), list(a)
                ap[c] += h
                am[c] -= h
                fd = (abs(ap[r]) - abs(am[r])) / (2 * h)
                want = mpmath.sign(a[r]) if r == c else 0
                worst = max(worst, float(abs(fd - want)))
    return CheckOutcome(worst < 1e-25, f"n = {n}: finite-difference Jacobian = diag(±1) to "
                                       f"{worst:.0e}", {"max_error": worst})


@single_threaded
def _abs_mc(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    """torch autograd Jacobian of torch.abs: exactly diag(±1), and D·D = I exactly."""

    n = _n(point)
    gen = torch.Generator().manual_seed(int(point.get("seed", 0)) + ctx.seed)
    a = torch.randn(n, generator=gen, dtype=torch.float64)
    J = torch.autograd.functional.jacobian(torch.abs, a)
    D = torch.diag(torch.sign(a))
    exact = bool(torch.equal(J, D)) and bool(torch.equal(J @ J, torch.eye(n, dtype=J.dtype)))
    entries = sorted({float(v) for v in torch.diagonal(J)})
    return CheckOutcome(exact and set(entries) <= {-1.0, 1.0},
                        f"n = {n}: autograd Jacobian == diag(sgn a) exactly, diagonal values "
                        f"{entries}, J² == I exactly", {"diagonal_values": entries})


def _abs_domain() -> Any:
    return st.fixed_dictionaries({"n": rst.size(1, 12), "seed": rst.seed()})


register(Claim(
    id="dizzy.abs",
    title="abs non-linearity: Jacobian diag(sgn a) with entries ±1, an involution",
    source="Dorobantu et al. 2016, §4.3; docs/theory.md §6.3",
    symbolic=_abs_symbolic, oracle=_abs_oracle, numeric=_abs_mc,
    points=_abs_points, domain=_abs_domain))


# ------------------------------------------------------------------ dizzy.thm3 / thm4
def _thm_points(mode: Mode) -> list[dict[str, Any]]:
    if mode == "quick":
        return [{"n": 8, "steps": 1000, "rotations": None, "seed": 0},
                {"n": 9, "steps": 1000, "rotations": 2, "seed": 1}]
    return [{"n": 64, "steps": 10_000, "rotations": None, "seed": 0},
            {"n": 63, "steps": 10_000, "rotations": None, "seed": 1},
            {"n": 16, "steps": 10_000, "rotations": 2, "seed": 2}]


def _thm_symbolic(which: str) -> Any:
    def column(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
        n = _n(point)
        exact = tuple(theorem_exact_small_n(m, which) for m in sorted({2, 3, 4, min(n, 4)}))
        steps = recurrence_jacobian_proof() + theorem_proof(which) + exact
        if which == "thm3":
            steps += (theorem_lag_proof(4),)
        return steps_outcome(steps, f"{'Theorem 3' if which == 'thm3' else 'Theorem 4'} for all "
                                    "n (matrix expressions), exact for n = 2, 3, 4")
    return column


def _thm_oracle(which: str) -> Any:
    def column(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
        n = min(_n(point), 8)
        steps = min(int(point.get("steps", 100)), 100 if ctx.mode == "quick" else 400)
        res = backprop_norms_mp(n, steps, rotations=point.get("rotations"),
                                seed=int(point.get("seed", 0)) + ctx.seed,
                                square_input=which == "thm4", dps=50)
        if which == "thm3":
            dev = max(abs(res.ratio - 1), res.max_step_deviation)
            what = f"|‖g_0‖/‖g_T‖ − 1| and max step deviation ≤ {float(dev):.0e}"
        else:
            dev = max(abs(r - 1) for r in res.input_ratios)
            what = f"max_t |‖∂L/∂x_t‖/‖∂L/∂h_t‖ − 1| = {float(dev):.0e}"
        ok = dev < mpmath.mpf(10) ** -40 and res.min_abs_preactivation > 0
        return CheckOutcome(bool(ok), f"mpmath 50 digits, n = {n}, T = {steps}: {what} (< 1e-40)",
                            {"deviation": float(dev), "n": n, "steps": steps})
    return column


def _thm_mc(which: str) -> Any:
    @single_threaded
    def column(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
        n, steps = _n(point), int(point["steps"])

        methods = ("autograd", "vjp") if which == "thm3" else ("autograd",)
        runs, d_r, d_w = _dizzy_runs(n, steps, rotations=point.get("rotations"),
                                     square_input=which == "thm4", methods=methods,
                                     seed=int(point.get("seed", 0)) + ctx.seed)
        res = runs["autograd"]
        per_r = _per_step_bound(n, d_r)
        if which == "thm3":
            total_dev = abs(res.grad_norm_ratio - 1)
            step_dev = res.max_step_deviation
            tol_total = steps * per_r + 8 * EPS
            vjp = runs["vjp"]
            # both routes are within T·(per-step bound) of the exact norms, so of each other 2×
            route_gap = float(np.max(np.abs(vjp.log_grad_norms - res.log_grad_norms)))
            ok = total_dev <= tol_total and step_dev <= per_r + 8 * EPS \
                and route_gap <= 2 * tol_total
            detail = (f"float64 autograd, n = {n}, T = {steps}: ‖∂L/∂h_0‖/‖∂L/∂h_T‖ − 1 = "
                      f"{res.grad_norm_ratio - 1:.1e} (bound T(δ/2 + 1.01n^1.5ε + 4ε) = "
                      f"{tol_total:.1e}, δ = ‖RᵀR−I‖ = {d_r:.0e}); max step deviation "
                      f"{step_dev:.1e}; numerics' vjp route: ratio − 1 = "
                      f"{vjp.grad_norm_ratio - 1:.1e}, max |Δ ln‖g_t‖| vs autograd {route_gap:.0e}")
            data = {"grad_norm_ratio": res.grad_norm_ratio, "max_step_deviation": step_dev,
                    "bound": tol_total, "vjp_grad_norm_ratio": vjp.grad_norm_ratio,
                    "route_gap": route_gap}
        else:
            lo, hi = res.input_grad_ratio_range
            per_w = _per_step_bound(n, d_w) + 8 * EPS
            dev = max(abs(lo - 1), abs(hi - 1))
            ok = dev <= per_w
            detail = (f"float64 autograd, n = {n}, T = {steps}, square W (packed rotations): "
                      f"‖∂L/∂x_t‖/‖∂L/∂h_t‖ ∈ [{lo:.15f}, {hi:.15f}] (bound ±{per_w:.1e}, "
                      f"δ_W = {d_w:.0e})")
            data = {"input_grad_ratio_range": [lo, hi], "bound": per_w}
        return CheckOutcome(bool(ok), detail, data)
    return column


def _thm_domain() -> Any:
    return st.fixed_dictionaries({
        "n": rst.size(2, 12), "steps": rst.horizon(60),
        "rotations": st.one_of(st.none(), st.integers(1, 4)), "seed": rst.seed()})


register(Claim(
    id="dizzy.thm3",
    title="Theorem 3: ‖∂L/∂h_{t−1}‖ = ‖∂L/∂h_t‖ (abs + packed rotations), any n, any lag",
    source="Dorobantu et al. 2016, §4.5 Theorem 3 and Appendix; statement reconstructed in "
           "docs/theory.md §6.3",
    symbolic=_thm_symbolic("thm3"), oracle=_thm_oracle("thm3"), numeric=_thm_mc("thm3"),
    points=_thm_points, domain=_thm_domain))

register(Claim(
    id="dizzy.thm4",
    title="Theorem 4: square W of packed rotations ⇒ ‖∂L/∂x_t‖ = ‖∂L/∂h_t‖",
    source="Dorobantu et al. 2016, §4.5 Theorem 4 ('by symmetry'); docs/theory.md §6.3",
    symbolic=_thm_symbolic("thm4"), oracle=_thm_oracle("thm4"), numeric=_thm_mc("thm4"),
    points=_thm_points, domain=_thm_domain))


# ------------------------------------------------------------------ dizzy.saturating
#: "vanished" means the signal lost at least this many orders of magnitude over the run
VANISH_LOG10 = -3.0


def _sat_points(mode: Mode) -> list[dict[str, Any]]:
    if mode == "quick":
        return [{"n": 16, "steps": 100, "seed": 0}]
    return [{"n": 64, "steps": 100, "seed": 0}, {"n": 64, "steps": 1000, "seed": 0},
            {"n": 63, "steps": 1000, "seed": 1}]


def _sat_symbolic(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    return steps_outcome(contraction_proof() + activation_gamma_proof("tanh"),
                         "|f'| ≤ 1 never expands, |f'| < 1 shrinks")


def _sat_oracle(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    n = min(_n(point), 8)
    steps = min(int(point.get("steps", 100)), 100)
    seed = int(point.get("seed", 0)) + ctx.seed
    out, ok, data = [], True, {}
    for nl in ("tanh", "relu"):
        res = backprop_norms_mp(n, steps, nonlinearity=nl, seed=seed, dps=50)
        ratios = [b / a for a, b in zip(res.norms, res.norms[1:], strict=False) if a != 0]
        expands = max(ratios) > 1 + 1e-40
        log10 = float(mpmath.log10(res.ratio)) if res.ratio else -math.inf
        ok &= (not expands) and log10 <= VANISH_LOG10
        data[nl] = log10
        out.append(f"{nl}: log10 ratio = {log10:.1f}")
    return CheckOutcome(ok, f"mpmath 50 digits, n = {n}, T = {steps}, same R: " + ", ".join(out)
                        + f" (vanished: ≤ {VANISH_LOG10:.0f}; no step expands)", data)


@single_threaded
def _sat_mc(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    n, steps = _n(point), int(point["steps"])
    seed = int(point.get("seed", 0)) + ctx.seed
    data, parts, ok = {}, [], True
    for nl in ("abs", "tanh", "relu"):
        res, d_r, _ = _dizzy_run(n, steps, nonlinearity=nl, seed=seed, method="vjp")
        per = _per_step_bound(n, d_r)
        log10 = res.log10_grad_norm_ratio
        r = res.step_ratios
        r = r[~np.isnan(r)]
        no_expand = bool((r <= 1 + per).all())
        if nl == "abs":
            ok &= abs(res.grad_norm_ratio - 1) <= steps * per
        else:
            ok &= no_expand and log10 <= VANISH_LOG10
        data[nl] = {"log10_ratio": log10, "max_step_ratio": float(r.max()) if len(r) else None}
        parts.append(f"{nl} {log10:.3g}")
    return CheckOutcome(ok, f"float64, n = {n}, T = {steps}, same R: log10 ‖∂L/∂h_0‖/‖∂L/∂h_T‖ "
                            f"= " + ", ".join(parts) + f" (tanh/relu ≤ {VANISH_LOG10:.0f} and "
                            "never expand; abs within T·per-step rounding bound of 0)", data)


def _sat_domain() -> Any:
    return st.fixed_dictionaries({"n": rst.size(4, 10), "steps": st.integers(60, 100),
                                  "seed": rst.seed()})


register(Claim(
    id="dizzy.saturating",
    title="tanh and ReLU with the same orthogonal R make the signal vanish (abs does not)",
    source="Dorobantu et al. 2016, §4.3 and Appendix remark after Theorem 3; docs/theory.md §6.3",
    symbolic=_sat_symbolic, oracle=_sat_oracle, numeric=_sat_mc,
    points=_sat_points, domain=_sat_domain))


# ------------------------------------------------------------------ dizzy.svd
def _svd_points(mode: Mode) -> list[dict[str, Any]]:
    return [{"n": 8, "seed": 0}] + ([{"n": 16, "seed": 1}, {"n": 33, "seed": 2}]
                                    if mode == "full" else [])


def _svd_symbolic(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    return steps_outcome(svd_scaling_proof() + regularizer_proof("mean") +
                         regularizer_proof("sum"), "UΣV scaling and regulariser")


def _random_sigma(n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(0.5, 2.0) for _ in range(n)]


def _svd_oracle(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    n = min(_n(point), 6)
    seed = int(point.get("seed", 0)) + ctx.seed
    sig = _random_sigma(n, seed)
    sc = scaling_bounds_mp(n, sig, trials=6, seed=seed)
    with mpmath.workdps(40):
        lam = mpmath.mpf("0.7")
        s = [mpmath.mpf(v) for v in sig]
        grad = regularizer_gradient(s, lam)
        worst = 0.0
        for kk in range(n):
            def f(v: Any, kk: int = kk) -> Any:
                return regularizer(s[:kk] + [v] + s[kk + 1:], lam)
            worst = max(worst, float(abs(mpmath.diff(f, s[kk]) - grad[kk])))
    ok = sc["within"] and worst < 1e-30
    return CheckOutcome(ok, f"mpmath: ‖UΣVx‖/‖x‖ ∈ [{sc['min_ratio']:.3f}, "
                            f"{sc['max_ratio']:.3f}] ⊂ [σ_min, σ_max] = "
                            f"[{sc['sigma_min']:.3f}, {sc['sigma_max']:.3f}]; "
                            f"∂L_σ/∂σ vs numeric derivative: {worst:.0e}", {"scaling": sc})


@single_threaded
def _svd_mc(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
    """numerics' PackedRotations(singular_values=True): svdvals = |σ|, per-step ratios within
    [σ_min, σ_max] (forward and, through abs, backward), and the layer's regulariser and its
    autograd gradient against theory's formula."""

    n = _n(point)
    seed = int(point.get("seed", 0)) + ctx.seed
    dt = torch.float64
    gen = torch.Generator().manual_seed(seed)
    model = DizzyRNN(4, n, singular_values=True, generator=gen, dtype=dt)
    layer = model.layers[0]
    sig = torch.tensor(_random_sigma(n, seed), dtype=dt)
    with torch.no_grad():
        layer.recurrent.sigma.copy_(sig)
        R = layer.recurrent_matrix()
    smin, smax = float(sig.min()), float(sig.max())
    sv = torch.linalg.svdvals(R)
    sv_err = float((sv.sort().values - sig.sort().values).abs().max())
    x = torch.randn(200, n, generator=gen, dtype=dt)
    with torch.no_grad():
        ratios = layer.recurrent(x).norm(dim=-1) / x.norm(dim=-1)
    tol = 4 * (n + layer.recurrent.rotations) * EPS * smax
    fwd_ok = bool(((ratios >= smin - tol) & (ratios <= smax + tol)).all())
    step = recurrent_step(R.detach(), layer.input_matrix().detach(), None, "abs")
    xs = torch.randn(300, 4, generator=gen, dtype=dt)
    res = gradient_norms(step, xs, torch.zeros(n, dtype=dt), None, method="vjp", generator=gen)
    sr = res.step_ratios
    bwd_ok = bool(((sr >= smin - tol) & (sr <= smax + tol)).all())
    lam = 0.7
    with torch.no_grad():
        layer.recurrent.sigma.copy_(sig)
    reg = model.regularizer(lam)
    (grad,) = torch.autograd.grad(reg, layer.recurrent.sigma)

    want = regularizer(sig.tolist(), lam)
    want_g = torch.tensor(regularizer_gradient(sig.tolist(), lam), dtype=dt)
    reg_err = abs(float(reg.detach()) - want) / max(want, 1e-300)
    g_err = float((grad - want_g).abs().max())
    ok = sv_err <= 8 * n * EPS * smax and fwd_ok and bwd_ok and reg_err <= 4 * n * EPS \
        and g_err <= 4 * EPS * lam
    return CheckOutcome(ok, f"n = {n}: svdvals(UΣV) = σ to {sv_err:.0e}; forward ratios in "
                            f"[{float(ratios.min()):.3f}, {float(ratios.max()):.3f}], backward "
                            f"step ratios in [{float(sr.min()):.3f}, {float(sr.max()):.3f}] ⊂ "
                            f"[{smin:.3f}, {smax:.3f}]; regulariser rel. err {reg_err:.0e}, "
                            f"gradient err {g_err:.0e}",
                        {"svd_error": sv_err, "regularizer_rel_error": reg_err})


def _svd_domain() -> Any:
    return st.fixed_dictionaries({"n": rst.size(2, 12), "seed": rst.seed()})


register(Claim(
    id="dizzy.svd",
    title="Exposed singular values W = UΣV: per-step scaling in [σ_min, σ_max]; regulariser "
          "λ/2·mean(σ−1)² with gradient λ(σ−1)/n",
    source="Dorobantu et al. 2016, §2.1 Corollaries 1–2, §5; authors' regularizeSpread "
           "(docs/theory.md §6.4)",
    symbolic=_svd_symbolic, oracle=_svd_oracle, numeric=_svd_mc,
    points=_svd_points, domain=_svd_domain))
