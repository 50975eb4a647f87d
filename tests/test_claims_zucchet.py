"""crosscheck.claims.zucchet.*: the curse-of-memory claims are registered, hold, and can fail.

(The registry-wide tests in test_registry_claims.py run every claim in quick mode and at
points drawn from each domain; here: ids, points, and that a wrong claim is detected.)
"""

from __future__ import annotations

import dataclasses
import json

import pytest
import rnnverify.crosscheck.claims.zucchet.moments as zm
import rnnverify.crosscheck.claims.zucchet.normalization as zn
import sympy as sp
from rnnverify.crosscheck.claims.registry import RunContext, all_claims

IDS = {"zo.lemma1", "zo.lemma2", "zo.lemma1.finite", "zo.lemma2.finite", "zo.moments.general",
       "zo.moments.ar1", "zo.moments.complex", "zo.moments.finite_t", "zo.moments.cross",
       "zo.normalization", "zo.reparam", "zo.loss1d"}


def claims() -> dict:
    return {c.id: c for c in all_claims() if c.id in IDS}


def test_ids_sources_and_columns() -> None:
    got = claims()
    assert set(got) == IDS
    for c in got.values():
        assert "zucchet" in c.source.lower(), c.source
        assert callable(c.symbolic) and callable(c.oracle) and callable(c.domain), c.id


def test_points_are_json_and_full_mode_covers_near_one() -> None:
    got = claims()
    for c in got.values():
        quick, full = c.points("quick"), c.points("full")
        assert 1 <= len(quick) <= 3 and len(full) >= len(quick)
        json.dumps(full)
    lams = [p.get("lam") for p in got["zo.moments.ar1"].points("full")]
    assert any(v is not None and 1 - v <= 1.1e-8 for v in lams)


def test_normalization_table_row_that_is_wrong_fails(monkeypatch) -> None:
    rows = zn._table_rows()
    name = "γ² E h²"
    bad = dict(rows)
    # coefficient off by 2
    bad[name] = dataclasses.replace(rows[name], generic=lambda r: (0, 2 * (1 + r) / (1 - r)))
    monkeypatch.setattr(zn, "_table_rows", lambda: bad)
    out = zn._norm_symbolic({"rho": 0.5}, RunContext())
    assert not out.holds and name in out.detail


def test_oracle_column_detects_a_wrong_moment(monkeypatch) -> None:
    real = zm.moments

    def off(*args, **kwargs):
        res = real(*args, **kwargs)
        res["dh2_dlam"] = res["dh2_dlam"] * (1 + 1e-20)
        return res

    monkeypatch.setattr(zm, "moments", off)
    out = zm._oracle_moments_outcome({"lam": 0.9, "rho": 0.5}, "test")
    assert not out.holds


def test_published_equal_detects_a_difference(monkeypatch) -> None:
    pub = zm.published_forms()
    pub["h2_real"] = pub["h2_real"] * (1 + sp.Symbol("rho", real=True) / 1000)
    monkeypatch.setattr(zm, "published_forms", lambda: pub)
    zm._published_equal.cache_clear()
    try:
        assert not zm._published_equal("h2", "h2_real").holds
    finally:
        zm._published_equal.cache_clear()


@pytest.mark.parametrize("cid", ["zo.lemma1", "zo.loss1d"])
def test_symbolic_column_data_renders(cid: str) -> None:
    c = claims()[cid]
    out = c.symbolic(c.points("quick")[0], RunContext())
    assert out.holds
    json.dumps(out.data)
