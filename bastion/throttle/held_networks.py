"""What this process has learned of the networks on hold, so the sign-in door can turn their
requests away without a round trip to the counter store (docs/design/sign-in-admission.md).

Learned where the throttle meets a hold — when it places one, and whenever it looks one up (a
look-up that finds none forgets it) — and kept until the hold ends, but trusted for at most
`LOOK_AGAIN_AFTER`: nothing in Bastion lifts a network's hold early, yet one lifted in the store
by hand, or lost with it, must not keep a network out for long. At most `CAPACITY` holds are
kept: an attacker rotating addresses cannot grow it, only make it forget (then the route refuses
as before). Each process learns on its own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime, timedelta

LOOK_AGAIN_AFTER = timedelta(seconds=10)
CAPACITY = 10_000


class HeldNetworks:
    def __init__(self, capacity: int = CAPACITY, look_again_after: timedelta = LOOK_AGAIN_AFTER) -> None:
        self.capacity = capacity
        self.look_again_after = look_again_after
        self._lock = threading.Lock()  # learned on worker threads, read on the event loop
        # A hold's key (the throttle's counter key) → when the hold ends, and until when that is believed.
        self._holds: OrderedDict[str, tuple[datetime, datetime]] = OrderedDict()

    def __bool__(self) -> bool:
        """Whether any hold is remembered: the door's one check on a network nobody holds."""
        return bool(self._holds)

    def learn(self, key: str, until: datetime, now: datetime) -> None:
        with self._lock:
            self._holds[key] = (until, min(until, now + self.look_again_after))
            self._holds.move_to_end(key)
            if len(self._holds) > self.capacity:
                # The one learned longest ago: believed for LOOK_AGAIN_AFTER at most, so most likely
                # no longer; if it still holds, the route refuses that network as before.
                self._holds.popitem(last=False)

    def forget(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._holds.pop(key, None)

    def held_until(self, keys: Sequence[str], now: datetime) -> datetime | None:
        """The latest end of the holds remembered on `keys` (an IP's and its subnet's), or None."""
        ends = []
        with self._lock:
            for key in keys:
                remembered = self._holds.get(key)
                if remembered is None:
                    continue
                until, believed_until = remembered
                if believed_until > now:
                    ends.append(until)
                else:
                    del self._holds[key]
        return max(ends, default=None)

