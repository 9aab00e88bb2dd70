"""The account's language and time zone: `GET`/`PATCH /v1/me/preferences` and the security page."""

from __future__ import annotations

from bastion import i18n
from tests.web.test_pages import hidden, sign_in


def bearer(app_client, account: dict[str, str]) -> dict[str, str]:
    answer = app_client.post("/v1/login", json={"email": account["email"], "password": account["password"]})
    return {"Authorization": f"Bearer {answer.json()['session']['token']}"}


def test_preferences_are_read_and_changed_field_by_field(app_client, account_factory) -> None:
    headers = bearer(app_client, account_factory())
    assert app_client.get("/v1/me/preferences", headers=headers).json() == {"language": None, "time_zone": None}

    changed = app_client.patch("/v1/me/preferences", json={"language": "ZH-hans"}, headers=headers)
    assert changed.status_code == 200 and changed.json() == {"language": "zh-Hans", "time_zone": None}
    changed = app_client.patch("/v1/me/preferences", json={"time_zone": "America/Sao_Paulo"}, headers=headers)
    assert changed.json() == {"language": "zh-Hans", "time_zone": "America/Sao_Paulo"}  # the language kept
    cleared = app_client.patch("/v1/me/preferences", json={"language": None}, headers=headers)
    assert cleared.json() == {"language": None, "time_zone": "America/Sao_Paulo"}
    assert app_client.get("/v1/me/preferences", headers=headers).json() == cleared.json()


def test_an_unknown_language_or_zone_is_refused_with_the_field_named(app_client, account_factory) -> None:
    headers = bearer(app_client, account_factory())
    for body, field in (({"language": "fr"}, "language"), ({"language": "en-XA"}, "language"),
                        ({"time_zone": "Mars/Olympus"}, "time_zone"), ({"time_zone": "../../etc/passwd"}, "time_zone"),
                        ({"language": 7}, "body.language"), ({"time_zone": "x" * 65}, "body.time_zone")):
        refused = app_client.patch("/v1/me/preferences", json=body, headers=headers)
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["code"] == "request.invalid" and [error["field"] for error in problem["errors"]] == [field]
        assert "Mars" not in str(problem["errors"])  # the value sent is never echoed
    assert app_client.get("/v1/me/preferences", headers=headers).json() == {"language": None, "time_zone": None}
    assert app_client.get("/v1/me/preferences").status_code == 401


def test_the_security_page_saves_both_and_speaks_the_language_at_once(app_client, account_factory) -> None:
    account = account_factory()
    assert sign_in(app_client, account["email"]).status_code == 303
    page = app_client.get("/security/preferences")
    assert page.status_code == 200 and 'href="/security/preferences" aria-current="page"' in page.text
    assert '<option value="Europe/Madrid">Spain (Madrid) Time · Europe/Madrid</option>' in page.text
    csrf = hidden(page.text)

    saved = app_client.post("/security/preferences", follow_redirects=False,
                            data={"language": "es", "time_zone": "Europe/Madrid", "csrf_token": csrf})
    assert saved.status_code == 303 and saved.headers["location"] == "/security/preferences?done=saved"
    assert saved.headers["set-cookie"].startswith("bastion_lang=es;")
    shown = app_client.get(saved.headers["location"])
    with i18n.speaking("es"):
        saved = i18n.gettext("Saved. Pages and emails use your choices from now on.")
    assert shown.headers["content-language"] == "es" and saved in shown.text and not saved.startswith("Saved.")
    assert '<option value="es" lang="es" translate="no" selected>' in shown.text
    assert "hora de España (Madrid) · Europe/Madrid</option>" in shown.text  # zone names in the page's language
    assert app_client.get("/v1/me/preferences").json() == {"language": "es", "time_zone": "Europe/Madrid"}

    refused = app_client.post("/security/preferences", data={"language": "es", "time_zone": "Nowhere/Else",
                                                             "csrf_token": csrf})
    assert refused.status_code == 422 and 'name="time_zone" aria-invalid="true"' in refused.text
    forged = app_client.post("/security/preferences", data={"language": "ar", "time_zone": ""})
    assert forged.status_code == 403
    cleared = app_client.post("/security/preferences", data={"language": "", "time_zone": "", "csrf_token": csrf},
                              follow_redirects=False)
    assert 'bastion_lang=""' in cleared.headers["set-cookie"]  # back to what the browser says
    assert app_client.get("/v1/me/preferences").json() == {"language": None, "time_zone": None}
