"""Binance wire encoder: combined-stream diff depth + ``GET /api/v3/depth`` bodies."""

from __future__ import annotations

import msgspec

from arb.book.book import OrderBook
from arb.core.symbols import SymbolMap
from arb.venues.binance import market_data
from arb.venues.wire import Frame, Levels

_json = msgspec.json.Encoder()


class Encoder:
    def __init__(self, symbols: SymbolMap, depth: int | None = None) -> None:
        self.symbols = symbols
        self.depth = depth

    def snapshot(self, symbol: str, bids: Levels, asks: Levels, seq: int, ts_ns: int, book: OrderBook) -> list[Frame]:
        return []

    def delta(
        self, symbol: str, bids: Levels, asks: Levels, first_seq: int, last_seq: int, ts_ns: int, book: OrderBook
    ) -> list[Frame]:
        native = self.symbols.venue_symbol(symbol)
        data = {"e": "depthUpdate", "E": ts_ns // 1_000_000, "s": native, "U": first_seq, "u": last_seq, "b": bids, "a": asks}
        return [_json.encode({"stream": f"{native.lower()}@depth@100ms", "data": data}).decode()]

    def book_ticker(self, symbol: str, bid: tuple[str, str] | None, ask: tuple[str, str] | None, seq: int) -> Frame:
        """``<symbol>@bookTicker`` at update id ``seq`` (the venue's top-of-book oracle)."""
        native = self.symbols.venue_symbol(symbol)
        data = {
            "u": seq, "s": native, "b": bid[0] if bid else "0", "B": bid[1] if bid else "0",
            "a": ask[0] if ask else "0", "A": ask[1] if ask else "0",
        }
        return _json.encode({"stream": f"{native.lower()}@bookTicker", "data": data}).decode()

    def rest_snapshot(self, rest_url: str, symbol: str, bids: Levels, asks: Levels, seq: int, ts_ns: int) -> tuple[str, str]:
        native = self.symbols.venue_symbol(symbol)
        request = market_data.snapshot_request(rest_url, native, len(bids) or None)
        return request.url, _json.encode({"lastUpdateId": seq, "bids": bids, "asks": asks}).decode()

    def heartbeat(self, ts_ns: int) -> list[Frame]:
        return []  # Binance pings at protocol level
