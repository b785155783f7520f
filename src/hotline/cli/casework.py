"""``hotline casework``: classify reported URLs and media, route and write notices, follow
each URL until it is gone, and measure how long removal took."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from hotline.casework import queries
from hotline.casework.advance import Sender, run
from hotline.casework.decisions import DecisionError, classify, save_scheme, schemes
from hotline.casework.facts import (
    FactError,
    import_facts,
    parse_time,
    record_check,
    record_clearance,
)
from hotline.casework.rules import Rules, RulesError, default_rules, load_rules
from hotline.casework.schemes import SchemeError, load_scheme
from hotline.casework.smtp import SmtpSettings
from hotline.casework.timing import BUCKETS
from hotline.cli.console import err, fail, markup_path, markup_value, out, text_value
from hotline.cli.context import refusals_exit, state

app = typer.Typer(
    help=(
        "Casework: classification under named schemes, notice and takedown, and time to "
        "removal. Decisions propagate: a URL or medium decided once shows as decided "
        "everywhere it appears.\n\n[bold]Examples[/] (a day's work)\n\n"
        "  hotline casework queue\n"
        "  hotline casework classify shop.example/item/1 interpol:baseline\n"
        "  hotline casework run --rules casework.toml --out notices/\n"
        "  hotline casework import removals partner-removals.csv\n"
        "  hotline casework stats --by provider"
    ),
    rich_markup_mode="rich",
    no_args_is_help=True,
)

RULES_HELP = (
    "The casework rules (TOML): own country, member hotlines, law enforcement, CDN desks, "
    "re-notice interval, escalation, consensus. See docs/casework.md."
)


class Group(StrEnum):
    overall = "overall"
    country = "country"
    provider = "provider"
    brand = "brand"
    distributor = "distributor"


class Kind(StrEnum):
    decisions = "decisions"
    clearances = "clearances"
    removals = "removals"
    checks = "checks"


def _rules(path: Path | None) -> Rules:
    if path is None:
        return default_rules()
    try:
        return load_rules(path)
    except RulesError as error:
        raise fail(str(error)) from error


def _time(text: str | None, what: str) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_time(text, what)
    except FactError as error:
        raise fail(str(error)) from error


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "–"


@app.command("schemes")
def schemes_command(
    ctx: typer.Context,
    import_file: Annotated[
        Path | None,
        typer.Option("--import", help="Add (or replace) your own scheme from a JSON or CSV file."),
    ] = None,
) -> None:
    """The classification schemes: the shipped ones (INTERPOL baseline/national, UK A/B/C,
    Project VIC 0-4) and your own. A decision is always SCHEME:CODE, never a bare number.

    [bold]Examples[/]

      hotline casework schemes
      hotline casework schemes --import national.csv   (columns scheme,code,label,illegal)
    """
    app_state = state(ctx)
    engine = app_state.ready_engine()
    if import_file is not None:
        try:
            scheme = load_scheme(import_file)
            with refusals_exit():
                count = save_scheme(engine, app_state.actor(), scheme)
        except (SchemeError, DecisionError) as error:
            raise fail(str(error)) from error
        err.print(f"scheme {escape(scheme.name)}: {count} code(s) saved")
    with engine.connect() as connection:
        known = schemes(connection)
    table = Table(title="Classification schemes", title_justify="left")
    for column in ("scheme", "code", "label", "illegal"):
        table.add_column(column)
    for name in sorted(known):
        for code in known[name].codes:
            table.add_row(
                escape(name), escape(code.code), escape(code.label), "yes" if code.illegal else "no"
            )
    out.print(table)


@app.command("classify")
def classify_command(
    ctx: typer.Context,
    target: Annotated[
        str, typer.Argument(help="A reported URL, or a medium as sha256:<64 hex digits>.")
    ],
    decision: Annotated[str, typer.Argument(help="SCHEME:CODE, e.g. interpol:baseline.")],
    note: Annotated[str | None, typer.Option(help="Why, in a few words (kept).")] = None,
    at: Annotated[
        str | None, typer.Option(help="When it was decided (ISO 8601 with zone; default now).")
    ] = None,
    pdq: Annotated[
        str | None, typer.Option(help="The medium's PDQ hash, to reach re-encoded copies.")
    ] = None,
) -> None:
    """Record your decision on a URL or a medium. It shows on every report of the same
    canonical URL and, for a medium, on every URL whose page held the same bytes (or a PDQ
    within the matching radius). Audited.

    [bold]Examples[/]

      hotline casework classify shop.example/item/1 interpol:baseline
      hotline casework classify sha256:9f86d0... uk:B --note 'same as case 12'
    """
    scheme, sep, code = decision.partition(":")
    if not sep or not scheme or not code:
        raise fail(f"{decision!r}: write the decision as SCHEME:CODE, e.g. interpol:baseline")
    app_state = state(ctx)
    engine = app_state.ready_engine()
    try:
        with refusals_exit():
            found, chosen, added = classify(
                engine,
                app_state.actor(),
                target,
                scheme,
                code,
                at=_time(at, "--at"),
                note=note,
                pdq=pdq,
            )
    except DecisionError as error:
        raise fail(str(error)) from error
    shown = found.url if found.kind == "url" else f"sha256:{found.sha256}"
    verdict = "illegal" if chosen.illegal else "not illegal"
    word = "recorded" if added else "already recorded"
    err.print(
        f"{word}: {markup_value(shown)} → {escape(scheme)}:{escape(chosen.code)} "
        f"({escape(chosen.label)}, {verdict})"
    )


@app.command("import")
def import_command(
    ctx: typer.Context,
    kind: Annotated[Kind, typer.Argument(help="What the files hold.")],
    files: Annotated[list[Path], typer.Argument(help="JSON Lines files (removals: also CSV).")],
) -> None:
    """Import facts: analysts' decisions, law enforcement's clearances, partners' removal
    confirmations, analysts' checks. A record already imported adds nothing; a bad one goes
    to the quarantine with its line and reason (exit code 1).

    decisions   {"url" or "sha256", "scheme", "code", "analyst", "decided_at", "note"}
    clearances  {"url", "cleared_at", "by"}
    removals    url,removed_at,source   (CSV with that header, or JSON Lines)
    checks      {"url", "at", "up": true|false, "analyst"}

    Times are ISO 8601 with a zone (2026-03-01T10:00:00Z).

    [bold]Example[/]

      hotline casework import removals partner-removals.csv
    """
    app_state = state(ctx)
    engine = app_state.ready_engine()
    refused = 0
    with refusals_exit():
        for path in files:
            if not path.is_file():
                raise fail(f"{path}: no such file")
            try:
                summary = import_facts(engine, app_state.actor(), kind.value, path)
            except FactError as error:
                raise fail(str(error)) from error
            refused += summary.refused
            if not app_state.quiet:
                err.print(
                    f"{markup_path(path)}: {summary.read:,} read, {summary.added:,} added, "
                    f"{summary.already:,} already there, {summary.refused:,} refused"
                )
    if refused:
        err.print(
            f"[yellow]{refused:,} record(s) quarantined:[/] `hotline quarantine list` "
            "shows them with their line and reason"
        )
        raise typer.Exit(1)


@app.command("clear")
def clear_command(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="A URL awaiting clearance.")],
    at: Annotated[str | None, typer.Option(help="When it was cleared (default now).")] = None,
) -> None:
    """Law enforcement cleared a URL hosted in your own country: the next run notices its
    host. Audited.

    [bold]Example[/]

      hotline casework clear shop.example/item/1
    """
    app_state = state(ctx)
    engine = app_state.ready_engine()
    try:
        with refusals_exit():
            added = record_clearance(engine, app_state.actor(), url, _time(at, "--at"))
    except (DecisionError, FactError) as error:
        raise fail(str(error)) from error
    err.print("cleared" if added else "already cleared at that time")


@app.command("check")
def check_command(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="The URL you checked.")],
    up: Annotated[
        bool, typer.Option("--up/--down", help="It still (or again) answers / it is gone.")
    ],
    at: Annotated[str | None, typer.Option(help="When you checked (default now).")] = None,
) -> None:
    """Record what you saw when you checked a URL yourself (hotline never fetches it).
    Gone after a notice counts as removed; up again after removal as a re-appearance.

    [bold]Example[/]

      hotline casework check shop.example/item/1 --down
    """
    app_state = state(ctx)
    engine = app_state.ready_engine()
    try:
        with refusals_exit():
            added = record_check(engine, app_state.actor(), url, up, _time(at, "--at"))
    except (DecisionError, FactError) as error:
        raise fail(str(error)) from error
    err.print(("recorded" if added else "already recorded") + f": {'up' if up else 'down'}")


@app.command("run")
def run_command(
    ctx: typer.Context,
    rules_file: Annotated[Path | None, typer.Option("--rules", help=RULES_HELP)] = None,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Where the notices' files are written.")
    ] = Path("notices"),
    now: Annotated[
        str | None,
        typer.Option(help="Run as of this moment (ISO 8601 with zone; default: the clock)."),
    ] = None,
    sender_name: Annotated[
        str, typer.Option("--sender", help="Who the notices are from.")
    ] = "hotline",
    sender_address: Annotated[
        str, typer.Option("--sender-address", help="Their reply address.")
    ] = "hotline@hotline.example",
    smtp_host: Annotated[
        str | None,
        typer.Option(help="Send the notices through this SMTP server (off unless given)."),
    ] = None,
    smtp_port: Annotated[int, typer.Option(help="The SMTP server's port.")] = 25,
    starttls: Annotated[bool, typer.Option(help="Use STARTTLS.")] = False,
    smtp_user: Annotated[str | None, typer.Option(help="Sign in to the SMTP server.")] = None,
    smtp_password_env: Annotated[
        str | None, typer.Option(help="The environment variable holding that password.")
    ] = None,
) -> None:
    """Bring every classified URL up to now: record removal evidence the store holds
    (captures' page classes, passive DNS), derive each case's state changes, and write the
    notices due — one per recipient, as .eml (URLs defanged in the text, exact in the X-ARF
    attachment), JSON and CSV. Re-notices follow the rules' interval while a URL stays up;
    the Kth is marked escalated. A second run at the same moment writes nothing.

    [bold]Examples[/]

      hotline casework run --rules casework.toml --out notices/
      hotline casework run --rules casework.toml --smtp-host mail.hotline.example --starttls
    """
    app_state = state(ctx)
    rules = _rules(rules_file)
    engine = app_state.ready_engine()
    smtp = None
    if smtp_host:
        smtp = SmtpSettings(
            host=smtp_host,
            port=smtp_port,
            starttls=starttls,
            username=smtp_user,
            password_env=smtp_password_env,
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise fail(f"{out_dir}: cannot create the folder ({error.strerror})") from error
    with refusals_exit():
        summary = run(
            engine,
            app_state.actor(),
            rules,
            out_dir,
            now=_time(now, "--now"),
            sender=Sender(sender_name, sender_address),
            smtp=smtp,
        )
    if app_state.quiet:
        return
    table = Table(
        title=f"Casework as of {_when(summary.now)}", show_header=False, title_justify="left"
    )
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, value in (
        ("cases", summary.cases),
        ("state changes recorded", summary.events),
        ("removal evidence found in the store", summary.evidence),
        ("notices written", summary.notices),
        ("  URLs in them", summary.urls_noticed),
        ("  re-notices", summary.renotices),
        ("  escalated notices", summary.escalated),
        ("URLs referred to law enforcement", summary.referrals),
    ):
        table.add_row(label, f"{value:,}")
    if smtp is not None:
        table.add_row("sent", f"{summary.sent:,}")
        table.add_row("not sent", f"{summary.send_errors:,}")
    out.print(table)
    if summary.notices or summary.referrals:
        err.print(f"notices written to {markup_path(out_dir)}")
    if summary.send_errors:
        err.print("[yellow]some notices were not sent:[/] `hotline casework notices` shows why")
        raise typer.Exit(1)


@app.command("queue")
def queue_command(
    ctx: typer.Context,
    rules_file: Annotated[Path | None, typer.Option("--rules", help=RULES_HELP)] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many.")] = 50,
) -> None:
    """Reported URLs waiting for a decision, oldest first (URLs already decided — directly,
    or through a medium their page held — are not listed). Disagreements under consensus
    are shown, never averaged.

    [bold]Example[/]

      hotline casework queue --limit 20
    """
    rules = _rules(rules_file)
    engine = state(ctx).ready_engine()
    with engine.connect() as connection:
        total, items = queries.queue(connection, rules.consensus, limit)
    if not items:
        err.print("nothing waits for a decision")
        return
    table = Table(title=f"Waiting for a decision: {total:,} URL(s)", title_justify="left")
    for column in ("first reported", "reports", "URL", "decided so far"):
        table.add_column(column)
    for item in items:
        decided = "; ".join(f"{a}: {s}:{c}" for a, s, c in item.decided) or "–"
        table.add_row(
            _when(item.first_reported), str(item.reports), text_value(item.url), text_value(decided)
        )
    out.print(table)


@app.command("show")
def show_command(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="A reported URL.")],
    rules_file: Annotated[Path | None, typer.Option("--rules", help=RULES_HELP)] = None,
) -> None:
    """One URL's case: every decision (and who, when, through what), the one that counts,
    each state change with its time and actor, and the notices.

    [bold]Example[/]

      hotline casework show shop.example/item/1
    """
    rules = _rules(rules_file)
    engine = state(ctx).ready_engine()
    with engine.connect() as connection:
        try:
            view = queries.case_view(connection, url, rules.consensus)
        except (DecisionError, ValueError) as error:
            raise fail(str(error)) from error
    out.print(text_value(view.url, "bold"))
    if not view.decisions:
        out.print("not classified yet")
    for d in view.decisions:
        verdict = "illegal" if d.illegal else "not illegal"
        out.print(
            f"  {_when(d.decided_at)}  {markup_value(d.analyst)}: "
            f"{escape(d.scheme)}:{escape(d.code)} ({verdict}, via {markup_value(d.via)})"
        )
    if view.disagreement:
        out.print("[yellow]analysts disagree[/]: every decision is listed above")
    if view.case:
        case = view.case
        out.print(
            f"state: [bold]{case['state']}[/] since {_when(case['state_at'])}; "
            f"hosting when noticed: {markup_value(case['country'] or '–')}, "
            f"{markup_value(case['provider'] or '–')}"
        )
    for at, state_, actor, reason in view.events:
        out.print(f"  {_when(at)}  {state_:<20} {markup_value(actor)}: {markup_value(reason)}")
    for number, at, recipient, reason, sequence in view.notices:
        out.print(
            f"  notice {escape(number)} {_when(at)} to {markup_value(recipient)} "
            f"({reason}, #{sequence})"
        )


@app.command("notices")
def notices_command(
    ctx: typer.Context,
    recipient: Annotated[
        str | None, typer.Option(help="Only this recipient (e.g. provider:AS64500).")
    ] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many.")] = 50,
) -> None:
    """The notices written, newest first: recipient, URLs, escalation, sent or why not.

    [bold]Example[/]

      hotline casework notices --recipient hotline:DE
    """
    engine = state(ctx).ready_engine()
    with engine.connect() as connection:
        rows = queries.notices(connection, recipient, limit)
    if not rows:
        err.print("no notices yet: `hotline casework run --rules FILE`")
        return
    table = Table(title="Notices", title_justify="left")
    for column in ("notice", "written", "recipient", "contact", "URLs", "escalated", "sent"):
        table.add_column(column)
    for n in rows:
        sent = _when(n.sent_at) if n.sent_at else (n.send_error or "not sent")
        table.add_row(
            escape(n.number),
            _when(n.created_at),
            text_value(n.recipient),
            text_value(n.contact or "–"),
            str(n.urls),
            "yes" if n.escalated else "",
            text_value(sent),
        )
    out.print(table)


@app.command("stats")
def stats_command(
    ctx: typer.Context,
    by: Annotated[
        Group, typer.Option("--by", help="Group the noticed URLs by this.")
    ] = Group.overall,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per group.")] = False,
    since: Annotated[str | None, typer.Option(help="Only URLs first noticed from then.")] = None,
    until: Annotated[
        str | None,
        typer.Option(help="Only URLs first noticed until then; removals after it do not count."),
    ] = None,
) -> None:
    """Time to removal of the noticed URLs, from report and from first notice: buckets
    (same day, under 3, 7 and 42 days, over 42 days, not removed), medians, the share
    removed within 3 days, the share never removed, re-appearances. Per country and
    provider these are the hosting the first notice went to.

    [bold]Examples[/]

      hotline casework stats
      hotline casework stats --by provider --json
    """
    engine = state(ctx).ready_engine()
    with engine.connect() as connection:
        rows = queries.stats(
            connection, by.value, since=_time(since, "--since"), until=_time(until, "--until")
        )
        names = queries.provider_names(connection) if by is Group.provider else {}
    if as_json:
        for row in rows:
            record: dict[str, Any] = {"group": by.value, "key": row.key, **row.as_dict()}
            if row.key in names:
                record["provider"] = names[row.key]
            sys.stdout.write(json.dumps(record) + "\n")
        return
    if not rows:
        err.print("no noticed URLs yet")
        return
    table = Table(title=f"Time to removal from first notice, by {by.value}", title_justify="left")
    table.add_column(by.value)
    table.add_column("noticed", justify="right")
    for name in BUCKETS:
        table.add_column(name.replace("-", " "), justify="right")
    table.add_column("median h", justify="right")
    table.add_column("≤3 d", justify="right")
    table.add_column("reappeared", justify="right")
    for row in rows:
        label = f"{row.key} {names[row.key]}" if row.key in names else row.key
        median = f"{row.median_from_notice:,.1f}" if row.median_from_notice is not None else "–"
        table.add_row(
            text_value(label),
            f"{row.noticed:,}",
            *(f"{row.from_notice[b]:,}" for b in BUCKETS),
            median,
            f"{row.within_3_days:.0%}",
            f"{row.reappeared:,}",
        )
    out.print(table)
