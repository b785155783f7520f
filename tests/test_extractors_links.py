"""Links are resolved once per page and absolute ones once per import: the shortcuts must give
exactly what ``urljoin`` gives."""

from __future__ import annotations

from urllib.parse import urljoin

from hypothesis import given
from hypothesis import strategies as st

from hotline.captures.extractors._common import _join_absolute, resolve
from hotline.captures.page import CapturedPage

_SCHEME = st.sampled_from(["http", "https", "HTTP", "Https"])
_HOST = st.sampled_from(["shop.test", "pay.example", "A.Example", "[2001:db8::1]", "192.0.2.7"])
_REST = st.text(st.sampled_from(list("abc/.;?#=&%:@-_~")), max_size=20)


@given(_SCHEME, _HOST, _REST, _SCHEME, _HOST, _REST)
def test_an_absolute_link_joins_as_urljoin_joins_it(
    scheme: str, host: str, rest: str, base_scheme: str, base_host: str, base_rest: str
) -> None:
    raw = f"{scheme}://{host}/{rest}"
    base = f"{base_scheme.lower()}://{base_host}/{base_rest}"
    head = raw[:8].lower()
    same = base[: len(head.split("/", 1)[0])].lower() == head.split("/", 1)[0]
    assert _join_absolute(raw, same) == urljoin(base, raw)


@given(_SCHEME, _HOST, _REST)
def test_a_link_resolves_the_same_the_second_time(scheme: str, host: str, rest: str) -> None:
    page = CapturedPage.parse("https://quobble.test/a/b", "quobble.test", "quobble.test", "")
    raw = f"{scheme}://{host}/{rest}"
    first = resolve(page, raw)
    assert resolve(page, raw) == first
    relative = resolve(page, f"/{rest}")
    assert relative is None or relative.url == urljoin(page.url, f"/{rest}")
