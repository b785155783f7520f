"""Text shown to people: a terminal, an HTML page or a spreadsheet displays it, never obeys it.

Every value hotline shows came from somewhere it does not control: report feeds, captured
pages, passive DNS, IP databases, RDAP answers, the analysts themselves. Any of them can carry
characters that *act* instead of being read. ESC and the other C0 and C1 controls start
terminal sequences (clear the screen, retitle the window, OSC 8 hyperlinks, OSC 52 clipboard
writes); bidirectional embeddings, overrides and isolates reorder what is displayed, so a
value reads differently from what it is; line and paragraph separators and unpaired
surrogates break lines or the output stream. And any ``http://`` in a value is a link that a
terminal, mail client or office suite will make clickable.

:func:`escape_controls` shows each such character as a visible escape instead (``\\x1b``,
``\\x9b``, ``\\u202e``), so the value stays recognisable and nothing is silently lost.
:func:`for_people` does that and also defangs every URL found anywhere in the value, in the
style of :mod:`hotline.urls.defang` (``hxxps://shop[.]example[.]test/``). Both are pure and
idempotent. They are applied where output leaves hotline: the console, the report renderers
and the exports meant for people.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from hotline.urls.defang import defang, defang_host, defang_text
from hotline.urls.kinds import HOST_KINDS, SelectorKind

#: Bidirectional formatting characters that reorder text: the Arabic letter mark, the
#: embeddings and overrides (U+202A-U+202E) and the isolates (U+2066-U+2069). The plain
#: marks U+200E and U+200F only set direction and may stay.
BIDI_CONTROLS = "\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

# C0, DEL, C1, the bidi controls, line and paragraph separators, and unpaired surrogates.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}

_ALNUM = r"[^\W_]"
_LABEL = rf"{_ALNUM}(?:(?:{_ALNUM}|-)*{_ALNUM})?"
#: A bare host name in text: dotted labels ending in an alphabetic label (``shop-alpha.test``,
#: ``….onion``) or an IDN A-label (``xn--…``). Numbers (``12.5``), versions (``1.2.3``) and
#: ISO dates have no alphabetic last label and are left as they are.
HOST_TOKEN = re.compile(
    rf"(?<![\w.\-])(?:{_LABEL}\.)+(?:[^\W\d_]{{2,}}|xn--(?:{_ALNUM}|-)+)(?![\w\-]|\.{_ALNUM})"
)
# A host name that terminals and mail clients link without any scheme: ``www.shop.test``.
_WWW_HOST = re.compile(rf"(?<![\w.\-])www\.{_LABEL}(?:\.{_LABEL})*", re.IGNORECASE)
# A URL whose scheme is already defanged (hxxp, hXXps, fxp), or whose separator is bracketed
# (``http[:]//``, ``http[://]``), but whose host may still have live dots.
_SCHEME_FORMS = re.compile(
    r"(h[tx][tx]ps?|f[tx]p)(://|\[:\]//|\[://\])([^\s/?#\"'<>]*)", re.IGNORECASE | re.ASCII
)
# A dot of a host name that is not already written ``[.]``.
_LIVE_DOT = re.compile(r"\.(?!\])|(?<!\[)\.")


def _escape(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str, *, keep: str = "") -> str:
    """``"a\\x1b[2Jb"`` → ``"a\\\\x1b[2Jb"``: every control character shown, none obeyed.

    C0 controls, DEL and C1 controls become ``\\xNN`` (TAB, LF and CR ``\\t``, ``\\n``,
    ``\\r``); bidi embeddings, overrides and isolates, U+2028, U+2029 and unpaired surrogates
    become ``\\uNNNN``. ``keep`` names the layout characters, of TAB and LF, that the
    destination shows harmlessly (a page, a CSV cell, several lines in a terminal). A CR is
    never kept on its own: before a LF that is kept it is dropped, elsewhere it is shown.
    """
    if not _UNSAFE.search(text):
        return text
    if "\n" in keep:
        text = text.replace("\r\n", "\n")
    return _UNSAFE.sub(lambda m: m.group(0) if m.group(0) in keep else _escape(m.group(0)), text)


def _defang_scheme_form(found: re.Match[str]) -> str:
    scheme, separator, authority = found.groups()
    return scheme + separator + _LIVE_DOT.sub("[.]", authority)


def defang_in_text(text: str, *, hosts: bool = False) -> str:
    """Every URL anywhere in ``text`` defanged; with ``hosts``, every bare host name too.

    ``http://``, ``https://`` and ``ftp://`` URLs are defanged as :func:`defang_text` does;
    half-defanged ones (``hxxps://shop.example.test``, ``http[:]//shop.example.test``) get
    their dots bracketed; ``www.`` host names, which are linked without a scheme, too.
    """
    text = defang_text(text)
    text = _SCHEME_FORMS.sub(_defang_scheme_form, text)
    text = _WWW_HOST.sub(lambda m: defang_host(m.group(0)), text)
    if hosts:
        text = HOST_TOKEN.sub(lambda m: defang_host(m.group(0)), text)
    return text


def for_people(text: str, *, keep: str = "", hosts: bool = False) -> str:
    """A value as a person may see it: controls escaped, then every URL defanged.

    ``keep`` is passed to :func:`escape_controls` and ``hosts`` to :func:`defang_in_text`.
    The result holds no live ``http://``, ``https://`` or ``ftp://`` anywhere, and no control
    character but those in ``keep``.
    """
    return defang_in_text(escape_controls(text, keep=keep), hosts=hosts)


def is_displayable(text: str, *, keep: str = "") -> bool:
    """True when ``text`` holds no control character but those in ``keep``."""
    return all(m.group(0) in keep for m in _UNSAFE.finditer(text))


# The one place that says how a selector's value is shown to people: the CLI (`why`,
# `selectors`) and the exports come here.
_WHOLE_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://\S*")


def display_value(kind: str, value: str) -> str:
    """A selector's value as a person should see it: hosts, e-mail domains, the host of a
    merchant id, both ends of a gateway and every URL anywhere in it defanged, control
    characters shown escaped (one line)."""
    return for_people(_defang_kind(kind, value))


def _defang_kind(kind: str, value: str) -> str:
    if kind in HOST_KINDS:
        return defang(value)
    if kind == SelectorKind.EMAIL and "@" in value:
        local, _, domain = value.rpartition("@")
        return f"{local}@{defang(domain)}"
    if kind == SelectorKind.MERCHANT_ID and "|" in value:
        host, _, merchant = value.partition("|")
        return f"{defang(host)}|{merchant}"
    if kind in (SelectorKind.GATEWAY, SelectorKind.REDIRECT) and ">" in value:
        return ">".join(defang(part) for part in value.split(">", 1))
    if _WHOLE_URL.fullmatch(value):
        return defang(value)  # free text with URLs in it is defanged by for_people
    return value


def rows_for_people(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """Rows for people: every text cell (and each text in a list cell) made safe to show."""
    for row in rows:
        yield tuple(
            for_people(v) if isinstance(v, str)
            else [for_people(x) if isinstance(x, str) else x for x in v] if isinstance(v, list)
            else v
            for v in row
        )  # fmt: skip
