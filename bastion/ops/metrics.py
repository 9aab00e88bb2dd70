"""Prometheus metrics. Counters are moved where the event is decided, in one line each.

With several worker processes set PROMETHEUS_MULTIPROC_DIR (prometheus-client's
multiprocess mode) so a scrape sees all of them.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

SIGN_IN_ATTEMPTS = Counter("bastion_sign_in_attempts", "Sign-in steps by method, outcome and reason code",
                           ["method", "outcome", "code"])
LOCKOUTS = Counter("bastion_lockouts", "Holds placed by the throttle", ["scope"])
EMAILS = Counter("bastion_emails", "Outbox mail by event (queued, sent, failed)", ["event"])
REQUEST_SECONDS = Histogram("bastion_request_seconds", "Request latency by route and status class",
                            ["method", "route", "status"],
                            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_request_series: dict[tuple[str, str, int], Any] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """One request's latency, by route template (never the raw path: it may hold ids or tokens).
    Each series is looked up once: `labels()` costs more than the observation."""
    key = (method, route, status // 100)
    series = _request_series.get(key)
    if series is None:
        known = method if method in _METHODS else "other"  # any token is a method: keep the series few
        series = _request_series.setdefault(key, REQUEST_SECONDS.labels(known, route, f"{status // 100}xx"))
    series.observe(seconds)

# Password hashing admission (bastion/throttle/admission.py), per process: set on every change.
ADMISSION_QUEUED = Gauge("bastion_admission_queued", "Password hashes admitted and waiting to start",
                         multiprocess_mode="livesum")
ADMISSION_RUNNING = Gauge("bastion_admission_running", "Password hashes running", multiprocess_mode="livesum")
ADMISSION_EXPECTED_WAIT = Gauge("bastion_admission_expected_wait_seconds",
                                "Wait a sign-in from an unrecognised device can expect before its hash starts",
                                multiprocess_mode="livemax")
ADMISSION_HASH_SECONDS = Gauge("bastion_admission_hash_seconds", "Measured time of one password hash (EWMA)",
                               multiprocess_mode="livemax")
ADMISSION_REFUSED = Counter("bastion_admission_refused", "Password work refused by the admission queue, by reason",
                            ["reason"])


def publish_admission(queued: int, running: int, expected_wait: float, hash_seconds: float) -> None:
    ADMISSION_QUEUED.set(queued)
    ADMISSION_RUNNING.set(running)
    ADMISSION_EXPECTED_WAIT.set(expected_wait)
    ADMISSION_HASH_SECONDS.set(hash_seconds)


def render_metrics() -> tuple[bytes, str]:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
