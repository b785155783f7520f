"""Phenomena of real captures in the synthetic world: each one shows in the captures when it is
switched on, and none of them moves a byte when all are off.

Every world here is small (about a second to write) and read back the way hotline reads
captures: ``read_warc`` for the raw responses, ``read_capture_file`` with the default
extractors for the selectors a deployment would find. The selector dump must stay "what a
correct extractor finds as evidence": decoys on normal pages in it, decoy pages and
decorations out of it.
"""

from __future__ import annotations

import csv
import hashlib
import ipaddress
import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import maxminddb
import orjson
import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from hotline.attribution.domain_words import plain_label
from hotline.captures.altcoins import classify_altcoin
from hotline.captures.extractors import (
    Processor,
    ProcessorTable,
    default_extractors,
    extract_all,
)
from hotline.captures.http import parse_http
from hotline.captures.page import CapturedPage
from hotline.captures.warc_reader import WarcRecord, read_warc
from hotline.cli.app import app
from hotline.intake.models import Site, Url
from hotline.intake.services import ReportImporter
from hotline.synth.baseline import read_selector_dump
from hotline.synth.generate import generate
from hotline.synth.html import ITEM_ADJECTIVES, SECTION_SEPARATORS, SECTIONS, SHARED_ITEMS
from hotline.synth.names import CYRILLIC_FOR
from hotline.synth.phenomena import MERCHANT_FIELDS, PHENOMENA, parse_phenomena
from hotline.synth.scales import SCALES
from hotline.synth.world import World
from hotline.urls import CanonicalURL, canonicalize
from tests.test_synth_world import (
    _EMAIL_DOMAIN,
    _IPV4,
    _REAL_TLD,
    _URL_HOST,
    ALLOWED_NETS,
    RESERVED_SUFFIXES,
    _text_blobs,
)

SEED = 2013
# SHA-256 of text files of `hotline synth --seed 3 --scale small` as written before phenomena
# existed: cached benchmark worlds and documented numbers depend on these bytes. (The WARC
# files are compared run against run instead: their bytes also depend on the zlib build.)
# selectors.jsonl changed once on purpose: it gained one line per non-commercial site, the
# name its title shows after the site type ("Forum | <name>"), since the brand extractor
# reads a title's last part when the first is a generic word; no other line changed. And
# once more: each doorway gained a ("redirect", "<doorway>><target>") line beside its
# gateway (the doorway sent its visitors on by itself).
CLASSIC_SEED_3 = {
    "reports.csv": "9a8771639198f408436c35a062ec1f07080ba5cc92e095fec942bbb73cfde585",
    "selectors.jsonl": "4137bf2b664aa77611c059cfbbd9492c4ec01b84e1263785d404504ddbd11b1b",
    "pdns.jsonl": "5365250cf1832e435b51bee58b51738dd9ad33c6bda09cfdb755890770c36733",
}
SECTION_WORDS = frozenset(section.lower() for section in SECTIONS)
ITEM_WORDS = re.compile(
    "(?:"
    + "|".join(a.lower() for a in ITEM_ADJECTIVES)
    + r") [a-z]+ \d+|"
    + "|".join(item.lower() for item in SHARED_ITEMS)
)
# Only the page renderer writes this exact viewport tag: it tells normal pages from decoys.
_NORMAL_PAGE = b'<meta name="viewport" content="width=device-width">'
_KINDS = frozenset(
    {
        "brand_text",
        "analytics",
        "btc_address",
        "crypto_address",
        "merchant_id",
        "affiliate",
        "email",
        "script_host",
        "payment_host",
        "credit",
    }
)


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@dataclass
class Response:
    uri: str
    site: str
    status: int
    server: str
    location: str | None
    body: bytes

    @property
    def normal(self) -> bool:
        return self.status == 200 and _NORMAL_PAGE in self.body


def _redirecting(body: bytes) -> bool:
    """A doorway's own page: a meta refresh or a script setting the location."""
    return b'http-equiv="refresh"' in body or b"window.location" in body


@dataclass
class Seen:
    """A world read back from its WARC files, with its truth and selector dump."""

    path: Path
    truth: dict[str, Any]
    responses: list[Response]
    # site → what the extractors find on its normal pages (run directly on each page, so
    # what the capture pipeline does with decoy pages does not enter here)
    found: defaultdict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    dump: defaultdict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))

    def site(self, key: str) -> dict[str, Any]:
        entry: dict[str, Any] = self.truth["sites"][key]
        return entry

    def distributor(self, key: str) -> str | None:
        value: str | None = self.site(key)["distributor"]
        return value

    def html(self) -> list[Response]:
        return [r for r in self.responses if r.body.lstrip().startswith(b"<")]

    def decoys(self) -> list[Response]:
        """Pages served in place of the site's own (a gateway's redirecting page is no decoy)."""
        return [r for r in self.html() if not r.normal and not _redirecting(r.body)]

    def showing(self, text: str, pages: list[Response] | None = None) -> set[str]:
        """Sites whose pages (normal ones unless given) hold ``text``."""
        needle = text.encode()
        pool = pages if pages is not None else [r for r in self.html() if r.normal]
        return {r.site for r in pool if needle in r.body}

    def dumped(self, kind: str, value: str) -> set[str]:
        return {site for site, values in self.dump.items() if (kind, value) in values}

    def truth_brand_text(self, site: str) -> str:
        brand = self.site(site)["brand"]
        text: str = next(b["brand_text"] for b in self.truth["brands"] if b["id"] == brand)
        return text

    def owners(self, sites: set[str]) -> set[str | None]:
        return {self.distributor(site) for site in sites}


def _read(path: Path) -> Seen:
    truth = orjson.loads((path / "truth.json").read_bytes())
    processors = json.loads((path / "processors.json").read_text())
    table = ProcessorTable(Processor(p["host"], p["name"], p["method"]) for p in processors)
    extractors = default_extractors(table)
    seen = Seen(path, truth, [])
    for file in sorted((path / "captures").glob("*.warc.gz")):
        with file.open("rb") as stream:
            for record in read_warc(stream):
                assert isinstance(record, WarcRecord), record
                if record.type != "response":
                    continue
                message = parse_http(record.block)
                uri = record.headers["warc-target-uri"]
                url = canonicalize(uri)
                assert isinstance(url, CanonicalURL), uri
                response = Response(
                    uri,
                    url.site,
                    message.status,
                    message.header("Server") or "",
                    message.header("Location"),
                    message.body,
                )
                seen.responses.append(response)
                if response.normal:
                    page = CapturedPage.parse(url.url, url.host, url.site, message.body.decode())
                    seen.found[url.site].update(
                        (s.kind, s.value) for s in extract_all(page, extractors) if s.kind in _KINDS
                    )
    for site, kind, value in read_selector_dump(path / "selectors.jsonl"):
        seen.dump[site].add((kind, value))
    return seen


_WORLDS: dict[str, Seen] = {}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Seen]:
    """A small world with the given phenomena (``all`` or ``a,b``), written and read once."""

    def made(names: str) -> Seen:
        if names not in _WORLDS:
            path = tmp_path_factory.mktemp(names.replace(",", "-"))
            generate(SEED, "small", path, phenomena=parse_phenomena(names))
            _WORLDS[names] = _read(path)
        return _WORLDS[names]

    return made


# -- off means off ---------------------------------------------------------------------------


def test_without_phenomena_the_world_keeps_its_bytes(tmp_path: Path) -> None:
    classic, none, empty = tmp_path / "classic", tmp_path / "none", tmp_path / "empty"
    generate(3, "small", classic)
    generate(3, "small", none, phenomena=parse_phenomena("none"))
    generate(3, "small", empty, phenomena=frozenset())
    assert _digests(classic) == _digests(none) == _digests(empty)
    digests = _digests(classic)
    for name, digest in CLASSIC_SEED_3.items():
        assert digests[name] == digest, name
    truth = orjson.loads((classic / "truth.json").read_bytes())
    assert "phenomena" not in truth["meta"]
    assert all("phenomena" not in entry for entry in truth["sites"].values())


def test_same_seed_and_phenomena_give_the_same_bytes(tmp_path: Path) -> None:
    generate(5, "small", tmp_path / "a", phenomena=PHENOMENA)
    generate(5, "small", tmp_path / "b", phenomena=PHENOMENA)
    generate(5, "small", tmp_path / "c")
    first = _digests(tmp_path / "a")
    assert first == _digests(tmp_path / "b")
    classic = _digests(tmp_path / "c")
    assert all(first[name] != classic[name] for name in ("reports.csv", "selectors.jsonl"))


def test_rate_scale_multiplies_the_drawn_rates_and_one_changes_nothing(tmp_path: Path) -> None:
    plain = World(SEED, SCALES["small"], PHENOMENA)
    harsh = World(SEED, SCALES["small"], PHENOMENA, rate_scale=2.0)
    assert plain.effects is not None
    assert harsh.effects is not None
    base, doubled = plain.effects.rates, harsh.effects.rates
    assert base.keys() == doubled.keys()
    for key, rate in base.items():
        if isinstance(rate, int):  # a count (clients, links): rounded
            assert doubled[key] == round(rate * 2), key
        else:  # a share: capped at 1
            assert doubled[key] == pytest.approx(min(1.0, rate * 2)), key
    assert any(doubled[k] == 1.0 for k in base)  # some share reached the cap
    # the truth says how the world was made; a scale of 1 leaves every byte as it was
    assert harsh.effects.truth()["rate_scale"] == 2.0
    assert "rate_scale" not in plain.effects.truth()
    generate(5, "small", tmp_path / "one", phenomena=PHENOMENA, rate_scale=1.0)
    generate(5, "small", tmp_path / "default", phenomena=PHENOMENA)
    assert _digests(tmp_path / "one") == _digests(tmp_path / "default")
    # a harsher world shows more of what fools attribution
    generate(5, "small", tmp_path / "two", phenomena=PHENOMENA, rate_scale=2.0)
    touched = [
        sum(
            orjson.loads((tmp_path / name / "truth.json").read_bytes())["meta"]["phenomena"][
                "sites"
            ].values()
        )
        for name in ("one", "two")
    ]
    assert touched[1] > touched[0]
    with pytest.raises(ValueError, match="rate_scale"):
        World(SEED, SCALES["small"], PHENOMENA, rate_scale=0)


def test_a_phenomenon_moves_no_other_one() -> None:
    """Each phenomenon draws from its own streams: switching another one on changes none of
    its choices."""
    alone = World(SEED, SCALES["small"], {"error_pages"})
    together = World(SEED, SCALES["small"], {"error_pages", "parked", "logo_alt", "challenge"})
    fates = {s.key: s.fate for s in alone.sites() if s.fate is not None}
    both = {s.key: s.fate for s in together.sites() if s.fate and s.fate.kind == "error_pages"}
    # parked takes precedence on a site that both take down; every other error fate stays
    assert fates
    assert all(both[key] == fate for key, fate in fates.items() if key in both)
    assert len(both) >= len(fates) // 2


def test_names_are_checked() -> None:
    assert parse_phenomena("all") == frozenset(PHENOMENA)
    assert parse_phenomena("none") == parse_phenomena("") == frozenset()
    assert parse_phenomena(" parked , logo_alt ") == {"parked", "logo_alt"}
    with pytest.raises(ValueError, match="valid: all, none, error_pages"):
        parse_phenomena("parked,bogus")
    with pytest.raises(ValueError, match="bogus"):
        World(1, SCALES["small"], {"bogus"})


def test_cli_refuses_unknown_phenomena_and_records_known_ones(tmp_path: Path) -> None:
    runner = CliRunner()
    refused = runner.invoke(app, ["synth", "--phenomena", "bogus", "--out", str(tmp_path / "x")])
    assert refused.exit_code == 2
    assert "bogus" in refused.output
    assert not (tmp_path / "x").exists()
    helped = runner.invoke(app, ["synth", "--help"], env={"COLUMNS": "200"})
    assert all(name in helped.output for name in PHENOMENA)
    made = runner.invoke(
        app,
        ["synth", "--phenomena", "parked,logo_alt", "--seed", "4", "--out", str(tmp_path / "w")],
    )
    assert made.exit_code == 0, made.output
    assert "with parked, logo_alt" in re.sub(r"\s+", " ", made.output)
    meta = orjson.loads((tmp_path / "w" / "truth.json").read_bytes())["meta"]
    assert meta["phenomena"]["names"] == ["parked", "logo_alt"]
    assert set(meta["phenomena"]["rates"]) == {"parked.sites", "parked.only", "logo_alt.sites"}
    out = tmp_path / "harsh"
    zero = runner.invoke(
        app, ["synth", "--phenomena", "all", "--rate-scale", "0", "--out", str(out)]
    )
    assert zero.exit_code == 2
    alone = runner.invoke(app, ["synth", "--rate-scale", "2", "--out", str(out)])
    assert alone.exit_code == 2
    assert "--phenomena" in alone.output
    assert not out.exists()
    harsh = runner.invoke(
        app,
        ["synth", "--phenomena", "parked", "--rate-scale", "2", "--seed", "4", "--out", str(out)],
    )
    assert harsh.exit_code == 0, harsh.output
    rates = orjson.loads((out / "truth.json").read_bytes())["meta"]["phenomena"]
    assert rates["rate_scale"] == 2.0
    assert rates["rates"]["parked.sites"] == pytest.approx(
        2 * meta["phenomena"]["rates"]["parked.sites"]
    )


# -- each phenomenon shows in the captures ------------------------------------------------------

_ERROR_TEXTS = (
    b"<title>404 Not Found</title>",
    b"<h1>Not Found</h1>",
    b"410 Gone",
    b"Service Unavailable",
    b"Service Temporarily Unavailable",
    b"Bad Gateway",
    b"Internal Server Error",
    b"Page not found",
    b"Welcome to nginx!",
    b"It works!",
    b"Index of /",
    b"Something went wrong",
    b"Server Error",
    b"back soon",
    b"be found",
    b"Maintenance",
    b"Not Found",
    b"has been removed",
    b"Error</title>",
    b"went wrong",
    b'class="error-page"',
)


def _is_error(response: Response) -> bool:
    return not response.normal and any(text in response.body for text in _ERROR_TEXTS)


def test_error_pages(world: Callable[[str], Seen]) -> None:
    seen = world("error_pages")
    errors = [r for r in seen.decoys() if _is_error(r)]
    assert len(errors) == len(seen.decoys())
    assert {r.status for r in errors} >= {200, 404, 503}
    soft = [r for r in errors if r.status == 200]
    assert soft  # soft 404s and default server pages
    by_title: defaultdict[bytes, set[str | None]] = defaultdict(set)
    for response in errors:
        title = re.search(rb"<title>(.*?)</title>", response.body)
        if title:
            by_title[title.group(1)].add(seen.site(response.site)["brand"])
    assert max(len(brands) for brands in by_title.values()) >= 2  # one text, many brands
    pages: defaultdict[str, list[Response]] = defaultdict(list)
    for response in seen.html():
        if response.normal or response in errors:  # not a gateway's meta refresh
            pages[response.site].append(response)
    only_errors = [site for site, rs in pages.items() if all(not r.normal for r in rs)]
    assert only_errors  # some sites were captured only as errors
    for site in only_errors:
        assert "error_pages" in seen.site(site)["phenomena"]
        assert seen.site(site)["brand"] is not None  # truth unchanged: still the brand's
        assert {kind for kind, _ in seen.dump[site]} <= {"ip", "nameserver", "gateway"}, site
    assert seen.truth["meta"]["phenomena"]["pages"]["error_pages"] == len(errors)


def test_parked(world: Callable[[str], Seen]) -> None:
    seen = world("parked")
    parked = [r for r in seen.decoys() if b"This domain may be for sale" in r.body]
    assert parked
    assert len(parked) == len(seen.decoys())
    assert all(r.status == 200 for r in parked)
    assert all(re.search(rb"<title>[^<]*(parked|is for sale)</title>", r.body) for r in parked)
    assert all(b"Buy this domain" in r.body for r in parked)
    widest = 0
    for company in seen.truth["meta"]["phenomena"]["actors"]["parking"]:
        partner = company["partner"]
        carriers = seen.showing(company["analytics"], parked) & seen.showing(partner, parked)
        widest = max(widest, len(seen.owners(carriers)))
        assert not seen.dumped("analytics", company["analytics"])  # never evidence
        assert not seen.dumped("affiliate", partner)
    assert widest >= 2  # one parking company on unrelated distributors' domains


def test_suspended(world: Callable[[str], Seen]) -> None:
    seen = world("suspended")
    suspended = [r for r in seen.decoys() if b"This account has been suspended." in r.body]
    assert suspended
    assert len(suspended) == len(seen.decoys())
    assert {r.status for r in suspended} <= {200, 503}
    emails = {m.decode() for r in suspended for m in re.findall(rb"mailto:([^\"]+)", r.body)}
    assert emails
    assert all(email.endswith("-host.example") for email in emails)
    assert all(not seen.dumped("email", email) for email in emails)
    # a small world may hold a single suspended site (most sites go down late in their
    # life, after the captures): every page still names its hosting company
    for response in suspended:
        title = re.search(rb"<title>(.*?)</title>", response.body)
        assert title


def test_challenge(world: Callable[[str], Seen]) -> None:
    seen = world("challenge")
    walls = seen.decoys()
    assert walls
    assert all(
        b"Just a moment..." in r.body or b"Checking your browser before accessing" in r.body
        for r in walls
    )
    assert all(b"Enable JavaScript and cookies to continue" in r.body for r in walls)
    assert {r.status for r in walls} <= {200, 403, 503}
    assert len({r.status for r in walls}) >= 2
    assert any(seen.site(r.site)["behind_cdn"] for r in walls)
    assert any(not seen.site(r.site)["behind_cdn"] for r in walls)


def test_referral_links(world: Callable[[str], Seen]) -> None:
    seen = world("referral_links")
    tagged: defaultdict[str, set[str]] = defaultdict(set)  # carrier → shop sites it tags
    for response in seen.html():
        own = response.site.split(".")[0]
        tags = (f"ref={own}", f"ref={response.site}", f"utm_source={own}&")
        for href in re.findall(rb'href="(https?://[^"]+)"', response.body):
            link = href.decode().replace("&amp;", "&")
            if any(tag in link for tag in tags):
                target = canonicalize(link)
                assert isinstance(target, CanonicalURL)
                tagged[response.site].add(target.site)
    assert {seen.site(site)["type"] for site in tagged} == {"forum", "other"}
    assert "link-list" in {seen.site(site)["role"] for site in tagged}
    brands = {
        seen.site(t)["brand"] for ts in tagged.values() for t in ts if t in seen.truth["sites"]
    }
    assert len(brands) >= 3
    assert max(len(targets) for targets in tagged.values()) >= 3  # many shops on one site
    for site in tagged:  # the tags are on the page, but they are no evidence
        assert not seen.site(site)["commercial"]
        assert not [value for kind, value in seen.dump[site] if kind == "affiliate"], site


def test_logo_alt(world: Callable[[str], Seen]) -> None:
    seen = world("logo_alt")
    names = {brand["id"]: brand["name"] for brand in seen.truth["brands"]}
    styles: set[str] = set()
    for response in seen.html():
        name = names.get(seen.site(response.site)["brand"])
        if name is None:
            continue
        body = response.body.decode()
        for style, text in (
            ("alt", f'alt="{name} logo"'),
            ("alt", f'alt="{name} Logo"'),
            ("welcome", f"<title>Welcome to {name}</title>"),
            ("exclaimed", f"<title>Welcome to {name}!</title>"),
            ("official", f"<title>{name} - official site</title>"),
            ("official", f"<title>{name} - Official Site</title>"),
            ("abroad", f"<title>Willkommen bei {name}</title>"),
            ("abroad", f"<title>Bienvenue sur {name}</title>"),
            ("abroad", f"<title>Bienvenido a {name}</title>"),
            ("abroad", f"<title>Welkom bij {name}</title>"),
            ("abroad", f"<title>{name} - offizielle Seite</title>"),
            ("abroad", f"<title>{name} - site officiel</title>"),
            ("tm", f"<h1>{name}™</h1>"),
            ("symbol title", f"<title>{name}™</title>"),
            ("symbol title", f"<title>★ {name} ★</title>"),
            ("address", f"<title>{response.site}</title>"),
            ("address", f"<title>{response.site.capitalize()}</title>"),
        ):
            if text in body:
                styles.add(style)
                assert f">{name}</h1>" in body or f'alt="{name}"' in body  # plain name stays
    assert styles == {
        "alt", "welcome", "exclaimed", "official", "abroad", "tm", "symbol title", "address"
    }  # fmt: skip
    plain = {brand["brand_text"] for brand in seen.truth["brands"]}
    dumped = {
        v
        for site, values in seen.dump.items()
        for k, v in values
        if k == "brand_text" and seen.site(site)["brand"] is not None
    }
    assert dumped <= plain  # the dump keeps the plain normalised name


def test_section_pages(world: Callable[[str], Seen]) -> None:
    """Inner pages of brand and non-commercial sites titled "<section><sep><name>" (or the
    section alone) and headed by the section; the brand is still found, no section word is
    in the dump, and a section heading outside the generic words is seen on unrelated sites."""
    seen = world("section_pages")
    names = {brand["id"]: brand["name"] for brand in seen.truth["brands"]}
    titled: dict[str, set[str]] = defaultdict(set)  # role → sites with a "section | name" title
    headed: dict[str, set[str]] = defaultdict(set)  # section → sites with that heading
    for response in seen.html():
        if not response.normal:
            continue
        body = response.body.decode()
        entry = seen.site(response.site)
        for section in SECTIONS:
            if f"<h1>{section}</h1>" not in body:
                continue
            headed[section].add(response.site)
            name = names.get(entry["brand"])
            for separator in SECTION_SEPARATORS:
                if name is not None and f"<title>{section}{separator}{name}</title>" in body:
                    titled["brand"].add(response.site)
            if entry["brand"] is None:
                titled["other"].add(response.site)
    assert len(titled["brand"]) >= 10, titled
    assert len(titled["other"]) >= 3, titled
    # the name is still what the brand sites' pages give, and the dump holds no section word
    for site in titled["brand"]:
        assert ("brand_text", seen.truth_brand_text(site)) in seen.found[site]
    assert not {v for values in seen.dump.values() for k, v in values if v in SECTION_WORDS}
    # a section no extractor knows as generic ("Weekly picks") is on many unrelated sites: the
    # decoy this phenomenon is for
    assert len(seen.owners(headed["Weekly picks"])) >= 3


def test_look_alikes(world: Callable[[str], Seen]) -> None:
    """Half of the internationalised brand domains swap letters for Cyrillic ones drawn
    the same; the truth marks them, and folded back they spell their brand's name."""
    seen = world("look_alikes")
    cyrillic = set(CYRILLIC_FOR.values())
    names = {brand["id"]: brand["brand_text"] for brand in seen.truth["brands"]}
    idn = [key for key in seen.truth["sites"] if key.startswith("xn--")]
    marked = [k for k in idn if "look_alikes" in seen.site(k).get("phenomena", [])]
    assert 0 < len(marked) < len(idn)  # the others keep the two letters in front
    spelled = 0
    for key in marked:
        label = key.split(".")[0]
        unicode_label = label.encode("ascii").decode("idna")
        assert set(unicode_label) & cyrillic, key
        plain = plain_label(label)
        assert plain is not None
        assert plain.isascii()
        spelled += names[seen.site(key)["brand"]].replace(" ", "") in plain
    assert spelled * 2 >= len(marked)  # most labels are the brand's name and a shop word


def test_glued_names(world: Callable[[str], Seen]) -> None:
    """Half of the brand domains with a shop word glue it to the name or put a word in
    front; the truth marks them, and the name is still in the label."""
    seen = world("glued_names")
    slugs = {brand["id"]: brand["name"].lower() for brand in seen.truth["brands"]}
    marked = [k for k, e in seen.truth["sites"].items() if "glued_names" in e.get("phenomena", [])]
    hyphenated = [
        k for k, e in seen.truth["sites"].items()
        if e["brand"] is not None and k.startswith(f"{slugs[e['brand']]}-")
    ]  # fmt: skip
    assert marked
    assert hyphenated  # the other half keep the hyphen
    for key in marked:
        label = key.split(".")[0]
        assert "-" not in label, key
        assert slugs[seen.site(key)["brand"]] in label, key
    assert any(key.startswith(("get", "my", "buy")) for key in marked)


def test_processor_fields(world: Callable[[str], Seen]) -> None:
    """Processors name the merchant account their own way; the extractors still find every
    merchant id the dump holds."""
    seen = world("processor_fields")
    fields: set[str] = set()
    for response in seen.html():
        body = response.body.decode()
        for name in MERCHANT_FIELDS:
            if f'name="{name}"' in body or f"?{name}=" in body:
                fields.add(name)
        assert 'name="merchant_id"' not in body or "Donate" in body, response.site
    assert len(fields) >= 2
    for site, values in seen.dump.items():
        for kind, value in values:
            if kind == "merchant_id":
                assert (kind, value) in seen.found[site], (site, value)


def test_item_pages(world: Callable[[str], Seen]) -> None:
    """Product pages of brand sites titled "<item><sep><name>" (or the item alone) and
    headed by the item; the dump holds no item, the logo still names the brand, and a few
    item names recur on unrelated brands' sites (the decoy the phenomenon is for)."""
    seen = world("item_pages")
    names = {brand["id"]: brand["name"] for brand in seen.truth["brands"]}
    pattern = re.compile(
        r"<h1>((?:"
        + "|".join(ITEM_ADJECTIVES)
        + r") [a-z]+ \d+|"
        + "|".join(SHARED_ITEMS)
        + ")</h1>"
    )
    titled: set[str] = set()  # brand sites with an "item | name" title
    bare: set[str] = set()  # brand sites with a product page that does not name the brand
    carriers: dict[str, set[str]] = defaultdict(set)  # item → sites with that product page
    for response in seen.html():
        if not response.normal:
            continue
        body = response.body.decode()
        found = pattern.search(body)
        if found is None:
            continue
        item = found.group(1)
        entry = seen.site(response.site)
        assert entry["brand"] is not None, response.site  # brand sites only
        carriers[item].add(response.site)
        name = names[entry["brand"]]
        if any(f"<title>{item}{sep}{name}</title>" in body for sep in SECTION_SEPARATORS):
            titled.add(response.site)
        elif f"<title>{item}</title>" in body:
            bare.add(response.site)
        if "logo" not in name.lower():
            assert f'alt="{name}' in body or 'alt="logo"' in body, response.uri
    assert len(titled) >= 10, len(titled)
    assert bare, "some product pages leave the brand's name out of the title"
    items = {item.lower() for item in carriers}
    assert not {v for values in seen.dump.values() for _k, v in values} & items
    shared = [item for item, sites in carriers.items() if len(seen.owners(sites)) >= 2]
    assert shared, "a shared item name should recur on unrelated brands' sites"
    assert set(shared) <= set(SHARED_ITEMS)


def test_shared_kits(world: Callable[[str], Seen]) -> None:
    seen = world("shared_kits")
    kits = seen.truth["meta"]["phenomena"]["actors"]["kits"]
    assert 2 <= len(kits) <= 5
    assert any(kit["commercial_only"] for kit in kits)
    for kit in kits:
        carriers = seen.showing(kit["css_host"])
        assert len(seen.owners(carriers) - {None}) >= 2, kit["name"]
        assert carriers == seen.dumped("script_host", kit["css_host"])
        with_id = seen.showing(kit["analytics"])
        assert with_id == seen.dumped("analytics", kit["analytics"])
        if kit["commercial_only"]:
            assert all(seen.site(site)["commercial"] for site in carriers)
    defaults = {kit["default_title"] for kit in kits}
    titled = {
        site
        for response in seen.html()
        for title in re.findall(rb"<title>([^<|]*?)(?: - Home)?</title>", response.body)
        if title.decode() in defaults
        for site in [response.site]
    }
    assert titled  # "Demo Store" left in some titles, and a correct extractor finds it
    dumped = {
        site
        for site in titled
        for kind, value in seen.dump[site]
        if kind == "brand_text" and value in {d.lower() for d in defaults}
    }
    assert dumped == titled


def test_agency(world: Callable[[str], Seen]) -> None:
    seen = world("agency")
    agencies = seen.truth["meta"]["phenomena"]["actors"]["agencies"]
    all_owners: set[str | None] = set()
    for agency in agencies:
        credited = seen.showing(f'<a href="https://{agency["domain"]}/?')
        assert credited
        assert all(b"Site by" in r.body for r in seen.html() if r.site in credited and r.normal)
        assert len(seen.owners(credited) - {None}) >= 2, agency["name"]
        all_owners |= seen.owners(credited)
        assert seen.showing(agency["email"]) == seen.dumped("email", agency["email"])
        if agency["analytics"]:
            assert seen.showing(agency["analytics"]) == seen.dumped(
                "analytics", agency["analytics"]
            )
    assert None in all_owners  # on non-commercial sites too


def _site_of(url: str) -> str | None:
    parsed = canonicalize(url)
    return parsed.site if isinstance(parsed, CanonicalURL) else None


def test_house_agency(world: Callable[[str], Seen]) -> None:
    seen = world("house_agency")
    house = seen.truth["meta"]["phenomena"]["actors"]["house_agency"]
    credited = seen.showing(f'<a href="https://{house["domain"]}/?')
    owners = seen.owners(credited)
    # one distributor's shops, and non-commercial clients
    assert None in owners
    assert len(owners - {None}) == 1
    assert {seen.site(s)["brand"] for s in credited} - {None} <= set(house["brands"])
    tagged = seen.dumped("analytics", house["analytics"])
    assert tagged == seen.showing(house["analytics"])
    clients = {s for s in credited if seen.distributor(s) is None}
    assert clients <= tagged  # the tag on every client page: the trap
    misjudged = {s for s in clients if "misjudged" in seen.site(s).get("phenomena", ())}
    assert misjudged
    # the hotlines that reported a misjudged client all called it commercial
    with (seen.path / "reports.csv").open(newline="", encoding="utf-8") as handle:
        flags = {
            row["commercial"]
            for row in csv.DictReader(handle)
            if _site_of(row["url"]) in misjudged and row["commercial"]
        }
    assert flags == {"true"}


def test_shortener(world: Callable[[str], Seen]) -> None:
    seen = world("shortener")
    shorteners = [s for s, e in seen.truth["sites"].items() if e["role"] == "shortener"]
    assert shorteners
    for key in shorteners:
        entry = seen.site(key)
        assert entry["brand"] is None
        assert not entry["commercial"]
        assert entry["type"] == "other"
    redirects = [r for r in seen.responses if r.site in shorteners and r.status == 302]
    targets: set[tuple[str, str]] = set()
    for response in redirects:
        target = canonicalize(response.location or "")
        assert isinstance(target, CanonicalURL)
        targets.add((response.site, target.site))
    shops = {target for _, target in targets}
    assert len({seen.site(site)["brand"] for site in shops}) >= 3
    assert len(seen.owners(shops)) >= 2
    for short, shop in targets:
        relation = ("gateway", f"{short}>{shop}")
        assert relation in seen.dump[short]
        assert relation in seen.dump[shop]
        # a short link is a page under a path, not the shortener's front page: no doorway
        assert ("redirect", f"{short}>{shop}") not in seen.dump[short]


def test_link_outs(world: Callable[[str], Seen]) -> None:
    seen = world("link_outs")
    lists = {
        s
        for s, e in seen.truth["sites"].items()
        if e["role"] == "link-list" and "link_outs" in e.get("phenomena", ())
    }
    assert len(lists) >= 2
    for key in lists:
        entry = seen.site(key)
        assert entry["brand"] is None
        assert not entry["commercial"]
    # captured only through their out-links: every response of theirs is a 302 to a shop
    answers = [r for r in seen.responses if r.site in lists]
    assert answers
    assert all(r.status == 302 and "/out/" in r.uri for r in answers)
    shops = set()
    for response in answers:
        target = canonicalize(response.location or "")
        assert isinstance(target, CanonicalURL)
        assert seen.site(target.site)["brand"] is not None
        shops.add(target.site)
        relation = f"{response.site}>{target.site}"
        assert ("gateway", relation) in seen.dump[response.site]
        assert ("redirect", relation) not in seen.dump[response.site]  # not its front page
    # some of them send visitors to one shop only: a doorway but for the path
    per_list = defaultdict(set)
    for response in answers:
        per_list[response.site].add(response.location)
    assert any(len(targets) == 1 for targets in per_list.values())
    # the hotlines that reported them said what they are
    with (seen.path / "reports.csv").open(newline="", encoding="utf-8") as handle:
        flags = [
            row["commercial"]
            for row in csv.DictReader(handle)
            if any(k in row["url"] for k in lists)
        ]
    assert flags.count("false") > flags.count("true")


def test_donations(world: Callable[[str], Seen]) -> None:
    seen = world("donations")
    forums = {s for s, e in seen.truth["sites"].items() if e["type"] == "forum"}
    donating = [
        r
        for r in seen.html()
        if r.site in forums and (b'class="donate"' in r.body or b"Donate</button>" in r.body)
    ]
    assert donating
    addresses: defaultdict[str, set[str]] = defaultdict(set)
    for response in donating:
        for address in re.findall(rb"donate BTC to <code>([^<]+)</code>", response.body):
            addresses[address.decode()].add(response.site)
    assert addresses
    assert all(len(sites) == 1 for sites in addresses.values())  # each forum its own
    for address, sites in addresses.items():
        assert seen.dumped("btc_address", address) == sites
        assert address not in seen.truth["payment_addresses"]
    assert any(b"pay.bigpay.example" in r.body and b"Donate</button>" in r.body for r in donating)
    kinds = {kind for site in {r.site for r in donating} for kind, _ in seen.dump[site]}
    assert {"btc_address", "email", "merchant_id", "payment_host"} <= kinds


def test_hosting_panel(world: Callable[[str], Seen]) -> None:
    seen = world("hosting_panel")
    panels = seen.truth["meta"]["phenomena"]["actors"]["hosting_panels"]
    assert panels
    owners: set[str | None] = set()
    for panel in panels.values():
        carriers = seen.showing(panel["analytics"])
        assert carriers == seen.dumped("analytics", panel["analytics"])
        assert carriers == seen.dumped("script_host", panel["script_host"])
        owners |= seen.owners(carriers)
    assert None in owners  # non-commercial sites on the same host
    assert len(owners - {None}) >= 2


def test_consent(world: Callable[[str], Seen]) -> None:
    seen = world("consent")
    vendor = seen.truth["meta"]["phenomena"]["actors"]["consent"]
    widget = seen.showing(vendor["host"])
    assert len(widget) >= 10
    assert widget == seen.dumped("script_host", vendor["host"])
    demo = seen.showing(vendor["container"])
    assert demo == seen.dumped("analytics", vendor["container"])
    assert len(seen.owners(demo)) >= 2  # unrelated sites (a non-commercial one counts)


def _pdns_by_name(path: Path) -> defaultdict[str, list[dict[str, Any]]]:
    records: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in (path / "pdns.jsonl").read_bytes().splitlines():
        record = orjson.loads(line)
        rdata = record["rdata"]
        record["rdata"] = rdata if isinstance(rdata, list) else [rdata]
        records[record["rrname"].rstrip(".")].append(record)
    return records


def test_in_bailiwick_ns(world: Callable[[str], Seen]) -> None:
    seen = world("in_bailiwick_ns")
    classic = world("none")
    records = _pdns_by_name(seen.path)
    own = {k: v for k, v in seen.truth["sites"].items() if "own_nameservers" in v}
    assert any(v["behind_cdn"] for v in own.values())
    assert any(not v["behind_cdn"] for v in own.values())
    assert seen.truth["meta"]["phenomena"]["sites"]["in_bailiwick_ns"] == len(own)
    countries = {}
    with maxminddb.open_database(str(seen.path / "geoip" / "country.mmdb")) as database:
        for site, entry in own.items():
            assert entry["phenomena"] == ["in_bailiwick_ns"]
            servers = entry["own_nameservers"]
            names = {f"ns1.{site}", f"ns2.{site}"}
            assert names <= set(servers["hosts"]) <= names | {f"mail.{site}"}
            # the site's NS records point to them from the time they were set up
            ns = [r for r in records[site] if r["rrtype"] == "NS"]
            assert set(ns[-1]["rdata"]) == names
            assert seen.dumped("nameserver", f"ns1.{site}") == {site}
            for host, address in servers["hosts"].items():
                assert [r["rdata"] for r in records[host] if r["rrtype"] == "A"] == [[address]]
                found: Any = database.get(address)
                countries[host] = found["country"]["iso_code"]
                assert countries[host] == servers["country"]
            web = entry["hosting_country"] if not entry["behind_cdn"] else "US"  # the edge's
            assert servers["country"] != web
            assert servers["asn"] != entry["asn"]
            mail = f"mail.{site}"
            mx = [r["rdata"] for r in records[site] if r["rrtype"] == "MX"]
            assert mx == ([[f"10 {mail}."]] if mail in servers["hosts"] else [])
    assert any(host.startswith("mail.") for host in countries)
    # only DNS changes: the reports are the classic world's, and so is every other site's DNS
    assert (seen.path / "reports.csv").read_bytes() == (classic.path / "reports.csv").read_bytes()
    before = _pdns_by_name(classic.path)
    untouched = set(seen.truth["sites"]) - set(own)
    assert all(records[site] == before[site] for site in untouched)
    assert {k: v["hosting_country"] for k, v in seen.truth["sites"].items()} == {
        k: v["hosting_country"] for k, v in classic.truth["sites"].items()
    }


# -- all of them at once -------------------------------------------------------------------------


def test_all_phenomena_the_dump_is_what_a_correct_extractor_finds(
    world: Callable[[str], Seen],
) -> None:
    """On normal pages the extractors find the dump, and beside it only what must not count
    (a decorated brand name, a ref=<own name> tag); decoy pages add nothing to the dump."""
    seen = world("all")
    plain = {brand["id"]: brand["brand_text"] for brand in seen.truth["brands"]}
    checked = {
        "brand_text",
        "analytics",
        "btc_address",
        "merchant_id",
        "email",
        "affiliate",
        "credit",
    }
    # A kit's placeholder title is in the dump (it is on the page); whether an extractor
    # drops it as a placeholder word is the extractor's business.
    kit_titles = {
        ("brand_text", kit["default_title"].lower())
        for kit in seen.truth["meta"]["phenomena"]["actors"]["kits"]
    }
    for site, found in seen.found.items():
        name = plain.get(seen.site(site)["brand"])
        own = site.split(".")[0]
        for kind, value in found - seen.dump[site]:
            if kind == "brand_text" and value in SECTION_WORDS:
                continue  # an inner page's section heading ("our story"): not a name
            if kind == "brand_text" and ITEM_WORDS.fullmatch(value):
                continue  # a product page's item ("deluxe pack 4821"): attribution's to drop
            if kind == "brand_text":  # "name logo", "welcome to name", "nametm"
                assert name, (site, value)
                assert name in value, (site, value)
            elif kind == "affiliate":
                assert value in (f"ref={own}", f"ref={site}"), (site, value)
            else:
                assert kind not in checked, (site, kind, value)
    for site, values in seen.dump.items():
        for kind, value in values:
            if kind in checked - {"affiliate"} and (kind, value) not in kit_titles:
                assert (kind, value) in seen.found[site], (site, kind, value)
    decoys = seen.decoys()
    assert {r.status for r in decoys} >= {200, 403, 404, 503}
    for response in decoys:  # nothing a decoy shows is evidence, unless its site shows it too
        for tag in re.findall(rb"G-[A-Z0-9]{10}", response.body):
            assert tag.decode() not in {v for _, v in seen.dump[response.site]} or (
                ("analytics", tag.decode()) in seen.found[response.site]
            )
    touched = seen.truth["meta"]["phenomena"]["sites"]
    assert set(touched) == set(PHENOMENA)


def test_all_phenomena_names_are_reserved_and_addresses_documentation(
    world: Callable[[str], Seen],
) -> None:
    seen = world("all")
    hosts: set[str] = set(seen.truth["sites"])
    addresses: set[str] = set()
    leaks: set[bytes] = set()
    for _, blob in _text_blobs(seen.path):
        for pattern in (_URL_HOST, _EMAIL_DOMAIN):
            hosts.update(m.decode().lower().rstrip(".") for m in pattern.findall(blob))
        leaks.update(_REAL_TLD.findall(blob.lower()))
        addresses.update(m.decode() for m in _IPV4.findall(blob))
    assert not {h for h in hosts if not h.endswith(RESERVED_SUFFIXES)}
    assert not {t for t in leaks if not t.decode().endswith(("example.com", "example.net"))}
    assert not {a for a in addresses if not any(ipaddress.ip_address(a) in n for n in ALLOWED_NETS)}


def test_all_phenomena_reports_ingest_to_exactly_the_truth(
    world: Callable[[str], Seen], engine: Engine
) -> None:
    seen = world("all")
    ReportImporter(engine).ingest(seen.path / "reports.csv")
    with engine.connect() as connection:
        urls = set(connection.scalars(select(Url.canonical)))
        sites = set(connection.scalars(select(Site.key)))
    assert urls == set(seen.truth["urls"])
    assert sites == set(seen.truth["sites"])
    roles = {entry["role"] for entry in seen.truth["sites"].values()}
    assert {"link-list", "shortener"} <= roles


def test_misjudged(world: Callable[[str], Seen]) -> None:
    """Hotlines' commercial flags: right without the phenomenon; with it, some reports are
    wrong, and on misjudged sites every flag given is wrong."""
    for names, wrong_somewhere in (("none", False), ("misjudged", True)):
        seen = world(names)
        flags: defaultdict[str, list[bool]] = defaultdict(list)
        with (seen.path / "reports.csv").open(newline="") as handle:
            for row in csv.DictReader(handle):
                if row["commercial"] in ("true", "false"):
                    host = (urlsplit(row["url"]).hostname or "").rstrip(".").removeprefix("www.")
                    if host in seen.truth["sites"]:
                        flags[host].append(row["commercial"] == "true")
        wrong = {
            site: sum(flag != seen.site(site)["commercial"] for flag in given)
            for site, given in flags.items()
        }
        assert (sum(wrong.values()) > 0) == wrong_somewhere
        marked = {
            s for s, v in seen.truth["sites"].items() if "misjudged" in v.get("phenomena", ())
        }
        assert bool(marked) == wrong_somewhere
        for site in marked & set(flags):
            assert wrong[site] == len(flags[site])


def test_other_coins(world: Callable[[str], Seen]) -> None:
    """Some distributors are paid in Litecoin, Monero or Tron: their shops show that coin's
    valid address where the others show Bitcoin, one coin per distributor, each address
    in the dump as the extractors find it and in the truth's payment addresses."""
    seen = world("all")
    coin_of: defaultdict[str, set[str]] = defaultdict(set)
    for site, shown in seen.dump.items():
        for kind, value in shown:
            if kind != "crypto_address":
                continue
            coin, address = value.split(":", 1)
            assert classify_altcoin(address) == (coin, address), value
            assert (kind, value) in seen.found[site]
            assert seen.truth["payment_addresses"][value] == seen.distributor(site)
            coin_of[seen.distributor(site) or ""].add(coin)
    assert coin_of  # the world has such distributors
    assert all(len(coins) == 1 for coins in coin_of.values())
    world_none = world("none")
    assert not any(k == "crypto_address" for shown in world_none.dump.values() for k, _ in shown)


def test_client_redirects(world: Callable[[str], Seen]) -> None:
    """Doorways whose page redirects: some by a script, the rest by a meta refresh; every
    such doorway is still tied to its shop in the dump, and the capture reader finds the
    relation on both sites, also where the shop's capture came with no Referer."""
    seen = world("all")
    doorways = {r.site: r for r in seen.html() if _redirecting(r.body)}
    scripted = {site for site, r in doorways.items() if b"window.location" in r.body}
    assert scripted
    assert any(b"setTimeout" in doorways[site].body for site in scripted)  # some wait first
    assert set(doorways) - scripted  # meta refreshes too
    assert all("client_redirects" in seen.site(site)["phenomena"] for site in doorways)
    for site in doorways:
        (target,) = {v.split(">", 1)[1] for k, v in seen.dump[site] if k == "gateway"}
        relation = ("gateway", f"{site}>{target}")
        assert relation in seen.dump[target]
