"""What every command shares: the console, the settings and services (or exit 2), refusals as exit 1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, overload

import typer
from rich.console import Console

from bastion.config import ConfigError, Settings, load_settings
from bastion.errors import BastionError

if TYPE_CHECKING:
    from bastion.services import Services

console = Console()


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as error:
        console.print(f"[red]Configuration refused:[/red] {error}")
        raise typer.Exit(2) from error


@contextmanager
def refusals_exit() -> Iterator[None]:
    """A refusal from the domain: its title and message on the console, exit status 1."""
    try:
        yield
    except BastionError as error:
        console.print(f"[red]{error.reason.title}:[/red] {error.detail or error.reason.message}")
        raise typer.Exit(1) from error


def services_or_exit() -> Services:
    # Imported here: `bastion keys generate` and `--help` need none of the application.
    from bastion.startup import start_services

    try:
        return start_services(settings_or_exit())
    except ConfigError as error:
        console.print(f"[red]Configuration refused:[/red] {error}")
        raise typer.Exit(2) from error


@overload
def parse_moment(value: str) -> datetime: ...
@overload
def parse_moment(value: None) -> None: ...
@overload
def parse_moment(value: str | None) -> datetime | None: ...


def parse_moment(value: str | None) -> datetime | None:
    """An ISO 8601 time with its zone from an option (exit 2 otherwise); None stays None."""
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
