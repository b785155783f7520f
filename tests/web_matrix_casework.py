"""Permission-matrix entries for the web's casework routes (merged into the matrix of
tests/test_web.py, which fails for any route without an entry)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

READ = (401, 200, 200, 200, 200)
READ_PAGE = (303, 200, 200, 200, 200)
# deciding (classify, check, clear) is an analyst's, as `hotline casework` is
DECIDE = (401, 403, 200, 200, 200)
DECIDE_FORM = (303, 403, 303, 303, 303)

# (method, route path) -> expected status for anonymous, viewer, analyst, admin, other org's
# analyst
MATRIX: dict[tuple[str, str], tuple[int, ...]] = {
    ("GET", "/casework"): READ_PAGE,
    ("GET", "/casework/case"): READ_PAGE,
    ("POST", "/casework/classify"): DECIDE_FORM,
    ("POST", "/casework/check"): DECIDE_FORM,
    ("POST", "/casework/clear"): DECIDE_FORM,
    ("GET", "/casework/notices"): READ_PAGE,
    ("GET", "/casework/stats"): READ_PAGE,
    ("GET", "/api/v1/casework/queue"): READ,
    ("GET", "/api/v1/casework/cases"): READ,
    ("POST", "/api/v1/casework/decisions"): DECIDE,
    ("POST", "/api/v1/casework/checks"): DECIDE,
    ("POST", "/api/v1/casework/clearances"): DECIDE,
    ("GET", "/api/v1/casework/notices"): READ,
    ("GET", "/api/v1/casework/stats"): READ,
}


def request_for(
    web: Any, who: str, method: str, path: str, csrf: str
) -> tuple[str, dict[str, Any]] | None:
    """The concrete path and request arguments for one of this part's routes (None: not
    one of them)."""
    if (method, path) not in MATRIX:
        return None
    url = reported_url(web)
    if path == "/casework/case":
        return path, {"params": {"url": url}}
    if path == "/casework/classify":
        return path, {"data": {"url": url, "decision": "interpol:not-illegal", "csrf": csrf}}
    if path == "/casework/check":
        return path, {"data": {"url": url, "seen": "up", "csrf": csrf}}
    if path == "/casework/clear":
        return path, {"data": {"url": url, "csrf": csrf}}
    if path == "/api/v1/casework/cases":
        return path, {"params": {"url": url}}
    if path == "/api/v1/casework/decisions":
        return path, {"json": {"target": url, "scheme": "interpol", "code": "not-illegal"}}
    if path == "/api/v1/casework/checks":
        return path, {"json": {"url": url, "up": True}}
    if path == "/api/v1/casework/clearances":
        return path, {"json": {"url": url}}
    if path == "/api/v1/casework/stats":
        return path, {"params": {"by": "provider"}}
    return path, ({"params": {"limit": 5}} if path.startswith("/api/") else {})


def reported_url(web: Any) -> str:
    """A URL of the world reported by org-a's source (the first in the store's order)."""
    with web.engine.connect() as connection:
        return str(
            connection.execute(
                text(
                    "SELECT u.canonical FROM urls u JOIN reports r ON r.url_id = u.id "
                    "JOIN sources s ON s.id = r.source_id WHERE s.code = 'HL-A' "
                    "ORDER BY u.id LIMIT 1"
                )
            ).scalar_one()
        )
