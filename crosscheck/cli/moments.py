"""``rnnverify moments``: E|h|², E|d_λh|², E|d_θh|² from Lemmas 1–2 (Zucchet & Orvieto 2024).

Values are derived symbolically (:mod:`rnnverify.theory.memory.moments`) and evaluated
with mpmath at 50 significant digits, or with ``--oracle`` obtained by the
oracle route (:mod:`rnnverify.theory.memory.oracle`); JSON floats carry the value to full
double precision and the ``digits`` field repeats them with 30 significant
digits.  The document is :meth:`rnnverify.crosscheck.model.recurrence.Moments.to_dict`, the
same as ``rnnverify.Model(...).closed_form().to_dict()`` (or ``.oracle()``).
"""

from __future__ import annotations

import argparse
from typing import Any

from rnnverify.crosscheck.cli._common import (
    EXIT_OK,
    add_model_arguments,
    emit_json,
    model_from_args,
    user_input,
)

HELP = "second moments of h and of its λ/θ-sensitivity (stationary or at step t)"

#: significant digits of the human output
HUMAN_DIGITS = 15
#: the O(t) finite route (no rational generating function): memory per lag (power tables
#: and four kernel weights as 50-digit mpmath numbers), lags per second on one core, and
#: the horizon from which it shows progress
SUM_BYTES_PER_TERM = 1200
SUM_TERMS_PER_S = 1.5e4
PROGRESS_MIN_TERMS = 20_000


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_model_arguments(p, grid=False)
    p.add_argument("--oracle", action="store_true",
                   help="evaluate by the oracle (Lyapunov equation or lag sums with a proven "
                        "tail bound) instead of the derived closed form")


def run(args: argparse.Namespace) -> int:
    from rnnverify.crosscheck.cli.longwork import ensure_fits, planned_work

    with user_input():
        model = model_from_args(args)
        if args.gate is not None:  # a random gate: closed form or covariance-recursion oracle
            result = model.oracle() if args.oracle else model.closed_form()
            route, units = "gate", 0
        else:
            route, units = ("stationary", 0) if model.t is None else model.finite_work()
        if route == "gate":
            pass
        elif args.oracle:
            result = model.oracle()
        elif route == "sum":  # O(t) kernel sum: tables of t numbers at 50 digits
            ensure_fits(SUM_BYTES_PER_TERM * units, f"the O(t) finite sum at t = {units}")
            with planned_work("moments", "finite-t kernel sum (no rational generating "
                              "function)", units, unit="lags", estimate_s=units / SUM_TERMS_PER_S,
                              json_mode=args.json or units < PROGRESS_MIN_TERMS) as progress:
                result = model.closed_form(progress=progress)
        else:
            result = model.closed_form()
    record = result.to_dict()
    if args.json:
        emit_json(record)
        return EXIT_OK
    if args.gate is not None:
        _print_gate(record)
    else:
        _print(record, result)
    return EXIT_OK


def _print_gate(record: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    horizon = "stationary (t → ∞)" if record["stationary"] else f"t = {record['t']}"
    table = Table(title="rnnverify moments --gate")
    table.add_column("quantity", style="bold")
    table.add_column("value", justify="right")
    bars = "|" if record.get("complex") else ""
    table.add_row(f"E {bars}h_t{bars}²", record["digits"]["h2"][:HUMAN_DIGITS + 2])
    table.add_row(f"E {bars or '('}d_{record['wrt']} h_t{bars or ')'}²",
                  record["digits"]["dh2_dp"][:HUMAN_DIGITS + 2])
    for key, value in record["gate_moments"].items():
        if isinstance(value, dict):  # a complex gate's moment
            table.add_row(key, f"{value['re']:.10g} {'-' if value['im'] < 0 else '+'} "
                               f"{abs(value['im']):.10g}i")
        else:
            table.add_row(key, record["gate_moments_digits"][key][:HUMAN_DIGITS + 2])
    console = Console()
    at = ", ".join(f"{k} = {v}" for k, v in record["at"].items())
    console.print(f"λ_t = {record['gate']} ({at}); ∂ w.r.t. {record['wrt']}; R(k) = "
                  f"{record['autocorr']}; γ = {record['gamma']}; {horizon}", highlight=False)
    console.print(table)
    how = (f"oracle: {record['oracle_method']}, error estimate {record['error_bound']:.1e}"
           if record["route"] == "oracle" else
           "closed form from the gate moments (quadrature error estimate "
           f"{record['quadrature_error_estimate']:.1e})")
    console.print(f"{how}; evaluated at {record['dps']} digits", highlight=False)


def _print(record: dict[str, Any], result: dict[str, Any]) -> None:
    import mpmath
    from rich.console import Console
    from rich.table import Table

    horizon = "stationary (t → ∞)" if record["stationary"] else f"t = {record['t']}"
    lam_text = (f"λ = {record['lam']!r}" if record["theta"] is None
                else f"λ = {record['lam']!r}·exp(i·{record['theta']!r})")
    coupled = " (coupled)" if record["gamma_coupled"] else ""
    table = Table(title="rnnverify moments")
    table.add_column("quantity", style="bold")
    table.add_column("value", justify="right")
    names = {"h2": "E|h_t|²", "dh2_dlam": "E|d_λ h_t|²", "dh2_dtheta": "E|d_θ h_t|²"}
    for key, label in names.items():
        value = result[key]
        table.add_row(label, "—" if value is None else mpmath.nstr(value, HUMAN_DIGITS))
    console = Console()
    console.print(f"{lam_text}; R(k) = {record['autocorr']}; γ = {record['gamma']}{coupled}; "
                  f"{horizon}", highlight=False)
    console.print(table)
    if record["route"] == "oracle":
        how = (f"oracle: {record['oracle_method']} (no closed form), error bound "
               f"{record['error_bound']:.1e}")
    else:
        how = f"closed form; generating function: {record['generating_function_method']}"
    console.print(f"{how}; evaluated at {record['dps']} digits", highlight=False)
