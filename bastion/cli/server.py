"""`bastion serve`, `demo`, `worker` and `calibrate`: running Bastion and sizing its hashing."""

from __future__ import annotations

import os
import signal
import threading
from typing import Annotated, Any

import typer
from rich.table import Table

from bastion.cli.common import console, services_or_exit, settings_or_exit
from bastion.config import ConfigError
from bastion.logs import configure_logging
from bastion.metrics import start_metrics_listener
from bastion.ops.serving import uvicorn_options


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the API and pages (the schema is upgraded first)."""
    import uvicorn

    options = serve_options(workers)
    services_or_exit().db.upgrade()
    try:
        start_metrics_listener(settings_or_exit(), workers)
    except ConfigError as error:
        console.print(f"[red]Configuration refused:[/red] {error}")
        raise typer.Exit(2) from error
    uvicorn.run("bastion.web.app:create_app_from_env", factory=True, host=host, port=port, **options)


def usable_cores() -> int:
    """Cores this process may run on (taskset and cgroup pinning included), not all the machine's."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:
        return os.cpu_count() or 1


def serve_options(workers: int) -> dict[str, Any]:
    """uvicorn's options and the environment of `bastion serve` (the benchmarks serve the same way)."""
    settings = settings_or_exit()
    configure_logging(settings.log_level, settings.access_log)
    if settings.hash_concurrency == 0:
        # Share the cores between the worker processes rather than give each all of them.
        os.environ["BASTION_HASH_CONCURRENCY"] = str(max(1, usable_cores() // workers))
    return uvicorn_options(settings, workers)


def calibrate(
    target_ms: Annotated[float, typer.Option(min=1, help="Time one verification should take on one core.")] = 100,
    memory_kib: Annotated[int, typer.Option(min=8, help="argon2 memory (KiB); OWASP's minimum is 19456.")] = 19456,
    parallelism: Annotated[int, typer.Option(min=1, help="argon2 lanes.")] = 1,
    samples: Annotated[int, typer.Option(min=1, max=50, help="Verifications timed per setting (median).")] = 5,
) -> None:
    """Print argon2id parameters that cost about TARGET_MS a hash on this machine."""
    from bastion.accounts.calibration import OWASP_MEMORY_KIB
    from bastion.accounts.calibration import calibrate as measure_rising

    tried = measure_rising(target_ms, memory_kib, parallelism, samples)
    table = Table(title=f"argon2id on this machine (one core, median of {samples})")
    for column in ("time cost", "memory KiB", "lanes", "ms a hash", "hashes/s a core"):
        table.add_column(column, justify="right")
    for item in tried:
        table.add_row(str(item.time_cost), str(item.memory_kib), str(item.parallelism), f"{item.median_ms:.1f}",
                      f"{item.per_second:.1f}")
    console.print(table)
    chosen = tried[-1]
    if chosen.median_ms < target_ms:
        console.print(f"[yellow]Even time cost {chosen.time_cost} stays under {target_ms:g} ms: raise "
                      "--memory-kib.[/yellow]")
    if memory_kib < OWASP_MEMORY_KIB:
        console.print(f"[yellow]{memory_kib} KiB is below OWASP's minimum ({OWASP_MEMORY_KIB} KiB).[/yellow]")
    if chosen.median_ms > 300:
        console.print("[yellow]Over 300 ms a hash: sign-in will feel slow and cost a core each.[/yellow]")
    console.print(f"BASTION_ARGON2_TIME_COST={chosen.time_cost}\nBASTION_ARGON2_MEMORY_KIB={chosen.memory_kib}\n"
                  f"BASTION_ARGON2_PARALLELISM={chosen.parallelism}", highlight=False)


def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve with demo accounts and the dev mailbox, on the embedded SQLite database."""
    import uvicorn

    from bastion.demo import DEMO_TOTP_KEYS, seed_demo_accounts
    from bastion.web.app import create_app

    os.environ.setdefault("BASTION_PUBLIC_URL", f"http://{host}:{port}")
    settings = settings_or_exit()
    if not settings.is_dev:
        console.print("[red]`bastion demo` runs in dev only.[/red]")
        raise typer.Exit(2)
    configure_logging("WARNING")
    services = services_or_exit()
    services.db.upgrade()
    accounts = seed_demo_accounts(services)
    base = settings.public_url
    table = Table(title="Bastion demo", show_lines=False)
    table.add_column("what")
    table.add_column("where / how")
    table.add_row("sign in", f"{base}/login")
    table.add_row("sign up", f"{base}/signup")
    table.add_row("dev mailbox", f"{base}/dev/mailbox")
    table.add_row("API reference", f"{base}/docs")
    for email, password, role in accounts:
        table.add_row(f"{role} account", f"{email}  /  {password}")
    console.print(table)
    for email, _, role in accounts:
        if role in {"support", "admin"}:  # staff sign in with 2FA; Bob lost his phone
            key = DEMO_TOTP_KEYS[email]
            console.print(f"{email} authenticator key: {key} (codes: oathtool --totp -b {key})", soft_wrap=True)
    console.print("bob@example.com lost his phone: his 2FA reset waits in the support queue.", soft_wrap=True)
    console.print(f"Data in {settings.data_dir.resolve()}. Stop with Ctrl+C.")
    uvicorn.run(create_app(services), host=host, port=port, log_level="warning", **uvicorn_options(settings))


def worker(
    once: Annotated[bool, typer.Option(help="Run one pass (due cases, outbox, tidying) and exit.")] = False,
) -> None:
    """Background work when not done inside `serve`: email outbox, recovery cases coming due, purges.

    Any number of workers may run next to the serving nodes; each piece of work is done once."""
    from bastion.oidc.logout import BackchannelWorker, deliver_logout_tokens
    from bastion.worker import Worker, run_pass

    settings = settings_or_exit()
    configure_logging(settings.log_level)
    services = services_or_exit()
    if once:
        run_pass(services, tidy=True)
        deliver_logout_tokens(services)
        return
    background, backchannel = Worker(services), BackchannelWorker(services)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    background.start()
    backchannel.start()
    console.print("Working (mail, recovery cases, tidying, apps' back-channel logouts); Ctrl+C to stop.")
    stop.wait()
    background.stop()
    backchannel.stop()
