"""docs/security/threat-model.md names tests as its evidence: each must still exist."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.security.test_asvs_map import ROOT, TEST_ID


def test_every_test_the_threat_model_names_exists() -> None:
    named = TEST_ID.findall((ROOT / "docs/security/threat-model.md").read_text())
    assert len(named) >= 40
    for path, name in named:
        file = Path(ROOT / path)
        assert file.exists(), path
        functions = {node.name for node in ast.walk(ast.parse(file.read_text())) if isinstance(node, ast.FunctionDef)}
        assert name in functions, f"{path}::{name}"
