"""RDAP bootstrap files that are not what ``--rdap-bootstrap`` needs: each is refused with one
line naming the file and the problem, through the real command, before the database is
touched (SQLite and PostgreSQL).

The wrong IANA registries (``asn.json``, ``dns.json``, ``object-tags.json``) are real files,
copied into tests/vectors/rdap/bootstrap (see SOURCE.md there).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from hotline.cli import console
from hotline.hosting.models import EnrichState, HostingObservation, IpFactsRow, SiteHosting
from hotline.hosting.rdap_bootstrap import Bootstrap, BootstrapError
from hotline.hosting.rdap_store import RdapLookup
from hotline.store.engine import make_engine
from tests.test_cli import Run, hotline

VECTORS = Path(__file__).parent / "vectors" / "rdap" / "bootstrap"
GOOD = {
    "version": "1.0",
    "publication": "2026-12-01T00:00:00Z",
    "services": [[["13.0.0.0/8"], ["https://rdap.example/"]]],
}


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """One message is one line: nothing may be folded by the terminal width."""
    monkeypatch.setattr(console.out, "_width", 250)
    monkeypatch.setattr(console.err, "_width", 250)


def _write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# name → (how to make the file in a temporary folder, words the message must contain)
BAD: dict[str, tuple[Any, tuple[str, ...]]] = {
    "iana-asn": (lambda d: _copy(d, "iana-asn.json"), ("asn.json", "AS number")),
    "iana-dns": (lambda d: _copy(d, "iana-dns.json"), ("dns.json", "domain names")),
    "iana-object-tags": (lambda d: _copy(d, "iana-object-tags.json"), ("object-tags.json",)),
    "empty": (lambda d: _write(d / "empty.json", ""), ("empty file",)),
    "blank": (lambda d: _write(d / "blank.json", " \n\t\n"), ("empty file",)),
    "not-json": (lambda d: _write(d / "page.json", "<html>502</html>"), ("not JSON",)),
    "not-utf8": (lambda d: _write(d / "latin1.json", b'{"services": "\xe9"}'), ("not UTF-8",)),
    "array": (lambda d: _write(d / "array.json", "[]"), ("JSON array", "not an object")),
    "no-services": (lambda d: _write(d / "nosvc.json", '{"version": "1.0"}'), ("no 'services'",)),
    "empty-services": (
        lambda d: _write(d / "nothing.json", '{"services": []}'),
        ("'services' is empty",),
    ),
    "bad-prefix": (
        lambda d: _write(
            d / "prefix.json", '{"services": [[["192.0.2.0/33"], ["https://x.example/"]]]}'
        ),
        ("services[0]", "'192.0.2.0/33' is not a CIDR prefix"),
    ),
    "bad-url": (
        lambda d: _write(
            d / "url.json", '{"services": [[["192.0.2.0/24"], ["ftp://x.example/"]]]}'
        ),
        ("services[0]", "not an http(s) URL"),
    ),
    "missing": (lambda d: d / "absent.json", ("no such file",)),
    "directory": (lambda d: d, ("is a directory",)),
}


def _copy(folder: Path, name: str) -> Path:
    return _write(folder / name, (VECTORS / name).read_bytes())


def _make(case: str, folder: Path) -> tuple[Path, tuple[str, ...]]:
    maker, words = BAD[case]
    path: Path = maker(folder)
    return path, words


# --- the loader -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_file_is_refused_with_one_line_naming_it(case: str, tmp_path: Path) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    path, words = _make(case, folder)
    with pytest.raises(BootstrapError) as caught:
        Bootstrap.from_files(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message
    for word in words:
        assert word in message, message


def test_the_wrong_registries_are_named_even_without_a_description(tmp_path: Path) -> None:
    """The registry is recognised from its entries, not only from its description."""
    for name, kind in (("iana-asn.json", "asn.json"), ("iana-dns.json", "dns.json")):
        document = json.loads((VECTORS / name).read_text(encoding="utf-8"))
        del document["description"]
        path = _write(tmp_path / name, json.dumps(document))
        with pytest.raises(BootstrapError, match=kind):
            Bootstrap.from_files(path)


def test_a_good_file_after_a_bad_one_does_not_hide_it(tmp_path: Path) -> None:
    good = _write(tmp_path / "ipv4.json", json.dumps(GOOD))
    bad = _write(tmp_path / "empty.json", "")
    # RDAP has no registry for documentation space, so this one address is a public one.
    assert Bootstrap.from_files(good).base_urls("13.64.0.1") == ("https://rdap.example/",)
    with pytest.raises(BootstrapError, match=r"empty\.json: empty file"):
        Bootstrap.from_files(good, bad)


# --- through the command: nothing is written --------------------------------------------------

PDNS = (
    '{"rrname": "www.shop.test", "rrtype": "A", "rdata": ["198.51.100.7"], '
    '"time_first": 1767225600, "time_last": 1767312000}\n'
)


def _table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            model.__tablename__: int(
                connection.execute(select(func.count()).select_from(model)).scalar_one()
            )
            for model in (HostingObservation, IpFactsRow, SiteHosting, EnrichState, RdapLookup)
        }


def _one_error_line(run: Run) -> str:
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert len(lines) == 1, run.err
    assert "Traceback" not in run.err + run.out
    return lines[0]


@pytest.fixture
def ingested(db_url: str, tmp_path: Path) -> str:
    """A store with one passive-DNS address that an enrich run would look up."""
    pdns = _write(tmp_path / "pdns.jsonl", PDNS)
    assert hotline(db_url, "-q", "ingest", "pdns", str(pdns)).code == 0
    return db_url


@pytest.mark.parametrize("with_rdap", [True, False], ids=["--rdap", "without --rdap"])
@pytest.mark.parametrize("case", ["iana-asn", "iana-dns", "empty", "not-json", "no-services",
                                  "missing"])  # fmt: skip
def test_enrich_refuses_a_bad_bootstrap_before_writing_anything(
    ingested: str, tmp_path: Path, case: str, with_rdap: bool
) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    path, words = _make(case, folder)
    engine = make_engine(ingested)
    before = _table_counts(engine)
    assert before["hosting_observations"] == 1
    assert before["ip_facts"] == 0

    args = ["enrich", *(["--rdap"] if with_rdap else []), "--rdap-bootstrap", str(path)]
    run = hotline(ingested, *args)

    assert run.code == 2, run
    line = _one_error_line(run)
    assert line.startswith("error: --rdap-bootstrap: "), line
    assert str(path) in line
    for word in words:
        assert word in line, line
    assert _table_counts(engine) == before
    engine.dispose()


def test_a_good_bootstrap_without_rdap_is_only_checked(ingested: str, tmp_path: Path) -> None:
    """The counterpart: a valid file lets the run go on (and asks no registry)."""
    path = _write(tmp_path / "ipv4.json", json.dumps(GOOD))
    run = hotline(ingested, "enrich", "--rdap-bootstrap", str(path))
    assert run.code == 0, run
    engine = make_engine(ingested)
    counted = _table_counts(engine)
    assert counted["ip_facts"] == 1  # the run went on past the check
    assert counted["enrich_state"] > 0
    assert counted["rdap_lookups"] == 0
    engine.dispose()


def test_a_bad_bootstrap_does_not_even_create_a_new_database(tmp_path: Path) -> None:
    database = tmp_path / "new.db"
    path = _write(tmp_path / "asn.json", (VECTORS / "iana-asn.json").read_bytes())
    run = hotline(f"sqlite:///{database}", "enrich", "--rdap", "--rdap-bootstrap", str(path))
    assert run.code == 2, run
    assert "asn.json" in _one_error_line(run)
    assert not database.exists()
