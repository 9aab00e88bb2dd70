"""One request's part in a sign-in: who sent it, and the service's gates as they stood when it came.

Read once per request, outside any transaction (both may read the database): a client below the
minimum app version is refused here (`client.outdated`, requirements §32), before anything else;
the maintenance window is judged by the service gate stage once the account is known
(requirements §31: staff may still sign in).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row

from bastion.context import Client
from bastion.ops.client_versions import check_client_version
from bastion.ops.maintenance import current_window
from bastion.ops.maintenance_window import Window
from bastion.services import Services


@dataclass(frozen=True, slots=True)
class Visit:
    client: Client
    window: Window | None  # the maintenance window in progress, if any
    update_available: dict[str, str] | None  # below the recommended app version
    # What the stages read with the account's lock (`ReadingStage`), when the sign-in read it so.
    looked_up: Row[Any] | None = None


def arrive(services: Services, client: Client) -> Visit:
    update = check_client_version(services, client)
    return Visit(client, current_window(services), update)
