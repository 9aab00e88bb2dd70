"""Structured JSON logs that never carry a secret."""

from __future__ import annotations

import json
import logging

from bastion.logs import JsonFormatter


def test_log_lines_are_json_and_mask_secret_fields() -> None:
    record = logging.makeLogRecord({"name": "bastion", "levelname": "INFO", "msg": "signed in",
                                    "reference": "R-ABCDEFGH", "password": "hunter2", "session_token": "bst_x",
                                    "reason_code": "credentials.invalid"})
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "signed in" and line["reference"] == "R-ABCDEFGH"
    assert line["password"] == "[redacted]" and line["session_token"] == "[redacted]"
    assert line["reason_code"] == "credentials.invalid"


def test_access_log_lines_drop_query_strings_that_may_carry_tokens() -> None:
    from bastion.logs import DropQueryStrings

    record = logging.makeLogRecord({"name": "uvicorn.access", "msg": '%s - "%s %s HTTP/%s" %d',
                                    "args": ("127.0.0.1:5000", "GET", "/confirm?token=abc123", "1.1", 200)})
    DropQueryStrings().filter(record)
    assert "abc123" not in record.getMessage() and "/confirm" in record.getMessage()


def test_log_paths_hide_sign_in_flow_ids() -> None:
    from bastion.logs import scrub_path

    assert scrub_path("/v1/login/3f2a-flow-id/totp?x=1") == "/v1/login/{flow}/totp"
    assert scrub_path("/v1/login/passkey/options") == "/v1/login/passkey/options"


def test_requests_are_logged_one_line_each_only_when_the_access_log_is_on() -> None:
    """`bastion serve` hands uvicorn BASTION_ACCESS_LOG, then the app's factory configures the logs: it
    wrote a line per request (at INFO) with the access log off, as uvicorn's protocol logs whenever its
    logger has a handler, its parents' included."""
    from uvicorn.config import Config

    from bastion.logs import configure_logging

    names = ("", "uvicorn", "uvicorn.error", "uvicorn.access")
    kept = {name: (logging.getLogger(name).handlers[:], logging.getLogger(name).propagate,
                   logging.getLogger(name).level) for name in names}
    try:
        for access_log in (False, True):
            Config("bastion.web.app:create_app_from_env", factory=True, access_log=access_log,
                   log_config=None).configure_logging()
            configure_logging("INFO", access_log)  # as the factory does, after
            assert logging.getLogger("uvicorn.access").hasHandlers() is access_log
            assert logging.getLogger("uvicorn.error").hasHandlers()
    finally:
        for name, (handlers, propagate, level) in kept.items():
            logger = logging.getLogger(name)
            logger.handlers[:], logger.propagate = handlers, propagate
            logger.setLevel(level)
