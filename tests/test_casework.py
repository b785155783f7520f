"""Casework on a real store (SQLite and PostgreSQL): decisions and their propagation,
routing per rule, notices and re-notices on a controlled clock, states, statistics, audit."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select, update
from typer.testing import CliRunner

from hotline.accounts.audit import verify
from hotline.accounts.models import AuditEvent
from hotline.accounts.roles import Actor, Role, local_admin
from hotline.captures.models import MediaHash
from hotline.casework import queries
from hotline.casework.advance import run
from hotline.casework.decisions import DecisionError, classify
from hotline.casework.facts import import_facts, record_check, record_clearance
from hotline.casework.models import Case, CaseEvent, CaseworkRun, NoticeRow, RemovalEvidence
from hotline.casework.rules import Member, Rules
from hotline.casework.states import check_transitions
from hotline.cli.app import app
from hotline.hosting.models import IpFactsRow, SiteHosting
from hotline.intake.models import Url
from hotline.pipeline import import_reports
from hotline.quarantine import QuarantineEntry
from hotline.store.engine import make_engine
from hotline.store.uow import unit_of_work
from hotline.urls import url_digest

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ADMIN = local_admin("lead")
ANNA = Actor("anna", "HL", frozenset({Role.ANALYST}))
BORIS = Actor("boris", "HL", frozenset({Role.ANALYST}))
VIEWER = Actor("vera", "HL", frozenset({Role.VIEWER}))

RULES = Rules(
    own_country="NL",
    renotice_hours=24,
    escalate_after=3,
    consensus=1,
    law_enforcement=Member("Police unit", "unit@police.example"),
    members={"DE": Member("Hotline DE", "reports@hotline-de.example")},
    cdn_desks={"Edge network": "abuse@edge.example"},
)

# site key → (status, country, ip, asn, provider, cdn, origin country)
HOSTING = {
    "member.test": ("hosted", "DE", "192.0.2.10", 64500, "Rack DE", None, None),
    "own.test": ("hosted", "NL", "192.0.2.20", 64501, "Rack NL", None, None),
    "abroad.test": ("hosted", "US", "198.51.100.5", 64502, "Rack US", None, None),
    "fronted.test": (
        "behind-cdn",
        "behind-cdn",
        "203.0.113.9",
        64496,
        "Edge network",
        "Edge network",
        "DE",
    ),
    "other.test": ("hosted", "US", "198.51.100.6", 64502, "Rack US", None, None),
}
URLS = {
    "member": "http://member.test/item/1",
    "own": "http://own.test/item/1",
    "abroad": "http://abroad.test/item/1",
    "abroad2": "http://abroad.test/item/2",
    "fronted": "http://fronted.test/item/1",
    "other": "http://other.test/page/1",
}


@dataclass
class World:
    engine: Engine
    out: Path
    ids: dict[str, int]


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[World]:
    engine = make_engine(db_url)
    feed = tmp_path / "feed.csv"
    lines = ["source,source_report_id,reported_at,url,site_type,commercial,note"]
    for n, (_name, url) in enumerate(URLS.items()):
        reported = (T0 - timedelta(days=2, hours=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"HL-A,r{n},{reported},{url},website,true,")
    lines.append("HL-B,x1,2026-02-20T00:00:00Z,HTTP://Member.TEST/item/1?utm_source=a,website,,")
    feed.write_text("\n".join(lines) + "\n")
    import_reports(engine, ADMIN, [feed])
    with unit_of_work(engine) as connection:
        for key, (status, country, ip, asn, provider, cdn, origin) in HOSTING.items():
            connection.execute(
                insert(SiteHosting).values(
                    site_key=key, status=status, country=country, ip=ip, asn=asn,
                    provider=provider, cdn=cdn, origin_country=origin,
                )
            )  # fmt: skip
            connection.execute(
                insert(IpFactsRow).values(
                    ip=ip, country=country if status == "hosted" else "US", asn=asn,
                    as_org=provider, fingerprint="test",
                    abuse_emails=[f"abuse@{key.split('.')[0]}-host.example"],
                )
            )  # fmt: skip
        ids = {
            name: int(connection.scalar(select(Url.id).where(Url.digest == url_digest(url))) or 0)
            for name, url in URLS.items()
        }
    yield World(engine, tmp_path / "notices", ids)
    engine.dispose()


def _case(world: World, name: str) -> Any:
    with world.engine.connect() as connection:
        return connection.execute(select(Case).where(Case.url_id == world.ids[name])).one()


def _events(world: World, name: str) -> list[tuple[str, datetime]]:
    with world.engine.connect() as connection:
        rows = connection.execute(
            select(CaseEvent.state, CaseEvent.at)
            .where(CaseEvent.url_id == world.ids[name])
            .order_by(CaseEvent.at, CaseEvent.id)
        )
        return [(state, at) for state, at in rows]


def _run(world: World, at: datetime, rules: Rules = RULES):  # type: ignore[no-untyped-def]
    return run(world.engine, ADMIN, rules, world.out, now=at)


def _eml(path: Path) -> email.message.EmailMessage:
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


# -- routing, one rule at a time --------------------------------------------------------------


def test_a_member_country_goes_to_that_hotline_with_files_a_person_and_a_tool_can_read(
    world: World,
) -> None:
    classify(world.engine, ANNA, URLS["member"], "interpol", "baseline", at=T0)
    summary = _run(world, T0)
    assert summary.notices == 1
    assert summary.urls_noticed == 1
    [eml] = [p for p in summary.files if p.suffix == ".eml"]
    message = _eml(eml)
    assert "reports@hotline-de.example" in message["To"]
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "http://" not in text
    assert "member[.]test" in text
    attachments = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert any(URLS["member"] in str(content) for content in attachments.values())
    case = _case(world, "member")
    assert case.state == "notified"
    assert case.first_notice_at == T0
    assert case.country == "DE"
    assert case.asn == 64500
    # the report from two days before is the start of the report clock; the variant URL with a
    # tracking parameter was the same canonical URL, reported even earlier
    assert case.reported_at == datetime(2026, 2, 20, tzinfo=UTC)


def test_the_own_country_goes_to_law_enforcement_first_and_to_the_provider_once_cleared(
    world: World,
) -> None:
    classify(world.engine, ANNA, URLS["own"], "interpol", "baseline", at=T0)
    first = _run(world, T0)
    assert first.referrals == 1
    assert first.notices == 0
    assert _case(world, "own").state == "awaiting-clearance"
    assert _case(world, "own").first_notice_at is None  # a referral does not start the clock
    assert _run(world, T0 + timedelta(days=2)).referrals == 0  # referred once, never again
    record_clearance(world.engine, ANNA, URLS["own"], T0 + timedelta(days=3))
    after = _run(world, T0 + timedelta(days=3))
    assert after.notices == 1
    [eml] = [p for p in after.files if p.suffix == ".eml"]
    assert "abuse@own-host.example" in _eml(eml)["To"]
    case = _case(world, "own")
    assert case.state == "notified"
    assert case.first_notice_at == T0 + timedelta(days=3)


def test_no_member_goes_to_the_providers_abuse_contact_and_urls_are_grouped_per_recipient(
    world: World,
) -> None:
    for name in ("abroad", "abroad2", "other"):
        classify(world.engine, ANNA, URLS[name], "uk", "B", at=T0)
    summary = _run(world, T0)
    assert summary.notices == 1
    assert summary.urls_noticed == 3
    with world.engine.connect() as connection:
        [notice] = connection.execute(select(NoticeRow)).all()
    assert notice.recipient == "provider:AS64502"
    assert notice.contact is not None


def test_behind_a_cdn_both_the_cdn_desk_and_the_origins_route_are_noticed(world: World) -> None:
    classify(world.engine, ANNA, URLS["fronted"], "interpol", "baseline", at=T0)
    summary = _run(world, T0)
    with world.engine.connect() as connection:
        recipients = set(connection.scalars(select(NoticeRow.recipient)))
    assert summary.notices == 2
    assert recipients == {"cdn:Edge network", "hotline:DE"}


def test_a_move_mid_way_routes_anew_and_keeps_the_first_hosting_for_the_statistics(
    world: World,
) -> None:
    classify(world.engine, ANNA, URLS["abroad"], "interpol", "baseline", at=T0)
    _run(world, T0)
    with unit_of_work(world.engine) as connection:
        connection.execute(update(SiteHosting).where(SiteHosting.site_key == "abroad.test")
                           .values(country="DE", asn=64500, ip="192.0.2.10",
                                   computed_at=datetime.now(UTC)))  # fmt: skip
    moved = _run(world, T0 + timedelta(hours=2))  # before the re-notice interval
    assert moved.notices == 1
    states = [state for state, _ in _events(world, "abroad")]
    assert states[-2:] == ["moved", "notified"]
    case = _case(world, "abroad")
    assert case.country == "US"
    assert case.first_notice_at == T0


# -- the clock: re-notice, escalation, removal, re-appearance -----------------------------------


def test_renotice_every_interval_while_up_escalates_at_the_kth_and_stops_once_removed(
    world: World,
) -> None:
    classify(world.engine, ANNA, URLS["abroad"], "interpol", "baseline", at=T0)
    assert _run(world, T0).notices == 1
    assert _run(world, T0).notices == 0  # the same moment again: nothing new
    assert _run(world, T0 + timedelta(hours=23, minutes=59)).notices == 0
    second = _run(world, T0 + timedelta(hours=24))
    assert second.notices == 1
    assert second.renotices == 1
    assert second.escalated == 0
    third = _run(world, T0 + timedelta(hours=48))
    assert third.escalated == 1  # the third notice to the same recipient
    record_check(world.engine, ANNA, URLS["abroad"], up=False, at=T0 + timedelta(hours=50))
    assert _run(world, T0 + timedelta(hours=80)).notices == 0
    case = _case(world, "abroad")
    assert case.state == "removed"
    assert case.removed_at == T0 + timedelta(hours=50)
    [stat] = queries.stats(world.engine.connect(), "overall")
    assert stat.from_notice["under-3-days"] == 1
    assert stat.median_from_notice == 50.0
    assert check_transitions_of(world, "abroad") == []


def check_transitions_of(world: World, name: str) -> list[str]:
    from hotline.casework.states import Event, State

    events = [Event(State(state), at, "") for state, at in _events(world, name)]
    return check_transitions(events)


def test_a_url_back_after_removal_reappears_and_is_noticed_again(world: World) -> None:
    classify(world.engine, ANNA, URLS["abroad"], "interpol", "baseline", at=T0)
    _run(world, T0)
    record_check(world.engine, ANNA, URLS["abroad"], up=False, at=T0 + timedelta(hours=5))
    record_check(world.engine, ANNA, URLS["abroad"], up=True, at=T0 + timedelta(days=9))
    again = _run(world, T0 + timedelta(days=9, hours=1))
    assert again.notices == 1
    states = [state for state, _ in _events(world, "abroad")]
    assert states == ["reported", "classified", "notified", "removed", "reappeared", "notified"]
    case = _case(world, "abroad")
    assert case.reappearances == 1
    assert case.removed_at == T0 + timedelta(hours=5)
    [stat] = queries.stats(world.engine.connect(), "provider")
    assert stat.key == "AS64502"
    assert stat.reappeared == 1


def test_gone_before_notice_is_never_noticed_nor_counted(world: World) -> None:
    record_check(world.engine, ANNA, URLS["abroad"], up=False, at=T0 - timedelta(hours=3))
    classify(world.engine, ANNA, URLS["abroad"], "interpol", "baseline", at=T0)
    assert _run(world, T0 + timedelta(days=1)).notices == 0
    case = _case(world, "abroad")
    assert case.state == "gone-before-notice"
    assert case.gone_at == T0 - timedelta(hours=3)
    assert queries.stats(world.engine.connect(), "overall") == []


def test_a_not_illegal_decision_closes_the_case_without_notice(world: World) -> None:
    classify(world.engine, ANNA, URLS["other"], "interpol", "not-illegal", at=T0)
    assert _run(world, T0).notices == 0
    assert _case(world, "other").state == "not-illegal"


# -- decisions: propagation, consensus, schemes ----------------------------------------------


def test_a_decision_on_a_medium_reaches_every_url_whose_page_held_it(world: World) -> None:
    sha = "ab" * 32
    with unit_of_work(world.engine) as connection:
        for n, name in enumerate(("abroad", "other")):
            site_id = connection.scalar(select(Url.site_id).where(Url.id == world.ids[name]))
            connection.execute(insert(MediaHash).values(
                record_id=f"<urn:uuid:{n}>", url_id=world.ids[name], site_id=site_id,
                uri=f"http://{name}.test/m.png", captured_at=T0, media_type="image/png",
                size=10, md5="0" * 32, sha1="0" * 40, sha256=sha))  # fmt: skip
    classify(world.engine, BORIS, f"sha256:{sha}", "projectvic", "1", at=T0)
    with world.engine.connect() as connection:
        total, items = queries.queue(connection)
        view = queries.case_view(connection, URLS["other"])
    assert URLS["abroad"] not in {i.url for i in items}
    assert URLS["other"] not in {i.url for i in items}
    assert total == len(URLS) - 2
    assert view.counted is not None
    assert view.counted.via == f"medium sha256:{sha}"
    assert view.counted.analysts == ("boris",)
    assert _run(world, T0).urls_noticed == 2


def test_under_consensus_one_decision_waits_and_a_disagreement_is_shown(world: World) -> None:
    rules = Rules(**{**RULES.__dict__, "consensus": 2})
    classify(world.engine, ANNA, URLS["abroad"], "uk", "A", at=T0)
    classify(world.engine, BORIS, URLS["abroad"], "uk", "B", at=T0 + timedelta(minutes=5))
    with world.engine.connect() as connection:
        _, items = queries.queue(connection, consensus=2)
    [item] = [i for i in items if i.url == URLS["abroad"]]
    assert {(a, c) for a, _, c in item.decided} == {("anna", "A"), ("boris", "B")}
    assert _run(world, T0 + timedelta(hours=1), rules).cases == 0
    classify(world.engine, BORIS, URLS["abroad"], "uk", "A", at=T0 + timedelta(hours=2))
    assert _run(world, T0 + timedelta(hours=2), rules).notices == 1
    case = _case(world, "abroad")
    assert (case.code, case.classified_at) == ("A", T0 + timedelta(hours=2))


def test_unknown_urls_schemes_and_codes_are_refused_with_the_reason(world: World) -> None:
    with pytest.raises(DecisionError, match="never reported"):
        classify(world.engine, ANNA, "http://unknown.test/", "interpol", "baseline")
    with pytest.raises(DecisionError, match="unknown scheme"):
        classify(world.engine, ANNA, URLS["abroad"], "nope", "1")
    with pytest.raises(DecisionError, match="no code"):
        classify(world.engine, ANNA, URLS["abroad"], "uk", "Z")
    with pytest.raises(PermissionError):
        classify(world.engine, VIEWER, URLS["abroad"], "uk", "A")


# -- files of facts -------------------------------------------------------------------------


def test_fact_files_import_once_and_bad_lines_go_to_the_quarantine_with_the_reason(
    world: World, tmp_path: Path
) -> None:
    removals = tmp_path / "removals.csv"
    removals.write_text(
        "url,removed_at,source\n"
        f"{URLS['abroad']},2026-03-03T10:00:00Z,HL-B\n"
        f"{URLS['abroad']},2026-03-03 10:00,HL-B\n"  # no zone
        "http://never.test/,2026-03-03T10:00:00Z,HL-B\n"
    )
    first = import_facts(world.engine, ANNA, "removals", removals)
    assert (first.read, first.added, first.refused) == (3, 1, 2)
    again = import_facts(world.engine, ANNA, "removals", removals)
    assert (again.added, again.already) == (0, 1)
    with world.engine.connect() as connection:
        reasons = sorted(connection.scalars(select(QuarantineEntry.reason)))
        lines = sorted(connection.scalars(select(QuarantineEntry.line)))
    assert lines == [3, 4]
    assert any("zone" in r for r in reasons)
    assert any("never reported" in r for r in reasons)


def test_every_decision_notice_and_state_change_is_audited_with_its_actor(world: World) -> None:
    classify(world.engine, ANNA, URLS["abroad"], "interpol", "baseline", at=T0)
    _run(world, T0)
    with world.engine.connect() as connection:
        rows = connection.execute(select(AuditEvent.action, AuditEvent.actor)).all()
        assert verify(connection).ok
    actions = {(action, actor) for action, actor in rows}
    assert ("casework.classify", "anna") in actions
    assert ("casework.notice", "lead") in actions
    assert ("casework.state", "lead") in actions
    with world.engine.connect() as connection:
        classified = connection.scalar(
            select(CaseEvent.actor).where(CaseEvent.state == "classified")
        )
        count = connection.scalar(select(func.count()).select_from(CaseEvent))
    assert classified == "anna"
    assert count == 3


def test_the_command_line_walks_a_case_from_queue_to_statistics(world: World, db_url: str) -> None:
    runner = CliRunner()

    def cli(*args: str) -> str:
        result = runner.invoke(app, ["--db", db_url, "--as", "lead", *args], env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        return result.output

    assert "abroad[.]test" in cli("casework", "queue")
    cli("casework", "classify", URLS["abroad"], "interpol:baseline", "--at", "2026-03-02T10:00:00Z")
    rules = world.out.parent / "rules.toml"
    rules.write_text('own_country = "NL"\n[members.DE]\nname = "Hotline DE"\n'
                     'contact = "reports@hotline-de.example"\n')  # fmt: skip
    output = cli("casework", "run", "--rules", str(rules), "--out", str(world.out),
                 "--now", "2026-03-02T10:00:00Z")  # fmt: skip
    assert "notices written" in output
    cli("casework", "check", URLS["abroad"], "--down", "--at", "2026-03-02T20:00:00Z")
    cli("casework", "run", "--rules", str(rules), "--out", str(world.out),
        "--now", "2026-03-03T10:00:00Z")  # fmt: skip
    shown = cli("casework", "show", URLS["abroad"])
    assert "removed" in shown
    assert "http://" not in shown
    assert '"same-day": 1' in cli("casework", "stats", "--json")
    assert "provider:AS64502" in cli("casework", "notices")
    exported = cli("export", "cases", "--format", "jsonl").splitlines()
    [row] = [json.loads(line) for line in exported if line.startswith("{")]
    assert row["url"] == URLS["abroad"]  # exact for tools; --defang for people
    assert (row["state"], row["country"]) == ("removed", "US")
    assert "abroad[.]test" in cli("export", "cases", "--defang")


def test_the_migrations_build_exactly_the_tables_the_code_declares(engine: Engine) -> None:
    """Every table of every stage, casework's included, as Alembic left it on both engines."""
    import importlib

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from hotline.store.base import Base

    for module in ("accounts.models", "attribution.models", "captures.models",
                   "casework.models", "hashes.models", "hosting.models", "hosting.rdap_store",
                   "intake.models", "quarantine"):  # fmt: skip
        importlib.import_module(f"hotline.{module}")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def _medium(world: World, name: str, n: int, sha: str, pdq: str | None) -> None:
    with unit_of_work(world.engine) as connection:
        site_id = connection.scalar(select(Url.site_id).where(Url.id == world.ids[name]))
        connection.execute(insert(MediaHash).values(
            record_id=f"<urn:uuid:m{n}>", url_id=world.ids[name], site_id=site_id,
            uri=f"http://{name}.test/m{n}.png", captured_at=T0, media_type="image/png",
            size=10, md5="0" * 32, sha1="0" * 40, sha256=sha, pdq=pdq))  # fmt: skip


def _flip(pdq: str, bits: int) -> str:
    value = int(pdq, 16) ^ ((1 << bits) - 1)  # the lowest ``bits`` bits flipped
    return f"{value:064x}"


def test_a_medium_decision_reaches_re_encoded_copies_within_the_pdq_radius_only(
    world: World,
) -> None:
    pdq = "f0e1d2c3b4a5968778695a4b3c2d1e0f" * 2
    _medium(world, "abroad", 1, "01" * 32, pdq)  # the medium decided
    _medium(world, "other", 2, "02" * 32, _flip(pdq, 20))  # a copy 20 bits away: same item
    _medium(world, "member", 3, "03" * 32, _flip(pdq, 40))  # 40 bits away: another item
    classify(world.engine, BORIS, f"sha256:{'01' * 32}", "uk", "C", at=T0)  # PDQ looked up
    with world.engine.connect() as connection:
        _, items = queries.queue(connection)
    waiting = {item.url for item in items}
    assert URLS["abroad"] not in waiting
    assert URLS["other"] not in waiting
    assert URLS["member"] in waiting


def test_removal_is_read_from_captures_page_classes_and_from_passive_dns(world: World) -> None:
    from hotline.captures.models import Capture
    from hotline.hosting.models import HostingObservation

    for name in ("abroad", "member"):
        classify(world.engine, ANNA, URLS[name], "interpol", "baseline", at=T0)
    _run(world, T0)
    later = T0 + timedelta(hours=30)
    with unit_of_work(world.engine) as connection:
        site_id = connection.scalar(select(Url.site_id).where(Url.id == world.ids["abroad"]))
        connection.execute(insert(Capture).values(
            record_id="<urn:uuid:gone>", file="x.warc.gz", record_offset=0,
            url_id=world.ids["abroad"], final_url_id=world.ids["abroad"], site_id=site_id,
            captured_at=later, status=410, html_bytes=100, page_class="error"))  # fmt: skip
        connection.execute(insert(HostingObservation).values(
            digest=b"n" * 32, site_key="member.test", host="member.test", source="pdns",
            rrtype="A", value="", status="nxdomain", first_seen=later + timedelta(hours=2),
            last_seen=later + timedelta(hours=2)))  # fmt: skip
    summary = _run(world, T0 + timedelta(days=2))
    assert summary.evidence == 2
    assert _case(world, "abroad").removed_at == later
    assert _case(world, "member").removed_at == later + timedelta(hours=2)
    with world.engine.connect() as connection:
        view = queries.case_view(connection, URLS["abroad"])
    assert [reason for _, state, _, reason in view.events if state == "removed"] == [
        "seen down (capture)"
    ]
    assert _run(world, T0 + timedelta(days=3)).evidence == 0  # each capture is read once


def test_a_providers_table_in_the_rules_overrides_rdap(world: World) -> None:
    rules = dataclasses.replace(RULES, providers={64502: "desk@rack-us.example"})
    classify(world.engine, ANNA, URLS["abroad"], "interpol", "baseline", at=T0)
    summary = _run(world, T0, rules)
    [eml] = [p for p in summary.files if p.suffix == ".eml"]
    assert "desk@rack-us.example" in _eml(eml)["To"]
    assert eml.parent == world.out  # moved into place once committed
    assert not list(world.out.glob(".pending-*"))


def test_moving_into_the_own_country_holds_the_notice_until_cleared(world: World) -> None:
    classify(world.engine, ANNA, URLS["member"], "interpol", "baseline", at=T0)
    _run(world, T0)
    with unit_of_work(world.engine) as connection:
        connection.execute(update(SiteHosting).where(SiteHosting.site_key == "member.test")
                           .values(country="NL", asn=64501, ip="192.0.2.20",
                                   computed_at=datetime.now(UTC)))  # fmt: skip
    held = _run(world, T0 + timedelta(hours=30))
    assert (held.notices, held.referrals) == (0, 1)  # no notice to the provider yet
    assert _run(world, T0 + timedelta(hours=60)).notices == 0
    record_clearance(world.engine, ANNA, URLS["member"], T0 + timedelta(hours=70))
    cleared = _run(world, T0 + timedelta(hours=71))
    assert cleared.notices == 1
    assert cleared.referrals == 0
    with world.engine.connect() as connection:
        recipients = set(connection.scalars(select(NoticeRow.recipient)))
    assert recipients == {"hotline:DE", "police", "provider:AS64501"}


def test_a_clearance_known_at_the_first_run_needs_no_referral(world: World) -> None:
    classify(world.engine, ANNA, URLS["own"], "interpol", "baseline", at=T0)
    record_clearance(world.engine, ANNA, URLS["own"], T0 + timedelta(minutes=5))
    summary = _run(world, T0 + timedelta(hours=1))
    assert (summary.notices, summary.referrals) == (1, 0)


def test_a_late_sighting_from_before_the_notice_rewrites_the_history(world: World) -> None:
    classify(world.engine, ANNA, URLS["abroad"], "interpol", "baseline", at=T0)
    _run(world, T0 + timedelta(hours=1))
    record_check(world.engine, ANNA, URLS["abroad"], up=False, at=T0 + timedelta(hours=5))
    _run(world, T0 + timedelta(hours=6))
    assert _case(world, "abroad").state == "removed"
    # a partner's feed arrives late: the URL was gone before the notice went out
    record_check(world.engine, BORIS, URLS["abroad"], up=False, at=T0 + timedelta(minutes=30))
    _run(world, T0 + timedelta(hours=7))
    case = _case(world, "abroad")
    assert case.state == "gone-before-notice"
    assert case.first_notice_at is None
    assert case.removed_at is None
    assert [state for state, _ in _events(world, "abroad")] == [
        "reported", "classified", "gone-before-notice"
    ]  # fmt: skip
    assert queries.stats(world.engine.connect(), "overall") == []


@pytest.mark.parametrize(
    ("lookback", "state"),
    [(None, "gone-before-notice"), (timedelta(0), "notified")],
    ids=["default look-back", "none"],
)
def test_a_fact_that_committed_while_the_previous_run_read_is_not_missed(
    world: World, lookback: timedelta | None, state: str
) -> None:
    """An import stamps its facts before it commits: one stamped just before a run started
    may still have been invisible to it. The next run looks back ten minutes before that
    start and replays the case; without a look-back (for a store nobody else writes to) it
    would keep the history the first run wrote."""
    classify(world.engine, ANNA, URLS["abroad"], "interpol", "baseline", at=T0)
    _run(world, T0 + timedelta(hours=1))
    assert _case(world, "abroad").state == "notified"
    record_check(world.engine, BORIS, URLS["abroad"], up=False, at=T0 + timedelta(minutes=30))
    with world.engine.begin() as connection:
        started = connection.scalar(
            select(CaseworkRun.started_at).order_by(CaseworkRun.id.desc()).limit(1)
        )
        assert started is not None
        connection.execute(
            update(RemovalEvidence)
            .where(RemovalEvidence.url_id == world.ids["abroad"])
            .values(recorded_at=started - timedelta(minutes=5))
        )
    later = T0 + timedelta(hours=2)
    if lookback is None:
        run(world.engine, ADMIN, RULES, world.out, now=later)
    else:
        run(world.engine, ADMIN, RULES, world.out, now=later, lookback=lookback)
    assert _case(world, "abroad").state == state


def test_an_earlier_report_imported_late_moves_the_report_clock(
    world: World, tmp_path: Path
) -> None:
    classify(world.engine, ANNA, URLS["abroad"], "interpol", "baseline", at=T0)
    _run(world, T0)
    before = _case(world, "abroad").reported_at
    feed = tmp_path / "late.csv"
    feed.write_text("source,source_report_id,reported_at,url,site_type,commercial,note\n"
                    f"HL-C,z9,2026-01-05T08:00:00Z,{URLS['abroad']},website,true,\n")  # fmt: skip
    import_reports(world.engine, ADMIN, [feed])
    _run(world, T0 + timedelta(hours=1))  # an incremental run: the case is replayed
    assert before > datetime(2026, 1, 5, 8, tzinfo=UTC)
    assert _case(world, "abroad").reported_at == datetime(2026, 1, 5, 8, tzinfo=UTC)
