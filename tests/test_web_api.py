"""The API's lists, exports, assessment and uploads of every kind, on SQLite and PostgreSQL,
over the small synthetic world of tests/test_web.py: paging walks every row once, each
filter keeps what it says, bad parameters are 422 in the one error shape, one organisation
never reads another's report rows, and captures and passive DNS import through the web as
`hotline ingest` imports them (a second upload of a file adds nothing; refusals are
located)."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from hotline.synth.warc import WarcWriter
from tests import test_web
from tests.web_world import Web, page_csrf

# the module fixtures of tests/test_web.py: the seeded world, built once per engine here too
database, world, web = test_web.database, test_web.world, test_web.web

WHEN = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
PAGE = b"<!DOCTYPE html><html><head><title>Upload test shop</title></head><body>ok</body></html>"
LISTS = ("/api/v1/sites", "/api/v1/urls", "/api/v1/reports", "/api/v1/brands",
         "/api/v1/distributors")  # fmt: skip
# what identifies one item of each list (a walk must meet each once)
IDENTITY: dict[str, Callable[[dict[str, Any]], Any]] = {
    "/api/v1/sites": lambda item: item["key"],
    "/api/v1/urls": lambda item: item["url"],
    "/api/v1/reports": lambda item: (item["source"], item["source_report_id"]),
    "/api/v1/brands": lambda item: item["brand"],
    "/api/v1/distributors": lambda item: item["distributor"],
}


def _client(web: Web, role: str) -> TestClient:
    return TestClient(web.app, headers={"Authorization": f"Bearer {web.tokens[role]}"})


def _scalar(web: Web, sql: str, **values: Any) -> Any:
    with web.engine.connect() as connection:
        return connection.execute(text(sql), values).scalar_one()


def _walk(client: TestClient, path: str, limit: int, **params: Any) -> tuple[list[Any], int]:
    """Every item of a list, page by page; and the total every page said."""
    items: list[Any] = []
    totals = set()
    offset = 0
    while True:
        response = client.get(path, params={**params, "limit": limit, "offset": offset})
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["limit"], body["offset"]) == (limit, offset)
        totals.add(body["total"])
        items += body["items"]
        assert len(body["items"]) <= limit
        offset += limit
        if offset >= body["total"]:
            assert len(client.get(path, params={**params, "offset": offset}).json()["items"]) == 0
            break
    assert len(totals) == 1, totals
    return items, totals.pop()


# --- paging ---------------------------------------------------------------------------------

EXPECTED_TOTALS = {
    "/api/v1/sites": "SELECT count(*) FROM sites",
    "/api/v1/urls": "SELECT count(*) FROM urls",
    "/api/v1/reports": (
        "SELECT count(*) FROM reports r JOIN sources s ON s.id = r.source_id WHERE s.code = 'HL-A'"
    ),
    "/api/v1/brands": "SELECT count(*) FROM brands WHERE retired_at IS NULL",
    "/api/v1/distributors": "SELECT count(*) FROM distributors WHERE retired_at IS NULL",
}


@pytest.mark.parametrize("path", LISTS)
def test_a_walk_page_by_page_returns_every_row_once(web: Web, path: str) -> None:
    api = _client(web, "analyst")
    expected = _scalar(web, EXPECTED_TOTALS[path])
    assert expected > 0
    first = api.get(path, params={"limit": 500}).json()
    limit = max(1, first["total"] // 6)  # about six pages, the last one partial
    items, total = _walk(api, path, limit)
    keys = [IDENTITY[path](item) for item in items]
    assert total == expected == len(keys) == len(set(keys))
    if total <= 500:
        assert keys == [IDENTITY[path](item) for item in first["items"]]


def test_lists_read_as_people_read_them(web: Web) -> None:
    api = _client(web, "viewer")
    for path in LISTS:
        body = api.get(path, params={"limit": 500}).text
        assert "http://" not in body, path
        assert "https://" not in body, path
    site = api.get("/api/v1/sites", params={"q": web.site}).json()["items"][0]
    assert site["key"] == web.site
    assert site["shown"] == web.site.replace(".", "[.]")
    assert site["brand"] == web.brand
    assert site["distributor"] == web.distributor
    assert site["urls"] == _scalar(
        web, "SELECT count(*) FROM urls u JOIN sites s ON s.id = u.site_id WHERE s.key = :k",
        k=web.site,
    )  # fmt: skip
    assert site["reports"] >= 2
    assert site["first_seen"] <= site["last_seen"]
    url = api.get("/api/v1/urls", params={"site": web.site, "limit": 1}).json()["items"][0]
    assert url["url"].startswith("hxxp")
    assert url["site"]["key"] == web.site


# --- filters --------------------------------------------------------------------------------


def test_site_filters_keep_what_they_say(web: Web) -> None:
    api = _client(web, "viewer")
    country = _scalar(web, "SELECT country FROM site_hosting GROUP BY country "
                      "ORDER BY count(*) DESC, country LIMIT 1")  # fmt: skip
    items, total = _walk(api, "/api/v1/sites", 50, country=country.lower())
    assert total == _scalar(web, "SELECT count(*) FROM site_hosting WHERE country = :c", c=country)
    assert {item["country"] for item in items} == {country}

    items, total = _walk(api, "/api/v1/sites", 50, brand=web.brand)
    assert total == _scalar(web, "SELECT count(*) FROM site_attribution WHERE brand_id = :b",
                            b=int(web.brand[1:]))  # fmt: skip
    assert {item["brand"] for item in items} == {web.brand}

    items, total = _walk(api, "/api/v1/sites", 50, distributor=web.distributor.upper())
    assert total >= 1
    assert {item["distributor"] for item in items} == {web.distributor}

    part = web.site.split(".")[0][1:5]
    items, total = _walk(api, "/api/v1/sites", 50, q=part)
    assert web.site in {item["key"] for item in items}
    assert total <= _scalar(web, "SELECT count(*) FROM sites")


def test_site_first_seen_filters_are_inclusive_days(web: Web) -> None:
    api = _client(web, "viewer")
    everything, _ = _walk(api, "/api/v1/sites", 500)
    seen = sorted(item["first_seen"][:10] for item in everything if item["first_seen"])
    middle = seen[len(seen) // 2]
    since, _ = _walk(api, "/api/v1/sites", 500, since=middle)
    until, _ = _walk(api, "/api/v1/sites", 500, until=middle)
    days = {item["key"]: (item["first_seen"] or "")[:10] for item in everything}
    assert {i["key"] for i in since} == {key for key, day in days.items() if day >= middle}
    assert {i["key"] for i in until} == {key for key, day in days.items() if day and day <= middle}
    both, _ = _walk(api, "/api/v1/sites", 500, since=middle, until=middle)
    assert {i["first_seen"][:10] for i in both} == {middle}


def test_url_and_report_filters(web: Web) -> None:
    api = _client(web, "analyst")
    items, total = _walk(api, "/api/v1/urls", 20, site=f"https://www.{web.site}/anything")
    assert total == _scalar(
        web, "SELECT count(*) FROM urls u JOIN sites s ON s.id = u.site_id WHERE s.key = :k",
        k=web.site,
    )  # fmt: skip
    assert {item["site"]["key"] for item in items} == {web.site}
    host = _scalar(web, "SELECT u.host FROM urls u JOIN sites s ON s.id = u.site_id "
                   "WHERE s.key = :k ORDER BY u.id LIMIT 1", k=web.site)  # fmt: skip
    items, total = _walk(api, "/api/v1/urls", 20, host=host.replace(".", "[.]"))
    assert total == _scalar(web, "SELECT count(*) FROM urls WHERE host = :h", h=host)
    assert {item["host"] for item in items} == {host.replace(".", "[.]")}

    mine = api.get("/api/v1/reports", params={"site": web.site}).json()
    theirs = _client(web, "other").get("/api/v1/reports", params={"site": web.site}).json()
    assert mine["total"] > 0
    assert theirs["total"] > 0
    assert mine["total"] + mine["other_organisations"] == _scalar(
        web, "SELECT count(*) FROM reports r JOIN urls u ON u.id = r.url_id "
        "JOIN sites s ON s.id = u.site_id WHERE s.key = :k", k=web.site,
    )  # fmt: skip
    assert mine["total"] + mine["other_organisations"] == (
        theirs["total"] + theirs["other_organisations"]
    )
    url = mine["items"][0]["url"]  # defanged: read back as typed
    one = api.get("/api/v1/reports", params={"url": url}).json()
    assert one["total"] >= 1
    assert {item["url"] for item in one["items"]} == {url}


def test_brand_and_distributor_filters(web: Web) -> None:
    api = _client(web, "analyst")
    items, total = _walk(api, "/api/v1/brands", 20, distributor=web.distributor)
    assert total == _scalar(web, "SELECT count(*) FROM brands WHERE distributor_id = :d "
                            "AND retired_at IS NULL", d=int(web.distributor[1:]))  # fmt: skip
    assert {item["distributor"] for item in items} == {web.distributor}
    assert sum(item["sites"] for item in items) == next(
        d["sites"] for d in _walk(api, "/api/v1/distributors", 500)[0]
        if d["distributor"] == web.distributor
    )  # fmt: skip
    for kind, ref, path in (("brand", web.brand, "/api/v1/brands"),
                            ("distributor", web.distributor, "/api/v1/distributors")):  # fmt: skip
        label = f"Quillmoss {kind} listing"
        response = api.post(
            "/api/v1/clusters/label", json={"kind": kind, "id": ref, "label": label}
        )
        assert response.status_code == 200, response.text
        found = api.get(path, params={"label": "QUILLMOSS"}).json()
        assert found["total"] == 1
        assert found["items"][0][kind] == ref
        assert found["items"][0]["label"] == label
    retired = _scalar(web, "SELECT count(*) FROM brands")
    assert api.get("/api/v1/brands", params={"retired": "true"}).json()["total"] == retired


# --- errors ---------------------------------------------------------------------------------

BAD = [
    ("/api/v1/sites", {"limit": 0}),
    ("/api/v1/sites", {"limit": 501}),
    ("/api/v1/urls", {"offset": -1}),
    ("/api/v1/sites", {"brand": "x12"}),
    ("/api/v1/sites", {"distributor": "b3"}),
    ("/api/v1/sites", {"since": "last tuesday"}),
    ("/api/v1/sites", {"until": "2026-13-01"}),
    ("/api/v1/sites", {"country": "x" * 17}),
    ("/api/v1/brands", {"distributor": "d"}),
    ("/api/v1/brands", {"retired": "perhaps"}),
    ("/api/v1/reports", {"url": "http://[::1"}),
    ("/api/v1/exports/urls", {"format": "xml"}),
    ("/api/v1/jobs/1", {"limit": 10_000}),
]


@pytest.mark.parametrize(("path", "params"), BAD)
def test_bad_parameters_are_422_in_the_one_error_shape(
    web: Web, path: str, params: dict[str, Any]
) -> None:
    response = _client(web, "viewer").get(path, params=params)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["message"]


def test_unknown_things_are_404(web: Web) -> None:
    api = _client(web, "viewer")
    for path in ("/api/v1/exports/reports", "/api/v1/exports/nothing", "/api/v1/jobs/999999",
                 "/api/v1/sites/nowhere.test"):  # fmt: skip
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
    empty = api.get("/api/v1/urls", params={"site": "nowhere.test"}).json()
    assert (empty["items"], empty["total"]) == ([], 0)


# --- exports --------------------------------------------------------------------------------

EXPORT_TOTALS = {
    "sites": "SELECT count(*) FROM sites",
    "urls": "SELECT count(*) FROM urls",
    "selectors": "SELECT count(*) FROM site_selectors",
    "matches": "SELECT count(*) FROM hash_matches",
}


@pytest.mark.parametrize("kind", sorted(EXPORT_TOTALS))
def test_exports_are_the_cli_tables_as_attachments(web: Web, kind: str) -> None:
    api = _client(web, "viewer")
    response = api.get(f"/api/v1/exports/{kind}")
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == f'attachment; filename="{kind}.csv"'
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert len(rows) - 1 == _scalar(web, EXPORT_TOTALS[kind])
    assert "http://" not in response.text
    assert "https://" not in response.text  # defanged
    lines = api.get(f"/api/v1/exports/{kind}", params={"format": "jsonl"})
    assert lines.headers["content-disposition"] == f'attachment; filename="{kind}.jsonl"'
    records = [orjson.loads(line) for line in lines.text.splitlines()]
    assert len(records) == len(rows) - 1
    if records:
        assert list(records[0]) == rows[0]


def test_an_export_streams_in_batches_and_gives_values_as_stored_on_request(web: Web) -> None:
    from hotline.web import listing

    chunks = list(listing.export(web.engine, "urls", "csv", "org-a", defanged=False))
    expected = _scalar(web, EXPORT_TOTALS["urls"])
    assert len(chunks) == 1 + -(-expected // listing.EXPORT_BATCH)  # the header, then batches
    assert sum(chunk.count("\n") for chunk in chunks) == expected + 1
    stored = _client(web, "viewer").get("/api/v1/exports/urls", params={"defanged": "false"})
    assert "https://" in stored.text or "http://" in stored.text


def test_no_export_or_list_shows_another_organisations_reports(web: Web) -> None:
    other = _client(web, "other")
    own = _client(web, "analyst")
    paths = [*LISTS, *(f"/api/v1/exports/{kind}" for kind in EXPORT_TOTALS)]
    for path in paths:
        for params in ({}, {"format": "jsonl"}, {"defanged": "false"}, {"limit": 500}):
            body = other.get(path, params=params).text
            for needle in ("HL-A", "hl-a-", "web-000"):  # org-a's source and report ids
                assert needle not in body, (path, params, needle)
            mine = own.get(path, params=params).text
            assert "HL-B" not in mine, path
            assert "hl-b-" not in mine, path
    reports = own.get("/api/v1/reports", params={"limit": 500}).json()
    assert {item["source"] for item in reports["items"]} == {"HL-A"}
    urls = own.get("/api/v1/exports/urls", params={"format": "jsonl"}).text
    sources = {code for line in urls.splitlines() for code in orjson.loads(line)["sources"]}
    assert sources == {"HL-A"}


# --- the assessment -------------------------------------------------------------------------


def test_the_assessment_as_json_or_as_its_file(web: Web) -> None:
    analyst = _client(web, "analyst")
    found = analyst.post("/api/v1/assessment", json={})
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["headline"]
    assert body["sections"]
    assert all(section["title"] for section in body["sections"])
    assert "https://" not in found.text
    filed = analyst.post("/api/v1/assessment", params={"format": "html"},
                         json={"date_from": "2026-01-01", "date_to": "2026-12-31"})  # fmt: skip
    assert filed.status_code == 200
    assert filed.headers["content-disposition"] == 'attachment; filename="assessment.html"'
    assert "<svg" in filed.text
    charts = [chart for section in body["sections"] for chart in section["charts"]]
    assert charts, "the JSON carries the charts' data"
    assert all(len(s["values"]) == len(c["labels"]) for c in charts for s in c["series"])
    tables = analyst.post("/api/v1/assessment", params={"format": "csv"}, json={})
    assert tables.status_code == 200
    assert tables.headers["content-type"] == "application/zip"
    assert tables.content.startswith(b"PK")
    printed = analyst.post("/api/v1/assessment", params={"format": "pdf"}, json={})
    assert printed.status_code in (200, 503)  # 503: this machine has no PDF engine
    if printed.status_code == 200:
        assert printed.content.startswith(b"%PDF-")
    else:
        assert printed.json()["error"]["code"] == "no_pdf_engine"
    for bad in ({"as_of": "2999-01-01T00:00:00Z"}, {"date_from": "2026-12-31",
                                                    "date_to": "2026-01-01"}, [1, 2]):  # fmt: skip
        response = analyst.post("/api/v1/assessment", json=bad)
        assert response.status_code == 422, bad
        assert response.json()["error"]["code"] == "invalid"
    assert _client(web, "viewer").post("/api/v1/assessment", json={}).status_code == 403


# --- uploads of captures and passive DNS ----------------------------------------------------


def _tiny_warc(path: Path, site: str, broken: bool = False) -> Path:
    """One page of a reserved .test site; ``broken``: then a record that is not HTTP and a
    cut gzip member."""
    with WarcWriter(path, namespace=f"web-upload-{site}-{broken}") as writer:
        writer.warcinfo(WHEN, {"software": "hotline tests"})
        html = [("Content-Type", "text/html; charset=utf-8")]
        writer.response(f"https://{site}/", WHEN, 200, "OK", html, PAGE, "192.0.2.44")
        if broken:
            writer.raw_record(
                [("WARC-Type", "response"), ("WARC-Record-ID", writer.new_record_id()),
                 ("WARC-Date", "2026-11-04T10:00:00Z"), ("WARC-Target-URI", f"https://{site}/x"),
                 ("Content-Type", "application/http; msgtype=response"),
                 ("Content-Length", "31")],
                b"just some bytes, no status line",
            )  # fmt: skip
    if broken:
        with path.open("ab") as out:
            out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03truncated")
    return path


def _pdns(path: Path, host: str, broken: bool = False) -> Path:
    records = [
        {"rrname": f"{host}.", "rrtype": "A", "rdata": ["192.0.2.45"], "time_first": 1767225600,
         "time_last": 1767312000, "count": 4},
        {"rrname": f"www.{host}.", "rrtype": "AAAA", "rdata": ["2001:db8::45"],
         "time_first": 1767225600, "time_last": 1767398400, "count": 2},
    ]  # fmt: skip
    lines = [orjson.dumps(record).decode() for record in records]
    if broken:
        lines.insert(1, '{"rrname": "broken.test.", "rrtype": "A", "rdata": [')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _upload(web: Web, role: str, path: Path, kind: str) -> dict[str, Any]:
    """Upload ``path`` as ``kind`` and wait for its import to end; returns the job."""
    api = _client(web, role)
    response = api.post("/api/v1/imports", files={"file": (path.name, path.read_bytes())},
                        data={"kind": kind})  # fmt: skip
    assert response.status_code == 202, response.text
    assert response.json()["kind"] == kind
    return _finished(api, response.json()["job"])


def _finished(api: TestClient, job: int) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        found: dict[str, Any] = api.get(f"/api/v1/jobs/{job}").json()
        if found["status"] not in ("queued", "running") or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_a_warc_upload_is_imported_once(web: Web, tmp_path: Path) -> None:
    warc = _tiny_warc(tmp_path / "shop.warc.gz", "upload-warc.test")
    job = _upload(web, "analyst", warc, "captures")
    assert (job["status"], job["kind"]) == ("done", "captures"), job
    assert job["summary"]["new_captures"] == 1
    assert job["summary"]["rejected"] == 0
    assert job["refused"]["total"] == 0
    captures = _scalar(web, "SELECT count(*) FROM captures")
    again = _upload(web, "analyst", warc, "captures")
    assert again["status"] == "done"
    assert (again["summary"]["new_captures"], again["summary"]["known_captures"]) == (0, 1)
    assert _scalar(web, "SELECT count(*) FROM captures") == captures
    site = _client(web, "viewer").get("/api/v1/sites", params={"q": "upload-warc"}).json()
    assert [item["key"] for item in site["items"]] == ["upload-warc.test"]
    assert site["items"][0]["captures"] == 1


def test_a_pdns_upload_is_imported_once(web: Web, tmp_path: Path) -> None:
    pdns = _pdns(tmp_path / "shop.jsonl", "upload-pdns.test")
    rows = "SELECT count(*) FROM hosting_observations WHERE site_key = 'upload-pdns.test'"
    job = _upload(web, "analyst", pdns, "pdns")
    assert (job["status"], job["kind"]) == ("done", "pdns"), job
    assert (job["summary"]["records"], job["summary"]["rejected"]) == (2, 0)
    assert _scalar(web, rows) == 2
    again = _upload(web, "analyst", pdns, "pdns")
    assert again["status"] == "done"
    assert again["summary"]["records"] == 2
    assert _scalar(web, rows) == 2


def test_a_report_feed_is_still_the_default_kind_and_imported_once(
    web: Web, tmp_path: Path
) -> None:
    feed = tmp_path / "again.csv"
    feed.write_text(
        "source,source_report_id,reported_at,url\n"
        "HL-A,web-api-0001,2026-11-05T08:00:00Z,https://upload-feed.test/item/1\n",
        encoding="utf-8",
    )
    api = _client(web, "analyst")
    upload = {"file": (feed.name, feed.read_bytes())}
    first = _finished(api, api.post("/api/v1/imports", files=upload).json()["job"])
    assert (first["status"], first["kind"]) == ("done", "reports"), first
    assert first["summary"]["new_reports"] == 1
    again = _upload(web, "analyst", feed, "reports")
    assert again["summary"]["new_reports"] == 0
    assert again["summary"]["duplicate_reports"] == 1


def test_corrupt_uploads_land_in_the_quarantine_with_where_and_why(
    web: Web, tmp_path: Path
) -> None:
    warc = _tiny_warc(tmp_path / "broken.warc.gz", "upload-broken.test", broken=True)
    job = _upload(web, "analyst", warc, "captures")
    assert job["status"] == "done", job
    assert job["summary"]["new_captures"] == 1
    assert job["summary"]["rejected"] == 2
    refused = job["refused"]
    assert refused["total"] == 2
    assert sum(refused["by_reason"].values()) == 2
    for item in refused["items"]:
        assert item["record"] >= 1
        assert item["reason"]
        assert item["reason_code"]
    assert all("broken.warc.gz record" in item["where"] for item in refused["items"])

    pdns = _pdns(tmp_path / "broken.jsonl", "upload-broken-pdns.test", broken=True)
    job = _upload(web, "analyst", pdns, "pdns")
    assert job["status"] == "done", job
    assert job["summary"]["rejected"] == 1, job
    (item,) = job["refused"]["items"]
    assert item["line"] == 2
    assert item["where"].startswith("broken.jsonl line 2")
    assert item["reason"]
    # the refusals are the uploader's organisation's: another reads counts only
    other = _client(web, "other")
    assert other.get(f"/api/v1/jobs/{job['id']}").status_code == 404
    quarantine = other.get("/api/v1/quarantine", params={"limit": 500}).json()
    assert all("broken" not in entry["file"] for entry in quarantine["own"]["items"])


def test_uploads_are_checked_for_their_kind_and_the_right_to_import(
    web: Web, tmp_path: Path
) -> None:
    warc = _tiny_warc(tmp_path / "page.warc.gz", "upload-refused.test")
    analyst, viewer = _client(web, "analyst"), _client(web, "viewer")
    upload = {"file": (warc.name, warc.read_bytes())}
    for kind in ("reports", "pdns"):  # a WARC is neither a feed nor passive DNS
        response = analyst.post("/api/v1/imports", files=upload, data={"kind": kind})
        assert response.status_code == 422, kind
    response = analyst.post("/api/v1/imports", files=upload, data={"kind": "images"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert (
        viewer.post("/api/v1/imports", files=upload, data={"kind": "captures"}).status_code == 403
    )


def test_the_imports_page_offers_every_kind_and_shows_refusals(web: Web, tmp_path: Path) -> None:
    browser = web.browsers["analyst"]
    page = browser.get("/imports").text
    for kind in ("reports", "captures", "pdns"):
        assert f'<option value="{kind}"' in page
    pdns = _pdns(tmp_path / "page.jsonl", "upload-page.test", broken=True)
    response = browser.post("/imports", files={"file": (pdns.name, pdns.read_bytes())},
                            data={"kind": "pdns", "csrf": page_csrf(browser)})  # fmt: skip
    assert response.status_code == 303
    for thread in web.app.state.threads:
        thread.join(timeout=60)
    page = browser.get("/imports").text
    assert "pdns · page.jsonl" in page
    assert "page.jsonl line 2" in page
    assert "http://" not in page
    assert "https://" not in page
