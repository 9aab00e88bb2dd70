"""A slow or hostile back-channel receiver delays only its own deliveries: each POST has a hard
deadline, deliveries run apart from mail and the audit trail, and an abandoned one is retried."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from bastion.accounts.status import freeze_account
from bastion.audit.models import SecurityEvent
from bastion.clock import MovableClock
from bastion.context import Client
from bastion.errors import BastionError
from bastion.notify.models import OutboxMessage
from bastion.oidc import backchannel
from bastion.oidc.clients import NewClient, create_client
from bastion.oidc.logout import deliver_logout_tokens
from bastion.oidc.models import OidcLogoutDelivery
from bastion.services import Services
from bastion.worker import run_pass
from tests.oidc.conftest import Browser, RelyingParty, callback_of, through
from tests.oidc.receiver import LogoutReceiver, Tarpit


def _sign_in(rp: RelyingParty, browser: Browser) -> None:
    start = rp.start()
    rp.finish(start, callback_of(through(browser, rp, start)))


def _deliveries(services: Services) -> dict[str, OidcLogoutDelivery]:
    with services.db.transaction() as tx:
        return {row.client_id: row for row in tx.execute(select(OidcLogoutDelivery)).scalars()}


def test_a_tarpit_is_abandoned_at_the_deadline_and_retried_while_others_get_theirs(
        register: Callable[..., RelyingParty], signed_in_flow: Browser, services: Services, clock: MovableClock,
        person: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backchannel, "DEADLINE_SECONDS", 1.0)
    with Tarpit() as tarpit, LogoutReceiver() as receiver:
        slow, fine = register(backchannel=tarpit.url, name="Hostile"), register(backchannel=receiver.url)
        _sign_in(slow, signed_in_flow)
        _sign_in(fine, signed_in_flow)
        freeze_account(services, person["id"], Client(ip="192.0.2.1"), via="test")
        assert deliver_logout_tokens(services) == 1
        assert len(receiver.tokens) == 1  # the other app got its token in the same pass
        stuck = _deliveries(services)[slow.client_id]
        assert stuck.sent_at is None and stuck.attempts == 1 and stuck.locked_until is None
        assert (stuck.last_error or "").startswith("TimeoutError")  # abandoned, not waited out
        assert stuck.next_attempt_at > clock.now()
        assert deliver_logout_tokens(services) == 0 and tarpit.connections == 1  # not due yet
        clock.advance(seconds=31)
        assert deliver_logout_tokens(services) == 0 and tarpit.connections == 2  # retried later
        assert _deliveries(services)[slow.client_id].attempts == 2


def test_mail_and_sealing_do_not_wait_for_back_channel_deliveries(
        register: Callable[..., RelyingParty], signed_in_flow: Browser, services: Services,
        person: dict[str, str]) -> None:
    with Tarpit() as tarpit:
        slow = register(backchannel=tarpit.url, name="Hostile")
        _sign_in(slow, signed_in_flow)
        freeze_account(services, person["id"], Client(ip="192.0.2.1"), via="test")  # emails the owner
        run_pass(services, tidy=False)
        with services.db.transaction() as tx:
            unsent = tx.execute(select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None))).all()
            unsealed = tx.execute(select(SecurityEvent.id).where(SecurityEvent.chain_seq.is_(None))).all()
        assert unsent == [] and unsealed == []
        assert _deliveries(services)[slow.client_id].attempts == 0  # left to the back-channel worker
        assert tarpit.connections == 0


@pytest.mark.parametrize("address", ["https://10.0.0.5/logout", "https://192.168.1.2/logout",
                                     "https://169.254.169.254/latest", "https://[::1]/logout",
                                     "https://[::ffff:127.0.0.1]/logout", "http://127.0.0.1:8080/logout",
                                     "https://localhost/logout", "https://metadata.internal/logout",
                                     "https://intranet/logout", "https://100.64.0.1/logout"])
def test_an_internal_back_channel_address_is_refused_outside_dev_mode(
        address: str, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services.settings, "env", "prod")
    new = NewClient(name="Partner", redirect_uris=("https://rp.example/cb",), backchannel_logout_uri=address)
    with pytest.raises(BastionError) as refused:
        create_client(services, new)
    assert refused.value.code == "request.invalid"
    monkeypatch.setattr(services.settings, "oidc_backchannel_allow_internal", True)
    row, _ = create_client(services, new)  # allowed explicitly
    assert row.backchannel_logout_uri == address


def test_a_public_back_channel_address_is_accepted(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services.settings, "env", "prod")
    row, _ = create_client(services, NewClient(name="Partner", redirect_uris=("https://rp.example/cb",),
                                               backchannel_logout_uri="https://partner.example.com/logout"))
    assert row.backchannel_logout_uri == "https://partner.example.com/logout"


def test_a_name_that_resolves_inside_is_not_posted_to(monkeypatch: pytest.MonkeyPatch) -> None:
    with LogoutReceiver() as receiver:
        [refused] = backchannel.post_all([(receiver.url, b"logout_token=x")], allow_internal=False)
        [allowed] = backchannel.post_all([(receiver.url, b"logout_token=x")], allow_internal=True)
    assert isinstance(refused, backchannel.InternalAddress) and allowed is None
