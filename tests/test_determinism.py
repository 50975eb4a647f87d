"""Same input, same document: check-param and check-claim give byte-identical ``--json``
on an idle machine and under two CPU hogs (their work is capped by counts, not clocks)."""

from __future__ import annotations

import json

import pytest
from rnnverify.crosscheck.cli.budget_option import BUDGET_KEYS, parse_budget
from rnnverify.theory.budget import Budget

COMMANDS = [
    ("check-param", "--lam", "tanh(a*w)", "--wrt", "w", "--at", "a=2", "--rho", "1",
     "--json"),
    ("check-claim", "--quantity", "h2", "--rho", "0.5", "--points", "12", "--seed", "3",
     "--json", "--expr",
     "((1-lam**(2*t)) + 2*((rho*lam-(rho*lam)**t)/(1-rho*lam) "
     "- (rho*lam**(2*t)-rho**t*lam**(t+1))/(lam-rho)))/(1-lam**2)"),
]


def _documents(cli) -> list[str]:
    out = []
    for argv in COMMANDS:
        result = cli(*argv)
        assert result.returncode == 0, result.stderr
        out.append(result.stdout)
    return out


@pytest.mark.slow
def test_documents_are_byte_identical_idle_and_under_load(cli, request):
    idle = _documents(cli)
    request.getfixturevalue("cpu_hogs")  # two busy processes from here to the end
    loaded = _documents(cli)
    for argv, a, b in zip(COMMANDS, idle, loaded, strict=True):
        assert a == b, argv[0]
        doc = json.loads(a)
        assert doc["budget"]["cut"] == []  # nothing was cut: the answer is the full one
    param = json.loads(idle[0])
    routes = [p["route"] for r in param["regimes"] for p in r["paths"]]
    assert routes == ["symbolic", "symbolic"]  # lam -> 1 and lam -> -1, both by limits


def test_budget_flag_round_trip_and_errors(one_line_error, cli):
    assert parse_budget(None) == Budget()
    assert parse_budget("max_dps=500, guard_seconds=2.5") == Budget(max_dps=500,
                                                                     guard_seconds=2.5)
    assert set(BUDGET_KEYS) == {"symbolic_ops", "simplify_ops", "path_ops", "limit_ops",
                                "max_dps", "witnesses", "lag_terms", "guard_seconds"}
    for bad, words in [("max_dps=abc", ("--budget", "max_dps", "integer")),
                       ("speed=1", ("--budget", "speed")),
                       ("limit_ops=0", ("--budget", "limit_ops", "at least 1")),
                       ("witnesses=2,witnesses=3", ("--budget", "twice"))]:
        with pytest.raises(ValueError, match="--budget"):
            parse_budget(bad)
        one_line_error(cli("check-param", "--preset", "exp", "--budget", bad), *words)
