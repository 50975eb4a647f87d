"""Curse-of-memory claims (Zucchet & Orvieto 2024, arXiv:2405.21064; docs/theory.md §2–§5).

One module per topic: :mod:`.lemmas`, :mod:`.moments`, :mod:`.normalization`, :mod:`.loss1d`
(the registry imports them in that order); shared tolerances and helpers in :mod:`.common`.

Columns:

* ``symbolic`` — the SymPy derivation of :mod:`theory` (Lemmas 1–2 → moments, asymptotics,
  chain rule) confirmed *exactly* (simplification to 0, or equality of power-series
  coefficients with the defining double sum) **and** at random complex points against a
  direct truncated double sum in double precision (relative tolerance :data:`POINT_TOL`;
  truncation tail ≤ R(0)·N·0.7^N ≪ 1e−12 for N = 160).
* ``oracle`` — :func:`theory.memory.oracle.oracle_moments` / ``oracle_cross`` (Lyapunov equation or
  lag sums with a proven tail bound, never a closed form) at dps 40 against the derived value
  evaluated by :func:`theory.memory.moments.moments` at dps 50: relative error ≤ :data:`ORACLE_TOL`.
  The lemma claims use their own brute-force double sums with proven tail bounds
  (:func:`theory.memory.lemmas.brute_force_sum`).
* ``monte_carlo`` — a column of :mod:`crosscheck.claims.mc_columns` built with the claim: the
  PyTorch engine's estimate ± standard error against the derived value, z-test at the
  run's per-check false-failure rate.

Map:

- ``lemmas`` — zo.lemma1, zo.lemma2 and their finite-horizon versions.
- ``moments`` — the second moments: general R(k), AR(1), complex λ, finite t, cross terms.
- ``normalization`` — input normalization and reparametrizations (zo.normalization, zo.reparam).
- ``loss1d`` — the 1-D teacher–student loss and its Hessian at the optimum (zo.loss1d).
- ``common`` — shared tolerances and helpers.
"""
