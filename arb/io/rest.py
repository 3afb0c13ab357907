"""REST calls for the feeds: snapshots and connect tokens, within each venue's budget.

:class:`RestClient` performs :class:`~arb.venues.base.RestRequest` values with aiohttp:
every call first spends its weight from the venue's :class:`~arb.io.ratelimit.RateBudget`,
has a total timeout, and is retried a bounded number of times with backoff when the failure
is retryable (:mod:`arb.io.errors`). A 429/418 answer pauses the venue's whole budget for
its ``Retry-After`` (seconds or an HTTP date), or for a backoff delay when it sends none.
"""

from __future__ import annotations

import email.utils
import logging
from dataclasses import dataclass

import aiohttp
import yarl

from arb.io.backoff import Backoff
from arb.io.clock import Clock
from arb.io.errors import HttpError, RateLimited, TransportError, classify, http_error
from arb.io.ratelimit import RateBudget
from arb.venues.base import RestRequest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RestResponse:
    """A 2xx answer: the request URL, status, body text and when it arrived (wall ns)."""

    url: str
    status: int
    body: str
    ts_recv_ns: int


def parse_retry_after(value: str | None, now_s: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds (``"120"``, also
    ``"1.5"``) or an HTTP date (``"Wed, 21 Oct 2015 07:28:00 GMT"``, measured from ``now_s``,
    unix seconds). None when absent or unreadable; never negative."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP date is always GMT
            return None
        seconds = when.timestamp() - now_s
    if seconds != seconds or seconds == float("inf"):  # NaN, inf
        return None
    return max(0.0, seconds)


class RestClient:
    """One venue's REST caller (owns its aiohttp session unless one is passed in)."""

    def __init__(
        self,
        venue: str,
        clock: Clock,
        backoff: Backoff,
        budget: RateBudget | None = None,
        *,
        timeout_s: float = 10.0,
        retries: int = 3,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.venue = venue
        self.clock = clock
        self.backoff = backoff
        self.budget = budget
        self.timeout_s = timeout_s
        self.retries = retries
        self._session = session
        self._owns_session = session is None
        self.requests = 0
        self.failures = 0
        self.rate_limited = 0
        self.last_error = ""

    async def fetch(self, request: RestRequest) -> RestResponse:
        """Perform ``request``; raise the last :class:`TransportError` once retries are spent
        (or at once for a failure that retrying cannot fix)."""
        attempt = 0
        while True:
            if self.budget is not None:
                await self.budget.acquire(request.weight)
            self.requests += 1
            try:
                return await self._send(request)
            except TransportError as exc:
                self.failures += 1
                self.last_error = str(exc)
                wait = exc.retry_after_s if isinstance(exc, HttpError) else None
                if wait is None:
                    wait = self.backoff.delay(attempt)
                if isinstance(exc, RateLimited):
                    self.rate_limited += 1
                    if self.budget is not None:
                        self.budget.pause(wait)  # every request of the venue waits
                        wait = 0.0
                if not exc.retryable or attempt >= self.retries:
                    raise
                log.info("%s: %s; retrying in %.2f s", self.venue, exc, wait)
                attempt += 1
                if wait > 0:
                    await self.clock.sleep(wait)

    async def _send(self, request: RestRequest) -> RestResponse:
        session = self._session
        if session is None:
            session = self._session = aiohttp.ClientSession(trust_env=True)
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        try:
            async with session.request(
                request.method,
                yarl.URL(request.url, encoded=True),  # signed URLs must go out byte for byte
                headers=request.headers or None,
                data=request.body.encode() if request.body else None,
                timeout=timeout,
                allow_redirects=False,
            ) as resp:
                raw = await resp.read()
                ts = self.clock.now_ns()
                if 200 <= resp.status < 300:
                    return RestResponse(request.url, resp.status, raw.decode("utf-8", errors="replace"), ts)
                retry_after = parse_retry_after(resp.headers.get("Retry-After"), ts / 1e9)
                raise http_error(self.venue, resp.status, request.url, retry_after)
        except TransportError:
            raise
        except (aiohttp.ClientError, OSError) as exc:  # OSError: TimeoutError too
            raise classify(self.venue, exc, "rest") from None

    async def close(self) -> None:
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None
