"""``hotline enrich``: turn what is known about names and addresses into each site's hosting.

Incremental by design: captures are read from where the last run stopped, only addresses
without facts from the current databases are looked up, and only sites whose observations
changed since the last run are recomputed. Live DNS and RDAP are opt-in (the default runs
with no network) and their answers are observations/facts like any other.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from hotline.captures.models import Capture
from hotline.hosting.cdn import CdnList
from hotline.hosting.current import verdict
from hotline.hosting.ipdb import IpDatabases
from hotline.hosting.models import (
    EnrichState,
    HostingObservation,
    IpFactsRow,
    Provider,
    SiteHosting,
)
from hotline.hosting.observations import ADDRESS_TYPES, Observation, site_key_for, upsert
from hotline.hosting.rdap_bootstrap import Bootstrap
from hotline.hosting.sightings import site_sightings
from hotline.intake.models import Site, Url
from hotline.store.types import utcnow
from hotline.store.uow import unit_of_work

T = TypeVar("T")
Progress = Callable[[str, int, int], None]  # (step, done, total)
CHUNK = 2000


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class EnrichOptions:
    geoip_db: Path | None = None
    asn_db: Path | None = None
    cdn_lists: list[Path] = field(default_factory=list)
    resolve: bool = False
    resolver: Any = None  # hotline.hosting.resolve.ResolverConfig when resolve is on
    resolve_ttl: timedelta = timedelta(days=1)
    rdap: bool = False
    rdap_bootstrap: list[Path] = field(default_factory=list)
    # the registries, already loaded (load_bootstrap); None: loaded from rdap_bootstrap
    bootstrap: Bootstrap | None = None
    rdap_ttl: timedelta = timedelta(days=7)
    rdap_retry_after: timedelta = timedelta(hours=1)
    rdap_timeout: float = 10.0  # seconds per RDAP request
    rdap_attempts: int = 4  # requests per address at most (429, 5xx, timeouts are retried)
    full: bool = False


@dataclass
class EnrichSummary:
    capture_observations: int = 0
    url_observations: int = 0
    dns_names: int = 0
    dns_by_status: Counter[str] = field(default_factory=Counter)
    ips_looked_up: int = 0
    ips_unknown_country: int = 0
    # of those, addresses whose database gave a country value that is no ISO 3166-1 code
    ips_not_a_country: int = 0
    not_a_country_values: Counter[str] = field(default_factory=Counter)
    ips_cdn: int = 0
    rdap_by_status: Counter[str] = field(default_factory=Counter)
    # (address, "RDAP failed (<kind>): <reason>") for the first RDAP_EXAMPLES failures
    rdap_failures: list[tuple[str, str]] = field(default_factory=list)
    sites_recomputed: int = 0
    sites_by_status: Counter[str] = field(default_factory=Counter)
    full: bool = False
    databases: str = ""
    seconds: dict[str, float] = field(default_factory=dict)


RDAP_EXAMPLES = 10


def load_bootstrap(paths: Sequence[Path]) -> Bootstrap:
    """The RDAP bootstrap registries: the given files, or the shipped snapshot.

    Raises :class:`~hotline.hosting.rdap_bootstrap.BootstrapError` (one line naming the
    file and the problem) for a bad file, so callers can refuse before writing anything."""
    return Bootstrap.from_files(*paths) if paths else Bootstrap.shipped()


def _state(connection: Connection) -> dict[str, str]:
    return {row.key: row.value for row in connection.execute(select(EnrichState))}


def _set_state(connection: Connection, values: dict[str, str]) -> None:
    connection.execute(delete(EnrichState).where(EnrichState.key.in_(list(values))))
    connection.execute(insert(EnrichState), [{"key": k, "value": v} for k, v in values.items()])


def _address(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return ipaddress.ip_address(text.strip().strip("[]")).compressed
    except ValueError:
        return None


class Enricher:
    def __init__(
        self, engine: Engine, options: EnrichOptions, progress: Progress | None = None
    ) -> None:
        self.engine = engine
        self.options = options
        self.progress = progress or (lambda step, done, total: None)
        # A bad bootstrap file is refused here, before any step writes (raises
        # BootstrapError); a file given without --rdap is checked all the same.
        self.bootstrap = options.bootstrap
        if self.bootstrap is None and (options.rdap or options.rdap_bootstrap):
            self.bootstrap = load_bootstrap(options.rdap_bootstrap)
        self.databases = IpDatabases(options.geoip_db, options.asn_db)
        self.cdn = CdnList.load(options.cdn_lists)
        self.fingerprint = f"{self.databases.fingerprint()}|cdn:{self.cdn.fingerprint()}"

    def close(self) -> None:
        self.databases.close()

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """One write transaction (on SQLite it takes the write lock at BEGIN)."""
        with unit_of_work(self.engine) as connection:
            yield connection

    def run(self) -> EnrichSummary:
        summary = EnrichSummary(databases=self.databases.describe())
        with self.engine.connect() as connection:
            state = _state(connection)
            self.providers_digest = _providers_digest(connection)
        # New databases, CDN list or provider table change every site's answer: all again.
        summary.full = (
            self.options.full
            or state.get("fingerprint") != self.fingerprint
            or state.get("providers") != self.providers_digest
        )
        steps: list[tuple[str, Callable[[EnrichSummary, dict[str, str]], None]]] = [
            ("captures", self._captures),
            ("bare IP sites", self._bare_ip_sites),
        ]
        if self.options.resolve:
            steps.append(("live DNS", self._live_dns))
        steps.append(("IP facts", self._ip_facts))
        if self.options.rdap:
            steps.append(("RDAP", self._rdap))
        steps.append(("sites", self._sites))
        for name, step in steps:
            started = time.perf_counter()
            step(summary, state)
            summary.seconds[name] = time.perf_counter() - started
        return summary

    # -- observations from the store ----------------------------------------------------------

    def _captures(self, summary: EnrichSummary, state: dict[str, str]) -> None:
        """Capture server addresses (WARC-IP-Address): what the capture tool connected to."""
        last = int(state.get("capture_id", "0"))
        query = (
            select(Capture.id, Capture.captured_at, Capture.ip, Url.host)
            .join(Url, Url.id == Capture.final_url_id)
            .where(Capture.id > last, Capture.ip.is_not(None))
            .order_by(Capture.id)
        )
        batch: list[Observation] = []
        newest = last
        with self.engine.connect() as reader:
            rows = list(reader.execute(query))
        for row in rows:
            newest = max(newest, row.id)
            ip = _address(row.ip)
            if ip is None:
                continue
            host = row.host.strip("[]")
            batch.append(
                Observation(
                    site_key_for(host) if not _address(host) else host,
                    host, "capture", "IP", ip, row.captured_at, row.captured_at,
                )
            )  # fmt: skip
        with self._writing() as connection:
            summary.capture_observations = upsert(connection, batch)
            _set_state(connection, {"capture_id": str(newest)})

    def _bare_ip_sites(self, summary: EnrichSummary, state: dict[str, str]) -> None:
        """A site that *is* an address is hosted at that address."""
        known = select(HostingObservation.site_key).where(HostingObservation.source == "url")
        query = select(Site.key, Site.created_at).where(
            Site.kind.in_(("ipv4", "ipv6")), Site.key.not_in(known)
        )
        batch: list[Observation] = []
        with self.engine.connect() as reader:
            for key, created in reader.execute(query):
                ip = _address(key)
                if ip is not None:
                    batch.append(Observation(key, key, "url", "IP", ip, created, created))
        with self._writing() as connection:
            summary.url_observations = upsert(connection, batch)

    def _live_dns(self, summary: EnrichSummary, state: dict[str, str]) -> None:
        from hotline.hosting.resolve import resolve_many

        cutoff = utcnow() - self.options.resolve_ttl
        fresh = (
            select(HostingObservation.host)
            .where(HostingObservation.source == "dns")
            .group_by(HostingObservation.host)
            .having(func.max(HostingObservation.last_seen) >= cutoff)
        )
        hosts = select(Url.host).join(Site, Site.id == Url.site_id).where(Site.kind == "domain")
        with self.engine.connect() as reader:
            names = sorted(
                {row[0] for row in reader.execute(hosts.distinct())}
                - {row[0] for row in reader.execute(fresh)}
            )
        summary.dns_names = len(names)
        done = 0

        def tick(_answer: Any) -> None:
            nonlocal done
            done += 1
            if done % 50 == 0:
                self.progress("live DNS", done, len(names) * len(self.options.resolver.rrtypes))

        answers = resolve_many(names, self.options.resolver, progress=tick)
        batch: list[Observation] = []
        for answer in answers:
            summary.dns_by_status[answer.status] += 1
            site_key = site_key_for(answer.name)
            moment = answer.resolved_at
            if answer.status != "ok":
                batch.append(
                    Observation(
                        site_key, answer.name, "dns", answer.rrtype, "", moment, moment,
                        status=answer.status,
                    )
                )  # fmt: skip
                continue
            owner = answer.name
            for target in answer.cname_chain:
                batch.append(Observation(site_key, owner, "dns", "CNAME", target, moment, moment))
                owner = target
            # The addresses belong to the end of the CNAME chain (an edge name, say), as in
            # passive DNS; the chain links them back to this site.
            holder = answer.cname_chain[-1] if answer.cname_chain else answer.name
            for value in answer.values:
                batch.append(Observation(site_key_for(holder), holder, "dns", answer.rrtype,
                                         value, moment, moment))  # fmt: skip
        with self._writing() as connection:
            upsert(connection, batch)

    # -- facts about addresses ----------------------------------------------------------------

    def _ip_facts(self, summary: EnrichSummary, state: dict[str, str]) -> None:
        obs, facts = HostingObservation, IpFactsRow
        query = (
            select(obs.value)
            .distinct()
            .outerjoin(facts, facts.ip == obs.value)
            .where(obs.rrtype.in_(ADDRESS_TYPES), obs.status == "ok")
            .where(or_(facts.ip.is_(None), facts.fingerprint != self.fingerprint))
        )
        with self.engine.connect() as reader:
            ips = [row[0] for row in reader.execute(query)]
        now = utcnow()
        for done, chunk in enumerate(chunks(ips, 50_000)):
            found = self.databases.lookup_many(chunk)
            rows = []
            for ip in chunk:
                fact = found[ip]
                cdn = self.cdn.by_address(ip, fact.asn)
                summary.ips_unknown_country += fact.country is None
                if fact.not_a_country is not None:
                    summary.ips_not_a_country += 1
                    summary.not_a_country_values[fact.not_a_country] += 1
                summary.ips_cdn += cdn is not None
                rows.append(
                    {"ip": ip, "country": fact.country, "asn": fact.asn, "as_org": fact.as_org,
                     "cdn": cdn, "fingerprint": self.fingerprint, "looked_up_at": now}
                )  # fmt: skip
            with (
                unit_of_work(self.engine) as connection,
            ):
                _upsert_facts(connection, rows)
            self.progress("IP facts", done * 50_000 + len(chunk), len(ips))
        summary.ips_looked_up = len(ips)

    def _rdap(self, summary: EnrichSummary, state: dict[str, str]) -> None:
        from hotline.hosting.rdap import MemoryRdapCache, RdapClient
        from hotline.hosting.rdap_store import failure_note, record

        now = utcnow()
        facts = IpFactsRow
        due = or_(
            facts.rdap_fetched_at.is_(None),
            and_(facts.rdap_status.in_(("ok", "not_found")),
                 facts.rdap_fetched_at < now - self.options.rdap_ttl),
            and_(facts.rdap_status.not_in(("ok", "not_found")),
                 facts.rdap_fetched_at < now - self.options.rdap_retry_after),
        )  # fmt: skip
        with self.engine.connect() as reader:
            ips = [row[0] for row in reader.execute(select(facts.ip).where(due))]
        bootstrap = self.bootstrap if self.bootstrap is not None else load_bootstrap([])
        done = 0
        client = RdapClient(
            bootstrap, cache=MemoryRdapCache(), timeout=self.options.rdap_timeout,
            max_attempts=self.options.rdap_attempts,
        )  # fmt: skip
        with client:
            for chunk in chunks(ips, 200):
                # one outcome per address, in order; kept under the address as stored (the
                # client may spell it differently: an IPv4-mapped IPv6 address as IPv4)
                outcomes = [
                    dataclasses.replace(outcome, ip=asked)
                    for asked, outcome in zip(chunk, client.lookup_many(chunk), strict=True)
                ]
                with (
                    unit_of_work(self.engine) as connection,
                ):
                    for outcome in outcomes:
                        summary.rdap_by_status[outcome.status] += 1
                        note = failure_note(outcome.status, outcome.error)
                        if note is not None and len(summary.rdap_failures) < RDAP_EXAMPLES:
                            summary.rdap_failures.append((outcome.ip, note))
                        network = outcome.network
                        connection.execute(
                            update(facts)
                            .where(facts.ip == outcome.ip)
                            .values(
                                rdap_status=outcome.status,
                                rdap_fetched_at=outcome.fetched_at,
                                rdap_network=(network.name or network.handle) if network else None,
                                rdap_country=network.country if network else None,
                                abuse_emails=list(network.abuse_emails) if network else None,
                            )
                        )
                    record(connection, outcomes)
                done += len(chunk)
                self.progress("RDAP", done, len(ips))

    # -- sites --------------------------------------------------------------------------------

    def _dirty_sites(self, state: dict[str, str], full: bool) -> tuple[list[tuple[str, str]], str]:
        obs = HostingObservation
        with self.engine.connect() as reader:
            watermark = reader.execute(select(func.max(obs.recorded_at))).scalar()
            mark = watermark.isoformat() if watermark else ""
            sites = select(Site.key, Site.kind)
            previous = state.get("watermark")
            if full or not previous:
                return [(k, kind) for k, kind in reader.execute(sites)], mark
            since = datetime.fromisoformat(previous)
            changed = select(obs.site_key).where(obs.recorded_at > since)
            changed_hosts = select(obs.host).where(obs.recorded_at > since)
            pointing = select(obs.site_key).where(
                obs.rrtype == "CNAME", obs.value.in_(changed_hosts)
            )
            missing = select(Site.key).where(Site.key.not_in(select(SiteHosting.site_key)))
            query = sites.where(
                or_(Site.key.in_(changed), Site.key.in_(pointing), Site.key.in_(missing))
            )
            return [(k, kind) for k, kind in reader.execute(query)], mark

    def _sites(self, summary: EnrichSummary, state: dict[str, str]) -> None:
        dirty, mark = self._dirty_sites(state, summary.full)
        with self.engine.connect() as reader:
            providers = {row.asn: (row.name, row.kind) for row in reader.execute(select(Provider))}
        done = 0
        for chunk in chunks(dirty):
            keys = [key for key, _ in chunk]
            with self.engine.connect() as reader:
                sightings = site_sightings(reader, keys, providers, self.cdn.by_name)
            now = utcnow()
            rows = []
            for key, kind in chunk:
                found = verdict(kind, sightings.get(key, []))
                summary.sites_by_status[found.status] += 1
                rows.append(
                    {
                        "site_key": key, "status": found.status, "country": found.country,
                        "ip": found.ip, "asn": found.asn, "provider": found.provider,
                        "cdn": found.cdn, "origin_country": found.origin_country,
                        "since": found.since, "first_seen": found.first_seen,
                        "last_seen": found.last_seen, "ips": found.ips, "asns": found.asns,
                        "countries": found.countries, "providers": found.providers,
                        "history": found.history, "computed_at": now,
                    }
                )  # fmt: skip
            with (
                unit_of_work(self.engine) as connection,
            ):
                connection.execute(delete(SiteHosting).where(SiteHosting.site_key.in_(keys)))
                connection.execute(insert(SiteHosting), rows)
            done += len(chunk)
            self.progress("sites", done, len(dirty))
        summary.sites_recomputed = len(dirty)
        with self._writing() as connection:
            _set_state(
                connection,
                {"watermark": mark, "fingerprint": self.fingerprint,
                 "providers": self.providers_digest},
            )  # fmt: skip


def _providers_digest(connection: Connection) -> str:
    digest = hashlib.sha256()
    for row in connection.execute(
        select(Provider.asn, Provider.name, Provider.kind).order_by(Provider.asn)
    ):
        digest.update(f"{row.asn}\0{row.name}\0{row.kind}\n".encode())
    return digest.hexdigest()[:16]


def _upsert_facts(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert facts for new addresses, refresh those of known ones (keeping their RDAP data)."""
    if not rows:
        return
    existing: set[str] = set()
    for chunk in chunks([row["ip"] for row in rows]):
        query = select(IpFactsRow.ip).where(IpFactsRow.ip.in_(chunk))
        existing.update(row[0] for row in connection.execute(query))
    fresh = [row for row in rows if row["ip"] not in existing]
    if fresh:
        connection.execute(insert(IpFactsRow), fresh)
    stale = [{**row, "b_ip": row["ip"]} for row in rows if row["ip"] in existing]
    if stale:
        table: Any = IpFactsRow.__table__
        names = ("country", "asn", "as_org", "cdn", "fingerprint", "looked_up_at")
        connection.execute(
            update(table)
            .where(table.c.ip == bindparam("b_ip"))
            .values({name: bindparam(name) for name in names}),
            stale,
        )
