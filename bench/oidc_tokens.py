#!/usr/bin/env python
"""The OpenID provider's hot endpoints vs a bare Starlette hello-world, one run each (issue 21).

Bastion runs as `bastion serve --workers 1` on PostgreSQL (a scratch database), pinned to one
core; the reference is a bare Starlette app answering `{"hello": "world"}` in its own process,
pinned to the same core, measured in the same run. wrk (one thread, on the other core) drives:

- `POST /oauth2/token` exchanging authorization codes (client_secret_basic, PKCE S256), each code
  once: the codes are issued before the run, more than the run can use;
- `POST /oauth2/token` with `grant_type=refresh_token`, each refresh token once (rotation);
- `GET /oauth2/userinfo` with a Bearer access token.

    .venv/bin/python bench/oidc_tokens.py                 # 5 s per route
    .venv/bin/python bench/oidc_tokens.py --seconds 3

It reports requests/s, p50/p99 latency and the ratio to the hello-world. Exit status 0 when every
answer was a success (no code or refresh token was used twice); there is no speed target.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import common
from common import ROOT, markdown_table

HELLO_APP = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
async def hello(request):
    return JSONResponse({"hello": "world"})
app = Starlette(routes=[Route("/", hello)])
"""
VERIFIER = "b" * 64
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
REDIRECT = "http://127.0.0.1:9/cb"


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=3000, help="codes and refresh tokens issued beforehand (each)")
    parser.add_argument("--pg-admin-dsn", default=common.DEFAULT_PG_ADMIN)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--load-cpu", type=int, default=1)
    args = parser.parse_args(argv)
    if not (1 <= args.seconds <= 60 and 100 <= args.tokens <= 100_000):
        parser.error("--seconds 1..60, --tokens 100..100000")
    return args


def seed(env: dict[str, str], count: int) -> dict[str, object]:
    """A person with a live session, a confidential client, `count` codes and `count` refresh tokens."""
    os.environ.update(env)
    from bastion.accounts.admin import create_account
    from bastion.config import load_settings
    from bastion.context import Client
    from bastion.crypto import new_token
    from bastion.oidc import grants
    from bastion.oidc.authn import Authentication
    from bastion.oidc.clients import NewClient, create_client
    from bastion.oidc.keys import ensure_signing_keys
    from bastion.services import build_services
    from bastion.sessions.tokens import issue_session

    services = build_services(load_settings())
    account_id = create_account(services, "trader@example.com", "violet harbor compass 93 lantern", roles=[], verified=True)
    with services.db.transaction() as tx:
        _, session = issue_session(services, tx, account_id, Client(ip="127.0.0.1"), remember=True)
    client, secret = create_client(services, NewClient(name="Bench", redirect_uris=(REDIRECT,), first_party=True))
    ensure_signing_keys(services)
    now = services.clock.now()
    auth = Authentication("aal1", ("pwd",), now, None)
    pending = grants.PendingCode(client.id, account_id, session.id, "openid email", REDIRECT, "n", CHALLENGE, "S256", auth)
    codes, refreshes, access = [], [], ""
    for number in range(count):
        code = new_token("bac_")
        grant_id = grants.save_code(services, code, pending)
        codes.append(code)
        with services.db.transaction() as tx:
            grant = tx.get_one(grants.OidcGrant, grant_id)
        access, refresh = new_token(grants.ACCESS_PREFIX), new_token(grants.REFRESH_PREFIX)
        if number % 2 == 0:  # half the codes stay unused for the exchange run; the others give refresh tokens
            continue
        grants.exchange_code(services, grant, grants.new_tokens(services, grant, access, refresh, "openid email", now),
                             Client())
        refreshes.append(refresh)
    services.close()
    basic = base64.b64encode(f"{client.id}:{secret}".encode()).decode()
    return {"codes": codes[::2], "refreshes": refreshes, "access": access, "basic": basic}


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    common.require_wrk()
    port, hello_port = common.free_port(), common.free_port()
    base, hello = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{hello_port}"
    work = Path(tempfile.mkdtemp(prefix="bastion-oidc-bench-"))
    results: dict[str, dict] = {}  # type: ignore[type-arg]
    with common.scratch_database(args.pg_admin_dsn, "bastion_oidc_bench") as database_url:
        env = {**os.environ, "BASTION_ENV": "dev", "BASTION_DATABASE_URL": database_url,
               "BASTION_DATA_DIR": str(work), "BASTION_PUBLIC_URL": base, "BASTION_OIDC_CODE_SECONDS": "600",
               "BASTION_RATE_LIMITS": "100000/10m/oidc_client,100000/10m/oidc_client_ip"}
        common.run_cli(env, "db", "upgrade")
        seeded = seed(env, args.tokens * 2)
        form = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {seeded['basic']}"}
        files = {
            "token (code)": common.write_requests(work / "codes.txt", [
                ("POST", "/oauth2/token", form, urlencode({"grant_type": "authorization_code", "code": code,
                                                           "redirect_uri": REDIRECT, "code_verifier": VERIFIER}))
                for code in seeded["codes"]]),  # type: ignore[attr-defined]
            "token (refresh)": common.write_requests(work / "refresh.txt", [
                ("POST", "/oauth2/token", form, urlencode({"grant_type": "refresh_token", "refresh_token": token}))
                for token in seeded["refreshes"]]),  # type: ignore[attr-defined]
            "userinfo": common.write_requests(work / "userinfo.txt", [
                ("GET", "/oauth2/userinfo", {"Authorization": f"Bearer {seeded['access']}"}, "")]),
        }
        hello_file = common.write_requests(work / "hello.txt", [("GET", "/", {}, "")])
        (work / "hello_app.py").write_text(HELLO_APP)
        hello_command = common.pinned([sys.executable, "-m", "uvicorn", "--app-dir", str(work), "hello_app:app",
                                       "--port", str(hello_port), "--log-level", "warning"], args.server_cpu)
        with common.server_process(hello_command, env, f"{hello}/", work / "hello.log"):
            results["hello-world (Starlette)"] = common.run_wrk(hello, hello_file, args.seconds, args.connections,
                                                                cpu=args.load_cpu)
        serve = common.pinned([str(ROOT / ".venv" / "bin" / "bastion"), "serve", "--port", str(port),
                               "--workers", "1"], args.server_cpu)
        with common.server_process(serve, env, f"{base}/readyz", work / "bastion.log"):
            for name, path in files.items():
                results[name] = common.run_wrk(base, path, args.seconds, args.connections, cpu=args.load_cpu)
    reference = results["hello-world (Starlette)"]["rps"]
    rows = [(name, f"{r['rps']:.0f}", f"{r['rps'] / reference:.2f}x", f"{r['latency_ms']['p50']:.1f}",
             f"{r['latency_ms']['p99']:.1f}", sum(r["errors"].values())) for name, r in results.items()]
    print(markdown_table(("route", "requests/s", "vs hello", "p50 ms", "p99 ms", "errors"), rows))
    used = {name: r["requests"] for name, r in results.items() if name.startswith("token")}
    enough = all(used[name] <= args.tokens for name in used)
    if not enough:
        print(f"more requests than tokens issued ({used}): raise --tokens")
    return 0 if enough and all(sum(r["errors"].values()) == 0 for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
