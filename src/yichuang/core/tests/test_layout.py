"""The layout the architecture promises: each rule in one place, no import cycle between the apps' services."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2]  # src/yichuang


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize(
    "module, never",
    [
        ("output/services.py", "yichuang.backoffice.services"),  # backoffice.services calls output.services
        ("intake/materials.py", "yichuang.intake.services"),
        ("intake/uploads.py", "yichuang.intake.services"),
        ("intake/checks.py", "yichuang.intake.services"),
    ],
)
def test_no_import_back(module, never):
    assert never not in _imported_modules(SRC / module)


def test_deferral_rule_lives_in_intake_materials():
    from yichuang.backoffice import services as backoffice
    from yichuang.intake import materials

    assert not hasattr(backoffice, "outstanding_deferred") or backoffice.outstanding_deferred is (
        materials.outstanding_deferred
    )
    for name in ("read_materials", "check_material_rules", "outstanding_deferred"):
        assert callable(getattr(materials, name))
