"""The README's statement of which routes check which claims matches the registry."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from rnnverify.crosscheck.claims.registry import COLUMNS, all_claims

README = Path(__file__).resolve().parents[1] / "README.md"


def _routes() -> dict[str, tuple[str, ...]]:
    return {c.id: tuple(k for k in COLUMNS if c.column(k) is not None) for c in all_claims()}


def test_the_route_counts_in_the_readme_are_the_registry_s():
    text = " ".join(README.read_text(encoding="utf-8").split())
    routes = _routes()
    counts = Counter(routes.values())
    total = re.search(r"Of the (\d+) claims, (\d+) have all three of symbolic, oracle and "
                      r"Monte Carlo; (\d+) \(", text)
    assert total, "the README lost its statement of routes"
    assert int(total.group(1)) == len(routes)
    assert int(total.group(2)) == counts[("symbolic", "oracle", "monte_carlo")]
    assert int(total.group(3)) == counts[("symbolic", "oracle", "numeric")]
    lemmas = re.search(r"; (\d+) \(Lemmas 1–2", text)
    assert lemmas and int(lemmas.group(1)) == counts[("symbolic", "oracle")]
    fewer = [cid for cid, cols in routes.items() if len(cols) < 2]
    fewer += [cid for cid, cols in routes.items() if cols == ("oracle", "monte_carlo")]
    network = re.search(r"and (\d+) network-level claims have fewer routes", text)
    assert network and int(network.group(1)) == len(fewer)
    for cid in fewer:
        stem = cid if not cid.startswith("zo.signalprop.") else "zo.signalprop.*"
        assert stem in text, cid
