"""The site an analyst types, read one way by every command (``why``, ``hosting``, ``link``,
``selectors``): the key intake gives the same site."""

from __future__ import annotations

import pytest

from hotline.cli.console import canonical_site, site_argument
from hotline.urls import CanonicalURL, canonicalize


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("çebelquopelquo-shop4.test", "xn--ebelquopelquo-shop4-4xb.test"),
        ("hxxps://www.çebelquopelquo-shop4[.]test/item?id=1", "xn--ebelquopelquo-shop4-4xb.test"),
        ("XN--EBELQUOPELQUO-SHOP4-4XB.TEST.", "xn--ebelquopelquo-shop4-4xb.test"),
        ("hxxps://www.shop[.]test/a", "shop.test"),
        ("https://shop.example:8443/x", "shop.example"),
        ("198.51.100.7", "198.51.100.7"),
        ("[2001:db8::1]", "[2001:db8::1]"),
        ("2001:db8::1", "[2001:db8::1]"),
    ],
)
def test_every_command_reads_a_typed_site_as_intake_keys_it(typed: str, key: str) -> None:
    assert site_argument(typed) == key
    found = canonicalize(typed.replace("[.]", ".").replace("hxxp", "http"))
    if isinstance(found, CanonicalURL):
        assert found.site == key  # what intake stored for a report of it
    assert canonical_site(typed) in (key, None)


def test_an_odd_string_is_looked_up_as_typed_and_never_raises() -> None:
    assert site_argument("  Not A Site  ") == "not a site"
    assert site_argument("hxxp://") == ""
    assert canonical_site("not a site at all") is None
