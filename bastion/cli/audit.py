"""`bastion audit …`: the tamper-evident audit log of security events."""

from __future__ import annotations

from typing import Annotated

import typer

from bastion.cli.common import console, services_or_exit

audit_app = typer.Typer(help="The tamper-evident audit log of security events.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(
    seal: Annotated[bool, typer.Option(help="Seal events written since the last pass first.")] = True,
) -> None:
    """Check the audit chain; name every event changed, removed or moved since it was sealed (exit 1)."""
    from bastion.audit.chain import seal_pending
    from bastion.audit.verify import verify_chain

    services = services_or_exit()
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
