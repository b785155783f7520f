"""Page classes: does a captured page show the site itself, or something in its place?

A capture of a site that was taken down, parked or blocked records a page the site owner did
not make: a web server's 404, a registrar's parking page, a hosting company's "account
suspended", a CDN's "Just a moment...". Their titles, templates and favicons are shared by
thousands of unrelated sites, so as brand evidence they would merge them all into one false
brand. :func:`classify_page` names what a page is; ``pages`` then keeps the capture (that a
site went down is itself worth knowing) but not its brand-level selectors.

Classes: ``normal`` (the site's own page), ``error``, ``placeholder``, ``suspended``,
``challenge``, ``login``, ``directory`` and ``empty``; see ``docs/captures.md``.

How it decides, favouring precision (a shop page must never lose its evidence):

- Cues are data: :data:`CUES` lists, per class, what names a page of that class and the zone
  it may be found in, all over normalised text (lower case, NFKC for non-ASCII, every run of
  characters other than ``a-z``, ``0-9`` and ``/`` as one space). Generic words ("not found",
  "coming soon") count only when they *are* the page's name (``NAME``: a regex matching a
  whole segment of the title or first ``h1``); sentences no shop would write ("this account
  has been suspended") count anywhere in the title, the ``h1`` or the visible text of a
  short page (``TEXT``).
- The title speaks first: a class named by the title wins over one found in the body. The
  ``h1`` and the body are read on short pages only (at most :data:`SHORT_TEXT` characters of
  visible text): a long page is judged by its status, headers and title alone, so a shop
  whose footer says "page not found? contact us" stays ``normal``, and a 10 MB page costs
  no more than a small one (reading stops once it is known to be long).
- HTTP status 4xx/5xx is ``error`` unless the page is a ``challenge`` or ``suspended`` one
  (a CDN answers 403/503, a host may suspend with 503); ``cf-mitigated: challenge`` is a
  challenge whatever the page says, and so is a short 403/429/503 with captcha or browser
  check words (broader words when an anti-bot service's headers are on it).
- ``login``, ``empty`` and ``directory`` are told by structure: a password field on a page
  with little else; no visible text, no links, no title and nothing framed; a title or
  ``h1`` "Index of /...".

Pure and fast (it runs on every captured page): no I/O; the body's text is joined by Lexbor
in C; ``NAME`` cues are one regex tried on a few short strings, and phrases are found through
an index of their first words, so a page that has none of them costs a set intersection.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser

from hotline.urls import kinds

__all__ = [
    "BRAND_LEVEL_KINDS",
    "CHALLENGE",
    "CUES",
    "DIRECTORY",
    "EMPTY",
    "ERROR",
    "LOGIN",
    "NORMAL",
    "OWN_PAGE_CLASSES",
    "PAGE_CLASSES",
    "PLACEHOLDER",
    "SHORT_TEXT",
    "SUSPENDED",
    "UNKNOWN",
    "classify_page",
    "keeps_selector",
]

NORMAL = "normal"
ERROR = "error"
PLACEHOLDER = "placeholder"
SUSPENDED = "suspended"
CHALLENGE = "challenge"
LOGIN = "login"
DIRECTORY = "directory"
EMPTY = "empty"
# A revisit record whose original is in no file imported: the site answered, with content it
# had served before, but what that was is not known here.
UNKNOWN = "unknown"
PAGE_CLASSES: tuple[str, ...] = (
    NORMAL,
    ERROR,
    PLACEHOLDER,
    SUSPENDED,
    CHALLENGE,
    LOGIN,
    DIRECTORY,
    EMPTY,
    UNKNOWN,
)

# Selector kinds that say who a site *is* (its name, its look): never taken from a page that
# is not the site's own. A redirect (``gateway``) is not among them: it is added after
# classification and kept on every page, as it says how a page was reached, not what it shows.
BRAND_LEVEL_KINDS = kinds.BRAND_LEVEL_KINDS
# Classes of pages the site itself serves, so what their body shows may be evidence.
OWN_PAGE_CLASSES = frozenset({NORMAL, LOGIN})

SHORT_TEXT = 2000  # visible characters read at most; a page with more is "long"
TINY_TEXT = 200  # a page this small with few links may be nothing but its cue ("Coming soon")
TINY_LINKS = 2
LOGIN_TEXT = 600  # a password form with this little text and ...
LOGIN_LINKS = 10  # ... this few links around it is a login wall
MAX_NODES = 10_000  # nodes visited at most: a huge tree of empty elements is "long" too
FAST_HTML = 64 * 1024  # HTML up to this size has its text joined in C; larger is walked
MAX_HEADING = 300  # characters of the h1 read

# Zones a cue may be found in, and how it is written (see the module docstring):
NAME = "name"  # a regex that must be a whole title or h1 segment (on tiny pages also a
#                heading or all the text): for generic words that are cues only as a name
HEAD = "head"  # a phrase anywhere in the title or h1
TEXT = "text"  # a phrase anywhere in the title, the h1 or the visible text of a short page
# Phrases are plain normalised words, with "{a|b}" for alternatives (an empty one, "{a|}",
# makes a word optional); expanded once, found by their first word: far faster than regexes.

_CODE = r"[45][0-9]{2}"
_ERROR_REASON = (
    r"(?:(?:page|file|site|web ?site|domain|url|document|resource|content) )?not found"
    r"|gone|forbidden|access (?:denied|forbidden)|unauthori[sz]ed|bad request|bad gateway"
    r"|(?:internal )?server error|service (?:temporarily )?unavailable|gateway time ?out"
    r"|too many requests|method not allowed|request time ?out|web server is down"
    r"|origin is unreachable|connection timed out|an error (?:has )?occurred"
    r"|something went wrong|(?:this )?page (?:does not|doesn t) exist|page unavailable"
    r"|(?:the |this |that )?page (?:you requested |you were looking for |you are looking for "
    r"|you re looking for )?(?:could not|couldn t|cannot|can t|was not|wasn t) (?:be )?found"
)
_OOPS = r"(?:(?:oops|whoops|sorry|uh oh|ouch|error) )?"
_SITE = r"(?:(?:our |the |this |my )?(?:new )?(?:web ?site|site|page|shop|store|domain|homepage) )"
_SITE_WORDS = "{account|site|website|web site|domain|hosting account}"
_CANNOT = "{could not|couldn t|cannot|can t}"

# (class, zone, cue). Each is a cue because the page it names is not the site's own: it is
# served the same way for every site of a web server, host, registrar or CDN.
CUES: tuple[tuple[str, str, str], ...] = (
    # -- directory: a web server listing files. Told by its fixed title, with the path.
    (DIRECTORY, NAME, r"(?:index of|directory listing (?:for|of)) /\S*(?: .*)?"),
    # -- challenge: a CDN or anti-bot service stands in front of the site until a browser
    # proves itself; the page is the service's, identical on every site behind it.
    (CHALLENGE, NAME, r"just a moment|one moment please|please wait|attention required"),
    (CHALLENGE, NAME, r"one more step|security check(?:ing)?|ddos guard|captcha|robot check"),
    (CHALLENGE, NAME, r"(?:human|bot|browser|robot|captcha|security) (?:verification|check)"),
    (CHALLENGE, NAME, r"are you (?:a )?(?:human|robot)|pardon our interruption"),
    (CHALLENGE, HEAD, "checking your browser"),
    (CHALLENGE, HEAD, "ddos protection"),
    (CHALLENGE, HEAD, "website firewall"),
    (CHALLENGE, HEAD, "used cloudflare to restrict access"),
    (CHALLENGE, TEXT, "checking if the site connection is secure"),
    (CHALLENGE, TEXT, "enable javascript and cookies to continue"),
    # Exactly as the services word them: a shop's own form may ask to "verify that you are
    # human" or "solve the captcha", and a script-built shop to "enable JavaScript".
    (CHALLENGE, TEXT, "please turn javascript on and reload the page"),
    (CHALLENGE, TEXT, "verifying you are human"),
    (CHALLENGE, TEXT, "verify you are human by completing the action below"),
    (CHALLENGE, TEXT, "needs to review the security of your connection"),
    (CHALLENGE, TEXT, "complete the security check to access"),
    (CHALLENGE, TEXT, "why do i have to complete a captcha"),
    (CHALLENGE, TEXT, "sorry you have been blocked"),
    (CHALLENGE, TEXT, "using a security service to protect itself from online attacks"),
    (CHALLENGE, TEXT, "please stand by while we are checking your browser"),
    # -- suspended: the hosting company switched the site off (unpaid, over limits, abuse);
    # the page is the host's, shared by all its suspended customers.
    (SUSPENDED, NAME, r"suspended(?: page| domain| account| site| web ?site)?"),
    (
        SUSPENDED,
        NAME,
        r"(?:account|site|web ?site|hosting|hosting account|domain|page) (?:has been |is |was )?"
        r"(?:suspended|disabled|deactivated|terminated|locked)",
    ),
    (SUSPENDED, NAME, r"(?:509 )?bandwidth limit exceeded|(?:508 )?resource limit is reached"),
    (SUSPENDED, NAME, r"(?:hosting|hosting account|account) (?:has )?expired"),
    (
        SUSPENDED,
        TEXT,
        f"this {_SITE_WORDS} has been {{suspended|disabled|deactivated|terminated|blocked|seized}}",
    ),
    (SUSPENDED, TEXT, "{account|site|website} {is|has been} {temporarily|} {suspended|disabled}"),
    (SUSPENDED, TEXT, "bandwidth limit exceeded"),
    (SUSPENDED, TEXT, "exceeded {its|the|their} bandwidth"),
    (SUSPENDED, TEXT, "the owner of this {site|website|web site} has exceeded"),
    (SUSPENDED, TEXT, "domain has been seized"),
    # -- error: the server says the page is gone or broken. Status codes say it first; these
    # catch error pages served with status 200 ("soft 404s") and bare server pages.
    (ERROR, NAME, _OOPS + rf"(?:(?:http )?(?:error|status) )?{_CODE}(?: error)?"),
    (
        ERROR,
        NAME,
        _OOPS + rf"(?:(?:http )?(?:error|status) )?(?:{_CODE} )?(?:error )?"
        rf"(?:{_ERROR_REASON})(?: error)?",
    ),
    (ERROR, NAME, r"error|http error|server error"),
    (ERROR, TEXT, "was not found on this server"),
    (ERROR, TEXT, "the requested {url|page|resource|document} {was not|could not be} found"),
    (
        ERROR,
        TEXT,
        "the page you {requested|are looking for|were looking for|re looking for} "
        "{could not|cannot|can t|couldn t|does not|doesn t|was not|wasn t|is not|isn t"
        "|might have been|may have been|no longer}",
    ),
    (ERROR, TEXT, f"{{this|that}} page {_CANNOT} be found"),
    (ERROR, TEXT, f"we {_CANNOT} find {{that|this|the}} page"),
    (ERROR, TEXT, "the server encountered an internal error"),
    (ERROR, TEXT, "the server is temporarily unable to service your request"),
    (ERROR, TEXT, "you {don t|do not} have permission to access this resource"),
    (ERROR, TEXT, "the proxy server received an invalid response"),
    (ERROR, TEXT, "the origin web server timed out"),
    (ERROR, TEXT, "web server reported a bad gateway"),
    # -- placeholder: nothing of the owner's yet (or any more): a web server's or control
    # panel's default page, "coming soon", maintenance, a registrar's parking or sale page.
    (
        PLACEHOLDER,
        NAME,
        _SITE + r"?(?:is )?(?:coming soon|launching soon|opening soon|under construction"
        r"|under maintenance|in maintenance|down for maintenance)",
    ),
    (PLACEHOLDER, NAME, r"maintenance mode|(?:we ll be |we will be )?back soon"),
    (PLACEHOLDER, NAME, r"(?:caddy )?it works|caddy works|iis[0-9]*|iis windows(?: server)?"),
    (PLACEHOLDER, NAME, r"default (?:web ?site |web server |domain |server |index )?page"),
    (PLACEHOLDER, NAME, r"(?:site|web ?site|domain) not configured|parked|parked domain"),
    (PLACEHOLDER, NAME, r"(?:this )?domain (?:name )?(?:is )?(?:for sale|parked|expired)"),
    (PLACEHOLDER, HEAD, "welcome to {nginx|openresty|tengine|litespeed|centos}"),
    (PLACEHOLDER, HEAD, "{apache|apache2} {ubuntu|debian|centos|} default page"),
    (PLACEHOLDER, HEAD, "test page for the {apache|nginx} http server"),
    (PLACEHOLDER, HEAD, "{apache|nginx} http server test page"),
    (PLACEHOLDER, HEAD, "internet information services"),
    (PLACEHOLDER, HEAD, "web server s default page"),
    (PLACEHOLDER, HEAD, "{domain|plesk} default page"),
    (PLACEHOLDER, HEAD, "default parallels plesk"),
    (PLACEHOLDER, HEAD, "future home of something"),
    (PLACEHOLDER, HEAD, "resources and information"),
    (PLACEHOLDER, HEAD, "{is|may be|might be|could be} for sale"),
    (PLACEHOLDER, HEAD, "domain {name|} for sale"),
    (PLACEHOLDER, HEAD, "parked {domain|page|free|courtesy|with|at|by|on}"),
    (PLACEHOLDER, TEXT, "the nginx web server is successfully installed"),
    (PLACEHOLDER, TEXT, "this is the default welcome page used to test"),
    (PLACEHOLDER, TEXT, "this domain {name|} {is|may be|might be|could be} for sale"),
    (PLACEHOLDER, TEXT, "{buy|inquire about|make an offer on} this domain"),
    (PLACEHOLDER, TEXT, "interested in {buying|acquiring|purchasing} this domain"),
    (PLACEHOLDER, TEXT, "{this|the} domain {name|} is {parked|available}"),
    (
        PLACEHOLDER,
        TEXT,
        "this domain {name|} {has been|has just been|was|is} registered {at|with|by|via|on}",
    ),
    (PLACEHOLDER, TEXT, "related searches"),
    (PLACEHOLDER, TEXT, "sponsored listings"),
    (PLACEHOLDER, TEXT, "no {website|web site} {is|} configured at this address"),
    (
        PLACEHOLDER,
        TEXT,
        "{website|web site|site|domain|homepage|home page} is {currently|still|} "
        "{under construction|coming soon|under maintenance|down for maintenance}",
    ),
    # -- login: a wall in front of the site. Only with a password field on the page (below).
    (
        LOGIN,
        NAME,
        r"(?:(?:member|members|user|customer|admin|account|client) )?(?:log ?in|sign ?in)"
        r"(?: page| required| area)?",
    ),
    (LOGIN, NAME, r"members? area|password (?:required|protected)|enter (?:the )?password"),
    (LOGIN, NAME, r"private (?:site|area|page)|authentication required|restricted (?:area|access)"),
)

# Which class wins when several are named in one zone: the most specific first.
_PRIORITY: tuple[str, ...] = (DIRECTORY, CHALLENGE, SUSPENDED, ERROR, PLACEHOLDER, LOGIN)
# On a 4xx/5xx response these still say more than "error"; the others do not.
_OVER_ERROR = frozenset({CHALLENGE, SUSPENDED})
# A login cue alone names nothing: only a password field makes a login wall (below).
_CUE_CLASSES = frozenset(_PRIORITY) - {LOGIN}
# Status codes that name a class of their own (509 is cPanel's "Bandwidth Limit Exceeded").
_STATUS_CLASSES: dict[int, str] = {509: SUSPENDED}
_ANTI_BOT_STATUS = frozenset({403, 429, 503})
# Anti-bot services, by Server header value or a header only they send.
_ANTI_BOT_SERVERS = ("cloudflare", "ddos-guard", "sucuri", "cloudproxy", "qrator")
_ANTI_BOT_HEADERS = frozenset({"cf-ray", "x-iinfo", "x-sucuri-id"})
# Elements of the challenge pages themselves (ids and classes, never text).
_CHALLENGE_DOM = (
    "#challenge-form, #challenge-running, #challenge-stage, #cf-challenge-running, "
    ".cf-browser-verification, #challenge-error-text, #cf-please-wait"
)
# Words that make a short 403/429/503 page a challenge: narrow ones on their own, the broad
# ones only when an anti-bot service served it (its 403 also says "cookies", "Ray ID" ...).
_BOT_WORDS = re.compile(r"\b(?:re|h)?captcha\b|\bare you a robot\b|\bsecurity check\b|\bddos\b")
_ANTI_BOT_WORDS = re.compile(
    r"\b(?:(?:re|h)?captcha|challenge|javascript|cookies|robot|human|verif[a-z]*"
    r"|security check|browser|ddos|ray id|bot)\b"
)
_HEADINGS = "h1, h2, h3, h4, h5, h6"
_INVISIBLE = frozenset({"script", "style", "template", "title"})
_INVISIBLE_CSS = ", ".join(sorted(_INVISIBLE))
_FRAMED = "iframe, frame, embed, object, form, meta[http-equiv='refresh' i]"
_PASSWORD_FIELD = "input[type='password' i]"  # noqa: S105 (a CSS selector, not a secret)
_NON_WORD = re.compile(r"[^0-9a-z/]+")
# Title and h1 segments: between bars, dashes with spaces, colons, brackets, bullets ...
_SEPARATORS = re.compile(r"\s[-~/]\s|[|–—:·•»«()\[\]{}]")


def _compile_names() -> re.Pattern[str]:
    """All NAME cues as one regex, a named group per class in :data:`_PRIORITY` order (so a
    fullmatch reports the most specific class)."""
    groups = []
    for page_class in _PRIORITY:
        patterns = [cue for c, zone, cue in CUES if c == page_class and zone == NAME]
        if patterns:
            groups.append(f"(?P<{page_class}>{'|'.join(f'(?:{p})' for p in patterns)})")
    return re.compile("|".join(groups))


def _expand(template: str) -> list[str]:
    """Every phrase a template spells: "{a|b} c" gives "a c" and "b c"."""
    start = template.find("{")
    if start < 0:
        return [" ".join(template.split())]
    end = template.index("}", start)
    return [
        phrase
        for choice in template[start + 1 : end].split("|")
        for phrase in _expand(template[:start] + choice + template[end + 1 :])
    ]


Index = dict[str, tuple[tuple[str, str], ...]]


def _index(zones: tuple[str, ...]) -> Index:
    """Phrases by their first word: (" phrase ", class) pairs, padded to match whole words."""
    found: dict[str, list[tuple[str, str]]] = {}
    for page_class, zone, template in CUES:
        if zone not in zones:
            continue
        for phrase in _expand(template):
            if not phrase or _NON_WORD.sub(" ", phrase) != phrase:
                # Not in the form text is compared in: it could never match. Fail loudly.
                raise ValueError(f"page class cue {phrase!r} is not normalised text")
            found.setdefault(phrase.split(" ", 1)[0], []).append((f" {phrase} ", page_class))
    return {word: tuple(pairs) for word, pairs in found.items()}


_NAME_RE = _compile_names()
_HEAD_INDEX = _index((HEAD, TEXT))
_TEXT_INDEX = _index((TEXT,))


# Every byte but a-z, 0-9 and "/" as a space (upper case is lowered before).
_ASCII_WORDS = bytes(c if (48 <= c <= 57 or 97 <= c <= 122 or c == 47) else 32 for c in range(256))


def _norm(text: str) -> str:
    text = text.lower()
    if text.isascii():  # nearly always: a byte table is several times faster than a regex
        return " ".join(text.encode("ascii").translate(_ASCII_WORDS).decode("ascii").split())
    # full-width letters, ligatures ... spelled as plain ones
    text = unicodedata.normalize("NFKC", text).lower()
    return _NON_WORD.sub(" ", text).strip()


def _segments(text: str) -> list[str]:
    """The normalised whole and its separated parts ("404 - Not Found | nginx" gives
    "404 not found nginx", "404", "not found", "nginx")."""
    whole = _norm(text)
    parts = [_norm(part) for part in _SEPARATORS.split(text)]
    return [whole, *(part for part in parts if part and part != whole)]


@dataclass(slots=True)
class _Body:
    text: str = ""  # visible text, fragments joined by spaces (at most about SHORT_TEXT)
    long: bool = False  # more than SHORT_TEXT visible characters (or MAX_NODES nodes)


def _read_body(tree: LexborHTMLParser) -> _Body:
    """Visible text (not script, style or template) up to :data:`SHORT_TEXT` characters."""
    root = tree.body
    if root is None:
        return _Body()
    raw = tree.raw_html
    if raw is not None and len(raw) <= FAST_HTML:
        # Small page: Lexbor joins all text in C, and what scripts and styles hold is taken
        # back out (their text, first occurrence): several times faster than a walk.
        text = root.text(separator=" ", strip=True)
        for node in root.css(_INVISIBLE_CSS):
            hidden = node.text(separator=" ", strip=True)
            if hidden:
                text = text.replace(hidden, " ", 1)
        text = " ".join(text.split())
        return _Body(text[: SHORT_TEXT + 1], len(text) > SHORT_TEXT)
    # Large page: walk the tree, stopping as soon as it is known to be long.
    parts: list[str] = []
    size = visits = 0
    for node in root.traverse(include_text=True):
        visits += 1
        if visits > MAX_NODES:
            return _Body(" ".join(parts), long=True)
        if node.tag != "-text":
            continue
        parent = node.parent
        if parent is not None and parent.tag in _INVISIBLE:
            continue
        fragment = " ".join((node.text_content or "").split())
        if fragment:
            parts.append(fragment)
            size += len(fragment) + 1
            if size > SHORT_TEXT:
                return _Body(" ".join(parts), long=True)
    return _Body(" ".join(parts))


def _names(candidates: Iterable[str]) -> set[str]:
    """Classes some candidate is the whole name of (a title or h1 segment, a text node)."""
    found = set()
    for text in candidates:
        match = _NAME_RE.fullmatch(text)
        if match is not None and match.lastgroup is not None:
            found.add(match.lastgroup)
    return found


def _mentions(index: Index, text: str) -> set[str]:
    """Classes whose phrases are in ``text`` (normalised): only phrases whose first word the
    text has are looked for, so a page without any costs one set intersection."""
    padded = f" {text} "
    return {
        page_class
        for word in index.keys() & text.split()
        for phrase, page_class in index[word]
        if phrase in padded
    }


Headers = Iterable[tuple[str, str]] | Mapping[str, str]


def _header_facts(headers: Headers | None) -> tuple[bool, bool]:
    """(the response is a CDN's challenge by its own word, an anti-bot service served it)."""
    if headers is None:
        return False, False
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    mitigated = anti_bot = False
    for name, value in pairs:
        key, text = str(name).strip().lower(), str(value).lower()
        if key == "cf-mitigated" and "challenge" in text:
            mitigated = True
        elif key in _ANTI_BOT_HEADERS or (
            key == "server" and any(server in text for server in _ANTI_BOT_SERVERS)
        ):
            anti_bot = True
    return mitigated, anti_bot


def classify_page(
    status: int,
    headers: Headers | None = None,
    title: str | None = None,
    document: LexborHTMLParser | str | None = None,
) -> str:
    """The class of a captured page: one of :data:`PAGE_CLASSES`.

    ``headers`` are the HTTP response headers (pairs or a mapping); ``title`` the page title
    as text (None: read from ``document``); ``document`` the parsed page or its HTML (None
    when there is no body to read). Never raises on odd input.
    """
    mitigated, anti_bot = _header_facts(headers)
    if mitigated:
        return CHALLENGE
    tree = LexborHTMLParser(document) if isinstance(document, str) else document
    if title is None and tree is not None:
        node = tree.css_first("title")
        title = node.text() if node is not None else None
    body = _read_body(tree) if tree is not None else _Body(long=True)
    title_text = (title or "")[:500]
    title_norm = _norm(title_text)
    in_title = _names(_segments(title_text)) | _mentions(_HEAD_INDEX, title_norm)
    in_page: set[str] = set()
    links: int | None = None  # counted only when a rule needs it
    if tree is not None and not body.long:
        heading = tree.css_first("h1")
        if heading is not None:
            text = heading.text(deep=True, separator=" ")[:MAX_HEADING]
            in_page = _names(_segments(text)) | _mentions(_HEAD_INDEX, _norm(text))
        visible = _norm(body.text)
        in_page |= _mentions(_TEXT_INDEX, visible)
        if len(body.text) <= TINY_TEXT:
            links = len(tree.css("a[href]"))
            if links <= TINY_LINKS:
                # A page this small may be nothing but its cue: "Coming soon" as all its text
                # or as a heading; not any paragraph (a small shop's "<p>Page not found?</p>").
                headings = [h.text(deep=True, separator=" ") for h in tree.css(_HEADINGS)[:8]]
                in_page |= _names([visible, *(s for h in headings for s in _segments(h))])
        if status in _ANTI_BOT_STATUS and CHALLENGE not in in_page:
            words = _ANTI_BOT_WORDS if anti_bot else _BOT_WORDS
            if (
                words.search(f"{title_norm} {visible}") is not None
                or tree.css_first(_CHALLENGE_DOM) is not None
            ):
                in_page.add(CHALLENGE)
    allowed = _OVER_ERROR if status >= 400 else _CUE_CLASSES
    for found in (in_title, in_page):  # the title first: it names the page
        for page_class in _PRIORITY:
            if page_class in found and page_class in allowed:
                return page_class
    if status in _STATUS_CLASSES:
        return _STATUS_CLASSES[status]
    if status >= 400:
        return ERROR
    if tree is None or body.long:
        return NORMAL
    if _has_password_field(tree):
        if LOGIN in in_title | in_page:
            return LOGIN
        if len(body.text) <= LOGIN_TEXT:
            links = len(tree.css("a[href]")) if links is None else links
            if links <= LOGIN_LINKS:
                return LOGIN
    if not body.text and not title_norm:
        links = len(tree.css("a[href]")) if links is None else links
        if links == 0 and tree.css_first(_FRAMED) is None:
            return EMPTY
    return NORMAL


def _has_password_field(tree: LexborHTMLParser) -> bool:
    raw = tree.raw_html
    if isinstance(raw, bytes) and b"assword" not in raw and b"ASSWORD" not in raw:
        return False  # no such field can be in the page: skip the selector query
    return tree.css_first(_PASSWORD_FIELD) is not None


def keeps_selector(page_class: str, kind: str) -> bool:
    """Whether a selector of ``kind`` found in the body of a ``page_class`` page is evidence.

    A normal page keeps everything. A login wall is the site's own, so its analytics, payment
    and contact values are the owner's, but its name and look are the wall's (shared login
    kits): no brand-level kinds. Every other class is a page served alike for many sites — a
    web server's error page, a parking company's analytics id, a host's e-mail address, a
    CDN's scripts: nothing from its body, or all those sites would look like one brand.
    ``gateway`` (a redirect or Referer) and ``redirect`` are kept everywhere: they are about
    how the page was reached, not what it shows.
    """
    if page_class == NORMAL or kind in ("gateway", "redirect"):
        return True
    if page_class == LOGIN:
        return kind not in BRAND_LEVEL_KINDS
    return False
