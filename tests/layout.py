"""The repository map: the ``Map:`` of each package's ``__init__`` docstring, checked and rendered.

Every package of a layer lists its modules and sub-packages in its docstring::

    Map:

    - ``name`` — what it computes.
    - ``sub/`` — a sub-package (which has its own map).

:func:`problems` says where a map and the files disagree; :func:`render` writes the README's
Layout list from the maps (``python tests/layout.py --write`` regenerates it in README.md).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("theory", "numerics", "crosscheck")
BEGIN = "<!-- layout: generated from the packages' maps by `python tests/layout.py --write` -->"
END = "<!-- /layout -->"


def _docstring(package: Path) -> str:
    return ast.get_docstring(ast.parse((package / "__init__.py").read_text())) or ""


def summary(package: Path) -> str:
    """The first line of a package's docstring."""
    return _docstring(package).splitlines()[0] if _docstring(package) else ""


def entries(package: Path) -> list[tuple[list[str], str]]:
    """The (names, description) entries of a package's map, in order."""
    doc = _docstring(package)
    if "\nMap:\n" not in doc:
        return []
    out: list[tuple[list[str], str]] = []
    for line in doc.split("\nMap:\n", 1)[1].splitlines():
        if line.startswith("- "):
            out.append(line[2:])
        elif line.startswith("  ") and out:
            out[-1] += " " + line.strip()
        elif line.strip() and out:
            break
    parsed = []
    for text in out:
        head, _, desc = text.partition(" — ")
        parsed.append((re.findall(r"``([\w/]+)``", head), desc.strip()))
    return parsed


def members(package: Path) -> set[str]:
    """What a map must name: modules (``name``) and sub-packages (``name/``)."""
    names = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    names |= {p.name + "/" for p in package.iterdir() if (p / "__init__.py").is_file()}
    return names


def packages(layer: str) -> list[Path]:
    root = ROOT / layer
    return [root, *sorted(p.parent for p in root.rglob("*/__init__.py"))]


def problems() -> list[str]:
    """Disagreements between the maps and the files (empty when they agree)."""
    found = []
    for layer in LAYERS:
        for package in packages(layer):
            rel = package.relative_to(ROOT)
            named = [n for names, _ in entries(package) for n in names]
            if not named:
                found.append(f"{rel}: no map in the __init__ docstring")
                continue
            have = members(package)
            for n in sorted(set(named) - have):
                found.append(f"{rel}: the map names {n!r}, which does not exist")
            for n in sorted(have - set(named)):
                found.append(f"{rel}: {n!r} is missing from the map")
            dup = {n for n in named if named.count(n) > 1}
            found += [f"{rel}: {n!r} named twice" for n in sorted(dup)]
    return found


def _render_package(package: Path, depth: int) -> list[str]:
    lines = []
    for names, desc in entries(package):
        label = ", ".join(f"`{n}`" for n in names)
        lines.append("  " * depth + f"- {label} — {desc}".replace("``", "`"))
        if len(names) == 1 and names[0].endswith("/"):
            lines += _render_package(package / names[0].rstrip("/"), depth + 1)
    return lines


def render() -> str:
    """The README's Layout list, from the maps."""
    lines = []
    for layer in LAYERS:
        lines.append(f"- `{layer}/` — {summary(ROOT / layer)}".replace("``", "`"))
        lines += _render_package(ROOT / layer, 1)
    return "\n".join(lines)


def readme_section(text: str) -> str:
    """The generated part of the README's Layout section."""
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n")


def write_readme(path: Path = ROOT / "README.md") -> None:
    text = path.read_text()
    head, rest = text.split(BEGIN, 1)
    path.write_text(head + BEGIN + "\n" + render() + "\n" + END + rest.split(END, 1)[1])


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write_readme()
    else:
        print(render())
