"""Demo accounts for `bastion demo` (dev only).

Staff accounts need 2FA (requirements §33), so the demo gives them an authenticator
key that is printed with their password — demo data, never a real secret. A second trader, Bob,
has lost his phone: his 2FA reset waits in the support queue with generated sample documents.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from bastion.accounts.admin import create_account
from bastion.accounts.repo import find_account_by_email
from bastion.context import Client
from bastion.mfa.totp import repo as totp_repo
from bastion.recovery.cases import add_document, replace_case_link, request_case
from bastion.recovery.evidence import DOCUMENT_KINDS
from bastion.services import Services

DEMO_ACCOUNTS = [
    ("alice@example.com", "amber kettle mosaic 58 sunrise", "trader"),
    ("support@example.com", "quiet lantern meadow 42 harbor", "support"),
    ("admin@example.com", "river orchard compass 17 maple", "admin"),
    ("bob@example.com", "copper willow lantern 93 brook", "trader"),  # lost his phone: 2FA reset in review
]
# Authenticator keys of the demo staff (and of Bob's lost phone): demo data only.
DEMO_TOTP_KEYS = {
    "support@example.com": "DEMOSUPPORTKEY2FAXXXXXXXXXXXXXXX",
    "admin@example.com": "DEMOADMINKEY2FAXXXXXXXXXXXXXXXXX",
    "bob@example.com": "DEMOBOBLOSTPHONEKEYXXXXXXXXXXXXX",
}


def seed_demo_accounts(services: Services) -> list[tuple[str, str, str]]:
    """Create the demo accounts that are missing; returns (email, password, role) for each."""
    for email, password, role in DEMO_ACCOUNTS:
        with services.db.transaction() as tx:
            exists = find_account_by_email(tx, email) is not None
        if exists:
            continue
        roles = [role] if role in {"support", "admin"} else []
        # Demo staff get their authenticator here, not from an emailed enrolment link.
        account_id = create_account(services, email, password, roles=roles, verified=True,
                                    enrolment_link=email not in DEMO_TOTP_KEYS)
        if email in DEMO_TOTP_KEYS:
            _enrol_totp(services, account_id, DEMO_TOTP_KEYS[email])
        if email == "bob@example.com":
            _open_sample_case(services, email, password)
    return DEMO_ACCOUNTS


def _enrol_totp(services: Services, account_id: str, secret: str) -> None:
    with services.db.transaction() as tx:
        totp_repo.enrol_confirmed(tx, services.keys, account_id, secret, services.clock.now())


def _open_sample_case(services: Services, email: str, password: str) -> None:
    """Bob's 2FA reset with three generated "documents", so the support queue has something to review."""
    client = Client(ip="127.0.0.1")
    case_id = request_case(services, "mfa_reset", email, password, client)
    token = replace_case_link(services, case_id)  # the emailed link's token is not kept anywhere readable
    for kind, label in DOCUMENT_KINDS.items():
        add_document(services, case_id, token, kind, _sample_image(label), client)


def _sample_image(label: str) -> bytes:
    image = Image.new("RGB", (640, 400), (236, 240, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 619, 379), outline=(90, 100, 120), width=4)
    draw.text((40, 40), "SAMPLE - demo data, not a real document", fill=(160, 30, 30))
    draw.text((40, 80), label[:70], fill=(20, 30, 50))
    draw.text((40, 110), "Bob Example - ID 000000000", fill=(20, 30, 50))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
