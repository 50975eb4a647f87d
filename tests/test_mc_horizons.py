"""Every Monte Carlo point says what it tests: the stationary value or a finite horizon t."""

from __future__ import annotations

from rnnverify.crosscheck.claims.mc_columns import (
    FALLBACK_T,
    feasible,
    horizon_data,
    horizon_of,
)
from rnnverify.crosscheck.claims.registry import all_claims
from rnnverify.crosscheck.claims.runner import ColumnResult, horizon_summary
from rnnverify.crosscheck.model.recurrence import Model

#: zo.* claims whose statement is about t → ∞ (zo.moments.finite_t is about finite t)
STATIONARY_CLAIMS = ("zo.moments.general", "zo.moments.ar1", "zo.moments.complex",
                     "zo.moments.cross", "zo.normalization", "zo.reparam", "zo.loss1d")


def _lams(claim_id: str, point: dict) -> list[dict]:
    """The simulated models of a point (without running them)."""
    if claim_id == "zo.reparam":
        return [{"lam": point["nu"], "theta": 0.7}]
    if claim_id == "zo.loss1d":
        return [{"lam": abs(point["lam_star"])}]
    if claim_id == "zo.normalization":
        return [{"lam": v, "rho": point["rho"]} for v in (0.5, 0.9, 0.99)]
    keys = {"lam", "theta", "rho", "autocorr", "t"}
    out = [{k: v for k, v in point.items() if k in keys}]
    if "lam2" in point:
        out.append({"lam": point["lam2"], "rho": point.get("rho", 0.0), "t": point.get("t")})
    return out


def test_each_stationary_claim_has_a_feasible_stationary_point_in_quick_and_full() -> None:
    claims = {c.id: c for c in all_claims()}
    for cid in STATIONARY_CLAIMS:
        assert callable(claims[cid].monte_carlo), cid
        for mode in ("quick", "full"):
            stationary_points = 0
            for point in claims[cid].points(mode):
                models = [feasible(Model.from_options(o), mode)[0] for o in _lams(cid, point)]
                if all(m.t is None for m in models):
                    stationary_points += 1
            assert stationary_points >= 1, (cid, mode)


def test_infeasible_stationary_point_is_labelled_not_swapped_silently() -> None:
    model = Model.from_options({"lam": 1 - 1e-8, "rho": 0.99})
    got, note = feasible(model, "quick")
    assert got.t == FALLBACK_T["quick"] and got.lam == model.lam
    assert "stationary infeasible" in note and "finite horizon" in note
    assert horizon_of(got) == FALLBACK_T["quick"] and horizon_of(model) == "stationary"
    ok, _ = feasible(Model.from_options({"lam": 0.99, "rho": 0.9}), "quick")
    assert ok.t is None


def test_horizon_data_and_table_summary() -> None:
    runs = [{"horizon": "stationary", "stationary_infeasible": False},
            {"horizon": 1000, "stationary_infeasible": True}]
    assert horizon_data(runs) == {"horizon": ["stationary", 1000], "stationary_infeasible": True}
    assert horizon_data(runs[:1]) == {"horizon": "stationary", "stationary_infeasible": False}
    col = ColumnResult("pass", points=[
        {"horizon": "stationary", "stationary_infeasible": False},
        {"horizon": 1000, "stationary_infeasible": True},
        {"horizon": 30, "stationary_infeasible": False}])
    assert horizon_summary(col) == "stationary + t=1000* + t=30"
    assert horizon_summary(ColumnResult("n/a")) == ""


def test_verify_json_names_the_horizon_and_power_of_each_point(capsys) -> None:
    import json

    from rnnverify.crosscheck.cli import main

    assert main(["verify", "--only", "zo.moments.complex", "--columns", "monte_carlo",
                 "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (claim,) = doc["claims"]
    points = claim["columns"]["monte_carlo"]["points"]
    assert points and all(p["horizon"] == "stationary" for p in points)
    assert not any(p["stationary_infeasible"] for p in points)
    tests = [v for p in points for v in p["data"].values()
             if isinstance(v, dict) and "z_bound" in v]
    assert tests and all(0 < t["min_detectable_rel_discrepancy"] < 0.1 for t in tests)
