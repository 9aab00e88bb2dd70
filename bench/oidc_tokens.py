#!/usr/bin/env python
"""The OpenID provider's hot endpoints vs a bare Starlette hello-world, in interleaved rounds (issue 21).

Bastion runs as `bastion serve --workers 1` on PostgreSQL (a scratch database per checkout), pinned
to one core; the reference is a bare Starlette app answering `{"hello": "world"}` in its own process,
pinned to the same core, measured in every round. wrk (one thread, on the other core) drives:

- `POST /oauth2/token` exchanging authorization codes (client_secret_basic, PKCE S256), each code
  once: the codes are issued before the run, more than the run can use;
- `POST /oauth2/token` with `grant_type=refresh_token`, each refresh token once (rotation);
- `GET /oauth2/userinfo` with Bearer access tokens (`--access-tokens` of them, in turn, each asked
  once just before: tokens in use).

`--checkout DIR` (repeatable) measures other checkouts of Bastion in the same run — e.g. a worktree
of `main` with its own `.venv` — each served by its own `.venv/bin/bastion` over its own database
(seeded alike, rows written directly, so any version with the same tables can be measured). In each
of `--runs` rounds the hello-world runs first, then each checkout in turn (the order alternates
between rounds), so the machine's noise falls on all of them alike.

    .venv/bin/python bench/oidc_tokens.py                                     # this checkout, 5 s per route
    .venv/bin/python bench/oidc_tokens.py --checkout /work/wt/main-copy --runs 3
    .venv/bin/python bench/oidc_tokens.py --profile oidc.txt                  # + py-spy of each route, round 1

It reports, per checkout and route, the median requests/s, p50/p99 latency and ratio to the round's
hello-world. Exit status 0 when every answer was a success (no code or refresh token was used twice);
there is no speed target.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from datetime import timedelta
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
ROUTES = ("token (code)", "token (refresh)", "userinfo")
WARM_UP_SECONDS = 1


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--runs", type=int, default=1, help="interleaved rounds")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=3000,
                        help="codes and refresh tokens issued per round and checkout (each)")
    parser.add_argument("--access-tokens", type=int, default=1000, help="distinct access tokens userinfo cycles through")
    parser.add_argument("--checkout", type=Path, action="append", default=[],
                        help="another checkout of Bastion (with its .venv) to measure in the same run")
    parser.add_argument("--redis-url", default=None, help="serve with Redis (sessions' invalidation, counters)")
    parser.add_argument("--profile", type=Path, help="also record py-spy profiles of the server during round 1: "
                        "FILE's name gets -CHECKOUT-ROUTE")
    parser.add_argument("--json", type=Path, help="write every run's figures here")
    parser.add_argument("--pg-admin-dsn", default=common.DEFAULT_PG_ADMIN)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--load-cpu", type=int, default=1)
    args = parser.parse_args(argv)
    if not (1 <= args.seconds <= 60 and 100 <= args.tokens <= 100_000 and 1 <= args.runs <= 10
            and 1 <= args.access_tokens <= 10_000):
        parser.error("--seconds must be 1..60, --tokens 100..100000, --runs 1..10, --access-tokens 1..10000")
    common.require_loopback(args.pg_admin_dsn, args.redis_url or "none")
    for checkout in args.checkout:
        if not (checkout / ".venv" / "bin" / "bastion").exists():
            parser.error(f"--checkout {checkout}: no .venv/bin/bastion there (run ./dev setup in it)")
    return args


def seed(env: dict[str, str], codes: int, refreshes: int, access_tokens: int) -> dict[str, object]:
    """A person with a live session, a confidential client, its codes, refresh and access tokens.
    Grants and tokens are written as rows (as the provider stores them), not through its functions."""
    os.environ.update(env)
    from bastion.accounts.admin import create_account
    from bastion.config import load_settings
    from bastion.context import Client
    from bastion.crypto import hash_token, new_token
    from bastion.oidc.clients import NewClient, create_client
    from bastion.oidc.keys import ensure_signing_keys
    from bastion.oidc.models import OidcGrant, OidcToken
    from bastion.sessions.tokens import issue_session
    from bastion.startup import build_services
    from bastion.store.types import new_id

    services = build_services(load_settings())
    account_id = create_account(services, "trader@example.com", "violet harbor compass 93 lantern", roles=[], verified=True)
    with services.db.transaction() as tx:
        _, session = issue_session(services, tx, account_id, Client(ip="127.0.0.1"), remember=True)
    client, secret = create_client(services, NewClient(name="Bench", redirect_uris=(REDIRECT,), first_party=True))
    ensure_signing_keys(services)
    now = services.clock.now()

    def grant(code: str, used: bool) -> dict[str, object]:
        return dict(id=new_id(), client_id=client.id, account_id=account_id, session_id=session.id,
                    scope="openid email", redirect_uri=REDIRECT, nonce="n", code_hash=hash_token(code),
                    code_challenge=CHALLENGE, code_challenge_method="S256", acr="aal1", amr=["pwd"], auth_time=now,
                    offline=False, created_at=now, code_expires_at=now + timedelta(minutes=10),
                    code_used_at=now if used else None)

    def token(grant_id: object, kind: str, value: str, expires: timedelta) -> dict[str, object]:
        return dict(grant_id=grant_id, kind=kind, token_hash=hash_token(value), scope="openid email", created_at=now,
                    expires_at=now + expires)

    fresh = [new_token("bac_") for _ in range(codes)]
    refresh = [new_token("brt_") for _ in range(refreshes)]
    access = [new_token("bat_") for _ in range(access_tokens)]
    used = [grant(new_token("bac_"), used=True) for _ in range(max(refreshes, access_tokens))]
    tokens = [token(row["id"], "refresh", value, timedelta(days=1)) for row, value in zip(used, refresh, strict=False)]
    tokens += [token(row["id"], "access", value, timedelta(hours=1)) for row, value in zip(used, access, strict=False)]
    with services.db.transaction() as tx:
        tx.execute(OidcGrant.__table__.insert(), [grant(code, used=False) for code in fresh] + used)
        tx.execute(OidcToken.__table__.insert(), tokens)
    services.close()
    basic = base64.b64encode(f"{client.id}:{secret}".encode()).decode()
    return {"codes": fresh, "refreshes": refresh, "access": access, "basic": basic}


def request_files(work: Path, seeded: dict, tokens: int, runs: int) -> list[dict[str, Path]]:  # type: ignore[type-arg]
    """Per round (and a warm-up round first), the request file of each route: single-use tokens never repeat."""
    form = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {seeded['basic']}"}
    rounds = []
    for number in range(runs + 1):
        codes = seeded["codes"][number * tokens:(number + 1) * tokens]
        refreshes = seeded["refreshes"][number * tokens:(number + 1) * tokens]
        rounds.append({
            "token (code)": common.write_requests(work / f"codes-{number}.txt", [
                ("POST", "/oauth2/token", form, urlencode({"grant_type": "authorization_code", "code": code,
                                                           "redirect_uri": REDIRECT, "code_verifier": VERIFIER}))
                for code in codes]),
            "token (refresh)": common.write_requests(work / f"refresh-{number}.txt", [
                ("POST", "/oauth2/token", form, urlencode({"grant_type": "refresh_token", "refresh_token": token}))
                for token in refreshes]),
            "userinfo": common.write_requests(work / "userinfo.txt", [
                ("GET", "/oauth2/userinfo", {"Authorization": f"Bearer {token}"}, "") for token in seeded["access"]]),
        })
    return rounds


def prime(base: str, access: list[str]) -> None:
    """Every access token asked for once: the runs measure tokens in use (the steady state), not first reads."""
    import httpx2 as httpx

    with httpx.Client(base_url=base, timeout=30) as client:
        for token in access:
            answer = client.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {token}"})
            if answer.status_code != 200:
                raise SystemExit(f"GET /oauth2/userinfo answered {answer.status_code}: {answer.text[:500]}")


def label(checkout: Path) -> str:
    revision = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True,  # noqa: S607 - git from PATH
                              text=True).stdout.strip()
    return f"{checkout.name}@{revision or '?'}"


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    common.require_wrk()
    checkouts = [ROOT, *[path.resolve() for path in args.checkout]]
    names = [label(path) for path in checkouts]
    work = Path(tempfile.mkdtemp(prefix="bastion-oidc-bench-"))
    hello_port = common.free_port()
    hello = f"http://127.0.0.1:{hello_port}"
    (work / "hello_app.py").write_text(HELLO_APP)
    hello_file = common.write_requests(work / "hello.txt", [("GET", "/", {}, "")])
    hello_command = common.pinned([sys.executable, "-m", "uvicorn", "--app-dir", str(work), "hello_app:app",
                                   "--port", str(hello_port), "--log-level", "warning"], args.server_cpu)
    runs: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    with ExitStack() as stack:
        setups = []
        for number, checkout in enumerate(checkouts):
            database_url = stack.enter_context(common.scratch_database(args.pg_admin_dsn, "bastion_oidc_bench"))
            port = common.free_port()
            base = f"http://127.0.0.1:{port}"
            env = {**os.environ, "BASTION_ENV": "dev", "BASTION_DATABASE_URL": database_url,
                   "BASTION_DATA_DIR": str(work / f"data-{number}"), "BASTION_PUBLIC_URL": base,
                   "BASTION_OIDC_CODE_SECONDS": "600",
                   "BASTION_RATE_LIMITS": "100000/10m/oidc_client,100000/10m/oidc_client_ip"}
            if args.redis_url:
                env["BASTION_REDIS_URL"] = args.redis_url
            common.run_cli(env, "db", "upgrade")
            count = args.tokens * (args.runs + 1)
            seeded = seed(env, count, count, args.access_tokens)
            (work / f"requests-{number}").mkdir()
            files = request_files(work / f"requests-{number}", seeded, args.tokens, args.runs)
            serve = common.pinned([str(checkout / ".venv" / "bin" / "bastion"), "serve", "--port", str(port),
                                   "--workers", "1"], args.server_cpu)
            setups.append((names[number], base, env, files, serve, checkout, seeded["access"]))
        for round_number in range(args.runs + 1):  # round 0 warms up: connections, caches, first imports
            warm = round_number == 0
            if not warm:
                common.wait_for_quiet(10)
                with common.server_process(hello_command, os.environ.copy(), f"{hello}/", work / "hello.log"):
                    result = common.run_wrk(hello, hello_file, args.seconds, args.connections, cpu=args.load_cpu)
                runs.setdefault("hello-world (Starlette)", []).append(result)
                reference = result["rps"]
            order = setups if round_number % 2 else list(reversed(setups))
            for name, base, env, files, serve, checkout, access in order:
                with common.server_process(serve, env, f"{base}/readyz", work / f"{name}.log", cwd=checkout) as server:
                    for route in ROUTES:
                        if route == "userinfo":
                            prime(base, access)
                        if warm:
                            common.run_wrk(base, files[0][route], WARM_UP_SECONDS, args.connections, cpu=args.load_cpu)
                            continue
                        profile = (args.profile.with_name(f"{args.profile.stem}-{name.split('@')[0]}-"
                                                          f"{route.split(' ')[-1].strip('()')}{args.profile.suffix}")
                                   if args.profile and round_number == 1 else None)
                        profiler = common.start_profile(server.pid, args.seconds, profile) if profile else None
                        meter = common.BusyMeter().start()
                        result = common.run_wrk(base, files[round_number][route], args.seconds, args.connections,
                                                cpu=args.load_cpu)
                        result["machine_busy"] = meter.stop()
                        result["vs_hello"] = result["rps"] / reference
                        if profiler is not None:
                            profiler.wait(timeout=60)
                        common.wait_for_server_idle(server.pid)
                        runs.setdefault(f"{route} — {name}", []).append(result)
    rows = []
    for key, results in runs.items():
        rows.append((key, f"{common.median([r['rps'] for r in results]):.0f}",
                     f"{common.median([r.get('vs_hello', 1.0) for r in results]):.2f}x",
                     f"{common.median([r['latency_ms']['p50'] for r in results]):.1f}",
                     f"{common.median([r['latency_ms']['p99'] for r in results]):.1f}",
                     sum(sum(r["errors"].values()) for r in results),
                     f"{100 * common.median([r.get('machine_busy', 0.0) for r in results]):.0f} %"))
    print(f"{args.runs} round(s) of {args.seconds} s per route, {args.connections} connections; medians")
    print(markdown_table(("route — checkout", "requests/s", "vs hello", "p50 ms", "p99 ms", "errors", "machine busy"),
                         rows))
    if args.json:
        args.json.write_text(json.dumps({"machine": common.machine(), "runs": runs}, indent=1, default=str))
    enough = all(r["requests"] <= args.tokens for key, results in runs.items() if key.startswith("token")
                 for r in results)
    if not enough:
        print("more requests than tokens issued in a round: raise --tokens")
    return 0 if enough and all(sum(r["errors"].values()) == 0 for results in runs.values() for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
