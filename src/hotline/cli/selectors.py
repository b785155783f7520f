"""``hotline selectors SITE``: what ties a site to others, as a person reads it (defanged)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from hotline.captures.page_class import NORMAL, OWN_PAGE_CLASSES
from hotline.captures.queries import SAME_TEMPLATE_BITS, SitePages, similar_templates, site_pages
from hotline.cli.console import canonical_site, fail, out, text_value
from hotline.cli.context import state
from hotline.hashes.queries import capture_counts, media_counts
from hotline.sharing.selectors import selector_rows
from hotline.urls import defang


def selectors(
    ctx: typer.Context,
    site: Annotated[
        str, typer.Argument(help="A site, host or URL (defanged is fine).", show_default=False)
    ],
) -> None:
    """List a site's selectors and how many sites share each (values defanged).

    First the site's captured pages by class (normal, error, placeholder, suspended,
    challenge, login, directory, empty: pages that are not the site's own give no
    selectors); then kind, value, payment method, first and last seen, captures and the
    number of sites sharing the value; then the sites whose page template is a near
    duplicate of this one's. The media its captures held are counted, known (on a hash list,
    after [bold]hotline match[/]) and new: never shown.

    [bold]Examples[/]

      hotline selectors zorbel.test
      hotline selectors 'hxxps://www[.]zorbel[.]test/item/7'
    """
    key = canonical_site(site)
    if key is None:
        raise fail(f"{site!r} is not a site, host or URL")
    engine = state(ctx).ready_engine()
    with engine.connect() as connection:
        pages = site_pages(connection, key)
        rows = list(selector_rows(connection, site=key, defanged=True))
        similar = similar_templates(connection, key)
        media = media_counts(connection, [key]).get(key)
        per_capture = capture_counts(connection, key) if media is not None else []
    if media is not None and media.media:
        # counts only: media are never shown, and known ones need never be looked at again
        with_known = sum(1 for c in per_capture if c.known)
        out.print(
            text_value(
                f"Media captured: {media.media:,} — {media.known:,} known (on a hash list), "
                f"{media.new:,} new; {with_known:,} of {len(per_capture):,} capture(s) held "
                "known media"
            )
        )
    if not rows:
        if pages.captures:
            own = any(count.page_class in OWN_PAGE_CLASSES for count in pages.classes)
            why = "" if own else ": no capture shows the site's own page"
            out.print(text_value(f"no selectors recorded for {defang(key)}{why}"))
            _print_pages(pages)
        else:
            out.print(
                text_value(f"no selectors recorded for {defang(key)} (ingest its captures first)")
            )
        return
    _print_pages(pages)
    table = Table(title=text_value(f"Selectors of {defang(key)}"), title_justify="left")
    table.add_column("kind", no_wrap=True)
    table.add_column("value", overflow="fold", ratio=1)  # values are evidence: never cut
    for column in ("method", "first seen", "last seen", "captures", "sites"):
        table.add_column(
            column, no_wrap=True, justify="right" if column in ("captures", "sites") else "left"
        )
    # Every text is from captured pages: shown literally, controls escaped, URLs defanged.
    for _, kind, value, method, _, first, last, captures, sites, *_ in rows:
        table.add_row(
            text_value(kind),
            text_value(value),
            text_value(method or ""),
            f"{first:%Y-%m-%d}",
            f"{last:%Y-%m-%d}",
            str(captures),
            str(sites),
        )
    out.print(table)
    if similar:
        shown = ", ".join(f"{defang(other)} ({bits})" for other, bits in similar[:12])
        more = f" and {len(similar) - 12:,} more" if len(similar) > 12 else ""
        out.print(
            text_value(
                f"Near-identical page template (bits apart, ≤ {SAME_TEMPLATE_BITS}): {shown}{more}"
            )
        )


def _print_pages(pages: SitePages) -> None:
    """One line of captured pages by class, e.g. ``pages: 12 normal (last 2026-04-30), 3
    error (last 2026-05-01)``; then the latest capture if it is not the site's own page (the
    site went down, was parked or blocked since), its URL defanged and without scheme."""
    if not pages.captures:
        return
    shown = ", ".join(
        f"{count.captures:,} {count.page_class} (last {count.last:%Y-%m-%d})"
        for count in pages.classes
    )
    out.print(text_value(f"pages: {shown}"))
    if pages.latest_class not in (None, NORMAL) and pages.latest_at and pages.latest_url:
        where = defang(pages.latest_url.split("://", 1)[-1])
        out.print(
            text_value(
                f"latest capture ({pages.latest_at:%Y-%m-%d}) is {pages.latest_class}: {where}"
            )
        )
