"""Roles, what each may do, and the actor a command or a request runs as. Pure.

A role is held in an organisation. ``viewer`` reads; ``analyst`` also imports, runs the
stages and records decisions; ``admin`` also manages organisations, users and the audit
trail. A database with no user records at all is a single-user installation: whoever runs
the command is its implicit local administrator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    ANALYST = "analyst"
    ADMIN = "admin"


class Permission(StrEnum):
    READ = "read"
    IMPORT = "import"  # ingest reports, captures, passive DNS
    PROCESS = "process"  # enrich, attribute, the strategic assessment
    DECIDE = "decide"  # link, unlink, label, the provider table
    MANAGE = "manage"  # organisations, users, roles; reading the audit trail


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.READ}),
    Role.ANALYST: frozenset(
        {Permission.READ, Permission.IMPORT, Permission.PROCESS, Permission.DECIDE}
    ),
    Role.ADMIN: frozenset(Permission),
}

USER_KINDS = ("person", "service")


@dataclass(frozen=True)
class Actor:
    """Who acts, in which organisation, with which roles there.

    ``implicit`` marks the local administrator of a database that has no users yet.
    """

    name: str
    organisation: str | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    implicit: bool = False
    kind: str = "person"

    def may(self, permission: Permission) -> bool:
        return any(permission in GRANTS[role] for role in self.roles)


def local_admin(name: str) -> Actor:
    return Actor(name=name, roles=frozenset({Role.ADMIN}), implicit=True)


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise ValueError(
            f"'{text}' is not a role; say one of {', '.join(r.value for r in Role)}"
        ) from None
