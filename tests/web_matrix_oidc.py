"""Permission-matrix entries for the web's oidc routes (merged into the matrix of
tests/test_web.py, which fails for any route without an entry)."""

from __future__ import annotations

from typing import Any

# (method, route path) -> expected status for anonymous, viewer, analyst, admin, other org's
# analyst
# Single sign-on is not configured in the shared test application: both routes do not
# exist there, for everyone (tests/test_web_oidc.py tests them configured).
MATRIX: dict[tuple[str, str], tuple[int, ...]] = {
    ("GET", "/sign-in/oidc"): (404,) * 5,
    ("GET", "/sign-in/oidc/callback"): (404,) * 5,
}


def request_for(
    web: Any, who: str, method: str, path: str, csrf: str
) -> tuple[str, dict[str, Any]] | None:
    """The concrete path and request arguments for one of this part's routes (None: not
    one of them)."""
    return None
