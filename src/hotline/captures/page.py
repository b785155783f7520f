"""Value types of the captures stage: a captured page as extractors see it, and a selector.

Extractors are pure functions ``(CapturedPage) -> Iterable[Selector]``: no I/O, no database,
no network. The page carries its parsed tree once, so ten extractors do not parse ten times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from selectolax.lexbor import LexborHTMLParser


class Strength(StrEnum):
    """How much a shared value says on its own; attribution weighs it further by rarity."""

    STRONG = "strong"  # merchant ids, payment addresses, affiliate ids
    MEDIUM = "medium"  # analytics ids, favicons, template fingerprints, e-mails
    WEAK = "weak"  # processor hosts, script hosts, nameservers, IPs


@dataclass(frozen=True, slots=True)
class Selector:
    """One observable on a page: ``kind`` and normalised ``value`` are its identity.

    ``where`` says where it was found (``text``, ``attr:href``, ``form``, ``script``,
    ``uri``, ``title``, ...) so an analyst can find it again in the capture. ``method`` is set
    for payment selectors only: ``card``, ``e-wallet``, ``crypto:BTC``, ``crypto:ETH``,
    ``crypto:LTC``, ``crypto:DOGE``, ``crypto:TRX``, ``crypto:XMR``, ``money-transfer`` or
    ``other``.
    """

    kind: str
    value: str
    where: str
    strength: Strength = Strength.MEDIUM
    method: str | None = None


@dataclass(slots=True)
class CapturedPage:
    """An HTML response as the extractors need it."""

    url: str  # the page's final URL (after redirects)
    host: str  # its lower-case host
    site: str  # its site key (registrable domain, onion or IP)
    html: str
    tree: LexborHTMLParser = field(repr=False)
    # links resolved so far, by the attribute value as written: every extractor looks at the
    # same hrefs, and resolving one is a urljoin, a query parse and a canonicalisation
    links: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, url: str, host: str, site: str, html: str) -> CapturedPage:
        return cls(url, host, site, html, LexborHTMLParser(html))
