#!/usr/bin/env python
"""Junk bearer tokens vs valid sessions on the same server (issue 18, finding 5).

A flood of made-up `Authorization: Bearer …` values must cost about what a valid session
check costs. Bastion runs as `bastion serve --workers 1` serves it (`bench/hello_server.py`),
pinned to one core; wrk, pinned to the other, asks `GET /v1/session` in interleaved rounds
with the tokens of `--sessions` live sessions, then with as many made-up tokens (a third shaped
as Bastion's with a wrong MAC, a third in the old unsigned shape, a third random). Each
setup of `--setups` is measured in turn: `embedded` (the default install: SQLite, no Redis)
and `production` (PostgreSQL + Redis).

Counted on the server (`/bench/db-statements`): the SQL statements sent during each run and
how many were refusal rows written (`INSERT INTO refusals`) — refusals to requests with no
account are recorded once per reason, route and address a second (bastion.web.refusals).

    .venv/bin/python bench/junk_tokens.py                              # 2 setups x 3 rounds x 10 s x 2 targets (~3 min)
    .venv/bin/python bench/junk_tokens.py --setups embedded --seconds 3 --runs 1

Target, per setup: junk-token throughput >= 0.8x the valid sessions', every junk token refused
(401), no valid one, no socket error, and no database write per refusal (refusal rows written
<= one a second of the runs, plus one). Exit status 0 when it is met in every setup.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
from pathlib import Path

import common
from common import markdown_table, median, verdict
from session_validation import SETUPS, prime, seeded_bastion, server_counters

TARGETS = ("session", "junk")
ROUTES = {"session": "GET /v1/session, valid sessions", "junk": "GET /v1/session, made-up tokens"}
REFUSAL_ROWS = "INSERT INTO refusals"


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--runs", type=int, default=3, help="interleaved rounds; medians are reported")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--sessions", type=int, default=1000,
                        help="live sessions whose tokens wrk cycles through, and as many made-up tokens")
    parser.add_argument("--setups", default="embedded,production",
                        help="embedded (SQLite file, no Redis) and/or production (PostgreSQL + Redis), comma separated")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/4",
                        help="BASTION_REDIS_URL of the production setup")
    parser.add_argument("--pg-admin-dsn", default=common.DEFAULT_PG_ADMIN,
                        help="where the production setup's scratch database is created (and dropped at the end)")
    parser.add_argument("--server-cpu", type=int, default=0, help="core the server is pinned to (taskset)")
    parser.add_argument("--load-cpu", type=int, default=1, help="core wrk is pinned to")
    parser.add_argument("--quiet-wait", type=float, default=30.0,
                        help="first wait up to this many seconds for the machine to be >= 85 %% idle")
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


def made_up_tokens(count: int) -> list[str]:
    """What an attacker without a session sends: Bastion's shape with a MAC under another key, the
    old unsigned shape, and random text."""
    kinds = [lambda: f"bst_{secrets.token_urlsafe(32)}.{secrets.token_hex(16)}",
             lambda: f"bst_{secrets.token_urlsafe(32)}", lambda: secrets.token_urlsafe(40)]
    return [kinds[number % len(kinds)]() for number in range(count)]


def request_files(workdir: Path, tokens: list[str]) -> dict[str, Path]:
    return {target: common.write_requests(workdir / f"{target}.txt", [
        ("GET", "/v1/session", {"Authorization": f"Bearer {token}"}, "") for token in sent])
        for target, sent in (("session", tokens), ("junk", made_up_tokens(len(tokens))))}


def measure(args: argparse.Namespace, base: str, files: dict[str, Path],
            tokens: list[str]) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    runs: dict[str, list[dict]] = {target: [] for target in TARGETS}  # type: ignore[type-arg]
    prime(base, tokens)
    for target in TARGETS:  # warm-up: connections, caches, the interpreter's own
        common.run_wrk(base, files[target], 2, args.connections, cpu=args.load_cpu)
    for round_number in range(args.runs):
        for target in TARGETS:
            before = server_counters(base)
            meter = common.BusyMeter().start()
            result = common.run_wrk(base, files[target], args.seconds, args.connections, cpu=args.load_cpu)
            result["machine_busy"] = meter.stop()
            after = server_counters(base)
            result["db_statements"] = after["statements"] - before["statements"]
            result["statements_by_kind"] = {kind: count - before["by_kind"].get(kind, 0)
                                            for kind, count in after["by_kind"].items()
                                            if count != before["by_kind"].get(kind, 0)}
            result["refusal_rows"] = sum(count for kind, count in result["statements_by_kind"].items()
                                         if kind.startswith(REFUSAL_ROWS))
            runs[target].append(result)
            print(f"round {round_number + 1} {ROUTES[target]}: {result['rps']:.0f} req/s, "
                  f"p99 {result['latency_ms']['p99']:.2f} ms, non-2xx {result['errors']['status']} of "
                  f"{result['requests']}, db statements {result['db_statements']} (refusal rows "
                  f"{result['refusal_rows']}), machine busy {100 * result['machine_busy']:.0f} %", flush=True)
    return runs


def summarize(runs: dict[str, list[dict]], args: argparse.Namespace) -> dict:  # type: ignore[type-arg]
    summary: dict = {}  # type: ignore[type-arg]
    for target, results in runs.items():
        requests = sum(result["requests"] for result in results)
        summary[target] = {
            "rps": round(median([result["rps"] for result in results])),
            "p50_ms": round(median([result["latency_ms"]["p50"] for result in results]), 2),
            "p99_ms": round(median([result["latency_ms"]["p99"] for result in results]), 2),
            "requests": requests,
            "non_2xx": sum(result["errors"]["status"] for result in results),
            "socket_errors": sum(sum(v for k, v in result["errors"].items() if k != "status") for result in results),
            "db_statements_per_request": round(sum(r["db_statements"] for r in results) / max(1, requests), 5),
            "refusal_rows": sum(result["refusal_rows"] for result in results),
            "machine_busy": round(median([result["machine_busy"] for result in results]), 2),
        }
    session, junk = summary["session"], summary["junk"]
    junk["throughput_ratio"] = round(junk["rps"] / session["rps"], 2)
    # One refusal row a second at most (the reference of that second), and one for a second begun twice.
    junk["refusal_rows_allowed"] = args.runs * (args.seconds + 1)
    junk["met"] = (junk["throughput_ratio"] >= 0.8 and junk["non_2xx"] == junk["requests"]
                   and junk["refusal_rows"] <= junk["refusal_rows_allowed"] and session["non_2xx"] == 0
                   and session["socket_errors"] == 0 and junk["socket_errors"] == 0)
    return summary


def render(setup: str, summary: dict, args: argparse.Namespace) -> str:  # type: ignore[type-arg]
    rows = [[ROUTES[target], summary[target]["rps"], summary[target]["p50_ms"], summary[target]["p99_ms"],
             summary[target]["requests"], summary[target]["non_2xx"], summary[target]["db_statements_per_request"],
             summary[target]["refusal_rows"], summary[target]["socket_errors"]] for target in TARGETS]
    table = markdown_table(["route", "req/s", "p50 ms", "p99 ms", "requests", "refused", "SQL statements / request",
                            "refusal rows written", "socket errors"], rows)
    junk = summary["junk"]
    return "\n".join([
        f"### {setup}: {SETUPS[setup]}", "", table, "",
        f"medians of {args.runs} interleaved rounds of {args.seconds} s, {args.connections} connections, "
        f"{args.sessions} sessions and as many made-up tokens",
        f"made-up tokens: {junk['throughput_ratio']}x the valid sessions' throughput (target >= 0.8), "
        f"{junk['refusal_rows']} refusal rows for {junk['requests']} refusals (at most "
        f"{junk['refusal_rows_allowed']}): {verdict(junk['met'])}"])


def measure_setup(args: argparse.Namespace, setup: str, workdir: Path) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    """Bastion over a fresh database of `setup`, seeded with live sessions, served and measured."""
    with seeded_bastion(args, setup, workdir) as (base, seeded, setup_dir, _server):
        return measure(args, base, request_files(setup_dir, seeded.tokens), seeded.tokens)


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    common.require_wrk()
    common.wait_for_quiet(args.quiet_wait)
    workdir = Path(tempfile.mkdtemp(prefix="bastion-bench-junk-"))
    results: dict = {}  # type: ignore[type-arg]
    for setup in args.setups:
        runs = measure_setup(args, setup, workdir)
        results[setup] = {"summary": summarize(runs, args), "runs": runs}
    for setup in args.setups:
        print()
        print(render(setup, results[setup]["summary"], args))
    met = all(results[setup]["summary"]["junk"]["met"] for setup in args.setups)
    if args.json:
        args.json.write_text(json.dumps({"results": results, "machine": common.machine(),
                                         "options": {k: str(v) for k, v in vars(args).items()}}, indent=2) + "\n")
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
