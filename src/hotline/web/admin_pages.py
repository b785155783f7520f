"""The admin page: the organisation (its name and report sources), its people and the forms
that manage them (see :mod:`hotline.web.people`), their API tokens, the audit log and its
verdict. Admins manage their own organisation only."""

from __future__ import annotations

from itertools import islice
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from hotline.accounts import audit as audit_trail
from hotline.accounts import credentials
from hotline.accounts.roles import Permission, Role
from hotline.accounts.services import AccountError, members, organisation_sources
from hotline.store.uow import unit_of_work
from hotline.web.deps import Csrf, PagePrincipal, allowed, check_csrf, engine
from hotline.web.templating import render

router = APIRouter(include_in_schema=False)


# what a change of people was, said on the page it redirects to (fixed texts: the query
# parameter only picks one, so nothing from the request is ever shown)
DONE = {
    "added": "Added to the organisation.",
    "role": "Role changed; it applies from their next request.",
    "removed": "Removed from the organisation: their sessions ended and their tokens are revoked.",
    "disabled": "Disabled: they can no longer sign in or act; their sessions ended.",
    "password": "Password set, and their open sessions ended. Hand it over in person or by "
    "another channel; it is not shown again.",
    "unlocked": "Unlocked: they can sign in again.",
}


@router.get("/admin")
def admin(
    request: Request, principal: PagePrincipal, done: Annotated[str, Query(max_length=32)] = ""
) -> Response:
    return admin_page(request, principal, {"done": DONE.get(done, "")})


def admin_page(
    request: Request, principal: Any, extra: dict[str, Any], status: int = 200
) -> Response:
    """The admin page, with ``extra`` (a message, a new token) in its context."""
    actor = allowed(request, principal, Permission.MANAGE, "audit.list", "admin page")
    organisation = actor.organisation or ""
    with engine(request).connect() as connection:
        people = members(connection, organisation)
        sources = organisation_sources(connection, organisation)
        names = {u.name for u in people}
        tokens = [t for t in credentials.tokens(connection) if t.user in names]
        rows = audit_trail.events(connection, organisation=organisation, limit=50)
        events = list(islice(rows, 50))
        verdict = audit_trail.verify(connection)
    context = {"people": people, "sources": sources, "tokens": tokens, "events": events,
               "verdict": verdict, "roles": [r.value for r in Role],
               "min_password": credentials.MIN_PASSWORD, **extra}  # fmt: skip
    return render(request, "admin.html", context, status=status)


@router.post("/admin/tokens")
def add_token(
    request: Request,
    principal: PagePrincipal,
    user: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=64)],
    scope: Annotated[str, Form(max_length=8)],
    csrf: Csrf = "",
) -> Response:
    check_csrf(principal, csrf)
    actor = allowed(request, principal, Permission.MANAGE, "tokens.add", f"{user}/{name}")
    try:
        with unit_of_work(engine(request)) as connection:
            _member(connection, actor.organisation, user)
            token = credentials.issue_token(connection, actor, user, name, scope)
    except AccountError as error:
        return admin_page(request, principal, {"message": str(error)}, status=422)
    # shown once, on this response only (no-store): the store keeps only its hash
    return admin_page(request, principal, {"new_token": token, "token_for": f"{user}/{name}"})


@router.post("/admin/tokens/revoke")
def revoke_token(
    request: Request,
    principal: PagePrincipal,
    user: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=64)],
    csrf: Csrf = "",
) -> Response:
    check_csrf(principal, csrf)
    actor = allowed(request, principal, Permission.MANAGE, "tokens.revoke", f"{user}/{name}")
    try:
        with unit_of_work(engine(request)) as connection:
            _member(connection, actor.organisation, user)
            credentials.revoke_token(connection, actor, user, name)
    except AccountError as error:
        return admin_page(request, principal, {"message": str(error)}, status=422)
    return RedirectResponse("/admin", status_code=303)


def _member(connection: Any, organisation: str | None, user: str) -> None:
    """An admin manages the tokens of their own organisation's people only."""
    if not any(u.name == user for u in members(connection, organisation or "")):
        raise AccountError(f"'{user}' is not a member of {organisation}")
