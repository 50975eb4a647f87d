"""Claims zo.lemma1, zo.lemma2 and their finite-horizon versions (Zucchet & Orvieto 2024,
Lemmas 1–2, appendix; docs/theory.md §2)."""

from __future__ import annotations

import cmath
import random
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import mpmath
from hypothesis import strategies as st
from rnnverify.crosscheck.claims import strategies as rst
from rnnverify.crosscheck.claims.registry import Claim, Mode, RunContext, register
from rnnverify.crosscheck.claims.zucchet.common import (
    LEMMA_TERMS,
    ORACLE_DPS,
    ORACLE_TOL,
    PAPER,
    point_rng,
    rel_error,
)
from rnnverify.crosscheck.stats.ztests import CheckOutcome
from rnnverify.theory.memory.lemmas import (
    ALL_LEMMAS,
    brute_force_sum,
    check_step,
    random_sequence,
    rhs_value,
)

# ------------------------------------------------------------------ Lemmas 1 and 2
_LEMMA_META = {
    "zo.lemma1": ("lemma1", 1, None, "Lemma 1"),
    "zo.lemma2": ("lemma2", 2, None, "Lemma 2"),
    "zo.lemma1.finite": ("lemma1_finite", 1, 7, "Lemma 1 (finite horizon, derived)"),
    "zo.lemma2.finite": ("lemma2_finite", 2, 7, "Lemma 2 (finite horizon, derived)"),
}


@lru_cache(maxsize=16)
def _lemma_exact(name: str, mode: str) -> tuple[tuple[bool | None, str], ...]:
    """Exact verdict of each proof step (cached: it does not depend on the point)."""

    lemma = ALL_LEMMAS[name]()
    horizons = (3,) if mode == "quick" else (1, 2, 5)
    out = []
    for i, step in enumerate((*lemma.steps,)):
        c = check_step(step, finite=lemma.finite, points=0, seed=i, horizons=horizons)
        out.append((c.exact, c.detail))
    return tuple(out)


#: float64 rounding errors of the steps (about 1e-16 to 1e-14) are reported as "< this":
#: their last digits depend on the order SymPy happened to build the terms in, which
#: varies between processes (hash seeds), and a document must not
ROUNDING_FLOOR = 1e-12


def _reported_error(err: float) -> float:
    """``err``, or :data:`ROUNDING_FLOOR` when it is below (only its bound is stable)."""
    return ROUNDING_FLOOR if err < ROUNDING_FLOOR else err


def _error_text(err: float) -> str:
    return f"< {ROUNDING_FLOOR:g}" if err <= ROUNDING_FLOOR else f"{err:.1e}"


def _lemma_point(point: Mapping[str, Any]) -> tuple[complex, complex]:
    return (complex(point["alpha_re"], point["alpha_im"]),
            complex(point["beta_re"], point["beta_im"]))


def _lemma_symbolic(cid: str) -> Callable[[Mapping[str, Any], RunContext], CheckOutcome]:
    name, _, _, label = _LEMMA_META[cid]

    def column(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
        lemma = ALL_LEMMAS[name]()
        exact = _lemma_exact(name, ctx.mode)
        a, b = _lemma_point(point)
        steps = []
        ok = True
        for i, step in enumerate(lemma.steps):
            c = check_step(step, finite=lemma.finite, points=0, seed=int(point.get("seed", 0)),
                           at=[(a, b)], exact=False, terms=LEMMA_TERMS)
            ex, why = exact[i]
            good = ex is not False and c.holds
            ok = ok and good
            steps.append({"latex": step.latex()[:400], "justification": step.justification,
                          "exact": ex, "exact_note": why,
                          "max_rel_error": _reported_error(c.max_rel_error), "holds": good})
        n_exact = sum(1 for s in steps if s["exact"])
        detail = (f"{label}: {len(steps)} proof steps hold at α={a:.3g}, β={b:.3g} "
                  f"(max rel err {_error_text(max(s['max_rel_error'] for s in steps))} "
                  f"≤ 1e-9); "
                  f"{n_exact} exact by simplification, the rest (regrouping of the double "
                  f"sum) exact at finite T")
        if not ok:
            bad = next(s for s in steps if not s["holds"])
            detail = f"{label}: step fails: {bad['latex'][:160]} ({bad['max_rel_error']:.2e})"
        return CheckOutcome(ok, detail, {"steps": steps, "statement": lemma.latex()[:600]})

    return column


def _lemma_oracle(cid: str) -> Callable[[Mapping[str, Any], RunContext], CheckOutcome]:
    name, which, horizon, label = _LEMMA_META[cid]

    def column(point: Mapping[str, Any], ctx: RunContext) -> CheckOutcome:
        lemma = ALL_LEMMAS[name]()
        seq = random_sequence(point_rng(point))
        a, b = _lemma_point(point)
        with mpmath.workdps(ORACLE_DPS + 10):
            am, bm = mpmath.mpc(a.real, a.imag), mpmath.mpc(b.real, b.imag)
            brute, bound = brute_force_sum(which, am, bm, seq, horizon=horizon, dps=ORACLE_DPS)
            rhs = rhs_value(lemma, am, bm, seq, horizon=horizon, dps=ORACLE_DPS)
            err = rel_error(brute, rhs)
        ok = err <= ORACLE_TOL
        return CheckOutcome(ok, f"{label}: brute-force double sum (tail ≤ {float(bound):.1e}) "
                                f"vs right side, rel err {err:.1e} ≤ {ORACLE_TOL:g}",
                            {"rel_error": err, "tail_bound": float(bound),
                             "value": [float(mpmath.re(brute)), float(mpmath.im(brute))]})

    return column


def _lemma_points(mode: Mode) -> list[dict[str, Any]]:
    pts = [{"alpha_re": 0.5, "alpha_im": 0.2, "beta_re": -0.3, "beta_im": 0.4, "seed": 1}]
    if mode == "full":
        rng = random.Random(7)
        for s in range(4):
            a = rng.uniform(0.05, 0.6) * cmath.exp(1j * rng.uniform(-3.1, 3.1))
            b = rng.uniform(0.05, 0.6) * cmath.exp(1j * rng.uniform(-3.1, 3.1))
            pts.append({"alpha_re": a.real, "alpha_im": a.imag, "beta_re": b.real,
                        "beta_im": b.imag, "seed": 10 + s})
    return pts


def _lemma_domain() -> Any:
    def pt(r1: float, p1: float, r2: float, p2: float, seed: int) -> dict[str, Any]:
        a, b = r1 * cmath.exp(1j * p1), r2 * cmath.exp(1j * p2)
        return {"alpha_re": a.real, "alpha_im": a.imag, "beta_re": b.real, "beta_im": b.imag,
                "seed": seed}

    r = rst.modulus(0.5, min_value=0.05)
    ph = rst.angle(3.14)
    return st.builds(pt, r, ph, r, ph, rst.seed(10_000))


for _cid, (_name, _which, _h, _label) in _LEMMA_META.items():
    register(Claim(
        id=_cid,
        title=f"{_label}: double geometric sum of a bounded sequence, complex α, β",
        source=f"{PAPER}, {_label.split(' (')[0]} (appendix); docs/theory.md §2",
        symbolic=_lemma_symbolic(_cid),
        oracle=_lemma_oracle(_cid),
        points=_lemma_points,
        domain=_lemma_domain,
    ))
