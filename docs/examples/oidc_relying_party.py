"""A complete relying party for Bastion in ~50 lines: Starlette + authlib.

    pip install authlib starlette uvicorn itsdangerous httpx
    BASTION=https://id.example.com CLIENT_ID=app_… CLIENT_SECRET=bcs_… uvicorn oidc_relying_party:app --port 8080

Register it first (redirect address exactly as below):

    bastion oidc client create "Example app" --redirect-uri http://127.0.0.1:8080/callback \
        --post-logout-redirect-uri http://127.0.0.1:8080/ --first-party
"""

import os

from authlib.integrations.starlette_client import OAuth
from starlette.applications import Starlette
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Route

oauth = OAuth()
oauth.register(
    "bastion",
    server_metadata_url=f"{os.environ['BASTION']}/.well-known/openid-configuration",
    client_id=os.environ["CLIENT_ID"],
    client_secret=os.environ["CLIENT_SECRET"],
    client_kwargs={"scope": "openid email restrictions", "code_challenge_method": "S256"},
)


async def home(request: Request) -> HTMLResponse:
    user = request.session.get("user")
    if not user:
        return HTMLResponse('<a href="/login">Sign in with Bastion</a>')
    holds = user.get("bastion", {}).get("restrictions", [])
    return HTMLResponse(f"Signed in as {user['email']} ({user['acr']}); holds: {holds} <a href='/logout'>Sign out</a>")


async def login(request: Request) -> RedirectResponse:
    # Before a withdrawal, ask for the second factor now: acr_values="aal2", max_age=0.
    return await oauth.bastion.authorize_redirect(request, str(request.url_for("callback")))


async def callback(request: Request) -> RedirectResponse:
    token = await oauth.bastion.authorize_access_token(request)  # checks state, nonce, the ID token's signature
    userinfo = await oauth.bastion.userinfo(token=token)
    request.session["user"] = {**token["userinfo"], **userinfo}
    request.session["id_token"] = token["id_token"]
    return RedirectResponse("/")


async def logout(request: Request) -> RedirectResponse:
    metadata = await oauth.bastion.load_server_metadata()
    hint = request.session.pop("id_token", "")
    request.session.clear()
    return RedirectResponse(f"{metadata['end_session_endpoint']}?id_token_hint={hint}"
                            f"&post_logout_redirect_uri={request.url_for('home')}")


app = Starlette(routes=[Route("/", home, name="home"), Route("/login", login),
                        Route("/callback", callback, name="callback"), Route("/logout", logout)])
app.add_middleware(SessionMiddleware, secret_key=os.environ.get("SESSION_SECRET", os.urandom(32).hex()),
                   https_only=os.environ["BASTION"].startswith("https://"))
