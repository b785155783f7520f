"""Current hosting comes from the names that serve a site's content, on SQLite and PostgreSQL.

The world here has the ``in_bailiwick_ns`` phenomenon: some sites run their own name servers
(``ns1.<site>``, ``ns2.<site>``, sometimes ``mail.<site>``) in another country and AS than
their web server, CDN-fronted sites too. Their addresses are in passive DNS under the site's
own domain; they stay in the site's timeline, labelled, and never decide where it is hosted.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from hotline.hosting.current import verdict
from hotline.hosting.models import HostingObservation, SiteHosting
from hotline.hosting.observations import Observation, upsert
from hotline.hosting.sightings import site_sightings
from hotline.store.engine import make_engine
from hotline.synth.generate import generate
from tests.test_cli import hotline, wide_console  # noqa: F401 (autouse: unfolded tables)

SEED = 11


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("own-ns-world")
    generate(SEED, "small", out, phenomena={"in_bailiwick_ns"})
    return out


@pytest.fixture(scope="module")
def truth(world: Path) -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads((world / "truth.json").read_bytes())
    return document


def _enriched(db_url: str, world: Path) -> None:
    assert hotline(db_url, "-q", "ingest", "reports", str(world / "reports.csv")).code == 1
    files = sorted(str(p) for p in (world / "captures").glob("*.warc.gz"))
    assert hotline(db_url, "-q", "ingest", "captures", *files).code == 0
    assert hotline(db_url, "-q", "ingest", "pdns", str(world / "pdns.jsonl")).code == 0
    run = hotline(
        db_url, "-q", "enrich",
        "--geoip-db", str(world / "geoip" / "country.mmdb"),
        "--asn-db", str(world / "geoip" / "asn.mmdb"),
        "--cdn-list", str(world / "cdn.json"),
    )  # fmt: skip
    assert run.code == 0, run.err


def _own(truth: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in truth["sites"].items() if "own_nameservers" in v}


def test_the_world_has_name_servers_elsewhere_than_the_web_server(truth: dict[str, Any]) -> None:
    own = _own(truth)
    assert any(v["behind_cdn"] for v in own.values())
    assert any(not v["behind_cdn"] for v in own.values())
    assert any(f"mail.{k}" in v["own_nameservers"]["hosts"] for k, v in own.items())
    for site, entry in own.items():
        servers = entry["own_nameservers"]
        assert {f"ns1.{site}", f"ns2.{site}"} <= set(servers["hosts"])
        assert servers["country"] != (entry["hosting_country"] if not entry["behind_cdn"] else "US")
        assert servers["asn"] != entry["asn"]


def test_current_hosting_of_every_site_equals_the_truth(
    db_url: str, world: Path, truth: dict[str, Any]
) -> None:
    _enriched(db_url, world)
    engine = make_engine(db_url)
    with engine.connect() as connection:
        found = dict(connection.execute(select(SiteHosting.site_key, SiteHosting.country)).all())
        hosts = set(connection.scalars(select(HostingObservation.host).distinct()))
    engine.dispose()
    sites = truth["sites"]
    own = _own(truth)
    # the name-server and mail hosts are observed: they are there to be ignored
    assert {name for v in own.values() for name in v["own_nameservers"]["hosts"]} <= hosts
    wrong = {k: (v["hosting_country"], found.get(k)) for k, v in sites.items()
             if found.get(k) != v["hosting_country"]}  # fmt: skip
    assert wrong == {}
    fronted = [k for k, v in own.items() if v["behind_cdn"]]
    assert fronted
    assert {found[k] for k in fronted} == {"behind-cdn"}


def test_hosting_labels_name_server_and_mail_rows(
    db_url: str, world: Path, truth: dict[str, Any]
) -> None:
    _enriched(db_url, world)
    own = _own(truth)
    site = next(k for k, v in own.items() if f"mail.{k}" in v["own_nameservers"]["hosts"])
    entry = own[site]
    run = hotline(db_url, "hosting", site)
    assert run.code == 0, run.err
    defanged = site.replace(".", "[.]")
    lines = run.out.splitlines()
    ns_rows = [line for line in lines if f"ns1[.]{defanged}" in line and " A " in line]
    mail_rows = [line for line in lines if f"mail[.]{defanged}" in line and " A " in line]
    assert ns_rows
    assert all("name server" in line for line in ns_rows)
    assert mail_rows
    assert all("mail" in line.split(f"mail[.]{defanged}", 1)[1] for line in mail_rows)
    web = re.compile(rf"\s(www\[\.\])?{re.escape(defanged)}\s")
    web_rows = [line for line in lines if web.search(line) and " NS " not in line]
    assert web_rows
    assert not any("name server" in line or "mail" in line for line in web_rows)
    headline = lines[0]
    assert f"hosted {entry['hosting_country']}" in headline
    assert "ASNone" not in run.out


def test_an_unknown_as_is_never_printed_as_asnone(db_url: str, tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text(
        "source,source_report_id,reported_at,url\n"
        "HL-A,1,2026-05-01T10:00:00Z,http://198.51.100.7/shop/item\n",
        encoding="utf-8",
    )
    assert hotline(db_url, "-q", "ingest", "reports", str(feed)).code == 0
    assert hotline(db_url, "-q", "enrich").code == 0  # the bundled databases know no AS for it
    run = hotline(db_url, "hosting", "198.51.100.7")
    assert run.code == 0, run.err
    assert "ASNone" not in run.out
    assert "unknown AS" in run.out.splitlines()[0]


def test_sightings_carry_the_role_of_the_name_a_chain_starts_at(
    db_url: str, tmp_path: Path
) -> None:
    """A mail host's CNAME into its provider and the in-bailiwick name server's address stay
    what they are; the content name's CDN chain decides: behind CDN."""
    feed = tmp_path / "feed.csv"
    feed.write_text(
        "source,source_report_id,reported_at,url\nHL-A,1,2026-05-01T10:00:00Z,http://www.shop.test/a\n",
        encoding="utf-8",
    )
    assert hotline(db_url, "-q", "ingest", "reports", str(feed)).code == 0
    when = datetime(2026, 5, 1, tzinfo=UTC)
    rows = [
        ("shop.test", "www.shop.test", "CNAME", "shop-test.edge.cdn.example"),
        ("cdn.example", "shop-test.edge.cdn.example", "A", "192.0.2.1"),
        ("shop.test", "shop.test", "NS", "ns1.shop.test"),
        ("shop.test", "ns1.shop.test", "A", "198.51.100.5"),
        ("shop.test", "dns9.shop.test", "A", "198.51.100.6"),  # not an NS target: other
        ("shop.test", "mail.shop.test", "CNAME", "mx.mailhost.example"),
        ("mailhost.example", "mx.mailhost.example", "A", "203.0.113.9"),
    ]
    engine = make_engine(db_url)
    with engine.begin() as connection:
        upsert(connection, [Observation(k, h, "pdns", t, v, when, when) for k, h, t, v in rows])
    with engine.connect() as connection:
        found = site_sightings(
            connection, ["shop.test"], {}, lambda name: "Edge" if ".cdn.example" in name else None
        )["shop.test"]
    engine.dispose()
    roles = {(s.host, s.ip, s.role, s.cdn) for s in found}
    assert roles == {
        ("www.shop.test", "192.0.2.1", "content", "Edge"),
        ("ns1.shop.test", "198.51.100.5", "name server", None),
        ("dns9.shop.test", "198.51.100.6", "other", None),
        ("mail.shop.test", "203.0.113.9", "mail", None),
    }
    assert verdict("domain", found).status == "behind-cdn"
