"""How uvicorn serves Bastion: one set of options for `bastion serve`, `bastion demo` and the benchmarks.

uvicorn's own default believes `X-Forwarded-For` from loopback (`proxy_headers=True`,
`forwarded_allow_ips=127.0.0.1`), so anything on the same host could pick the address its
requests are counted against. Bastion reads forwarded addresses itself, from the proxies
BASTION_TRUSTED_PROXIES names (`bastion.web.client.client_ip`), and from no one else. A request's
head is bounded (`bastion.ops.http_heads`).
"""

from __future__ import annotations

from typing import Any

from bastion.config import Settings
from bastion.ops.http_heads import BoundedHeads


def uvicorn_options(settings: Settings, workers: int = 1) -> dict[str, Any]:
    # No WebSocket route exists: an upgrade handed to uvicorn's WebSocket protocol left this
    # protocol's per-address count behind (256 refused upgrades shut their address out for good).
    return dict(workers=workers, log_config=None, proxy_headers=False, timeout_graceful_shutdown=20,
                access_log=settings.access_log, http=BoundedHeads, ws="none")
