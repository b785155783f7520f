"""Site keys: the registrable domain (PSL, bundled), the onion service, or the bare IP."""

from __future__ import annotations

from functools import lru_cache

from publicsuffixlist import PSLFILE, PublicSuffixList

from hotline.urls.model import SiteKind

# RFC 6761 / RFC 2606 special-use names behave as public suffixes, so ``shop.brand.test``
# belongs to the site ``brand.test``, exactly like ``shop.brand.co.uk`` to ``brand.co.uk``.
SPECIAL_USE_SUFFIXES: tuple[str, ...] = ("test", "example", "invalid", "localhost")


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    # The list ships inside the `publicsuffixlist` wheel: no network, ever. Private-domain rules
    # (blogspot.com, github.io, ...) are kept on purpose: each customer of such a host is a site.
    with open(PSLFILE, "rb") as bundled:
        lines = [*bundled.read().splitlines(), *(s.encode() for s in SPECIAL_USE_SUFFIXES)]
    return PublicSuffixList(lines, accept_unknown=True, only_icann=False)


def psl_version() -> str:
    """The date of the bundled Public Suffix List, for the report's method section."""
    import publicsuffixlist

    return str(getattr(publicsuffixlist, "__version__", "unknown"))


@lru_cache(maxsize=65536)
def registrable_domain(host: str) -> str:
    """eTLD+1 of an ASCII (punycode) host; a host that is itself a public suffix is its own site."""
    found = _psl().privatesuffix(host)
    return found if found else host


def site_for_host(host: str, kind: SiteKind) -> str:
    if kind is SiteKind.ONION:
        labels = host.split(".")
        return ".".join(labels[-2:])
    if kind is SiteKind.DOMAIN:
        return registrable_domain(host)
    return host
