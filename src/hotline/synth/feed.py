"""Synthetic report feeds: hotlines reporting overlapping URLs in surface variants.

Every host is under a reserved name (``.test``, ``.example``) and every IP in a documentation
range; page paths are neutral shop words. Each row carries the canonical URL it must dedupe
to, so tests and benchmarks can check intake against the truth instead of against itself.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from hotline.urls.percent import normalise_percent

_SYLLABLES = ("zor", "bel", "kin", "vax", "lum", "tre", "quo", "mip", "dra", "fen", "sol", "yar")
_IDN_SYLLABLES = ("bü", "mö", "fä", "ñu", "çe", "ør")
_PATH_WORDS = ("shop", "item", "gallery", "catalog", "page", "view", "list", "member", "offer")
_SUFFIXES = ("test", "example")
_DOC_NETS = ("192.0.2", "198.51.100", "203.0.113")
SITE_TYPES = ("website", "website", "website", "image-host", "forum", "file-host", "video-host")


@dataclass(frozen=True, slots=True)
class FeedRow:
    source: str
    source_report_id: str
    reported_at: str
    url: str
    site_type: str
    commercial: str
    note: str
    truth: str | None  # canonical URL this row must dedupe to; None for a row that must fail


@dataclass(frozen=True, slots=True)
class _Base:
    scheme: str
    host_unicode: str
    host_ascii: str
    path: str
    query: str

    @property
    def canonical(self) -> str:
        return (
            f"{self.scheme}://{self.host_ascii}{self.path}{'?' + self.query if self.query else ''}"
        )


class FeedGenerator:
    """Deterministic: the same seed and parameters give the same rows, byte for byte."""

    def __init__(
        self,
        seed: int,
        sources: int = 5,
        duplicate_share: float = 0.3,
        bad_share: float = 0.0,
        sites: int | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.sources = [f"HL-{chr(ord('A') + i)}" for i in range(sources)]
        self.duplicate_share = duplicate_share
        self.bad_share = bad_share
        self.sites = sites
        self._bases: list[_Base] = []
        self._site_hosts: list[tuple[str, str]] = []
        self._start = datetime(2026, 1, 1, tzinfo=UTC)

    def rows(self, count: int) -> Iterator[FeedRow]:
        site_budget = self.sites or max(1, count // 8)
        for n in range(count):
            rng = self.rng
            source = self.sources[n % len(self.sources)] if n % 3 else rng.choice(self.sources)
            when = (self._start + timedelta(seconds=n * 97 + rng.randrange(60))).isoformat()
            report_id = f"{source.lower()}-{n:08d}"
            if self.bad_share and rng.random() < self.bad_share:
                yield self._bad_row(source, report_id, when)
                continue
            if self._bases and rng.random() < self.duplicate_share:
                base = rng.choice(self._bases)
                url = self._variant(base)
            else:
                base = self._new_base(site_budget)
                self._bases.append(base)
                url = base.canonical if rng.random() < 0.5 else self._variant(base)
            yield FeedRow(
                source,
                report_id,
                when,
                url,
                rng.choice(SITE_TYPES),
                rng.choice(("true", "false", "")),
                "",
                base.canonical,
            )

    def _name(self) -> str:
        rng = self.rng
        return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))) + str(
            rng.randrange(10_000)
        )

    def _new_site(self) -> tuple[str, str]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.04:
            ip = f"{rng.choice(_DOC_NETS)}.{rng.randrange(1, 255)}"
            return ip, ip
        suffix = rng.choice(_SUFFIXES)
        if roll < 0.10:
            label = rng.choice(_IDN_SYLLABLES) + self._name()
            return f"{label}.{suffix}", f"{label.encode('idna').decode('ascii')}.{suffix}"
        name = f"{self._name()}.{suffix}"
        return name, name

    def _new_base(self, site_budget: int) -> _Base:
        rng = self.rng
        if len(self._site_hosts) < site_budget and (not self._site_hosts or rng.random() < 0.6):
            self._site_hosts.append(self._new_site())
        unicode_host, ascii_host = rng.choice(self._site_hosts)
        if rng.random() < 0.3 and not ascii_host[0].isdigit():
            prefix = rng.choice(("www", "cdn", "m", "shop"))
            unicode_host, ascii_host = f"{prefix}.{unicode_host}", f"{prefix}.{ascii_host}"
        segments = [rng.choice(_PATH_WORDS) for _ in range(rng.randint(1, 3))]
        path = "/" + "/".join(segments) + f"/{rng.randrange(1_000_000)}"
        query = f"id={rng.randrange(100_000)}" if rng.random() < 0.4 else ""
        if query and rng.random() < 0.3:
            query += f"&page={rng.randrange(50)}"
        return _Base(rng.choice(("http", "https")), unicode_host, ascii_host, path, query)

    def _variant(self, base: _Base) -> str:
        return surface_variant(
            self.rng, base.scheme, base.host_ascii, base.host_unicode, base.path, base.query
        )

    def _bad_row(self, source: str, report_id: str, when: str) -> FeedRow:
        return bad_row(self.rng, source, report_id, when)[0]


def surface_variant(
    rng: random.Random, scheme: str, host: str, host_unicode: str, path: str, query: str
) -> str:
    """A surface variant of a canonical URL that canonicalisation must fold back into it:
    case, default ports, tracking parameters, percent-encoding, IDN, dot segments, fragments."""
    base_scheme, base_host = scheme, host
    port = ""
    fragment = ""
    for trick in rng.sample(range(9), rng.randint(1, 3)):
        if trick == 0:
            scheme = scheme.upper()
        elif trick == 1:
            host = "".join(c.upper() if rng.random() < 0.5 else c for c in host)
        elif trick == 2:
            port = ":80" if base_scheme == "http" else ":443"
        elif trick == 3:
            tracking = f"utm_source=hl{rng.randrange(9)}&fbclid=x{rng.randrange(10**6)}"
            query = (
                f"{query}&{tracking}"
                if query and rng.random() < 0.5
                else (f"{tracking}&{query}" if query else tracking)
            )
        elif trick == 4:
            path = _encode_some(path, rng)
        elif trick == 5 and host_unicode != base_host:
            host = host_unicode
        elif trick == 6:
            cut = path.rfind("/")
            path = path[:cut] + "/./extra/.." + path[cut:]
        elif trick == 7:
            fragment = f"#section{rng.randrange(9)}"
        elif trick == 8 and not host[0].isdigit():
            host += "."
    return f"{scheme}://{host}{port}{path}{'?' + query if query else ''}{fragment}"


BAD_KINDS = ("javascript", "timestamp", "missing_url", "scheme", "port", "site_type")


def bad_row(rng: random.Random, source: str, report_id: str, when: str) -> tuple[FeedRow, str]:
    """A row intake must refuse, and the kind of fault (kept in the world's truth)."""
    kind = rng.choice(BAD_KINDS)
    url = "http://shop.broken.test/x"
    site_type = "website"
    if kind == "javascript":
        url = "javascript:void(0)"
    elif kind == "timestamp":
        when = "31/31/2026 25:61"
    elif kind == "missing_url":
        url = ""
    elif kind == "scheme":
        url = "mailto:shop@broken.test"
    elif kind == "port":
        url = "http://shop.broken.test:70000/"
    else:
        site_type = "newspaper"
    return FeedRow(source, report_id, when, url, site_type, "", "", None), kind


def _encode_some(path: str, rng: random.Random) -> str:
    out = []
    for char in path:
        if char.isalnum() and rng.random() < 0.2:
            hexed = f"%{ord(char):02X}"
            out.append(hexed.lower() if rng.random() < 0.5 else hexed)
        else:
            out.append(char)
    encoded = "".join(out)
    assert normalise_percent(encoded) == path
    return encoded


FIELDS = ("source", "source_report_id", "reported_at", "url", "site_type", "commercial", "note")


def write_feed(path: Path, rows: Iterator[FeedRow], fmt: str | None = None) -> int:
    """Write rows as CSV or JSON Lines (by extension unless ``fmt``); returns the row count."""
    fmt = fmt or ("csv" if path.suffix == ".csv" else "jsonl")
    count = 0
    with path.open("wb") as out:
        if fmt == "csv":
            text = io.TextIOWrapper(out, encoding="utf-8", newline="")
            writer = csv.writer(text, lineterminator="\n")
            writer.writerow(FIELDS)
            for row in rows:
                writer.writerow([getattr(row, name) for name in FIELDS])
                count += 1
            text.flush()
            text.detach()
        else:
            for row in rows:
                out.write(orjson.dumps({name: getattr(row, name) for name in FIELDS}) + b"\n")
                count += 1
    return count
