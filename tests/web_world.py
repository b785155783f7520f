"""A small synthetic world behind the web application, for the web tests.

Two organisations: ``org-a`` owns the report source HL-A, ``org-b`` owns HL-B. In org-a a
viewer, an analyst and an admin; in org-b an analyst. Every user has a password and a write
token. The world (reports, captures, passive DNS, hosting, attribution) is the small
synthetic one every other stage is tested on.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hotline import pipeline
from hotline.accounts import credentials
from hotline.accounts.roles import Role, local_admin
from hotline.accounts.services import add_organisation, add_user
from hotline.captures.extractors.payments import ProcessorTable
from hotline.hosting import providers as provider_table
from hotline.hosting.enrich import EnrichOptions
from hotline.store.uow import unit_of_work
from hotline.synth.generate import generate
from hotline.web.security import CONTENT_SECURITY_POLICY

PASSWORD = "correct horse battery staple"  # noqa: S105 -- a test account's
ROLES = {
    "viewer": ("viewer-a", "org-a", Role.VIEWER),
    "analyst": ("analyst-a", "org-a", Role.ANALYST),
    "admin": ("admin-a", "org-a", Role.ADMIN),
    "other": ("analyst-b", "org-b", Role.ANALYST),
}
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def make_world(out: Path) -> Path:
    generate(41, "small", out)
    return out


def seed(engine: Engine, world: Path) -> dict[str, str]:
    """Load the world and the accounts; returns each role's write token."""
    seeder = local_admin("seeder")
    pipeline.import_reports(engine, seeder, [world / "reports.csv"])
    files = sorted((world / "captures").glob("*.warc.gz"))
    table = ProcessorTable.load(world / "processors.json")
    for _ in pipeline.import_captures(engine, seeder, files, table, workers=1):
        pass
    pipeline.save_providers(engine, seeder, provider_table.read_csv(world / "providers.csv"))
    pipeline.import_pdns(engine, seeder, [world / "pdns.jsonl"])
    geoip = world / "geoip"
    options = EnrichOptions(geoip_db=geoip / "country.mmdb", asn_db=geoip / "asn.mmdb",
                            cdn_lists=[world / "cdn.json"])  # fmt: skip
    pipeline.enrich(engine, seeder, options)
    pipeline.attribute(engine, seeder)
    tokens = {}
    with unit_of_work(engine) as connection:
        add_organisation(connection, seeder, "org-a", ["HL-A"])
        add_organisation(connection, seeder, "org-b", ["HL-B"])
        for role, (name, org, granted) in ROLES.items():
            add_user(connection, seeder, name, [(org, granted)])
            credentials.set_password(connection, seeder, name, PASSWORD)
            tokens[role] = credentials.issue_token(connection, seeder, name, "tests", "write")
    return tokens


def form_secret(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "no CSRF field in the form"
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> int:
    """Sign in through the form, as a browser does; returns the status of the POST."""
    secret = form_secret(client.get("/sign-in").text)
    response = client.post(
        "/sign-in",
        data={"name": name, "password": password, "csrf": secret},
        follow_redirects=False,
    )
    return int(response.status_code)


def page_csrf(client: TestClient) -> str:
    """The session's CSRF secret, as every page's sign-out form carries it."""
    return form_secret(client.get("/").text)


@dataclass
class Web:
    """The application over one seeded database, with a signed-in browser per role."""

    app: FastAPI
    engine: Engine
    url: str
    tokens: dict[str, str]
    browsers: dict[str, TestClient] = field(default_factory=dict)
    job: int = 0  # an import of org-a, for the routes that take a job id
    site: str = ""  # a site with reports of both organisations, attributed to a brand
    brand: str = ""
    distributor: str = ""


LINKS = re.compile(r'(href|src|action)="([^"]*)"')


def crawl(
    browser: TestClient,
    start: Iterable[str],
    limit: int,
    follow: tuple[str, ...],
    check: Callable[[str, str], None] = lambda path, body: None,
) -> set[str]:
    """Open pages from ``start``, following links that begin with ``follow``, up to ``limit``
    pages: each answers 200 under the Content-Security-Policy, holds no absolute URL, image
    or frame, and links, loads and posts only to this server; ``check(path, body)`` adds a
    test's own checks. Returns the paths opened."""
    queue, seen = list(start), set[str]()
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = browser.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        body = response.text
        for needle in ("http://", "https://", 'href="//', 'src="//', "<img", "<iframe"):
            assert needle not in body, (path, needle)
        check(path, body)
        for attribute, target in LINKS.findall(body):
            assert target.startswith("/"), (path, target)
            if attribute == "href" and target.startswith(follow):
                queue.append(html.unescape(target))
    return seen
