"""Single sign-on through OpenID Connect (configured by file; off unless configured).

``GET /sign-in/oidc`` sends the browser to the provider with a fresh attempt (state, nonce,
PKCE verifier) kept in a short-lived cookie; ``GET /sign-in/oidc/callback`` takes the
provider's answer, and on success opens a session exactly as a password sign-in does. The
protocol, the checks and the audit are :mod:`hotline.accounts.sso`'s; here are only the
browser's side of it: cookies, redirects and pages. Without a configuration both routes
answer 404.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from hotline.accounts import credentials, sso
from hotline.store.uow import unit_of_work
from hotline.web.deps import engine
from hotline.web.errors import WebError
from hotline.web.security import (
    SIGN_IN_COOKIE,
    secure_request,
    set_cookie,
    set_session_cookie,
)
from hotline.web.templating import render

router = APIRouter(include_in_schema=False)

START_PATH = "/sign-in/oidc"
ATTEMPT_COOKIE = "hotline_oidc"
LONGEST_PARAMETER = 4096  # characters of a callback parameter looked at
REFUSED = (
    "Sign-in through {label} was refused. If you should have access to hotline, ask an "
    "administrator of your organisation."
)
PROVIDER_FAILED = (
    "{label} could not be reached or gave an answer hotline cannot use. Try again later, or "
    "sign in with your password."
)
# The browser arrives here from the provider, a cross-site navigation: the session cookie
# (SameSite=Strict) would not be sent on a redirect that continues it, so the signed-in
# browser moves on from a page of this site instead (a meta refresh: no script needed).
SIGNED_IN_PAGE = (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
    '<meta http-equiv="refresh" content="0; url=/"><title>Signed in · hotline</title>'
    '</head><body><p>Signed in. <a href="/">Continue</a></p></body></html>\n'
)


def provider(request: Request) -> sso.Provider:
    """The configured provider (one per application, so its endpoints and keys are
    fetched once); 404 when single sign-on is not configured."""
    config: sso.OidcConfig | None = request.app.state.settings.oidc
    if config is None:
        raise WebError(404, "single sign-on is not configured", "not_found")
    found: sso.Provider | None = getattr(request.app.state, "oidc_provider", None)
    if found is None or found.config is not config:
        found = sso.Provider(config)
        request.app.state.oidc_provider = found
    return found


@router.get(START_PATH)
def start(request: Request) -> Response:
    chosen = provider(request)
    attempt = sso.Attempt.new()
    try:
        url = sso.begin(engine(request), chosen, attempt)
    except sso.Refused as refusal:
        return _refused(request, chosen.config, refusal)
    # a plain 303 to the provider: a navigation, which the page's CSP form-action (this
    # site's own forms only) does not govern
    response = RedirectResponse(url, status_code=303)
    # SameSite=Lax, not Strict: the provider sends the browser back with a cross-site
    # top-level navigation, on which a Strict cookie would not be sent (Lax cookies are,
    # on GET only). HttpOnly: no script needs it; the path keeps it off every other page.
    response.set_cookie(ATTEMPT_COOKIE, attempt.encoded(), max_age=sso.ATTEMPT_LIFETIME,
                        path=START_PATH, httponly=True, samesite="lax",
                        secure=secure_request(request))  # fmt: skip
    return response


@router.get(sso.CALLBACK_PATH)
def callback(request: Request) -> Response:
    chosen = provider(request)
    attempt = sso.Attempt.decoded(request.cookies.get(ATTEMPT_COOKIE, ""))
    try:
        actor = sso.complete(engine(request), chosen, attempt, _callback(request))
    except sso.Refused as refusal:
        response = _refused(request, chosen.config, refusal)
    else:
        with unit_of_work(engine(request)) as connection:
            session_id, _ = credentials.open_session(connection, actor)
        response = HTMLResponse(SIGNED_IN_PAGE)
        set_session_cookie(request, response, session_id)
        response.delete_cookie(SIGN_IN_COOKIE, path="/")
    response.delete_cookie(ATTEMPT_COOKIE, path=START_PATH)  # an attempt is used once
    return response


def _callback(request: Request) -> sso.Callback:
    """The provider's answer, each parameter cut to a length no real one reaches (an
    overlong one is still an attempt to audit, not a request to reject unseen)."""
    query = request.query_params
    return sso.Callback(
        state=query.get("state", "")[:LONGEST_PARAMETER],
        code=query.get("code", "")[:LONGEST_PARAMETER],
        error=query.get("error", "")[:LONGEST_PARAMETER],
    )


def _refused(request: Request, config: sso.OidcConfig, refusal: sso.Refused) -> Response:
    """The sign-in page with a generic message (the reason is in the audit trail only)."""
    failed = isinstance(refusal, sso.ProviderFailed)
    message = (PROVIDER_FAILED if failed else REFUSED).format(label=config.label)
    # the password form stays usable: it needs its own CSRF secret, as on /sign-in
    secret = secrets.token_urlsafe(32)
    response = render(request, "sign_in.html", {"form_secret": secret, "message": message},
                      status=502 if failed else 401)  # fmt: skip
    set_cookie(request, response, SIGN_IN_COOKIE, secret, max_age=3600)
    return response
