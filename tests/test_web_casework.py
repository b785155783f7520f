"""Casework in the web application, on SQLite and PostgreSQL, over the small synthetic world
of tests/test_web.py: the queue, case, notices and statistics pages render; an analyst
classifies through the form (CSRF) and through the API (token) and the decision shows on the
case page with the analyst; a viewer is refused every write; a decision's note reaches only
its own organisation; the statistics page shows what ``hotline.casework.queries.stats``
computes; and no casework page links or loads a reported URL."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from hotline.accounts import audit
from hotline.accounts.roles import local_admin
from hotline.casework import queries
from hotline.casework.advance import run
from hotline.casework.rules import default_rules
from hotline.urls import defang
from tests import test_web
from tests.web_world import LINKS, Web, crawl, form_secret

# the module fixtures of tests/test_web.py: the seeded world, built once per engine here too
database, world, web = test_web.database, test_web.world, test_web.web

GROUPS = ("overall", "country", "provider", "brand", "distributor")
ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
TAG = re.compile(r"<[^>]+>")
STAT_KEYS = {"key", "noticed", "removed", "from_report", "from_notice", "within_3_days",
             "never_removed", "reappeared"}  # fmt: skip


def _client(web: Web, role: str) -> TestClient:
    return TestClient(web.app, headers={"Authorization": f"Bearer {web.tokens[role]}"})


@pytest.fixture(scope="module")
def urls(web: Web) -> list[str]:
    """Reported URLs of org-a's source, one per site (the first 14 sites in key order)."""
    with web.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT min(u.canonical) FROM urls u JOIN reports r ON r.url_id = u.id "
                "JOIN sources s ON s.id = r.source_id JOIN sites si ON si.id = u.site_id "
                "WHERE s.code = 'HL-A' GROUP BY si.key ORDER BY si.key LIMIT 14"
            )
        ).all()
    found = [str(row[0]) for row in rows]
    assert len(found) == 14
    return found


@pytest.fixture(scope="module")
def worked(web: Web, urls: list[str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Casework done on the first eight URLs: classified through the API (six illegal, two
    not), a casework run writes the notices, analysts see three of them gone, and a second
    run records the removals."""
    api = _client(web, "analyst")
    for n, url in enumerate(urls[:8]):
        code = "baseline" if n < 6 else "not-illegal"
        body = {"target": url, "scheme": "interpol", "code": code, "note": f"worked {n}"}
        response = api.post("/api/v1/casework/decisions", json=body)
        assert response.status_code == 200, response.text
    out = tmp_path_factory.mktemp("notices")
    lead = local_admin("lead")
    run(web.engine, lead, default_rules(), out)
    for url in urls[:3]:
        response = api.post("/api/v1/casework/checks", json={"url": defang(url), "up": False})
        assert response.status_code == 200, response.text
    run(web.engine, lead, default_rules(), out)
    return out


def _cells(row: str) -> list[str]:
    return [html.unescape(TAG.sub("", cell)).strip() for cell in CELL.findall(row)]


def _table(body: str, ident: str) -> list[list[str]]:
    found = re.search(rf'<table id="{ident}">(.*?)</table>', body, re.S)
    assert found, f"no table {ident}"
    return [_cells(row) for row in ROW.findall(found.group(1)) if "<td" in row]


def _case_page(client: TestClient, url: str) -> str:
    response = client.get("/casework/case", params={"url": defang(url)})
    assert response.status_code == 200, response.text
    return str(response.text)


# --- pages ----------------------------------------------------------------------------------


def test_the_casework_pages_render(web: Web, urls: list[str], worked: Path) -> None:
    viewer = web.browsers["viewer"]
    assert 'href="/casework"' in viewer.get("/").text  # the nav leads to the queue
    queue = viewer.get("/casework")
    assert queue.status_code == 200
    assert "Waiting for a decision" in queue.text
    waiting = _client(web, "viewer").get("/api/v1/casework/queue", params={"limit": 500}).json()
    assert f"{waiting['total']:,} reported URL(s)" in queue.text
    assert waiting["items"][0]["url"] in html.unescape(queue.text)
    assert defang(urls[0]) not in {item["url"] for item in waiting["items"]}  # decided
    case = _case_page(viewer, urls[0])
    assert html.escape(defang(urls[0])) in case
    assert "interpol:baseline" in case
    assert "analyst-a" in case
    assert "Record my decision" not in case  # a viewer reads; no forms
    notices = viewer.get("/casework/notices")
    assert notices.status_code == 200
    listed = _client(web, "viewer").get("/api/v1/casework/notices").json()["items"]
    assert listed
    assert all(n["notice"] in notices.text for n in listed)
    for group in GROUPS:
        assert viewer.get("/casework/stats", params={"by": group}).status_code == 200
    assert viewer.get("/casework/case").status_code == 200  # the form to open a case
    lookup = viewer.get("/lookup", params={"q": urls[0]}).text
    assert "/casework/case?url=" in lookup


def test_the_case_page_shows_the_timeline_and_the_notices(
    web: Web, urls: list[str], worked: Path
) -> None:
    body = _case_page(web.browsers["viewer"], urls[0])
    timeline = _table(body, "timeline")
    assert "removed" in {row[1] for row in timeline}  # seen gone after its notice
    notices = _table(body, "notices")
    assert notices
    assert notices[0][0].startswith("N-")
    answer = _client(web, "viewer").get("/api/v1/casework/cases", params={"url": urls[0]}).json()
    assert answer["case"]["state"] == "removed"
    assert [row[1] for row in timeline] == [e["state"] for e in answer["timeline"]]


def test_an_analyst_classifies_through_the_form(web: Web, urls: list[str]) -> None:
    analyst, url = web.browsers["analyst"], urls[9]
    page = _case_page(analyst, url)
    assert 'id="classify"' in page
    assert '<option value="uk:A">' in page
    assert '<option value="projectvic:2">' in page
    data = {"url": defang(url), "decision": "uk:A", "note": "same as case 12",
            "csrf": form_secret(page)}  # fmt: skip
    response = analyst.post("/casework/classify", data=data)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/casework/case?url=hxxp")
    shown = analyst.get(response.headers["location"]).text
    assert "Decision recorded." in shown
    rows = _table(shown, "decisions")
    assert len(rows) == 1
    assert rows[0][1:5] == ["analyst-a", "org-a", "uk:A (category A)", "yes"]
    assert rows[0][6] == "same as case 12"  # the analyst's own organisation reads the note
    with web.engine.connect() as connection:
        events = list(audit.events(connection, action="casework.classify", actor="analyst-a"))
    assert any(e.object == url and e.outcome == "ok" for e in events)
    # the same decision again is recorded once; no CSRF secret, no decision
    assert analyst.post("/casework/classify", data={**data, "csrf": "forged"}).status_code == 403
    assert len(_table(_case_page(analyst, url), "decisions")) == 1


def test_an_analyst_classifies_through_the_api_and_the_note_stays_home(
    web: Web, urls: list[str]
) -> None:
    url = urls[10]
    answer = _client(web, "analyst").post(
        "/api/v1/casework/decisions",
        json={"target": defang(url), "scheme": "projectvic", "code": "1", "note": "kept at home"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body == {"target": defang(url), "kind": "url", "scheme": "projectvic", "code": "1",
                    "label": "category 1", "illegal": True, "new": True,
                    "analyst": "analyst-a", "organisation": "org-a"}  # fmt: skip
    own = _client(web, "viewer").get("/api/v1/casework/cases", params={"url": url}).json()
    other = _client(web, "other").get("/api/v1/casework/cases", params={"url": url}).json()
    assert own["decisions"][0]["note"] == "kept at home"
    assert other["decisions"][0]["note"] is None  # org-b reads the decision, not the note
    assert other["decisions"][0]["analyst"] == "analyst-a"
    assert own["counted"]["scheme"] == "projectvic"
    assert own["counted"]["analysts"] == ["analyst-a"]
    page = _case_page(web.browsers["analyst"], url)
    assert "analyst-a" in page
    assert "projectvic:1" in page
    assert "kept at home" in page
    assert "kept at home" not in _case_page(web.browsers["other"], url)


def test_a_viewer_is_refused_every_write(web: Web, urls: list[str]) -> None:
    url = urls[11]
    api = _client(web, "viewer")
    for path, body in (
        ("/api/v1/casework/decisions", {"target": url, "scheme": "interpol", "code": "baseline"}),
        ("/api/v1/casework/checks", {"url": url, "up": False}),
        ("/api/v1/casework/clearances", {"url": url}),
    ):
        response = api.post(path, json=body)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["error"]["code"] == "forbidden"
    browser = web.browsers["viewer"]
    csrf = form_secret(browser.get("/").text)
    for path, data in (
        ("/casework/classify", {"url": url, "decision": "interpol:baseline"}),
        ("/casework/check", {"url": url, "seen": "down"}),
        ("/casework/clear", {"url": url}),
    ):
        assert browser.post(path, data={**data, "csrf": csrf}).status_code == 403, path
    case = _client(web, "analyst").get("/api/v1/casework/cases", params={"url": url}).json()
    assert case["decisions"] == []
    assert case["counted"] is None
    with web.engine.connect() as connection:
        refused = list(audit.events(connection, actor="viewer-a", action="casework."))
    assert {e.action for e in refused if e.outcome == "refused"} >= {
        "casework.classify", "casework.check", "casework.clear"}  # fmt: skip


def test_checks_and_clearances_through_the_form(web: Web, urls: list[str]) -> None:
    analyst, url = web.browsers["analyst"], urls[12]
    csrf = form_secret(_case_page(analyst, url))
    done = analyst.post("/casework/check", data={"url": defang(url), "seen": "down",
                                                 "csrf": csrf})  # fmt: skip
    assert done.status_code == 303
    assert done.headers["location"].endswith("done=down")
    cleared = analyst.post("/casework/clear", data={"url": url, "csrf": csrf})
    assert cleared.status_code == 303
    assert cleared.headers["location"].endswith("done=cleared")
    with web.engine.connect() as connection:
        events = audit.events(connection, actor="analyst-a", action="casework.")
        actions = {e.action for e in events if e.object == url}
    assert {"casework.check", "casework.clear"} <= actions


def test_bad_input_gets_the_one_error_shape(web: Web, urls: list[str]) -> None:
    api = _client(web, "analyst")
    for method, path, kwargs, status in (
        ("GET", "/api/v1/casework/cases", {"params": {"url": "https://never.test/x"}}, 404),
        ("GET", "/api/v1/casework/cases", {"params": {"url": "sha256:" + "0" * 64}}, 422),
        ("GET", "/api/v1/casework/cases", {"params": {"url": "ftp://["}}, 422),
        ("GET", "/api/v1/casework/stats", {"params": {"by": "planet"}}, 422),
        ("GET", "/api/v1/casework/queue", {"params": {"offset": 10_001}}, 422),
        ("POST", "/api/v1/casework/decisions",
         {"json": {"target": urls[13], "scheme": "interpol", "code": "9"}}, 422),
        ("POST", "/api/v1/casework/decisions",
         {"json": {"target": urls[13], "scheme": "nowhere", "code": "A"}}, 422),
        ("POST", "/api/v1/casework/decisions",
         {"json": {"target": "https://never.test/x", "scheme": "uk", "code": "A"}}, 404),
        ("POST", "/api/v1/casework/decisions",
         {"json": {"target": "sha256:xyz", "scheme": "uk", "code": "A"}}, 422),
        ("POST", "/api/v1/casework/checks",
         {"json": {"url": urls[13], "up": True, "at": "2999-01-01T00:00:00Z"}}, 422),
        ("POST", "/api/v1/casework/checks",
         {"json": {"url": urls[13], "up": True, "at": "2026-01-01T00:00:00"}}, 422),
    ):  # fmt: skip
        response = api.request(method, path, **kwargs)
        assert response.status_code == status, (path, kwargs, response.text)
        error = response.json()["error"]
        assert error["status"] == status
        assert error["message"]
        assert "https://" not in response.text
        assert "http://" not in response.text
    case = api.get("/api/v1/casework/cases", params={"url": urls[13]}).json()
    assert case["decisions"] == []


# --- lists ----------------------------------------------------------------------------------


def test_the_queue_pages_through_every_waiting_url_once(web: Web, worked: Path) -> None:
    api = _client(web, "viewer")
    first = api.get("/api/v1/casework/queue", params={"limit": 500}).json()
    seen: list[str] = []
    offset = 0
    while offset < first["total"]:
        page = api.get("/api/v1/casework/queue", params={"limit": 97, "offset": offset}).json()
        assert (page["limit"], page["offset"], page["total"]) == (97, offset, first["total"])
        seen += [item["url"] for item in page["items"]]
        offset += 97
    assert seen[:500] == [item["url"] for item in first["items"]]
    assert len(seen) == len(set(seen)) == first["total"]
    assert all(url.startswith("hxxp") for url in seen)


@pytest.mark.parametrize("group", GROUPS)
def test_the_statistics_page_shows_what_the_queries_compute(
    web: Web, worked: Path, group: str
) -> None:
    with web.engine.connect() as connection:
        expected = queries.stats(connection, group)
    assert expected, "the worked cases were noticed"
    body = web.browsers["viewer"].get("/casework/stats", params={"by": group}).text
    rows = _table(body, "from-notice")
    assert len(rows) == len(expected)
    for row, stat in zip(rows, expected, strict=True):
        assert row[0].split(" ")[0] == stat.key
        median = stat.median_from_notice
        assert row[1:] == [
            f"{stat.noticed:,}",
            f"{stat.removed:,}",
            *(f"{stat.from_notice[b]:,}" for b in queries.BUCKETS),
            f"{median:,.1f}" if median is not None else "—",
            f"{stat.within_3_days:.1%}",
            f"{stat.never_removed:.1%}",
            f"{stat.reappeared:,}",
        ]
    for row, stat in zip(_table(body, "from-report"), expected, strict=True):
        median = stat.median_from_report
        assert row[1:] == [
            f"{stat.noticed:,}",
            *(f"{stat.from_report[b]:,}" for b in queries.BUCKETS),
            f"{median:,.1f}" if median is not None else "—",
        ]
    answer = _client(web, "viewer").get("/api/v1/casework/stats", params={"by": group}).json()
    assert answer["total"] == len(expected)
    assert [{k: v for k, v in item.items() if k in STAT_KEYS} for item in answer["items"]] == [
        {"key": s.key, **s.as_dict()} for s in expected
    ]
    if group == "overall":
        overall = expected[0]
        assert overall.noticed == 6
        assert overall.removed == 3


def test_notices_list_newest_first_and_page(web: Web, worked: Path) -> None:
    api = _client(web, "viewer")
    every = api.get("/api/v1/casework/notices", params={"limit": 500}).json()
    assert every["items"]
    assert every["more"] is False
    stamps = [n["created_at"] for n in every["items"]]
    assert stamps == sorted(stamps, reverse=True)
    first = api.get("/api/v1/casework/notices", params={"limit": 1}).json()
    assert first["items"] == every["items"][:1]
    assert first["more"] is (len(every["items"]) > 1)
    assert all("directory" not in n for n in every["items"])  # server paths stay there


# --- content-free pages ---------------------------------------------------------------------


def test_no_casework_page_links_or_loads_a_reported_url(
    web: Web, urls: list[str], worked: Path
) -> None:
    """Crawl the casework pages from the queue, the notices and the statistics: no absolute
    URL anywhere in a page, every link, script and form points at this server, and a link to
    a case names its URL defanged."""
    browser = web.browsers["admin"]
    start = ["/casework", "/casework/notices", "/casework/case",
             *(f"/casework/stats?by={g}" for g in GROUPS),
             *(f"/casework/case?url={u}" for u in urls[:3])]  # fmt: skip

    def nothing_reported(path: str, body: str) -> None:
        for url in urls:
            assert url not in html.unescape(body), (path, url)
        for _, target in LINKS.findall(body):
            plain = unquote(html.unescape(target))
            assert not re.search(r"(?i)\bhttps?://", plain), (path, target)

    seen = crawl(browser, start, 80, ("/casework",), nothing_reported)
    assert any(p.startswith("/casework/case?url=hxxp") for p in seen)
    assert len(seen) > 10
