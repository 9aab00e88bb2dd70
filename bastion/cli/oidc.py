"""`bastion oidc …`: the OpenID provider's app registry and signing keys, from the command line."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from bastion.cli.common import console, refusals_exit, services_or_exit

oidc_app = typer.Typer(help="The OpenID provider: the apps that sign in through Bastion, its signing keys.",
                       no_args_is_help=True)
client_app = typer.Typer(help="Apps (OpenID clients).", no_args_is_help=True)
signing_app = typer.Typer(help="Keys that sign ID and logout tokens.", no_args_is_help=True)
oidc_app.add_typer(client_app, name="client")
oidc_app.add_typer(signing_app, name="keys")


def _print(data: dict[str, object], as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps(data))
        return
    for key, value in data.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        console.print(f"{key}: {'-' if shown in (None, '') else shown}", soft_wrap=True)


@client_app.command("create")
def client_create(
    name: str,
    redirect_uri: Annotated[list[str], typer.Option("--redirect-uri", help="Exact redirect address (repeatable).")],
    public: Annotated[bool, typer.Option("--public", help="A mobile or browser app: no secret, PKCE.")] = False,
    post_logout_redirect_uri: Annotated[list[str] | None, typer.Option("--post-logout-redirect-uri")] = None,
    backchannel_logout_uri: Annotated[str | None, typer.Option("--backchannel-logout-uri")] = None,
    first_party: Annotated[bool, typer.Option("--first-party", help="The platform's own app: no consent page.")] = False,
    offline: Annotated[bool, typer.Option("--offline-access", help="May ask for offline_access.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Register an app; a confidential app's secret is printed once."""
    from bastion.oidc.clients import NewClient, client_view, create_client

    with refusals_exit():
        row, secret = create_client(services_or_exit(), NewClient(
            name=name, redirect_uris=tuple(redirect_uri), public=public, first_party=first_party,
            allow_offline=offline, post_logout_redirect_uris=tuple(post_logout_redirect_uri or ()),
            backchannel_logout_uri=backchannel_logout_uri))
    data = {**client_view(row), "client_secret": secret}
    _print(data, as_json)
    if secret and not as_json:
        console.print("Store the client secret now: it is not shown again.")


@client_app.command("list")
def client_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The registered apps (never a secret)."""
    from bastion.oidc.clients import client_view, list_clients

    views = [client_view(row) for row in list_clients(services_or_exit())]
    if as_json:
        console.print_json(json.dumps(views))
        return
    table = Table("client id", "name", "type", "first-party", "redirect addresses")
    for view in views:
        table.add_row(str(view["client_id"]), str(view["name"]), str(view["type"]),
                      "yes" if view["first_party"] else "no", "\n".join(view["redirect_uris"]))
    console.print(table)


@client_app.command("show")
def client_show(client_id: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    from bastion.oidc.clients import client_view, get_client

    with refusals_exit():
        _print(client_view(get_client(services_or_exit(), client_id)), as_json)


@client_app.command("rotate-secret")
def client_rotate_secret(client_id: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """A new secret for a confidential app; the old one stops working at once."""
    from bastion.oidc.clients import rotate_client_secret

    with refusals_exit():
        secret = rotate_client_secret(services_or_exit(), client_id)
    _print({"client_id": client_id, "client_secret": secret}, as_json)


@client_app.command("delete")
def client_delete(client_id: str) -> None:
    """Delete an app with its grants, tokens and consents."""
    from bastion.oidc.clients import delete_client

    if not delete_client(services_or_exit(), client_id):
        console.print("No app with that client id.")
        raise typer.Exit(1)
    console.print("Deleted.")


@signing_app.command("rotate")
def keys_rotate() -> None:
    """New RS256 and ES256 signing keys; the old ones stay published until what they signed has expired."""
    from bastion.oidc.keys import ensure_signing_keys, rotate_signing_keys

    services = services_or_exit()
    ensure_signing_keys(services)
    for kid in rotate_signing_keys(services):
        console.print(f"New signing key {kid}")


@signing_app.command("list")
def keys_list() -> None:
    from bastion.clock import rfc3339
    from bastion.oidc.keys import list_signing_keys

    table = Table("kid", "alg", "created", "retired", "published until")
    for row in list_signing_keys(services_or_exit()):
        table.add_row(row.kid, row.alg, rfc3339(row.created_at), rfc3339(row.retired_at) or "signing",
                      rfc3339(row.unpublish_at) or "-")
    console.print(table)
