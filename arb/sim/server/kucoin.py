"""KuCoin (classic websocket API), server side: bullet tokens, welcome, level2 + ticker topics.

- ``POST /api/v1/bullet-public`` → a token and this server's endpoint
  (``instanceServers[0]``: ``pingInterval`` 18000, ``pingTimeout`` 10000 ms). Connections
  without a token it issued are refused (HTTP 401) unless ``require_auth`` is off.
- On connect ``{"id":"<connectId>","type":"welcome"}``.
- ``{"id":"1","type":"subscribe","topic":"/market/level2:BTC-USDT,ETH-USDT","response":true}``
  → ``{"id":"1","type":"ack"}``; ``trade.l2update`` messages follow, each change with its
  own sequence. ``/market/ticker:…`` → ``trade.ticker`` at the book's sequence whenever
  the top changes. ``unsubscribe`` likewise. Unknown topics:
  ``{"id":"1","type":"error","code":404,"data":"topic … is not found"}``.
- ``{"id":"n","type":"ping"}`` → ``{"id":"n","type":"pong"}``.
- REST books: ``GET /api/v3/market/orderbook/level2`` (full; needs an API key — a request
  without ``KC-API-KEY`` gets 401 unless ``require_auth`` is off) and the public
  ``/api/v1/market/orderbook/level2_20`` / ``level2_100``, all with ``data.sequence``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs

import msgspec
from aiohttp import web

from arb.book.book import OrderBook
from arb.sim.server.frames import Out
from arb.sim.server.protocol import BOOK, TICKER, Route, VenueProtocol, json_response, read_json
from arb.sim.server.session import Session
from arb.sim.server.venue import Stream
from arb.venues.kucoin import Encoder
from arb.venues.kucoin import market_data as kucoin
from arb.venues.wire import Frame

_json = msgspec.json.Encoder()
_TOPICS = {"/market/level2": BOOK, "/market/ticker": TICKER}
_PING_INTERVAL_MS = 18000
_PING_TIMEOUT_MS = 10000


class KucoinProtocol(VenueProtocol):
    name = "kucoin"
    path = "/"
    default_streams = ((BOOK, None), (TICKER, None))

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.tokens: set[str] = set()

    def handshake(self, path: str) -> str | None:
        route, _, query = path.partition("?")
        if route != self.path:
            return f"no websocket endpoint at {route}"
        token = parse_qs(query).get("token", [""])[0]
        if self.server.options.require_auth and token not in self.tokens:
            return "invalid token: get one from POST /api/v1/bullet-public"
        return None

    def on_open(self, session: Session) -> None:
        connect_id = parse_qs(session.path.partition("?")[2]).get("connectId", [f"conn{session.conn_id}"])[0]
        self.send(session, [_json.encode({"id": connect_id, "type": "welcome"}).decode()])

    def is_ping(self, message: str | bytes) -> bool:
        msg = read_json(message)
        return isinstance(msg, dict) and msg.get("type") == "ping"

    def on_message(self, session: Session, message: str | bytes) -> None:
        msg = read_json(message)
        if not isinstance(msg, dict):
            self._error(session, None, 400, "invalid request: not a JSON object")
            return
        kind, req_id = msg.get("type"), msg.get("id")
        if kind == "ping":
            self.send(session, [_json.encode({"id": req_id, "type": "pong"}).decode()])
            return
        if kind not in ("subscribe", "unsubscribe"):
            self._error(session, req_id, 400, f"invalid request type {str(kind)[:40]}")
            return
        topic = msg.get("topic")
        prefix, _, natives = topic.partition(":") if isinstance(topic, str) else ("", "", "")
        stream_kind = _TOPICS.get(prefix)
        symbols = [self.server.unified(n) for n in natives.split(",")] if natives else []
        if stream_kind is None or not symbols or None in symbols or len(symbols) > kucoin.TOPIC_SYMBOLS:
            self._error(session, req_id, 404, f"topic {str(topic)[:80]} is not found")
            return
        for symbol in symbols:
            stream = self.server.stream(symbol, stream_kind)  # type: ignore[arg-type]
            if kind == "subscribe":
                self.server.subscribe(session, stream)
            else:
                self.server.unsubscribe(session, stream)
        if msg.get("response", True):
            self.send(session, [_json.encode({"id": req_id, "type": "ack"}).decode()])

    def _error(self, session: Session, req_id: Any, code: int, data: str) -> None:
        self.send(session, [_json.encode({"id": req_id, "type": "error", "code": code, "data": data}).decode()])

    # -- streams --------------------------------------------------------------------------
    def encoder(self, kind: str, param: Any) -> Encoder:
        return Encoder(self.server.symbol_map)

    def ticker(self, stream: Stream, book: OrderBook, seq: int, ts_ns: int) -> Sequence[Frame | Out]:
        top = (book.best_bid(), book.best_ask())
        if top == stream.state or top[0] is None or top[1] is None:
            return ()
        stream.state = top
        return [stream.encoder.ticker(stream.symbol, seq, top[0][:2], top[1][:2], ts_ns)]

    # -- REST -----------------------------------------------------------------------------
    def control_routes(self) -> list[Route]:
        return [Route("POST", kucoin.BULLET_PATH, self._bullet)]

    async def _bullet(self, request: web.Request) -> web.StreamResponse:
        token = f"sim{len(self.tokens) + 1:06d}{self.server.name}"
        self.tokens.add(token)
        server = {
            "endpoint": self.server.ws_url, "encrypt": False, "protocol": "websocket",
            "pingInterval": _PING_INTERVAL_MS, "pingTimeout": _PING_TIMEOUT_MS,
        }
        return json_response(_json.encode({"code": "200000", "data": {"token": token, "instanceServers": [server]}}).decode())

    def routes(self) -> list[Route]:
        return [
            Route("GET", kucoin.SNAPSHOT_PATH, self._full_book),
            Route("GET", kucoin.PARTIAL_100_PATH, self._partial(100)),
            Route("GET", kucoin.PARTIAL_20_PATH, self._partial(20)),
        ]

    async def _full_book(self, request: web.Request) -> web.StreamResponse:
        if self.server.options.require_auth and "KC-API-KEY" not in request.headers:
            return json_response(_json.encode({"code": "400003", "msg": "KC-API-KEY not exists"}).decode(), 401)
        return self._book(request, None)

    def _partial(self, depth: int) -> Any:
        async def partial(request: web.Request) -> web.StreamResponse:
            return self._book(request, depth)

        return partial

    def _book(self, request: web.Request, depth: int | None) -> web.StreamResponse:
        query = self.book_query(request, "symbol")
        if isinstance(query, str):
            return json_response(_json.encode({"code": "400100", "msg": query}).decode(), 400)
        symbol, _ = query
        bids, asks, seq, _ = self.snapshot_args(symbol, depth)
        bids, asks = [lv[:2] for lv in bids], [lv[:2] for lv in asks]
        _, body = self.encoder(BOOK, None).rest_snapshot(self.server.rest_url, symbol, bids, asks, seq, self.server.clock())
        return json_response(body)

    def rest_error(self, status: int, message: str) -> str:
        code = "429000" if status == 429 else f"{status}000"
        return _json.encode({"code": code, "msg": message}).decode()
