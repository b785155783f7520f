"""Web analytics and advertising account ids: one operator tends to watch (and monetise)
all its sites from one account.

The patterns are a plain list of :class:`AnalyticsPattern` (name, bounded regex,
normaliser), scanned over inline script text and over the query strings of ``script[src]``
and of every ``iframe[src]`` (Tag Manager's no-script frame among them); to recognise
another service, append a pattern to :data:`ANALYTICS_PATTERNS` (or pass your own lists of
patterns and pixels to :func:`extract_analytics`). A normaliser turns a match into the
stored value, or None to drop it. Values of services other than Google's carry a prefix
(``ym:``, ``fb:``, ``statcounter:``, ``hotjar:``, ``clarity:``) so that two services'
numbers never compare equal.

Two more places hold the same ids on real pages and are read too:

* tracking pixels, the ``<noscript>`` fall-backs of the scripts (:data:`PIXEL_PATTERNS`:
  an ``img``/``iframe`` whose host names the service and whose path and query carry the id,
  e.g. Yandex's ``/watch/<id>`` and Facebook's ``/tr?id=<id>``): a page captured without
  scripts, or with the script loaded from elsewhere, still shows them;
* AdSense's ``data-ad-client="ca-pub-…"`` on its ``<ins>`` slots: the publisher id is paid
  out to one account, which makes it as telling as an analytics id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from hotline.captures.extractors._common import MAX_ATTRIBUTE
from hotline.captures.page import CapturedPage, Selector, Strength

__all__ = [
    "ANALYTICS_PATTERNS",
    "PIXEL_PATTERNS",
    "AnalyticsPattern",
    "PixelPattern",
    "extract_analytics",
]


@dataclass(frozen=True, slots=True)
class AnalyticsPattern:
    name: str
    regex: re.Pattern[str]
    normalise: Callable[[re.Match[str]], str | None]
    # a literal every match contains: text without it is not scanned (most scripts hold
    # none of a given service's snippet, and a substring test is far cheaper than a regex)
    needle: str | None = None


def _whole(match: re.Match[str]) -> str | None:
    return match.group(0)


def _yandex(match: re.Match[str]) -> str | None:
    return f"ym:{match.group(1)}"


def _prefixed(prefix: str) -> Callable[[re.Match[str]], str | None]:
    def normalise(match: re.Match[str]) -> str | None:
        return f"{prefix}:{match.group(1)}"

    return normalise


def _adsense(match: re.Match[str]) -> str | None:
    return f"ca-pub-{match.group(1)}"


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
    # the older counter: "yaCounter12345 = new Ya.Metrika({id: 12345, …})"
    AnalyticsPattern(
        "yandex-metrica-legacy",
        re.compile(r"Ya\.Metrika2?\(\s{0,16}\{\s{0,16}id\s{0,16}:\s{0,16}(\d{4,12})" + _E),
        _yandex,
        "Ya.Metrika",
    ),
    AnalyticsPattern(
        "google-adsense", re.compile(_B + r"ca-pub-(\d{10,20})" + _E), _adsense, "ca-pub-"
    ),
    AnalyticsPattern(
        "facebook-pixel",
        re.compile(r"fbq\(\s{0,16}[\"']init[\"']\s{0,16},\s{0,16}[\"'](\d{10,20})[\"']"),
        _prefixed("fb"),
        "fbq(",
    ),
    AnalyticsPattern(
        "statcounter",
        re.compile(r"(?<![0-9A-Za-z_$])sc_project\s{0,16}=\s{0,16}[\"']?(\d{5,10})" + _E),
        _prefixed("statcounter"),
        "sc_project",
    ),
    AnalyticsPattern(
        "hotjar",
        re.compile(r"\bhjid\s{0,16}:\s{0,16}(\d{5,10})" + _E),
        _prefixed("hotjar"),
        "hjid",
    ),
    AnalyticsPattern(
        "microsoft-clarity",
        re.compile(
            r"[\"']clarity[\"']\s{0,16},\s{0,16}[\"']script[\"']\s{0,16},\s{0,16}"
            r"[\"']([a-z0-9]{8,12})[\"']"
        ),
        _prefixed("clarity"),
        "clarity",
    ),
]


@dataclass(frozen=True, slots=True)
class PixelPattern:
    """A tracking pixel: the word its host must contain and a bounded regex over the
    pixel URL's path and query (decoded) whose first group is the id."""

    name: str
    host_word: str
    regex: re.Pattern[str]
    normalise: Callable[[re.Match[str]], str | None]


PIXEL_PATTERNS: list[PixelPattern] = [
    PixelPattern("yandex-metrica", "yandex", re.compile(r"^/watch/(\d{4,12})" + _E), _yandex),
    PixelPattern(
        "facebook-pixel",
        "facebook",
        re.compile(r"^/tr/?\?(?:[^#]{0,512}&)?id=(\d{10,20})" + _E),
        _prefixed("fb"),
    ),
]


def _scan(text: str, where: str, patterns: Sequence[AnalyticsPattern]) -> list[Selector]:
    found: list[Selector] = []
    for pattern in patterns:
        if pattern.needle is not None and pattern.needle not in text:
            continue
        for match in pattern.regex.finditer(text):
            value = pattern.normalise(match)
            if value:
                found.append(Selector("analytics", value, where, Strength.MEDIUM))
    return found


def _query(source: str | None) -> str:
    if not source or len(source) > MAX_ATTRIBUTE:
        return ""
    try:
        return unquote(urlsplit(source.strip()).query)
    except ValueError:
        return ""


def _pixel(source: str | None, pixels: Sequence[PixelPattern]) -> list[Selector]:
    if not source or len(source) > MAX_ATTRIBUTE:
        return []
    lowered = source.lower()
    if not any(pattern.host_word in lowered for pattern in pixels):
        return []  # most images: no parse at all
    try:
        parts = urlsplit(source.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return []
    found: list[Selector] = []
    for pattern in pixels:
        if pattern.host_word not in host:
            continue
        tail = unquote(parts.path) + (f"?{unquote(parts.query)}" if parts.query else "")
        match = pattern.regex.search(tail)
        value = pattern.normalise(match) if match is not None else None
        if value:
            found.append(Selector("analytics", value, "attr:src", Strength.MEDIUM))
    return found


def extract_analytics(
    page: CapturedPage,
    patterns: Sequence[AnalyticsPattern] = ANALYTICS_PATTERNS,
    pixels: Sequence[PixelPattern] = PIXEL_PATTERNS,
) -> list[Selector]:
    """``analytics`` selectors from inline scripts, script and frame URLs' query strings,
    tracking pixels and AdSense slots."""
    found: dict[str, Selector] = {}
    later: list[Selector] = []  # frames, pixels and ad slots: a script's find comes first
    # one pass over the tree (no substring test first: tag and attribute names may be in
    # any case, and a pass costs what a few such tests do)
    for node in page.tree.css("script, iframe[src], img[src], ins[data-ad-client]"):
        tag = node.tag
        source = node.attributes.get("src")
        if tag == "script":
            query = _query(source)
            hits = _scan(query, "attr:src", patterns) if query else []
            text = node.text(deep=True)
            if text:
                hits.extend(_scan(text, "script", patterns))
            for selector in hits:
                found.setdefault(selector.value, selector)
        elif tag == "ins":
            client = node.attributes.get("data-ad-client") or ""
            if 0 < len(client) <= MAX_ATTRIBUTE:
                later.extend(_scan(client, "attr:data-ad-client", patterns))
        else:
            query = _query(source) if tag == "iframe" else ""
            if query:
                later.extend(_scan(query, "attr:src", patterns))
            later.extend(_pixel(source, pixels))
    for selector in later:
        found.setdefault(selector.value, selector)
    return list(found.values())
