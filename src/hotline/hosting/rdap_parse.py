"""Parse an RDAP "ip network" answer (RFC 9083 §5.4) into the few facts hotline keeps.

The answer comes from a server we do not control, so every member is type-checked and the
walk through nested entities is bounded. Anything that does not have the RFC's shape is
refused with :class:`RdapFormatError` and a reason a person can read; nothing else is
raised, whatever the input.

Older answers are read too. Before RFC 7483 settled, registries answered without an
``objectClassName`` (RIPE NCC until about 2016), wrote each address with a prefix length
("62.239.237.0/32", or the network's own length, "193.0.0.0/21"), or zero-padded IPv4
octets ("074.125.000.000", ARIN until about 2016; the octets are decimal, never octal).
``start_address`` and ``end_address`` are therefore given in canonical form, and are
worked out from the prefix length or the ``cidr0_cidrs`` extension when a bound is missing.

Abuse contacts are taken only from the vCard ``email`` properties of entities whose
``roles`` include ``abuse``. E-mail addresses that merely appear in ``remarks`` free text
are kept apart, in ``remarks_emails``: a remark can name anybody (APNIC's 1.1.1.0/24 names
a third party's resolver desk), so it is fallback information, never the abuse contact.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

MAX_ENTITY_DEPTH = 32  # entities inside entities; real answers nest two or three deep
MAX_ENTITIES = 10_000  # in the whole answer; a 1 MiB answer cannot hold many more
MAX_EMAIL_LENGTH = 254  # RFC 5321 path limit; longer "addresses" are noise or an attack
MAX_REMARK_TEXT = 64 * 1024  # characters scanned per remark line

_STRING_MEMBERS = ("handle", "name", "country", "startAddress", "endAddress", "ipVersion")


class RdapFormatError(ValueError):
    """The document is not an RDAP ip-network object of the expected shape."""


@dataclass(frozen=True, slots=True)
class RdapNetwork:
    """What one RDAP ip-network answer says about the network and who handles abuse."""

    handle: str | None
    name: str | None
    country: str | None
    start_address: str | None
    end_address: str | None
    ip_version: str | None
    port43: str | None
    abuse_emails: tuple[str, ...]
    remarks_emails: tuple[str, ...]


def parse_ip_network(document: object) -> RdapNetwork:
    """Read an already-decoded JSON value as an RDAP ip-network object.

    Raises RdapFormatError (and nothing else) when the value is not one.
    """
    top = _expect_object(document, "document")
    _check_class(top)
    strings = {key: _optional_str(top, key, "network") for key in _STRING_MEMBERS}
    port43 = _optional_str(top, "port43", "network")
    start, end = _range(top, strings["startAddress"], strings["endAddress"])

    abuse = _Emails()
    remarks = _Emails()
    _collect_remarks(top, "network", remarks)
    for path, entity in _walk_entities(top):
        if "abuse" in _roles(entity, path):
            for email in _vcard_emails(entity, path):
                abuse.add(email)
        _collect_remarks(entity, path, remarks)

    return RdapNetwork(
        handle=strings["handle"],
        name=strings["name"],
        country=strings["country"],
        start_address=None if start is None else str(start),
        end_address=None if end is None else str(end),
        ip_version=strings["ipVersion"],
        port43=port43,
        abuse_emails=abuse.values(),
        remarks_emails=remarks.values(excluding=abuse),
    )


def _check_class(top: Mapping[str, object]) -> None:
    """An ip network says so, or (the pre-2016 RIPE NCC shape) says nothing but carries an
    address member. An RDAP error answer or another object class is refused."""
    kind = top.get("objectClassName")
    if kind == "ip network":
        return
    if kind is not None:
        raise RdapFormatError(f"objectClassName is {_describe(kind)}, not 'ip network'")
    if "errorCode" in top:
        raise RdapFormatError(f"an RDAP error answer (errorCode {_describe(top['errorCode'])})")
    if not any(key in top for key in ("startAddress", "endAddress", "cidr0_cidrs")):
        raise RdapFormatError(
            "no objectClassName and no startAddress, endAddress or cidr0_cidrs: not an ip network"
        )


_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_PADDED_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


def _range(
    top: Mapping[str, object], start_text: str | None, end_text: str | None
) -> tuple[_Address | None, _Address | None]:
    """The first and last address, in order and of one IP version. A bound that is missing
    comes from the other bound's prefix length ("193.0.0.0/21") or from cidr0_cidrs."""
    start, start_length = _address_member(start_text, "startAddress")
    end, _ = _address_member(end_text, "endAddress")
    if end is None and start is not None and start_length is not None:
        end = ipaddress.ip_network(f"{start}/{start_length}", strict=False).broadcast_address
    if start is None or end is None:
        networks = _cidr0_networks(top)
        if networks and all(n.version == networks[0].version for n in networks):
            if start is None:
                start = min((n.network_address for n in networks), key=int)
            if end is None:
                end = max((n.broadcast_address for n in networks), key=int)
    if start is not None and end is not None:
        if start.version != end.version:
            raise RdapFormatError("startAddress and endAddress are of different IP versions")
        if int(start) > int(end):
            raise RdapFormatError("startAddress is after endAddress")
    return start, end


def _address_member(value: str | None, key: str) -> tuple[_Address | None, int | None]:
    """An address member as (address, prefix length written after it, if any)."""
    if value is None:
        return None, None
    text, slash, length_text = value.strip().partition("/")
    address = _lenient_address(text)
    if address is None:
        raise RdapFormatError(f"{key} {value[:60]!r} is not an IP address")
    if not slash:
        return address, None
    length = int(length_text) if length_text.isascii() and length_text.isdigit() else -1
    if not 0 <= length <= address.max_prefixlen:
        raise RdapFormatError(f"{key} {value[:60]!r} has an impossible prefix length")
    return address, length


def _lenient_address(text: str) -> _Address | None:
    """An IP address, also in the zero-padded dotted-decimal form ("074.125.000.000")."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        pass
    else:  # a zone index ("%eth0") names one host's link, never a registration
        scoped = isinstance(address, ipaddress.IPv6Address) and address.scope_id is not None
        return None if scoped else address
    if not (text.isascii() and _PADDED_IPV4.fullmatch(text)):
        return None
    octets = [int(part, 10) for part in text.split(".")]
    if any(octet > 255 for octet in octets):
        return None
    return ipaddress.IPv4Address(".".join(map(str, octets)))


def _cidr0_networks(
    top: Mapping[str, object],
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The usable prefixes of the cidr0 extension: ``{"v4prefix": ..., "length": 21}`` (or
    ``v6prefix``); a length written as a string or inside the prefix is accepted. An
    extension is advisory, so unusable entries are skipped, never an error."""
    entries = top.get("cidr0_cidrs")
    if not isinstance(entries, list):
        return []
    networks = []
    for entry in entries[:MAX_ENTITIES]:
        if not isinstance(entry, dict):
            continue
        prefix = entry.get("v4prefix", entry.get("v6prefix"))
        if not isinstance(prefix, str):
            continue
        text, _, inline = prefix.strip().partition("/")
        length = entry.get("length", inline or None)
        if isinstance(length, str) and length.isascii() and length.strip().isdigit():
            length = int(length)
        if isinstance(length, bool) or not isinstance(length, int):
            continue
        address = _lenient_address(text)
        if address is None or not 0 <= length <= address.max_prefixlen:
            continue
        networks.append(ipaddress.ip_network(f"{address}/{length}", strict=False))
    return networks


class _Emails:
    """First-seen, case-kept list of addresses; duplicates differing only in case collapse
    (mail domains are case-insensitive and no registry relies on local-part case)."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def add(self, email: str) -> None:
        self._seen.setdefault(email.casefold(), email)

    def __contains__(self, key: str) -> bool:
        return key in self._seen

    def values(self, *, excluding: _Emails | None = None) -> tuple[str, ...]:
        return tuple(
            email for key, email in self._seen.items() if excluding is None or key not in excluding
        )


def _walk_entities(top: Mapping[str, object]) -> Iterator[tuple[str, Mapping[str, object]]]:
    """Every entity, depth first in document order, with its JSON path for error messages.

    Iterative, so a hostile answer cannot exhaust the interpreter's stack; bounded in depth
    and in count."""
    stack: list[tuple[str, Mapping[str, object], int]] = []
    _push_children(stack, top, "", 1)
    count = 0
    while stack:
        path, entity, depth = stack.pop()
        count += 1
        if count > MAX_ENTITIES:
            raise RdapFormatError(f"more than {MAX_ENTITIES} entities")
        yield path, entity
        _push_children(stack, entity, path + ".", depth + 1)


def _push_children(
    stack: list[tuple[str, Mapping[str, object], int]],
    parent: Mapping[str, object],
    prefix: str,
    depth: int,
) -> None:
    children = parent.get("entities")
    if children is None:
        return
    where = f"{prefix}entities" if prefix else "entities"
    if not isinstance(children, list):
        raise RdapFormatError(f"{where} is {_describe(children)}, not an array")
    if children and depth > MAX_ENTITY_DEPTH:
        raise RdapFormatError(f"entities nested deeper than {MAX_ENTITY_DEPTH} levels")
    if len(children) > MAX_ENTITIES:
        raise RdapFormatError(f"{where} has more than {MAX_ENTITIES} entities")
    items = [
        (f"{where}[{index}]", _expect_object(child, f"{where}[{index}]"), depth)
        for index, child in enumerate(children)
    ]
    stack.extend(reversed(items))  # reversed so the first child is popped first


def _roles(entity: Mapping[str, object], path: str) -> list[str]:
    roles = entity.get("roles")
    if roles is None:
        return []  # the 2015 AFRINIC shape: entities without roles
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise RdapFormatError(f"{path}.roles is not an array of strings")
    return [role.casefold() for role in roles]


def _vcard_emails(entity: Mapping[str, object], path: str) -> Iterator[str]:
    """The values of the vCard (jCard, RFC 7095) ``email`` properties of one entity."""
    card = entity.get("vcardArray")
    if card is None:
        return
    if not (isinstance(card, list) and len(card) == 2 and card[0] == "vcard"):
        raise RdapFormatError(f"{path}.vcardArray is not ['vcard', [properties]]")
    properties = card[1]
    if not isinstance(properties, list):
        raise RdapFormatError(f"{path}.vcardArray properties are not an array")
    for index, prop in enumerate(properties):
        where = f"{path}.vcardArray[1][{index}]"
        if not (isinstance(prop, list) and len(prop) >= 4 and isinstance(prop[0], str)):
            raise RdapFormatError(f"{where} is not a jCard property [name, params, type, value]")
        if prop[0].casefold() != "email":
            continue
        email = _clean_email(prop[3])
        if email is not None:
            yield email


def _clean_email(value: object) -> str | None:
    """A usable address from a vCard value, or None. Some servers write ``mailto:`` URIs."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text[:7].casefold() == "mailto:":
        text = text[7:].strip()
    if not text or len(text) > MAX_EMAIL_LENGTH or "@" not in text:
        return None
    if any(char.isspace() for char in text):
        return None
    return text


# A token (already split on whitespace and brackets) that is an address, once trailing
# punctuation is gone. Applied with fullmatch to short tokens only, so it cannot backtrack
# over a whole remark.
_EMAIL_TOKEN = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_SPLIT = re.compile(r"[\s<>()\[\],;:\"]+")


def _collect_remarks(holder: Mapping[str, object], path: str, into: _Emails) -> None:
    remarks = holder.get("remarks")
    if remarks is None:
        return
    if not isinstance(remarks, list):
        raise RdapFormatError(f"{path}.remarks is {_describe(remarks)}, not an array")
    for index, remark in enumerate(remarks):
        where = f"{path}.remarks[{index}]"
        description = _expect_object(remark, where).get("description")
        if description is None:
            continue
        if not isinstance(description, list) or not all(
            isinstance(line, str) for line in description
        ):
            raise RdapFormatError(f"{where}.description is not an array of strings")
        for line in description:
            for email in emails_in_text(line[:MAX_REMARK_TEXT]):
                into.add(email)


def emails_in_text(text: str) -> Iterator[str]:
    """E-mail addresses written in free text, in order. Linear in the text's length."""
    for token in _SPLIT.split(text):
        if "@" not in token or len(token) > MAX_EMAIL_LENGTH + 2:
            continue
        token = token.strip(".'`")
        if _EMAIL_TOKEN.fullmatch(token):
            yield token


def _expect_object(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise RdapFormatError(f"{where} is {_describe(value)}, not a JSON object")
    return value


def _optional_str(holder: Mapping[str, object], key: str, where: str) -> str | None:
    value = holder.get(key)
    if value is None or isinstance(value, str):
        return value
    raise RdapFormatError(f"{where}.{key} is {_describe(value)}, not a string")


def _describe(value: object) -> str:
    """A short, safe description of a JSON value for an error message."""
    if value is None:
        return "missing or null"
    if isinstance(value, str):
        return repr(value[:40] + ("..." if len(value) > 40 else ""))
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"
