"""Figures of the derivation report (matplotlib, Agg backend; PNG bytes).

Every curve is computed from the SymPy expressions the checks use
(:func:`theory.memory.moments.moment_expr`,
:func:`theory.params.parametrizations.sensitivity_expr`),
lambdified once; Monte Carlo points come from :mod:`numerics.memory.engine`.

* :func:`fig1a` — E[(d_λh)²] vs λ for ρ ∈ {0, 0.9, 0.99, 0.999, 1}, x-axis
  −log10(1−λ) (Zucchet & Orvieto 2024, Fig. 1A; docs/theory.md §3.2);
* :func:`fig2` — normalized γ²E[h²] and normalized + exp-reparametrized
  γ²(λ ln λ)²E[(d_λh)²], γ = √(1−λ²) decoupled, λ = exp(−exp(ν)) (Fig. 2; §3.1–3.4);
* :func:`fig_mc` — Monte Carlo E[(d_λh)²] with 95 % confidence bars over theory;
* :func:`fig_dizzy` — DizzyRNN ‖∂L/∂h_t‖ vs lag against tanh and ReLU;
* :func:`fig_copy` — copy-task test accuracy per epoch from saved JSON curves;
* :func:`fig_param_regimes` — a user parametrization's E|d_P h|² per regime;
* :func:`fig_teacher_student` — final loss vs ν₀, LRU and dense RNN (Fig. 3A, reduced);
* :func:`fig_hessian` — log10 |H| at the optimum of the teacher–student loss, raw and
  after Adam-like diagonal preconditioning (Fig. 4; ``rnnverify hessian``);
* :func:`fig1bc`, :func:`fig6` — the 1-D teacher–student loss landscapes (Figs. 1B/C) and
  the normalized loss and its Hessian in three parametrizations (Fig. 6);
* :func:`fig3b` — the ablation from the dense RNN to the LRU (Fig. 3B, reduced);
* :func:`fig8` — log10 |S(λ, λ', ρ)| of the cross-moment of sensitivities (Fig. 8);
* :func:`fig12`, :func:`fig14`, :func:`fig15` — the GRU figures: the fitted input
  autocorrelation, the recurrent Jacobian ∂h_Δ/∂h_0 against Δ, and the measured / predicted
  moments of ``gru-gates`` against the timescale;
* :func:`gate_curves`, :func:`fig_gates` — E (d_w h)² against the mean memory 1/(1 − E λ)
  for a deterministic, a random and a selective gate λ_t = exp(−exp(w + ·)) (docs/theory.md
  §10): closed forms as lines, Monte Carlo as points with 95 % bars;
* :func:`fig5` — signal propagation at initialization from an ``rnnverify signal-prop``
  document: mean squared layer outputs (Fig. 5A), mean squared gradients per parameter group
  (Fig. 5B) and the cRNN with and without layer normalization (Fig. 5C).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import math

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import sympy as sp
from rnnverify.crosscheck.model.gates import GateModel
from rnnverify.numerics.dizzy.gradnorm import dizzy_gradient_norms
from rnnverify.numerics.memory.montecarlo import simulate_moments
from rnnverify.theory.memory.autocorr import ar1
from rnnverify.theory.memory.moments import moment_expr, moments
from rnnverify.theory.params.parametrizations import preset, sensitivity_expr
from rnnverify.theory.symbols import lam, rho

FIG1_RHOS: tuple[float, ...] = (0.0, 0.9, 0.99, 0.999, 1.0)
_DPI = 110


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _lambdified(expr: Any):
    return sp.lambdify((lam, rho), expr, modules="numpy")


def _lam_grid(points: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(0.0, 4.0, points)[1:]  # −log10(1−λ) ∈ (0, 4]
    return x, 1.0 - 10.0 ** (-x)


def fig1a(points: int = 200, rhos: Sequence[float] = FIG1_RHOS) -> bytes:
    """Fig. 1A: E[(d_λh)²] (stationary, unnormalized) vs −log10(1−λ), one curve per ρ."""

    dh2 = _lambdified(moment_expr("dh2_dlam", ar1()))
    h2 = _lambdified(moment_expr("h2", ar1()))
    x, lams = _lam_grid(points)
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    cmap = plt.get_cmap("viridis")
    for i, r in enumerate(rhos):
        ax.plot(x, dh2(lams, r), color=cmap(i / max(1, len(rhos) - 1)), label=f"ρ = {r:g}")
    ax.plot(x, h2(lams, 1.0), color="0.6", ls="--", label="E[h²], ρ = 1")
    ax.set_yscale("log")
    ax.set_xlabel("−log₁₀(1 − λ)")
    ax.set_ylabel("E[(d$_λ$h)²]")
    ax.set_title("Fig. 1A: sensitivity explodes as λ → 1")
    ax.grid(alpha=0.3, which="both", lw=0.4)
    ax.legend(fontsize=8, title="input correlation", title_fontsize=8)
    return _png(fig)


def fig2(points: int = 200, rhos: Sequence[float] = FIG1_RHOS) -> bytes:
    """Fig. 2: normalization γ = √(1−λ²) (decoupled) and the reparametrization λ = exp(−exp(ν)).

    Left: γ²E[h²]; right: γ²(∂λ/∂ν)²E[(d_λh)²] = E[(d_ν h)²] for the
    ``exp_normalized`` preset — both bounded for ρ < 1, divergent at ρ = 1.
    """

    h2n = _lambdified(moment_expr("h2", ar1(), gamma=sp.sqrt(1 - lam**2)))
    dnu = _lambdified(sensitivity_expr(preset("exp_normalized"), "omega_nu", ar1()))
    x, lams = _lam_grid(points)
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.8))
    cmap = plt.get_cmap("viridis")
    for i, r in enumerate(rhos):
        c = cmap(i / max(1, len(rhos) - 1))
        axes[0].plot(x, h2n(lams, r), color=c, label=f"ρ = {r:g}")
        axes[1].plot(x, dnu(lams, r), color=c, label=f"ρ = {r:g}")
    axes[0].set_title("normalized: γ²E[h²]")
    axes[1].set_title("normalized + exp: E[(d$_ν$h)²], λ = exp(−exp(ν))")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_xlabel("−log₁₀(1 − λ)")
        ax.grid(alpha=0.3, which="both", lw=0.4)
    axes[0].legend(fontsize=8)
    fig.suptitle("Fig. 2: γ = √(1−λ²) held constant; bounded iff ρ < 1", fontsize=10)
    return _png(fig)


def mc_grid(lams: Sequence[float], rho: float, samples: int, seed: int = 0,
            device: str = "cpu") -> dict[str, Any]:
    """Monte Carlo E[(d_λh)²] ± stderr on a λ-grid (shared input stream) and theory values."""

    res = simulate_moments(list(lams), rho=rho, n_samples=samples, seed=seed, device=device)
    rows = []
    for lam_v, pt in zip(lams, res.points, strict=True):
        est = pt.quantities["dh2_dlam"]
        theory = float(moments(lam_v, autocorr=rho)["dh2_dlam"])
        rows.append({"lam": lam_v, "estimate": est.estimate, "stderr": est.stderr,
                     "theory": theory, "z": (est.estimate - theory) / est.stderr})
    return {"rho": rho, "samples": res.n_samples, "steps": res.steps, "seed": seed,
            "seconds": res.seconds, "points": rows}


def fig_mc(data: dict[str, Any], points: int = 200) -> bytes:
    """Monte Carlo estimates with each point's 95 % confidence bar (±1.96 stderr) over the
    theory curve, and the relative deviations with the same per-point intervals."""

    dh2 = _lambdified(moment_expr("dh2_dlam", ar1()))
    rows = data["points"]
    lam_pts = np.array([r["lam"] for r in rows])
    est = np.array([r["estimate"] for r in rows])
    se = np.array([r["stderr"] for r in rows])
    th = np.array([r["theory"] for r in rows])
    grid = np.linspace(lam_pts.min() * 0.98, min(lam_pts.max() * 1.005, 0.999), points)
    fig, (ax, axr) = plt.subplots(2, 1, figsize=(6.0, 5.2), sharex=True,
                                  gridspec_kw={"height_ratios": [3, 1.3]})
    ax.plot(grid, dh2(grid, data["rho"]), color="k", lw=1.2, label="theory (Lemma 2)")
    ax.errorbar(lam_pts, est, yerr=1.96 * se, fmt="o", ms=4, color="C3", capsize=3,
                label="Monte Carlo, 95 % CI")
    ax.set_yscale("log")
    ax.set_ylabel("E[(d$_λ$h)²]")
    ax.set_title(f"Monte Carlo over theory (ρ = {data['rho']:g}, "
                 f"{data['samples']} samples × {data['steps']} steps)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both", lw=0.4)
    rel = est / th - 1
    # each point's own 95 % interval (its standard error), not a band drawn between points
    half = 1.96 * se / th
    axr.errorbar(lam_pts, rel, yerr=half, fmt="o", ms=4, color="C3", capsize=3,
                 label="MC / theory − 1, own 95 % CI")
    axr.axhline(0, color="k", lw=0.8)
    axr.set_ylabel("MC / theory − 1")
    axr.set_xlabel("λ")
    axr.legend(fontsize=7, loc="upper left")
    axr.grid(alpha=0.3, lw=0.4)
    return _png(fig)


def dizzy_curves(hidden: int, steps: int, seed: int = 0) -> dict[str, list[float]]:
    """log10 ‖∂L/∂h_t‖ vs lag T − t for DizzyRNN (abs), tanh and ReLU with the same R."""


    out: dict[str, list[float]] = {}
    for nl in ("abs", "tanh", "relu"):
        r = dizzy_gradient_norms(hidden=hidden, steps=steps, nonlinearity=nl, seed=seed)
        logs = np.asarray(r.log_grad_norms, dtype=float)[::-1]  # index = lag T − t
        out[nl] = [float(v / math.log(10)) for v in logs]
    return out


def fig_dizzy(curves: dict[str, list[float]]) -> bytes:
    """Gradient norm vs lag: DizzyRNN stays flat (Theorem 3), tanh and ReLU vanish."""
    labels = {"abs": "DizzyRNN (abs)", "tanh": "tanh, same R", "relu": "ReLU, same R"}
    fig, ax = plt.subplots(figsize=(6.0, 3.8))
    for nl, ys in curves.items():
        ys_arr = np.asarray(ys)
        ok = np.isfinite(ys_arr)
        ax.plot(np.arange(len(ys_arr))[ok], ys_arr[ok], label=labels.get(nl, nl))
    ax.set_xlabel("lag T − t")
    ax.set_ylabel("log₁₀ ‖∂L/∂h$_t$‖")
    ax.set_title("Gradient norm vs lag (orthogonal R)")
    ax.grid(alpha=0.3, lw=0.4)
    ax.legend(fontsize=8)
    return _png(fig)


def fig_copy(curves: Sequence[dict[str, Any]]) -> bytes:
    """Copy-task test accuracy per epoch, one line per saved run."""
    fig, ax = plt.subplots(figsize=(6.0, 3.8))
    for c in curves:
        acc = c["accuracy"]
        ax.plot(np.arange(1, len(acc) + 1), acc, label=c.get("label", c.get("model", "?")))
    ax.axhline(0.99, color="0.5", ls=":", lw=0.8)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Copy task (10 symbols, lag 90)")
    ax.grid(alpha=0.3, lw=0.4)
    ax.legend(fontsize=8)
    return _png(fig)


def fig_param_regimes(curves: Sequence[tuple[str, Sequence[float], Sequence[float]]], wrt: str
                      ) -> bytes:
    """E|d_P h|² vs −log10(1−|λ|) for each regime of a checked parametrization, one curve
    (label, xs, values) per regime, computed along a limit path of the parametrization."""
    fig, ax = plt.subplots(figsize=(6.0, 3.8))
    for label, xs, ys in curves:
        ax.plot(list(xs), list(ys), label=label)
    ax.set_yscale("log")
    ax.set_xlabel("−log₁₀(1 − |λ|)")
    ax.set_ylabel(f"E|d$_{{{wrt}}}$h|²")
    ax.grid(alpha=0.3, which="both", lw=0.4)
    ax.legend(fontsize=8)
    return _png(fig)


def fig_hessian(result: dict[str, Any], fmt: str = "png") -> bytes:
    """Fig. 4-style heatmaps of an ``rnnverify hessian`` document: log10 |H| and
    log10 |D^½ H D^½| with D = diag(H)^−½ (Adam-like preconditioning)."""
    H = np.abs(np.array(result["hessian"]))
    d = np.diag(H)
    scale = np.where(d > 0, d, 1.0) ** -0.25
    Hp = H * scale[:, None] * scale[None, :]
    names = result["parameters"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 5))
    for ax, M, title in ((axes[0], H, "|H| at the optimum"),
                         (axes[1], Hp, "|D^½ H D^½|, D = diag(H)^−½ (Adam-like)")):
        with np.errstate(divide="ignore"):
            im = ax.imshow(np.log10(np.where(M > 0, M, np.nan)), cmap="viridis")
        ax.set_title(title, fontsize=10)
        if len(names) <= 30:
            ax.set_xticks(range(len(names)), names, rotation=90, fontsize=6)
            ax.set_yticks(range(len(names)), names, fontsize=6)
        fig.colorbar(im, ax=ax, shrink=0.8, label="log10")
    fig.suptitle(f"{result['model']}, N = {result['hidden']}, ν₀ = {result['nu0']}, "
                 f"ρ = {result['rho']}: κ = {result['condition_number']:.3g}, "
                 f"preconditioned κ = {result['preconditioned_condition_number']:.3g}")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=120)
    plt.close(fig)
    return buf.getvalue()


def fig3a_x(nu0: float) -> float:
    """The paper's x-position of ν₀ in Fig. 3A: 6 − log₂(100(1 − ν₀))."""
    return 6.0 - math.log2(100.0 * (1.0 - nu0))


def fig_teacher_student(doc: dict[str, Any]) -> bytes:
    """Fig. 3A (reduced): final loss of a ``teacher-student`` document (best lr, mean ± s.e.
    over seeds) against ν₀ for the LRU and the dense RNN, log scale."""
    fig, ax = plt.subplots(figsize=(4.5, 3.4))
    for model, label, color in (("lru", "LRU", "tab:blue"), ("dense", "dense RNN", "tab:red")):
        rows = [r for r in doc["rows"] if r["model"] == model and r["final_loss_mean"] is not None
                and math.isfinite(r["final_loss_mean"])]
        if not rows:
            continue
        xs = [fig3a_x(r["nu0"]) for r in rows]
        ax.errorbar(xs, [r["final_loss_mean"] for r in rows],
                    yerr=[r["final_loss_stderr"] for r in rows], marker="o", label=label,
                    color=color, capsize=3)
    ticks = sorted({r["nu0"] for r in doc["rows"]})
    ax.set_xticks([fig3a_x(v) for v in ticks], [f"{v:g}" for v in ticks])
    ax.set_yscale("log")
    ax.set_xlabel("ν₀ (teacher eigenvalue moduli in [ν₀, 1))")
    ax.set_ylabel("final loss")
    p = doc["protocol"]
    ax.set_title(f"teacher–student ({p['name']}: {p['steps']} steps, {doc['seeds']} seeds)",
                 fontsize=9)
    ax.legend()
    fig.tight_layout()
    return _png(fig)


# ------------------------------------------------------------------ §4–5 network figures
def fig1bc(points: int = 400, teachers: Sequence[str] | None = None) -> bytes:
    """Figs. 1B/C: the 1-D teacher–student loss L(λ, λ*) (white input, μ = 0, σ = 1) of
    :func:`theory.memory.loss1d.loss_expr` — B: real λ ∈ [0, 1); C: λ = λ* e^{iθ} on the circle
    of radius λ*, against θ ∈ [−π, π]; one curve per teacher λ* (log scale)."""
    from rnnverify.theory.memory.loss1d import FIG1_TEACHERS, lam_star, loss_expr, mu, sigma

    teachers = FIG1_TEACHERS if teachers is None else teachers
    theta = sp.Symbol("theta", real=True)
    L = loss_expr(True).subs({mu: 0, sigma: 1})
    L = L.subs({s: sp.Symbol(s.name, real=True) for s in L.free_symbols if s.name == "theta"})
    f = sp.lambdify((lam, theta, lam_star), L, modules="numpy")
    fig, (a, b) = plt.subplots(1, 2, figsize=(8, 3.2))
    xs = np.linspace(0.0, 0.999, points)
    ths = np.linspace(-math.pi, math.pi, points)
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(teachers)))
    for c, ls in zip(colors, teachers, strict=True):
        v = float(ls)
        with np.errstate(all="ignore"):
            yb = np.real(np.asarray(f(xs, 0.0 * xs, v), dtype=complex))
            yc = np.real(np.asarray(f(v + 0.0 * ths, ths, v), dtype=complex))
        a.plot(xs, np.clip(yb, 1e-12, None), color=c, label=f"λ* = {ls}")
        b.plot(ths, np.clip(yc, 1e-12, None), color=c)
    for ax in (a, b):
        ax.set_yscale("log")
        ax.set_ylabel("loss")
    a.set_xlabel("λ (real)")
    b.set_xlabel("θ − θ* (λ = λ* e^{iθ})")
    a.set_title("Fig. 1B", fontsize=9)
    b.set_title("Fig. 1C", fontsize=9)
    a.legend(fontsize=6)
    fig.tight_layout()
    return _png(fig)


def _normalized_loss_1d() -> tuple[Any, Any, Any, Any]:
    """Fig. 6's normalized loss (code ``gamma_loss``, white input, γ(x) = sqrt(1 − |x|²)
    differentiated through) in the student's modulus ν and angle θ, teacher ν* e^{iθ*}."""
    nu, th, nus, ths = sp.symbols("nu theta nu_s theta_s", real=True)
    g, gs = sp.sqrt(1 - nu**2), sp.sqrt(1 - nus**2)
    cross = 1 / (1 - nu * nus * sp.exp(sp.I * (th - ths)))
    L = sp.Rational(1, 2) * (g**2 / (1 - nu**2) + gs**2 / (1 - nus**2)
                             - 2 * g * gs * sp.re(sp.expand_complex(cross)))
    return sp.simplify(L), nu, th, (nus, ths)


def _fig6_maps() -> dict[str, tuple[Any, Any]]:
    """Fig. 6's parametrizations (modulus ν(ω), angle θ(ω, ν)): polar, exp (the LRU's) and
    the 'optimal' ν = tanh ω_ν, θ = (1 − ν²)/(ν sqrt(1 + ν²)) ω_θ (§3.6 of docs/theory.md)."""
    w, v = sp.symbols("omega nu_", real=True)
    return {"polar": (w, w), "exp": (sp.exp(-sp.exp(w)), sp.exp(w)),
            "opt": (sp.tanh(w), (1 - v**2) / (v * sp.sqrt(1 + v**2)) * w)}


def fig6(points: int = 300, teacher: float = 0.99) -> bytes:
    """Fig. 6: the normalized 1-D loss for the polar, exp and 'optimal' parametrizations —
    loss against ω_ν (teacher real, ν* = ``teacher``) and the Hessian at the optimum
    ∂²L/∂ω_ν² against ν*; the same for the angle (teacher ν* e^{iπ/100})."""
    L, nu, th, (nus, ths) = _normalized_loss_1d()
    w, v = sp.symbols("omega nu_", real=True)
    maps = _fig6_maps()
    fig, axes = plt.subplots(1, 4, figsize=(12, 2.9))
    nu_grid = 1 - np.logspace(-3, -0.3, points // 3)
    for name, (mod, ang) in maps.items():
        # modulus direction: θ = θ* = 0
        Lm = L.subs({th: 0, ths: 0, nu: mod})
        fm = sp.lambdify((w, nus), Lm, modules="numpy")
        w_star = float(sp.nsolve(mod - teacher, w, 0.5 if name != "exp" else -4.6))
        ws = w_star + np.linspace(-1, 1, points) * (0.5 if name != "exp" else 2.0)
        with np.errstate(all="ignore"):
            axes[0].plot(ws - w_star, np.asarray(fm(ws, teacher), dtype=float), label=name)
        Hm = sp.lambdify((w, nus), sp.diff(Lm, w, 2), modules="numpy")
        inv = {"polar": lambda x: x, "exp": lambda x: np.log(-np.log(x)), "opt": np.arctanh}
        with np.errstate(all="ignore"):
            axes[1].plot(-np.log10(1 - nu_grid), np.abs(np.asarray(
                Hm(inv[name](nu_grid), nu_grid), dtype=float)), label=name)
        # angle direction: modulus fixed at the teacher's, θ = θ(ω_θ)
        La = L.subs({nu: nus, th: ang.subs(v, nus)})
        fa = sp.lambdify((w, nus, ths), La, modules="numpy")
        theta_star = math.pi / 100
        scale = {"polar": 1.0, "exp": 1.0, "opt": float((1 - teacher**2) / (
            teacher * math.sqrt(1 + teacher**2)))}[name]
        w_th = math.log(theta_star) if name == "exp" else theta_star / scale
        wa = w_th + np.linspace(-1, 1, points) * (1.0 if name == "exp" else 0.1 / scale)
        with np.errstate(all="ignore"):
            axes[2].plot(wa - w_th, np.asarray(fa(wa, teacher, theta_star), dtype=float),
                         label=name)
        Ha = sp.lambdify((w, nus, ths), sp.diff(La, w, 2), modules="numpy")
        w_ths = {"polar": theta_star + 0 * nu_grid, "exp": math.log(theta_star) + 0 * nu_grid,
                 "opt": theta_star * nu_grid * np.sqrt(1 + nu_grid**2) / (1 - nu_grid**2)}[name]
        with np.errstate(all="ignore"):
            axes[3].plot(-np.log10(1 - nu_grid), np.abs(np.asarray(
                Ha(w_ths, nu_grid, theta_star), dtype=float)), label=name)
    titles = (f"loss vs ω_ν (ν* = {teacher:g})", "Hessian ∂²L/∂ω_ν² at the optimum",
              "loss vs ω_θ (θ* = π/100)", "Hessian ∂²L/∂ω_θ² at the optimum")
    for ax, title in zip(axes, titles, strict=True):
        ax.set_title(title, fontsize=8)
        ax.set_yscale("log")
    for ax in (axes[1], axes[3]):
        ax.set_xlabel("−log10(1 − ν*)")
    axes[0].set_xlabel("ω_ν − ω_ν*")
    axes[2].set_xlabel("ω_θ − ω_θ*")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return _png(fig)


def fig8(points: int = 121, rhos: Sequence[float] = (0.0, 0.9, 0.99)) -> bytes:
    """Fig. 8: log10 |S(λ, λ', ρ)|, S = E[d_λh d_λ'h'] = ∂_λ∂_λ' f with f(λ, λ') the Lemma-1
    sum for R(Δ) = ρ^|Δ| (:func:`theory.memory.autocorr.ar1`), real λ, λ' ∈ (−1, 1)."""
    from rnnverify.theory.memory import lemmas
    from rnnverify.theory.symbols import k

    a, b, s = sp.symbols("alpha_ beta_ s_")
    ac = ar1()
    G = ac.generating_function(s).expr
    f = lemmas.lemma1_rhs(a, b, ac.expr.subs(k, 0), G.subs(s, a), G.subs(s, b))
    S = sp.lambdify((a, b, rho), sp.diff(f, a, b), modules="numpy")
    grid = np.linspace(-0.99, 0.99, points)
    A, B = np.meshgrid(grid, grid)
    fig, axes = plt.subplots(1, len(rhos), figsize=(3.3 * len(rhos), 3.0))
    for ax, r in zip(np.atleast_1d(axes), rhos, strict=True):
        with np.errstate(all="ignore"):
            Z = np.log10(np.abs(np.asarray(S(A, B, r), dtype=float)))
        im = ax.imshow(Z, origin="lower", extent=(-0.99, 0.99, -0.99, 0.99), cmap="magma")
        ax.set_title(f"log10 |S(λ, λ', ρ = {r:g})|", fontsize=8)
        ax.set_xlabel("λ")
        ax.set_ylabel("λ'")
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return _png(fig)


def fig12(max_lag: int = 512) -> bytes:
    """Fig. 12's fitted input autocorrelation R(Δ) = 0.043056·0.997005^|Δ| + 0.332·δ_{Δ0}
    (the constants of :data:`theory.networks.gru.FIG12_COMPONENTS`; the BERT/Wikipedia data
    it was fitted to is not available offline)."""
    from rnnverify.theory.networks.gru import components_float

    lags = np.arange(0, max_lag + 1)
    R = sum(c * (r ** lags if r else (lags == 0).astype(float)) for c, r in components_float())
    fig, ax = plt.subplots(figsize=(4.2, 3.0))
    ax.plot(lags[1:], R[1:], color="black", label="fit, Δ ≥ 1")
    ax.scatter([1], [R[0]], color="tab:red", s=12, label=f"R(0) = {R[0]:.3f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Δ")
    ax.set_ylabel("R(Δ)")
    ax.set_title("Fig. 12: input autocorrelation (fit)", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return _png(fig)


def fig14(studies: Sequence[dict[str, Any]]) -> bytes:
    """Fig. 14: mean |diagonal| and |off-diagonal| entries of ∂h_Δ/∂h_0 against the lag Δ, one
    panel per :func:`numerics.networks.gru_gates.jacobian_study` result."""
    fig, axes = plt.subplots(1, len(studies), figsize=(3.3 * len(studies), 2.9), sharey=True)
    for ax, st in zip(np.atleast_1d(axes), studies, strict=True):
        lags = [r["lag"] for r in st["rows"]]
        ax.plot(lags, [r["mean_abs_diagonal"] for r in st["rows"]], marker="o",
                label="|diagonal|")
        ax.plot(lags, [max(r["mean_abs_off_diagonal"], 1e-300) for r in st["rows"]],
                marker="s", label="|off-diagonal|")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("Δ")
        lo, hi = st["timescales"]
        ax.set_title(f"T ∈ [{lo:g}, {hi:g}], σ_x = {st['scale_x']:g}, σ_h = {st['scale_h']:g}",
                     fontsize=8)
    np.atleast_1d(axes)[0].set_ylabel("mean |∂h_Δ/∂h_0| entry")
    np.atleast_1d(axes)[0].legend(fontsize=7)
    fig.tight_layout()
    return _png(fig)


def fig15(doc: dict[str, Any]) -> bytes:
    """Fig. 15 (ratios): measured / constant-gate prediction of E h² and E(d_b h)² against the
    timescale T for each case of a ``gru-gates`` document, with 95 % bars."""
    fig, axes = plt.subplots(1, 2, figsize=(7.5, 3.0), sharey=True)
    cases = sorted({r["case"] for r in doc["rows"]}, key=("constant", "input",
                                                          "hidden").index)
    for ax, q, title in ((axes[0], "h2", "E h²"), (axes[1], "dh2_db", "E(d_b h)²")):
        for case in cases:
            rows = [r for r in doc["rows"] if r["case"] == case]
            ax.errorbar([r["timescale"] for r in rows], [r[q]["ratio"] for r in rows],
                        yerr=[1.96 * r[q]["ratio_stderr"] for r in rows], marker="o",
                        capsize=3, label=case)
        ax.axhline(1.0, color="black", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.set_xlabel("T")
        ax.set_title(f"{title}: measured / predicted", fontsize=9)
    axes[0].set_ylabel("ratio")
    axes[0].legend(fontsize=7, title=doc.get("model", ""), title_fontsize=7)
    fig.tight_layout()
    return _png(fig)


def fig3b(doc: dict[str, Any]) -> bytes:
    """Fig. 3B (reduced): final loss of each ablation variant of
    :func:`numerics.networks.ablation.ablation_study` (best learning rate, mean ± s.e. over
    seeds), in the paper's order from the dense RNN to the LRU, log scale."""
    labels = {"rnn": "RNN", "block_diagonal": "block\ndiagonal", "more_neurons": "more\nneurons",
              "complex": "complex\nnumbers", "gamma": "γ norm.", "lru": "LRU"}
    rows = doc["rows"]
    fig, ax = plt.subplots(figsize=(5.0, 3.2))
    xs = np.arange(len(rows))
    ax.bar(xs, [r["final_loss_mean"] for r in rows],
           yerr=[r["final_loss_stderr"] for r in rows], color="tab:blue", capsize=3)
    ax.set_xticks(xs, [labels.get(r["variant"], r["variant"]) for r in rows], fontsize=7)
    ax.set_yscale("log")
    ax.set_ylabel("final loss")
    ax.set_title(f"ablation at ν₀ = {doc['nu0']:g} ({doc['protocol']['steps']} steps, "
                 f"{doc['seeds']} seeds)", fontsize=9)
    fig.tight_layout()
    return _png(fig)


def _fig5_curve(ax: Any, rows: Sequence[dict[str, Any]], get: Any, label: str, color: Any,
                ls: str = "-") -> None:
    ts = [r["timescale"] for r in rows]
    est = np.array([get(r)["estimate"] for r in rows])
    se = np.array([get(r)["stderr"] for r in rows])
    # on a log axis a lower bar reaching 0 is drawn clipped at 5 % of the estimate
    lower = np.minimum(1.96 * se, 0.95 * est)
    ax.errorbar(ts, est, yerr=[lower, 1.96 * se], color=color, ls=ls, marker="o", ms=3,
                capsize=2, label=label)


def fig5(doc: dict[str, Any]) -> bytes:
    """Fig. 5 from a ``signal-prop`` document (models named by their ``model`` key): A, the
    mean squared output of the first and last layer, ``mean(output**2)`` after the GLU and the
    skip connection (the quantity the paper plots as "Variance h_t"); B, the mean squared
    gradient per parameter group without normalization; C, the cRNN's gradients without
    and with layer normalization.  x: the timescale t (ν ∈ [1 − 1/t, 1 − 1/(2t)]), ticked at
    ν = 0, 0.9, 0.99 as in the paper; bars: 95 % intervals over initializations."""
    models = {m.get("model", m["arch"] + ("-ln" if m["norm"] == "layer" else "")): m
              for m in doc["models"]}
    colors = {"crnn": "tab:green", "lru": "tab:orange", "gru": "tab:blue", "crnn-ln": "tab:red"}
    last = doc["layers"] - 1
    fig, axes = plt.subplots(1, 3, figsize=(12.0, 3.6))
    for name in ("crnn", "lru", "gru"):
        if name not in models:
            continue
        rows = models[name]["rows"]
        _fig5_curve(axes[0], rows, lambda r: r["output_h2"][0], f"{name} layer 1",
                    colors[name], ":")
        _fig5_curve(axes[0], rows, lambda r, k=last: r["output_h2"][k],
                    f"{name} layer {last + 1}", colors[name])
        for i, g in enumerate(rows[0]["grad_sq"]):
            _fig5_curve(axes[1], rows, lambda r, g=g: r["grad_sq"][g], f"{name} {g}",
                        colors[name], ("-", "--", ":")[i % 3])
    for name, ls in (("crnn", "-"), ("crnn-ln", "--")):
        if name not in models:
            continue
        for g in models[name]["rows"][0]["grad_sq"]:
            _fig5_curve(axes[2], models[name]["rows"], lambda r, g=g: r["grad_sq"][g],
                        f"{name} {g}", "tab:green" if g == "lambda" else "0.4", ls)
    titles = ("A: mean squared layer output", "B: mean squared gradient, no norm",
              "C: cRNN, none vs layer norm")
    for ax, title in zip(axes, titles, strict=True):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks([1, 10, 100], ["0", "0.9", "0.99"])
        ax.minorticks_off()
        ax.set_xlabel("ν (timescale t from 1 to 100)")
        ax.set_title(title, fontsize=9)
        ax.grid(alpha=0.3, which="both", lw=0.4)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=6)
    fig.suptitle(f"Signal propagation at initialization ({doc['layers']} layers, "
                 f"{doc['steps']} steps, {doc['seeds']} initializations, Fig. 12 inputs)",
                 fontsize=10)
    fig.tight_layout()
    return _png(fig)


#: the gates of :func:`gate_curves`: (expression, fixed parameters).  The random and the
#: selective gate have the same law at each step (w + N(0, 1)); the selective one draws its
#: noise from the input x_t itself, so it has no closed form (docs/theory.md §10)
GATE_FIGURE_GATES: dict[str, tuple[str, str]] = {
    "deterministic": ("exp(-exp(w + s*u))", "s=0"),
    "random": ("exp(-exp(w + s*u))", "s=1"),
    "selective": ("exp(-exp(w + s*u + a*x))", "s=0,a=1"),
}


def gate_curves(ws_theory: Sequence[float], ws_mc: Sequence[float],
                rhos: Sequence[float] = (0.0, 0.5), samples: int = 5000, seed: int = 0,
                device: str = "cpu") -> dict[str, Any]:
    """E (d_w h)² of the three :data:`GATE_FIGURE_GATES` against the mean memory
    1/(1 − E λ), for AR(1) inputs with each ρ of ``rhos``: the closed form (deterministic and
    random gate) at every w of ``ws_theory``; Monte Carlo ± stderr (random and selective
    gate, the burn-in bound of ``Model.simulate``) at every w of ``ws_mc``.  The selective
    gate's E λ is the random gate's (same law)."""

    def model(kind: str, w: float, r: float) -> GateModel:
        expr, fixed = GATE_FIGURE_GATES[kind]
        return GateModel(gate=expr, wrt="w", at=f"w={w!r},{fixed}", rho=repr(r))

    def memory(cf: Any) -> float:
        return float(1 / (1 - cf.gate_moments["E_lam"]))

    panels = []
    for r in rhos:
        lines: dict[str, list[tuple[float, float]]] = {}
        for kind in ("deterministic", "random"):
            forms = [model(kind, w, r).closed_form(dps=20) for w in ws_theory]
            lines[kind] = [(memory(cf), float(cf["dh2_dp"])) for cf in forms]
        points: dict[str, list[dict[str, float]]] = {"random": [], "selective": []}
        for w in ws_mc:
            mem = memory(model("random", w, r).closed_form(dps=20))
            for kind in points:
                sim = model(kind, w, r).simulate(samples=samples, seed=seed, device=device,
                                                 theory=False)
                est = sim["dh2_dp"]
                points[kind].append({"w": w, "memory": mem, "estimate": est.estimate,
                                     "stderr": est.stderr, "steps": sim.meta["steps"]})
        panels.append({"rho": r, "lines": lines, "points": points})
    return {"gates": GATE_FIGURE_GATES, "samples": samples, "seed": seed, "panels": panels}


def fig_gates(data: dict[str, Any]) -> bytes:
    """One panel per ρ: E (d_w h)² against the mean memory, log–log; lines: closed forms
    (deterministic, random gate), points: Monte Carlo with 95 % bars (random, selective)."""
    panels = data["panels"]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.2), squeeze=False)
    style = {"deterministic": ("k", "-"), "random": ("C0", "--"), "selective": ("C3", "")}
    for ax, panel in zip(axes[0], panels, strict=True):
        for kind, pts in panel["lines"].items():
            color, ls = style[kind]
            x, y = zip(*pts, strict=True)
            ax.plot(x, y, color=color, ls=ls, lw=1.3, label=f"{kind} gate (closed form)")
        for j, (kind, rows) in enumerate(panel["points"].items()):
            color, _ = style[kind]
            x = np.array([p["memory"] for p in rows]) * (1 + 0.04 * (2 * j - 1))  # side by side
            ax.errorbar(x, [p["estimate"] for p in rows],
                        yerr=[1.96 * p["stderr"] for p in rows], fmt="os"[j], ms=4,
                        color=color, capsize=3, label=f"{kind} gate (Monte Carlo, 95 % CI)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("mean memory 1/(1 − E λ)")
        ax.set_ylabel("E (d$_w$h)²")
        ax.set_title(f"λ_t = exp(−exp(w + ·)), AR(1) inputs ρ = {panel['rho']:g}")
        ax.grid(alpha=0.3, which="both", lw=0.4)
        ax.legend(fontsize=7)
    return _png(fig)
