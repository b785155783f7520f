"""The canonical form of a reported URL, used to recognise one URL across hotlines.

Parsing is the WHATWG URL Standard (``ada-url``, the parser inside Node.js): it already
lowercases scheme and host, applies IDNA/UTS-46 non-transitional, reads IPv4 in every legacy
notation (hex, octal, dword, short forms), compresses IPv6, drops default ports and resolves
dot segments. On top of that comes the dedupe policy in ``docs/canonical-urls.md``: no
fragment, no empty ``?``, no trailing dot in the host, no userinfo, normalised
percent-encoding, no tracking parameters. Two checks the parser leaves out are done here:
``xn--`` labels must be valid Punycode of a valid IDNA label, and onion addresses must be
valid v3 addresses. The policy is a pure function: no I/O, no network.
"""

from __future__ import annotations

import re

from hotline.urls.model import CanonicalURL, Rejection, RejectReason, SiteKind
from hotline.urls.onion import onion_v3_error
from hotline.urls.percent import decode_component, normalise_percent
from hotline.urls.sites import site_for_host
from hotline.urls.tracking import DEFAULT_POLICY, TrackingPolicy
from hotline.urls.whatwg import normalized_href

MAX_URL_BYTES = 8192
MAX_HOST_LENGTH = 253  # RFC 1035, in its ASCII (punycode) form
ALLOWED_SCHEMES = frozenset({"http", "https", "ftp"})
# Schemes that are never a host name in front of a port: "javascript:0" is script, not a host.
_NEVER_A_HOST = frozenset({"javascript", "vbscript", "data", "mailto", "file", "about", "blob"})

# WHATWG strips leading and trailing C0 controls and spaces; so do we, before any check.
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_TAB_AND_NEWLINE = str.maketrans("", "", "\t\n\r")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_HOST_PORT_TAIL = re.compile(r"\d+(?:[/?#]|$)")
_IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
_AUTHORITY = re.compile(
    r"^[A-Za-z][A-Za-z0-9+.\-]*://(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)(?::([^/?#]*))?"
)

Canonical = CanonicalURL | Rejection

# Everything decided about a host (trailing dot, kind, onion validity, PSL site) is memoised:
# feeds repeat hosts heavily, and the PSL walk is the dearest step after parsing.
_HostInfo = tuple[str, str, SiteKind] | Rejection
_HOSTS: dict[str, _HostInfo] = {}
_HOSTS_MAX = 200_000


def canonicalize(raw: str, policy: TrackingPolicy = DEFAULT_POLICY) -> Canonical:
    """Return the canonical form of ``raw`` or a typed :class:`Rejection`; never raises on text.

    >>> canonicalize("HTTP://Shop.Brand.TEST:80/a/./b/../c?utm_source=x&id=7#top").url
    'http://shop.brand.test/a/c?id=7'
    """
    # WHATWG order: strip surrounding C0 controls and spaces, then remove every ASCII tab and
    # newline, wherever it is ("ht\ntps://" is "https://"), and only then look for a scheme.
    text = raw.strip(_C0_AND_SPACE)
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.translate(_TAB_AND_NEWLINE)
    if not text:
        return Rejection(RejectReason.EMPTY, "the URL is empty")
    if (
        len(text) > MAX_URL_BYTES // 4
        and len(text.encode("utf-8", "surrogatepass")) > MAX_URL_BYTES
    ):
        return Rejection(RejectReason.TOO_LONG, f"the URL is longer than {MAX_URL_BYTES} bytes")

    scheme_added = False
    if not text[:8].lower().startswith(("http://", "https://")):  # the common case: no regex
        match = _SCHEME.match(text)
        scheme = match.group(1).lower() if match is not None else ""
        if match is not None and scheme not in ALLOWED_SCHEMES:
            if _HOST_PORT_TAIL.match(text, match.end()) is None or scheme in _NEVER_A_HOST:
                return Rejection(
                    RejectReason.UNSUPPORTED_SCHEME,
                    f"scheme '{scheme}:' is not accepted (only http, https, ftp)",
                )
            match = None  # "host.test:8080/x" is a host and a port, not a scheme
        if match is None:
            text = ("http:" if text.startswith("//") else "http://") + text
            scheme_added = True

    try:
        href = normalized_href(text)
    except UnicodeEncodeError:  # a lone surrogate: the text is not Unicode, let alone a URL
        return Rejection(RejectReason.UNPARSEABLE, "the URL is not valid Unicode (lone surrogate)")
    except ValueError:
        return _diagnose(text)
    return _apply_policy(href, policy, scheme_added)


def _apply_policy(href: str, policy: TrackingPolicy, scheme_added: bool) -> Canonical:
    scheme, _, rest = href.partition("://")
    hash_at = rest.find("#")
    if hash_at != -1:
        rest = rest[:hash_at]
    # Special schemes always have a path starting with "/", and ada percent-encodes "/" in
    # userinfo, so the first slash ends the authority.
    slash = rest.find("/")
    authority, path_query = rest[:slash], rest[slash:]

    had_userinfo = False
    at = authority.rfind("@")
    if at != -1:
        had_userinfo = True
        authority = authority[at + 1 :]
    if authority.startswith("["):
        end = authority.find("]") + 1
        host, port = authority[:end], authority[end + 1 :]
    else:
        host, _, port = authority.partition(":")
    info = _HOSTS.get(host)
    if info is None:
        info = _host_info(host)
        if len(_HOSTS) >= _HOSTS_MAX:
            _HOSTS.clear()
        _HOSTS[host] = info
    if isinstance(info, Rejection):
        return info
    host, site, kind = info

    query_at = path_query.find("?")
    stripped: tuple[str, ...] = ()
    if query_at == -1:
        path, query = normalise_percent(path_query), ""
    else:
        path = normalise_percent(path_query[:query_at])
        query, stripped = _clean_query(path_query[query_at + 1 :], policy)

    url = f"{scheme}://{host}{':' + port if port else ''}{path}{'?' + query if query else ''}"
    return CanonicalURL(url, scheme, host, site, kind, scheme_added, had_userinfo, stripped)


def _clean_query(query: str, policy: TrackingPolicy) -> tuple[str, tuple[str, ...]]:
    if not query:
        return "", ()
    kept: list[str] = []
    stripped: list[str] = []
    for piece in query.split("&"):
        if not piece:
            continue  # "a=1&&b=2" and a trailing "&" carry nothing
        name = piece.split("=", 1)[0]
        if policy.is_tracking(decode_component(name)):
            stripped.append(name)
        else:
            kept.append(normalise_percent(piece))
    return "&".join(kept), tuple(stripped)


def _host_info(host: str) -> _HostInfo:
    """(host without trailing dots, site, kind) for a host the WHATWG parser accepted."""
    if host.endswith("."):
        bare = host.rstrip(".")
        if not bare:
            return Rejection(RejectReason.INVALID_HOST, "the host is only dots")
        if len(host) - len(bare) > 1:
            # WHATWG looks for an IPv4 number only in front of one trailing dot, so "0x1.." stays
            # a domain while "0x1" is the address 0.0.0.1: parse the bare host again, or the
            # canonical form would not be a fixed point. Rare, and memoised with the host.
            try:
                href = normalized_href(f"http://{bare}/")
            except ValueError:
                return Rejection(
                    RejectReason.INVALID_HOST,
                    f"host {bare[:80]!r} is not a valid domain name or IP address",
                )
            bare = href[7 : href.index("/", 7)]
        host = bare
    kind = _host_kind(host)
    if kind is not SiteKind.IPV6 and (".." in host or host.startswith(".")):
        return Rejection(RejectReason.INVALID_HOST, f"host '{host[:80]}' has an empty label")
    if len(host) > MAX_HOST_LENGTH or max(len(label) for label in host.split(".")) > 63:
        # No DNS name can be longer, and the store keys sites and hosts by at most 255.
        return Rejection(
            RejectReason.INVALID_HOST,
            f"host '{host[:80]}…' is longer than a DNS name can be "
            f"({MAX_HOST_LENGTH} characters, 63 per label)",
        )
    if kind is not SiteKind.IPV6 and "xn--" in host:
        for label in host.split("."):
            problem = _a_label_problem(label) if label.startswith("xn--") else None
            if problem:
                return Rejection(RejectReason.INVALID_HOST, problem)
    if kind is SiteKind.ONION:
        problem = _onion_problem(host)
        if problem:
            return Rejection(RejectReason.INVALID_ONION, problem)
    return host, site_for_host(host, kind), kind


def _a_label_problem(label: str) -> str | None:
    """Why an ``xn--`` label is not an IDNA A-label, or None when it is one.

    The WHATWG parser passes ``xn--`` labels through unchecked, so ``xn--a`` (Punycode for the
    control character U+0080) would become a site. UTS-46 asks that the rest of the label
    decode as Punycode to a non-empty, not purely ASCII label that is itself valid. The label
    is valid exactly when the decoded label, read by the same parser, encodes back to it: a
    disallowed character is refused there, and a character IDNA maps to another (upper
    case, full width) or a non-canonical encoding comes back different.
    """
    try:
        decoded = label[4:].encode("ascii").decode("punycode")
    except (UnicodeError, ValueError, OverflowError):
        return f"host label '{label}' is not valid Punycode"
    if not decoded or decoded.isascii():
        return f"host label '{label}' is not valid Punycode: it holds no non-ASCII character"
    try:
        again = normalized_href(f"http://{decoded}/")
    except ValueError:
        again = ""
    if again != f"http://{label}/":
        # repr() escapes the controls and bidi marks the decoded label may hold: it is printed.
        return (
            f"host label '{label}' is Punycode for {decoded!r}, "
            "which IDNA does not allow in a host name"
        )
    return None


def _host_kind(host: str) -> SiteKind:
    if host.startswith("["):
        return SiteKind.IPV6
    if host[-1].isdigit() and _IPV4.fullmatch(host):
        return SiteKind.IPV4  # ada has already rewritten every IPv4 notation to a dotted quad
    if host.endswith(".onion"):
        return SiteKind.ONION
    return SiteKind.DOMAIN


def _onion_problem(host: str) -> str | None:
    labels = host.split(".")
    if len(labels) < 2 or not labels[-2]:
        return "'.onion' needs a service address in front of it"
    return onion_v3_error(labels[-2])


def _valid_port(port: str) -> bool:
    # isascii(): str.isdigit() is also true for "²" or "٣", which int() refuses or misreads;
    # the length test keeps int() below its 4,300-digit limit (leading zeros are allowed).
    digits = port.lstrip("0")
    return port.isascii() and port.isdigit() and len(digits) <= 5 and int(digits or "0") <= 65535


def _diagnose(text: str) -> Rejection:
    """Name the reason a URL the WHATWG parser refused was refused, as precisely as we can."""
    found = _AUTHORITY.match(text)
    if found is not None:
        host, port = found.group(1), found.group(2)
        if port and not _valid_port(port):
            # repr(): the detail is stored and printed, so control characters are shown escaped.
            return Rejection(RejectReason.INVALID_PORT, f"port {port[:20]!r} is not 0-65535")
        if not host:
            return Rejection(RejectReason.INVALID_HOST, "the URL has no host")
        return Rejection(
            RejectReason.INVALID_HOST,
            f"host {host[:80]!r} is not a valid domain name or IP address",
        )
    return Rejection(RejectReason.UNPARSEABLE, "not a URL the WHATWG URL parser accepts")
