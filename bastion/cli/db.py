"""`bastion db …`: the database schema."""

from __future__ import annotations

import typer

from bastion.cli.common import console, services_or_exit

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the newest version."""
    services = services_or_exit()
    services.db.upgrade()
    console.print(f"Schema up to date on {services.db.dialect}.")
