"""Crosscheck layer: claims, their routes compared, the commands and the public API.

Each sub-package may import those listed after it (enforced by import-linter).

Map:

- ``cli/`` — the ``rnnverify`` command line: one module per command.
- ``report/`` — the derivation report (Markdown, HTML, LaTeX) and its figures.
- ``api`` — the checks of the public API: a parametrization, a claimed closed form, the suite.
- ``claims/`` — the claim registry, its runner and the claims of each paper.
- ``commands/`` — the back-ends of the commands, named after them.
- ``model/`` — the public ``Model`` of the recurrence and the one bridge to its routes.
- ``stats/`` — z-tests with stated error rates and power, calibration tests.
- ``schema`` — the envelope of every JSON document.
- ``markdown`` — Jupyter rendering of results.
"""
