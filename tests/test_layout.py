"""The packages' maps name every module, and the README's Layout is generated from them."""

from __future__ import annotations

import layout


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
