"""URL stage: canonical forms for dedupe, Safe Browsing canonicalisation, sites, defanging,
and the text shown to people (:mod:`hotline.urls.display`)."""

from hotline.urls.canonical import MAX_URL_BYTES, Canonical, canonicalize
from hotline.urls.defang import defang, defang_host, defang_text, refang
from hotline.urls.display import escape_controls, for_people
from hotline.urls.model import CanonicalURL, Rejection, RejectReason, SiteKind, url_digest
from hotline.urls.sites import registrable_domain
from hotline.urls.tracking import DEFAULT_POLICY, TrackingPolicy

__all__ = [
    "DEFAULT_POLICY",
    "MAX_URL_BYTES",
    "Canonical",
    "CanonicalURL",
    "RejectReason",
    "Rejection",
    "SiteKind",
    "TrackingPolicy",
    "canonicalize",
    "defang",
    "defang_host",
    "defang_text",
    "escape_controls",
    "for_people",
    "refang",
    "registrable_domain",
    "url_digest",
]
