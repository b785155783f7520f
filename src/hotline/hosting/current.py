"""Where a site is hosted now, from its address observations: a pure function, so the rule that
every hosting table depends on can be read and tested in one place.

The rule:

* an onion service is a hidden service: no address says where it is;
* an address of a known CDN or reverse proxy is the edge, never the hosting country;
* the current hosting is the latest *origin* (non-CDN) observation, latest by last seen;
* a site seen only through a CDN — or whose latest CDN period began more than a day after
  its last origin sighting — is "behind CDN" (the last origin country is kept beside it as a lead);
* no address at all (or none a database knows) is "unknown", counted as such.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

ONION = "onion"
BEHIND_CDN = "behind-cdn"
UNKNOWN = "unknown"
# Sightings a day apart are "at the same time": passive DNS is coarse, and one live run
# resolves the apex and the www name a few milliseconds apart.
SIMULTANEOUS = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class AddressSighting:
    ip: str
    first_seen: datetime
    last_seen: datetime
    country: str | None
    asn: int | None
    provider: str | None
    cdn: str | None  # the CDN's name when this address is an edge


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


def verdict(site_kind: str, sightings: Sequence[AddressSighting]) -> Verdict:
    if site_kind == "onion":
        return Verdict("onion", ONION)
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
