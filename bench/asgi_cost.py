#!/usr/bin/env python
"""What the application's part of a session check costs, in-process, against the bare Starlette app.

No server, no socket: each app is called as uvicorn calls it (`await app(scope, receive, send)`),
`--requests` times in a row on one event loop, and the CPU time per call is reported (the
least of `--rounds`: the round other work disturbed least), for the bare hello-world of bench/bare_hello.py, a hello route behind
Bastion's stack, `GET /v1/session` and `POST /v1/introspect` over an embedded database (a
SQLite file) with `--sessions` live sessions. What uvicorn itself costs per request (parsing,
the socket) is the same for both and is not in these figures, so the ratios here are harsher
than those of bench/session_validation.py; CPU time is also far steadier than req/s on a busy
machine. Also measured: the same two checks as `bastion serve`'s protocol hands them to the app
before they are ASGI requests (`session at once`, `introspect at once`, bastion/ops/http_heads.py):
there the protocol's part is smaller too. `--profile FILE` writes cProfile's statistics of the `GET /v1/session` calls (`--profile-target` another's).

    .venv/bin/python bench/asgi_cost.py
    .venv/bin/python bench/asgi_cost.py --requests 5000 --profile /tmp/session.prof
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import common
from bare_hello import create as create_bare

Call = Callable[[], Awaitable[int]]


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--requests", type=int, default=20000, help="calls per round and target")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--profile", type=Path, help="cProfile statistics of the calls of --profile-target")
    parser.add_argument("--profile-target", default="session",
                        choices=("bare", "stack", "session", "introspect", "session at once", "introspect at once"))
    parser.add_argument("--json", type=Path)
    return parser.parse_args()


def caller(app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> Call:
    """One request to `app` as uvicorn makes it; the status of its answer."""
    base_scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
                  "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 40000), "scheme": "http",
                  "root_path": "", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
                  "headers": [(b"host", b"127.0.0.1:8000"), *headers]}
    request = {"type": "http.request", "body": body, "more_body": False}

    async def call() -> int:
        status = 0

        async def receive() -> dict[str, Any]:
            return request

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(dict(base_scope, state={}), receive, send)
        return status

    return call


def at_once(app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> Call:
    """One request as the protocol hands it to the app before it is an ASGI one (bastion/ops/http_heads.py)."""
    answers = app.answers_at_once
    scope = {"type": "http", "http_version": "1.1", "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 40000),
             "scheme": "http", "root_path": "", "headers": [(b"host", b"127.0.0.1:8000"), *headers], "state": {},
             "method": method, "path": path, "raw_path": path.encode(), "query_string": b""}

    async def call() -> int:
        return 200 if answers.answer_at_once(dict(scope), body) is not None else 0

    return call


async def cpu_per_call(calls: list[Call], requests: int) -> float:
    started = time.process_time()
    for index in range(requests):
        status = await calls[index % len(calls)]()
        if status not in (200, 401):
            raise SystemExit(f"answered {status}")
    return 1e6 * (time.process_time() - started) / requests


def bastion_app(workdir: Path, sessions: int) -> tuple[Any, list[str], str]:
    from seed import bench_services, seed_sessions

    from bastion.crypto import generate_key

    secret_keys = generate_key()
    database_url = f"sqlite:///{workdir / 'bastion.db'}"
    os.environ.update({"BASTION_DATABASE_URL": database_url, "BASTION_SECRET_KEYS": secret_keys,
                       "BASTION_DATA_DIR": str(workdir / "data"), "BASTION_ENV": "dev"})
    common.run_cli(dict(os.environ), "db", "upgrade")
    services = bench_services(database_url, str(workdir / "data"), secret_keys)
    seeded = seed_sessions(services, sessions, "cost")
    services.close()
    from hello_server import create

    return create(), seeded.tokens, seeded.service_key


async def measure(args: argparse.Namespace) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="bastion-asgi-cost-"))
    app, tokens, service_key = bastion_app(workdir, args.sessions)
    targets: dict[str, list[Call]] = {
        "bare": [caller(create_bare(), "GET", "/hello", [])],
        "stack": [caller(app, "GET", "/bench/hello", [])],
        "session": [caller(app, "GET", "/v1/session", [(b"authorization", f"Bearer {token}".encode())])
                    for token in tokens],
        "introspect": [caller(app, "POST", "/v1/introspect",
                              [(b"authorization", f"Bearer {service_key}".encode()),
                               (b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))], body)
                       for body in (json.dumps({"token": token}).encode() for token in tokens)],
    }
    async with app.router.lifespan_context(app):
        for calls in targets.values():  # every session cached, every code path warm
            await cpu_per_call(calls, max(len(calls), 2000))
        # What `bastion serve`'s protocol calls for the checks it answers before they are ASGI requests.
        targets["session at once"] = [at_once(app, "GET", "/v1/session", [(b"authorization", f"Bearer {token}".encode())])
                                      for token in tokens]
        targets["introspect at once"] = [
            at_once(app, "POST", "/v1/introspect", [(b"authorization", f"Bearer {service_key}".encode()),
                                                    (b"content-type", b"application/json")], body)
            for body in (json.dumps({"token": token}).encode() for token in tokens)]
        results: dict[str, list[float]] = {target: [] for target in targets}
        for _ in range(args.rounds):
            for target, calls in targets.items():
                results[target].append(await cpu_per_call(calls, args.requests))
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            await cpu_per_call(targets[args.profile_target], args.requests)
            profiler.disable()
            profiler.dump_stats(args.profile)
    return {target: min(values) for target, values in results.items()}


def main() -> int:
    args = options()
    least = asyncio.run(measure(args))
    rows = [[target, round(cpu, 1), round(least["bare"] / cpu, 2)] for target, cpu in least.items()]
    print(common.markdown_table(["target", "CPU µs / call", "bare / this"], rows))
    if args.json:
        args.json.write_text(json.dumps({"cpu_us_per_call": least, "machine": common.machine()}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
