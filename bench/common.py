"""What every benchmark here shares: processes, a scratch PostgreSQL database, wrk, the machine.

Loopback only: every server, database and load generator runs on this machine, and every
step has a deadline. Scripts import this as `common` (they put bench/ on sys.path).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).with_name("bastion")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
DEFAULT_PG_ADMIN = os.environ.get("BASTION_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REQUESTS_LUA = BENCH / "wrk" / "requests.lua"
# The servers' /metrics are read with a token of this run (BASTION_METRICS_TOKEN): never served without one.
METRICS_TOKEN = secrets.token_hex(32)

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def require_loopback(*urls: str) -> None:
    for url in urls:
        if url != "none" and urlsplit(url).hostname not in LOOPBACK:
            raise SystemExit(f"{url}: loopback only")


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    return wrk


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([str(BIN), *args], env=env, input=stdin, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"bastion {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def stop_group(process: subprocess.Popen, grace: float = 25.0) -> None:  # type: ignore[type-arg]
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def pinned(command: Sequence[str], cpu: int | str | None) -> list[str]:
    """`command` run on one core (taskset; or a list such as "0,1"), so server and load generator do
    not share one."""
    if cpu is None or shutil.which("taskset") is None:
        return list(command)
    return ["taskset", "-c", str(cpu), *command]


def wait_ready(url: str, server: subprocess.Popen, log_path: Path, limit: float = 90) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server not ready in {limit:.0f} s:\n{log_path.read_text()[-3000:]}")


@contextmanager
def server_process(command: Sequence[str], env: dict[str, str], ready_url: str, log_path: Path,
                   cwd: Path = ROOT) -> Iterator[subprocess.Popen]:  # type: ignore[type-arg]
    """A server in its own process group, ready when `ready_url` answers 200; stopped at the end."""
    with log_path.open("wb") as sink:
        process = subprocess.Popen(list(command), env=env, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        wait_ready(ready_url, process, log_path)
        yield process
    finally:
        stop_group(process)


@contextmanager
def scratch_database(admin_dsn: str, prefix: str = "bastion_bench", keep: bool = False) -> Iterator[str]:
    """A new, empty PostgreSQL database (SQLAlchemy URL), dropped at the end unless `keep`."""
    require_loopback(admin_dsn)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = admin_dsn.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        if keep:
            print(f"kept database {name}")
        else:
            with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=5) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def plain_dsn(database_url: str) -> str:
    return database_url.replace("postgresql+psycopg://", "postgresql://", 1)


def serve_as_bastion_serves(factory: Callable[[], object], description: str, default_port: int,
                            bastion_protocol: bool = True) -> None:
    """Serve the app `factory` makes with uvicorn and the options of `bastion serve --workers 1`
    (`--host`, `--port` from the command line): the benchmarks' servers all serve alike.
    `bastion_protocol=False`: with uvicorn's own HTTP protocol (httptools) rather than Bastion's
    subclass of it (bastion/ops/http_heads.py): the bare ceiling runs no code of Bastion's."""
    import uvicorn

    from bastion.cli import serve_options

    parser = argparse.ArgumentParser(description=description.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=default_port)
    args = parser.parse_args()
    options = serve_options(workers=1)
    if not bastion_protocol:
        options["http"] = "httptools"
    uvicorn.run(factory, factory=True, host=args.host, port=args.port, **options)


def server_metrics(base: str, prefix: str) -> dict[str, float]:
    """The lines of the server's /metrics whose names start with `prefix` (all workers in
    multiprocess mode); the server runs with BASTION_METRICS_TOKEN=METRICS_TOKEN."""
    text = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10).text
    found = {}
    for line in text.splitlines():
        if line.startswith(prefix):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found


# Load -------------------------------------------------------------------------------------

def write_requests(path: Path, requests: Sequence[tuple[str, str, dict[str, str], str]]) -> Path:
    """The request file `requests.lua` cycles through: METHOD, path, headers, body per line."""
    lines = []
    for method, target, headers, body in requests:
        header_text = "|".join(f"{name}: {value}" for name, value in headers.items())
        for part in (method, target, header_text, body):
            if "\t" in part or "\n" in part:
                raise ValueError("tabs and newlines cannot be sent through the request file")
        lines.append(f"{method}\t{target}\t{header_text}\t{body}")
    path.write_text("\n".join(lines) + "\n")
    return path


def run_wrk(url: str, request_file: Path, seconds: float, connections: int, threads: int = 1,
            cpu: int | None = None, timeout_s: float = 10) -> dict:  # type: ignore[type-arg]
    """One wrk run over the request file; throughput, latency percentiles (ms) and errors."""
    command = pinned([require_wrk(), "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
                      "--timeout", f"{timeout_s}s", "-s", str(REQUESTS_LUA), url, "--", str(request_file)], cpu)
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0 or "BENCH_JSON " not in done.stdout:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result = json.loads(done.stdout.split("BENCH_JSON ", 1)[1].splitlines()[0])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


RAW_HASHING = """
import sys, time
from argon2 import PasswordHasher, Type
t, m, p, seconds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
hasher = PasswordHasher(time_cost=t, memory_cost=m, parallelism=p, type=Type.ID)
stored = hasher.hash("violet harbor compass 93 lantern")
done, started = 0, time.perf_counter()
while time.perf_counter() - started < seconds:
    hasher.verify(stored, "violet harbor compass 93 lantern")
    done += 1
print(done / (time.perf_counter() - started))
"""


def raw_verifications(time_cost: int, memory_kib: int, parallelism: int, seconds: float, cpus: Sequence[int]) -> float:
    """argon2id verifications a second with nothing else running: one process per core of `cpus`,
    each pinned to its core, all at once; their rates summed."""
    processes = [subprocess.Popen(pinned([sys.executable, "-c", RAW_HASHING, str(time_cost), str(memory_kib),
                                          str(parallelism), str(seconds)], cpu),
                                  stdout=subprocess.PIPE, text=True) for cpu in cpus]
    rates = []
    for process in processes:
        out, _ = process.communicate(timeout=seconds + 60)
        if process.returncode != 0:
            raise SystemExit("the raw argon2 measurement failed")
        rates.append(float(out.strip()))
    return sum(rates)


def start_profile(pid: int, seconds: float, output: Path) -> subprocess.Popen:  # type: ignore[type-arg]
    """py-spy sampling the server for `seconds` (collapsed stacks: speedscope and flamegraph.pl read them)."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        raise SystemExit("profiling needs py-spy: .venv/bin/pip install py-spy")
    # BENCH_PROFILE_GIL=1: only the thread holding the GIL is sampled, so waits drop out (Python CPU time).
    gil = ["--gil"] if os.environ.get("BENCH_PROFILE_GIL") else []
    return subprocess.Popen([py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "250",
                             "--format", "raw", "--output", str(output), "--nonblocking", *gil],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# The machine ------------------------------------------------------------------------------

def machine_busy() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def wait_for_quiet(limit: float) -> None:
    """Other work on the machine skews every figure: wait (bounded) for it to be mostly idle."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        busy_before = machine_busy()
        time.sleep(2)
        busy_after = machine_busy()
        idle = 1 - (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
        if idle >= 0.85:
            return
        print(f"machine only {100 * idle:.0f} % idle; waiting for it to quieten", flush=True)
    if limit > 0:
        print("machine still busy: measuring anyway", flush=True)


def wait_for_server_idle(pid: int, quiet: float = 0.5, limit: float = 30) -> None:
    """Let the server finish what a load run left in flight before the next measurement starts.

    wrk stops with its last requests still in the server: at a slow endpoint (a sign-in is one
    hash, ~0.1 s) those few requests are ~0.4 s of CPU that would otherwise be charged to
    whatever runs next on the core, sign-ins or raw hashes alike.
    """
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = process_cpu_seconds(pid)
        time.sleep(quiet)
        if process_cpu_seconds(pid) - before < 0.1 * quiet:  # background work only
            return


def wait_for_group_idle(pgid: int, quiet: float = 0.5, limit: float = 60) -> None:
    """`wait_for_server_idle` for a server of several processes (`--workers`): its process group."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = group_cpu_seconds(pgid)
        time.sleep(quiet)
        if group_cpu_seconds(pgid) - before < 0.1 * quiet:
            return


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU the processes of a process group have used so far."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[2]) == pgid:
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU a process (all its threads) has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def processes_cpu_seconds(name: str) -> float:
    """The same, summed over every process of that name (e.g. all of PostgreSQL's backends)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    total += process_cpu_seconds(int(entry.name))
            except (FileNotFoundError, ProcessLookupError):
                continue  # ended meanwhile
    return total


class BusyMeter:
    """How busy the whole machine was between start() and stop(), 0..1 (other work skews figures)."""

    def start(self) -> BusyMeter:
        self._before = machine_busy()
        return self

    def stop(self) -> float:
        after = machine_busy()
        return (after[0] - self._before[0]) / max(1, after[1] - self._before[1])


def machine(packages: Sequence[str] = ("bastion", "uvicorn", "starlette", "fastapi", "argon2-cffi",
                                       "SQLAlchemy", "psycopg", "redis")) -> dict[str, object]:
    from importlib.metadata import PackageNotFoundError, version

    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "?")
    versions: dict[str, str] = {}
    for package in packages:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "?"
    wrk = shutil.which("wrk")
    wrk_version = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout.split("[")[0].strip() \
        if wrk else "not installed"
    return {"nproc": os.cpu_count(), "cpu": model, "python": sys.version.split()[0], "wrk": wrk_version, **versions}


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(met: bool) -> str:
    return "**met**" if met else "**missed**"
