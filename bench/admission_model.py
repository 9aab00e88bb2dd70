#!/usr/bin/env python
"""What the hash queue's admission rule predicts, without a server: refusals and p99 by load.

A simulation of one process's queue (issue 19): arrivals at random (Poisson) at each of
`--levels` percent of the raw hash rate; each arrival is admitted when the wait the queue
expects for it (`bastion.throttle.admission.expected_wait`: the hashes ahead beyond the free
cores, at the hash time) fits `--budget`, then served in arrival order by `--concurrency`
cores, each taking one hash plus the sign-in's other work (`--beside`, a share of the hash the
queue cannot see). Reported: the share refused and the p99 of waiting + serving. A model, not a
measurement: it tells what the rule itself costs, apart from the machine (bench/legit_load.py
measures the server).

    .venv/bin/python bench/admission_model.py                       # beside 0, 3, 5, 10 %; 1 and 2 cores
    .venv/bin/python bench/admission_model.py --beside 0.1 --levels 75,90,95
"""

from __future__ import annotations

import argparse
import heapq
import random
import sys

import common  # noqa: F401 — puts the project on sys.path
from common import markdown_table, percentile

from bastion.throttle.admission import expected_wait


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--levels", default="25,50,75,90", help="arrival rates, percent of the raw hash rate")
    parser.add_argument("--beside", default="0,0.03,0.05,0.1",
                        help="the sign-in's other work, as shares of a hash, comma separated")
    parser.add_argument("--concurrency", default="1,2", help="cores of the queue, comma separated")
    parser.add_argument("--hash-ms", type=float, default=85.0, help="one hash (the default parameters, quiet core)")
    parser.add_argument("--budget", type=float, default=2.0, help="BASTION_SIGNIN_QUEUE_SECONDS")
    parser.add_argument("--arrivals", type=int, default=200_000, help="arrivals simulated a point")
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args(argv)
    try:
        args.levels = [int(item) for item in args.levels.split(",")]
        args.beside = [float(item) for item in args.beside.split(",")]
        args.concurrency = [int(item) for item in args.concurrency.split(",")]
    except ValueError:
        parser.error("--levels, --beside and --concurrency are comma-separated numbers")
    if not (1_000 <= args.arrivals <= 2_000_000 and all(1 <= level <= 200 for level in args.levels)
            and all(1 <= cores <= 64 for cores in args.concurrency) and args.hash_ms > 0 and args.budget > 0):
        parser.error("--arrivals 1000..2000000, --levels 1..200, --concurrency 1..64")
    return args


def simulate(level: int, beside: float, concurrency: int, hash_seconds: float, budget: float, arrivals: int,
             seed: int) -> tuple[float, float]:
    """(share refused, p99 seconds from arrival to answer) of one point."""
    rng = random.Random(seed)
    rate = level / 100 * concurrency / hash_seconds
    service = hash_seconds * (1 + beside)
    cores = [0.0] * concurrency  # when each core is next free
    unfinished: list[float] = []  # when each admitted request is done (a heap)
    now, refused, times = 0.0, 0, []
    for _ in range(arrivals):
        now += rng.expovariate(rate)
        while unfinished and unfinished[0] <= now:
            heapq.heappop(unfinished)
        if expected_wait(len(unfinished), concurrency, hash_seconds) > budget:
            refused += 1
            continue
        core = min(range(concurrency), key=cores.__getitem__)
        cores[core] = max(now, cores[core]) + service
        heapq.heappush(unfinished, cores[core])
        times.append(cores[core] - now)
    return refused / arrivals, percentile(times, 99)


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    rows = []
    for beside in args.beside:
        for cores in args.concurrency:
            for level in args.levels:
                refused, p99 = simulate(level, beside, cores, args.hash_ms / 1000, args.budget, args.arrivals,
                                        args.seed)
                rows.append([f"{100 * beside:g} %", cores, f"{level} %", f"{100 * refused:.3f} %", f"{p99:.2f}"])
    print(markdown_table(["beside the hash", "cores", "load (of raw)", "refused", "p99 s"], rows))
    print(f"\n{args.arrivals:,} Poisson arrivals a point, hash {args.hash_ms:g} ms, budget {args.budget:g} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
