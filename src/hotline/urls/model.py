"""Value types of the URL stage: what a canonicalisation returns, accepted or rejected."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import NamedTuple


class SiteKind(StrEnum):
    DOMAIN = "domain"
    ONION = "onion"
    IPV4 = "ipv4"
    IPV6 = "ipv6"


class RejectReason(StrEnum):
    """Why an input URL was refused. Stable codes: they are stored in the quarantine."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    UNSUPPORTED_SCHEME = "unsupported_scheme"
    UNPARSEABLE = "unparseable"
    INVALID_PORT = "invalid_port"
    INVALID_HOST = "invalid_host"
    INVALID_ONION = "invalid_onion"


class Rejection(NamedTuple):
    """A typed refusal: canonicalisation never raises on text, it returns one of these."""

    reason: RejectReason
    detail: str

    def __str__(self) -> str:
        return f"{self.reason.value}: {self.detail}"


class CanonicalURL(NamedTuple):
    """A reported URL in the canonical form used for dedupe, with what was changed on the way.

    ``url`` is the dedupe key; ``site`` the registrable domain, onion service or IP it belongs to.
    The flags keep facts the canonical form deliberately forgets, so nothing is lost silently.
    A NamedTuple rather than a frozen dataclass: it is built once per reported row, and a
    frozen dataclass costs several times more to construct.
    """

    url: str
    scheme: str
    host: str
    site: str
    site_kind: SiteKind
    scheme_added: bool = False
    had_userinfo: bool = False
    stripped_params: tuple[str, ...] = ()


def url_digest(canonical: str) -> bytes:
    """The key a canonical URL is stored under: SHA-256 of its UTF-8 text (32 bytes)."""
    return hashlib.sha256(canonical.encode("utf-8")).digest()
