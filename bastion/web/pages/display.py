"""Words for what the home page lists: devices, outcomes and reasons — never a raw code."""

from __future__ import annotations

from bastion.errors import CATALOGUE

OUTCOMES = {"success": "Signed in", "failure": "Refused", "challenge": "Another step asked"}

# Checked in order: Edge and Opera announce Chrome too, Chrome announces Safari.
_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chromium/", "Chromium"),
             ("Chrome/", "Chrome"), ("Safari/", "Safari"), ("curl/", "curl"), ("python-", "Python script"))
_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def describe_device(user_agent: str | None) -> str:
    """'Chrome on Linux' from a user agent; the agent itself when nothing is recognised."""
    if not user_agent:
        return "Unknown device"
    browser = next((name for token, name in _BROWSERS if token in user_agent), None)
    system = next((name for token, name in _SYSTEMS if token in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or system or ""
    return user_agent[:60] + ("…" if len(user_agent) > 60 else "")


def reason_words(code: str | None) -> str:
    """The catalogue title of a recorded code; a step status such as 'mfa_required' maps to 'mfa.required'."""
    if not code:
        return ""
    reason = CATALOGUE.get(code) or CATALOGUE.get(code.replace("_", ".", 1))
    return reason.title if reason else "Other reason"


def outcome_words(outcome: str) -> str:
    return OUTCOMES.get(outcome, outcome.capitalize())
