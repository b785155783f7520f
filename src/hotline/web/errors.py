"""One error shape for the API, one error page for people.

API errors are ``{"error": {"status": 403, "code": "forbidden", "message": "..."}}`` whatever
raised them (a refusal, a missing object, a malformed parameter, an unknown route), so a
client handles every failure the same way.
"""

from __future__ import annotations

from http import HTTPStatus

API_PREFIX = "/api/v1"

CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    500: "internal",
}


class WebError(Exception):
    """An error with a status and a message meant for the client (never a stack trace)."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_"))


def error_body(status: int, message: str, code: str | None = None) -> dict[str, object]:
    return {
        "error": {"status": status, "code": code or CODES.get(status, "error"), "message": message}
    }


class SignInRequired(Exception):
    """A page asked for without a session: the browser is sent to the sign-in page."""
