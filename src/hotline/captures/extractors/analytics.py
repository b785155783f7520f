"""Web analytics account ids: one operator tends to watch all its sites from one account.

The patterns are a plain list of :class:`AnalyticsPattern` (name, bounded regex,
normaliser), scanned over inline script text and over the query strings of ``script[src]``;
to recognise another service, append a pattern to :data:`ANALYTICS_PATTERNS` (or pass your
own list to :func:`extract_analytics`). A normaliser turns a match into the stored value, or
None to drop it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from hotline.captures.extractors._common import MAX_ATTRIBUTE
from hotline.captures.page import CapturedPage, Selector, Strength

__all__ = ["ANALYTICS_PATTERNS", "AnalyticsPattern", "extract_analytics"]


@dataclass(frozen=True, slots=True)
class AnalyticsPattern:
    name: str
    regex: re.Pattern[str]
    normalise: Callable[[re.Match[str]], str | None]


def _whole(match: re.Match[str]) -> str | None:
    return match.group(0)


def _yandex(match: re.Match[str]) -> str | None:
    return f"ym:{match.group(1)}"


# Delimited on both sides so "XG-…" or "…-ABCDEFGHIJKLM" do not yield a shorter false id.
_B = r"(?<![0-9A-Za-z_-])"
_E = r"(?![0-9A-Za-z_-])"
ANALYTICS_PATTERNS: list[AnalyticsPattern] = [
    AnalyticsPattern("google-ua", re.compile(_B + r"UA-\d{4,10}-\d{1,4}" + _E), _whole),
    AnalyticsPattern("google-ga4", re.compile(_B + r"G-[A-Z0-9]{6,12}" + _E), _whole),
    AnalyticsPattern("google-gtm", re.compile(_B + r"GTM-[A-Z0-9]{4,9}" + _E), _whole),
    AnalyticsPattern("google-ads", re.compile(_B + r"AW-\d{6,12}" + _E), _whole),
    AnalyticsPattern(
        "yandex-metrica",
        re.compile(r"(?<![0-9A-Za-z_$])ym\(\s{0,16}(\d{4,12})\s{0,16},\s{0,16}[\"']init[\"']"),
        _yandex,
    ),
]


def _scan(text: str, where: str, patterns: Sequence[AnalyticsPattern]) -> list[Selector]:
    found: list[Selector] = []
    for pattern in patterns:
        for match in pattern.regex.finditer(text):
            value = pattern.normalise(match)
            if value:
                found.append(Selector("analytics", value, where, Strength.MEDIUM))
    return found


def extract_analytics(
    page: CapturedPage, patterns: Sequence[AnalyticsPattern] = ANALYTICS_PATTERNS
) -> list[Selector]:
    """``analytics`` selectors from inline scripts and script URLs' query strings."""
    found: dict[str, Selector] = {}
    for node in page.tree.css("script"):
        hits: list[Selector] = []
        source = node.attributes.get("src")
        if source and len(source) <= MAX_ATTRIBUTE:
            try:
                query = unquote(urlsplit(source.strip()).query)
            except ValueError:
                query = ""
            if query:
                hits.extend(_scan(query, "attr:src", patterns))
        text = node.text(deep=True)
        if text:
            hits.extend(_scan(text, "script", patterns))
        for selector in hits:
            found.setdefault(selector.value, selector)
    return list(found.values())
