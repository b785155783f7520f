"""Percent-encoding normalisation (RFC 3986 §6.2.2.2): decode unreserved, uppercase the rest."""

from __future__ import annotations

import re
from urllib.parse import unquote

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


def _normalise_escape(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    # %2F and every other reserved or non-ASCII octet stay encoded: decoding them changes meaning.
    return char if char in _UNRESERVED else "%" + match.group(1).upper()


def normalise_percent(text: str) -> str:
    """Decode escapes of unreserved characters and uppercase the hex of all other escapes.

    >>> normalise_percent("/%7euser/%2f%41")
    '/~user/%2FA'
    """
    if "%" not in text:
        return text
    return _ESCAPE.sub(_normalise_escape, text)


def decode_component(text: str) -> str:
    """Fully decode one query-parameter name for comparison (never for output)."""
    return unquote(text.replace("+", " ")) if ("%" in text or "+" in text) else text
