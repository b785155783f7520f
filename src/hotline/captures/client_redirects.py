"""Redirects a page makes itself: a ``<meta http-equiv="refresh">`` or a script that sets
``location``.

A doorway domain often answers 200 with a page whose only job is to send the visitor on,
instead of an HTTP 3xx. A browser-driven recorder follows it like a redirect, but whether
the next request carries a Referer depends on the browser and the page's referrer policy,
so the capture of the target may show no trace of where it came from. The page itself
says it: this module reads the target from it, so the reader can join the two captures as
it joins an HTTP redirect and its target.

Only what a browser would do at once or on its own is read: a refresh with a URL (any
delay; a refresh of the page itself leads nowhere new), and a script that assigns
``location`` / ``location.href`` or calls ``location.replace`` / ``location.assign`` with
a literal URL. Scripts are read up to a bound, so a hostile page costs linear time.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser

__all__ = ["MAX_SCRIPT_CHARS", "client_redirect", "refresh_target"]

# how much of each inline script is read, and how many scripts: a redirect is near the top
MAX_SCRIPT_CHARS = 16_384
_MAX_SCRIPTS = 20
_MAX_URL = 2_048

# "0; url=https://…", "0;URL='…'", "3,url=…", "0; https://…" (the URL keyword is optional)
_REFRESH = re.compile(
    r"""\A\s*\d{1,6}(?:\.\d{0,6})?\s*[;,]\s*(?:url\s*=\s*)?"""
    r"""(?P<q>["']?)(?P<url>[^"'\s][^"']{0,2047}?)(?P=q)\s*\Z""",
    re.IGNORECASE | re.DOTALL,
)
# window.location = "…", location.href='…', top.location.href = "…", self.location="…",
# document.location = "…", location.replace("…"), window.location.assign('…')
_SCRIPT = re.compile(
    r"""(?<![\w$.])(?:(?:window|top|self|document)\.)?location"""
    r"""(?:(?:\.href)?\s{0,16}=(?!=)\s{0,16}|\.(?:replace|assign)\(\s{0,16})"""
    r"""(?P<q>["'`])(?P<url>[^"'`\s\\]{1,2048})(?P=q)"""
)


def refresh_target(content: str) -> str | None:
    """The URL of a meta refresh's ``content`` ("0; url=…"), or None when it names none."""
    found = _REFRESH.match(content[: _MAX_URL + 64])
    if found is None:
        return None
    url = found.group("url").strip()
    return url or None


def client_redirect(tree: LexborHTMLParser, base: str) -> str | None:
    """The absolute URL the page sends its visitor to by itself (meta refresh first, then a
    script), resolved against ``base``; None when it sends nowhere or the URL is not
    ``http(s)``."""
    candidates: list[str] = []
    for node in tree.css("meta[http-equiv]")[:10]:
        if (node.attributes.get("http-equiv") or "").strip().lower() != "refresh":
            continue
        target = refresh_target(node.attributes.get("content") or "")
        if target is not None:
            candidates.append(target)
    if not candidates:
        for node in tree.css("script")[:_MAX_SCRIPTS]:
            if node.attributes.get("src"):
                continue
            found = _SCRIPT.search((node.text() or "")[:MAX_SCRIPT_CHARS])
            if found is not None:
                candidates.append(found.group("url"))
                break
    for candidate in candidates:
        try:
            url = urljoin(base, candidate.strip())
        except ValueError:  # hostile text ("http://[oops/")
            continue
        if url.lower().startswith(("http://", "https://")):
            return url
    return None
