"""`bastion user …`: create and show accounts, suspend, ban, reinstate, clear an allowlist, unlock."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from bastion.cli.common import console, parse_moment, refusals_exit, services_or_exit

user_app = typer.Typer(help="Accounts.", no_args_is_help=True)


@user_app.command("create")
def user_create(
    email: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    role: Annotated[list[str] | None, typer.Option(help="support or admin; repeatable.")] = None,
    verified: Annotated[bool, typer.Option(help="Mark the email as confirmed.")] = True,
) -> None:
    """Create an account (the password policy applies)."""
    from bastion.accounts.admin import create_account

    services = services_or_exit()
    with refusals_exit():
        account_id = create_account(services, email, password, roles=role or [], verified=verified)
    console.print(f"Created {email} ({account_id}).")
    if role:
        console.print("Emailed the staff enrolment link: its first second factor needs it.")


@user_app.command("enrolment-link")
def user_enrolment_link(email: str) -> None:
    """Email a staff account without a second factor a new link to set one up (older links stop working)."""
    import getpass

    from bastion.mfa.flows.staff_enrolment import resend_enrolment_link

    services = services_or_exit()
    account_id = _account_id_for(services, email)
    with refusals_exit():
        sent_to = resend_enrolment_link(services, account_id, by="operator", operator=getpass.getuser()[:64])
    console.print(f"Emailed a new enrolment link to {sent_to}.")


@user_app.command("show")
def user_show(email: str) -> None:
    """Show an account: status, roles, sessions and recent sign-ins (never a secret)."""
    services = services_or_exit()
    info = _describe(services, email)
    if info is None:
        console.print(f"No account with {email}.")
        raise typer.Exit(1)
    table = Table(show_header=False)
    for key, value in info.items():
        table.add_row(key, str(value))
    console.print(table)


def _describe(services, email: str) -> dict[str, Any] | None:  # type: ignore[no-untyped-def]
    """What `show` prints: the account, its live sessions and its last sign-in attempt."""
    from bastion.accounts.repo import find_account_by_email
    from bastion.clock import rfc3339
    from bastion.sessions.repo import count_live_sessions
    from bastion.signin.attempts import latest_attempt

    now = services.clock.now()
    with services.db.transaction() as tx:
        account = find_account_by_email(tx, email)
        if account is None:
            return None
        live_sessions = count_live_sessions(tx, account.id, now)
        last = latest_attempt(tx, account.id)
        return {
            "id": account.id,
            "email": account.email,
            "status": account.status,
            "roles": account.roles or "-",
            "email confirmed": rfc3339(account.email_verified_at) or "no",
            "created": rfc3339(account.created_at),
            "sessions (not expired)": live_sessions,
            "last sign-in attempt": f"{rfc3339(last.created_at)} {last.outcome} {last.code or ''}" if last else "-",
        }


def _account_id_for(services, email: str) -> str:  # type: ignore[no-untyped-def]
    from bastion.accounts.repo import find_account_by_email

    with services.db.transaction() as tx:
        account = find_account_by_email(tx, email)
    if account is None:
        console.print(f"No account with {email}.")
        raise typer.Exit(1)
    return account.id


def _restrict(email: str, status: str, reason: str, until: str | None) -> None:
    from bastion.accounts.status import restrict_account
    from bastion.context import Client

    services = services_or_exit()
    with refusals_exit():
        restrict_account(services, _account_id_for(services, email), status, reason, parse_moment(until), None, Client())
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

    services = services_or_exit()
    with refusals_exit():
        reinstate_account(services, _account_id_for(services, email), None, Client(), reason)
    console.print(f"{email} is active again.")


@user_app.command("clear-allowlist")
def user_clear_allowlist(email: str, reason: Annotated[str, typer.Option(help="Kept in the audit log.")]) -> None:
    """Clear the IP allowlist of an owner who lost every network on it (check their identity first).

    The owner is emailed with a "this wasn't me" link and withdrawals are held."""
    import getpass

    from bastion.context import Client
    from bastion.recovery.allowlist_reset import clear_allowlist_by_staff

    services = services_or_exit()
    with refusals_exit():
        removed = clear_allowlist_by_staff(services, _account_id_for(services, email), None, reason, Client(),
                                           via="cli", operator=getpass.getuser()[:64])
    console.print(f"The IP allowlist of {email} is cleared (it listed {', '.join(removed)}); the owner is emailed.")


@user_app.command("unlock")
def user_unlock(email: str) -> None:
    """Lift the wrong-password pause on an email and its devices (not the 100-failure switch-off)."""
    from bastion.accounts.repo import normalize_email
    from bastion.guard.passwords import lift_pause

    services = services_or_exit()
    if not lift_pause(services, normalize_email(email)):
        console.print("Password sign-in is switched off after too many failures; the owner must reset the password.")
        raise typer.Exit(1)
    console.print(f"Sign-in for {email} is no longer paused.")
