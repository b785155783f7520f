"""The admin page: the organisation's people, their API tokens, the audit log and its
verdict. Admins manage their own organisation only."""

from __future__ import annotations

from itertools import islice
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from hotline.accounts import audit as audit_trail
from hotline.accounts import credentials
from hotline.accounts.roles import Permission
from hotline.accounts.services import AccountError, users
from hotline.store.uow import unit_of_work
from hotline.web.deps import Csrf, PagePrincipal, allowed, check_csrf, engine
from hotline.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/admin")
def admin(request: Request, principal: PagePrincipal) -> Response:
    return _admin(request, principal, {})


def _admin(request: Request, principal: Any, extra: dict[str, Any], status: int = 200) -> Response:
    actor = allowed(request, principal, Permission.MANAGE, "audit.list", "admin page")
    with engine(request).connect() as connection:
        people = [u for u in users(connection)
                  if any(org == actor.organisation for org, _ in u.roles)]  # fmt: skip
        names = {u.name for u in people}
        tokens = [t for t in credentials.tokens(connection) if t.user in names]
        rows = audit_trail.events(connection, organisation=actor.organisation or "", limit=50)
        events = list(islice(rows, 50))
        verdict = audit_trail.verify(connection)
    return render(request, "admin.html", {"people": people, "tokens": tokens, "events": events,
                                          "verdict": verdict, **extra}, status=status)  # fmt: skip


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
        return _admin(request, principal, {"message": str(error)}, status=422)
    # shown once, on this response only (no-store): the store keeps only its hash
    return _admin(request, principal, {"new_token": token, "token_for": f"{user}/{name}"})


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
        return _admin(request, principal, {"message": str(error)}, status=422)
    return RedirectResponse("/admin", status_code=303)


def _member(connection: Any, organisation: str | None, user: str) -> None:
    """An admin manages the tokens of their own organisation's people only."""
    if not any(u.name == user and any(o == organisation for o, _ in u.roles)
               for u in users(connection)):  # fmt: skip
        raise AccountError(f"'{user}' is not a member of {organisation}")
