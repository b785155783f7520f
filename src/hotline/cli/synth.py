"""``hotline synth`` and ``hotline score``: the synthetic world and how attribution fares on it."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hotline.cli.console import err, fail, out
from hotline.synth.baseline import baseline_attribution, read_selector_dump
from hotline.synth.generate import Summary, generate
from hotline.synth.phenomena import DESCRIPTIONS, PHENOMENA, parse_phenomena
from hotline.synth.score import ScoreReport, read_site_export, read_truth, score


class ScaleName(StrEnum):
    small = "small"
    medium = "medium"
    large = "large"


def _check_phenomena(value: str) -> str:
    """Refuse unknown names before anything is written (exit 2, naming the valid ones)."""
    try:
        parse_phenomena(value)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    return value


def synth(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the world into.")] = Path(
        "world"
    ),
    seed: Annotated[int, typer.Option(help="Same seed, same bytes.")] = 2013,
    scale: Annotated[
        ScaleName,
        typer.Option(
            help="small ≈ 250 sites / 1,100 URLs (the demo); medium ≈ 100,000 sites; "
            "large ≈ 1,000,000 sites (no WARC unless --captures)."
        ),
    ] = ScaleName.small,
    captures: Annotated[
        bool | None,
        typer.Option(
            "--captures/--no-captures",
            help="Write WARC captures (default: yes, except at the large scale).",
            show_default=False,
        ),
    ] = None,
    phenomena: Annotated[
        str,
        typer.Option(
            "--phenomena",
            metavar="all|none|NAME,...",
            callback=_check_phenomena,
            help="Phenomena of real captures that fool attribution (listed above): all, "
            "none, or names separated by commas.",
        ),
    ] = "none",
    rate_scale: Annotated[
        float,
        typer.Option(
            "--rate-scale",
            min=0.1,
            max=10.0,
            help="Multiply every phenomenon's rates (shares capped at 100 %): 2 makes a "
            "harsher world than the tuned ranges, to see how attribution bends.",
        ),
    ] = 1.0,
) -> None:
    """Generate a synthetic world with its ground truth, in the formats hotline ingests.

    Writes [bold]reports.csv[/] (five or more hotlines, overlapping URLs in surface
    variants, ~3 % bad rows), [bold]captures/*.warc.gz[/], [bold]pdns.jsonl[/] (passive-DNS
    Common Output Format), [bold]geoip/country.mmdb[/] and [bold]geoip/asn.mmdb[/] (MaxMind DB
    files for the synthetic ranges), [bold]selectors.jsonl[/] (every selector the captures
    show, per site), [bold]processors.json[/] and [bold]truth.json[/] (site → brand →
    distributor, hosting country per site and URL, payment addresses, bad rows).

    Everything is benign: reserved names (.test, .example, .onion), documentation and
    benchmarking IP ranges, private-use ASNs, neutral shop text, generated abstract images.

    [bold]Examples[/]

      hotline synth --out world
      hotline synth --seed 7 --scale medium --out /tmp/medium
      hotline synth --seed 7 --phenomena all --out /tmp/real-looking
      hotline synth --phenomena error_pages,parked,shortener --out /tmp/some
      hotline synth --phenomena all --rate-scale 2 --out /tmp/harsher
    """
    chosen = parse_phenomena(phenomena)
    if rate_scale != 1.0 and not chosen:
        raise typer.BadParameter(
            "scales the phenomena's rates: switch some on with --phenomena (all, or names)",
            param_hint="--rate-scale",
        )
    started = time.perf_counter()
    progress = Progress(
        TextColumn("[bold]generating sites"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=_quiet(ctx) or not err.is_terminal,
    )
    with progress:
        task = progress.add_task("sites", total=None)

        def advance(done: int, expected: int) -> None:
            progress.update(task, completed=done, total=max(done, expected))

        try:
            summary = generate(
                seed, scale.value, out_dir, captures, advance, chosen, rate_scale=rate_scale
            )
        except OSError as error:
            raise fail(
                f"cannot write the world into {out_dir}: {error.strerror or error}"
            ) from error
    out.print(world_line(summary, time.perf_counter() - started))


# The list of phenomena comes from the generator, so the help cannot fall behind it.
synth.__doc__ = (synth.__doc__ or "") + (
    "\n    [bold]Phenomena[/] (off by default; off, a world is byte-identical to one made "
    "without them)\n\n"
    + "\n".join(f"      {name}: {DESCRIPTIONS[name]}" for name in PHENOMENA)
    + "\n"
)


def world_line(summary: Summary, seconds: float | None = None) -> str:
    counts = summary.counts
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    made = f" with {', '.join(summary.phenomena)}" if summary.phenomena else ""
    return (
        f"world [bold]{summary.scale}[/] seed {summary.seed}{made} → {summary.out}{took}: "
        f"{counts['sites']:,} sites ({counts['commercial_sites']:,} commercial, "
        f"{counts['noise_sites']:,} non-commercial, {counts['gateways']:,} gateways, "
        f"{counts['onion_mirrors']:,} onion mirrors, {counts['behind_cdn']:,} behind a CDN), "
        f"{counts['urls']:,} URLs in {counts['reports']:,} report rows "
        f"({counts['bad_rows']:,} deliberately bad), {counts['captures']:,} captures, "
        f"{counts['pdns_records']:,} pDNS records, {counts['selector_links']:,} selector links"
    )


def _quiet(ctx: typer.Context) -> bool:
    parent = ctx.find_root().obj
    return bool(getattr(parent, "quiet", False))


def score_command(
    truth: Annotated[
        Path, typer.Option("--truth", help="The world's truth.json.", show_default=False)
    ],
    export: Annotated[
        Path | None,
        typer.Option(
            "--export",
            help="A site export (CSV or JSON Lines with site, brand_id, distributor_id).",
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="Also score the naive baseline (connected components over every shared "
            "selector) from a world's selectors.jsonl.",
        ),
    ] = None,
) -> None:
    """Score an attribution against a synthetic world's truth (B-cubed, false attribution).

    Prints B-cubed precision, recall and F1 for site → brand and site → distributor over
    the commercial sites, and the share of non-commercial sites that were wrongly attributed.

    Scoring reads a site export file ([bold]--export[/], written by
    [bold]hotline export sites[/] after [bold]hotline attribute[/]); [bold]--baseline[/]
    scores "link everything that shares a selector" beside it.

    [bold]Examples[/]

      hotline score --truth world/truth.json --baseline world/selectors.jsonl
      hotline export sites --format csv --no-defang --out sites.csv
      hotline score --truth world/truth.json --export sites.csv
    """
    if export is None and baseline is None:
        raise fail(
            "nothing to score: pass --export FILE (from hotline export sites) or "
            "--baseline world/selectors.jsonl"
        )
    try:
        world_truth = read_truth(truth)
    except (OSError, ValueError) as error:
        raise fail(str(error)) from error
    rows: list[tuple[str, ScoreReport]] = []
    try:
        if export is not None:
            rows.append((export.name, score(world_truth, read_site_export(export))))
        if baseline is not None:
            naive = baseline_attribution(read_selector_dump(baseline))
            rows.append(("connected components (baseline)", score(world_truth, naive)))
    except (OSError, ValueError) as error:
        raise fail(str(error)) from error
    table = Table(title=f"Attribution quality against {truth}", title_justify="left")
    for column in (
        "attribution",
        "brand P",
        "brand R",
        "brand F1",
        "distr. P",
        "distr. R",
        "distr. F1",
        "non-commercial attributed",
    ):
        table.add_column(column, justify="left" if column == "attribution" else "right")
    for name, report in rows:
        table.add_row(
            name,
            *(
                f"{value:.3f}"
                for value in (
                    report.brand.precision,
                    report.brand.recall,
                    report.brand.f1,
                    report.distributor.precision,
                    report.distributor.recall,
                    report.distributor.f1,
                )
            ),
            f"{report.non_commercial_attributed:,}/{report.non_commercial:,} "
            f"({report.false_attribution_rate:.1%})",
        )
    out.print(table)
