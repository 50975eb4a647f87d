"""``check-param --gate EXPR --wrt P --at ...``: measured orders of E (d_p h)² as E λ → 1 for a
random gate (back-end :mod:`rnnverify.crosscheck.commands.gate_check`).

:func:`add_gate_option` adds ``--gate`` to the check-param parser; giving it runs
:func:`run` instead of the λ(params) analysis.
"""

from __future__ import annotations

import argparse
from typing import Any

from rnnverify.crosscheck.cli._common import EXIT_OK, emit_json, parse_float_list, user_input


class _GateAction(argparse.Action):
    """Store the gate and route the command to :func:`run`."""

    def __call__(self, parser: Any, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)
        namespace._run = run


def add_gate_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gate", metavar="EXPR", action=_GateAction,
                   help="a random gate λ_t in the noise u (u_t i.i.d. N(0, 1)) and parameters, "
                        "e.g. 'exp(-exp(w + s*u))': measured orders of E (d_p h)² as the mean "
                        "memory E λ → 1 along --wrt (distance to one: 1 − E λ)")


def run(args: argparse.Namespace) -> int:
    from rnnverify.crosscheck.commands.gate_check import gate_orders

    with user_input():
        rhos = parse_float_list(args.rho, "--rho")
        for r in rhos:
            if not -1 <= r <= 1:
                raise ValueError(f"--rho must lie in [-1, 1], got {r}")
        doc = gate_orders(args.gate, args.wrt, args.at,
                          [] if args.autocorr is not None else [str(r) for r in rhos],
                          gamma=args.gamma, autocorr=args.autocorr)
    if args.json:
        emit_json(doc)
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"rnnverify check-param --gate {doc['gate']} ({doc['direction']})")
    for col in ("R(k)", "quantity", "measured order q", "C (E ≈ C δ^−q)", "Δq (last 3)"):
        table.add_column(col, justify="right")
    for row in doc["regimes"]:
        for q in ("h2", "dh2_dp"):
            e = row[q]
            if e is None:
                continue
            table.add_row(row["autocorr"], q, f"{e['measured_order']:.4f}",
                          f"{e['coefficient']:.4g}", f"{e['order_change_last_3']:.1e}")
    console = Console()
    console.print(table)
    console.print(f"δ = {doc['distance_to_one']} reached {doc['reached_distance']:.2e} in "
                  f"{doc['steps']} unit steps; {doc['note']}", highlight=False)
    return EXIT_OK
