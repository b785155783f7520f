"""Google Safe Browsing v4 URL canonicalisation.

Safe Browsing lists hold SHA-256 prefixes of *canonical* URL expressions, so a lookup can only
match if our URL is canonicalised byte for byte the way Google's clients do it. That is a
different job from :mod:`hotline.urls.canonical`, which dedupes reports under the WHATWG URL
Standard. The rules here are those of the "URLs and Hashing" page, section Canonicalization
(https://developers.google.com/safe-browsing/v4/urls-hashing#canonicalization), and the page's
own examples are the test vectors in ``tests/vectors/url-canonicalization/safe-browsing.json``.

Everything happens on bytes, because the page's rules are about bytes (``%80`` is one byte,
not a character) and because reported URLs are not always valid UTF-8.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote_to_bytes

__all__ = ["safe_browsing_canonical"]

_SCHEME = re.compile(rb"([A-Za-z][A-Za-z0-9+.\-]*)://")
_AUTHORITY_END = re.compile(rb"[/?]")  # the authority ends at the first of these
_DOTS = re.compile(rb"\.{2,}")
_IPV4_PART = re.compile(rb"0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*")
_MUST_ESCAPE = re.compile(rb"[\x00-\x20\x7f-\xff#%]")


def safe_browsing_canonical(url: str | bytes) -> str:
    """Return the Safe Browsing v4 canonical form of ``url``; never raises.

    A ``bytes`` argument is used as it is; a ``str`` is encoded as UTF-8 (lone surrogates
    pass through as their UTF-8-style bytes), so non-ASCII text comes out percent-escaped
    byte by byte. The page's one example with a raw, non-UTF-8 byte (``http://\\x01\\x80.com/``)
    therefore has to be passed as bytes, e.g. ``text.encode("latin-1")``. Converting an IDN
    host to Punycode is left to the caller, as the page asks of the client.

    The port and any ``user:password@`` are dropped, as Google's clients do, because
    Safe Browsing expressions are host plus path only.

    Garbage gives a best-effort string that is itself canonical (the function is idempotent):
    text without ``scheme://`` is read as host and path of an ``http`` URL, so ``"not a url"``
    becomes ``"http://not%20a%20url/"`` and ``""`` becomes ``"http:///"``.

    >>> safe_browsing_canonical("HTTP://www.Example.COM.:8080/a/./b/../%2563?q#frag")
    'http://www.example.com/a/c?q'
    """
    raw = url if isinstance(url, bytes) else url.encode("utf-8", "surrogatepass")
    raw = raw.translate(None, b"\t\r\n").strip(b" ").partition(b"#")[0]
    # The scheme is read before unescaping, so "%68ttp://" is not a scheme but part of a host.
    match = _SCHEME.match(raw)
    scheme, rest = (b"http", raw) if match is None else (match[1].lower(), raw[match.end() :])
    # Split only after unescaping: "%2F" and "%3F" become real delimiters here, and they must,
    # or a second pass would split differently and the result would not be canonical. The
    # fragment is already gone, so an unescaped "#" is plain data (the page's "host%23.com").
    rest = _unescape_fully(rest)
    authority = _AUTHORITY_END.split(rest, maxsplit=1)[0]
    path, question, query = rest[len(authority) :].partition(b"?")
    canonical = scheme + b"://" + _host(authority) + _path(path) + question + query
    return _MUST_ESCAPE.sub(lambda m: b"%%%02X" % m[0][0], canonical).decode("ascii")


def _unescape_fully(data: bytes) -> bytes:
    """Percent-unescape until nothing changes, so ``%252525`` and ``%25`` end up the same."""
    while (decoded := unquote_to_bytes(data)) != data:
        data = decoded
    return data


def _host(authority: bytes) -> bytes:
    """Host without userinfo and port, dots tidied, IP addresses normalised, lowercased."""
    # Leading dots go first: stripping them later could expose a "[" and change the reading.
    host = authority.rpartition(b"@")[2].lstrip(b".")
    if host.startswith(b"[") and b"]" in host:
        host = host[: host.index(b"]") + 1]
        try:  # RFC 5952 text form, which is what ``compressed`` gives
            return b"[%s]" % ipaddress.IPv6Address(host[1:-1].decode("ascii")).compressed.encode()
        except ValueError:  # also UnicodeDecodeError
            return host.lower()
    host = _DOTS.sub(b".", host.partition(b":")[0].strip(b".")).lower()
    return _ipv4(host) or host


def _ipv4(host: bytes) -> bytes | None:
    """Dotted-quad form of ``host`` if it is IPv4 in any legacy notation, else ``None``.

    Phishing URLs use ``http://3279880203/`` or ``0xC3.0177.11`` to hide an address; Safe
    Browsing lists only hold the dotted-quad form. As in ``inet_aton``: ``0x`` is hex, a
    leading ``0`` octal, fewer than four parts let the last part fill the remaining bytes.
    """
    parts = host.split(b".")
    if len(parts) > 4 or not all(_IPV4_PART.fullmatch(part) for part in parts):
        return None
    try:
        numbers = [_ipv4_number(part) for part in parts]
    except ValueError:  # a decimal part longer than int() accepts
        return None
    *leading, last = numbers
    if any(n > 0xFF for n in leading) or last >= 1 << (8 * (5 - len(numbers))):
        return None
    value = last
    for shift, n in enumerate(leading):
        value += n << (8 * (3 - shift))
    return b".".join(b"%d" % n for n in value.to_bytes(4, "big"))


def _ipv4_number(part: bytes) -> int:
    if part.startswith(b"0x"):
        return int(part[2:] or b"0", 16)
    return int(part, 8 if part.startswith(b"0") else 10)


def _path(path: bytes) -> bytes:
    """Resolve ``.`` and ``..`` segments and collapse slashes; an empty path becomes ``/``.

    Empty segments are dropped first, so ``/a//../b`` is ``/b``: collapsing the slashes and
    then resolving, which is the one order whose result is stable under a second pass.
    """
    raw_segments = path.split(b"/")
    segments: list[bytes] = []
    for segment in raw_segments:
        if segment == b"..":
            if segments:
                segments.pop()
        elif segment not in (b"", b"."):
            segments.append(segment)
    trailing = b"/" if segments and raw_segments[-1] in (b"", b".", b"..") else b""
    return b"/" + b"/".join(segments) + trailing
