"""``check-param --gate``: how E (d_p h)² grows as the mean memory E λ → 1 along p.

For a random gate λ_t = f(p, u_t) (docs/theory.md §10) the distance to one is
δ(p) = 1 − E λ (the mean memory's distance to 1).  Starting at the ``at`` value of p, p is
moved by unit steps in the direction that raises E λ until δ < ``target`` (or the step cap);
at each step E h² and E (d_p h)² come from the closed form of :mod:`theory.gates` (gate
moments by quadrature, 30 digits).  The *measured order* between consecutive steps is
q = −Δ log E / Δ log δ, so that E ≈ C δ^(−q); the last step's q and C = E δ^q are reported
with the change of q over the last three steps.  This is numeric evidence along one path
at points, not an asymptotic proof: the document says so (``"kind": "measured"``).
"""

from __future__ import annotations

from typing import Any

import mpmath
from rnnverify.crosscheck.model.gates import GateModel
from rnnverify.crosscheck.schema import document
from rnnverify.theory.gates.gate import parse_gate
from rnnverify.theory.gates.gate_moments import gate_moments
from rnnverify.theory.gates.second_moments import stationary_values

from rnnverify.errors import ArgumentValueError

__all__ = ["gate_orders"]

#: most unit steps of p; digits of the closed form along the path
MAX_STEPS, DPS = 60, 30


def _at_text(values: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in values.items()}


def gate_orders(gate: str, wrt: str, at: Any, rhos: list[Any], *, gamma: Any = None,
                target: float = 1e-6, autocorr: Any = None) -> dict[str, Any]:
    """The ``check-param --gate`` document (module docstring): one regime per ρ of ``rhos``,
    then one for ``autocorr`` if given, all along the same path of p."""
    model = GateModel(gate=gate, wrt=wrt, at=at, gamma=gamma, autocorr=autocorr)
    regimes: list[tuple[str, dict[str, Any]]] = [(str(r), {"rho": r}) for r in rhos]
    if model.autocorr is not None:
        regimes.append((model.autocorr.name, {"rho": None, "autocorr": model.autocorr}))
    elif autocorr is not None:  # ρ^k given as autocorr
        regimes.append((str(model.rho_exact), {"rho": model.rho_exact}))
    if model.selective:
        raise ArgumentValueError("gate", f"{gate!r} depends on the input x: there is no closed "
                                         "form because the gate depends on the input (measure "
                                         "it with rnnverify simulate --gate)")
    base = {str(s): v for s, v in model.gate.values}
    p0 = model.gate.p_value

    def moments_at(p_value: Any):
        point = dict(base, **{wrt: p_value})
        return gate_moments(parse_gate(gate, wrt, point), DPS)

    # δ = 1 − |E λ| (= 1 − E λ for a real gate with E λ > 0)
    lo, hi = abs(moments_at(p0 - 1).a1), abs(moments_at(p0 + 1).a1)
    direction = 1 if hi > lo else -1
    path: list[tuple[Any, Any]] = []
    for j in range(MAX_STEPS + 1):
        p_value = p0 + direction * j
        gm = moments_at(p_value)
        path.append((p_value, gm))
        if 1 - abs(gm.a1) < target:
            break
    rows = []
    for label, inputs in regimes:
        points = []
        for p_value, gm in path:
            try:
                vals = stationary_values(gm, model.gamma_exact, inputs["rho"], DPS,
                                         autocorr=inputs.get("autocorr"))
            except ValueError:
                continue
            points.append({"p": str(p_value), "distance_to_one": 1 - abs(gm.a1),
                           "h2": vals["h2"], "dh2_dp": vals["dh2_dp"]})
        rows.append(_orders(points, label, "autocorr" in inputs))
    reached = float(1 - abs(path[-1][1].a1))
    return document("check-param", {
        "gate": gate, "wrt": wrt, "at": _at_text(base), "kind": "measured",
        "distance_to_one": "1 - |E lam|" if model.gate.is_complex else "1 - E lam",
        "direction": f"{wrt} → {'+' if direction > 0 else '−'}∞ raises "
                     + ("|E λ|" if model.gate.is_complex else "E λ"),
        "steps": len(path) - 1, "reached_distance": reached,
        "reached_target": reached < target, "target": target,
        "note": "orders measured numerically between consecutive points of one path "
                "(evidence, not an asymptotic proof)",
        "regimes": rows,
    })


def _orders(points: list[dict[str, Any]], label: str, user: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"rho": None if user else label,
                           "autocorr": label if user else f"({label})**|k|", "points": [
        {k: (float(v) if not isinstance(v, str) else v) for k, v in pt.items()}
        for pt in points]}
    for q in ("h2", "dh2_dp"):
        slopes = []
        for a, b in zip(points, points[1:], strict=False):
            d = mpmath.log(b["distance_to_one"]) - mpmath.log(a["distance_to_one"])
            if d != 0:
                slopes.append(-(mpmath.log(b[q]) - mpmath.log(a[q])) / d)
        if not slopes:
            out[q] = None
            continue
        last = points[-1]
        order = slopes[-1]
        out[q] = {"measured_order": float(order),
                  "order_change_last_3": float(max(slopes[-3:]) - min(slopes[-3:])),
                  "coefficient": float(last[q] * last["distance_to_one"] ** order),
                  "slopes": [float(s) for s in slopes]}
    return out
