"""Gate spot websocket v4, server side: ``spot.order_book_update`` and ``spot.obu``.

- ``/ws/v4/``. Requests ``{"time":<unix s>,"channel":…,"event":"subscribe"|"unsubscribe",
  "payload":[…]}``; a ``time`` more than 60 s off the server clock is refused. Acks echo the
  request with ``"result":{"status":"success"}``; errors carry
  ``"error":{"code":2,"message":…}``.
- ``spot.order_book_update`` ``[pair, "100ms"|"20ms"]``: ``U``/``u`` diffs; books start from
  ``GET /api/v4/spot/order_book?currency_pair=…&limit=…&with_id=true`` (``id``).
- ``spot.obu`` ``["ob.BTC_USDT.400"|"ob.BTC_USDT.50"]``: a ``full:true`` snapshot, then
  increments. A second subscribe to a live stream is refused (code 2, "Alert sub …"):
  gap recovery is unsubscribe + subscribe.
- ``{"time":t,"channel":"spot.ping"}`` → ``{"time":…,"channel":"spot.pong","event":"","result":null}``.
"""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from arb.sim.server.protocol import BOOK, Route, VenueProtocol, json_response, read_json
from arb.sim.server.session import Session
from arb.venues.gateio import Encoder
from arb.venues.gateio import market_data as gateio

_json = msgspec.json.Encoder()
_UPDATE = "spot.order_book_update"
_OBU = "spot.obu"
_OBU_DEPTHS = {"400": 400, "50": 50}
#: Channels a client may subscribe to that carry nothing here (acked, never sent).
_QUIET_CHANNELS = frozenset({"spot.trades", "spot.tickers", "spot.book_ticker", "spot.candlesticks", "spot.order_book"})
_MAX_CLOCK_SKEW_S = 60


class GateioProtocol(VenueProtocol):
    name = "gateio"
    path = "/ws/v4/"
    default_streams = ((BOOK, (_UPDATE, gateio.DEPTH)),)

    def is_ping(self, message: str | bytes) -> bool:
        msg = read_json(message)
        return isinstance(msg, dict) and msg.get("channel") == "spot.ping"

    def on_message(self, session: Session, message: str | bytes) -> None:
        msg = read_json(message)
        if not isinstance(msg, dict):
            self._reply(session, {"channel": "", "event": "", "error": {"code": 1, "message": "invalid request body"}})
            return
        channel, event, payload = msg.get("channel", ""), msg.get("event", ""), msg.get("payload")
        now_s = self.server.clock() // 1_000_000_000
        sent = msg.get("time")
        if sent is not None and (not isinstance(sent, int) or abs(sent - now_s) > _MAX_CLOCK_SKEW_S):
            self._error(session, msg, 2, f"time {str(sent)[:20]} is more than {_MAX_CLOCK_SKEW_S} s off the server clock")
            return
        if channel == "spot.ping":
            self._reply(session, {"id": msg.get("id"), "channel": "spot.pong", "event": "", "result": None})
            return
        if event not in ("subscribe", "unsubscribe") or not isinstance(payload, list):
            self._error(session, msg, 2, f"invalid {str(channel)[:40]} request")
            return
        if channel in _QUIET_CHANNELS:
            self._ack(session, msg)
        elif channel == _UPDATE:
            self._order_book_update(session, msg, event, payload)
        elif channel == _OBU:
            self._obu(session, msg, event, payload)
        else:
            self._error(session, msg, 2, f"unknown channel {str(channel)[:40]}")

    def _order_book_update(self, session: Session, msg: dict, event: str, payload: list) -> None:
        pair, interval = (payload + [None, None])[:2]
        symbol = self.server.unified(pair) if isinstance(pair, str) else None
        if symbol is None or interval not in gateio.INTERVAL_DEPTH or len(payload) != 2:
            self._error(session, msg, 2, f"invalid argument: {str(payload)[:80]}")
            return
        stream = self.server.stream(symbol, BOOK, (_UPDATE, gateio.INTERVAL_DEPTH[interval]))
        if event == "subscribe":
            self.server.subscribe(session, stream)
        else:
            self.server.unsubscribe(session, stream)
        self._ack(session, msg)

    def _obu(self, session: Session, msg: dict, event: str, payload: list) -> None:
        streams = []
        for name in payload:
            prefix, _, rest = name.partition(".") if isinstance(name, str) else ("", "", "")
            native, _, level = rest.rpartition(".")
            symbol = self.server.unified(native) if prefix == "ob" else None
            if symbol is None or level not in _OBU_DEPTHS:
                self._error(session, msg, 2, f"invalid argument: {str(name)[:60]}")
                return
            streams.append(self.server.stream(symbol, BOOK, (_OBU, _OBU_DEPTHS[level])))
        if event == "subscribe":
            live = [s for s in streams if session in s.sessions]
            if live:
                names = ",".join(gateio.obu_stream(self.server.native(s.symbol), s.param[1]) for s in live)
                self._error(session, msg, 2, f"Alert sub {names}")
                return
            self._ack(session, msg)
            for stream in streams:
                self.server.subscribe(session, stream)
                bids, asks, seq, book = self.snapshot_args(stream.symbol)
                self.send(session, stream.encoder.snapshot(stream.symbol, bids, asks, seq, self.server.clock(), book))
        else:
            for stream in streams:
                self.server.unsubscribe(session, stream)
            self._ack(session, msg)

    def _ack(self, session: Session, msg: dict) -> None:
        reply = {key: msg[key] for key in ("id",) if key in msg}
        reply.update(channel=msg.get("channel"), event=msg.get("event"), payload=msg.get("payload"), result={"status": "success"})
        self._reply(session, reply)

    def _error(self, session: Session, msg: dict, code: int, message: str) -> None:
        reply = {key: msg[key] for key in ("id",) if key in msg}
        reply.update(channel=msg.get("channel", ""), event=msg.get("event", ""), error={"code": code, "message": message}, result=None)
        self._reply(session, reply)

    def _reply(self, session: Session, body: dict) -> None:
        ms = self.server.clock() // 1_000_000
        reply: dict[str, Any] = {"time": ms // 1000, "time_ms": ms, "conn_id": f"{session.conn_id:016x}"}
        reply.update(body)
        self.send(session, [_json.encode(reply).decode()])

    def encoder(self, kind: str, param: Any) -> Encoder:
        channel, depth = param if param is not None else (_UPDATE, gateio.DEPTH)
        return Encoder(self.server.symbol_map, depth, channel)

    # -- REST -----------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [Route("GET", gateio.SNAPSHOT_PATH, self._order_book)]

    async def _order_book(self, request: web.Request) -> web.StreamResponse:
        query = self.book_query(request, "currency_pair", "limit", 10, 1000)
        if isinstance(query, str):
            return json_response(_json.encode({"label": "INVALID_PARAM_VALUE", "message": query}).decode(), 400)
        symbol, limit = query
        bids, asks, seq, _ = self.snapshot_args(symbol, limit)
        _, body = self.encoder(BOOK, None).rest_snapshot(self.server.rest_url, symbol, bids, asks, seq, self.server.clock())
        if request.query.get("with_id") != "true":
            body = _json.encode({k: v for k, v in msgspec.json.decode(body).items() if k != "id"}).decode()
        return json_response(body)

    def rest_error(self, status: int, message: str) -> str:
        label = "TOO_MANY_REQUESTS" if status == 429 else "INVALID_PARAM_VALUE"
        return _json.encode({"label": label, "message": message}).decode()
