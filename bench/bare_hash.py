#!/usr/bin/env python
"""The ceiling of a password sign-in: a bare Starlette route in a process of its own that reads
the JSON body, verifies its password with argon2id and answers JSON — nothing else. Served like
bench/bare_hello.py (the same uvicorn options as `bastion serve --workers 1`, uvicorn's own
protocol), with one hash at a time per core it may use, as Bastion's hash gate runs them (many at
once on one core would make every hash slower, and the ceiling lower than it is).

What Bastion's sign-in achieves on the same core is compared with this (bench/password_signin.py):
whatever this route costs beside its hash, no sign-in can cost less.

    python bench/bare_hash.py --port 8002 --argon2-time-cost 5 --argon2-memory-kib 7168 --password 'a b c'
    # POST /v1/login {"password": "a b c"} -> {"status": "authenticated"}
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def create():  # type: ignore[no-untyped-def]
    from argon2 import PasswordHasher, Type
    from argon2.exceptions import VerifyMismatchError
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    hasher = PasswordHasher(time_cost=int(os.environ["BENCH_ARGON2_TIME_COST"]),
                            memory_cost=int(os.environ["BENCH_ARGON2_MEMORY_KIB"]),
                            parallelism=int(os.environ["BENCH_ARGON2_PARALLELISM"]), type=Type.ID)
    stored = hasher.hash(os.environ["BENCH_PASSWORD"])
    places = threading.BoundedSemaphore(len(os.sched_getaffinity(0)))

    def verify(password: str) -> bool:
        with places:
            try:
                return hasher.verify(stored, password)
            except VerifyMismatchError:
                return False

    async def login(request):  # type: ignore[no-untyped-def]
        body = await request.json()
        if await run_in_threadpool(verify, body["password"]):
            return JSONResponse({"status": "authenticated"})
        return JSONResponse({"status": "refused"}, status_code=401)

    async def hello(_request):  # type: ignore[no-untyped-def]
        return JSONResponse({"hello": "world"})

    return Starlette(routes=[Route("/v1/login", login, methods=["POST"]), Route("/hello", hello)])


def main() -> None:
    from common import serve_as_bastion_serves

    parser = argparse.ArgumentParser(add_help=False)
    for name in ("time-cost", "memory-kib", "parallelism"):
        parser.add_argument(f"--argon2-{name}", required=name != "parallelism", default="1")
    parser.add_argument("--password", required=True)
    known, rest = parser.parse_known_args()
    os.environ.update(BENCH_ARGON2_TIME_COST=known.argon2_time_cost, BENCH_ARGON2_MEMORY_KIB=known.argon2_memory_kib,
                      BENCH_ARGON2_PARALLELISM=known.argon2_parallelism, BENCH_PASSWORD=known.password)
    sys.argv[1:] = rest
    serve_as_bastion_serves(create, __doc__, 8002, bastion_protocol=False)


if __name__ == "__main__":
    main()
