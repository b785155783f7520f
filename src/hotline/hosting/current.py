"""Where a site is hosted now, from its address observations: a pure function, so the rule that
every hosting table depends on can be read and tested in one place.

Which names count: a site's addresses are seen for many names under its domain, and only the
ones that serve its content say where it is hosted. Every name gets a role (:class:`SiteNames`):

* **content**: the site's own name and ``www.`` name, every host a URL of the site was reported
  or captured on, and the ``www.``/bare variant of each;
* **name server**: a name the site's NS records point to (``ns1.<site>`` resolved through
  passive DNS is its name server's address, often in another country); only when no NS record
  of the site is known, a first label such as ``ns1`` or ``dns2``;
* **mail**: a name its MX records point to, or (no MX record known) a first label such as
  ``mail``, ``mx1`` or ``smtp``;
* **other**: any other name under the site's domain.

Content names decide; when none of them has an address, the *other* names do; name servers
and mail hosts never do (they stay in the site's timeline, labelled).

The rule, over the deciding addresses:

* an onion service is a hidden service: no address says where it is;
* an address of a known CDN or reverse proxy is the edge, never the hosting country;
* the current hosting is the latest *origin* (non-CDN) observation, latest by last seen;
* a site seen only through a CDN — or whose latest CDN period began more than a day after
  its last origin sighting — is "behind CDN" (the last origin country is kept beside it as a lead);
* no address at all (or none a database knows) is "unknown", counted as such.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

ONION = "onion"
BEHIND_CDN = "behind-cdn"
UNKNOWN = "unknown"
# What people read for the statuses a site's hosting may have instead of a country code:
# one spelling for the CLI, the demo and the strategic assessment.
HOSTING_LABELS = {BEHIND_CDN: "behind CDN", ONION: "hidden service (.onion)", UNKNOWN: "unknown"}
# Sightings a day apart are "at the same time": passive DNS is coarse, and one live run
# resolves the apex and the www name a few milliseconds apart.
SIMULTANEOUS = timedelta(days=1)

# Roles of a name under a site's domain.
CONTENT = "content"
NAME_SERVER = "name server"
MAIL = "mail"
OTHER = "other"
_NAME_SERVER_LABEL = re.compile(r"(?:ns|dns|pdns|nameserver)-?[0-9]*[a-z]?")
_MAIL_LABEL = re.compile(
    r"(?:mail|mx|smtp|imap|pop|pop3|mta|relay|webmail|autodiscover|autoconfig)-?[0-9]*"
)


def _variant(host: str) -> str:
    """``www.x`` ↔ ``x``: the same site under its other usual name."""
    return host[4:] if host.startswith("www.") else f"www.{host}"


@dataclass(frozen=True, slots=True)
class SiteNames:
    """What is known about the names of one site: the hosts its URLs were reported or
    captured on, and the targets of its NS and MX records."""

    key: str
    served: frozenset[str] = frozenset()
    nameservers: frozenset[str] = frozenset()
    mail: frozenset[str] = frozenset()
    content: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        names = {self.key, *self.served}
        object.__setattr__(self, "content", frozenset(names | {_variant(n) for n in names}))

    @classmethod
    def of(
        cls,
        key: str,
        served: Iterable[str] = (),
        nameservers: Iterable[str] = (),
        mail: Iterable[str] = (),
    ) -> SiteNames:
        return cls(key, frozenset(served), frozenset(nameservers), frozenset(mail))

    def role(self, host: str) -> str:
        """content, name server, mail or other (see the module's docstring)."""
        if host in self.content:
            return CONTENT
        if host in self.nameservers:
            return NAME_SERVER
        if host in self.mail:
            return MAIL
        label = host.split(".", 1)[0] if host.endswith(f".{self.key}") else ""
        if not self.nameservers and _NAME_SERVER_LABEL.fullmatch(label):
            return NAME_SERVER
        if not self.mail and _MAIL_LABEL.fullmatch(label):
            return MAIL
        return OTHER


@dataclass(frozen=True, slots=True)
class AddressSighting:
    ip: str
    first_seen: datetime
    last_seen: datetime
    country: str | None
    asn: int | None
    provider: str | None
    cdn: str | None  # the CDN's name when this address is an edge
    host: str = ""  # the site's name it was seen for (the start of a CNAME chain)
    role: str = CONTENT  # that name's role: content, name server, mail or other


@dataclass(frozen=True, slots=True)
class Verdict:
    status: str  # hosted | behind-cdn | onion | unknown
    country: str  # ISO code, or behind-cdn / onion / unknown
    ip: str | None = None
    asn: int | None = None
    provider: str | None = None
    cdn: str | None = None
    origin_country: str | None = None
    since: datetime | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    ips: int = 0
    asns: int = 0
    countries: int = 0
    providers: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)


def _latest(sightings: Sequence[AddressSighting]) -> AddressSighting:
    return max(sightings, key=lambda s: (s.last_seen, s.first_seen, s.ip))


def _history(origins: Sequence[AddressSighting]) -> list[dict[str, Any]]:
    """Country hops in time order: consecutive sightings in one country form one stay."""
    stays: list[dict[str, Any]] = []
    for sighting in sorted(origins, key=lambda s: (s.first_seen, s.last_seen, s.ip)):
        country = sighting.country or UNKNOWN
        if stays and stays[-1]["country"] == country:
            stays[-1]["last_seen"] = max(stays[-1]["last_seen"], sighting.last_seen.isoformat())
            continue
        stays.append(
            {
                "country": country,
                "first_seen": sighting.first_seen.isoformat(),
                "last_seen": sighting.last_seen.isoformat(),
            }
        )
    return stays


def deciding(sightings: Sequence[AddressSighting]) -> list[AddressSighting]:
    """The sightings current hosting is taken from: those of content names, or when there are
    none, those of other names; never those of name servers or mail hosts."""
    content = [s for s in sightings if s.role == CONTENT]
    return content or [s for s in sightings if s.role == OTHER]


def verdict(site_kind: str, sightings: Sequence[AddressSighting]) -> Verdict:
    if site_kind == "onion":
        return Verdict("onion", ONION)
    sightings = deciding(sightings)
    if not sightings:
        return Verdict("unknown", UNKNOWN)
    origins = [s for s in sightings if s.cdn is None]
    edges = [s for s in sightings if s.cdn is not None]
    counts: dict[str, Any] = {
        "first_seen": min(s.first_seen for s in sightings),
        "last_seen": max(s.last_seen for s in sightings),
        "ips": len({s.ip for s in origins}),
        "asns": len({s.asn for s in origins if s.asn is not None}),
        "countries": len({s.country for s in origins if s.country}),
        "providers": len({s.provider for s in origins if s.provider}),
        "history": _history(origins),
    }
    latest_edge = _latest(edges) if edges else None
    if origins:
        origin = _latest(origins)
        moved_behind = (
            latest_edge is not None and latest_edge.first_seen > origin.last_seen + SIMULTANEOUS
        )
        if not moved_behind:
            return Verdict(
                "hosted",
                origin.country or UNKNOWN,
                origin.ip,
                origin.asn,
                origin.provider,
                None,
                origin.country,
                origin.first_seen,
                **counts,
            )
    assert latest_edge is not None
    last_origin = _latest(origins).country if origins else None
    return Verdict(
        "behind-cdn",
        BEHIND_CDN,
        latest_edge.ip,
        latest_edge.asn,
        latest_edge.provider,
        latest_edge.cdn,
        last_origin,
        latest_edge.first_seen,
        **counts,
    )
