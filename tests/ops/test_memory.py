"""A serving process keeps one malloc arena, so every hash reuses one warm block (glibc)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

# In a process of its own: the setting must come before threads make their arenas. glibc's
# malloc_stats() writes one "Arena N:" section per arena to stderr.
SCRIPT = """
import ctypes, sys
from concurrent.futures import ThreadPoolExecutor
from bastion.ops.memory import use_one_malloc_arena
if sys.argv[1] == "capped":
    assert use_one_malloc_arena()
from argon2 import PasswordHasher
hasher = PasswordHasher(time_cost=1, memory_cost=19456, parallelism=1)
stored = hasher.hash("pw")
with ThreadPoolExecutor(8) as pool:
    list(pool.map(lambda _: hasher.verify(stored, "pw"), range(32)))
ctypes.CDLL(None).malloc_stats()
"""


def arenas(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return sum(line.startswith("Arena ") for line in done.stderr.splitlines())


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_hashes_on_many_threads_share_one_arena_in_a_serving_process() -> None:
    assert arenas("default") > 1  # what the setting is for: threads make arenas of their own
    assert arenas("capped") == 1
