"""Linear recurrent networks of the teacher–student task at the optimum.

Zucchet & Orvieto (2024), §4 and appendix (Figs. 4, 9, 10): a linear recurrent
network with one input and one output,

    h_{t+1} = A h_t + B x_{t+1},      y_t = Re(C h_t) + D x_t,

is both teacher and student (the student sits exactly at the optimum).  Four
parametrizations of the same family (``MODELS``):

``dense``      A real N×N, B, C real N-vectors, D real; parameters A (row-major), B, C, D.
``diagonal``   A = diag(λ) complex, parameters Re λ, Im λ, Re B, Im B, Re C, Im C, D
               (the complex diagonal RNN; λ is parametrized by its real and imaginary part).
``lru``        λ = exp(−exp(ω_ν) + i exp(ω_θ)), input gain γ = exp(ω_γ) on B (h_{t+1} =
               λ h_t + γ B x_{t+1}); parameters ω_ν, ω_θ, ω_γ, Re B, Im B, Re C, Im C, D
               (the LRU's exponential parametrization, §3.3 of the paper's code).
``heads:K``    A block-diagonal with K dense heads of size N/K (only the block entries are
               parameters), B, C, D as for ``dense``.

The teacher is drawn from a seed with Python's :mod:`random` (so every route sees the same
numbers): eigenvalue moduli uniform in [ν₀, (1+ν₀)/2] (the range of the paper's Fig. 10
``sample``), angles uniform in (0, π).  ``dense`` and ``diagonal`` are the *same* system: the
dense A = W Λ W⁻¹ has eigenvalues in conjugate pairs (one real eigenvalue when N is odd) and
random complex eigenvectors W; the diagonal network is its eigenbasis (λ = diag Λ, B ← W⁻¹B,
C ← CW), so the two parametrizations can be compared on one teacher as in Fig. 4.  The LRU
draws its own N eigenvalues (angles in (0, π): the exponential parametrization needs θ > 0)
with γ = sqrt(1 − |λ|²), its initialization rule.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import mpmath

from rnnverify.errors import ArgumentTypeError, ArgumentValueError

MODELS = ("dense", "diagonal", "lru", "heads")

#: largest hidden size accepted (the Lyapunov oracle's state grows like N²)
MAX_HIDDEN = 16


@dataclass(frozen=True)
class LinearNetwork:
    """A teacher = student network at the optimum (all numbers mpmath, ``dps`` digits).

    ``names`` / ``values`` list the real parameters in the order every route uses.
    Dense family: ``A`` (list of rows), ``B``, ``C`` real, ``mask`` the parameter entries of
    A.  Diagonal family: ``lam``, ``b``, ``c`` complex, ``gamma`` the input gains (1 for
    ``diagonal``).
    """

    model: str
    hidden: int
    heads: int
    nu0: Any
    seed: int
    names: tuple[str, ...]
    values: tuple[Any, ...]
    D: Any
    A: tuple[tuple[Any, ...], ...] | None = None
    B: tuple[Any, ...] | None = None
    C: tuple[Any, ...] | None = None
    mask: tuple[tuple[int, int], ...] | None = None
    lam: tuple[Any, ...] | None = None
    b: tuple[Any, ...] | None = None
    c: tuple[Any, ...] | None = None
    gamma: tuple[Any, ...] | None = None

    @property
    def family(self) -> str:
        """``"dense"`` (dense, heads) or ``"diagonal"`` (diagonal, lru)."""
        return "dense" if self.model in ("dense", "heads") else "diagonal"

    @property
    def recurrent(self) -> tuple[bool, ...]:
        """Which parameters are recurrent (A entries; Re/Im λ; ω_ν, ω_θ)."""
        prefixes = ("A[", "lam_", "omega_nu", "omega_theta")
        return tuple(n.startswith(prefixes) for n in self.names)

    def invariance_dimension(self) -> int:
        """Dimension of the parameter directions that leave every output unchanged.

        dense: A → SAS⁻¹, B → SB, C → CS⁻¹ (S near I: N² directions); heads: one such S
        per head (K (N/K)²); diagonal: B_i → s B_i, C_i → C_i/s (s ∈ ℂ: 2 per unit) and, for
        each conjugate pair λ_j = conj λ_i, only C_iB_i + conj(C_jB_j) matters (2 more);
        lru: γ_i B_i C_i is the only amplitude (3 directions per unit).  These are exact
        symmetries of the loss.  The diagonal network of a real teacher has more first-order
        flat directions: for a conjugate pair (λ_i, λ_j = conj λ_i) with a_j = conj a_i, only
        a_i + conj a_j matters (2 directions) and moving λ_i and conj λ_j in opposite
        directions leaves ∇ŷ·δ = 0 (2 more), so 8 per pair; a real eigenvalue with real B, C
        has Im λ, Im B, Im C flat and one real rescaling (4).  All are null directions of the
        Gauss–Newton matrix, hence of the Hessian at the optimum; the claim checks that there
        are no others.
        """
        n = self.hidden
        if self.model == "dense":
            return n * n
        if self.model == "heads":
            m = n // self.heads
            return self.heads * m * m
        if self.model == "diagonal":
            real = sum(1 for v in self.lam if mpmath.im(v) == 0)
            return 8 * ((n - real) // 2) + 4 * real
        return 3 * n


def parse_model(text: str) -> tuple[str, int]:
    """``"dense"``, ``"diagonal"``, ``"lru"`` or ``"heads:K"`` → (model, heads)."""
    if not isinstance(text, str):
        raise ArgumentTypeError("model", f"must be a string, got {type(text).__name__}")
    if text.startswith("heads:"):
        try:
            k = int(text.split(":", 1)[1])
        except ValueError:
            raise ArgumentValueError("model", f"heads:K needs an integer K, got {text!r}") from None
        if k <= 0:
            raise ArgumentValueError("model", f"heads:K needs K ≥ 1, got {k}")
        return "heads", k
    if text in ("dense", "diagonal", "lru"):
        return text, 1
    raise ArgumentValueError("model", f"must be one of dense, diagonal, lru, heads:K, got {text!r}")


def _check(hidden: Any, nu0: Any, heads: int) -> None:
    if isinstance(hidden, bool) or not isinstance(hidden, int):
        raise ArgumentTypeError("hidden", f"must be an int, got {type(hidden).__name__}")
    if not 1 <= hidden <= MAX_HIDDEN:
        raise ArgumentValueError("hidden", f"must lie in [1, {MAX_HIDDEN}], got {hidden}")
    if isinstance(nu0, bool) or not isinstance(nu0, (int, float, str, mpmath.mpf)):
        raise ArgumentTypeError("nu0", f"must be a real number, got {type(nu0).__name__}")
    v = mpmath.mpf(nu0)
    if not (mpmath.isfinite(v) and 0 <= v < 1):
        raise ArgumentValueError("nu0", f"must lie in [0, 1), got {nu0}")
    if hidden % heads:
        raise ArgumentValueError("hidden", f"{hidden} is not a multiple of the number of heads "
                                           f"({heads})")


def _gauss_c(rng: random.Random) -> Any:
    return mpmath.mpc(rng.gauss(0, 1), rng.gauss(0, 1)) / mpmath.sqrt(2)


def _dense_block(n: int, nu0: Any, rng: random.Random) -> tuple[list, list, list]:
    """(A real n×n, eigenvalues, eigenvectors W) with A = W Λ W⁻¹, conjugate pairs."""
    hi = (1 + nu0) / 2
    lams: list[Any] = []
    vecs: list[list[Any]] = []
    for _ in range(n // 2):
        nu = nu0 + (hi - nu0) * mpmath.mpf(rng.random())
        th = mpmath.pi * mpmath.mpf(rng.uniform(0.02, 0.98))
        lam = nu * mpmath.expj(th)
        v = [_gauss_c(rng) for _ in range(n)]
        lams += [lam, mpmath.conj(lam)]
        vecs += [v, [mpmath.conj(z) for z in v]]
    if n % 2:
        nu = nu0 + (hi - nu0) * mpmath.mpf(rng.random())
        lams.append(mpmath.mpc(nu if rng.random() < 0.5 else -nu))
        vecs.append([mpmath.mpc(rng.gauss(0, 1)) for _ in range(n)])
    W = mpmath.matrix(n, n)
    for j, v in enumerate(vecs):
        for i in range(n):
            W[i, j] = v[i]
    Wi = mpmath.inverse(W)
    Lam = mpmath.diag(lams)
    Ac = W * Lam * Wi
    A = [[mpmath.re(Ac[i, j]) for j in range(n)] for i in range(n)]
    return A, lams, [W, Wi]


def teacher(model: str, hidden: int, nu0: Any, *, heads: int = 1, seed: int = 0,
            dps: int = 50) -> LinearNetwork:
    """The teacher network of ``model`` (see the module docstring) at ``dps`` digits."""
    if model not in MODELS:
        raise ArgumentValueError("model", f"must be one of {', '.join(MODELS)}, got {model!r}")
    if model != "heads":
        heads = 1
    _check(hidden, nu0, heads)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ArgumentValueError("seed", f"must be a non-negative int, got {seed!r}")
    n = hidden
    rng = random.Random(f"hessian-teacher:{seed}")  # one stream per seed, any model
    with mpmath.workdps(dps):
        nu0m = mpmath.mpf(nu0)
        scale = 1 / mpmath.sqrt(n)
        if model in ("dense", "diagonal", "heads"):
            m = n // heads
            A = [[mpmath.mpf(0)] * n for _ in range(n)]
            lams: list[Any] = []
            W = mpmath.zeros(n, n)
            for h in range(heads):
                Ah, lh, (Wh, _) = _dense_block(m, nu0m, rng)
                for i in range(m):
                    for j in range(m):
                        A[h * m + i][h * m + j] = Ah[i][j]
                        W[h * m + i, h * m + j] = Wh[i, j]
                lams += lh
            B = [mpmath.mpf(rng.gauss(0, 1)) for _ in range(n)]
            C = [mpmath.mpf(rng.gauss(0, 1)) * scale for _ in range(n)]
            D = mpmath.mpf(rng.gauss(0, 1))
            if model == "diagonal":
                Wi = mpmath.inverse(W)
                b = tuple(sum((Wi[i, j] * B[j] for j in range(n)), mpmath.mpc(0))
                          for i in range(n))
                c = tuple(sum((C[j] * W[j, i] for j in range(n)), mpmath.mpc(0))
                          for i in range(n))
                return _diagonal_network("diagonal", n, nu0, seed, tuple(lams), b, c,
                                         (mpmath.mpf(1),) * n, D)
            mask = tuple((i, j) for i in range(n) for j in range(n)
                         if i // m == j // m)
            names = tuple(f"A[{i},{j}]" for i, j in mask) + tuple(
                f"B[{i}]" for i in range(n)) + tuple(f"C[{i}]" for i in range(n)) + ("D",)
            values = tuple(A[i][j] for i, j in mask) + tuple(B) + tuple(C) + (D,)
            return LinearNetwork(model, n, heads, nu0, seed, names, values, D,
                                 A=tuple(tuple(r) for r in A), B=tuple(B), C=tuple(C),
                                 mask=mask)
        # lru: its own eigenvalues, θ in (0, π), γ = sqrt(1 − ν²)
        hi = (1 + nu0m) / 2
        lams, bs, cs, gs = [], [], [], []
        for _ in range(n):
            nu = nu0m + (hi - nu0m) * mpmath.mpf(rng.random())
            th = mpmath.pi * mpmath.mpf(rng.uniform(0.02, 0.98))
            lams.append(nu * mpmath.expj(th))
            gs.append(mpmath.sqrt(1 - nu**2))
            bs.append(_gauss_c(rng))
            cs.append(_gauss_c(rng) * scale)
        D = mpmath.mpf(rng.gauss(0, 1))
        return _diagonal_network("lru", n, nu0, seed, tuple(lams), tuple(bs), tuple(cs),
                                 tuple(gs), D)


def _diagonal_network(model: str, n: int, nu0: Any, seed: int, lam: tuple, b: tuple,
                      c: tuple, gamma: tuple, D: Any) -> LinearNetwork:
    idx = range(n)
    if model == "diagonal":
        names = tuple([f"lam_re[{i}]" for i in idx] + [f"lam_im[{i}]" for i in idx])
        values = tuple([mpmath.re(v) for v in lam] + [mpmath.im(v) for v in lam])
    else:
        names = tuple([f"omega_nu[{i}]" for i in idx] + [f"omega_theta[{i}]" for i in idx]
                      + [f"omega_gamma[{i}]" for i in idx])
        values = tuple([mpmath.log(-mpmath.log(abs(v))) for v in lam]
                       + [mpmath.log(mpmath.arg(v)) for v in lam]
                       + [mpmath.log(g) for g in gamma])
    names += tuple([f"B_re[{i}]" for i in idx] + [f"B_im[{i}]" for i in idx]
                   + [f"C_re[{i}]" for i in idx] + [f"C_im[{i}]" for i in idx] + ["D"])
    values += tuple([mpmath.re(v) for v in b] + [mpmath.im(v) for v in b]
                    + [mpmath.re(v) for v in c] + [mpmath.im(v) for v in c] + [D])
    return LinearNetwork(model, n, 1, nu0, seed, names, values, D, lam=lam, b=b, c=c,
                         gamma=gamma)


def parameter_layout(net: LinearNetwork) -> dict[str, Any]:
    """Plain-float description of ``net`` for the simulation layer (no mpmath there)."""
    return {
        "model": net.model, "hidden": net.hidden, "heads": net.heads,
        "names": list(net.names), "values": [float(v) for v in net.values],
        "mask": None if net.mask is None else [list(p) for p in net.mask],
    }


def nu_grid() -> tuple[str, ...]:
    """ν₀ of the paper's Fig. 3A/4 sweep: 1 − 0.64·2^{−k}, k = 0..6."""
    return tuple(f"{1 - 0.64 * 2.0**-kk:.2f}" for kk in range(7))

