"""Notices as files: an e-mail (``.eml``) for people, X-ARF JSON and CSV for systems.

A notice asks a recipient (a provider, a CDN, a member hotline, the police) to act on URLs
that were classified as illegal. People read the e-mail's text, so every URL in it is
defanged and every value from outside (names, hosting facts) has its controls escaped: no
clickable link, no terminal or bidi trick. Systems read the attachments, so those carry the
exact URLs. Everything is deterministic: the same notice gives the same bytes, which makes a
written notice a record that can be compared and re-sent.

Header injection is impossible by construction: a name is escaped onto one line before it
becomes a display name, and a contact that is not one clean e-mail address is not used at
all (the notice is then written as unroutable, see :data:`UNROUTABLE_HEADER`).
"""

from __future__ import annotations

import csv
import email.policy
import hashlib
import io
import ipaddress
import os
import re
import tempfile
import textwrap
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import orjson

from hotline.urls.defang import defang
from hotline.urls.display import for_people

#: Set (value ``yes``) on a notice that has no usable recipient address: it is written so the
#: case stays on record, and :mod:`hotline.casework.smtp` refuses to send it.
UNROUTABLE_HEADER = "X-Hotline-Unroutable"
#: The notice id, for a mail system that files replies and bounces.
NOTICE_HEADER = "X-Hotline-Notice"
CSV_HEADER = ("url", "reported_at", "scheme", "code", "ip", "country", "asn", "sequence")
XARF_FILENAME = "xarf.json"
CSV_FILENAME = "urls.csv"

# The id names the files, so it must be a plain file name (no separators, no leading dot).
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_HOSTNAME = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
)
_DOMAIN_LITERAL = re.compile(r"\[[0-9A-Fa-f:.]+\]")
# Anything that could end a header line or hide in one: controls, separators, bidi, space.
_NOT_IN_ADDRESS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Last line of defence for the text people read: a scheme separator that could still link.
_CLICKABLE = re.compile(r"(https?|ftp|file)://", re.IGNORECASE)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MAX_NAME = 200
_MAX_LINE = 78
_PURPOSE = {"law-enforcement": "for clearance", "hotline": "referred for action"}
_DEFAULT_PURPOSE = "for removal"
_SIGNATURE_SEPARATOR = "-- "


@dataclass(frozen=True)
class NoticeUrl:
    """One URL in a notice, with what was decided about it and where it is hosted."""

    url: str  # the exact canonical URL
    reported_at: datetime
    scheme: str
    code: str
    ip: str | None
    country: str | None
    asn: int | None
    sequence: int  # 1 = the first notice for this URL to this recipient


@dataclass(frozen=True)
class Notice:
    """A notice to one recipient about one or more URLs."""

    id: str  # stable, e.g. "N-000123"; also the file name
    created_at: datetime
    recipient: str
    kind: str
    name: str
    contact: str | None
    sender_name: str
    sender_contact: str
    escalated: bool
    urls: tuple[NoticeUrl, ...]


# --- checks and small conversions -------------------------------------------------------------


def _check(notice: Notice) -> None:
    """Refuse what cannot become a correct notice, before anything is rendered."""
    if not isinstance(notice.id, str) or not _ID.fullmatch(notice.id):
        raise ValueError(
            f"notice id {notice.id!r} is not a plain name (letters, digits, '.', '_', '-')"
        )
    if not notice.urls:
        raise ValueError(f"notice {notice.id}: no URLs; an empty notice is never written")
    _iso(notice.created_at, f"notice {notice.id}: created_at")
    # (what, value, may be None)
    texts: list[tuple[str, object, bool]] = [
        ("recipient", notice.recipient, False),
        ("kind", notice.kind, False),
        ("name", notice.name, False),
        ("contact", notice.contact, True),
        ("sender_name", notice.sender_name, False),
        ("sender_contact", notice.sender_contact, False),
    ]
    for number, item in enumerate(notice.urls, start=1):
        where = f"notice {notice.id}: URL {number}"
        if not isinstance(item.url, str) or not item.url:
            raise ValueError(f"{where}: the URL is empty")
        if isinstance(item.sequence, bool) or not isinstance(item.sequence, int):
            raise ValueError(f"{where}: sequence must be a whole number")
        if item.sequence < 1:
            raise ValueError(f"{where}: sequence {item.sequence} is not 1 or more")
        if item.asn is not None and (isinstance(item.asn, bool) or not isinstance(item.asn, int)):
            raise ValueError(f"{where}: asn must be a whole number or None")
        _iso(item.reported_at, f"{where}: reported_at")
        texts += [
            (f"URL {number} url", item.url, False),
            (f"URL {number} scheme", item.scheme, False),
            (f"URL {number} code", item.code, False),
            (f"URL {number} ip", item.ip, True),
            (f"URL {number} country", item.country, True),
        ]
    for what, value, optional in texts:
        if value is None and optional:
            continue
        if not isinstance(value, str):
            raise ValueError(f"notice {notice.id}: {what} is not text")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate: no file format here can carry it, and it is no real URL or name.
            raise ValueError(f"notice {notice.id}: {what} is not valid Unicode text") from None


def _iso(moment: datetime, what: str = "time") -> str:
    """``2024-05-01T10:00:00Z``; a naive datetime is refused, as the store refuses it."""
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a datetime with a timezone")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def _one_line(text: str) -> str:
    """A value from outside as one harmless line: controls escaped, URLs and hosts defanged."""
    shown = for_people(text, hosts=True).strip()
    return shown if len(shown) <= _MAX_NAME else shown[: _MAX_NAME - 3] + "..."


def _mailbox(name: str, contact: str | None) -> Address | None:
    """``name <contact>`` for a header, or None when ``contact`` is not one clean address.

    CR, LF or any other control or space in the address could start a new header or hide a
    second recipient, so such a contact is never used. A non-ASCII domain is written in its
    IDNA form so the message stays 7-bit; a non-ASCII local part cannot be, and is refused.
    """
    if contact is None:
        return None
    addr = contact.strip()
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or _NOT_IN_ADDRESS.search(addr) or not local.isascii():
        return None
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    try:
        address = Address(display_name=_one_line(name), addr_spec=f"{local}@{domain}")
    except (ValueError, IndexError, HeaderParseError):
        return None
    if not (_HOSTNAME.fullmatch(address.domain) or _DOMAIN_LITERAL.fullmatch(address.domain)):
        return None
    return address


def _sender(notice: Notice) -> Address:
    sender = _mailbox(notice.sender_name, notice.sender_contact)
    if sender is None:
        raise ValueError(
            f"notice {notice.id}: sender contact {notice.sender_contact!r} is not an e-mail address"
        )
    return sender


def _csv_safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas (OWASP "CSV injection") with a leading apostrophe.

    The same rule as the sharing exports; casework may not import that stage.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


# --- the machine-readable forms ---------------------------------------------------------------


def _url_record(item: NoticeUrl) -> dict[str, Any]:
    return {
        "url": item.url,
        "reported_at": _iso(item.reported_at),
        "scheme": item.scheme,
        "code": item.code,
        "ip": item.ip,
        "country": item.country,
        "asn": item.asn,
        "sequence": item.sequence,
    }


def render_json(notice: Notice) -> bytes:
    """The notice as JSON for the recipient's system: exact URLs, ISO times in UTC."""
    _check(notice)
    document = {
        "notice": notice.id,
        "created_at": _iso(notice.created_at),
        "subject": _subject(notice),
        "recipient": notice.recipient,
        "kind": notice.kind,
        "name": notice.name,
        "contact": notice.contact,
        "sender": {"name": notice.sender_name, "contact": notice.sender_contact},
        "escalated": notice.escalated,
        "urls": [_url_record(item) for item in notice.urls],
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"


def render_csv(notice: Notice) -> bytes:
    """The notice's URLs as CSV (RFC 4180, UTF-8, CRLF), one row per URL, formula-safe."""
    _check(notice)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for item in notice.urls:
        record = _url_record(item)
        writer.writerow(
            [_csv_safe("" if record[key] is None else record[key]) for key in CSV_HEADER]
        )
    return out.getvalue().encode("utf-8")


def _xarf(notice: Notice, sender: Address) -> bytes:
    """One X-ARF report per URL, in the JSON form of the abusix X-ARF schema.

    Field names follow that schema (``ReporterInfo``, ``Report.ReportClass``, ``SourceUrl``,
    ``SourceIp``, ``ASN``); ``Source``/``SourceType`` and ``classification`` are the fields
    hotline's notices add, so the decision always travels as the pair (scheme, code).
    """
    reporter = {
        "ReporterOrg": notice.sender_name,
        "ReporterOrgDomain": sender.domain,
        "ReporterOrgEmail": sender.addr_spec,
    }
    reports = []
    for item in notice.urls:
        report: dict[str, Any] = {
            "ReportClass": "Content",
            "ReportType": "illegal-content",
            "ReporterCaseID": notice.id,
            "Date": _iso(item.reported_at),
            "SourceType": "uri",
            "Source": item.url,
            "SourceUrl": item.url,
        }
        if item.ip is not None:
            with suppress(ValueError):
                report["SourceIp"] = str(ipaddress.ip_address(item.ip))
        if item.asn is not None and 1 <= item.asn <= 4_199_999_999:
            report["ASN"] = item.asn
        report["classification"] = {"scheme": item.scheme, "code": item.code}
        # Disclosure false: the recipient may act on the report but not pass the reporter's
        # identity on to whoever runs the site.
        reports.append(
            {"Version": "4", "ReporterInfo": reporter, "Disclosure": False, "Report": report}
        )
    return orjson.dumps(reports, option=orjson.OPT_INDENT_2) + b"\n"


# --- the e-mail -------------------------------------------------------------------------------


def _subject(notice: Notice) -> str:
    count = len(notice.urls)
    what = f"{count} URL" if count == 1 else f"{count} URLs"
    purpose = _PURPOSE.get(notice.kind, _DEFAULT_PURPOSE)
    rounds = max(item.sequence for item in notice.urls)
    if notice.escalated:
        head = f"Escalated notice ({_ordinal(rounds)})" if rounds > 1 else "Escalated notice"
    elif rounds > 1:
        head = f"Re-notice ({_ordinal(rounds)})"
    else:
        head = "Notice"
    return f"{head} {notice.id}: {what} {purpose}"


def _intro(notice: Notice, sender: str) -> str:
    classified = f"{sender} has classified the URLs below as illegal."
    if notice.kind == "law-enforcement":
        return (
            f"{classified} According to our records they are hosted in our own country. We"
            " will send a notice to the hosting provider once you have cleared this; please"
            " tell us if that must wait."
        )
    if notice.kind == "hotline":
        return (
            f"{classified} According to our records they are hosted in your country; we refer"
            " them to you for action under your national procedure."
        )
    where = "served through your network" if notice.kind == "cdn" else "hosted on your network"
    return (
        f"{classified} According to our records they are {where}. We ask you to remove the"
        " material at these URLs."
    )


def _paragraph(text: str) -> list[str]:
    # Words are never broken: a long escaped value stays one piece that can be searched for.
    return textwrap.wrap(text, _MAX_LINE - 2, break_long_words=False, break_on_hyphens=False)


def _hosting(item: NoticeUrl) -> str:
    facts = []
    if item.ip is not None:
        facts.append(f"IP {_one_line(item.ip)}")
    if item.country is not None:
        facts.append(f"country {_one_line(item.country)}")
    if item.asn is not None:
        facts.append(f"AS{item.asn}")
    return ", ".join(facts) if facts else "unknown"


def _body(notice: Notice, sender: Address, routable: bool) -> str:
    org = _one_line(notice.sender_name) or "The hotline"
    name = _one_line(notice.name)
    paragraphs = [_intro(notice, org)]
    if max(item.sequence for item in notice.urls) > 1:
        paragraphs.append(
            "This is a repeat notice: at our last check some of these URLs were still"
            " reachable after an earlier notice."
        )
    if notice.escalated:
        paragraphs.append("This notice is escalated: earlier notices for these URLs had no effect.")
    if not routable:
        paragraphs.append(
            "(This notice has no deliverable recipient address; it is kept on record.)"
        )
    lines = [f"Dear {name}," if name else "Hello,"]
    for paragraph in paragraphs:
        lines += ["", *_paragraph(paragraph)]
    lines += [
        "",
        f"Notice:  {notice.id}",
        f"Date:    {_iso(notice.created_at)}",
        f"URLs:    {len(notice.urls)}",
        "",
    ]
    lines += _paragraph(
        f"The exact URLs are in the attached files {XARF_FILENAME} (X-ARF, one report per URL)"
        f" and {CSV_FILENAME}. In this text they are written defanged (hxxp, [.]) so that no"
        " one opens them by accident."
    )
    for number, item in enumerate(notice.urls, start=1):
        # for_people after defang: defang alone leaves a URL that it does not recognise as one
        # (a control character before the scheme, say) as it is; this escapes and catches it.
        shown = for_people(defang(item.url))
        lines += [
            "",
            f"{number}. {shown}",
            f"   classified: illegal under scheme {_one_line(item.scheme)},"
            f" code {_one_line(item.code)}",
            f"   reported:   {_iso(item.reported_at)}",
            f"   hosting:    {_hosting(item)}",
        ]
        if item.sequence > 1:
            lines.append(f"   notice:     {_ordinal(item.sequence)} for this URL")
    # The reply address is the sender's own, checked by _mailbox: shown as it is, to reply to.
    lines += [
        "",
        f"Please reply to {sender.addr_spec}, quoting {notice.id}.",
        "",
        _SIGNATURE_SEPARATOR,
        org,
        "",
    ]
    return _CLICKABLE.sub(lambda m: m.group(1) + "[://]", "\n".join(lines))


def render_eml(notice: Notice) -> bytes:
    """The notice as an RFC 5322 message (CRLF, 7-bit): text for people, files for systems.

    Raises :class:`ValueError` for a notice without URLs, an id that is no plain name, a
    sender contact that is no e-mail address, or a naive datetime.
    """
    _check(notice)
    sender = _sender(notice)
    recipient = _mailbox(notice.name, notice.contact)
    body = _body(notice, sender, routable=recipient is not None)
    xarf = _xarf(notice, sender)
    table = render_csv(notice)

    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    if recipient is not None:
        message["To"] = recipient
    else:
        message[UNROUTABLE_HEADER] = "yes"
    message["Subject"] = _subject(notice)
    message["Date"] = format_datetime(notice.created_at.astimezone(UTC))
    message["Message-ID"] = f"<notice-{notice.id}@{sender.domain.strip('[]') or 'invalid'}>"
    message[NOTICE_HEADER] = notice.id
    # 7bit when it can be, quoted-printable otherwise: the file never needs 8BITMIME to send.
    plain = body.isascii() and max(len(line) for line in body.split("\n")) <= _MAX_LINE
    message.set_content(body, charset="utf-8", cte="7bit" if plain else "quoted-printable")
    message.add_attachment(xarf, maintype="application", subtype="json", filename=XARF_FILENAME)
    message.add_attachment(
        table, maintype="text", subtype="csv", filename=CSV_FILENAME, params={"charset": "utf-8"}
    )
    # The boundary is normally random; one derived from the parts keeps the bytes the same
    # for the same notice, and no part can contain the hash of all the parts.
    digest = hashlib.sha256(b"\0".join([body.encode("utf-8"), xarf, table])).hexdigest()
    message.set_boundary(f"hotline-{digest[:48]}")
    return message.as_bytes(policy=email.policy.SMTP)


# --- files ------------------------------------------------------------------------------------


def _new_file_mode(target: Path) -> int:
    """The old file's mode, or the mode an ordinary new file would get (the umask applied)."""
    try:
        return os.stat(target).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _write_whole(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: a temporary file beside it, flushed to
    disk and renamed over it. On any failure the temporary file is removed and the old file,
    if any, is unchanged."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _new_file_mode(path))
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


def write_notice(directory: Path, notice: Notice) -> list[Path]:
    """Write ``<id>.eml``, ``<id>.json`` and ``<id>.csv`` into ``directory`` (created if
    missing); returns their paths. All three are rendered before any is written, so a notice
    that cannot be rendered writes nothing; each file is written whole or not at all. An
    :class:`OSError` while writing is raised as it is."""
    files: Sequence[tuple[str, bytes]] = (
        (".eml", render_eml(notice)),
        (".json", render_json(notice)),
        (".csv", render_csv(notice)),
    )
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix, data in files:
        path = directory / f"{notice.id}{suffix}"
        _write_whole(path, data)
        written.append(path)
    return written
