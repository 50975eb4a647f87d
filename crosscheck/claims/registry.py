"""The claim registry: the unit that ``verify``, ``report`` and the tests share.

A :class:`Claim` is one executable statement from the literature.  It carries
up to three *columns*, each an independent route to the same fact: a symbolic,
an oracle, and either a statistical Monte Carlo or a deterministic numeric one:

``symbolic``
    a SymPy derivation (identity proven by simplification *and* confirmed at
    random complex points);
``oracle``
    the derived value against a high-precision mpmath route that never uses the
    closed form;
``monte_carlo``
    a PyTorch simulation compared with theory by a calibrated z-test (these share
    the suite's false-failure budget);
``numeric``
    a deterministic float64 PyTorch computation (no sampling) held to a stated
    rounding bound, where the fact is exact rather than an expectation.

Every column is a callable ``(point, ctx) -> CheckOutcome``.  ``point`` is a
dict of parameters (``{"lam": 0.9, "rho": 0.5}``); a claim lists the points it
checks for a given mode in :attr:`Claim.points` and, for property tests, the
Hypothesis strategy of its parameter domain in :attr:`Claim.domain`.

Claims are added with :func:`register`; modules under :mod:`crosscheck.claims`
do that at import time and :func:`all_claims` imports them all.
"""

from __future__ import annotations

import fnmatch
import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from rnnverify.crosscheck.stats.ztests import CheckOutcome, two_sided_z

Mode = Literal["quick", "full"]
COLUMNS: tuple[str, ...] = ("symbolic", "oracle", "monte_carlo", "numeric")

#: Suite-level false-failure rate of ``rnnverify verify`` (all Monte Carlo
#: checks together, Bonferroni-corrected across them).
SUITE_FALSE_FAILURE_RATE = 1e-3


@dataclass
class RunContext:
    """What a column needs to know about the run it is part of.

    ``alpha`` is the false-failure rate allotted to *each* Monte Carlo check
    (the suite rate divided by the number of Monte Carlo checks in the run).
    """

    mode: Mode = "quick"
    seed: int = 0
    device: str = "cpu"
    alpha: float = 1e-4

    @property
    def z_bound(self) -> float:
        """Two-sided z threshold whose false-failure rate is ``alpha``."""
        return two_sided_z(self.alpha)


Column = Callable[[Mapping[str, Any], RunContext], CheckOutcome]
PointsFn = Callable[[Mode], list[dict[str, Any]]]


def _single_point(mode: Mode) -> list[dict[str, Any]]:
    return [{}]


@dataclass(frozen=True)
class Claim:
    """One executable statement: id, source, and up to three independent columns (a claim
    has a ``monte_carlo`` column or a ``numeric`` one, not both)."""

    id: str
    title: str
    source: str
    symbolic: Column | None = None
    oracle: Column | None = None
    monte_carlo: Column | None = None
    points: PointsFn = _single_point
    domain: Callable[[], Any] | None = None  # () -> hypothesis SearchStrategy[dict]
    #: deterministic float64 check (states a rounding bound, not a false-failure rate)
    numeric: Column | None = None
    #: (mode) -> seconds the monte_carlo column is expected to take, from a measured rate
    #: (None: the suite's per-claim share of verify's start-line estimate)
    estimate_s: Callable[[Mode], float] | None = None

    def __post_init__(self) -> None:
        if self.monte_carlo is not None and self.numeric is not None:
            raise ValueError(f"claim {self.id}: give a monte_carlo or a numeric column, "
                             "not both")

    @property
    def statistical(self) -> bool:
        """Whether the claim's simulation column is a statistical test (shares the suite's
        false-failure budget)."""
        return self.monte_carlo is not None

    def column(self, name: str) -> Column | None:
        if name not in COLUMNS:
            raise ValueError(f"column must be one of {COLUMNS}, got {name!r}")
        return getattr(self, name)


_REGISTRY: dict[str, Claim] = {}

#: Modules that register claims on import (order = display order).
CLAIM_MODULES: tuple[str, ...] = (
    "rnnverify.crosscheck.claims.zucchet.lemmas",
    "rnnverify.crosscheck.claims.zucchet.moments",
    "rnnverify.crosscheck.claims.zucchet.normalization",
    "rnnverify.crosscheck.claims.zucchet.loss1d",
    "rnnverify.crosscheck.claims.dizzy",
    "rnnverify.crosscheck.claims.classical",
    "rnnverify.crosscheck.claims.networks",
    "rnnverify.crosscheck.claims.gru",
    "rnnverify.crosscheck.claims.signalprop",
    "rnnverify.crosscheck.claims.gates",
)


def register(claim: Claim) -> Claim:
    """Add ``claim`` to the registry; ids are unique."""
    if claim.id in _REGISTRY and _REGISTRY[claim.id] is not claim:
        raise ValueError(f"duplicate claim id {claim.id!r}")
    _REGISTRY[claim.id] = claim
    _ORIGIN.setdefault(claim.id, sys._getframe(1).f_globals.get("__name__", ""))
    return claim


#: claim id -> module that registered it (the display order follows CLAIM_MODULES)
_ORIGIN: dict[str, str] = {}


def origin(claim_id: str) -> str:
    """The module that registered ``claim_id`` (claims of one module share its caches)."""
    return _ORIGIN.get(claim_id, "")


def all_claims() -> list[Claim]:
    """Every registered claim, in the order of :data:`CLAIM_MODULES` (then registration
    order), whichever module happened to be imported first."""
    for mod in CLAIM_MODULES:
        importlib.import_module(mod)
    rank = {m: i for i, m in enumerate(CLAIM_MODULES)}
    order = {cid: i for i, cid in enumerate(_REGISTRY)}
    return sorted(_REGISTRY.values(),
                  key=lambda c: (rank.get(_ORIGIN.get(c.id, ""), len(rank)), order[c.id]))


def select(pattern: str | None = None, claims: Iterable[Claim] | None = None) -> list[Claim]:
    """Claims whose id matches the glob ``pattern`` (all when ``None``)."""
    pool = list(claims) if claims is not None else all_claims()
    if pattern is None:
        return pool
    chosen = [c for c in pool if fnmatch.fnmatchcase(c.id, pattern)]
    if not chosen:
        ids = ", ".join(c.id for c in pool)
        raise ValueError(f"--only {pattern!r} matches no claim; known ids: {ids}")
    return chosen
