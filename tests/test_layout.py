"""The packages' maps name every module, and the README's Layout is generated from them."""

from __future__ import annotations

import layout
import tomllib


def test_every_package_map_names_exactly_its_modules() -> None:
    assert layout.problems() == []


def test_readme_layout_is_the_rendered_maps() -> None:
    readme = (layout.ROOT / "README.md").read_text()
    assert layout.readme_section(readme) == layout.render(), (
        "README Layout is stale: run `python tests/layout.py --write`")


def test_a_missing_module_is_reported(tmp_path, monkeypatch) -> None:
    layer = tmp_path / "theory"
    (layer / "sub").mkdir(parents=True)
    (layer / "__init__.py").write_text('"""T.\n\nMap:\n\n- ``sub/`` — s.\n- ``gone`` — g.\n"""\n')
    (layer / "sub" / "__init__.py").write_text('"""S."""\n')
    (layer / "extra.py").write_text("")
    monkeypatch.setattr(layout, "ROOT", tmp_path)
    monkeypatch.setattr(layout, "LAYERS", ("theory",))
    assert layout.problems() == [
        "theory: the map names 'gone', which does not exist",
        "theory: 'extra' is missing from the map",
        "theory/sub: no map in the __init__ docstring",
    ]


def test_the_wheel_lists_every_package() -> None:
    """Each folder with an ``__init__.py`` is a package of the wheel (the list is explicit)."""
    config = tomllib.loads((layout.ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {"rnnverify": "rnnverify"}
    folders.update({f"rnnverify.{layer}": layer for layer in layout.LAYERS})
    on_disk = {
        ".".join(["rnnverify", *init.parent.relative_to(layout.ROOT).parts])
        for layer in layout.LAYERS
        for init in (layout.ROOT / layer).rglob("__init__.py")
    } | {"rnnverify"}
    assert config["package-dir"] == folders
    assert sorted(set(config["packages"])) == sorted(on_disk)
