"""Selector extractors of the captures stage, and their registry.

Each extractor is a pure callable ``(CapturedPage) -> Iterable[Selector]`` in its own module:
no I/O, no network, no state between pages. :func:`default_extractors` names the standard
set; :func:`extract_all` runs a set over one page, deduplicates by ``(kind, value)`` (the
first ``where`` wins, in the registry's order) and never raises: an extractor that fails on a
hostile page is logged and skipped, so one page cannot stop an import.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from hotline.captures.extractors._common import Extractor
from hotline.captures.extractors.affiliates import AFFILIATE_PARAMS, extract_affiliates
from hotline.captures.extractors.analytics import (
    ANALYTICS_PATTERNS,
    AnalyticsPattern,
    extract_analytics,
)
from hotline.captures.extractors.brand import extract_brand, normalise_brand
from hotline.captures.extractors.contacts import (
    extract_contacts,
    extract_emails,
    extract_script_hosts,
)
from hotline.captures.extractors.credits import extract_credits
from hotline.captures.extractors.crypto import extract_crypto, normalise_eth_address
from hotline.captures.extractors.payments import (
    MERCHANT_PARAMS,
    PaymentExtractor,
    Processor,
    ProcessorTable,
    payment_extractor,
)
from hotline.captures.extractors.template import template_extractor
from hotline.captures.page import CapturedPage, Selector

__all__ = [
    "AFFILIATE_PARAMS",
    "ANALYTICS_PATTERNS",
    "MERCHANT_PARAMS",
    "AnalyticsPattern",
    "Extractor",
    "PaymentExtractor",
    "Processor",
    "ProcessorTable",
    "default_extractors",
    "extract_affiliates",
    "extract_all",
    "extract_analytics",
    "extract_brand",
    "extract_contacts",
    "extract_credits",
    "extract_crypto",
    "extract_emails",
    "extract_script_hosts",
    "normalise_brand",
    "normalise_eth_address",
    "payment_extractor",
]

logger = logging.getLogger(__name__)


def default_extractors(table: ProcessorTable | None = None) -> dict[str, Extractor]:
    """The standard extractors by name, in the order :func:`extract_all` runs them.

    ``table`` is the payment processor table (the shipped one when None). New extractors
    (``template``, ``favicon``, …) are added here, one entry each.
    """
    processors = table if table is not None else ProcessorTable.load()
    return {
        "crypto": extract_crypto,
        "payments": payment_extractor(processors),
        "affiliates": extract_affiliates,
        "analytics": extract_analytics,
        "contacts": extract_contacts,
        "brand": extract_brand,
        "template": template_extractor,
        "credits": extract_credits,
    }


def extract_all(
    page: CapturedPage, extractors: Mapping[str, Extractor] | None = None
) -> list[Selector]:
    """Every selector the extractors find on ``page``, one per ``(kind, value)``.

    An extractor that raises is skipped as a whole (a warning names it and the page); the
    others still run. ``extractors`` defaults to :func:`default_extractors`.
    """
    chosen = extractors if extractors is not None else default_extractors()
    found: dict[tuple[str, str], Selector] = {}
    for name, extractor in chosen.items():
        try:
            selectors = [item for item in extractor(page) if isinstance(item, Selector)]
        except Exception as error:  # a hostile page must not stop an import
            logger.warning(
                "extractor %r failed on %s: %s: %s",
                name,
                page.url[:200],
                type(error).__name__,
                str(error)[:200],
            )
            continue
        for selector in selectors:
            found.setdefault((selector.kind, selector.value), selector)
    return list(found.values())
