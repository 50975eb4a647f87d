"""Input autocorrelations R(k) = E[x_t x_{t+k}] and their generating functions.

The curse-of-memory moments (Zucchet & Orvieto 2024, Lemmas 1-2, research note
docs/theory.md §2-2) only see the input through

    G(α) = Σ_{k≥1} α^k R(k)          (generating function)
    W(α) = Σ_{k≥1} k α^k R(k) = α G'(α)   (weighted generating function)

for |α| < 1.  An :class:`Autocorrelation` holds R as a SymPy expression in the
lag ``k`` (k ≥ 0; R(-k) = R(k)), possibly with the AR(1) parameter ``rho``.
:meth:`Autocorrelation.generating_function` returns G in closed form when one is
found (every additive term of R that is geometric in k is summed exactly; other
terms go to :func:`sympy.summation`), otherwise an unevaluated ``Sum`` that is
evaluated numerically with :func:`mpmath.nsum`; the ``method`` field says which.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import mpmath
import sympy as sp
from rnnverify.theory.parser import parse_constant, parse_expression
from rnnverify.theory.symbols import alpha, k, rho

Method = Literal["closed", "numeric"]
_RHO = rho  # the symbol, for methods whose argument is also called rho

#: lags at which a user autocorrelation is checked for R(0) > 0 and |R(k)| <= R(0)
SAMPLE_LAGS: tuple[int, ...] = (*range(0, 33), 50, 64, 100, 257, 1000, 4096)
#: values of rho at which an autocorrelation that contains rho is checked
SAMPLE_RHOS: tuple[float, ...] = (-1.0, -0.9, -0.5, 0.0, 0.3, 0.7, 0.99, 1.0)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _as_rho(value: Any) -> sp.Expr:
    """ρ as a SymPy object: the symbol, or an exact number checked to lie in [-1, 1]."""
    if isinstance(value, sp.Basic):
        if value.free_symbols - {rho}:
            raise ValueError(f"rho must be a number or the symbol rho, got {value}")
        if value.is_number:
            num = complex(value)
            if num.imag != 0 or not -1 <= num.real <= 1:
                raise ValueError(f"rho must lie in [-1, 1], got {value}")
        return value
    # floats are taken at their exact binary value (as the oracle does); give text for an
    # exact decimal: "0.9" is 9/10
    if isinstance(value, str):

        return _as_rho(parse_constant(value, name="rho"))
    if not _is_number(value):
        raise TypeError(f"rho must be a real number, got {type(value).__name__}")
    if not mpmath.isfinite(value):
        raise ValueError(f"rho must be finite, got {value!r}")
    if not -1.0 <= float(value) <= 1.0:
        raise ValueError(f"rho must lie in [-1, 1], got {value!r}")
    return sp.nsimplify(value) if isinstance(value, int) else sp.Rational(value)


def _geometric_split(term: sp.Expr, var: sp.Symbol) -> tuple[sp.Expr, sp.Expr] | None:
    """(C, r) with term = C r^var when ``term`` is geometric in ``var``, else None."""
    ratio = sp.simplify(sp.powsimp(term.subs(var, var + 1) / term, force=True))
    if ratio.has(var) or ratio == 0 or ratio.has(sp.nan, sp.zoo):
        return None
    coeff = sp.simplify(term.subs(var, 0))
    if coeff.has(sp.nan, sp.zoo):
        return None
    return coeff, ratio


def sum_closed_form(summand: sp.Expr, var: sp.Symbol, lower: Any, upper: Any) -> sp.Expr:
    """Σ_{var=lower}^{upper} summand, in closed form where possible.

    Each additive term (after rewriting trigonometric factors as exponentials)
    that is geometric in ``var`` (C r^var) is summed with the generic formula
    C (r^lower − r^{upper+1})/(1 − r) (r ≠ 1; for upper = ∞, C r^lower/(1 − r),
    valid for |r| < 1).  Other terms go to :func:`sympy.summation`, taking the
    convergent branch of a ``Piecewise``; terms with no closed form stay as
    unevaluated ``Sum`` objects.
    """
    expr = sp.expand(summand)
    if expr.has(sp.sin, sp.cos):
        expr = sp.expand(expr.rewrite(sp.exp))
    total = sp.Integer(0)
    for term in sp.Add.make_args(expr):
        if not term.has(var):
            count = (upper - lower + 1) if upper is not sp.oo else None
            if count is None:
                if term != 0:
                    raise ValueError("the generating function diverges (a term constant in k)")
                continue
            total += term * count
            continue
        geo = _geometric_split(term, var)
        if geo is not None:
            c, r = geo
            if upper is sp.oo:
                total += c * r**lower / (1 - r)
            else:
                total += c * (r**lower - r ** (upper + 1)) / (1 - r)
            continue
        s = sp.summation(term, (var, lower, upper))
        # the first branch of each Piecewise is the convergent one (|ratio| < 1)
        s = s.replace(lambda x: isinstance(x, sp.Piecewise), lambda x: x.args[0].expr)
        total += s
    return total


@dataclass(frozen=True)
class GeneratingFunction:
    """Σ_{k≥1} w(k) α^k R(k) (w = 1 or w = k) as ``expr`` in the symbol α.

    ``method`` is ``"closed"`` when ``expr`` has no unevaluated ``Sum`` (then it is
    evaluated by lambdifying to mpmath) and ``"numeric"`` when it does (then it is
    evaluated with :func:`mpmath.nsum`).  Calling the object evaluates it at a
    number α with |α| < 1 (``rho`` must be given when the expression contains ρ).
    """

    expr: sp.Expr
    method: Method
    alpha: sp.Symbol
    _numeric: Callable[..., Any] = field(compare=False, repr=False)

    #: value at α = 0 (closed forms such as −log(1 − α)/α may be 0/0 there)
    at_zero: sp.Expr = sp.Integer(0)

    def __call__(self, alpha_value: Any, *, rho: Any = None, dps: int = 50) -> Any:
        with mpmath.workdps(dps):
            a = mpmath.mpmathify(alpha_value)
            if a == 0:
                value = self.at_zero if rho is None else self.at_zero.subs(_RHO, rho)
                return mpmath.mpmathify(sp.N(value, dps))
            return self._numeric(a, rho, dps)


@dataclass(frozen=True)
class Autocorrelation:
    """A stationary input autocorrelation R(k), k ≥ 0 (R(−k) = R(k)).

    ``expr`` is a SymPy expression in :data:`theory.symbols.k` (may contain
    :data:`theory.symbols.rho`); ``rho`` is the ρ expression (symbol or number)
    when R(k) = ρ^k (the AR(1) family of the paper, Fig. 1), else ``None``.
    """

    expr: sp.Expr
    name: str
    rho: sp.Expr | None = None

    # -- evaluation -------------------------------------------------------------
    @property
    def has_rho(self) -> bool:
        return self.expr.has(rho)

    def at_rho(self, value: Any) -> Autocorrelation:
        """The same model with ρ replaced by ``value`` (a number in [−1, 1])."""
        val = _as_rho(value)
        new_rho = None if self.rho is None else self.rho.subs(rho, val)
        return Autocorrelation(self.expr.subs(rho, val), f"{self.name} [rho={value}]", new_rho)

    def evaluate(self, k_value: int, dps: int = 50, *, rho: Any = None) -> Any:
        """R(k) as an mpmath number (R(−k) = R(k)); ``rho`` is needed if ``expr`` has ρ."""
        if isinstance(k_value, bool) or not isinstance(k_value, int):
            raise TypeError(f"k must be an int, got {type(k_value).__name__}")
        if self.has_rho and rho is None:
            raise ValueError(f"autocorrelation {self.name!r} contains rho: give rho=")
        with mpmath.workdps(dps):
            fn = _lambdified_R(self.expr)
            # k as an mpf: with a Python int, 1/(k+1) would be a double-precision float
            value = fn(mpmath.mpf(abs(k_value)),
                       mpmath.mpf(0) if rho is None else mpmath.mpmathify(rho))
            return mpmath.mpmathify(value)

    def lag_function(self) -> Callable[[Any], Any]:
        """R as a fast callable of an mpmath lag k ≥ 0 at the working precision (for sums of
        many terms; ``expr`` must not contain ρ)."""
        if self.has_rho:
            raise ValueError(f"autocorrelation {self.name!r} contains rho: give its value")
        fn = _lambdified_R(self.expr)
        zero = mpmath.mpf(0)
        return lambda lag: mpmath.mpmathify(fn(lag, zero))

    # -- generating functions ---------------------------------------------------
    def generating_function(self, alpha_sym: sp.Symbol = alpha) -> GeneratingFunction:
        """G(α) = Σ_{k≥1} α^k R(k) (closed form where found, else numeric)."""
        return _generating_function(self.expr, alpha_sym, weighted=False)

    def weighted_generating_function(self, alpha_sym: sp.Symbol = alpha) -> GeneratingFunction:
        """W(α) = Σ_{k≥1} k α^k R(k) = α G'(α) (closed form where found, else numeric)."""
        return _generating_function(self.expr, alpha_sym, weighted=True)

    def derivative_generating_function(self, alpha_sym: sp.Symbol = alpha) -> GeneratingFunction:
        """G'(α) = Σ_{k≥1} k α^(k−1) R(k) (closed form where found, else numeric)."""
        return _generating_function(self.expr, alpha_sym, weighted=True, derivative=True)

    @property
    def R0(self) -> sp.Expr:
        """R(0)."""
        return sp.simplify(self.expr.subs(k, 0))


#: most terms summed directly by :func:`numeric_lag_sum` (with its proven tail bound)
MAX_DIRECT_TERMS = 200_000


def numeric_lag_sum(R: Callable[[Any], Any], a: Any, *, weighted: bool, power: int = 0,
                    dps: int = 50) -> Any:
    """Σ_{k≥1} w(k) a^(k−power) R(k) (w = k if ``weighted`` else 1), |a| < 1, at ``dps`` digits.

    Summed term by term to the first N with the tail bound
    R(0) |a|^(N−1) (N/(1−|a|) + 1/(1−|a|)²) < 10^(−dps−5) — proven, since |R(k)| ≤ R(0) for
    any autocorrelation — when N ≤ :data:`MAX_DIRECT_TERMS`.  Nearer |a| = 1:
    Euler–Maclaurin (:func:`mpmath.nsum`) for a > 0, where the terms are smooth in k, and
    Richardson/Shanks extrapolation otherwise (an alternating or complex ratio);
    Richardson/Shanks alone loses digits on slowly decaying R near a = 1 (R = (1+k)^(−1/2),
    a = 0.9996: 8 of 60).
    """
    x = abs(a)
    r0 = abs(mpmath.mpmathify(R(mpmath.mpf(0))))
    tol = mpmath.mpf(10) ** (-dps - 5)

    def term(n: Any) -> Any:
        return (n if weighted else 1) * a ** (n - power) * R(n)

    if x == 0:
        return term(mpmath.mpf(1)) if power else mpmath.mpf(0)

    def tail(n: int) -> Any:
        return r0 * x ** (n - 1) * (n / (1 - x) + 1 / (1 - x) ** 2)

    n_terms = max(2, int(mpmath.ceil((mpmath.log(tol) - mpmath.log(r0 + 1)
                                      + 2 * mpmath.log(1 - x)) / mpmath.log(x))))
    if n_terms <= MAX_DIRECT_TERMS:
        while tail(n_terms + 1) > tol:
            n_terms += n_terms // 8 + 1
        return mpmath.fsum(term(mpmath.mpf(n)) for n in range(1, n_terms + 1))
    smooth = mpmath.im(a) == 0 and mpmath.re(a) > 0
    return mpmath.nsum(term, [1, mpmath.inf],
                       method="euler-maclaurin" if smooth else "richardson+shanks")


@lru_cache(maxsize=256)
def _lambdified_R(expr: sp.Expr) -> Callable[[Any, Any], Any]:
    return sp.lambdify((k, rho), expr, modules="mpmath")


@lru_cache(maxsize=256)
def _generating_function(
    r_expr: sp.Expr, alpha_sym: sp.Symbol, *, weighted: bool, derivative: bool = False
) -> GeneratingFunction:
    g = sum_closed_form(alpha_sym**k * r_expr, k, 1, sp.oo)
    if weighted:
        g = sp.diff(g, alpha_sym) if derivative else alpha_sym * sp.diff(g, alpha_sym)
    if not g.has(sp.Sum):
        g = sp.simplify(g)
        fn = sp.lambdify((alpha_sym, rho), g, modules="mpmath")

        def closed(a: Any, r: Any, dps: int) -> Any:
            if g.has(rho) and r is None:
                raise ValueError("the generating function contains rho: give rho=")
            return fn(a, mpmath.mpf(0) if r is None else mpmath.mpmathify(r))

        at_zero = r_expr.subs(k, 1) if derivative else sp.Integer(0)
        return GeneratingFunction(g, "closed", alpha_sym, closed, at_zero)
    R = _lambdified_R(r_expr)
    power = 1 if derivative else 0
    at_zero = r_expr.subs(k, 1) if derivative else sp.Integer(0)

    def numeric(a: Any, r: Any, dps: int) -> Any:
        if r_expr.has(rho) and r is None:
            raise ValueError("the autocorrelation contains rho: give rho=")
        rv = mpmath.mpf(0) if r is None else mpmath.mpmathify(r)
        return numeric_lag_sum(lambda n: R(n, rv), a, weighted=weighted, power=power, dps=dps)

    unevaluated = sp.Sum(
        (k * alpha_sym ** (k - power) if weighted else alpha_sym**k) * r_expr, (k, 1, sp.oo)
    )
    return GeneratingFunction(unevaluated, "numeric", alpha_sym, numeric, at_zero)


# -- factories --------------------------------------------------------------------
def ar1(rho_value: Any = rho) -> Autocorrelation:
    """R(k) = ρ^|k| (AR(1) inputs; ρ = 0 white noise, ρ = 1 a constant input).

    ρ may be the symbol :data:`theory.symbols.rho` (default) or a number in
    [−1, 1]; ρ = 0 gives R(k) = 0^k (1 at k = 0, else 0) and ρ = 1 gives R ≡ 1,
    both exact.
    """
    r = _as_rho(rho_value)
    if r == 1:
        return Autocorrelation(sp.Integer(1), "constant (rho=1)", sp.Integer(1))
    name = "rho**k" if r is rho else f"({rho_value})**k"
    return Autocorrelation(r**k, name, r)


def white() -> Autocorrelation:
    """i.i.d. unit-variance input: R(0) = 1, R(k) = 0 for k ≥ 1."""
    return ar1(0)


def check_autocorrelation(expr: sp.Expr, name: str = "autocorrelation") -> None:
    """Raise ValueError unless R(0) > 0 and |R(k)| ≤ R(0) at the sample lags.

    When the expression contains ρ the check runs at each value of
    :data:`SAMPLE_RHOS`.  These are necessary conditions for R to be an
    autocorrelation (not sufficient: positive-definiteness is not checked).
    """
    fn = _lambdified_R(expr)
    rhos = SAMPLE_RHOS if expr.has(rho) else (0.0,)
    with mpmath.workdps(30):
        for r in rhos:
            try:
                r0 = mpmath.mpmathify(fn(mpmath.mpf(0), mpmath.mpf(r)))
            except (ZeroDivisionError, TypeError, ValueError, OverflowError) as exc:
                raise ValueError(f"{name}: R(0) cannot be evaluated ({exc})") from None
            if not (mpmath.isfinite(r0) and mpmath.im(r0) == 0 and r0 > 0):
                where = f" at rho={r}" if expr.has(rho) else ""
                raise ValueError(f"{name}: R(0) must be a positive real number, got {r0}{where}")
            for lag in SAMPLE_LAGS[1:]:
                try:
                    val = mpmath.mpmathify(fn(mpmath.mpf(lag), mpmath.mpf(r)))
                except (ZeroDivisionError, TypeError, ValueError, OverflowError) as exc:
                    raise ValueError(f"{name}: R({lag}) cannot be evaluated ({exc})") from None
                if not mpmath.isfinite(val) or mpmath.im(val) != 0:
                    raise ValueError(f"{name}: R({lag}) must be a finite real number, got {val}")
                if abs(val) > r0 * (1 + mpmath.mpf(10) ** -20):
                    where = f" at rho={r}" if expr.has(rho) else ""
                    raise ValueError(
                        f"{name}: |R({lag})| = {mpmath.nstr(abs(val), 6)} exceeds "
                        f"R(0) = {mpmath.nstr(r0, 6)}{where}; not an autocorrelation"
                    )


def from_expression(text: str) -> Autocorrelation:
    """An autocorrelation from a user expression in ``k`` (and ``rho``).

    Parsed with the whitelist parser :func:`theory.parser.parse_expression`
    (never ``eval``); only the names ``k`` and ``rho`` are allowed.  Raises
    ValueError when the text does not parse or R(0) ≤ 0 or |R(k)| > R(0) at a
    sample lag.
    """
    if not isinstance(text, str):
        raise TypeError(f"autocorr must be a string, got {type(text).__name__}")

    expr = parse_expression(text, allowed=("k", "rho"))
    if not isinstance(expr, sp.Expr):
        raise ValueError(f"autocorr must be an expression, got {text!r}")
    check_autocorrelation(expr, name=f"autocorr {text!r}")
    rho_part = None
    if expr.has(k):
        geo = _geometric_split(expr, k)
        if geo is not None and sp.simplify(geo[0] - 1) == 0:
            rho_part = geo[1]
    return Autocorrelation(expr, text, rho_part)


def as_autocorrelation(value: Any) -> Autocorrelation:
    """Accept an :class:`Autocorrelation`, a number ρ (→ :func:`ar1`), or expression text."""
    if isinstance(value, Autocorrelation):
        return value
    if isinstance(value, str):
        return from_expression(value)
    if _is_number(value) or (isinstance(value, sp.Basic) and value.is_number):
        return ar1(value)
    raise TypeError(
        f"autocorr must be an Autocorrelation, a number rho or an expression string, "
        f"got {type(value).__name__}"
    )
