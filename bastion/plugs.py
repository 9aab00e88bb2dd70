"""Parts a feature needs from a feature above it, handed over at start-up.

The features are layered (docs/architecture.md): each imports only those below it. Where a lower
one needs what only a higher one knows — the sign-in flow the stages risk and second factors add,
ended sessions the apps they signed in to — it declares what it needs beside the code that uses it
(a `typing.Protocol` or a callable's type) and a `Plug` for it, and `bastion.startup.wire` connects
the higher feature's implementation once per process, before anything runs. A plug that was never
connected refuses to work: it never silently skips a step.
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Plug(Generic[T]):
    def __init__(self, what: str) -> None:
        self.what = what
        self._part: T | None = None

    def connect(self, part: T) -> None:
        self._part = part

    def __call__(self) -> T:
        part = self._part
        if part is None:
            raise RuntimeError(f"{self.what} is not connected: build the services through bastion.startup")
        return part
