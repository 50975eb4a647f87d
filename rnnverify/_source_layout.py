"""Find the layers of a source checkout, where they sit beside this package.

An installed wheel holds ``rnnverify/theory``, ``rnnverify/numerics`` and
``rnnverify/crosscheck`` (``pyproject.toml`` maps the root folders there).  A
source checkout keeps the three folders at the repository root, so that running
from the checkout (``python -m rnnverify``, the tests) finds them there instead;
nothing else at the root becomes importable under ``rnnverify``.
"""

from __future__ import annotations

import sys
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path

LAYERS = ("theory", "numerics", "crosscheck")


class SourceLayerFinder(MetaPathFinder):
    """Resolve ``rnnverify.<layer>`` to ``<root>/<layer>`` (sub-modules follow its ``__path__``)."""

    def __init__(self, root: Path) -> None:
        self.root = str(root)
        self.names = {f"{__package__}.{layer}" for layer in LAYERS}

    def find_spec(self, fullname: str, path: object = None, target: object = None
                  ) -> ModuleSpec | None:
        if fullname not in self.names:
            return None
        return PathFinder.find_spec(fullname, [self.root])


def install(package_dir: Path) -> None:
    """Register the finder when ``package_dir`` lacks the layers and its parent has them."""
    root = package_dir.parent
    if all((package_dir / layer).is_dir() for layer in LAYERS):
        return  # installed layout
    if not all((root / layer / "__init__.py").is_file() for layer in LAYERS):
        return
    if not any(isinstance(f, SourceLayerFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, SourceLayerFinder(root))  # ahead of any installed copy
