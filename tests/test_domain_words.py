"""The words of a domain name as attribution reads them: look-alikes folded back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hotline.attribution.domain_words import (
    MIN_NAME_IN_DOMAIN,
    name_tokens,
    plain_label,
    plain_text,
)

NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=MIN_NAME_IN_DOMAIN, max_size=14)
ADDED = st.text(alphabet="bmfnceoüöäñçøé", min_size=0, max_size=2)


def _ascii(domain: str) -> str:
    return ".".join(label.encode("idna").decode("ascii") for label in domain.split("."))


def test_plain_words_come_first_then_the_look_alike_cuts() -> None:
    exact, one, two, glued, glued_cut = name_tokens("zorvexal-shop7.test")
    assert exact == ["zorvexal"]  # "shop" is too short to be a name
    assert one == ["orvexal", "zorvexa"]
    assert two == ["rvexal", "orvexa", "zorvex"]  # one letter off each end too
    assert glued == glued_cut == []


def test_a_shop_word_glued_to_the_name_comes_off_after_the_cuts() -> None:
    assert name_tokens("zorvexalshop7.test")[3] == ["zorvexal"]
    assert name_tokens("getzorvexal.example")[3] == ["zorvexal"]
    assert name_tokens("zorvexalfans.test")[3] == []  # a fan page is not the brand's
    assert name_tokens("myshop.test")[3] == []  # too short once the word is off


def test_a_look_alike_of_a_glued_name_is_read_last() -> None:
    """Letters added in front and a shop word glued behind ("ör" + name + "online"): the
    shop word comes off, then the letters, and only when nothing before named a brand."""
    tiers = name_tokens(_ascii("öryarjungosjunonline157.test"))
    assert not any("yarjungosjun" in tier for tier in tiers[:4])
    assert "yarjungosjun" in tiers[4]
    assert "zorvexal" in name_tokens(_ascii("b\u00fczorvexalshop.test"))[4]
    # in a plain label no letters are cut from a glued word: "Master" is not mastersclub's
    assert name_tokens("mastersclub.test")[4] == []
    assert name_tokens("bzorvexalshop.test")[4] == []


def test_look_alikes_fold_back_to_the_name() -> None:
    cyrillic = _ascii("z\u043ervex\u0430l-club2.test")  # Cyrillic о and а
    assert cyrillic.startswith("xn--")
    assert name_tokens(cyrillic)[0] == ["zorvexal"]
    assert "zorvexal" in name_tokens(_ascii("büzorvexal-zone3.test"))[2]  # two letters added
    assert "zorvexal" in name_tokens(_ascii("ørzorvexal.example"))[2]  # ø is read as o
    assert name_tokens(_ascii("zörvexal.test"))[0] == ["zorvexal"]


def test_labels_that_idna_2003_refuses_are_read() -> None:
    # ß and the zero-width joiner are valid in today's registries; Python's idna codec is not
    assert plain_label("zorveßal".encode("punycode").decode().join(("xn--", ""))) == "zorvessal"
    assert plain_label("xn--zorveal-4va") == "zorvessal"


def test_a_brand_name_folds_like_a_domain() -> None:
    assert plain_text("Zörvexal") == "zorvexal"
    assert plain_text("z\u043ervex\u0430l") == "zorvexal"
    assert "zorvexal" in name_tokens(_ascii("zörvexal-shop.test"))[0]


def test_broken_or_short_labels_give_nothing() -> None:
    assert plain_label("xn--zz-broken-") is None
    assert plain_label("xn--") is None
    assert name_tokens("xn--zz-broken-.test") == [[], [], [], [], []]
    assert name_tokens("abc-12-de.test") == [[], [], [], [], []]
    assert name_tokens("zorvexal") == [[], [], [], [], []]  # the last label is the top level


@given(name=NAMES, added=ADDED, word=st.sampled_from(["shop", "club", "zone", "hub"]))
def test_a_name_with_up_to_two_letters_added_is_found(name: str, added: str, word: str) -> None:
    domain = _ascii(f"{added}{name}-{word}3.test")
    assert any(name in tier for tier in name_tokens(domain))


@given(name=NAMES, other=NAMES)
def test_the_whole_word_is_the_first_tier(name: str, other: str) -> None:
    exact = name_tokens(f"{name}-{other}.example")[0]
    assert exact == [name, other]


@given(
    name=NAMES,
    added=st.text(alphabet="\u00fc\u00f6\u00e4\u00f1\u00e7\u00f8\u00e9", min_size=1, max_size=2),
    word=st.sampled_from(["shop", "online", "store", "zone"]),
)
def test_a_glued_name_with_up_to_two_letters_added_is_found(
    name: str, added: str, word: str
) -> None:
    domain = _ascii(f"{added}{name}{word}7.test")
    assert domain.startswith("xn--")
    assert any(name in tier for tier in name_tokens(domain))
