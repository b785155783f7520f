"""Payments extractor and the processor table: known processors, unknown ones handed a
merchant account, merchant ids from query, hidden fields and widget attributes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hotline.captures.extractors.payments import (
    MERCHANT_PARAMS,
    PaymentExtractor,
    Processor,
    ProcessorTable,
    payment_extractor,
)
from hotline.captures.page import CapturedPage, Selector, Strength

SHIPPED_CSV = (
    Path(__file__).parents[1] / "src" / "hotline" / "captures" / "extractors" / "processors.csv"
)


def page(body: str, url: str = "https://www.catalogue.test/join") -> CapturedPage:
    html = f"<!DOCTYPE html><html><head><title>Shop</title></head><body>{body}</body></html>"
    return CapturedPage.parse(url, "www.catalogue.test", "catalogue.test", html)


def table() -> ProcessorTable:
    return ProcessorTable(
        [
            Processor("pay.bigpay.example", "BigPay", "card"),
            Processor("wallet.pocket.test", "Pocket", "e-wallet"),
            Processor("wire.send.test", "Send", "money-transfer"),
        ]
    )


def found(body: str, processors: ProcessorTable | None = None) -> set[tuple[str, str, str, str]]:
    extractor = PaymentExtractor(processors if processors is not None else table())
    return {
        (s.kind, s.value, s.where, s.method or "")
        for s in extractor(page(body))
        if s.strength == (Strength.WEAK if s.kind == "payment_host" else Strength.STRONG)
    }


# --- the table -----------------------------------------------------------------------------


def test_shipped_table_loads_and_holds_only_reserved_names() -> None:
    shipped = ProcessorTable.load()
    assert len(shipped) >= 1
    assert shipped.lookup("pay.bigpay.example") == Processor("pay.bigpay.example", "BigPay", "card")
    assert all(p.host.endswith((".example", ".test")) for p in shipped)
    assert ProcessorTable.load(None) is shipped  # cached, immutable
    assert SHIPPED_CSV.is_file()


def test_lookup_matches_exact_host_and_parent_domains_only() -> None:
    processors = table()
    assert processors.lookup("pay.bigpay.example") is not None
    assert processors.lookup("EU.Pay.BigPay.Example.") == processors.lookup("pay.bigpay.example")
    assert processors.lookup("bigpay.example") is None
    assert processors.lookup("notpay.bigpay.example") is None
    assert processors.lookup("xpay.bigpay.example") is None
    assert "eu.wallet.pocket.test" in processors
    assert "pocket.test" not in processors


def test_user_csv_overrides_and_extends_the_shipped_table(tmp_path: Path) -> None:
    user = tmp_path / "processors.csv"
    user.write_text(
        "# our own processors\n"
        "host,name,method,notes\n"
        "pay.bigpay.example,BigPay wallet,e-wallet,changed\n"
        "\n"
        "checkout.corner.test,Corner,card,\n",
        encoding="utf-8",
    )
    merged = ProcessorTable.load(user)
    assert merged.lookup("pay.bigpay.example") == Processor(
        "pay.bigpay.example", "BigPay wallet", "e-wallet"
    )
    assert merged.lookup("checkout.corner.test") == Processor(
        "checkout.corner.test", "Corner", "card"
    )
    assert len(merged) == len(ProcessorTable.load()) + 1


def test_user_json_in_the_synthetic_world_format(tmp_path: Path) -> None:
    user = tmp_path / "processors.json"
    rows = [
        {"host": "checkout.soldov0pay.test", "name": "Checkout0", "method": "card"},
        {"host": "paybox.hiljun2pay.test", "name": "Paybox2", "method": "card"},
        {"host": "wire.miptav1pay.test", "name": "Wire1", "method": "money-transfer"},
    ]
    user.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    merged = ProcessorTable.load(user)
    assert merged.lookup("wire.miptav1pay.test") == Processor(
        "wire.miptav1pay.test", "Wire1", "money-transfer"
    )
    assert merged.lookup("pay.bigpay.example") is not None  # the shipped rows stay


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("host,name\npay.x.test,X\n", "missing column"),
        ("host,name,method\npay.x.test,X,cash\n", ":2: method 'cash'"),
        ("host,name,method\nnot a host,X,card\n", "not a domain name"),
        ('[{"host": "pay.x.test", "name": "X"}]', "[0]: host, name and method"),
        ('{"host": "pay.x.test"}', "expected a JSON list"),
        ("[1]", "[0]: expected an object"),
    ],
)
def test_a_broken_user_table_is_refused_with_its_row(
    tmp_path: Path, content: str, message: str
) -> None:
    suffix = ".json" if content.lstrip()[:1] in "[{" else ".csv"
    user = tmp_path / f"processors{suffix}"
    user.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match="processors") as error:
        ProcessorTable.load(user)
    assert message in str(error.value)


def test_idn_hosts_are_stored_in_ascii(tmp_path: Path) -> None:
    user = tmp_path / "processors.json"
    rows = [{"host": "Zahlung.Bü.test", "name": "Z", "method": "card"}]
    user.write_text(json.dumps(rows), encoding="utf-8")
    assert [p.host for p in ProcessorTable.read(user)] == ["zahlung.xn--b-eha.test"]


# --- extraction ----------------------------------------------------------------------------


def test_checkout_form_with_hidden_merchant_id() -> None:
    body = (
        '<form class="checkout" method="post" action="https://pay.bigpay.example/checkout">'
        '<input type="hidden" name="merchant_id" value="M0012345">'
        '<input type="hidden" name="plan" value="month"><input type="hidden" name="amount" '
        'value="19.95"><button type="submit">Buy access</button></form>'
    )
    assert found(body) == {
        ("payment_host", "pay.bigpay.example", "form", "card"),
        ("merchant_id", "pay.bigpay.example|M0012345", "form", "card"),
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("clientAccnum", "951234"),  # processors' own names for the account
        ("co_code", "ab12cd"),
        ("hosted_button_id", "QX7RT2"),
        ("business", "sales@zorbel.test"),
        ("sellerAccountRef", "S-40021"),  # a name no list knows, by its stem
        ("merchantRef", "77120"),
        ("storeNumber", "0042"),
    ],
)
def test_a_processor_names_the_merchant_account_its_own_way(field: str, value: str) -> None:
    body = (
        '<form method="post" action="https://pay.bigpay.example/checkout">'
        f'<input type="hidden" name="{field}" value="{value}">'
        '<input type="hidden" name="amount" value="19.95"></form>'
    )
    assert ("merchant_id", f"pay.bigpay.example|{value}", "form", "card") in found(body)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("return_url", "https://zorbel.test/thanks/1"),
        ("account_type", "premium2"),  # what kind of account, not whose
        ("shop_name", "Zorbel 24"),
        ("client_ip", "192.0.2.1"),
        ("storefront", "main"),  # no digit: a word, not an account number
        ("session_account", "8812"),
    ],
)
def test_fields_that_hold_something_else_name_no_account(field: str, value: str) -> None:
    body = (
        '<form method="post" action="https://pay.bigpay.example/checkout">'
        f'<input type="hidden" name="{field}" value="{value}"></form>'
    )
    assert {kind for kind, *_ in found(body)} == {"payment_host"}


def test_a_stem_counts_only_for_a_known_processor() -> None:
    # an ad network's or a hosting panel's script on a host no table knows
    body = (
        '<script src="https://ads.adnet.test/show.js?client=ca-pub-1234"></script>'
        '<form action="https://stats.panel.test/hit"><input type="hidden" name="account_ref" '
        'value="8812"></form>'
    )
    assert found(body) == set()


def test_a_known_field_wins_over_a_stem() -> None:
    body = (
        '<form method="post" action="https://pay.bigpay.example/checkout">'
        '<input type="hidden" name="merchant_id" value="M0012345">'
        '<input type="hidden" name="client_ref" value="order-8812"></form>'
    )
    ids = {value for kind, value, *_ in found(body) if kind == "merchant_id"}
    assert ids == {"pay.bigpay.example|M0012345"}


def test_iframe_with_merchant_in_the_query() -> None:
    body = (
        '<div class="checkout"><iframe src="https://wallet.pocket.test/pay?merchant_id=K7Q2'
        '&amp;plan=year" width="400" height="300"></iframe></div>'
    )
    assert found(body) == {
        ("payment_host", "wallet.pocket.test", "iframe", "e-wallet"),
        ("merchant_id", "wallet.pocket.test|K7Q2", "iframe", "e-wallet"),
    }


def test_widget_script_with_data_merchant() -> None:
    body = (
        '<div class="checkout"><script src="https://wire.send.test/widget.js" '
        'data-merchant="ZX81AB" data-plan="month" data-amount="9.95"></script></div>'
    )
    assert found(body) == {
        ("payment_host", "wire.send.test", "script", "money-transfer"),
        ("merchant_id", "wire.send.test|ZX81AB", "script", "money-transfer"),
    }


def test_a_sub_host_of_a_known_processor_reports_the_processor_host() -> None:
    body = '<a href="https://eu.pay.bigpay.example/pay?mid=77">Pay by card</a>'
    assert found(body) == {
        ("payment_host", "pay.bigpay.example", "link", "card"),
        ("merchant_id", "pay.bigpay.example|77", "link", "card"),
    }


def test_a_plain_link_to_a_known_processor_is_a_payment_host() -> None:
    body = '<a href="https://pay.bigpay.example/">We accept BigPay</a>'
    assert found(body) == {("payment_host", "pay.bigpay.example", "link", "card")}


def test_unknown_third_party_form_with_a_merchant_account_counts_as_other() -> None:
    body = (
        '<form action="https://gate.unknownpay.test/go" method="post">'
        '<input type="HIDDEN" name="Shop_ID" value="shop-42"></form>'
        '<iframe src="https://frame.otherpay.example/p?account=A-9"></iframe>'
        '<script src="https://cdn.widgets.test/w.js" data-merchant-id="W1"></script>'
    )
    assert found(body) == {
        ("payment_host", "gate.unknownpay.test", "form", "other"),
        ("merchant_id", "gate.unknownpay.test|shop-42", "form", "other"),
        ("payment_host", "frame.otherpay.example", "iframe", "other"),
        ("merchant_id", "frame.otherpay.example|A-9", "iframe", "other"),
        ("payment_host", "cdn.widgets.test", "script", "other"),
        ("merchant_id", "cdn.widgets.test|W1", "script", "other"),
    }


def test_what_is_not_a_payment() -> None:
    body = (
        # an unknown host without a merchant account
        '<form action="https://search.other.test/q"><input name="q"></form>'
        # a link to an unknown host, even with a merchant-like parameter
        '<a href="https://forum.other.test/profile?account=bob">profile</a>'
        # the page's own site, even with merchant fields
        '<form action="/checkout"><input type="hidden" name="merchant_id" value="SELF1"></form>'
        '<iframe src="https://pay.catalogue.test/?merchant_id=SELF2"></iframe>'
        # a visible (not hidden) field
        '<form action="https://gate.x.test/"><input type="text" name="merchant" value="V"></form>'
        # schemes that are not http(s)
        '<a href="javascript:pay()">pay</a><form action="mailto:orders@catalogue.test"></form>'
    )
    assert found(body) == set()


@pytest.mark.parametrize("merchant", ["", "   ", "a b", "x" * 65])
def test_unusable_merchant_ids_are_skipped(merchant: str) -> None:
    body = f'<iframe src="https://pay.bigpay.example/p?merchant_id={merchant}"></iframe>'
    assert found(body) == {("payment_host", "pay.bigpay.example", "iframe", "card")}


def test_several_ids_and_dedupe() -> None:
    body = (
        '<form action="https://pay.bigpay.example/c?merchant=M1">'
        '<input type="hidden" name="merchant_id" value="M2"></form>'
        '<a href="https://pay.bigpay.example/c?merchant=M1">again</a>'
    )
    selectors = PaymentExtractor(table())(page(body))
    assert [(s.kind, s.value, s.where) for s in selectors] == [
        ("payment_host", "pay.bigpay.example", "form"),
        ("merchant_id", "pay.bigpay.example|M1", "form"),
        ("merchant_id", "pay.bigpay.example|M2", "form"),
    ]


def test_odd_attributes_do_not_break_extraction() -> None:
    huge = "https://pay.bigpay.example/?merchant_id=" + "9" * 9000
    body = (
        "<form action></form><iframe src></iframe><script src=''></script><a href>x</a>"
        f'<iframe src="{huge}"></iframe>'
        '<iframe src="https://[::1/?merchant_id=1"></iframe>'
        '<iframe src="https://zahlung.bü.test/p?merchant_id=Ü1"></iframe>'
    )
    assert found(body) == {
        ("payment_host", "zahlung.xn--b-eha.test", "iframe", "other"),
        ("merchant_id", "zahlung.xn--b-eha.test|Ü1", "iframe", "other"),
    }


def test_factory_and_parameter_table() -> None:
    extractor = payment_extractor()
    assert isinstance(extractor, PaymentExtractor)
    assert "merchant_id" in MERCHANT_PARAMS
    body = '<form action="https://pay.bigpay.example/c"><input type="hidden" name="mid" value="9">'
    selectors = list(extractor(page(body)))
    assert (
        Selector("merchant_id", "pay.bigpay.example|9", "form", Strength.STRONG, "card")
        in selectors
    )


@pytest.mark.parametrize(
    "host", ["a@pay.x.test", "pay.x.test:8080", "pay.x.test/checkout", "[::1]", "", "pay x.test"]
)
def test_a_table_host_is_a_bare_name(tmp_path: Path, host: str) -> None:
    user = tmp_path / "processors.csv"
    user.write_text(f"host,name,method\n{host},X,card\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a domain name"):
        ProcessorTable.read(user)


def test_table_hosts_take_the_url_parser_form(tmp_path: Path) -> None:
    user = tmp_path / "processors.csv"
    user.write_text("host,name,method\nPay.Straße.test.,S,card\n", encoding="utf-8")
    assert [p.host for p in ProcessorTable.read(user)] == ["pay.xn--strae-oqa.test"]
