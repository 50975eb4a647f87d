"""``rnnverify moments``: E|h|², E|d_λh|², E|d_θh|² from Lemmas 1–2 (Zucchet & Orvieto 2024).

Values are derived symbolically (:mod:`theory.moments`) and evaluated with
mpmath at 50 significant digits; JSON floats carry the value to full double
precision and the ``digits`` field repeats them with 30 significant digits.
"""

from __future__ import annotations

import argparse
from typing import Any

from ._common import EXIT_OK, add_model_arguments, emit_json, positive_int, user_input

HELP = "second moments of h and of its λ/θ-sensitivity (stationary or at step t)"

#: significant digits of the human output and of the JSON ``digits`` strings
HUMAN_DIGITS = 15
JSON_DIGITS = 30
DPS = 50
#: the O(t) finite route (no rational generating function): memory per lag (power tables
#: and four kernel weights as 50-digit mpmath numbers), lags per second on one core, and
#: the horizon from which it shows progress
SUM_BYTES_PER_TERM = 1200
SUM_TERMS_PER_S = 1.5e4
PROGRESS_MIN_TERMS = 20_000


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_model_arguments(p, grid=False)


def _read_inputs(args: argparse.Namespace) -> dict[str, Any]:
    from rnnverify.theory.autocorr import ar1, from_expression
    from rnnverify.theory.moments import validate_lambda
    from rnnverify.theory.parser import parse_real

    lam = parse_real(args.lam, name="--lam", dps=DPS)
    theta = None if args.theta is None else parse_real(args.theta, name="--theta", dps=DPS)
    validate_lambda(lam, theta, name="--lam")
    if args.autocorr is not None:
        autocorr = from_expression(args.autocorr)
        if autocorr.has_rho:
            raise ValueError("--autocorr may not use rho (give --rho for the ρ^|k| family)")
    else:
        rho = parse_real(args.rho, name="--rho", dps=DPS) if args.rho is not None else 0
        if not -1 <= rho <= 1:
            raise ValueError(f"--rho must lie in [-1, 1], got {args.rho}")
        autocorr = ar1(_exact(rho))
    if args.gamma_coupled and args.gamma is None:
        raise ValueError("--gamma-coupled needs --gamma")
    if args.gamma_coupled and theta is not None:
        raise ValueError("--gamma-coupled is only defined for real λ (drop --theta)")
    t = None if args.t is None else positive_int(args.t, "--t")
    return {"lam": lam, "theta": theta, "autocorr": autocorr, "gamma": args.gamma,
            "gamma_coupled": bool(args.gamma_coupled), "t": t}


def _exact(value: Any) -> Any:
    import sympy as sp

    return sp.nsimplify(str(value), rational=True)


def run(args: argparse.Namespace) -> int:
    import mpmath
    from rnnverify.theory.moments import finite_work, generating_function_method, moments

    from ..longwork import ensure_fits, planned_work

    with user_input():
        inputs = _read_inputs(args)
        route, units = ("stationary", 0) if inputs["t"] is None else finite_work(
            inputs["autocorr"], inputs["t"])
        if route == "sum":  # O(t) kernel sum: 6 tables of t numbers at DPS digits
            ensure_fits(SUM_BYTES_PER_TERM * units, f"the O(t) finite sum at t = {units}")
        kwargs = dict(theta=inputs["theta"], autocorr=inputs["autocorr"],
                      gamma=inputs["gamma"], gamma_coupled=inputs["gamma_coupled"],
                      t=inputs["t"], dps=DPS)
        if route == "sum" and units >= PROGRESS_MIN_TERMS:
            with planned_work("moments", "finite-t kernel sum (no rational generating "
                              "function)", units, unit="lags", estimate_s=units / SUM_TERMS_PER_S,
                              json_mode=args.json) as progress:
                result = moments(inputs["lam"], progress=progress, **kwargs)
        else:
            result = moments(inputs["lam"], **kwargs)
    method = ("finite_" + route if inputs["t"] is not None
              else generating_function_method(inputs["autocorr"]))
    keys = ("h2", "dh2_dlam", "dh2_dtheta")
    record: dict[str, Any] = {key: None if result[key] is None else float(result[key])
                              for key in keys}
    record.update({
        "digits": {key: None if result[key] is None else mpmath.nstr(result[key], JSON_DIGITS)
                   for key in keys},
        "lam": float(inputs["lam"]),
        "lam_digits": mpmath.nstr(inputs["lam"], JSON_DIGITS),
        "theta": None if inputs["theta"] is None else float(inputs["theta"]),
        "lambda_complex": None if inputs["theta"] is None else [
            float(inputs["lam"] * mpmath.cos(inputs["theta"])),
            float(inputs["lam"] * mpmath.sin(inputs["theta"]))],
        "autocorr": str(inputs["autocorr"].expr),
        "rho": None if args.autocorr is not None else (args.rho if args.rho is not None else "0"),
        "gamma": inputs["gamma"] if inputs["gamma"] is not None else "1",
        "gamma_coupled": inputs["gamma_coupled"],
        "t": inputs["t"],
        "stationary": inputs["t"] is None,
        "generating_function_method": method,
        "dps": DPS,
    })
    if args.json:
        emit_json(record)
        return EXIT_OK
    _print(record, result)
    return EXIT_OK


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
    console.print(f"generating function: {record['generating_function_method']}; "
                  f"evaluated at {record['dps']} digits", highlight=False)
