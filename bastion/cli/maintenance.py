"""`bastion maintenance …`: windows during which sign-in and sign-up answer 503."""

from __future__ import annotations

from typing import Annotated

import typer

from bastion.cli.common import console, parse_moment, refusals_exit, services_or_exit

maintenance_app = typer.Typer(help="Maintenance windows: sign-in and sign-up answer 503 meanwhile.",
                              no_args_is_help=True)


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

    _print_window(start_maintenance(services_or_exit(), timedelta(minutes=minutes), message or DEFAULT_MESSAGE,
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

    with refusals_exit():
        window = schedule_window(services_or_exit(), parse_moment(start), parse_moment(end), message or DEFAULT_MESSAGE, block_sessions)
    _print_window(window)


@maintenance_app.command("stop")
def maintenance_stop() -> None:
    """End the maintenance window in progress now."""
    from bastion.ops.maintenance import stop_maintenance

    console.print(f"Ended {stop_maintenance(services_or_exit())} window(s).")


@maintenance_app.command("list")
def maintenance_list() -> None:
    """The window in progress and those to come."""
    from bastion.ops.maintenance import upcoming_windows

    windows = upcoming_windows(services_or_exit())
    for window in windows:
        _print_window(window)
    if not windows:
        console.print("No maintenance window in progress or scheduled.")
