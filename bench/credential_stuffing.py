#!/usr/bin/env python
"""Credential-stuffing benchmark: does the owner still sign in while an attack runs? (issue 3)

Starts one `bastion serve` on 127.0.0.1 (PostgreSQL + Redis like production by default,
the default argon2 parameters m=19456 KiB, t=8, p=1), seeds a victim account and signs it
in once, keeping the device identifier Bastion issues (sent back as `X-Device-Id`). Then `wrk` offers
`--rate` wrong-password attempts a second for `--seconds` from random client addresses
(X-Forwarded-For, trusted from 127.0.0.1 only) across ~22,800 /24s, on random emails
plus the victim's, while a second client signs the victim in from the known device with
the right password every `--legit-interval` seconds and times it. A third client is new
people meanwhile: every `--newcomer-interval` seconds a sign-in with the right password to one
of `--newcomers` other accounts, from a device and an address never seen before — reported as
the share who got in during the attack (no target: under a flood an unknown device competes
with the attack for the hash queue's places).

Loopback only: the server, PostgreSQL and Redis must all be on this machine. Bounded in
time: every step has a deadline and everything started is stopped at the end.

    .venv/bin/python bench/credential_stuffing.py --seconds 30 --rate 2000 --workers 2

See bench/README.md for the options and docs/benchmarks.md for results.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path

import httpx2 as httpx
import psycopg
import redis
from common import (
    BIN,
    free_port,
    machine,
    machine_busy,
    percentile,
    require_loopback,
    run_cli,
    stop_group,
    wait_for_quiet,
    wait_ready,
)
from seed import seed_accounts_hashed_at

from bastion.config import Settings
from bastion.crypto import generate_key, hash_token

LUA = Path(__file__).resolve().parent / "wrk" / "stuffing.lua"
VICTIM_PASSWORD = "violet harbor compass 93 lantern"
LEGIT_IP = "192.0.2.200"
LEGIT_TIMEOUT = 30.0  # seconds; an owner's sign-in slower than this counts as failed


# Options -----------------------------------------------------------------------------------

def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--rate", type=int, default=2000, help="attempts a second offered (paced by the wrk script)")
    parser.add_argument("--seconds", type=int, default=30, help="length of the attack")
    parser.add_argument("--workers", type=int, default=2, help="`bastion serve --workers`")
    parser.add_argument("--connections", type=int, default=2048,
                        help="wrk connections: at most this many attempts are outstanding at once")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--pg-admin-dsn", default=os.environ.get("BASTION_TEST_PG",
                                                                 "postgresql://postgres@127.0.0.1:5432/test"),
                        help="where a fresh database is created (and dropped at the end)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3",
                        help="Redis for the counters; this database number is FLUSHDB-ed before and after. "
                             "'none' for the database backend only")
    parser.add_argument("--victim-share", type=float, default=0.05, help="share of attempts on the victim's email")
    parser.add_argument("--ip-pool", type=int, default=0,
                        help="draw attack addresses from this many fixed ones (0: random over ~22,800 /24s)")
    parser.add_argument("--rate-limits", default=None, help="BASTION_RATE_LIMITS for the server (default: its own)")
    parser.add_argument("--legit-interval", type=float, default=0.5, help="seconds between the owner's sign-ins")
    parser.add_argument("--log-level", default="INFO", help="server BASTION_LOG_LEVEL (INFO is the default in production)")
    defaults = Settings.model_fields
    parser.add_argument("--argon2-memory-kib", type=int, default=defaults["argon2_memory_kib"].default)
    parser.add_argument("--argon2-time-cost", type=int, default=defaults["argon2_time_cost"].default)
    parser.add_argument("--hash-concurrency", type=int, default=None, help="BASTION_HASH_CONCURRENCY (default: the server's)")
    parser.add_argument("--queue-seconds", type=float, default=None,
                        help="BASTION_SIGNIN_QUEUE_SECONDS (default: the server's)")
    parser.add_argument("--newcomers", type=int, default=100, help="accounts the new people sign in to")
    parser.add_argument("--newcomer-interval", type=float, default=0.5,
                        help="seconds between new people's sign-ins (new device, new address, right password)")
    parser.add_argument("--quiet-wait", type=float, default=60.0,
                        help="first wait up to this many seconds for the machine to be >= 85 %% idle (shared machines)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the database, Redis keys and server log")
    args = parser.parse_args(argv)
    if not (1 <= args.seconds <= 600):
        parser.error("--seconds must be 1..600")
    if not (1 <= args.rate <= 20000):
        parser.error("--rate must be 1..20000")
    require_loopback(args.pg_admin_dsn, args.redis_url)
    return args


# Processes ---------------------------------------------------------------------------------

def cpu_seconds_by_group(server_pgid: int | None) -> dict[str, float]:
    """CPU time (user+system) so far, summed for the server, PostgreSQL, Redis and wrk."""
    tick = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1: raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        pgid, utime, stime = int(fields[2]), int(fields[11]), int(fields[12])
        if server_pgid is not None and pgid == server_pgid:
            group = "bastion serve"
        elif int(entry.name) == os.getpid():
            group = "owner client (this script)"
        elif comm.startswith("postgres"):
            group = "postgresql"
        elif comm.startswith("redis-server"):
            group = "redis"
        elif comm == "wrk":
            group = "wrk"
        else:
            continue
        totals[group] = totals.get(group, 0.0) + (utime + stime) / tick
    return totals


# The owner ---------------------------------------------------------------------------------

@dataclass
class Legit:
    """The owner: a sign-in from the known device every `interval` seconds, whether or not the
    previous one has answered (open loop, so a stalled server shows in the latencies instead of
    hiding behind fewer samples)."""

    base: str
    email: str
    interval: float
    latencies: list[float] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    device: str | None = None  # issued by Bastion at the first sign-in, like an app keeps it
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def who(self) -> tuple[str, dict[str, str]]:
        """The email signing in, and the request's headers."""
        headers = {"X-Forwarded-For": LEGIT_IP}
        if self.device:
            headers["X-Device-Id"] = self.device
        return self.email, headers

    def client(self) -> httpx.Client:
        return httpx.Client(timeout=LEGIT_TIMEOUT, limits=httpx.Limits(max_connections=256, max_keepalive_connections=16))

    def sign_in(self, client: httpx.Client) -> tuple[float, str]:
        started = time.perf_counter()
        email, headers = self.who()
        try:
            answer = client.post(f"{self.base}/v1/login", json={"email": email, "password": VICTIM_PASSWORD},
                                 headers=headers)
            elapsed = time.perf_counter() - started
            if answer.status_code == 200:
                outcome = "200 " + answer.json().get("status", "?")
                self.device = self.device or answer.json().get("device_id")
            else:
                try:
                    outcome = f"{answer.status_code} {answer.json().get('code')}"
                except ValueError:
                    outcome = str(answer.status_code)
        except httpx.HTTPError as error:
            elapsed, outcome = time.perf_counter() - started, f"error {type(error).__name__}"
        return elapsed, outcome

    def _one(self, client: httpx.Client) -> None:
        elapsed, outcome = self.sign_in(client)
        with self._lock:
            self.latencies.append(elapsed)
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def run(self) -> None:
        with self.client() as client, ThreadPoolExecutor(max_workers=256, thread_name_prefix="owner") as pool:
            tick = time.monotonic()
            while not self.stop.is_set():
                pool.submit(self._one, client)
                tick += self.interval
                self.stop.wait(max(0.0, tick - time.monotonic()))
            # Leaving the block waits for the sign-ins still under way (each bounded by LEGIT_TIMEOUT).

    @property
    def succeeded(self) -> int:
        return self.outcomes.get("200 authenticated", 0)


@dataclass
class Newcomers(Legit):
    """New people during the attack: each sign-in to the next of `emails`, with the right password,
    from a device and an address never seen before (TEST-NET 198.18.0.0/15, never the attack's)."""

    emails: list[str] = field(default_factory=list)
    _count: int = 0

    def who(self) -> tuple[str, dict[str, str]]:
        with self._lock:
            self._count += 1
            number = self._count
        return self.emails[number % len(self.emails)], {"X-Forwarded-For": f"198.{18 + (number >> 16) % 2}."
                                                                           f"{(number >> 8) & 255}.{number & 255}"}

    def client(self) -> httpx.Client:
        # Nothing kept between people: the device cookie of one answer must not reach the next request.
        return httpx.Client(timeout=LEGIT_TIMEOUT, cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
                            limits=httpx.Limits(max_connections=256, max_keepalive_connections=16))


# The run -----------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    wait_for_quiet(args.quiet_wait)
    workdir = Path(tempfile.mkdtemp(prefix="bastion-bench-"))
    run_id = uuid.uuid4().hex[:8]
    victim = f"victim-{run_id}@bench.example"
    pg_name = f"bastion_bench_{run_id}"
    admin_base = args.pg_admin_dsn.rsplit("/", 1)[0]

    if args.database == "postgresql":
        with psycopg.connect(args.pg_admin_dsn, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{pg_name}"')
        database_url = f"{admin_base}/{pg_name}".replace("postgresql://", "postgresql+psycopg://", 1)
    else:
        database_url = f"sqlite:///{workdir / 'bastion.db'}"
    store: redis.Redis | None = None
    if args.redis_url != "none":
        store = redis.Redis.from_url(args.redis_url, socket_timeout=5)
        store.flushdb()

    env = {
        **os.environ,
        "BASTION_ENV": "dev",
        "BASTION_DATA_DIR": str(workdir / "data"),
        "BASTION_DATABASE_URL": database_url,
        "BASTION_SECRET_KEYS": generate_key(),
        "BASTION_TRUSTED_PROXIES": "127.0.0.1/32",
        "BASTION_ARGON2_MEMORY_KIB": str(args.argon2_memory_kib),
        "BASTION_ARGON2_TIME_COST": str(args.argon2_time_cost),
        "BASTION_ARGON2_PARALLELISM": "1",
        "BASTION_LOG_LEVEL": args.log_level,
    }
    if store is not None:
        env["BASTION_REDIS_URL"] = args.redis_url
    else:
        env.pop("BASTION_REDIS_URL", None)
    for name, value in (("HASH_CONCURRENCY", args.hash_concurrency), ("SIGNIN_QUEUE_SECONDS", args.queue_seconds),
                        ("RATE_LIMITS", args.rate_limits)):
        if value is not None:
            env[f"BASTION_{name}"] = str(value)

    server: subprocess.Popen | None = None  # type: ignore[type-arg]
    log_path = workdir / "server.log"
    try:
        run_cli(env, "db", "upgrade")
        run_cli(env, "user", "create", victim, stdin=f"{VICTIM_PASSWORD}\n{VICTIM_PASSWORD}\n")
        newcomer_emails = seed_accounts_hashed_at(database_url, str(workdir / "seed"), args.newcomers, run_id,
                                                  args.argon2_time_cost, args.argon2_memory_kib)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with log_path.open("wb") as sink:
            server = subprocess.Popen([str(BIN), "serve", "--host", "127.0.0.1", "--port", str(port),
                                       "--workers", str(args.workers)], env=env, cwd=workdir,
                                      stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
        wait_ready(f"{base}/readyz", server, log_path)

        legit = Legit(base, victim, args.legit_interval)
        newcomers = Newcomers(base, "", args.newcomer_interval, emails=newcomer_emails)
        quiet: list[float] = []
        with httpx.Client(timeout=30.0) as client:
            # The device becomes known; more sign-ins warm every worker up and time a quiet server.
            for _ in range(10 + 2 * args.workers):
                elapsed, outcome = legit.sign_in(client)
                if outcome != "200 authenticated":
                    raise SystemExit(f"the victim's sign-in failed: {outcome}\n{log_path.read_text()[-3000:]}")
                quiet.append(elapsed)
        quiet = quiet[2 * args.workers:]
        baseline = max_attempt_id(database_url)

        print(f"attack: {args.rate}/s offered for {args.seconds} s, {args.connections} connections, "
              f"{args.threads} wrk threads; server --workers {args.workers} on {args.database}"
              f"{' + redis' if store else ''}", flush=True)
        load_before = Path("/proc/loadavg").read_text().split()[0]
        cpu_before, busy_before = cpu_seconds_by_group(server.pid), machine_busy()
        owner = threading.Thread(target=legit.run, daemon=True)
        people = threading.Thread(target=newcomers.run, daemon=True)
        command = [wrk, "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.seconds}s",
                   "--timeout", "10s", "--latency", "-s", str(LUA), f"{base}/v1/login", "--",
                   str(args.rate), str(args.threads), victim, str(args.victim_share), str(args.ip_pool)]
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started, window_start = time.monotonic(), datetime.now(UTC)
        owner.start()
        people.start()
        attack = subprocess.run(command, capture_output=True, text=True, timeout=args.seconds + 60)
        window_end = datetime.now(UTC)
        legit.stop.set()
        newcomers.stop.set()
        owner.join(timeout=LEGIT_TIMEOUT + 15)
        people.join(timeout=LEGIT_TIMEOUT + 15)
        wall = time.monotonic() - started
        cpu_after, busy_after = cpu_seconds_by_group(server.pid), machine_busy()
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # wrk has exited by now: its CPU time is in this process's reaped children.
        cpu_after["wrk"] = (children_after.ru_utime + children_after.ru_stime
                            - children_before.ru_utime - children_before.ru_stime)
        if attack.returncode != 0 or "BENCH_JSON" not in attack.stdout:
            raise SystemExit(f"wrk failed ({attack.returncode}):\n{attack.stdout}\n{attack.stderr}")
        attack_stats = json.loads(attack.stdout.split("BENCH_JSON ", 1)[1].splitlines()[0])
        rows = attempts_since(database_url, baseline, window_start, window_end, legit.device or "",
                              set(newcomer_emails))
        server_errors = count_server_errors(log_path)
    finally:
        if server is not None:
            stop_group(server)
        if not args.keep:
            if store is not None:
                store.flushdb()
            if args.database == "postgresql":
                with psycopg.connect(args.pg_admin_dsn, autocommit=True, connect_timeout=5) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        if store is not None:
            store.close()

    cpu = {k: round(cpu_after.get(k, 0) - cpu_before.get(k, 0), 1) for k in cpu_after}
    busy_seconds = (busy_after[0] - busy_before[0]) / os.sysconf("SC_CLK_TCK")
    cpu["rest of the machine"] = round(busy_seconds - sum(cpu.values()), 1)
    results = summarize(args, attack_stats, legit, newcomers, rows, server_errors, wall, cpu,
                        (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1]), quiet)
    results["loadavg_1min_before"] = float(load_before)
    results["machine"] = machine()
    print(render(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    if args.keep:
        print(f"kept: {workdir} (server.log), database {database_url}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if results["target_met"] else 1


def _engine(database_url: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine

    return create_engine(database_url)


def max_attempt_id(database_url: str) -> int:
    from sqlalchemy import text

    engine = _engine(database_url)
    with engine.connect() as connection:
        value = connection.execute(text("SELECT coalesce(max(id), 0) FROM sign_in_attempts")).scalar_one()
    engine.dispose()
    return int(value)


def attempts_since(database_url: str, baseline: int, start: datetime, end: datetime,
                   owner_device: str, newcomer_emails: set[str]) -> dict[str, dict[str, int]]:
    """Sign-in attempt rows recorded since `baseline`, by outcome and code: the attack's, the owner's
    device's and the new people's, and of those the ones recorded during the attack window (the rest were
    answered after wrk stopped, while the server drained what it had accepted)."""
    from sqlalchemy import select

    from bastion.signin.models import SignInAttempt
    from bastion.store import Database

    legit_device = hash_token(owner_device)
    database = Database(database_url)
    with database.transaction() as tx:
        found = tx.execute(select(SignInAttempt.created_at, SignInAttempt.device_id, SignInAttempt.identifier,
                                  SignInAttempt.outcome, SignInAttempt.code).where(SignInAttempt.id > baseline)).all()
    database.dispose()
    rows: dict[str, dict[str, int]] = {f"{who}{window}": {} for who in ("attack", "legit", "newcomers")
                                       for window in ("", "_in_window")}
    for created_at, device_id, identifier, outcome, code in found:
        who = "legit" if device_id == legit_device else "newcomers" if identifier in newcomer_emails else "attack"
        key = f"{outcome} {code or ''}".strip()
        rows[who][key] = rows[who].get(key, 0) + 1
        if start <= created_at <= end:
            rows[f"{who}_in_window"][key] = rows[f"{who}_in_window"].get(key, 0) + 1
    return rows


def count_server_errors(log_path: Path) -> int:
    errors = 0
    with log_path.open(errors="replace") as lines:
        for line in lines:
            if '"level": "error"' in line or '"level": "critical"' in line:
                errors += 1
    return errors


def summarize(args: argparse.Namespace, attack: dict, legit: Legit, newcomers: Newcomers,  # type: ignore[type-arg]
              rows: dict[str, dict[str, int]],
              server_errors: int, wall: float, cpu: dict[str, float], busy: float,
              quiet: list[float]) -> dict:  # type: ignore[type-arg]
    statuses = {k: int(v) for k, v in sorted(attack["statuses"].items())}
    fivexx = sum(v for k, v in statuses.items() if k.startswith("5"))
    legit_5xx = sum(v for k, v in legit.outcomes.items() if k.startswith("5"))
    duration = attack["duration_us"] / 1e6
    def hashes(counts: dict[str, int]) -> int:
        return sum(v for k, v in counts.items() if k.startswith(("success", "challenge")) or k.endswith("credentials.invalid"))

    hashes_attack, hashes_legit = hashes(rows["attack_in_window"]), hashes(rows["legit_in_window"])
    hashes_newcomers = hashes(rows["newcomers_in_window"])
    hashes_total = hashes(rows["attack"]) + hashes(rows["legit"]) + hashes(rows["newcomers"])
    latencies = legit.latencies
    p99 = percentile(latencies, 99)
    success_rate = legit.succeeded / len(latencies) if latencies else 0.0
    target_met = bool(latencies) and legit.succeeded == len(latencies) and p99 < 1.5 and fivexx == 0 \
        and legit_5xx == 0 and args.rate >= 2000 and args.seconds >= 30
    return {
        "offered_per_s": args.rate,
        "seconds": args.seconds,
        "wall_seconds": round(wall, 1),
        "connections": args.connections,
        "wrk_threads": args.threads,
        "workers": args.workers,
        "database": args.database,
        "redis": args.redis_url != "none",
        "attack_requests": attack["requests"],
        "achieved_per_s": round(attack["requests"] / duration, 1) if duration else 0.0,
        "attack_statuses": statuses,
        "attack_codes_seen_by_client": dict(sorted(attack["codes"].items())),
        "attack_socket_errors": attack["errors"],
        "attack_latency_ms": attack["latency_ms"],
        "attempt_rows_attack": dict(sorted(rows["attack"].items())),
        "attempt_rows_legit": dict(sorted(rows["legit"].items())),
        "attempt_rows_attack_in_window": dict(sorted(rows["attack_in_window"].items())),
        "quiet_owner_p50_ms": round(percentile(quiet, 50) * 1000, 1),
        "argon2_hashes": {"attack": hashes_attack, "legit": hashes_legit, "newcomers": hashes_newcomers,
                          "per_s": round((hashes_attack + hashes_legit + hashes_newcomers) / duration, 1)
                          if duration else 0.0,
                          "including_drain": hashes_total,
                          "method": "sign_in_attempts rows recorded during the attack window: each "
                                    "credentials.invalid, success or challenge cost exactly one argon2 "
                                    "verification; refusals (429) cost none"},
        "legit": {
            "attempts": len(latencies),
            "succeeded": legit.succeeded,
            "success_rate": round(success_rate, 4),
            "outcomes": dict(sorted(legit.outcomes.items())),
            "p50_ms": round(percentile(latencies, 50) * 1000, 1),
            "p90_ms": round(percentile(latencies, 90) * 1000, 1),
            "p99_ms": round(p99 * 1000, 1),
            "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
            "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else None,
        },
        "newcomers": {
            "attempts": len(newcomers.latencies),
            "got_in": newcomers.succeeded,
            "share_got_in": round(newcomers.succeeded / len(newcomers.latencies), 4) if newcomers.latencies else 0.0,
            "outcomes": dict(sorted(newcomers.outcomes.items())),
            "p50_ms": round(percentile(newcomers.latencies, 50) * 1000, 1),
            "p99_ms": round(percentile(newcomers.latencies, 99) * 1000, 1),
        },
        "5xx": {"attack": fivexx, "legit": legit_5xx,
                "newcomers": sum(v for k, v in newcomers.outcomes.items() if k.startswith("5"))},
        "server_error_log_lines": server_errors,
        "cpu_seconds": cpu,
        "machine_busy": round(busy, 3),
        "target": "2,000 attempts/s offered for 30 s: every known-device sign-in succeeds, p99 < 1.5 s, no 5xx",
        "target_met": target_met,
    }


def render(r: dict) -> str:  # type: ignore[type-arg]
    legit = r["legit"]
    lines = [
        "| measure | value |",
        "|---|---|",
        f"| attack offered / achieved | {r['offered_per_s']}/s / {r['achieved_per_s']}/s "
        f"({r['attack_requests']} requests in {r['seconds']} s, {r['connections']} connections) |",
        f"| attack answers by status | {', '.join(f'{k}: {v}' for k, v in r['attack_statuses'].items())} |",
        f"| attack answers by code | {', '.join(f'{k}: {v}' for k, v in r['attack_codes_seen_by_client'].items())} |",
        f"| wrk errors (status = non-2xx/3xx answers) | "
        f"{', '.join(f'{k}: {v}' for k, v in r['attack_socket_errors'].items())} |",
        f"| attack latency p50 / p99 / max | {r['attack_latency_ms']['p50']:.0f} / {r['attack_latency_ms']['p99']:.0f}"
        f" / {r['attack_latency_ms']['max']:.0f} ms |",
        f"| attack answers recorded by the server (attack window) | "
        f"{', '.join(f'{k}: {v}' for k, v in r['attempt_rows_attack_in_window'].items())} |",
        f"| argon2 hashes computed | {r['argon2_hashes']['attack']} attack + {r['argon2_hashes']['legit']} owner + "
        f"{r['argon2_hashes']['newcomers']} new people "
        f"= {r['argon2_hashes']['per_s']}/s during the attack ({r['argon2_hashes']['including_drain']} "
        f"including the drain after it; from sign_in_attempts rows) |",
        f"| owner (known device) sign-ins | {legit['succeeded']}/{legit['attempts']} succeeded "
        f"({100 * legit['success_rate']:.1f} %); {', '.join(f'{k}: {v}' for k, v in legit['outcomes'].items())} |",
        f"| owner latency p50 / p90 / p99 / max | {legit['p50_ms']} / {legit['p90_ms']} / {legit['p99_ms']} / "
        f"{legit['max_ms']} ms (quiet server p50: {r['quiet_owner_p50_ms']} ms) |",
        f"| new people (new device, right password) who got in during the attack | {r['newcomers']['got_in']}/"
        f"{r['newcomers']['attempts']} ({100 * r['newcomers']['share_got_in']:.1f} %); "
        f"{', '.join(f'{k}: {v}' for k, v in r['newcomers']['outcomes'].items())}; p50 / p99 "
        f"{r['newcomers']['p50_ms']} / {r['newcomers']['p99_ms']} ms |",
        f"| 5xx | attack {r['5xx']['attack']}, owner {r['5xx']['legit']}, new people {r['5xx']['newcomers']}; "
        f"error log lines {r['server_error_log_lines']} |",
        f"| CPU seconds during the attack | {', '.join(f'{k}: {v}' for k, v in sorted(r['cpu_seconds'].items()))}"
        f" (machine busy {100 * r['machine_busy']:.0f} %) |",
        f"| target met | {'yes' if r['target_met'] else 'no'} ({r['target']}) |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
