"""What a process does before it serves or works: check the settings, connect the features, build.

The config holds the throttle's limits and the risk policy as plain text; the throttle and risk
parse them, so they check them here, at start-up, and a typo stops the start with a ConfigError
naming the setting rather than failing the first sign-in. `bastion serve`, `worker`, `demo` and
every command that needs the application start through `start_services`.

This is the one module that knows every feature: it imports every table (`bastion.schema`) before
a database is opened, and connects the plugs through which a lower feature uses a higher one
(`wire`, `bastion.plugs`).
"""

from __future__ import annotations

import os

import bastion.schema  # noqa: F401  every feature's tables, before the database is opened
from bastion.accounts import confirmation, devices, security_change, security_emails
from bastion.accounts import repo as accounts_repo
from bastion.accounts import settings as account_settings
from bastion.clock import Clock, SystemClock
from bastion.config import ConfigError, Settings
from bastion.crypto.passwords import Passwords
from bastion.guard import alerts, passwords, steps
from bastion.mfa.registry import METHODS
from bastion.mfa.stage import MfaStage
from bastion.oidc import logout
from bastion.recovery import allowlist_reset
from bastion.risk.policy import check_risk_settings
from bastion.risk.stage import DeviceTrustStage, RiskStage
from bastion.services import Services, load_key_ring
from bastion.sessions import revocation, validation
from bastion.signin import flow, stages
from bastion.signin.flow import Stage
from bastion.signin.gates import AccountGate, ServiceGate
from bastion.store import Database
from bastion.store.cache import SessionCache
from bastion.throttle.admission import HashGate
from bastion.throttle.factory import build_store
from bastion.throttle.limits import check_throttle_settings
from bastion.throttle.rules import SignInThrottle

# The ordered stages every sign-in passes after its first factor, listed once (bastion.signin.stages):
# service gates → account gates → risk → second factor → device trust.
SIGN_IN_STAGES: tuple[Stage, ...] = (ServiceGate(), AccountGate(), RiskStage(), MfaStage(), DeviceTrustStage())


def check_settings(settings: Settings) -> Settings:
    try:
        check_throttle_settings(settings)
        check_risk_settings(settings)
    except ValueError as error:
        raise ConfigError(str(error)) from error
    return settings


def wire() -> None:
    """Connect every plug: what a lower feature uses of a higher one (the same parts each time: safe
    to call again)."""
    # Sign-in runs the stages of the features above it.
    stages.STAGES.connect(SIGN_IN_STAGES)
    # The guard checks the accounts' passwords, ends sign-in flows and writes the accounts' security emails.
    passwords.ACCOUNTS.connect(devices)
    alerts.SECURITY_EMAILS.connect(security_emails.send_security_email)
    steps.FLOWS.connect(flow.void_flow)
    # Sessions carry their account's email and roles; apps hear of ended sessions.
    validation.ACCOUNTS.connect(accounts_repo.COLUMNS)
    revocation.ENDED.connect(logout.sessions_ended)
    # A change to an account ends its sign-ins in progress, its second factors, its pending requests.
    security_change.OPEN_SIGN_INS.connect(flow.void_open_flows)
    confirmation.SECOND_FACTORS.connect(METHODS.remove_all)
    account_settings.ALLOWLIST_REQUESTS.connect(allowlist_reset.close_open_request)


def build_services(settings: Settings, clock: Clock | None = None, db: Database | None = None) -> Services:
    wire()
    database = db or Database(settings.resolved_database_url)
    return Services(
        settings=settings,
        clock=clock or SystemClock(),
        db=database,
        keys=load_key_ring(settings),
        passwords=Passwords(
            settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
        ),
        throttle=SignInThrottle(build_store(settings, database), settings),
        hash_gate=HashGate(settings.hash_concurrency or os.cpu_count() or 1, settings.signin_queue_seconds),
        session_cache=SessionCache(database, settings.session_cache_seconds, settings.session_cache_size,
                                   settings.redis_url),
    )


def start_services(settings: Settings) -> Services:
    return build_services(check_settings(settings))
