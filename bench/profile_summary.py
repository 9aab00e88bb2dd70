#!/usr/bin/env python
"""Where the time went, from a py-spy profile in collapsed-stack form (`--profile` of the benchmarks).

Prints the share of the samples on the event loop and in worker threads, then each
function's share, inclusive (it or what it called was running).

    .venv/bin/python bench/profile_summary.py session.txt --top 40
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path


def frame_name(frame: str) -> str:
    """`function (path/to/file.py:123)` → `function (file.py)`."""
    function, _, where = frame.partition(" (")
    return f"{function} ({where.rsplit('/', 1)[-1].split(':', 1)[0]})" if where else function


def summarize(path: Path) -> tuple[int, Counter[str], Counter[str]]:
    inclusive: Counter[str] = Counter()
    threads: Counter[str] = Counter()  # where: event loop, worker threads, other
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = stack.split(";")
        where = "worker threads (anyio)" if "WorkerThread.run" in stack else \
            "event loop" if "Runner.run" in stack else "other threads"
        threads[where] += samples
        for name in {frame_name(frame) for frame in frames}:
            inclusive[name] += samples
    return total, inclusive, threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    total, inclusive, threads = summarize(args.profile)
    print(f"{total} samples")
    for name, samples in threads.most_common():
        print(f"{100 * samples / total:5.1f} %  {name}")
    print()
    for name, samples in inclusive.most_common(args.top):
        print(f"{100 * samples / total:5.1f} %  {name}")


if __name__ == "__main__":
    main()
