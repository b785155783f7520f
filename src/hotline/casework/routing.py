"""Notice and takedown routing: who gets the notice for a URL, and why.

In order:

1. Behind a CDN: the CDN's abuse desk and, when the origin is known, the origin's route by
   rules 2–4. An origin in the own country that is not cleared yet holds the CDN's notice too:
   a CDN passes notices on to the origin's host, which is what clearance waits for.
2. Hosted in the own country: law enforcement until it clears the URL, then the provider.
3. Hosted in a member hotline's country: that hotline.
4. Otherwise (an unknown country too): the provider's abuse contact, from the rules' providers
   list before RDAP; none known → unroutable.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from hotline.casework.rules import Rules, looks_like_email

KINDS = ("hotline", "law-enforcement", "provider", "cdn", "unroutable")
MAX_RECIPIENT = 128  # the width of the stored ``recipient`` column
UNROUTABLE = "unroutable"
POLICE = "police"


@dataclass(frozen=True)
class HostingFacts:
    """Where a URL's site is hosted, as hosting knows it (``origin_*``: behind a CDN)."""

    country: str | None = None
    asn: int | None = None
    provider: str | None = None  # the provider's display name
    abuse: tuple[str, ...] = ()  # RDAP abuse e-mails of the address
    cdn: str | None = None
    origin_country: str | None = None
    origin_asn: int | None = None
    origin_provider: str | None = None
    origin_abuse: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    kind: str  # one of KINDS
    recipient: str  # stable key: hotline:DE, police, provider:AS64500, cdn:<name>, unroutable
    name: str
    contact: str | None
    reason: str  # one plain sentence (two when two unroutable routes are merged)


def route(facts: HostingFacts, rules: Rules, cleared: bool) -> list[Route]:
    """The routes for a URL hosted as ``facts``; ``cleared``: law enforcement cleared it.

    Recipients in the list are distinct: a CDN without a desk and an origin without a contact
    make one unroutable route with both reasons.
    """
    behind = (facts.cdn or "").strip()  # as the rules' cdn_desks keys are
    if not behind:
        return [
            _place(
                "The site",
                _country(facts.country),
                facts.asn,
                facts.provider,
                facts.abuse,
                rules,
                cleared,
            )
        ]
    cdn = _cdn(behind, rules)
    known = (
        facts.origin_country,
        facts.origin_asn is not None,
        facts.origin_provider,
        facts.origin_abuse,
    )
    if not any(known):
        return [cdn]
    origin = _place(
        f"The site's origin behind {behind}",
        _country(facts.origin_country),
        facts.origin_asn,
        facts.origin_provider,
        facts.origin_abuse,
        rules,
        cleared,
    )
    if origin.kind == "law-enforcement":
        return [origin]
    if cdn.kind == origin.kind == "unroutable":
        return [Route("unroutable", UNROUTABLE, cdn.name, None, f"{cdn.reason} {origin.reason}")]
    return [cdn, origin]


def _cdn(name: str, rules: Rules) -> Route:
    desk = rules.cdn_desks.get(name)
    if desk is None:
        return Route(
            "unroutable",
            UNROUTABLE,
            name,
            None,
            f"The site is served through the CDN {name} and the rules name no abuse desk "
            "for it (cdn_desks).",
        )
    recipient = _recipient("cdn:", name)
    return Route(
        "cdn",
        recipient,
        name,
        desk,
        f"The site is served through the CDN {name}, whose abuse desk can pass the notice on "
        "to the origin's host.",
    )


def _place(
    subject: str,
    country: str | None,
    asn: int | None,
    provider: str | None,
    abuse: tuple[str, ...],
    rules: Rules,
    cleared: bool,
) -> Route:
    """Rules 2–4 for one hosting place; ``subject`` starts the reason's sentence."""
    if country is not None and country == rules.own_country:
        if not cleared:
            unit = rules.law_enforcement
            return Route(
                "law-enforcement",
                POLICE,
                unit.name if unit else "law enforcement",
                unit.contact if unit else None,
                f"{subject} is hosted in {country}, the own country: law enforcement must "
                "clear the URL before any notice.",
            )
        where = f"is hosted in {country}, the own country, and law enforcement cleared the URL"
        return _provider(subject, where, asn, provider, abuse, rules)
    if country is not None and country in rules.members:
        member = rules.members[country]
        return Route(
            "hotline",
            f"hotline:{country}",
            member.name,
            member.contact,
            f"{subject} is hosted in {country}, where {member.name} is the member hotline.",
        )
    if country is None:
        where = "is hosted in an unknown country"
    else:
        where = f"is hosted in {country}, where no member hotline works"
    return _provider(subject, where, asn, provider, abuse, rules)


def _provider(
    subject: str,
    where: str,
    asn: int | None,
    provider: str | None,
    abuse: tuple[str, ...],
    rules: Rules,
) -> Route:
    """Rule 4: the provider's abuse contact, the rules' before RDAP's."""
    contact, source = None, ""
    if asn is not None and asn in rules.providers:
        contact, source = rules.providers[asn], "from the rules"
    else:
        # RDAP text is the registry's, not ours: an entry that is no address is skipped
        contact = next((a.strip() for a in abuse if looks_like_email(a.strip())), None)
        source = "from RDAP"
    shown = _provider_name(asn, provider)
    if contact is None:
        return Route(
            "unroutable",
            UNROUTABLE,
            shown or "unknown provider",
            None,
            f"{subject} {where}, and no abuse contact is known for {shown or 'its provider'}.",
        )
    # keyed by AS when known: one provider, one recipient, whichever address its notices use
    key = f"AS{asn}" if asn is not None else contact.lower()
    recipient = _recipient("provider:", key)
    return Route(
        "provider",
        recipient,
        shown or contact.split("@")[1].lower(),
        contact,
        f"{subject} {where}: the notice goes to the abuse contact of "
        f"{shown or 'its provider'} {source}.",
    )


def _provider_name(asn: int | None, provider: str | None) -> str:
    name = (provider or "").strip()
    if asn is None:
        return name
    return f"{name} (AS{asn})" if name else f"AS{asn}"


def _recipient(prefix: str, key: str) -> str:
    """A stable recipient key that fits its column: over-long keys become a digest."""
    recipient = prefix + key
    if len(recipient) <= MAX_RECIPIENT:
        return recipient
    return prefix + hashlib.sha256(key.encode()).hexdigest()[:32]


def _country(country: str | None) -> str | None:
    code = (country or "").strip().upper()
    return code or None
