"""Defanged URLs for people to read: never clickable, always reversible."""

from __future__ import annotations

import re

_SCHEMES = {"http": "hxxp", "https": "hxxps", "ftp": "fxp"}
_REFANG_SCHEMES = {v: k for k, v in _SCHEMES.items()}
_SCHEME_NAME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
# In free text: a scheme and its authority, which ends where a path starts or another URL does
# ("http://ahttp://b" is two URLs to defang, not one authority "ahttp:").
_URL_IN_TEXT = re.compile(
    r"(https?|ftp)://((?:(?!(?:https?|ftp)://)[^\s/?#\"'<>])*)", re.IGNORECASE
)
# After the authority: every "://" (a URL in a redirect parameter, say) and the authority after
# it. ``_EMBEDDED_DEFANGED`` matches exactly what ``_defang_tail`` writes, so refang inverts it.
_EMBEDDED = re.compile(r"://((?:[^/?#&\s\"'<>:]|:(?!//))*)")
_EMBEDDED_DEFANGED = re.compile(r"\[://\]((?:[^/?#&\s\"'<>:\[]|:(?!//)|\[(?!://\]))*)")
_SEPARATOR = re.compile(r"\[://\]|\[:\]//|://")
_HOST_DOT_FORMS = re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)", re.IGNORECASE)


def _defang_authority(authority: str) -> str:
    return authority.replace(".", "[.]")


def _authority_end(rest: str) -> int:
    cut = len(rest)
    for stop in "/?#":
        pos = rest.find(stop)
        if pos != -1:
            cut = min(cut, pos)
    return cut


def _defang_tail(tail: str) -> str:
    if "://" not in tail:
        return tail
    return _EMBEDDED.sub(lambda m: "[://]" + _defang_authority(m.group(1)), tail)


def _refang_tail(tail: str) -> str:
    if "[://]" not in tail:
        return tail
    return _EMBEDDED_DEFANGED.sub(lambda m: "://" + m.group(1).replace("[.]", "."), tail)


def defang(url: str) -> str:
    """``https://shop.brand.test/x`` → ``hxxps://shop[.]brand[.]test/x``.

    The scheme and the dots of the authority change: that is enough to break auto-linking in
    terminals, mail clients and office tools, and keeps paths legible. A URL inside the path or
    query (``?next=http://other.test/``) is defanged too, as ``http[://]other[.]test``. Text
    without a scheme is treated as a bare host or ``host/path``.
    """
    scheme, sep, rest = url.partition("://")
    if not sep or not _SCHEME_NAME.fullmatch(scheme):
        scheme, sep, rest = "", "", url
    cut = _authority_end(rest)
    body = _defang_authority(rest[:cut]) + _defang_tail(rest[cut:])
    if not sep:
        return body
    return _SCHEMES.get(scheme.lower(), scheme) + "://" + body


def refang(text: str) -> str:
    """Undo :func:`defang` (and the common variants ``[.]``, ``(.)``, ``[dot]``, ``[://]``).

    ``refang(defang(u)) == u`` for every canonical URL except one whose host literally contains
    ``(dot)`` (which no DNS name can).
    """
    text = text.strip()
    found = _SEPARATOR.search(text)
    if found is not None and _SCHEME_NAME.fullmatch(text, 0, found.start()):
        scheme, rest = text[: found.start()], text[found.end() :]
    else:
        found, scheme, rest = None, "", text
    cut = _authority_end(rest)
    body = _HOST_DOT_FORMS.sub(".", rest[:cut]) + _refang_tail(rest[cut:])
    if found is None:
        return body
    return _REFANG_SCHEMES.get(scheme.lower(), scheme) + "://" + body


def defang_text(text: str) -> str:
    """Defang every URL found in free text (quarantined raw records, notes, errors)."""
    return _URL_IN_TEXT.sub(lambda m: defang(m.group(0)), text)


def defang_host(name: str) -> str:
    """A domain name for people to read (``shop[.]test``); never auto-linked."""
    return _defang_authority(name)
