"""A venue's private websocket of order updates: the thin asyncio loop around its spec.

:class:`PrivateStream` performs one venue's :class:`~arb.venues.trading.PrivateStreamSpec` for
the live execution port (:class:`~arb.exec.live.LiveVenues`): it fetches the stream's token
where the venue hands one out (and keeps it alive), connects, sends the login and subscribe
frames, pings, and hands every decoded order state to
:meth:`~arb.exec.live.LiveVenues.on_stream`. When the stream carries updates it says so
(:meth:`~arb.exec.live.LiveVenues.on_stream_up`: the port queries the venue's open orders once);
when it drops, :meth:`~arb.exec.live.LiveVenues.on_stream_down` (polling resumes) and it
reconnects after a backoff (:class:`~arb.io.backoff.Backoff`, 1 s → 30 s with jitter; back to
the start once a connection carried updates).

Failures are never fatal to trading — the port polls without the stream — and never show a
credential: errors are logged as the venue words them (a refused login is an ``AUTH``
:class:`~arb.venues.trading.VenueError` naming the venue), with the stream's token (part of
Binance's URL) masked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import aiohttp
import websockets.exceptions as wse
from websockets.asyncio.client import ClientConnection, connect

from arb.exec.live import LiveVenues, VenueAccount
from arb.io.backoff import Backoff
from arb.io.clock import SYSTEM_CLOCK, Clock
from arb.venues.base import RestRequest
from arb.venues.trading import PrivateStreamSpec, StreamMessage, VenueError

log = logging.getLogger(__name__)

_MS = 1_000_000


class PrivateStream:
    """``venue``'s private order stream for ``port`` until :meth:`close` (see the module
    docstring). ``session`` performs the token requests; ``wake()`` is called after every
    update handed to the port."""

    def __init__(
        self,
        port: LiveVenues,
        venue: str,
        wake: Callable[[], None],
        session: aiohttp.ClientSession,
        *,
        clock: Clock = SYSTEM_CLOCK,
        backoff: Backoff | None = None,
        open_timeout_s: float = 10.0,
        ready_timeout_s: float = 10.0,
    ) -> None:
        account = port.accounts[venue]
        if account.spec.stream is None or not account.ws_url:
            raise ValueError(f"{venue}: no private stream (its trading spec has none, or the account no websocket URL)")
        self.port = port
        self.venue = venue
        self.account: VenueAccount = account
        self.spec: PrivateStreamSpec = account.spec.stream
        self.wake = wake
        self.session = session
        self.clock = clock
        self.backoff = backoff if backoff is not None else Backoff()
        self.open_timeout_s = open_timeout_s
        self.ready_timeout_s = ready_timeout_s
        self._closed = asyncio.Event()
        self._ws: ClientConnection | None = None
        self._token = ""
        self.ready = False
        #: Counters: ``connects``, ``failures``, ``updates`` (frames with order states),
        #: ``undecodable`` frames.
        self.stats: dict[str, int] = {"connects": 0, "failures": 0, "updates": 0, "undecodable": 0}
        self.last_error = ""

    async def run(self) -> None:
        attempt = 0
        while not self._closed.is_set():
            carried = False
            try:
                carried = await self._connect_once()
            except (OSError, TimeoutError, wse.WebSocketException, aiohttp.ClientError, VenueError) as exc:
                self.stats["failures"] += 1
                self.last_error = self._safe(f"{type(exc).__name__}: {exc}")
                log.warning("%s private stream: %s; orders are polled meanwhile", self.venue, self.last_error)
            finally:
                self._ws = None
                if self.ready:
                    self.ready = False
                    self.port.on_stream_down(self.venue, self.clock.now_ns())
                    self.wake()
            if self._closed.is_set():
                break
            attempt = 0 if carried else attempt + 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), self.backoff.delay(attempt))

    async def close(self) -> None:
        self._closed.set()
        ws = self._ws
        if ws is not None:
            await ws.close()

    def _safe(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    async def _connect_once(self) -> bool:
        """One connection, until it closes; whether it carried updates."""
        spec, account = self.spec, self.account
        self._token = await self._fetch_token() if spec.token is not None else ""
        url = spec.url(account.ws_url, self._token)
        async with connect(url, open_timeout=self.open_timeout_s, compression=None, max_size=1 << 22) as ws:
            self._ws = ws
            self.stats["connects"] += 1
            if self._closed.is_set():
                return False
            helpers = [asyncio.ensure_future(self._ping(ws))]
            if spec.keepalive is not None:
                helpers.append(asyncio.ensure_future(self._keepalive()))
            try:
                if spec.login is not None:
                    for frame in spec.login(account.credentials, self._sign_ms()):
                        await ws.send(frame)
                else:
                    await self._logged_in(ws)
                return await self._read(ws, spec.decoder() if spec.decoder is not None else spec.decode)
            finally:
                for task in helpers:
                    task.cancel()
                await asyncio.gather(*helpers, return_exceptions=True)

    async def _read(self, ws: ClientConnection, decode: Callable[[str | bytes], StreamMessage]) -> bool:
        deadline = asyncio.get_running_loop().time() + self.ready_timeout_s
        while True:
            timeout = None if self.ready else max(0.0, deadline - asyncio.get_running_loop().time())
            try:
                frame = await asyncio.wait_for(ws.recv(), timeout)
            except wse.ConnectionClosed:
                return self.ready
            except TimeoutError:
                raise TimeoutError(f"{self.venue}: no login or subscription answer in {self.ready_timeout_s:g} s") from None
            try:
                message = decode(frame)
            except VenueError as exc:
                if exc.code != "decode":
                    raise  # a refused login or subscription: reconnect after the backoff
                self.stats["undecodable"] += 1
                continue
            if message.logged_in:
                await self._logged_in(ws)
            if message.subscribed:
                self._up()
            if message.states:
                self.stats["updates"] += 1
                self.port.on_stream(self.venue, list(message.states), self.clock.now_ns())
                self.wake()

    async def _logged_in(self, ws: ClientConnection) -> None:
        frames = list(self.spec.subscribe)
        if self.spec.subscribe_token is not None:
            frames += self.spec.subscribe_token(self._token)
        for frame in frames:
            await ws.send(frame)
        if not frames:
            self._up()

    def _up(self) -> None:
        if not self.ready:
            self.ready = True
            self.port.on_stream_up(self.venue, self.clock.now_ns())
            self.wake()

    async def _ping(self, ws: ClientConnection) -> None:
        ping = self.spec.ping
        if ping is None:
            return
        while True:
            await asyncio.sleep(self.spec.ping_interval_s)
            await ws.send(ping)

    def _sign_ms(self) -> int:
        return self.port.sign_ms(self.venue, self.clock.now_ns())

    async def _keepalive(self) -> None:
        keepalive = self.spec.keepalive
        assert keepalive is not None
        while True:
            await asyncio.sleep(self.spec.keepalive_s)
            request = keepalive(self.account.rest_url, self.account.credentials, self._token, self._sign_ms())
            try:
                await self._request(request)
            except (OSError, TimeoutError, aiohttp.ClientError, VenueError) as exc:
                log.warning("%s private stream keepalive failed: %s", self.venue, self._safe(f"{type(exc).__name__}: {exc}"))

    async def _fetch_token(self) -> str:
        spec = self.spec
        assert spec.token is not None and spec.decode_token is not None
        status, body = await self._request(spec.token(self.account.rest_url, self.account.credentials, self._sign_ms()))
        return spec.decode_token(status, body)

    async def _request(self, request: RestRequest) -> tuple[int, str]:
        """Perform ``request``; a 2xx answer's ``(status, body)``, else the venue's classified error."""
        async with self.session.request(request.method, request.url, headers=request.headers,
                                        data=request.body.encode() if request.body else None) as response:
            body = await response.text()
            if not 200 <= response.status < 300:
                raise self.account.spec.classify(response.status, body, dict(response.headers.items()))
            return response.status, body


__all__ = ["PrivateStream"]
