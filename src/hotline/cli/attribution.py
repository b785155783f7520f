"""``hotline attribute``, ``why``, ``link``, ``unlink``, ``label``: thin over services."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from hotline import pipeline
from hotline.accounts.roles import Permission
from hotline.attribution.method import Params, band
from hotline.attribution.queries import headline, site_answer
from hotline.attribution.services import (
    BRAND_ID,
    DISTRIBUTOR_ID,
    checked_label,
    checked_reason,
    label_cluster,
    record_override,
    site_keys,
)
from hotline.cli.console import (
    INPUT_REJECTED,
    err,
    fail,
    markup_value,
    out,
    site_argument,
    text_value,
)
from hotline.cli.context import refusals_exit, state
from hotline.store.uow import unit_of_work
from hotline.urls import defang_host
from hotline.urls.display import display_value


def attribute(ctx: typer.Context) -> None:
    """Group sites into brands and brands into distributors, from the evidence in the store.

    Reads every selector the captures yielded and the hosting (addresses, nameservers),
    weighs each shared value by its kind and its rarity — a value many unrelated sites share
    (a CDN address, a popular nameserver, a template kit's default analytics id) carries
    little or no weight — and clusters on the weighted links. Sites with no commercial
    signal stay unattributed. Ids are stable: a brand or distributor that persists keeps its
    id (and label) across runs. Your [bold]link[/]/[bold]unlink[/] decisions always apply.

    [bold]Examples[/]

      hotline attribute
      hotline why shop-alpha.test
    """
    app_state = state(ctx)
    engine = app_state.ready_engine()

    def note(step: str) -> None:
        if not app_state.quiet:
            err.print(f"[dim]{step}…[/]")

    with refusals_exit():
        summary = pipeline.attribute(engine, app_state.actor(), lambda step, *_: note(step))
    table = Table(title="Attribution", show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, value in (
        ("selector links read", summary.links),
        ("sites with evidence", summary.sites),
        ("sites attributed", summary.attributed),
        ("brands", summary.brands),
        ("  ids kept from the last run", summary.kept_brand_ids),
        ("  new ids", summary.new_brand_ids),
        ("  retired ids", summary.retired_brand_ids),
        ("distributors", summary.distributors),
        ("analyst decisions applied", summary.overrides),
    ):
        table.add_row(label, f"{value:,}")
    out.print(table)
    for skipped in summary.overrides_skipped:
        err.print(f"[yellow]skipped:[/] {escape(skipped)}")
    with engine.connect() as connection:
        out.print(headline(connection).sentence())
    timing = ", ".join(f"{k} {v:.1f} s" for k, v in summary.seconds.items())
    out.print(f"[dim]{timing}[/]")


_DEFAULTS = Params()


def why(
    ctx: typer.Context,
    site: Annotated[str, typer.Argument(help="The site (registrable domain, onion or IP).")],
) -> None:
    """Why a site belongs to its brand and distributor: the strongest shared evidence (kind,
    value, weight, other sites sharing it) and the shared values that were discounted.

    [bold]Example[/]

      hotline why shop-alpha.test
    """
    key = site_argument(site)
    engine = state(ctx).ready_engine()
    with engine.connect() as connection:
        answer = site_answer(connection, key)
    shown = markup_value(defang_host(key))
    if answer is None:
        raise fail(f"no attribution for '{defang_host(key)}' (is it a site? run hotline attribute)")
    commerce = answer.commercial_score
    commerce_text = f"commercial score {commerce:.2f}" if commerce is not None else ""
    yes, no = answer.flags
    if yes or no:  # what the reporting hotlines said weighs in the score (never decides)
        said = "commercial" if yes > no else "non-commercial" if no > yes else "undecided"
        commerce_text += (
            f"; reporting hotlines: {said} ({yes} of {yes + no} reports said commercial)"
        )
    if answer.brand is None:
        out.print(
            f"[bold]{shown}[/] is not attributed: nothing ties it firmly enough to a brand "
            f"({commerce_text or 'no commercial signal'}; {unattributed_needs(commerce, yes, no)})"
        )
    else:
        # Labels are the analysts' free text: shown literally, one line, URLs defanged.
        brand = markup_value(answer.brand) + (
            f" “{markup_value(answer.brand_label)}”" if answer.brand_label else ""
        )
        dist = markup_value(answer.distributor or "?") + (
            f" “{markup_value(answer.distributor_label)}”" if answer.distributor_label else ""
        )
        out.print(
            f"[bold]{shown}[/] → brand {brand} ({answer.brand_sites} sites) → distributor "
            f"{dist} ({answer.distributor_brands} brands)"
        )
        if answer.confidence is not None:
            out.print(
                f"confidence {answer.confidence:.2f} ({band(answer.confidence)}); {commerce_text}"
            )
    if not answer.evidence:
        return
    table = Table(title="Evidence", title_justify="left")
    for column in ("level", "kind", "value", "weight", "shared with", "for example", "note"):
        table.add_column(column)
    # Values come from captured pages and DNS: Text cells, controls escaped, URLs defanged.
    for item in answer.evidence:
        examples = ", ".join(defang_host(s) for s in item.get("examples", [])[:3])
        table.add_row(
            text_value(item.get("level", "")), text_value(item["kind"]),
            Text(display_value(item["kind"], str(item["value"]))),
            f"{item['weight']:.2f}", f"{item['shared_with']:,} site(s)", text_value(examples),
            text_value(item.get("discounted") or ""),
        )  # fmt: skip
    out.print(table)


def unattributed_needs(commerce: float | None, yes: int, no: int) -> str:
    """What an unattributed site would have needed, by the rule that held it back: below the
    commercial floor, a commercial score or a strong value shared with a commercial site;
    above it but called non-commercial by most reporting hotlines, a strong value of its own
    shared with its brand or distributor; above it only by their "commercial", the same or
    its distributor's own hosting; above it otherwise, a confidence over the floor."""
    floor, least = _DEFAULTS.commercial_floor, _DEFAULTS.confidence_floor
    if commerce is None or commerce < floor - 1e-9:
        return (
            f"a site needs a commercial score of {floor:g} or a strong value shared with a "
            f"commercial site, and a confidence of {least:g}"
        )
    if no > yes and _DEFAULTS.verdict_needs_firm_tie:
        return (
            "the reporting hotlines called it non-commercial: it needs a strong value of its "
            "own that its brand or distributor shares"
        )
    own = commerce - _DEFAULTS.assessed_commercial  # what its pages alone score
    if yes > no and _DEFAULTS.word_needs_firm_tie and own < floor - 1e-9:
        return (
            "it is commercial only by the reporting hotlines' word (its pages alone score "
            f"{own:g}): it needs a strong value of its own that its brand or distributor "
            "shares, or name servers or an address only its distributor's sites use"
        )
    return f"its ties give a confidence under {least:g}"


def _override(ctx: typer.Context, action: str, left: str, right: str, reason: str) -> None:
    sides = [x.strip().lower() if BRAND_ID.match(x.strip()) else site_argument(x)
             for x in (left, right)]  # fmt: skip
    if sides[0] == sides[1]:
        raise fail("give two different sites or brands")
    if not reason.strip():
        raise fail("--reason is required: say why, for whoever reads this later")
    try:
        reason = checked_reason(reason)
    except ValueError as error:
        raise fail(f"--reason: {error}") from error
    app_state = state(ctx)
    engine = app_state.ready_engine()
    actor = app_state.require(Permission.DECIDE, f"attribution.{action}", " ".join(sides))
    with unit_of_work(engine) as connection:
        sites = [s for s in sides if not BRAND_ID.match(s)]
        known = site_keys(connection, sites)
        unknown = [s for s in sites if s not in known]
        if unknown:
            raise fail(f"not a known site: {', '.join(defang_host(s) for s in unknown)}")
        row = record_override(connection, actor, action, sides[0], sides[1], reason)
    what = "brand" if row.level == "site" else "distributor"
    verb = "the same" if action == "link" else "never the same"
    out.print(
        f"recorded #{row.id}: {escape(defang_host(sides[0]))} and "
        f"{escape(defang_host(sides[1]))} are {verb} {what} (by {escape(row.author)}); "
        "run [bold]hotline attribute[/] to apply it"
    )


def link(
    ctx: typer.Context,
    left: Annotated[str, typer.Argument(help="A site, or a brand id (b12).")],
    right: Annotated[str, typer.Argument(help="A site, or a brand id (b12).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with author and time).")],
) -> None:
    """Say two sites are one brand (or, given two brand ids, one distributor).

    Every later [bold]hotline attribute[/] respects it, whatever the evidence says.

    [bold]Examples[/]

      hotline link shop-alpha.test shop-alpha-2.test --reason "same operator per notice 4411"
      hotline link b12 b40 --reason "shared wallet seen in case 2026-118"
    """
    _override(ctx, "link", left, right, reason)


def unlink(
    ctx: typer.Context,
    left: Annotated[str, typer.Argument(help="A site, or a brand id (b12).")],
    right: Annotated[str, typer.Argument(help="A site, or a brand id (b12).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with author and time).")],
) -> None:
    """Say two sites are never one brand (or, given two brand ids, never one distributor).

    [bold]Example[/]

      hotline unlink b12 b40 --reason "the shared id is a reseller's default"
    """
    _override(ctx, "unlink", left, right, reason)


def label(
    ctx: typer.Context,
    what: Annotated[str, typer.Argument(help="brand or distributor")],
    ident: Annotated[str, typer.Argument(help="The id: b12 or d3.")],
    name: Annotated[str, typer.Argument(help="The label analysts know it by.")],
) -> None:
    """Name a brand or a distributor; the name stays with the id across runs.

    [bold]Examples[/]

      hotline label brand b12 "Zorbel Shop"
      hotline label distributor d3 "Group North"
    """
    kind = what.lower()
    if kind not in ("brand", "distributor"):
        raise fail("say 'brand' or 'distributor'")
    pattern = BRAND_ID if kind == "brand" else DISTRIBUTOR_ID
    found = pattern.match(ident.strip())
    if found is None:
        raise fail(f"'{ident}' is not a {kind} id (like {'b12' if kind == 'brand' else 'd3'})")
    number = int(found.group(1))
    try:
        name = checked_label(name)
    except ValueError as error:
        raise fail(f"cannot label {kind} {ident.strip().lower()}: {error}") from error
    app_state = state(ctx)
    engine = app_state.ready_engine()
    ref = ident.strip().lower()
    actor = app_state.require(Permission.DECIDE, f"attribution.label_{kind}", ref)
    with unit_of_work(engine) as connection:
        changed = label_cluster(connection, actor, kind, number, name)
    if not changed:
        raise fail(f"no {kind} {ident}", code=INPUT_REJECTED)
    out.print(f"{kind} {markup_value(ident.strip().lower())} is now “{markup_value(name)}”")
