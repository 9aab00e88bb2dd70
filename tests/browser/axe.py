"""axe-core, the accessibility engine, installed from npm into a cache folder (never committed)."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

AXE_VERSION = "4.14.1"
CACHE = Path(os.environ.get("BASTION_TEST_CACHE", Path.home() / ".cache" / "bastion-tests")) / f"axe-core-{AXE_VERSION}"
SCRIPT = CACHE / "node_modules" / "axe-core" / "axe.min.js"
# What a page must pass: WCAG 2.1 A and AA, and axe's best practices.
RULE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = frozenset({"serious", "critical"})


def axe_source(missing: Callable[[str], None]) -> str:
    """The script's text, installing it first if needed (one installer at a time across workers)."""
    if not SCRIPT.exists():
        if shutil.which("npm") is None:
            missing("npm is not installed, so axe-core cannot be fetched")
        CACHE.mkdir(parents=True, exist_ok=True)
        with open(CACHE / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not SCRIPT.exists():
                subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(CACHE),  # noqa: S607 - npm from PATH
                                f"axe-core@{AXE_VERSION}"], check=True, capture_output=True, timeout=300)
    return SCRIPT.read_text()


def blocking_violations(violations: list[dict]) -> list[str]:  # type: ignore[type-arg]
    """Serious and critical violations, one readable line each."""
    lines = []
    for violation in violations:
        if violation.get("impact") not in BLOCKING:
            continue
        targets = "; ".join(" ".join(map(str, node["target"])) for node in violation["nodes"])
        lines.append(f"{violation['impact']}: {violation['id']} — {violation['help']} — {targets}")
    return lines
