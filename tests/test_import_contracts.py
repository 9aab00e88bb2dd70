"""The architecture holds: import-linter's contracts (pyproject.toml) and no import cycle between modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import imports


def _lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    command = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(command), "--no-cache", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_every_import_contract_is_kept() -> None:
    result = _lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_broken_contract_fails_the_check(tmp_path: Path) -> None:
    # The key-rotation code reads the database: a contract forbidding that must be reported broken.
    config = tmp_path / "contracts.ini"
    config.write_text("[importlinter]\nroot_package = bastion\n\n[importlinter:contract:probe]\n"
                      "name = probe\ntype = forbidden\nsource_modules = bastion.crypto\n"
                      "forbidden_modules = bastion.store\n")
    result = _lint_imports("--config", str(config))
    assert result.returncode != 0
    assert "BROKEN" in result.stdout


# None left; a cycle that must stay for a while is listed here, so that no other cycle can hide.
KNOWN_CYCLES: list[list[str]] = []


def test_no_module_imports_itself_through_others_not_even_inside_a_function() -> None:
    found = imports.cycles(imports.module_graph())
    assert found == KNOWN_CYCLES, "\n".join(", ".join(component) for component in found)


def test_the_cycle_finder_sees_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    package = tmp_path / "bastion"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "first.py").write_text("from bastion import second\n")
    (package / "second.py").write_text("def late():\n    from bastion.third import value\n    return value\n")
    (package / "third.py").write_text("import bastion.first\nvalue = 1\n")
    assert imports.cycles(imports.module_graph(tmp_path)) == [["bastion.first", "bastion.second", "bastion.third"]]
