"""Answers of the provider as HTTP: authlib's answers, and the way back to the app.

Back to the app with a code (or an OAuth error) is a plain 302 when the app's request went straight
through. After one of Bastion's pages (sign-in, confirm, consent) it is a small page instead: the
pages' Content-Security-Policy allows forms to post to Bastion only (`form-action 'self'`), which
browsers enforce on the redirects that follow a form too, so the page moves on by itself (a meta
refresh, or for `response_mode=form_post` a form its script submits) with a link as a fallback.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from bastion.oidc.authorize import ToClient
from bastion.oidc.protocol import Answer
from bastion.web.brand import image_origin
from bastion.web.headers import page_csp
from bastion.web.pages.render import render

# What an authorization response carries (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207): nothing else is re-sent.
RESPONSE_PARAMS = ("code", "state", "iss", "error", "error_description", "error_uri")


def http_answer(answer: Answer) -> Response:
    """authlib's (status, body, headers) as a response."""
    headers = dict(answer.headers)
    if isinstance(answer.body, dict):
        headers.pop("Content-Type", None)
        return JSONResponse(answer.body, status_code=answer.status, headers=headers)
    return Response(answer.body or b"", status_code=answer.status, headers=headers)


def to_client(request: Request, outcome: ToClient) -> Response:
    location, client_name = outcome.answer.location, outcome.client_name
    if location is None:  # not a redirect (authlib answered an error body)
        return http_answer(outcome.answer)
    if outcome.response_mode == "form_post":
        return _form_post(request, location, client_name)
    if not outcome.after_page:
        return RedirectResponse(location, status_code=302)
    return render(request, "oidc/continue.html", client_name=client_name, location=location, fields=None)


def _form_post(request: Request, location: str, client_name: str) -> Response:
    """OAuth 2.0 Form Post Response Mode: the parameters in a form posted to the redirect address."""
    parts = urlsplit(location)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    fields = [(key, value) for key, value in pairs if key in RESPONSE_PARAMS]
    target = parts._replace(query=urlencode([item for item in pairs if item[0] not in RESPONSE_PARAMS]),
                            fragment="").geturl()
    origin = f"{parts.scheme}://{parts.netloc}"
    response = render(request, "oidc/continue.html", client_name=client_name, location=target, fields=fields)
    csp = page_csp(image_origin(request.app.state.services.settings))
    response.headers["content-security-policy"] = csp.replace("form-action 'self'", f"form-action 'self' {origin}")
    return response
