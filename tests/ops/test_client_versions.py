"""Client-version policy (requirements §32)."""

from __future__ import annotations

import pytest

from bastion.ops.client_versions import parse_version, set_policy
from tests.conftest import DEFAULT_PASSWORD


def login(client, email: str, platform: str | None, version: str | None):  # type: ignore[no-untyped-def]
    headers = {}
    if platform:
        headers["X-Client-Platform"] = platform
    if version:
        headers["X-Client-Version"] = version
    return client.post("/v1/login", json={"email": email, "password": DEFAULT_PASSWORD}, headers=headers)


def test_below_minimum_is_426_with_the_update_url_and_below_recommended_is_a_hint(
    app_client, account_factory, services
) -> None:
    account = account_factory()
    set_policy(services, "ios", "3.2.0", "3.4.0", "https://apps.example.com/bastion")
    outdated = login(app_client, account["email"], "ios", "3.1.9")
    assert outdated.status_code == 426 and outdated.json()["code"] == "client.outdated"
    assert outdated.json()["update_url"] == "https://apps.example.com/bastion"
    hinted = login(app_client, account["email"], "ios", "3.3.0").json()
    assert hinted["status"] == "authenticated"
    assert hinted["update_available"] == {"recommended_version": "3.4.0",
                                          "update_url": "https://apps.example.com/bastion"}
    current = login(app_client, account["email"], "ios", "3.4.0").json()
    assert "update_available" not in current
    # Other platforms, or no headers (a browser), are not gated.
    assert login(app_client, account["email"], "android", "1.0.0").json()["status"] == "authenticated"
    assert login(app_client, account["email"], None, None).json()["status"] == "authenticated"
    # A version that does not parse is below any minimum.
    assert login(app_client, account["email"], "ios", "banana").json()["code"] == "client.outdated"


def test_the_policy_is_set_by_admins_and_shown_on_the_status(app_client, staff) -> None:
    headers = staff("admin")["headers"]
    saved = app_client.put("/v1/admin/client-versions/android", headers=headers,
                           json={"minimum": "2.0.0", "recommended": "2.5.1", "update_url": "https://x.example/app"})
    assert saved.status_code == 200
    assert app_client.get("/v1/status").json()["client_versions"] == [
        {"platform": "android", "minimum": "2.0.0", "recommended": "2.5.1", "update_url": "https://x.example/app"}]
    assert app_client.put("/v1/admin/client-versions/symbian", headers=headers, json={}).status_code == 422
    assert app_client.put("/v1/admin/client-versions/ios", headers=headers,
                          json={"minimum": "3.0", "recommended": "2.0"}).status_code == 422


@pytest.mark.parametrize("text, parsed", [("1.2.3", (1, 2, 3)), ("v2.0", (2, 0, 0)), ("10", (10, 0, 0)),
                                          ("1.2.3-beta.1", (1, 2, 3)), ("x1", None), ("", None)])
def test_versions_are_read_as_semver(text, parsed) -> None:
    assert parse_version(text) == parsed
