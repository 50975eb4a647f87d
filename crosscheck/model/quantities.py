"""The quantities every route of :class:`~rnnverify.crosscheck.model.recurrence.Model` returns, and
the
defaults of a Monte Carlo run (plain Python: importing this module loads no torch)."""

from __future__ import annotations

from collections.abc import Callable

#: the three quantities every route returns
QUANTITIES: tuple[str, ...] = ("h2", "dh2_dlam", "dh2_dtheta")
#: their LaTeX (Markdown output)
QUANTITY_LATEX = {"h2": r"\mathbb{E}\lvert h_t\rvert^2",
                  "dh2_dlam": r"\mathbb{E}\lvert \partial_\lambda h_t\rvert^2",
                  "dh2_dtheta": r"\mathbb{E}\lvert \partial_\theta h_t\rvert^2"}
DEFAULT_SAMPLES = 100_000
DEFAULT_MAX_BIAS = 1e-6
DEFAULT_CHUNK = 65536
#: Monte Carlo z-bound printed with ``simulate`` results
REPORTED_ALPHA = 1e-3


def argument_namer(cli: bool) -> Callable[[str], str]:
    """How errors name an argument: ``lam`` in Python, ``--lam`` on the command line."""
    if cli:
        return lambda name: "--" + name.replace("_", "-")
    return lambda name: name
