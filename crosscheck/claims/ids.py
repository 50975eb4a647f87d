"""The ids of the registered claims, in display order, known without importing the claim
modules (they load torch): ``verify --only`` refuses a glob that matches no claim at once.

``tests/test_lazy_imports.py`` checks that :data:`CLAIM_IDS` is exactly the ids of
:func:`rnnverify.crosscheck.claims.registry.all_claims`, in the same order.
"""

from __future__ import annotations

import fnmatch

#: every claim id of the registry, in the order of ``all_claims()``
CLAIM_IDS: tuple[str, ...] = (
    "zo.lemma1", "zo.lemma2", "zo.lemma1.finite", "zo.lemma2.finite",
    "zo.moments.general", "zo.moments.ar1", "zo.moments.complex", "zo.moments.finite_t",
    "zo.moments.cross", "zo.normalization", "zo.reparam", "zo.loss1d",
    "dizzy.givens", "dizzy.packed", "dizzy.abs", "dizzy.thm3", "dizzy.thm4",
    "dizzy.saturating", "dizzy.svd",
    "classical.linear", "classical.nonlinear", "classical.clipping",
    "zo.hessian.diagonal", "zo.hessian.dense", "zo.hessian.conditioning",
    "zo.hessian.concentration", "zo.hessian.spectra", "zo.hessian.adam_lr",
    "zo.gru.constant_gate", "zo.gru.gates", "zo.gru.jacobian",
    "zo.signalprop.lru_layer1", "zo.signalprop.lru_trends", "zo.signalprop.crnn_layernorm",
    "zo.signalprop.gru_trends", "zo.signalprop.gru_state",
    "gates.deterministic_limit", "gates.ar1", "gates.autocorr", "gates.long_memory_order",
    "gates.complex", "gates.selective_white",
)


def matching_ids(pattern: str) -> list[str]:
    """The ids matching the glob ``pattern``; ``ValueError`` listing the ids when none does
    (the message of :func:`~rnnverify.crosscheck.claims.registry.select`)."""
    chosen = [cid for cid in CLAIM_IDS if fnmatch.fnmatchcase(cid, pattern)]
    if not chosen:
        raise ValueError(f"--only {pattern!r} matches no claim; known ids: "
                         f"{', '.join(CLAIM_IDS)}")
    return chosen
