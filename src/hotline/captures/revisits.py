"""Revisit records: a later capture of content the recorder had already stored.

Deduplicating recorders (Heritrix, Browsertrix, warcprox, pywb, Webrecorder) write a capture
of unchanged content as a ``revisit`` record with no payload, pointing at the original:

- ``WARC-Refers-To``: the original's record id (WARC 1.1; often missing);
- ``WARC-Refers-To-Target-URI`` and ``WARC-Refers-To-Date``: the original's URL and time;
- ``WARC-Payload-Digest``: equal to the original's payload digest (the
  ``identical-payload-digest`` profile; ``uri-agnostic`` revisits may even be of another URL).

A revisit is a capture: the site was there, serving that content, at that time. So it is
resolved to its original and becomes a copy of it at the revisit's time, URL and address —
a page with the original's title, class and selectors, or a medium with its hashes. This
module does the resolution within one file; what it cannot resolve is handed on (the store
looks for the original among earlier imports, and failing that records the capture flagged
``original_missing``). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from hotline.urls import CanonicalURL

__all__ = ["Original", "OriginalIndex", "Revisit"]

T = TypeVar("T")


@dataclass(slots=True)
class Revisit:
    """A revisit record as read, before it is resolved."""

    record_id: str
    number: int
    offset: int
    url: CanonicalURL
    captured_at: datetime
    ip: str | None
    status: int | None  # from the HTTP headers the record may keep
    content_type: str | None  # likewise; None when the record keeps no headers
    refers_to: str | None
    refers_to_url: str | None  # canonical
    refers_to_date: datetime | None
    payload_digest: str | None
    flags: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Original(Generic[T]):
    """What a response record became: a page, a medium, or ``None`` (a script, a style...)."""

    value: T | None
    url: str  # canonical
    captured_at: datetime


class OriginalIndex(Generic[T]):
    """Every response record of a file, findable the three ways a revisit may point."""

    def __init__(self) -> None:
        self._by_id: dict[str, Original[T]] = {}
        self._by_url_time: dict[tuple[str, datetime], Original[T]] = {}
        self._by_digest: dict[str, list[Original[T]]] = {}

    def add(
        self,
        record_id: str,
        url: str,
        captured_at: datetime,
        payload_digest: str | None,
        value: T | None,
    ) -> None:
        original = Original(value, url, captured_at)
        self._by_id.setdefault(normal_id(record_id), original)
        self._by_url_time.setdefault((url, captured_at), original)
        if payload_digest:
            self._by_digest.setdefault(normal_digest(payload_digest), []).append(original)

    def find(self, revisit: Revisit) -> Original[T] | None:
        """The original by record id, else by URL and time, else the latest capture with the
        same payload digest before the revisit (of the same URL first, then of any URL)."""
        if revisit.refers_to and (found := self._by_id.get(normal_id(revisit.refers_to))):
            return found
        if revisit.refers_to_url and revisit.refers_to_date:
            found = self._by_url_time.get((revisit.refers_to_url, revisit.refers_to_date))
            if found is not None:
                return found
        if not revisit.payload_digest:
            return None
        candidates = [
            o
            for o in self._by_digest.get(normal_digest(revisit.payload_digest), [])
            if o.captured_at <= revisit.captured_at
        ]
        wanted = revisit.refers_to_url or revisit.url.url
        same_url = [o for o in candidates if o.url == wanted]
        pool = same_url or candidates
        return max(pool, key=lambda o: o.captured_at, default=None)


def normal_id(record_id: str) -> str:
    return record_id.strip().strip("<>")


def normal_digest(digest: str) -> str:
    """``SHA1:ABC`` and ``sha1:ABC`` are the same digest: labels compare without case."""
    label, colon, value = digest.strip().partition(":")
    return f"{label.lower()}:{value}" if colon else digest.strip()
