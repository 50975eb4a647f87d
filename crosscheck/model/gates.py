"""One recurrence with a random or selective gate, three routes (docs/theory.md §10).

``h_{t+1} = λ_t h_t + γ x_t`` with ``λ_t = f(p, u_t)`` (``u`` i.i.d. N(0, 1), independent of
the input: AR(1), R(k) = ρ^|k|, or any stationary R(k), §10.9) or ``f(p, u_t, x_t)``
(selective), ``d_p h`` its sensitivity
to the parameter ``wrt`` with γ fixed.  :class:`GateModel` is what ``rnnverify.Model(gate=...,
wrt=..., at=..., rho=...)`` returns; its routes give the keys ``h2`` = E h_t² and ``dh2_dp``
= E (d_p h_t)²:

:meth:`GateModel.closed_form`
    the gate moments (:mod:`theory.gates.gate_moments`) in the derived formulas of
    :mod:`theory.gates.second_moments` (refused for a selective gate: no closed form);
:meth:`GateModel.oracle`
    the covariance recursion of (x, h, d), or with a user R(k) the moment recursion driven by
    lag sums of R (:mod:`theory.gates.oracle`), never the closed form;
:meth:`GateModel.simulate`
    Monte Carlo (:mod:`numerics.gates.simulate`) with the gate translated to torch
    (:mod:`crosscheck.model.gate_torch`), selective gates included.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import mpmath
import sympy as sp
from rnnverify.crosscheck.model.quantities import DEFAULT_CHUNK, DEFAULT_MAX_BIAS, REPORTED_ALPHA
from rnnverify.crosscheck.schema import document
from rnnverify.crosscheck.stats.ztests import two_sided_z
from rnnverify.theory.gates.gate import Gate, parse_gate
from rnnverify.theory.gates.gate_moments import GATE_MOMENTS, gate_moments
from rnnverify.theory.gates.oracle import MAX_LAG_SUM_T, oracle_second_moments
from rnnverify.theory.gates.second_moments import (
    MAX_FINITE_T,
    MAX_FINITE_T_AUTOCORR,
    finite_values,
    stationary_values,
)
from rnnverify.theory.memory.autocorr import Autocorrelation, from_expression
from rnnverify.theory.parser import parse_constant

from rnnverify.errors import ArgumentTypeError, ArgumentValueError

__all__ = ["GATE_QUANTITIES", "GateModel", "GateMoments", "GateSimulation"]

GATE_QUANTITIES: tuple[str, ...] = ("h2", "dh2_dp")
CLOSED_FORM_DPS, ORACLE_DPS, JSON_DIGITS = 50, 40, 30
#: standard errors of the sampled gate moments added for the burn-in's upper bounds
MOMENT_SE_MARGIN = 6.0
#: samples of the gate-moment draws of the burn-in
MOMENT_DRAWS = 2**18


def _json_number(value: Any) -> Any:
    """A float, or {"re", "im"} for a complex gate moment."""
    if isinstance(value, mpmath.mpc):
        return {"re": float(value.real), "im": float(value.imag)}
    return float(value)


def _autocorrelation(value: Any) -> Autocorrelation:
    """A user R(k): expression text in ``k`` or an Autocorrelation, without the symbol ρ."""
    if isinstance(value, Autocorrelation):
        ac = value
    elif isinstance(value, str):
        try:
            ac = from_expression(value)
        except ValueError as exc:
            raise ArgumentValueError("autocorr", str(exc)) from None
    else:
        raise ArgumentTypeError("autocorr", f"must be an expression in k, got "
                                            f"{type(value).__name__}")
    if ac.has_rho:
        raise ArgumentValueError("autocorr", "may not use rho (give {rho} for the ρ^|k| "
                                             "family)")
    return ac


def _exact_number(value: Any, argument: str) -> sp.Expr:
    if isinstance(value, bool):
        raise ArgumentTypeError(argument, "must be a real number, got a bool")
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, float):
        return sp.Rational(value)
    if isinstance(value, (str, sp.Basic)):
        try:
            out = parse_constant(str(value).strip(), name=argument)
        except ValueError as exc:
            raise ArgumentValueError(argument, str(exc).removeprefix(f"{argument}: ")) from None
        if not (out.is_real and out.is_finite):
            raise ArgumentValueError(argument, f"must be a finite real number, got {value}")
        return out
    raise ArgumentTypeError(argument, f"must be a real number, got {type(value).__name__}")


class GateModel:
    """h_{t+1} = λ_t h_t + γ x_t with a gate λ_t = f(p, u_t[, x_t]) (module docstring).

    ``gate``: expression text in ``u`` (noise), optionally ``x`` (the input x_t: selective)
    and parameters; ``wrt``: the parameter p; ``at``: every parameter's value
    (``"w=-2,s=0.5"`` or a mapping); ``rho``: AR(1) input correlation in [−1, 1] (default 0),
    or ``autocorr``: R(k) as an expression in ``k`` (e.g. ``"(1+k)**(-0.5)"``, long memory);
    ``gamma``: a constant input gain (default 1); ``t``: finite horizon (default stationary).
    A gate whose expression uses ``I`` is complex (e.g. ``exp(-exp(w + s*u))*exp(I*th)``):
    ``h2``, ``dh2_dp`` are then E|h|², E|d_p h|² (docs/theory.md §10.6).
    """

    def __init__(self, lam: Any = None, *, gate: Any, wrt: Any = None, at: Any = None,
                 rho: Any = None, autocorr: Any = None, gamma: Any = None,
                 gamma_coupled: bool = False, theta: Any = None, t: Any = None,
                 dlam_dp: Any = None, _cli: bool = False) -> None:
        if lam is not None:
            raise ArgumentValueError("lam", "give {lam} (a constant λ) or {gate}, not both")
        for argument, value in (("theta", theta), ("dlam_dp", dlam_dp)):
            if value is not None:
                raise ArgumentValueError(argument, "is not defined with {gate} (real gates; "
                                                   "the derivative comes from {wrt})")
        if gamma_coupled:
            raise ArgumentValueError("gamma_coupled", "is not defined with {gate}: γ is a "
                                                      "constant")
        if wrt is None:
            raise ArgumentValueError("wrt", "name the parameter of {gate} to differentiate")
        self.gate: Gate = parse_gate(gate, wrt, at)
        #: a user R(k) (None: AR(1) with ``rho_exact``)
        self.autocorr: Autocorrelation | None = None
        if autocorr is not None:
            if rho is not None:
                raise ArgumentValueError("rho", "give {rho} or {autocorr}, not both")
            ac = _autocorrelation(autocorr)
            if ac.rho is not None and ac.rho.is_number:  # ρ^k: the AR(1) routes, exactly
                rho = ac.rho
            else:
                self.autocorr = ac
        self.rho_exact = _exact_number(0 if rho is None else rho, "rho")
        if not -1 <= self.rho_exact <= 1:
            raise ArgumentValueError("rho", f"must lie in [-1, 1], got {rho}")
        self.gamma_exact = _exact_number(1 if gamma is None else gamma, "gamma")
        if t is not None:
            if isinstance(t, str):
                text = t
                try:
                    t = int(text.strip())
                except ValueError:
                    raise ArgumentValueError("t", f"must be a positive integer, got "
                                                  f"{text!r}") from None
            if isinstance(t, bool) or not isinstance(t, int) or t <= 0:
                raise ArgumentValueError("t", f"must be a positive integer, got {t!r}")
        self.t: int | None = t

    # ---------------------------------------------------------------- description
    @property
    def selective(self) -> bool:
        return self.gate.selective

    @property
    def rho(self) -> float | None:
        """The AR(1) ρ, or None with a user R(k)."""
        return None if self.autocorr is not None else float(self.rho_exact)

    @property
    def _inputs(self) -> dict[str, Any]:
        """The input keywords of the theory routes: ``rho`` or ``autocorr``."""
        if self.autocorr is not None:
            return {"rho": None, "autocorr": self.autocorr}
        return {"rho": self.rho_exact}

    @property
    def input_text(self) -> str:
        if self.autocorr is not None:
            return f"autocorr {self.autocorr.name}"
        return f"AR(1) rho={self.rho}"

    def __repr__(self) -> str:
        at = ",".join(f"{k}={v}" for k, v in self.gate.describe()["at"].items())
        source = (f"autocorr={self.autocorr.name!r}" if self.autocorr is not None
                  else f"rho={self.rho_exact}")
        return (f"Model(gate={self.gate.text!r}, wrt={self.gate.wrt.name!r}, at={at!r}, "
                f"{source}, gamma={self.gamma_exact}"
                + (f", t={self.t})" if self.t is not None else ")"))

    def _describe(self) -> dict[str, Any]:
        user = self.autocorr is not None
        return {**self.gate.describe(), "rho": None if user else str(self.rho_exact),
                "autocorr": self.autocorr.name if user else f"({self.rho_exact})**|k|",
                "gamma": str(self.gamma_exact),
                "t": self.t, "stationary": self.t is None}

    def _no_closed_form(self, route: str) -> None:
        if self.selective:
            raise ArgumentValueError("gate", f"{self.gate.text!r} depends on the input x: "
                                             f"there is no {route} because the gate depends "
                                             "on the input (simulate it instead)")

    # ---------------------------------------------------------------- routes
    def closed_form(self, *, dps: int = CLOSED_FORM_DPS) -> GateMoments:
        """E h², E (d_p h)² from the gate moments and the derived formulas."""
        self._no_closed_form("closed form")
        cap = MAX_FINITE_T if self.autocorr is None else MAX_FINITE_T_AUTOCORR
        if self.t is not None and self.t > cap:
            raise ArgumentValueError("t", f"at most {cap} for the O(t) closed form"
                                     + (" (the oracle doubles in O(log t))"
                                        if self.autocorr is None else " with a user R(k)"))
        gm = gate_moments(self.gate, dps)
        try:
            values = (stationary_values(gm, self.gamma_exact, dps=dps, **self._inputs)
                      if self.t is None else
                      finite_values(gm, self.gamma_exact, t=self.t, dps=dps, **self._inputs))
        except ValueError as exc:
            raise ArgumentValueError("gate", str(exc)) from None
        extra = {"gate_moment_methods": dict(zip(GATE_MOMENTS, gm.methods, strict=True)),
                 "quadrature_error_estimate": float(gm.error)}
        return GateMoments(self, "closed_form", values, gm.as_dict(), dps, extra)

    def oracle(self, *, dps: int = ORACLE_DPS) -> GateMoments:
        """The covariance recursion of (x, h, d) — no closed form."""
        self._no_closed_form("oracle")
        if self.autocorr is not None and self.t is not None and self.t > MAX_LAG_SUM_T:
            raise ArgumentValueError("t", f"at most {MAX_LAG_SUM_T} for the lag-sum oracle "
                                          "with a user R(k)")
        try:
            out = oracle_second_moments(self.gate, self.gamma_exact, t=self.t, dps=dps,
                                        **self._inputs)
        except ValueError as exc:
            raise ArgumentValueError("gate", str(exc)) from None
        values = {"h2": out["h2"], "dh2_dp": out["dh2_dp"]}
        gm = dict(zip(GATE_MOMENTS, out["gate_moments"], strict=True))
        if self.autocorr is None:
            method = "covariance recursion of (x, h, d)" + (
                " (fixed point)" if self.t is None else " (doubling)")
        else:
            method = "moment recursion of (h², hd, d²) driven by lag sums of R" + (
                " (fixed point)" if self.t is None else " (stepped)")
        return GateMoments(self, "oracle", values, gm, dps,
                           {"oracle_method": method,
                            "error_bound": float(out["error_bound"])})

    def simulate(self, samples: int | None = None, *, seed: int = 0, device: str = "auto",
                 dtype: str | None = None, steps: int | None = None,
                 max_bias: float = DEFAULT_MAX_BIAS, chunk: int | None = None,
                 theory: bool = True, progress: Callable[[int], None] | None = None,
                 n_samples: int | None = None, chunk_samples: int | None = None
                 ) -> GateSimulation:
        """Monte Carlo E h², E (d_p h)² ± stderr (same arguments as ``Model.simulate``)."""
        if samples is not None and n_samples is not None:
            raise TypeError("give samples or n_samples, not both")
        samples = samples if samples is not None else (n_samples or 100_000)
        chunk = chunk if chunk is not None else (chunk_samples or DEFAULT_CHUNK)
        plan = plan_gate_simulation(self, samples=samples, seed=seed, device=device,
                                    dtype=dtype, steps=steps, max_bias=max_bias, chunk=chunk)
        return run_gate_simulation(plan, theory=theory, progress=progress)


def plan_gate_simulation(model: GateModel, *, samples: int, seed: int = 0, device: str = "auto",
                         dtype: str | None = None, steps: int | None = None,
                         max_bias: float = DEFAULT_MAX_BIAS, chunk: int = DEFAULT_CHUNK
                         ) -> dict[str, Any]:
    """Validate the request and fix the number of steps (burn-in from sampled gate moments)."""
    for argument, value in (("samples", samples), ("chunk", chunk)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ArgumentValueError(argument, f"must be a positive integer, got {value!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ArgumentValueError("seed", f"must be a non-negative integer, got {seed!r}")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int)
                              or steps <= 0):
        raise ArgumentValueError("steps", f"must be a positive integer, got {steps!r}")
    if model.t is not None and steps is not None:
        raise ArgumentValueError("t", "(finite horizon) and {steps} (stationary) exclude "
                                      "each other")
    if not 0 < max_bias < 1:
        raise ArgumentValueError("max_bias", f"must lie in (0, 1), got {max_bias}")
    from rnnverify.crosscheck.model.gate_torch import torch_gate
    from rnnverify.numerics.device import resolve_device
    from rnnverify.numerics.gates.burnin import gate_bias_bounds, gate_burn_in
    from rnnverify.numerics.gates.simulate import sample_gate_moments

    try:
        fn, p = torch_gate(model.gate)
    except ValueError as exc:
        raise ArgumentValueError("gate", str(exc)) from None
    dev = resolve_device(device)
    sampled = sample_gate_moments(fn, p, n=MOMENT_DRAWS, seed=seed, device=dev)
    k = MOMENT_SE_MARGIN
    a2_hi = sampled["a2"][0] + k * sampled["a2"][1]
    b2_hi = sampled["b2"][0] + k * sampled["b2"][1]
    b2_lo = max(0.0, sampled["b2"][0] - k * sampled["b2"][1])
    c_hi = abs(sampled["c"][0]) + k * sampled["c"][1]
    # the bias bound needs gates independent of the state: any stationary input for a gate
    # without x, white input only for a selective one (numerics/gates/burnin.py)
    proven = not model.selective or model.rho == 0
    bias: dict[str, float | None]
    if model.t is not None:
        n_steps, bias = model.t, {"h2": 0.0, "dh2_dp": 0.0}
    else:
        if not a2_hi < 1:
            raise ArgumentValueError("gate", f"E λ² ≈ {sampled['a2'][0]:.6g} (sampled) is not "
                                             "below 1 with margin: no stationary estimate; "
                                             "give {t}")
        n_steps = steps if steps is not None else gate_burn_in(a2_hi, b2_hi, b2_lo, c_hi,
                                                               max_bias)
        bias = dict(gate_bias_bounds(a2_hi, b2_hi, b2_lo, c_hi, n_steps))
        if not proven:
            bias = {"h2": None, "dh2_dp": None}
    source = _gate_source(model, n_steps)
    return {"model": model, "fn": fn, "p": p, "samples": samples, "seed": seed,
            "source": source,
            "device": dev, "dtype": dtype, "steps": n_steps, "chunk": chunk,
            "bias_bound": bias, "sampled_gate_moments": sampled, "bias_proven": proven}


def _gate_source(model: GateModel, steps: int) -> Any:
    """The numerics input source: streaming AR(1), or circulant embedding of the user R(k)
    (refused here, before simulating, when R is not positive semi-definite)."""
    from rnnverify.numerics.memory.inputs import AR1Input, CirculantInput

    if model.autocorr is None:
        return AR1Input(float(model.rho_exact))
    from rnnverify.crosscheck.model.bridge import input_source

    source = input_source(model.autocorr)
    if isinstance(source, CirculantInput):
        try:
            source.sqrt_eigenvalues(steps)
        except ValueError as exc:
            raise ArgumentValueError("autocorr", str(exc)) from None
    return source


def run_gate_simulation(plan: dict[str, Any], *, theory: bool = True,
                        progress: Callable[[int], None] | None = None) -> GateSimulation:
    """Run a :func:`plan_gate_simulation` plan; the theory column for non-selective gates."""
    from rnnverify.numerics.gates.simulate import simulate_gate

    model: GateModel = plan["model"]
    start = time.perf_counter()
    result = simulate_gate(plan["fn"], plan["p"], source=plan["source"],
                           steps=plan["steps"], gamma=float(model.gamma_exact),
                           n_samples=plan["samples"], seed=plan["seed"], device=plan["device"],
                           dtype=plan["dtype"], chunk_samples=plan["chunk"], progress=progress)
    seconds = time.perf_counter() - start
    ref = None
    if theory and not model.selective:
        ref = {q: float(v) for q, v in model.closed_form(dps=30).items()}
    row: dict[str, Any] = dict(model._describe())
    for q in GATE_QUANTITIES:
        est = result.quantities[q]
        entry: dict[str, Any] = est.to_json()
        entry["bias_bound"] = plan["bias_bound"][q]
        if ref is not None:
            entry["theory"] = ref[q]
            diff = est.estimate - ref[q]
            entry["z"] = diff / est.stderr if est.stderr > 0 else (0.0 if diff == 0 else None)
        row[q] = entry
    meta = {
        "samples": result.n_samples, "steps": result.steps,
        "stationary": model.t is None, "burn_in": result.steps if model.t is None else 0,
        "bias_bound_proven": plan["bias_proven"],
        "bias_note": None if plan["bias_proven"] else (
            "selective gate with correlated input: the gates are not independent of the "
            "state, no burn-in bias bound is proven"),
        "sampled_gate_moments": {k: {"estimate": v[0], "stderr": v[1]}
                                 for k, v in plan["sampled_gate_moments"].items()},
        "seed": result.seed, "device": result.device, "dtype": result.dtype,
        "block_size": result.block_size, "chunk": result.chunk_samples,
        "seconds": round(seconds, 3),
        "z_bound_at_alpha_1e-3": two_sided_z(REPORTED_ALPHA),
        "input": model.input_text,
    }
    return GateSimulation([row], meta, result)


class GateMoments(Mapping[str, Any]):
    """``h2``, ``dh2_dp`` (mpmath numbers) of one route, with the gate moments;
    ``to_dict()`` is the ``rnnverify moments --gate ... --json`` document."""

    def __init__(self, model: GateModel, route: str, values: dict[str, Any],
                 gate_moments: dict[str, Any], dps: int, extra: dict[str, Any]) -> None:
        self.model, self.route, self.dps = model, route, dps
        self._values, self.gate_moments, self._extra = values, gate_moments, extra

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k!r}: {v!r}" for k, v in self._values.items())
        return f"GateMoments[{self.route}]({{{inner}}})"

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {q: float(v) for q, v in self._values.items()}
        body["digits"] = {q: mpmath.nstr(v, JSON_DIGITS) for q, v in self._values.items()}
        body["gate_moments"] = {k: _json_number(v) for k, v in self.gate_moments.items()}
        body["gate_moments_digits"] = {k: mpmath.nstr(v, JSON_DIGITS)
                                       for k, v in self.gate_moments.items()}
        # |E λ| for a complex gate: the cross terms decay at the mean gate's modulus
        body["mean_memory"] = float(abs(self.gate_moments["E_lam"]))
        body["distance_to_one"] = float(1 - abs(self.gate_moments["E_lam"]))
        body.update(self.model._describe())
        body["route"] = self.route
        body.update(self._extra)
        body["dps"] = self.dps
        return document("moments", body)


class GateSimulation(Mapping[str, Any]):
    """Monte Carlo estimates (``h2``, ``dh2_dp`` → Estimate); ``to_dict()`` is the
    ``rnnverify simulate --gate ... --json`` document."""

    def __init__(self, rows: list[dict[str, Any]], meta: dict[str, Any], result: Any) -> None:
        self.rows, self.meta, self.result = rows, meta, result

    def __getitem__(self, key: str) -> Any:
        return self.result.quantities[key]

    def __iter__(self) -> Iterator[str]:
        return iter(GATE_QUANTITIES)

    def __len__(self) -> int:
        return len(GATE_QUANTITIES)

    def to_dict(self) -> dict[str, Any]:
        return document("simulate", {"results": self.rows, **self.meta})
