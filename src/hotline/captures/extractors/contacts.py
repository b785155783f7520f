"""Contact points and shared infrastructure: e-mail addresses and third-party script hosts.

E-mail addresses come from ``mailto:`` links and from visible text, lower-cased; strings that
only look like one (``logo@2x.png``, a retina image name) are dropped. Script hosts are the
hosts a page loads scripts and style sheets from, other than its own site: weak on their own
(everyone loads the same CDNs), telling when rare.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote

from hotline.captures.extractors._common import attribute, resolve, visible_texts
from hotline.captures.page import CapturedPage, Selector, Strength

__all__ = ["IMAGE_SUFFIXES", "extract_contacts", "extract_emails", "extract_script_hosts"]

# File extensions that end a "name@2x.png"-style image name, never a top-level domain here.
IMAGE_SUFFIXES = frozenset(
    {"png", "jpg", "jpeg", "gif", "webp", "svg", "avif", "bmp", "ico", "tif", "tiff", "heic"}
)
# Local part of at most 64 characters, the look-behind keeps the scan linear on long words;
# one to eight labels of at most 63 characters; a letter TLD or an IDNA one (xn--).
_LOCAL = r"[A-Za-z0-9._%+-]{1,64}"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TLD = r"(?:[A-Za-z]{2,24}|xn--[A-Za-z0-9-]{1,59})"
_EMAIL = re.compile(
    rf"(?<![A-Za-z0-9._%+-])({_LOCAL})@((?:{_LABEL}\.){{1,8}}{_TLD})(?![A-Za-z0-9-])"
)


def _email(local: str, domain: str) -> str | None:
    local = local.strip(".")
    if not local:
        return None
    domain = domain.lower()
    if domain.rpartition(".")[2] in IMAGE_SUFFIXES:
        return None
    return f"{local.lower()}@{domain}"


def _mailto(href: str) -> Iterator[str]:
    target = unquote(href[len("mailto:") :].partition("?")[0])
    for part in target.split(","):
        match = _EMAIL.fullmatch(part.strip())
        if match is not None:
            value = _email(match.group(1), match.group(2))
            if value is not None:
                yield value


def extract_emails(page: CapturedPage) -> list[Selector]:
    """``email`` selectors from mailto: links first, then from visible text."""
    found: dict[str, Selector] = {}
    seen: set[str] = set()  # a value repeated on the page is read once (floods repeat one)
    for node in page.tree.css("a, area"):
        href = attribute(node, "href")
        if href is None or href[:7].lower() != "mailto:" or href in seen:
            continue
        seen.add(href)
        for address in _mailto(href):
            found.setdefault(address, Selector("email", address, "mailto", Strength.MEDIUM))
    for text in visible_texts(page):
        if "@" not in text or text in seen:
            continue
        seen.add(text)
        for match in _EMAIL.finditer(text):
            value = _email(match.group(1), match.group(2))
            if value is not None:
                found.setdefault(value, Selector("email", value, "text", Strength.MEDIUM))
    return list(found.values())


def extract_script_hosts(page: CapturedPage) -> list[Selector]:
    """``script_host`` selectors: third-party hosts of ``script[src]`` and style sheets."""
    found: dict[str, Selector] = {}
    for node in page.tree.css("script, link"):
        if node.tag == "script":
            raw, where = attribute(node, "src"), "script"
        else:
            rel = (node.attributes.get("rel") or "").lower().split()
            if "stylesheet" not in rel:
                continue
            raw, where = attribute(node, "href"), "stylesheet"
        link = resolve(page, raw)
        if link is not None and link.third_party(page):
            found.setdefault(link.host, Selector("script_host", link.host, where, Strength.WEAK))
    return list(found.values())


def extract_contacts(page: CapturedPage) -> list[Selector]:
    """E-mail addresses and script hosts."""
    return [*extract_emails(page), *extract_script_hosts(page)]
