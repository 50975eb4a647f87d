"""Collect the report's content from the SymPy objects the checks use, render md/html/tex.

:func:`collect` gathers: Lemmas 1–2 (statement and proof steps of
:mod:`theory.memory.lemmas`, each step re-checked with :func:`theory.memory.lemmas.check_step`),
the closed forms of :func:`theory.memory.moments.moment_expr`, the asymptotics table of
the paper's parametrizations (:func:`crosscheck.commands.check_param.check_parametrization`,
i.e. :func:`theory.params.parametrizations.regimes`), the figures of
:mod:`crosscheck.report.figures`, the verdict table of ``verify``
(:func:`crosscheck.claims.runner.run_claims` or a saved ``verify --json``), and the
run's seed, device and versions.  :func:`write_report` renders the Jinja2
templates and writes every file inside :func:`~crosscheck.report.atomic.atomic_directory`,
so an interrupted run leaves no half-written report.

HTML is self-contained and offline: math is MathML (SymPy's presentation
printer; browsers render it natively, no script), figures are PNG data URIs.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import matplotlib
import mpmath
import numpy
import sympy
import sympy as sp
import torch
from rnnverify.crosscheck.api import verify
from rnnverify.crosscheck.claims.registry import COLUMNS
from rnnverify.crosscheck.commands.check_param import check_parametrization, regime_curve
from rnnverify.crosscheck.commands.hessian import hessian_analysis
from rnnverify.crosscheck.report import figures as F
from rnnverify.crosscheck.report.atomic import atomic_directory
from rnnverify.crosscheck.report.options import FORMATS
from rnnverify.crosscheck.report.options import parse_formats as parse_formats
from rnnverify.crosscheck.report.options import validate_out_dir as validate_out_dir
from rnnverify.theory.memory.autocorr import ar1
from rnnverify.theory.memory.lemmas import ALL_LEMMAS, check_step
from rnnverify.theory.memory.moments import moment_expr
from rnnverify.theory.symbols import lam
from sympy.printing.mathml import MathMLPresentationPrinter

TEMPLATES = Path(__file__).with_name("templates")


# --------------------------------------------------------------------------- math
@dataclass
class Math:
    """One formula in the three renderings (LaTeX for md/tex, MathML for html)."""

    latex: str
    mathml: str
    lhs_latex: str = ""
    rhs_latex: str = ""

    @property
    def tex_block(self) -> str:
        """Display math for the LaTeX report: ``lhs`` and ``= rhs`` on their own lines, each
        shrunk to the text width when too wide (macro ``\\fiteq`` of the template)."""
        if self.lhs_latex:
            return (f"\\begin{{gather*}}\\fiteq{{{self.lhs_latex}}}\\\\\n"
                    f"= \\fiteq{{{self.rhs_latex}}}\\end{{gather*}}")
        return f"\\begin{{gather*}}\\fiteq{{{self.latex}}}\\end{{gather*}}"

    @classmethod
    def of(cls, expr: Any, lhs: Any = None, *, lam_as: str = "lambda") -> Math:
        """Render ``expr`` (``lhs = expr`` when ``lhs`` is given); the symbol ``lam`` is shown
        as λ (or as ν with ``lam_as="nu"``, for the modulus of a complex eigenvalue)."""

        shown = sp.Symbol(lam_as, real=True)
        expr = sp.sympify(expr).subs(lam, shown)
        lhs = None if lhs is None else sp.sympify(lhs).subs(lam, shown)
        if lhs is not None:
            latex = f"{sp.latex(lhs)} = {sp.latex(expr)}"
            mathml = _mathml(lhs) + "<mo>=</mo>" + _mathml(expr)
            return cls(latex, f'<math display="block">{mathml}</math>', sp.latex(lhs),
                       sp.latex(expr))
        latex, mathml = sp.latex(expr), _mathml(expr)
        return cls(latex, f'<math display="block">{mathml}</math>')


def _presentation_printer():
    """SymPy's MathML presentation printer, printing every limit of a multiple Sum.

    (SymPy 1.14 prints only the first limit of ``Sum(f, (n, ..), (m, ..))``.)
    """

    class Printer(MathMLPresentationPrinter):
        def _print_Sum(self, e):  # noqa: N802 - SymPy's naming
            if len(e.limits) == 1:
                return super()._print_Sum(e)
            var, lo, hi = e.limits[-1]  # the outermost sum
            sub = self.dom.createElement("munderover")
            op = self.dom.createElement("mo")
            op.appendChild(self.dom.createTextNode("&#x2211;"))
            low = self.dom.createElement("mrow")
            eq = self.dom.createElement("mo")
            eq.appendChild(self.dom.createTextNode("="))
            for child in (self._print(var), eq, self._print(lo)):
                low.appendChild(child)
            for child in (op, low, self._print(hi)):
                sub.appendChild(child)
            row = self.dom.createElement("mrow")
            row.appendChild(sub)
            row.appendChild(self._print(sp.Sum(e.function, *e.limits[:-1])))
            return row

    return Printer


def _mathml(expr: Any) -> str:
    try:
        printer = _presentation_printer()()
        return f"<mrow>{printer.doprint(sp.sympify(expr))}</mrow>"
    except Exception:  # noqa: BLE001 - a printer gap must not break the report
        return f"<mtext>{_escape(sp.sstr(expr))}</mtext>"


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --------------------------------------------------------------------------- content
@dataclass
class Figure:
    name: str
    caption: str
    png: bytes

    @property
    def file(self) -> str:
        return f"{self.name}.png"

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass
class ReportContent:
    title: str
    meta: dict[str, Any]
    lemmas: list[dict[str, Any]] = field(default_factory=list)
    closed_forms: list[dict[str, Any]] = field(default_factory=list)
    asymptotics: list[dict[str, Any]] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    verify_summary: str = ""
    param: dict[str, Any] | None = None


def versions() -> dict[str, str]:
    return {"python": platform.python_version(), "sympy": sympy.__version__,
            "mpmath": mpmath.__version__, "numpy": numpy.__version__,
            "torch": torch.__version__, "matplotlib": matplotlib.__version__,
            "platform": platform.platform()}


def lemma_section(points: int = 2, seed: int = 0) -> list[dict[str, Any]]:
    """Lemmas 1–2: statement, hypotheses and each proof step with its check."""

    out = []
    for key in ("lemma1", "lemma2"):
        lem = ALL_LEMMAS[key]()
        steps = []
        for i, step in enumerate(lem.steps):
            chk = check_step(step, finite=lem.finite, points=points, seed=seed + i)
            how = ("exact (SymPy)" if chk.exact else
                   "numeric only" if chk.exact is None else "exact check FAILED")
            steps.append({"math": Math.of(step.rhs, step.lhs), "why": step.justification,
                          "holds": chk.holds, "how": how,
                          "max_rel_error": f"{chk.max_rel_error:.1e}", "detail": chk.detail})
        out.append({"name": lem.name, "source": lem.source, "hypotheses": lem.hypotheses,
                    "statement": Math.of(lem.rhs, lem.lhs), "steps": steps})
    return out


def closed_form_section() -> list[dict[str, Any]]:
    """Stationary E[h²], E[(d_λh)²] for R(k) = ρ^|k| (real λ) and E|h|² (complex λ)."""

    rows = []
    specs = [
        ("E[h²], real λ, R(k) = ρ^|k|", "h2", False, r"\mathbb{E}[h^2]"),
        ("E[(dh/dλ)²], real λ, R(k) = ρ^|k|", "dh2_dlam", False,
         r"\mathbb{E}[(d_\lambda h)^2]"),
        ("E|h|², complex λ = ν e^{iθ}", "h2", True, r"\mathbb{E}|h|^2"),
    ]
    for label, q, cplx, lhs_tex in specs:
        e = moment_expr(q, ar1(), complex_lambda=cplx)
        e = sp.factor(sp.simplify(e)) if not cplx else sp.simplify(e)
        m = Math.of(e, lam_as="nu" if cplx else "lambda")
        rows.append({"label": label, "lhs_tex": lhs_tex,
                     "math": Math(f"{lhs_tex} = {m.latex}", m.mathml, lhs_tex, m.latex),
                     "sympy": sp.sstr(e)})
    return rows


#: preset rows of the asymptotics table: (preset, parameter, rhos); quick keeps real ones
ASYMPTOTIC_ROWS_QUICK: tuple[tuple[str, str, tuple[float, ...]], ...] = (
    ("identity", "lam", (0.0, 0.5, 1.0)),
    ("identity_normalized", "lam", (0.0, 0.5, 1.0)),
    ("exp", "omega_nu", (0.0, 0.5, 1.0)),
    ("exp_normalized", "omega_nu", (0.0, 0.5, 0.9, 1.0)),
    ("tanh_optimal_normalized", "omega_nu", (0.0,)),
)
ASYMPTOTIC_ROWS_FULL = ASYMPTOTIC_ROWS_QUICK + (
    ("lru_normalized", "omega_nu", (0.0,)),
    ("lru_normalized", "omega_theta", (0.0,)),
    ("tanh_optimal_normalized", "omega_theta", (0.0,)),
    ("polar", "theta", (0.0, 1.0)),
)


def asymptotics_section(rows: Sequence[tuple[str, str, Sequence[float]]]
                        ) -> list[dict[str, Any]]:
    """Order and coefficient of E|d_P h|² per preset and ρ (docs/theory.md §4)."""

    out = []
    for name, wrt, rhos in rows:
        chk = check_parametrization(preset=name, wrt=wrt, rhos=rhos)
        j = chk.to_json()
        for r in j["regimes"]:
            out.append({"preset": name, "wrt": wrt, "gamma": j["gamma"] or "1",
                        "rho": r["rho"], "order": r["order"],
                        "coefficient": r["coefficient_exact"],
                        "bounded": "bounded" if r["bounded"] else "explodes"})
    return out


def find_copy_curves(results_dir: Path) -> list[dict[str, Any]]:
    """Copy-task curves (dicts with an ``accuracy`` list) in ``results_dir``/*.json."""
    curves: list[dict[str, Any]] = []
    if not results_dir.is_dir():
        return curves
    for path in sorted(results_dir.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        stack = [data]
        while stack:
            obj = stack.pop()
            if isinstance(obj, dict):
                acc = obj.get("accuracy")
                if isinstance(acc, list) and acc and all(isinstance(a, (int, float))
                                                        for a in acc):
                    curves.append({"accuracy": [float(a) for a in acc],
                                   "label": f"{obj.get('model', '?')} ({path.name})"})
                else:
                    stack.extend(obj.values())
            elif isinstance(obj, list):
                stack.extend(obj)
    return curves


def verdict_rows(verify_json: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for c in verify_json.get("claims", []):
        cols = c.get("columns", {})
        rows.append({"id": c["id"], "title": c.get("title", ""), "source": c.get("source", ""),
                     **{k: cols.get(k, {}).get("status", "n/a")
                        for k in COLUMNS},
                     "verdict": "holds" if c.get("holds") else "FAILS"})
    return rows


def run_verify(mode: str, seed: int, device: str, only: str | None = None,
               columns: Sequence[str] | None = None, jobs: int = 1) -> dict[str, Any]:
    """``rnnverify verify --json`` in-process (:func:`rnnverify.crosscheck.api.verify`;
    ``jobs`` worker processes)."""
    return verify(mode == "quick", only=only, seed=seed, device=device,
                  columns=tuple(columns) if columns else COLUMNS, jobs=jobs).to_dict()


@dataclass(frozen=True)
class Budget:
    """Sizes of the expensive parts (quick for tests/CI, full for the real report)."""

    curve_points: int
    mc_samples: int
    mc_lams: tuple[float, ...]
    dizzy_hidden: int
    dizzy_steps: int
    lemma_points: int
    rows: tuple[tuple[str, str, tuple[float, ...]], ...]


BUDGETS: dict[str, Budget] = {
    "quick": Budget(120, 20_000, (0.5, 0.7, 0.8, 0.9, 0.95), 32, 1000, 2, ASYMPTOTIC_ROWS_QUICK),
    "full": Budget(300, 200_000, (0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.97), 64, 10_000, 3,
                   ASYMPTOTIC_ROWS_FULL),
}


#: sizes of the gate figure (figures.gate_curves): w of the closed-form lines, w of the Monte
#: Carlo points, chains per point
GATE_FIGURE = {
    "quick": {"ws_theory": (-0.5, -1.0, -1.5, -2.0, -2.5, -3.0, -3.5, -4.0, -4.5),
              "ws_mc": (-1.0, -2.5, -4.0), "samples": 4000},
    "full": {"ws_theory": tuple(-0.25 * k for k in range(1, 25)),
             "ws_mc": (-1.0, -2.0, -3.0, -4.0, -5.0), "samples": 40_000},
}


#: the teacher of the report's Fig. 4 heatmaps (Zucchet & Orvieto 2024, §4.3)
HESSIAN_FIGURE = {"hidden": 4, "nu0": "0.99"}


def hessian_figures() -> list[Figure]:
    """Fig. 4: the Hessian at the optimum for the dense and the complex diagonal network,
    by the oracle (Lyapunov) route, with the symbolic route's agreement for the diagonal."""
    figures = []
    for model in ("dense", "diagonal"):
        r = hessian_analysis(model, HESSIAN_FIGURE["hidden"], HESSIAN_FIGURE["nu0"],
                             mc_samples=0)
        agree = r["agreement"]["symbolic_vs_oracle"]
        routes = ("Lyapunov oracle; symbolic (Lemma 1 cross-moments) agrees to "
                  f"{agree:.1e}" if agree is not None else "Lyapunov oracle")
        figures.append(Figure(
            f"hessian_{model}",
            f"Fig. 4 — Hessian of the teacher–student loss at the optimum, {model} linear "
            f"recurrent network, N = {r['hidden']}, ν₀ = {r['nu0']}, white input ({routes}): "
            f"condition number on the range {r['condition_number']:.3g}, after Adam-like "
            f"diagonal preconditioning {r['preconditioned_condition_number']:.3g} "
            f"({r['null_dimension']} null directions, the network's invariances).",
            F.fig_hessian(r)))
    return figures


def collect(*, mode: str = "quick", seed: int = 0, device: str = "cpu",
            verify_json: dict[str, Any] | None = None,
            results_dir: Path | str = "benchmarks/results",
            progress: Callable[[str], None] | None = None) -> ReportContent:
    """Everything the report shows; ``verify_json`` = output of ``verify --json`` (or None)."""

    if mode not in BUDGETS:
        raise ValueError(f"mode must be one of {', '.join(BUDGETS)}, got {mode!r}")
    b = BUDGETS[mode]
    say = progress or (lambda _msg: None)
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    content = ReportContent(
        "rnnverify derivation report",
        {"generated": now, "mode": mode, "seed": seed, "device": device, **versions()})
    say("lemmas")
    content.lemmas = lemma_section(points=b.lemma_points, seed=seed)
    say("closed forms")
    content.closed_forms = closed_form_section()
    say("asymptotics")
    content.asymptotics = asymptotics_section(b.rows)
    say("figures")
    content.figures.append(Figure("fig1a", "Fig. 1A — stationary E[(dh/dλ)²] vs −log10(1−λ) for "
                                  "ρ ∈ {0, 0.9, 0.99, 0.999, 1} (dashed: E[h²] at ρ = 1).",
                                  F.fig1a(b.curve_points)))
    content.figures.append(Figure("fig2", "Fig. 2 — normalization γ = √(1−λ²) (held constant) "
                                  "and reparametrization λ = exp(−exp(ν)): bounded for ρ < 1, "
                                  "divergent at ρ = 1.", F.fig2(b.curve_points)))
    mc = F.mc_grid(b.mc_lams, 0.5, b.mc_samples, seed=seed, device=device)
    content.meta["mc"] = {k: v for k, v in mc.items() if k != "points"}
    content.figures.append(Figure(
        "mc_vs_theory", f"Monte Carlo E[(dh/dλ)²] (ρ = 0.5, {mc['samples']} chains, seed {seed}) "
        "with 95 % confidence bars over the Lemma 2 closed form; lower panel: relative "
        "deviation with each point's own 95 % interval.", F.fig_mc(mc, b.curve_points)))
    dz = F.dizzy_curves(b.dizzy_hidden, b.dizzy_steps, seed=seed)
    content.figures.append(Figure(
        "dizzy_gradnorm", f"DizzyRNN gradient norm vs lag (n = {b.dizzy_hidden}, "
        f"T = {b.dizzy_steps}): flat (Theorem 3), while tanh and ReLU with the same "
        "orthogonal R vanish geometrically.", F.fig_dizzy(dz)))
    say("random and selective gates")
    gates = F.gate_curves(**GATE_FIGURE[mode], seed=seed, device=device)
    content.figures.append(Figure(
        "gates", "Random and selective gates (docs/theory.md §10): E (d_w h)² against the mean "
        "memory 1/(1 − E λ) for λ_t = exp(−exp(w)) (deterministic), exp(−exp(w + u_t)) "
        "(random, u_t i.i.d. N(0, 1)) and exp(−exp(w + x_t)) (selective: the same law, drawn "
        "from the input itself). Lines: closed forms; points: Monte Carlo, "
        f"{gates['samples']} chains each, 95 % bars (seed {seed}). The selective gate has no "
        "closed form; its burn-in bias is bounded only at ρ = 0.", F.fig_gates(gates)))
    say("Hessian at the optimum")
    content.figures.extend(hessian_figures())
    teacher = Path(results_dir) / "teacher_student.json"
    if teacher.is_file():
        doc = json.loads(teacher.read_text(encoding="utf-8"))
        content.figures.append(Figure(
            "teacher_student", "Fig. 3A (reduced protocol) — teacher–student final loss against "
            f"ν₀, LRU vs dense RNN, best learning rate, mean ± s.e. over {doc['seeds']} seeds "
            f"(from {teacher}; `python benchmarks/bench_teacher_student.py`).",
            F.fig_teacher_student(doc)))
    else:
        content.notes.append(f"Teacher–student (Fig. 3A): no {teacher} (run "
                             "`python benchmarks/bench_teacher_student.py`); figure skipped.")
    signal = Path(results_dir) / "signal_prop.json"
    if signal.is_file():
        doc = json.loads(signal.read_text(encoding="utf-8"))
        content.figures.append(Figure(
            "signal_propagation", "Fig. 5 (reduced) — signal propagation at initialization: "
            "mean squared layer outputs (A), mean squared gradients per parameter group (B), "
            f"the cRNN with and without layer normalization (C); {doc['layers']} layers, "
            f"{doc['steps']} steps, {doc['seeds']} initializations, synthetic Fig. 12 inputs "
            f"(from {signal}; `rnnverify signal-prop --json`).", F.fig5(doc)))
    else:
        content.notes.append(f"Signal propagation (Fig. 5): no {signal} (save the output of "
                             "`rnnverify signal-prop --json` there); figure skipped.")
    curves = find_copy_curves(Path(results_dir))
    if curves:
        content.figures.append(Figure("copy_task", "Copy task: test accuracy per epoch "
                                      f"(from {results_dir}/*.json).", F.fig_copy(curves)))
    else:
        content.notes.append(f"Copy-task curves: none found in {results_dir}/*.json "
                             "(run `rnnverify copy-task --json` and save the output there); "
                             "figure skipped.")
    if verify_json is not None:
        say("verdicts")
        content.verdicts = verdict_rows(verify_json)
        n_ok = sum(r["verdict"] == "holds" for r in content.verdicts)
        content.verify_summary = (
            f"{n_ok}/{len(content.verdicts)} claims hold (mode {verify_json.get('mode')}, "
            f"seed {verify_json.get('seed')}, device {verify_json.get('device')}, "
            f"{verify_json.get('seconds')} s; suite false-failure rate "
            f"{verify_json.get('suite_false_failure_rate')}).")
    else:
        content.notes.append("Verdict table: not run (pass --from-verify FILE, "
                             "or omit --no-verify).")
    return content


# --------------------------------------------------------------------------- render
def _env(kind: str):
    if kind == "tex":
        return jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False,
            block_start_string="((*", block_end_string="*))",
            variable_start_string="(((", variable_end_string=")))",
            comment_start_string="((#", comment_end_string="#))",
            trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                              autoescape=(kind == "html"), trim_blocks=True,
                              lstrip_blocks=True, undefined=jinja2.StrictUndefined)


_TEX_ESCAPES = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
                "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                "\\": r"\textbackslash{}"}
_TEX_UNICODE = {"λ": r"$\lambda$", "ρ": r"$\rho$", "θ": r"$\theta$", "ν": r"$\nu$",
                "γ": r"$\gamma$", "α": r"$\alpha$", "β": r"$\beta$", "Δ": r"$\Delta$",
                "ε": r"$\varepsilon$", "ω": r"$\omega$", "Σ": r"$\Sigma$", "ℂ": r"$\mathbb{C}$",
                "ℤ": r"$\mathbb{Z}$", "≥": r"$\geq$", "≤": r"$\leq$", "−": "-", "→": r"$\to$",
                "∈": r"$\in$", "√": r"$\surd$", "²": r"$^2$", "³": r"$^3$", "·": r"$\cdot$",
                "≠": r"$\neq$", "∞": r"$\infty$", "—": "---", "–": "--", "×": r"$\times$",
                "⁻": r"$^{-}$", "¹": r"$^1$", "ᵀ": r"$^T$", "∂": r"$\partial$", "‖": r"$\|$",
                "±": r"$\pm$", "<": r"$<$", ">": r"$>$", "≈": r"$\approx$", "|": r"$|$",
                "§": r"\S{}", "✔": "ok",
                "✘": "FAIL", "₁": r"$_1$", "₀": r"$_0$"}


def tex_escape(text: Any) -> str:
    """Escape plain text for LaTeX (special characters and the Greek/math symbols we use)."""
    out = []
    for ch in str(text):
        if ch in _TEX_ESCAPES:
            out.append(_TEX_ESCAPES[ch])
        elif ch in _TEX_UNICODE:
            out.append(_TEX_UNICODE[ch])
        elif ord(ch) < 128:
            out.append(ch)
        else:
            out.append("?")
    return "".join(out)


def render(content: ReportContent, kind: str) -> str:
    env = _env(kind)
    env.filters["tex"] = tex_escape
    return env.get_template(f"report.{kind}.j2").render(c=content)


def write_report(content: ReportContent, out: str | Path, formats: Sequence[str] = FORMATS,
                 *, extra_json: dict[str, Any] | None = None) -> list[Path]:
    """Render ``content`` into ``out`` atomically; returns the files written (final paths)."""
    out = validate_out_dir(out)
    rendered = {k: render(content, k) for k in formats}  # render before touching the disk
    written = []
    with atomic_directory(out) as tmp:
        for fig in content.figures:
            (tmp / fig.file).write_bytes(fig.png)
            written.append(out / fig.file)
        for kind, text in rendered.items():
            (tmp / f"report.{kind}").write_text(text, encoding="utf-8")
            written.append(out / f"report.{kind}")
        data = {"meta": content.meta, "asymptotics": content.asymptotics,
                "verdicts": content.verdicts, **(extra_json or {})}
        (tmp / "report.json").write_text(json.dumps(data, indent=2, default=str),
                                         encoding="utf-8")
        written.append(out / "report.json")
    return written


def write_param_report(check: Any, out: str | Path, formats: Sequence[str] = FORMATS,
                       ) -> list[Path]:
    """A report for one ``check-param`` result: sensitivity, regimes, Monte Carlo, figure."""
    j = check.to_json()
    content = ReportContent(f"check-param: {j['parametrization']}",
                            {"generated": _dt.datetime.now(_dt.timezone.utc).strftime(
                                "%Y-%m-%d %H:%M UTC"), **versions()})
    content.param = {
        "json": j,
        "sensitivity": Math.of(check.sensitivity,
                               lam_as="nu" if check.setup.is_complex else "lambda"),
        "chain": Math.of(check.chain_factor),
        "regimes": j["regimes"],
        "mc": j["mc"],
    }
    curves = []
    for r in check.regimes:
        if isinstance(r.rho, str):
            continue
        label, xs, ys = regime_curve(check, r, [0.25 * i for i in range(1, 17)])
        if xs:
            curves.append((f"ρ = {sp.sstr(r.rho)} ({label})", xs, ys))
    if curves:
        content.figures.append(Figure("sensitivity", f"E|dh/d{j['wrt']}|² vs −log10(1−|λ|) "
                                      "per regime along its worst path (free parameters 3/10).",
                                      F.fig_param_regimes(curves, j["wrt"])))
    return write_report(content, out, formats, extra_json={"check_param": j})
