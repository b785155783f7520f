"""Fuzzing the capture reader: mutated WARC bytes, each read end to end, with a budget.

    python -m benchmarks.fuzz_captures --count 1000000 --seed 1      # the documented run
    python -m benchmarks.fuzz_captures --count 20000                 # a quick one

Seeds are valid records of every kind the reader meets (pages, media, chunked and gzip
bodies, revisits, requests, resource records, warcinfo), plain and gzipped. Each input is a
seed (or two glued together) with 1–8 random mutations: bytes flipped, inserted, deleted,
truncated, duplicated, and hostile snippets spliced in (``<a`` runs, ``<div/>`` runs,
attribute floods, huge Content-Length values, broken chunk sizes, gzip magic, NUL bytes,
terminal escapes). Each input goes through the whole reading path — WARC records, HTTP,
HTML, page classes, extractors, media hashes, revisits and linking — in memory.

Budgets checked per input: no exception escapes, at most ``--max-seconds`` (1 s) of wall
time; and for the run, peak RSS at most 1 GB. Prints inputs/s, the slowest input's time and
the counts of crashes and budget breaches (each first one is saved under
``benchmarks/out/fuzz/`` to replay). The exit code is 0 when there were none, else 1.
"""

from __future__ import annotations

import io
import random
import zlib
from collections.abc import Callable

from benchmarks import fuzzing
from hotline.captures.extractors import default_extractors
from hotline.captures.pages import (
    CaptureFile,
    _FileState,
    _link,
    _read_records,
    _resolve_revisits,
)
from hotline.captures.warc_reader import read_warc
from hotline.synth.images import gradient_png

_SNIPPETS = [
    b"<a" * 200,
    b"<div/>" * 300,
    b"<div " + b"a=1 " * 300 + b">",
    b"Content-Length: 99999999999\r\n",
    b"\r\n\r\n",
    b"ffffffff\r\n",
    b"\x1f\x8b\x08",
    b"\x00" * 16,
    b"\x1b]0;title\x07\x1b[2J",
    b"WARC/1.1\r\n",
    b"Transfer-Encoding: chunked\r\n",
    b"Content-Encoding: gzip\r\n",
    b"<title>Quobble</title>",
    b"bitcoin:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
    b"\x89PNG\r\n\x1a\n",
]


def _record(kind: str, uri: str, block: bytes, extra: str = "") -> bytes:
    head = (
        f"WARC/1.1\r\nWARC-Type: {kind}\r\n"
        f"WARC-Record-ID: <urn:uuid:{random.getrandbits(64):x}>\r\n"
        f"WARC-Date: 2026-03-01T12:00:00Z\r\nWARC-Target-URI: {uri}\r\n{extra}"
        f"Content-Length: {len(block)}\r\n\r\n"
    )
    return head.encode() + block + b"\r\n\r\n"


def _gzip(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    return packer.compress(data) + packer.flush()


def seeds() -> list[bytes]:
    image = gradient_png(random.Random(1), 16)
    page = (
        b"<html><head><title>Quobble Shop</title><link rel='icon' href='/i.png'></head><body>"
        b"<a href='https://pay.example/checkout?merchant=QB123'>pay</a>"
        b"<p>1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 desk@quobble.test</p></body></html>"
    )
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
    chunked = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
    gz = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n"
    png = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n"
    records = [
        _record("response", "https://quobble.test/", http + page),
        _record(
            "response",
            "https://quobble.test/c",
            chunked + b"%x\r\n" % len(page) + page + b"\r\n0\r\n\r\n",
        ),
        _record("response", "https://quobble.test/g", gz + _gzip(page)),
        _record("response", "https://quobble.test/i.png", png + image),
        _record(
            "response",
            "https://quobble.test/t",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + image,
        ),
        _record(
            "request",
            "https://quobble.test/",
            b"GET / HTTP/1.1\r\nReferer: https://links.example/\r\n\r\n",
        ),
        _record("resource", "https://quobble.test/r", page, "Content-Type: text/html\r\n"),
        _record(
            "revisit",
            "https://quobble.test/",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n",
            "WARC-Profile: http://netpreserve.org/warc/1.1/revisit/identical-payload-digest\r\n"
            "WARC-Refers-To-Target-URI: https://quobble.test/\r\n"
            "WARC-Refers-To-Date: 2026-03-01T12:00:00Z\r\n",
        ),
        _record("warcinfo", "", b"software: fuzz\r\n"),
        _record(
            "response", "https://quobble.test/302", b"HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n"
        ),
    ]
    joined = b"".join(records)
    return [*records, joined, b"".join(_gzip(r) for r in records), _gzip(joined)]


def mutate(rng: random.Random, data: bytes) -> bytes:
    return fuzzing.mutate(
        rng, data, _SNIPPETS, longest_cut=64, longest_piece=512, most_copies=20, most_snippets=50
    )


def read_all(data: bytes, extractors: dict[str, object]) -> CaptureFile:
    """``read_capture_file`` on bytes: the same steps, without a file."""
    result = CaptureFile()
    state = _FileState()
    state.merge(result, _read_records(list(read_warc(io.BytesIO(data))), "fuzz", extractors))  # type: ignore[arg-type]
    _resolve_revisits(result, state.revisits, state.originals)
    _link(result, state.referers, state.referers_by_uri, state.redirects)
    return result


def _setup(seed: int) -> Callable[[random.Random], tuple[str, bytes]]:
    random.seed(seed)  # the seeds' record ids
    pool = seeds()

    def make(rng: random.Random) -> tuple[str, bytes]:
        data = rng.choice(pool)
        if rng.random() < 0.2:
            data += rng.choice(pool)
        return "warc", mutate(rng, data)

    return make


def main() -> None:
    extractors = default_extractors()
    fuzzing.run(
        __doc__.splitlines()[0],
        _setup,
        lambda _suffix, data: read_all(data, extractors),  # type: ignore[arg-type]
    )


if __name__ == "__main__":
    main()
