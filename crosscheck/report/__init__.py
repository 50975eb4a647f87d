"""The derivation report: Markdown, offline HTML and LaTeX from the objects the checks use.

Map:

- ``build`` — collect the report's content and render it (Jinja2 templates in ``templates/``).
- ``figures`` — the report's figures as pure functions (matplotlib, Agg; PNG bytes).
- ``options`` — the report options every command checks before it builds anything.
- ``atomic`` — atomic writes: an interrupted run never leaves a half-written file.
"""
