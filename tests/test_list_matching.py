"""Hash lists against captured media, through the store, on SQLite and PostgreSQL.

A capture holding generated abstract images is imported; lists are made from the media's
own hashes — exact copies, PDQ near-copies at distances 0-40 (across the threshold), a
low-quality entry, a negative list — and ``hotline match`` must store exactly the pairs a
brute-force oracle finds. Then: incremental runs, the flood guard, idempotent import,
quarantined rows, known versus new, and the export.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from hotline.accounts.roles import local_admin
from hotline.captures.extractors import default_extractors
from hotline.captures.extractors.payments import ProcessorTable
from hotline.captures.models import MediaHash
from hotline.captures.services import CaptureImporter
from hotline.hashes import matching, services
from hotline.hashes.models import HashEntry, HashList, HashMatch
from hotline.hashes.queries import capture_counts, media_counts, totals
from hotline.quarantine import QuarantineEntry
from hotline.synth.generate import generate
from hotline.synth.images import gradient_png, noise_png
from hotline.synth.warc import WarcWriter
from tests.test_cli import hotline

WHEN = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
ADMIN = local_admin("tester")
PAGE = b"<!DOCTYPE html><html><head><title>Sample shop</title></head><body>items</body></html>"


@dataclass(frozen=True)
class Medium:
    id: int
    md5: str
    sha1: str
    sha256: str
    pdq: str | None
    quality: int | None


def _capture(path: Path, site: str, images: list[bytes]) -> None:
    with WarcWriter(path, namespace=site) as w:
        page = [("Content-Type", "text/html; charset=utf-8")]
        w.response(f"https://{site}/", WHEN, 200, "OK", page, PAGE, "198.51.100.9")
        for n, image in enumerate(images):
            png = [("Content-Type", "image/png")]
            url = f"https://{site}/img/{n}.png"
            written = w.response(url, WHEN, 200, "OK", png, image, "198.51.100.9")
            # the page's address as Referer: how the importer ties a medium to its capture
            asked = [("Host", site), ("Referer", f"https://{site}/")]
            w.request(url, WHEN, asked, concurrent_to=written)


def _import(engine: Engine, tmp_path: Path, site: str, images: list[bytes]) -> None:
    path = tmp_path / f"{site}.warc.gz"
    _capture(path, site, images)
    CaptureImporter(engine, default_extractors(ProcessorTable.load(None))).ingest(path)


def _media(engine: Engine) -> list[Medium]:
    with engine.connect() as connection:
        rows = connection.execute(select(MediaHash).order_by(MediaHash.id)).all()
    return [Medium(r.id, r.md5, r.sha1, r.sha256, r.pdq, r.pdq_quality) for r in rows]


def _flip(pdq: str, bits: int, rng: random.Random) -> str:
    value = int(pdq, 16)
    for bit in rng.sample(range(256), bits):
        value ^= 1 << bit
    return f"{value:064x}"


def _entries(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(
                    HashEntry.id,
                    HashEntry.kind,
                    HashEntry.value,
                    HashEntry.pdq_quality,
                    HashList.kind.label("list_kind"),
                    HashList.enabled,
                ).join(HashList)
            )
        )


def oracle(media: list[Medium], entries: list[Any], radius: int = 31) -> set[tuple[int, int, int]]:
    """Every (medium, entry, distance) that matches, by brute force."""
    found: set[tuple[int, int, int]] = set()
    for m in media:
        for e in entries:
            if not e.enabled:
                continue
            if e.kind in ("md5", "sha1", "sha256") and getattr(m, e.kind) == e.value:
                found.add((m.id, e.id, 0))
            elif e.kind == "pdq" and m.pdq and (m.quality or 0) >= 50:
                if e.pdq_quality is not None and e.pdq_quality < 50:
                    continue
                distance = (int(m.pdq, 16) ^ int(e.value, 16)).bit_count()
                if distance <= radius:
                    found.add((m.id, e.id, distance))
    return found


def stored(engine: Engine) -> set[tuple[int, int, int]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(HashMatch.medium_id, HashMatch.entry_id, HashMatch.distance)
        ).all()
    return {(int(m), int(e), int(d)) for m, e, d in rows}


def _csv(path: Path, rows: Sequence[tuple[str, ...]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("kind", "value", "scheme", "code", "series", "id"))
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> list[Medium]:
    rng = random.Random(20)
    # noise hashes with quality; flat gradients do not (their PDQ is never matched)
    images = [noise_png(rng, 128) for _ in range(8)] + [gradient_png(rng, 64) for _ in range(2)]
    _import(engine, tmp_path, "belquo.test", images)
    _import(engine, tmp_path, "junvax.test", [*images[:2], noise_png(rng, 128)])
    return _media(engine)


def _planted(media: list[Medium], tmp_path: Path) -> tuple[Path, Path]:
    rng = random.Random(5)
    good = [m for m in media if m.pdq and (m.quality or 0) >= 50]
    assert len(good) >= 6, "the generated images should hash with quality"
    known: list[tuple[str, ...]] = [
        ("md5", media[0].md5, "projectvic", "1", "", "k-1"),
        ("sha1", media[2].sha1, "baseline", "A", "", "k-2"),
        ("sha256", media[3].sha256, "", "", "", "k-3"),
        ("md5", good[5].md5, "", "", "", "k-4"),  # also on the negative list below
    ]
    for n, distance in enumerate([0, 1, 10, 20, 30, 31, 32, 33, 40]):
        known.append(("pdq", _flip(good[n % 4].pdq or "", distance, rng), "", "", "", f"p-{n}"))
    negative = [("sha256", good[5].sha256, "", "", "", "n-1")]
    return _csv(tmp_path / "known.csv", known), _csv(tmp_path / "benign.csv", negative)


def test_matching_equals_the_brute_force_oracle(
    engine: Engine, world: list[Medium], tmp_path: Path
) -> None:
    known, benign = _planted(world, tmp_path)
    services.import_list(engine, ADMIN, known, "partner", create_kind="known")
    services.import_list(engine, ADMIN, benign, "benign", create_kind="negative")
    summary = matching.match(engine, ADMIN)
    expected = oracle(world, _entries(engine))
    assert stored(engine) == expected
    assert summary.matches == len(expected)
    distances = {d for _m, _e, d in expected}
    assert 31 in distances
    assert not any(d > 31 for d in distances)
    assert summary.suppressed == 1  # the medium on the negative list
    # known: matched by a known list, and not on the negative list
    with engine.connect() as connection:
        overall = totals(connection)
        per_site = media_counts(connection)
    negative_medium = next(m.id for m in world if m.sha256 == _negative_sha(engine))
    known_media = {m for m, e, _d in expected if _kind_of(engine, e) == "known"}
    known_media -= {negative_medium}
    assert overall.known == len(known_media)
    assert overall.media == len(world)
    assert sum(c.known for c in per_site.values()) == overall.known
    assert set(per_site) == {"belquo.test", "junvax.test"}


def _negative_sha(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(
            connection.execute(
                select(HashEntry.value).join(HashList).where(HashList.kind == "negative")
            ).scalar_one()
        )


def _kind_of(engine: Engine, entry: int) -> str:
    with engine.connect() as connection:
        return str(
            connection.execute(
                select(HashList.kind).join(HashEntry).where(HashEntry.id == entry)
            ).scalar_one()
        )


def test_runs_are_incremental_and_a_rerun_adds_nothing(
    engine: Engine, world: list[Medium], tmp_path: Path
) -> None:
    # (images 0 and 1 were captured on both sites; 2 and 3 only once)
    first = _csv(tmp_path / "a.csv", [("md5", world[2].md5, "", "", "", "")])
    services.import_list(engine, ADMIN, first, "partner", create_kind="known")
    assert matching.match(engine, ADMIN).matches == 1
    again = matching.match(engine, ADMIN)
    assert again.matches == 0  # nothing new on either side
    # PostgreSQL compares the last ids again (rows of an import that committed late)
    window = engine.dialect.name == "postgresql"
    assert again.media == (len(world) if window else 0)
    second = _csv(tmp_path / "b.csv", [("sha256", world[3].sha256, "", "", "", "")])
    services.import_list(engine, ADMIN, second, "partner")
    later = matching.match(engine, ADMIN)
    assert later.matches == 1  # the earlier media against the new entry only
    assert later.media >= len(world)  # every earlier medium met the new entry
    assert stored(engine) == oracle(world, _entries(engine))
    # a list enabled after it was filled: all its entries meet the earlier media
    third = _csv(tmp_path / "c.csv", [("sha1", world[4].sha1, "", "", "", "")])
    services.import_list(engine, ADMIN, third, "later", create_kind="known")
    with engine.begin() as connection:
        services.set_enabled(connection, ADMIN, "later", False)
    assert matching.match(engine, ADMIN).matches == 0  # disabled: not compared
    fourth = _csv(tmp_path / "d.csv", [("md5", world[5].md5, "", "", "", "")])
    services.import_list(engine, ADMIN, fourth, "partner")  # the marks move past "later"
    assert matching.match(engine, ADMIN).matches == 1
    with engine.begin() as connection:
        services.set_enabled(connection, ADMIN, "later", True)
    assert matching.match(engine, ADMIN).matches == 1  # its entry, older than the marks
    assert stored(engine) == oracle(world, _entries(engine))
    full = matching.match(engine, ADMIN, full=True)
    assert full.full
    assert full.matches == 0  # everything again: nothing missed before


def test_importing_a_list_again_adds_nothing_and_bad_rows_are_quarantined(
    engine: Engine, db_url: str, world: list[Medium], tmp_path: Path
) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "kind,value,scheme,code,series,id\n"
        f"md5,{world[0].md5},,,,\n"
        "md5,not-a-hash,,,,\n"
        f"sha1,{world[1].sha1},,,,\n",
        encoding="utf-8",
    )
    first = services.import_list(engine, ADMIN, path, "partner", create_kind="known")
    assert (first.added, first.quarantined) == (2, 1)
    again = services.import_list(engine, ADMIN, path, "partner")
    assert (again.added, again.already) == (0, 2)
    with engine.connect() as connection:
        (row,) = services.lists(connection)
    assert row.entries == {"md5": 1, "sha1": 1}
    result = hotline(db_url, "quarantine", "list")
    assert "list.csv" in result.out
    with engine.connect() as connection:
        refused = connection.execute(select(QuarantineEntry.__table__)).all()
    assert [(r.kind, r.line, Path(r.file).name) for r in refused] == [("hashlists", 3, "list.csv")]
    assert "md5" in refused[0].reason


def test_the_flood_guard_holds_an_entry_that_matches_too_many_media(
    engine: Engine, db_url: str, world: list[Medium], tmp_path: Path
) -> None:
    # images 0 and 1 were captured on both sites: their entries match two media each
    path = _csv(tmp_path / "wide.csv", [("sha256", world[0].sha256, "", "", "", "")])
    services.import_list(engine, ADMIN, path, "partner", create_kind="known")
    summary = matching.match(engine, ADMIN, flood=1)
    assert (summary.held, summary.held_entries) == (2, 1)
    with engine.connect() as connection:
        assert totals(connection).known == 0  # held matches count nowhere
        held = connection.execute(select(HashMatch.held)).scalars().all()
    assert held == [True, True]
    # the entry stays held until released: a copy captured later waits too, however few
    _import(engine, tmp_path, "solvax.test", [noise_png(random.Random(20), 128)])  # image 0
    assert matching.match(engine, ADMIN).held == 1
    with engine.connect() as connection:
        assert totals(connection).known == 0
    # a known-benign entry is never held, however much it matches: it only suppresses
    benign = _csv(tmp_path / "benign.csv", [("sha256", world[1].sha256, "", "", "", "")])
    services.import_list(engine, ADMIN, benign, "benign", create_kind="negative")
    assert matching.match(engine, ADMIN, flood=1).held == 0
    events = hotline(db_url, "audit", "list", "--action", "match.hold", "--json")
    assert events.code == 0
    (event,) = [json.loads(line) for line in events.out.splitlines()]
    after = event["after"]  # the audit trail keeps it as canonical JSON text
    assert json.loads(after)["media"] == 2
    # reviewed: the held entry's matches are released and count
    listed = hotline(db_url, "lists", "held")
    assert world[0].sha256[:20] in listed.out.replace("\n", "")
    with engine.connect() as connection:
        ((held_entry, name, _kind, _value, media),) = matching.held(connection)
    assert (name, media) == ("partner", 3)
    assert hotline(db_url, "lists", "release", str(held_entry)).code == 0
    with engine.connect() as connection:
        assert totals(connection).known == 3
        assert matching.held(connection) == []


def test_the_cli_imports_matches_and_exports(
    engine: Engine, db_url: str, world: list[Medium], tmp_path: Path
) -> None:
    url = db_url
    path = _csv(tmp_path / "p.csv", [("md5", world[2].md5, "projectvic", "2", "", "x")])
    imported = hotline(url, "lists", "import", str(path), "--list", "partner", "--create", "known",
                       "--source", "Partner hotline", "--licence", "sharing agreement 7",
                       "--tlp", "red")  # fmt: skip
    assert imported.code == 0, imported.err
    listed = hotline(url, "lists", "list", "--json")
    assert json.loads(listed.out.strip().splitlines()[0])["entries"] == {"md5": 1}
    matched = hotline(url, "match")
    assert matched.code == 0, matched.err
    assert "known / new" in matched.out
    shown_list = " ".join(hotline(url, "lists", "show", "partner").out.replace("│", " ").split())
    for expected in ("Partner hotline", "sharing agreement 7", "TLP red", "media matched 1"):
        assert expected in shown_list, shown_list
    assert hotline(url, "lists", "show", "nobody").code == 2
    shown = hotline(url, "selectors", "belquo.test")
    shown_text = " ".join(shown.out.split())
    assert "Media captured: 10 — 1 known (on a hash list), 9 new" in shown_text
    assert "1 of 1 capture(s) held known media" in shown_text
    with engine.connect() as connection:
        (capture,) = capture_counts(connection, "belquo.test")
    assert (capture.media, capture.known) == (10, 1)
    out = tmp_path / "matches.csv"
    exported = hotline(url, "export", "matches", "--format", "csv", "--out", str(out))
    assert exported.code == 0, exported.err
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 1
    assert rows[0]["medium_sha256"] == world[2].sha256
    assert rows[0]["site"] == "belquo.test"
    assert rows[0]["url"].startswith("https://belquo.test/")
    assert rows[0]["list"] == "partner"
    assert rows[0]["distance"] == "0"
    disabled = hotline(url, "lists", "disable", "partner")
    assert disabled.code == 0
    exported = hotline(url, "export", "matches", "--format", "csv", "--out", str(out))
    assert list(csv.DictReader(out.open(encoding="utf-8"))) == []  # a disabled list counts not
    vics = tmp_path / "partner.json"
    assert (
        hotline(url, "lists", "export", "partner", "--format", "vics", "--out", str(vics)).code == 0
    )
    assert world[2].md5.upper() in vics.read_text(encoding="utf-8").upper()


@pytest.fixture(scope="module")
def known_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("known-world")
    generate(3, "small", out, phenomena=["known_media"])
    return out


def test_the_synthetic_worlds_planted_media_are_matched_as_the_oracle_says(
    engine: Engine, known_world: Path
) -> None:
    """The generator plants each distributor's catalogue across its sites and writes lists
    that know part of it: exact hashes, PDQ near-copies at 0-40 bits, flat images and a
    known-benign one. Matching must equal brute force, pair for pair."""
    importer = CaptureImporter(
        engine, default_extractors(ProcessorTable.load(known_world / "processors.json"))
    )
    for path in sorted((known_world / "captures").glob("*.warc.gz")):
        importer.ingest(path)
    lists = known_world / "hashlists"
    services.import_list(engine, ADMIN, lists / "known.csv", "partner", create_kind="known")
    services.import_list(engine, ADMIN, lists / "benign.csv", "benign", create_kind="negative")
    matching.match(engine, ADMIN)
    media = _media(engine)
    expected = oracle(media, _entries(engine))
    assert stored(engine) == expected
    planted = json.loads((lists / "planted.json").read_text(encoding="utf-8"))
    with engine.connect() as connection:
        entry_of = dict(connection.execute(select(HashEntry.external_id, HashEntry.id)).all())
    by_sha: dict[str, list[Medium]] = {}
    for m in media:
        by_sha.setdefault(m.sha256, []).append(m)
    checked = set()
    for external, plant in planted.items():
        entry = entry_of[external]
        carriers = by_sha[plant["sha256"]]  # every planted image was captured somewhere
        found = {(m, d) for m, e, d in expected if e == entry}
        if plant["kind"] != "pdq":
            assert {m for m, _d in found} == {c.id for c in carriers}, external
        elif (plant["quality"] or 0) < 50:
            assert not found, external  # a flat image's PDQ is never used
        elif plant["distance"] <= 31:
            assert {(c.id, plant["distance"]) for c in carriers} <= found, external
        else:
            assert not {c.id for c in carriers} & {m for m, _d in found}, external
        checked.add((plant["kind"], plant["distance"] <= 31))
    assert {("pdq", True), ("pdq", False), ("md5", True)} <= checked
    with engine.connect() as connection:
        overall = totals(connection)
    assert 0 < overall.known < overall.media


def test_the_strategic_assessment_counts_known_and_new_media(
    engine: Engine, known_world: Path
) -> None:
    from hotline.intake.services import ReportImporter
    from hotline.strategic.build import Scope, build_assessment

    ReportImporter(engine).ingest(known_world / "reports.csv", None)
    importer = CaptureImporter(
        engine, default_extractors(ProcessorTable.load(known_world / "processors.json"))
    )
    for path in sorted((known_world / "captures").glob("*.warc.gz")):
        importer.ingest(path)
    before = build_assessment(engine, Scope(None, None, None, ()))
    section = next(s for s in before.sections if s.key == "known_media")
    assert "no hash list is enabled" in section.paragraphs[0]
    lists = known_world / "hashlists"
    services.import_list(engine, ADMIN, lists / "known.csv", "partner", create_kind="known")
    matching.match(engine, ADMIN)
    after = build_assessment(engine, Scope(None, None, None, ()))
    section = next(s for s in after.sections if s.key == "known_media")
    rows = {row[0]: row[1] for row in section.tables[0].rows}
    with engine.connect() as connection:
        overall = totals(connection)
        per_site = media_counts(connection)
    in_scope = sum(c.media for c in per_site.values())  # every captured site was reported
    assert rows["media captured on the sites in scope"] == in_scope == overall.media
    assert rows["known (on a hash list)"] == overall.known > 0
    assert rows["new"] == overall.new
    by_country = section.tables[1].rows
    assert sum(int(row[3] or 0) for row in by_country) <= overall.new
    assert section.charts[0].key == "media_known_new"
