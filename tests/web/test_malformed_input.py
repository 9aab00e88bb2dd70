"""No 500 for anything a client can send: malformed bodies, headers and tokens get problem+json."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.catalogue import CATALOGUE
from bastion.web.body_limit import is_upload

ENDPOINTS = [
    ("POST", "/v1/accounts"),
    ("POST", "/v1/accounts/verify-email"),
    ("POST", "/v1/login"),
    ("POST", "/v1/logout"),
    ("GET", "/v1/session"),
    ("GET", "/v1/me/sessions"),
    ("DELETE", "/v1/me/sessions"),
    ("DELETE", "/v1/me/sessions/some-id"),
    ("GET", "/v1/me/activity"),
    ("PUT", "/v1/me/anti-phishing-code"),
    ("POST", "/v1/reauth"),
    ("POST", "/v1/introspect"),
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
field_names = st.sampled_from(["email", "password", "token", "code", "remember_device", "cidrs"])
bodies = st.one_of(
    json_values.map(lambda value: json.dumps(value).encode()),
    st.dictionaries(field_names, json_values, max_size=4).map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=200),
)
header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80)
headers = st.fixed_dictionaries({}, optional={
    "Authorization": st.one_of(header_text, header_text.map(lambda t: "Bearer " + t),
                               header_text.map(lambda t: "Bearer bst_" + t)),
    "Content-Type": st.sampled_from(["application/json", "text/plain", "multipart/form-data",
                                     "application/x-www-form-urlencoded", "application/json; charset=latin-1"]),
    "Cookie": header_text.map(lambda t: "bastion_session=" + t),
    "X-CSRF-Token": header_text,
    "X-Forwarded-For": header_text,
    "X-Device-Id": header_text,
    "Accept": st.sampled_from(["application/json", "text/html", "*/*"]),
})


def assert_clear_refusal_or_success(answer) -> None:  # type: ignore[no-untyped-def]
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400 and answer.headers["content-type"].startswith("application/problem+json"):
        body = answer.json()
        assert body["code"] in CATALOGUE
        assert body["reference"].startswith("R-") and body["help"]


@pytest.mark.parametrize("method, path", ENDPOINTS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, extra_headers=headers)
def test_no_server_error_for_any_body_or_header(app_client, method, path, body, extra_headers) -> None:
    answer = app_client.request(method, path, content=body, headers=extra_headers)
    assert_clear_refusal_or_success(answer)
    if path.startswith("/v1/") and answer.status_code >= 400:
        assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path, query", [
    ("/v1/me/activity", "limit=0"), ("/v1/me/activity", "limit=abc"), ("/v1/me/activity", "before=-1"),
    ("/v1/me/activity", "before=99999999999999999999999"), ("/v1/nope", ""), ("/v1/session", "x=%ff"),
])
def test_odd_queries_and_paths_are_refused_clearly(app_client, path, query) -> None:
    answer = app_client.get(f"{path}?{query}", headers={"Authorization": "Bearer bst_x"})
    assert_clear_refusal_or_success(answer)
    assert answer.headers["content-type"] == "application/problem+json"


def test_validation_errors_never_echo_the_submitted_values(app_client) -> None:
    secret = "my-secret-password-value"
    answer = app_client.post("/v1/login", json={"email": secret, "password": ["x", secret]})
    assert answer.status_code == 422
    assert answer.json()["code"] == "request.invalid"
    assert secret not in answer.text


def test_wrong_method_and_unknown_route_are_problems(app_client) -> None:
    wrong_method = app_client.get("/v1/login")
    assert wrong_method.json()["code"] == "request.method_not_allowed"
    assert wrong_method.headers["allow"] == "POST"  # what would be allowed (RFC 9110 §15.5.6)
    assert app_client.get("/v1/does-not-exist").json()["code"] == "resource.not_found"


# The OpenID provider's endpoints answer in OAuth's error format (RFC 6749 §5.2), never a 500:
# Basic credentials of any bytes (not UTF-8, no colon, a NUL), form fields of any text.
OAUTH_ENDPOINTS = ["/oauth2/token", "/oauth2/revoke", "/oauth2/introspect"]
basic_credentials = st.one_of(
    st.binary(max_size=40).map(lambda raw: "Basic " + base64.b64encode(raw).decode()),
    header_text.map(lambda text: "Basic " + text),
)
oauth_forms = st.lists(st.tuples(st.sampled_from(["grant_type", "code", "refresh_token", "token", "client_id",
                                                  "client_secret", "redirect_uri", "code_verifier"]),
                                 st.text(max_size=60)), max_size=6).map(urlencode)


@pytest.mark.parametrize("path", OAUTH_ENDPOINTS)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(authorization=basic_credentials, body=oauth_forms)
def test_oauth_endpoints_answer_oauth_errors_for_any_credentials(app_client, path, authorization, body) -> None:
    answer = app_client.post(path, content=body, headers={"Authorization": authorization,
                                                          "Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert answer.json()["error"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request_id=st.binary(min_size=1, max_size=80))
def test_oauth_pages_refuse_any_request_id_with_a_page(app_client, request_id) -> None:
    for path in ("/oauth2/confirm/", "/oauth2/authorize/resume/"):
        answer = app_client.get(path + quote(request_id, safe=""), follow_redirects=False)
        assert answer.status_code < 500, answer.text


@pytest.mark.parametrize("path", ["/v1/login", "/v1/accounts", "/v1/me/passkeys"])
def test_a_json_body_over_64_kib_is_refused_and_a_passkeys_fits(app_client, path) -> None:
    """A thousand slow connections hold what their bodies may grow to: JSON is capped at 64 KiB,
    far above the largest a route reads (a passkey's attestation, a few kilobytes)."""
    over = app_client.post(path, content=json.dumps({"email": "a@example.com", "password": "x" * 70_000}),
                           headers={"Content-Type": "application/json"})
    assert over.status_code == 413 and over.json()["code"] == "request.too_large"
    attestation = {"id": "a" * 64, "rawId": "a" * 64, "type": "public-key",
                   "response": {"clientDataJSON": "e" * 400, "attestationObject": "o" * 20_000}}
    fits = app_client.post(path, json={"email": "a@example.com", "password": "p", "credential": attestation})
    assert fits.status_code != 413


@pytest.mark.parametrize("method, path", [("PATCH", "/v1/me/passkeys/documents"), ("POST", "/v1/login/abc/documents"),
                                          ("PUT", "/v1/admin/rejection-reasons/documents")])
def test_only_the_upload_routes_take_large_bodies(app_client, method, path) -> None:
    """A path that merely ended in "/documents" (a route's id set to "documents") took 10 MB of
    JSON, parsed whole before its 401: 2.5 s of the event loop and 235 MB a request, from anyone."""
    over = app_client.request(method, path, content=b"[" + b"[]," * 30_000 + b"[]]",
                              headers={"Content-Type": "application/json"})
    assert over.status_code == 413 and over.json()["code"] == "request.too_large"
    assert is_upload("POST", "/v1/mfa-reset/0f1e/documents") and is_upload("POST", "/recovery/case/documents")
    assert not any(is_upload(*other) for other in (("PUT", "/v1/mfa-reset/0f1e/documents"), (method, path),
                                                   ("POST", "/v1/mfa-reset/a/b/documents")))
