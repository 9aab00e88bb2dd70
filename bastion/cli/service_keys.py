"""`bastion service-key …`: keys for the platform's own services."""

from __future__ import annotations

import typer
from rich.table import Table

from bastion.cli.common import console, services_or_exit

key_app = typer.Typer(help="Service keys for the platform's own services.", no_args_is_help=True)


@key_app.command("create")
def key_create(name: str) -> None:
    """Create a service key; it is shown once."""
    from bastion.sessions.service_keys import create_service_key

    secret, view = create_service_key(services_or_exit(), name)
    console.print(f"Service key {view.name} ({view.id}):\n{secret}\nStore it now: it is not shown again.")


@key_app.command("list")
def key_list() -> None:
    """List service keys (never their secrets)."""
    from bastion.clock import rfc3339
    from bastion.sessions.service_keys import list_service_keys

    table = Table("id", "name", "prefix", "created", "last used", "revoked")
    for view in list_service_keys(services_or_exit()):
        table.add_row(view.id, view.name, view.prefix + "…", rfc3339(view.created_at),
                      rfc3339(view.last_used_at) or "-", rfc3339(view.revoked_at) or "-")
    console.print(table)


@key_app.command("revoke")
def key_revoke(key_id: str) -> None:
    """Revoke a service key at once."""
    from bastion.sessions.service_keys import revoke_service_key

    if not revoke_service_key(services_or_exit(), key_id):
        console.print("No active key with that id.")
        raise typer.Exit(1)
    console.print("Revoked.")
