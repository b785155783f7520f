"""Accounts: who the actor is, whether they may act, and the admin's writes on accounts.

Every write here takes the caller's transaction and the acting :class:`Actor`, checks the
actor's permission and records one audit event; a refusal is recorded too (in its own
transaction, so it survives the refused one being rolled back).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from hotline.accounts.audit import FAILED, OK, REFUSED, record_event, storable
from hotline.accounts.models import Membership, Organisation, OrganisationSource, User
from hotline.accounts.roles import USER_KINDS, Actor, Permission, Role, local_admin
from hotline.intake.models import Source
from hotline.store.uow import unit_of_work

MAX_NAME = 64


class AccountError(ValueError):
    """A request about accounts that cannot be met; the message says why."""


class NotAllowed(PermissionError):
    """The actor lacks the permission; the message names it and the refusal is audited."""


def checked_name(text: str, what: str) -> str:
    """A user or organisation name: 1–64 visible characters, no spaces, no controls."""
    value = text.strip()
    if not value:
        raise AccountError(f"the {what} name is empty")
    if len(value) > MAX_NAME:
        raise AccountError(f"the {what} name has {len(value)} characters; at most {MAX_NAME}")
    for char in value:
        if char.isspace() or unicodedata.category(char)[0] in "CZ":
            raise AccountError(
                f"the {what} name holds U+{ord(char):04X}: only visible characters, no spaces"
            )
    return value


def has_users(connection: Connection) -> bool:
    return connection.execute(select(User.id).limit(1)).first() is not None


def resolve_actor(
    connection: Connection, name: str, organisation: str | None = None, login: str | None = None
) -> Actor:
    """The actor for ``name``; on a database without users, the implicit local admin.

    With users, an unknown or disabled name is refused, and so is an organisation the user
    is not a member of. A member of several organisations acts in the one named, or, when
    none is named, in the one where their roles are strongest (ties: the first by name).
    ``login`` is the operating-system user running the command: when it is itself a user of
    the database, it may act as another name (``--as``) only if it is an admin — an analyst
    cannot become an admin by typing a name. (The CLI identifies, it does not authenticate:
    whoever holds the database's credentials can do anything; see docs/accounts.md.)
    """
    if not has_users(connection):
        return local_admin(storable(name, MAX_NAME))
    if login is not None and login != name and not _may_impersonate(connection, login):
        raise AccountError(
            f"'{login}' may not act as '{name}': only an admin may use --as for another user"
        )
    user = connection.execute(select(User).where(User.name == name)).first()
    if user is None:
        raise AccountError(
            f"'{name}' is not a user of this database; an admin adds one with "
            f"`hotline users add {name} --org ORG --role analyst` (or act as one with --as)"
        )
    if user.disabled:
        raise AccountError(f"user '{name}' is disabled")
    roles: dict[str, set[Role]] = {}
    for org, role in connection.execute(
        select(Organisation.name, Membership.role)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user.id)
        .order_by(Organisation.name)
    ):
        roles.setdefault(org, set()).add(Role(role))
    if organisation is not None:
        if organisation not in roles:
            raise AccountError(f"user '{name}' is not a member of organisation '{organisation}'")
        chosen: str | None = organisation
    elif roles:
        rank = {Role.VIEWER: 1, Role.ANALYST: 2, Role.ADMIN: 3}
        strength = {org: max(rank[r] for r in held) for org, held in roles.items()}
        best = max(strength.values())
        chosen = min(org for org, value in strength.items() if value == best)
    else:
        chosen = None
    return Actor(
        name=user.name,
        organisation=chosen,
        roles=frozenset(roles.get(chosen, set()) if chosen else set()),
        kind=user.kind,
    )


def _may_impersonate(connection: Connection, login: str) -> bool:
    """A login that is no user (a shared or service login) may name its user; a user may
    name another only as an active admin."""
    user = connection.execute(select(User).where(User.name == login)).first()
    if user is None:
        return True
    if user.disabled:
        return False
    roles = connection.scalars(select(Membership.role).where(Membership.user_id == user.id))
    return Role.ADMIN.value in set(roles)


def require(
    engine: Engine, actor: Actor, permission: Permission, action: str, object_: str
) -> None:
    """Raise :class:`NotAllowed` (after auditing the refusal) unless the actor may."""
    if actor.may(permission):
        return
    unrecorded = record_refusal(engine, actor, action, object_, {"needs": permission.value})
    held = ", ".join(sorted(r.value for r in actor.roles)) or "no role"
    where = f" in {actor.organisation}" if actor.organisation else ""
    raise NotAllowed(
        f"{actor.name} may not {permission.value} ({action}): holds {held}{where}; "
        f"ask an admin for the role that allows it{unrecorded}"
    )


def record_refusal(
    engine: Engine, actor: Actor, action: str, object_: str, why: dict[str, Any]
) -> str:
    """Audit a refusal in its own transaction; "" when recorded, else a note saying why not
    (a read-only database or replica still refuses, it just cannot remember)."""
    try:
        with unit_of_work(engine) as connection:
            record_event(connection, actor, action, object_, outcome=REFUSED, after=why)
    except SQLAlchemyError as error:
        first = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return f" (the refusal could not be recorded: {first})"
    return ""


@contextmanager
def audited_run(
    engine: Engine, actor: Actor, action: str, object_: str
) -> Iterator[dict[str, Any]]:
    """One audit event for a run that commits in many transactions (an import, enrich,
    attribute): recorded when the run ends, ``ok`` or ``failed``, with what the caller put
    in the yielded dict (counts, not rows). The caller checks the permission first."""
    result: dict[str, Any] = {}
    outcome = FAILED
    try:
        yield result
        outcome = OK
    finally:
        with unit_of_work(engine) as connection:
            record_event(connection, actor, action, object_, after=result or None, outcome=outcome)


def counts(summary: Any) -> dict[str, Any]:
    """The numbers of a run's summary (a dataclass): what the audit event keeps of it."""
    fields = getattr(summary, "__dataclass_fields__", {})
    values = {name: getattr(summary, name) for name in fields}
    return {
        k: v for k, v in values.items() if isinstance(v, int | float) and not isinstance(v, bool)
    }


@dataclass(frozen=True)
class UserRow:
    name: str
    kind: str
    disabled: bool
    roles: tuple[tuple[str, str], ...]  # (organisation, role)


def _organisation_id(connection: Connection, name: str) -> int:
    found = connection.execute(select(Organisation.id).where(Organisation.name == name)).first()
    if found is None:
        raise AccountError(f"no organisation '{name}' (add it: hotline orgs add {name})")
    return int(found.id)


def add_organisation(
    connection: Connection, actor: Actor, name: str, sources: Iterable[str] = ()
) -> None:
    """A new organisation, optionally owning report sources (feed codes) already known."""
    name = checked_name(name, "organisation")
    if connection.execute(select(Organisation.id).where(Organisation.name == name)).first():
        raise AccountError(f"organisation '{name}' exists already")
    org_id = connection.execute(
        insert(Organisation).values(name=name).returning(Organisation.id)
    ).scalar_one()
    codes = sorted({code.strip() for code in sources if code.strip()})
    assign_sources(connection, org_id, codes)
    record_event(connection, actor, "orgs.add", name, after={"name": name, "sources": codes})


def assign_sources(connection: Connection, org_id: int, codes: list[str]) -> None:
    if not codes:
        return
    found = dict(
        connection.execute(select(Source.code, Source.id).where(Source.code.in_(codes))).all()
    )
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise AccountError(f"no report source {', '.join(unknown)} (sources come from imports)")
    taken = (
        connection.execute(
            select(Source.code)
            .join(OrganisationSource, OrganisationSource.source_id == Source.id)
            .where(Source.code.in_(codes))
        )
        .scalars()
        .all()
    )
    if taken:
        raise AccountError(f"source {', '.join(taken)} belongs to an organisation already")
    connection.execute(
        insert(OrganisationSource),
        [{"source_id": found[c], "organisation_id": org_id} for c in codes],
    )


def add_user(
    connection: Connection,
    actor: Actor,
    name: str,
    grants: Iterable[tuple[str, Role]],
    kind: str = "person",
) -> None:
    """A new user (``kind`` person or service) with roles in organisations."""
    name = checked_name(name, "user")
    if kind not in USER_KINDS:
        raise AccountError(f"kind must be one of {', '.join(USER_KINDS)}")
    if connection.execute(select(User.id).where(User.name == name)).first():
        raise AccountError(f"user '{name}' exists already")
    user_id = connection.execute(
        insert(User).values(name=name, kind=kind, disabled=False).returning(User.id)
    ).scalar_one()
    given = _grant(connection, user_id, grants, actor)
    record_event(connection, actor, "users.add", name, after={"kind": kind, "roles": given})


def grant(
    connection: Connection, actor: Actor, name: str, grants: Iterable[tuple[str, Role]]
) -> None:
    user = _user(connection, name)
    before = _roles_of(connection, user.id)
    _grant(connection, user.id, grants, actor)
    if _roles_of(connection, user.id) == before:
        raise AccountError(f"user '{name}' holds these roles already")
    record_event(
        connection,
        actor,
        "users.grant",
        name,
        before={"roles": before},
        after={"roles": _roles_of(connection, user.id)},
    )


def _own_organisations(actor: Actor, orgs: Iterable[str]) -> None:
    """An admin manages their own organisation's people; the local admin of a database
    without users (bootstrapping) manages all."""
    foreign = sorted({org for org in orgs if org != actor.organisation})
    if foreign and not actor.implicit:
        raise AccountError(
            f"{actor.name} is an admin of {actor.organisation or 'no organisation'}, not of "
            f"{', '.join(foreign)}: an admin of that organisation must do it"
        )


def _grant(
    connection: Connection, user_id: int, grants: Iterable[tuple[str, Role]], actor: Actor
) -> list[list[str]]:
    given = sorted({(org, role.value) for org, role in grants})
    _own_organisations(actor, (org for org, _ in given))
    held = {tuple(pair) for pair in _roles_of(connection, user_id)}
    for org, role in given:
        if (org, role) in held:
            continue
        connection.execute(
            insert(Membership).values(
                user_id=user_id, organisation_id=_organisation_id(connection, org), role=role
            )
        )
    return [list(pair) for pair in given]


def disable_user(connection: Connection, actor: Actor, name: str) -> None:
    user = _user(connection, name)
    if user.disabled:
        raise AccountError(f"user '{name}' is disabled already")
    _own_organisations(actor, (org for org, _ in _roles_of(connection, user.id)))
    admins = connection.scalars(
        select(func.count(func.distinct(User.id)))
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.role == Role.ADMIN.value, ~User.disabled, User.id != user.id)
    ).one()
    if not admins and [o for o, r in _roles_of(connection, user.id) if r == Role.ADMIN.value]:
        raise AccountError(f"'{name}' is the last active admin: add another admin first")
    connection.execute(update(User).where(User.id == user.id).values(disabled=True))
    record_event(
        connection,
        actor,
        "users.disable",
        name,
        before={"disabled": False},
        after={"disabled": True},
    )


def _user(connection: Connection, name: str) -> Any:
    user = connection.execute(select(User).where(User.name == name)).first()
    if user is None:
        raise AccountError(f"no user '{name}'")
    return user


def _roles_of(connection: Connection, user_id: int) -> list[list[str]]:
    return [
        [org, role]
        for org, role in connection.execute(
            select(Organisation.name, Membership.role)
            .join(Membership, Membership.organisation_id == Organisation.id)
            .where(Membership.user_id == user_id)
            .order_by(Organisation.name, Membership.role)
        )
    ]


def users(connection: Connection) -> list[UserRow]:
    return [
        UserRow(
            row.name,
            row.kind,
            bool(row.disabled),
            tuple((org, role) for org, role in _roles_of(connection, row.id)),
        )
        for row in connection.execute(select(User).order_by(User.name))
    ]


def organisations(connection: Connection) -> list[tuple[str, int, list[str]]]:
    """(name, members, source codes) of every organisation."""
    members = dict(
        connection.execute(
            select(
                Membership.organisation_id, func.count(func.distinct(Membership.user_id))
            ).group_by(Membership.organisation_id)
        ).all()
    )
    codes: dict[int, list[str]] = {}
    for org_id, code in connection.execute(
        select(OrganisationSource.organisation_id, Source.code)
        .join(Source, Source.id == OrganisationSource.source_id)
        .order_by(Source.code)
    ):
        codes.setdefault(org_id, []).append(code)
    return [
        (row.name, members.get(row.id, 0), codes.get(row.id, []))
        for row in connection.execute(select(Organisation).order_by(Organisation.name))
    ]
