"""Redirects a page makes itself: a ``<meta http-equiv="refresh">`` or a script that sets
``location``.

A doorway domain often answers 200 with a page whose only job is to send the visitor on,
instead of an HTTP 3xx. A browser-driven recorder follows it like a redirect, but whether
the next request carries a Referer depends on the browser and the page's referrer policy,
so the capture of the target may show no trace of where it came from. The page itself
says it: this module reads the target from it, so the reader can join the two captures as
it joins an HTTP redirect and its target.

Only what a browser would do at once or on its own is read: a refresh with a URL (any
delay; a refresh of the page itself leads nowhere new; not inside ``<noscript>``, which a
browser that runs scripts ignores), and a script (JavaScript, inline) whose own top-level
statement assigns ``location`` / ``location.href`` or calls ``location.replace`` /
``location.assign`` with a literal URL, or whose own top-level statement runs such an
assignment first thing in a function the browser calls by itself (``setTimeout``,
``window.onload``, a function called where it is written) — not inside any other function,
a handler or an ``if`` (an age gate's "leave" button, a login check), a comment or a
string, and not a variable of that name. Scripts are read up to a bound, in one linear
pass each, so a hostile page costs linear time.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["MAX_SCRIPT_CHARS", "client_redirect", "refresh_target"]

# how much of each inline script is read, and how many scripts: a redirect is near the top
MAX_SCRIPT_CHARS = 16_384
_MAX_SCRIPTS = 20
_MAX_URL = 2_048

# "0; url=…", "0;URL='…'", "3,url=…", "0; https://…": the delay and its separator (the URL
# keyword is optional); the rest is read in Python, with no backtracking
_REFRESH_HEAD = re.compile(r"\s*\d{1,6}(?:\.\d{0,6})?\s*[;,]\s*(?:url\s*=\s*)?", re.IGNORECASE)
# window.location = "…", location.href='…', top.location.href = "…", self.location="…",
# document.location = "…", location.replace("…"), window.location.assign('…')
_SETS_LOCATION = (
    r"""(?:(?:window|top|self|document)\.)?location"""
    r"""(?:(?:\.href)?\s{0,16}=(?!=)\s{0,16}|\.(?:replace|assign)\(\s{0,16})"""
    r"""(?P<q>["'`])(?P<url>[^"'`\s\\]{1,2048})(?P=q)"""
)
# ... as a statement of its own, or as the first statement of a function the browser runs by
# itself: "setTimeout(function () { location.href = … }, 3000)", "setTimeout(() =>
# location.replace(…), 0)", "window.onload = function () { … }", "(function () { … })()"
_SCRIPT = re.compile(
    r"""(?<![\w$.])(?:"""
    r"""(?:(?:window\.)?(?:setTimeout\(|onload\s{0,16}=)|\()\s{0,16}"""
    r"""(?:function\s{0,16}\(\s{0,16}\)\s{0,16}\{|\(\s{0,16}\)\s{0,16}=>\s{0,16}\{?)\s{0,16}"""
    r""")?""" + _SETS_LOCATION
)
# script types a browser runs (none given is JavaScript)
_RUN_TYPES = frozenset(
    {"", "text/javascript", "application/javascript", "module", "text/ecmascript"}
)


def refresh_target(content: str) -> str | None:
    """The URL of a meta refresh's ``content`` ("0; url=…"), or None when it names none."""
    text = content[: _MAX_URL + 64].strip()
    head = _REFRESH_HEAD.match(text)
    if head is None:
        return None
    url = text[head.end() :].strip()
    if url[:1] in ("'", '"'):
        quote, url = url[0], url[1:]
        url = url[:-1] if url.endswith(quote) else url
    url = url.strip()
    if not url or any(char in url for char in "'\"") or len(url) > _MAX_URL:
        return None
    return url


def _starts_statement(script: str, at: int) -> bool:
    """Does a statement begin at ``at``: only blanks since the last ``;``, brace or line
    break (not "if (x) location = …", not "var location = …")?"""
    low = max(0, at - 256)  # a bounded look back: a hostile script costs linear time
    start = max(script.rfind(mark, low, at) for mark in ";{}\n")
    return not script[max(start + 1, low) : at].strip()


class _Scanner:
    """Where a script's statements are, read once from the start: :meth:`top_level` tells
    whether a position (asked in increasing order) is outside strings, comments and any
    block or parentheses (a function run later, a click handler, an ``if``)."""

    def __init__(self, script: str) -> None:
        self.script = script
        self.i = 0
        self.depth = 0
        self.quote = ""
        self.comment = ""  # "//" or "/*" while inside one

    def top_level(self, at: int) -> bool:
        script, i = self.script, self.i
        depth, quote, comment = self.depth, self.quote, self.comment
        while i < at:
            char = script[i]
            if comment == "//":
                if char == "\n":
                    comment = ""
            elif comment == "/*":
                if script.startswith("*/", i):
                    comment = ""
                    i += 1
            elif quote:
                if char == "\\":
                    i += 1
                elif char == quote:
                    quote = ""
            elif char in "'\"`":
                quote = char
            elif script.startswith("//", i) or script.startswith("/*", i):
                comment = script[i : i + 2]
                i += 1
            elif char in "{(":
                depth += 1
            elif char in "})":
                depth = max(0, depth - 1)
            i += 1
        self.i, self.depth, self.quote, self.comment = i, depth, quote, comment
        return not quote and not comment and depth == 0


def _inside(node: LexborNode, tag: str) -> bool:
    parent = node.parent
    for _ in range(64):
        if parent is None:
            return False
        if parent.tag == tag:
            return True
        parent = parent.parent
    return False


def client_redirect(tree: LexborHTMLParser, base: str) -> str | None:
    """The absolute URL the page sends its visitor to by itself (meta refresh first, then a
    script), resolved against ``base``; None when it sends nowhere or the URL is not
    ``http(s)``."""
    candidates: list[str] = []
    for node in tree.css("meta[http-equiv]")[:10]:
        if (node.attributes.get("http-equiv") or "").strip().lower() != "refresh":
            continue
        if _inside(node, "noscript"):  # a browser that runs scripts ignores it
            continue
        target = refresh_target(node.attributes.get("content") or "")
        if target is not None:
            candidates.append(target)
    if not candidates:
        for node in tree.css("script")[:_MAX_SCRIPTS]:
            kind = (node.attributes.get("type") or "").strip().lower()
            if node.attributes.get("src") or kind not in _RUN_TYPES:
                continue
            text = (node.text() or "")[:MAX_SCRIPT_CHARS]
            scanner = _Scanner(text)
            found = next(
                (
                    match
                    for match in _SCRIPT.finditer(text)
                    if _starts_statement(text, match.start()) and scanner.top_level(match.start())
                ),
                None,
            )
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
