"""Single sign-on through OpenID Connect (configured by file; off unless configured)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
