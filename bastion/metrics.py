"""Prometheus metrics. Counters are moved where the event is decided, in one line each.

With several worker processes set PROMETHEUS_MULTIPROC_DIR (prometheus-client's
multiprocess mode) so a scrape sees all of them. Scrapers read them on their own listener
(BASTION_METRICS_LISTEN) or from the app's /metrics with BASTION_METRICS_TOKEN (bastion.web.ops).
"""

from __future__ import annotations

import os
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)

from bastion.config import ConfigError, Settings

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
# A hash's CPU beside its wall time: wall well above CPU means hashes wait for the cores (too few,
# or shared); CPU above the start-up measurement means other work on the core slows the hash itself.
PASSWORD_HASHES = Counter("bastion_password_hashes", "Password hashes computed (verifications and new hashes)")
PASSWORD_HASH_CPU = Counter("bastion_password_hash_cpu_seconds", "CPU time of the threads computing password hashes")
ADMISSION_REFUSED = Counter("bastion_admission_refused", "Password work refused by the admission queue, by reason",
                            ["reason"])


def publish_admission(queued: int, running: int, expected_wait: float, hash_seconds: float) -> None:
    ADMISSION_QUEUED.set(queued)
    ADMISSION_RUNNING.set(running)
    ADMISSION_EXPECTED_WAIT.set(expected_wait)
    ADMISSION_HASH_SECONDS.set(hash_seconds)


def count_hash(cpu_seconds: float) -> None:
    PASSWORD_HASHES.inc()
    PASSWORD_HASH_CPU.inc(cpu_seconds)


def metrics_registry() -> Any:
    """Every worker's metrics with PROMETHEUS_MULTIPROC_DIR set, else this process's."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def render_metrics() -> tuple[bytes, str]:
    return generate_latest(metrics_registry()), CONTENT_TYPE_LATEST


def start_metrics_listener(settings: Settings, workers: int) -> WSGIServer | None:
    """The metrics' own listener (BASTION_METRICS_LISTEN), a thread of the serving process; None when off.

    With several workers the serving process only supervises them: the listener sees their metrics
    through PROMETHEUS_MULTIPROC_DIR, so it is required then rather than serving one process's view."""
    if settings.metrics_address is None:
        return None
    if workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        raise ConfigError("BASTION_METRICS_LISTEN with several workers needs PROMETHEUS_MULTIPROC_DIR "
                          "(an empty directory the workers share) to see all of them")
    host, port = settings.metrics_address
    server, _ = start_http_server(port, addr=host, registry=metrics_registry())
    return server
