"""Managing people from the web: an organisation's admins add people, change their role,
remove, disable and unlock them and set their passwords (on the admin page); every
signed-in user changes their own password (on the account page).

Every change is one call to an accounts service with the acting admin, in one unit of
work, and every change is audited there. A refusal (a role without the right, a person
outside the admin's organisation, or also in another one) is audited and answered 403; a
change that cannot be made (a taken name, the last admin) re-renders the page with why
(422); a change made redirects (303), so a reload never repeats it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import Connection
from starlette.responses import Response

from hotline.accounts import credentials
from hotline.accounts.roles import Actor, Permission, Role, parse_role
from hotline.accounts.services import (
    AccountError,
    add_member,
    change_own_password,
    disable_user,
    remove_member,
    require_member,
    roles_held,
    set_role,
    unlock,
)
from hotline.store.uow import unit_of_work
from hotline.web.admin_pages import admin_page
from hotline.web.deps import Csrf, PagePrincipal, allowed, check_csrf, engine
from hotline.web.security import Principal, set_session_cookie
from hotline.web.templating import render

router = APIRouter(include_in_schema=False)

# names and roles are checked by the services (checked_name, parse_role): these bounds
# only keep an oversized field from reaching them
Name = Annotated[str, Form(max_length=200)]
RoleName = Annotated[str, Form(max_length=16)]
Password = Annotated[str, Form(max_length=credentials.MAX_PASSWORD)]

ACCOUNT_DONE = {"password": "Your password is changed; every other session of yours ended."}


# --- the admin's forms --------------------------------------------------------------------


@router.post("/admin/people")
def add_person(
    request: Request,
    principal: PagePrincipal,
    name: Name,
    role: RoleName,
    kind: Annotated[str, Form(max_length=16)] = "person",
    csrf: Csrf = "",
) -> Response:
    check_csrf(principal, csrf)
    actor = allowed(request, principal, Permission.MANAGE, "users.add", name)
    return _change(request, principal, "added",
                   lambda c: add_member(c, actor, name, _role(role), kind))  # fmt: skip


@router.post("/admin/people/role")
def change_role(
    request: Request, principal: PagePrincipal, name: Name, role: RoleName, csrf: Csrf = ""
) -> Response:
    actor = _managing(request, principal, csrf, "users.role", name)
    return _change(request, principal, "role", lambda c: set_role(c, actor, name, _role(role)))


@router.post("/admin/people/remove")
def remove_person(
    request: Request, principal: PagePrincipal, name: Name, csrf: Csrf = ""
) -> Response:
    actor = _managing(request, principal, csrf, "users.remove", name)
    return _change(request, principal, "removed", lambda c: remove_member(c, actor, name))


@router.post("/admin/people/disable")
def disable_person(
    request: Request, principal: PagePrincipal, name: Name, csrf: Csrf = ""
) -> Response:
    actor = _managing(request, principal, csrf, "users.disable", name)
    return _change(request, principal, "disabled", lambda c: disable_user(c, actor, name))


@router.post("/admin/people/password")
def set_member_password(
    request: Request,
    principal: PagePrincipal,
    name: Name,
    password: Password,
    again: Password,
    csrf: Csrf = "",
) -> Response:
    actor = _managing(request, principal, csrf, "users.password", name)

    def change(connection: Connection) -> None:
        if name == actor.name:  # here no current password is asked for; there it is
            raise AccountError("change your own password on your account page (/account)")
        _confirmed(password, again)
        credentials.set_password(connection, actor, name, password)

    return _change(request, principal, "password", change)


@router.post("/admin/people/unlock")
def unlock_person(
    request: Request, principal: PagePrincipal, name: Name, csrf: Csrf = ""
) -> Response:
    actor = _managing(request, principal, csrf, "users.unlock", name)
    return _change(request, principal, "unlocked", lambda c: unlock(c, actor, name))


def _managing(request: Request, principal: Principal, csrf: str, action: str, name: str) -> Actor:
    """The acting admin, if the form is theirs, they may manage people and ``name`` is a
    member of their organisation alone; otherwise a refusal (403, audited)."""
    check_csrf(principal, csrf)
    actor = allowed(request, principal, Permission.MANAGE, action, name)
    require_member(engine(request), actor, action, name)
    return actor


def _change(
    request: Request, principal: Principal, done: str, change: Callable[[Connection], None]
) -> Response:
    """Make one change in one unit of work, then back to the admin page; a change that
    cannot be made rolls back and the page says why."""
    try:
        with unit_of_work(engine(request)) as connection:
            change(connection)
    except AccountError as error:
        return admin_page(request, principal, {"message": str(error)}, status=422)
    return RedirectResponse(f"/admin?done={done}", status_code=303)


def _role(text: str) -> Role:
    try:
        return parse_role(text)
    except ValueError as error:
        raise AccountError(str(error)) from None


def _confirmed(password: str, again: str) -> None:
    """The form asks for a new password twice: a typo would otherwise lock its owner out."""
    if password != again:
        raise AccountError("the two new passwords differ; nothing changed")


# --- everyone's own account ---------------------------------------------------------------


@router.get("/account")
def account(
    request: Request, principal: PagePrincipal, done: Annotated[str, Query(max_length=32)] = ""
) -> Response:
    return _account(request, principal, {"done": ACCOUNT_DONE.get(done, "")})


@router.post("/account/password")
def change_password(
    request: Request,
    principal: PagePrincipal,
    current: Password,
    password: Password,
    again: Password,
    csrf: Csrf = "",
) -> Response:
    check_csrf(principal, csrf)
    try:
        _confirmed(password, again)
        session_id, _ = change_own_password(engine(request), principal.actor, current, password)
    except AccountError as error:
        return _account(request, principal, {"message": str(error)}, status=422)
    # the new password ended every session, this one too: this browser gets a fresh one
    response = RedirectResponse("/account?done=password", status_code=303)
    set_session_cookie(request, response, session_id)
    return response


def _account(
    request: Request, principal: Principal, extra: dict[str, Any], status: int = 200
) -> Response:
    with engine(request).connect() as connection:
        roles = roles_held(connection, principal.actor.name)
    context = {"roles": roles, "min_password": credentials.MIN_PASSWORD, **extra}
    return render(request, "account.html", context, status=status)
