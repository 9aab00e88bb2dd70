#!/usr/bin/env python
"""The ceiling: a bare Starlette hello-world in a process of its own, served by the same uvicorn
with the same options as `bastion serve --workers 1` (`bastion.cli.serve_options`), but for the
HTTP protocol: uvicorn's own (httptools), not Bastion's subclass of it (bastion/ops/http_heads.py).

Nothing of Bastion is in a request's path: no middleware, no database, no background thread, no
protocol code of its own (whose bounds and single write per answer are Bastion's to pay for, or to
gain from). What Bastion answers on the same core is compared with this (bench/session_validation.py).

    python bench/bare_hello.py --port 8001      # GET /hello -> {"hello": "world"}
"""

from __future__ import annotations

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
    from common import serve_as_bastion_serves

    serve_as_bastion_serves(create, __doc__, 8001, bastion_protocol=False)


if __name__ == "__main__":
    main()
