"""The benchmark scripts start and parse their options (the benchmarks themselves run by hand: bench/README.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = ["session_validation.py", "password_signin.py", "credential_stuffing.py", "scale.py",
           "peer_fastapi_users.py", "risk_eval.py", "hello_server.py", "profile_summary.py", "legit_load.py",
           "bare_hello.py", "admission_model.py", "junk_tokens.py"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_each_benchmark_starts_and_explains_its_options(script: str) -> None:
    done = subprocess.run([sys.executable, str(BENCH / script), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout and "--" in done.stdout


@pytest.mark.parametrize("script, bad", [
    ("session_validation.py", ["--seconds", "0"]),
    ("session_validation.py", ["--pg-admin-dsn", "postgresql://postgres@10.0.0.5/test"]),
    ("password_signin.py", ["--redis-url", "redis://192.168.1.9:6379/0"]),
    ("scale.py", ["--accounts", "10"]),
    ("peer_fastapi_users.py", ["--runs", "0"]),
    ("session_validation.py", ["--setups", "cluster"]),
    ("legit_load.py", ["--workers", "64"]),
    ("legit_load.py", ["--seconds", "100000"]),
    ("legit_load.py", ["--redis-url", "redis://192.168.1.9:6379/0"]),
    ("admission_model.py", ["--arrivals", "10000000"]),
    ("junk_tokens.py", ["--seconds", "0"]),
    ("junk_tokens.py", ["--setups", "cluster"]),
    ("junk_tokens.py", ["--redis-url", "redis://192.168.1.9:6379/0"]),
])
def test_benchmarks_refuse_unbounded_runs_and_other_hosts(script: str, bad: list[str]) -> None:
    done = subprocess.run([sys.executable, str(BENCH / script), *bad], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "loopback only" in done.stdout + done.stderr or "must be" in done.stderr or "--" in done.stderr
