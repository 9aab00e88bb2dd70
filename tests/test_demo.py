"""`bastion demo` as a newcomer starts it: nothing configured, an empty folder, default settings."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx2 as httpx

from bastion.demo import DEMO_ACCOUNTS
from tests.live import wait_until_ready


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_serves_and_its_printed_accounts_sign_in(tmp_path: Path) -> None:
    port = _free_port()
    bastion = Path(sys.executable).with_name("bastion")
    env = {key: value for key, value in os.environ.items() if not key.startswith("BASTION_")}
    process = subprocess.Popen([str(bastion), "demo", "--port", str(port)], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_ready(base, process, path="/healthz")
        email, password, _ = DEMO_ACCOUNTS[0]
        answer = httpx.post(f"{base}/v1/login", json={"email": email, "password": password}, timeout=10)
        assert answer.json()["status"] == "authenticated"
        assert httpx.get(f"{base}/login", timeout=5).status_code == 200
        assert httpx.get(f"{base}/dev/mailbox", timeout=5).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=20)
    assert f"{base}/login" in output and password in output
    assert (tmp_path / ".bastion" / "bastion.db").exists()
