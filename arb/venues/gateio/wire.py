"""Gate wire encoder: ``spot.order_book_update`` (default) or ``spot.obu`` pushes + REST bodies."""

from __future__ import annotations

import msgspec

from arb.book.book import OrderBook
from arb.core.symbols import SymbolMap
from arb.venues.gateio import market_data
from arb.venues.wire import Frame, Levels

_json = msgspec.json.Encoder()


class Encoder:
    """``channel`` is ``"spot.order_book_update"`` (REST-synced, 100 or 20 levels) or
    ``"spot.obu"`` (in-stream ``full:true`` snapshot, then increments)."""

    def __init__(self, symbols: SymbolMap, depth: int | None = None, channel: str = "spot.order_book_update") -> None:
        if channel not in ("spot.order_book_update", "spot.obu"):
            raise ValueError(f"unknown Gate book channel {channel!r}")
        self.symbols = symbols
        self.depth = depth if depth is not None else market_data.DEPTH
        self.channel = channel

    def _push(self, result: dict[str, object], ts_ns: int) -> str:
        ms = ts_ns // 1_000_000
        return _json.encode(
            {"time": ms // 1000, "time_ms": ms, "channel": self.channel, "event": "update", "result": result}
        ).decode()

    def _result(self, symbol: str, bids: Levels, asks: Levels, ts_ns: int) -> dict[str, object]:
        native = self.symbols.venue_symbol(symbol)
        ms = ts_ns // 1_000_000
        if self.channel == "spot.obu":
            return {"t": ms, "s": market_data.obu_stream(native, self.depth), "b": list(bids), "a": list(asks)}
        return {"t": ms, "l": str(self.depth), "e": "depthUpdate", "E": ms // 1000, "s": native, "b": list(bids), "a": list(asks)}

    def snapshot(self, symbol: str, bids: Levels, asks: Levels, seq: int, ts_ns: int, book: OrderBook) -> list[Frame]:
        """obu: the ``full:true`` push at ``seq``. order_book_update books start from REST."""
        if self.channel != "spot.obu":
            return []
        result = self._result(symbol, bids, asks, ts_ns)
        return [self._push({"t": result["t"], "full": True, "s": result["s"], "u": seq, "b": result["b"], "a": result["a"]}, ts_ns)]

    def delta(
        self, symbol: str, bids: Levels, asks: Levels, first_seq: int, last_seq: int, ts_ns: int, book: OrderBook
    ) -> list[Frame]:
        result = self._result(symbol, bids, asks, ts_ns)
        result["U"] = first_seq
        result["u"] = last_seq
        return [self._push(result, ts_ns)]

    def rest_snapshot(self, rest_url: str, symbol: str, bids: Levels, asks: Levels, seq: int, ts_ns: int) -> tuple[str, str]:
        native = self.symbols.venue_symbol(symbol)
        request = market_data.snapshot_request(rest_url, native, self.depth)
        ms = ts_ns // 1_000_000
        body = {"id": seq, "current": ms, "update": ms, "asks": list(asks), "bids": list(bids)}
        return request.url, _json.encode(body).decode()

    def heartbeat(self, ts_ns: int) -> list[Frame]:
        return []  # Gate pings at protocol level; spot.ping/pong is client-initiated
