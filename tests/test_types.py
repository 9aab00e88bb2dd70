"""The type checker finds nothing in bastion/ under `mypy --strict` (configured in pyproject.toml),
and it is what keeps reason codes honest: a code that is not a `Reason` does not pass."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _mypy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", *args], cwd=ROOT, capture_output=True, text=True)


def test_mypy_strict_finds_nothing() -> None:
    result = _mypy()
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_unknown_reason_code_does_not_type_check(tmp_path: Path) -> None:
    refusals = tmp_path / "refusals.py"
    refusals.write_text(
        "from bastion.errors import BastionError, Reason\n"
        "def refuse() -> BastionError:\n"
        "    return BastionError('account.lockd')\n"
        "def refuse_too() -> BastionError:\n"
        "    return BastionError(Reason.ACCOUNT_LOCKD)\n"
        "def fine() -> BastionError:\n"
        "    return BastionError(Reason.ACCOUNT_LOCKED)\n"
    )
    result = _mypy("--strict", "--no-incremental", str(refusals))
    assert result.returncode == 1, result.stdout
    assert "refusals.py:3: error" in result.stdout and "[arg-type]" in result.stdout
    assert "refusals.py:5: error" in result.stdout and "ACCOUNT_LOCKD" in result.stdout
    assert "refusals.py:7:" not in result.stdout
