"""Helpers for tests that run Bastion as a real process."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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


@contextmanager
def serving(app: Any, **options: Any) -> Iterator[int]:
    """`app` served by uvicorn on a thread of this process (with uvicorn `options`); the port."""
    import uvicorn

    from tests.notify import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                          lifespan="on", **{"ws": "none", **options}))
    thread = threading.Thread(target=server.run, name="uvicorn-in-tests", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)
