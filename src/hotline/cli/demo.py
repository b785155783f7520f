"""``hotline demo``: the pipeline end to end on a synthetic world, in its own database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from hotline.cli.console import err, out
from hotline.cli.context import AppState
from hotline.cli.ingest import import_files
from hotline.intake.services import ReportImporter
from hotline.intake.stats import multi_source_urls, top_sites, totals
from hotline.quarantine import counts_by_reason
from hotline.sharing.formats import write_rows
from hotline.sharing.urls import URL_EXPORT_COLUMNS, url_rows
from hotline.synth.demo import write_demo_feeds
from hotline.urls import defang

NOT_BUILT_YET = (
    "hosting (enrich: IP, ASN, country, CDN)",
    "captures (WARC → selectors, media hashes)",
    "attribution (sites → brands → distributors)",
    "the strategic assessment report",
)


def demo(
    ctx: typer.Context,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Where the demo writes its feeds, database and exports.")
    ] = Path("demo-out"),
    seed: Annotated[int, typer.Option(help="Seed of the synthetic world.")] = 2013,
) -> None:
    """Run the pipeline on a synthetic world: five hotlines' feeds, intake, dedupe, export.

    Everything is synthetic and benign (reserved .test/.example names, documentation IPs).
    The demo uses its own SQLite database in --out, never the one --db points at, so it
    cannot mix with real data. Run it again and nothing is duplicated.

    [bold]Example[/]

      hotline demo --out /tmp/hotline-demo
    """
    parent = ctx.find_root().obj
    quiet = isinstance(parent, AppState) and parent.quiet
    out_dir.mkdir(parents=True, exist_ok=True)
    db_path = (out_dir / "demo.db").resolve()
    app_state = AppState(db=f"sqlite:///{db_path}", quiet=quiet)
    engine = app_state.ready_engine()

    feeds = write_demo_feeds(out_dir / "feeds", seed)
    out.print(f"[bold]1. Feeds[/]  {len(feeds)} hotline feeds written to {out_dir / 'feeds'}")

    total = import_files(ReportImporter(engine), feeds, None, quiet)
    counts = totals(engine)
    out.print(
        f"[bold]2. Intake[/] {total.rows_read:,} rows read → {total.new_reports:,} new reports, "
        f"{total.rejected:,} rejected (kept in the quarantine, never twice)"
    )
    out.print(
        f"   database holds {counts['reports']:,} reports of {counts['urls']:,} unique URLs "
        f"on {counts['sites']:,} sites; {multi_source_urls(engine):,} URLs were reported by "
        "more than one hotline"
    )
    reasons = ", ".join(f"{code} {n}" for code, n in counts_by_reason(engine))
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
    for row in top_sites(engine, 8):
        table.add_row(Text(defang(row.site)), f"{row.urls:,}", f"{row.reports:,}", str(row.sources))
    out.print(table)

    export_path = out_dir / "urls.csv"
    with export_path.open("w", encoding="utf-8", newline="") as handle:
        exported = write_rows(handle, "csv", URL_EXPORT_COLUMNS, url_rows(engine))
    out.print(f"[bold]3. Export[/] {exported:,} canonical URLs → {export_path}")
    out.print("[bold]Not built yet[/] (coming stages): " + "; ".join(NOT_BUILT_YET))
    err.print(
        f"[dim]explore: hotline --db sqlite:///{db_path} quarantine list   ·   "
        f"hotline --db sqlite:///{db_path} export urls --defang | head[/]"
    )
