"""Contact points and shared infrastructure: e-mail addresses and third-party script hosts.

E-mail addresses come from ``mailto:`` links and from visible text, lower-cased; strings that
only look like one (``logo@2x.png``, a retina image name) are dropped. Two disguises real
pages put on addresses are taken off:

* a CDN's e-mail protection replaces every address with ``data-cfemail="<hex>"`` (and links
  to ``/cdn-cgi/l/email-protection#<hex>``): the first byte is a key XORed into the others,
  so the address is decoded (``where`` is ``cfemail``) — a site behind the CDN would
  otherwise show no address at all;
* text written to fool harvesters, ``sales [at] shop [dot] test`` or ``sales(at)shop.test``:
  bracketed ``at``/``dot`` (any of ``[] () {} <>``) become ``@`` and ``.`` before the scan
  (``where`` is ``text:spelled``). Unbracketed "at" and "dot" are ordinary words and are
  left alone. Script hosts are the
hosts a page loads scripts and style sheets from, other than its own site: weak on their own
(everyone loads the same CDNs), telling when rare.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote

from hotline.captures.extractors._common import attribute, resolve, visible_texts
from hotline.captures.page import CapturedPage, Selector, Strength

__all__ = [
    "IMAGE_SUFFIXES",
    "decode_cfemail",
    "extract_contacts",
    "extract_emails",
    "extract_script_hosts",
]

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
# A spelled-out address sits in a short text node; a long one is prose, not unscrambled.
MAX_SPELLED = 2048


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


# The hex of an address protected by a CDN: a key byte and one byte per character.
_CFEMAIL = re.compile(r"(?:[0-9a-fA-F]{2}){4,130}")
_PROTECTED = "/cdn-cgi/l/email-protection#"
# " [at] ", "(at)", "{dot}": the bracket is what makes it a disguise, not a word
_SPELLED_AT = re.compile(r"\s{0,4}[\[({<]\s{0,4}at\s{0,4}[\])}>]\s{0,4}", re.IGNORECASE)
# words before a bracketed "at" in sentences, never a mailbox (two-letter ones, "us" and
# "me", are too short to be one anyway)
_SENTENCE_WORDS = frozenset({"you", "him", "her", "them", "love", "home", "find", "follow"})
# the same, bracket first: what a search over text that holds none can reject fast
_BRACKETED_AT = re.compile(r"[\[({<]\s{0,4}at\s{0,4}[\])}>]", re.IGNORECASE)
_SPELLED_DOT = re.compile(r"\s{0,4}[\[({<]\s{0,4}dot\s{0,4}[\])}>]\s{0,4}", re.IGNORECASE)


def decode_cfemail(encoded: str) -> str | None:
    """The address a CDN's e-mail protection encoded as ``encoded`` (hex: a key byte, then
    each character XOR the key), or None when it is not such a value or decodes to no
    address."""
    if _CFEMAIL.fullmatch(encoded) is None:
        return None
    data = bytes.fromhex(encoded)
    try:
        text = bytes(byte ^ data[0] for byte in data[1:]).decode("utf-8")
    except UnicodeDecodeError:
        return None
    match = _EMAIL.fullmatch(text)
    return _email(match.group(1), match.group(2)) if match is not None else None


def _protected(page: CapturedPage) -> Iterator[str]:
    # one pass over the tree for both forms
    for node in page.tree.css(f'[data-cfemail], a[href*="{_PROTECTED}"]'):
        encoded = attribute(node, "data-cfemail")
        if encoded is not None:
            yield encoded
        href = attribute(node, "href")
        if href is not None and _PROTECTED in href:
            yield href.rpartition("#")[2]


def extract_emails(page: CapturedPage) -> list[Selector]:
    """``email`` selectors from mailto: links first, then from addresses a CDN protected,
    then from visible text (spelled-out disguises included)."""
    found: dict[str, Selector] = {}
    seen: set[str] = set()  # a value repeated on the page is read once (floods repeat one)
    for node in page.tree.css("a, area"):
        href = attribute(node, "href")
        if href is None or href[:7].lower() != "mailto:" or href in seen:
            continue
        seen.add(href)
        for address in _mailto(href):
            found.setdefault(address, Selector("email", address, "mailto", Strength.MEDIUM))
    protected = _protected(page) if "cfemail" in page.html or _PROTECTED in page.html else ()
    for encoded in protected:
        if encoded in seen:
            continue
        seen.add(encoded)
        decoded = decode_cfemail(encoded)
        if decoded is not None:
            found.setdefault(decoded, Selector("email", decoded, "cfemail", Strength.MEDIUM))
    for text in visible_texts(page):
        where = "text"
        if "@" not in text:
            # cheap tests first: most text has no bracket, and then no disguise
            if len(text) > MAX_SPELLED or _BRACKETED_AT.search(text) is None:
                continue
            where = "text:spelled"
        if text in seen:
            continue
        seen.add(text)
        if where == "text:spelled":
            text = _SPELLED_DOT.sub(".", _SPELLED_AT.sub("@", text))
        for match in _EMAIL.finditer(text):
            if where == "text:spelled" and not _spelled_mailbox(match.group(1)):
                continue
            value = _email(match.group(1), match.group(2))
            if value is not None:
                found.setdefault(value, Selector("email", value, where, Strength.MEDIUM))
    return list(found.values())


def _spelled_mailbox(local: str) -> bool:
    """A spelled-out "x (at) y (dot) z" names a mailbox only when ``x`` could be one: "find
    us (at) facebook (dot) com" or "made with love (at) Berlin.de" are sentences."""
    return len(local) >= 3 and local.lower() not in _SENTENCE_WORDS


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
