"""One malloc arena for a serving process (glibc).

glibc gives threads arenas of their own, up to eight per core. argon2 allocates its memory
(19 MiB) per hash in whichever worker thread runs it, so each arena maps and warms a block of
its own: resident memory grows to hundreds of MB, and a hash on a thread whose block is cold
costs ~3 % more CPU than one that reuses a warm block (measured: 4 threads taking turns,
86.6-88.1 ms vs 84-85 ms a hash). Python allocates under the GIL, one thread at a time, so one
arena costs no contention; the hash and database threads that run without the GIL allocate
once per call. `MALLOC_ARENA_MAX` in the environment would need setting before the process
starts; `mallopt` works from inside, as long as it runs before threads have made their arenas.
"""

from __future__ import annotations

import ctypes
import logging

log = logging.getLogger("bastion.memory")

M_ARENA_MAX = -8  # glibc's malloc.h


def use_one_malloc_arena() -> bool:
    """True when glibc took the setting; elsewhere (macOS, musl without it) nothing changes."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    accepted = bool(mallopt(M_ARENA_MAX, 1))
    if not accepted:
        log.info("malloc kept its default arenas")
    return accepted
