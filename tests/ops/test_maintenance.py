"""Maintenance windows (requirements §31) through the HTTP app, the clock moved across a window."""

from __future__ import annotations

from datetime import timedelta

from bastion.clock import rfc3339
from tests.conftest import DEFAULT_PASSWORD


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(client, email: str, password: str = DEFAULT_PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/v1/login", json={"email": email, "password": password})


def test_a_scheduled_window_pauses_sign_in_and_sign_up_only_while_it_lasts(app_client, account_factory,
                                                                           clock, staff) -> None:
    trader = account_factory()
    admin = staff("admin")["token"]
    starts, ends = clock.now() + timedelta(hours=1), clock.now() + timedelta(hours=2)
    created = app_client.post("/v1/admin/maintenance", headers=bearer(admin),
                              json={"starts_at": rfc3339(starts), "ends_at": rfc3339(ends), "message": "Upgrade"})
    assert created.status_code == 201
    status = app_client.get("/v1/status").json()["maintenance"]
    assert status["current"] is None and status["next"]["message"] == "Upgrade"
    assert login(app_client, trader["email"]).json()["status"] == "authenticated"

    clock.advance(hours=1, seconds=1)
    refused = login(app_client, trader["email"])
    assert refused.status_code == 503 and refused.json()["code"] == "service.maintenance"
    assert refused.json()["detail"] == "Upgrade"
    assert int(refused.headers["retry-after"]) == refused.json()["retry_after"] == 3599
    signup = app_client.post("/v1/accounts", json={"email": "new@example.com", "password": DEFAULT_PASSWORD})
    assert signup.status_code == 503 and signup.json()["code"] == "service.maintenance"
    assert app_client.get("/v1/status").json()["maintenance"]["current"]["message"] == "Upgrade"

    clock.advance(hours=1)
    assert login(app_client, trader["email"]).json()["status"] == "authenticated"
    assert app_client.get("/v1/status").json()["maintenance"] == {"current": None, "next": None}


def test_staff_may_sign_in_during_maintenance_and_sessions_keep_working(app_client, account_factory,
                                                                        staff) -> None:
    trader, admin_account = account_factory(), staff("admin")
    session = login(app_client, trader["email"]).json()["session"]["token"]
    admin = admin_account["token"]
    app_client.post("/v1/admin/maintenance/start", headers=bearer(admin), json={"minutes": 30})
    assert login(app_client, admin_account["email"]).json()["status"] == "mfa_required"  # not refused
    # A wrong staff password answers like everyone's: nothing tells staff accounts apart.
    assert login(app_client, admin_account["email"], "wrong password here now").json()["code"] == \
        "service.maintenance"
    assert app_client.get("/v1/session", headers=bearer(session)).status_code == 200
    assert app_client.post("/v1/admin/maintenance/stop", headers=bearer(admin)).json() == {"ended": 1}
    assert login(app_client, trader["email"]).json()["status"] == "authenticated"


def test_a_window_may_pause_signed_in_sessions_too(app_client, account_factory, services, staff) -> None:
    trader = account_factory()
    session = login(app_client, trader["email"]).json()["session"]["token"]
    admin = staff("admin")["token"]
    app_client.post("/v1/admin/maintenance/start", headers=bearer(admin), json={"minutes": 30, "block_sessions": True})
    paused = app_client.get("/v1/session", headers=bearer(session))
    assert paused.status_code == 503 and paused.json()["code"] == "service.maintenance"
    assert app_client.get("/v1/session", headers=bearer(admin)).status_code == 200


def test_a_staff_session_without_its_second_factor_is_paused_like_everyones(app_client, account_factory,
                                                                            staff) -> None:
    # A staff role is in effect only once a second factor was proved (accounts/staff.py): before, the
    # session is anyone's, and a window that pauses sessions pauses it too.
    unproved = account_factory(roles=["support"])
    answer = login(app_client, unproved["email"]).json()
    assert app_client.get("/v1/session", headers=bearer(answer["session"]["token"])).json()["session"]["aal"] == 1
    admin = staff("admin")["token"]
    app_client.post("/v1/admin/maintenance/start", headers=bearer(admin), json={"minutes": 30, "block_sessions": True})
    paused = app_client.get("/v1/session", headers=bearer(answer["session"]["token"]))
    assert paused.status_code == 503 and paused.json()["code"] == "service.maintenance"
    assert app_client.get("/v1/session", headers=bearer(admin)).status_code == 200


def test_only_admins_manage_windows_and_bad_windows_are_refused(app_client, clock, staff) -> None:
    support, admin = staff("support")["token"], staff("admin")["token"]
    assert app_client.post("/v1/admin/maintenance/start", headers=bearer(support),
                           json={"minutes": 5}).json()["code"] == "permission.denied"
    backwards = {"starts_at": rfc3339(clock.now() + timedelta(hours=2)),
                 "ends_at": rfc3339(clock.now() + timedelta(hours=1))}
    assert app_client.post("/v1/admin/maintenance", headers=bearer(admin), json=backwards).status_code == 422
    naive = {"starts_at": "2030-01-01T00:00:00", "ends_at": "2030-01-01T01:00:00"}
    assert app_client.post("/v1/admin/maintenance", headers=bearer(admin), json=naive).status_code == 422
