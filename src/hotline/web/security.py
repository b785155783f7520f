"""Who is asking, and the headers and cookies that keep a browser safe.

Two ways in: a browser session (an HttpOnly, SameSite=Strict cookie whose SHA-256 names a
row of ``web_sessions``) or an API token (``Authorization: Bearer hlt_...``). A cookie is
sent by the browser on its own, so every unsafe request of a session must also carry the
session's CSRF secret (a form field, or the ``X-CSRF-Token`` header); a bearer token is never
sent on its own, so it needs none.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from hotline.accounts.credentials import (
    SESSION_LIFETIME,
    session_actor,
    token_actor,
)
from hotline.accounts.roles import Actor

SESSION_COOKIE = "hotline_session"
SIGN_IN_COOKIE = "hotline_sign_in"  # the sign-in form's CSRF secret, before any session
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Nothing may come from anywhere but this server: no scripts, styles, images or frames from
# elsewhere, no form posting elsewhere, no framing of these pages.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


@dataclass(frozen=True)
class Principal:
    """The actor of a request and how they came in."""

    actor: Actor
    via: str  # "session" | "token"
    csrf: str | None = None  # the session's CSRF secret
    session_id: str | None = None
    scope: str = "write"


def identify(request: Request) -> Principal | None:
    """The request's actor, from a bearer token or else the session cookie; None when
    neither names a live session or a valid token."""
    engine = request.app.state.engine
    header = request.headers.get("authorization", "")
    if header:
        kind, _, token = header.partition(" ")
        if kind.lower() != "bearer" or not token.strip():
            return None
        found = token_actor(engine, token.strip())
        if found is None:
            return None
        actor, scope = found
        return Principal(actor, "token", scope=scope)
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    with engine.connect() as connection:
        session = session_actor(connection, session_id)
    if session is None:
        return None
    return Principal(session.actor, "session", session.csrf, session_id)


def secure_request(request: Request) -> bool:
    """Send cookies with ``Secure`` on HTTPS (a TLS proxy sets X-Forwarded-Proto, which
    uvicorn applies for trusted proxies) or when the operator says so."""
    return request.url.scheme == "https" or bool(request.app.state.settings.secure_cookies)


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=secure_request(request),
        path="/",
    )


def set_session_cookie(request: Request, response: Response, session_id: str) -> None:
    set_cookie(request, response, SESSION_COOKIE, session_id,
               int(SESSION_LIFETIME.total_seconds()))  # fmt: skip
