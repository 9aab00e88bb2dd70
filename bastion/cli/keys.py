"""`bastion keys …`: the key ring that encrypts secrets at rest."""

from __future__ import annotations

from typing import Annotated

import typer

from bastion.cli.common import console, services_or_exit

keys_app = typer.Typer(help="The key ring that encrypts secrets at rest.", no_args_is_help=True)


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

    services = services_or_exit()
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
