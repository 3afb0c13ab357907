"""MEXC spot v3, server side: JSON requests, binary protobuf pushes, ``/api/v3/depth``.

- ``/ws``. ``{"method":"SUBSCRIPTION","params":["spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT",
  "spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT"]}`` → ``{"id":0,"code":0,"msg":"<channels>"}``
  (text); pushes are binary ``PushDataV3ApiWrapper`` frames: diff depth (body 313,
  ``fromVersion``/``toVersion``) and book ticker (body 315, at the book's version, when the
  top changes). ``UNSUBSCRIPTION`` likewise. At most 30 subscriptions per connection; a
  refused channel gets ``{"id":0,"code":0,"msg":"Not Subscribed successfully! [...].  Reason： Blocked! "}``.
- ``{"method":"PING"}`` → ``{"id":0,"code":0,"msg":"PONG"}``.
- ``GET /api/v3/depth?symbol=BTCUSDT&limit=1000`` → ``{"lastUpdateId":…,"bids":…,"asks":…}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from aiohttp import web

from arb.book.book import OrderBook
from arb.sim.server.frames import Out
from arb.sim.server.protocol import BOOK, TICKER, Route, VenueProtocol, json_response, read_json
from arb.sim.server.session import Session
from arb.sim.server.venue import Stream
from arb.venues.mexc import Encoder
from arb.venues.mexc import market_data as mexc
from arb.venues.wire import Frame

_json = msgspec.json.Encoder()
_KINDS = {mexc.DEPTH_CHANNEL.format(""): BOOK, mexc.BOOK_TICKER_CHANNEL.format(""): TICKER}


class MexcProtocol(VenueProtocol):
    name = "mexc"
    path = "/ws"
    default_streams = ((BOOK, None), (TICKER, None))

    def is_ping(self, message: str | bytes) -> bool:
        msg = read_json(message)
        return isinstance(msg, dict) and msg.get("method") == "PING"

    def on_message(self, session: Session, message: str | bytes) -> None:
        msg = read_json(message)
        method = msg.get("method") if isinstance(msg, dict) else None
        req_id = msg.get("id", 0) if isinstance(msg, dict) else 0
        if method == "PING":
            self._reply(session, "PONG", req_id)
            return
        params = msg.get("params") if isinstance(msg, dict) else None
        if method not in ("SUBSCRIPTION", "UNSUBSCRIPTION") or not isinstance(params, list):
            self._reply(session, f"Not Subscribed successfully! [{str(message)[:60]}].  Reason： Invalid request! ", req_id)
            return
        subscribed: set[str] = session.state.setdefault("channels", set())
        accepted, refused = [], []
        for channel in params:
            stream = self._stream(channel)
            if stream is None:
                refused.append(str(channel)[:80])
                continue
            if method == "SUBSCRIPTION":
                if channel not in subscribed and len(subscribed) >= mexc.MAX_SUBSCRIPTIONS:
                    refused.append(channel)
                    continue
                subscribed.add(channel)
                self.server.subscribe(session, stream)
            else:
                subscribed.discard(channel)
                self.server.unsubscribe(session, stream)
            accepted.append(channel)
        if accepted:
            self._reply(session, ",".join(accepted), req_id)
        if refused:
            self._reply(session, f"Not Subscribed successfully! [{','.join(refused)}].  Reason： Blocked! ", req_id)

    def _stream(self, channel: Any) -> Stream | None:
        if not isinstance(channel, str):
            return None
        prefix, _, native = channel.rpartition("@")
        kind = _KINDS.get(prefix + "@")
        symbol = self.server.unified(native)
        return None if kind is None or symbol is None else self.server.stream(symbol, kind)

    def _reply(self, session: Session, text: str, req_id: Any) -> None:
        self.send(session, [_json.encode({"id": req_id if isinstance(req_id, int) else 0, "code": 0, "msg": text}).decode()])

    # -- streams --------------------------------------------------------------------------
    def encoder(self, kind: str, param: Any) -> Encoder:
        return Encoder(self.server.symbol_map)

    def ticker(self, stream: Stream, book: OrderBook, seq: int, ts_ns: int) -> Sequence[Frame | Out]:
        top = (book.best_bid(), book.best_ask())
        if top == stream.state:
            return ()
        stream.state = top
        bid, ask = (lv[:2] if lv else None for lv in top)
        return [stream.encoder.book_ticker(stream.symbol, bid, ask, seq, ts_ns)]

    # -- REST -----------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [Route("GET", "/api/v3/depth", self._depth)]

    async def _depth(self, request: web.Request) -> web.StreamResponse:
        query = self.book_query(request, "symbol", "limit", 100, 5000)
        if isinstance(query, str):
            return json_response(_json.encode({"code": -1121, "msg": query}).decode(), 400)
        symbol, limit = query
        bids, asks, seq, _ = self.snapshot_args(symbol, limit)
        _, body = self.encoder(BOOK, None).rest_snapshot(self.server.rest_url, symbol, bids, asks, seq, self.server.clock())
        return json_response(body)
