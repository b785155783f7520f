"""Managing people from the web: users, roles, passwords (admins of an organisation)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
