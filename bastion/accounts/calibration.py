"""Choosing argon2id parameters for this machine (`bastion calibrate`).

The memory and parallelism are chosen by the operator (19 MiB and 1 lane by default: OWASP's
minimum memory, one lane because each request's hash gets one core); the time cost rises from
OWASP's minimum until one verification takes at least the target on one core. Bastion's
defaults (m=19456 KiB, t=8, p=1) came out of this at a 100 ms target on a quiet 2-vCPU cloud
VM: about 90–105 ms a verification there, so within 50–300 ms on cores up to 1.8x faster or 2.9x
slower. Why not more memory at fewer passes: at 64 MiB each hash maps fresh memory, which cost
the server twice the non-hash work per sign-in of 19 MiB (docs/benchmarks.md, benchmark 2).
"""

from __future__ import annotations

import secrets
import statistics
import time
from dataclasses import dataclass

from argon2 import PasswordHasher, Type

# OWASP Password Storage Cheat Sheet: argon2id with at least m=19 MiB and t=2 (or more memory and t=1).
OWASP_MEMORY_KIB = 19456
OWASP_MIN_TIME_COST = 2
MAX_TIME_COST = 20


@dataclass(frozen=True)
class Measurement:
    time_cost: int
    memory_kib: int
    parallelism: int
    median_ms: float

    @property
    def per_second(self) -> float:
        return 1000 / self.median_ms


def measure(time_cost: int, memory_kib: int, parallelism: int, samples: int) -> Measurement:
    """The median time of `samples` verifications with these parameters, in this thread."""
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID)
    password = secrets.token_urlsafe(16)
    stored = hasher.hash(password)
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        hasher.verify(stored, password)
        timings.append((time.perf_counter() - started) * 1000)
    return Measurement(time_cost, memory_kib, parallelism, statistics.median(timings))


def calibrate(target_ms: float, memory_kib: int = OWASP_MEMORY_KIB, parallelism: int = 1,
              samples: int = 5) -> list[Measurement]:
    """Measurements at rising time cost; the last is the first to reach `target_ms` (or the cap)."""
    start = 1 if memory_kib >= 2 * OWASP_MEMORY_KIB else OWASP_MIN_TIME_COST
    tried: list[Measurement] = []
    for time_cost in range(start, MAX_TIME_COST + 1):
        tried.append(measure(time_cost, memory_kib, parallelism, samples))
        if tried[-1].median_ms >= target_ms:
            break
    return tried
