"""docs/architecture.md is what tools/architecture.py writes from the code: it cannot go stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "architecture.py"


def test_the_committed_architecture_document_matches_the_code() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_check_notices_a_stale_document(tmp_path: Path) -> None:
    sys.path.insert(0, str(SCRIPT.parent))
    import architecture

    stale = tmp_path / "architecture.md"
    stale.write_text(architecture.render().replace("| `bastion.worker` |", "| `bastion.scheduler` |"))
    original, architecture.DOCUMENT = architecture.DOCUMENT, stale
    try:
        assert architecture.main(["--check"]) == 1
        stale.write_text(architecture.render())
        assert architecture.main(["--check"]) == 0
    finally:
        architecture.DOCUMENT = original
