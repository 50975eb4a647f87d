"""The checks of the public API: a parametrization, a claimed closed form, the suite.

Each function returns a result whose ``to_dict()`` is the ``--json`` document
of the matching command (``check-param``, ``check-claim``, ``verify``), whose
``verdict`` says what was decided, and which renders in Jupyter
(``_repr_markdown_``).  The work is done by :mod:`.commands.check_param`,
:mod:`.commands.check_claim` and :mod:`.claims.runner`; this module validates the arguments,
calls them and shapes the result.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sympy as sp
from rnnverify.crosscheck.claims.registry import COLUMNS, SUITE_FALSE_FAILURE_RATE, Claim, select
from rnnverify.crosscheck.claims.runner import run_claims
from rnnverify.crosscheck.commands import check_claim as claimcheck
from rnnverify.crosscheck.commands import check_param as paramcheck
from rnnverify.crosscheck.markdown import latex, latex_body, markdown_table
from rnnverify.crosscheck.schema import document
from rnnverify.theory.budget import Budget

from rnnverify.errors import ArgumentTypeError, ArgumentValueError

__all__ = [
    "ClaimCheck",
    "ParamCheckResult",
    "VerifyResult",
    "check_claim",
    "check_parametrization",
    "claims",
    "decide",
    "verify",
]

#: most random evaluation points ``check_claim`` accepts
MAX_CLAIM_POINTS = 10_000


def _int(value: Any, name: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentTypeError(name, f"must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ArgumentValueError(name, f"must be an integer ≥ {minimum}, got {value}")
    return value


def _device(device: Any) -> str:
    """``auto`` resolved to ``cuda`` or ``cpu``, for the Monte Carlo columns."""
    if not isinstance(device, str):
        raise ArgumentTypeError("device", f"must be 'auto', 'cpu' or 'cuda', got "
                                          f"{type(device).__name__}")
    from rnnverify.numerics.device import resolve_device  # torch: on the Monte Carlo route only

    return str(resolve_device(device))


# --------------------------------------------------------------------------- check-param
class ParamCheckResult:
    """What ``check_parametrization`` derived: sensitivity, regimes, verdict (and Monte Carlo).

    ``verdict`` is ``"bounded"``, ``"explodes"`` or ``"undecided"`` (a numeric order 0
    within its error whose limit of E was not decided); ``regimes`` lists, per input
    regime, the order p and coefficient C of E|d_P h|² ~ C (1 − |λ|)^{−p};
    ``check`` is the full derivation
    (:class:`~rnnverify.crosscheck.commands.check_param.ParamCheck`).
    """

    def __init__(self, check: Any) -> None:
        self.check = check

    @property
    def verdict(self) -> str:
        return self.check.verdict

    @property
    def regimes(self) -> list[dict[str, Any]]:
        return self.to_dict()["regimes"]

    @property
    def sensitivity(self) -> sp.Expr:
        """E|d_P h|² as a SymPy expression."""
        return self.check.sensitivity

    @property
    def mc(self) -> list[dict[str, Any]]:
        """Monte Carlo slope checks (empty unless ``mc=True``); each row has ``holds``."""
        return self.check.mc

    def add_monte_carlo(self, *, samples: int = 20_000, seed: int = 0,
                        device: str = "cpu") -> None:
        """Confirm each regime's order by simulation (log-log slope z-tests, into ``mc``)."""
        self.check.mc = paramcheck.mc_slopes(self.check, samples=samples, seed=seed,
                                             device=device)

    def to_dict(self) -> dict[str, Any]:
        return self.check.to_dict()

    def __repr__(self) -> str:
        return f"ParamCheckResult(verdict={self.verdict!r}, regimes={len(self.check.regimes)})"

    def _repr_markdown_(self) -> str:
        d = self.to_dict()
        gamma = ""
        if d.get("gamma"):
            gamma = f"; γ = `{d['gamma']}`" + (" (coupled)" if d.get("gamma_coupled") else "")
        rows = [[r["rho"], p["limit"], p["order"], p["coefficient_exact"], p["route"],
                 "yes" if p["bounded"] else "**no**"]
                for r in d["regimes"] for p in r["paths"]]
        text = (f"**rnnverify check-param** — `{d['parametrization']}`, "
                f"derivative in `{d['wrt']}`{gamma}\n\n"
                f"$\\mathbb{{E}}\\lvert \\partial_{{{d['wrt']}}} h\\rvert^2 = "
                f"{latex_body(self.sensitivity)}$\n\n"
                + markdown_table(["regime ρ", "path", "order p", "coefficient C", "route",
                                "bounded"], rows))
        if d["mc"]:
            mc_rows = [[r["rho"], f"{r['slope']:.3f} ± {r['stderr']:.3f}",
                        f"{r['slope_theory']:.3f}", f"{r['z']:+.2f}",
                        "✔" if r["holds"] else "✘"] for r in d["mc"]]
            text += "\n\nMonte Carlo log-log slope:\n\n" + markdown_table(
                ["ρ", "slope ± se", "exact", "z", "ok"], mc_rows)
        return text + f"\n\nverdict: **{d['verdict']}**"


def check_parametrization(lam: str | None = None, wrt: str | None = None, *,
                          preset: str | None = None, gamma: str | None = None,
                          gamma_coupled: bool = False,
                          rho: Sequence[float] = (0.0, 0.5, 1.0), autocorr: str | None = None,
                          at: str | Mapping[str, Any] | None = None,
                          mc: bool = False, samples: int = 20_000, seed: int = 0,
                          device: str = "auto", budget: Budget | None = None
                          ) -> ParamCheckResult:
    """Is λ(params) safe from the curse of memory (Zucchet & Orvieto 2024, §3)?

    ``lam`` is λ as an expression of your parameters (e.g. ``"exp(-exp(w))"``),
    ``wrt`` the parameter to differentiate, or ``preset`` one of the paper's
    parametrizations; ``gamma`` an input normalization in ``lam``.  Derives
    E|d_wrt h|² and its order of blow-up along every path on which |λ| → 1⁻ (λ → 1,
    λ → −1, λ → e^{iθ}) for each AR(1) ``rho`` (or the given ``autocorr``); ``at``
    fixes other parameters (``"q=0.5"`` or ``{"q": 0.5}``); ``mc=True`` confirms the
    orders by simulating the parametrized recurrence.  ``verdict`` is "bounded" only
    when every path of every regime has order ≤ 0 with a coefficient bounded over the
    free angle and parameters.  ``budget`` caps SymPy's work by counts, not time
    (:class:`rnnverify.theory.budget.Budget`; the document records what it cut).
    Same as ``rnnverify check-param``.
    """
    if not isinstance(gamma_coupled, bool):
        raise ArgumentTypeError("gamma_coupled", f"must be a bool, got "
                                                 f"{type(gamma_coupled).__name__}")
    if isinstance(rho, (int, float)) and not isinstance(rho, bool):
        rho = (rho,)
    samples = _int(samples, "samples", minimum=1)
    seed = _int(seed, "seed", minimum=0)
    if autocorr is not None and mc:
        raise ArgumentValueError("autocorr", "{mc} simulates AR(1) inputs: use {rho} with {mc}, "
                                             "not {autocorr}")
    resolved = _device(device) if mc else "cpu"
    result = ParamCheckResult(paramcheck.check_parametrization(
        lam, wrt, preset=preset, gamma=gamma, gamma_coupled=gamma_coupled, rhos=list(rho),
        autocorr=autocorr, at=at, budget=_budget(budget)))
    if mc:
        result.add_monte_carlo(samples=samples, seed=seed, device=resolved)
    return result


# --------------------------------------------------------------------------- check-claim
class ClaimCheck:
    """Whether a claimed closed form equals the derived quantity.

    ``verdict``: ``"proved"`` (the difference simplifies to zero), ``"refuted"``
    (a counterexample, in ``to_dict()["counterexample"]``) or ``"unproven"``
    (no counterexample at the high-precision points checked, and no proof).
    ``holds``: True when proved, False when refuted, None when unproven.
    """

    def __init__(self, problem: Any, outcome: Any) -> None:
        self.problem = problem
        self.outcome = outcome

    @property
    def holds(self) -> bool | None:
        return self.to_dict()["holds"]

    @property
    def verdict(self) -> str:
        return self.to_dict()["verdict"]

    @property
    def claim(self) -> sp.Expr:
        return self.problem.claim

    @property
    def derived(self) -> sp.Expr:
        return self.problem.derived

    def to_dict(self) -> dict[str, Any]:
        return self.outcome.to_dict()

    def __repr__(self) -> str:
        return f"ClaimCheck(verdict={self.verdict!r}, quantity={self.problem.quantity!r})"

    def _repr_markdown_(self) -> str:
        d = self.to_dict()
        rows = [["claim", latex(self.claim)], ["derived", latex(self.derived)],
                ["decided by", f"{d['decided_by']} (symbolic stage: {d['symbolic']})"],
                ["points", f"{d['points_checked']} checked, {d['points_skipped']} skipped"],
                ["max rel. error", d["max_rel_error"]]]
        cex = d["counterexample"]
        if cex is not None:
            rows.append(["counterexample", ", ".join(f"{k} = {v}" for k, v in
                                                     cex["point"].items())])
        return (f"**rnnverify check-claim** `{d['quantity']}`: **{d['verdict']}**\n\n"
                + markdown_table(["", ""], rows))


def decide(problem: Any, *, points: int = 100, seed: int = 0,
           budget: Budget | None = None) -> ClaimCheck:
    """Decide a claim prepared by
    :func:`rnnverify.crosscheck.commands.check_claim.prepare_claim`."""
    return ClaimCheck(problem, claimcheck.decide_claim(problem, n_random=points, seed=seed,
                                                       budget=_budget(budget)))


def _budget(budget: Any) -> Budget | None:
    if budget is not None and not isinstance(budget, Budget):
        raise ArgumentTypeError("budget", f"must be a rnnverify Budget, got "
                                          f"{type(budget).__name__}")
    return budget


def validate_claim_options(points: Any, seed: Any) -> tuple[int, int]:
    """``points`` in [1, 10000] and a non-negative ``seed``."""
    points = _int(points, "points", minimum=1)
    if points > MAX_CLAIM_POINTS:
        raise ArgumentValueError("points", f"must be at most {MAX_CLAIM_POINTS}, got {points}")
    return points, _int(seed, "seed", minimum=0)


def check_claim(quantity: str, expr: str, *, rho: Any = None, autocorr: str | None = None,
                points: int = 100, seed: int = 0, budget: Budget | None = None) -> ClaimCheck:
    """Does ``expr`` equal the derived ``quantity`` (Zucchet & Orvieto 2024, Lemmas 1–2)?

    ``quantity``: ``h2``, ``dh2_dlam``, ``dh2_dtheta``, ``cross_h`` or ``cross_dh``;
    ``expr``: the claimed closed form in ``lam`` (the modulus when ``theta``
    appears), ``rho``, ``theta``, ``t`` (and ``lam2``, ``theta2``).  ``rho`` fixes
    R(k) = ρ^|k|; ``autocorr`` gives R(k); neither lets ρ range over [−1, 1].
    ``budget`` caps the work by counts, not time (:class:`rnnverify.theory.budget.Budget`).
    Same as ``rnnverify check-claim``.
    """
    points, seed = validate_claim_options(points, seed)
    problem = claimcheck.prepare_claim(quantity, expr, rho=rho, autocorr=autocorr)
    return decide(problem, points=points, seed=seed, budget=budget)


# --------------------------------------------------------------------------- verify
class VerifyResult:
    """Verdicts of every claim run; ``holds`` when none failed.

    ``claims`` are the per-claim results (columns ``symbolic``, ``oracle``,
    ``monte_carlo`` with status ``pass``/``fail``/``n/a``).  The Monte Carlo
    checks of one run share a false-failure rate of
    :data:`~rnnverify.crosscheck.claims.registry.SUITE_FALSE_FAILURE_RATE`.
    """

    def __init__(self, results: list[Any], *, mode: str, seed: int, device: str,
                 seconds: float) -> None:
        self.claims = results
        self.mode, self.seed, self.device, self.seconds = mode, seed, device, seconds

    @property
    def holds(self) -> bool:
        return all(r.holds for r in self.claims)

    @property
    def verdict(self) -> str:
        return "holds" if self.holds else "fails"

    def to_dict(self) -> dict[str, Any]:
        return document("verify", {
            "verdict": self.verdict,
            "holds": self.holds,
            "mode": self.mode,
            "seed": self.seed,
            "device": self.device,
            "suite_false_failure_rate": SUITE_FALSE_FAILURE_RATE,
            "seconds": round(self.seconds, 2),
            "python": platform.python_version(),
            "claims": [{**r.to_json(), "verdict": "holds" if r.holds else "fails"}
                       for r in self.claims],
        })

    def __repr__(self) -> str:
        n_ok = sum(r.holds for r in self.claims)
        return f"VerifyResult(verdict={self.verdict!r}, {n_ok}/{len(self.claims)} claims hold)"

    def _repr_markdown_(self) -> str:
        mark = {"pass": "✔", "fail": "✘", "n/a": "–"}
        rows = [[r.claim.id if r.holds else f"**{r.claim.id}**",
                 *(mark[r.columns[c].status] for c in COLUMNS), r.claim.source]
                for r in self.claims]
        n_ok = sum(r.holds for r in self.claims)
        return (f"**rnnverify verify --{self.mode}** (seed {self.seed}, {self.device})\n\n"
                + markdown_table(["claim", "symbolic", "oracle", "Monte Carlo", "numeric",
                                  "source"], rows)
                + f"\n\n{n_ok}/{len(self.claims)} claims hold in {self.seconds:.1f} s; Monte "
                  f"Carlo false-failure rate of the run ≤ {SUITE_FALSE_FAILURE_RATE:g}.")


def verify(quick: bool = True, *, only: str | None = None, seed: int = 0, device: str = "auto",
           columns: Sequence[str] = COLUMNS,
           on_step: Callable[[Claim, str], None] | None = None,
           jobs: int = 1) -> VerifyResult:
    """Run the claims of the registry (``only``: a glob on their ids) — ``rnnverify verify``.

    ``quick=False`` is ``--full`` (more points and samples).  ``columns`` picks
    among ``symbolic``, ``oracle`` and ``monte_carlo``; ``on_step(claim, column)``
    is called after each column (progress).  ``jobs``: worker processes (the
    verdicts and numbers do not depend on it).
    """
    if not isinstance(quick, bool):
        raise ArgumentTypeError("quick", f"must be a bool, got {type(quick).__name__}")
    seed = _int(seed, "seed", minimum=0)
    if isinstance(columns, str):
        columns = [c.strip() for c in columns.split(",") if c.strip()]
    for c in columns:
        if c not in COLUMNS:
            raise ArgumentValueError("columns",
                                     f"unknown column {c!r}; valid: {', '.join(COLUMNS)}")
    jobs = _int(jobs, "jobs", minimum=1)
    chosen = select(only)
    resolved = _device(device) if "monte_carlo" in columns else "cpu"
    mode = "quick" if quick else "full"
    start = time.perf_counter()
    results = run_claims(chosen, mode=mode, seed=seed, device=resolved, columns=list(columns),
                         on_step=on_step, jobs=jobs)
    return VerifyResult(results, mode=mode, seed=seed, device=resolved,
                        seconds=time.perf_counter() - start)


def claims(only: str | None = None) -> list[Claim]:
    """The claim registry (``only``: a glob on the ids, e.g. ``"zo.*"``)."""
    return select(only)
