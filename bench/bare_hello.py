#!/usr/bin/env python
"""The ceiling: a bare Starlette hello-world in a process of its own, served by the same uvicorn
with the same options as `bastion serve --workers 1` (`bastion.cli.serve_options`).

Nothing of Bastion is loaded: no middleware, no database, no background thread. What Bastion
answers on the same core is compared with this (bench/session_validation.py).

    python bench/bare_hello.py --port 8001      # GET /hello -> {"hello": "world"}
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def create():  # type: ignore[no-untyped-def]
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def hello(_request):  # type: ignore[no-untyped-def]
        return JSONResponse({"hello": "world"})

    return Starlette(routes=[Route("/hello", hello)])


def main() -> None:
    import uvicorn

    from bastion.cli import serve_options

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(create, factory=True, host=args.host, port=args.port, **serve_options(workers=1))


if __name__ == "__main__":
    main()
