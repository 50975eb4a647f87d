"""Monte Carlo route of :class:`~rnnverify.crosscheck.model.recurrence.Model`, for one λ or a
λ-grid.

:func:`plan_simulation` validates a request (models that differ only in λ share
one input stream) before anything is allocated; :func:`run_simulation` runs the
PyTorch engine (:func:`rnnverify.numerics.memory.montecarlo.simulate_moments`) and
records each estimate with its standard error, its burn-in bias bound and,
unless asked not to, the closed-form value and the z-score of the difference.
:meth:`Simulation.to_dict` is the ``rnnverify simulate --json`` document.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rnnverify.crosscheck.markdown import markdown_table
from rnnverify.crosscheck.model.bridge import engine_args, model_source
from rnnverify.crosscheck.model.quantities import (
    DEFAULT_CHUNK,
    DEFAULT_MAX_BIAS,
    DEFAULT_SAMPLES,
    QUANTITIES,
    QUANTITY_LATEX,
    REPORTED_ALPHA,
    argument_namer,
)
from rnnverify.crosscheck.schema import document
from rnnverify.crosscheck.stats.ztests import two_sided_z
from rnnverify.numerics.memory.engine import Estimate, MCResult, make_plan
from rnnverify.numerics.memory.inputs import CirculantInput
from rnnverify.numerics.memory.montecarlo import simulate_moments
from rnnverify.theory.memory.moments import moments

__all__ = ["QUANTITIES", "Simulation", "SimulationPlan", "plan_simulation", "run_simulation"]

@dataclass
class Simulation(Mapping[str, Any]):
    """Monte Carlo estimates on a λ-grid; ``to_dict()`` is the ``rnnverify simulate --json``
    document.  With one λ (``Model.simulate``) it maps ``h2``, ``dh2_dlam``,
    ``dh2_dtheta`` to :class:`~rnnverify.numerics.memory.engine.Estimate` (``None`` when
    undefined)."""

    rows: list[dict[str, Any]]
    meta: dict[str, Any]
    result: MCResult = field(repr=False)

    def estimates(self, index: int = 0) -> dict[str, Estimate | None]:
        """The estimates at grid point ``index``."""
        point = self.result.points[index]
        return {q: point.quantities.get(q) for q in QUANTITIES}

    def _single(self) -> dict[str, Estimate | None]:
        if len(self.rows) != 1:
            raise ValueError(f"this simulation has {len(self.rows)} values of lam: "
                             "use .estimates(i) or .rows")
        return self.estimates(0)

    def __getitem__(self, key: str) -> Estimate | None:
        return self._single()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(QUANTITIES)

    def __len__(self) -> int:
        return len(QUANTITIES)

    def to_dict(self) -> dict[str, Any]:
        return document("simulate", {"results": self.rows, **self.meta})

    def _repr_markdown_(self) -> str:
        m = self.meta
        how = (f"stationary, {m['steps']} steps per chain (relative bias ≤ {m['bias_bound']:.1e})"
               if m["stationary"] else f"finite horizon $t = {m['steps']}$ from $h_0 = 0$")
        rows = []
        for row in self.rows:
            lam = f"{row['lam']:g}" + ("" if row["theta"] is None
                                       else f"·e^(i·{row['theta']:g})")
            for q in QUANTITIES:
                e = row[q]
                if e is None:
                    continue
                z = e.get("z")
                rows.append([lam, f"${QUANTITY_LATEX[q]}$", f"{e['estimate']:.6g}",
                             f"{e['stderr']:.2g}",
                             "–" if e.get("theory") is None else f"{e['theory']:.6g}",
                             "–" if z is None else f"{z:+.2f}"])
        return (f"**rnnverify simulate** — {m['samples']} chains, {how}; {m['input']}; "
                f"seed {m['seed']}, {m['device']} {m['dtype']}\n\n"
                + markdown_table(["λ", "quantity", "Monte Carlo", "± stderr", "theory", "z"],
                                 rows)
                + f"\n\nA z-score beyond ±{m['z_bound_at_alpha_1e-3']:.2f} happens with "
                  "probability 1e-3 per quantity if theory is right.")


def _positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return value


@dataclass(frozen=True)
class SimulationPlan:
    """A validated simulation request (:func:`plan_simulation`), run by :func:`run_simulation`."""

    models: tuple[Any, ...]  # rnnverify.crosscheck.model.recurrence.Model, differing only in λ
    source: Any  # numerics input source
    theory_input: Any  # ρ (float) or the Autocorrelation, for the theory column
    input_text: str
    gammas: tuple[float, ...]
    gamma_primes: tuple[float, ...] | None
    engine: dict[str, Any]  # the engine's model keywords (crosscheck.model.bridge.engine_args)
    samples: int
    seed: int
    steps: int | None
    max_bias: float
    chunk: int
    theory: bool
    plan: Any  # numerics.memory.engine.Plan: device, dtype and number of steps fixed

    @property
    def work(self) -> int:
        """Sample-steps to simulate (all grid points together)."""
        return self.samples * max(1, self.plan.steps) * len(self.models)


def plan_simulation(models: Sequence[Any], *, samples: int = DEFAULT_SAMPLES, seed: int = 0,
                    device: str = "auto", dtype: str | None = None, steps: int | None = None,
                    max_bias: float = DEFAULT_MAX_BIAS, chunk: int = DEFAULT_CHUNK,
                    theory: bool = True, _cli: bool = False) -> SimulationPlan:
    """Validate a simulation of models that differ only in λ (one shared input stream).

    Same arguments as :meth:`Model.simulate`; raises ``ValueError``/``TypeError``
    naming the argument before anything is allocated.
    """
    name = argument_namer(_cli)
    if not models:
        raise ValueError(f"{name('lam')} must give at least one value")
    first = models[0]
    for m in models[1:]:
        if (m.theta, m.autocorr, m.gamma, m.gamma_coupled, m.t, m.dlam_dp) != (
                first.theta, first.autocorr, first.gamma, first.gamma_coupled, first.t,
                first.dlam_dp):
            raise ValueError("the models of one simulation may differ only in lam")
    samples = _positive(samples, name("samples"))
    chunk = _positive(chunk, name("chunk"))
    steps = None if steps is None else _positive(steps, name("steps"))
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"{name('seed')} must be a non-negative integer, got {seed!r}")
    if isinstance(max_bias, bool) or not isinstance(max_bias, (int, float)):
        raise TypeError(f"{name('max_bias')} must be a number, got {type(max_bias).__name__}")
    if not 0 < max_bias < 1:
        raise ValueError(f"{name('max_bias')} must lie in (0, 1), got {max_bias}")
    if first.t is not None and steps is not None:
        raise ValueError(f"{name('t')} (finite horizon) and {name('steps')} (stationary) "
                         "exclude each other")
    if not isinstance(theory, bool):
        raise TypeError(f"theory must be a bool, got {type(theory).__name__}")
    source = model_source(first)
    if first.rho is not None:
        theory_input: Any = first.rho
        input_text = f"AR(1) rho={first.rho}"
    else:
        theory_input = first.autocorr
        input_text = f"autocorr {first.autocorr.name}"
    # γ at |λ|, and with coupling dγ/dλ at λ, exactly as the closed form takes them
    engine = engine_args(models)
    gammas = tuple(engine["gamma"])
    gamma_primes = None if engine["gamma_prime"] is None else tuple(engine["gamma_prime"])
    plan = make_plan(source=source, rel_bias=max_bias, steps=steps, device=device, dtype=dtype,
                     **engine)
    if isinstance(source, CirculantInput) and plan.steps > 0:
        source.sqrt_eigenvalues(plan.steps)  # refuse a non-PSD R before simulating
    return SimulationPlan(tuple(models), source, theory_input, input_text, gammas, gamma_primes,
                          engine, samples, seed, steps, max_bias, chunk, theory, plan)


def run_simulation(request: SimulationPlan,
                   progress: Callable[[int], None] | None = None) -> Simulation:
    """Simulate a :class:`SimulationPlan`; ``progress(n)`` is called as samples complete."""
    first = request.models[0]
    theta = None if first.theta is None else float(first.theta)
    start = time.perf_counter()
    result = simulate_moments(
        source=request.source, n_samples=request.samples, rel_bias=request.max_bias,
        steps=request.steps, seed=request.seed, device=request.plan.device,
        dtype=request.plan.dtype, chunk_samples=request.chunk, progress=progress,
        **request.engine)
    seconds = time.perf_counter() - start
    rows = []
    for model, pt in zip(request.models, result.points, strict=True):
        lam_v = float(model.lam)
        ref = None
        if request.theory:
            vals = moments(lam_v, theta=theta, autocorr=request.theory_input, gamma=first.gamma,
                           gamma_coupled=first.gamma_coupled, t=first.t, dps=30)
            ref = {q: (None if v is None else float(v)) for q, v in vals.items()}
        row: dict[str, Any] = {"lam": lam_v, "theta": theta, "gamma": pt.gamma}
        for q in (*QUANTITIES, *(f"dh2_d{p}" for p in first.dlam_dp)):
            est = pt.quantities.get(q)
            if est is None:
                row[q] = None
                continue
            entry: dict[str, Any] = est.to_json()
            entry["bias_bound"] = pt.bias_bound[q]
            if ref is not None and ref.get(q) is not None:
                entry["theory"] = ref[q]
                diff = est.estimate - ref[q]
                entry["z"] = diff / est.stderr if est.stderr > 0 else (0.0 if diff == 0 else None)
            row[q] = entry
        rows.append(row)
    meta = {
        "samples": result.n_samples,
        "steps": result.steps,
        "stationary": result.stationary,
        "burn_in": result.steps if result.stationary else 0,
        "bias_bound": max(max(p.bias_bound.values()) for p in result.points),
        "max_bias": request.max_bias,
        "seed": result.seed,
        "device": result.device,
        "dtype": result.dtype,
        "block_size": result.block_size,
        "chunk": result.chunk_samples,
        "seconds": round(seconds, 3),
        "sample_steps_per_second": (result.n_samples * result.steps / seconds
                                    if seconds > 0 else None),
        "z_bound_at_alpha_1e-3": two_sided_z(REPORTED_ALPHA),
        "input": request.input_text,
    }
    return Simulation(rows, meta, result)
