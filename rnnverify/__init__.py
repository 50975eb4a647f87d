"""rnnverify: executable, cross-checked theory of gradient pathologies in recurrent networks.

The three layers are sub-packages: :mod:`rnnverify.theory` (SymPy/mpmath),
:mod:`rnnverify.numerics` (PyTorch) and :mod:`rnnverify.crosscheck` (claims,
statistics, command line, reports).
"""

from __future__ import annotations

from pathlib import Path

from . import _source_layout

__version__ = "0.1.0"

_source_layout.install(Path(__file__).resolve().parent)
