#!/usr/bin/env python
"""Legitimate load, open loop: is anyone turned away while the machine has room? (issue 19)

For each setup of `--setups` (`embedded`: SQLite, no Redis; `production`: PostgreSQL + Redis)
and each worker count of `--workers`: a fresh database holding `--accounts` verified accounts,
and `bastion serve --workers N` pinned to N cores (0..N-1) at the default argon2 parameters.
Before each level, on those same cores (the server idle), N processes verify a password for
`--raw-seconds`: the raw argon2 rate R (measured anew each time: a VM's speed drifts). Then
people arrive at random (Poisson arrivals) at the level's fraction of R, for `--seconds`: sign-ins from new devices (no device identifier, no cookie, each from an
address of its own, to one of the accounts) and, for `--signup-share` of the arrivals, sign-ups
of new addresses. Every arrival costs the server one hash (a sign-up's after its answer).
Between levels the server finishes what it accepted. The client runs on `--load-cpu`.

    .venv/bin/python bench/legit_load.py                                  # 2 setups x 2 worker counts x 4 levels
    .venv/bin/python bench/legit_load.py --setups embedded --workers 1 --seconds 20

Targets, in every setup and worker count: no refusal (429) up to 75 % of R, at most 0.5 % at
90 %, p99 under 2 s at 90 %, no 5xx and no other failure. Exit status 0 when all are met.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path

import common
import httpx2 as httpx
import redis
from common import BIN, markdown_table, percentile, verdict

from bastion.config import Settings
from bastion.crypto import generate_key

SETUPS = {"embedded": "SQLite, no Redis", "production": "PostgreSQL + Redis"}
TIMEOUT = 30.0  # seconds a person waits for an answer before it counts as failed
REFUSALS_UP_TO_75 = 0
REFUSED_SHARE_AT_90 = 0.005
P99_AT_90 = 2.0


def options(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = Settings.model_fields
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--setups", default="embedded,production", help="embedded and/or production, comma separated")
    parser.add_argument("--workers", default="1,2", help="worker counts, comma separated (each on as many cores)")
    parser.add_argument("--levels", default="25,50,75,90", help="arrival rates, percent of the raw argon2 rate")
    parser.add_argument("--seconds", type=float, default=45, help="arrivals at each level for this long")
    parser.add_argument("--raw-seconds", type=float, default=5,
                        help="length of the raw argon2 measurement before each level")
    parser.add_argument("--signup-share", type=float, default=0.2, help="share of arrivals that are sign-ups")
    parser.add_argument("--accounts", type=int, default=300, help="accounts the sign-ins are spread over")
    parser.add_argument("--argon2-time-cost", type=int, default=defaults["argon2_time_cost"].default)
    parser.add_argument("--argon2-memory-kib", type=int, default=defaults["argon2_memory_kib"].default)
    parser.add_argument("--queue-seconds", type=float, default=None,
                        help="BASTION_SIGNIN_QUEUE_SECONDS of the server (default: the server's)")
    parser.add_argument("--hash-concurrency", type=int, default=None,
                        help="BASTION_HASH_CONCURRENCY of each worker (default: the cores shared between them)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5",
                        help="Redis of the production setup; this database number is FLUSHDB-ed before and after")
    parser.add_argument("--pg-admin-dsn", default=common.DEFAULT_PG_ADMIN,
                        help="where the production setup's scratch database is created (and dropped at the end)")
    parser.add_argument("--load-cpu", type=int, default=1, help="core this client runs on")
    parser.add_argument("--seed", type=int, default=19, help="of the arrival times (the same run, the same arrivals)")
    parser.add_argument("--quiet-wait", type=float, default=60.0,
                        help="first wait up to this many seconds for the machine to be >= 85 %% idle")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the databases and server logs")
    args = parser.parse_args(argv)
    args.setups = [item.strip() for item in args.setups.split(",") if item.strip()]
    try:
        args.workers = [int(item) for item in args.workers.split(",")]
        args.levels = [int(item) for item in args.levels.split(",")]
    except ValueError:
        parser.error("--workers and --levels are comma-separated whole numbers")
    if not args.setups or any(setup not in SETUPS for setup in args.setups):
        parser.error(f"--setups: some of {', '.join(SETUPS)}")
    cores = len(os.sched_getaffinity(0))
    if any(not 1 <= workers <= cores for workers in args.workers) or any(not 1 <= level <= 150 for level in args.levels):
        parser.error(f"--workers 1..{cores} (one core each), --levels 1..150")
    if not (1 <= args.seconds <= 300 and 1 <= args.raw_seconds <= 60 and 0 <= args.signup_share <= 1
            and 1 <= args.accounts <= 10_000):
        parser.error("--seconds 1..300, --raw-seconds 1..60, --signup-share 0..1, --accounts 1..10000")
    common.require_loopback(args.pg_admin_dsn, args.redis_url)
    return args


# People ------------------------------------------------------------------------------------

@dataclass
class Answer:
    kind: str  # "sign_in" or "sign_up"
    outcome: str  # e.g. "200 authenticated", "202", "429 rate_limited", "error ReadTimeout"
    seconds: float
    late: float  # how far behind its arrival time the client sent it


@dataclass
class People:
    """New visitors, each on a device and at an address never seen before."""

    base: str
    emails: list[str]
    password: str
    signup_share: float
    run_tag: str
    sent: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def client(self, timeout: float = TIMEOUT) -> httpx.AsyncClient:
        # A new device keeps nothing: no cookie may survive from one person's answer to the next.
        no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
        return httpx.AsyncClient(base_url=self.base, timeout=timeout, cookies=no_cookies,
                                 limits=httpx.Limits(max_connections=2000, max_keepalive_connections=256))

    def next_person(self) -> tuple[str, str, dict[str, str]]:
        """(kind, path, body) of the next arrival, from an address of its own."""
        self.sent += 1
        number = self.sent
        address = f"10.{(number >> 16) & 255}.{(number >> 8) & 255}.{number & 255}"
        headers = {"X-Forwarded-For": address, "User-Agent": "bench-legit-load"}
        if self.rng.random() < self.signup_share:
            body = {"email": f"new{number}-{self.run_tag}@bench.example", "password": self.password}
            return "sign_up", json.dumps(body), headers
        body = {"email": self.rng.choice(self.emails), "password": self.password}
        return "sign_in", json.dumps(body), headers

    async def one(self, client: httpx.AsyncClient, due: float) -> Answer:
        kind, body, headers = self.next_person()
        started = time.monotonic()
        path = "/v1/accounts" if kind == "sign_up" else "/v1/login"
        try:
            response = await client.post(path, content=body, headers={**headers, "Content-Type": "application/json"})
            outcome = str(response.status_code)
            if response.status_code == 200:
                outcome += " " + str(response.json().get("status"))
            elif response.status_code >= 400:
                with contextlib.suppress(ValueError):
                    outcome += " " + str(response.json().get("code"))
        except httpx.HTTPError as error:
            outcome = f"error {type(error).__name__}"
        return Answer(kind, outcome, time.monotonic() - started, started - due)


async def offer(people: People, rate: float, seconds: float, seed: int) -> list[Answer]:
    """Arrivals at `rate` a second for `seconds` (exponential gaps), each sent at its time whatever
    the others are doing; every answer awaited (each bounded by TIMEOUT)."""
    gaps = random.Random(seed)
    async with people.client() as client:
        loop = asyncio.get_running_loop()
        started, at, pending = loop.time(), 0.0, []
        while True:
            at += gaps.expovariate(rate)
            if at >= seconds:
                break
            await asyncio.sleep(max(0.0, started + at - loop.time()))
            pending.append(asyncio.ensure_future(people.one(client, started + at)))
        return list(await asyncio.gather(*pending))


def summarize_level(level: int, rate: float, seconds: float, answers: list[Answer]) -> dict:  # type: ignore[type-arg]
    outcomes = Counter(f"{answer.kind} {answer.outcome}" for answer in answers)
    signins = [answer for answer in answers if answer.kind == "sign_in"]
    signups = [answer for answer in answers if answer.kind == "sign_up"]
    refused = sum(1 for answer in answers if answer.outcome.startswith("429"))
    served = sum(1 for answer in signins if answer.outcome == "200 authenticated") + \
        sum(1 for answer in signups if answer.outcome == "202")
    failed = len(answers) - served - refused
    def ms(values: list[float], p: float) -> float:
        return round(percentile(values, p) * 1000, 1) if values else 0.0

    signin_times = [answer.seconds for answer in signins if not answer.outcome.startswith("429")]
    every_time = [answer.seconds for answer in answers if not answer.outcome.startswith("429")]
    return {
        "level_percent": level, "offered_per_s": round(rate, 2), "seconds": seconds, "arrivals": len(answers),
        "sign_ins": len(signins), "sign_ups": len(signups), "served": served, "refused": refused,
        "refused_share": round(refused / len(answers), 4) if answers else 0.0, "failed": failed,
        "fivexx": sum(1 for answer in answers if answer.outcome.startswith("5")),
        "outcomes": dict(sorted(outcomes.items())),
        "sign_in_ms": {"p50": ms(signin_times, 50), "p90": ms(signin_times, 90), "p99": ms(signin_times, 99),
                       "max": ms(signin_times, 100)},
        "p99_ms": ms(every_time, 99),
        "sign_up_p99_ms": ms([answer.seconds for answer in signups], 99),
        "client_late_max_ms": round(max((answer.late for answer in answers), default=0.0) * 1000, 1),
    }


def level_met(entry: dict) -> bool:  # type: ignore[type-arg]
    if entry["failed"] or entry["fivexx"]:
        return False
    if entry["level_percent"] <= 75:
        return entry["refused"] <= REFUSALS_UP_TO_75
    return entry["refused_share"] <= REFUSED_SHARE_AT_90 and entry["p99_ms"] < P99_AT_90 * 1000


# One setup, one worker count -----------------------------------------------------------------

def server_env(args: argparse.Namespace, database_url: str, workdir: Path, redis_url: str | None) -> dict[str, str]:
    env = {**os.environ, "BASTION_ENV": "dev", "BASTION_DATA_DIR": str(workdir / "data"),
           "BASTION_DATABASE_URL": database_url, "BASTION_SECRET_KEYS": generate_key(),
           "BASTION_TRUSTED_PROXIES": "127.0.0.1/32", "BASTION_LOG_LEVEL": "WARNING",
           "BASTION_ARGON2_TIME_COST": str(args.argon2_time_cost),
           "BASTION_ARGON2_MEMORY_KIB": str(args.argon2_memory_kib), "BASTION_ARGON2_PARALLELISM": "1",
           "BASTION_METRICS_TOKEN": common.METRICS_TOKEN}
    for name in ("BASTION_REDIS_URL", "BASTION_HASH_CONCURRENCY", "BASTION_SIGNIN_QUEUE_SECONDS"):
        env.pop(name, None)
    if redis_url is not None:
        env["BASTION_REDIS_URL"] = redis_url
    if args.queue_seconds is not None:
        env["BASTION_SIGNIN_QUEUE_SECONDS"] = str(args.queue_seconds)
    if args.hash_concurrency is not None:
        env["BASTION_HASH_CONCURRENCY"] = str(args.hash_concurrency)
    return env


def measure(args: argparse.Namespace, setup: str, workers: int, workdir: Path) -> dict:  # type: ignore[type-arg]
    from seed import PASSWORD, seed_accounts_hashed_at

    tag = uuid.uuid4().hex[:6]
    here = workdir / f"{setup}-{workers}"
    here.mkdir()
    store = None
    if setup == "embedded":
        database = contextlib.nullcontext(f"sqlite:///{here / 'bastion.db'}")
    else:
        database = common.scratch_database(args.pg_admin_dsn, keep=args.keep)
        store = redis.Redis.from_url(args.redis_url, socket_timeout=5)
        store.flushdb()
    cpus = list(range(workers))
    try:
        with database as database_url:
            env = server_env(args, database_url, here, args.redis_url if store is not None else None)
            common.run_cli(env, "db", "upgrade")
            emails = seed_accounts_hashed_at(database_url, str(here / "seed"), args.accounts, tag,
                                             args.argon2_time_cost, args.argon2_memory_kib)
            print(f"{setup}, {workers} worker(s) on cores {cpus}", flush=True)
            port = common.free_port()
            base = f"http://127.0.0.1:{port}"
            command = common.pinned([str(BIN), "serve", "--host", "127.0.0.1", "--port", str(port),
                                     "--workers", str(workers)], ",".join(map(str, cpus)))
            (here / "metrics").mkdir()
            env["PROMETHEUS_MULTIPROC_DIR"] = str(here / "metrics")  # /metrics sums every worker's queue
            with common.server_process(command, env, f"{base}/readyz", here / "server.log", cwd=here) as server:
                people = People(base, emails, PASSWORD, args.signup_share, tag, rng=random.Random(args.seed))
                asyncio.run(offer(people, 2.0 * workers, 3, args.seed))  # warm-up: every worker, every cache
                common.wait_for_group_idle(server.pid)
                levels = []
                for number, level in enumerate(args.levels):
                    raw = common.raw_verifications(args.argon2_time_cost, args.argon2_memory_kib, 1,
                                                   args.raw_seconds, cpus)
                    rate = raw * level / 100
                    busy, before = common.BusyMeter().start(), common.server_metrics(base, "bastion_admission")
                    answers = asyncio.run(offer(people, rate, args.seconds, args.seed + number))
                    entry = summarize_level(level, rate, args.seconds, answers)
                    entry["machine_busy"] = round(busy.stop(), 2)
                    after = common.server_metrics(base, "bastion_admission")
                    # What the server's queue saw: its measured hash time, and why it refused.
                    entry["server_hash_ms"] = round(1000 * after.get("bastion_admission_hash_seconds", 0.0), 1)
                    entry["server_refusals"] = {name.split('"')[1]: int(value - before.get(name, 0.0))
                                                for name, value in after.items()
                                                if name.startswith("bastion_admission_refused_total{")
                                                and value != before.get(name, 0.0)}
                    entry["raw_per_s"] = round(raw, 2)
                    entry["met"] = level_met(entry)
                    levels.append(entry)
                    print(f"  {level} % ({rate:.2f}/s): {entry['arrivals']} arrivals, {entry['refused']} refused, "
                          f"{entry['failed']} failed, sign-in p50/p99 {entry['sign_in_ms']['p50']}/"
                          f"{entry['sign_in_ms']['p99']} ms, {entry['outcomes']}; server: a hash "
                          f"{entry['server_hash_ms']} ms (raw {1000 / raw * len(cpus):.0f}), refusals "
                          f"{entry['server_refusals']}", flush=True)
                    common.wait_for_group_idle(server.pid)  # the sign-ups' hashes, run after their answers
            return {"setup": setup, "workers": workers, "cpus": cpus, "levels": levels,
                    "met": all(entry["met"] for entry in levels)}
    finally:
        if store is not None:
            if not args.keep:
                store.flushdb()
            store.close()


def render(results: list[dict]) -> str:  # type: ignore[type-arg]
    rows = []
    for result in results:
        for entry in result["levels"]:
            rows.append([f"{result['setup']}, {result['workers']} w", entry["raw_per_s"],
                         f"{entry['level_percent']} %", entry["offered_per_s"], entry["arrivals"],
                         f"{entry['refused']} ({100 * entry['refused_share']:.1f} %)", entry["failed"],
                         entry["sign_in_ms"]["p50"], entry["sign_in_ms"]["p99"], entry["sign_in_ms"]["max"],
                         entry["sign_up_p99_ms"], entry["server_hash_ms"], f"{100 * entry['machine_busy']:.0f} %",
                         verdict(entry["met"])])
    return markdown_table(["setup", "raw hashes/s", "load", "arrivals/s", "arrivals", "refused", "failed",
                           "sign-in p50 ms", "sign-in p99 ms", "sign-in max ms", "sign-up p99 ms",
                           "server's hash ms", "machine busy", "target"], rows)


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    common.wait_for_quiet(args.quiet_wait)
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {args.load_cpu})
    workdir = Path(tempfile.mkdtemp(prefix="bastion-bench-legit-"))
    results = [measure(args, setup, workers, workdir) for setup in args.setups for workers in args.workers]
    print()
    print(render(results))
    print(f"\nTargets: no refusal up to 75 % of the raw rate, <= {100 * REFUSED_SHARE_AT_90:g} % at 90 %, p99 "
          f"< {P99_AT_90:g} s at 90 %, no 5xx or failure. {args.seconds:g} s of Poisson arrivals a level, "
          f"{100 * args.signup_share:.0f} % sign-ups.")
    met = all(result["met"] for result in results)
    print(f"overall: {verdict(met)}")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "machine": common.machine(),
                                         "loadavg": Path("/proc/loadavg").read_text().split()[:3],
                                         "options": {k: str(v) for k, v in vars(args).items()}}, indent=2) + "\n")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"kept: {workdir}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
