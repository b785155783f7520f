"""Hosting end to end, on SQLite and PostgreSQL: a synthetic world's reports, captures and
passive DNS in, ``hotline enrich`` over them, and every site's current hosting against the
generator's truth. Live DNS runs against a real DNS server on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import orjson
import pytest
from sqlalchemy import Engine, func, select

from hotline.hosting.models import HostingObservation, IpFactsRow, SiteHosting
from hotline.store.engine import make_engine
from hotline.synth.generate import generate
from tests.dns_server import DnsTestServer, dns_server, dns_server_module  # noqa: F401 (fixtures)
from tests.test_cli import hotline, summary_value


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hosting-world")
    generate(29, "small", out)
    return out


@pytest.fixture(scope="module")
def truth(world: Path) -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads((world / "truth.json").read_bytes())
    return document


def _ingest(db_url: str, world: Path, *, captures: bool = True, pdns: bool = True) -> None:
    assert hotline(db_url, "-q", "ingest", "reports", str(world / "reports.csv")).code == 1
    if captures:
        files = sorted(str(p) for p in (world / "captures").glob("*.warc.gz"))
        assert hotline(db_url, "-q", "ingest", "captures", *files).code == 0
    if pdns:
        assert hotline(db_url, "-q", "ingest", "pdns", str(world / "pdns.jsonl")).code == 0


def _world_dbs(world: Path) -> list[str]:
    return [
        "--geoip-db", str(world / "geoip" / "country.mmdb"),
        "--asn-db", str(world / "geoip" / "asn.mmdb"),
        "--cdn-list", str(world / "cdn.json"),
    ]  # fmt: skip


def _hosting(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        rows = connection.execute(select(SiteHosting.site_key, SiteHosting.country))
        return {key: country for key, country in rows}


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_current_hosting_of_every_site_equals_the_truth(
    db_url: str, world: Path, truth: dict[str, Any]
) -> None:
    _ingest(db_url, world)
    run = hotline(db_url, "enrich", *_world_dbs(world))
    assert run.code == 0, run.err
    engine = make_engine(db_url)
    found = _hosting(engine)
    sites = truth["sites"]
    assert set(found) == set(sites)
    wrong = {k: (v["hosting_country"], found[k]) for k, v in sites.items()
             if found[k] != v["hosting_country"]}  # fmt: skip
    assert wrong == {}
    behind = {k for k, v in sites.items() if v["behind_cdn"] and v["role"] != "mirror"}
    assert behind, "the world should have CDN-fronted sites"
    assert {found[k] for k in behind} == {"behind-cdn"}
    assert summary_value(run.out, "addresses looked up") == _count(engine, IpFactsRow)

    # Incremental: nothing new, nothing recomputed, nothing looked up; reimport adds no rows.
    rows = _count(engine, HostingObservation)
    assert hotline(db_url, "-q", "ingest", "pdns", str(world / "pdns.jsonl")).code == 0
    again = hotline(db_url, "enrich", *_world_dbs(world))
    assert summary_value(again.out, "sites recomputed") == 0
    assert summary_value(again.out, "addresses looked up") == 0
    assert _count(engine, HostingObservation) == rows
    engine.dispose()


def test_without_the_cdn_list_the_edge_country_would_be_counted(
    db_url: str, world: Path, truth: dict[str, Any]
) -> None:
    """The trap the CDN list exists for, and the provider table as the other way out of it."""
    _ingest(db_url, world, captures=False)
    dbs = _world_dbs(world)[:4]
    assert hotline(db_url, "-q", "enrich", *dbs).code == 0
    engine = make_engine(db_url)
    behind = [k for k, v in truth["sites"].items() if v["hosting_country"] == "behind-cdn"]
    assert {_hosting(engine)[k] for k in behind} == {"US"}  # the CDN's own country
    assert hotline(db_url, "providers", "set", "AS64496", "Edge network", "cdn").code == 0
    run = hotline(db_url, "enrich", *dbs)
    assert summary_value(run.out, "sites recomputed") == len(truth["sites"])  # table changed
    assert {_hosting(engine)[k] for k in behind} == {"behind-cdn"}
    engine.dispose()


def test_capture_addresses_alone_give_hosting(db_url: str, world: Path) -> None:
    _ingest(db_url, world, pdns=False)
    run = hotline(db_url, "enrich", *_world_dbs(world))
    assert run.code == 0
    assert summary_value(run.out, "capture addresses (observations written)") > 0
    engine = make_engine(db_url)
    with engine.connect() as connection:
        sources = {s for (s,) in connection.execute(select(HostingObservation.source).distinct())}
        hosted = connection.execute(
            select(func.count()).select_from(SiteHosting).where(SiteHosting.status == "hosted")
        ).scalar_one()
    assert sources == {"capture"}
    assert hosted > 0
    engine.dispose()


def test_bare_ip_sites_and_unknown_addresses(db_url: str, tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text(
        "source,source_report_id,reported_at,url\n"
        "HL-A,1,2026-05-01T10:00:00Z,http://198.51.100.7/shop/item\n"
        "HL-A,2,2026-05-01T10:00:00Z,http://8.8.8.8/x\n"
        "HL-A,3,2026-05-01T10:00:00Z,http://nowhere-known.test/x\n",
        encoding="utf-8",
    )
    assert hotline(db_url, "-q", "ingest", "reports", str(feed)).code == 0
    run = hotline(db_url, "enrich")  # the bundled databases
    assert run.code == 0, run.err
    assert summary_value(run.out, "bare-IP sites") == 2
    assert summary_value(run.out, "of which no database knows the country") == 1
    engine = make_engine(db_url)
    found = _hosting(engine)
    assert found == {"198.51.100.7": "unknown", "8.8.8.8": "US", "nowhere-known.test": "unknown"}
    engine.dispose()


def test_hosting_command_prints_a_defanged_timeline(db_url: str, world: Path) -> None:
    _ingest(db_url, world, captures=False)
    assert hotline(db_url, "-q", "enrich", *_world_dbs(world)).code == 0
    engine = make_engine(db_url)
    with engine.connect() as connection:
        site = connection.execute(
            select(SiteHosting.site_key).where(SiteHosting.countries > 1).limit(1)
        ).scalar_one()
    engine.dispose()
    run = hotline(db_url, "hosting", site)
    assert run.code == 0
    assert site.replace(".", "[.]") in run.out
    assert site not in run.out  # never the live name
    assert "Timeline" in run.out
    assert "://" not in run.out
    missing = hotline(db_url, "hosting", "never-reported.test")
    assert missing.code == 2
    assert "never-reported[.]test" in missing.err


def test_bad_ip_database_is_one_clear_error(db_url: str, tmp_path: Path, world: Path) -> None:
    broken = tmp_path / "country.mmdb"
    broken.write_bytes(b"\x00" * 4096)
    run = hotline(db_url, "enrich", "--geoip-db", str(broken))
    assert run.code == 2
    assert str(broken) in run.err.replace("\n", "")
    wrong = hotline(db_url, "enrich", "--asn-db", str(world / "geoip" / "country.mmdb"))
    assert wrong.code == 2
    assert "AS number" in wrong.err


def test_live_dns_observations_with_statuses(
    db_url: str,
    tmp_path: Path,
    dns_server: DnsTestServer,  # noqa: F811
) -> None:
    feed = tmp_path / "feed.csv"
    names = ["shop-alpha.test", "www.shop-alpha.test", "missing.shop-alpha.test"]
    feed.write_text(
        "source,source_report_id,reported_at,url\n"
        + "".join(f"HL-A,{i},2026-05-01T10:00:00Z,http://{n}/p\n" for i, n in enumerate(names)),
        encoding="utf-8",
    )
    cdn = tmp_path / "cdn.json"
    cdn.write_text('{"cname_suffixes": {"cdn.example": "Test edge"}}', encoding="utf-8")
    assert hotline(db_url, "-q", "ingest", "reports", str(feed)).code == 0
    args = ["enrich", "--resolve", "--nameserver", dns_server.address, "--dns-timeout", "0.3",
            "--cdn-list", str(cdn)]  # fmt: skip
    run = hotline(db_url, *args)
    assert run.code == 0, run.err
    assert summary_value(run.out, "names resolved live") == 3
    assert "nxdomain" in run.out
    engine = make_engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(HostingObservation.host, HostingObservation.rrtype, HostingObservation.value,
                   HostingObservation.status).where(HostingObservation.source == "dns")
        ).all()  # fmt: skip
        hosting = connection.execute(
            select(SiteHosting.status, SiteHosting.ip).where(
                SiteHosting.site_key == "shop-alpha.test"
            )
        ).one()
    seen = {(h, t, v, s) for h, t, v, s in rows}
    assert ("shop-alpha.test", "A", "192.0.2.10", "ok") in seen
    assert ("www.shop-alpha.test", "CNAME", "edge.cdn.example", "ok") in seen
    assert ("missing.shop-alpha.test", "A", "", "nxdomain") in seen
    # The apex is the origin; www's edge addresses (through the CDN's CNAME) are not.
    assert hosting.status == "hosted"
    assert hosting.ip in {"192.0.2.10", "2001:db8::10"}
    queries = dns_server.count()
    again = hotline(db_url, *args)  # within the resolve TTL: nothing asked again
    assert summary_value(again.out, "sites recomputed") == 0
    assert dns_server.count() == queries
    engine.dispose()


class _Registry(BaseHTTPRequestHandler):
    """A loopback RDAP server: the real ARIN and LACNIC answers, a 404 and a broken body."""

    answers: ClassVar[dict[str, tuple[int, bytes]]] = {}
    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.asked.append(self.path)
        status, body = self.answers.get(self.path, (404, b'{"errorCode": 404}'))
        self.send_response(status)
        self.send_header("Content-Type", "application/rdap+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads the asked paths instead."""


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    vectors = Path(__file__).parent / "vectors" / "rdap"
    _Registry.answers = {
        "/arin/ip/13.64.0.1": (200, (vectors / "arin-ip.json").read_bytes()),
        "/lacnic/ip/200.57.141.161": (200, (vectors / "lacnic-ip.json").read_bytes()),
        "/lacnic/ip/200.57.141.162": (200, b"{not json"),
    }
    _Registry.asked = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Registry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    bootstrap = tmp_path / "ipv4.json"
    bootstrap.write_text(
        json.dumps(
            {"version": "1.0", "publication": "2026-12-01T00:00:00Z",
             "services": [[["13.0.0.0/8"], [f"{base}/arin/"]],
                          [["200.0.0.0/8"], [f"{base}/lacnic/"]]]}
        ),
        encoding="utf-8",
    )  # fmt: skip
    yield base, bootstrap
    server.shutdown()
    server.server_close()


def test_rdap_abuse_contacts_are_recorded_and_failures_kept(
    db_url: str, tmp_path: Path, registry: tuple[str, Path]
) -> None:
    """Addresses seen in passive DNS for a probe name (no site, no report) are asked once.

    The addresses are those of the real registry answers in tests/vectors/rdap (and two
    neighbours of the LACNIC one for the failure cases): RDAP skips documentation ranges by
    design, so only real registry space reaches the loopback server. No site is on them."""
    _, bootstrap = registry
    pdns = tmp_path / "pdns.jsonl"
    pdns.write_text(
        "".join(
            json.dumps({"rrname": "rdap-probe.example", "rrtype": "A", "rdata": [ip],
                        "time_first": 1767225600, "time_last": 1767312000}) + "\n"
            for ip in ("13.64.0.1", "200.57.141.161", "200.57.141.162", "200.57.141.170")
        ),
        encoding="utf-8",
    )  # fmt: skip
    assert hotline(db_url, "-q", "ingest", "pdns", str(pdns)).code == 0
    run = hotline(db_url, "enrich", "--rdap", "--rdap-bootstrap", str(bootstrap))
    assert run.code == 0, run.err
    assert "RDAP: malformed 1, not_found 1, ok 2" in run.out
    engine = make_engine(db_url)
    with engine.connect() as connection:
        facts = {
            row.ip: (row.rdap_status, row.abuse_emails, row.rdap_network)
            for row in connection.execute(select(IpFactsRow))
        }
    assert facts["13.64.0.1"] == ("ok", ["abuse@microsoft.com"], "MSFT")
    assert facts["200.57.141.161"][1] == ["operacion.redes@TRIARA.COM"]
    assert facts["200.57.141.162"][0] == "malformed"
    assert facts["200.57.141.170"][0] == "not_found"
    asked = len(_Registry.asked)
    again = hotline(db_url, "enrich", "--rdap", "--rdap-bootstrap", str(bootstrap))
    assert "RDAP:" not in again.out  # answers are fresh and failures wait an hour
    assert len(_Registry.asked) == asked
    engine.dispose()
