"""Permission-matrix entries for the web's api routes (merged into the matrix of
tests/test_web.py, which fails for any route without an entry)."""

from __future__ import annotations

from typing import Any

READ = (401, 200, 200, 200, 200)
# building the assessment is a run (audited), as `hotline report` is: analysts and admins
PROCESS = (401, 403, 200, 200, 200)

# (method, route path) -> expected status for anonymous, viewer, analyst, admin, other org's
# analyst
MATRIX: dict[tuple[str, str], tuple[int, ...]] = {
    ("GET", "/api/v1/sites"): READ,
    ("GET", "/api/v1/urls"): READ,
    ("GET", "/api/v1/reports"): READ,
    ("GET", "/api/v1/brands"): READ,
    ("GET", "/api/v1/distributors"): READ,
    ("GET", "/api/v1/exports/{kind}"): READ,
    ("POST", "/api/v1/assessment"): PROCESS,
}


def request_for(
    web: Any, who: str, method: str, path: str, csrf: str
) -> tuple[str, dict[str, Any]] | None:
    """The concrete path and request arguments for one of this part's routes (None: not
    one of them)."""
    if (method, path) not in MATRIX:
        return None
    if path == "/api/v1/exports/{kind}":
        return "/api/v1/exports/urls", {"params": {"format": "jsonl"}}
    if path == "/api/v1/assessment":
        return path, {"json": {}}
    if path == "/api/v1/sites":
        return path, {"params": {"brand": web.brand, "limit": 5}}
    return path, {"params": {"limit": 5}}
