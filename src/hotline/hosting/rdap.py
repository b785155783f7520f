"""Opt-in RDAP client: the abuse contact of the network an IP address belongs to.

Live look-ups are an option (hotlines run air-gapped); nothing here runs unless a caller
builds an :class:`RdapClient`. The client asks the registry that the bootstrap names,
follows the registries' redirects, retries politely on 429 and 5xx, and never raises for
network, HTTP or JSON trouble: every look-up ends in an :class:`RdapOutcome` whose status
says what happened.

Content-free: only JSON is read, at most ``MAX_RESPONSE_BYTES``; anything else is refused
unread as "malformed".
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType

import httpx

from hotline.hosting.rdap_bootstrap import Bootstrap, BootstrapError, canonical_ip
from hotline.hosting.rdap_cache import (
    DEFAULT_FAILURE_TTL,
    DEFAULT_TTL,
    MemoryRdapCache,
    RdapCache,
    RdapOutcome,
    RdapStatus,
)
from hotline.hosting.rdap_parse import RdapFormatError, RdapNetwork, parse_ip_network

__all__ = [
    "DEFAULT_FAILURE_TTL",
    "DEFAULT_TTL",
    "MAX_RESPONSE_BYTES",
    "Bootstrap",
    "BootstrapError",
    "MemoryRdapCache",
    "RdapCache",
    "RdapClient",
    "RdapFormatError",
    "RdapNetwork",
    "RdapOutcome",
    "RdapStatus",
    "parse_ip_network",
]

MAX_RESPONSE_BYTES = 1024 * 1024  # real ip-network answers are 2-20 KiB
_ACCEPT = "application/rdap+json, application/json;q=0.9"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class _Try:
    """How one HTTP exchange (redirects followed) ended."""

    status: RdapStatus
    url: str
    network: RdapNetwork | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds, from a numeric Retry-After header
    retryable: bool = False  # worth asking again after a pause


class _Refused(Exception):
    """An exchange that ends without retrying: carries its final status and reason."""

    def __init__(self, status: RdapStatus, url: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.url = url
        self.reason = reason


class RdapClient:
    """Looks up IP networks over RDAP; see the module docstring for the guarantees."""

    def __init__(
        self,
        bootstrap: Bootstrap,
        *,
        timeout: float = 10.0,
        max_attempts: int = 4,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        max_referrals: int = 3,
        cache: RdapCache | None = None,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str = "hotline-rdap/0.1",
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._bootstrap = bootstrap
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._max_referrals = max_referrals
        self._cache = cache
        self._sleep = sleep
        self._headers = {"Accept": _ACCEPT, "User-Agent": user_agent}
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=timeout)

    def __enter__(self) -> RdapClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client if this object made it (a client passed in is the caller's)."""
        if self._owns_client:
            self._client.close()

    def lookup(self, ip: str) -> RdapOutcome:
        """The network holding ``ip`` and its abuse contacts, or why there is none.

        ``outcome.ip`` is the canonical spelling of the address (the input unchanged when
        it is not an address)."""
        return self._lookup(ip, self._cache)

    def lookup_many(
        self,
        ips: Iterable[str],
        *,
        progress: Callable[[RdapOutcome], None] | None = None,
    ) -> list[RdapOutcome]:
        """One outcome per input, in order. Sequential on purpose: RIRs throttle parallel
        clients. Without a configured cache a temporary one still makes it one query per
        network, not per address."""
        cache = self._cache if self._cache is not None else MemoryRdapCache()
        outcomes = []
        for ip in ips:
            outcome = self._lookup(ip, cache)
            outcomes.append(outcome)
            if progress is not None:
                progress(outcome)
        return outcomes

    def _lookup(self, ip: str, cache: RdapCache | None) -> RdapOutcome:
        canonical = canonical_ip(ip) if isinstance(ip, str) else None
        if canonical is None:
            return _outcome(
                str(ip), "error", None, None, 0, f"{str(ip)[:80]!r} is not an IP address"
            )
        if cache is not None:
            cached = cache.get(canonical)
            if cached is not None:
                return cached
        outcome = self._query(canonical)
        if cache is not None:
            cache.put(outcome)
        return outcome

    def _query(self, ip: str) -> RdapOutcome:
        """Ask each registry base in turn; only a 404 moves on to the next base (an RIR's
        mirror or a second server for the same prefix may hold what the first lacks)."""
        bases = _preferred(self._bootstrap.base_urls(ip))
        if not bases:
            return _outcome(ip, "no_registry", None, None, 0, f"no RDAP registry for {ip}")
        attempts = 0
        result = _Try("error", bases[0])
        for base in bases:
            result, used = self._with_retries(f"{base}ip/{ip}")
            attempts += used
            if result.status != "not_found":
                break
        return _outcome(ip, result.status, result.network, result.url, attempts, result.error)

    def _with_retries(self, url: str) -> tuple[_Try, int]:
        """Repeat one query on 429, 5xx, timeouts and connection failures, backing off."""
        attempt = 0
        while True:
            attempt += 1
            result = self._exchange(url)
            if not result.retryable or attempt >= self._max_attempts:
                return result, attempt
            self._sleep(self._delay(attempt, result.retry_after))

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff (backoff, 2*backoff, 4*backoff, ...), or the server's
        numeric Retry-After; never more than max_backoff."""
        wanted = retry_after if retry_after is not None else self._backoff * 2 ** (attempt - 1)
        return max(0.0, min(self._max_backoff, wanted))

    def _exchange(self, url: str) -> _Try:
        """One request, following up to max_referrals redirects."""
        current = url
        try:
            for _ in range(self._max_referrals + 1):
                step = self._request(current)
                if isinstance(step, _Try):
                    return step
                current = step
            raise _Refused("error", current, f"more than {self._max_referrals} referrals")
        except _Refused as refused:
            return _Try(refused.status, refused.url, error=refused.reason)
        except httpx.TimeoutException as error:
            reason = f"timed out after {self._timeout:g}s ({_name(error)})"
            return _Try("timeout", current, error=reason, retryable=True)
        except httpx.HTTPError as error:  # connection refused or reset, TLS, protocol errors
            reason = f"{_name(error)}: {str(error)[:160]}"
            return _Try("error", current, error=reason, retryable=True)

    def _request(self, url: str) -> _Try | str:
        """GET ``url``: how it ended, or the URL a redirect points to."""
        deadline = time.monotonic() + self._timeout * 3  # a dribbling server is a timeout too
        with self._client.stream(
            "GET", url, headers=self._headers, timeout=self._timeout, follow_redirects=False
        ) as response:
            code = response.status_code
            if code in _REDIRECTS:
                return _next_location(url, response)
            if code == 200:
                return self._read(url, response, deadline)
            return _status_try(url, response)

    def _read(self, url: str, response: httpx.Response, deadline: float) -> _Try:
        """Decode a 200 answer. A declared non-JSON type (an HTML error page, an image) is
        refused before a byte of the body is read."""
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind and kind != "application/json" and not kind.endswith("+json"):
            reason = f"content type {kind[:60]!r} is not JSON (not read)"
            return _Try("malformed", url, error=reason)
        try:
            body = _read_capped(response, deadline, url)
        except httpx.DecodingError as error:  # a broken gzip/deflate/brotli encoding
            return _Try("malformed", url, error=f"undecodable body ({_name(error)})")
        try:
            document = json.loads(body)
        except (ValueError, RecursionError) as error:
            return _Try("malformed", url, error=f"not JSON: {str(error)[:120]}")
        try:
            network = parse_ip_network(document)
        except RdapFormatError as error:
            return _Try("malformed", url, error=f"not an RDAP ip network: {error}")
        return _Try("ok", url, network=network)


def _read_capped(response: httpx.Response, deadline: float, url: str) -> bytes:
    """The body, refused before it is all read if it is larger than MAX_RESPONSE_BYTES or
    arrives after the deadline."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        raise _Refused("malformed", url, f"response of {declared} bytes exceeds the 1 MiB cap")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise _Refused("malformed", url, "response exceeds the 1 MiB cap")
        if time.monotonic() > deadline:
            raise _Refused("timeout", url, "response still arriving after the deadline")
        chunks.append(chunk)
    return b"".join(chunks)


def _next_location(url: str, response: httpx.Response) -> str:
    """The absolute redirect target; only http(s), and never from https down to http."""
    location = response.headers.get("location")
    if not location:
        raise _Refused("error", url, f"HTTP {response.status_code} redirect without Location")
    try:
        target = httpx.URL(url).join(location)
    except httpx.InvalidURL:
        raise _Refused("error", url, f"redirect to an invalid URL {location[:80]!r}") from None
    if target.scheme not in ("http", "https"):
        raise _Refused("error", url, f"redirect to a {target.scheme!r} URL refused")
    if url.startswith("https://") and target.scheme == "http":
        raise _Refused("error", url, "redirect from https down to http refused")
    return str(target)


def _status_try(url: str, response: httpx.Response) -> _Try:
    """Map a non-200, non-redirect answer; its body is never read."""
    code = response.status_code
    if code == 404:
        return _Try("not_found", url, error="HTTP 404: the registry holds no such network")
    if code == 429:
        reason = "HTTP 429: rate limited"
        return _Try(
            "rate_limited", url, error=reason, retry_after=_retry_after(response), retryable=True
        )
    if code >= 500:
        reason = f"HTTP {code}: server error"
        return _Try(
            "server_error", url, error=reason, retry_after=_retry_after(response), retryable=True
        )
    return _Try("error", url, error=f"HTTP {code}")


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from a numeric Retry-After; the HTTP-date form is ignored (clock skew)."""
    value = response.headers.get("retry-after", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 and seconds == seconds else None  # rejects NaN


def _preferred(bases: tuple[str, ...]) -> tuple[str, ...]:
    """Drop plain-http bases when the registry also offers https (RFC 9224 §3)."""
    secure = tuple(base for base in bases if base.startswith("https://"))
    return secure or bases


def _outcome(
    ip: str,
    status: RdapStatus,
    network: RdapNetwork | None,
    url: str | None,
    attempts: int,
    error: str | None,
) -> RdapOutcome:
    return RdapOutcome(
        ip=ip,
        status=status,
        network=network,
        url=url,
        attempts=attempts,
        error=None if status == "ok" else (error or status),
        fetched_at=datetime.now(UTC),
    )


def _name(error: BaseException) -> str:
    return type(error).__name__
