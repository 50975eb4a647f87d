"""``rnnverify report``: md/html/tex from the checks' SymPy objects, offline HTML, atomic writes."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import stat
from pathlib import Path

import pytest
from rnnverify.crosscheck.cli import main
from rnnverify.crosscheck.report import build
from rnnverify.crosscheck.report.atomic import atomic_directory, atomic_write_text

TINY = build.Budget(curve_points=25, mc_samples=2000, mc_lams=(0.5, 0.8), dizzy_hidden=8,
                    dizzy_steps=60, lemma_points=1,
                    rows=(("exp_normalized", "omega_nu", (0.0, 1.0)),))


@pytest.fixture(scope="module")
def content(tmp_path_factory):
    results = tmp_path_factory.mktemp("results")
    (results / "copy.json").write_text(json.dumps(
        {"model": "dizzy", "accuracy": [0.1, 0.5, 0.99], "final_accuracy": 0.99}))
    (results / "teacher_student.json").write_text(json.dumps(
        {"protocol": {"name": "reduced", "steps": 300}, "seeds": 2, "rows": [
            {"model": m, "nu0": v, "final_loss_mean": loss, "final_loss_stderr": loss / 10}
            for m, scale in (("lru", 1.0), ("dense", 10.0))
            for v, loss in ((0.5, 0.01 * scale), (0.99, 1.0 * scale))]}))
    verify = build.run_verify("quick", 0, "cpu", only="classical.clipping",
                              columns=("symbolic",))
    original, gates = build.BUDGETS["quick"], build.GATE_FIGURE["quick"]
    build.BUDGETS["quick"] = TINY
    build.GATE_FIGURE["quick"] = {"ws_theory": (-1.0, -2.0), "ws_mc": (-1.0,), "samples": 1000}
    try:
        return build.collect(mode="quick", verify_json=verify, results_dir=results)
    finally:
        build.BUDGETS["quick"], build.GATE_FIGURE["quick"] = original, gates


@pytest.mark.slow
def test_report_builds_all_formats(content, tmp_path):
    out = tmp_path / "rep"
    written = build.write_report(content, out)
    names = {p.name for p in written}
    assert {"report.md", "report.html", "report.tex", "report.json", "fig1a.png", "fig2.png",
            "mc_vs_theory.png", "dizzy_gradnorm.png", "copy_task.png",
            "hessian_dense.png", "hessian_diagonal.png", "teacher_student.png",
            "gates.png"} <= names
    assert all(p.is_file() and p.stat().st_size > 0 for p in written)
    md = (out / "report.md").read_text()
    assert "Fig. 4 — Hessian of the teacher–student loss at the optimum, dense" in md
    for ref in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md):
        assert (out / ref).is_file()
    assert "Lemma 1" in md and "classical.clipping" in md and "exp_normalized" in md


@pytest.mark.slow
def test_lemma_steps_are_the_checked_sympy_objects(content):
    import sympy as sp
    from rnnverify.theory.memory.lemmas import lemma1

    lem = lemma1()
    (first,) = [entry for entry in content.lemmas if entry["name"] == lem.name]
    assert first["statement"].latex == f"{sp.latex(lem.lhs)} = {sp.latex(lem.rhs)}"
    assert len(first["steps"]) == len(lem.steps) and all(s["holds"] for s in first["steps"])


@pytest.mark.slow
def test_html_is_offline_and_self_contained(content, tmp_path):
    build.write_report(content, tmp_path / "rep", ["html"])
    html = (tmp_path / "rep" / "report.html").read_text()
    assert not re.search(r"https?://", html)
    assert "<script" not in html.lower() and "<link" not in html.lower()
    srcs = re.findall(r'src="([^"]+)"', html)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert html.count("<math") >= 3


@pytest.mark.slow
def test_tex_is_a_complete_document(content, tmp_path):
    build.write_report(content, tmp_path / "rep", ["tex"])
    tex = (tmp_path / "rep" / "report.tex").read_text()
    assert tex.startswith(r"\documentclass") and tex.rstrip().endswith(r"\end{document}")
    for env in ("document", "gather*", "enumerate", "figure", "longtable"):
        assert tex.count(rf"\begin{{{env}}}") == tex.count(rf"\end{{{env}}}")
    assert all(ord(ch) < 128 for ch in tex)  # pdflatex-safe


@pytest.mark.slow
def test_interrupted_report_leaves_nothing(content, tmp_path, monkeypatch):
    out = tmp_path / "rep"
    real = Path.write_text

    def failing(self, *args, **kwargs):
        if self.name == "report.html":
            raise KeyboardInterrupt  # interrupted mid-report
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", failing)
    with pytest.raises(KeyboardInterrupt):
        build.write_report(content, out)
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_failed_rewrite_keeps_previous_report(content, tmp_path, monkeypatch):
    out = tmp_path / "rep"
    build.write_report(content, out, ["md"])
    before = (out / "report.md").read_text()
    broken = dataclasses.replace(content, figures=[*content.figures])

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_bytes", boom)
    with pytest.raises(OSError, match="^disk full$"):
        build.write_report(broken, out, ["md"])
    assert (out / "report.md").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]


def test_atomic_write_text_failure_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / "f.txt"
    atomic_write_text(target, "old")

    def no_fsync(fd):
        raise OSError("fsync failed")

    monkeypatch.setattr(os, "fsync", no_fsync)
    with pytest.raises(OSError, match="^fsync failed$"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_atomic_write_gives_the_file_the_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        target = atomic_write_text(tmp_path / "f.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # not mkstemp's 0600


def test_atomic_directory_refuses_a_file(tmp_path):
    f = tmp_path / "x"
    f.write_text("")
    with pytest.raises(ValueError, match="not a directory"):
        with atomic_directory(f):
            pass


def test_copy_curves_found_or_skipped_with_note(tmp_path):
    assert build.find_copy_curves(tmp_path / "missing") == []
    (tmp_path / "r.json").write_text(json.dumps({"runs": [{"model": "lstm",
                                                           "accuracy": [0.1, 0.2]}]}))
    (tmp_path / "bad.json").write_text("{not json")
    (curve,) = build.find_copy_curves(tmp_path)
    assert curve["accuracy"] == [0.1, 0.2] and "lstm" in curve["label"]


@pytest.mark.parametrize("argv", [
    ["--format", "pdf"],
    ["--format", ""],
    ["--from-verify", "/nonexistent/verify.json"],
    ["--seed", "-1"],
    ["--only", "no.such.claim*"],
])
def test_report_cli_bad_input_exits_2_and_writes_nothing(argv, tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["report", "--out", str(out), *argv]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert not out.exists()


def test_report_cli_from_verify_rejects_other_json(tmp_path, capsys):
    bad = tmp_path / "v.json"
    bad.write_text(json.dumps([1, 2]))
    assert main(["report", "--out", str(tmp_path / "rep"), "--from-verify", str(bad)]) == 2
    assert not (tmp_path / "rep").exists()


def test_param_report_written(tmp_path, capsys):
    out = tmp_path / "prep"
    assert main(["check-param", "--preset", "exp_normalized", "--rho", "0,1",
                 "--report", str(out)]) == 0
    html = (out / "report.html").read_text()
    assert "explodes" in html and not re.search(r"https?://", html)
    assert (out / "sensitivity.png").is_file()


def test_gate_figure_data_against_independent_routes():
    """The figure's deterministic line is Lemma 2 times (dλ/dw)² (moment_expr, not the gate
    formulas); its random-gate Monte Carlo point agrees with the random closed form (z-test,
    false-failure rate 1e-6 per quantity); memory grows as w falls; a PNG comes out."""
    import math

    from rnnverify.crosscheck.report import figures as F
    from rnnverify.crosscheck.stats.ztests import z_test
    from rnnverify.theory.memory.moments import moments

    data = F.gate_curves((-1.0, -3.0), (-2.0,), rhos=(0.5,), samples=4000, seed=3)
    (panel,) = data["panels"]
    for w, (mem, d2) in zip((-1.0, -3.0), panel["lines"]["deterministic"], strict=True):
        lam_v = math.exp(-math.exp(w))
        assert mem == pytest.approx(1 / (1 - lam_v), rel=1e-12)
        lemma2 = float(moments(lam_v, autocorr=0.5)["dh2_dlam"]) * (math.exp(w) * lam_v) ** 2
        assert d2 == pytest.approx(lemma2, rel=1e-12)
    mems = [m for m, _ in panel["lines"]["random"]]
    assert mems[1] > mems[0] > 1
    (pt,) = panel["points"]["random"]
    theory = F.GateModel(gate="exp(-exp(w + s*u))", wrt="w", at="w=-2.0,s=1",
                         rho="0.5").closed_form(dps=20)
    res = z_test(pt["estimate"], pt["stderr"], float(theory["dh2_dp"]), alpha=1e-6,
                 bias=1e-6 * float(theory["dh2_dp"]), label="random gate")
    assert res.holds, res.detail
    (sel,) = panel["points"]["selective"]
    assert sel["memory"] == pt["memory"] and sel["stderr"] > 0
    assert F.fig_gates(data)[:8] == b"\x89PNG\r\n\x1a\n"
