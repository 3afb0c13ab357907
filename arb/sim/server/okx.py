"""OKX v5 public websocket, server side: ``books`` subscriptions with ``seqId`` chains.

- ``/ws/v5/public``. ``{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}``
  → per arg ``{"event":"subscribe","arg":{…},"connId":"…"}``, then the snapshot
  (``prevSeqId`` -1, CRC32 checksum), then updates chaining ``prevSeqId`` → ``seqId``.
  ``unsubscribe`` → ``{"event":"unsubscribe",…}``; subscribing again brings a new snapshot.
- Errors ``{"event":"error","code":"60012"|"60018","msg":"…","connId":"…"}``.
- The text ``ping`` is answered by the text ``pong``.
"""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from arb.sim.server.protocol import BOOK, Route, VenueProtocol, json_response, read_json
from arb.sim.server.session import Session
from arb.venues.okx import Encoder
from arb.venues.okx import market_data as okx

_json = msgspec.json.Encoder()
#: Public channels a client may subscribe to that carry nothing here (acked, never sent).
_QUIET_CHANNELS = frozenset({"tickers", "trades", "books5", "bbo-tbt", "instruments", "status"})


class OkxProtocol(VenueProtocol):
    name = "okx"
    path = "/ws/v5/public"

    def is_ping(self, message: str | bytes) -> bool:
        return message == "ping" or message == b"ping"

    def on_message(self, session: Session, message: str | bytes) -> None:
        if self.is_ping(message):
            self.send(session, ["pong"])
            return
        conn_id = f"{session.conn_id:08x}"
        msg = read_json(message)
        if not isinstance(msg, dict):
            self._error(session, "60012", f"Invalid request: {str(message)[:60]}", conn_id)
            return
        op, args = msg.get("op"), msg.get("args")
        if op not in ("subscribe", "unsubscribe") or not isinstance(args, list) or not args:
            self._error(session, "60012", f"Invalid request: {str(message)[:60]}", conn_id)
            return
        for arg in args:
            channel = arg.get("channel") if isinstance(arg, dict) else None
            inst = arg.get("instId") if isinstance(arg, dict) else None
            if channel in _QUIET_CHANNELS:
                self._event(session, op, {"channel": channel, "instId": inst}, msg.get("id"), conn_id)
                continue
            symbol = self.server.unified(inst) if channel == okx.CHANNEL and isinstance(inst, str) else None
            if symbol is None:
                self._error(session, "60018", f"Wrong URL or channel:{channel},instId:{inst} doesn't exist.", conn_id)
                continue
            stream = self.server.stream(symbol, BOOK)
            self._event(session, op, {"channel": channel, "instId": inst}, msg.get("id"), conn_id)
            if op == "subscribe":
                self.server.subscribe(session, stream)
                bids, asks, seq, book = self.snapshot_args(symbol)
                self.send(session, stream.encoder.snapshot(symbol, bids, asks, seq, self.server.clock(), book))
            else:
                self.server.unsubscribe(session, stream)

    def _event(self, session: Session, event: str, arg: dict, req_id: Any, conn_id: str) -> None:
        reply: dict[str, Any] = {} if req_id is None else {"id": req_id}
        reply.update(event=event, arg=arg, connId=conn_id)
        self.send(session, [_json.encode(reply).decode()])

    def _error(self, session: Session, code: str, msg: str, conn_id: str) -> None:
        self.send(session, [_json.encode({"event": "error", "code": code, "msg": msg, "connId": conn_id}).decode()])

    def encoder(self, kind: str, param: Any) -> Encoder:
        return Encoder(self.server.symbol_map)

    def routes(self) -> list[Route]:
        return [Route("GET", "/api/v5/market/books", self._books)]

    async def _books(self, request: web.Request) -> web.StreamResponse:
        """``GET /api/v5/market/books?instId=…&sz=…`` (no ``seqId``: a cross-check only)."""
        query = self.book_query(request, "instId", "sz", 1, 400)
        if isinstance(query, str):
            return json_response(_json.encode({"code": "51001", "msg": query, "data": []}).decode(), 400)
        symbol, limit = query
        bids, asks, seq, _ = self.snapshot_args(symbol, limit)
        _, body = self.encoder(BOOK, None).rest_snapshot(self.server.rest_url, symbol, bids, asks, seq, self.server.clock())
        return json_response(body)

    def rest_error(self, status: int, message: str) -> str:
        code = "50011" if status == 429 else str(status)
        return _json.encode({"code": code, "msg": message, "data": []}).decode()
