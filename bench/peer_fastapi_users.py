#!/usr/bin/env python
"""Session validation vs a peer: fastapi-users `GET /users/me` under the same load (issue 10, benchmark 5).

The script installs fastapi-users (SQLAlchemy + aiosqlite, JWT bearer: its documented
example) into a throwaway virtual environment in a temporary folder — nothing is vendored
or kept — registers `--users` users and signs them in for JWTs. Then, in interleaved rounds,
wrk (pinned to one core) asks the peer's `GET /users/me` and Bastion's `GET /v1/session`
(each server alone on the other core, one worker, uvloop + httptools) with the tokens of
many users, same connections and duration.

    .venv/bin/python bench/peer_fastapi_users.py             # 3 rounds x 10 s each
    .venv/bin/python bench/peer_fastapi_users.py --seconds 5 --runs 1

Target: Bastion's throughput >= 10x the peer's. Exit status 0 when met.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import uuid
from importlib.metadata import version
from pathlib import Path

import common
import httpx2 as httpx
from common import ROOT, markdown_table, median, verdict

PEER_PACKAGES = ["fastapi-users[sqlalchemy]", "aiosqlite", f"uvicorn[standard]=={version('uvicorn')}"]
PEER_APP = '''
import uuid
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi_users import BaseUserManager, FastAPIUsers, UUIDIDMixin, schemas
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, JWTStrategy
from fastapi_users.db import SQLAlchemyBaseUserTableUUID, SQLAlchemyUserDatabase
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

SECRET = "bench-secret-bench-secret-bench-secret"
engine = create_async_engine("sqlite+aiosqlite:///./peer.db")
session_maker = async_sessionmaker(engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


class User(SQLAlchemyBaseUserTableUUID, Base):
    pass


class UserRead(schemas.BaseUser[uuid.UUID]):
    pass


class UserCreate(schemas.BaseUserCreate):
    pass


class UserUpdate(schemas.BaseUserUpdate):
    pass


async def get_session():
    async with session_maker() as session:
        yield session


async def get_user_db(session: AsyncSession = Depends(get_session)):
    yield SQLAlchemyUserDatabase(session, User)


class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
    reset_password_token_secret = SECRET
    verification_token_secret = SECRET


async def get_user_manager(user_db=Depends(get_user_db)):
    yield UserManager(user_db)


backend = AuthenticationBackend(name="jwt", transport=BearerTransport(tokenUrl="auth/jwt/login"),
                                get_strategy=lambda: JWTStrategy(secret=SECRET, lifetime_seconds=3600))
users = FastAPIUsers[User, uuid.UUID](get_user_manager, [backend])


@asynccontextmanager
async def lifespan(_app):
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    yield


app = FastAPI(lifespan=lifespan)
app.include_router(users.get_auth_router(backend), prefix="/auth/jwt")
app.include_router(users.get_register_router(UserRead, UserCreate), prefix="/auth")
app.include_router(users.get_users_router(UserRead, UserUpdate), prefix="/users")
'''


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--users", type=int, default=100, help="users (and sessions) whose tokens wrk cycles through")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/4", help="Bastion's BASTION_REDIS_URL")
    parser.add_argument("--pg-admin-dsn", default=common.DEFAULT_PG_ADMIN)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--load-cpu", type=int, default=1)
    parser.add_argument("--quiet-wait", type=float, default=30.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not (1 <= args.seconds <= 120 and 1 <= args.runs <= 9 and 1 <= args.users <= 1000):
        parser.error("--seconds 1..120, --runs 1..9, --users 1..1000")
    common.require_loopback(args.pg_admin_dsn, args.redis_url)
    return args


def install_peer(workdir: Path) -> tuple[Path, dict[str, str]]:
    venv = workdir / "peer-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    print(f"installing {', '.join(PEER_PACKAGES)} into a throwaway venv ...", flush=True)
    installed = subprocess.run([*pip, *PEER_PACKAGES], capture_output=True, text=True, timeout=600)
    if installed.returncode != 0:
        raise SystemExit(f"could not install the peer:\n{installed.stdout}\n{installed.stderr[-3000:]}")
    (workdir / "peer_app.py").write_text(PEER_APP)
    listed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format", "json"],
                            capture_output=True, text=True, check=True).stdout
    versions = {item["name"]: item["version"] for item in json.loads(listed)
                if item["name"].lower() in {"fastapi-users", "fastapi", "starlette", "uvicorn", "sqlalchemy",
                                            "aiosqlite", "pyjwt", "pwdlib"}}
    return venv, versions


def peer_tokens(base: str, count: int) -> list[str]:
    tokens = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for index in range(count):
            address, password = f"peer{index}@bench.example", "violet harbor compass 93 lantern"
            client.post("/auth/register", json={"email": address, "password": password}).raise_for_status()
            answer = client.post("/auth/jwt/login", data={"username": address, "password": password})
            answer.raise_for_status()
            tokens.append(answer.json()["access_token"])
        check = client.get("/users/me", headers={"Authorization": f"Bearer {tokens[0]}"})
        check.raise_for_status()
    return tokens


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    common.require_wrk()
    common.wait_for_quiet(args.quiet_wait)
    from seed import bench_services, seed_sessions
    from session_validation import prime, server_env

    from bastion.crypto import generate_key

    workdir = Path(tempfile.mkdtemp(prefix="bastion-bench-peer-"))
    results: dict[str, list[dict]] = {"peer": [], "bastion": []}  # type: ignore[type-arg]
    try:
        venv, peer_versions = install_peer(workdir)
        peer_port = common.free_port()
        peer_base = f"http://127.0.0.1:{peer_port}"
        peer_command = common.pinned([str(venv / "bin" / "uvicorn"), "peer_app:app", "--port", str(peer_port),
                                      "--no-access-log", "--log-level", "warning"], args.server_cpu)
        with common.server_process(peer_command, {}, f"{peer_base}/docs", workdir / "peer.log", cwd=workdir):
            tokens = peer_tokens(peer_base, args.users)
        peer_file = common.write_requests(workdir / "peer.txt", [
            ("GET", "/users/me", {"Authorization": f"Bearer {token}"}, "") for token in tokens])
        secret_keys = generate_key()
        with common.scratch_database(args.pg_admin_dsn) as database_url:
            env = server_env(database_url, workdir, args.redis_url, secret_keys)
            common.run_cli(env, "db", "upgrade")
            services = bench_services(database_url, str(workdir / "data"), secret_keys)
            seeded = seed_sessions(services, args.users, uuid.uuid4().hex[:6])
            services.close()
            bastion_file = common.write_requests(workdir / "bastion.txt", [
                ("GET", "/v1/session", {"Authorization": f"Bearer {token}"}, "") for token in seeded.tokens])
            for round_number in range(args.runs + 1):  # round 0 warms up
                for name in ("peer", "bastion"):
                    port = common.free_port()
                    base = f"http://127.0.0.1:{port}"
                    if name == "peer":
                        command = common.pinned([str(venv / "bin" / "uvicorn"), "peer_app:app", "--port", str(port),
                                                 "--no-access-log", "--log-level", "warning"], args.server_cpu)
                        cwd, server_environment, request_file = workdir, {}, peer_file
                    else:
                        command = common.pinned([sys.executable, str(ROOT / "bench" / "hello_server.py"), "--port",
                                                 str(port)], args.server_cpu)
                        cwd, server_environment, request_file = ROOT, env, bastion_file
                    ready = f"{base}/docs" if name == "peer" else f"{base}/bench/hello"
                    with common.server_process(command, server_environment, ready, workdir / f"{name}.log", cwd=cwd):
                        if name == "bastion":
                            prime(base, seeded.tokens)
                        common.run_wrk(base, request_file, 2, args.connections, cpu=args.load_cpu)
                        if round_number == 0:
                            continue
                        result = common.run_wrk(base, request_file, args.seconds, args.connections, cpu=args.load_cpu)
                    results[name].append(result)
                    print(f"round {round_number} {name}: {result['rps']:.0f} req/s, p99 "
                          f"{result['latency_ms']['p99']:.1f} ms, non-2xx {result['errors']['status']}", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    peer_rps = median([r["rps"] for r in results["peer"]])
    bastion_rps = median([r["rps"] for r in results["bastion"]])
    non_2xx = sum(r["errors"]["status"] for name in results for r in results[name])
    ratio = bastion_rps / peer_rps
    met = ratio >= 10 and non_2xx == 0
    rows = [["fastapi-users GET /users/me (JWT, SQLite)", round(peer_rps),
             median([r["latency_ms"]["p99"] for r in results["peer"]])],
            ["Bastion GET /v1/session (PostgreSQL, Redis)", round(bastion_rps),
             median([r["latency_ms"]["p99"] for r in results["bastion"]])]]
    print(markdown_table(["route", "req/s", "p99 ms"], rows))
    print(f"\nBastion / fastapi-users: {ratio:.1f}x (target >= 10): {verdict(met)}; non-2xx {non_2xx}; "
          f"{args.runs} rounds of {args.seconds} s, {args.connections} connections, {args.users} users; "
          f"peer versions: {peer_versions}")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "ratio": ratio, "met": met, "peer": peer_versions,
                                         "machine": common.machine(),
                                         "options": {k: str(v) for k, v in vars(args).items()}}, indent=2) + "\n")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
