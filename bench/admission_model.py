#!/usr/bin/env python
"""What the hash queue's admission rule predicts, without a server: refusals and p99 by load.

A simulation of one process's queue (issue 19): arrivals at random (Poisson) at each of
`--levels` percent of the raw hash rate, `--signup-share` of them sign-ups; each arrival is
admitted when the wait the queue expects for a person (`bastion.throttle.admission.expected_wait`:
the hashes ahead beyond the free cores, at the hash time) fits `--budget`, then served by
`--concurrency` cores as the gate orders them: people in arrival order, a sign-up's hash (after
its answer) behind them until it has waited `AFTER_ANSWER_PATIENCE`. Each takes one hash plus
the sign-in's other work (`--beside`, a share of the hash the queue cannot see). Reported: the
share of people refused, their p99 of waiting + serving, the share of sign-ups refused (judged
by everything queued, their own line too, against `AFTER_ANSWER_BUDGETS` budgets) and how long
their hashes waited.
A model, not a measurement: it tells what the rule itself costs, apart from the machine
(bench/legit_load.py measures the server).

    .venv/bin/python bench/admission_model.py                       # beside 0, 3, 5, 10 %; 1 and 2 cores
    .venv/bin/python bench/admission_model.py --beside 0.1 --levels 75,90,95
"""

from __future__ import annotations

import argparse
import heapq
import random
import sys
from collections import deque
from dataclasses import dataclass

import common  # noqa: F401 — puts the project on sys.path
from common import markdown_table, percentile

from bastion.throttle.admission import AFTER_ANSWER_BUDGETS, AFTER_ANSWER_PATIENCE, expected_wait


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
    parser.add_argument("--signup-share", type=float, default=0.2,
                        help="share of arrivals that are sign-ups (hash after the answer; bench/legit_load.py's mix)")
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args(argv)
    try:
        args.levels = [int(item) for item in args.levels.split(",")]
        args.beside = [float(item) for item in args.beside.split(",")]
        args.concurrency = [int(item) for item in args.concurrency.split(",")]
    except ValueError:
        parser.error("--levels, --beside and --concurrency are comma-separated numbers")
    if not (1_000 <= args.arrivals <= 2_000_000 and all(1 <= level <= 200 for level in args.levels)
            and all(1 <= cores <= 64 for cores in args.concurrency) and args.hash_ms > 0 and args.budget > 0
            and 0 <= args.signup_share <= 1):
        parser.error("--arrivals 1000..2000000, --levels 1..200, --concurrency 1..64, --signup-share 0..1")
    return args


@dataclass
class Point:
    refused: float  # share of the people refused
    sign_ups_refused: float
    p99: float  # seconds from a person's arrival to their answer
    sign_up_p99: float  # seconds from a sign-up's answer to its hash done (nobody waits for it)


def simulate(level: int, beside: float, concurrency: int, hash_seconds: float, budget: float, arrivals: int,
             seed: int, sign_up_share: float = 0.0) -> Point:
    """One point: Poisson arrivals, `sign_up_share` of them sign-ups whose hash runs after their answer,
    behind the people waiting (until AFTER_ANSWER_PATIENCE), as the gate orders them."""
    rng = random.Random(seed)
    rate = level / 100 * concurrency / hash_seconds
    service = hash_seconds * (1 + beside)
    people: deque[float] = deque()  # arrival times of those waiting
    later: deque[float] = deque()
    done: list[float] = []  # when each running hash ends (a heap)
    refused = {False: 0, True: 0}  # by "is a sign-up"
    times: dict[bool, list[float]] = {False: [], True: []}  # by "is a sign-up"

    def start_next(now: float) -> None:
        while len(done) < concurrency and (people or later):
            aged = bool(later) and now - later[0] >= AFTER_ANSWER_PATIENCE
            sign_up = aged or not people
            arrived = (later if sign_up else people).popleft()
            heapq.heappush(done, now + service)
            times[sign_up].append(now + service - arrived)

    def run_until(now: float) -> None:
        while done and done[0] <= now:
            start_next(heapq.heappop(done))

    now = 0.0
    for _ in range(arrivals):
        now += rng.expovariate(rate)
        run_until(now)
        sign_up = rng.random() < sign_up_share
        # A person is judged by what goes before them; a sign-up by everything queued.
        ahead = len(later) if sign_up else sum(1 for arrived in later if now - arrived >= AFTER_ANSWER_PATIENCE)
        limit = budget * (AFTER_ANSWER_BUDGETS if sign_up else 1)
        if expected_wait(len(done) + len(people) + ahead, concurrency, hash_seconds) > limit:
            refused[sign_up] += 1
            continue
        (later if sign_up else people).append(now)
        start_next(now)
    run_until(float("inf"))
    return Point(refused[False] / max(1, refused[False] + len(times[False])),
                 refused[True] / max(1, refused[True] + len(times[True])),
                 percentile(times[False], 99), percentile(times[True], 99) if times[True] else 0.0)


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    rows = []
    for beside in args.beside:
        for cores in args.concurrency:
            for level in args.levels:
                point = simulate(level, beside, cores, args.hash_ms / 1000, args.budget, args.arrivals, args.seed,
                                 args.signup_share)
                rows.append([f"{100 * beside:g} %", cores, f"{level} %", f"{100 * point.refused:.3f} %",
                             f"{point.p99:.2f}", f"{100 * point.sign_ups_refused:.3f} %", f"{point.sign_up_p99:.2f}"])
    print(markdown_table(["beside the hash", "cores", "load (of raw)", "people refused", "people's p99 s",
                          "sign-ups refused", "sign-up hash p99 s"], rows))
    print(f"\n{args.arrivals:,} Poisson arrivals a point ({100 * args.signup_share:g} % sign-ups), "
          f"hash {args.hash_ms:g} ms, budget {args.budget:g} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
