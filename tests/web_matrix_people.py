"""Permission-matrix entries for the web's people routes (merged into the matrix of
tests/test_web.py, which fails for any route without an entry)."""

from __future__ import annotations

from typing import Any

# (method, route path) -> expected status for anonymous, viewer, analyst, admin, other org's
# analyst
MATRIX: dict[tuple[str, str], tuple[int, ...]] = {}


def request_for(
    web: Any, who: str, method: str, path: str, csrf: str
) -> tuple[str, dict[str, Any]] | None:
    """The concrete path and request arguments for one of this part's routes (None: not
    one of them)."""
    return None
