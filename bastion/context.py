"""What Bastion knows about the client making a request (never trusted for authentication)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Client:
    ip: str | None = None
    user_agent: str | None = None
    device_id: str | None = None
    platform: str | None = None
    version: str | None = None
