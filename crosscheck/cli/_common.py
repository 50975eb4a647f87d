"""Shared CLI plumbing: one-line input errors (exit 2), JSON output, and the options
several commands share (declared once here)."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from rnnverify.crosscheck.schema import SCHEMA_VERSION, document

from rnnverify.errors import ArgumentProblem

__all__ = ["SCHEMA_VERSION", "document"]  # the JSON envelope, re-exported for the commands

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2
#: check-claim could neither prove nor refute the claim
EXIT_UNPROVEN = 4


class InputError(Exception):
    """Bad user input: the CLI prints one line to stderr and exits 2."""


#: Python argument names whose flag is not ``--`` + the name with ``_`` → ``-``
FLAG_NAMES: dict[str, str] = {}


def flag(argument: str) -> str:
    """The command-line flag of a library argument (``gamma_coupled`` → ``--gamma-coupled``).

    The one place where the library's argument names become flags.
    """
    return FLAG_NAMES.get(argument, "--" + argument.replace("_", "-"))


@contextmanager
def user_input() -> Iterator[None]:
    """Turn ``ValueError``/``TypeError`` raised while reading user input into :class:`InputError`.

    Wrap only the parsing and validation of what the user typed, so that a bug
    deeper down is never mistaken for bad input.
    """
    try:
        yield
    except ArgumentProblem as exc:
        raise InputError(exc.render(flag)) from exc
    except (ValueError, TypeError, OverflowError) as exc:
        raise InputError(str(exc)) from exc


class OneLineParser(argparse.ArgumentParser):
    """argparse whose errors are one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise InputError(f"{message} (see {self.prog} --help)")


def jsonable(obj: Any) -> Any:
    """Recursively make ``obj`` JSON-safe: non-finite floats become ``None``."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):  # numpy / torch scalars
        return jsonable(obj.item())
    return obj


def emit_json(obj: dict[str, Any]) -> None:
    """Write the document ``obj`` as JSON on stdout (and nothing else).

    Every document carries ``command`` and ``schema_version``: build it with
    :func:`~rnnverify.crosscheck.schema.document` (or a result's ``to_dict()``).
    """
    if not isinstance(obj, dict) or "command" not in obj or "schema_version" not in obj:
        raise TypeError("a --json document needs 'command' and 'schema_version' "
                        "(build it with schema.document)")
    sys.stdout.write(json.dumps(jsonable(obj), allow_nan=False, indent=2) + "\n")
    sys.stdout.flush()


def parse_float(text: str, name: str) -> float:
    """A finite float from ``text``; the error names the flag."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {text!r}")
    return value


def parse_float_list(text: str, name: str) -> list[float]:
    """A comma-separated list of finite floats."""
    parts = [p.strip() for p in text.split(",")]
    if not parts or any(p == "" for p in parts):
        raise ValueError(f"{name} must be a comma-separated list of numbers, got {text!r}")
    return [parse_float(p, name) for p in parts]


def positive_int(text: str, name: str) -> int:
    """A positive integer from ``text``."""
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be a positive integer, got {text!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return value


def non_negative_int(text: str, name: str) -> int:
    """A non-negative integer from ``text`` (seeds)."""
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be a non-negative integer, got {text!r}") from None
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value}")
    return value


DEVICES = ("auto", "cpu", "cuda")


def add_device_argument(p: argparse.ArgumentParser) -> None:
    """``--device auto|cpu|cuda`` (default auto: CUDA when present)."""
    p.add_argument("--device", default="auto", choices=DEVICES,
                   help="where to run the simulations (default auto: CUDA when present)")


#: most worker processes ``--jobs auto`` starts (each holds SymPy, torch and its caches)
MAX_AUTO_JOBS = 8
#: most worker processes ``--jobs N`` accepts
MAX_JOBS = 64


def add_jobs_argument(p: argparse.ArgumentParser) -> None:
    """``--jobs N|auto`` (default auto)."""
    p.add_argument("--jobs", default="auto", metavar="N",
                   help="worker processes for the claims (default auto: one per CPU core, "
                        f"at most {MAX_AUTO_JOBS}; 1 on CUDA and under torchrun); the "
                        "results do not depend on it")


def parse_jobs(text: str, device: str) -> int:
    """``--jobs``: a positive integer ≤ :data:`MAX_JOBS`, or ``auto`` — the usable CPU
    cores (at most :data:`MAX_AUTO_JOBS`), 1 on CUDA (the GPU is the parallel part) and
    under a distributed launch (each rank already is a process, and its Monte Carlo
    collectives need every rank to run the claims in the same order)."""
    distributed = int(os.environ.get("WORLD_SIZE", "1") or "1") > 1
    if text == "auto":
        if distributed or device.startswith("cuda"):
            return 1
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            cores = os.cpu_count() or 1
        return max(1, min(cores, MAX_AUTO_JOBS))
    value = positive_int(text, "--jobs")
    if value > MAX_JOBS:
        raise ValueError(f"--jobs must be at most {MAX_JOBS}, got {value}")
    if distributed and value > 1:
        raise ValueError("--jobs must be 1 under a distributed launch (each rank runs every "
                         "claim in the same order)")
    return value


def add_seed_argument(p: argparse.ArgumentParser, what: str = "master seed") -> None:
    """``--seed S`` (default 0)."""
    p.add_argument("--seed", default="0", metavar="S", help=f"{what} (default 0)")


def add_samples_argument(p: argparse.ArgumentParser, default: int, what: str) -> None:
    """``--samples N``."""
    p.add_argument("--samples", default=str(default), metavar="N",
                   help=f"{what} (default {default})")


def add_gamma_arguments(p: argparse.ArgumentParser) -> None:
    """``--gamma EXPR [--gamma-coupled]``: the input gain and whether d/dλ goes through it."""
    p.add_argument("--gamma", metavar="EXPR",
                   help="input gain γ as an expression in lam (the modulus), e.g. sqrt(1-lam**2)")
    p.add_argument("--gamma-coupled", action="store_true",
                   help="differentiate through γ(λ) (real λ only); default: γ held constant")


def model_from_args(args: argparse.Namespace, lam: str | None = None) -> Any:
    """The :class:`~rnnverify.crosscheck.model.recurrence.Model` of the shared model flags (errors
    name the flags); ``lam`` overrides ``--lam`` (one value of a grid)."""
    from rnnverify.crosscheck.model.recurrence import Model

    if getattr(args, "gate", None) is not None:  # a random or selective gate λ_t
        return Model(gate=args.gate, wrt=args.wrt, at=args.at, theta=args.theta, rho=args.rho,
                     autocorr=args.autocorr, gamma=args.gamma,
                     gamma_coupled=args.gamma_coupled, t=args.t, _cli=True)
    for option in ("wrt", "at"):
        if getattr(args, option, None) is not None:
            raise ValueError(f"--{option} is only defined with --gate")
    return Model(args.lam if lam is None else lam, theta=args.theta, rho=args.rho,
                 autocorr=args.autocorr, gamma=args.gamma, gamma_coupled=args.gamma_coupled,
                 t=args.t, _cli=True)


def add_model_arguments(p: argparse.ArgumentParser, *, grid: bool = False) -> None:
    """The model flags ``moments`` and ``simulate`` share (README, "The commands")."""
    lam_help = ("λ (real, |λ| < 1), or its modulus ν in [0, 1) with --theta; a number or "
                "constant expression such as 1-1e-8")
    if grid:
        lam_help += "; a comma list is a grid simulated on one shared input stream"
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--lam", metavar="L[,L,...]" if grid else "L", help=lam_help)
    which.add_argument("--gate", metavar="EXPR",
                       help="a random gate λ_t = EXPR in the noise u (u_t i.i.d. N(0, 1)), "
                            "parameters and optionally the input x (selective), e.g. "
                            "'exp(-exp(w + s*u))'; with --wrt and --at")
    p.add_argument("--wrt", metavar="P", help="with --gate: the parameter p of E (d_p h)²")
    p.add_argument("--at", metavar="P=V,...",
                   help="with --gate: the value of every parameter of the gate")
    p.add_argument("--theta", metavar="TH", help="angle: λ = L·exp(i·TH)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--rho", metavar="R", help="AR(1) input, R(k) = R^|k|, R in [-1, 1] "
                     "(default 0: i.i.d. input)")
    src.add_argument("--autocorr", metavar="EXPR",
                     help="input autocorrelation R(k) as an expression in k, e.g. '0.5**k'")
    add_gamma_arguments(p)
    p.add_argument("--t", metavar="T", help="finite horizon t from h_0 = 0; default stationary")
