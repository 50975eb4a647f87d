"""The report options every command checks before it builds anything: formats and the
output directory (no torch, matplotlib or SymPy here, so a bad one fails at once)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["FORMATS", "parse_formats", "validate_out_dir"]

FORMATS: tuple[str, ...] = ("md", "html", "tex")


def validate_out_dir(path: str | Path) -> Path:
    """Refuse an output path that is an existing file or has a missing/unwritable parent."""
    p = Path(path)
    if not str(path).strip():
        raise ValueError("--out must be a directory path")
    if p.exists() and not p.is_dir():
        raise ValueError(f"--out {str(p)!r} exists and is not a directory")
    parent = p.resolve().parent
    if not parent.is_dir():
        raise ValueError(f"--out {str(p)!r}: parent directory {str(parent)!r} does not exist")
    return p


def parse_formats(text: str) -> list[str]:
    kinds = [f.strip() for f in text.split(",") if f.strip()]
    if not kinds:
        raise ValueError("--format needs at least one of md, html, tex")
    for k in kinds:
        if k not in FORMATS:
            raise ValueError(f"--format: unknown format {k!r}; valid: {', '.join(FORMATS)}")
    return kinds
