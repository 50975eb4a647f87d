"""One linear recurrence, three independent routes to its second moments.

A :class:`Model` is ``h_0 = 0``, ``h_{t+1} = λ h_t + γ x_t`` with λ real in
(−1, 1) or λ = ν e^{iθ}, inputs with autocorrelation R(k) (``ρ^|k|`` by
default), input gain γ (an expression in ``lam``, the modulus |λ|; held
constant unless ``gamma_coupled``) and a horizon ``t`` (stationary when
``None``).  Its three routes take no further model arguments and return the
same keys — ``h2`` = E|h_t|², ``dh2_dlam`` = E|d_λ h_t|², ``dh2_dtheta`` =
E|d_θ h_t|² (``None`` for real λ):

:meth:`Model.closed_form`
    the moments derived symbolically from Lemmas 1–2 of Zucchet & Orvieto (2024)
    (:func:`rnnverify.theory.memory.moments.moments`), evaluated with mpmath;
:meth:`Model.oracle`
    the discrete Lyapunov equation of the joint linear system, or lag sums with
    a proven tail bound (:func:`rnnverify.theory.memory.oracle.oracle_moments`) — never
    the closed form;
:meth:`Model.simulate`
    Monte Carlo in PyTorch (:func:`rnnverify.numerics.memory.montecarlo.simulate_moments`),
    each value an :class:`~rnnverify.numerics.memory.engine.Estimate` with its
    standard error.

γ enters every route the same way: γ(|λ|) multiplies the input and, coupled
(real λ only), dγ/dλ at λ enters d_λh (``docs/theory.md`` §1, conventions).
``Model(gate=..., wrt=..., at=..., rho=...)`` is a random or selective gate λ_t instead
(:class:`~rnnverify.crosscheck.model.gates.GateModel`, keys ``h2`` and ``dh2_dp``).
The results' ``to_dict()`` is the ``--json`` document of ``rnnverify moments``
(closed form; ``--oracle`` for the oracle) and of ``rnnverify simulate``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mpmath
import sympy as sp
from rnnverify.crosscheck.markdown import latex_body, latex_number, markdown_table
from rnnverify.crosscheck.model.bridge import gamma_values, lam_function
from rnnverify.crosscheck.model.quantities import (
    DEFAULT_CHUNK,
    DEFAULT_MAX_BIAS,
    DEFAULT_SAMPLES,
    QUANTITIES,
    QUANTITY_LATEX,
    argument_namer,
)
from rnnverify.crosscheck.schema import document
from rnnverify.theory.memory.autocorr import Autocorrelation, ar1, from_expression
from rnnverify.theory.memory.moments import (
    finite_work,
    gamma_expression,
    generating_function_method,
    moments,
    validate_lambda,
)
from rnnverify.theory.memory.oracle import oracle_moments
from rnnverify.theory.parser import parse_constant, parse_real

if TYPE_CHECKING:
    from rnnverify.crosscheck.model.simulate import Simulation

__all__ = ["Model", "Moments"]

#: working precision of the closed form and of the parsed numbers
CLOSED_FORM_DPS = 50
#: working precision of the oracle
ORACLE_DPS = 40
#: significant digits of the ``digits`` strings in the JSON documents
JSON_DIGITS = 30


# --------------------------------------------------------------------------- arguments
def _real(value: Any, name: str, dps: int = CLOSED_FORM_DPS) -> mpmath.mpf:
    """A finite real number from text (exact decimal), an int/float or an mpmath/SymPy number."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a real number, got bool")
    if isinstance(value, str):
        return parse_real(value.strip(), name=name, dps=dps)
    if isinstance(value, (int, float, mpmath.mpf)):
        if not mpmath.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
        with mpmath.workdps(dps):
            return mpmath.mpf(value)
    if isinstance(value, sp.Basic) and value.is_number:
        if not value.is_real:
            raise ValueError(f"{name} must be a real number, got {value}")
        return parse_real(str(value), name=name, dps=dps)
    raise TypeError(f"{name} must be a real number or numeric text, got {type(value).__name__}")


def _horizon(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise ValueError(f"{name} must be a positive integer, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return value


def _dlam_dp(value: Any, name: str) -> dict[str, str]:
    """Reparametrizations {p: ∂λ/∂p as text in lam, theta}: text is the one p = ``"p"``."""
    if value is None:
        return {}
    table = {"p": value} if isinstance(value, str) else value
    if not isinstance(table, Mapping) or not all(
            isinstance(p, str) and isinstance(v, str) for p, v in table.items()):
        raise TypeError(f"{name} must be an expression in lam, theta (or a mapping of "
                        f"parameter names to such expressions), got {type(value).__name__}")
    for text in table.values():
        try:
            lam_function(text)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    return dict(table)


@dataclass(frozen=True)
class _Input:
    """The input law, parsed once: exact for theory, a float ρ or R(k) for the simulator."""

    autocorr: Autocorrelation  # exact (ρ a SymPy number) for closed form and oracle
    rho: float | None  # the AR(1) ρ, or None for a user R(k)
    text: str | None  # ρ as given ("0" by default); None with a user R(k)


def _input(rho: Any, autocorr: Any, name: Callable[[str], str]) -> _Input:
    if rho is not None and autocorr is not None:
        raise ValueError(f"give {name('rho')} or {name('autocorr')}, not both")
    if autocorr is not None:
        if isinstance(autocorr, Autocorrelation):
            ac = autocorr
        elif isinstance(autocorr, str):
            try:
                ac = from_expression(autocorr)
            except ValueError as exc:
                raise ValueError(f"{name('autocorr')}: {exc}") from None
        else:
            raise TypeError(f"{name('autocorr')} must be an expression in k, "
                            f"got {type(autocorr).__name__}")
        if ac.has_rho:
            raise ValueError(f"{name('autocorr')} may not use rho "
                             f"(give {name('rho')} for the ρ^|k| family)")
        return _Input(ac, None, None)
    text = "0" if rho is None else (rho.strip() if isinstance(rho, str) else str(rho))
    value = _real(rho if rho is not None else 0, name("rho"))
    if not -1 <= value <= 1:
        raise ValueError(f"{name('rho')} must lie in [-1, 1], got {text}")
    return _Input(ar1(_exact(rho if rho is not None else 0, name("rho"))), float(value), text)


def _exact(value: Any, name: str) -> sp.Expr:
    """The exact SymPy number of an already validated real: text as an exact decimal or
    constant, a float or mpf at its exact binary value."""
    if isinstance(value, str):
        return parse_constant(value.strip(), name=name)
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, float):
        return sp.Rational(value)
    if isinstance(value, mpmath.mpf):
        man, exp = value.man_exp
        return sp.Integer(man) * sp.Integer(2) ** exp
    return value  # a real SymPy number


class Model:
    """h_{t+1} = λ h_t + γ x_t, h_0 = 0 — one model, three routes (module docstring).

    ``lam``: λ (real, |λ| < 1) or, with ``theta``, its modulus ν ∈ [0, 1)
    (λ = ν e^{iθ}); a Python complex is read as ν e^{iθ}.  Numbers given as text
    are exact decimals (``"0.99"`` is 99/100), floats their exact binary value.
    ``rho``: AR(1) input, R(k) = ρ^|k|, ρ ∈ [−1, 1] (default 0: i.i.d. input);
    or ``autocorr``: R(k) as an expression in ``k``.  ``gamma``: input gain, an
    expression in ``lam`` (the modulus) or a number (default 1);
    ``gamma_coupled``: differentiate through γ(λ) (real λ only).  ``t``: finite
    horizon; ``None`` is stationary.  ``dlam_dp``: a reparametrization λ(p), ∂λ/∂p as
    an expression in ``lam`` and ``theta`` (or a mapping {p: expression}), for the
    Monte Carlo tangent E|d_p h|² (``dh2_dp``).  Bad arguments raise ``ValueError`` or
    ``TypeError`` naming the argument.

    >>> m = Model(lam="0.99", rho="0.5")
    >>> m.closed_form()["h2"]  # doctest: +SKIP
    mpf('148.76362008060102...')
    """

    def __new__(cls, *args: Any, gate: Any = None, **kwargs: Any) -> Any:
        """``Model(gate=..., wrt=..., at=..., rho=...)`` is a random or selective gate
        (:class:`~rnnverify.crosscheck.model.gates.GateModel`, docs/theory.md §10)."""
        if gate is not None and cls is Model:
            from rnnverify.crosscheck.model.gates import GateModel

            return GateModel(*args, gate=gate, **kwargs)
        return super().__new__(cls)

    def __init__(self, lam: Any, *, theta: Any = None, rho: Any = None, autocorr: Any = None,
                 gamma: Any = None, gamma_coupled: bool = False, t: Any = None,
                 dlam_dp: Any = None, gate: Any = None, wrt: Any = None, at: Any = None,
                 _cli: bool = False) -> None:
        name = argument_namer(_cli)
        for argument, value in (("wrt", wrt), ("at", at)):
            if value is not None:
                raise ValueError(f"{name(argument)} is only defined with {name('gate')}")
        if isinstance(lam, complex):
            if theta is not None:
                raise ValueError(f"{name('lam')} is complex: do not also give {name('theta')}")
            lam, theta = abs(lam), math.atan2(lam.imag, lam.real)
        self.lam: mpmath.mpf = _real(lam, name("lam"))
        self.theta: mpmath.mpf | None = None if theta is None else _real(theta, name("theta"))
        validate_lambda(self.lam, self.theta, name=name("lam"))
        if not isinstance(gamma_coupled, bool):
            raise TypeError(f"{name('gamma_coupled')} must be a bool, "
                            f"got {type(gamma_coupled).__name__}")
        self._input = _input(rho, autocorr, name)
        self.gamma: Any = gamma
        self._gamma_expr = None if gamma is None else gamma_expression(gamma,
                                                                       name=name("gamma"))
        if gamma_coupled and gamma is None:
            raise ValueError(f"{name('gamma_coupled')} needs {name('gamma')}")
        if gamma_coupled and self.theta is not None:
            raise ValueError(f"{name('gamma_coupled')} is only defined for real λ "
                             f"(drop {name('theta')})")
        self.gamma_coupled = gamma_coupled
        self.t: int | None = _horizon(t, name("t"))
        self.dlam_dp: dict[str, str] = _dlam_dp(dlam_dp, name("dlam_dp"))

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Model:
        """The model of a claim's point: keys ``lam``, ``theta``, ``rho`` or ``autocorr``
        (a number is ρ), ``gamma``, ``gamma_coupled``, ``t``, ``dlam_dp``; others ignored."""
        if "lam" not in options:
            raise ValueError("the point must give lam")
        autocorr, rho = options.get("autocorr"), options.get("rho")
        if rho is not None and autocorr is not None:
            raise ValueError("give rho or autocorr, not both")
        if isinstance(autocorr, (int, float)) and not isinstance(autocorr, bool):
            autocorr, rho = None, autocorr
        theta, t = options.get("theta"), options.get("t")
        return cls(float(options["lam"]), theta=None if theta is None else float(theta),
                   rho=float(rho if rho is not None else 0.0) if autocorr is None else None,
                   autocorr=autocorr, gamma=options.get("gamma"),
                   gamma_coupled=bool(options.get("gamma_coupled", False)),
                   t=None if t is None else int(t), dlam_dp=options.get("dlam_dp"))

    def at_horizon(self, t: int | None) -> Model:
        """The same model at the finite horizon ``t`` (``None``: stationary)."""
        other = copy.copy(self)
        other.t = _horizon(t, "t")
        return other

    # ------------------------------------------------------------------ description
    @property
    def autocorr(self) -> Autocorrelation:
        """The input autocorrelation R(k) (exact)."""
        return self._input.autocorr

    @property
    def rho(self) -> float | None:
        """ρ of the AR(1) input, or ``None`` when R(k) was given as an expression."""
        return self._input.rho

    @property
    def lam_complex(self) -> complex:
        """λ as a Python number (complex when an angle is given)."""
        if self.theta is None:
            return float(self.lam)
        return float(self.lam) * complex(math.cos(self.theta), math.sin(self.theta))

    def __repr__(self) -> str:
        parts = [f"lam={mpmath.nstr(self.lam, 17)}"]
        if self.theta is not None:
            parts.append(f"theta={mpmath.nstr(self.theta, 17)}")
        parts.append(f"rho={self._input.text}" if self._input.rho is not None
                     else f"autocorr={self.autocorr.expr}")
        if self.gamma is not None:
            parts.append(f"gamma={self.gamma!r}")
        if self.gamma_coupled:
            parts.append("gamma_coupled=True")
        if self.t is not None:
            parts.append(f"t={self.t}")
        if self.dlam_dp:
            parts.append(f"dlam_dp={self.dlam_dp!r}")
        return f"Model({', '.join(parts)})"

    def _describe(self) -> dict[str, Any]:
        """The model fields of the JSON documents."""
        lam_c = None
        if self.theta is not None:
            lam_c = [float(self.lam * mpmath.cos(self.theta)),
                     float(self.lam * mpmath.sin(self.theta))]
        return {
            "lam": float(self.lam),
            "lam_digits": mpmath.nstr(self.lam, JSON_DIGITS),
            "theta": None if self.theta is None else float(self.theta),
            "lambda_complex": lam_c,
            "autocorr": str(self.autocorr.expr),
            "rho": self._input.text,
            "gamma": "1" if self.gamma is None else str(self.gamma),
            "gamma_coupled": self.gamma_coupled,
            "t": self.t,
            "stationary": self.t is None,
            **({"dlam_dp": dict(self.dlam_dp)} if self.dlam_dp else {}),
        }

    # ------------------------------------------------------------------ the routes
    def finite_work(self) -> tuple[str, int]:
        """Route of the finite-t closed form and its units of work: ("doubling", rounds),
        O(log t), for a rational generating function of R, else ("sum", t)."""
        if self.t is None:
            raise ValueError("finite_work needs a finite horizon t")
        return finite_work(self.autocorr, self.t)

    def closed_form(self, *, dps: int = CLOSED_FORM_DPS,
                    progress: Callable[[int], None] | None = None) -> Moments:
        """The derived moments (Lemmas 1–2, Zucchet & Orvieto 2024) at ``dps`` digits;
        finite t in O(log t) where R has a rational generating function (``progress(n)``
        hears of the O(t) route's work otherwise)."""
        values = moments(self.lam, theta=self.theta, autocorr=self.autocorr, gamma=self.gamma,
                         gamma_coupled=self.gamma_coupled, t=self.t, dps=dps,
                         progress=progress)
        method = ("finite_" + self.finite_work()[0] if self.t is not None
                  else generating_function_method(self.autocorr))
        return Moments(self, "closed_form", {q: values[q] for q in QUANTITIES}, dps,
                       {"generating_function_method": method})

    def oracle(self, *, dps: int = ORACLE_DPS) -> Moments:
        """The moments by the Lyapunov equation or proven-tail lag sums — no closed form."""
        g, dg = gamma_values(self.gamma, self.lam, theta=self.theta,
                             coupled=self.gamma_coupled, dps=dps + 20)
        values = oracle_moments(self.lam, theta=self.theta, autocorr=self.autocorr, gamma=g,
                                dgamma=dg, gamma_coupled=self.gamma_coupled, t=self.t,
                                dps=dps)
        return Moments(self, "oracle", {q: values[q] for q in QUANTITIES}, dps,
                       {"oracle_method": values["method"],
                        "error_bound": float(values["error_bound"])})

    def simulate(self, samples: int | None = None, *, seed: int = 0, device: str = "auto",
                 dtype: str | None = None, steps: int | None = None,
                 max_bias: float = DEFAULT_MAX_BIAS, chunk: int | None = None,
                 theory: bool = True, progress: Callable[[int], None] | None = None,
                 n_samples: int | None = None, chunk_samples: int | None = None
                 ) -> Simulation:
        """Monte Carlo estimates with standard errors from ``samples`` independent chains.

        Stationary models run a burn-in whose relative bias is ≤ ``max_bias`` (or
        exactly ``steps`` steps, with its bias bound reported); ``seed`` fixes every
        draw (:class:`torch.Generator` per seed block), whatever ``chunk`` or device.
        ``theory`` adds the closed-form value and the z-score of the difference to
        ``to_dict()``, as ``rnnverify simulate`` does (``--no-theory`` there).
        ``n_samples`` and ``chunk_samples`` are the engine's names of ``samples`` and
        ``chunk``; the engine's result is ``.result``.
        """
        samples = _one_of(samples, n_samples, "samples", "n_samples", DEFAULT_SAMPLES)
        chunk = _one_of(chunk, chunk_samples, "chunk", "chunk_samples", DEFAULT_CHUNK)
        # The Monte Carlo route is the one part of a Model that needs torch; it loads
        # here so that the closed form and the oracle (and ``rnnverify moments``) do not.
        from rnnverify.crosscheck.model.simulate import plan_simulation, run_simulation

        request = plan_simulation([self], samples=samples, seed=seed, device=device,
                                  dtype=dtype, steps=steps, max_bias=max_bias, chunk=chunk,
                                  theory=theory)
        return run_simulation(request, progress)


def _one_of(value: Any, alias: Any, name: str, alias_name: str, default: Any) -> Any:
    """An argument given under its name or its alias (not both), else its default."""
    if value is not None and alias is not None:
        raise TypeError(f"give {name} or {alias_name}, not both")
    return value if value is not None else alias if alias is not None else default


# --------------------------------------------------------------------------- results
class Moments(Mapping[str, Any]):
    """``h2``, ``dh2_dlam``, ``dh2_dtheta`` (mpmath numbers, ``None`` when undefined) of one
    route; ``to_dict()`` is the ``rnnverify moments --json`` document."""

    def __init__(self, model: Model, route: str, values: dict[str, Any], dps: int,
                 extra: dict[str, Any]) -> None:
        self.model, self.route, self.dps = model, route, dps
        self._values = values
        self._extra = extra

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k!r}: {v!r}" for k, v in self._values.items())
        return f"Moments[{self.route}]({{{inner}}})"

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (floats at double precision, ``digits`` at 30 digits)."""
        body: dict[str, Any] = {q: None if v is None else float(v)
                                for q, v in self._values.items()}
        body["digits"] = {q: None if v is None else mpmath.nstr(v, JSON_DIGITS)
                          for q, v in self._values.items()}
        body.update(self.model._describe())
        body["route"] = self.route
        body.update(self._extra)
        body["dps"] = self.dps
        return document("moments", body)

    def _repr_markdown_(self) -> str:
        d = self.to_dict()
        how = "closed form (Lemmas 1–2)" if self.route == "closed_form" else (
            f"oracle ({d['oracle_method']}, no closed form)")
        rows = [[f"${QUANTITY_LATEX[q]}$", "—" if v is None else latex_number(v, 20)]
                for q, v in self._values.items()]
        return (f"**rnnverify moments** — {how}, {self.dps} digits; {_model_line(self.model)}\n\n"
                + markdown_table(["quantity", "value"], rows))


def _model_line(model: Model) -> str:
    """λ, R(k), γ and the horizon of ``model`` as one Markdown line (LaTeX maths)."""
    d = model._describe()
    lam = f"$\\lambda = {d['lam']!r}$" if d["theta"] is None else (
        f"$\\lambda = {d['lam']!r}\\,e^{{i\\cdot {d['theta']!r}}}$")
    horizon = "stationary" if d["stationary"] else f"$t = {d['t']}$"
    gamma = "1" if model._gamma_expr is None else latex_body(model._gamma_expr)
    coupled = " (coupled)" if d["gamma_coupled"] else ""
    return (f"{lam}; $R(k) = {latex_body(model.autocorr.expr)}$; $\\gamma = {gamma}$"
            f"{coupled}; {horizon}")
