"""Send a written notice by SMTP (off by default: notices are files until someone sends them).

The message is sent exactly as written (the ``.eml`` bytes); envelope sender and recipients
are read from its ``From``, ``To`` and ``Cc`` headers. Every failure, whatever its cause (no
server, a timeout, TLS, a refused login, sender or recipient), becomes one
:class:`SmtpError` whose message is one line naming ``host:port`` and the reason.
"""

from __future__ import annotations

import email.policy
import os
import smtplib
import socket
import ssl
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from email.headerregistry import AddressHeader
from email.message import Message
from email.parser import BytesParser

from hotline.urls.display import escape_controls

_UNROUTABLE_HEADER = "X-Hotline-Unroutable"  # as hotline.casework.notices writes it


class SmtpError(Exception):
    """A notice could not be sent; the message is one line for people."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send. The password is never stored here: ``password_env`` names the
    environment variable that holds it, read only when sending."""

    host: str
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password_env: str | None = None
    timeout: float = 30


def _where(settings: SmtpSettings) -> str:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"SMTP {escape_controls(host)}:{settings.port}"


def _reply(code: int, message: bytes | str) -> str:
    """A server reply as one line: a hostile server must not write to our terminal."""
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {escape_controls(' '.join(text.split()))}".strip()


def _addresses(message: Message, name: str) -> list[str]:
    # The parsed address structure, never the decoded text: a display name that decodes to
    # "A, B" must not become two recipients.
    headers: Sequence[object] = message.get_all(name) or ()
    return [
        address.addr_spec
        for header in headers
        if isinstance(header, AddressHeader)
        for address in header.addresses
        if address.addr_spec
    ]


def _envelope(eml: bytes, where: str) -> tuple[str, list[str]]:
    """The envelope sender and recipients, from the message's own headers."""
    try:
        message = BytesParser(policy=email.policy.default).parsebytes(eml, headersonly=True)
        if message.get(_UNROUTABLE_HEADER) is not None:
            raise SmtpError(f"{where}: the notice is unroutable: it has no recipient address")
        senders = _addresses(message, "From")
        recipients = _addresses(message, "To") + _addresses(message, "Cc")
    except SmtpError:
        raise
    except Exception as error:  # a malformed header can raise more than one kind of error
        reason = escape_controls(str(error)) or type(error).__name__
        text = f"{where}: the notice is not a readable e-mail message ({reason})"
        raise SmtpError(text) from error
    if len(senders) != 1 or not senders[0]:
        raise SmtpError(f"{where}: the notice has no single From address to send as")
    if not recipients:
        raise SmtpError(f"{where}: the notice has no To or Cc address to send to")
    return senders[0], recipients


def _password(settings: SmtpSettings, where: str) -> str | None:
    if settings.username is None:
        return None
    if not settings.password_env:
        raise SmtpError(
            f"{where}: login as {settings.username!r} needs password_env, the name of the"
            " environment variable that holds the password"
        )
    password = os.environ.get(settings.password_env)
    if password is None:
        raise SmtpError(
            f"{where}: login as {settings.username!r} needs the password in the environment"
            f" variable {settings.password_env}, which is not set"
        )
    return password


def _reason(error: BaseException, settings: SmtpSettings) -> str:
    """Why sending failed, in a few words."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(
            f"{escape_controls(addr)} ({_reply(code, text)})"
            for addr, (code, text) in error.recipients.items()
        )
        return f"recipient refused: {refused}"
    if isinstance(error, smtplib.SMTPSenderRefused):
        reply = _reply(error.smtp_code, error.smtp_error)
        return f"sender {escape_controls(error.sender)} refused ({reply})"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return (
            f"login as {settings.username!r} refused ({_reply(error.smtp_code, error.smtp_error)})"
        )
    if isinstance(error, smtplib.SMTPDataError):
        return f"message refused ({_reply(error.smtp_code, error.smtp_error)})"
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return f"the server does not support it: {escape_controls(str(error))}"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        # smtplib reports a read that timed out as a disconnection; say what happened.
        if isinstance(error.__cause__ or error.__context__, TimeoutError):
            return f"no answer within {settings.timeout:g} s"
        return "the server closed the connection"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"unexpected reply ({_reply(error.smtp_code, error.smtp_error)})"
    if isinstance(error, smtplib.SMTPException):
        return escape_controls(str(error)) or type(error).__name__
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError):  # socket.timeout is TimeoutError since Python 3.10
        return f"no answer within {settings.timeout:g} s"
    if isinstance(error, socket.gaierror):
        return f"host name not resolved ({escape_controls(str(error.strerror))})"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed ({escape_controls(error.reason or str(error))})"
    if isinstance(error, OSError):
        return escape_controls(error.strerror or str(error) or type(error).__name__)
    return escape_controls(str(error)) or type(error).__name__


def send(eml: bytes, settings: SmtpSettings) -> None:
    """Send a written notice (the ``.eml`` bytes) through the server in ``settings``.

    With ``starttls`` the connection is upgraded and the server's certificate verified before
    anything else is said; with ``username`` the client logs in, the password read from the
    environment variable ``password_env``. Raises :class:`SmtpError` on any failure,
    including a recipient refused while others were accepted.
    """
    where = _where(settings)
    sender, recipients = _envelope(eml, where)
    password = _password(settings, where)
    try:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    except (smtplib.SMTPException, OSError) as error:
        raise SmtpError(f"{where}: {_reason(error, settings)}") from error
    try:
        client.ehlo_or_helo_if_needed()
        if settings.starttls:
            if not client.has_extn("starttls"):
                raise SmtpError(f"{where}: the server does not offer STARTTLS")
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if settings.username is not None and password is not None:
            client.login(settings.username, password)
        refused = client.sendmail(sender, recipients, eml)
    except (smtplib.SMTPException, OSError) as error:
        client.close()
        raise SmtpError(f"{where}: {_reason(error, settings)}") from error
    except BaseException:
        client.close()
        raise
    # QUIT is a courtesy: the message is accepted, so a server that answers QUIT badly or not
    # at all has still taken it.
    with suppress(smtplib.SMTPException, OSError):
        client.quit()
    client.close()
    if refused:
        some = "; ".join(
            f"{escape_controls(addr)} ({_reply(code, text)})"
            for addr, (code, text) in refused.items()
        )
        raise SmtpError(f"{where}: recipient refused: {some}; the other recipients accepted it")
