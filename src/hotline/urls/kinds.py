"""The kinds of selector: the one list every stage shares.

Captures' extractors emit the first group, hosting adds addresses and name servers as
evidence for attribution; the attribution method weighs kinds by these names, the exports
and the CLI show their values by them. A kind that is not here is a bug (tested: every kind
an extractor emits and every kind the method weighs is a member).
"""

from __future__ import annotations

from enum import StrEnum


class SelectorKind(StrEnum):
    # from captured pages
    MERCHANT_ID = "merchant_id"  # a payment processor's account id for the shop
    BTC_ADDRESS = "btc_address"
    ETH_ADDRESS = "eth_address"
    CRYPTO_ADDRESS = "crypto_address"  # another coin's address: "LTC:…", "XMR:…", "TRX:…"
    PAYMENT_HOST = "payment_host"  # a payment processor's host the page sends buyers to
    GATEWAY = "gateway"  # a redirect from one site to another
    # "a>b": site a itself sends its visitors on to b (an HTTP 3xx, a meta refresh, a
    # script), as opposed to a gateway known only from a Referer; carried by a alone
    REDIRECT = "redirect"
    AFFILIATE = "affiliate"  # a programme's referral id in a link
    ANALYTICS = "analytics"  # a web-analytics property id
    TEMPLATE = "template"  # the page skeleton's SimHash
    FAVICON_MD5 = "favicon_md5"
    FAVICON_MMH3 = "favicon_mmh3"  # the Shodan-style favicon hash
    BRAND_TEXT = "brand_text"  # the name a page calls itself by
    EMAIL = "email"
    SCRIPT_HOST = "script_host"  # a host the page loads scripts from
    CREDIT = "credit"  # the site of a designer the page credits ("Site by …"); links nothing
    # from hosting
    IP = "ip"
    NAMESERVER = "nameserver"


# Kinds whose values are host names: shown defanged to people.
HOST_KINDS = frozenset(
    {
        SelectorKind.PAYMENT_HOST,
        SelectorKind.SCRIPT_HOST,
        SelectorKind.NAMESERVER,
        SelectorKind.CREDIT,
    }
)
# Kinds that say who a site *is* (its name, its logo, its layout): never taken from a page
# that is not the site's own (an error or parking page).
BRAND_LEVEL_KINDS = frozenset(
    {SelectorKind.BRAND_TEXT, SelectorKind.TEMPLATE, SelectorKind.FAVICON_MD5,
     SelectorKind.FAVICON_MMH3}
)  # fmt: skip
