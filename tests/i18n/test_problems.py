"""problem+json and pages in the person's language: title, detail, help steps and action label are
translated; `code`, `type`, `status`, `help_url`, hrefs, field names and `reference` never change.
Pages and problems say their language in `Content-Language`."""

from __future__ import annotations

import pytest

from bastion import i18n
from bastion.catalogue import CATALOGUE
from bastion.errors import BastionError
from bastion.i18n import LANGUAGES, PSEUDO

SHIPPED = [*LANGUAGES, PSEUDO.tag]
SPANISH = {"Sign in first": "Primero inicia sesión", "You need to sign in to do this.": "Inicia sesión para hacer esto.",
           "Sign in, then try again.": "Inicia sesión y vuelve a intentarlo.", "Sign in again": "Vuelve a iniciar sesión"}
# What a program reads in a problem: the same in every language.
FIXED = ("type", "status", "code", "help_url", "retry_after")


def fixed_parts(problem: dict) -> dict:  # type: ignore[type-arg]
    return {"fixed": {name: problem.get(name) for name in FIXED}, "steps": len(problem["help"]),
            "action": {key: value for key, value in (problem.get("action") or {}).items() if key != "label"},
            "fields": [error["field"] for error in problem.get("errors", ())]}


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_reason_keeps_its_code_and_links_in_every_language(code: str) -> None:
    bodies = {}
    for tag in SHIPPED:
        with i18n.speaking(tag):
            bodies[tag] = BastionError(code, retry_after=30).problem("R-ABCDEFGH")
    english = bodies["en"]
    for tag, body in bodies.items():
        assert fixed_parts(body) == fixed_parts(english) and body["reference"] == "R-ABCDEFGH", tag
    pseudo = bodies[PSEUDO.tag]  # proof the text itself went through the catalogue
    assert pseudo["title"].startswith("⟦") and pseudo["detail"].startswith("⟦")
    assert all(step.startswith("⟦") for step in pseudo["help"])
    assert pseudo.get("action") is None or pseudo["action"]["label"].startswith("⟦")


def test_a_problem_is_translated_but_its_code_is_not(app_client, catalogue) -> None:
    catalogue("es", SPANISH)
    english = app_client.get("/v1/me/sessions")
    spanish = app_client.get("/v1/me/sessions", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert english.status_code == spanish.status_code == 401
    assert english.headers["content-language"] == "en" and spanish.headers["content-language"] == "es"
    assert spanish.headers["vary"] == "Accept-Language, Cookie"
    body = spanish.json()
    assert body["title"] == "Primero inicia sesión" and body["detail"] == "Inicia sesión para hacer esto."
    assert body["help"] == ["Inicia sesión y vuelve a intentarlo."]
    assert body["action"] == {"label": "Vuelve a iniciar sesión", "href": "/login", "endpoint": "POST /v1/login"}
    assert english.json()["title"] == "Sign in first"
    assert fixed_parts(body) == fixed_parts(english.json())


# Refusals a client meets, each provoked over HTTP in every language.
REFUSALS = {
    "session.required": lambda client, headers: client.get("/v1/me/sessions", headers=headers),
    "session.invalid": lambda client, headers: client.get("/v1/me/sessions", headers={
        **headers, "Authorization": "Bearer not-a-token"}),
    "resource.not_found": lambda client, headers: client.get("/v1/no-such-thing", headers=headers),
    "request.invalid": lambda client, headers: client.post("/v1/login", json={"email": 5}, headers=headers),
    "request.method_not_allowed": lambda client, headers: client.delete("/v1/status", headers=headers),
    "credentials.invalid": lambda client, headers: client.post(
        "/v1/login", json={"email": "nobody@example.com", "password": "wrong horse battery"}, headers=headers),
}


@pytest.mark.parametrize("code", sorted(REFUSALS))
def test_every_problem_for_a_reason_carries_the_same_code_in_every_language(app_client, code: str) -> None:
    answers = {tag: REFUSALS[code](app_client, {"Accept-Language": tag}) for tag in LANGUAGES}
    english = answers["en"].json()
    assert english["code"] == code
    for tag, answer in answers.items():
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["content-language"] == tag
        assert fixed_parts(answer.json()) == fixed_parts(english), tag


def test_pages_and_refusal_pages_say_their_language(app_client) -> None:
    for path in ("/login", "/signup", "/status", "/help/sign-in", "/no-such-page"):
        answer = app_client.get(path, headers={"Accept-Language": "ar", "Accept": "text/html"})
        assert answer.headers["content-type"].startswith("text/html"), path
        assert answer.headers["content-language"] == "ar" and "Accept-Language" in answer.headers["vary"], path
        assert '<html lang="ar" dir="rtl"' in answer.text, path
    assert "content-language" not in app_client.get("/static/bastion.css").headers
    # JSON may hold words a person reads (a reason's help, a next step): it says its language too.
    assert app_client.get("/v1/status", headers={"Accept-Language": "ar"}).headers["content-language"] == "ar"
