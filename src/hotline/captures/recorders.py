"""Referers written by the capture tool itself, not by the site that sent the visitor.

A recorder that captures through its own web page (Webrecorder, ArchiveWeb.page, Conifer,
pywb in record mode, a Wayback replay) sends requests whose Referer is the recorder's
address wrapped around the page being captured::

    https://webrecorder.io/<user>/<coll>/<session>/record/http://shop.example/
    http://localhost:8080/<coll>/20140126200625mp_/http://shop.example/
    https://web.archive.org/web/20140126200625/http://shop.example/

Taken at face value, every capture of such a tool would tie each captured site to the
recorder's domain (a ``gateway`` selector). The URL inside is the real Referer; a recorder
address with nothing inside says nothing about where the visitor came from.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

__all__ = ["RECORDER_HOSTS", "real_referer"]

# Hosts of capture and replay tools: their own pages are never a site's gateway.
RECORDER_HOSTS = frozenset(
    {
        "webrecorder.io",
        "webrecorder.net",
        "conifer.rhizome.org",
        "archiveweb.page",
        "replayweb.page",
        "wab.ac",
        "web.archive.org",
        "wayback.archive-it.org",
        "archive.org",
        "localhost",
    }
)

# A capture or replay mode segment (a 14-digit timestamp with an optional modifier such as
# ``mp_`` or ``id_``, or a recorder's mode word) followed by the wrapped absolute URL.
_WRAPPED = re.compile(
    r"/(?:[0-9]{14}(?:[a-z]{2}_)?|[a-z]{2}_|record|replay|live|patch|extract)/"
    r"(https?:/{1,2}[^/].*)$",
    re.IGNORECASE,
)
_SLASHES = re.compile(r"^(https?):/+", re.IGNORECASE)


def real_referer(referer: str) -> str | None:
    """The Referer as the site's visitor would have sent it: the URL a recorder wrapped, the
    value itself when it is not a recorder's, ``None`` when it is only the recorder's page."""
    text = referer.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    match = _WRAPPED.search(path)
    if match:
        return _SLASHES.sub(r"\1://", match.group(1))  # replay paths may collapse "//"
    host = (parts.hostname or "").lower().rstrip(".")
    if _is_recorder_host(host):
        return None
    return text


def _is_recorder_host(host: str) -> bool:
    if any(host == known or host.endswith("." + known) for known in RECORDER_HOSTS):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified
