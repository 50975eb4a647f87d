"""One source for the machine output: a result's ``to_dict()`` equals the command's
``--json`` for the same inputs, and every command's document carries ``command``
and ``schema_version``; options shared by several commands read the same."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rnnverify.crosscheck.cli import build_parser, main
from rnnverify.crosscheck.cli._common import emit_json
from rnnverify.crosscheck.schema import SCHEMA_VERSION, document

import rnnverify as rv

#: wall-clock fields, the only ones two runs of the same computation may differ in
TIMING = ("seconds", "sample_steps_per_second")


def _cli_json(capsys, argv: list[str], code: int = 0) -> dict[str, Any]:
    capsys.readouterr()
    assert main([*argv, "--json"]) == code
    return json.loads(capsys.readouterr().out)


def _as_json(doc: dict[str, Any]) -> dict[str, Any]:
    """What ``--json`` prints for ``doc`` (NaN/inf as null, tuples as lists)."""
    from rnnverify.crosscheck.cli._common import jsonable

    return json.loads(json.dumps(jsonable(doc), allow_nan=False))


def _without_timing(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _without_timing(v) for k, v in obj.items() if k not in TIMING}
    if isinstance(obj, list):
        return [_without_timing(v) for v in obj]
    return obj


def _envelope(doc: dict[str, Any], command: str) -> None:
    assert list(doc)[:2] == ["command", "schema_version"]
    assert doc["command"] == command and doc["schema_version"] == SCHEMA_VERSION


@pytest.mark.parametrize("oracle", [False, True], ids=["closed_form", "oracle"])
def test_moments_json_is_the_model_result(capsys, oracle) -> None:
    argv = ["moments", "--lam", "0.99", "--theta", "0.2", "--rho", "0.5", "--gamma",
            "sqrt(1-lam**2)", "--t", "30"] + (["--oracle"] if oracle else [])
    cli = _cli_json(capsys, argv)
    m = rv.Model(lam="0.99", theta="0.2", rho="0.5", gamma="sqrt(1-lam**2)", t=30)
    api = (m.oracle() if oracle else m.closed_form()).to_dict()
    assert cli == _as_json(api)
    _envelope(cli, "moments")
    assert cli["route"] == ("oracle" if oracle else "closed_form")


def test_simulate_json_is_the_model_result(capsys) -> None:
    argv = ["simulate", "--lam", "0.7", "--rho", "-0.3", "--gamma", "sqrt(1-lam**2)",
            "--gamma-coupled", "--samples", "3000", "--seed", "4", "--device", "cpu"]
    cli = _cli_json(capsys, argv)
    m = rv.Model(lam="0.7", rho="-0.3", gamma="sqrt(1-lam**2)", gamma_coupled=True)
    api = m.simulate(samples=3000, seed=4, device="cpu").to_dict()
    assert _without_timing(cli) == _without_timing(_as_json(api))
    _envelope(cli, "simulate")


def test_check_param_json_is_the_api_result(capsys) -> None:
    cli = _cli_json(capsys, ["check-param", "--lam", "exp(-exp(w))", "--wrt", "w", "--rho", "0"])
    api = rv.check_parametrization("exp(-exp(w))", "w", rho=[0.0]).to_dict()
    assert cli == _as_json(api)
    _envelope(cli, "check-param")
    assert cli["verdict"] == "explodes"  # E|d_w h|² ~ (1-λ)^-1 at ρ = 0 without γ


def test_check_claim_json_is_the_api_result(capsys) -> None:
    wrong = "(1+rho*lam)/((1-lam*rho)*(1-lam**3))"
    cli = _cli_json(capsys, ["check-claim", "--quantity", "h2", "--expr", wrong, "--rho", "0.5",
                             "--points", "20", "--seed", "3"], code=1)
    api = rv.check_claim("h2", wrong, rho="0.5", points=20, seed=3).to_dict()
    assert cli == _as_json(api)
    _envelope(cli, "check-claim")
    assert cli["verdict"] == "refuted" and cli["holds"] is False


def test_verify_json_is_the_api_result(capsys) -> None:
    argv = ["verify", "--only", "zo.lemma1", "--columns", "symbolic,oracle", "--seed", "2"]
    cli = _cli_json(capsys, argv)
    api = rv.verify(only="zo.lemma1", columns=("symbolic", "oracle"), seed=2).to_dict()
    assert _without_timing(cli) == _without_timing(_as_json(api))
    _envelope(cli, "verify")
    assert cli["verdict"] == "holds" and cli["holds"] is True
    assert [c["verdict"] for c in cli["claims"]] == ["holds"]


def test_dizzy_json_carries_the_envelope(capsys) -> None:
    doc = _cli_json(capsys, ["dizzy", "--hidden", "3", "--steps", "10"])
    _envelope(doc, "dizzy")
    assert abs(doc["grad_norm_ratio"] - 1) < 1e-12  # abs + rotations: norm preserved


def test_a_json_document_without_envelope_is_refused(capsys) -> None:
    with pytest.raises(TypeError, match="schema_version"):
        emit_json({"holds": True})
    emit_json(document("x", {"holds": True, "command": "ignored"}))
    assert json.loads(capsys.readouterr().out) == {"command": "x",
                                                   "schema_version": SCHEMA_VERSION,
                                                   "holds": True}


def _options(name: str) -> dict[str, Any]:
    sub = build_parser()._subparsers._group_actions[0].choices[name]
    return {a.dest: a for a in sub._actions}


def test_shared_options_are_declared_once() -> None:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    with_device = [c for c in commands if "device" in _options(c)]
    assert set(with_device) >= {"verify", "simulate", "check-param", "copy-task", "report"}
    for name in with_device:
        action = _options(name)["device"]
        assert action.default == "auto" and list(action.choices) == ["auto", "cpu", "cuda"], name
    seeds = {c: _options(c)["seed"] for c in commands if "seed" in _options(c)}
    assert len(seeds) >= 6
    assert all(a.default == "0" and a.metavar == "S" for a in seeds.values())
    for name in commands:
        assert "json" in _options(name), name
    gammas = [(_options(c)["gamma"].help, _options(c)["gamma_coupled"].help)
              for c in ("moments", "simulate", "check-param")]
    assert gammas[0] == gammas[1] == gammas[2]
