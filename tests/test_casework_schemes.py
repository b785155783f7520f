"""Classification schemes and the casework rules file: shipped data, loaders, located errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.casework.rules import (
    Member,
    Rules,
    RulesError,
    default_rules,
    load_rules,
    looks_like_email,
)
from hotline.casework.schemes import Code, Scheme, SchemeError, load_scheme, shipped

# ---------------------------------------------------------------- shipped schemes


def test_shipped_schemes() -> None:
    schemes = shipped()
    assert list(schemes) == ["interpol", "uk", "projectvic"]
    assert schemes["interpol"].codes == (
        Code("baseline", "meets the international baseline", True),
        Code("national", "illegal under national law only", True),
        Code("not-illegal", "not illegal", False),
    )
    assert schemes["uk"].codes == (
        Code("A", "category A", True),
        Code("B", "category B", True),
        Code("C", "category C", True),
        Code("not-illegal", "not illegal", False),
    )
    assert schemes["projectvic"].codes == (
        Code("0", "non-pertinent", False),
        Code("1", "category 1", True),
        Code("2", "category 2", False),
        Code("3", "category 3", False),
        Code("4", "category 4 (comparison)", False),
    )
    assert all(scheme.title for scheme in schemes.values())


def test_shipped_returns_a_fresh_dict() -> None:
    first = shipped()
    first.pop("uk")
    assert "uk" in shipped()


def test_code_lookup() -> None:
    uk = shipped()["uk"]
    assert uk.code("B").illegal
    with pytest.raises(SchemeError, match=r"^scheme uk: no code 'b'; known: A, B, C, not-illegal$"):
        uk.code("b")
    with pytest.raises(SchemeError, match="no code '3'"):
        shipped()["interpol"].code("3")  # a decision is (scheme, code), never a bare number


# ---------------------------------------------------------------- load_scheme: JSON

NATIONAL = (
    '{"name": "national-test", "title": "National test scheme", "codes": [\n'
    '  {"code": "I", "label": "illegal", "illegal": true},\n'
    '  {"code": "N", "label": "not illegal", "illegal": false}\n'
    "]}\n"
)


def _file(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    return path


def test_load_json_scheme(tmp_path: Path) -> None:
    scheme = load_scheme(_file(tmp_path, "national.json", NATIONAL))
    assert scheme == Scheme(
        "national-test",
        "National test scheme",
        (Code("I", "illegal", True), Code("N", "not illegal", False)),
    )


GOOD = '{"code": "a", "label": "A", "illegal": true}'


def test_json_title_is_optional(tmp_path: Path) -> None:
    text = '{"name": "x1", "source": "a note", "codes": [' + GOOD + "]}"
    assert load_scheme(_file(tmp_path, "x.json", text)).title == "x1"


def _codes(*items: str) -> str:
    return '{"name": "nat", "codes": [' + ", ".join(items) + "]}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            _codes(
                GOOD,
                GOOD.replace('"a"', '"b"'),
                GOOD.replace('"a"', '"c"'),
                '{"code": "d", "label": "D", "illegal": "yes"}',
            ),
            "codes[3].illegal: expected true or false",
        ),
        (_codes(GOOD, GOOD), "codes[1].code: 'a' already in codes[0]"),
        (_codes('{"code": "a", "label": "A"}'), "codes[0].illegal: missing"),
        (
            _codes('{"code": "a", "label": "A", "illegal": true, "x": 1}'),
            "codes[0].'x': unknown key",
        ),
        (_codes('{"code": "", "label": "A", "illegal": true}'), "codes[0].code: expected"),
        (
            _codes('{"code": "a b", "label": "A", "illegal": true}'),
            "codes[0].code: 'a b' holds a space",
        ),
        (_codes('{"code": "' + "x" * 33 + '", "label": "A", "illegal": true}'), "longer than 32"),
        (
            _codes('{"code": "a", "label": " ", "illegal": true}'),
            "codes[0].label: expected a non-empty",
        ),
        (
            _codes('{"code": "a", "label": "A\\u0007", "illegal": true}'),
            "codes[0].label: holds a control",
        ),
        (_codes("[]"), "codes[0]: expected an object"),
        (_codes(), "codes: expected a non-empty list"),
        ('{"name": "", "codes": [' + GOOD + "]}", "name: expected the scheme's name"),
        ('{"name": "Nat", "codes": [' + GOOD + "]}", "name: 'Nat' is not a scheme name"),
        ('{"name": 3, "codes": [' + GOOD + "]}", "name: expected"),
        ('{"codes": [' + GOOD + "]}", "name: missing"),
        ('{"name": "nat"}', "codes: missing"),
        (
            '{"name": "nat", "schemes": []}',
            "'schemes': unknown key (a scheme has codes, name, source, title)",
        ),
        (
            '{"name": "uk", "codes": [' + GOOD + "]}",
            "name: 'uk' is a shipped scheme; give your scheme another name",
        ),
        ('{"name": "nat", "title": "", "codes": [' + GOOD + "]}", "title: expected"),
        ("[1, 2]", "expected an object"),
        ('{"name": "nat",\n\n "codes": [,]}', ":3: not JSON ("),
        ("[" * 100_000, "not a scheme (JSON nested too deeply)"),
    ],
)
def test_json_errors_are_located(tmp_path: Path, text: str, message: str) -> None:
    path = _file(tmp_path, "s.json", text)
    with pytest.raises(SchemeError, match=f"^{re.escape(str(path))}") as raised:
        load_scheme(path)
    assert message in str(raised.value)


# ---------------------------------------------------------------- load_scheme: CSV


def test_load_csv_scheme(tmp_path: Path) -> None:
    text = (
        "\ufeffScheme, Code ,label,ILLEGAL\r\n"
        "nat,1,category one,yes\r\n"
        "\r\n"
        'nat,2,"category two, with a comma",No\r\n'
        "nat,3,three,1\r\n"
        "nat,4,four,0\r\n"
        "nat,5,five,TRUE\r\n"
        "nat,6,six,false\r\n"
    )
    scheme = load_scheme(_file(tmp_path, "national.csv", text))
    assert scheme.name == scheme.title == "nat"
    assert [(c.code, c.illegal) for c in scheme.codes] == [
        ("1", True),
        ("2", False),
        ("3", True),
        ("4", False),
        ("5", True),
        ("6", False),
    ]
    assert scheme.code("2").label == "category two, with a comma"


def test_format_follows_the_content_without_a_known_suffix(tmp_path: Path) -> None:
    assert load_scheme(_file(tmp_path, "national.txt", NATIONAL)).name == "national-test"
    csv_text = "scheme,code,label,illegal\nnat,1,one,yes\n"
    assert load_scheme(_file(tmp_path, "national", csv_text)).name == "nat"


HEADER = "scheme,code,label,illegal\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            HEADER + "nat,1,one,yes\nnat,2,two,no\nnat,3,three,maybe\n",
            ":4: illegal: 'maybe' is not true/false, yes/no or 1/0",
        ),
        (HEADER + "nat,1,one,yes\n\nnat,1,again,no\n", ":4: code '1' already on line 2"),
        (
            HEADER + "nat,1,one,yes\nother,2,two,no\n",
            ":3: scheme 'other' differs from 'nat' above; one file holds one scheme",
        ),
        (HEADER + "nat,1,one\n", ":2: expected 4 fields (scheme,code,label,illegal), found 3"),
        (HEADER + "nat,1,one,yes,extra\n", ":2: expected 4 fields"),
        (HEADER + ",1,one,yes\n", ":2: scheme: expected the scheme's name"),
        (
            HEADER + "uk,D,category D,yes\n",
            ":2: scheme: 'uk' is a shipped scheme; give your scheme another name",
        ),
        (HEADER + "nat,,one,yes\n", ":2: code: expected"),
        (HEADER + "nat,1,,yes\n", ":2: label: expected"),
        (
            "code,scheme,label,illegal\nnat,1,one,yes\n",
            ":1: expected the header scheme,code,label,illegal",
        ),
        ("\n\nnat,1,one,yes\n", ":3: expected the header"),
        ("", ":1: empty; expected the header"),
        (HEADER, ":1: no codes after the header"),
        # a quoted field may span lines: the next record starts after it
        (HEADER + 'nat,1,one,"yes\n"\nnat,2,two,perhaps\n', ":4: illegal: 'perhaps'"),
        (HEADER + 'nat,1,"one\nline two",yes\n', ":2: label: holds a control character"),
        (HEADER + "nat,1,o\x00ne,yes\n", ":2: label: holds a control character"),
        # refused either way: by the csv module's field limit (131,072 by default; other
        # readers in the same process may raise it) or by the label's own limit
        (HEADER + 'nat,1,"' + "x" * 200_000 + '",yes\n', "not CSV|longer than 200 characters"),
    ],
)
def test_csv_errors_are_located(tmp_path: Path, text: str, message: str) -> None:
    path = _file(tmp_path, "s.csv", text)
    with pytest.raises(SchemeError) as raised:
        load_scheme(path)
    assert str(raised.value).startswith(str(path))
    assert any(part in str(raised.value) for part in message.split("|"))


def test_unreadable_scheme_files(tmp_path: Path) -> None:
    with pytest.raises(SchemeError, match="cannot read"):
        load_scheme(tmp_path / "missing.csv")
    with pytest.raises(SchemeError, match=r":2: not UTF-8"):
        load_scheme(_file(tmp_path, "latin.csv", HEADER.encode() + b"nat,1,caf\xe9,yes\n"))
    with pytest.raises(SchemeError, match="larger than 1 MiB"):
        load_scheme(_file(tmp_path, "big.csv", HEADER + "x" * (1 << 20)))


# ---------------------------------------------------------------- load_rules

RULES_TOML = """\
own_country = "NL"
renotice_hours = 24
escalate_after = 3
consensus = 2

[law_enforcement]
name = "National police unit"
contact = "unit@police.example"

[members.DE]
name = "Hotline DE"
contact = "reports@hotline-de.example"

[members.be]
name = "Hotline BE"
contact = "reports@hotline-be.example"

[cdn_desks]
"Edge network" = "abuse@edge.example"

[providers]
"64500" = "abuse@provider.example"
"AS64501" = "abuse@other.example"
"""


def test_load_rules(tmp_path: Path) -> None:
    rules = load_rules(_file(tmp_path, "rules.toml", RULES_TOML))
    assert rules == Rules(
        own_country="NL",
        renotice_hours=24.0,
        escalate_after=3,
        consensus=2,
        law_enforcement=Member("National police unit", "unit@police.example"),
        members={
            "DE": Member("Hotline DE", "reports@hotline-de.example"),
            "BE": Member("Hotline BE", "reports@hotline-be.example"),
        },
        cdn_desks={"Edge network": "abuse@edge.example"},
        providers={64500: "abuse@provider.example", 64501: "abuse@other.example"},
    )


def test_only_own_country_is_needed(tmp_path: Path) -> None:
    rules = load_rules(_file(tmp_path, "rules.toml", 'own_country = "nl"\nrenotice_hours = 0.5\n'))
    assert rules == Rules(own_country="NL", renotice_hours=0.5)
    assert (rules.escalate_after, rules.consensus, rules.members) == (3, 1, {})


def test_default_rules_have_no_own_country() -> None:
    assert default_rules() == Rules()
    assert default_rules().own_country is None


NL = 'own_country = "NL"\n'
PARTY = 'name = "H"\ncontact = "a@h.example"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("renotice_hours = 24\n", "own_country: missing"),
        ('own_country = "NLD"\n', "own_country: 'NLD' is not a country code"),
        ('own_country = "N1"\n', "own_country: 'N1' is not a country code"),
        ("own_country = 31\n", "own_country: expected a country code"),
        ('own_country = "ß"\n', "own_country: 'ß' is not a country code"),
        (NL + "renotice_hours = 0\n", "renotice_hours: expected more than 0"),
        (NL + "renotice_hours = -3\n", "renotice_hours: expected more than 0"),
        (NL + "renotice_hours = nan\n", "renotice_hours: expected more than 0"),
        (NL + "renotice_hours = inf\n", "renotice_hours: expected more than 0"),
        (NL + "renotice_hours = 1e300\n", "renotice_hours: expected more than 0"),
        (NL + 'renotice_hours = "24"\n', "renotice_hours: expected a number"),
        (NL + "renotice_hours = true\n", "renotice_hours: expected a number"),
        (NL + "escalate_after = 0\n", "escalate_after: expected 1 or more"),
        (NL + "escalate_after = 2.5\n", "escalate_after: expected a whole number"),
        (NL + "consensus = 0\n", "consensus: expected 1 or more"),
        (NL + "consensus = -1\n", "consensus: expected 1 or more"),
        (
            NL + "renotice = 24\n",
            "renotice: unknown key (known: own_country, renotice_hours, escalate_after, "
            "consensus, law_enforcement, members, cdn_desks, providers)",
        ),
        (
            NL + "[members.DE]\n" + PARTY + 'url = "x"\n',
            "members.DE.url: unknown key (known: name, contact)",
        ),
        (NL + '[members.DE]\nname = "H"\n', "members.DE.contact: missing"),
        (NL + "[members.DEU]\n" + PARTY, "members.DEU: 'DEU' is not a country code"),
        (NL + "[members.nl]\n" + PARTY, "members.nl: NL is own_country"),
        (
            NL + "[members.de]\n" + PARTY + "[members.DE]\n" + PARTY,
            "members.DE: DE is listed twice",
        ),
        (NL + 'members = "DE"\n', "members: expected a table"),
        (
            NL + '[members]\nDE = "a@h.example"\n',
            "members.DE: expected a table with name and contact",
        ),
        (
            NL + '[law_enforcement]\nname = ""\ncontact = "a@p.example"\n',
            "law_enforcement.name: expected a non-empty",
        ),
        (
            NL + '[cdn_desks]\n"Edge network" = "abuse@edge.example, x@y.example"\n',
            "cdn_desks.\"Edge network\": 'abuse@edge.example, x@y.example' is not an e-mail",
        ),
        (
            NL + '[cdn_desks]\n"' + "e" * 65 + '" = "abuse@edge.example"\n',
            "a CDN's name is at most 64",
        ),
        (NL + '[providers]\n"AS0" = "a@p.example"\n', "providers.AS0: not an AS number"),
        (NL + '[providers]\n"big" = "a@p.example"\n', "providers.big: not an AS number"),
        (
            NL + '[providers]\n"64500" = "a@p.example"\n"AS64500" = "b@p.example"\n',
            "providers.AS64500: AS64500 is listed twice",
        ),
        (NL + '[providers]\n"64500" = 5\n', "providers.64500: expected an e-mail address"),
        (NL + '\n[members.DE\nname = "x"\n', ":3: not TOML ("),
        (NL + 'own_country = "DE"\n', ":2: not TOML ("),
        ("x = " + "[" * 100_000, "not"),
    ],
)
def test_rules_errors_are_located(tmp_path: Path, text: str, message: str) -> None:
    path = _file(tmp_path, "rules.toml", text)
    with pytest.raises(RulesError) as raised:
        load_rules(path)
    assert str(raised.value).startswith(str(path))
    assert message in str(raised.value)


@pytest.mark.parametrize(
    "contact",
    [
        "two@at@host.example",
        "no-at.example",
        "space @host.example",
        "tab\t@host.example",
        "crlf@host.example\r\nBcc: x@y.example",
        "lf@host.example\n",
        "nodot@localhost",
        "@host.example",
        "a@.example",
        "a@host.",
        "Name <a@host.example>",
        "a@host.example;b@host.example",
        "",
    ],
)
def test_contacts_must_be_plain_addresses(tmp_path: Path, contact: str) -> None:
    assert not looks_like_email(contact)
    text = f'own_country = "NL"\n[providers]\n64500 = {_toml_string(contact)}\n'
    with pytest.raises(RulesError, match=r"providers\.64500: .* is not an e-mail address"):
        load_rules(_file(tmp_path, "rules.toml", text))


def _toml_string(text: str) -> str:
    escaped = (f"\\u{ord(c):04x}" if c in '"\\' or not c.isprintable() else c for c in text)
    return '"' + "".join(escaped) + '"'


def test_plain_addresses_pass() -> None:
    assert looks_like_email("abuse@provider.example")
    assert looks_like_email("first.last+tag@sub.host.example")


def test_unreadable_rules_files(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path / "missing.toml")
    with pytest.raises(RulesError, match=r":2: not UTF-8"):
        load_rules(_file(tmp_path, "latin.toml", b'own_country = "NL"\n# caf\xe9\n'))


# ---------------------------------------------------------------- parsers on arbitrary input

_FRAGMENTS = st.sampled_from(
    [
        'own_country = "NL"\n',
        'own_country = "nl"\n',
        "renotice_hours = 1e400\n",
        "renotice_hours = 99999999999999999999999999\n",
        "escalate_after = -0\n",
        "consensus = 1979-05-27T07:32:00Z\n",
        "[members.DE]\n",
        "[members]\n",
        '[members."\\u0000"]\n',
        'name = "x"\n',
        'contact = "a@b.example"\n',
        "[cdn_desks]\n",
        "[providers]\n",
        '"AS1" = "a@b.example"\n',
        "[[members]]\n",
        "x = [[[[1]]]]\n",
        "y = {a = {b = 1}}\n",
        '{"name": "n", "codes": [{"code": "1", "label": "l", "illegal": true}]}',
        "scheme,code,label,illegal\n",
        "n,1,l,yes\n",
        'n,"1\n',
        "\x00",
        "\r",
        "=",
        '"',
    ]
)
_TEXT = st.one_of(st.text(max_size=300), st.lists(_FRAGMENTS, max_size=12).map("".join))
_FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FUZZ
@given(st.one_of(st.binary(max_size=1024), _TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_load_rules_raises_only_its_own_errors(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = tmp_path_factory.mktemp("rules") / "rules.toml"
    path.write_bytes(data)
    try:
        rules = load_rules(path)
    except RulesError:
        return
    assert rules.own_country is not None
    assert re.fullmatch(r"[A-Z]{2}", rules.own_country)


@_FUZZ
@given(
    st.sampled_from(["s.json", "s.csv", "s.txt"]),
    st.one_of(st.binary(max_size=1024), _TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))),
)
def test_load_scheme_raises_only_its_own_errors(
    tmp_path_factory: pytest.TempPathFactory, name: str, data: bytes
) -> None:
    path = tmp_path_factory.mktemp("scheme") / name
    path.write_bytes(data)
    try:
        scheme = load_scheme(path)
    except SchemeError:
        return
    assert scheme.codes
    assert scheme.name not in shipped()
    assert len({code.code for code in scheme.codes}) == len(scheme.codes)
