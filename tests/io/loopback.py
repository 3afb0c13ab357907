"""Small loopback venues for transport tests: a websockets server and an aiohttp REST app on
127.0.0.1 (port 0), speaking a real venue's protocol through its wire encoder
(``arb/venues/<venue>/wire.py``).

Not the venue simulator: just enough of Binance, Kraken, OKX and KuCoin — subscribe, acks,
snapshots, deltas, pings, REST snapshots and tokens — plus the faults the tests inject
(dropped connections, skipped sequences, corrupted checksums, refused handshakes, 429s,
stalls). The truth books live in :class:`Market`; a test compares the feed's books with them.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp import web
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from arb.book.book import OrderBook
from arb.core.numbers import FixedParser
from arb.io.clock import SystemClock
from arb.venues.binance import wire as binance_wire
from arb.venues.coinbase import wire as coinbase_wire
from arb.venues.kraken import wire as kraken_wire
from arb.venues.kucoin import wire as kucoin_wire
from arb.venues.okx import wire as okx_wire
from arb.venues.base import VenueSpec

ENCODERS = {
    "binance": binance_wire.Encoder, "coinbase": coinbase_wire.Encoder, "kraken": kraken_wire.Encoder,
    "kucoin": kucoin_wire.Encoder, "okx": okx_wire.Encoder,
}
#: Venues whose books start from a snapshot pushed on subscribe.
WS_SNAPSHOT = {"coinbase", "kraken", "okx"}


async def until(predicate: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    """Wait (polling every 5 ms) until ``predicate()`` holds; fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


def levels(book: OrderBook) -> tuple[list, list]:
    return [tuple(lv[:2]) for lv in book.bids()], [tuple(lv[:2]) for lv in book.asks()]


class OffsetClock(SystemClock):
    """The real clocks, with the wall clock shifted by ``offset_ns`` (staleness tests)."""

    def __init__(self) -> None:
        self.offset_ns = 0

    def now_ns(self) -> int:
        return super().now_ns() + self.offset_ns


class FakeClock:
    """Time that passes only when slept: every sleep is recorded and returns at once."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def now_ns(self) -> int:
        return int(self.t * 1e9)

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(0.0, seconds)
        await asyncio.sleep(0)


class Market:
    """Truth books and update ids of some symbols; changes drawn from a seeded ``rng``."""

    def __init__(self, venue: str, symbols: list[str], rng: random.Random, levels_per_side: int = 6) -> None:
        self.venue = venue
        self.rng = rng
        self.parser = FixedParser()
        self.books: dict[str, OrderBook] = {}
        self.seq: dict[str, int] = {}
        for i, symbol in enumerate(symbols):
            book = OrderBook(venue, symbol, None, self.parser)
            bids = [(self._price(i, "bid", k), self._qty()) for k in range(levels_per_side)]
            asks = [(self._price(i, "ask", k), self._qty()) for k in range(levels_per_side)]
            book.load(bids, asks)
            self.books[symbol] = book
            self.seq[symbol] = rng.randrange(10**6, 10**7)

    @staticmethod
    def _price(i: int, side: str, k: int) -> str:
        base = 100 * (i + 1)
        return f"{base - 1 - k * 0.5:.2f}" if side == "bid" else f"{base + 1 + k * 0.5:.2f}"

    def _qty(self) -> str:
        return f"{self.rng.randint(1, 5000) / 1000:.3f}"

    def change(self, symbol: str) -> tuple[list, list]:
        """One to three level changes (some deletions), applied to the truth book."""
        i = list(self.books).index(symbol)
        bids, asks = [], []
        for _ in range(self.rng.randint(1, 3)):
            side = self.rng.choice(("bid", "ask"))
            price = self._price(i, side, self.rng.randrange(10))
            qty = "0.000" if self.rng.random() < 0.25 else self._qty()
            (bids if side == "bid" else asks).append((price, qty))
        self.books[symbol].apply(bids, asks)
        return bids, asks


class _Client:
    """One accepted websocket: its subscriptions, an ordered outbox and what it sent us."""

    def __init__(self, ws: ServerConnection, encoder: Any) -> None:
        self.ws = ws
        self.encoder = encoder
        self.subscribed: set[str] = set()
        self.received: list[str] = []
        self.outbox: asyncio.Queue[str | bytes | None] = asyncio.Queue()

    def put(self, frame: str | bytes) -> None:
        self.outbox.put_nowait(frame)


class LoopbackVenue:
    """A venue on loopback. ``start()`` it, point a feed at :attr:`ws_url` / :attr:`rest_url`."""

    def __init__(self, spec: VenueSpec, symbols: list[str], seed: int = 1) -> None:
        self.spec = spec
        self.name = spec.name
        self.market = Market(spec.name, symbols, random.Random(seed))
        self.symbols = spec.symbol_map(symbols)
        self.clients: list[_Client] = []
        self.connects = 0
        #: Handshakes answered with this status instead of accepted (while > 0 remain).
        self.refuse_status = 503
        self.refuse_next = 0
        self.handshake_times: list[float] = []
        self.handshake_clock: Callable[[], float] | None = None
        #: REST answers to give before the real ones: ``(status, headers)``.
        self.rest_faults: deque[tuple[int, dict[str, str]]] = deque()
        self.rest_requests: list[tuple[str, str, dict[str, str]]] = []
        #: While True, the server sends nothing and answers nothing.
        self.stalled = False
        self.sent_frames: list[tuple[int, str | bytes]] = []
        self._server: Server | None = None
        self._runner: web.AppRunner | None = None
        self._ticker: asyncio.Task[None] | None = None
        self.ws_url = ""
        self.rest_url = ""

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> LoopbackVenue:
        self._server = await serve(self._handle, "127.0.0.1", 0, process_request=self._process_request, compression=None)
        port = self._server.sockets[0].getsockname()[1]
        self.ws_url = f"ws://127.0.0.1:{port}"
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, rport = self._runner.addresses[0][:2]
        self.rest_url = f"http://{host}:{rport}"
        return self

    async def stop(self) -> None:
        self.stop_ticker()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if self._runner is not None:
            await self._runner.cleanup()

    def start_ticker(self, interval_s: float = 0.005, symbols: list[str] | None = None) -> None:
        """Publish a change every ``interval_s``, round-robin over ``symbols`` (default all)."""

        async def tick() -> None:
            names = symbols or list(self.market.books)
            n = 0
            while True:
                self.publish(names[n % len(names)])
                n += 1
                await asyncio.sleep(interval_s)

        self.stop_ticker()
        self._ticker = asyncio.ensure_future(tick())

    def stop_ticker(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    # -- market ----------------------------------------------------------------------------
    def publish(self, symbol: str, skip: int = 0, corrupt: bool = False) -> None:
        """One change of ``symbol``: ``skip`` ids are lost before it (a gap); ``corrupt``
        sends a wrong checksum."""
        market = self.market
        if skip:
            market.seq[symbol] += skip
        bids, asks = market.change(symbol)
        first = market.seq[symbol] + 1
        last = market.seq[symbol] = first + max(1, len(bids) + len(asks)) - 1
        ts = SystemClock().now_ns()
        for client in self.clients:
            if symbol in client.subscribed and not self.stalled:
                for frame in client.encoder.delta(symbol, bids, asks, first, last, ts, market.books[symbol]):
                    if corrupt:
                        frame = re.sub(r'"checksum":(-?\d+)', lambda m: f'"checksum":{int(m.group(1)) ^ 1}', frame)
                    client.put(frame)

    async def drop_all(self) -> None:
        """Close every client connection (the venue dropped them)."""
        for client in list(self.clients):
            client.put(None)
            await client.ws.close(1011, "dropped")

    @property
    def live_clients(self) -> list[_Client]:
        return [c for c in self.clients if c.ws.state.name == "OPEN"]

    # -- websocket -------------------------------------------------------------------------
    def _process_request(self, connection: ServerConnection, request: Any) -> Any:
        if self.handshake_clock is not None:
            self.handshake_times.append(self.handshake_clock())
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return connection.respond(self.refuse_status, "busy\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        self.connects += 1
        client = _Client(ws, ENCODERS[self.name](self.symbols, self.spec.depth))
        self.clients.append(client)
        writer = asyncio.ensure_future(self._write(client))
        try:
            if self.name == "binance":
                streams = parse_qs(urlsplit(ws.request.path).query)["streams"][0].split("/")
                natives = {s.split("@")[0].upper() for s in streams}
                client.subscribed |= {self.symbols.unified(n) for n in natives}
            elif self.name == "kucoin":
                client.put(json.dumps({"id": "welcome-1", "type": "welcome"}))
            async for message in ws:
                client.received.append(message)  # type: ignore[arg-type]
                if not self.stalled:
                    self._on_message(client, message)  # type: ignore[arg-type]
        except ConnectionClosed:
            pass
        finally:
            client.subscribed.clear()
            client.put(None)
            await asyncio.gather(writer, return_exceptions=True)

    async def _write(self, client: _Client) -> None:
        while (frame := await client.outbox.get()) is not None:
            if self.stalled:
                continue
            try:
                await client.ws.send(frame)
            except ConnectionClosed:
                return
            self.sent_frames.append((self.clients.index(client), frame))

    def _on_message(self, client: _Client, text: str) -> None:
        if self.name == "okx" and text == "ping":
            client.put("pong")
            return
        msg = json.loads(text)
        handler = getattr(self, f"_{self.name}_message")
        handler(client, msg)

    def _subscribe(self, client: _Client, symbol: str) -> None:
        """Start streaming ``symbol`` to ``client`` (with an ack and, for in-stream venues, a snapshot)."""
        market = self.market
        if hasattr(client.encoder, "subscribe_ack"):
            for frame in client.encoder.subscribe_ack(symbol, SystemClock().now_ns()):
                client.put(frame)
        if self.name in WS_SNAPSHOT:
            book = market.books[symbol]
            for frame in client.encoder.snapshot(symbol, book.bids(), book.asks(), market.seq[symbol], SystemClock().now_ns(), book):
                client.put(frame)
        client.subscribed.add(symbol)

    def _binance_message(self, client: _Client, msg: dict) -> None:
        client.put(json.dumps({"result": None, "id": msg.get("id")}))

    def _kraken_message(self, client: _Client, msg: dict) -> None:
        method = msg.get("method")
        if method == "ping":
            client.put(json.dumps({"method": "pong", "req_id": msg.get("req_id")}))
            return
        for native in msg["params"]["symbol"]:
            symbol = self.symbols.unified(native)
            if method == "subscribe":
                self._subscribe(client, symbol)
            else:
                client.subscribed.discard(symbol)
                result = {"channel": "book", "symbol": native, "depth": msg["params"].get("depth")}
                client.put(json.dumps({"method": "unsubscribe", "result": result, "success": True}))

    def _coinbase_message(self, client: _Client, msg: dict) -> None:
        ts = SystemClock().now_ns()
        if msg["channel"] != "level2":
            client.put(client.encoder.subscriptions({"heartbeats": ["heartbeats"]}, ts))
            return
        symbols = [self.symbols.unified(native) for native in msg["product_ids"]]
        if msg["type"] == "unsubscribe":
            client.subscribed.difference_update(symbols)
            acked = set(client.subscribed)
        else:
            acked = client.subscribed | set(symbols)
        client.put(client.encoder.subscriptions({"level2": sorted(map(self.symbols.venue_symbol, acked))}, ts))
        if msg["type"] == "subscribe":
            for symbol in symbols:
                self._subscribe(client, symbol)

    def _okx_message(self, client: _Client, msg: dict) -> None:
        for arg in msg["args"]:
            symbol = self.symbols.unified(arg["instId"])
            if msg["op"] == "subscribe":
                self._subscribe(client, symbol)
            else:
                client.subscribed.discard(symbol)
                client.put(json.dumps({"event": "unsubscribe", "arg": arg, "connId": "x"}))

    def _kucoin_message(self, client: _Client, msg: dict) -> None:
        if msg["type"] == "ping":
            client.put(json.dumps({"id": msg["id"], "type": "pong"}))
            return
        topic = msg["topic"]
        if msg["type"] == "subscribe" and topic.startswith("/market/level2:"):
            for native in topic.partition(":")[2].split(","):
                self._subscribe(client, self.symbols.unified(native))
        client.put(json.dumps({"id": msg["id"], "type": "ack"}))

    # -- REST --------------------------------------------------------------------------------
    async def _rest(self, request: web.Request) -> web.Response:
        self.rest_requests.append((request.method, request.path_qs, dict(request.headers)))
        if self.rest_faults:
            status, headers = self.rest_faults.popleft()
            return web.Response(status=status, headers=headers, text='{"code":-1003,"msg":"Too many requests"}')
        if request.path.endswith("/bullet-public"):
            body = {
                "code": "200000",
                "data": {
                    "token": "SECRET-TOKEN",
                    "instanceServers": [
                        {"endpoint": self.ws_url + "/", "encrypt": False, "protocol": "websocket",
                         "pingInterval": 1000, "pingTimeout": 1000}
                    ],
                },
            }
            return web.json_response(body)
        native = request.query[self.spec.snapshot_symbol_param]
        symbol = self.symbols.unified(native)
        book = self.market.books[symbol]
        encoder = ENCODERS[self.name](self.symbols, self.spec.depth)
        _, body = encoder.rest_snapshot(self.rest_url, symbol, book.bids(), book.asks(), self.market.seq[symbol], SystemClock().now_ns())
        return web.Response(text=body, content_type="application/json")
