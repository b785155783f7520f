"""A deterministic WARC/1.1 writer for synthetic captures.

A synthetic world has to be reproducible to the byte: the same seed must give the same
``.warc.gz`` so that fixtures, digests and benchmark inputs can be compared across runs and
machines. General-purpose writers (warcio, heritrix) stamp fresh ``uuid4`` record IDs and gzip
mtimes, so this one fixes every degree of freedom instead:

- record IDs are ``uuid5`` of a writer namespace and a running counter, never random;
- ``WARC-Date`` comes from the caller, at second precision, always UTC with ``Z``;
- every record is its own gzip member (Annex D) with a hand-written header: mtime 0, no file
  name, OS byte 255 ("unknown") so the platform does not leak in, and a fixed level;
- headers are written in a fixed order, CRLF throughout.

Output is still only as stable as zlib's deflate: a different zlib build (zlib-ng, say) may
compress the same record to different bytes; the uncompressed records never change.

Bodies are stored as given: no chunking, no content coding. ``WARC-Payload-Digest`` is the
SHA-1 of exactly those body bytes, in base32, as warcio and pywb compute and check it.
Speed is part of the contract (hundreds of thousands of records per world), so each record is
a handful of string joins, two SHA-1s and one deflate.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import struct
import uuid
import zlib
from datetime import UTC, datetime
from functools import lru_cache
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

__all__ = ["WarcWriter", "sha1_digest", "warc_date"]

_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no flags, mtime 0, OS unknown
_END = b"\r\n\r\n"
# field lines as a block: token name, ": ", a value without CR or LF, CRLF
_FIELDS = re.compile(r"(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+: [^\r\n]*\r\n)*")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_NO_SPACE = re.compile(r"[^\x00-\x20\x7f]+")
_FRAMING = frozenset(("content-length", "transfer-encoding"))


# base32 of a 160-bit digest is exactly 32 letters: 16 lookups of 10 bits each. Several times
# faster than base64.b32encode, which is pure Python with padding logic in 3.11.
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_B32_PAIRS = tuple(a + b for a in _B32 for b in _B32)
_B32_SHIFTS = tuple(range(150, -1, -10))


def _sha1_b32(digest: bytes) -> str:
    n = int.from_bytes(digest, "big")
    return "".join([_B32_PAIRS[(n >> s) & 0x3FF] for s in _B32_SHIFTS])


def sha1_digest(data: bytes) -> str:
    """``sha1:`` plus the base32 SHA-1 of ``data``: the digest form WARC tools expect."""
    return "sha1:" + _sha1_b32(hashlib.sha1(data, usedforsecurity=False).digest())


_EMPTY_DIGEST = sha1_digest(b"")


def warc_date(date: datetime) -> str:
    """W3C-DTF in UTC at second precision, e.g. ``2016-09-19T17:20:24Z``.

    Naive datetimes are refused: converting them would read the machine's time zone, and the
    output would then depend on where it was generated.
    """
    if date.tzinfo is None or date.utcoffset() is None:
        raise ValueError(f"WARC-Date needs an aware datetime, got naive {date!r}")
    return date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=4096)
def _ip(ip: str) -> str:
    # validated and in canonical form (IPv6 compressed, lower case); a world reuses few IPs
    return str(ipaddress.ip_address(ip))


def _fields(pairs: list[tuple[str, str]] | None, what: str) -> str:
    """``Name: value`` lines, each ending in CRLF; refuses anything that would break framing."""
    if not pairs:
        return ""
    text = "".join([f"{name}: {value}\r\n" for name, value in pairs])
    # one line per pair: a value with CRLF inside could otherwise pass as two good lines
    if text.count("\n") != len(pairs) or _FIELDS.fullmatch(text) is None:
        raise ValueError(f"{what}: field names must be tokens and values free of CR/LF: {pairs!r}")
    return text


def _http_uri(uri: str) -> None:
    if not uri.startswith(("http://", "https://")) or _NO_SPACE.fullmatch(uri) is None:
        raise ValueError(f"target must be an http(s) URI without white space, got {uri!r}")


def _gzip_member(data: bytes, level: int) -> bytes:
    """One gzip member holding ``data``, byte-identical for the same input and level.

    The deflate window is sized to the record (deflate output is valid for any window up to
    32 KiB, and readers always allocate the full one): for the typical record of a few KiB,
    setting up zlib's full-size state costs more than compressing the data.
    """
    wbits = min(15, max(9, (len(data) - 1).bit_length()))
    c = zlib.compressobj(level, zlib.DEFLATED, -wbits, max(1, wbits - 7))
    trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return b"".join((_GZIP_HEADER, c.compress(data), c.flush(), trailer))


class WarcWriter:
    """Writes WARC/1.1 records to ``path``, one gzip member per record, deterministically.

    ``namespace`` seeds the record IDs: record *n* of a writer gets
    ``uuid5(uuid5(NAMESPACE_URL, "urn:hotline:warc:" + namespace), str(n))``. IDs must be
    unique across every file of a world, so give each file its own namespace (world seed plus
    file name, say). Record-ID arguments and return values are the full header value,
    ``<urn:uuid:...>``, exactly as warcio reports ``WARC-Record-ID``.

    After a ``warcinfo`` record, every later record carries ``WARC-Warcinfo-ID`` pointing at it.
    """

    def __init__(self, path: str | os.PathLike[str], namespace: str, *, level: int = 6) -> None:
        if not 0 <= level <= 9:
            raise ValueError(f"compression level must be 0..9, got {level}")
        self._ns_bytes = uuid.uuid5(uuid.NAMESPACE_URL, "urn:hotline:warc:" + namespace).bytes
        self._level = level
        self._counter = 0
        self._offset = 0
        self._warcinfo_line = ""
        self._last_date: tuple[datetime, str] | None = None
        self._file = open(path, "wb", buffering=1 << 20)  # noqa: SIM115 - closed by close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    @property
    def offset(self) -> int:
        """Bytes written so far: the file offset the next record will start at (for a CDX)."""
        return self._offset

    @property
    def records(self) -> int:
        """Record IDs handed out so far (records written plus any from ``new_record_id``)."""
        return self._counter

    def new_record_id(self) -> str:
        """The next ID in this writer's sequence, for ``raw_record`` or links made up front."""
        # uuid.uuid5(self._ns, str(n)) spelled out: same value, without building a UUID object
        h = hashlib.sha1(self._ns_bytes + b"%d" % self._counter, usedforsecurity=False).hexdigest()
        self._counter += 1
        variant = "89ab"[int(h[16], 16) & 3]
        return f"<urn:uuid:{h[:8]}-{h[8:12]}-5{h[13:16]}-{variant}{h[17:20]}-{h[20:32]}>"

    def _date(self, date: datetime) -> str:
        # request and response of one capture share a date; skip the second strftime
        # (equal aware datetimes are the same instant, hence the same UTC text)
        last = self._last_date
        if last is not None and last[0] == date:
            return last[1]
        text = warc_date(date)
        self._last_date = (date, text)
        return text

    def _write(self, head: str, *block: bytes) -> None:
        member = _gzip_member(b"".join((head.encode("utf-8"), *block, _END)), self._level)
        self._file.write(member)
        self._offset += len(member)

    def raw_record(
        self, warc_headers: list[tuple[str, str]], block: bytes, *, version: str = "WARC/1.1"
    ) -> None:
        """Write a record exactly as given, as its own gzip member: nothing added, nothing checked.

        For tests that need odd records (wrong lengths, unknown types, WARC/1.0). The caller
        supplies every header, including ``WARC-Record-ID`` and ``Content-Length``.
        """
        lines = "".join(f"{name}: {value}\r\n" for name, value in warc_headers)
        self._write(f"{version}\r\n{lines}\r\n", block)

    def warcinfo(
        self, date: datetime, fields: dict[str, str], *, filename: str | None = None
    ) -> str:
        """Write a ``warcinfo`` record whose block is ``fields`` as ``application/warc-fields``.

        Later records link to it with ``WARC-Warcinfo-ID``. ``filename`` becomes
        ``WARC-Filename``; it is not taken from the path so that output does not depend on
        where it was written.
        """
        when = self._date(date)
        block = _fields(list(fields.items()), "warcinfo fields").encode("utf-8")
        name = ""
        if filename is not None:
            name = _fields([("WARC-Filename", filename)], "WARC-Filename")
        rid = self.new_record_id()  # only once nothing can fail: refusals leave no gap
        head = (
            f"WARC/1.1\r\nWARC-Type: warcinfo\r\nWARC-Record-ID: {rid}\r\n"
            f"WARC-Date: {when}\r\n{name}"
            f"Content-Type: application/warc-fields\r\n"
            f"WARC-Block-Digest: {sha1_digest(block)}\r\n"
            f"Content-Length: {len(block)}\r\n\r\n"
        )
        self._write(head, block)
        self._warcinfo_line = f"WARC-Warcinfo-ID: {rid}\r\n"
        return rid

    def request(
        self,
        uri: str,
        date: datetime,
        http_headers: list[tuple[str, str]],
        method: str = "GET",
        concurrent_to: str | None = None,
    ) -> str:
        """Write a ``request`` record holding an HTTP/1.1 request without a body.

        The request line uses the URI's path and query (no fragment), and ``Host`` comes first,
        from the URI's authority, unless ``http_headers`` has one. Write the response first and
        pass its ID as ``concurrent_to``: the spec counts the link both ways.
        """
        _http_uri(uri)
        when = self._date(date)
        if _TOKEN.fullmatch(method) is None:
            raise ValueError(f"HTTP method must be a token, got {method!r}")
        parts = urlsplit(uri)
        target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
        headers = _fields(http_headers, "HTTP request headers")
        host = ""
        if not any(name.lower() == "host" for name, _ in http_headers):
            host = f"Host: {parts.netloc.rpartition('@')[2]}\r\n"
        http = f"{method} {target} HTTP/1.1\r\n{host}{headers}\r\n".encode()
        link = ""
        if concurrent_to is not None:
            link = _fields([("WARC-Concurrent-To", concurrent_to)], "WARC-Concurrent-To")
        rid = self.new_record_id()
        head = (
            f"WARC/1.1\r\nWARC-Type: request\r\nWARC-Record-ID: {rid}\r\n"
            f"WARC-Date: {when}\r\nWARC-Target-URI: {uri}\r\n"
            f"{self._warcinfo_line}{link}"
            f"Content-Type: application/http; msgtype=request\r\n"
            f"WARC-Block-Digest: {sha1_digest(http)}\r\n"
            f"WARC-Payload-Digest: {_EMPTY_DIGEST}\r\n"
            f"Content-Length: {len(http)}\r\n\r\n"
        )
        self._write(head, http)
        return rid

    def response(
        self,
        uri: str,
        date: datetime,
        status: int,
        reason: str,
        http_headers: list[tuple[str, str]],
        body: bytes,
        ip: str | None = None,
        *,
        concurrent_to: str | None = None,
    ) -> str:
        """Write a ``response`` record holding an HTTP/1.1 response with ``body`` as stored.

        ``Content-Length`` is appended to ``http_headers`` from ``len(body)``, so the two can
        never disagree; headers that frame the body themselves (``Content-Length``,
        ``Transfer-Encoding``) are refused. ``WARC-IP-Address`` is written only when ``ip`` is
        given (IPv4 or IPv6, canonicalised).
        """
        _http_uri(uri)
        when = self._date(date)
        if not 100 <= status <= 999 or "\r" in reason or "\n" in reason:
            raise ValueError(f"bad HTTP status line parts: {status!r} {reason!r}")
        if any(name.lower() in _FRAMING for name, _ in http_headers):
            raise ValueError("http_headers must not frame the body; Content-Length is added")
        headers = _fields(http_headers, "HTTP response headers")
        http = (
            f"HTTP/1.1 {status} {reason}\r\n{headers}Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        block_hash = hashlib.sha1(http, usedforsecurity=False)
        block_hash.update(body)
        extra = self._warcinfo_line
        if concurrent_to is not None:
            extra += _fields([("WARC-Concurrent-To", concurrent_to)], "WARC-Concurrent-To")
        if ip is not None:
            extra += f"WARC-IP-Address: {_ip(ip)}\r\n"
        rid = self.new_record_id()
        head = (
            f"WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: {rid}\r\n"
            f"WARC-Date: {when}\r\nWARC-Target-URI: {uri}\r\n{extra}"
            f"Content-Type: application/http; msgtype=response\r\n"
            f"WARC-Block-Digest: sha1:{_sha1_b32(block_hash.digest())}\r\n"
            f"WARC-Payload-Digest: {sha1_digest(body)}\r\n"
            f"Content-Length: {len(http) + len(body)}\r\n\r\n"
        )
        self._write(head, http, body)
        return rid
