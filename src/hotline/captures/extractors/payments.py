"""Payment processors and merchant accounts: the strongest link between a distributor's sites.

A processor host on its own is weak evidence (one big processor serves many distributors);
the merchant id a page hands to it is strong, so it is kept as ``host|id``. Known processors
come from an editable table (``processors.csv`` next to this module, overridable per
deployment); an unknown third-party host still counts when a form, iframe or widget hands it
merchant-like parameters, with method ``other``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from selectolax.lexbor import LexborNode

from hotline.captures.extractors._common import Extractor, attribute, resolve
from hotline.captures.page import CapturedPage, Selector, Strength
from hotline.urls import CanonicalURL, canonicalize

__all__ = [
    "MERCHANT_DATA_ATTRIBUTES",
    "MERCHANT_PARAMS",
    "MERCHANT_STEMS",
    "METHODS",
    "NOT_MERCHANT_STEMS",
    "PaymentExtractor",
    "Processor",
    "ProcessorTable",
    "payment_extractor",
]

METHODS: frozenset[str] = frozenset({"card", "e-wallet", "crypto", "money-transfer", "other"})
# Query parameters and hidden form fields that name the merchant account (compared lower-case).
MERCHANT_PARAMS: tuple[str, ...] = (
    "merchant_id",
    "merchantid",
    "merchant",
    "mid",
    "account",
    "account_id",
    "accountid",
    "shop_id",
    "shopid",
    "store_id",
    "seller",
    "seller_id",
    "sellerid",
    "vendor_id",
    "vendor",
    "payee",
    "acct",
    "acct_id",
    "merchant_code",
    "merchantcode",
    "merchant_account",
    "merchantaccount",
    "mch_id",
    "store_number",
    "storenumber",
    # the names some processors give the merchant-account field
    "clientaccnum",  # and its sub-account, clientsubacc
    "clientsubacc",
    "co_code",
    "pi_code",
    "eticketid",
    "hosted_button_id",
    "business",
)
# On a known processor's form or link, a field no list knows can still name the account:
# its name holds one of these stems and none of the words that say it holds something else
# (an address, a plan, a session), and its value holds a digit or an "@" (an account number
# or a business e-mail, not a word).
MERCHANT_STEMS: tuple[str, ...] = (
    "merchant", "account", "acct", "accnum", "seller", "vendor", "payee", "shop", "store",
    "client",
)  # fmt: skip
NOT_MERCHANT_STEMS: tuple[str, ...] = (
    "url", "uri", "name", "mail", "type", "plan", "lang", "currency", "country", "return",
    "cancel", "success", "fail", "notify", "callback", "redirect", "session", "token", "ip",
    "hash", "sign", "key", "secret", "time", "date",
)  # fmt: skip
# Attributes a payment widget's element carries its merchant account in.
MERCHANT_DATA_ATTRIBUTES: tuple[str, ...] = (
    "data-merchant",
    "data-merchant-id",
    "data-account",
    "data-account-id",
    "data-shop-id",
    "data-seller-id",
)
_MAX_ID = 64
_ID = re.compile(r"[^\x00-\x20\x7f]{1,64}")  # no blanks or controls inside an id
_BARE_HOST = re.compile(r"[^\s/\\@:?#\[\]]{1,253}")  # a name only: no port, path or userinfo
_HOST = re.compile(r"[a-z0-9_](?:[a-z0-9_.-]{0,251}[a-z0-9_])?")
# Elements that send a visitor (or their card details) somewhere, and the attribute saying where.
_URL_ATTRIBUTE = {"form": "action", "script": "src", "iframe": "src", "a": "href"}
_WHERE = {"form": "form", "script": "script", "iframe": "iframe", "a": "link"}


@dataclass(frozen=True, slots=True)
class Processor:
    host: str
    name: str
    method: str  # card | e-wallet | crypto | money-transfer | other


class ProcessorTable:
    """Processors by host; a host matches its own entry or the nearest parent domain's."""

    __slots__ = ("_by_host",)

    def __init__(self, processors: Iterable[Processor] = ()) -> None:
        self._by_host: dict[str, Processor] = {}
        for processor in processors:  # later rows override earlier ones
            self._by_host[processor.host] = processor

    @classmethod
    def shipped(cls) -> ProcessorTable:
        """The table shipped with hotline (synthetic example entries; edit processors.csv)."""
        return _shipped()

    @classmethod
    def load(cls, path: str | Path | None = None) -> ProcessorTable:
        """The shipped table, with the rows of a user table at ``path`` (CSV or JSON) over it."""
        shipped = _shipped()
        if path is None:
            return shipped
        return shipped.merged(cls.read(path))

    @classmethod
    def read(cls, path: str | Path) -> ProcessorTable:
        """One table file: CSV with ``host,name,method`` columns, or a JSON list of objects
        with those keys (the synthetic world's ``processors.json``). Raises ValueError with
        the file and row on a bad row: a broken configuration must not pass silently."""
        path = Path(path)
        text = path.read_text(encoding="utf-8-sig")
        if path.suffix.lower() == ".json" or text.lstrip().startswith("["):
            return cls(_parse_json(text, str(path)))
        return cls(_parse_csv(text, str(path)))

    def merged(self, other: ProcessorTable) -> ProcessorTable:
        """This table with ``other``'s rows added, ``other`` winning on the same host."""
        return ProcessorTable([*self, *other])

    def lookup(self, host: str) -> Processor | None:
        name = host.lower().rstrip(".")
        while name:
            found = self._by_host.get(name)
            if found is not None:
                return found
            _, _, name = name.partition(".")
        return None

    def __iter__(self) -> Iterator[Processor]:
        return iter(self._by_host.values())

    def __len__(self) -> int:
        return len(self._by_host)

    def __contains__(self, host: object) -> bool:
        return isinstance(host, str) and self.lookup(host) is not None

    def __repr__(self) -> str:
        return f"ProcessorTable({len(self)} processors)"


def _row(host: object, name: object, method: object, origin: str) -> Processor:
    if not isinstance(host, str) or not isinstance(name, str) or not isinstance(method, str):
        raise ValueError(f"{origin}: host, name and method must all be text")
    # The URL parser's host form (UTS-46, lower case, no trailing dot): the form links have.
    bare = host.strip()
    canonical = canonicalize(f"https://{bare}/") if _BARE_HOST.fullmatch(bare) else None
    clean = canonical.host if isinstance(canonical, CanonicalURL) else ""
    if not _HOST.fullmatch(clean):
        raise ValueError(f"{origin}: host {host!r} is not a domain name")
    method = method.strip().lower()
    if method not in METHODS:
        raise ValueError(f"{origin}: method {method!r} is not one of {', '.join(sorted(METHODS))}")
    return Processor(clean, name.strip() or clean, method)


def _parse_csv(text: str, origin: str) -> list[Processor]:
    # '#' lines are comments; they are blanked (not dropped) so line numbers stay true.
    lines = ["" if line.lstrip().startswith("#") else line for line in text.splitlines()]
    reader = csv.reader(io.StringIO("\n".join(lines)))
    header: dict[str, int] | None = None
    rows: list[Processor] = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = {cell.strip().lower(): index for index, cell in enumerate(cells)}
            missing = {"host", "name", "method"} - header.keys()
            if missing:
                raise ValueError(f"{origin}: missing column(s) {', '.join(sorted(missing))}")
            continue
        values = {key: cells[index] if index < len(cells) else "" for key, index in header.items()}
        where = f"{origin}:{reader.line_num}"
        rows.append(_row(values["host"], values["name"], values["method"], where))
    return rows


def _parse_json(text: str, origin: str) -> list[Processor]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{origin}: not valid JSON ({error})") from error
    if not isinstance(data, list):
        raise ValueError(f"{origin}: expected a JSON list of {{host, name, method}} objects")
    rows: list[Processor] = []
    for number, item in enumerate(data):
        if not isinstance(item, dict):
            raise ValueError(f"{origin}[{number}]: expected an object")
        rows.append(
            _row(item.get("host"), item.get("name", ""), item.get("method"), f"{origin}[{number}]")
        )
    return rows


@lru_cache(maxsize=1)
def _shipped() -> ProcessorTable:
    resource = resources.files("hotline.captures.extractors").joinpath("processors.csv")
    text = resource.read_text(encoding="utf-8")
    return ProcessorTable(_parse_csv(text, "processors.csv"))


# --- extraction ----------------------------------------------------------------------------


def _merchant_id(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > _MAX_ID or not _ID.fullmatch(value):
        return None
    return value


def _stem_field(name: str, value: str) -> bool:
    """Does a field no list knows name a merchant account (see :data:`MERCHANT_STEMS`)?"""
    plain = "".join(char for char in name.lower() if char.isalnum())
    return (
        any(stem in plain for stem in MERCHANT_STEMS)
        and not any(word in plain for word in NOT_MERCHANT_STEMS)
        and any(char.isdigit() or char == "@" for char in value)
        and "/" not in value
    )


def _merchant_ids(
    node: LexborNode, params: Iterable[tuple[str, str]], stems: bool = False
) -> list[str]:
    fields = list(params)
    own = node.attributes
    if node.tag == "form":
        for field in node.css("input"):
            attrs = field.attributes
            if (attrs.get("type") or "").strip().lower() == "hidden":
                fields.append(((attrs.get("name") or "").strip(), attrs.get("value") or ""))
    ids = [value for name, value in fields if name.lower() in MERCHANT_PARAMS]
    ids.extend(own.get(name) or "" for name in MERCHANT_DATA_ATTRIBUTES)
    if stems and not any(ids):  # a known processor, and no known field names the account
        ids = [value for name, value in fields if _stem_field(name, value)]
    valid = (_merchant_id(value) for value in ids)
    return list(dict.fromkeys(value for value in valid if value is not None))


class PaymentExtractor:
    """``payment_host`` and ``merchant_id`` selectors, with the processor table it was given."""

    __slots__ = ("table",)

    def __init__(self, table: ProcessorTable) -> None:
        self.table = table

    def __call__(self, page: CapturedPage) -> list[Selector]:
        found: dict[tuple[str, str], Selector] = {}
        for node in page.tree.css("form, script, iframe, a"):
            tag = node.tag
            if tag not in _URL_ATTRIBUTE:
                continue
            link = resolve(page, attribute(node, _URL_ATTRIBUTE[tag]))
            if link is None or not link.third_party(page):
                continue
            processor = self.table.lookup(link.host)
            # a field read by its stem only for a known processor: a stats script's or an ad
            # network's "?client=ca-pub-1234" on an unknown host is no merchant account
            ids = _merchant_ids(node, link.params, stems=processor is not None)
            if processor is not None:
                host, method = processor.host, processor.method
            elif ids and tag != "a":  # a form, iframe or widget handing over an account
                host, method = link.host, "other"
            else:
                continue
            where = _WHERE[tag]
            found.setdefault(
                ("payment_host", host),
                Selector("payment_host", host, where, Strength.WEAK, method),
            )
            for merchant in ids:
                value = f"{host}|{merchant}"
                found.setdefault(
                    ("merchant_id", value),
                    Selector("merchant_id", value, where, Strength.STRONG, method),
                )
        return list(found.values())

    def __repr__(self) -> str:
        return f"PaymentExtractor({self.table!r})"


def payment_extractor(table: ProcessorTable | None = None) -> Extractor:
    """The payments extractor over ``table`` (the shipped table when None)."""
    return PaymentExtractor(table if table is not None else ProcessorTable.load())
