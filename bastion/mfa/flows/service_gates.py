"""The service-wide sign-in gates (REQUIREMENTS 31, 32) for the steps that do not begin with the
password: the second step and passwordless passkeys. Outdated apps are refused (`client.outdated`)
before anything else; during a maintenance window only staff accounts finish signing in."""

from __future__ import annotations

from dataclasses import dataclass

from bastion.context import Client
from bastion.ops.client_versions import check_client_version
from bastion.ops.maintenance import Window, current_window, maintenance_refusal
from bastion.services import Services


@dataclass(frozen=True, slots=True)
class ServiceGates:
    window: Window | None
    update_available: dict[str, str] | None

    def admit(self, services: Services, staff: bool) -> None:
        if self.window is not None and not staff:
            raise maintenance_refusal(self.window, services.clock.now())


def service_gates(services: Services, client: Client) -> ServiceGates:
    """Read outside any transaction (both may read the database themselves)."""
    update = check_client_version(services, client)
    return ServiceGates(current_window(services), update)
