"""The site under test as the browser tests see it: its address, its mail, its clock, and the checks
every page goes through (accessibility, Content-Security-Policy, screenshots)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
from playwright.sync_api import Error as PlaywrightError

from bastion.clock import MovableClock
from bastion.mfa.totp import otp as totp
from bastion.services import Services
from tests.browser.axe import RULE_TAGS, blocking_violations
from tests.notify import SmtpSink, parts

CHROMIUM = "/usr/bin/chromium"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
_LINK = re.compile(r"https?://\S+")
# Only what fails: the passes would be thousands of nodes carried back for nothing.
AXE_RUN = """async tags => {
  const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return results.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 5).map(n => ({target: n.target}))}));
}"""


@dataclass
class Site:
    base_url: str
    services: Services
    clock: MovableClock
    smtp: SmtpSink
    axe: str
    screenshots: Path
    problems: dict[int, list[str]] = field(default_factory=dict)

    # Pages

    def watch(self, page: Any) -> None:
        """Remember script errors and policy violations: a page that needs a blocked resource is broken."""
        found = self.problems.setdefault(id(page), [])
        page.on("pageerror", lambda error: found.append(f"script error: {error}"))

        def console(message: Any) -> None:
            if message.type == "error" and ("Content Security Policy" in message.text or "Refused" in message.text):
                found.append(f"policy: {message.text}")
        page.on("console", console)

    def assert_no_page_errors(self, page: Any) -> None:
        found = self.problems.get(id(page), [])
        reported, found[:] = list(found), []
        assert not reported, "\n".join(reported)

    def audit(self, page: Any, name: str) -> None:
        """axe-core on the page as it stands, then a screenshot at each width."""
        violations = blocking_violations(self._run_axe(page))
        assert not violations, f"accessibility of {name} ({page.url}):\n" + "\n".join(violations)
        self.screenshots.mkdir(parents=True, exist_ok=True)
        for label, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=str(self.screenshots / f"{name}-{label}.png"), full_page=True)
        page.set_viewport_size({"width": WIDTHS["desktop"][0], "height": WIDTHS["desktop"][1]})
        self.assert_no_page_errors(page)

    def audit_schemes(self, page: Any, name: str) -> None:
        """`audit` in the light colour scheme and in the dark one (the system's choice, as the CSS
        follows it), then light again for the rest of the test."""
        try:
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                self.audit(page, f"{name}-{scheme}")
        finally:
            page.emulate_media(color_scheme="light")

    def _run_axe(self, page: Any) -> Any:
        """axe's results for the page once it has settled: a page that navigates once more (a form a
        script submits as the page loads) is audited where it lands."""
        for _ in range(3):
            page.wait_for_load_state("load")
            try:
                if not page.evaluate("() => typeof window.axe === 'object'"):
                    # evaluate() runs through the DevTools protocol, which the page's CSP does not govern.
                    page.evaluate(self.axe)
                return page.evaluate(AXE_RUN, RULE_TAGS)
            except PlaywrightError as error:
                if "Execution context was destroyed" not in str(error):
                    raise
        raise AssertionError(f"{page.url} kept navigating")

    # Mail

    def mail(self, to: str, count: int = 1) -> tuple[str, str]:
        """Subject and plain text of the `count`-th message to `to` (waiting for it to arrive)."""
        message = self.smtp.wait_for(to, count)[count - 1].message
        text, _ = parts(message)
        return str(message["subject"]), text

    def link(self, to: str, path: str, timeout: float = 10.0) -> str:
        """The first link to `path` in the newest message to `to` that has one (waiting for it to arrive),
        as a path on this site."""
        deadline = time.monotonic() + timeout
        while True:
            for received in reversed(self.smtp.messages(to)):
                text, _ = parts(received.message)
                for url in _LINK.findall(text):
                    if url.startswith(self.base_url + path):
                        return url[len(self.base_url):]
            assert time.monotonic() < deadline, f"no mail to {to} with a link to {path} within {timeout} s"
            time.sleep(0.02)

    def mails_to(self, to: str) -> int:
        return len(self.smtp.messages(to))

    # Second factors

    def totp_code(self, secret: str) -> str:
        """What an authenticator app shows at the server's time."""
        return totp.code_at_time(secret, self.clock.now().timestamp())

    def enrol_totp(self, email: str, password: str) -> str:
        """An authenticator app set up through the API, as an app would; returns its secret."""
        with httpx.Client(base_url=self.base_url, timeout=10) as http:
            token = http.post("/v1/login", json={"email": email, "password": password}).json()["session"]["token"]
            headers = {"authorization": f"Bearer {token}"}
            setup = http.post("/v1/me/totp/setup", headers=headers).json()
            if setup.get("code") == "mfa.staff_enrolment_link_required":  # staff: the emailed link first
                token = self.link(email, "/security/staff-enrolment?token=").split("token=", 1)[1]
                opened = http.post("/v1/me/staff-enrolment", headers=headers, json={"token": token})
                assert opened.status_code == 200, opened.text
                setup = http.post("/v1/me/totp/setup", headers=headers).json()
            secret = setup["secret"]
            confirmed = http.post("/v1/me/totp/confirm", headers=headers, json={"code": self.totp_code(secret)})
            assert confirmed.status_code == 200, confirmed.text
            http.post("/v1/logout", headers=headers)
        self.next_totp_step()
        return str(secret)

    def next_totp_step(self) -> None:
        """A TOTP step is accepted once: move the server's clock to the next one."""
        self.clock.advance(seconds=30)


class VirtualAuthenticator:
    """A platform authenticator with user verification, through Chromium's WebAuthn testing API.

    With presence simulated, it answers every request at once — including the autofill request
    of conditional UI, the way a person picking their passkey from the email field would.
    """

    def __init__(self, page: Any) -> None:
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable", {"enableUI": False})
        self.id = self.cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
            "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
            "isUserVerified": True, "automaticPresenceSimulation": True,
        }})["authenticatorId"]

    def present(self, present: bool) -> None:
        """Off: requests wait (a person who has not touched anything yet); on: the next one is answered."""
        self.cdp.send("WebAuthn.setAutomaticPresenceSimulation", {"authenticatorId": self.id, "enabled": present})

    def credentials(self) -> list[dict[str, Any]]:
        return list(self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"])
