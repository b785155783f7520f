"""Analytics extractor: Google and Yandex ids from inline scripts and script URLs, bounded
patterns, and a pattern list others can extend."""

from __future__ import annotations

import re

import pytest

from hotline.captures.extractors.analytics import (
    ANALYTICS_PATTERNS,
    PIXEL_PATTERNS,
    AnalyticsPattern,
    extract_analytics,
)
from hotline.captures.page import CapturedPage, Selector, Strength


def page(head: str, body: str = "") -> CapturedPage:
    html = f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"
    return CapturedPage.parse(
        "https://www.catalogue.test/", "www.catalogue.test", "catalogue.test", html
    )


def values(head: str, body: str = "") -> set[tuple[str, str]]:
    return {(s.value, s.where) for s in extract_analytics(page(head, body))}


def test_gtag_snippet() -> None:
    head = (
        '<script async src="https://www.googletagmanager.example/gtag/js?id=G-7QK2M9XZ4B">'
        "</script><script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push("
        "arguments);}gtag('js',new Date());gtag('config','G-7QK2M9XZ4B');</script>"
    )
    assert extract_analytics(page(head)) == [
        Selector("analytics", "G-7QK2M9XZ4B", "attr:src", Strength.MEDIUM)
    ]


def test_yandex_metrica_counter() -> None:
    head = (
        "<script>(function(m,e,t,r,i,k,a){m[i]=m[i]||function(){(m[i].a=m[i].a||[])"
        '.push(arguments)};})(window,document,"script","","ym");ym(12345678,"init",'
        "{clickmap:true});</script>"
    )
    assert values(head) == {("ym:12345678", "script")}
    assert values("<script>ym( 87654321 , 'init', {})</script>") == {("ym:87654321", "script")}


@pytest.mark.parametrize(
    "tag", ["UA-1234567-1", "UA-98765-12", "G-ABC123", "G-ABCDEFGH1234", "GTM-K9X2", "AW-123456789"]
)
def test_google_id_forms(tag: str) -> None:
    assert values(f"<script>gtag('config', '{tag}');</script>") == {(tag, "script")}
    assert values(f'<script src="https://tags.example/js?id={tag}"></script>') == {
        (tag, "attr:src")
    }


@pytest.mark.parametrize(
    "text",
    [
        "UA-123-1",  # too few digits
        "G-ABC12",  # too short
        "G-ABCDEFGH12345",  # too long
        "XG-ABCDEFGH",  # glued on the left
        "G-abcdefgh",  # lower case
        "GTM-AB",
        "AW-12345",
        "ym(1234567)",  # no init
    ],
)
def test_near_misses(text: str) -> None:
    assert values(f"<script>var x = '{text}';</script>") == set()


def test_visible_text_and_script_paths_are_not_scanned() -> None:
    head = '<script src="https://tags.example/G-ABCDEFGH/js"></script>'
    assert values(head, "<p>Our id is G-ABCDEFGH and UA-1234567-1</p>") == set()


def test_patterns_are_pluggable() -> None:
    matomo = AnalyticsPattern(
        "matomo",
        re.compile(r"setSiteId['\"],\s{0,4}['\"]?(\d{1,6})"),
        lambda match: f"matomo:{match.group(1)}",
    )
    head = "<script>_paq.push(['setSiteId', '42']);gtag('config','G-ABCDEFGH');</script>"
    assert values(head) == {("G-ABCDEFGH", "script")}
    found = extract_analytics(page(head), patterns=[*ANALYTICS_PATTERNS, matomo])
    assert {s.value for s in found} == {"G-ABCDEFGH", "matomo:42"}
    assert [p.name for p in ANALYTICS_PATTERNS][:2] == ["google-ua", "google-ga4"]


def test_a_normaliser_may_drop_a_match() -> None:
    never = AnalyticsPattern("never", re.compile(r"G-[A-Z0-9]{6,12}"), lambda match: None)
    assert extract_analytics(page("<script>'G-ABCDEFGH'</script>"), patterns=[never]) == []


def test_yandex_legacy_counter() -> None:
    head = (
        "<script>(function (d, w, c) { (w[c] = w[c] || []).push(function() { try { "
        "w.yaCounter24681357 = new Ya.Metrika({ id:24681357, clickmap:true }); } catch(e) {} "
        '}); })(document, window, "yandex_metrika_callbacks");</script>'
    )
    assert values(head) == {("ym:24681357", "script")}
    assert values("<script>new Ya.Metrika2({id: 13579246});</script>") == {
        ("ym:13579246", "script")
    }


def test_other_services_carry_a_prefix() -> None:
    head = (
        "<script>!function(f,b,e,v,n,t,s){}(window,document,'script');"
        "fbq('init', '1234567890123456');fbq('track', 'PageView');</script>"
        "<script>var sc_project=11223344; var sc_invisible=1;</script>"
        "<script>(function(h,o,t,j,a,r){h._hjSettings={hjid:2468013,hjsv:6};})(window);</script>"
        '<script>(function(c,l,a,r,i,t,y){})(window, document, "clarity", "script", "k7x2m9q4ab");'
        "</script>"
    )
    assert values(head) == {
        ("fb:1234567890123456", "script"),
        ("statcounter:11223344", "script"),
        ("hotjar:2468013", "script"),
        ("clarity:k7x2m9q4ab", "script"),
    }


def test_adsense_publisher_from_the_slot_and_the_loader() -> None:
    body = (
        '<ins class="adsbygoogle" style="display:block" data-ad-client="ca-pub-1234567890123456"'
        ' data-ad-slot="1234567890"></ins>'
    )
    assert values("", body) == {("ca-pub-1234567890123456", "attr:data-ad-client")}
    loader = (
        '<script async src="https://ads.example/pagead/js/adsbygoogle.js?'
        'client=ca-pub-6543210987654321" crossorigin="anonymous"></script>'
    )
    assert values(loader) == {("ca-pub-6543210987654321", "attr:src")}


def test_noscript_pixels_and_frames() -> None:
    body = (
        '<noscript><iframe src="https://www.googletagmanager.example/ns.html?id=GTM-K9X2QW"'
        ' height="0" width="0"></iframe></noscript>'
        '<noscript><div><img src="https://mc.yandex.example/watch/87654321" alt=""></div>'
        "</noscript>"
        '<noscript><img height="1" width="1" src="https://www.facebook.example/tr?id='
        '1234567890123456&amp;ev=PageView&amp;noscript=1"></noscript>'
    )
    assert values("", body) == {
        ("GTM-K9X2QW", "attr:src"),
        ("ym:87654321", "attr:src"),
        ("fb:1234567890123456", "attr:src"),
    }


@pytest.mark.parametrize(
    "img",
    [
        "https://images.example/watch/87654321",  # not the service's host
        "https://mc.yandex.example/watch/12",  # too short
        "https://www.facebook.example/tr?id=12345",  # too short
        "https://www.facebook.example/profile?id=1234567890123456",  # not the pixel
        "https://gallery.example/photo.jpg?id=G-ABCDEFGH",  # images' queries are not scanned
    ],
)
def test_pixel_near_misses(img: str) -> None:
    assert values("", f'<img src="{img}">') == set()


def test_one_id_found_twice_is_one_selector_from_the_script() -> None:
    head = "<script>ym(87654321, 'init', {});</script>"
    body = '<noscript><img src="https://mc.yandex.example/watch/87654321"></noscript>'
    assert extract_analytics(page(head, body)) == [
        Selector("analytics", "ym:87654321", "script", Strength.MEDIUM)
    ]


def test_tag_and_attribute_names_in_any_case() -> None:
    body = (
        '<IFRAME SRC="https://www.googletagmanager.example/ns.html?id=GTM-K9X2QW"></IFRAME>'
        '<IMG SRC="https://MC.YANDEX.example/watch/87654321">'
        '<INS CLASS="adsbygoogle" DATA-AD-CLIENT="ca-pub-1234567890123456"></INS>'
    )
    assert values("", body) == {
        ("GTM-K9X2QW", "attr:src"),
        ("ym:87654321", "attr:src"),
        ("ca-pub-1234567890123456", "attr:data-ad-client"),
    }


def test_pixel_patterns_are_pluggable() -> None:
    body = '<img src="https://mc.yandex.example/watch/87654321">'
    assert extract_analytics(page("", body), pixels=[]) == []
    assert [s.value for s in extract_analytics(page("", body), pixels=PIXEL_PATTERNS)] == [
        "ym:87654321"
    ]
