"""Claims: executable statements of the papers, each checked by independent routes.

Map:

- ``registry`` — ``Claim`` and its columns; ``verify``, ``report`` and the tests share it.
- ``ids`` — the claim ids, known without importing the claims (``verify --only``).
- ``runner`` — run claims column by column and collect verdicts (``rnnverify verify``),
  in worker processes with ``jobs > 1``.
- ``costs`` — measured seconds of each claim, the order in which workers take them.
- ``mc_columns`` — Monte Carlo columns of the moment claims, built on the public ``Model``.
- ``strategies`` — Hypothesis strategies of the parameter domains.
- ``zucchet/`` — the curse of memory: lemmas, moments, normalization, the 1-D loss.
- ``dizzy`` — DizzyRNN claims.
- ``classical`` — Pascanu et al. (2013) claims.
- ``networks`` — the Hessian at the optimum (Zucchet & Orvieto 2024, §4).
- ``gru`` — GRU gates as a diagonal linear recurrence (§5).
- ``signalprop`` — signal propagation at initialization (§5).
- ``gates`` — random and selective gates λ_t (docs/theory.md §10).
"""
