"""Notices as files and their sending: what people read is defanged and one header per line,
what systems read is exact, the same notice gives the same bytes, and SMTP is spoken for real
(a small server on loopback in this file), never mocked."""

from __future__ import annotations

import base64
import csv
import dataclasses
import email.policy
import errno
import io
import os
import re
import socket
import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.casework.notices import (
    CSV_HEADER,
    Notice,
    NoticeUrl,
    render_csv,
    render_eml,
    render_json,
    write_notice,
)
from hotline.casework.smtp import SmtpError, SmtpSettings, send

_LIVE_SCHEME = re.compile(r"(?:https?|ftp)://", re.IGNORECASE)
# What must never reach a person's screen: C0/C1 controls (but the line breaks of the text
# itself), bidi embeddings, overrides and isolates, line and paragraph separators.
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u202a-\u202e\u2066-\u2069\u2028\u2029]")

REPORTED = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
CREATED = datetime(2024, 5, 2, 10, 0, tzinfo=UTC)
SITE_URL = "https://site-a.example/gallery/item.html?id=7"
REDIRECT_URL = "http://site-b.example/go?next=https://other.test/page"


def _url(url: str = SITE_URL, **changes: Any) -> NoticeUrl:
    item = NoticeUrl(
        url=url,
        reported_at=REPORTED,
        scheme="interpol",
        code="baseline",
        ip="192.0.2.10",
        country="NL",
        asn=64500,
        sequence=1,
    )
    return dataclasses.replace(item, **changes)


def _notice(*urls: NoticeUrl, **changes: Any) -> Notice:
    notice = Notice(
        id="N-000123",
        created_at=CREATED,
        recipient="provider:AS64500",
        kind="provider",
        name="Provider Example",
        contact="abuse@provider.example",
        sender_name="Hotline XX",
        sender_contact="reports@hotline.example",
        escalated=False,
        urls=urls or (_url(), _url(REDIRECT_URL, ip="198.51.100.7", country="DE", asn=64501)),
    )
    return dataclasses.replace(notice, **changes)


def _parse(eml: bytes) -> EmailMessage:
    message = BytesParser(policy=email.policy.default).parsebytes(eml)
    assert isinstance(message, EmailMessage)
    assert not message.defects
    return message


def _parts(message: EmailMessage) -> tuple[str, list[dict[str, Any]], list[list[str]]]:
    """The text people read, the X-ARF reports and the CSV rows of a parsed notice."""
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(attachments) == {"xarf.json", "urls.csv"}
    xarf_part, csv_part = attachments["xarf.json"], attachments["urls.csv"]
    assert xarf_part.get_content_type() == "application/json"
    assert csv_part.get_content_type() == "text/csv"
    xarf = orjson.loads(xarf_part.get_content())
    rows = list(csv.reader(io.StringIO(csv_part.get_content(), newline="")))
    # Line ends in the text are CRLF on the wire; quoted-printable decoding keeps them.
    return body.get_content().replace("\r\n", "\n"), xarf, rows


def _people_text(message: EmailMessage) -> str:
    """Everything a person sees: every header value, decoded, and the text part."""
    headers = "\n".join(f"{name}: {value}" for name, value in message.items())
    return headers + "\n" + _parts(message)[0]


# --- the e-mail -------------------------------------------------------------------------------


def test_headers_name_sender_recipient_subject_date_and_id() -> None:
    eml = render_eml(_notice())
    message = _parse(eml)
    assert message["From"].addresses[0].addr_spec == "reports@hotline.example"
    assert message["From"].addresses[0].display_name == "Hotline XX"
    assert [a.addr_spec for a in message["To"].addresses] == ["abuse@provider.example"]
    assert message["To"].addresses[0].display_name == "Provider Example"
    assert message["Subject"] == "Notice N-000123: 2 URLs for removal"
    assert parsedate_to_datetime(message["Date"]) == CREATED
    assert message["Message-ID"] == "<notice-N-000123@hotline.example>"
    assert message["X-Hotline-Notice"] == "N-000123"
    assert message["X-Hotline-Unroutable"] is None
    assert message.get_content_type() == "multipart/mixed"
    # Written for SMTP: CRLF line ends and 7-bit clean, so no server needs 8BITMIME.
    assert eml.isascii()
    assert b"\n" not in eml.replace(b"\r\n", b"")


def test_date_is_the_creation_time_in_any_timezone() -> None:
    local = CREATED.astimezone(timezone(timedelta(hours=2)))
    message = _parse(render_eml(_notice(created_at=local)))
    assert parsedate_to_datetime(message["Date"]) == CREATED
    assert render_eml(_notice(created_at=local)) == render_eml(_notice())


@pytest.mark.parametrize(
    ("changes", "sequences", "subject"),
    [
        ({}, (1,), "Notice N-000123: 1 URL for removal"),
        ({}, (1, 1, 1, 1), "Notice N-000123: 4 URLs for removal"),
        ({}, (2, 1), "Re-notice (2nd) N-000123: 2 URLs for removal"),
        ({"escalated": True}, (3,), "Escalated notice (3rd) N-000123: 1 URL for removal"),
        ({"escalated": True}, (1,), "Escalated notice N-000123: 1 URL for removal"),
        ({}, (11,), "Re-notice (11th) N-000123: 1 URL for removal"),
        ({}, (12,), "Re-notice (12th) N-000123: 1 URL for removal"),
        ({}, (13,), "Re-notice (13th) N-000123: 1 URL for removal"),
        ({}, (21,), "Re-notice (21st) N-000123: 1 URL for removal"),
        ({}, (102,), "Re-notice (102nd) N-000123: 1 URL for removal"),
        ({"kind": "cdn"}, (1,), "Notice N-000123: 1 URL for removal"),
        ({"kind": "law-enforcement"}, (1,), "Notice N-000123: 1 URL for clearance"),
        ({"kind": "hotline"}, (1,), "Notice N-000123: 1 URL referred for action"),
    ],
)
def test_subject_names_count_repeat_and_escalation(
    changes: dict[str, Any], sequences: tuple[int, ...], subject: str
) -> None:
    urls = tuple(_url(f"https://site-{n}.example/", sequence=s) for n, s in enumerate(sequences))
    message = _parse(render_eml(_notice(*urls, **changes)))
    assert message["Subject"] == subject


def test_body_is_neutral_and_every_url_defanged() -> None:
    eml = render_eml(_notice())
    body, _, _ = _parts(_parse(eml))
    assert not _LIVE_SCHEME.search(body)
    assert not _LIVE_SCHEME.search(eml.decode("ascii"))  # nor anywhere in the raw file
    assert "hxxps://site-a[.]example/gallery/item.html?id=7" in body
    assert "hxxp://site-b[.]example/go?next=https[://]other[.]test/page" in body
    assert "Dear Provider Example," in body
    assert "illegal under scheme interpol, code baseline" in body
    assert "IP 192.0.2.10, country NL, AS64500" in body
    assert "IP 198.51.100.7, country DE, AS64501" in body
    assert "reported:   2024-05-01T09:30:00Z" in body
    assert "xarf.json" in body
    assert "urls.csv" in body
    assert "Please reply to reports@hotline.example, quoting N-000123." in body
    assert "repeat notice" not in body
    assert "escalated" not in body


def test_body_says_repeat_escalation_and_unknown_hosting() -> None:
    notice = _notice(
        _url(sequence=3, ip=None, country=None, asn=None),
        escalated=True,
    )
    body, _, _ = _parts(_parse(render_eml(notice)))
    assert "This is a repeat notice" in body
    assert "This notice is escalated" in body
    assert "notice:     3rd for this URL" in body
    assert "hosting:    unknown" in body


@pytest.mark.parametrize(
    ("kind", "phrase"),
    [
        ("provider", "hosted on your network"),
        ("cdn", "served through your network"),
        ("hotline", "national procedure"),
        ("law-enforcement", "once you have cleared this"),
    ],
)
def test_body_speaks_to_the_kind_of_recipient(kind: str, phrase: str) -> None:
    body, _, _ = _parts(_parse(render_eml(_notice(kind=kind))))
    assert phrase in " ".join(body.split())


def test_xarf_attachment_carries_the_exact_urls() -> None:
    notice = _notice()
    _, xarf, _ = _parts(_parse(render_eml(notice)))
    assert isinstance(xarf, list)
    assert len(xarf) == 2
    first = xarf[0]
    assert first["Version"] == "4"
    assert first["ReporterInfo"] == {
        "ReporterOrg": "Hotline XX",
        "ReporterOrgDomain": "hotline.example",
        "ReporterOrgEmail": "reports@hotline.example",
    }
    assert first["Disclosure"] is False
    report = first["Report"]
    assert report["ReportClass"] == "Content"
    assert report["ReportType"] == "illegal-content"
    assert report["ReporterCaseID"] == "N-000123"
    assert report["Date"] == "2024-05-01T09:30:00Z"
    assert report["SourceType"] == "uri"
    assert report["Source"] == SITE_URL
    assert report["SourceUrl"] == SITE_URL
    assert report["SourceIp"] == "192.0.2.10"
    assert report["ASN"] == 64500
    assert report["classification"] == {"scheme": "interpol", "code": "baseline"}
    assert xarf[1]["Report"]["Source"] == REDIRECT_URL


def test_xarf_leaves_out_what_is_unknown_or_no_address() -> None:
    notice = _notice(_url(ip="not-an-address", asn=None), _url(REDIRECT_URL, ip=None, asn=0))
    _, xarf, _ = _parts(_parse(render_eml(notice)))
    for entry in xarf:
        assert "SourceIp" not in entry["Report"]
        assert "ASN" not in entry["Report"]


def test_csv_attachment_is_the_csv_file() -> None:
    notice = _notice()
    _, _, rows = _parts(_parse(render_eml(notice)))
    assert rows == list(csv.reader(io.StringIO(render_csv(notice).decode("utf-8"), newline="")))
    assert tuple(rows[0]) == CSV_HEADER
    assert rows[1] == [
        SITE_URL,
        "2024-05-01T09:30:00Z",
        "interpol",
        "baseline",
        "192.0.2.10",
        "NL",
        "64500",
        "1",
    ]
    assert rows[2][0] == REDIRECT_URL


def test_csv_is_rfc4180_and_empty_cells_for_unknowns() -> None:
    data = render_csv(_notice(_url(ip=None, country=None, asn=None)))
    assert data.startswith(b"url,reported_at,scheme,code,ip,country,asn,sequence\r\n")
    assert data.endswith(b",interpol,baseline,,,,1\r\n")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_cannot_be_formulas(start: str) -> None:
    value = f"{start}HYPERLINK(1)"
    data = render_csv(_notice(_url(scheme=value, code=value, country=value)))
    row = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))[1]
    assert row[2] == row[3] == row[5] == "'" + value


def test_json_is_the_notice_with_exact_urls() -> None:
    document = orjson.loads(render_json(_notice(_url(), _url(REDIRECT_URL, ip=None, asn=None))))
    assert document["notice"] == "N-000123"
    assert document["created_at"] == "2024-05-02T10:00:00Z"
    assert document["recipient"] == "provider:AS64500"
    assert document["kind"] == "provider"
    assert document["contact"] == "abuse@provider.example"
    assert document["sender"] == {"name": "Hotline XX", "contact": "reports@hotline.example"}
    assert document["escalated"] is False
    assert document["subject"] == "Notice N-000123: 2 URLs for removal"
    assert [u["url"] for u in document["urls"]] == [SITE_URL, REDIRECT_URL]
    assert document["urls"][1] == {
        "url": REDIRECT_URL,
        "reported_at": "2024-05-01T09:30:00Z",
        "scheme": "interpol",
        "code": "baseline",
        "ip": None,
        "country": "NL",
        "asn": None,
        "sequence": 1,
    }


def test_same_notice_same_bytes() -> None:
    first, second = _notice(), _notice()
    assert first is not second
    for render in (render_eml, render_json, render_csv):
        assert render(first) == render(second)
    other = render_eml(_notice(id="N-000124"))
    assert other != render_eml(first)
    assert _parse(other)["Message-ID"] == "<notice-N-000124@hotline.example>"


# --- hostile input ----------------------------------------------------------------------------


def test_unroutable_notice_is_written_without_a_recipient(tmp_path: Path) -> None:
    notice = _notice(contact=None, kind="unroutable", recipient="unroutable", name="")
    message = _parse(render_eml(notice))
    assert message["To"] is None
    assert message["X-Hotline-Unroutable"] == "yes"
    body, xarf, _ = _parts(message)
    assert "no deliverable recipient address" in body
    assert body.startswith("Hello,")
    assert len(xarf) == 2
    assert [p.name for p in write_notice(tmp_path, notice)] == [
        "N-000123.eml",
        "N-000123.json",
        "N-000123.csv",
    ]


INJECTION = "\r\nBcc: hidden@elsewhere.example\r\nX-Injected: yes"


@pytest.mark.parametrize("field", ["name", "sender_name"])
def test_line_breaks_in_a_name_create_no_header(field: str) -> None:
    eml = render_eml(_notice(**{field: f"Provider Example{INJECTION}"}))
    message = _parse(eml)
    assert set(message.keys()) == {
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "X-Hotline-Notice",
        "MIME-Version",
        "Content-Type",
    }
    assert [a.addr_spec for a in message["To"].addresses] == ["abuse@provider.example"]
    for name in ("From", "To"):
        shown = message[name].addresses[0].display_name
        assert "\r" not in shown
        assert "\n" not in shown
    assert not re.search(rb"\r\n(Bcc|X-Injected):", eml, re.IGNORECASE)
    assert not _UNSAFE.search(_people_text(message))


@pytest.mark.parametrize(
    "contact",
    [
        f"abuse@provider.example{INJECTION}",
        "abuse@provider.example\nBcc: hidden@elsewhere.example",
        "abuse@provider.example\rBcc: hidden@elsewhere.example",
        "abuse@provider.example, hidden@elsewhere.example",
        "abuse@provider.example,hidden@elsewhere.example",
        "abuse@provider.example>,<hidden@elsewhere.example",
        "Name <abuse@provider.example>",
        "abuse@provider.example\x00",
        "abuse@provider.example\u202e",
        "not an address",
        "@provider.example",
        "abuse@",
        "abuse@-bad-.example",
        "",
        "äbuse@provider.example",
    ],
)
def test_a_contact_that_is_not_one_clean_address_is_never_used(contact: str) -> None:
    eml = render_eml(_notice(contact=contact))
    message = _parse(eml)
    assert message["To"] is None
    assert message["Bcc"] is None
    assert message["X-Injected"] is None
    assert message["X-Hotline-Unroutable"] == "yes"
    assert b"hidden@" not in eml.split(b"\r\n\r\n", 1)[0]


def test_a_non_ascii_contact_domain_is_written_in_idna() -> None:
    message = _parse(render_eml(_notice(contact="abuse@bücher.example", name="Prövider")))
    assert [a.addr_spec for a in message["To"].addresses] == ["abuse@xn--bcher-kva.example"]
    assert message["To"].addresses[0].display_name == "Prövider"


HOSTILE_URLS = [
    "http://site-a.example/\x1b]8;;http://other.test/\x07click\x1b]8;;\x07",
    "https://site-a.example/\u202egpj.exe",
    "https://site-a.example/a\r\nBcc: hidden@elsewhere.example",
    "https://bücher.example/straße?q=ä",
    "HTTP://SITE-A.EXAMPLE/UPPER",
    "\x00http://site-a.example/",
    "https://site-a.example/" + "a/" * 6000,
    "site-a.example/no-scheme?u=https://other.test/",
    '=HYPERLINK("http://other.test")',
    "javascript:alert(1)//http://site-a.example/",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_urls_are_shown_harmless_and_kept_exact(url: str) -> None:
    notice = _notice(_url(url), _url())
    eml = render_eml(notice)
    assert eml.isascii()
    message = _parse(eml)
    body, xarf, rows = _parts(message)
    assert not _LIVE_SCHEME.search(_people_text(message))
    assert not _UNSAFE.search(body)
    assert "\u202e" not in body
    assert message["Bcc"] is None
    assert xarf[0]["Report"]["Source"] == url
    assert orjson.loads(render_json(notice))["urls"][0]["url"] == url
    expected_cell = "'" + url if url.startswith(("=", "+", "-", "@", "\t", "\r")) else url
    assert rows[1][0] == expected_cell


def test_a_very_long_url_is_one_piece_of_the_text() -> None:
    url = "https://site-a.example/" + "segment-" * 2000
    body, xarf, _ = _parts(_parse(render_eml(_notice(_url(url)))))
    assert "hxxps://site-a[.]example/" + "segment-" * 2000 in body
    assert xarf[0]["Report"]["Source"] == url


def test_an_empty_notice_is_refused(tmp_path: Path) -> None:
    empty = dataclasses.replace(_notice(), urls=())
    for render in (render_eml, render_json, render_csv):
        with pytest.raises(ValueError, match="no URLs"):
            render(empty)
    with pytest.raises(ValueError, match="no URLs"):
        write_notice(tmp_path / "out", empty)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("notice_id", ["", "../N-1", "a/b", ".hidden", "N 1", "N-1\r\nX: y"])
def test_an_id_that_is_no_plain_file_name_is_refused(notice_id: str) -> None:
    with pytest.raises(ValueError, match="plain name"):
        render_eml(_notice(id=notice_id))


def test_naive_times_and_bad_values_are_refused() -> None:
    with pytest.raises(ValueError, match="created_at must be a datetime with a timezone"):
        render_eml(_notice(created_at=datetime(2024, 5, 2, 10, 0)))
    with pytest.raises(ValueError, match="URL 1: reported_at"):
        render_json(_notice(_url(reported_at=datetime(2024, 5, 1))))
    with pytest.raises(ValueError, match="sequence 0"):
        render_csv(_notice(_url(sequence=0)))
    with pytest.raises(ValueError, match="URL 1: the URL is empty"):
        render_eml(_notice(_url("")))
    with pytest.raises(ValueError, match="not valid Unicode"):
        render_json(_notice(_url("https://site-a.example/\udc80")))
    with pytest.raises(ValueError, match="sender contact"):
        render_eml(_notice(sender_contact="reports at hotline"))


# --- files ------------------------------------------------------------------------------------


def test_write_notice_writes_the_three_renderings(tmp_path: Path) -> None:
    notice = _notice()
    paths = write_notice(tmp_path / "notices", notice)
    assert paths == [tmp_path / "notices" / f"N-000123{s}" for s in (".eml", ".json", ".csv")]
    assert paths[0].read_bytes() == render_eml(notice)
    assert paths[1].read_bytes() == render_json(notice)
    assert paths[2].read_bytes() == render_csv(notice)
    # Writing again gives the same bytes and leaves nothing else behind.
    write_notice(tmp_path / "notices", notice)
    assert sorted(p.name for p in (tmp_path / "notices").iterdir()) == sorted(p.name for p in paths)
    assert paths[0].read_bytes() == render_eml(notice)


def test_a_failed_write_leaves_the_old_file_and_no_partial_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _notice(id="N-000123", name="Old Provider")
    write_notice(tmp_path, old)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_notice(tmp_path, _notice(id="N-000123", name="New Provider"))
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_target_that_cannot_be_replaced_leaves_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "N-000123.eml").mkdir()
    with pytest.raises(IsADirectoryError):
        write_notice(tmp_path, _notice())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["N-000123.eml"]
    assert (tmp_path / "N-000123.eml").is_dir()


# --- property: whatever the URL text --------------------------------------------------------

_SCHEMES = st.sampled_from(["http", "https", "HTTP", "hTTps", "ftp", "file", "hxxp", "x"])
_URL_TEXT = st.one_of(
    st.text(min_size=1, max_size=200),
    st.builds(
        lambda scheme, sep, rest: scheme + sep + rest,
        _SCHEMES,
        st.sampled_from(["://", ":/\\/", "[://]", ":"]),
        st.text(max_size=120),
    ),
    st.builds(
        lambda a, b: f"https://site-a.example/{a}?next=http://{b}",
        st.text(max_size=40),
        st.text(max_size=40),
    ),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(url=_URL_TEXT, name=st.text(max_size=80))
def test_any_url_text_is_never_clickable_and_always_exact(url: str, name: str) -> None:
    eml = render_eml(_notice(_url(url), name=name))
    assert eml.isascii()
    message = _parse(eml)
    body, xarf, _ = _parts(message)
    assert not _LIVE_SCHEME.search(_people_text(message))
    assert not _UNSAFE.search(body)
    assert not _UNSAFE.search(str(message["To"]))
    assert message["Bcc"] is None
    assert [a.addr_spec for a in message["To"].addresses] == ["abuse@provider.example"]
    assert len(xarf) == 1
    assert xarf[0]["Report"]["Source"] == url
    assert xarf[0]["Report"]["SourceUrl"] == url


# --- SMTP against a real server on loopback ---------------------------------------------------


@dataclasses.dataclass
class _Delivery:
    sender: str
    recipients: list[str]
    data: bytes


class _SmtpServer(socketserver.ThreadingTCPServer):
    """Enough of SMTP for smtplib: EHLO/HELO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        reject: frozenset[str] = frozenset(),
        credentials: tuple[str, str] | None = None,
        reject_text: str = "5.1.1 mailbox unavailable",
    ) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.reject = reject
        self.reject_text = reject_text
        self.credentials = credentials
        self.deliveries: list[_Delivery] = []
        self.connections = 0
        self.commands: list[str] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _SmtpHandler(socketserver.StreamRequestHandler):
    server: _SmtpServer

    def _say(self, *lines: str) -> None:
        self.wfile.write(b"".join(line.encode("utf-8") + b"\r\n" for line in lines))
        self.wfile.flush()

    def handle(self) -> None:
        server = self.server
        server.connections += 1
        self._say("220 mx.test ESMTP ready")
        sender: str | None = None
        recipients: list[str] = []
        authenticated = server.credentials is None
        while True:
            raw = self.rfile.readline(65536)
            if not raw:
                return
            line = raw.decode("ascii", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            server.commands.append(verb)
            if verb == "EHLO":
                extensions = ["250-mx.test", "250-8BITMIME"]
                if server.credentials is not None:
                    extensions.append("250-AUTH PLAIN")
                self._say(*extensions, "250 SIZE 10000000")
            elif verb == "HELO":
                self._say("250 mx.test")
            elif verb == "AUTH":
                given = base64.b64decode(line.split()[2]).split(b"\0")
                if server.credentials is not None and given[1:] == [
                    c.encode() for c in server.credentials
                ]:
                    authenticated = True
                    self._say("235 2.7.0 authenticated")
                else:
                    self._say("535 5.7.8 credentials invalid")
            elif verb == "MAIL":
                if not authenticated:
                    self._say("530 5.7.0 authentication required")
                    continue
                sender = line.partition("<")[2].partition(">")[0]
                recipients = []
                self._say("250 2.1.0 ok")
            elif verb == "RCPT":
                address = line.partition("<")[2].partition(">")[0]
                if address in server.reject:
                    self._say(f"550 {server.reject_text}")
                else:
                    recipients.append(address)
                    self._say("250 2.1.5 ok")
            elif verb == "DATA":
                if sender is None or not recipients:
                    self._say("503 5.5.1 no valid recipients")
                    continue
                self._say("354 end with <CRLF>.<CRLF>")
                chunks = []
                while True:
                    chunk = self.rfile.readline()
                    if chunk in (b".\r\n", b""):
                        break
                    chunks.append(chunk[1:] if chunk.startswith(b".") else chunk)
                server.deliveries.append(_Delivery(sender, recipients, b"".join(chunks)))
                sender, recipients = None, []
                self._say("250 2.0.0 queued")
            elif verb in {"RSET", "NOOP"}:
                if verb == "RSET":
                    sender, recipients = None, []
                self._say("250 2.0.0 ok")
            elif verb == "QUIT":
                self._say("221 2.0.0 bye")
                return
            else:
                self._say("502 5.5.2 command not implemented")


def _serve(server: _SmtpServer) -> Iterator[_SmtpServer]:
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def mx() -> Iterator[_SmtpServer]:
    yield from _serve(_SmtpServer())


@pytest.fixture
def strict_mx() -> Iterator[_SmtpServer]:
    yield from _serve(
        _SmtpServer(
            reject=frozenset({"abuse@provider.example"}),
            reject_text="5.1.1 no such mailbox \x1b[2J\x1b]0;title\x07",
        )
    )


@pytest.fixture
def auth_mx() -> Iterator[_SmtpServer]:
    yield from _serve(_SmtpServer(credentials=("hotline", "s3cret-test-only")))


SMTP_ENV = "HOTLINE_TEST_SMTP_KEY"


def _settings(server: _SmtpServer, **changes: Any) -> SmtpSettings:
    return dataclasses.replace(SmtpSettings("127.0.0.1", server.port, timeout=5), **changes)


def _one_line(error: pytest.ExceptionInfo[SmtpError]) -> str:
    text = str(error.value)
    assert "\n" not in text
    assert "\r" not in text
    assert "\x1b" not in text
    return text


def test_send_delivers_the_written_bytes(mx: _SmtpServer) -> None:
    eml = render_eml(_notice())
    send(eml, _settings(mx))
    assert len(mx.deliveries) == 1
    delivery = mx.deliveries[0]
    assert delivery.sender == "reports@hotline.example"
    assert delivery.recipients == ["abuse@provider.example"]
    assert delivery.data == eml
    assert mx.commands[-1] == "QUIT"


def test_a_display_name_with_a_comma_is_still_one_recipient(mx: _SmtpServer) -> None:
    send(render_eml(_notice(name="Prövider, Example <x@y.example>")), _settings(mx))
    assert [d.recipients for d in mx.deliveries] == [["abuse@provider.example"]]


def test_send_logs_in_with_the_password_from_the_environment(
    auth_mx: _SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SMTP_ENV, "s3cret-test-only")
    settings_ = _settings(auth_mx, username="hotline", password_env=SMTP_ENV)
    send(render_eml(_notice()), settings_)
    assert len(auth_mx.deliveries) == 1
    assert "AUTH" in auth_mx.commands


def test_a_wrong_password_is_one_clear_line(
    auth_mx: _SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SMTP_ENV, "wrong")
    settings_ = _settings(auth_mx, username="hotline", password_env=SMTP_ENV)
    with pytest.raises(SmtpError) as error:
        send(render_eml(_notice()), settings_)
    text = _one_line(error)
    assert f"127.0.0.1:{auth_mx.port}" in text
    assert "login as 'hotline' refused (535" in text
    assert "wrong" not in text
    assert auth_mx.deliveries == []


def test_a_missing_password_variable_fails_before_connecting(
    mx: _SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SMTP_ENV, raising=False)
    settings_ = _settings(mx, username="hotline", password_env=SMTP_ENV)
    with pytest.raises(SmtpError, match="HOTLINE_TEST_SMTP_KEY, which is not set"):
        send(render_eml(_notice()), settings_)
    with pytest.raises(SmtpError, match="needs password_env"):
        send(render_eml(_notice()), _settings(mx, username="hotline"))
    assert mx.connections == 0


def test_a_rejected_recipient_is_one_clear_line(strict_mx: _SmtpServer) -> None:
    with pytest.raises(SmtpError) as error:
        send(render_eml(_notice()), _settings(strict_mx))
    text = _one_line(error)
    assert text.startswith(f"SMTP 127.0.0.1:{strict_mx.port}: recipient refused:")
    assert "abuse@provider.example (550 5.1.1 no such mailbox" in text
    assert "\\x1b" in text  # the server's control characters are shown, not obeyed
    assert strict_mx.deliveries == []


def test_a_partly_refused_message_is_an_error_too(strict_mx: _SmtpServer) -> None:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = "reports@hotline.example"
    message["To"] = "abuse@provider.example, desk@edge.example"
    message["Subject"] = "Notice N-000200: 1 URL for removal"
    message.set_content("hxxps://site-a[.]example/\n")
    with pytest.raises(SmtpError, match="other recipients accepted it") as error:
        send(message.as_bytes(), _settings(strict_mx))
    assert "abuse@provider.example" in _one_line(error)
    assert [d.recipients for d in strict_mx.deliveries] == [["desk@edge.example"]]


def test_a_refused_connection_names_host_and_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port now.
    with pytest.raises(SmtpError) as error:
        send(render_eml(_notice()), SmtpSettings("127.0.0.1", port, timeout=5))
    assert _one_line(error) == f"SMTP 127.0.0.1:{port}: connection refused"


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # the kernel accepts the connection; nobody ever greets
        port = silent.getsockname()[1]
        with pytest.raises(SmtpError) as error:
            send(render_eml(_notice()), SmtpSettings("127.0.0.1", port, timeout=0.3))
    assert _one_line(error) == f"SMTP 127.0.0.1:{port}: no answer within 0.3 s"


def test_starttls_that_the_server_does_not_offer_is_refused(mx: _SmtpServer) -> None:
    with pytest.raises(SmtpError) as error:
        send(render_eml(_notice()), _settings(mx, starttls=True))
    assert _one_line(error) == f"SMTP 127.0.0.1:{mx.port}: the server does not offer STARTTLS"
    assert mx.deliveries == []


def test_an_unroutable_notice_is_never_sent(mx: _SmtpServer) -> None:
    with pytest.raises(SmtpError, match="unroutable"):
        send(render_eml(_notice(contact=None)), _settings(mx))
    with pytest.raises(SmtpError, match=r"not a readable|no single From|no To"):
        send(b"not a message at all", _settings(mx))
    assert mx.connections == 0
