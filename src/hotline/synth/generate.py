"""``hotline synth``: write a synthetic world in the contract formats, with its truth.

One pass over the site stream feeds every writer at once (reports, captures, passive DNS,
selector dump, truth, casework), so memory stays bounded at every scale. Determinism: every
random draw comes from a generator seeded by (seed, what, index); timestamps come from the
world's calendar, never from the clock; gzip members carry mtime 0; JSON is written with
fixed key order. The same seed and scale give the same bytes.

Phenomena (``hotline.synth.phenomena``) hook in at four points only: a capture may get a
decoy page instead of the site's (error, parked, suspended, challenge: no selectors), a
hosting panel's injection, or a short link's redirect; and a site's own name servers add
DNS records. With none switched on, none of these branches runs and the files are
byte-identical to a world written before phenomena existed.
"""

from __future__ import annotations

import csv
import hashlib
import random
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import orjson

from hotline import __version__
from hotline.synth import actors
from hotline.synth.casework import CaseworkWriter
from hotline.synth.feed import FIELDS, bad_row, surface_variant
from hotline.synth.hosting import CDN_DOMAIN
from hotline.synth.html import brand_text, image_paths, redirect_page, render_page
from hotline.synth.images import abstract_image
from hotline.synth.known_media import Catalogue
from hotline.synth.mmdb import write_geoip
from hotline.synth.phenomena import PHENOMENA, REASONS, Decoy
from hotline.synth.scales import SCALES, Scale
from hotline.synth.warc import WarcWriter
from hotline.synth.world import WORLD_END, WORLD_START, Page, Site, World

BAD_ROW_SHARE = 0.03
_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) hotline-synthetic-capture/1.0"
_SITES_PER_WARC = {"small": 100, "medium": 5_000, "large": 50_000}


@dataclass(slots=True)
class Summary:
    out: Path
    seed: int
    scale: str
    counts: dict[str, int] = field(default_factory=dict)
    phenomena: tuple[str, ...] = ()
    casework: dict[str, int] = field(default_factory=dict)


@lru_cache(maxsize=8192)  # a page's selectors share its capture time: most calls repeat
def _iso(moment: datetime) -> str:
    # isoformat is C and cheaper than strftime; world times are always UTC-aware
    return moment.isoformat(timespec="seconds")[:19] + "Z"


class _Writers:
    """Every output file of a world, open at once; each site is written to all of them."""

    def __init__(self, out: Path, world: World, captures: bool, casework: bool = True) -> None:
        self.out = out
        self.world = world
        self.scale = world.scale
        self.captures = captures
        self.sources = [f"HL-{chr(ord('A') + i)}" for i in range(self.scale.hotlines)]
        self.source_weights = [1 / (i + 1) ** 0.7 for i in range(len(self.sources))]
        self.sequence = dict.fromkeys(self.sources, 0)
        self.reports_file = (out / "reports.csv").open("w", encoding="utf-8", newline="")
        self.reports = csv.writer(self.reports_file, lineterminator="\n")
        self.reports.writerow(FIELDS)
        self.line = 1
        self.pdns = (out / "pdns.jsonl").open("wb")
        self.selectors = (out / "selectors.jsonl").open("wb")
        self.truth = (out / "truth.json").open("wb")
        self._url_spool: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self.truth.write(b'{"sites":{')
        self._first_site = True
        self._first_url = True
        self.bad_rows: list[dict[str, Any]] = []
        self.payment_addresses: dict[str, str] = {}
        self.counts = dict.fromkeys(
            (
                "sites",
                "commercial_sites",
                "noise_sites",
                "gateways",
                "onion_mirrors",
                "behind_cdn",
                "urls",
                "reports",
                "bad_rows",
                "captures",
                "warc_records",
                "images",
                "pdns_records",
                "selector_links",
            ),
            0,
        )
        self.warc: WarcWriter | None = None
        self.warc_index = 0
        self.effects = world.effects
        known = self.effects is not None and self.effects.on("known_media")
        self.catalogue = Catalogue(world.seed) if known else None
        # per site: the phenomena its captures showed; per world: sites and pages touched
        self.marks: set[str] = set()
        self.touched_sites: Counter[str] = Counter()
        self.touched_pages: Counter[str] = Counter()
        if captures:
            (out / "captures").mkdir(exist_ok=True)
        # its own random streams and files: switching it off changes no other byte
        self.casework = CaseworkWriter(out, world, self.sources) if casework else None

    # -- per site ---------------------------------------------------------------------------

    def site(self, site: Site) -> None:
        rng = random.Random(f"{self.world.seed}:write:{site.index}")
        counts = self.counts
        counts["sites"] += 1
        counts["commercial_sites" if site.commercial else "noise_sites"] += 1
        counts["gateways"] += site.role == "gateway"
        counts["onion_mirrors"] += site.role == "mirror"
        counts["behind_cdn"] += site.behind_cdn
        first_reports = [self._report(rng, site, page) for page in site.pages]
        captured: list[datetime | None] = [None] * len(site.pages)
        shown: dict[tuple[str, str], list[datetime]] = {}
        if self.captures:
            self._rotate(site.index)
        limit = self.scale.captured_urls_per_site or len(site.pages)
        if site.short_targets:
            limit = len(site.pages)  # a shortener's redirects are the point: every one is captured
        self.marks = set(site.signals.decor.marks) if site.signals.decor is not None else set()
        if self.effects is not None and self.effects.misjudged(site):
            self.marks.add("misjudged")
        for number, (page, reported) in enumerate(zip(site.pages, first_reports, strict=True)):
            if number >= limit:
                break
            when = min(reported + timedelta(hours=rng.uniform(1, 36)), site.end)
            captured[number] = when
            for key in self._capture(rng, site, page, when, number == 0, number):
                seen = shown.setdefault(key, [when, when])
                seen[0], seen[1] = min(seen[0], when), max(seen[1], when)
        if self.casework is not None:  # after the captures: an analyst decides what was captured
            self.casework.site(site, first_reports, captured)
        for period in site.periods:
            for key in (("ip", period.ip), *((("ip", period.ip6),) if period.ip6 else ())):
                seen = shown.setdefault(key, [period.start, period.end])
                seen[0], seen[1] = min(seen[0], period.start), max(seen[1], period.end)
        own = site.own_ns
        if own is None:
            for server in site.nameservers:
                shown[("nameserver", server)] = [site.start, site.end]
        else:  # the site's own name servers took over at some time (maybe from its start)
            for server in site.nameservers if own.since > site.start else ():
                shown[("nameserver", server)] = [site.start, own.since]
            for server in own.names:
                shown[("nameserver", server)] = [own.since, site.end]
        self._selectors(site, shown)
        if site.redirect_to is not None:
            # A redirect ties both sites: the same value on each, as extraction records it;
            # that the doorway sent its visitors on (its front page redirects: captured
            # first) is on the doorway alone.
            value = f"{site.key}>{site.redirect_to.key}"
            relation = {("gateway", value): [site.start, site.end]}
            self._selectors(site, {**relation, ("redirect", value): [site.start, site.end]})
            self._selectors(site.redirect_to, relation)
        if site.short_targets:
            self._short_relations(site, shown)
        self._pdns(rng, site)
        self._truth_site(site)
        self.touched_sites.update(self.marks)

    def _report(self, rng: random.Random, site: Site, page: Page) -> datetime:
        """Report the page from one to three hotlines, in surface variants; returns the
        first report's time (the capture follows it)."""
        reporters = rng.choices((1, 2, 3), (0.65, 0.25, 0.10))[0]
        sources: list[str] = []
        while len(sources) < min(reporters, len(self.sources)):
            pick = rng.choices(self.sources, self.source_weights)[0]
            if pick not in sources:
                sources.append(pick)
        span = max(60.0, (site.end - site.start).total_seconds() - 7200)
        times = sorted(site.start + timedelta(seconds=int(rng.uniform(0, span))) for _ in sources)
        for number, (source, when) in enumerate(zip(sources, times, strict=True)):
            if rng.random() < BAD_ROW_SHARE:
                self._bad_row(rng, source, when)
            if number == 0 and rng.random() < 0.5:
                url = page.url
            else:
                url = surface_variant(
                    rng, page.scheme, page.host, page.host_unicode, page.path, page.query
                )
            site_type = site.site_type if rng.random() < 0.85 else ""
            flag = site.commercial
            if self.effects is not None:
                flag = self.effects.judged_commercial(site, self.counts["reports"])
            commercial = ("true" if flag else "false") if rng.random() < 0.7 else ""
            self._write_report(source, _iso(when), url, site_type, commercial)
        self.counts["urls"] += 1
        self._truth_url(page, site, len(sources))
        return times[0]

    def _write_report(
        self, source: str, when: str, url: str, site_type: str, commercial: str
    ) -> str:
        self.sequence[source] += 1
        report_id = f"{source.lower()}-{self.sequence[source]:07d}"
        self.reports.writerow((source, report_id, when, url, site_type, commercial, ""))
        self.line += 1
        self.counts["reports"] += 1
        return report_id

    def _bad_row(self, rng: random.Random, source: str, when: datetime) -> None:
        row, kind = bad_row(rng, source, "", _iso(when))
        report_id = self._write_report(source, row.reported_at, row.url, row.site_type, "")
        self.counts["bad_rows"] += 1
        self.bad_rows.append(
            {"line": self.line, "source": source, "source_report_id": report_id, "kind": kind}
        )

    # -- captures -----------------------------------------------------------------------------

    def _rotate(self, index: int) -> None:
        per_file = _SITES_PER_WARC[self.scale.name]
        if self.warc is not None and index % per_file:
            return
        if self.warc is not None:
            self.warc.close()
        path = self.out / "captures" / f"captures-{self.warc_index:05d}.warc.gz"
        # Level 1: the world is written once and read many times; speed beats a few bytes.
        self.warc = WarcWriter(
            path,
            namespace=f"hotline-synth/{self.world.seed}/{self.warc_index}",
            level=1,
        )
        self.warc.warcinfo(
            WORLD_START,
            {
                "software": f"hotline {__version__} (synthetic world)",
                "format": "WARC File Format 1.1",
                "description": "synthetic, benign capture of a test world",
            },
        )
        self.warc_index += 1
        self.counts["warc_records"] += 1

    def _capture(
        self,
        rng: random.Random,
        site: Site,
        page: Page,
        when: datetime,
        full: bool,
        number: int = 0,
    ) -> list[tuple[str, str]]:
        """Capture one page (with its favicon and images); returns the selectors it shows.
        Without WARC output the pages are still rendered, so the selector dump stays the
        same as what the captures would show."""
        self.counts["captures"] += self.warc is not None
        period = site.period_at(when)
        ip = period.ip if period else None
        if site.redirect_to is not None:
            return self._gateway_capture(rng, site, page, when, ip, number)
        effects = self.effects
        if effects is not None and page.kind == "short":
            return self._short_capture(rng, site, page, when, ip, number)
        referer = site.pages[0].url if page.kind != "landing" and rng.random() < 0.5 else None
        inject = None
        if effects is not None:
            decoy = effects.decoy(site, page, when, number)
            if decoy is not None:  # nothing on it is the site's: no selectors
                self._decoy(page.url, when, decoy, ip, referer)
                return []
            inject = effects.injection(site, period)
            if inject is not None:
                self.marks.add("hosting_panel")
                self.touched_pages["hosting_panel"] += 1
        html, shown = render_page(site, page, rng, full, inject)
        if effects is not None and site.signals.brand_text:
            # The heading or the logo shows the plain name on every page, not only where the
            # title does. Classic worlds never needed this (their landing page, which shows
            # everything, is always captured) and keep their bytes; here the landing page may
            # be a decoy, and the name is still on the other pages.
            shown.append(("brand_text", brand_text(site.signals.brand_text)))
        self._exchange(page.url, when, 200, "OK", "text/html; charset=utf-8", html, ip, referer)
        shown.append(("template", site.signals.template.variant))
        favicon = site.signals.favicon
        if favicon is None and inject is not None:
            favicon = inject.favicon
        if (
            favicon is not None
            and ("favicon_md5", hashlib.md5(favicon, usedforsecurity=False).hexdigest()) in shown
        ):
            self._favicon(page.url, when, favicon, ip)
        for path in image_paths(
            page, self.scale.images_per_page if full or rng.random() < 0.3 else 0
        ):
            origin = page.url.split("/", 3)
            url = f"{origin[0]}//{origin[2]}{path}"
            image = abstract_image(rng, 64)  # drawn either way: the stream stays the same
            if self.catalogue is not None:
                distributor = site.distributor
                known = self.catalogue.image(distributor.id if distributor else None, url, image)
                if known is not image:
                    image = known
                    self.marks.add("known_media")
                    self.touched_pages["known_media"] += 1
            self.counts["images"] += self.warc is not None
            self._exchange(url, when, 200, "OK", "image/png", image, ip, page.url)
        return shown

    def _gateway_capture(
        self,
        rng: random.Random,
        site: Site,
        page: Page,
        when: datetime,
        ip: str | None,
        number: int,
    ) -> list[tuple[str, str]]:
        target_site = site.redirect_to
        assert target_site is not None
        target = target_site.pages[0]
        if site.redirect_style == "302":
            self._exchange(
                page.url, when, 302, "Found", "text/html", b"", ip, None, location=target.url
            )
            referer = None
        else:
            script, bare = "", False
            if self.effects is not None and self.effects.on("client_redirects"):
                script, bare = self.effects.client_redirect(site, number)
                self.marks.add("client_redirects")
            self._exchange(
                page.url,
                when,
                200,
                "OK",
                "text/html; charset=utf-8",
                redirect_page(target.url, script),
                ip,
                None,
            )
            referer = None if bare else page.url
        later = when + timedelta(seconds=1)
        target_period = target_site.period_at(later)
        target_ip = target_period.ip if target_period else None
        if self.effects is not None:
            decoy = self.effects.redirect_decoy(target_site, target, later)
            if decoy is not None:
                self._decoy(target.url, later, decoy, target_ip, referer, own=False)
                return []
        html, _ = render_page(target_site, target, rng, full=True)
        self._exchange(
            target.url, later, 200, "OK", "text/html; charset=utf-8", html, target_ip, referer
        )
        return []  # a redirect shows no template: the relation is recorded in site()

    def _short_capture(
        self,
        rng: random.Random,
        site: Site,
        page: Page,
        when: datetime,
        ip: str | None,
        number: int,
    ) -> list[tuple[str, str]]:
        """A short link: a 302 to a shop's landing page, and that page as the browser got it.
        The relation goes on the shortener here and on the target in _short_relations."""
        assert self.effects is not None
        # the short links are the site's last pages (a shortener's front page comes first)
        target_site = site.short_targets[number - (len(site.pages) - len(site.short_targets))]
        target = target_site.pages[0]
        self._exchange(
            page.url, when, 302, "Found", "text/html", b"", ip, None, location=target.url
        )
        later = when + timedelta(seconds=1)
        target_period = target_site.period_at(later)
        target_ip = target_period.ip if target_period else None
        decoy = self.effects.redirect_decoy(target_site, target, later)
        if decoy is not None:
            self._decoy(target.url, later, decoy, target_ip, None, own=False)
        else:  # no panel injection here: the target's own captures hold what the dump says
            html, _ = render_page(target_site, target, rng, full=True)
            self._exchange(
                target.url, later, 200, "OK", "text/html; charset=utf-8", html, target_ip, None
            )
        # an out-link under a path: a gateway, but the domain is no doorway (no redirect)
        return [("gateway", f"{site.key}>{target_site.key}")]

    def _short_relations(self, site: Site, shown: dict[tuple[str, str], list[datetime]]) -> None:
        """Each shortener → target relation on the target too, as extraction records it."""
        targets = {target.key: target for target in site.short_targets}
        for key, window in sorted(shown.items()):
            if key[0] == "gateway":
                target = targets[key[1].split(">", 1)[1]]
                self._selectors(target, {key: window})

    def _decoy(
        self,
        url: str,
        when: datetime,
        decoy: Decoy,
        ip: str | None,
        referer: str | None,
        own: bool = True,
    ) -> None:
        """Write a decoy response (and its favicon); ``own`` is False for a redirect's
        target, whose decoy is not the redirecting site's phenomenon."""
        if own:
            self.marks.add(decoy.phenomenon)
        self.touched_pages[decoy.phenomenon] += 1
        self._exchange(
            url,
            when,
            decoy.status,
            REASONS[decoy.status],
            decoy.content_type,
            decoy.body,
            ip,
            referer,
            server=decoy.server,
        )
        if decoy.favicon is not None:
            self._favicon(url, when, decoy.favicon, ip, decoy.server)

    def _favicon(
        self, page_url: str, when: datetime, favicon: bytes, ip: str | None, server: str = "nginx"
    ) -> None:
        """The favicon of the site's origin, as the browser fetched it for ``page_url``."""
        origin = page_url.split("/", 3)
        self._exchange(
            f"{origin[0]}//{origin[2]}/favicon.ico",
            when,
            200,
            "OK",
            "image/png",
            favicon,
            ip,
            page_url,
            server=server,
        )

    def _exchange(
        self,
        url: str,
        when: datetime,
        status: int,
        reason: str,
        content_type: str,
        body: bytes,
        ip: str | None,
        referer: str | None,
        location: str | None = None,
        server: str = "nginx",
    ) -> None:
        if self.warc is None:
            return
        host = url.split("/", 3)[2]
        request_headers = [("Host", host), ("User-Agent", _USER_AGENT), ("Accept", "*/*")]
        if referer:
            request_headers.append(("Referer", referer))
        headers = [
            ("Date", when.strftime("%a, %d %b %Y %H:%M:%S GMT")),
            ("Server", server),
            ("Content-Type", content_type),
        ]
        if location:
            headers.append(("Location", location))
        response_id = self.warc.response(url, when, status, reason, headers, body, ip)
        self.warc.request(url, when, request_headers, concurrent_to=response_id)
        self.counts["warc_records"] += 2

    # -- dumps --------------------------------------------------------------------------------

    def _selectors(self, site: Site, shown: dict[tuple[str, str], list[datetime]]) -> None:
        for (kind, value), (first, last) in sorted(shown.items()):
            self.selectors.write(
                orjson.dumps(
                    {
                        "site": site.key,
                        "kind": kind,
                        "value": value,
                        "first_seen": _iso(first),
                        "last_seen": _iso(last),
                    }
                )
                + b"\n"
            )
            self.counts["selector_links"] += 1
            if kind in ("btc_address", "crypto_address") and site.distributor is not None:
                self.payment_addresses[value] = site.distributor.id

    def _pdns(self, rng: random.Random, site: Site) -> None:
        if not site.periods:
            return
        hosts = sorted({site.key, *(page.host for page in site.pages)})
        records: list[dict[str, Any]] = []
        if site.behind_cdn:
            # As CDNs are set up: sub-hosts are CNAMEs to an edge name that holds the
            # addresses; the apex (which cannot be a CNAME) is flattened to edge addresses.
            edge = f"{site.key.replace('.', '-')}.edge.{CDN_DOMAIN}"
            for host in hosts[:]:
                if host != site.key:
                    records.append(_rr(rng, host, "CNAME", edge, site.start, site.end))
                    hosts.remove(host)
            hosts.append(edge)
        for period in site.periods:
            for host in hosts:
                records.append(_rr(rng, host, "A", period.ip, period.start, period.end))
                if period.ip6:
                    records.append(_rr(rng, host, "AAAA", period.ip6, period.start, period.end))
        own = site.own_ns
        if own is None:
            if site.nameservers:
                records.append(
                    _rr(rng, site.key, "NS", list(site.nameservers), site.start, site.end)
                )
        else:
            if site.nameservers and own.since > site.start:
                records.append(
                    _rr(rng, site.key, "NS", list(site.nameservers), site.start, own.since)
                )
            records.append(_rr(rng, site.key, "NS", list(own.names), own.since, site.end))
            for name, address in own.hosts().items():
                records.append(_rr(rng, name, "A", address, own.since, site.end))
            if own.mail is not None:
                records.append(_rr(rng, site.key, "MX", f"10 {own.mail}.", own.since, site.end))
        for record in records:
            self.pdns.write(orjson.dumps(record) + b"\n")
        self.counts["pdns_records"] += len(records)

    def _truth_site(self, site: Site) -> None:
        distributor = site.distributor
        last = site.periods[-1] if site.periods else None
        entry: dict[str, Any] = {
            "brand": site.brand.id if site.brand else None,
            "distributor": distributor.id if distributor else None,
            "commercial": site.commercial,
            "role": site.role,
            "type": site.site_type,
            "hosting_country": site.hosting_country(),
            "behind_cdn": site.behind_cdn,
            "asn": last.provider.asn if last else None,
            "provider": last.provider.name if last else None,
            "ip": last.ip if last else None,
            "countries": sorted(
                {p.provider.country for p in site.periods if p.provider.kind != "cdn"}
            ),
            "first_seen": _iso(site.start),
            "last_seen": _iso(site.end),
            "urls": len(site.pages),
        }
        own = site.own_ns
        if own is not None:  # never in worlds without phenomena
            entry["own_nameservers"] = {
                "hosts": own.hosts(),
                "country": own.provider.country,
                "asn": own.provider.asn,
                "provider": own.provider.name,
                "since": _iso(own.since),
            }
        if self.marks:  # only in worlds with phenomena: the others keep their bytes
            entry["phenomena"] = sorted(self.marks)
        prefix = b"" if self._first_site else b","
        self._first_site = False
        self.truth.write(prefix + orjson.dumps(site.key) + b":" + orjson.dumps(entry))

    def _truth_url(self, page: Page, site: Site, reports: int) -> None:
        prefix = b"" if self._first_url else b","
        self._first_url = False
        entry = {"site": site.key, "hosting_country": site.hosting_country(), "reports": reports}
        self._url_spool.write(prefix + orjson.dumps(page.url) + b":" + orjson.dumps(entry))

    # -- the end --------------------------------------------------------------------------------

    def close(self, world: World) -> None:
        if self.warc is not None:
            self.warc.close()
        if self.catalogue is not None:
            self.catalogue.write(self.out)
        if self.casework is not None:
            self.casework.close()
        self.reports_file.close()
        self.pdns.close()
        self.selectors.close()
        self.truth.write(b'},"urls":{')
        self._url_spool.seek(0)
        shutil.copyfileobj(self._url_spool, self.truth)
        self._url_spool.close()
        tail = {
            "meta": self.meta(world),
            "distributors": [_distributor_truth(d) for d in world.distributors],
            "brands": [
                {
                    "id": b.id,
                    "name": b.name,
                    "distributor": b.distributor.id,
                    "domains": b.domains,
                    "brand_text": brand_text(b.name),
                }
                for b in world.brands
            ],
            "payment_addresses": dict(sorted(self.payment_addresses.items())),
            "bad_rows": self.bad_rows,
        }
        self.truth.write(b"}," + orjson.dumps(tail)[1:])
        self.truth.close()

    def meta(self, world: World) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "seed": world.seed,
            "scale": world.scale.name,
            "generator": f"hotline {__version__}",
            "world_start": _iso(WORLD_START),
            "world_end": _iso(WORLD_END),
            "hotlines": self.sources,
            "counts": self.counts,
        }
        if world.effects is not None:  # absent: a world without phenomena keeps its bytes
            meta["phenomena"] = {
                **world.effects.truth(),
                "sites": dict(sorted(self.touched_sites.items())),
                "pages": dict(sorted(self.touched_pages.items())),
            }
        return meta


def _write_hosting_lists(out: Path, world: World) -> None:
    """The world's CDN list (for ``enrich --cdn-list``) and provider table (for ``hotline
    providers import``): what a hotline would configure for the real CDNs and providers."""
    cdn = world.planner.cdn
    cdn_list = {
        "description": "The synthetic world's CDN: its AS, address ranges and edge domain.",
        "asns": {str(cdn.asn): cdn.name},
        "networks": {cdn.name: [*cdn.networks, cdn.network6]},
        "cname_suffixes": {CDN_DOMAIN: cdn.name},
    }
    (out / "cdn.json").write_bytes(orjson.dumps(cdn_list, option=orjson.OPT_INDENT_2) + b"\n")
    with (out / "providers.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["asn", "name", "kind"])
        for provider in [*world.providers, cdn]:
            writer.writerow([provider.asn, provider.name, provider.kind])


def _rr(
    rng: random.Random,
    name: str,
    rrtype: str,
    rdata: str | list[str],
    first: datetime,
    last: datetime,
) -> dict[str, Any]:
    """A passive-DNS record in the Common Output Format, with the variation real feeds show:
    owner names with and without the trailing dot, rdata as a string or an array."""
    owner = name + "." if rng.random() < 0.5 else name
    value: str | list[str] = rdata if isinstance(rdata, list) or rng.random() < 0.5 else [rdata]
    return {
        "rrname": owner,
        "rrtype": rrtype,
        "rdata": value,
        "time_first": int(first.timestamp()),
        "time_last": int(last.timestamp()),
        "count": rng.randint(1, 5000),
    }


def _distributor_truth(d: actors.Distributor) -> dict[str, Any]:
    return {
        "id": d.id,
        "label": d.label,
        "brands": [b.id for b in d.brands],
        "merchant_ids": [f"{m.processor.host}|{m.merchant_id}" for m in d.merchants],
        "btc_pool": list(d.btc_pool),
        "affiliate": f"{d.affiliate_param}={d.affiliate_id}",
        "analytics": list(d.analytics),
        "nameservers": list(d.nameservers or ()),
        "email": d.email,
    }


def generate(
    seed: int,
    scale: str | Scale,
    out: Path,
    captures: bool | None = None,
    progress: Callable[[int, int], None] | None = None,
    phenomena: Iterable[str] = frozenset(),
    casework: bool = True,
    rate_scale: float = 1.0,
) -> Summary:
    """Write the world ``(seed, scale)`` into ``out``; returns what was written.
    ``phenomena``: names from ``hotline.synth.phenomena.PHENOMENA`` (none: the classic world).
    ``rate_scale``: every phenomenon's rates times this (1: as drawn from their ranges).
    ``casework``: also write ``casework/`` and ``casework-truth.json`` (``synth.casework``)."""
    chosen = SCALES[scale] if isinstance(scale, str) else scale
    world = World(seed, chosen, phenomena, rate_scale)  # before mkdir: bad names write nothing
    out.mkdir(parents=True, exist_ok=True)
    writers = _Writers(out, world, chosen.captures if captures is None else captures, casework)
    expected = sum(b.domains for b in world.brands) + chosen.noise_sites
    try:
        for number, site in enumerate(world.sites(), 1):
            writers.site(site)
            if progress is not None and number % 500 == 0:
                progress(number, expected)
    finally:
        writers.close(world)
    write_geoip(out / "geoip", [*world.providers, world.planner.cdn], WORLD_END)
    _write_hosting_lists(out, world)
    processors = [{"host": p.host, "name": p.name, "method": p.method} for p in world.processors]
    (out / "processors.json").write_bytes(
        orjson.dumps(processors, option=orjson.OPT_INDENT_2) + b"\n"
    )
    names = tuple(name for name in PHENOMENA if name in world.phenomena)
    cases = writers.casework.counts if writers.casework is not None else {}
    return Summary(out, seed, chosen.name, writers.counts, names, cases)
