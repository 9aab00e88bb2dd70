#!/usr/bin/env python
"""Latency at 1,000,000 accounts and 10,000,000 sign-in records vs at 1,000 (issue 10, benchmark 4).

For each scale, a separate PostgreSQL database (dropped afterwards) is migrated and filled
with COPY (`bench/scale_data.py`). Then one server process per database
(`bench/hello_server.py`, both pinned to one core, only one busy at a time) answers a
sequential client on the other core, in `--rounds` rounds alternating between the scales —
the VM's speed drifts over minutes, and both scales must see the same drift. Each round
interleaves:
- `POST /v1/login` from a known device — argon2 at t=1, m=8 KiB, so the latency is the
  sign-in minus its hash;
- `GET /v1/session` with the session cache off (BASTION_SESSION_CACHE_SECONDS=0): the
  database path, the one that could grow with the tables;
- `GET /v1/me/activity`, the first page of an account with 200 records.
On the large database the statements those three send are captured in-process and
EXPLAINed: any sequential scan of a large table is reported.

    .venv/bin/python bench/scale.py                       # 1M / 10M (a few minutes to generate)
    .venv/bin/python bench/scale.py --accounts 100000 --attempts 1000000   # a quicker look

Targets: each large-scale latency (p50 and p99) within 1.2x of the small one; activity p99
< 20 ms; no sequential scan of accounts, sessions, sign_in_attempts or devices.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import common
import httpx2 as httpx
from common import ROOT, markdown_table, percentile, verdict
from scale_data import HISTORY, MEASURED, account_id, email, generate, session_token

PASSWORD = "violet harbor compass 93 lantern"
LARGE_TABLES = ("accounts", "sessions", "sign_in_attempts", "devices")


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--attempts", type=int, default=10_000_000)
    parser.add_argument("--small-accounts", type=int, default=1_000)
    parser.add_argument("--small-attempts", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=600, help="of each kind, per scale")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds the requests are spread over")
    parser.add_argument("--pg-admin-dsn", default=common.DEFAULT_PG_ADMIN)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--load-cpu", type=int, default=1)
    parser.add_argument("--quiet-wait", type=float, default=30.0)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args(argv)
    if not (MEASURED <= args.small_accounts <= args.accounts <= 5_000_000
            and MEASURED * HISTORY <= args.small_attempts <= args.attempts <= 50_000_000
            and 10 <= args.requests <= 5000 and 1 <= args.rounds <= 20):
        parser.error("accounts 20..5M, attempts 4000..50M (small <= large), --requests 10..5000, --rounds 1..20")
    common.require_loopback(args.pg_admin_dsn)
    return args


def cheap_hash() -> str:
    from argon2 import PasswordHasher, Type

    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID).hash(PASSWORD)


def server_env(database_url: str, workdir: Path, secret_keys: str) -> dict[str, str]:
    env = {**os.environ, "BASTION_ENV": "dev", "BASTION_DATA_DIR": str(workdir / "data"),
           "BASTION_DATABASE_URL": database_url, "BASTION_SECRET_KEYS": secret_keys, "BASTION_LOG_LEVEL": "WARNING",
           "BASTION_ARGON2_TIME_COST": "1", "BASTION_ARGON2_MEMORY_KIB": "8", "BASTION_ARGON2_PARALLELISM": "1",
           "BASTION_SESSION_CACHE_SECONDS": "0"}
    env.pop("BASTION_REDIS_URL", None)
    return env


def timed(client: httpx.Client, method: str, path: str, **kwargs: object) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    answer = client.request(method, path, **kwargs)  # type: ignore[arg-type]
    return (time.perf_counter() - started) * 1000, answer


def measure(base: str, requests: int, secret_keys: str) -> dict[str, list[float]]:
    latencies: dict[str, list[float]] = {"sign-in (minus hash)": [], "whoami (database path)": [],
                                         "activity page": []}
    with httpx.Client(base_url=base, timeout=30) as client:
        devices = []
        for index in range(MEASURED):  # each measured account signs in once without a device: now it knows one
            client.cookies.clear()
            answer = client.post("/v1/login", json={"email": email(index), "password": PASSWORD})
            if answer.status_code != 200:
                raise SystemExit(f"sign-in failed: {answer.status_code} {answer.text[:300]}")
            devices.append(answer.json()["device_id"])
        client.cookies.clear()
        for round_number in range(requests + 20):  # the first 20 rounds warm up
            index = round_number % MEASURED
            took = [timed(client, "POST", "/v1/login", json={"email": email(index), "password": PASSWORD},
                          headers={"X-Device-Id": devices[index]}),
                    timed(client, "GET", "/v1/session", headers={"Authorization": f"Bearer {session_token(index, secret_keys)}"}),
                    timed(client, "GET", "/v1/me/activity",
                          headers={"Authorization": f"Bearer {session_token(index, secret_keys)}"})]
            client.cookies.clear()
            for (elapsed, answer), name in zip(took, latencies, strict=True):
                if answer.status_code != 200:
                    raise SystemExit(f"{name} answered {answer.status_code}: {answer.text[:300]}")
                if round_number >= 20:
                    latencies[name].append(elapsed)
    return latencies


def explain(database_url: str, workdir: Path, secret_keys: str) -> list[dict[str, object]]:
    """The statements of a sign-in, a whoami and an activity page, as PostgreSQL plans them."""
    from sqlalchemy import event

    from bastion.config import load_settings
    from bastion.context import Client
    from bastion.sessions.validation import authenticate_session
    from bastion.signin.attempts import list_activity
    from bastion.signin.password import sign_in_with_password
    from bastion.startup import build_services

    settings = load_settings(env="dev", database_url=database_url, data_dir=workdir / "data",
                             secret_keys=secret_keys, argon2_time_cost=1, argon2_memory_kib=8,
                             session_cache_seconds=0)
    services = build_services(settings)
    captured: list[tuple[str, object]] = []

    @event.listens_for(services.db.engine, "before_cursor_execute")
    def _capture(_conn, _cursor, statement, parameters, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            captured.append((statement, parameters))

    sign_in_with_password(services, email(0), PASSWORD, Client(ip="127.0.0.1", user_agent="bench"))
    authenticate_session(services, session_token(0, secret_keys))
    list_activity(services, account_id(0), None, 20)
    plans: list[dict[str, object]] = []
    seen: set[str] = set()
    with services.db.engine.connect() as connection:
        for statement, parameters in captured:
            if statement in seen:
                continue
            seen.add(statement)
            rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()  # type: ignore[arg-type]
            plan = "\n".join(row[0] for row in rows)
            scans = [table for table in LARGE_TABLES if f"Seq Scan on {table} " in plan + " "]
            plans.append({"statement": " ".join(statement.split())[:160], "plan": plan, "seq_scans": scans})
    services.close()
    return plans


def prepare(args: argparse.Namespace, stack: ExitStack, accounts: int, attempts: int) -> dict[str, Any]:
    """A scratch database at that scale (dropped when `stack` closes) and the server's environment."""
    from bastion.crypto import generate_key

    workdir = Path(tempfile.mkdtemp(prefix="bastion-bench-scale-"))
    if not args.keep:
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
    secret_keys = generate_key()
    database_url = stack.enter_context(common.scratch_database(args.pg_admin_dsn, prefix="bastion_scale",
                                                               keep=args.keep))
    env = server_env(database_url, workdir, secret_keys)
    common.run_cli(env, "db", "upgrade")
    print(f"generating {accounts:,} accounts and {attempts:,} sign-in records with COPY ...", flush=True)
    started = time.monotonic()
    timings = generate(common.plain_dsn(database_url), accounts, attempts, cheap_hash(), secret_keys)
    generated = time.monotonic() - started
    print(f"  done in {generated:.0f} s ({', '.join(f'{k} {v:.0f} s' for k, v in timings.items())})", flush=True)
    return {"accounts": accounts, "attempts": attempts, "generation_seconds": round(generated, 1),
            "generation_by_table": {k: round(v, 1) for k, v in timings.items()},
            "database_url": database_url, "env": env, "workdir": workdir, "secret_keys": secret_keys}


def measure_interleaved(args: argparse.Namespace, stack: ExitStack,
                        scales: list[dict[str, Any]]) -> list[dict[str, list[float]]]:
    """Both servers up (each alone busy in its turn), measured in alternating rounds, so that the
    machine's speed drifting over minutes weighs on both scales alike."""
    bases = []
    for scale in scales:
        port = common.free_port()
        base = f"http://127.0.0.1:{port}"
        command = common.pinned([sys.executable, str(ROOT / "bench" / "hello_server.py"), "--port", str(port)],
                                args.server_cpu)
        stack.enter_context(common.server_process(command, scale["env"], f"{base}/bench/hello",
                                                  scale["workdir"] / "server.log"))
        bases.append(base)
    latencies: list[dict[str, list[float]]] = [{} for _ in scales]
    per_round = max(1, args.requests // args.rounds)
    for round_number in range(args.rounds):
        order = range(len(scales)) if round_number % 2 == 0 else reversed(range(len(scales)))
        for index in order:
            for name, values in measure(bases[index], per_round, scales[index]["secret_keys"]).items():
                latencies[index].setdefault(name, []).extend(values)
        print(f"round {round_number + 1} of {args.rounds} measured", flush=True)
    return latencies


def summary(scale: dict[str, Any], latencies: dict[str, list[float]], plans: list[dict[str, object]]) -> dict[str, object]:
    return {"accounts": scale["accounts"], "attempts": scale["attempts"],
            "generation_seconds": scale["generation_seconds"], "generation_by_table": scale["generation_by_table"],
            "latency_ms": {name: {"p50": round(percentile(values, 50), 2), "p99": round(percentile(values, 99), 2)}
                           for name, values in latencies.items()},
            "plans": plans}


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    common.wait_for_quiet(args.quiet_wait)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.load_cpu})  # the client on the other core
    with ExitStack() as stack:
        scales = [prepare(args, stack, args.small_accounts, args.small_attempts),
                  prepare(args, stack, args.accounts, args.attempts)]
        latencies = measure_interleaved(args, stack, scales)
        large_scale = scales[1]
        plans = explain(large_scale["database_url"], large_scale["workdir"], large_scale["secret_keys"])
        small, large = summary(scales[0], latencies[0], []), summary(large_scale, latencies[1], plans)
    rows, met = [], True
    for name, small_latency in small["latency_ms"].items():  # type: ignore[attr-defined]
        large_latency = large["latency_ms"][name]  # type: ignore[index]
        ratio_p50 = large_latency["p50"] / small_latency["p50"]
        ratio_p99 = large_latency["p99"] / small_latency["p99"]
        ok = ratio_p50 <= 1.2 and ratio_p99 <= 1.2
        if name == "activity page":
            ok = ok and large_latency["p99"] < 20
        met = met and ok
        rows.append([name, f"{small_latency['p50']} / {small_latency['p99']}",
                     f"{large_latency['p50']} / {large_latency['p99']}", f"{ratio_p50:.2f} / {ratio_p99:.2f}",
                     verdict(ok)])
    scans = [plan for plan in large["plans"] if plan["seq_scans"]]  # type: ignore[attr-defined]
    met = met and not scans
    print(markdown_table(["request", f"{args.small_accounts:,} accounts p50 / p99 ms",
                          f"{args.accounts:,} accounts, {args.attempts:,} records p50 / p99 ms",
                          "ratio p50 / p99 (target <= 1.2)", "target"], rows))
    print(f"\nlarge database generated with COPY in {large['generation_seconds']} s "
          f"({large['generation_by_table']}); {args.requests} requests of each kind per scale, sequential, "
          f"in {args.rounds} rounds alternating between the scales")
    print(f"\n{len(large['plans'])} statements EXPLAINed on the large database; "  # type: ignore[arg-type]
          f"sequential scans of large tables: {len(scans)}")
    for plan in large["plans"]:  # type: ignore[attr-defined]
        first = plan["plan"].splitlines()
        access = [line.strip() for line in first if "Scan" in line]
        print(f"- {plan['statement'][:110]}\n    {'; '.join(access) or first[0].strip()}")
    if args.json:
        args.json.write_text(json.dumps({"small": small, "large": large, "met": met, "machine": common.machine(),
                                         "options": {k: str(v) for k, v in vars(args).items()}}, indent=2) + "\n")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
