"""Permission-matrix entries for the web's people routes (merged into the matrix of
tests/test_web.py, which fails for any route without an entry).

The matrix shares its world with the other web tests, so these requests never touch the
world's own users: every member form acts on a throwaway member of org-a (a new uuid name
for each request), and the own-password form is sent with a too-short new password, which
is refused before the current password is checked (so no sign-in failure is counted
towards anyone's lock-out)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from hotline.accounts.models import User
from hotline.accounts.roles import Role, local_admin
from hotline.accounts.services import add_user
from hotline.store.types import utcnow
from hotline.store.uow import unit_of_work

ADMIN_FORM = (303, 403, 403, 303, 403)

# (method, route path) -> expected status for anonymous, viewer, analyst, admin, other org's
# analyst
MATRIX: dict[tuple[str, str], tuple[int, ...]] = {
    ("GET", "/account"): (303, 200, 200, 200, 200),
    ("POST", "/account/password"): (303, 422, 422, 422, 422),  # the new one is too short
    ("POST", "/admin/people"): ADMIN_FORM,
    ("POST", "/admin/people/role"): ADMIN_FORM,
    ("POST", "/admin/people/remove"): ADMIN_FORM,
    ("POST", "/admin/people/disable"): ADMIN_FORM,
    ("POST", "/admin/people/password"): ADMIN_FORM,
    ("POST", "/admin/people/unlock"): ADMIN_FORM,
}

THROWAWAY_PASSWORD = "a throwaway member's password"  # noqa: S105 -- a test account's


def request_for(
    web: Any, who: str, method: str, path: str, csrf: str
) -> tuple[str, dict[str, Any]] | None:
    """The concrete path and request arguments for one of this part's routes (None: not
    one of them)."""
    if (method, path) not in MATRIX:
        return None
    if method == "GET":
        return path, {}
    if path == "/account/password":
        data = {"current": "not checked", "password": "short", "again": "short"}
        return path, {"data": {**data, "csrf": csrf}}
    name = f"matrix-{uuid.uuid4().hex[:10]}"
    if path == "/admin/people":
        return path, {"data": {"name": name, "role": "viewer", "csrf": csrf}}
    _throwaway_member(web, name, locked=path.endswith("/unlock"))
    fields = {
        "/admin/people/role": {"role": "analyst"},
        "/admin/people/password": {"password": THROWAWAY_PASSWORD, "again": THROWAWAY_PASSWORD},
    }
    return path, {"data": {"name": name, **fields.get(path, {}), "csrf": csrf}}


def _throwaway_member(web: Any, name: str, locked: bool) -> None:
    """A viewer of org-a (the matrix's admin's organisation), locked out if asked."""
    with unit_of_work(web.engine) as connection:
        add_user(connection, local_admin("matrix"), name, [("org-a", Role.VIEWER)])
        if locked:
            connection.execute(
                update(User)
                .where(User.name == name)
                .values(failed_sign_ins=5, locked_until=utcnow() + timedelta(minutes=1))
            )
