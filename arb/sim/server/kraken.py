"""Kraken websocket v2, server side: ``book`` subscriptions, in-stream snapshots, heartbeats.

- ``/v2``; on connect a ``status`` message (``system":"online"``).
- ``{"method":"subscribe","params":{"channel":"book","symbol":[…],"depth":100,"snapshot":true}}``
  → per symbol an ack carrying the depth, then the snapshot (CRC32 checksum), then updates
  (checksummed; levels entering the subscribed depth republished after deletes).
  ``unsubscribe`` → per-symbol ack; streaming stops. A subscribe for a book already
  streaming is answered like a fresh one (ack + snapshot).
- Errors: ``{"error":"…","method":"subscribe","success":false,"symbol":…,"time_in":…,"time_out":…}``.
- ``{"method":"ping","req_id":n}`` → ``{"method":"pong","req_id":n,"time_in":…,"time_out":…}``.
- ``{"channel":"heartbeat"}`` every second a subscribed connection has been otherwise quiet.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import msgspec

from arb.sim.server.frames import Out
from arb.sim.server.protocol import BOOK, VenueProtocol, read_json
from arb.sim.server.session import Session
from arb.venues.kraken import Encoder
from arb.venues.kraken import market_data as kraken
from arb.venues.wire import Frame

_json = msgspec.json.Encoder()
_HEARTBEAT = '{"channel":"heartbeat"}'
#: Channels a client may subscribe to that carry nothing here (acked, never sent).
_QUIET_CHANNELS = frozenset({"heartbeat", "status"})


def _rfc3339(ts_ns: int) -> str:
    """``2023-10-06T17:35:55.440295Z`` (Kraken's microsecond UTC times)."""
    secs, ns = divmod(ts_ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{ns // 1000:06d}Z"


class KrakenProtocol(VenueProtocol):
    name = "kraken"
    path = "/v2"
    heartbeats = True
    default_streams = ((BOOK, kraken.DEPTH),)

    def on_open(self, session: Session) -> None:
        status = {"version": "2.0.10", "system": "online", "api_version": "v2", "connection_id": session.conn_id}
        self.send(session, [_json.encode({"channel": "status", "type": "update", "data": [status]}).decode()])

    def is_ping(self, message: str | bytes) -> bool:
        msg = read_json(message)
        return isinstance(msg, dict) and msg.get("method") == "ping"

    def on_message(self, session: Session, message: str | bytes) -> None:
        msg = read_json(message)
        stamp = _rfc3339(self.server.clock())
        if not isinstance(msg, dict):
            self._error(session, "", "Malformed request", None, None, stamp)
            return
        method, req_id = msg.get("method"), msg.get("req_id")
        if method == "ping":
            self._reply(session, {"method": "pong", "req_id": req_id, "time_in": stamp, "time_out": stamp})
            return
        if method not in ("subscribe", "unsubscribe"):
            self._error(session, str(method)[:40], "Method not found", req_id, None, stamp)
            return
        params = msg.get("params")
        if not isinstance(params, dict):
            self._error(session, method, "Missing params", req_id, None, stamp)
            return
        channel = params.get("channel")
        if channel in _QUIET_CHANNELS:
            self._ack(session, method, {"channel": channel}, req_id, stamp)
            return
        if channel != "book":
            self._error(session, method, f"Channel {str(channel)[:40]} not supported", req_id, None, stamp)
            return
        depth = params.get("depth", kraken.DEFAULT_DEPTH)
        if depth not in kraken.DEPTHS:
            self._error(session, method, "Invalid depth", req_id, None, stamp)
            return
        natives = params.get("symbol")
        if not isinstance(natives, list) or not natives:
            self._error(session, method, "Missing symbol", req_id, None, stamp)
            return
        for native in natives:
            symbol = self.server.unified(native) if isinstance(native, str) else None
            if symbol is None:
                self._error(session, method, "Currency pair not supported", req_id, str(native)[:40], stamp)
                continue
            stream = self.server.stream(symbol, BOOK, depth)
            if method == "subscribe":
                self.server.subscribe(session, stream)
                frames = stream.encoder.subscribe_ack(symbol, self.server.clock())
                if params.get("snapshot", True):
                    bids, asks, seq, book = self.snapshot_args(symbol)
                    frames += stream.encoder.snapshot(symbol, bids, asks, seq, self.server.clock(), book)
                self.send(session, frames)
            else:
                self.server.unsubscribe(session, stream)
                result = {"channel": "book", "depth": depth, "symbol": native}
                self._ack(session, "unsubscribe", result, req_id, stamp)

    def _ack(self, session: Session, method: str, result: dict, req_id: Any, stamp: str) -> None:
        reply: dict[str, Any] = {"method": method, "result": result, "success": True, "time_in": stamp, "time_out": stamp}
        if req_id is not None:
            reply["req_id"] = req_id
        self._reply(session, reply)

    def _error(self, session: Session, method: str, error: str, req_id: Any, native: str | None, stamp: str) -> None:
        reply: dict[str, Any] = {"error": error, "method": method, "success": False}
        if req_id is not None:
            reply["req_id"] = req_id
        if native is not None:
            reply["symbol"] = native
        reply.update(time_in=stamp, time_out=stamp)
        self._reply(session, reply)

    def _reply(self, session: Session, reply: dict) -> None:
        self.send(session, [_json.encode(reply).decode()])

    def encoder(self, kind: str, param: Any) -> Encoder:
        return Encoder(self.server.symbol_map, param)

    def heartbeat(self, session: Session, ts_ns: int, idle_s: float) -> Sequence[Frame | Out]:
        if session.streams and idle_s >= 0.5 * self.server.options.heartbeat_s:
            return [_HEARTBEAT]
        return ()
