"""The I/O shell of live execution: performs :class:`~arb.exec.live.LiveVenues`' requests.

:class:`TradingShell` is the thin asyncio loop around the sans-I/O port: it takes the
requests the port has ready (:meth:`~arb.exec.live.LiveVenues.take_requests`), performs
each with aiohttp — concurrently, both legs of a trade at once — within the venue's REST
budget (:class:`~arb.io.ratelimit.RateBudget`, paused by a ``Retry-After``), and feeds every
answer or failure back (:meth:`~arb.exec.live.LiveVenues.on_response`,
:meth:`~arb.exec.live.LiveVenues.on_failure`), then calls ``wake`` so the host hands the
resulting events to the trader.

Whether a failed request may have reached the venue decides everything downstream: a
connection that could not be opened never sent anything (``maybe_sent=False``: safe to
retry); a timeout or a connection lost after the request was written may have placed an
order (``maybe_sent=True``: the port asks the venue what became of it).

In a dry run, requests that change anything (place, cancel) are logged — secrets masked —
and never sent; read-only ones (balances, queries) are performed.

Every account whose venue pushes order updates on a private websocket (and whose account
names the venue's websocket URL: :attr:`~arb.exec.live.VenueAccount.streams`) gets a
:class:`~arb.io.private_stream.PrivateStream` for as long as the shell runs: both hosts of the
port (the local runtime, the Ray executor actor) have it with nothing to do above the port.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import aiohttp

from arb.exec.live import LiveVenues, Outgoing
from arb.io.clock import SYSTEM_CLOCK, Clock
from arb.io.private_stream import PrivateStream
from arb.io.ratelimit import RateBudget
from arb.io.rest import parse_retry_after
from arb.venues.base import RestRequest

log = logging.getLogger(__name__)

#: Header and parameter names whose values are credentials or signatures.
_SECRET_WORDS = ("key", "sign", "pass", "auth", "token", "secret", "jwt")


def masked(request: RestRequest) -> str:
    """``METHOD url body`` with every credential and signature replaced by ``***``."""
    parts = urlsplit(request.url)
    query = urlencode([(k, "***" if _secret(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)])
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    headers = {k: ("***" if _secret(k) else v) for k, v in request.headers.items()}
    body = request.body
    if body and "=" in body and not body.lstrip().startswith("{"):
        body = urlencode([(k, "***" if _secret(k) else v) for k, v in parse_qsl(body, keep_blank_values=True)])
    return f"{request.method} {url} headers={headers} body={body[:500]}".replace("%2A%2A%2A", "***")


def _secret(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS)


class TradingShell:
    """Performs ``port``'s requests until :meth:`close` (see the module docstring).

    ``budgets``: per venue (None: each venue's ``TradingSpec.budget``). ``wake()`` is called
    after every answer.
    ``timeout_s``: how long one request may take before it counts as maybe-sent.
    ``streams``: open the venues' private streams (False: every order is polled).
    """

    def __init__(
        self,
        port: LiveVenues,
        wake: Callable[[], None],
        *,
        budgets: Mapping[str, RateBudget] | None = None,
        clock: Clock = SYSTEM_CLOCK,
        timeout_s: float = 10.0,
        session: aiohttp.ClientSession | None = None,
        streams: bool = True,
    ) -> None:
        self.port = port
        self.wake = wake
        if budgets is None:  # each venue's own, as its trading spec declares it
            budgets = {venue: RateBudget(account.spec.budget.weight, account.spec.budget.window_s, clock)
                       for venue, account in port.accounts.items() if account.spec.budget is not None}
        self.budgets = dict(budgets)
        self.clock = clock
        self.timeout_s = timeout_s
        self._session = session
        self._own_session = session is None
        self._kick = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        #: Request round trips (s) of answered requests, by kind: for reports and benchmarks.
        self.latency_s: dict[str, list[float]] = {}
        self._want_streams = streams
        #: The private streams, by venue (opened by :meth:`run`).
        self.streams: dict[str, PrivateStream] = {}
        self._stream_tasks: list[asyncio.Task[None]] = []

    def kick(self) -> None:
        """New requests may be ready: look now."""
        self._kick.set()

    async def run(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout_s))
        if self._want_streams:
            for venue, account in self.port.accounts.items():
                if account.streams:
                    stream = self.streams[venue] = PrivateStream(self.port, venue, self.wake, self._session, clock=self.clock)
                    self._stream_tasks.append(asyncio.ensure_future(stream.run()))
        try:
            while not self._closed:
                now = self.clock.now_ns()
                for out in self.port.take_requests(now):
                    task = asyncio.ensure_future(self._perform(out))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                due = self.port.next_request_ns()
                timeout = None if due is None else max(0.0, (due - self.clock.now_ns()) / 1e9)
                self._kick.clear()
                try:
                    await asyncio.wait_for(self._kick.wait(), timeout)
                except TimeoutError:
                    pass
        finally:
            await self._drain()

    async def close(self) -> None:
        self._closed = True
        self._kick.set()
        for stream in self.streams.values():
            await stream.close()

    async def _drain(self) -> None:
        if self._stream_tasks:  # closed above; one still connecting is cut short
            _, pending = await asyncio.wait(self._stream_tasks, timeout=2.0)
            for task in pending:
                task.cancel()
            await asyncio.gather(*self._stream_tasks, return_exceptions=True)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._own_session and self._session is not None:
            await self._session.close()

    async def _perform(self, out: Outgoing) -> None:
        request = out.request
        assert request is not None and self._session is not None
        port = self.port
        if port.dry_run and out.kind in ("place", "cancel"):
            log.info("dry run, not sent: %s %s", out.venue, masked(request))
            port.on_failure(out, "dry run: not sent", False, self.clock.now_ns())
            return
        budget = self.budgets.get(out.venue)
        if budget is not None:
            await budget.acquire(request.weight)
            # Signed again as it leaves: held back by the budget, its timestamp may have aged
            # past the venue's window (MEXC and Binance: 5 s).
            request = out.request = out.build(port.sign_ms(out.venue, self.clock.now_ns()))
        started = time.perf_counter()
        try:
            async with self._session.request(request.method, request.url, headers=request.headers,
                                             data=request.body.encode() if request.body else None) as response:
                body = await response.text()
                headers = {k: v for k, v in response.headers.items()}
                status = response.status
        except (aiohttp.ClientConnectorError, aiohttp.InvalidURL) as exc:
            port.on_failure(out, f"{type(exc).__name__}: could not connect", False, self.clock.now_ns())
        except (TimeoutError, aiohttp.ClientError) as exc:
            port.on_failure(out, f"{type(exc).__name__}: no answer (it may have reached {out.venue})", True, self.clock.now_ns())
        else:
            self.latency_s.setdefault(out.kind, []).append(time.perf_counter() - started)
            if status in (418, 429) and budget is not None:
                wait = parse_retry_after(headers.get("Retry-After"), time.time())
                budget.pause(wait if wait is not None else 1.0)
            port.on_response(out, status, body, headers, self.clock.now_ns())
        finally:
            self.wake()
