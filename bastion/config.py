"""Settings from the environment (`BASTION_*`, and a `.env` file): one typed object.

Validated at start-up; `BASTION_ENV=prod` refuses insecure combinations.
"""

from __future__ import annotations

import ipaddress
import os
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bastion import brand
from bastion.urls import exact_origin, is_bare_origin


class ConfigError(ValueError):
    """A setting is missing, malformed or unsafe for the chosen environment."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BASTION_", env_file=".env", extra="ignore")

    env: Literal["dev", "prod"] = "dev"
    data_dir: Path = Path(".bastion")
    database_url: str | None = None
    redis_url: str | None = None
    smtp_url: SecretStr | None = None
    mail_from: str = "security@localhost"
    public_url: str = "http://127.0.0.1:8000"
    secret_keys: SecretStr | None = None
    trusted_proxies: str = ""
    log_level: str = "INFO"
    # Where people reach the platform's support (a page or mailto: link), shown by the troubleshooter.
    support_url: str | None = None
    # One line per request is costly under a flood and repeats what metrics and refusal logs say.
    access_log: bool = False
    # The pseudo-locale (`?lang=en-XA` or the language cookie): every translated text bracketed and
    # accented, so what escaped the catalogue stands out (bastion/i18n/pseudo.py). For testing only.
    pseudo_locale: bool = False

    # Branding without a fork (issue 22): the platform's name in every page, email and authenticator
    # app; a logo (a file Bastion serves at /brand/logo, or an https:// URL); an accent colour; a
    # stylesheet served after bastion.css; and a folder of templates overriding the shipped ones
    # file by file (pages/ for pages, emails/ for emails).
    brand_name: str = Field("Bastion", min_length=1, max_length=64)
    brand_logo: str | None = None
    brand_color: str | None = Field(None, description="#rrggbb")
    brand_css: Path | None = None
    templates_dir: Path | None = None
    # Origins (scheme, host and port, comma separated) sign-in may send people back to with
    # /login?return_to=…; any other address is ignored.
    return_urls: str = ""

    # Password hashing: argon2id (RFC 9106) with OWASP's minimum memory (19 MiB) at four times its
    # minimum time cost: ~100 ms a hash on one core of a quiet 2-vCPU VM (`bastion calibrate`,
    # docs/benchmarks.md).
    argon2_time_cost: int = Field(8, ge=1)
    argon2_memory_kib: int = Field(19456, ge=8)
    argon2_parallelism: int = Field(1, ge=1)

    # Sessions (requirements §25).
    session_idle_minutes: int = Field(30, ge=1)
    session_absolute_hours: int = Field(12, ge=1)
    remember_idle_days: int = Field(7, ge=1)
    remember_absolute_days: int = Field(30, ge=1)
    # Validated sessions are kept in memory (requirements §27: revocation reaches every node within
    # 1 s). Without Redis a node trusts an entry this long; with Redis, while its invalidation
    # subscription is live. 0 turns the cache off: every validation reads the database.
    session_cache_seconds: float = Field(1.0, ge=0, le=1)
    session_cache_size: int = Field(100_000, ge=0, description="sessions kept per process")
    # last_seen_at is written at most this often per session; the idle timeout can end a session
    # up to this much early when its requests move between nodes, never late.
    session_touch_seconds: int = Field(60, ge=1, le=600)

    flow_ttl_minutes: int = Field(15, ge=1)
    email_verification_hours: int = Field(24, ge=1)
    reauth_minutes: int = Field(5, ge=1)

    # Second factors (requirements §8-13).
    # Issuer shown in authenticator apps: BASTION_BRAND_NAME unless set.
    totp_issuer: str = Field("Bastion", min_length=1, max_length=64)
    totp_setup_minutes: int = Field(15, ge=1)
    # WebAuthn relying party: the RP ID defaults to BASTION_PUBLIC_URL's host, the origins to its origin.
    webauthn_rp_id: str | None = None
    webauthn_origins: str = ""
    passkey_challenge_minutes: int = Field(5, ge=1)
    # A staff account's first second factor: the emailed link's life, and how long opening it
    # lets that session enrol (bastion.mfa.flows.staff_enrolment).
    staff_enrolment_link_hours: int = Field(24, ge=1, le=168)
    staff_enrolment_grant_minutes: int = Field(10, ge=1, le=60)

    # Throttling (requirements §1-6, §10, §15). Backend "auto": Redis (with the database as
    # fallback) when BASTION_REDIS_URL is set, else the database.
    throttle_backend: Literal["auto", "memory", "database", "redis"] = "auto"
    rate_limits: str = ""
    lockout_after: int = Field(5, ge=1)
    lockout_first_delay: str = "30s"
    lockout_max_delay: str = "15m"
    ip_lockout: str = "15m"
    password_disable_after: int = Field(100, ge=2)
    # Admission control for password hashing (bastion/throttle/admission.py): hashes run at once
    # per process, and the longest a device Bastion does not recognise is asked to wait for its
    # turn (the queue's expected wait, from the measured hash time) before the door answers 429.
    hash_concurrency: int = Field(0, ge=0, description="0: one per CPU core")
    signin_queue_seconds: float = Field(2.0, gt=0, le=30)

    # Risk-based sign-in (requirements §18-21; bastion/risk/policy.py).
    risk_policy: str = ("anonymizer=deny,impossible_travel=verify,new_country=verify,new_device=allow,"
                        "failure_velocity=verify")
    risk_anonymizer_asns: str = Field("", description="Extra AS numbers or organisation names, comma separated")
    risk_anonymizer_cidrs: str = Field("", description="Extra CIDRs (e.g. Tor exits), comma separated")
    risk_new_country_days: int = Field(90, ge=1)
    risk_max_speed_kmh: int = Field(1000, ge=1)
    risk_failure_velocity: str = Field("10/1h", description="COUNT/WINDOW of failed sign-ins on the account")
    device_verification_minutes: int = Field(15, ge=1)
    device_verification_attempts: int = Field(5, ge=1)
    device_trust_days: int = Field(30, ge=1)

    # Recovery cases (2FA reset, unfreeze, IP allowlist reset): requirements §16-17, §28-29.
    mfa_reset_wait_hours: int = Field(48, ge=0, description="Waiting period after approval (Coinbase: 48-72 h)")
    unfreeze_min_hours: int = Field(2, ge=0, description="An unfreeze takes effect this long after the freeze at "
                                    "the earliest (Binance: 2 h)")
    # Clearing the IP allowlist of someone who lost every network on it: a lesser control than a
    # second factor, so a shorter wait than a 2FA reset; withdrawals held after, as after any
    # recovery (also when staff clear it directly).
    allowlist_reset_wait_hours: int = Field(24, ge=0, description="Waiting period after approval")
    allowlist_reset_hold_hours: int = Field(24, ge=0, description="Withdrawal hold once the allowlist is cleared")
    case_approvals_required: int = Field(1, ge=1, le=3, description="Different agents who must approve a case")
    case_documents_days: int = Field(14, ge=1, description="How long a case waits for its documents")
    evidence_retention_days: int = Field(30, ge=0, description="Documents are purged this long after a case closes")

    # OpenID provider (bastion/oidc): lifetimes of what it issues.
    oidc_access_token_seconds: int = Field(300, ge=30, le=3600)
    oidc_id_token_seconds: int = Field(300, ge=30, le=3600)
    oidc_code_seconds: int = Field(60, ge=10, le=600, description="authorization codes")
    oidc_offline_days: int = Field(30, ge=1, description="refresh tokens of offline_access grants")
    # Back-channel logout addresses on internal networks (private, loopback, link-local, …): refused
    # outside dev mode unless allowed here (an app's address is otherwise a way into the network).
    oidc_backchannel_allow_internal: bool = False

    # Prometheus metrics describe traffic and attacks. Served on a listener of their own,
    # "HOST:PORT" (e.g. 127.0.0.1:9464; off by default), and/or on the main app's /metrics to
    # a scraper that sends this bearer token. Without the token the main app has no /metrics:
    # behind a reverse proxy on the same host every request comes from loopback.
    metrics_listen: str = ""
    metrics_token: SecretStr | None = None

    # Outbox delivery.
    outbox_poll_seconds: float = Field(1.0, gt=0)
    outbox_max_attempts: int = Field(20, ge=1)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("must be an http(s) URL such as https://id.example.com")
        return value.rstrip("/")

    @field_validator("support_url")
    @classmethod
    def _support_url(cls, value: str | None) -> str | None:
        if value and urlsplit(value).scheme not in {"http", "https", "mailto"}:
            raise ValueError("must be an http(s) or mailto: URL")
        return value or None

    @field_validator("brand_name")
    @classmethod
    def _brand_name(cls, value: str) -> str:
        value = value.strip()
        if not value or not value.isprintable():
            raise ValueError("must be a name of printable characters, such as Example Exchange")
        return value

    @field_validator("brand_logo")
    @classmethod
    def _brand_logo(cls, value: str | None) -> str | None:
        if not value:
            return None
        if "://" in value:
            if not value.startswith("https://") or exact_origin(value) is None:
                raise ValueError("must be an https:// URL or the path of an SVG, PNG, JPEG or WebP file")
            return value
        brand.read_logo(Path(value))
        return value

    @field_validator("brand_color")
    @classmethod
    def _brand_color(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not brand.is_colour(value):
            raise ValueError("must be a colour as #rrggbb, such as #1f5fbf")
        brand.theme_css(value)  # refuses a colour no text can be read on
        return value.lower()

    @field_validator("brand_css")
    @classmethod
    def _brand_css(cls, value: Path | None) -> Path | None:
        if value is not None:
            brand.read_stylesheet(value)
        return value

    @field_validator("templates_dir")
    @classmethod
    def _templates_dir(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        if not value.is_dir():
            raise ValueError(f"{value}: no such folder")
        if not (value / "pages").is_dir() and not (value / "emails").is_dir():
            raise ValueError(f"{value}: holds neither a pages/ nor an emails/ folder of templates to override")
        return value

    @field_validator("return_urls")
    @classmethod
    def _return_urls(cls, value: str) -> str:
        for item in _split(value):
            if not is_bare_origin(item):
                raise ValueError(f"{item!r} is not an origin such as https://exchange.example")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value():
            parts = urlsplit(value.get_secret_value())
            if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
                raise ValueError("must look like smtp://[user:pass@]host:port or smtps://…")
            return value
        return None

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, value: str) -> str:
        for item in _split(value):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as error:
                raise ValueError(f"{item!r} is not a CIDR") from error
        return value

    @field_validator("metrics_listen")
    @classmethod
    def _metrics_listen(cls, value: str) -> str:
        if value:
            _host_and_port(value)
        return value

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("BASTION_METRICS_TOKEN must be at least 32 characters (e.g. openssl rand -hex 32)")
        return value

    @model_validator(mode="after")
    def _webauthn_relying_party(self) -> Settings:
        rp_id = self.resolved_rp_id
        for origin in self.resolved_webauthn_origins:
            parts = urlsplit(origin)
            if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path not in {"", "/"}:
                raise ValueError(f"BASTION_WEBAUTHN_ORIGINS: {origin!r} is not an origin like https://id.example.com")
            host = parts.hostname
            # WebAuthn §5.1.4: the RP ID is the origin's host or a registrable suffix of it.
            if host != rp_id and not host.endswith("." + rp_id):
                raise ValueError(f"BASTION_WEBAUTHN_RP_ID {rp_id!r} does not cover the origin {origin!r}")
            if not self.is_dev and parts.scheme != "https":
                raise ValueError(f"BASTION_WEBAUTHN_ORIGINS must be https:// in prod ({origin!r})")
        return self

    @model_validator(mode="after")
    def _issuer_is_the_brand(self) -> Settings:
        if "totp_issuer" not in self.model_fields_set:
            self.totp_issuer = self.brand_name
        return self

    @model_validator(mode="after")
    def _redis_backend_needs_url(self) -> Settings:
        if self.throttle_backend == "redis" and not self.redis_url:
            raise ValueError("BASTION_THROTTLE_BACKEND=redis needs BASTION_REDIS_URL")
        return self

    @model_validator(mode="after")
    def _production_is_safe(self) -> Settings:
        if self.env != "prod":
            return self
        problems = []
        if not self.secret_keys or not self.secret_keys.get_secret_value():
            problems.append("BASTION_SECRET_KEYS is required in prod")
        if self.smtp_url is None:
            problems.append("BASTION_SMTP_URL is required in prod (the dev mailbox is dev only)")
        if not self.public_url.startswith("https://"):
            problems.append("BASTION_PUBLIC_URL must be https:// in prod")
        if self.resolved_database_url.startswith("sqlite"):
            problems.append("BASTION_DATABASE_URL must point at PostgreSQL in prod")
        if self.argon2_memory_kib < 19456 or self.argon2_time_cost < 2:
            problems.append("argon2 parameters below OWASP's minimum (m=19456 KiB, t=2) in prod")
        if any(not origin.startswith("https://") for origin in self.return_origins):
            problems.append("BASTION_RETURN_URLS must be https:// origins in prod")
        if self.throttle_backend == "memory":
            problems.append("the memory throttle backend counts per process; use database or redis in prod")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def is_dev(self) -> bool:
        return self.env == "dev"

    @cached_property
    def resolved_database_url(self) -> str:
        url = self.database_url or f"sqlite:///{self.data_dir / 'bastion.db'}"
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url

    @property
    def resolved_rp_id(self) -> str:
        return (self.webauthn_rp_id or urlsplit(self.public_url).hostname or "localhost").lower()

    @property
    def resolved_webauthn_origins(self) -> list[str]:
        origins = _split(self.webauthn_origins)
        if not origins:
            parts = urlsplit(self.public_url)
            origins = [f"{parts.scheme}://{parts.netloc}"]
        return [origin.rstrip("/") for origin in origins]

    @property
    def return_origins(self) -> frozenset[str]:
        return frozenset(origin for item in _split(self.return_urls) if (origin := exact_origin(item)))

    @cached_property
    def trusted_proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        # Parsed once: every request's address (`client_ip`) and every connection's count ask for it.
        return [ipaddress.ip_network(item, strict=False) for item in _split(self.trusted_proxies)]

    @property
    def metrics_address(self) -> tuple[str, int] | None:
        return _host_and_port(self.metrics_listen) if self.metrics_listen else None

    @property
    def cookie_secure(self) -> bool:
        # Browsers drop Secure cookies on plain http, so dev on http://127.0.0.1 goes without.
        return not self.is_dev or self.public_url.startswith("https://")


def _host_and_port(value: str) -> tuple[str, int]:
    """'127.0.0.1:9464' or '[::1]:9464' → (host, port)."""
    host, _, port = value.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isascii() or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{value!r} is not HOST:PORT (e.g. 127.0.0.1:9464)")
    return host, int(port)


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


# Settings that were replaced: refused at start rather than silently ignored, so nobody believes
# a limit holds that no longer exists.
REPLACED = {
    "BASTION_HASH_QUEUE": "the hash queue is bounded by time now: set BASTION_SIGNIN_QUEUE_SECONDS",
    "BASTION_SIGNIN_ADMISSION_LIMIT": "the door admits by the queue's expected wait now: set "
                                      "BASTION_SIGNIN_QUEUE_SECONDS",
}


def load_settings(**overrides: object) -> Settings:
    from dotenv import dotenv_values

    present = {**dotenv_values(".env"), **os.environ}
    stale = [f"{name} is no longer used ({why})" for name, why in REPLACED.items() if name in present]
    if stale:
        raise ConfigError("; ".join(stale))
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as error:
        raise ConfigError(str(error)) from error
