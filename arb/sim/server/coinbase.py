"""Coinbase Advanced Trade, server side: ``level2`` + ``heartbeats``, one ``sequence_num`` per connection.

- The bare endpoint (``wss://advanced-trade-ws.coinbase.com``). One channel per request:
  ``{"type":"subscribe","product_ids":[…],"channel":"level2"}`` → one ``l2_data`` message
  with each new product's ``snapshot`` event, then a ``subscriptions`` message listing
  everything the connection is subscribed to; ``update`` events follow.
  ``{"type":"subscribe","channel":"heartbeats"}`` → a ``heartbeats`` message every second.
  ``unsubscribe`` drops products (subscribing again brings a fresh snapshot).
- Every message on a connection — ``l2_data``, ``subscriptions``, ``heartbeats`` — takes
  the connection's next ``sequence_num`` (from 0): frames are
  :class:`~arb.sim.server.frames.Numbered`, encoded once and numbered per connection.
- Errors ``{"type":"error","message":"…"}`` (no ``sequence_num``).
- ``GET /api/v3/brokerage/market/product_book?product_id=…&limit=…`` (a cross-check; it
  carries no sequence).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from aiohttp import web

from arb.sim.market import BookChange
from arb.sim.server.frames import Numbered, Out
from arb.sim.server.protocol import BOOK, Route, VenueProtocol, json_response, read_json
from arb.sim.server.session import Session
from arb.sim.server.venue import Stream
from arb.venues.coinbase import Encoder
from arb.venues.coinbase import market_data as coinbase
from arb.venues.wire import Frame

_json = msgspec.json.Encoder()
_LEVEL2 = ("level2", "l2_data")


class CoinbaseProtocol(VenueProtocol):
    name = "coinbase"
    path = "/"
    heartbeats = True

    def ws_url(self, base: str) -> str:
        return base

    def on_message(self, session: Session, message: str | bytes) -> None:
        msg = read_json(message)
        if not isinstance(msg, dict) or msg.get("type") not in ("subscribe", "unsubscribe"):
            self.send(session, [Encoder.error("Failed to parse the request: expected type subscribe or unsubscribe")])
            return
        subscribing = msg["type"] == "subscribe"
        channel = msg.get("channel")
        ts = self.server.clock()
        if channel == "heartbeats":
            session.state["heartbeats"] = subscribing
            self._subscriptions(session, ts)
            return
        if channel not in _LEVEL2:
            self.send(session, [Encoder.error(f"Failed to subscribe: unknown channel {str(channel)[:40]}")])
            return
        products = msg.get("product_ids")
        if not isinstance(products, list) or not products:
            self.send(session, [Encoder.error("Failed to subscribe: product_ids must name at least one product")])
            return
        unknown = [p for p in products if not isinstance(p, str) or self.server.unified(p) is None]
        if unknown:
            self.send(session, [Encoder.error(f"Failed to subscribe: unknown product ids {str(unknown)[:80]}")])
            return
        events = []
        encoder: Encoder | None = None
        for product in products:
            symbol = self.server.unified(product)
            assert symbol is not None
            stream = self.server.stream(symbol, BOOK)
            if subscribing:
                self.server.subscribe(session, stream)
                bids, asks, _, _ = self.snapshot_args(symbol)
                encoder = stream.encoder
                events.append(encoder.snapshot_event(symbol, bids, asks, ts))
            else:
                self.server.unsubscribe(session, stream)
        if events:
            self.send(session, [Numbered(*Encoder.numbered("l2_data", events, ts, client_id=True))])
        self._subscriptions(session, ts)

    def _subscriptions(self, session: Session, ts_ns: int) -> None:
        """The ``subscriptions`` message: everything this connection is subscribed to now."""
        subscriptions: dict[str, list[str]] = {}
        products = sorted(self.server.native(s.symbol) for s in session.streams)
        if products:
            subscriptions["level2"] = products
        if session.state.get("heartbeats"):
            subscriptions["heartbeats"] = ["heartbeats"]
        self.send(session, [Numbered(*Encoder.numbered("subscriptions", [{"subscriptions": subscriptions}], ts_ns))])

    def encoder(self, kind: str, param: Any) -> Encoder:
        return Encoder(self.server.symbol_map)

    def delta(self, stream: Stream, change: BookChange, first: int, last: int, ts_ns: int) -> Sequence[Frame | Out]:
        event = stream.encoder.update_event(stream.symbol, change.bids, change.asks, ts_ns)
        return [Numbered(*Encoder.numbered("l2_data", [event], ts_ns, client_id=True))]

    def heartbeat(self, session: Session, ts_ns: int, idle_s: float) -> Sequence[Frame | Out]:
        if not session.state.get("heartbeats"):
            return ()
        counter = session.state["heartbeat_counter"] = session.state.get("heartbeat_counter", 0) + 1
        return [Numbered(*Encoder.numbered("heartbeats", [Encoder.heartbeat_event(counter, ts_ns)], ts_ns))]

    # -- REST -----------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [Route("GET", coinbase.PRODUCT_BOOK_PATH, self._product_book)]

    async def _product_book(self, request: web.Request) -> web.StreamResponse:
        query = self.book_query(request, "product_id", "limit", 5000, 5000)
        if isinstance(query, str):
            return json_response(self.rest_error(400, query), 400)
        symbol, limit = query
        bids, asks, seq, _ = self.snapshot_args(symbol, limit)
        _, body = self.encoder(BOOK, None).rest_snapshot(self.server.rest_url, symbol, bids, asks, seq, self.server.clock())
        return json_response(body)

    def rest_error(self, status: int, message: str) -> str:
        kind = "RATE_LIMIT_EXCEEDED" if status == 429 else "INVALID_ARGUMENT"
        return _json.encode({"error": kind, "message": message}).decode()
