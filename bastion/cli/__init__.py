"""The `bastion` command: one module per command group, gathered here under one Typer app."""

from __future__ import annotations

import typer

from bastion.cli.audit import audit_app
from bastion.cli.db import db_app
from bastion.cli.keys import keys_app
from bastion.cli.maintenance import maintenance_app
from bastion.cli.oidc import oidc_app
from bastion.cli.server import calibrate, demo, serve, serve_options, worker
from bastion.cli.service_keys import key_app
from bastion.cli.users import user_app

__all__ = ["app", "serve_options"]

app = typer.Typer(help="Bastion: sign-in security for digital-asset platforms.", no_args_is_help=True)
for command in (serve, calibrate, demo, worker):
    app.command()(command)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(key_app, name="service-key")
app.add_typer(maintenance_app, name="maintenance")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(oidc_app, name="oidc")
