"""Prometheus metrics. Counters are moved where the event is decided, in one line each.

With several worker processes set PROMETHEUS_MULTIPROC_DIR (prometheus-client's
multiprocess mode) so a scrape sees all of them.
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

SIGN_IN_ATTEMPTS = Counter("bastion_sign_in_attempts", "Sign-in steps by method, outcome and reason code",
                           ["method", "outcome", "code"])
LOCKOUTS = Counter("bastion_lockouts", "Holds placed by the throttle", ["scope"])
EMAILS = Counter("bastion_emails", "Outbox mail by event (queued, sent, failed)", ["event"])
REQUEST_SECONDS = Histogram("bastion_request_seconds", "Request latency by route and status class",
                            ["method", "route", "status"],
                            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))


def render_metrics() -> tuple[bytes, str]:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
