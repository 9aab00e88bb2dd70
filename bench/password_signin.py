#!/usr/bin/env python
"""Password sign-ins a second vs raw argon2 verifications a second (issue 10, benchmark 2).

Both in one process pinned to one core, at the configured argon2 parameters (Bastion's
defaults unless `--argon2-*` say otherwise), in `--runs` interleaved rounds:
1. raw: a process on that core verifies the password for `--seconds` — verifications/s;
2. ceiling: the same requests to a bare Starlette route in its own process on that core that
   verifies the password and answers (`bench/bare_hash.py`) — what no sign-in can beat;
3. sign-in: the server (`bench/hello_server.py`, i.e. `bastion serve --workers 1`, PostgreSQL
   and Redis) on that core, wrk on the other signing `--accounts` accounts in from their known
   devices with the right password over `--connections` connections — authenticated sign-ins/s.
While wrk runs, a probe asks `GET /bench/hello` (served on the event loop) every 50 ms: if a
hash ever blocked the event loop, the probe would wait for a whole hash. Each round runs the
three side by side (in alternating order: the core's speed drifts on a VM); the ratios reported
are the medians of the rounds' ratios.

    .venv/bin/python bench/password_signin.py               # 5 rounds of 10 s + 10 s
    .venv/bin/python bench/password_signin.py --seconds 5 --runs 1

Where a sign-in's CPU beyond the raw hash goes, from the server's own counters
(`bastion_password_hash_cpu_seconds`): the hash in the server (slower than alone when other work
shares its core) and the sign-in's path beside it (the server's CPU less its hashes').

Targets: sign-ins/s >= 0.9x verifications/s; the probe's worst latency below one hash.
Exit status 0 when both are met.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import common
import httpx2 as httpx
from common import ROOT, markdown_table, median, percentile, verdict

from bastion.config import Settings

# Often enough to catch a loop held for one hash (~100 ms), rarely enough that the probe's own
# requests are not a noticeable part of the server's CPU beside ~7 sign-ins/s.
PROBE_EVERY = 0.05


def options(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = Settings.model_fields
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="length of each raw run and each sign-in run")
    parser.add_argument("--runs", type=int, default=5, help="interleaved rounds; medians are reported")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (sign-ins in flight)")
    parser.add_argument("--accounts", type=int, default=32)
    parser.add_argument("--argon2-time-cost", type=int, default=defaults["argon2_time_cost"].default)
    parser.add_argument("--argon2-memory-kib", type=int, default=defaults["argon2_memory_kib"].default)
    parser.add_argument("--argon2-parallelism", type=int, default=defaults["argon2_parallelism"].default)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/4", help="'none': counters in the database")
    parser.add_argument("--pg-admin-dsn", default=common.DEFAULT_PG_ADMIN)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--load-cpu", type=int, default=1)
    parser.add_argument("--quiet-wait", type=float, default=30.0)
    parser.add_argument("--profile", type=Path, help="also record a py-spy profile of the server during the sign-ins")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    if not (1 <= args.seconds <= 300 and 1 <= args.runs <= 9 and 1 <= args.accounts <= 1000
            and 1 <= args.connections <= 256):
        parser.error("--seconds 1..300, --runs 1..9, --accounts 1..1000, --connections 1..256")
    common.require_loopback(args.pg_admin_dsn, args.redis_url)
    return args


def raw_verifications(args: argparse.Namespace) -> float:
    return common.raw_verifications(args.argon2_time_cost, args.argon2_memory_kib, args.argon2_parallelism,
                                    args.seconds, [args.server_cpu])


class Probe:
    """GET /bench/hello every PROBE_EVERY seconds; latencies in ms."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.latencies: list[float] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while not self.stop.is_set():
                started = time.perf_counter()
                client.get("/bench/hello").raise_for_status()
                self.latencies.append((time.perf_counter() - started) * 1000)
                self.stop.wait(PROBE_EVERY)


def devices_for(base: str, emails: list[str], password: str) -> list[str]:
    """One sign-in per account without a device: Bastion issues the device identifier it will recognise."""
    devices = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for email in emails:
            client.cookies.clear()  # each account on a device of its own
            answer = client.post("/v1/login", json={"email": email, "password": password})
            if answer.status_code != 200 or answer.json().get("status") != "authenticated":
                raise SystemExit(f"the first sign-in of {email} failed: {answer.status_code} {answer.text[:300]}")
            devices.append(answer.json()["device_id"])
    return devices


def hashing(base: str) -> tuple[float, float]:
    """The server's password hashes so far and their CPU seconds."""
    found = common.server_metrics(base, "bastion_password_hash")
    return found.get("bastion_password_hashes_total", 0.0), found.get("bastion_password_hash_cpu_seconds_total", 0.0)


def ceiling_run(args: argparse.Namespace, base: str, requests: Path, server_pid: int) -> tuple[float, float]:
    """wrk signing in to the bare route: answers/s and its server's CPU ms per answer."""
    before = common.process_cpu_seconds(server_pid)
    result = common.run_wrk(base, requests, args.seconds, args.connections, cpu=args.load_cpu, timeout_s=30)
    cpu = common.process_cpu_seconds(server_pid) - before
    common.wait_for_server_idle(server_pid)
    if result["errors"]["status"]:
        raise SystemExit(f"the bare route refused {result['errors']['status']} sign-ins")
    return result["rps"], 1000 * cpu / max(1.0, result["rps"] * args.seconds)


def sign_in_run(args: argparse.Namespace, base: str, requests: Path, server_pid: int,
                profile: Path | None) -> tuple[dict, list[float], list[float]]:  # type: ignore[type-arg]
    """wrk signing in for `--seconds` with the probe running: wrk's result, CPU ms per sign-in
    [server process, PostgreSQL, the server's hashes], and the probe's latencies."""
    probe = Probe(base)
    probe.thread.start()
    profiler = common.start_profile(server_pid, args.seconds, profile) if profile else None
    hashes_before = hashing(base)
    before = common.process_cpu_seconds(server_pid), common.processes_cpu_seconds("postgres")
    result = common.run_wrk(base, requests, args.seconds, args.connections, cpu=args.load_cpu, timeout_s=30)
    after = common.process_cpu_seconds(server_pid), common.processes_cpu_seconds("postgres")
    common.wait_for_server_idle(server_pid)  # the sign-ins wrk left in flight are nobody's measurement
    hashes_after = hashing(base)  # those sign-ins' hashes too: per hash, the run's mean
    signed_in = max(1.0, result["rps"] * args.seconds)
    probe.stop.set()
    probe.thread.join(timeout=30)
    if profiler is not None:
        profiler.wait(timeout=60)
    hashes = max(1.0, hashes_after[0] - hashes_before[0])
    hash_cpu_ms = 1000 * (hashes_after[1] - hashes_before[1]) / hashes
    return (result, [*(1000 * (b - a) / signed_in for a, b in zip(before, after, strict=True)), hash_cpu_ms],
            probe.latencies)


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    common.require_wrk()
    common.wait_for_quiet(args.quiet_wait)
    from argon2 import PasswordHasher, Type
    from seed import PASSWORD, bench_services, seed_sessions

    from bastion.crypto import generate_key

    workdir = Path(tempfile.mkdtemp(prefix="bastion-bench-signin-"))
    secret_keys = generate_key()
    stored = PasswordHasher(time_cost=args.argon2_time_cost, memory_cost=args.argon2_memory_kib,
                            parallelism=args.argon2_parallelism, type=Type.ID).hash(PASSWORD)
    raws, rounds, probe_latencies = [], [], []
    ceilings: list[tuple[float, float]] = []  # per round: the bare route's answers/s, its CPU ms per answer
    cpu_ms: list[list[float]] = []  # per sign-in: [server process, PostgreSQL, the server's hash]
    with common.scratch_database(args.pg_admin_dsn, keep=args.keep) as database_url:
        env = {**os.environ, "BASTION_ENV": "dev", "BASTION_DATA_DIR": str(workdir / "data"),
               "BASTION_DATABASE_URL": database_url, "BASTION_SECRET_KEYS": secret_keys,
               "BASTION_LOG_LEVEL": "WARNING", "BASTION_ARGON2_TIME_COST": str(args.argon2_time_cost),
               "BASTION_ARGON2_MEMORY_KIB": str(args.argon2_memory_kib),
               "BASTION_ARGON2_PARALLELISM": str(args.argon2_parallelism),
               "BASTION_METRICS_TOKEN": common.METRICS_TOKEN}
        env.pop("BASTION_REDIS_URL", None)
        if args.redis_url != "none":
            env["BASTION_REDIS_URL"] = args.redis_url
        common.run_cli(env, "db", "upgrade")
        services = bench_services(database_url, str(workdir / "data"), secret_keys)
        seeded = seed_sessions(services, args.accounts, uuid.uuid4().hex[:6], password_hash=stored)
        services.close()
        port = common.free_port()
        base = f"http://127.0.0.1:{port}"
        command = common.pinned([sys.executable, str(ROOT / "bench" / "hello_server.py"), "--port", str(port)],
                                args.server_cpu)
        bare_base = f"http://127.0.0.1:{common.free_port()}"
        bare_command = common.pinned([
            sys.executable, str(ROOT / "bench" / "bare_hash.py"), "--port", bare_base.rsplit(":", 1)[1],
            "--password", PASSWORD, "--argon2-time-cost", str(args.argon2_time_cost),
            "--argon2-memory-kib", str(args.argon2_memory_kib), "--argon2-parallelism", str(args.argon2_parallelism)],
            args.server_cpu)
        with common.server_process(command, env, f"{base}/bench/hello", workdir / "server.log") as server, \
                common.server_process(bare_command, env, f"{bare_base}/hello", workdir / "bare.log") as bare:
            devices = devices_for(base, seeded.emails, PASSWORD)
            requests = common.write_requests(workdir / "signin.txt", [
                ("POST", "/v1/login", {"Content-Type": "application/json", "X-Device-Id": device},
                 json.dumps({"email": email, "password": PASSWORD})) for email, device in zip(seeded.emails, devices, strict=True)])
            for url, pid in ((base, server.pid), (bare_base, bare.pid)):
                common.run_wrk(url, requests, 3, args.connections, cpu=args.load_cpu, timeout_s=30)  # warm-up
                common.wait_for_server_idle(pid)
            meter = common.BusyMeter().start()
            for round_number in range(args.runs):
                # The core's speed drifts over tens of seconds on a VM: each round runs the raw hash, the
                # sign-ins and the bare route right next to each other, in alternating order, and the
                # ratios are taken per round.
                profile = args.profile if round_number == 0 else None
                if round_number % 2:
                    ceilings.append(ceiling_run(args, bare_base, requests, bare.pid))
                    signed = sign_in_run(args, base, requests, server.pid, profile)
                    raws.append(raw_verifications(args))  # the servers idle meanwhile
                else:
                    raws.append(raw_verifications(args))
                    signed = sign_in_run(args, base, requests, server.pid, profile)
                    ceilings.append(ceiling_run(args, bare_base, requests, bare.pid))
                result, cpu, latencies = signed
                rounds.append(result)
                cpu_ms.append(cpu)
                probe_latencies += latencies
                print(f"round {round_number + 1}: raw {raws[-1]:.2f} verifications/s, sign-ins {result['rps']:.2f}/s "
                      f"(ratio {result['rps'] / raws[-1]:.3f}), non-2xx {result['errors']['status']}, CPU per sign-in: "
                      f"server {cpu[0]:.1f} ms (its hash {cpu[2]:.1f} ms), PostgreSQL {cpu[1]:.1f} ms; bare route "
                      f"{ceilings[-1][0]:.2f}/s (ratio {ceilings[-1][0] / raws[-1]:.3f}), {ceilings[-1][1]:.1f} ms",
                      flush=True)
            busy = meter.stop()
    raw = median(raws)
    result = {"rps": median([r["rps"] for r in rounds]),
              "errors": {"status": sum(r["errors"]["status"] for r in rounds)},
              "latency_ms": {key: median([r["latency_ms"][key] for r in rounds]) for key in ("p50", "p99")}}
    hash_ms = 1000 / raw
    summary = {
        "argon2": {"time_cost": args.argon2_time_cost, "memory_kib": args.argon2_memory_kib,
                   "parallelism": args.argon2_parallelism},
        "raw_verifications_per_s": round(raw, 2),
        "hash_ms": round(hash_ms, 1),
        "sign_ins_per_s": round(result["rps"], 2),
        "non_2xx": result["errors"]["status"],
        "ratio": round(median([r["rps"] / x for r, x in zip(rounds, raws, strict=True)]), 3),
        "ratio_of_medians": round(result["rps"] / raw, 3),
        # The bare route (bench/bare_hash.py): its answers / raw verifications, and sign-ins / its answers.
        "ceiling_ratio": round(median([c[0] / x for c, x in zip(ceilings, raws, strict=True)]), 3),
        "of_ceiling": round(median([r["rps"] / c[0] for r, c in zip(rounds, ceilings, strict=True)]), 3),
        "ceiling_cpu_ms": round(median([c[1] for c in ceilings]), 2),
        "sign_in_latency_ms": result["latency_ms"],
        "probe_ms": {"count": len(probe_latencies), "p50": round(percentile(probe_latencies, 50), 2),
                     "p99": round(percentile(probe_latencies, 99), 2),
                     "max": round(max(probe_latencies, default=float("nan")), 2)},
        # CPU per sign-in, the hash included (its share: hash_ms), and what PostgreSQL spent on it.
        "cpu_ms_per_sign_in": {"server": round(median([c[0] for c in cpu_ms]), 1),
                               "postgres": round(median([c[1] for c in cpu_ms]), 1),
                               "server_hash": round(median([c[2] for c in cpu_ms]), 2),
                               "beside_hash": round(median([c[0] - c[2] for c in cpu_ms]), 2)},
        # One hash alone on the core (the raw runs, one thread doing nothing else): its CPU is its time.
        "raw_hash_cpu_ms": round(median([1000 / x for x in raws]), 2),
        "machine_busy": round(busy, 2),
        "raw_runs": raws,
        "sign_in_runs": [r["rps"] for r in rounds],
    }
    summary["throughput_met"] = summary["ratio"] >= 0.9 and summary["non_2xx"] == 0
    summary["loop_met"] = summary["probe_ms"]["max"] < hash_ms
    print(render(summary, args))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "machine": common.machine(),
                                         "options": {k: str(v) for k, v in vars(args).items()}}, indent=2) + "\n")
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if summary["throughput_met"] and summary["loop_met"] else 1


def render(summary: dict, args: argparse.Namespace) -> str:  # type: ignore[type-arg]
    probe = summary["probe_ms"]
    rows = [
        ["raw argon2id verifications/s (1 process, 1 core)", summary["raw_verifications_per_s"], ""],
        ["authenticated sign-ins/s (1 worker, same core)", summary["sign_ins_per_s"],
         f"non-2xx {summary['non_2xx']}"],
        ["sign-ins / verifications (median of the rounds' ratios)", summary["ratio"],
         f"target >= 0.9: {verdict(summary['throughput_met'])}; ratio of the medians {summary['ratio_of_medians']}"],
        ["bare route verifying the password / verifications (the ceiling)", summary["ceiling_ratio"],
         f"sign-ins / the bare route's answers: {summary['of_ceiling']}; its CPU per answer "
         f"{summary['ceiling_cpu_ms']} ms"],
        ["sign-in latency p50 / p99", f"{summary['sign_in_latency_ms']['p50']:.0f} / "
         f"{summary['sign_in_latency_ms']['p99']:.0f} ms", f"{args.connections} in flight"],
        ["event loop probe during sign-ins p50 / p99 / max", f"{probe['p50']} / {probe['p99']} / {probe['max']} ms",
         f"{probe['count']} probes; one hash: {summary['hash_ms']} ms: {verdict(summary['loop_met'])}"],
        ["CPU per sign-in: server process / PostgreSQL", f"{summary['cpu_ms_per_sign_in']['server']} / "
         f"{summary['cpu_ms_per_sign_in']['postgres']} ms", f"one hash: {summary['hash_ms']} ms"],
        ["the server's CPU: its hash / the rest of the sign-in", f"{summary['cpu_ms_per_sign_in']['server_hash']} / "
         f"{summary['cpu_ms_per_sign_in']['beside_hash']} ms",
         f"the hash alone: {summary['raw_hash_cpu_ms']} ms; a sign-in may cost "
         + " / ".join(f"{1000 / (share * summary['raw_verifications_per_s']):.1f}" for share in (0.9, 0.85))
         + " ms in all at 0.9 / 0.85"],
        ["raw runs / sign-in runs", " / ".join(str(round(x, 2)) for x in summary["raw_runs"]),
         " / ".join(str(round(x, 2)) for x in summary["sign_in_runs"])],
    ]
    argon2 = summary["argon2"]
    return (markdown_table(["measure", "value", "note"], rows)
            + f"\nargon2id t={argon2['time_cost']} m={argon2['memory_kib']} KiB p={argon2['parallelism']}, "
              f"{args.runs} paired rounds of {args.seconds} s + {args.seconds} s, machine busy "
              f"{100 * summary['machine_busy']:.0f} %")


if __name__ == "__main__":
    sys.exit(main())
