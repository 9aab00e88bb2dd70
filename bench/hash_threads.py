#!/usr/bin/env python
"""One argon2 hash's CPU on the same thread every time vs on whichever of many threads runs it.

Why the hash gate hashes on threads of its own (`bastion/throttle/admission.py`): glibc gives
threads malloc arenas of their own, and a hash's megabytes taken from an arena not used for a
while are mapped afresh (page faults) — which is what hashing on whichever of a hundred request
threads happens to run the sign-in does. Each case is one process pinned to one core; the hash's
own CPU (its thread's) and the process's page faults are counted over `--hashes` hashes.

    .venv/bin/python bench/hash_threads.py                       # Keycloak's parameters (t=5, 7 MiB)
    .venv/bin/python bench/hash_threads.py --argon2-time-cost 2 --argon2-memory-kib 19456
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher, Type
from common import markdown_table


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--argon2-time-cost", type=int, default=5)
    parser.add_argument("--argon2-memory-kib", type=int, default=7168)
    parser.add_argument("--threads", type=int, default=40, help="threads the hashes rotate over in the second case")
    parser.add_argument("--hashes", type=int, default=80)
    parser.add_argument("--cpu", type=int, default=0, help="core to pin this process to")
    return parser.parse_args(argv)


def measure(hasher: PasswordHasher, stored: str, threads: int, hashes: int) -> tuple[float, float]:
    """Median thread CPU ms of one hash, page faults per hash: hashes handed in turn to `threads` threads."""
    def one() -> float:
        started = time.thread_time()
        hasher.verify(stored, "password")
        return time.thread_time() - started

    with ThreadPoolExecutor(threads) as pool:
        # A burst first, every thread hashing at once (as under a flood): glibc gives the threads
        # that meet in malloc arenas of their own, up to eight per core.
        for future in [pool.submit(one) for _ in range(threads)]:
            future.result()
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        seconds = []
        for _ in range(hashes):  # then one at a time, on whichever thread the pool hands it to
            seconds.append(pool.submit(one).result())
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    return 1000 * statistics.median(seconds), faults / hashes


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    os.sched_setaffinity(0, {args.cpu})
    hasher = PasswordHasher(time_cost=args.argon2_time_cost, memory_cost=args.argon2_memory_kib,
                            parallelism=1, type=Type.ID)
    stored = hasher.hash("password")
    rows = []
    for threads in (1, args.threads):
        cpu_ms, faults = measure(hasher, stored, threads, args.hashes)
        rows.append([f"{threads} thread(s)", f"{cpu_ms:.2f}", f"{faults:.0f}"])
    print(markdown_table(["hashes handed to", "hash CPU ms (median)", "page faults per hash"], rows))
    print(f"argon2id t={args.argon2_time_cost} m={args.argon2_memory_kib} KiB p=1, {args.hashes} hashes each, core {args.cpu}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
