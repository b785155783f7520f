"""HTTP messages inside WARC records: status line, headers, and a bounded, decoded body.

Capture tools store the response as it came over the wire, so bodies may still be chunked
or gzip/deflate/brotli-encoded. Decoding is capped: a ``Content-Encoding: gzip`` body that
inflates past the limit (a compression bomb) is cut at the limit and flagged, never inflated
whole. Bodies stay in memory only as long as the caller holds them.
"""

from __future__ import annotations

import codecs
import re
import zlib
from dataclasses import dataclass, field

import brotli

MAX_HTML_BYTES = 10 * 1024 * 1024  # HTML beyond this is cut (and the capture flagged)
MAX_DECODED_BYTES = 64 * 1024 * 1024  # any decoded body beyond this is cut
_MAX_HEAD = 64 * 1024
_STATUS = re.compile(r"[1-5][0-9]{2}")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,8}")


@dataclass(slots=True)
class HttpMessage:
    status: int  # 0 for a request
    reason: str
    method: str  # "" for a response
    target: str  # request target; "" for a response
    headers: list[tuple[str, str]]
    body: bytes = field(repr=False)
    body_cut: bool = False  # decoding stopped at a size limit
    problem: str | None = None  # e.g. an encoding that could not be decoded

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    @property
    def content_type(self) -> str:
        value = self.header("Content-Type") or ""
        return value.split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        value = self.header("Content-Type") or ""
        for part in value.split(";")[1:]:
            key, _, found = part.strip().partition("=")
            if key.lower() == "charset" and found:
                return found.strip("\"' ").lower()
        return None


class NotHttp(ValueError):
    """The block is not an HTTP message (e.g. a response record without HTTP headers)."""


def parse_http(block: bytes, limit: int = MAX_DECODED_BYTES) -> HttpMessage:
    end = block.find(b"\r\n\r\n", 0, _MAX_HEAD)
    separator = 4
    if end < 0:
        end = block.find(b"\n\n", 0, _MAX_HEAD)
        separator = 2
    if end < 0:
        raise NotHttp("no HTTP header block (status line and headers) in the record")
    lines = block[:end].replace(b"\r\n", b"\n").split(b"\n")
    first = lines[0].decode("latin-1").strip()
    status, reason, method, target = 0, "", "", ""
    if first.startswith("HTTP/"):
        parts = first.split(" ", 2)
        if len(parts) < 2 or not _STATUS.fullmatch(parts[1]):
            raise NotHttp(f"malformed HTTP status line {first[:60]!r}")
        status, reason = int(parts[1]), parts[2] if len(parts) > 2 else ""
    else:
        parts = first.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            raise NotHttp(f"not an HTTP status or request line: {first[:60]!r}")
        method, target = parts[0], parts[1]
    headers = []
    for raw in lines[1:]:
        name, colon, value = raw.partition(b":")
        if colon and name.strip():
            headers.append((name.strip().decode("latin-1"), value.strip().decode("latin-1")))
    message = HttpMessage(status, reason, method, target, headers, b"")
    body = block[end + separator :]
    if (message.header("Transfer-Encoding") or "").lower().find("chunked") >= 0:
        try:
            body = _dechunk(body)
        except _TooManyChunks:
            message.problem = (
                f"chunked body in more than {MAX_CHUNKS:,} chunks (a decoding bomb?); not decoded"
            )
            body = b""
    encoding = (message.header("Content-Encoding") or "").strip().lower()
    if encoding in ("gzip", "x-gzip") and body and not body.startswith(b"\x1f\x8b"):
        # Stored already decoded under its original header (recorders do this, as with
        # chunked bodies): the bytes are the payload. warcio falls back the same way.
        encoding = "identity"
    if encoding in ("gzip", "x-gzip", "deflate"):
        try:
            body, message.body_cut = _inflate(body, encoding, limit)
        except zlib.error as error:
            message.problem = f"cannot decode Content-Encoding {encoding}: {error}"
            body = b""
    elif encoding == "br":
        try:
            body, message.body_cut = _unbrotli(body, limit)
        except brotli.error as error:
            # Brotli has no magic number to tell a stored-decoded body from an encoded one:
            # bytes that do not decode are the payload when they look like it (markup or a
            # known image format), as recorders store them; anything else is refused.
            if not _looks_decoded(body):
                message.problem = f"cannot decode Content-Encoding br: {error}"
                body = b""
    elif encoding not in ("", "identity"):
        message.problem = f"Content-Encoding {encoding!r} is not decoded"
        body = b""
    if len(body) > limit:
        body, message.body_cut = body[:limit], True
    message.body = body
    return message


def _inflate(data: bytes, encoding: str, limit: int) -> tuple[bytes, bool]:
    """Inflate at most ``limit`` bytes: a bomb costs ``limit``, never its full size."""
    wbits = 31 if encoding != "deflate" else (15 if data[:1] == b"\x78" else -15)
    inflater = zlib.decompressobj(wbits)
    out = inflater.decompress(data, limit + 1)
    if len(out) > limit:
        return out[:limit], True
    return out, False


_DECODED_STARTS = (b"<", b"\xef\xbb\xbf<", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF",
                   b"\x00\x00\x01\x00", b"BM")  # fmt: skip


def _looks_decoded(body: bytes) -> bool:
    """Markup (after white space) or the signature of an image format hotline hashes."""
    return body.lstrip(b" \t\r\n").startswith(_DECODED_STARTS)


_BROTLI_STEP = 1 << 20  # output asked of the decoder at a time: the cap's overshoot bound


def _unbrotli(data: bytes, limit: int) -> tuple[bytes, bool]:
    """Decode at most ``limit`` bytes of a Brotli body, asking the decoder for 1 MiB at a
    time so a bomb costs about ``limit``; raises ``brotli.error`` when the bytes are not
    Brotli, including a stream that ends before it gave anything (a short body stored
    already decoded); a stream cut later gives what it decoded."""
    decoder = brotli.Decompressor()
    out = bytearray(decoder.process(data, output_buffer_limit=_BROTLI_STEP))
    while len(out) <= limit and not decoder.is_finished() and not decoder.can_accept_more_data():
        more = decoder.process(b"", output_buffer_limit=_BROTLI_STEP)
        if not more:
            break
        out += more
    if len(out) > limit:
        del out[limit:]
        return bytes(out), True
    if not out and not decoder.is_finished():
        raise brotli.error("the stream ends before any output")
    return bytes(out), False


MAX_CHUNKS = 250_000  # servers chunk by kilobytes; a 64 MiB body in 256-byte chunks fits


class _TooManyChunks(ValueError):
    pass


def _dechunk(data: bytes) -> bytes:
    """Undo chunked transfer coding; on malformed chunks keep what was decoded so far.

    Recorders often store a body already de-chunked under its original
    ``Transfer-Encoding: chunked`` header: when the body does not start with a chunk-size
    line it is taken as it is (as warcio does), never dropped.
    """
    out = bytearray()
    position = 0
    chunks = 0
    while position < len(data):
        chunks += 1
        if chunks > MAX_CHUNKS:  # a loop turn per chunk: bounded, whatever the bytes
            raise _TooManyChunks
        line_end = data.find(b"\r\n", position, position + 1024)
        if line_end < 0:
            if not out:
                return data  # no chunk-size line at all: not chunked after all
            break
        size_text = data[position:line_end].split(b";", 1)[0].strip()
        if not _CHUNK_SIZE.fullmatch(size_text):  # int() would take "-ff": never go back
            return bytes(out) if out else data  # not chunked after all
        size = int(size_text, 16)
        if size == 0:
            break
        start = line_end + 2
        out += data[start : start + size]
        position = start + size + 2
    return bytes(out)


def decode_html(message: HttpMessage, limit: int = MAX_HTML_BYTES) -> tuple[str, list[str]]:
    """The body as text for the HTML parser, and what was done to it: ``html_cut`` (over
    ``limit`` bytes) and ``html_too_deep`` (cut where nesting passed MAX_NESTING)."""
    flags = []
    body = message.body
    if message.body_cut or len(body) > limit:
        body = body[:limit]
        flags.append("html_cut")
    # fewer tags (or attributes) than the limits cannot break them: no need to scan
    if body.count(b"<") > MAX_NESTING or body.count(b"=") > MAX_ATTRIBUTES:
        body, folded = fold_repeats(body)
        if folded:
            flags.append("html_repeats_folded")
    if body.count(b"<") > MAX_NESTING or body.count(b"=") > MAX_ATTRIBUTES:
        body, too_deep = limit_nesting(body)
        if too_deep:
            flags.append("html_too_deep")
    return body.decode(_text_codec(message.charset or _sniff_charset(body)), "replace"), flags


def _text_codec(name: str | None) -> str:
    """A usable text codec for a declared charset; UTF-8 for unknown or non-text codecs
    (``idna``, ``punycode``, ``undefined``, ``rot13``, ``zlib`` are codecs but not charsets)."""
    if not name:
        return "utf-8"
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return "utf-8"
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        return "utf-8"
    return info.name


_NOT_CHARSETS = frozenset({"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape"})


_CHARSET = re.compile(rb"charset\s*=\s*[\"']?([A-Za-z0-9_-]{1,40})")


def _sniff_charset(body: bytes) -> str | None:
    found = _CHARSET.search(body[:2048].lower())
    return found.group(1).decode("ascii") if found else None


def looks_like_html(text: str) -> bool:
    """Whether a text/html body is HTML at all (and not, say, a binary or JSON payload)."""
    start = text[:4096].lstrip().lower()
    if start.startswith(("<!doctype html", "<html", "<head", "<body", "<!--")):
        return True
    return "<html" in start or "<body" in start or ("<div" in start and "</" in start)


# An element repeated verbatim, back to back, more than this many times is kept this many
# times: every extractor reads sets of values, so the 20,001st copy of the same link says
# nothing the first did not, and a page of 20,000 copies costs every extractor 20,000 steps.
MAX_REPEATS = 64
# one element with its text, closed by its own end tag; [^<>] keeps every attempt linear
_REPEATED = re.compile(
    rb"(<([A-Za-z][A-Za-z0-9-]{0,30})\b[^<>]{0,4096}>[^<>]{0,4096}</\2\s*>\s*)(?:\1){%d,}"
    % MAX_REPEATS
)


def fold_repeats(body: bytes) -> tuple[bytes, bool]:
    """Runs of one element repeated verbatim more than :data:`MAX_REPEATS` times, cut to
    that many; (body, whether anything was cut)."""
    folded, count = _REPEATED.subn(lambda m: m.group(1) * MAX_REPEATS, body)
    return (folded, True) if count else (body, False)


MAX_NESTING = 2_000  # deeper than any real page; lexbor's tree building grows as depth²
MAX_ATTRIBUTES = 1_000  # per element; the parser is quadratic in them too
_TAG_NAME = re.compile(rb"<(/?)([A-Za-z][A-Za-z0-9-]{0,30})")  # no backtracking: linear
_VOID = frozenset(b"area base br col embed hr img input link meta param source track wbr".split())
_FOREIGN = frozenset((b"svg", b"math"))  # inside these, "<x/>" really closes x


def limit_nesting(body: bytes, max_depth: int = MAX_NESTING) -> tuple[bytes, bool]:
    """Cut the body where element nesting passes ``max_depth``, or before an element with
    more than :data:`MAX_ATTRIBUTES` attributes; (body, was_cut).

    A page of 100,000 nested ``<div>`` (or ``<div/>``: HTML ignores the slash on elements
    that are not void) is a denial of service on any HTML tree builder, which grows
    quadratically; nothing legitimate nests like that. The scan is linear whatever the
    bytes: each ``<`` is looked at once, a tag ends at the next ``>`` (found by one forward
    search per tag, never backtracking), and ``<`` inside a tag are skipped as the HTML
    tokenizer skips them.
    """
    depth = 0
    foreign = 0  # depth at which an <svg> or <math> was opened; 0 when outside
    position = 0
    while True:
        match = _TAG_NAME.search(body, position)  # "a < b" is text, not a tag: skipped
        if match is None:
            return body, False
        start = match.start()
        end = body.find(b">", start)
        if end < 0:
            return body, False  # an unfinished tag: the parser makes nothing of it
        position = end + 1
        if body.count(b"=", start, end) > MAX_ATTRIBUTES:
            return body[:start], True
        closing, name = match.group(1), match.group(2).lower()
        if closing:
            depth = max(0, depth - 1)
            if foreign and depth < foreign:
                foreign = 0
            continue
        if name in _VOID or (foreign and body[end - 1 : end] == b"/"):
            continue
        depth += 1
        if name in _FOREIGN and not foreign:
            foreign = depth
        if depth > max_depth:
            return body[:start], True
