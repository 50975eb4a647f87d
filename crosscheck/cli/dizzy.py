"""``rnnverify dizzy``: back-propagated gradient norm through T steps of a DizzyRNN layer.

Measures ``‖∂L/∂h_t‖`` for ``L = uᵀ h_T`` (``‖u‖ = 1``) in float64 through
``h_t = f(R h_{t−1} + W x_t + b)`` with ``R`` a product of packed Givens rotations (or another
orthogonal map), see :func:`numerics.dizzy.gradnorm.dizzy_gradient_norms`.  Theorem 3 (abs) says
``grad_norm_ratio = 1``; Theorem 4 (``--square-input``) says ``input_grad_ratio = 1``; tanh and
relu with the same rotations make the signal vanish.

Exit codes: the command *reports* — 0 whenever the measurement ran, whatever the ratio (a
vanishing ratio for tanh/relu is the expected answer, not a failure); 2 on bad input.  The
pass/fail judgement of Theorems 3 and 4 lives in the claims (``rnnverify verify --only
'dizzy.*'``).
"""

from __future__ import annotations

import argparse

from rnnverify.crosscheck.cli._common import (
    EXIT_OK,
    add_seed_argument,
    document,
    emit_json,
    non_negative_int,
    positive_int,
    user_input,
)

HELP = "gradient norm vs lag through a DizzyRNN layer (Theorems 3 and 4), float64"

MAPS = ("givens", "matrix_exp", "cayley", "householder")
NONLINEARITIES = ("abs", "tanh", "relu")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hidden", default="64", metavar="N", help="hidden size n (≥ 2; default 64)")
    p.add_argument("--steps", default="10000", metavar="T", help="time steps (default 10000)")
    p.add_argument("--rotations", default=None, metavar="K",
                   help="packed rotations in R (default: all, n−1 or n for odd n)")
    p.add_argument("--nonlinearity", default="abs", choices=NONLINEARITIES)
    p.add_argument("--square-input", action="store_true",
                   help="input size n with W a product of packed rotations (Theorem 4)")
    p.add_argument("--input-size", default=None, metavar="D",
                   help="input size for a dense W (default 12, the copy problem's)")
    p.add_argument("--map", default="givens", choices=MAPS,
                   help="orthogonal parametrization of R (default: packed Givens rotations)")
    p.add_argument("--method", default="vjp", choices=("vjp", "autograd"),
                   help="reverse loop of per-step VJPs (default) or one autograd pass")
    add_seed_argument(p, "seed of the weights, inputs and signal")


def memory_bytes(hidden: int, steps: int, input_size: int) -> int:
    """Float64 bytes the measurement allocates, at least: the n × n rotation matrix R, the
    n × d input matrix W, and the states, pre-activations and gradients of T + 1 steps."""
    return 8 * hidden * hidden + 8 * hidden * input_size + 24 * hidden * (steps + 1)


def run(args: argparse.Namespace) -> int:
    from rnnverify.crosscheck.cli.longwork import ensure_fits, format_bytes

    with user_input():
        hidden = positive_int(args.hidden, "--hidden")
        if hidden < 2:
            raise ValueError(f"--hidden must be at least 2, got {hidden}")
        steps = positive_int(args.steps, "--steps")
        rotations = None if args.rotations is None else positive_int(args.rotations,
                                                                      "--rotations")
        input_size = None if args.input_size is None else positive_int(args.input_size,
                                                                       "--input-size")
        if args.square_input and input_size not in (None, hidden):
            raise ValueError("--square-input fixes the input size to --hidden; drop --input-size")
        if args.map != "givens" and rotations is not None:
            raise ValueError("--rotations applies to --map givens only")
        seed = non_negative_int(args.seed, "--seed")
        d = hidden if args.square_input else (input_size or 12)
        ensure_fits(memory_bytes(hidden, steps, d),
                    f"dizzy --hidden {hidden} --steps {steps} (the rotation matrix alone: "
                    f"{format_bytes(8 * hidden * hidden)})")
    from rnnverify.numerics.dizzy.gradnorm import dizzy_gradient_norms  # torch: after the checks

    result = dizzy_gradient_norms(hidden, steps, rotations=rotations,
                                  nonlinearity=args.nonlinearity, square_input=args.square_input,
                                  input_size=input_size, orthogonal_map=args.map, seed=seed,
                                  method=args.method)
    out = result.summary()
    if not args.square_input:
        out["input_grad_ratio"] = None  # Theorem 4 concerns a square orthogonal W only
        out["input_grad_ratio_range"] = None
    out["seconds"] = round(out["seconds"], 3)
    if args.json:
        emit_json(document("dizzy", out))
    else:
        _print(out)
    return EXIT_OK


def _print(out: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"DizzyRNN back-propagated norm: n={out['hidden']}, T={out['steps']}, "
                        f"{out['nonlinearity']}, map={out['map']}")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    rows = [
        ("‖∂L/∂h_0‖ / ‖∂L/∂h_T‖", _fmt(out["grad_norm_ratio"])),
        ("log10 of that ratio", _fmt(out["log10_grad_norm_ratio"])),
        ("max_t |‖g_{t−1}‖/‖g_t‖ − 1|", _fmt(out["max_step_deviation"])),
        ("‖∂L/∂x_t‖/‖∂L/∂h_t‖ (farthest from 1)",
         "n/a (dense W)" if out["input_grad_ratio"] is None else _fmt(out["input_grad_ratio"])),
        ("‖R^T R − I‖₂", _fmt(out["orthogonality_error"])),
        ("‖h_T‖ (forward)", _fmt(out["final_state_norm"])),
        ("seconds", f"{out['seconds']:.3f}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    Console().print(table)


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.15g}"
