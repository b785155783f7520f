"""Affiliate ids in outgoing links: the partner programme that pays for sending a visitor.

A link to another site whose query names an affiliate (``?aff=K3X9``) says who gets paid
for the referral; the same id on many sites is one programme. The value is ``param=id``
(parameter lower-cased, id as written); ``where`` is ``link:<target site>``.
"""

from __future__ import annotations

from collections.abc import Iterable

from hotline.captures.extractors._common import attribute, resolve
from hotline.captures.model import CapturedPage, Selector, Strength

__all__ = ["AFFILIATE_PARAMS", "MAX_AFFILIATE_ID", "extract_affiliates"]

AFFILIATE_PARAMS: tuple[str, ...] = (
    "aff",
    "aff_id",
    "affid",
    "ref",
    "refid",
    "partner",
    "partner_id",
    "campaign",
    "cid",
    "tracker",
)
MAX_AFFILIATE_ID = 64


def extract_affiliates(
    page: CapturedPage, params: Iterable[str] = AFFILIATE_PARAMS
) -> list[Selector]:
    """``affiliate`` selectors from ``a[href]`` links to other sites."""
    wanted = frozenset(name.lower() for name in params)
    found: dict[str, Selector] = {}
    for node in page.tree.css("a"):
        link = resolve(page, attribute(node, "href"))
        if link is None or not link.params or not link.third_party(page):
            continue
        for name, value in link.params:
            param = name.strip().lower()
            ident = value.strip()
            if param not in wanted or not ident or len(ident) > MAX_AFFILIATE_ID:
                continue
            key = f"{param}={ident}"
            found.setdefault(key, Selector("affiliate", key, f"link:{link.site}", Strength.STRONG))
    return list(found.values())
