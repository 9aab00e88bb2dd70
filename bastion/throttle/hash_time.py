"""What the hash queue's estimates are made of: one hash's measured time, and the wait it implies."""

from __future__ import annotations


def expected_wait(ahead: int, concurrency: int, hash_seconds: float) -> float:
    """Seconds before work arriving now starts hashing: the hashes ahead of it (running, waiting or
    admitted on their way) beyond the free cores, `concurrency` at a time."""
    return max(0, ahead + 1 - concurrency) * hash_seconds / concurrency


class HashTime:
    """The measured time of one hash: an exponentially weighted moving average of those done."""

    def __init__(self, initial: float = 0.1, weight: float = 0.2) -> None:
        self.seconds = initial
        self.weight = weight

    def observe(self, seconds: float) -> None:
        self.seconds += self.weight * (seconds - self.seconds)
