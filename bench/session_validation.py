#!/usr/bin/env python
"""Session validation vs the bare stack's hello-world (issues 10 and 19).

The ceiling is a bare Starlette hello-world in a process of its own (`bench/bare_hello.py`),
served by the same uvicorn with the same options as Bastion. Bastion runs as
`bastion serve --workers 1` serves it (`bench/hello_server.py`, which adds `GET /bench/hello`,
a plain Starlette route behind Bastion's own middleware, for context). Both servers are
pinned to one core and asked one at a time; wrk is pinned to the other. wrk cycles through
the tokens of `--sessions` live sessions for `GET /v1/session` (Bearer) and
`POST /v1/introspect` (service key), and asks the hello-worlds, in interleaved rounds; the
medians of `--runs` rounds are compared. Each setup of `--setups` is measured in turn:
`embedded` (the default install: SQLite, no Redis) and `production` (PostgreSQL + Redis).

Also counted: the SQL statements Bastion sent during each run (background work such as the
outbox poll included), divided by the requests answered — the database round trips a
validation costs in the steady state.

    .venv/bin/python bench/session_validation.py                 # 2 setups x 3 rounds x 10 s per route
    .venv/bin/python bench/session_validation.py --seconds 3 --runs 1 --setups embedded

Targets, per setup: session and introspection throughput >= 0.5x the bare hello-world, p99
<= 2x its p99, no error. Exit status 0 when they are met for both routes in every setup.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import common
from common import ROOT, markdown_table, median, verdict

TARGETS = ("bare", "stack", "session", "introspect")
ROUTES = {"bare": "bare Starlette GET /hello (own process)", "stack": "GET /bench/hello (Bastion's stack)",
          "session": "GET /v1/session", "introspect": "POST /v1/introspect"}
SETUPS = {"embedded": "SQLite, no Redis", "production": "PostgreSQL + Redis"}


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--runs", type=int, default=3, help="interleaved rounds; medians are reported")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--sessions", type=int, default=1000, help="live sessions whose tokens wrk cycles through")
    parser.add_argument("--setups", default="embedded,production",
                        help="embedded (SQLite file, no Redis) and/or production (PostgreSQL + Redis), comma separated")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/4",
                        help="BASTION_REDIS_URL of the production setup (session invalidation)")
    parser.add_argument("--pg-admin-dsn", default=common.DEFAULT_PG_ADMIN,
                        help="where the production setup's scratch database is created (and dropped at the end)")
    parser.add_argument("--server-cpu", type=int, default=0, help="core the server is pinned to (taskset)")
    parser.add_argument("--load-cpu", type=int, default=1, help="core wrk is pinned to")
    parser.add_argument("--quiet-wait", type=float, default=30.0,
                        help="first wait up to this many seconds for the machine to be >= 85 %% idle")
    parser.add_argument("--profile", type=Path,
                        help="also record a py-spy profile of each target's server during its first run, one file "
                             "each (NAME-SETUP-TARGET.txt; collapsed stacks: speedscope and flamegraph.pl read them)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the database and the server log")
    args = parser.parse_args(argv)
    if not (1 <= args.seconds <= 120 and 1 <= args.runs <= 9 and 1 <= args.sessions <= 100_000):
        parser.error("--seconds 1..120, --runs 1..9, --sessions 1..100000")
    args.setups = [setup.strip() for setup in args.setups.split(",") if setup.strip()]
    if not args.setups or any(setup not in SETUPS for setup in args.setups):
        parser.error(f"--setups: some of {', '.join(SETUPS)}")
    common.require_loopback(args.pg_admin_dsn, args.redis_url)
    return args


def request_files(workdir: Path, tokens: list[str], service_key: str) -> dict[str, Path]:
    return {
        "bare": common.write_requests(workdir / "bare.txt", [("GET", "/hello", {}, "")]),
        "stack": common.write_requests(workdir / "stack.txt", [("GET", "/bench/hello", {}, "")]),
        "session": common.write_requests(workdir / "session.txt", [
            ("GET", "/v1/session", {"Authorization": f"Bearer {token}"}, "") for token in tokens]),
        "introspect": common.write_requests(workdir / "introspect.txt", [
            ("POST", "/v1/introspect", {"Authorization": f"Bearer {service_key}", "Content-Type": "application/json"},
             json.dumps({"token": token})) for token in tokens]),
    }


def server_env(database_url: str, workdir: Path, redis_url: str | None, secret_keys: str) -> dict[str, str]:
    env = {**os.environ, "BASTION_ENV": "dev", "BASTION_DATA_DIR": str(workdir / "data"),
           "BASTION_DATABASE_URL": database_url, "BASTION_SECRET_KEYS": secret_keys,
           "BASTION_LOG_LEVEL": "WARNING"}
    env.pop("BASTION_REDIS_URL", None)
    if redis_url is not None:
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


def measure(args: argparse.Namespace, bases: dict[str, str], files: dict[str, Path], tokens: list[str],
            pids: dict[str, int], profile: Path | None) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    """Interleaved rounds over the targets; `bases`: the URL each target is asked at, `pids`: its server."""
    bastion = bases["session"]
    runs: dict[str, list[dict]] = {target: [] for target in TARGETS}  # type: ignore[type-arg]
    prime(bastion, tokens)
    for target in TARGETS:  # warm-up: connections, caches, the interpreter's own
        common.run_wrk(bases[target], files[target], 2, args.connections, cpu=args.load_cpu)
    for round_number in range(args.runs):
        for target in TARGETS:
            counters = server_counters(bastion)
            before, kinds_before = counters["statements"], counters["by_kind"]
            profiler = (common.start_profile(pids[target], args.seconds,
                                             profile.with_name(f"{profile.stem}-{target}{profile.suffix}"))
                        if profile and round_number == 0 else None)
            meter = common.BusyMeter().start()
            cpu_before = common.process_cpu_seconds(pids[target])
            result = common.run_wrk(bases[target], files[target], args.seconds, args.connections, cpu=args.load_cpu)
            # The server's own CPU per answer: what decides its throughput on a core of its own, and
            # far steadier than req/s when other work shares the machine.
            result["cpu_us_per_request"] = (1e6 * (common.process_cpu_seconds(pids[target]) - cpu_before)
                                            / max(1, result["requests"]))
            result["machine_busy"] = meter.stop()
            if profiler is not None:
                profiler.wait(timeout=60)
            after = server_counters(bastion)
            result["db_statements"] = after["statements"] - before if target != "bare" else 0
            result["session_cache"] = after["session_cache"]
            result["statements_by_kind"] = {kind: count - kinds_before.get(kind, 0)
                                            for kind, count in after["by_kind"].items()
                                            if count != kinds_before.get(kind, 0)}
            runs[target].append(result)
            print(f"round {round_number + 1} {ROUTES[target]}: {result['rps']:.0f} req/s, "
                  f"p99 {result['latency_ms']['p99']:.2f} ms, {result['cpu_us_per_request']:.0f} µs CPU each, non-2xx {result['errors']['status']}, "
                  f"db statements {result['db_statements']} {result['statements_by_kind']}, "
                  f"machine busy {100 * result['machine_busy']:.0f} %", flush=True)
    return runs


def summarize(runs: dict[str, list[dict]]) -> dict:  # type: ignore[type-arg]
    summary: dict = {}  # type: ignore[type-arg]
    for target, results in runs.items():
        requests = sum(result["requests"] for result in results)
        summary[target] = {
            "rps": round(median([result["rps"] for result in results])),
            "p50_ms": round(median([result["latency_ms"]["p50"] for result in results]), 2),
            "p99_ms": round(median([result["latency_ms"]["p99"] for result in results]), 2),
            "max_ms": round(max(result["latency_ms"]["max"] for result in results), 1),
            "non_2xx": sum(result["errors"]["status"] for result in results),
            "socket_errors": sum(sum(v for k, v in result["errors"].items() if k != "status") for result in results),
            "db_statements_per_request": round(sum(r["db_statements"] for r in results) / max(1, requests), 5),
            "machine_busy": round(median([result["machine_busy"] for result in results]), 2),
            "cpu_us_per_request": round(median([result["cpu_us_per_request"] for result in results]), 1),
        }
    bare = summary["bare"]
    for target in ("stack", "session", "introspect"):
        entry = summary[target]
        entry["throughput_ratio"] = round(entry["rps"] / bare["rps"], 2)
        entry["p99_ratio"] = round(entry["p99_ms"] / bare["p99_ms"], 2)
        entry["cpu_ratio"] = round(bare["cpu_us_per_request"] / entry["cpu_us_per_request"], 2)
    for target in ("session", "introspect"):
        entry = summary[target]
        entry["met"] = (entry["throughput_ratio"] >= 0.5 and entry["p99_ratio"] <= 2.0
                        and entry["non_2xx"] == 0 and entry["socket_errors"] == 0)
    return summary


def render(setup: str, summary: dict, args: argparse.Namespace) -> str:  # type: ignore[type-arg]
    rows = []
    for target in TARGETS:
        entry = summary[target]
        rows.append([ROUTES[target], entry["rps"], entry["p50_ms"], entry["p99_ms"], entry["max_ms"],
                     entry.get("throughput_ratio", 1), entry.get("p99_ratio", 1), entry["cpu_us_per_request"],
                     entry.get("cpu_ratio", 1), entry["db_statements_per_request"], entry["non_2xx"] + entry["socket_errors"]])
    table = markdown_table(["route", "req/s", "p50 ms", "p99 ms", "max ms", "x bare req/s", "x bare p99",
                            "server CPU µs / request", "bare CPU / this CPU", "SQL statements / request", "errors"], rows)
    lines = [f"### {setup}: {SETUPS[setup]}", "", table, "",
             f"medians of {args.runs} interleaved rounds of {args.seconds} s, {args.connections} connections, "
             f"{args.sessions} sessions"]
    for target in ("session", "introspect"):
        entry = summary[target]
        lines.append(f"{ROUTES[target]}: {entry['throughput_ratio']}x the bare hello-world's throughput "
                     f"(target >= 0.5), {entry['p99_ratio']}x its p99 (target <= 2): {verdict(entry['met'])}")
    return "\n".join(lines)


@contextlib.contextmanager
def seeded_bastion(args: argparse.Namespace, setup: str, workdir: Path) -> Iterator[tuple[str, Any, Path, Any]]:
    """Bastion (`hello_server.py`, pinned to the server core) over a fresh, migrated database of
    `setup` seeded with `args.sessions` live sessions: (its base address, the seed, its folder, its process)."""
    from seed import bench_services, seed_sessions

    from bastion.crypto import generate_key

    secret_keys = generate_key()
    setup_dir = workdir / setup
    setup_dir.mkdir()
    if setup == "embedded":
        database = contextlib.nullcontext(f"sqlite:///{setup_dir / 'bastion.db'}")
        redis_url = None
    else:
        database = common.scratch_database(args.pg_admin_dsn, keep=args.keep)
        redis_url = args.redis_url
    with database as database_url:
        env = server_env(database_url, setup_dir, redis_url, secret_keys)
        common.run_cli(env, "db", "upgrade")
        services = bench_services(database_url, str(setup_dir / "data"), secret_keys)
        seeded = seed_sessions(services, args.sessions, uuid.uuid4().hex[:6])
        services.close()
        port = common.free_port()
        base = f"http://127.0.0.1:{port}"
        command = common.pinned([sys.executable, str(ROOT / "bench" / "hello_server.py"), "--port", str(port)],
                                args.server_cpu)
        with common.server_process(command, env, f"{base}/bench/hello", setup_dir / "server.log") as server:
            yield base, seeded, setup_dir, server


def measure_setup(args: argparse.Namespace, setup: str, workdir: Path, bare_base: str,
                  bare_pid: int) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    """Bastion over a fresh database of `setup`, seeded, served and measured beside the bare ceiling."""
    with seeded_bastion(args, setup, workdir) as (base, seeded, setup_dir, server):
        files = request_files(setup_dir, seeded.tokens, seeded.service_key)
        bases = {"bare": bare_base, "stack": base, "session": base, "introspect": base}
        profile = args.profile.with_name(f"{args.profile.stem}-{setup}{args.profile.suffix}") if args.profile else None
        pids = {"bare": bare_pid, "stack": server.pid, "session": server.pid, "introspect": server.pid}
        return measure(args, bases, files, seeded.tokens, pids, profile)


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    common.require_wrk()
    common.wait_for_quiet(args.quiet_wait)
    workdir = Path(tempfile.mkdtemp(prefix="bastion-bench-sessions-"))
    bare_port = common.free_port()
    bare_base = f"http://127.0.0.1:{bare_port}"
    bare_command = common.pinned([sys.executable, str(ROOT / "bench" / "bare_hello.py"), "--port", str(bare_port)],
                                 args.server_cpu)
    results: dict = {}  # type: ignore[type-arg]
    bare_env = {key: value for key, value in os.environ.items() if not key.startswith("BASTION_")}
    with common.server_process(bare_command, bare_env, f"{bare_base}/hello", workdir / "bare.log") as bare:
        for setup in args.setups:
            runs = measure_setup(args, setup, workdir, bare_base, bare.pid)
            results[setup] = {"summary": summarize(runs), "runs": runs}
    for setup in args.setups:
        print()
        print(render(setup, results[setup]["summary"], args))
    met = all(results[setup]["summary"][target]["met"] for setup in args.setups for target in ("session", "introspect"))
    if args.json:
        args.json.write_text(json.dumps({"results": results, "machine": common.machine(),
                                         "options": {k: str(v) for k, v in vars(args).items()}}, indent=2) + "\n")
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
