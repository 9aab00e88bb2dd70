"""The benchmark scripts start and parse their options (the benchmarks themselves run by hand: bench/README.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = ["session_validation.py", "password_signin.py", "credential_stuffing.py", "scale.py",
           "peer_fastapi_users.py", "risk_eval.py", "hello_server.py", "profile_summary.py", "legit_load.py",
           "bare_hello.py", "admission_model.py", "junk_tokens.py", "oidc_tokens.py"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_each_benchmark_starts_and_explains_its_options(script: str) -> None:
    done = subprocess.run([sys.executable, str(BENCH / script), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: {script}") and "-h, --help" in done.stdout


# Each refusal names what is wrong: the host that is not this machine, or the option's bounds.
@pytest.mark.parametrize("script, bad, said", [
    ("session_validation.py", ["--seconds", "0"], "error: --seconds 1..120"),
    ("session_validation.py", ["--pg-admin-dsn", "postgresql://postgres@10.0.0.5/test"], "10.0.0.5/test: loopback only"),
    ("password_signin.py", ["--redis-url", "redis://192.168.1.9:6379/0"], "192.168.1.9:6379/0: loopback only"),
    ("scale.py", ["--accounts", "10"], "error: accounts 20..5M"),
    ("peer_fastapi_users.py", ["--runs", "0"], "--runs 1..9"),
    ("session_validation.py", ["--setups", "cluster"], "error: --setups: some of embedded, production"),
    ("legit_load.py", ["--workers", "64"], "error: --workers 1..2"),
    ("legit_load.py", ["--seconds", "100000"], "error: --seconds 1..300"),
    ("legit_load.py", ["--redis-url", "redis://192.168.1.9:6379/0"], "192.168.1.9:6379/0: loopback only"),
    ("admission_model.py", ["--arrivals", "10000000"], "error: --arrivals 1000..2000000"),
    ("junk_tokens.py", ["--seconds", "0"], "error: --seconds 1..120"),
    ("junk_tokens.py", ["--setups", "cluster"], "error: --setups: some of embedded, production"),
    ("junk_tokens.py", ["--redis-url", "redis://192.168.1.9:6379/0"], "192.168.1.9:6379/0: loopback only"),
    ("oidc_tokens.py", ["--runs", "0"], "--runs 1..10"),
    ("oidc_tokens.py", ["--redis-url", "redis://192.168.1.9:6379/0"], "192.168.1.9:6379/0: loopback only"),
])
def test_benchmarks_refuse_unbounded_runs_and_other_hosts(script: str, bad: list[str], said: str) -> None:
    done = subprocess.run([sys.executable, str(BENCH / script), *bad], capture_output=True, text=True, timeout=60)
    assert done.returncode in (1, 2)  # argparse's usage error, or the script's own refusal
    assert said in done.stdout + done.stderr
