#!/usr/bin/env python
"""Risk evaluation micro-benchmark (issue 6): what the risk stage adds to one sign-in.

Measures, in one process, after the one-time load of the geolocation database:
1. `locate()` on distinct public addresses (LRU misses: the geoip2fast lookup itself);
2. `locate()` on a repeated address (LRU hits);
3. `assess()` — signals and policy — on a located address with a history;
4. the whole in-memory evaluation of a sign-in: an uncached lookup + `assess()`;
5. for context, `RiskStage.check` end to end on a migrated SQLite file (its history queries).

    .venv/bin/python bench/risk_eval.py [--n 20000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path


def per_call(fn: Callable[[int], object], n: int, repeat: int = 5) -> float:
    """Median over `repeat` runs of the mean µs per call."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for i in range(n):
            fn(i)
        runs.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()

    from bastion import geo
    from bastion.risk.assess import History, assess
    from bastion.risk.policy import DEFAULT_POLICY, RiskPolicy

    start = time.perf_counter()
    geo.database()
    print(f"geolocation database load (once per process): {time.perf_counter() - start:.2f} s")

    rng = random.Random(6)
    addresses = [f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
                 for _ in range(args.n * 6)]
    addresses = [a for a in dict.fromkeys(addresses) if geo.public_address(a)]
    policy = RiskPolicy.from_settings(DEFAULT_POLICY, "", "")
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    history = History(has_devices=True, device_known=True, recent_countries=frozenset({"GB", "DE"}),
                      previous=("GB", now - timedelta(hours=3)), recent_failures=2)
    located = geo.locate("85.214.132.117")
    n = min(args.n, len(addresses) // 6)

    def miss(i: int, offset: list[int] = [0]) -> object:  # noqa: B006 — a counter across runs
        offset[0] += 1
        return geo.locate(addresses[offset[0] % len(addresses)])

    geo._lookup.cache_clear()
    results = {
        "locate, LRU miss (geoip2fast lookup)": per_call(miss, n),
        "locate, LRU hit": per_call(lambda i: geo.locate("85.214.132.117"), args.n),
        "assess (signals + policy)": per_call(
            lambda i: assess(policy, located, "85.214.132.117", "dev", history, now, 1000, 10), args.n),
    }
    geo._lookup.cache_clear()
    results["in-memory evaluation of a sign-in (miss + assess)"] = per_call(
        lambda i: assess(policy, miss(i), None, "dev", history, now, 1000, 10), n)
    for name, micros in results.items():
        print(f"{name:55s} {micros:8.2f} µs")
    print(f"{'whole risk stage with its history queries (SQLite file)':55s} {stage_on_sqlite(200):8.2f} µs")


def stage_on_sqlite(n: int) -> float:
    from bastion.accounts.admin import create_account
    from bastion.accounts.models import Account
    from bastion.clock import MovableClock
    from bastion.config import load_settings
    from bastion.context import Client
    from bastion.crypto import generate_key
    from bastion.risk.stage import RiskStage
    from bastion.signin.attempts import record_attempt
    from bastion.signin.models import SignInFlow
    from bastion.startup import build_services
    from bastion.store import Database

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        Database(url).upgrade()
        settings = load_settings(database_url=url, data_dir=Path(folder), secret_keys=generate_key(),
                                 argon2_time_cost=1, argon2_memory_kib=1024)
        services = build_services(settings, clock=MovableClock())
        account_id = create_account(services, "bench@example.com", "violet harbor compass 93 lantern", roles=[],
                                    verified=True)
        client = Client(ip="85.214.132.117", user_agent="bench", device_id="d" * 64, platform=None, version=None)
        now = services.clock.now()
        with services.db.transaction() as tx:
            for i in range(50):  # some history to read
                record_attempt(tx, now - timedelta(hours=i), "bench@example.com", "password",
                               "success" if i % 3 else "failure", client, account_id=account_id,
                               code=None if i % 3 else "credentials.invalid")
        stage = RiskStage()
        times = []
        for _ in range(n):
            with services.db.transaction() as tx:
                account = tx.get(Account, account_id)
                flow = SignInFlow(account_id=account_id, state="x", created_at=now, expires_at=now, facts={})
                start = time.perf_counter()
                stage.check(services, tx, flow, account, client)  # type: ignore[arg-type]
                times.append(time.perf_counter() - start)
                tx.rollback()
        services.close()
    return statistics.median(times) * 1e6


if __name__ == "__main__":
    main()
