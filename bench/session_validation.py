#!/usr/bin/env python
"""Session validation vs hello-world in the same server process (issue 10, benchmark 1).

One server process (`bench/hello_server.py`: Bastion as `bastion serve --workers 1` serves it,
plus `GET /bench/hello` as a plain Starlette route and `GET /bench/hello-fastapi`) pinned to
one core, wrk pinned to the other. wrk cycles through the tokens of `--sessions` live
sessions for `GET /v1/session` (Bearer) and `POST /v1/introspect` (service key), and asks
the hello routes, in interleaved rounds; the medians of `--runs` rounds are compared.

Also counted: the SQL statements the server sent during each run (background work such as
the outbox poll included), divided by the requests answered — the database round trips a
validation costs in the steady state.

    .venv/bin/python bench/session_validation.py                 # 3 rounds x 10 s per route
    .venv/bin/python bench/session_validation.py --seconds 3 --runs 1

Targets: session and introspection throughput >= 0.5x the Starlette hello-world, p99 <= 2x
its p99. Exit status 0 when both targets are met for both routes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import uuid
from pathlib import Path

import common
from common import ROOT, markdown_table, median, verdict

TARGETS = ("hello", "hello-fastapi", "session", "introspect")
ROUTES = {"hello": "GET /bench/hello", "hello-fastapi": "GET /bench/hello-fastapi",
          "session": "GET /v1/session", "introspect": "POST /v1/introspect"}


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--runs", type=int, default=3, help="interleaved rounds; medians are reported")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--sessions", type=int, default=1000, help="live sessions whose tokens wrk cycles through")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/4",
                        help="BASTION_REDIS_URL of the server (session invalidation); 'none': without Redis")
    parser.add_argument("--pg-admin-dsn", default=common.DEFAULT_PG_ADMIN,
                        help="where the scratch database is created (and dropped at the end)")
    parser.add_argument("--server-cpu", type=int, default=0, help="core the server is pinned to (taskset)")
    parser.add_argument("--load-cpu", type=int, default=1, help="core wrk is pinned to")
    parser.add_argument("--quiet-wait", type=float, default=30.0,
                        help="first wait up to this many seconds for the machine to be >= 85 %% idle")
    parser.add_argument("--profile", type=Path,
                        help="also record a py-spy profile of the server during the first GET /v1/session run "
                             "(collapsed stacks: speedscope and flamegraph.pl read them)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the database and the server log")
    args = parser.parse_args(argv)
    if not (1 <= args.seconds <= 120 and 1 <= args.runs <= 9 and 1 <= args.sessions <= 100_000):
        parser.error("--seconds 1..120, --runs 1..9, --sessions 1..100000")
    common.require_loopback(args.pg_admin_dsn, args.redis_url)
    return args


def request_files(workdir: Path, tokens: list[str], service_key: str) -> dict[str, Path]:
    return {
        "hello": common.write_requests(workdir / "hello.txt", [("GET", "/bench/hello", {}, "")]),
        "hello-fastapi": common.write_requests(workdir / "hello-fastapi.txt", [("GET", "/bench/hello-fastapi", {}, "")]),
        "session": common.write_requests(workdir / "session.txt", [
            ("GET", "/v1/session", {"Authorization": f"Bearer {token}"}, "") for token in tokens]),
        "introspect": common.write_requests(workdir / "introspect.txt", [
            ("POST", "/v1/introspect", {"Authorization": f"Bearer {service_key}", "Content-Type": "application/json"},
             json.dumps({"token": token})) for token in tokens]),
    }


def server_env(database_url: str, workdir: Path, redis_url: str, secret_keys: str) -> dict[str, str]:
    env = {**os.environ, "BASTION_ENV": "dev", "BASTION_DATA_DIR": str(workdir / "data"),
           "BASTION_DATABASE_URL": database_url, "BASTION_SECRET_KEYS": secret_keys,
           "BASTION_LOG_LEVEL": "WARNING"}
    env.pop("BASTION_REDIS_URL", None)
    if redis_url != "none":
        env["BASTION_REDIS_URL"] = redis_url
    return env


def server_counters(base: str) -> dict:  # type: ignore[type-arg]
    """SQL statements the server has sent, and its session cache's state."""
    import httpx2 as httpx

    return httpx.get(f"{base}/bench/db-statements", timeout=10).json()


def prime(base: str, tokens: list[str]) -> None:
    """Every session asked for once, so the runs measure the steady state, not the first reads."""
    import httpx2 as httpx

    with httpx.Client(base_url=base, timeout=30) as client:
        for token in tokens:
            answer = client.get("/v1/session", headers={"Authorization": f"Bearer {token}"})
            if answer.status_code != 200:
                raise SystemExit(f"GET /v1/session answered {answer.status_code}: {answer.text[:500]}")


def measure(args: argparse.Namespace, base: str, files: dict[str, Path], tokens: list[str], server_pid: int) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    runs: dict[str, list[dict]] = {target: [] for target in TARGETS}  # type: ignore[type-arg]
    prime(base, tokens)
    for target in TARGETS:  # warm-up: connections, caches, the interpreter's own
        common.run_wrk(base, files[target], 2, args.connections, cpu=args.load_cpu)
    for round_number in range(args.runs):
        for target in TARGETS:
            counters = server_counters(base)
            before, kinds_before = counters["statements"], counters["by_kind"]
            profiler = (common.start_profile(server_pid, args.seconds, args.profile)
                        if args.profile and target == "session" and round_number == 0 else None)
            meter = common.BusyMeter().start()
            result = common.run_wrk(base, files[target], args.seconds, args.connections, cpu=args.load_cpu)
            result["machine_busy"] = meter.stop()
            if profiler is not None:
                profiler.wait(timeout=60)
            after = server_counters(base)
            result["db_statements"] = after["statements"] - before
            result["session_cache"] = after["session_cache"]
            result["statements_by_kind"] = {kind: count - kinds_before.get(kind, 0)
                                            for kind, count in after["by_kind"].items()
                                            if count != kinds_before.get(kind, 0)}
            runs[target].append(result)
            print(f"round {round_number + 1} {ROUTES[target]}: {result['rps']:.0f} req/s, "
                  f"p99 {result['latency_ms']['p99']:.2f} ms, non-2xx {result['errors']['status']}, "
                  f"db statements {result['db_statements']} {result['statements_by_kind']}, "
                  f"cache {result['session_cache']}", flush=True)
    return runs


def summarize(runs: dict[str, list[dict]]) -> dict:  # type: ignore[type-arg]
    summary: dict = {}  # type: ignore[type-arg]
    for target, results in runs.items():
        requests = sum(result["requests"] for result in results)
        summary[target] = {
            "rps": round(median([result["rps"] for result in results])),
            "p50_ms": round(median([result["latency_ms"]["p50"] for result in results]), 2),
            "p99_ms": round(median([result["latency_ms"]["p99"] for result in results]), 2),
            "non_2xx": sum(result["errors"]["status"] for result in results),
            "socket_errors": sum(sum(v for k, v in result["errors"].items() if k != "status") for result in results),
            "db_statements_per_request": round(sum(r["db_statements"] for r in results) / max(1, requests), 5),
            "machine_busy": round(median([result["machine_busy"] for result in results]), 2),
        }
    hello = summary["hello"]
    for target in ("session", "introspect"):
        entry = summary[target]
        entry["throughput_ratio"] = round(entry["rps"] / hello["rps"], 2)
        entry["p99_ratio"] = round(entry["p99_ms"] / hello["p99_ms"], 2)
        entry["vs_fastapi_hello"] = round(entry["rps"] / summary["hello-fastapi"]["rps"], 2)
        entry["met"] = entry["throughput_ratio"] >= 0.5 and entry["p99_ratio"] <= 2.0 and entry["non_2xx"] == 0
    return summary


def render(summary: dict, args: argparse.Namespace) -> str:  # type: ignore[type-arg]
    rows = []
    for target in TARGETS:
        entry = summary[target]
        rows.append([ROUTES[target], entry["rps"], entry["p50_ms"], entry["p99_ms"],
                     entry.get("throughput_ratio", "-"), entry.get("p99_ratio", "-"),
                     entry["db_statements_per_request"], entry["non_2xx"]])
    table = markdown_table(["route", "req/s", "p50 ms", "p99 ms", "x hello req/s", "x hello p99",
                            "SQL statements / request", "non-2xx"], rows)
    lines = [table, "", f"medians of {args.runs} interleaved rounds of {args.seconds} s, {args.connections} "
             f"connections, {args.sessions} sessions, redis: {args.redis_url}"]
    for target in ("session", "introspect"):
        entry = summary[target]
        lines.append(f"{ROUTES[target]}: {entry['throughput_ratio']}x hello throughput (target >= 0.5), "
                     f"{entry['p99_ratio']}x hello p99 (target <= 2): {verdict(entry['met'])}; "
                     f"{entry['vs_fastapi_hello']}x FastAPI's hello-world")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    common.require_wrk()
    common.wait_for_quiet(args.quiet_wait)
    from seed import bench_services, seed_sessions

    from bastion.crypto import generate_key

    workdir = Path(tempfile.mkdtemp(prefix="bastion-bench-sessions-"))
    secret_keys = generate_key()
    with common.scratch_database(args.pg_admin_dsn, keep=args.keep) as database_url:
        env = server_env(database_url, workdir, args.redis_url, secret_keys)
        common.run_cli(env, "db", "upgrade")
        services = bench_services(database_url, str(workdir / "data"), secret_keys)
        seeded = seed_sessions(services, args.sessions, uuid.uuid4().hex[:6])
        services.close()
        files = request_files(workdir, seeded.tokens, seeded.service_key)
        port = common.free_port()
        base = f"http://127.0.0.1:{port}"
        command = common.pinned([sys.executable, str(ROOT / "bench" / "hello_server.py"), "--port", str(port)],
                                args.server_cpu)
        with common.server_process(command, env, f"{base}/bench/hello", workdir / "server.log") as server:
            runs = measure(args, base, files, seeded.tokens, server.pid)
    summary = summarize(runs)
    print(render(summary, args))
    met = summary["session"]["met"] and summary["introspect"]["met"]
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "runs": runs, "machine": common.machine(),
                                         "options": {k: str(v) for k, v in vars(args).items()}}, indent=2) + "\n")
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
