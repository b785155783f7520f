"""``hotline enrich``, ``hotline hosting SITE`` and ``hotline providers``: thin over services."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from hotline import pipeline
from hotline.cli.console import err, fail, markup_value, out, site_argument, text_value, ticker
from hotline.cli.context import AppState, refusals_exit, state
from hotline.hosting import providers as provider_table
from hotline.hosting.cdn import CdnListError
from hotline.hosting.current import HOSTING_LABELS
from hotline.hosting.enrich import EnrichOptions, EnrichSummary
from hotline.hosting.ipdb import IpDatabaseError
from hotline.hosting.queries import current, timeline
from hotline.urls import defang_host


def _resolver(nameservers: list[str], timeout: float, concurrency: int) -> Any:
    from hotline.hosting.resolve import ResolverConfig

    try:
        return ResolverConfig(
            nameservers=tuple(nameservers), timeout=timeout, lifetime=max(timeout * 2.5, timeout),
            concurrency=concurrency,
        )  # fmt: skip
    except ValueError as error:
        raise fail(f"--nameserver: {error}") from error


def enrich(
    ctx: typer.Context,
    geoip_db: Annotated[
        Path | None,
        typer.Option(
            "--geoip-db",
            envvar="HOTLINE_GEOIP_DB",
            help="Country database (.mmdb: GeoLite2/GeoIP2-Country, DB-IP, IPinfo Lite). "
            "Default: the bundled offline database.",
        ),
    ] = None,
    asn_db: Annotated[
        Path | None,
        typer.Option(
            "--asn-db",
            envvar="HOTLINE_ASN_DB",
            help="AS database (.mmdb: GeoLite2-ASN, DB-IP ASN, IPinfo Lite). "
            "Default: the bundled offline database.",
        ),
    ] = None,
    cdn_list: Annotated[
        list[Path] | None,
        typer.Option(
            "--cdn-list",
            envvar="HOTLINE_CDN_LIST",
            help="Extra CDN list (JSON: asns, networks, cname_suffixes), merged over the "
            "shipped one. Repeatable.",
        ),
    ] = None,
    resolve: Annotated[
        bool, typer.Option("--resolve", help="Also resolve the sites' host names live (network).")
    ] = False,
    nameserver: Annotated[
        list[str] | None,
        typer.Option(
            "--nameserver",
            help="Resolver for --resolve: IP, IP:PORT or [IPv6]:PORT. "
            "Repeatable. Default: the system resolver.",
        ),
    ] = None,
    dns_timeout: Annotated[float, typer.Option(min=0.05, help="Seconds per DNS try.")] = 2.0,
    dns_concurrency: Annotated[
        int, typer.Option(min=1, max=1024, help="DNS queries in flight at most.")
    ] = 32,
    resolve_ttl: Annotated[
        float, typer.Option(min=0, help="Hours before a name is resolved again.")
    ] = 24.0,
    rdap: Annotated[
        bool, typer.Option("--rdap", help="Also look up abuse contacts by RDAP (network).")
    ] = False,
    rdap_bootstrap: Annotated[
        list[Path] | None,
        typer.Option(
            "--rdap-bootstrap",
            help="IANA RDAP bootstrap file(s) to use instead of "
            "the shipped snapshot (ipv4.json, ipv6.json).",
        ),
    ] = None,
    rdap_ttl: Annotated[float, typer.Option(min=0, help="Days before RDAP is asked again.")] = 7.0,
    full: Annotated[
        bool, typer.Option("--full", help="Recompute every site, not only what changed.")
    ] = False,
) -> None:
    """Work out where every site is hosted, and since when: IP, AS, country, provider, CDN.

    Reads what the store already holds — capture server addresses (WARC-IP-Address),
    passive DNS ([bold]hotline ingest pdns[/]) and bare-IP sites — looks every address up
    in the IP databases (offline; a bundled default ships with hotline) and recomputes the
    current hosting of the sites whose observations changed. An address of a known CDN is
    the edge, never the hosting country: such sites are [bold]behind CDN[/] until an origin
    address is seen. Addresses no database knows count as country [bold]unknown[/].

    Incremental: a second run only looks at what is new or stale. [bold]--resolve[/] (live
    DNS) and [bold]--rdap[/] (abuse contacts) use the network and are off by default.

    [bold]Examples[/]

      hotline enrich
      hotline enrich --geoip-db GeoLite2-Country.mmdb --asn-db GeoLite2-ASN.mmdb
      hotline enrich --cdn-list world/cdn.json
      hotline enrich --resolve --nameserver 192.0.2.53 --rdap
    """
    from hotline.hosting.enrich import load_bootstrap
    from hotline.hosting.rdap_bootstrap import BootstrapError

    bootstrap_files = list(rdap_bootstrap or [])
    try:  # checked before the database is even opened: a bad file changes nothing
        bootstrap = load_bootstrap(bootstrap_files) if rdap or bootstrap_files else None
    except BootstrapError as error:
        raise fail(f"--rdap-bootstrap: {error}" if bootstrap_files else str(error)) from error
    app_state = state(ctx)
    engine = app_state.ready_engine()
    options = EnrichOptions(
        geoip_db=geoip_db, asn_db=asn_db, cdn_lists=list(cdn_list or []), resolve=resolve,
        resolver=_resolver(list(nameserver or []), dns_timeout, dns_concurrency)
        if resolve else None,
        resolve_ttl=timedelta(hours=resolve_ttl), rdap=rdap,
        rdap_bootstrap=bootstrap_files, bootstrap=bootstrap, rdap_ttl=timedelta(days=rdap_ttl),
        full=full,
    )  # fmt: skip
    summary = run_enrichment(app_state, engine, options)
    print_summary(summary)


def run_enrichment(app_state: AppState, engine: Engine, options: EnrichOptions) -> EnrichSummary:
    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err, disable=app_state.quiet or not err.is_terminal,
    )  # fmt: skip
    from hotline.hosting.rdap_bootstrap import BootstrapError

    try:
        with progress, refusals_exit():
            return pipeline.enrich(engine, app_state.actor(), options, ticker(progress))
    except (IpDatabaseError, CdnListError, BootstrapError) as error:  # before or mid-run
        raise fail(str(error)) from error


def print_summary(summary: EnrichSummary) -> None:
    table = Table(title="Hosting enrichment", show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    rows: list[tuple[str, int]] = [
        ("capture addresses (observations written)", summary.capture_observations),
        ("bare-IP sites", summary.url_observations),
    ]
    if summary.dns_names:
        rows.append(("names resolved live", summary.dns_names))
    rows += [
        ("addresses looked up", summary.ips_looked_up),
        ("  of which no database knows the country", summary.ips_unknown_country),
        ("    of which the database gave no ISO country code", summary.ips_not_a_country),
        ("  of which belong to a CDN", summary.ips_cdn),
        ("sites recomputed", summary.sites_recomputed),
    ]
    for status, count in sorted(summary.sites_by_status.items()):
        rows.append((f"  {status}", count))
    for label, value in rows:
        table.add_row(label, f"{value:,}")
    out.print(table)
    if summary.not_a_country_values:
        common = summary.not_a_country_values.most_common(5)
        values = ", ".join(f"{value} ×{count:,}" for value, count in common)
        out.print(f"country values that are no ISO 3166-1 code, read as unknown: {escape(values)}")
    if summary.full and summary.sites_recomputed:
        out.print(
            "every site recomputed: first run, or the databases, CDN list or providers changed"
        )
    for name, counter in (("live DNS", summary.dns_by_status), ("RDAP", summary.rdap_by_status)):
        if counter:
            parts = ", ".join(f"{k} {v:,}" for k, v in sorted(counter.items()))
            out.print(f"{name}: {parts}")
    failed = sum(v for k, v in summary.rdap_by_status.items() if k != "ok")
    for ip, note in summary.rdap_failures:
        out.print(f"  {ip}: {escape(note)}")
    if failed > len(summary.rdap_failures):
        out.print(f"  … and {failed - len(summary.rdap_failures):,} more RDAP failure(s)")
    if failed:
        out.print(
            f"RDAP failed for {failed:,} address(es); asked again after an hour "
            "(not_found: after --rdap-ttl days)"
        )
    timing = ", ".join(f"{k} {v:.1f} s" for k, v in summary.seconds.items())
    out.print(f"[dim]databases: {escape(summary.databases)}; {timing}[/]")


def hosting(
    ctx: typer.Context,
    site: Annotated[str, typer.Argument(help="The site: registrable domain, onion or IP.")],
) -> None:
    """Where a site is hosted now, and its history: every address, AS, country and source.

    Current hosting comes from the names that serve the site's content (its own name,
    www, the hosts its URLs were reported or captured on); its name servers and mail hosts
    (ns1.<site>, mail.<site>) are in the timeline, noted as such, and never decide it.
    Names are shown defanged. Run [bold]hotline enrich[/] first.

    [bold]Example[/]

      hotline hosting shop-alpha.test
    """
    from hotline.hosting.current import MAIL, NAME_SERVER
    from hotline.hosting.rdap_store import rdap_states

    key = site_argument(site)
    engine = state(ctx).ready_engine()
    with engine.connect() as connection:
        now = current(connection, key)
        rows = timeline(connection, key)
        addresses = [row.value for row in rows if row.rrtype in ("A", "AAAA", "IP")]
        rdap = rdap_states(connection, addresses)
    if now is None and not rows:
        raise fail(f"no hosting known for '{defang_host(key)}' (is it a site? run hotline enrich)")
    # Names come from passive DNS, facts from IP databases and RDAP: every value is shown
    # literally, one line, controls escaped (markup_value, text_value).
    if now is not None:
        where = HOSTING_LABELS.get(now.status, now.country)
        if now.status == "behind-cdn":
            where += f" ({now.cdn})"
        line = f"[bold]{markup_value(defang_host(key))}[/]: hosted {markup_value(where)}"
        if now.status == "hosted":
            asn = f"AS{now.asn}" if now.asn is not None else "unknown AS"
            line += f" at {markup_value(now.ip)}, {asn} {markup_value(now.provider or '')}".rstrip()
        if now.since:
            line += f", since {now.since:%Y-%m-%d}"
        out.print(line)
        if now.origin_country and now.status == "behind-cdn":
            out.print(f"last origin seen: {markup_value(now.origin_country)}")
        out.print(
            f"{now.ips} address(es), {now.asns} AS(es), {now.countries} country(ies), "
            f"{now.providers} provider(s) over time"
        )
    table = Table(title="Timeline", title_justify="left")
    for column in ("first seen", "last seen", "name", "type", "value", "AS", "provider",
                   "country", "source", "note"):  # fmt: skip
        table.add_column(column)
    for row in rows:
        value = row.value if row.rrtype in ("A", "AAAA", "IP") else defang_host(row.value)
        note = f"CDN: {row.cdn}" if row.cdn else (row.status if row.status != "ok" else "")
        if row.role in (NAME_SERVER, MAIL):  # shown, never counted as the site's hosting
            note = f"{row.role}; {note}" if note else row.role
        if row.abuse:
            note = (note + " " if note else "") + "abuse: " + ", ".join(row.abuse)
        looked_up = rdap.get(row.value)
        if looked_up is not None and looked_up.note:  # say so, or a blank looks like "none"
            note = f"{note}; {looked_up.note}" if note else looked_up.note
        table.add_row(
            f"{row.first_seen:%Y-%m-%d}", f"{row.last_seen:%Y-%m-%d}",
            text_value(defang_host(row.host)), text_value(row.rrtype), text_value(value),
            f"AS{row.asn}" if row.asn is not None else "", text_value(row.provider or ""),
            text_value(row.country or ("" if row.rrtype in ("CNAME", "NS") else "unknown")),
            text_value(",".join(row.sources)), text_value(note),
        )  # fmt: skip
    out.print(table)


providers_app = typer.Typer(
    help="The provider table: AS number → display name and kind (cloud, shared, bulletproof, "
    "dedicated, cdn, isp, other). Names here win over the AS database; kind cdn makes the AS "
    "a CDN.\n\n[bold]Examples[/]\n\n  hotline providers set AS64500 'Somehost' bulletproof\n\n"
    "  hotline providers import world/providers.csv\n\n  hotline providers list",
    rich_markup_mode="rich",
    no_args_is_help=True,
)


@providers_app.command("list")
def providers_list(ctx: typer.Context) -> None:
    """Show the provider table.

    [bold]Example[/]

      hotline providers list
    """
    engine = state(ctx).ready_engine()
    with engine.connect() as connection:
        entries = provider_table.listing(connection)
    table = Table(title=f"{len(entries)} provider(s)", title_justify="left")
    for column in ("AS", "name", "kind", "note", "updated by", "updated"):
        table.add_column(column)
    for e in entries:
        table.add_row(
            f"AS{e.asn}", escape(e.name), e.kind, escape(e.note or ""),
            escape(e.updated_by), f"{e.updated_at:%Y-%m-%d %H:%M}",
        )  # fmt: skip
    out.print(table)


def _save(ctx: typer.Context, entries: list[provider_table.ProviderEntry]) -> int:
    app_state = state(ctx)
    engine = app_state.ready_engine()
    with refusals_exit():
        return pipeline.save_providers(engine, app_state.actor(), entries)


@providers_app.command("set")
def providers_set(
    ctx: typer.Context,
    asn: Annotated[str, typer.Argument(help="AS number, with or without 'AS'.")],
    name: Annotated[str, typer.Argument(help="Display name.")],
    kind: Annotated[str, typer.Argument(help="cloud|shared|bulletproof|dedicated|cdn|isp|other")],
    note: Annotated[str | None, typer.Option(help="Free text for colleagues.")] = None,
) -> None:
    """Add or change one provider; the next [bold]hotline enrich[/] applies it to every site.

    [bold]Examples[/]

      hotline providers set AS64500 "Somehost" bulletproof
      hotline providers set 64501 "Edge network" cdn --note "reverse proxy, not hosting"
    """
    try:
        entry = provider_table.entry(asn, name, kind, note)
    except provider_table.ProviderError as error:
        raise fail(str(error)) from error
    _save(ctx, [entry])
    out.print(f"AS{entry.asn}: {escape(entry.name)} ({entry.kind})")


@providers_app.command("import")
def providers_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV with a header: asn,name,kind[,note].")],
) -> None:
    """Add or change many providers from a CSV file; nothing is stored if a line is bad.

    [bold]Example[/]

      hotline providers import world/providers.csv
    """
    try:
        entries = provider_table.read_csv(file)
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"{file}: cannot read ({error})") from error
    except provider_table.ProviderError as error:
        raise fail(str(error)) from error
    out.print(f"{_save(ctx, entries):,} provider(s) stored from {file}")


@providers_app.command("remove")
def providers_remove(
    ctx: typer.Context, asn: Annotated[str, typer.Argument(help="AS number.")]
) -> None:
    """Remove a provider (its AS falls back to the AS database's name).

    [bold]Example[/]

      hotline providers remove AS64500
    """
    try:
        number = provider_table.parse_asn(asn)
    except provider_table.ProviderError as error:
        raise fail(str(error)) from error
    app_state = state(ctx)
    engine = app_state.ready_engine()
    with refusals_exit():
        removed = pipeline.remove_provider(engine, app_state.actor(), number)
    if not removed:
        raise fail(f"AS{number} is not in the provider table", code=1)
    out.print(f"AS{number} removed")
