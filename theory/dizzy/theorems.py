"""DizzyRNN Theorems 3 and 4: the backpropagated signal keeps its norm (all n, exactly).

Dorobantu, Stromhaug & Renteria 2016, §4.3–4.5 and Appendix; reconstruction in
docs/theory.md §6.3.  Update  a_t = R h_{t−1} + W x_t + b,  h_t = |a_t| (element-wise), R a
product of packed rotations (orthogonal).  With D_t = diag(sgn a_t) (entries ±1 when no a_{t,i}=0):

    ∂h_t/∂h_{t−1} = D_t R,   ∂h_t/∂x_t = D_t W,
    Theorem 3:  ‖∂L/∂h_{t−1}‖ = ‖Rᵀ D_t ∂L/∂h_t‖ = ‖∂L/∂h_t‖,
    Theorem 4:  W square and orthogonal ⇒ ‖∂L/∂x_t‖ = ‖Wᵀ D_t ∂L/∂h_t‖ = ‖∂L/∂h_t‖,

for the signal propagated through h_t (the direct loss term at step t−1 is excluded;
docs/theory.md §6.3).  Three independent routes are provided:

* :func:`theorem_proof` — for ALL n with SymPy matrix expressions (MatrixSymbol), assuming only
  RᵀR = I (square R), D diagonal and D² = I; each rewrite is a :class:`~theory.proof.ProofStep`
  checked by the rewriting engine, by SymPy's own ``refine`` (Q.orthogonal, Q.diagonal) where it
  applies, and numerically with random orthogonal R and random sign matrices D (mpmath, 40 digits).
* :func:`theorem_exact_small_n` — n = 2, 3, 4 with symbolic angles: R is the explicit product of
  Givens matrices of the round-robin schedule, D = diag(d_i) with symbolic signs; the identity
  ‖RᵀDg‖² − ‖g‖² ≡ 0 is shown by polynomial reduction modulo {c² + s² − 1, d² − 1}.
* :func:`backprop_norms_mp` — a high-precision (mpmath) run of the recurrence and its backward
  pass, usable as an oracle for any n and number of steps, and for tanh/ReLU as well.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import mpmath
import sympy as sp
from rnnverify.theory.dizzy.givens import angle_derivative_proof, givens_orthogonality_proof
from rnnverify.theory.dizzy.packed import (
    apply_packed_rotations,
    disjoint_givens_commute,
    rotation_product_matrix,
    round_robin_schedule,
    schedule_proof,
)
from rnnverify.theory.dizzy.singular_values import regularizer_proof, svd_scaling_proof
from rnnverify.theory.proof import (
    ProofStep,
    check_matrix_identity,
    combine_sums,
    matmul_of,
    rewrite_adjacent,
)

__all__ = [
    "STATEMENTS",
    "abs_jacobian_proof",
    "recurrence_jacobian_proof",
    "theorem_proof",
    "theorem_lag_proof",
    "theorem_exact_small_n",
    "contraction_proof",
    "BackpropNorms",
    "proof_catalogue",
    "backprop_norms_mp",
]

Nonlinearity = Literal["abs", "tanh", "relu"]

#: The paper's statements (their typeset formulas were not available to us) and our reconstruction.
STATEMENTS: dict[str, dict[str, str]] = {
    "thm3": {
        "source": "Dorobantu et al. 2016, §4.5 Theorem 3 (proof in the Appendix)",
        "paper": "Theorem 3. In a DizzyRNN cell, [formula not available]. Proof: "
                 "the elements of f' are 1 or −1; R is orthogonal since it is a composition of "
                 "Givens rotations; neither scales the norm of the vector.",
        "reconstruction": r"\left\|\frac{\partial L}{\partial h_{t-1}}\right\| = "
                          r"\left\|\frac{\partial L}{\partial h_t}\right\|, \quad "
                          r"h_t = |R h_{t-1} + W x_t + b|",
        "tag": "[DERIVED] statement (docs/theory.md §6.3)",
    },
    "thm4": {
        "source": "Dorobantu et al. 2016, §4.5 Theorem 4 (proof 'by symmetry')",
        "paper": "Theorem 4. If W is square, then [formula not available].",
        "reconstruction": r"W \in SO(n) \Rightarrow \left\|\frac{\partial L}{\partial x_t}\right\|"
                          r" = \left\|\frac{\partial L}{\partial h_t}\right\|",
        "tag": "[DERIVED] statement (docs/theory.md §6.3)",
    },
    "abs": {
        "source": "Dorobantu et al. 2016, §4.3",
        "paper": "The use of this non-linearity preserves the norm of the backpropagated signal.",
        "reconstruction": r"\frac{\partial |a|}{\partial a} = \operatorname{diag}"
                          r"(\operatorname{sgn} a) = D,\quad D^2 = I",
        "tag": "[DERIVED]",
    },
}


# ---------------------------------------------------------------- abs non-linearity
@lru_cache(maxsize=8)
def abs_jacobian_proof(n: int = 4) -> tuple[ProofStep, ...]:
    """∂|a|/∂a = diag(sgn a) for a with no zero entry, its entries are ±1, and D² = I.

    Scalar facts for a real a ≠ 0, then the explicit Jacobian of the element-wise abs for the
    given n, and D² = I entry by entry.
    """
    steps = []
    a = sp.Symbol("a", real=True, nonzero=True)
    da = sp.diff(sp.Abs(a), a)
    steps.append(ProofStep("d|a|/da = sgn a for real a ≠ 0", da, sp.sign(a),
                           "|a| = a·sgn a with sgn locally constant",
                           da == sp.sign(a), {"sympy_diff": str(da)}))
    sq = sp.simplify(sp.sign(a) ** 2)
    pos = sp.Symbol("a_pos", positive=True)
    neg = sp.Symbol("a_neg", negative=True)
    pm = (sp.sign(pos), sp.sign(neg))
    steps.append(ProofStep("sgn a ∈ {+1, −1} and (sgn a)² = 1 for a ≠ 0", sp.sign(a) ** 2, sq,
                           "a > 0 or a < 0", sq == 1 and pm == (1, -1),
                           {"sign_pos_neg": str(pm)}))
    av = sp.Matrix(sp.symbols(f"a0:{n}", real=True, nonzero=True))
    J = av.applyfunc(sp.Abs).jacobian(av)
    D = sp.diag(*[sp.sign(x) for x in av])
    steps.append(ProofStep(f"Jacobian of the element-wise |·| is D = diag(sgn a) (n = {n})", J, D,
                           "off-diagonal entries vanish: h_i depends on a_i only", J == D,
                           {"n": n}))
    D2 = (D * D).applyfunc(sp.simplify)
    steps.append(ProofStep("D² = I (an involution), and Dᵀ = D", D * D, sp.eye(n),
                           "(sgn a_i)² = 1", D2 == sp.eye(n) and D.T == D, {"n": n}))
    return tuple(steps)


@lru_cache(maxsize=1)
def recurrence_jacobian_proof() -> tuple[ProofStep, ...]:
    """For symbolic n, ∂h_{t,i}/∂h_{t−1,k} = sgn(a_{t,i}) R_ik, i.e. ∂h_t/∂h_{t−1} = D_t R.

    Index form: a_i = Σ_{j<n} R_ij h_j + c_i (c = W x + b), h'_i = |a_i|; SymPy differentiates the
    indexed sum (Kronecker delta) for a symbolic size n.  Same for x with W (Theorem 4).
    """
    n = sp.Symbol("n", integer=True, positive=True)
    i, j, k = sp.symbols("i j k", integer=True)
    steps = []
    for mat, var, other in (("R", "h", "Wx+b"), ("W", "x", "Rh+b")):
        M = sp.IndexedBase(mat, real=True)
        v = sp.IndexedBase(var, real=True)
        c = sp.IndexedBase("c", real=True)
        a_i = sp.Sum(M[i, j] * v[j], (j, 0, n - 1)) + c[i]
        raw = sp.diff(sp.Abs(a_i), v[k]).doit()
        pieces = raw.atoms(sp.Piecewise)
        in_range = sp.And(k >= 0, k <= n - 1)
        ok_piece = all(pw.args[0][1] == in_range and pw.args[0][0] == M[i, k] for pw in pieces)
        value = raw.replace(lambda e: isinstance(e, sp.Piecewise), lambda pw: pw.args[0][0])
        target = sp.sign(a_i) * M[i, k]
        ok = ok_piece and len(pieces) == 1 and sp.simplify(value - target) == 0
        steps.append(ProofStep(
            f"∂h_t,i/∂{var}_k = sgn(a_i)·{mat}_ik for every size n (a = {mat}{var} + {other}), "
            f"so ∂h_t/∂{var} = D_t {mat}", raw, target,
            "chain rule on the indexed sum; Kronecker delta picks j = k for 0 ≤ k < n", ok,
            {"piecewise_condition": str(in_range)}))
    return tuple(steps)


@lru_cache(maxsize=4)
def theorem_proof(which: Literal["thm3", "thm4"] = "thm3",
                  sizes: tuple[int, ...] = (2, 3, 5, 8)) -> tuple[ProofStep, ...]:
    """Theorem 3 (M = R) or Theorem 4 (M = W square) for symbolic n, as checked steps.

    ‖∂L/∂v‖² = (Mᵀ D g)ᵀ (Mᵀ D g) = gᵀ Dᵀ M Mᵀ D g = gᵀ D M Mᵀ D g = gᵀ D D g = gᵀ g,
    v = h_{t−1} (Theorem 3) or x_t (Theorem 4), g = ∂L/∂h_t.  Each equality is checked by the
    rewriting engine (or ``doit``), by ``sympy.refine`` where SymPy knows the fact, and numerically
    at random points for the sizes in ``sizes``.
    """
    if which not in ("thm3", "thm4"):
        raise ValueError(f"which must be 'thm3' or 'thm4', got {which!r}")
    n = sp.Symbol("n", integer=True, positive=True)
    M = sp.MatrixSymbol("R" if which == "thm3" else "W", n, n)
    D = sp.MatrixSymbol("D", n, n)
    g = sp.MatrixSymbol("g", n, 1)
    var = "h_{t-1}" if which == "thm3" else "x_t"
    syms = {M: "orth", D: "sign", g: "vec"}
    steps = []

    def add(statement: str, lhs: Any, rhs: Any, reason: str, structural: bool,
            extra: dict[str, Any] | None = None, seed: int = 0) -> Any:
        err = check_matrix_identity(lhs, rhs, syms, sizes, seed)
        ev = {"structural": structural, "numeric_max_err": err, "sizes": str(sizes),
              **(extra or {})}
        steps.append(ProofStep(statement, lhs, rhs, reason, structural and err < 1e-30, ev))
        return rhs

    # 1. chain rule: the propagated gradient is the transposed Jacobian (D M)ᵀ applied to g
    jac_T = (D * M).T
    grad = jac_T.doit() * g
    add(f"∂L/∂{var} = (∂h_t/∂{var})ᵀ ∂L/∂h_t = (D M)ᵀ g = Mᵀ Dᵀ g", jac_T * g, grad,
        "chain rule with ∂h_t/∂" + var + " = D M (recurrence_jacobian_proof)",
        sp.MatMul(*grad.args) == sp.MatMul(M.T, D.T, g) if isinstance(grad, sp.MatMul) else False)
    # 2. D diagonal ⇒ Dᵀ = D
    grad2 = sp.MatMul(M.T, D, g)
    refined = sp.refine(grad, sp.Q.diagonal(D))
    add("D is diagonal, so Dᵀ = D", grad, grad2, "Q.diagonal(D)", refined == grad2,
        {"refine": str(refined)}, seed=1)
    # 3. the squared norm
    sq = (grad2.T * grad2)
    expanded = sq.doit()
    add(f"‖∂L/∂{var}‖² = (Mᵀ D g)ᵀ(Mᵀ D g) = gᵀ Dᵀ M Mᵀ D g", sq, expanded,
        "(AB)ᵀ = BᵀAᵀ", list(expanded.args) == [g.T, D.T, M, M.T, D, g], seed=2)
    # 4. Dᵀ = D and M Mᵀ = I (square M with MᵀM = I has M Mᵀ = I)
    rules_orth = {(M, M.T): sp.Identity(n), (M.T, M): sp.Identity(n)}
    fs, log = rewrite_adjacent(expanded.args, rules_orth, unary={D.T: D})
    after_orth = matmul_of(fs, n)
    ref = sp.refine(expanded, sp.Q.orthogonal(M) & sp.Q.diagonal(D))
    ref_fs = [f for f in ref.args if not isinstance(f, sp.Identity)] if isinstance(
        ref, sp.MatMul) else [ref]
    add("M is orthogonal (product of Givens rotations): M Mᵀ = I, and Dᵀ = D", expanded,
        after_orth, "MᵀM = I ⇒ M Mᵀ = I for square M; Q.orthogonal(M)",
        fs == [g.T, D, D, g] and ref_fs == fs, {"rewrites": "; ".join(log),
                                                "refine": str(ref)}, seed=3)
    # 5. D² = I (entries ±1, abs_jacobian_proof)
    fs2, log2 = rewrite_adjacent(fs, {(D, D): sp.Identity(n)})
    final = matmul_of(fs2, n)
    add("D² = I (the abs Jacobian is an involution)", after_orth, final,
        "(sgn a_i)² = 1", fs2 == [g.T, g], {"rewrites": "; ".join(log2)}, seed=4)
    # 6. norms are non-negative square roots
    steps.append(ProofStep(f"hence ‖∂L/∂{var}‖ = ‖∂L/∂h_t‖ = ‖g‖", f"‖∂L/∂{var}‖", "‖g‖",
                           "both norms are non-negative square roots of the same number",
                           all(s.checked for s in steps), {}))
    return tuple(steps)


@lru_cache(maxsize=8)
def theorem_lag_proof(lag: int = 4, sizes: tuple[int, ...] = (3, 4)) -> ProofStep:
    """Any lag T: ∂L/∂h_{t−T} = Rᵀ D_{t−T+1} ⋯ Rᵀ D_t g and its squared norm reduces to gᵀg.

    Distinct sign matrices D_1..D_T per step; the engine cancels from the middle outwards.
    """
    if not isinstance(lag, int) or lag < 1:
        raise ValueError(f"lag must be a positive int, got {lag!r}")
    n = sp.Symbol("n", integer=True, positive=True)
    R = sp.MatrixSymbol("R", n, n)
    g = sp.MatrixSymbol("g", n, 1)
    Ds = [sp.MatrixSymbol(f"D_{s}", n, n) for s in range(1, lag + 1)]
    facs: list[Any] = []
    for Dk in Ds:
        facs += [R.T, Dk]
    v = sp.MatMul(*facs, g)
    sq = (v.T * v).doit()
    rules: dict[tuple[Any, Any], Any] = {(R, R.T): sp.Identity(n)}
    for Dk in Ds:
        rules[(Dk, Dk)] = sp.Identity(n)
    fs, log = rewrite_adjacent(sq.args, rules, unary={Dk.T: Dk for Dk in Ds})
    syms = {R: "orth", g: "vec", **{Dk: "sign" for Dk in Ds}}
    err = check_matrix_identity(sq, sp.MatMul(g.T, g), syms, sizes, seed=lag)
    ok = fs == [g.T, g] and err < 1e-30
    return ProofStep(f"lag T = {lag}: ‖∂L/∂h_(t−T)‖² = ‖g‖²", sq, sp.MatMul(g.T, g),
                     "Dᵀ = D, R Rᵀ = I, D² = I applied from the middle outwards", ok,
                     {"rewrites": len(log), "numeric_max_err": err})


@lru_cache(maxsize=1)
def contraction_proof(sizes: tuple[int, ...] = (2, 3, 5)) -> tuple[ProofStep, ...]:
    """With |f'| ≤ 1 (tanh, ReLU) the same orthogonal R can only shrink the signal.

    ‖Rᵀ D g‖² = gᵀ D² g = Σ_i d_i² g_i² = ‖g‖² − Σ_i (1 − d_i²) g_i² ≤ ‖g‖², with
    d_i = f'(a_i) ∈ [0, 1]; the loss Σ_i (1 − d_i²) g_i² is > 0 as soon as some g_i ≠ 0 sits at a
    unit with |d_i| < 1 (tanh: every a_i ≠ 0; ReLU: every a_i < 0), so the norm decreases
    strictly at every such step (docs/theory.md §6.3, Theorem 2 remark; Appendix remark on ReLU).
    """
    n = sp.Symbol("n", integer=True, positive=True)
    R, D = sp.MatrixSymbol("R", n, n), sp.MatrixSymbol("D", n, n)
    g = sp.MatrixSymbol("g", n, 1)
    sq = ((R.T * D * g).T * (R.T * D * g)).doit()
    fs, log = rewrite_adjacent(sq.args, {(R, R.T): sp.Identity(n)}, unary={D.T: D})
    err = check_matrix_identity(sq, sp.MatMul(*fs), {R: "orth", D: "sign", g: "vec"}, sizes,
                                seed=21)
    steps = [ProofStep("‖Rᵀ D g‖² = gᵀ D² g for any diagonal D (R orthogonal)", sq,
                       sp.MatMul(*fs), "Dᵀ = D, R Rᵀ = I", fs == [g.T, D, D, g] and err < 1e-30,
                       {"rewrites": "; ".join(log), "numeric_max_err": err})]
    i = sp.Symbol("i", integer=True)
    gi = sp.IndexedBase("g", real=True)
    e = sp.IndexedBase("e", nonnegative=True)  # e_i = 1 − d_i² ∈ [0, 1]
    gap = sp.Sum(gi[i] ** 2, (i, 0, n - 1)) - sp.Sum((1 - e[i]) * gi[i] ** 2, (i, 0, n - 1))
    combined = combine_sums(gap)
    steps.append(ProofStep("‖g‖² − gᵀD²g = Σ_i (1 − d_i²) g_i² ≥ 0 when |d_i| ≤ 1 (tanh, ReLU)",
                           gap, combined, "d_i² = 1 − e_i with e_i ≥ 0",
                           bool(combined.is_nonnegative), {"combined": str(combined)}))
    a = sp.Symbol("a", real=True, nonzero=True)
    x = sp.Symbol("x", real=True)
    d_tanh = sp.diff(sp.tanh(x), x)
    tanh_gap = sp.tanh(x) ** 2 * (2 - sp.tanh(x) ** 2)
    same = sp.simplify(sp.expand(1 - d_tanh**2 - tanh_gap)) == 0
    zeros = sp.solveset(sp.tanh(x), x, sp.S.Reals)
    below_one = sp.simplify(1 - sp.tanh(x) ** 2 - sp.sech(x) ** 2) == 0 and bool(
        sp.sech(x).is_positive)
    steps.append(ProofStep("tanh: 1 − d² = tanh²a (2 − tanh²a) > 0 for a ≠ 0 (tanh vanishes "
                           "only at 0 and tanh² = 1 − sech² < 1): a strict loss at every such unit",
                           1 - d_tanh**2, tanh_gap, "factor; solveset(tanh a = 0) = {0}",
                           same and zeros == sp.FiniteSet(0) and below_one,
                           {"zeros_of_tanh": str(zeros)}))
    relu = sp.Piecewise((0, a < 0), (a, True))
    dr = [sp.diff(relu, a).subs(a, v) for v in (-1, 1)]
    steps.append(ProofStep("ReLU: d ∈ {0, 1}: the signal of every unit with a < 0 is erased",
                           sp.Symbol("relu'(a)"), sp.Symbol("[a > 0]"), "derivative of max(a, 0)",
                           dr == [0, 1], {"relu_prime_at_-1_and_1": str(dr)}))
    return tuple(steps)


# ---------------------------------------------------------------- exact small n
@lru_cache(maxsize=16)
def _exact_norm_identity(n: int) -> tuple[Any, int, int, float]:
    """Remainder of ‖Mᵀ D g‖² − ‖g‖² modulo {c² + s² − 1, d² − 1} for M = full round-robin
    product of explicit Givens matrices; also the numeric check at random angles and signs.

    Returns (remainder, number of angles, terms before reduction, max numeric error).
    """
    sched = round_robin_schedule(n)
    npairs = sum(len(r) for r in sched)
    cs = sp.symbols(f"c0:{npairs}", real=True)
    ss = sp.symbols(f"s0:{npairs}", real=True)
    ds = sp.symbols(f"d0:{n}", real=True)
    gs = sp.symbols(f"g0:{n}", real=True)
    # explicit Givens matrices built from the angles, then cos θ_k → c_k, sin θ_k → s_k
    thetas = sp.symbols(f"theta0:{npairs}", real=True)
    it = iter(range(npairs))
    angle_rounds = [[thetas[next(it)] for _ in rnd] for rnd in sched]
    M = rotation_product_matrix(n, sched, angle_rounds)
    M_poly = M.subs({sp.cos(th): c for th, c in zip(thetas, cs, strict=True)}).subs(
        {sp.sin(th): s for th, s in zip(thetas, ss, strict=True)})
    D = sp.diag(*ds)
    g = sp.Matrix(gs)
    v = M_poly.T * D * g
    expr = sp.expand((v.T * v)[0, 0] - (g.T * g)[0, 0])
    gens = [c**2 + s**2 - 1 for c, s in zip(cs, ss, strict=True)] + [d**2 - 1 for d in ds]
    G = sp.groebner(gens, *cs, *ss, *ds, order="lex")
    _, remainder = sp.reduced(expr, list(G), *cs, *ss, *ds, order="lex")
    # numeric confirmation on the constraint set: real angles, ±1 signs, complex g (40 digits)
    rng = random.Random(n)
    worst = 0.0
    for _ in range(3):
        th_vals = [sp.Float(rng.uniform(-3.2, 3.2), 40) for _ in thetas]
        vals: dict[Any, Any] = {c: sp.cos(t) for c, t in zip(cs, th_vals, strict=True)}
        vals.update({s: sp.sin(t) for s, t in zip(ss, th_vals, strict=True)})
        vals.update({d: rng.choice((-1, 1)) for d in ds})
        vals.update({gg: sp.Float(rng.uniform(-2, 2), 40) + sp.I * sp.Float(rng.uniform(-2, 2), 40)
                     for gg in gs})
        worst = max(worst, abs(complex(sp.N(expr.xreplace(vals), 40))))
    return remainder, npairs, len(expr.args), worst


def theorem_exact_small_n(n: int, which: Literal["thm3", "thm4"] = "thm3") -> ProofStep:
    """Exact check for small n with symbolic angles and symbolic signs.

    R (or W) = product of the explicit Givens matrices of the full round-robin schedule, with
    c_k = cos θ_k, s_k = sin θ_k; D = diag(d_1..d_n).  The polynomial ‖Mᵀ D g‖² − ‖g‖² (g
    symbolic) is reduced modulo the Gröbner basis of {c_k² + s_k² − 1, d_i² − 1}; the remainder
    must be 0.  Also confirmed with cos/sin of random angles and random signs (40 digits).
    Theorems 3 and 4 share this identity (M = R resp. M = W), hence one cached computation.
    """
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an int >= 2, got {n!r}")
    if which not in ("thm3", "thm4"):
        raise ValueError(f"which must be 'thm3' or 'thm4', got {which!r}")
    remainder, npairs, terms, worst = _exact_norm_identity(n)
    name = "R" if which == "thm3" else "W"
    return ProofStep(f"n = {n}: ‖{name}ᵀ D g‖² − ‖g‖² ≡ 0 mod (c²+s²−1, d²−1), "
                     f"{npairs} symbolic angles", sp.Symbol(f"‖{name}^T D g‖^2 - ‖g‖^2"),
                     remainder, "polynomial reduction by a Gröbner basis",
                     remainder == 0 and worst < 1e-30,
                     {"n": n, "angles": npairs, "terms_before_reduction": terms,
                      "numeric_max_err": worst})


# ---------------------------------------------------------------- high-precision oracle
@dataclass(frozen=True)
class BackpropNorms:
    """‖g_t‖ along the backward pass of one run (index 0 = ∂L/∂h_T, last = ∂L/∂h_0).

    ``input_ratios[s]`` = ‖∂L/∂x_t‖/‖∂L/∂h_t‖ for t = T − s (propagated signal only).
    """

    norms: tuple[Any, ...]
    min_abs_preactivation: Any
    input_ratios: tuple[Any, ...] = ()

    @property
    def ratio(self) -> Any:
        """‖∂L/∂h_0‖ / ‖∂L/∂h_T‖."""
        return self.norms[-1] / self.norms[0]

    @property
    def max_step_deviation(self) -> Any:
        """max_t |‖g_{t−1}‖/‖g_t‖ − 1|."""
        return max(abs(b / a - 1) for a, b in zip(self.norms, self.norms[1:], strict=False))


def _derivative(nonlinearity: Nonlinearity, a: Any) -> Any:
    if nonlinearity == "abs":
        return mpmath.sign(a)
    if nonlinearity == "tanh":
        return 1 - mpmath.tanh(a) ** 2
    if nonlinearity == "relu":
        return mpmath.mpf(1) if a > 0 else mpmath.mpf(0)
    raise ValueError(f"nonlinearity must be abs, tanh or relu, got {nonlinearity!r}")


def _apply(nonlinearity: Nonlinearity, a: Any) -> Any:
    if nonlinearity == "abs":
        return abs(a)
    if nonlinearity == "tanh":
        return mpmath.tanh(a)
    return a if a > 0 else mpmath.mpf(0)


def backprop_norms_mp(n: int, steps: int, *, nonlinearity: Nonlinearity = "abs",
                      rotations: int | None = None, input_size: int = 3, seed: int = 0,
                      dps: int = 50, thetas: Sequence[Sequence[float]] | None = None,
                      square_input: bool = False) -> BackpropNorms:
    """Run a_t = R h_{t−1} + W x_t + b, h_t = f(a_t) for ``steps`` steps in mpmath, then push a
    random g = ∂L/∂h_T back through g ← Rᵀ diag(f'(a_t)) g (O(kn) per step, packed rotations).

    R uses the first ``rotations`` rounds (default: all) of :func:`round_robin_schedule` with
    angles θ ~ U[0, 2π) (or ``thetas``); W ~ N(0, 1/n), b ~ N(0, 0.01), x_t ~ N(0, I), h_0 = 0
    (docs/theory.md §6.3).  Rᵀ is applied as the rounds in reverse order with negated angles.
    With ``square_input`` W is itself a product of packed rotations (own angles, Theorem 4) and
    ‖∂L/∂x_t‖ = ‖Wᵀ D_t g_t‖ is recorded against ‖g_t‖.
    """
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an int >= 2, got {n!r}")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    rng = random.Random(seed)
    full = round_robin_schedule(n)
    k = len(full) if rotations is None else rotations
    rounds = [full[r % len(full)] for r in range(k)]
    with mpmath.workdps(dps):
        if thetas is None:
            ang = [[mpmath.mpf(rng.uniform(0, 2 * 3.141592653589793)) for _ in rnd]
                   for rnd in rounds]
        else:
            ang = [[mpmath.mpf(a) for a in row] for row in thetas]
        fwd = [[(mpmath.cos(a), mpmath.sin(a)) for a in row] for row in ang]
        bwd = [[(c, -s) for c, s in row] for row in reversed(fwd)]
        rounds_rev = list(reversed(rounds))
        if square_input:
            input_size = n
            w_fwd = [[(mpmath.cos(a), mpmath.sin(a)) for a in
                      (mpmath.mpf(rng.uniform(0, 2 * 3.141592653589793)) for _ in rnd)]
                     for rnd in rounds]
            w_bwd = [[(c, -s) for c, s in row] for row in reversed(w_fwd)]
            W = None
        else:
            W = [[mpmath.mpf(rng.gauss(0, 1)) / mpmath.sqrt(n) for _ in range(input_size)]
                 for _ in range(n)]
        b = [mpmath.mpf(rng.gauss(0, 0.1)) for _ in range(n)]
        h = [mpmath.mpf(0)] * n
        pre = []
        for _ in range(steps):
            x = [mpmath.mpf(rng.gauss(0, 1)) for _ in range(input_size)]
            rh = apply_packed_rotations(h, rounds, fwd)
            wx = (apply_packed_rotations(x, rounds, w_fwd) if W is None else
                  [mpmath.fsum(W[i][c] * x[c] for c in range(input_size)) for i in range(n)])
            a = [rh[i] + wx[i] + b[i] for i in range(n)]
            pre.append(a)
            h = [_apply(nonlinearity, ai) for ai in a]
        g = [mpmath.mpf(rng.gauss(0, 1)) for _ in range(n)]
        norms = [mpmath.norm(g)]
        input_ratios = []
        for a in reversed(pre):
            delta = [_derivative(nonlinearity, ai) * gi for ai, gi in zip(a, g, strict=True)]
            if W is None:
                gx = apply_packed_rotations(delta, rounds_rev, w_bwd)
            else:
                gx = [mpmath.fsum(W[i][c] * delta[i] for i in range(n))
                      for c in range(input_size)]
            if norms[-1] != 0:
                input_ratios.append(mpmath.norm(gx) / norms[-1])
            g = apply_packed_rotations(delta, rounds_rev, bwd)
            norms.append(mpmath.norm(g))
        min_pre = min(abs(ai) for a in pre for ai in a)
    return BackpropNorms(tuple(norms), min_pre, tuple(input_ratios))


def proof_catalogue() -> dict[str, tuple[ProofStep, ...]]:
    """Every DizzyRNN derivation as ordered checked steps, keyed by a title (for the reports)."""

    return {
        "Givens rotation G(0,2,θ) in R^4: orthogonal, det 1": givens_orthogonality_proof(4, 0, 2),
        "Angle derivative from the output alone": angle_derivative_proof(4, 0, 2),
        "Round-robin schedule covers every pair once": schedule_proof()
        + (disjoint_givens_commute(),),
        "abs non-linearity: Jacobian diag(sgn a), D² = I": abs_jacobian_proof(4),
        "Recurrence Jacobians ∂h_t/∂h_(t−1) = D R, ∂h_t/∂x_t = D W": recurrence_jacobian_proof(),
        "Theorem 3 (all n)": theorem_proof("thm3") + (theorem_lag_proof(4),),
        "Theorem 4 (all n, square W)": theorem_proof("thm4"),
        "Theorems 3/4 exactly for n = 2, 3, 4": tuple(theorem_exact_small_n(n) for n in (2, 3, 4)),
        "tanh / ReLU with the same R contract": contraction_proof(),
        "Singular values exposed: W = UΣV": svd_scaling_proof(),
        "Singular-value regulariser": regularizer_proof("mean"),
    }
