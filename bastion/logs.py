"""Structured JSON logs, one object a line. Secrets never reach them: fields with
secret-sounding names are masked, whatever a caller passes."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}
_SECRET_WORDS = ("password", "token", "secret", "code", "key", "cookie", "authorization")
# `code` is a reason code in our logs, not a one-time code: allowed by exact name.
_ALLOWED = {"reason_code"}


def _masked(name: str, value: object) -> object:
    if name in _ALLOWED:
        return value
    lowered = name.lower()
    return "[redacted]" if any(word in lowered for word in _SECRET_WORDS) else value


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                entry[name] = _masked(name, value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


_FLOW_SEGMENT = re.compile(r"^/v1/login/[^/]+/")
# An app's authorization waiting for the person (bastion.web.oidc): its id, like a flow's.
_WAITING_AUTHORIZATION = re.compile(r"^(/oauth2/(?:authorize/resume|confirm|consent))/[^/]+")


def scrub_path(path: str) -> str:
    """A path fit for a log line: no query string (emailed links carry one-time tokens
    there) and no sign-in flow id (it stands for "password already passed")."""
    path = _WAITING_AUTHORIZATION.sub(r"\1/{request}", path.split("?", 1)[0])
    return path if path.startswith("/v1/login/passkey") else _FLOW_SEGMENT.sub("/v1/login/{flow}/", path)


class DropQueryStrings(logging.Filter):
    """Access-log lines with scrubbed paths."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], scrub_path(args[2]), *args[3:])
        return True


def configure_logging(level: str = "INFO", access_log: bool = False) -> None:
    """Every logger's lines as JSON on stderr, at `level`; uvicorn's one line per request only with
    `access_log` (BASTION_ACCESS_LOG): its own setting is undone when the app's factory calls this."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(DropQueryStrings())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = access_log or name != "uvicorn.access"
