"""The envelope every machine-readable result shares: ``command`` and ``schema_version``.

The command line's ``--json`` documents and the Python API's ``to_dict()`` are
built by the same functions, so one object gives both; :func:`document` puts
the two identifying keys first.  ``schema_version`` grows when a key is removed
or changes meaning (adding keys does not change it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: version of the JSON documents (``--json`` and ``to_dict()``)
SCHEMA_VERSION = 1


def document(command: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` with ``"command"`` and ``"schema_version"`` in front."""
    if not isinstance(command, str) or not command:
        raise ValueError(f"command must be a non-empty string, got {command!r}")
    rest = {k: v for k, v in body.items() if k not in ("command", "schema_version")}
    return {"command": command, "schema_version": SCHEMA_VERSION, **rest}
