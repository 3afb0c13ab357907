"""Binance spot, server side: streams named in the URL, diff depth + bookTicker, ``/api/v3/depth``.

- ``/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker`` (combined: every payload
  wrapped as ``{"stream":…,"data":…}``) or ``/ws/btcusdt@depth@100ms`` (raw payloads).
- Live requests: ``{"method":"SUBSCRIBE"|"UNSUBSCRIBE","params":[…],"id":1}`` →
  ``{"result":null,"id":1}``; ``LIST_SUBSCRIPTIONS``; ``GET_PROPERTY ["combined"]`` →
  ``{"result":true,"id":n}`` (the client's liveness probe). Errors
  ``{"code":2,"msg":"Invalid request: …","id":…}``.
- The server pings at protocol level (websockets keepalive); no application heartbeat.
- ``GET /api/v3/depth?symbol=BTCUSDT&limit=1000`` → ``{"lastUpdateId":…,"bids":…,"asks":…}``
  (the true book at the current update id); unknown symbol → 400 ``{"code":-1121,…}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs

import msgspec
from aiohttp import web

from arb.book.book import OrderBook
from arb.sim.market import BookChange
from arb.sim.server.frames import Out
from arb.sim.server.protocol import BOOK, TICKER, Route, VenueProtocol, json_response, read_json
from arb.sim.server.session import Session
from arb.sim.server.venue import Stream
from arb.venues.binance import Encoder
from arb.venues.wire import Frame

_json = msgspec.json.Encoder()
#: Depth stream names the server serves (the 1000 ms stream carries the same diffs).
_DEPTH_STREAMS = ("depth@100ms", "depth")
_MAX_LIMIT = 5000


class BinanceProtocol(VenueProtocol):
    name = "binance"
    path = ""
    default_streams = ((BOOK, ("depth@100ms", False)), (TICKER, ("bookTicker", False)))

    def handshake(self, path: str) -> str | None:
        route = path.split("?", 1)[0]
        if route == "/stream" or route == "/ws" or route.startswith("/ws/"):
            return None
        return f"no websocket endpoint at {route}"

    def on_open(self, session: Session) -> None:
        route, _, query = session.path.partition("?")
        combined = route == "/stream"
        session.state["combined"] = combined
        names = parse_qs(query).get("streams", [""])[0].split("/") if combined else route[4:].split("/")
        for name in names:
            if name:
                self._subscribe(session, name)

    def is_ping(self, message: str | bytes) -> bool:
        msg = read_json(message)
        # arb's feed pings with SET_PROPERTY ["combined", true] (answered with null); other
        # clients use GET_PROPERTY. Both are property calls that keep a connection alive.
        return isinstance(msg, dict) and msg.get("method") in ("GET_PROPERTY", "SET_PROPERTY")

    def on_message(self, session: Session, message: str | bytes) -> None:
        msg = read_json(message)
        if not isinstance(msg, dict):
            self._error(session, 3, "Invalid JSON: expected an object", None)
            return
        method, params, req_id = msg.get("method"), msg.get("params", []), msg.get("id")
        if not isinstance(req_id, int) or isinstance(req_id, bool) or req_id < 0:
            self._error(session, 2, "Invalid request: request ID must be an unsigned integer", None)
            return
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
                self._error(session, 2, "Invalid request: params must be a list of stream names", req_id)
                return
            for name in params:
                if method == "SUBSCRIBE":
                    self._subscribe(session, name)
                else:
                    self._unsubscribe(session, name)
            self._reply(session, None, req_id)
        elif method == "LIST_SUBSCRIPTIONS":
            self._reply(session, sorted(session.state.get("names", ())), req_id)
        elif method == "GET_PROPERTY":
            self._reply(session, bool(session.state.get("combined")), req_id)
        elif method == "SET_PROPERTY":
            if params and params[0] == "combined" and len(params) == 2 and isinstance(params[1], bool):
                session.state["combined"] = params[1]
                self._reply(session, None, req_id)
            else:
                self._error(session, 2, "Invalid request: unknown property", req_id)
        else:
            self._error(session, 2, f"Invalid request: unknown method {str(method)[:40]}", req_id)

    def _stream_for(self, session: Session, name: str) -> Stream | None:
        native, _, kind = name.partition("@")
        symbol = self.server.unified(native.upper()) if native == native.lower() else None
        if symbol is None:
            return None
        raw = not session.state.get("combined")
        if kind in _DEPTH_STREAMS:
            return self.server.stream(symbol, BOOK, (kind, raw))
        if kind == "bookTicker":
            return self.server.stream(symbol, TICKER, (kind, raw))
        return None  # trades, klines …: listed, never sent

    def _subscribe(self, session: Session, name: str) -> None:
        session.state.setdefault("names", set()).add(name)
        stream = self._stream_for(session, name)
        if stream is not None:
            self.server.subscribe(session, stream)

    def _unsubscribe(self, session: Session, name: str) -> None:
        session.state.setdefault("names", set()).discard(name)
        stream = self._stream_for(session, name)
        if stream is not None:
            self.server.unsubscribe(session, stream)

    def _reply(self, session: Session, result: Any, req_id: int) -> None:
        self.send(session, [_json.encode({"result": result, "id": req_id}).decode()])

    def _error(self, session: Session, code: int, msg: str, req_id: int | None) -> None:
        self.send(session, [_json.encode({"code": code, "msg": msg, "id": req_id}).decode()])

    # -- streams --------------------------------------------------------------------------
    def encoder(self, kind: str, param: Any) -> Encoder:
        return Encoder(self.server.symbol_map)

    def delta(self, stream: Stream, change: BookChange, first: int, last: int, ts_ns: int) -> Sequence[Frame | Out]:
        frames = stream.encoder.delta(stream.symbol, change.bids, change.asks, first, last, ts_ns, change.book)
        name, raw = stream.param
        if name != "depth@100ms" or raw:
            frames = [_restyle(f, "depth@100ms", name, raw) for f in frames]
        return frames

    def ticker(self, stream: Stream, book: OrderBook, seq: int, ts_ns: int) -> Sequence[Frame | Out]:
        top = (book.best_bid(), book.best_ask())
        if top == stream.state:
            return ()
        stream.state = top
        frame = stream.encoder.book_ticker(stream.symbol, top[0], top[1], seq)
        return [_restyle(frame, "bookTicker", "bookTicker", True)] if stream.param[1] else [frame]

    # -- REST -----------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [Route("GET", "/api/v3/depth", self._depth)]

    async def _depth(self, request: web.Request) -> web.StreamResponse:
        query = self.book_query(request, "symbol", "limit", 100, _MAX_LIMIT)
        if isinstance(query, str):
            code = -1121 if query.startswith("unknown symbol") else -1100
            return json_response(self.rest_error(code, query), 400)
        symbol, limit = query
        bids, asks, seq, _ = self.snapshot_args(symbol, limit)
        _, body = self.encoder(BOOK, None).rest_snapshot(self.server.rest_url, symbol, bids, asks, seq, 0)
        return json_response(body)

    def rest_error(self, status: int, message: str) -> str:
        code = -1003 if status == 429 else status
        return _json.encode({"code": code, "msg": message}).decode()


def _restyle(frame: Frame, old: str, new: str, raw: bool) -> Frame:
    """A combined-stream frame for another stream name, or unwrapped (raw ``/ws`` streams)."""
    text: str = frame  # type: ignore[assignment]
    if raw:
        return text[text.index('"data":') + 7 : -1]
    return text.replace(f"@{old}", f"@{new}", 1)
