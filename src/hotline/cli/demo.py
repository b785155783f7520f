"""``hotline demo``: the pipeline end to end on the small synthetic world, in its own database."""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy import Engine

from hotline import pipeline
from hotline.accounts.credentials import set_password
from hotline.accounts.roles import Role
from hotline.accounts.services import add_organisation, add_user
from hotline.attribution.queries import SITE_EXPORT_COLUMNS, headline, site_rows
from hotline.captures.extractors.payments import ProcessorTable
from hotline.captures.queries import selector_values, selectors_by_kind
from hotline.casework.advance import run as run_casework
from hotline.casework.facts import import_facts
from hotline.casework.queries import decision_moments
from hotline.casework.queries import stats as casework_stats
from hotline.casework.rules import load_rules
from hotline.cli.console import out
from hotline.cli.context import AppState
from hotline.cli.hosting import run_enrichment
from hotline.cli.ingest import import_captures, import_files
from hotline.cli.report import write_report
from hotline.cli.serve import run as run_server
from hotline.cli.synth import world_line
from hotline.hashes import matching
from hotline.hashes import services as lists_service
from hotline.hashes.queries import entry_matches, is_known
from hotline.hashes.queries import totals as media_totals
from hotline.hosting import providers as provider_table
from hotline.hosting.current import HOSTING_LABELS
from hotline.hosting.enrich import EnrichOptions
from hotline.hosting.queries import current_countries, hosting_by_country
from hotline.intake.services import ReportImporter
from hotline.intake.stats import (
    all_sources,
    canonical_urls,
    multi_source_urls,
    top_sites,
    totals,
)
from hotline.quarantine import counts_by_reason, quarantined_lines
from hotline.sharing.formats import write_rows
from hotline.sharing.selectors import SELECTOR_EXPORT_COLUMNS, selector_rows
from hotline.sharing.urls import URL_EXPORT_COLUMNS, url_rows
from hotline.store.uow import unit_of_work
from hotline.strategic.build import Scope
from hotline.strategic.files import atomic_output
from hotline.synth.baseline import baseline_attribution, read_selector_dump
from hotline.synth.generate import generate
from hotline.synth.score import read_site_export, read_truth, score
from hotline.synth.world import WORLD_END
from hotline.urls import defang, defang_host

_DB_NAME = "demo.db"


def demo(
    ctx: typer.Context,
    out_dir: Annotated[
        Path,
        typer.Option("--out", help="Folder for the world, the demo database and the exports."),
    ] = Path("demo"),
    seed: Annotated[int, typer.Option(help="Seed of the synthetic world.")] = 2013,
    serve_web: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Then serve the web application on the demo database "
            "(127.0.0.1), with a demo admin whose password is printed.",
        ),
    ] = False,
    port: Annotated[int, typer.Option(help="Port for --serve.", min=1, max=65535)] = 8000,
) -> None:
    """Run the pipeline on the small synthetic world, end to end, offline.

    Generates the world (about 1,100 reported URLs from five hotlines, 18 hosting countries,
    8 distributors running 80 brands, with its ground truth) into --out, imports it into a
    fresh SQLite database there ([bold]demo.db[/], never the one --db points at, so it
    cannot mix with real data), and checks each stage's result against the truth.

    Everything is synthetic and benign (reserved .test/.example names, documentation IPs).

    [bold]Examples[/]

      hotline demo --out /tmp/hotline-demo
      hotline demo --serve
    """
    parent = ctx.find_root().obj
    quiet = isinstance(parent, AppState) and parent.quiet
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    db_path = (out_dir / _DB_NAME).resolve()
    for stale in (
        db_path,
        db_path.with_name(_DB_NAME + "-wal"),
        db_path.with_name(_DB_NAME + "-shm"),
    ):
        stale.unlink(missing_ok=True)  # a fresh database each run: the demo's own file only
    app_state = AppState(db=f"sqlite:///{db_path}", quiet=True)
    engine = app_state.ready_engine()  # a database without users: this user is its admin
    app_state.quiet = quiet

    # known_media: the distributors' images recur, and hash lists know part of them (step 6)
    summary = generate(seed, "small", out_dir, phenomena=["known_media"])
    out.print(f"[bold]1. World[/]   {world_line(summary)}")
    truth_doc = orjson.loads((out_dir / "truth.json").read_bytes())

    total = import_files(app_state, ReportImporter(engine), [out_dir / "reports.csv"], None)
    urls_truth = set(truth_doc["urls"])
    bad_truth = [row["line"] for row in truth_doc["bad_rows"]]
    with engine.connect() as connection:
        counts = totals(connection)
        stored_urls = canonical_urls(connection)
        quarantined = quarantined_lines(connection)
        overlap = multi_source_urls(connection)
        by_reason = counts_by_reason(connection)
        most_reported = top_sites(connection, 8)
    out.print(
        f"[bold]2. Intake[/]  {total.rows_read:,} report rows → {counts['reports']:,} reports "
        f"of {counts['urls']:,} unique URLs on {counts['sites']:,} sites from "
        f"{counts['sources']} hotlines; {overlap:,} URLs were reported by "
        "more than one hotline"
    )
    out.print(
        f"   against the truth: the same {len(urls_truth):,} unique URLs "
        f"{_check(stored_urls == urls_truth)}, quarantined exactly the {len(bad_truth):,} "
        f"deliberately bad lines {_check(quarantined == bad_truth)}"
    )
    reasons = ", ".join(f"{code} {n}" for code, n in by_reason)
    if reasons:
        out.print(f"   quarantine by reason: {reasons}")

    table = Table(title="Most reported sites (defanged)", title_justify="left")
    for column, justify in (
        ("site", "left"),
        ("URLs", "right"),
        ("reports", "right"),
        ("hotlines", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in most_reported:
        table.add_row(Text(defang(row.site)), f"{row.urls:,}", f"{row.reports:,}", str(row.sources))
    out.print(table)

    _captures(app_state, engine, out_dir, truth_doc)
    _hosting(app_state, engine, out_dir, truth_doc)
    _attribution(app_state, engine, out_dir)
    _known_material(app_state, engine, out_dir)
    _casework(app_state, engine, out_dir)

    export_path = out_dir / "urls.csv"
    sites_path = out_dir / "sites.csv"
    selectors_path = out_dir / "selectors.csv"
    with engine.connect() as connection:
        with atomic_output(export_path, text=True) as handle:
            exported = write_rows(handle, "csv", URL_EXPORT_COLUMNS, url_rows(connection))
        with atomic_output(sites_path, text=True) as handle:
            write_rows(handle, "csv", SITE_EXPORT_COLUMNS, site_rows(connection))
        with atomic_output(selectors_path, text=True) as handle:
            rows = selector_rows(connection)
            links = write_rows(handle, "csv", SELECTOR_EXPORT_COLUMNS, rows)
    out.print(
        f"[bold]8. Export[/]  {exported:,} canonical URLs → {export_path}; {links:,} "
        f"site-selector links → {selectors_path}; sites with brand, distributor and country "
        f"→ {sites_path}"
    )

    _print_truth_headline(truth_doc)
    naive = score(
        read_truth(out_dir / "truth.json"),
        baseline_attribution(read_selector_dump(out_dir / "selectors.jsonl")),
    )
    out.print(
        "   the naive baseline (link every site sharing any selector) scores distributor "
        f"F1 {naive.distributor.f1:.2f} and brand F1 {naive.brand.f1:.2f}, attributing "
        f"{naive.false_attribution_rate:.0%} of non-commercial sites: shared hosting, CDN "
        "addresses, popular nameservers and a template kit chain everything together"
    )
    assessment = pipeline.assess(engine, app_state.actor(), Scope(), str(out_dir / "assessment"))
    written = write_report(assessment, out_dir / "assessment")
    out.print(f"[bold]10. Report[/]  {assessment.headline}")
    pdf = f" and {written['pdf']}" if written.get("pdf") else " (no PDF engine here: HTML only)"
    out.print(Text(f"   open {written['html']}{pdf} — offline, charts inline, every URL defanged"))
    out.print(f"[dim]finished in {time.perf_counter() - started:.1f} s[/]")
    example = next(key for key, entry in truth_doc["sites"].items() if entry["role"] == "brand")
    db = f"--db sqlite:///{db_path}"
    out.print("[bold]Next[/], to explore:")
    for command in (
        f"hotline {db} selectors {defang(example)}",
        f"hotline {db} hosting {defang_host(example)}",
        f"hotline {db} why {defang_host(example)}",
        f"hotline {db} quarantine list",
        f"hotline {db} export selectors --format csv | head",
        f"hotline score --truth {out_dir / 'truth.json'} --export {out_dir / 'sites.csv'} "
        f"--baseline {out_dir / 'selectors.jsonl'}",
        f"hotline {db} casework stats --by provider",
        f"hotline {db} casework notices",
        f"hotline {db} report --print",
        f"open {out_dir / 'urls.csv'}, {out_dir / 'sites.csv'} and "
        f"{out_dir / 'assessment' / 'tables'} in a spreadsheet",
    ):
        out.print(Text(f"  {command}"))
    if serve_web:
        serve_demo(app_state, engine, out_dir, port)


def _captures(app_state: AppState, engine: Engine, out_dir: Path, truth: dict[str, Any]) -> None:
    files = sorted((out_dir / "captures").glob("*.warc.gz"))
    table = ProcessorTable.load(out_dir / "processors.json")
    total = import_captures(app_state, engine, files, table)
    with engine.connect() as connection:
        # Bitcoin, and other coins' addresses ("XMR:4…") where a world has them
        found = selector_values(connection, "btc_address") | selector_values(
            connection, "crypto_address"
        )
        kinds = selectors_by_kind(connection)
    planted = set(truth["payment_addresses"])
    out.print(
        f"[bold]3. Captures[/] {len(files)} WARC files, {total.records:,} records → "
        f"{total.new_captures:,} page captures (gateway targets twice: directly and through "
        f"the gateway), {total.selector_links:,} selector sightings, "
        f"{total.media:,} images and favicons hashed (bytes dropped)"
    )
    out.print(
        f"   against the truth: payment addresses found {len(planted & found):,} of "
        f"{len(planted):,} {_check(planted <= found)}; distinct selectors by kind: "
        + ", ".join(f"{kind} {n:,}" for kind, n in sorted(kinds.items()))
    )


def _hosting(app_state: AppState, engine: Engine, out_dir: Path, truth: dict[str, Any]) -> None:
    """Passive DNS and capture addresses → each site's hosting, offline, with the world's own
    IP databases, CDN list and provider table (as a hotline would configure its own)."""
    actor = app_state.actor()
    pipeline.save_providers(engine, actor, provider_table.read_csv(out_dir / "providers.csv"))
    pdns = pipeline.import_pdns(engine, actor, [out_dir / "pdns.jsonl"])
    geoip = out_dir / "geoip"
    options = EnrichOptions(
        geoip_db=geoip / "country.mmdb", asn_db=geoip / "asn.mmdb", cdn_lists=[out_dir / "cdn.json"]
    )
    summary = run_enrichment(app_state, engine, options)
    with engine.connect() as connection:
        found = current_countries(connection)
        by_country = hosting_by_country(connection)
    expected = {key: entry["hosting_country"] for key, entry in truth["sites"].items()}
    status = summary.sites_by_status
    countries = [row for row in by_country if len(row.country) == 2]
    out.print(
        f"[bold]4. Hosting[/] {pdns.records:,} passive-DNS records and "
        f"{summary.capture_observations:,} capture addresses → {summary.ips_looked_up:,} "
        f"addresses looked up offline; {status['hosted']:,} sites hosted in {len(countries)} "
        f"countries, {status['behind-cdn']:,} behind a CDN, {status['onion']:,} hidden services"
    )
    out.print(
        "   against the truth: current hosting country of every site "
        f"{_check(found == expected)}"
        + (
            ""
            if found == expected
            else f" ({sum(found.get(k) != v for k, v in expected.items())} differ)"
        )
    )
    table = Table(title="Unique URLs by hosting country", title_justify="left")
    for column, justify in (
        ("country", "left"),
        ("URLs", "right"),
        ("share", "right"),
        ("sites", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    total_urls = sum(row.urls for row in by_country) or 1
    for row in by_country[:8]:
        table.add_row(HOSTING_LABELS.get(row.country, row.country), f"{row.urls:,}",
                      f"{row.urls / total_urls:.0%}", f"{row.sites:,}")  # fmt: skip
    out.print(table)


def _known_material(app_state: AppState, engine: Engine, out_dir: Path) -> None:
    """The world's hash lists imported, every captured medium matched against them, and
    each planted pair checked: exact copies found, PDQ near-copies found up to 31 bits and
    never beyond, flat images' PDQ never used."""
    lists = out_dir / "hashlists"
    actor = app_state.actor()
    known = lists_service.import_list(engine, actor, lists / "known.csv", "demo-known",
                                      create_kind="known")  # fmt: skip
    benign = lists_service.import_list(engine, actor, lists / "benign.csv", "demo-benign",
                                       create_kind="negative")  # fmt: skip
    run = matching.match(engine, actor)
    with engine.connect() as connection:
        media = media_totals(connection)
        found = entry_matches(connection, "demo-known")
    planted = orjson.loads((lists / "planted.json").read_bytes())
    right = checked = 0
    for entry, plant in planted.items():
        if entry.startswith("n-"):  # the known-benign entry: checked below
            continue
        checked += 1
        pairs = found.get(entry)  # every planted entry must be in the list
        if pairs is None:
            continue
        shas = {sha for sha, _d in pairs}
        if plant["kind"] != "pdq":
            right += plant["sha256"] in shas
        elif (plant.get("quality") or 0) < 50 or plant["distance"] > 31:
            right += plant["sha256"] not in shas
        else:
            right += (plant["sha256"], plant["distance"]) in pairs
    # and the benign image is known nowhere, whatever the known list says of it
    benign_shas = [p["sha256"] for e, p in planted.items() if e.startswith("n-")]
    with engine.connect() as connection:
        suppressed = not any(is_known(connection, sha) for sha in benign_shas)
    checked += 1
    right += suppressed
    out.print(
        f"[bold]6. Hash lists[/] {known.added:,} entries of known material (exact hashes and "
        f"PDQ near-copies 0-40 bits away) and {benign.added} known-benign → {run.matches:,} "
        f"matches; {media.known:,} of {media.media:,} captured media already known, "
        f"{media.new:,} new (counts only: media are never kept or shown)"
    )
    out.print(
        f"   against the planted pairs: {right:,} of {checked:,} as expected "
        f"{_check(right == checked)} (near-copies found up to 31 bits, none beyond)"
    )


def _casework(app_state: AppState, engine: Engine, out_dir: Path) -> None:
    """The world's decisions, clearances, partners' removal confirmations and analysts'
    checks imported; ``casework run`` at every moment a decision or clearance took effect,
    as a hotline running it daily would have; the time-to-removal statistics checked
    against the generator's own."""
    actor = app_state.actor()
    folder = out_dir / "casework"
    for kind, name in (("decisions", "decisions.jsonl"), ("clearances", "clearances.jsonl"),
                       ("removals", "removals.csv"), ("checks", "checks.jsonl")):  # fmt: skip
        import_facts(engine, actor, kind, folder / name)
    # repeats to providers that never act change no first notice or removal: the demo
    # writes the first notices, the moves and the returns, not a year of daily repeats
    rules = dataclasses.replace(load_rules(folder / "rules.toml"), renotice_hours=24 * 3650)
    notices = out_dir / "notices"
    with engine.connect() as connection:
        moments = decision_moments(connection)
    written = 0
    # the demo's database is its own and every fact was imported above: no run can miss an
    # import that committed while the previous one read, so none needs to look back
    for moment in [*moments, WORLD_END]:
        done = run_casework(engine, actor, rules, notices, now=moment, lookback=timedelta(0))
        written += done.notices
    truth = orjson.loads((out_dir / "casework-truth.json").read_bytes())["stats"]
    with engine.connect() as connection:
        overall = {s.key: s.as_dict() for s in casework_stats(connection, "overall")}["all"]
        countries = {s.key: s.as_dict() for s in casework_stats(connection, "country")}
        providers = {s.key: s.as_dict() for s in casework_stats(connection, "provider")}
    same = (overall, countries, providers) == (
        truth["overall"],
        truth["by_country"],
        truth["by_provider"],
    )
    median = overall["from_notice"]["median_hours"]
    out.print(
        f"[bold]7. Casework[/] {len(moments):,} daily runs → {written:,} notices "
        f"({notices}); {overall['noticed']:,} URLs noticed, {overall['removed']:,} removed, "
        f"median {median} h from notice to removal, {overall['within_3_days']:.0%} within "
        f"3 days, {overall['never_removed']:.0%} never, {overall['reappeared']} came back"
    )
    out.print(
        f"   against the truth: time to removal overall, per country and per provider "
        f"{_check(same)}"
    )


def _attribution(app_state: AppState, engine: Engine, out_dir: Path) -> None:
    """Sites → brands → distributors from the store's evidence, scored against the truth."""
    summary = pipeline.attribute(engine, app_state.actor())
    scratch = out_dir / "sites.csv"
    with engine.connect() as connection:
        with atomic_output(scratch, text=True) as handle:
            write_rows(handle, "csv", SITE_EXPORT_COLUMNS, site_rows(connection))
        sentence = headline(connection).sentence()
    result = score(read_truth(out_dir / "truth.json"), read_site_export(scratch))
    out.print(
        f"[bold]5. Attribution[/] {summary.links:,} selector links → {summary.attributed:,} "
        f"sites attributed; {sentence}"
    )
    out.print(
        f"   against the truth: B-cubed F1 site→brand {result.brand.f1:.3f}, "
        f"site→distributor {result.distributor.f1:.3f}, non-commercial sites attributed "
        f"{result.false_attribution_rate:.1%} "
        f"{_check(min(result.brand.f1, result.distributor.f1) >= 0.95)}"
    )


def _check(ok: bool) -> str:
    return "[green]✓[/]" if ok else "[red]✗ (differs)[/]"


def _print_truth_headline(truth: dict[str, object]) -> None:
    """What the coming attribution stage has to find, straight from the world's truth."""
    brands = truth["brands"]
    sites = truth["sites"]
    assert isinstance(brands, list)
    assert isinstance(sites, dict)
    owner = {brand["id"]: brand["distributor"] for brand in brands}
    urls_per_brand: Counter[str] = Counter()
    for entry in sites.values():
        if entry["brand"]:
            urls_per_brand[entry["brand"]] += entry["urls"]
    top_owners = sorted({owner[brand] for brand, _ in urls_per_brand.most_common(10)})
    distributors = len(set(owner.values()))
    out.print(
        f"[bold]9. Truth[/]   in this world {distributors} distributors operate {len(brands)} "
        f"brands; the 10 most prolific brands belong to {', '.join(top_owners)} — "
        "what attribution had to find"
    )


def serve_demo(app_state: AppState, engine: Engine, out_dir: Path, port: int) -> None:
    """The demo database in the browser: an organisation owning every demo hotline's
    reports, an admin ``demo`` with a fresh random password (printed once), then the server.
    From now on the demo database has users: CLI commands on it need ``--as demo``."""
    password = secrets.token_urlsafe(12)
    actor = app_state.actor()  # the implicit local admin of the fresh demo database
    with unit_of_work(engine) as connection:
        add_organisation(connection, actor, "demo-hotline", all_sources(connection))
        add_user(connection, actor, "demo", [("demo-hotline", Role.ADMIN)])
        set_password(connection, actor, "demo", password)
    out.print(
        f"[bold]Web[/]  http://127.0.0.1:{port}/ — sign in as [bold]demo[/], password "
        f"[bold]{password}[/] (shown once; this database now has users: use --as demo)"
    )
    run_server(app_state, engine, "127.0.0.1", port, uploads=out_dir / "uploads")
