"""Defanged URLs for people to read: never clickable, always reversible."""

from __future__ import annotations

import re

_SCHEMES = {"http": "hxxp", "https": "hxxps", "ftp": "fxp"}
_REFANG_SCHEMES = {v: k for k, v in _SCHEMES.items()}
_URL_IN_TEXT = re.compile(r"\b(https?|ftp)://([^\s/?#\"'<>]+)", re.IGNORECASE)
_HOST_DOT_FORMS = re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)", re.IGNORECASE)


def _defang_authority(authority: str) -> str:
    return authority.replace(".", "[.]")


def defang(url: str) -> str:
    """``https://shop.brand.test/x`` → ``hxxps://shop[.]brand[.]test/x``.

    Only the scheme and the dots of the authority change: that is enough to break
    auto-linking in terminals, mail clients and office tools, and keeps paths legible.
    Text without a scheme is treated as a bare host or ``host/path``.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    cut = len(rest)
    for stop in "/?#":
        pos = rest.find(stop)
        if pos != -1:
            cut = min(cut, pos)
    body = _defang_authority(rest[:cut]) + rest[cut:]
    if not sep:
        return body
    return _SCHEMES.get(scheme.lower(), scheme) + "://" + body


def refang(text: str) -> str:
    """Undo :func:`defang` (and the common variants ``[.]``, ``(.)``, ``[dot]``, ``[://]``)."""
    text = text.strip().replace("[://]", "://").replace("[:]//", "://")
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    cut = len(rest)
    for stop in "/?#":
        pos = rest.find(stop)
        if pos != -1:
            cut = min(cut, pos)
    body = _HOST_DOT_FORMS.sub(".", rest[:cut]) + rest[cut:]
    if not sep:
        return body
    return _REFANG_SCHEMES.get(scheme.lower(), scheme) + "://" + body


def defang_text(text: str) -> str:
    """Defang every URL found in free text (quarantined raw records, notes, errors)."""
    return _URL_IN_TEXT.sub(lambda m: defang(m.group(0)), text)
