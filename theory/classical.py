"""Classical vanishing/exploding-gradient conditions and gradient clipping.

Sources: Pascanu, Mikolov & Bengio 2013 ("On the difficulty of training recurrent neural
networks", §2.1; docs/theory.md §7), also as taught in the CS224n lecture notes "Vanishing
Gradients and Fancy RNNs"; Bengio et al. 1994.

* Linear RNN (σ = identity): ∂h_t/∂h_k = W^{t−k}.  Spectral radius ρ(W) < 1 is sufficient for
  ‖W^t‖ → 0 (vanishing), and ρ(W) > 1 is necessary for exponential growth (exploding):
  ρ^t ≤ ‖W^t‖ always, and ‖W^t‖ ≤ C t^{m−1} ρ^t (m the largest Jordan block), so
  lim ‖W^t‖^{1/t} = ρ.  Caveat (noted, not in the seeds): with ρ = 1 and a Jordan block of size
  m ≥ 2, ‖W^t‖ grows like t^{m−1} — unbounded, but not exponentially; the usual statement
  assumes W diagonalisable ("n linearly independent eigenvectors"), where ρ = 1 gives a bounded
  ‖W^t‖ ≤ κ(S).
* Non-linear: with |σ'| ≤ γ_σ (γ = 1 for tanh, 1/4 for the logistic sigmoid),
  ‖∏_{k=1}^t diag(σ'(a_k)) W‖ ≤ (γ_σ σ_max(W))^t, so σ_max < 1/γ_σ is sufficient for vanishing
  and σ_max > 1/γ_σ necessary for exploding.
* Gradient clipping (lecture notes: "take a step in the same direction, but a smaller step"):
  clip_c(g) = g · min(1, c/‖g‖) keeps the direction and has norm min(‖g‖, c).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal

import mpmath
import sympy as sp
from rnnverify.theory.proof import ProofStep, check_scalar_identity, rewrite_adjacent

__all__ = [
    "GAMMA",
    "activation_gamma_proof",
    "linear_power_proof",
    "power_norm_bounds_mp",
    "jacobian_product_bound_proof",
    "jacobian_product_mp",
    "clip",
    "clipping_proof",
    "proof_catalogue",
]

Activation = Literal["tanh", "sigmoid"]

#: sup_x |σ'(x)| (derived in :func:`activation_gamma_proof`).
GAMMA: dict[str, sp.Rational] = {"tanh": sp.Integer(1), "sigmoid": sp.Rational(1, 4)}


def _sigma(name: Activation, x: sp.Expr) -> sp.Expr:
    if name == "tanh":
        return sp.tanh(x)
    if name == "sigmoid":
        return 1 / (1 + sp.exp(-x))
    raise ValueError(f"activation must be 'tanh' or 'sigmoid', got {name!r}")


# ------------------------------------------------------------------ γ_σ
@lru_cache(maxsize=2)
def activation_gamma_proof(name: Activation) -> tuple[ProofStep, ...]:
    """sup_x σ'(x) = γ_σ: σ' ≤ γ everywhere (a square is ≥ 0) and σ'(0) = γ.

    tanh: tanh' = 1 − tanh² and 1 − tanh'(x) = tanh²(x) ≥ 0.
    sigmoid: s' = s(1 − s) with s = σ(x), and 1/4 − s(1 − s) = (s − 1/2)² ≥ 0.
    """
    x = sp.Symbol("x", real=True)
    s = _sigma(name, x)
    d = sp.diff(s, x)
    gamma = GAMMA[name]
    steps = []
    if name == "tanh":
        form = 1 - sp.tanh(x) ** 2
        gap = sp.tanh(x) ** 2
    else:
        form = s * (1 - s)
        gap = (s - sp.Rational(1, 2)) ** 2
    ok1, num1, err1 = check_scalar_identity(d, form, [x])
    steps.append(ProofStep(f"{name}'(x) in terms of {name}(x)", d, form, "differentiate",
                           ok1 and num1, {"numeric_err": err1}))
    ok2, num2, err2 = check_scalar_identity(gamma - form, gap, [x])
    steps.append(ProofStep(f"γ − {name}'(x) is a square, hence ≥ 0", gamma - form, gap,
                           "algebra", ok2 and num2 and bool(gap.is_nonnegative),
                           {"numeric_err": err2, "nonnegative": bool(gap.is_nonnegative)}))
    at0 = sp.simplify(d.subs(x, 0))
    steps.append(ProofStep(f"the bound is attained at x = 0: {name}'(0) = γ", d.subs(x, 0), gamma,
                           "evaluate", at0 == gamma, {}))
    crit = sp.solve(sp.diff(d, x), x)
    steps.append(ProofStep(f"x = 0 is the only critical point of {name}'", sp.diff(d, x),
                           sp.Integer(0), "solve σ'' = 0 over the reals", crit == [0],
                           {"critical_points": str(crit)}))
    return tuple(steps)


# ------------------------------------------------------------------ linear RNN
@lru_cache(maxsize=1)
def linear_power_proof(jordan_size: int = 4) -> tuple[ProofStep, ...]:
    """ρ(W) < 1 ⇒ W^t → 0; ρ^t ≤ ‖W^t‖; ρ ≤ 1 ⇒ at most polynomial growth (ρ > 1 necessary).

    Steps: W = SΛS⁻¹ ⇒ W^t = SΛ^tS⁻¹ (t = 2..5 by the rewriting engine); Jordan block entries
    (J^t)_{i,i+k} = C(t,k) λ^{t−k} (SymPy's symbolic power, t symbolic); ratio of consecutive
    terms → |λ| (so → 0 for |λ| < 1); |λ|^t = e^{−ut} → 0 for u = −log|λ| > 0; eigenvector lower
    bound; growth of C(t,k) is sub-exponential: (t^k)^{1/t} → 1.
    """
    n = sp.Symbol("n", integer=True, positive=True)
    t = sp.Symbol("t", integer=True, positive=True)
    k = sp.Symbol("k", integer=True, nonnegative=True)
    lam = sp.Symbol("lambda")
    steps = []
    S, L = sp.MatrixSymbol("S", n, n), sp.MatrixSymbol("Lambda", n, n)
    Sinv = sp.Inverse(S)
    ok = True
    for p in range(2, 6):
        facs: list[Any] = []
        for _ in range(p):
            facs += [S, L, Sinv]
        fs, _ = rewrite_adjacent(facs, {(Sinv, S): sp.Identity(n)})
        ok &= fs == [S] + [L] * p + [Sinv]
    steps.append(ProofStep("W = SΛS⁻¹ ⇒ W^t = S Λ^t S⁻¹ (t = 2..5; induction)",
                           sp.Symbol("(S Lambda S^-1)^t"), sp.Symbol("S Lambda^t S^-1"),
                           "S⁻¹S = I between consecutive factors", ok, {}))
    J = sp.Matrix(jordan_size, jordan_size,
                  lambda r, c: lam if r == c else (1 if c == r + 1 else 0))
    Jt = J**t
    ok_j = all(sp.simplify(Jt[r, r + kk] - sp.binomial(t, kk) * lam ** (t - kk)) == 0
               for kk in range(jordan_size) for r in range(jordan_size - kk))
    ok_j &= all(Jt[r, c] == 0 for r in range(jordan_size) for c in range(r))
    steps.append(ProofStep(f"Jordan block J = λI + N ({jordan_size}×{jordan_size}): "
                           "(J^t)_(i,i+k) = C(t,k) λ^(t−k)", Jt[0, jordan_size - 1],
                           sp.binomial(t, jordan_size - 1) * lam ** (t - jordan_size + 1),
                           "binomial theorem, N nilpotent", bool(ok_j), {}))
    ratio = sp.combsimp(sp.binomial(t + 1, k) / sp.binomial(t, k))
    lim = sp.limit(ratio, t, sp.oo)
    steps.append(ProofStep("ratio test: |C(t+1,k)λ^(t+1−k)| / |C(t,k)λ^(t−k)| → |λ|, so for "
                           "|λ| < 1 every entry of J^t → 0 (ρ(W) < 1 ⇒ W^t → 0)",
                           sp.Limit(ratio * sp.Abs(lam), t, sp.oo), sp.Abs(lam),
                           "(t+1)/(t+1−k) → 1", lim == 1, {"limit_of_binomial_ratio": str(lim)}))
    u = sp.Symbol("u", positive=True)
    lim2 = sp.limit(sp.exp(-u * t), t, sp.oo)
    steps.append(ProofStep("diagonal part: |λ|^t = e^(−ut) → 0 for u = −log|λ| > 0",
                           sp.Limit(sp.exp(-u * t), t, sp.oo), lim2, "u > 0", lim2 == 0, {}))
    Wm, v = sp.MatrixSymbol("W", n, n), sp.MatrixSymbol("v", n, 1)
    steps.append(ProofStep("W v = λ v ⇒ W^t v = λ^t v ⇒ ‖W^t‖ ≥ ρ(W)^t: ρ > 1 ⇒ explodes",
                           sp.MatMul(Wm, Wm, Wm, v), lam**3 * v,
                           "apply W v = λ v t times (t = 3 shown; induction)",
                           _eigen_power_check(), {}))
    lim3 = sp.limit((t**k) ** (1 / t), t, sp.oo)
    steps.append(ProofStep("ρ ≤ 1 ⇒ |entries| ≤ C(t,k) ≤ t^k and (t^k)^(1/t) → 1: no exponential "
                           "growth, so ρ > 1 is necessary for exploding (lim ‖W^t‖^(1/t) = ρ)",
                           sp.Limit((t**k) ** (1 / t), t, sp.oo), lim3,
                           "log(t^k)/t → 0", lim3 == 1, {}))
    one = sp.Matrix([[1, 1], [0, 1]]) ** t
    steps.append(ProofStep("caveat: ρ = 1 with a Jordan block, ‖W^t‖ ≥ t → ∞ (polynomially); "
                           "diagonalisable W with ρ = 1 stays bounded", one[0, 1], t,
                           "J = [[1,1],[0,1]]", one[0, 1] == t, {}))
    return tuple(steps)


def _eigen_power_check() -> bool:
    """Numeric: ‖W^t v‖ = |λ|^t ‖v‖ for an eigenpair of a random matrix (mpmath, 40 digits)."""
    rng = random.Random(7)
    with mpmath.workdps(40):
        A = mpmath.matrix([[rng.gauss(0, 1) for _ in range(4)] for _ in range(4)])
        E, ER = mpmath.eig(A)
        worst = mpmath.mpf(0)
        for idx in range(4):
            vec = ER[:, idx]
            out = vec
            for _ in range(5):
                out = A * out
            worst = max(worst, mpmath.norm(out - E[idx] ** 5 * vec))
        return bool(worst < mpmath.mpf(10) ** -30)


def power_norm_bounds_mp(W: Sequence[Sequence[float]], steps: int, dps: int = 40
                         ) -> dict[str, Any]:
    """For t = 1..steps: ρ^t ≤ ‖W^t‖₂ ≤ κ(S) ρ^t with W = S Λ S⁻¹ (mpmath eigen-decomposition).

    The upper bound needs W diagonalisable (random Gaussian matrices are, almost surely).
    Returns the log10 norms, ρ, κ(S) and whether both bounds hold (relative slack 10⁻²⁰).
    """
    with mpmath.workdps(dps):
        A = mpmath.matrix([[mpmath.mpf(x) for x in row] for row in W])
        E, ER = mpmath.eig(A)
        rho = max(abs(e) for e in E)
        kappa = _norm2(ER) * _norm2(mpmath.inverse(ER))
        P = mpmath.eye(A.rows)
        ok_lower = ok_upper = True
        slack = mpmath.mpf(10) ** -20
        log10_norms = []
        for _ in range(steps):
            P = P * A
            nrm = _norm2(P)
            log10_norms.append(float(mpmath.log10(nrm)))
            rt = rho ** (len(log10_norms))
            ok_lower &= nrm >= rt * (1 - slack)
            ok_upper &= nrm <= kappa * rt * (1 + slack)
        return {"rho": float(rho), "kappa": float(kappa), "log10_norms": log10_norms,
                "lower_holds": bool(ok_lower), "upper_holds": bool(ok_upper)}


def _norm2(A: mpmath.matrix) -> mpmath.mpf:
    """Spectral norm (largest singular value); complex matrices via AᴴA."""
    if any(isinstance(A[r, c], mpmath.mpc) and A[r, c].imag != 0
           for r in range(A.rows) for c in range(A.cols)):
        H = A.H * A
        return mpmath.sqrt(max(abs(e) for e in mpmath.eig(H, left=False, right=False)))
    real = mpmath.matrix([[mpmath.re(A[r, c]) for c in range(A.cols)] for r in range(A.rows)])
    return max(mpmath.svd_r(real, compute_uv=False))


# ------------------------------------------------------------------ non-linear RNN
@lru_cache(maxsize=1)
def jacobian_product_bound_proof() -> tuple[ProofStep, ...]:
    """‖∏ diag(σ'(a_k)) W‖ ≤ (γ σ_max)^t, and its consequences (vanishing / exploding).

    Steps: ‖diag(d)‖₂ = max|d_i| ≤ γ; submultiplicativity; σ_max(W) < 1/γ ⇒ η = γσ_max < 1 ⇒
    η^t → 0; contrapositive: the product can explode only if γσ_max > 1.  The inequality chain is
    confirmed at random points (mpmath: random W, random pre-activations, tanh and sigmoid).
    """
    t = sp.Symbol("t", integer=True, positive=True)
    gam, smax = sp.symbols("gamma sigma_max", positive=True)
    steps = []
    ok_num = True
    for name in ("tanh", "sigmoid"):
        for seed in range(3):
            res = jacobian_product_mp(4, 6, name, seed=seed, scale=1.5)
            ok_num &= all(res["holds"])
    steps.append(ProofStep("‖∏_k diag(σ'(a_k)) W‖ ≤ ∏_k ‖diag(σ'(a_k))‖·‖W‖ ≤ (γ σ_max)^t",
                           sp.Symbol("||prod_k diag(sigma'(a_k)) W||"), (gam * smax) ** t,
                           "submultiplicativity; ‖diag(d)‖₂ = max_i |d_i| ≤ γ", ok_num,
                           {"random_checks": "n = 4, t ≤ 6, tanh and sigmoid, 3 seeds each"}))
    eta = sp.Symbol("eta", positive=True)
    u = sp.Symbol("u", positive=True)
    lim = sp.limit(sp.exp(-u * t), t, sp.oo)
    steps.append(ProofStep("σ_max < 1/γ ⇒ η = γσ_max < 1 ⇒ η^t = e^(−ut) → 0 (vanishing)",
                           sp.Limit(eta**t, t, sp.oo), lim, "u = −log η > 0", lim == 0, {}))
    x = 1 / (1 + u)  # any 0 < x ≤ 1 (u ≥ 0; u > 0 here, x = 1 trivially)
    ts = sp.Symbol("s", positive=True)
    slope = sp.diff(x**ts, ts)
    steps.append(ProofStep("contrapositive: if γσ_max ≤ 1 the product has norm ≤ (γσ_max)^t ≤ 1 "
                           "(x^s decreases in s for 0 < x ≤ 1, x^0 = 1), so σ_max > 1/γ is "
                           "necessary for exploding", slope, sp.Symbol("<= 0"),
                           "d/ds x^s = x^s log x ≤ 0", bool(slope.is_nonpositive), {}))
    for name in ("tanh", "sigmoid"):
        steps += list(activation_gamma_proof(name))
    return tuple(steps)


def jacobian_product_mp(n: int, steps: int, activation: Activation, *, seed: int = 0,
                        scale: float = 1.0, input_size: int = 2, dps: int = 30
                        ) -> dict[str, Any]:
    """High-precision Jacobian products of a random RNN h_t = σ(W h_{t−1} + U x_t + b).

    W ~ N(0, scale²/n), U ~ N(0, 1/n), b ~ N(0, 0.01), x_t ~ N(0, I), h_0 = 0.  For each
    t = 1..steps: J_t = ∏_{k ≤ t} diag(σ'(a_k)) W (latest factor on the left) and the check
    ‖J_t‖₂ ≤ (γ σ_max(W))^t.  Returns log10 ‖J_t‖, log10 bound and per-t verdicts.
    """
    if activation not in GAMMA:
        raise ValueError(f"activation must be 'tanh' or 'sigmoid', got {activation!r}")
    rng = random.Random(seed)
    gamma = mpmath.mpf(GAMMA[activation].p) / GAMMA[activation].q
    with mpmath.workdps(dps):
        W = mpmath.matrix([[rng.gauss(0, scale / n**0.5) for _ in range(n)] for _ in range(n)])
        U = mpmath.matrix([[rng.gauss(0, 1 / n**0.5) for _ in range(input_size)]
                           for _ in range(n)])
        b = mpmath.matrix([rng.gauss(0, 0.1) for _ in range(n)])
        smax = _norm2(W)
        h = mpmath.matrix(n, 1)
        J = mpmath.eye(n)
        out = {"sigma_max": float(smax), "gamma": float(gamma), "log10_norm": [],
               "log10_bound": [], "holds": []}
        for t in range(1, steps + 1):
            x = mpmath.matrix([rng.gauss(0, 1) for _ in range(input_size)])
            a = W * h + U * x + b
            if activation == "tanh":
                h = a.apply(mpmath.tanh)
                dv = [1 - h[i] ** 2 for i in range(n)]
            else:
                h = a.apply(lambda z: 1 / (1 + mpmath.exp(-z)))
                dv = [h[i] * (1 - h[i]) for i in range(n)]
            J = mpmath.diag(dv) * W * J
            nrm = _norm2(J)
            bound = (gamma * smax) ** t
            out["log10_norm"].append(float(mpmath.log10(nrm)))
            out["log10_bound"].append(float(mpmath.log10(bound)))
            out["holds"].append(bool(nrm <= bound * (1 + mpmath.mpf(10) ** -20)))
        return out


# ------------------------------------------------------------------ clipping
def clip(g: Sequence[Any], c: Any) -> list[Any]:
    """clip_c(g) = g · min(1, c/‖g‖) (norm clipping, Pascanu et al. 2013 Algorithm 1)."""
    if not c > 0:
        raise ValueError(f"threshold c must be positive, got {c!r}")
    norm = sp.sqrt(sum(x**2 for x in g)) if any(isinstance(x, sp.Basic) for x in g) else \
        mpmath.sqrt(mpmath.fsum(mpmath.mpf(x) ** 2 for x in g))
    if norm == 0:
        return list(g)
    factor = sp.Min(1, c / norm) if isinstance(norm, sp.Basic) else min(mpmath.mpf(1), c / norm)
    return [factor * x for x in g]


@lru_cache(maxsize=1)
def clipping_proof(max_n: int = 4) -> tuple[ProofStep, ...]:
    """clip_c(g) = α g with α = min(1, c/‖g‖) > 0 (same direction) and ‖clip_c(g)‖ = min(‖g‖, c).

    All n with N = ‖g‖ > 0 a symbol: ‖αg‖ = αN; case N > c: (c/N)N = c; case N ≤ c: N.  Explicit
    vectors of n = 1..max_n real symbols: the norm of (c/‖g‖) g simplifies to c and the cosine
    with g to 1.
    """
    N, c = sp.symbols("N c", positive=True)
    steps = []
    alpha = sp.Min(1, c / N)
    steps.append(ProofStep("the clipping factor α = min(1, c/‖g‖) is positive: clip(g) = αg "
                           "points along g", alpha, sp.Symbol("alpha > 0"), "c, ‖g‖ > 0",
                           bool(alpha.is_positive), {}))
    norm_big = sp.simplify((c / N) * N)
    steps.append(ProofStep("‖g‖ > c: ‖clip(g)‖ = (c/‖g‖)·‖g‖ = c", (c / N) * N, c,
                           "‖αg‖ = |α|‖g‖", norm_big == c, {}))
    steps.append(ProofStep("‖g‖ ≤ c: clip(g) = g", sp.Min(1, c / N).subs(N, c / (1 + N)),
                           sp.Integer(1), "c/‖g‖ ≥ 1 (‖g‖ = c/(1+u), u > 0)",
                           sp.simplify(sp.Min(1, c / N).subs(N, c / (1 + N))) == 1, {}))
    u = sp.Symbol("u", positive=True)
    ok_cases = all(sp.simplify(sp.Min(1, c / v) * v - sp.Min(v, c)) == 0
                   for v in (c / (1 + u), c, c * (1 + u)))
    steps.append(ProofStep("together: ‖clip(g)‖ = min(‖g‖, c)", alpha * N, sp.Min(N, c),
                           "cases", ok_cases, {}))
    ok_vec = True
    for m in range(1, max_n + 1):
        gs = sp.symbols(f"g0:{m}", real=True)
        norm = sp.sqrt(sum(x**2 for x in gs))
        clipped = [c / norm * x for x in gs]
        cn = sp.simplify(sp.sqrt(sum(x**2 for x in clipped)))
        cos = sp.simplify(sum(a * b for a, b in zip(gs, clipped, strict=True)) / (norm * cn))
        ok_vec &= cn == c and cos == 1
    steps.append(ProofStep(f"explicit vectors n = 1..{max_n}: ‖(c/‖g‖) g‖ = c and "
                           "cos∠(g, clip(g)) = 1", sp.Symbol("||c g/||g|| ||"), c,
                           "simplify with c > 0, g real", bool(ok_vec), {}))
    # numeric confirmation at random points (mpmath, via clip())
    rng = random.Random(5)
    worst = 0.0
    for _ in range(20):
        m = rng.randint(1, 8)
        g = [rng.gauss(0, 3) for _ in range(m)]
        cc = rng.uniform(0.1, 5)
        out = clip(g, cc)
        ng = mpmath.norm(mpmath.matrix(g))
        no = mpmath.norm(mpmath.matrix(out))
        worst = max(worst, abs(float(no - min(ng, cc))),
                    abs(float(mpmath.fdot(g, out) / (ng * no) - 1)))
    steps.append(ProofStep("numeric: random g, c (mpmath)", sp.Symbol("max deviation"),
                           sp.Integer(0), "clip() on 20 random points", worst < 1e-12,
                           {"max_abs_deviation": worst}))
    return tuple(steps)



def proof_catalogue() -> dict[str, tuple[ProofStep, ...]]:
    """Every classical derivation as ordered checked steps, keyed by a title (for the reports)."""
    return {
        "γ_tanh = 1": activation_gamma_proof("tanh"),
        "γ_sigmoid = 1/4": activation_gamma_proof("sigmoid"),
        "Linear RNN: spectral radius criterion": linear_power_proof(),
        "Non-linear RNN: (γ σ_max)^t bound": jacobian_product_bound_proof()[:3],
        "Gradient clipping": clipping_proof(),
    }
