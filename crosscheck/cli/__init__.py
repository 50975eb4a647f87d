"""The ``rnnverify`` command line (commands, keys and exit codes: README, "The commands").

Each sub-command lives in its own module exposing ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``; modules keep heavy imports
(torch, sympy) inside ``run`` so that ``rnnverify --help`` stays instant.

Map:

- ``verify``, ``moments``, ``simulate``, ``check_param``, ``check_claim``, ``dizzy``,
  ``copy_task``, ``report``, ``hessian``, ``gru_gates``, ``teacher_student``,
  ``signal_prop`` — one module per command.
- ``_common`` — one-line input errors (exit 2), JSON output, the shared model options.
- ``budget_option`` — ``--budget KEY=VALUE,...``.
- ``check_param_gate`` — ``check-param --gate``: measured orders of E (d_p h)² for a random gate.
- ``launch`` — one process or one rank of a torchrun launch (output on rank 0 only).
- ``longwork`` — progress, a start line, and memory limits for long work.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from rnnverify.crosscheck.cli._common import EXIT_BAD_INPUT, InputError, OneLineParser

#: sub-command name -> module implementing it
COMMANDS: dict[str, str] = {
    "verify": "rnnverify.crosscheck.cli.verify",
    "moments": "rnnverify.crosscheck.cli.moments",
    "simulate": "rnnverify.crosscheck.cli.simulate",
    "check-param": "rnnverify.crosscheck.cli.check_param",
    "check-claim": "rnnverify.crosscheck.cli.check_claim",
    "dizzy": "rnnverify.crosscheck.cli.dizzy",
    "copy-task": "rnnverify.crosscheck.cli.copy_task",
    "report": "rnnverify.crosscheck.cli.report",
    "hessian": "rnnverify.crosscheck.cli.hessian",
    "gru-gates": "rnnverify.crosscheck.cli.gru_gates",
    "teacher-student": "rnnverify.crosscheck.cli.teacher_student",
    "signal-prop": "rnnverify.crosscheck.cli.signal_prop",
}


def build_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="rnnverify",
        description="Executable, cross-checked theory of gradient pathologies in RNNs.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    sub.required = True
    for name, modname in COMMANDS.items():
        mod = importlib.import_module(modname)
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        p.add_argument("--json", action="store_true", help="machine output on stdout")
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rnnverify`` console script; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        return int(args._run(args))
    except InputError as exc:
        msg = " ".join(str(exc).split())  # exactly one line
        print(f"rnnverify: error: {msg}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("rnnverify: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
