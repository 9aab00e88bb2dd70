"""No secret in any log line, across the whole suite (docs/design.md: "No secret, code or token appears in logs").

Every secret made while a test runs is remembered where it is born: random tokens (session,
reset, verification, freeze, device-link, service-key), TOTP secrets, backup codes and device
codes from the `secrets` module; every password hashed or checked; every authenticator code a
test computes. Every log record of the test is rendered as production renders it (JsonFormatter,
query strings dropped) and searched for them. Wired in tests/conftest.py as an autouse fixture.
"""

from __future__ import annotations

import base64
import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from typing import Any

from bastion.crypto.passwords import Passwords
from bastion.logs import DropQueryStrings, JsonFormatter
from bastion.mfa.backup_codes import codes as backup_codes
from bastion.mfa.totp import otp as totp

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TEST_CLIENT_LOGGERS = ("httpx", "httpcore")


class SecretWatch(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.addFilter(DropQueryStrings())
        self.secrets: set[str] = set()
        self.lines: list[str] = []
        self.guard = threading.Lock()

    def remember(self, *values: str) -> None:
        with self.guard:
            self.secrets.update(value for value in values if len(value) >= 6)

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(TEST_CLIENT_LOGGERS):
            return  # the tests' own HTTP client logs the URLs it asks for, emailed links included
        line = self.format(record)
        with self.guard:
            self.lines.append(line)

    def leaks(self) -> list[str]:
        with self.guard:
            text = "\n".join(self.lines)
            found = []
            for secret in self.secrets:
                if secret not in text:
                    continue
                # Short numeric codes only as whole numbers, so an id or a port is no false alarm.
                pattern = re.compile(rf"(?<!\d){secret}(?!\d)" if secret.isdigit() else re.escape(secret))
                found.extend(f"{secret!r} in: {line[:300]}" for line in self.lines if pattern.search(line))
            return found

    def reset(self) -> None:
        with self.guard:
            self.secrets.clear()
            self.lines.clear()


WATCH = SecretWatch()


def _recording(original: Callable[..., Any], *renderings: Callable[[Any, tuple[Any, ...]], list[str]]
               ) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        value = original(*args, **kwargs)
        for render in renderings:
            WATCH.remember(*render(value, args))
        return value

    wrapper.__wrapped__ = original  # type: ignore[attr-defined]
    return wrapper


def _bytes_forms(value: bytes, _: tuple[Any, ...]) -> list[str]:
    return [base64.b32encode(value).decode().rstrip("="), base64.urlsafe_b64encode(value).decode().rstrip("="),
            value.hex()]


def _crockford(value: int, args: tuple[Any, ...]) -> list[str]:
    if args and args[0] == backup_codes.CODE_BITS:
        code = "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(backup_codes.CODE_BITS // 5)))
        return [code, backup_codes.display(code)]
    return []


def _six_digits(value: int, args: tuple[Any, ...]) -> list[str]:
    return [f"{value:06d}"] if args and args[0] == 10**6 else []


def install() -> None:
    """Record secrets where they are made; idempotent."""
    if getattr(secrets.token_urlsafe, "__wrapped__", None):
        return
    secrets.token_urlsafe = _recording(secrets.token_urlsafe, lambda value, _: [value])  # type: ignore[assignment]
    secrets.token_bytes = _recording(secrets.token_bytes, _bytes_forms)  # type: ignore[assignment]
    secrets.randbits = _recording(secrets.randbits, _crockford)  # type: ignore[assignment]
    secrets.randbelow = _recording(secrets.randbelow, _six_digits)  # type: ignore[assignment]
    totp.code_at_time = _recording(totp.code_at_time, lambda value, _: [value])  # type: ignore[assignment]
    for name in ("hash", "verify"):
        original = getattr(Passwords, name)

        def remembering(self: Passwords, *args: Any, _original: Callable[..., Any] = original) -> Any:
            WATCH.remember(*(value for value in args if isinstance(value, str) and not value.startswith("$argon2")))
            return _original(self, *args)

        setattr(Passwords, name, remembering)


def watch_test() -> Iterator[None]:
    """Around one test: catch every record at INFO and above, then look for the test's secrets."""
    root = logging.getLogger()
    level = root.level
    WATCH.reset()
    root.addHandler(WATCH)
    root.setLevel(min(level, logging.INFO) if level else logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(WATCH)
        root.setLevel(level)
    leaks = WATCH.leaks()
    WATCH.reset()
    assert not leaks, "secrets in log lines:\n" + "\n".join(leaks)
