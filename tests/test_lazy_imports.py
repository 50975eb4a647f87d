"""What start-up imports: the symbolic API routes never load torch, ``--help`` loads
nothing heavy, and a bad input is refused before torch, matplotlib or rich are imported.

Each case runs in a fresh interpreter (``sys.modules`` of the test process is
shared by every test), as ``python -m rnnverify`` does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rnnverify.crosscheck.cli import COMMANDS

#: what ``--help`` must not import (argparse and the command modules suffice)
HELP_FORBIDDEN = ("torch", "sympy", "mpmath", "numpy", "matplotlib", "rich", "hypothesis")
#: what refusing a bad input must not import (SymPy may parse an expression)
BAD_INPUT_FORBIDDEN = ("torch", "matplotlib", "rich")

#: runs the CLI in-process, then writes the exit code and the loaded modules to argv[1]
DRIVER = """
import json, sys
from rnnverify.crosscheck.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as exc:  # argparse's --help
    code = exc.code
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""


def _run_cli(tmp_path: Path, *argv: str) -> tuple[int, set[str], subprocess.CompletedProcess]:
    out = tmp_path / "modules.json"
    proc = subprocess.run([sys.executable, "-c", DRIVER, str(out), *argv],
                          capture_output=True, text=True, timeout=120)
    assert out.exists(), proc.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    return doc["code"], set(doc["modules"]), proc


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return [n for n in names if n in modules]


def test_symbolic_api_routes_do_not_import_torch() -> None:
    code = (
        "import sys\n"
        "import rnnverify as rv\n"
        "r = rv.check_parametrization(lam='exp(-exp(w))', wrt='w', rho=(0.0,))\n"
        "c = rv.check_claim('h2', '1/(1-lam**2)', rho=0)\n"
        "print(r.verdict, c.verdict, 'torch' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["explodes", "proved", "False"]


def test_monte_carlo_route_still_resolves_the_device() -> None:
    """The device is resolved (torch imported) when, and only when, Monte Carlo is asked."""
    code = (
        "import sys\n"
        "from rnnverify.crosscheck import api\n"
        "print(api._device('cpu'), 'torch' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["cpu", "True"]


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_imports_nothing_heavy(tmp_path: Path, command: str | None) -> None:
    argv = ["--help"] if command is None else [command, "--help"]
    code, modules, proc = _run_cli(tmp_path, *argv)
    assert code == 0, proc.stderr
    assert "usage:" in proc.stdout
    assert _loaded(modules, HELP_FORBIDDEN) == []


BAD_INPUTS = [
    (["check-param", "--lam", "__import__(1)", "--wrt", "w"], "--lam: refused"),
    (["check-param", "--lam", "bad((", "--wrt", "w"], "--lam: could not parse"),
    (["check-param", "--preset", "nope"], "unknown parametrization 'nope'"),
    (["check-param", "--lam", "exp(-exp(w))", "--wrt", "w", "--rho", "x"], "--rho"),
    (["check-param", "--lam", "exp(-exp(w))", "--wrt", "v"], "--wrt: 'v'"),
    (["check-param", "--lam", "exp(-exp(w))", "--wrt", "w", "--gamma", "exp(k)"], "--gamma"),
    (["check-param", "--lam", "exp(-exp(w))", "--wrt", "w", "--at", "q=1"], "--at: q"),
    (["check-claim", "--quantity", "h2", "--expr", "bad(("], "--expr"),
    (["verify", "--seed", "-1"], "--seed"),
    (["verify", "--columns", "nope"], "--columns"),
    (["moments", "--lam", "2"], "--lam"),
    (["simulate", "--lam", "2"], "--lam"),
    (["simulate", "--lam", "0.9", "--samples", "0"], "--samples"),
    (["dizzy", "--hidden", "1"], "--hidden"),
    (["copy-task", "--epochs", "0"], "--epochs"),
    (["report", "--format", "nope"], "--format"),
    (["hessian", "--hidden", "0"], "--hidden"),
    (["gru-gates", "--timescales", "-1"], "--timescales"),
    (["teacher-student", "--model", "nope"], "--model"),
    (["signal-prop", "--models", "nope"], "--models"),
    (["check-param", "--lam", "w+", "--wrt", "w"], "--lam: could not parse"),
    (["simulate", "--lam", "0.9", "--samples", "-1"], "--samples"),
    (["hessian", "--model", "nosuch"], "--model: must be one of"),
]

#: bad inputs refused without SymPy, mpmath or numpy either: nothing the user typed is an
#: expression, so nothing but argparse and the flag checks may run
PLAIN_BAD_INPUTS = [
    (["verify", "--only", "nosuch"], "--only 'nosuch' matches no claim"),
    (["verify", "--only", "zo.*", "--seed", "x"], "--seed"),
    (["report", "--only", "nosuch"], "--only 'nosuch' matches no claim"),
    (["copy-task", "--lag", "5"], "lag must be at least"),
    (["copy-task", "--threads", "0"], "--threads"),
    (["copy-task", "--lag", "1000000000"], "copy-task --model dizzy --hidden 512 --lag"),
    (["dizzy", "--steps", "0"], "--steps"),
    (["teacher-student", "--steps", "0"], "--steps"),
]
PLAIN_FORBIDDEN = (*BAD_INPUT_FORBIDDEN, "sympy", "mpmath", "numpy")


@pytest.mark.parametrize(("argv", "fragment"), BAD_INPUTS, ids=lambda v: " ".join(v)
                         if isinstance(v, list) else None)
def test_bad_input_is_refused_before_heavy_imports(tmp_path: Path, argv: list[str],
                                                    fragment: str) -> None:
    code, modules, proc = _run_cli(tmp_path, *argv)
    assert code == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnnverify: error:"), proc.stderr
    assert fragment in lines[0], lines[0]
    assert _loaded(modules, BAD_INPUT_FORBIDDEN) == []


@pytest.mark.parametrize(("argv", "fragment"), PLAIN_BAD_INPUTS, ids=lambda v: " ".join(v)
                         if isinstance(v, list) else None)
def test_plain_bad_input_loads_no_maths(tmp_path: Path, argv: list[str], fragment: str) -> None:
    code, modules, proc = _run_cli(tmp_path, *argv)
    assert code == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], proc.stderr
    assert _loaded(modules, PLAIN_FORBIDDEN) == []


def test_claim_id_list_is_the_registry() -> None:
    """``verify --only`` checks its glob against ``claims.ids.CLAIM_IDS`` without loading the
    claims; the list must be the registry's ids in display order (add a new claim's id there)."""
    from rnnverify.crosscheck.claims.ids import CLAIM_IDS, matching_ids
    from rnnverify.crosscheck.claims.registry import all_claims, select

    assert list(CLAIM_IDS) == [c.id for c in all_claims()]
    for pattern in ("zo.moments.*", "dizzy.thm?", "*trends", "classical.linear"):
        assert matching_ids(pattern) == [c.id for c in select(pattern)]
    with pytest.raises(ValueError, match=r"matches no claim; known ids: zo\.lemma1, zo\.lemma2"):
        matching_ids("nosuch")


def test_copy_task_default_sizes_are_the_library_s() -> None:
    from rnnverify.crosscheck.cli.copy_task import DEFAULT_HIDDEN
    from rnnverify.numerics.dizzy.copy_task import DEFAULT_HYPERPARAMETERS

    assert DEFAULT_HIDDEN == {m: h["hidden"] for m, h in DEFAULT_HYPERPARAMETERS.items()}
