"""The public Python API (``import rnnverify as rv``).

The README's "From Python" block runs as written; the model's three routes
take the same arguments and return the same keys and values (closed form and
oracle to 30 digits, Monte Carlo within a stated z-bound); bad arguments raise
errors naming the argument; results render as Markdown; ``import rnnverify``
loads neither torch nor SymPy.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import mpmath
import pytest
from hypothesis import given, settings
from rnnverify.crosscheck import api as checks
from rnnverify.crosscheck.claims.registry import select
from rnnverify.crosscheck.stats.ztests import two_sided_z

import rnnverify as rv
from rnnverify import strategies as rst

README = Path(__file__).resolve().parents[1] / "README.md"
KEYS = ("h2", "dh2_dlam", "dh2_dtheta")

#: Monte Carlo checks in this file: two-sided z-tests at a false-failure rate of
#: 1e-6 per test (Bonferroni over the quantities of one call); seeds are fixed, so
#: CI sees the same numbers every run.
ALPHA = 1e-6


def _python_block(section: str) -> str:
    text = README.read_text(encoding="utf-8")
    body = text[text.index(f"## {section}"):]
    start = body.index("```python\n") + len("```python\n")
    return body[start:body.index("```", start)]


def _run_statements(code: str) -> list[Any]:
    """Execute ``code`` statement by statement as written; return each expression's value."""
    namespace: dict[str, Any] = {}
    values = []
    for node in ast.parse(code).body:
        if isinstance(node, ast.Expr):
            values.append(eval(compile(ast.Expression(node.value), "<readme>", "eval"), namespace))
        else:
            exec(compile(ast.Module([node], []), "<readme>", "exec"), namespace)
    return values


def _agree(a: Any, b: Any, digits: int) -> bool:
    return abs(a - b) <= mpmath.mpf(10) ** (-digits) * abs(b)


def _assert_within_stderr(sim: Any, reference: Any) -> None:
    keys = [q for q in KEYS if reference[q] is not None]
    bound = two_sided_z(ALPHA / len(keys))
    for q in keys:
        est = sim[q]
        assert est.stderr > 0 and est.n > 0
        z = (est.estimate - float(reference[q])) / est.stderr
        assert abs(z) <= bound, (q, est, float(reference[q]), z, bound)


def test_readme_block_runs_as_written(monkeypatch) -> None:
    """Each statement of the README block, as written.  ``rv.verify(quick=True)`` runs
    the Lemma 1 claim here: every claim of the registry goes through ``rv.verify``
    one by one in test_registry_claims.py."""
    full = select
    monkeypatch.setattr(checks, "select", lambda only=None: full(only or "zo.lemma1"))
    closed, oracle, sim, gate, param, claim, suite, registry = _run_statements(
        _python_block("From Python"))
    gate_cf, gate_oracle, gate_sim = gate  # a random gate with a long-memory input
    assert set(gate_cf) == set(gate_oracle) == set(gate_sim) == {"h2", "dh2_dp"}
    for q in ("h2", "dh2_dp"):
        assert _agree(gate_cf[q], gate_oracle[q], 30), q
        bound = two_sided_z(ALPHA / 2)
        assert abs(gate_sim[q].estimate - float(gate_cf[q])) <= bound * gate_sim[q].stderr
    assert set(closed) == set(oracle) == set(sim) == set(KEYS)
    for q in ("h2", "dh2_dlam"):
        assert isinstance(closed[q], mpmath.mpf) and _agree(closed[q], oracle[q], 30), q
    assert closed["dh2_dtheta"] is None and oracle["dh2_dtheta"] is None
    assert sim["dh2_dtheta"] is None and sim.to_dict()["samples"] == 20000
    _assert_within_stderr(sim, closed)
    # exp reparametrization with normalization: bounded for ρ < 1, not for constant input
    # (Zucchet & Orvieto 2024, §3)
    assert [r["bounded"] for r in param.regimes] == [True, True, False]
    assert param.verdict == "explodes" and param.to_dict()["command"] == "check-param"
    assert claim.holds is True and claim.verdict == "proved"
    assert claim.to_dict()["counterexample"] is None
    assert suite.holds and suite.to_dict()["verdict"] == "holds"
    assert [r.claim.id for r in suite.claims] == [c.id for c in registry] == ["zo.lemma1"]


def test_registry_is_the_whole_registry() -> None:
    ids = [c.id for c in rv.claims()]
    assert len(ids) == len(set(ids))
    # every claim of the papers' modules is there, in registry order (new claims may follow)
    papers = [
        "zo.lemma1", "zo.lemma2", "zo.lemma1.finite", "zo.lemma2.finite", "zo.moments.general",
        "zo.moments.ar1", "zo.moments.complex", "zo.moments.finite_t", "zo.moments.cross",
        "zo.normalization", "zo.reparam", "zo.loss1d", "dizzy.givens", "dizzy.packed",
        "dizzy.abs", "dizzy.thm3", "dizzy.thm4", "dizzy.saturating", "dizzy.svd",
        "classical.linear", "classical.nonlinear", "classical.clipping",
        "zo.hessian.diagonal", "zo.hessian.dense", "zo.hessian.conditioning",
        "zo.gru.constant_gate", "zo.gru.gates", "zo.signalprop.lru_layer1",
        "zo.signalprop.lru_trends", "zo.signalprop.crnn_layernorm", "zo.signalprop.gru_trends",
    ]
    assert [i for i in ids if i in papers] == papers
    assert [c.id for c in rv.claims("dizzy.*")] == [i for i in ids if i.startswith("dizzy.")]


@settings(max_examples=8, deadline=None)
@given(kw=rst.model_kwargs(max_modulus=0.99, max_t=200))
def test_closed_form_and_oracle_agree_over_the_domain(kw) -> None:
    m = rv.Model(**kw)
    closed, oracle = m.closed_form(), m.oracle()
    assert list(closed) == list(oracle) == list(KEYS)
    for q in KEYS:
        if "theta" not in kw and q == "dh2_dtheta":
            assert closed[q] is None and oracle[q] is None
            continue
        assert _agree(closed[q], oracle[q], 30), (q, closed[q], oracle[q])


@pytest.mark.parametrize("kw", [
    # complex λ, a user autocorrelation, normalization, finite horizon
    dict(lam="0.9", theta="0.3", autocorr="exp(-k/10)*cos(k/3)", gamma="sqrt(1-lam**2)", t=40),
    # γ coupled at a negative λ: dγ/dλ is taken at λ, as in the closed form
    dict(lam="-0.6", rho="0.3", gamma="sqrt(1-lam**2)", gamma_coupled=True),
], ids=["complex-autocorr-finite", "coupled-negative"])
def test_three_routes_agree(kw) -> None:
    m = rv.Model(**kw)
    closed, oracle = m.closed_form(), m.oracle()
    for q in KEYS:
        if closed[q] is not None:
            assert _agree(closed[q], oracle[q], 30), q
    sim = m.simulate(samples=20000, seed=1, device="cpu")
    assert [k for k in KEYS if sim[k] is not None] == [k for k in KEYS if closed[k] is not None]
    _assert_within_stderr(sim, oracle)


def test_simulation_of_a_grid_needs_an_index() -> None:
    from rnnverify.crosscheck.model.simulate import plan_simulation, run_simulation

    models = [rv.Model(lam=v, rho="0.2") for v in ("0.3", "0.6")]
    sim = run_simulation(plan_simulation(models, samples=2000, seed=0, device="cpu"))
    assert [r["lam"] for r in sim.rows] == [0.3, 0.6]
    assert sim.estimates(1)["h2"].estimate == sim.rows[1]["h2"]["estimate"]
    with pytest.raises(ValueError, match="estimates"):
        sim["h2"]


@pytest.mark.parametrize("kwargs, exc, name", [
    (dict(lam=1), ValueError, "lam"),
    (dict(lam="nan"), ValueError, "lam"),
    (dict(lam=[0.5]), TypeError, "lam"),
    (dict(lam=True), TypeError, "lam"),
    (dict(lam="-0.5", theta="1"), ValueError, "lam"),
    (dict(lam=0.5j, theta=1.0), ValueError, "theta"),
    (dict(lam="0.5", rho="1.5"), ValueError, "rho"),
    (dict(lam="0.5", rho="0.5", autocorr="0.5**k"), ValueError, "autocorr"),
    (dict(lam="0.5", autocorr="rho**k"), ValueError, "autocorr"),
    (dict(lam="0.5", autocorr="__import__('os')"), ValueError, "autocorr"),
    (dict(lam="0.5", autocorr=3), TypeError, "autocorr"),
    (dict(lam="0.5", gamma="lam.real"), ValueError, "gamma"),
    (dict(lam="0.5", gamma=[1]), TypeError, "gamma"),
    (dict(lam="0.5", gamma_coupled=True), ValueError, "gamma"),
    (dict(lam="0.5", gamma_coupled="yes"), TypeError, "gamma_coupled"),
    (dict(lam="0.5", theta="1", gamma="lam", gamma_coupled=True), ValueError, "gamma_coupled"),
    (dict(lam="0.5", t=0), ValueError, "t"),
    (dict(lam="0.5", t=1.5), TypeError, "t"),
])
def test_bad_model_arguments_name_the_argument(kwargs, exc, name) -> None:
    with pytest.raises(exc, match=rf"\b{name}\b"):
        rv.Model(**kwargs)


@pytest.mark.parametrize("kwargs, exc, name", [
    (dict(samples=0), ValueError, "samples"),
    (dict(samples=2.5), TypeError, "samples"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(max_bias=0.0), ValueError, "max_bias"),
    (dict(chunk=0), ValueError, "chunk"),
    (dict(steps=10, t_model=True), ValueError, "steps"),
    (dict(device="tpu"), ValueError, "device"),
])
def test_bad_simulate_arguments_name_the_argument(kwargs, exc, name) -> None:
    m = rv.Model(lam="0.5", t=5 if kwargs.pop("t_model", False) else None)
    with pytest.raises(exc, match=name):
        m.simulate(**kwargs)


@pytest.mark.parametrize("call, exc, name", [
    (lambda: rv.check_claim("h3", "1"), ValueError, "quantity"),
    (lambda: rv.check_claim("h2", "1", points=0), ValueError, "points"),
    (lambda: rv.check_claim("h2", "1", seed=-2), ValueError, "seed"),
    (lambda: rv.check_claim("h2", "__import__('os')"), ValueError, "expr|refused"),
    (lambda: rv.check_parametrization("exp(-exp(w))", "w", samples=0), ValueError, "samples"),
    (lambda: rv.check_parametrization("exp(-exp(w))", "w", gamma_coupled=1), TypeError,
     "gamma_coupled"),
    (lambda: rv.verify(seed=-1), ValueError, "seed"),
    (lambda: rv.verify(quick="yes"), TypeError, "quick"),
    (lambda: rv.verify(columns="symbolic,telepathy"), ValueError, "column"),
])
def test_bad_check_arguments_name_the_argument(call, exc, name) -> None:
    with pytest.raises(exc, match=name):
        call()


def test_results_render_as_markdown() -> None:
    m = rv.Model(lam="0.9", theta="0.4", rho="0.5", gamma="sqrt(1-lam**2)")
    text = m.closed_form()._repr_markdown_()
    assert "| quantity | value |" in text and r"\lambda" in text and r"\partial_\theta" in text
    assert "oracle (" in m.oracle()._repr_markdown_()
    sim = m.simulate(samples=1000, seed=0, device="cpu")._repr_markdown_()
    assert "| λ | quantity | Monte Carlo |" in sim and "±" in sim
    claim = rv.check_claim("h2", "1/(1-lam**2)", rho="0")._repr_markdown_()
    assert "**proved**" in claim and r"\lambda" in claim
    suite = rv.verify(only="zo.lemma1", columns="symbolic")._repr_markdown_()
    assert "| zo.lemma1 | ✔ | – | – |" in suite


def test_import_is_light_and_lazy() -> None:
    code = ("import sys, rnnverify as rv; heavy = [m for m in ('torch', 'sympy', 'mpmath') "
            "if m in sys.modules]; print(heavy); print(sorted(rv.__all__))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0] == "[]"
    for name in rv.__all__:
        assert getattr(rv, name) is not None, name
    with pytest.raises(AttributeError, match="no_such_name"):
        rv.no_such_name  # noqa: B018
    assert rv.strategies.rho is rst.rho and rv.SCHEMA_VERSION >= 1


@settings(max_examples=25, deadline=None)
@given(lam=rst.lam_real(0.5), nu_theta=rst.lam_complex(0.5, 3.0), rho=rst.rho(-0.5, 0.25),
       t=rst.horizon(7, stationary=True), n=rst.size(3, 5), seed=rst.seed(9))
def test_strategies_stay_in_their_domains(lam, nu_theta, rho, t, n, seed) -> None:
    nu, theta = nu_theta
    assert -0.5 <= lam <= 0.5 and 0 <= nu <= 0.5 and -3 <= theta <= 3
    assert -0.5 <= rho <= 0.25 and (t is None or 1 <= t <= 7)
    assert 3 <= n <= 5 and 0 <= seed <= 9


@pytest.mark.parametrize(("call", "message"), [
    (lambda: rst.lam_real(1.0), r"^bound must lie in \[0.0, 0.9999999999999999\], got 1.0$"),
    (lambda: rst.modulus(0.5, min_value=0.7), r"^min_value must lie in \[0.0, 0.5\], got 0.7$"),
    (lambda: rst.rho(-2), r"^low must lie in \[-1.0, 1.0\], got -2$"),
    (lambda: rst.horizon(0), r"^max_t must be a positive int, got 0$"),
    (lambda: rst.size(3, 2), r"^max_n must be an int ≥ min_n, got 2$"),
    (lambda: rst.seed(-1), r"^max_seed must be a non-negative int, got -1$"),
])
def test_strategies_refuse_domains_outside_the_model(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()
