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
