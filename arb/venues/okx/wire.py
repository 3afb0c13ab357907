"""OKX wire encoder: ``books`` snapshots and chained updates with their CRC32."""

from __future__ import annotations

import msgspec

from arb.book.book import OrderBook
from arb.core.symbols import SymbolMap
from arb.venues.okx import market_data
from arb.venues.wire import Frame, Levels

_json = msgspec.json.Encoder()


def _levels(levels: Levels) -> list[list[str]]:
    """``(px, sz)`` → ``[px, sz, "0", numOrders]`` (one order per live level; none when deleted)."""
    return [[p, q, "0", "1" if any(ch not in "0." for ch in q) else "0"] for p, q, *_ in levels]


class Encoder:
    """Frames OKX would send on one public connection subscribed to ``books``."""

    def __init__(self, symbols: SymbolMap, depth: int | None = None) -> None:
        self.symbols = symbols
        self.depth = depth

    def subscribe_ack(self, symbol: str, ts_ns: int) -> list[Frame]:
        arg = {"channel": market_data.CHANNEL, "instId": self.symbols.venue_symbol(symbol)}
        return [_json.encode({"event": "subscribe", "arg": arg, "connId": "a4d3ae55"}).decode()]

    def snapshot(self, symbol: str, bids: Levels, asks: Levels, seq: int, ts_ns: int, book: OrderBook) -> list[Frame]:
        return [self._book("snapshot", symbol, bids, asks, -1, seq, ts_ns, book)]

    def delta(
        self, symbol: str, bids: Levels, asks: Levels, first_seq: int, last_seq: int, ts_ns: int, book: OrderBook
    ) -> list[Frame]:
        # The message covering first_seq..last_seq chains onto the one that ended at first_seq-1.
        return [self._book("update", symbol, bids, asks, first_seq - 1, last_seq, ts_ns, book)]

    def _book(
        self, action: str, symbol: str, bids: Levels, asks: Levels, prev: int, seq: int, ts_ns: int, book: OrderBook
    ) -> str:
        data = {
            "asks": _levels(asks),
            "bids": _levels(bids),
            "ts": str(ts_ns // 1_000_000),
            "checksum": market_data.checksum(book),
            "prevSeqId": prev,
            "seqId": seq,
        }
        arg = {"channel": market_data.CHANNEL, "instId": self.symbols.venue_symbol(symbol)}
        return _json.encode({"arg": arg, "action": action, "data": [data]}).decode()

    def rest_snapshot(self, rest_url: str, symbol: str, bids: Levels, asks: Levels, seq: int, ts_ns: int) -> tuple[str, str]:
        """``GET /api/v5/market/books`` (it carries no ``seqId``: not a sync source)."""
        request = market_data.rest_books_request(rest_url, self.symbols.venue_symbol(symbol), len(bids) or None)
        data = {"asks": _levels(asks), "bids": _levels(bids), "ts": str(ts_ns // 1_000_000)}
        return request.url, _json.encode({"code": "0", "msg": "", "data": [data]}).decode()

    def heartbeat(self, ts_ns: int) -> list[Frame]:
        return []  # OKX only answers our "ping"; idle books send empty updates (seqId == prevSeqId)
