"""Reading what current hosting is computed from: per site, the roles of its names and every
address sighting, each tagged with the name it was seen for and that name's role.

Observations are keyed by site (eTLD+1), so a site's rows hold its web server's names beside
its in-bailiwick name servers (``ns1.<site>``) and mail hosts; :class:`SiteNames` tells them
apart and :func:`hotline.hosting.current.verdict` counts only the names that serve content.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, select

from hotline.hosting.current import AddressSighting, SiteNames
from hotline.hosting.models import HostingObservation, IpFactsRow
from hotline.hosting.observations import ADDRESS_TYPES
from hotline.intake.models import Site, Url

MAX_CNAME_DEPTH = 3
_CHUNK = 2000
_Start = tuple[str, str]  # (site key, the site's name a CNAME chain started at)


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _mx_target(value: str) -> str:
    """``10 mail.shop.test.`` → ``mail.shop.test`` (a bare name is taken as it is)."""
    return value.split()[-1].rstrip(".").lower() if value.strip() else ""


def site_names(reader: Connection, keys: Sequence[str]) -> dict[str, SiteNames]:
    """Per site key: the hosts its URLs were reported or captured on, and its NS and MX
    targets (from any source, for any name under the site)."""
    obs = HostingObservation
    served: defaultdict[str, set[str]] = defaultdict(set)
    nameservers: defaultdict[str, set[str]] = defaultdict(set)
    mail: defaultdict[str, set[str]] = defaultdict(set)
    for part in _chunks(list(keys)):
        urls = (
            select(Site.key, Url.host)
            .join(Url, Url.site_id == Site.id)
            .where(Site.key.in_(part))
            .distinct()
        )
        # a capture's final URL is a URL of the store too: its host is among these
        for key, host in reader.execute(urls):
            served[key].add(host.strip("[]").lower())
        targets = (
            select(obs.site_key, obs.rrtype, obs.value)
            .where(obs.site_key.in_(part), obs.rrtype.in_(("NS", "MX")), obs.status == "ok")
            .distinct()
        )
        for key, rrtype, value in reader.execute(targets):
            if rrtype == "NS":
                nameservers[key].add(value.rstrip(".").lower())
            else:
                mail[key].add(_mx_target(value))
    return {key: SiteNames.of(key, served[key], nameservers[key], mail[key] - {""}) for key in keys}


def site_sightings(
    reader: Connection,
    keys: Sequence[str],
    providers: dict[int, tuple[str, str]],
    cdn_by_name: Callable[[str], str | None],
) -> dict[str, list[AddressSighting]]:
    """Address sightings per site, following CNAMEs to the names that hold the addresses.

    Each sighting carries the site's name it was seen for (the start of the CNAME chain) and
    that name's role. A CNAME into a known CDN's domain (``www.shop.test`` →
    ``x.edge.cdn.example``) makes every address found behind it an edge address, whatever
    the IP databases say about it.
    """
    obs, facts = HostingObservation, IpFactsRow
    names = site_names(reader, keys)
    columns = (obs.site_key, obs.host, obs.value, obs.first_seen, obs.last_seen,
               facts.country, facts.asn, facts.as_org, facts.cdn)  # fmt: skip
    found: dict[str, list[AddressSighting]] = {}

    def add(site_key: str, host: str, row: Any, via: str | None = None) -> None:
        name, kind = providers.get(row.asn, (None, None)) if row.asn is not None else (None, None)
        cdn = via or row.cdn or (name if kind == "cdn" else None)
        found.setdefault(site_key, []).append(
            AddressSighting(row.value, row.first_seen, row.last_seen, row.country, row.asn,
                            name or row.as_org, cdn, host, names[site_key].role(host))
        )  # fmt: skip

    addresses = (
        select(*columns)
        .outerjoin(facts, facts.ip == obs.value)
        .where(obs.rrtype.in_(ADDRESS_TYPES), obs.status == "ok")
    )
    # Followed names: target → {start of the chain: the CDN it went through, if any}.
    frontier: dict[str, dict[_Start, str | None]] = {}
    for part in _chunks(list(keys)):
        for row in reader.execute(addresses.where(obs.site_key.in_(part))):
            add(row.site_key, row.host, row)
        cnames = select(obs.site_key, obs.host, obs.value).where(
            obs.rrtype == "CNAME", obs.status == "ok", obs.site_key.in_(part)
        )
        for site_key, host, target in reader.execute(cnames):
            frontier.setdefault(target, {})[(site_key, host)] = cdn_by_name(target)
    for _ in range(MAX_CNAME_DEPTH):
        if not frontier:
            break
        following: dict[str, dict[_Start, str | None]] = {}
        for part in _chunks(sorted(frontier)):
            for row in reader.execute(addresses.where(obs.host.in_(part))):
                for (site_key, origin), via in frontier[row.host].items():
                    if row.site_key != site_key or via is not None:
                        add(site_key, origin, row, via)
            step = select(obs.host, obs.value).where(
                obs.rrtype == "CNAME", obs.status == "ok", obs.host.in_(part)
            )
            for host, target in reader.execute(step):
                for start, via in frontier[host].items():
                    following.setdefault(target, {})[start] = via or cdn_by_name(target)
        frontier = following
    return found
