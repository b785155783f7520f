"""classify_page on hand-made pages: each class from its cues, error pages served with status
200, shop pages that mention a cue in passing staying normal, and a property test that it
never raises and always answers with a known class.

All pages are synthetic: reserved names (``*.test``, ``*.example``), nonsense brand names.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from hotline.captures.page_class import (
    BRAND_LEVEL_KINDS,
    CHALLENGE,
    CUES,
    DIRECTORY,
    EMPTY,
    ERROR,
    LOGIN,
    NORMAL,
    PAGE_CLASSES,
    PLACEHOLDER,
    SHORT_TEXT,
    SUSPENDED,
    classify_page,
    keeps_selector,
)
from hotline.synth.html import redirect_page, render_page
from hotline.synth.scales import SCALES
from hotline.synth.world import World

SHOP_HEAD = "<title>Vaxlum | fresh picks</title>"
SHOP_BODY = (
    '<div class="wrap"><header class="top"><img class="logo" src="/logo.png" alt="Vaxlum">'
    '<nav><a href="/">Home</a> <a href="/catalog/">Catalogue</a> <a href="/join">Join</a></nav>'
    '</header><main><h1>Vaxlum</h1><section class="grid"><div class="card"><p>Deluxe pack no. '
    '12</p><span class="price">$19</span></div><div class="card"><p>Starter bundle no. 7</p>'
    '<span class="price">$9</span></div></section></main>'
)


def page(head: str, body: str) -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


def shop(footer: str) -> str:
    return page(SHOP_HEAD, f"{SHOP_BODY}<footer>{footer}</footer></div>")


def classify(status: int, html: str, headers: list[tuple[str, str]] | None = None) -> str:
    """As the capture reader calls it: the parsed tree and its whitespace-collapsed title."""
    tree = LexborHTMLParser(html)
    node = tree.css_first("title")
    title = " ".join(node.text().split()) if node is not None else ""
    return classify_page(status, headers or [("Server", "nginx")], title, tree)


NGINX_404 = (
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found"
    "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
APACHE_404 = (
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found'
    "</title>\n</head><body>\n<h1>Not Found</h1>\n<p>The requested URL /item/7 was not found on "
    "this server.</p>\n<hr>\n<address>Apache/2.4.58 (Unix) Server at vaxlum.test Port 443"
    "</address>\n</body></html>\n"
)


@pytest.mark.parametrize(
    ("status", "html"),
    [
        (404, NGINX_404),
        (410, page("<title>410 Gone</title>", "<h1>Gone</h1>")),
        (500, page("<title>Oops</title>", "<p>Try again</p>")),  # the status says it
        (502, page("", "")),
        (404, shop("Questions? <a href='mailto:help@vaxlum.test'>help@vaxlum.test</a>")),
        # served with status 200: the page says it
        (200, NGINX_404),
        (200, APACHE_404),
        (200, page("<title>410 not found</title>", "<p>x</p>")),
        (200, page("<title>Page not found – Vaxlum</title>", SHOP_BODY)),
        (200, page("<title>404 - Page Not Found</title>", "")),
        (200, page("<title>Oops! That page can’t be found.</title>", "")),
        (200, page("<title>Error 404 (Not Found)!!1</title>", "")),
        (200, page("<title>500 Internal Server Error</title>", "")),
        (200, page("<title>503 Service Temporarily Unavailable</title>", "")),
        (200, page("<title>502 Bad Gateway</title>", "<hr><center>nginx</center>")),
        (200, page("<title>403 Forbidden</title>", "")),
        (200, page("<title>Not Found</title>", "")),
        (200, page("<title>Vaxlum</title>", "<h1>Page not found</h1><p>Sorry.</p>")),
        (
            200,
            page(
                "<title>Vaxlum</title>",
                "<h1>Vaxlum</h1><p>The page you requested could not be found.</p>",
            ),
        ),
        (200, page("<title>vaxlum.test | 521: Web server is down</title>", "")),
    ],
)
def test_error_pages(status: int, html: str) -> None:
    assert classify(status, html) == ERROR


@pytest.mark.parametrize(
    "html",
    [
        page(
            "<title>Welcome to nginx!</title><style>body { width: 35em; }</style>",
            "<h1>Welcome to nginx!</h1><p>If you see this page, the nginx web server is "
            "successfully installed and working. Further configuration is required.</p>",
        ),
        "<html><body><h1>It works!</h1></body></html>",
        page("<title>Apache2 Ubuntu Default Page: It works</title>", "<p>Default page</p>"),
        page("<title>IIS Windows Server</title>", '<img src="iisstart.png" alt="IIS">'),
        page("<title>Coming Soon</title>", "<h1>Coming soon</h1><p>Stay tuned.</p>"),
        page("", "<h2>Site under construction</h2>"),
        page("<title>Vaxlum</title>", "<h1>Vaxlum</h1><h2>Coming soon!</h2>"),
        page("<title>Domain Default page</title>", "<p>This page was generated by the panel.</p>"),
        page("<title>Future home of something quite cool</title>", ""),
        page(
            "<title>vaxlum.test</title>",
            "<h1>vaxlum.test</h1><p>This domain may be for sale!</p>"
            '<p><a href="https://parkzo.example/buy?d=vaxlum.test">Buy this domain</a></p>'
            '<h2>Related searches</h2><ul><li><a href="/s?q=gift">Gift ideas</a></li></ul>',
        ),
        page("<title>vaxlum.test is for sale</title>", "<p>Make an offer</p>"),
        page("<title>vaxlum.test - domain parked</title>", "<p>Parked free</p>"),
        page("<title>We'll be back soon!</title>", "<p>Down for maintenance.</p>"),
    ],
)
def test_placeholder_pages(html: str) -> None:
    assert classify(200, html) == PLACEHOLDER


@pytest.mark.parametrize(
    ("status", "html"),
    [
        (
            200,
            page(
                "<title>Account Suspended</title>",
                "<h1>Account Suspended</h1><p>This Account has been suspended.</p><p>Contact "
                '<a href="mailto:billing@hosty.example">billing@hosty.example</a></p>',
            ),
        ),
        (503, page("<title>Website Suspended</title>", "<p>Please contact support.</p>")),
        (200, page("", "<p>This account has been suspended.</p>")),
        (200, page("<title>Site disabled</title>", "")),
        (509, page("<title>509 Bandwidth Limit Exceeded</title>", "<h1>Bandwidth Limit</h1>")),
        (200, page("<title>Bandwidth limit exceeded</title>", "")),
    ],
)
def test_suspended_pages(status: int, html: str) -> None:
    assert classify(status, html) == SUSPENDED


CF_CHALLENGE = page(
    "<title>Just a moment...</title><script>window._cf_chl_opt={cType: 'managed'};</script>",
    '<div class="main-content"><h1 class="zone-name-title h1">vaxlum.test</h1>'
    '<h2 class="h2" id="challenge-running">Checking if the site connection is secure</h2>'
    '<noscript><div class="h2">Enable JavaScript and cookies to continue</div></noscript>'
    "<div>vaxlum.test needs to review the security of your connection before proceeding."
    "</div></div><div>Ray ID: <code>8a1b2c3d4e5f</code></div>",
)


@pytest.mark.parametrize(
    ("status", "headers", "html"),
    [
        (403, [("Server", "cloudflare")], CF_CHALLENGE),
        (503, [("Server", "cloudflare")], CF_CHALLENGE),
        (200, [("Server", "nginx")], CF_CHALLENGE),
        (
            403,
            [("Server", "cloudflare")],
            page("<title>Attention Required! | Cloudflare</title>", "<h1>Sorry, blocked</h1>"),
        ),
        # the CDN says so itself: whatever the page looks like
        (403, [("cf-mitigated", "challenge")], shop("Questions?")),
        # an anti-bot service's 403 with the service's own page elements and words
        (
            403,
            [("Server", "cloudflare"), ("CF-RAY", "8a1b2c3d4e5f-AMS")],
            page("<title>vaxlum.test</title>", '<form id="challenge-form"></form>'),
        ),
        (429, [("Server", "nginx")], page("<title>Vaxlum</title>", "<p>Solve the captcha</p>")),
        (
            200,
            [("Server", "nginx")],
            page(
                "<title>DDoS-Guard</title>",
                "<p>Checking your browser before accessing vaxlum.test.</p>",
            ),
        ),
        (
            200,
            [],
            page(
                "<title>Please Wait... | Shieldwall</title>",
                "<h1>Checking your browser before accessing vaxlum.test</h1>",
            ),
        ),
    ],
)
def test_challenge_pages(status: int, headers: list[tuple[str, str]], html: str) -> None:
    assert classify(status, html, headers) == CHALLENGE


@pytest.mark.parametrize(
    "html",
    [
        page(
            "<title>Member login | Vaxlum</title>",
            '<form method="post" action="/login"><input name="user"><input type="password" '
            'name="pass"><button>Sign in</button></form>',
        ),
        page(
            "<title>Vaxlum</title>",
            '<h1>Vaxlum</h1><form method="post"><input name="u"><input type="PASSWORD" '
            'name="p"><button>Enter</button></form><a href="/reset">Forgot password?</a>',
        ),
    ],
)
def test_login_walls(html: str) -> None:
    assert classify(200, html) == LOGIN


def test_a_shop_with_a_login_box_is_normal() -> None:
    box = '<form action="/login"><input name="u"><input type="password" name="p"></form>'
    catalogue = "".join(
        f'<div class="card"><a href="/item/{n}">Deluxe pack no. {n}</a><p>Compact edition, '
        f"fresh every week, fair price {n}.95</p></div>"
        for n in range(40)
    )
    html = page(SHOP_HEAD, f"{box}{SHOP_BODY}{catalogue}")
    assert classify(200, html) == NORMAL


@pytest.mark.parametrize(
    "html",
    [
        page(
            "<title>Index of /files</title>",
            '<h1>Index of /files</h1><table><tr><th><a href="?C=N;O=D">Name</a></th></tr><tr>'
            '<td><a href="/">Parent Directory</a></td></tr><tr><td><a href="a.zip">a.zip</a>'
            "</td></tr></table><address>Apache/2.4.58 (Unix) Server at vaxlum.test Port 80"
            "</address>",
        ),
        page("<title>Directory listing for /</title>", '<ul><li><a href="x/">x/</a></li></ul>'),
        page("<title>Index of /</title>", "x" * 5000),  # long: the title still names it
    ],
)
def test_directory_listings(html: str) -> None:
    assert classify(200, html) == DIRECTORY


@pytest.mark.parametrize(
    "html",
    [
        "<html><head></head><body></body></html>",
        "<html><body>   \n <div></div><script>var a = 'Vaxlum shop';</script></body></html>",
        page("<title> </title>", "<img src='/blank.gif'>"),
        "",
    ],
)
def test_empty_pages(html: str) -> None:
    assert classify(200, html) == EMPTY


@pytest.mark.parametrize(
    "html",
    [
        # a script-built site: its title is its name, evidence
        page("<title>Vaxlum</title>", '<div id="root"></div><script src="/app.js"></script>'),
        # a meta refresh or a framed site: a way to the site, not an empty page
        page('<meta http-equiv="refresh" content="0;url=https://vaxlum.test/">', ""),
        page("", '<iframe src="https://vaxlum.test/"></iframe>'),
        page(
            "<title>Vaxlum</title>",
            "<noscript>Please enable JavaScript and reload the page.</noscript><div id=app></div>",
        ),
    ],
)
def test_not_empty_without_text(html: str) -> None:
    assert classify(200, html) == NORMAL


@pytest.mark.parametrize(
    "footer",
    [
        "<p>Page not found? Contact us</p>",
        "<p>Page not found? <a href='mailto:help@vaxlum.test'>Contact us</a></p>",
        "<p>Page not found?</p><p><a href='mailto:help@vaxlum.test'>Contact us</a></p>",
        "<p>Coming soon: the deluxe edition.</p>",
        "<p>Error? Not found what you need? Write to us.</p>",
        "<p>Secure checkout, no captcha, no account needed.</p>",
        "<p>Members area: log in with your password after checkout.</p>",
        "<p>Domain for sale? No: we sell packs.</p>",
        # a shop's own forms and member pages, not a CDN's or a server's
        "<form><p>Please verify that you are human: solve the captcha.</p><input name=c></form>",
        "<p>You do not have permission to access this area: join first.</p>",
    ],
)
def test_shop_pages_mentioning_cues_stay_normal(footer: str) -> None:
    assert classify(200, shop(footer)) == NORMAL


def test_long_shop_page_with_cue_sentences_in_its_text_stays_normal() -> None:
    filler = "".join(f"<p>Compact edition no. {n}, fresh every week.</p>" for n in range(200))
    html = shop(f"{filler}<p>This domain may be for sale? This account has been suspended?</p>")
    assert classify(200, html) == NORMAL


@pytest.mark.parametrize(
    ("title", "h1"),
    [
        ("Deluxe pack no. 404 | Vaxlum", "Vaxlum"),
        ("Vaxlum | the catalogue you were looking for", "Vaxlum"),
        ("Welcome to Vaxlum", "Vaxlum™"),
        ("Vaxlum - official site", "Welcome"),
        ("Demo Store - Home", "Vaxlum"),
        ("Redirecting", "Vaxlum"),
    ],
)
def test_shop_titles_stay_normal(title: str, h1: str) -> None:
    html = page(f"<title>{title}</title>", SHOP_BODY.replace("<h1>Vaxlum</h1>", f"<h1>{h1}</h1>"))
    assert classify(200, html) == NORMAL


def test_the_synthetic_shops_are_normal() -> None:
    """Every page of a small synthetic world (brands, mirrors, gateways, noise sites)."""
    world = World(2013, SCALES["small"])
    rng = random.Random(0)
    found = set()
    for number, site in enumerate(world.sites()):
        for index, landing in enumerate(site.pages[:3]):
            html, _ = render_page(site, landing, rng, full=index == 0)
            found.add(classify(200, html.decode("utf-8")))
        if number > 400:
            break
    assert found == {NORMAL}
    assert classify(200, redirect_page("https://vaxlum.test/").decode()) == NORMAL


def test_title_none_is_read_from_the_document() -> None:
    assert classify_page(200, None, None, NGINX_404) == ERROR
    assert classify_page(200, {"Server": "nginx"}, None, shop("Questions?")) == NORMAL


def test_without_a_document_only_status_headers_and_title_count() -> None:
    assert classify_page(200, [], "404 Not Found", None) == ERROR
    assert classify_page(503, [], "Just a moment...", None) == CHALLENGE
    assert classify_page(404, [], "Vaxlum", None) == ERROR
    assert classify_page(200, [], "Vaxlum", None) == NORMAL
    assert classify_page(200, [], None, None) == NORMAL  # unknown body: never "empty"


def test_a_big_page_is_read_only_as_far_as_needed() -> None:
    """A 10 MB page: its title decides; its cue-laden text beyond SHORT_TEXT is never read."""
    body = "<p>Vaxlum deluxe pack.</p>" * 400_000 + "<p>This account has been suspended.</p>"
    html = page(SHOP_HEAD, body)
    assert len(html) > 10_000_000
    assert classify(200, html) == NORMAL
    assert classify(200, html.replace("Vaxlum | fresh picks", "Account Suspended")) == SUSPENDED
    many = page(SHOP_HEAD, "<div></div>" * 50_000 + "<p>Coming soon</p>")
    assert classify(200, many) == NORMAL
    assert SHORT_TEXT < 10_000


def test_selectors_kept_per_class() -> None:
    for kind in ("brand_text", "template", "favicon_md5", "analytics", "btc_address", "email"):
        assert keeps_selector(NORMAL, kind)
    for kind in BRAND_LEVEL_KINDS:
        assert not keeps_selector(LOGIN, kind)
    assert keeps_selector(LOGIN, "analytics")
    assert keeps_selector(LOGIN, "merchant_id")
    for page_class in (ERROR, PLACEHOLDER, SUSPENDED, CHALLENGE, DIRECTORY, EMPTY):
        assert keeps_selector(page_class, "gateway")
        for kind in ("brand_text", "template", "favicon_mmh3", "analytics", "email", "affiliate"):
            assert not keeps_selector(page_class, kind)


def test_every_cue_class_is_known() -> None:
    assert {page_class for page_class, _, _ in CUES} <= set(PAGE_CLASSES)
    assert len(PAGE_CLASSES) == len(set(PAGE_CLASSES)) == 9


_TAGS = st.sampled_from(["p", "h1", "h2", "title", "div", "a", "script", "noscript", "form"])
_CUE_WORDS = st.sampled_from(
    [
        "404",
        "Not Found",
        "Index of /",
        "Just a moment...",
        "account has been suspended",
        "coming soon",
        "captcha",
        "password",
        "<input type=password>",
        "for sale",
        "\x00",
        "\u202e",
        "ﬁ",
        "｜",
        "{",
        "}",
        "(",
    ]
)
_FRAGMENTS = st.one_of(st.text(max_size=60), _CUE_WORDS)


@st.composite
def _documents(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 8))):
        tag = draw(_TAGS)
        parts.append(
            f"<{tag}>{draw(_FRAGMENTS)}</{tag}>" if draw(st.booleans()) else draw(_FRAGMENTS)
        )
    return "".join(parts)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    status=st.integers(-1000, 10_000),
    headers=st.lists(st.tuples(st.text(max_size=20), st.text(max_size=40)), max_size=4),
    title=st.one_of(st.none(), st.text(max_size=120), _CUE_WORDS),
    document=st.one_of(st.none(), _documents(), st.text(max_size=300)),
    parsed=st.booleans(),
)
def test_classify_page_never_raises_and_answers_a_known_class(
    status: int,
    headers: list[tuple[str, str]],
    title: str | None,
    document: str | None,
    parsed: bool,
) -> None:
    tree = LexborHTMLParser(document) if parsed and document is not None else document
    assert classify_page(status, headers, title, tree) in PAGE_CLASSES
