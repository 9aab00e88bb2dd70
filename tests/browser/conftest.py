"""The browser suite: Playwright driving Debian's Chromium against Bastion served by uvicorn.

One server (SQLite, mail over SMTP to a real sink) and one browser for the whole suite; a fresh
browser context — no cookies, a new device — per test. They live as long as this package's tests
run, no longer: Playwright's synchronous API keeps an event loop running on the main thread, which
other tests' `asyncio.run()` would trip over. The suite runs as one xdist group (`--dist
loadgroup`), so a worker runs it in one go and starts the browser once. Every page a test visits can be checked
with `site.audit(page, name)`: axe-core finds no serious or critical accessibility violation,
the Content-Security-Policy was never violated, and screenshots at desktop (1280) and phone (390)
width are saved under artifacts/screenshots/ for people to look at.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from bastion.accounts.admin import create_account
from bastion.clock import MovableClock
from bastion.config import load_settings
from bastion.startup import build_services
from bastion.web.app import create_app
from tests.browser.axe import axe_source
from tests.browser.site import CHROMIUM, Site
from tests.conftest import DEFAULT_PASSWORD, IN_CI, TEST_KEY
from tests.notify import SmtpSink, free_port

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true; .ci/run installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="package")
def live_site(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Site]:
    """Bastion on http://localhost:PORT (a secure context for passkeys, RP ID `localhost`)."""
    folder = tmp_path_factory.mktemp("browser")
    database = folder / "bastion.db"
    shutil.copyfile(sqlite_template, database)
    smtp = SmtpSink().start()
    port = free_port()
    base_url = f"http://localhost:{port}"
    clock = MovableClock()
    settings = load_settings(
        env="dev", data_dir=folder / "data", secret_keys=TEST_KEY, database_url=f"sqlite:///{database}",
        argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1,
        public_url=base_url, smtp_url=smtp.url, outbox_poll_seconds=0.05, mail_from="security@bastion.test",
        # Tests that sign in "from" another country send X-Forwarded-For through this trusted hop.
        trusted_proxies="127.0.0.1/32",
        # Every test signs up and signs in from 127.0.0.1: the per-IP limits are not under test here.
        rate_limits="1000/10m/ip,1000/10m/subnet,1000/1h/signup_ip,1000/1h/reset_ip,1000/10m/passkey_ip",
        # A browser that asks for en-XA gets it (tests/browser/test_pseudo_locale.py); the others, as usual.
        pseudo_locale=True,
    )
    services = build_services(settings, clock=clock)
    server = uvicorn.Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=port,
                                           log_level="warning", ws="none", lifespan="on"))
    thread = threading.Thread(target=server.run, name="uvicorn-browser", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start within 15 s"
        time.sleep(0.02)
    try:
        yield Site(base_url, services, clock, smtp, axe_source(_missing), SCREENSHOTS)
    finally:
        server.should_exit = True
        thread.join(10)
        smtp.stop()
        services.close()


@pytest.fixture
def site(live_site: Site) -> Site:
    return live_site


def _watched_page(browser: Any, live_site: Site, **options: Any) -> Iterator[Any]:
    """A page in its own fresh context, failing the test on a script error or CSP violation."""
    context = browser.new_context(base_url=live_site.base_url, viewport={"width": 1280, "height": 900}, **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    live_site.watch(page)
    yield page
    try:
        live_site.assert_no_page_errors(page)
    finally:
        live_site.problems.pop(id(page), None)
        context.close()


@pytest.fixture
def page(browser: Any, live_site: Site) -> Iterator[Any]:
    """A page in a fresh context: no cookies, so a new device to Bastion."""
    yield from _watched_page(browser, live_site, accept_downloads=True)


@pytest.fixture
def page_without_script(browser: Any, live_site: Site) -> Iterator[Any]:
    """A browser with JavaScript switched off: the basic flows must still work."""
    context = browser.new_context(base_url=live_site.base_url, java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def other_page(browser: Any, live_site: Site) -> Iterator[Any]:
    """A second person at another browser, at the same time (e.g. a support agent)."""
    yield from _watched_page(browser, live_site)


@pytest.fixture
def person(live_site: Site) -> Callable[..., dict[str, str]]:
    """An account made directly (email confirmed), for tests whose subject is not sign-up."""
    counter = iter(range(1, 100_000))

    def make(roles: list[str] | None = None, password: str = DEFAULT_PASSWORD, totp: bool = False) -> dict[str, str]:
        """`totp`: with an authenticator app (staff need one); its secret is returned as `secret`."""
        email = f"b{os.getpid()}-{next(counter)}-{time.monotonic_ns() % 100_000}@example.com"
        account_id = create_account(live_site.services, email, password, roles=roles or [], verified=True)
        account = {"id": account_id, "email": email, "password": password}
        if totp:
            account["secret"] = live_site.enrol_totp(email, password)
        return account

    return make


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.path)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.xdist_group("browser"))
