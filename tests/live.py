"""Helpers for tests that run Bastion as a real process."""

from __future__ import annotations

import subprocess
import time

import httpx2 as httpx


def wait_until_ready(base_url: str, process: subprocess.Popen, timeout: float = 60.0,  # type: ignore[type-arg]
                     path: str = "/readyz") -> None:
    """Poll `path` until it answers 200; fail with the process's exit if it dies first."""
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, f"the server exited with {process.returncode}"
        try:
            if httpx.get(f"{base_url}{path}", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{base_url} not ready within {timeout} s"
        time.sleep(0.2)
