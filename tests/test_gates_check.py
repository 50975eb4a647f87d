"""``check-param --gate``: measured orders of E h², E (d_p h)² as E λ → 1 (docs/theory.md §10)."""

from __future__ import annotations

import pytest
from rnnverify.crosscheck.cli import main


@pytest.mark.slow  # ~25 s on a loaded machine: 12 closed forms along the path
def test_mamba_gate_orders_and_coefficients(main_json):
    """exp(−exp(w + s u)), w → −∞, white input: with δ = 1 − E λ ≈ E e^{w+su},
    1 − E λ² ≈ 2δ and E λ∂λ ≈ −δ, so E h² ≈ 1/(2δ) and E (d_w h)² ≈ 2c²/(1−a2)³ ≈ 1/(4δ)
    (the noise enters only at the next order, E (∂λ)²/(1−a2)² ≈ e^{s²}/4)."""
    doc = main_json(["check-param", "--gate", "exp(-exp(w + s*u))", "--wrt", "w", "--at",
                     "w=-2,s=0.5", "--rho", "0", "--json"])
    assert doc["command"] == "check-param" and doc["kind"] == "measured"
    assert doc["distance_to_one"] == "1 - E lam" and doc["reached_target"] is True
    row = doc["regimes"][0]
    assert row["h2"]["measured_order"] == pytest.approx(1.0, abs=1e-4)
    assert row["dh2_dp"]["measured_order"] == pytest.approx(1.0, abs=1e-4)
    assert row["h2"]["coefficient"] == pytest.approx(0.5, rel=1e-3)
    assert row["dh2_dp"]["coefficient"] == pytest.approx(0.25, rel=1e-3)


def test_selective_gate_refused(capsys, one_line_error):
    assert main(["check-param", "--gate", "exp(-exp(w + s*u + x))", "--wrt", "w", "--at",
                 "w=-2,s=0.5"]) == 2
    captured = capsys.readouterr()
    one_line_error(captured.err, "--gate", "no closed form")
