"""Start N attempts at once (a barrier), each in its own thread and so with its own connection."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bastion.errors import BastionError


def race(attempt: Callable[[Any], object], inputs: Sequence[Any]) -> Counter[str]:
    """How the attempts ended: the refusal's code, the attempt's answer when it is a word, else "ok"."""
    start = threading.Barrier(len(inputs))

    def run(value: Any) -> str:
        start.wait()
        try:
            result = attempt(value)
        except BastionError as refusal:
            return refusal.code
        return result if isinstance(result, str) else "ok"

    with ThreadPoolExecutor(max_workers=len(inputs)) as pool:
        return Counter(pool.map(run, inputs))
