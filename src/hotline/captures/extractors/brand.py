"""Brand text: the name a site calls itself in its title, logo, site-name meta tag and main
heading.

Brands hop across domains but keep their name, so the normalised name links the domains of
one brand. Normalisation is NFKC, lower case, whitespace collapsed; a title keeps only the
part before its first separator ("Name | tagline" gives "name"), unless that part is a
generic word, a decoration alone or empty, when the next part that is a usable name is
taken instead ("Contact us | Name | tagline" gives "name": inner pages name their section
first), and a later part that the page's host spells wins over a first part it does not
("Deluxe pack 4821 | Zorbel" on zorbel-shop.test: product pages name the item first). The
first ``h1`` is read only when the title names nothing: beside a title that names the site,
the heading is the page's own. Generic words a page may show instead of a name ("home",
"welcome", "logo", the sections of a site such as "contact us" or "latest updates", …) and
values under three characters are not selectors.

Every candidate (title, logo ``alt``, ``og:site_name``, ``h1``) then
goes through :func:`brand_name`, which takes off the decorations pages wrap a name in, so
that "Zorbel logo", "Welcome to Zorbel", "Zorbel (official)" and "Zorbel™" all give the one
value "zorbel" instead of a second, decorated brand value beside it:

* trademark signs (™ ® ℠ ©) are dropped before normalisation (NFKC would turn "™" into
  "tm" and glue it to the name);
* a leading :data:`BRAND_PREFIXES` entry ("welcome to", "official", "logo", …) or a trailing
  :data:`BRAND_SUFFIXES` entry ("logo", "home", "official site", "(official)", …) is taken off
  with the separators (space, ``-``, ``|``, ``:``, …) between it and the name, repeatedly, so
  "Official Zorbel logo" loses both. Word decorations must stand as whole words: "Logomarx"
  and "Zorbelhome" are names and stay as they are;
* a strip that would leave fewer than :data:`MIN_BRAND_LENGTH` characters is not made: the
  value is kept as it stands ("ab logo" stays "ab logo"; "logo" or "official" stays as it
  is and is then dropped: a decoration alone, like a generic word, is no selector). Kept
  rather than dropped: the kept value is still the same on every domain of that brand, and
  it only happens to names too short to be a selector on their own, so no second value of a
  longer name ever comes from it;
* text longer than :data:`MAX_DECORATED` after normalisation is returned as it is: no name is
  that long (it is dropped as over :data:`MAX_BRAND_LENGTH`), and a hostile ``h1`` of a
  megabyte of "logo logo …" must not cost one pass per word.

:func:`normalise_brand` itself is unchanged (plain normalisation), so other users of it see
no difference; :func:`brand_name` is the decoration-aware form.
"""

from __future__ import annotations

import re
import unicodedata

from hotline.captures.extractors._common import MAX_ATTRIBUTE
from hotline.captures.page import CapturedPage, Selector, Strength
from hotline.urls.look_alike import unspoofed

__all__ = [
    "BRAND_PREFIXES",
    "BRAND_SUFFIXES",
    "GENERIC_WORDS",
    "MAX_BRAND_LENGTH",
    "MAX_DECORATED",
    "MIN_BRAND_LENGTH",
    "MIN_SPELLED",
    "TITLE_PARTS",
    "TITLE_SEPARATORS",
    "brand_name",
    "extract_brand",
    "host_spells",
    "normalise_brand",
    "title_brand",
    "title_name",
    "title_names",
]

# What stands between a title's parts. Sloppy themes write "Zorbel|Best deals", breadcrumbs
# "Zorbel » Gallery" or "Zorbel / Gallery"; a slash inside a word ("24/7") is no separator.
# A colon is not one either: it is as often a category or a reply before the page's own
# words ("Video: Birds", "Re: Summer meetup") or part of a name ("Mission: Impossible") as a
# separator after the site's name; the site-level rule drops such whole titles as pages' own.
TITLE_SEPARATORS: tuple[str, ...] = (
    " | ",
    " - ",
    " — ",
    " – ",
    " :: ",
    " · ",
    " • ",
    " ~ ",
    " » ",
    " « ",
    " › ",
    " ‹ ",
    " > ",
    " / ",
    "|",
)
MIN_BRAND_LENGTH = 3
MAX_BRAND_LENGTH = 128
MAX_DECORATED = 4 * MAX_BRAND_LENGTH
# Compared after normalisation. Site-type words are here too: an image host titled
# "Image Host | …" names what it is, not who runs it.
GENERIC_WORDS: frozenset[str] = frozenset(
    {
        "home",
        "homepage",
        "home page",
        "welcome",
        "logo",
        "catalogue",
        "catalog",
        "index",
        "main",
        "main page",
        "shop",
        "store",
        "online shop",
        "untitled",
        "untitled document",
        "default",
        "loading",
        "loading...",
        "redirecting",
        "redirecting...",
        "login",
        "log in",
        "sign in",
        "members",
        "gallery",
        "checkout",
        "join",
        "blog",
        "page",
        "site",
        "website",
        "forum",
        "image host",
        "file host",
        "video host",
        "not found",
        "404 not found",
        "403 forbidden",
        "error",
        "access denied",
        # the placeholders themes, site builders and shop kits ship with, left in place by
        # operators who never changed them: shared by unrelated sites, never a brand
        "shop title",
        "shop name",
        "store name",
        "site title",
        "site name",
        "your shop name",
        "your store name",
        "your site name",
        "your shop",
        "your store",
        "your site",
        "your brand",
        "your logo",
        "my shop",
        "my store",
        "my site",
        "my blog",
        "my website",
        "my wordpress site",
        "my wordpress website",
        "just another wordpress site",
        "demo store",
        "demo shop",
        "demo site",
        "sample store",
        "sample page",
        "new site",
        "company name",
        "brand name",
        "logo here",
        "lorem ipsum",
        # the section an inner page is about, in its title ("Contact us | Zorbel") and its
        # heading: the same words on every kind of site, never a name
        "about",
        "about us",
        "contact",
        "contact us",
        "contacts",
        "faq",
        "faqs",
        "frequently asked questions",
        "help",
        "support",
        "news",
        "latest",
        "latest news",
        "latest updates",
        "updates",
        "new arrivals",
        "new releases",
        "popular",
        "most popular",
        "top rated",
        "terms",
        "terms of service",
        "terms of use",
        "terms and conditions",
        "terms & conditions",
        "privacy",
        "privacy policy",
        "cookie policy",
        "register",
        "registration",
        "sign up",
        "signup",
        "create account",
        "create an account",
        "my account",
        "account",
        "cart",
        "shopping cart",
        "basket",
        "search",
        "search results",
        "categories",
        "products",
        "downloads",
        "download",
        "pricing",
        "prices",
        "plans",
        "membership",
        "payment",
        "payment options",
        "order",
        "thank you",
        "dashboard",
        "archive",
        "archives",
        "videos",
        "photos",
        "pictures",
        "images",
        "upload",
        "previews",
        "samples",
        "tour",
        "links",
        "partners",
        "members area",
        # the same pages in the languages of the hotlines' countries
        "startseite",
        "willkommen",
        "kontakt",
        "impressum",
        "datenschutz",
        "galerie",
        "mitglieder",
        "accueil",
        "bienvenue",
        "mentions légales",
        "inicio",
        "bienvenido",
        "contacto",
        "aviso legal",
        "galería",
        "benvenuti",
        "contatti",
        "welkom",
        "strona główna",
        "member area",
        "member login",
        "members login",
        "forgot password",
        "lost password",
        "reset password",
        "page not found",
        "server error",
        "internal server error",
        "service unavailable",
        "bad gateway",
        "coming soon",
        "under construction",
        "maintenance",
        "reviews",
        "mirrors",
        "mirror list",
        "fans",
        "status",
        "info",
        "information",
    }
)


# Decorations around a name, compared after normalisation (so lower case). Longer entries come
# before the shorter ones they start or end with ("logo of" before "logo"), because the first
# entry that fits is the one taken off.
BRAND_PREFIXES: tuple[str, ...] = (
    "welcome to the",
    "welcome to",
    "home of the",
    "home of",
    "the official",
    "official",
    "logo of",
    "logo",
    # the same greeting in the languages of the hotlines' countries
    "herzlich willkommen bei",
    "herzlich willkommen auf",
    "willkommen bei",
    "willkommen auf",
    "bienvenue sur",
    "bienvenue chez",
    "bienvenue à",
    "bienvenido a",
    "bienvenidos a",
    "benvenuti su",
    "benvenuti in",
    "benvenuto su",
    "welkom bij",
    "welkom op",
    "bem-vindo ao",
    "bem-vindo à",
    "witamy w",
    "witamy na",
    "välkommen till",
    "velkommen til",
    "vítejte na",
)
BRAND_SUFFIXES: tuple[str, ...] = (
    "(official website)",
    "(official site)",
    "(official)",
    "official website",
    "official site",
    "official",
    "home page",
    "homepage",
    "home",
    "logo",
    "(tm)",
    "(r)",
    "offizielle website",
    "offizielle seite",
    "site web officiel",
    "site officiel",
    "sitio web oficial",
    "sitio oficial",
    "sito ufficiale",
    "officiële website",
    "officiële site",
    "oficjalna strona",
    "startseite",
    "accueil",
)
# Signs that are never part of a name; dropped from the raw text, before NFKC.
_MARKS = str.maketrans("", "", "\u2122\u00ae\u2120\u00a9")  # ™ ® ℠ ©
# Sentence marks, quotes and symbols around a name ("Welcome to Zorbel!", "“Zorbel”",
# "★ Zorbel ★"): taken off its ends, so that the exclaimed name is the plain one. By Unicode
# category: other punctuation, opening and closing quotes, symbols (emoji, stars, arrows),
# and the marks and format characters that ride on them (an emoji's variation selector, a
# zero-width joiner). Brackets stay: "(official)" is a decoration the suffix list takes.
_END_CATEGORIES = frozenset({"Po", "Pi", "Pf", "So", "Sm", "Sk", "Me", "Cf"})
# Combining marks are letters' parts in many scripts (a Hindi or Thai vowel sign ends a
# word); only the emoji variation selectors among them ride on symbols.
_VARIATION_SELECTORS = frozenset("\ufe0e\ufe0f")


def _trim_ends(value: str) -> str:
    start, end = 0, len(value)
    while start < end and (value[start].isspace() or _end_mark(value[start])):
        start += 1
    while end > start and (value[end - 1].isspace() or _end_mark(value[end - 1])):
        end -= 1
    return value[start:end]


def _end_mark(char: str) -> bool:
    return char in _VARIATION_SELECTORS or unicodedata.category(char) in _END_CATEGORIES


# A candidate that is a host name: "zorbel.test" or "www.zorbel.test" (one plain label
# before the top level) is the site calling itself by its name; an address whose labels hold
# digits, hyphens or punycode ("zorbel-shop7.test", "xn--zorbl-shop3-egk0g.test") names the
# address, not a brand (each of a brand's domains would have its own), and is no name at
# all. "Dr.Oetker" and "shop.zorbel.test" are neither, and stay as they are.
_HOST = re.compile(r"(?:www\.)?([^\s./]+(?:\.[^\s./]+)*)\.[^\W\d_]{2,63}")
_ONE_LABEL = re.compile(r"(?:www\.)?([^\W\d_]+)\.[^\W\d_]{2,63}")


def _address(value: str) -> bool:
    host = _HOST.fullmatch(value)
    if host is None:
        return False
    labels = host.group(1)
    return "xn--" in labels or any(char.isdigit() or char == "-" for char in labels)


# What may stand between a decoration and the name, and goes with the decoration.
_DECORATION_SEPARATORS = " -|:,·•–—/"


def normalise_brand(text: str) -> str:
    """NFKC, lower case, runs of whitespace as one space, no leading or trailing space."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def title_name(title: str) -> str:
    """The normalised part of a title before its first separator."""
    text = f" {normalise_brand(title.translate(_MARKS))} "  # a separator may open or close it
    cut = len(text)
    for separator in TITLE_SEPARATORS:
        position = text.find(separator)
        if 0 <= position < cut:
            cut = position
    return text[:cut].strip()


def title_brand(title: str, host: str = "", named: frozenset[str] = frozenset()) -> str:
    """The brand a title names, or "" when it names none: the part before its first
    separator, unless that part is a generic word, a decoration alone or empty; then the
    next part that is a usable name. Inner pages put the section first ("Contact us |
    Zorbel", "Gallery – Zorbel | Best deals": the pattern of most site builders), landing
    pages the name ("Zorbel | tagline"). A first part that is merely too short ("AB | Best
    deals") is a name of its own, too short to use, and no fallback: the tagline after it is
    not the name. Only the first :data:`TITLE_PARTS` parts of a title no longer than
    :data:`MAX_DECORATED` are looked at, so a hostile title costs one pass.

    With the page's ``host``: when the first part is a usable name the host does not spell
    and a later part is one it does spell, that part is the name ("Deluxe pack 4821 |
    Zorbel" on zorbel-shop.test: a shop system's product page names the item first). The
    names the page ``named`` elsewhere (its logo's alt text, its declared site name) confirm a
    later part the same way, whatever the host spells."""
    cut = title_name(title)
    first = brand_name(cut)
    if _usable(first) and cut not in GENERIC_WORDS:  # "logo here" is no "here"
        if (host or named) and not _confirmed(first, host, named):
            return _later_name(title, host, named) or first
        return first
    if cut and cut not in GENERIC_WORDS and first not in _DECORATIONS:
        # a name too short to use, one made of marks only, or an address: nothing after it,
        # unless the page confirms a later part ("Q | Zorbel" or "zorbel-shop7.test |
        # Zorbel" on zorbel-shop7.test; an unconfirmed "Best deals" is a tagline)
        return _later_name(title, host, named) if host or named else ""
    # after a generic first part, a later part the page confirms wins over the first usable
    # one ("Gallery | Deluxe pack 4821 | Zorbel" beside a logo that says Zorbel)
    if host or named:
        return _later_name(title, host, named) or _later_name(title)
    return _later_name(title)


def _later_name(title: str, host: str = "", named: frozenset[str] | None = None) -> str:
    """The first usable, non-generic name among a title's later parts (one the ``host``
    spells or the page ``named``, when either is given), or ""."""
    confirm = bool(host) or named is not None
    for part in _title_parts(normalise_brand(title.translate(_MARKS)))[1:]:
        name = brand_name(part)
        if not _usable(name) or part in GENERIC_WORDS:
            continue
        if not confirm or _confirmed(name, host, named or frozenset()):
            return name
    return ""


def _confirmed(name: str, host: str, named: frozenset[str]) -> bool:
    """Is ``name`` the site's by the page's other evidence: the host spells it, or the page
    names it elsewhere (logo, declared site name)?"""
    return name in named or (bool(host) and _spelled(name, host))


def title_names(title: str) -> frozenset[str]:
    """Every usable, non-generic name among a title's first :data:`TITLE_PARTS` parts
    ("Deluxe pack 4821 | Zorbel" → deluxe pack 4821, zorbel): what attribution counts over
    a site's pages to tell the name every page repeats from a page's own."""
    parts = _title_parts(normalise_brand(title.translate(_MARKS)))
    names = (brand_name(part) for part in parts if part not in GENERIC_WORDS)
    return frozenset(name for name in names if _usable(name))


# A name spelled by a host: its letters and digits, at least this many, in the host's.
MIN_SPELLED = 4


def host_spells(name: str, host: str) -> bool:
    """Does ``host`` spell ``name``? (:func:`_spelled`, for attribution's page names.)"""
    return _spelled(name, host)


def _spelled(name: str, host: str) -> bool:
    """Does ``host`` spell ``name`` ("zorbel shop" in zorbel-shop3.test, "zorbel" in
    www.zorbel.test)? Letters and digits only, so spaces and hyphens do not matter; the top
    level is left out (a ".shop" or ".online" host spells no "shop" or "online")."""
    letters = "".join(char for char in name if char.isalnum())
    labels = host.lower().rsplit(".", 1)[0]
    return len(letters) >= MIN_SPELLED and letters in "".join(
        char for char in labels if char.isalnum()
    )


# Parts of a title looked at for a name after the first (generic, or not spelled by the host).
TITLE_PARTS = 4


def _title_parts(text: str) -> list[str]:
    """The first :data:`TITLE_PARTS` parts of a normalised title, cut at every separator;
    nothing for text longer than any title a site shows (a hostile one)."""
    if len(text) > MAX_DECORATED:
        return []
    rest = f" {text} "
    parts: list[str] = []
    while len(parts) < TITLE_PARTS:
        cuts = [(rest.find(sep), sep) for sep in TITLE_SEPARATORS]
        found = [(position, sep) for position, sep in cuts if position >= 0]
        if not found:
            parts.append(rest.strip())
            break
        position, sep = min(found)
        parts.append(rest[:position].strip())
        rest = " " + rest[position + len(sep) :]
    return parts


def _stable(text: str) -> str:
    """:func:`normalise_brand` repeated until nothing changes: NFKC and lower-casing do not
    commute for a few Greek letter and accent sequences, and the name must be a fixed point
    for :func:`brand_name` to be idempotent. Three rounds settle every such sequence; the
    bound keeps hostile text cheap."""
    value = normalise_brand(text)
    for _ in range(3):
        again = normalise_brand(value)
        if again == value:
            break
        value = again
    return value


def _without(value: str, decoration: str, at_start: bool) -> str | None:
    """``value`` without ``decoration`` at its start (or end), or None when it is not there as
    a whole word or taking it off would leave a value too short to be a name."""
    if at_start:
        if not value.startswith(decoration):
            return None
        rest = value[len(decoration) :]
        joined = decoration[-1:].isalnum() and rest[:1].isalnum()
        rest = rest.lstrip(_DECORATION_SEPARATORS)
    else:
        if not value.endswith(decoration):
            return None
        rest = value[: len(value) - len(decoration)]
        joined = decoration[:1].isalnum() and rest[-1:].isalnum()
        rest = rest.rstrip(_DECORATION_SEPARATORS)
    if joined:  # "logomarx", "zorbelhome": the decoration word is part of the name
        return None
    rest = _stable(rest)
    return rest if len(rest) >= MIN_BRAND_LENGTH else None


def _strip_once(value: str) -> str | None:
    trimmed = _trim_ends(value)
    if trimmed != value and len(trimmed := _stable(trimmed)) >= MIN_BRAND_LENGTH:
        return trimmed
    host = _ONE_LABEL.fullmatch(value)
    if host is not None and len(host.group(1)) >= MIN_BRAND_LENGTH:
        return host.group(1)
    for prefix in BRAND_PREFIXES:
        rest = _without(value, prefix, at_start=True)
        if rest is not None:
            return rest
    for suffix in BRAND_SUFFIXES:
        rest = _without(value, suffix, at_start=False)
        if rest is not None:
            return rest
    return None


def brand_name(text: str) -> str:
    """The normalised name in ``text`` without trademark signs and the decorations of
    :data:`BRAND_PREFIXES` and :data:`BRAND_SUFFIXES` (see the module docstring).

    Idempotent; shorter than :data:`MIN_BRAND_LENGTH` only when the normalised text already
    was (then it is that text: nothing is taken off a value that short).
    """
    value = _stable(text.translate(_MARKS))
    if len(value) > MAX_DECORATED:
        return value
    value = unspoofed(value)  # "goswеxdovdra" with a Cyrillic е is the Latin name
    # Each round takes off one decoration, so the rounds are bounded by the text's length.
    while (rest := _strip_once(value)) is not None:
        value = rest
    return value


# A decoration alone ("Official", "Logo") is what is left when a page shows no name at all.
_DECORATIONS = frozenset((*BRAND_PREFIXES, *BRAND_SUFFIXES))


def _usable(value: str) -> bool:
    return (
        MIN_BRAND_LENGTH <= len(value) <= MAX_BRAND_LENGTH
        and value not in GENERIC_WORDS
        and value not in _DECORATIONS
        and any(char.isalnum() for char in value)  # "★★★" or "..." names nothing
        and not _address(value)  # "zorbel-shop7.test"
    )


def _logo_alt(page: CapturedPage) -> str | None:
    for node in page.tree.css("img"):
        attrs = node.attributes
        marks = f"{attrs.get('class') or ''} {attrs.get('src') or ''}"
        if len(marks) > 2 * MAX_ATTRIBUTE or "logo" not in marks.lower():
            continue
        alt = attrs.get("alt")
        if alt and len(alt) <= MAX_ATTRIBUTE:
            value = brand_name(alt)
            if _usable(value):
                return value
    return None


def _site_name(page: CapturedPage) -> str | None:
    """The name a page declares for its site in ``og:site_name`` (link previews). Shops set
    it once in their theme, so it holds on every page even where the title leads with a
    tagline ("Best deals | Zorbel"). (``application-name`` is not read: it is as often the
    software's name, "WordPress" or "Nextcloud", as the site's.)"""
    if "og:site_name" not in page.html:
        return None  # most pages: no pass over the tree
    node = page.tree.css_first('meta[property="og:site_name"]')
    content = node.attributes.get("content") if node is not None else None
    if content and len(content) <= MAX_ATTRIBUTE:
        value = brand_name(content)
        if _usable(value):
            return value
    return None


def extract_brand(page: CapturedPage) -> list[Selector]:
    """``brand_text`` from the title, the logo's alt text, the site name a ``meta`` tag
    declares and the first ``h1``, deduplicated."""
    candidates: list[tuple[str, str | None]] = []
    title = page.tree.css_first("title")
    logo, meta = _logo_alt(page), _site_name(page)
    named = ""
    if title is not None:
        # Trademark signs go before the cut: NFKC in title_name would make "™" into "tm".
        # The logo and the declared site name confirm which part of the title is the name.
        elsewhere = frozenset(name for name in (logo, meta) if name)
        named = title_brand(title.text(deep=True).translate(_MARKS), page.host, elsewhere)
        candidates.append(("title", named))
    candidates.append(("logo", logo))
    candidates.append(("meta", meta))
    # The main heading names the site only where the title does not: beside a title that
    # names it, a different heading is the page's own (an item, a section, a slogan).
    heading = page.tree.css_first("h1") if not _usable(named) else None
    if heading is not None:
        candidates.append(("h1", brand_name(heading.text(deep=True, separator=" "))))
    found: dict[str, Selector] = {}
    for where, value in candidates:
        if value and _usable(value):
            found.setdefault(value, Selector("brand_text", value, where, Strength.MEDIUM))
    return list(found.values())
