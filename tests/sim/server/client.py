"""A minimal feed client for tests: one websocket connection, REST snapshots, VenueBooks.

It does what a real client of the venue does, with nothing of arb.io: connect (KuCoin via
its token endpoint), subscribe with the venue module's frames, sync from REST or the
stream, resync a book when VenueBooks asks (REST fetch, or unsubscribe + subscribe), and
count what it saw. Decoding and sync are the real venue adapters.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence

import aiohttp
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from arb.book.book import OrderBook
from arb.sim.server import VenueServer
from arb.venues.books import VenueBooks


class Client:
    def __init__(self, server: VenueServer, symbols: Sequence[str], *, every_symbol: bool = False, full_snapshots: bool = False) -> None:
        """``every_symbol``: books for every symbol seen (as ``arb verify``); ``full_snapshots``:
        ask for the full REST book even where it needs a key (a replay serves what was recorded)."""
        self.server = server
        self.spec = server.spec
        self.symbols = list(symbols)
        # Without credentials a venue whose full book needs a key is synced from its public,
        # depth-limited snapshot, and books are cut to that depth (KuCoin level2_100).
        public = self.spec.public_snapshot_depth if self.spec.sign_request and not full_snapshots else None
        self.snapshot_depth = public or self.spec.depth
        self.books = VenueBooks(self.spec, None if every_symbol else self.symbols, depth=self.snapshot_depth)
        smap = self.books.symbol_map
        self.natives = [smap.venue_symbol(s) for s in self.symbols]
        self.ws: ClientConnection | None = None
        self.conn = 0
        self.frames = 0
        self.rest_status: Counter[int] = Counter()
        self.rest_headers: list[dict[str, str]] = []
        self.closed: list[BaseException] = []
        self.resyncs: Counter[str] = Counter()
        self.ws_url: str | None = None
        self._http: aiohttp.ClientSession | None = None
        self._pending: list[str] = []

    # -- connection -----------------------------------------------------------------------
    async def connect(self, sync: bool = True) -> None:
        """Open a connection, subscribe every symbol, and (REST venues) fetch snapshots."""
        spec = self.spec
        if self._http is None:
            self._http = aiohttp.ClientSession()
        if spec.connect_request is not None:
            request = spec.connect_request(self.server.rest_url)
            async with self._http.request(request.method, request.url) as response:
                body = await response.text()
            url, _, _ = spec.connect_url_from_response(body, f"test{self.conn + 1}")  # type: ignore[misc]
        else:
            url = spec.connect_url(self.server.ws_url, self.natives, spec.depth)
        self.ws_url = url
        self.ws = await websockets.connect(url, compression=None, max_size=None, max_queue=None, ping_interval=None)
        self.conn += 1
        self.books.on_connect(self.conn)
        if spec.subscribe_after is not None:
            await self.recv()  # the welcome
        frames = spec.subscribe_frames(self.natives, spec.depth, time.time_ns() // 1_000_000)
        for frame in frames:
            await self.ws.send(frame)
        if sync and spec.snapshot_source == "rest":
            if frames:
                await self.ping()  # the subscriptions are in force once the server answered
            for symbol in self.symbols:
                await self.snapshot(symbol)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._http is not None:
            await self._http.close()

    async def ping(self) -> None:
        """A round trip through the server: send the venue's ping, read until its answer."""
        spec = self.spec
        if spec.ping_frame is None:
            return
        await self.ws.send(spec.ping_frame(1, time.time_ns() // 1_000_000))  # type: ignore[union-attr]
        before = self._replies()
        while self._replies() == before:
            await self.recv()

    def _replies(self) -> int:
        # Binance answers its ping with {"result":true,"id":n}, which its decoder rejects
        # today: count decode errors as answers too.
        return self.books.controls["pong"] + self.books.controls["ack"] + sum(self.books.errors.values())

    async def snapshot(self, symbol: str) -> int:
        """GET the REST snapshot of ``symbol`` and feed it; returns the HTTP status."""
        native = self.books.symbol_map.venue_symbol(symbol)
        request = self.spec.snapshot_request(self.server.rest_url, native, self.snapshot_depth)  # type: ignore[misc]
        async with self._http.request(request.method, request.url, headers=request.headers) as response:  # type: ignore[union-attr]
            body = await response.text()
            self.rest_status[response.status] += 1
            self.rest_headers.append(dict(response.headers))
        if response.status == 200:
            self._handle(self.books.on_rest(request.url, body, time.time_ns()).resync)
        return response.status

    # -- reading --------------------------------------------------------------------------
    async def recv(self, timeout: float = 5.0) -> str | bytes:
        """One frame, fed to the books (resyncs are handled)."""
        try:
            frame = await asyncio.wait_for(self.ws.recv(), timeout)  # type: ignore[union-attr]
        except ConnectionClosed as exc:
            self.closed.append(exc)
            raise
        self.frames += 1
        self._handle(self.books.on_frame(self.conn, frame, time.time_ns()).resync)
        return frame

    def _handle(self, resync: tuple[str, ...]) -> None:
        for symbol in resync:
            self.resyncs[symbol] += 1
            self._pending.append(symbol)

    async def resync_pending(self) -> None:
        """Fetch snapshots (REST) or resubscribe (stream) for books that asked for one."""
        pending, self._pending = self._pending, []
        spec = self.spec
        now_ms = time.time_ns() // 1_000_000
        for symbol in dict.fromkeys(pending):
            native = self.books.symbol_map.venue_symbol(symbol)
            if spec.snapshot_source == "rest":
                await self.snapshot(symbol)
            elif spec.unsubscribe_frames is not None:
                for frame in spec.unsubscribe_frames([native], spec.depth, now_ms) + spec.subscribe_frames([native], spec.depth, now_ms):
                    await self.ws.send(frame)  # type: ignore[union-attr]

    async def pump_until(self, done: Callable[[], bool], timeout: float = 5.0) -> None:
        """Read frames (resyncing as asked) until ``done()``; TimeoutError after ``timeout`` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not done():
            await self.resync_pending()
            if done():
                return
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError("condition not reached")
            try:
                await self.recv(timeout=left)
            except TimeoutError:
                raise TimeoutError("condition not reached") from None

    # -- comparing ------------------------------------------------------------------------
    def book(self, symbol: str) -> OrderBook:
        book = self.books.book(symbol)
        assert book is not None
        return book

    def matches(self, symbol: str) -> bool:
        """The client's book is live and equal, level for level, to the server's truth."""
        book, truth = self.book(symbol), self.server.book(symbol)
        depth = book.max_depth
        return book.is_live and book.bid_levels(depth) == truth.bid_levels(depth) and book.ask_levels(depth) == truth.ask_levels(depth)

    def all_match(self) -> bool:
        return all(self.matches(s) for s in self.symbols)


async def settle(sims: object, client: Client, done: Callable[[], bool], rounds: int = 40, step_ms: float = 100.0) -> None:
    """Read (and resync) until ``done()``, moving the market on whenever the client has
    nothing left to read; TimeoutError after ``rounds`` market steps."""
    for _ in range(rounds):
        try:
            await client.pump_until(done, timeout=0.1)
            return
        except TimeoutError:
            sims.advance(step_ms)  # type: ignore[attr-defined]
    raise TimeoutError("the client never got there")


def run(coro: object, timeout: float = 20.0) -> object:
    """Run one test coroutine with an overall timeout."""
    return asyncio.run(asyncio.wait_for(coro, timeout))  # type: ignore[arg-type]
