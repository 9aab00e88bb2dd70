"""The `bastion` command: serve, calibrate, demo, db, worker, user, service-key."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bastion.config import ConfigError, Settings, load_settings
from bastion.logs import configure_logging

if TYPE_CHECKING:
    from bastion.services import Services

app = typer.Typer(help="Bastion: sign-in security for digital-asset platforms.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Accounts.", no_args_is_help=True)
key_app = typer.Typer(help="Service keys for the platform's own services.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(key_app, name="service-key")
maintenance_app = typer.Typer(help="Maintenance windows: sign-in and sign-up answer 503 meanwhile.",
                              no_args_is_help=True)
app.add_typer(maintenance_app, name="maintenance")
keys_app = typer.Typer(help="The key ring that encrypts secrets at rest.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
audit_app = typer.Typer(help="The tamper-evident audit log of security events.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
console = Console()


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as error:
        console.print(f"[red]Configuration refused:[/red] {error}")
        raise typer.Exit(2) from error


@contextmanager
def _refusals_exit() -> Iterator[None]:
    """A refusal from the domain: its title and message on the console, exit status 1."""
    from bastion.errors import BastionError

    try:
        yield
    except BastionError as error:
        console.print(f"[red]{error.reason.title}:[/red] {error.detail or error.reason.message}")
        raise typer.Exit(1) from error


def _services() -> Services:
    from bastion.services import build_services

    try:
        return build_services(_settings())
    except ConfigError as error:
        console.print(f"[red]Configuration refused:[/red] {error}")
        raise typer.Exit(2) from error


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the newest version."""
    services = _services()
    services.db.upgrade()
    console.print(f"Schema up to date on {services.db.dialect}.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the API and pages (the schema is upgraded first)."""
    import uvicorn

    options = serve_options(workers)
    _services().db.upgrade()
    uvicorn.run("bastion.web.app:create_app_from_env", factory=True, host=host, port=port, **options)


def usable_cores() -> int:
    """Cores this process may run on (taskset and cgroup pinning included), not all the machine's."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:
        return os.cpu_count() or 1


def serve_options(workers: int) -> dict[str, Any]:
    """uvicorn's options and the environment of `bastion serve` (the benchmarks serve the same way)."""
    settings = _settings()
    configure_logging(settings.log_level)
    if settings.hash_concurrency == 0:
        # Share the cores between the worker processes rather than give each all of them.
        os.environ["BASTION_HASH_CONCURRENCY"] = str(max(1, usable_cores() // workers))
    return dict(workers=workers, log_config=None, proxy_headers=False, timeout_graceful_shutdown=20,
                access_log=settings.access_log)


@app.command()
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


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve with demo accounts and the dev mailbox, on the embedded SQLite database."""
    import uvicorn

    from bastion.demo import DEMO_TOTP_KEYS, seed_demo_accounts
    from bastion.web.app import create_app

    os.environ.setdefault("BASTION_PUBLIC_URL", f"http://{host}:{port}")
    settings = _settings()
    if not settings.is_dev:
        console.print("[red]`bastion demo` runs in dev only.[/red]")
        raise typer.Exit(2)
    configure_logging("WARNING")
    services = _services()
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
    uvicorn.run(create_app(services), host=host, port=port, log_config=None, log_level="warning")


@app.command()
def worker(
    once: Annotated[bool, typer.Option(help="Run one pass (due cases, outbox, tidying) and exit.")] = False,
) -> None:
    """Background work when not done inside `serve`: email outbox, recovery cases coming due, purges.

    Any number of workers may run next to the serving nodes; each piece of work is done once."""
    from bastion.notify.delivery import OutboxWorker, run_pass, transport_for

    settings = _settings()
    configure_logging(settings.log_level)
    services = _services()
    if once:
        run_pass(services, transport_for(services), sweep=True)
        return
    outbox = OutboxWorker(services)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    outbox.start()
    console.print("Working (mail, recovery cases, tidying); Ctrl+C to stop.")
    stop.wait()
    outbox.stop()


@user_app.command("create")
def user_create(
    email: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    role: Annotated[list[str] | None, typer.Option(help="support or admin; repeatable.")] = None,
    verified: Annotated[bool, typer.Option(help="Mark the email as confirmed.")] = True,
) -> None:
    """Create an account (the password policy applies)."""
    from bastion.accounts.admin import create_account

    services = _services()
    with _refusals_exit():
        account_id = create_account(services, email, password, roles=role or [], verified=verified)
    console.print(f"Created {email} ({account_id}).")


@user_app.command("show")
def user_show(email: str) -> None:
    """Show an account: status, roles, sessions and recent sign-ins (never a secret)."""
    from bastion.accounts.admin import describe_account

    services = _services()
    info = describe_account(services, email)
    if info is None:
        console.print(f"No account with {email}.")
        raise typer.Exit(1)
    table = Table(show_header=False)
    for key, value in info.items():
        table.add_row(key, str(value))
    console.print(table)


def _account_id_for(services, email: str) -> str:  # type: ignore[no-untyped-def]
    from bastion.accounts.repo import find_account_by_email

    with services.db.transaction() as tx:
        account = find_account_by_email(tx, email)
    if account is None:
        console.print(f"No account with {email}.")
        raise typer.Exit(1)
    return account.id


def _until(value: str | None):  # type: ignore[no-untyped-def]
    from datetime import datetime

    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        console.print("--until must be an ISO 8601 time such as 2026-12-01T12:00:00Z.")
        raise typer.Exit(2) from error
    if moment.tzinfo is None:
        console.print("--until needs a time zone, e.g. a trailing Z for UTC.")
        raise typer.Exit(2)
    return moment


def _restrict(email: str, status: str, reason: str, until: str | None) -> None:
    from bastion.accounts.status import restrict_account
    from bastion.context import Client

    services = _services()
    with _refusals_exit():
        restrict_account(services, _account_id_for(services, email), status, reason, _until(until), None, Client())
    console.print(f"{email} is {status}; every session was ended.")


@user_app.command("suspend")
def user_suspend(email: str, reason: Annotated[str, typer.Option(help="Shown to the person at sign-in.")],
                 until: Annotated[str | None, typer.Option(help="ISO 8601 end; none: until reinstated.")] = None) -> None:
    """Suspend an account (admin)."""
    _restrict(email, "suspended", reason, until)


@user_app.command("ban")
def user_ban(email: str, reason: Annotated[str, typer.Option()],
             until: Annotated[str, typer.Option(help="ISO 8601 end of the ban, e.g. 2026-12-01T00:00:00Z.")]) -> None:
    """Ban an account temporarily (admin)."""
    _restrict(email, "banned", reason, until)


@user_app.command("reinstate")
def user_reinstate(email: str, reason: Annotated[str, typer.Option()]) -> None:
    """Lift a suspension or a ban (a freeze is lifted only by an approved unfreeze request)."""
    from bastion.accounts.status import reinstate_account
    from bastion.context import Client

    services = _services()
    with _refusals_exit():
        reinstate_account(services, _account_id_for(services, email), None, Client(), reason)
    console.print(f"{email} is active again.")


@user_app.command("clear-allowlist")
def user_clear_allowlist(email: str, reason: Annotated[str, typer.Option(help="Kept in the audit log.")]) -> None:
    """Clear the IP allowlist of an owner who lost every network on it (check their identity first).

    The owner is emailed with a "this wasn't me" link and withdrawals are held."""
    import getpass

    from bastion.accounts.allowlist_reset import clear_allowlist_by_staff
    from bastion.context import Client

    services = _services()
    with _refusals_exit():
        removed = clear_allowlist_by_staff(services, _account_id_for(services, email), None, reason, Client(),
                                           via="cli", operator=getpass.getuser()[:64])
    console.print(f"The IP allowlist of {email} is cleared (it listed {', '.join(removed)}); the owner is emailed.")


@user_app.command("unlock")
def user_unlock(email: str) -> None:
    """Lift the wrong-password pause on an email and its devices (not the 100-failure switch-off)."""
    from bastion.accounts.repo import normalize_email
    from bastion.guard.passwords import lift_pause

    services = _services()
    if not lift_pause(services, normalize_email(email)):
        console.print("Password sign-in is switched off after too many failures; the owner must reset the password.")
        raise typer.Exit(1)
    console.print(f"Sign-in for {email} is no longer paused.")


def _print_window(window) -> None:  # type: ignore[no-untyped-def]
    from bastion.clock import rfc3339

    sessions = "sessions refused too" if window.block_sessions else "sessions keep working"
    console.print(f"{window.id}  {rfc3339(window.starts_at)} → {rfc3339(window.ends_at)}  ({sessions})  {window.message}")


@maintenance_app.command("start")
def maintenance_start(
    minutes: Annotated[int, typer.Option(min=1, help="How long from now.")] = 30,
    message: Annotated[str, typer.Option(help="Shown to people who try to sign in.")] = "",
    block_sessions: Annotated[bool, typer.Option(help="Refuse signed-in sessions too.")] = False,
) -> None:
    """Start a maintenance window now."""
    from datetime import timedelta

    from bastion.ops.maintenance import DEFAULT_MESSAGE, start_maintenance

    _print_window(start_maintenance(_services(), timedelta(minutes=minutes), message or DEFAULT_MESSAGE,
                                    block_sessions))


@maintenance_app.command("schedule")
def maintenance_schedule(
    start: Annotated[str, typer.Option(help="ISO 8601 start, e.g. 2026-12-01T02:00:00Z.")],
    end: Annotated[str, typer.Option(help="ISO 8601 end.")],
    message: Annotated[str, typer.Option()] = "",
    block_sessions: Annotated[bool, typer.Option()] = False,
) -> None:
    """Schedule a maintenance window (shown on the status page until it ends)."""
    from bastion.ops.maintenance import DEFAULT_MESSAGE, schedule_window

    with _refusals_exit():
        window = schedule_window(_services(), _until(start), _until(end), message or DEFAULT_MESSAGE, block_sessions)
    _print_window(window)


@maintenance_app.command("stop")
def maintenance_stop() -> None:
    """End the maintenance window in progress now."""
    from bastion.ops.maintenance import stop_maintenance

    console.print(f"Ended {stop_maintenance(_services())} window(s).")


@maintenance_app.command("list")
def maintenance_list() -> None:
    """The window in progress and those to come."""
    from bastion.ops.maintenance import upcoming_windows

    windows = upcoming_windows(_services())
    for window in windows:
        _print_window(window)
    if not windows:
        console.print("No maintenance window in progress or scheduled.")


@key_app.command("create")
def key_create(name: str) -> None:
    """Create a service key; it is shown once."""
    from bastion.sessions.service_keys import create_service_key

    secret, view = create_service_key(_services(), name)
    console.print(f"Service key {view.name} ({view.id}):\n{secret}\nStore it now: it is not shown again.")


@key_app.command("list")
def key_list() -> None:
    """List service keys (never their secrets)."""
    from bastion.clock import rfc3339
    from bastion.sessions.service_keys import list_service_keys

    table = Table("id", "name", "prefix", "created", "last used", "revoked")
    for view in list_service_keys(_services()):
        table.add_row(view.id, view.name, view.prefix + "…", rfc3339(view.created_at),
                      rfc3339(view.last_used_at) or "-", rfc3339(view.revoked_at) or "-")
    console.print(table)


@key_app.command("revoke")
def key_revoke(key_id: str) -> None:
    """Revoke a service key at once."""
    from bastion.sessions.service_keys import revoke_service_key

    if not revoke_service_key(_services(), key_id):
        console.print("No active key with that id.")
        raise typer.Exit(1)
    console.print("Revoked.")



@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new random key (32 bytes, base64url) for BASTION_SECRET_KEYS."""
    from bastion.crypto import generate_key

    typer.echo(generate_key())


@keys_app.command("rotate")
def keys_rotate(batch: Annotated[int, typer.Option(min=1, help="Rows per transaction.")] = 500) -> None:
    """Re-encrypt every protected value under the first key of BASTION_SECRET_KEYS.

    Safe while Bastion serves and resumable: run it again after an interruption. Put the new
    key first in BASTION_SECRET_KEYS (keeping the old ones) everywhere, run this, then remove
    the old key.
    """
    from bastion.crypto.rotation import remaining, rotate_keys
    from bastion.protected import protected_values

    services = _services()
    console.print(f"Re-encrypting under key {services.keys.current_id} …")
    for progress in rotate_keys(services.db, services.keys, protected_values(), batch=batch):
        console.print(f"  {progress.label}: {progress.rotated} re-encrypted"
                      + (f", {progress.skipped} changed meanwhile (already current)" if progress.skipped else ""))
    from bastion.audit.chain import remac_under_current_key

    console.print(f"  audit seals: {remac_under_current_key(services)} re-signed")
    left = {label: count for label, count in remaining(services.db, services.keys, protected_values()).items() if count}
    if left:
        console.print(f"[yellow]Still under older keys:[/yellow] {left}. Run the command again.")
        raise typer.Exit(1)
    console.print("Everything is under the newest key; older keys can now be removed from BASTION_SECRET_KEYS.")


@audit_app.command("verify")
def audit_verify(
    seal: Annotated[bool, typer.Option(help="Seal events written since the last pass first.")] = True,
) -> None:
    """Check the audit chain; name every event changed, removed or moved since it was sealed (exit 1)."""
    from bastion.audit.chain import seal_pending
    from bastion.audit.verify import verify_chain

    services = _services()
    if seal:
        seal_pending(services)
    report = verify_chain(services)
    for finding in report.findings:
        console.print(f"[red]{finding.kind}:[/red] {finding.detail}", soft_wrap=True)
    console.print(f"Checked {report.checked} sealed events; {report.unsealed} not yet sealed. "
                  f"Head: position {report.head_seq}, hash {report.head_hash}.", soft_wrap=True)
    if not report.intact:
        console.print(f"[red]The audit log was tampered with: {len(report.findings)} finding(s).[/red]")
        raise typer.Exit(1)
    console.print("The audit chain is intact.")


from bastion.cli_oidc import oidc_app  # the provider's commands live in their own module

app.add_typer(oidc_app, name="oidc")

if __name__ == "__main__":
    app()
