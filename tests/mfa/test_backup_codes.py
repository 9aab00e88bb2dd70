"""Backup codes (requirements §11): 10 of 80 bits, shown once, keyed hashes, single use, regenerable."""

from __future__ import annotations

import re

from sqlalchemy import select

from bastion.mfa.backup_codes import codes as backup_codes
from bastion.mfa.backup_codes.models import BackupCode
from tests.mfa.conftest import bearer, code_at

CROCKFORD_GROUPS = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


def test_a_set_is_ten_distinct_80_bit_codes_in_four_groups_of_four(enrolled) -> None:
    codes = enrolled()["backup_codes"]
    assert len(codes) == 10 == len(set(codes))
    assert all(CROCKFORD_GROUPS.match(code) for code in codes)
    assert len(codes[0].replace("-", "")) * 5 == 80


def test_typing_is_forgiving_about_case_spaces_dashes_and_look_alikes() -> None:
    code = "0123456789ABCDEF"
    assert backup_codes.normalize(" 0123 4567-89ab cdef ") == code
    assert backup_codes.normalize("O123-4567-89AB-CDEF") == code  # O reads as 0
    assert backup_codes.normalize("0I23-4567-89AB-CDEF") == code  # I (and L) read as 1
    assert backup_codes.normalize("0123-4567-89AB-CDEU") is None  # U is not Crockford
    assert backup_codes.normalize("0123") is None


def test_only_keyed_hashes_are_stored(enrolled, services) -> None:
    account = enrolled()
    with services.db.transaction() as tx:
        stored = list(tx.execute(select(BackupCode.code_mac)).scalars())
    assert len(stored) == 10 and all(re.fullmatch(r"[0-9a-f]{64}", mac) for mac in stored)
    for code in account["backup_codes"]:
        plain = code.replace("-", "")
        assert plain not in stored and backup_codes.code_mac(b"\0" * 32, plain) not in stored


def test_a_backup_code_finishes_sign_in_once_and_each_use_is_emailed(app_client, enrolled, mfa_flow, mailbox) -> None:
    account = enrolled()
    code = account["backup_codes"][3]
    typed = code.lower().replace("-", " ")
    answer = app_client.post(f"/v1/login/{mfa_flow(account)}/backup-code", json={"code": typed})
    assert answer.status_code == 200 and answer.json()["status"] == "authenticated"
    whoami = app_client.get("/v1/session", headers=bearer(answer.json()["session"]["token"])).json()
    assert whoami["session"]["aal"] == 2
    mail = mailbox.last(account["email"])
    assert mail["template"] == "backup_code_used" and "Backup codes left: 9" in mail["text"]
    assert code not in mail["text"] + mail["html"]
    reused = app_client.post(f"/v1/login/{mfa_flow(account)}/backup-code", json={"code": code})
    assert reused.status_code == 401 and reused.json()["code"] == "mfa.backup_code_invalid"
    summary = app_client.get("/v1/me/mfa", headers=account["headers"]).json()
    assert summary["backup_codes"]["remaining"] == 9 and summary["backup_codes"]["total"] == 10


def test_a_wrong_backup_code_is_refused(app_client, enrolled, mfa_flow) -> None:
    account = enrolled()
    for typed in ("0000-0000-0000-0000", "not a code"):
        answer = app_client.post(f"/v1/login/{mfa_flow(account)}/backup-code", json={"code": typed})
        assert answer.status_code == 401 and answer.json()["code"] == "mfa.backup_code_invalid"


def test_regenerating_needs_step_up_and_voids_the_old_set(app_client, enrolled, mfa_flow, clock, mailbox) -> None:
    account = enrolled()
    clock.advance(minutes=5, seconds=1)
    refused = app_client.post("/v1/me/backup-codes", headers=account["headers"])
    assert refused.status_code == 403 and refused.json()["code"] == "reauth.required"
    assert app_client.post("/v1/reauth", headers=account["headers"],
                           json={"totp": code_at(account["secret"], clock)}).status_code == 200
    answer = app_client.post("/v1/me/backup-codes", headers=account["headers"])
    assert answer.status_code == 200
    new_codes = answer.json()["backup_codes"]
    assert len(new_codes) == 10 and not set(new_codes) & set(account["backup_codes"])
    old = app_client.post(f"/v1/login/{mfa_flow(account)}/backup-code", json={"code": account["backup_codes"][0]})
    assert old.json()["code"] == "mfa.backup_code_invalid"
    new = app_client.post(f"/v1/login/{mfa_flow(account)}/backup-code", json={"code": new_codes[0]})
    assert new.json()["status"] == "authenticated"
    assert any("New backup codes were made" in mail["text"] for mail in mailbox.messages(account["email"]))


def test_when_all_codes_are_used_sign_in_no_longer_offers_them(app_client, enrolled, mfa_flow, clock) -> None:
    account = enrolled()
    for code in account["backup_codes"]:
        clock.advance(minutes=2)  # stay inside the account's 10 attempts per 15 min
        assert app_client.post(f"/v1/login/{mfa_flow(account)}/backup-code",
                               json={"code": code}).json()["status"] == "authenticated"
    flow = app_client.post("/v1/login", json={"email": account["email"], "password": account["password"]}).json()
    assert flow["flow"]["methods"] == ["totp"]
    answer = app_client.post(f"/v1/login/{flow['flow']['id']}/backup-code", json={"code": account["backup_codes"][0]})
    assert answer.status_code == 400 and answer.json()["code"] == "mfa.method_unavailable"


def test_backup_codes_need_a_real_factor_first(app_client, signed_in) -> None:
    answer = app_client.post("/v1/me/backup-codes", headers=signed_in()["headers"])
    assert answer.status_code == 400 and answer.json()["code"] == "mfa.method_unavailable"
