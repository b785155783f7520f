"""Request dependencies: who asks (or a refusal), the permission check, CSRF, paging."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Path, Query, Request
from sqlalchemy import Engine

from hotline.accounts.credentials import same_secret
from hotline.accounts.roles import Actor, Permission
from hotline.accounts.services import require
from hotline.web.errors import SignInRequired, WebError
from hotline.web.security import CSRF_HEADER, SAFE_METHODS, Principal, identify


def engine(request: Request) -> Engine:
    found: Engine = request.app.state.engine
    return found


def _readable(request: Request, principal: Principal) -> Principal:
    """Everyone signed in reads, if they hold a role at all (a refusal is audited)."""
    require(engine(request), principal.actor, Permission.READ, "read", request.url.path)
    request.state.principal = principal
    return principal


def api_principal(request: Request) -> Principal:
    principal = identify(request)
    if principal is None:
        raise WebError(401, "sign in, or send an API token: Authorization: Bearer hlt_...")
    if principal.via == "session" and request.method not in SAFE_METHODS:
        given = request.headers.get(CSRF_HEADER, "")
        if not principal.csrf or not same_secret(given, principal.csrf):
            raise WebError(403, f"a signed-in browser must send the {CSRF_HEADER} header",
                           "csrf")  # fmt: skip
    return _readable(request, principal)


def page_principal(request: Request) -> Principal:
    principal = identify(request)
    if principal is None or principal.via != "session":
        raise SignInRequired
    return _readable(request, principal)


def check_csrf(principal: Principal, given: str) -> None:
    """A form of a session carries the session's CSRF secret, or it is refused."""
    if principal.csrf is None or not same_secret(given, principal.csrf):
        raise WebError(403, "this form has expired or did not come from this site; reload the "
                       "page and try again", "csrf")  # fmt: skip


def allowed(
    request: Request, principal: Principal, permission: Permission, action: str, object_: str
) -> Actor:
    """The actor, if they may; otherwise the refusal is audited and answered with 403."""
    require(engine(request), principal.actor, permission, action, object_)
    return principal.actor


ApiPrincipal = Annotated[Principal, Depends(api_principal)]
PagePrincipal = Annotated[Principal, Depends(page_principal)]
Limit = Annotated[int, Query(ge=1, le=500, description="Items per page.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")]
# an id the store can hold (PostgreSQL's integer): a larger one is a 422, never a 500
JobId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The import's number.")]


# a form's CSRF secret (checked by :func:`check_csrf`, never trusted alone)
Csrf = Annotated[str, Form(max_length=128)]
