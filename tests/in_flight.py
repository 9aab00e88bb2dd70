"""Counting how many calls run at once, from any threads: for tests of a limit on concurrency."""

from __future__ import annotations

import threading
import time


class InFlight:
    """Calls running now (`now`) and the most there ever were at once (`most`)."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self._lock = threading.Lock()

    def hold(self, seconds: float) -> None:
        """One call that runs for `seconds`, counted while it runs."""
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            time.sleep(seconds)
        finally:
            with self._lock:
                self.now -= 1
