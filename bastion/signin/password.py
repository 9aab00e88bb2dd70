"""Password sign-in: the first factor, then the flow's stages.

Wrong password, unknown email and an account without a password give the same
`credentials.invalid` after the same one argon2 verification (REQUIREMENTS 6).
The hash is computed outside any database transaction.
"""

from __future__ import annotations

from bastion.accounts.repo import find_account_by_email, normalize_email
from bastion.context import Client
from bastion.errors import BastionError, new_reference
from bastion.services import Services
from bastion.signin.attempts import record_attempt
from bastion.signin.flow import Authenticated, SignInResult, advance_flow, start_flow
from bastion.signin.stages import STAGES


def sign_in_with_password(
    services: Services, email: str, password: str, client: Client, remember: bool = False
) -> SignInResult:
    identifier = normalize_email(email)
    with services.db.transaction() as tx:
        account = find_account_by_email(tx, identifier)
        stored_hash = account.password_hash if account else None
    matched = services.passwords.verify(stored_hash, password)
    now = services.clock.now()

    if not matched or account is None or stored_hash is None:
        refusal = BastionError("credentials.invalid", reference=new_reference())
        with services.db.transaction() as tx:
            record_attempt(tx, now, identifier, "password", "failure", client,
                           account_id=account.id if account else None,
                           code=refusal.code, reference=refusal.reference)
        raise refusal

    account_id = account.id
    new_hash = services.passwords.hash(password) if services.passwords.needs_rehash(stored_hash) else None
    try:
        with services.db.transaction() as tx:
            account = tx.merge(account)
            if new_hash is not None:
                account.password_hash = new_hash
            flow = start_flow(services, tx, account, client, remember)
            result = advance_flow(services, tx, flow, account, client, STAGES)
            record_attempt(tx, now, identifier, "password",
                           "success" if isinstance(result, Authenticated) else "challenge",
                           client, account_id=account.id, flow_id=flow.id,
                           code=None if isinstance(result, Authenticated) else result.requirement.status)
            return result
    except BastionError as refusal:
        # Refused after the first factor (e.g. email not confirmed): the flow is rolled
        # back, the attempt is recorded in its own transaction with the reference.
        refusal.reference = new_reference()
        with services.db.transaction() as tx:
            record_attempt(tx, services.clock.now(), identifier, "password", "failure", client,
                           account_id=account_id, code=refusal.code, reference=refusal.reference)
        raise
