"""Measured cost of each claim in ``verify --quick``, used only to order parallel work.

Seconds per claim (all columns) from ``rnnverify verify --quick --json`` on an idle
2-core machine, 2026-12-04.  :func:`crosscheck.claims.runner.run_claims` with
``jobs > 1`` hands the most expensive modules out first (longest-processing-time
first); the numbers change the wall time of a run, never its results.  A claim not
listed costs :data:`DEFAULT_SECONDS`; ``--full`` scales every cost alike, so the
same order serves it.
"""

from __future__ import annotations

DEFAULT_SECONDS = 1.0

QUICK_SECONDS: dict[str, float] = {
    "zo.lemma1": 0.9, "zo.lemma2": 2.6, "zo.lemma1.finite": 1.2, "zo.lemma2.finite": 1.5,
    "zo.moments.general": 3.1, "zo.moments.ar1": 3.1, "zo.moments.complex": 1.6,
    "zo.moments.finite_t": 1.8, "zo.moments.cross": 2.1, "zo.normalization": 2.2,
    "zo.reparam": 2.7, "zo.loss1d": 1.4, "dizzy.givens": 0.3, "dizzy.packed": 0.4,
    "dizzy.abs": 0.1, "dizzy.thm3": 1.1, "dizzy.thm4": 0.3, "dizzy.saturating": 0.3,
    "dizzy.svd": 0.2, "classical.linear": 0.5, "classical.nonlinear": 0.5,
    "classical.clipping": 0.1, "zo.hessian.diagonal": 1.9, "zo.hessian.dense": 1.4,
    "zo.hessian.conditioning": 0.9, "zo.hessian.concentration": 1.1,
    "zo.hessian.spectra": 0.0, "zo.hessian.adam_lr": 0.4, "zo.gru.constant_gate": 4.4,
    "zo.gru.gates": 1.2, "zo.gru.jacobian": 0.4, "zo.signalprop.lru_layer1": 1.1,
    "zo.signalprop.lru_trends": 2.9, "zo.signalprop.crnn_layernorm": 6.2,
    "zo.signalprop.gru_trends": 5.4, "zo.signalprop.gru_state": 0.1,
    "gates.deterministic_limit": 0.9, "gates.ar1": 1.6, "gates.autocorr": 3.6,
    "gates.long_memory_order": 2.8, "gates.complex": 4.0,
    "gates.selective_white": 0.5,
}


def claim_seconds(claim_id: str) -> float:
    """Measured quick-mode seconds of ``claim_id`` (:data:`DEFAULT_SECONDS` if unmeasured)."""
    return QUICK_SECONDS.get(claim_id, DEFAULT_SECONDS)
