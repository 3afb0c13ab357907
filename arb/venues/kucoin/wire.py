"""KuCoin wire encoder: ``trade.l2update`` with per-change sequences + level-2 REST bodies."""

from __future__ import annotations

import msgspec

from arb.book.book import OrderBook
from arb.core.symbols import SymbolMap
from arb.venues.kucoin import market_data
from arb.venues.wire import Frame, Levels

_json = msgspec.json.Encoder()


class Encoder:
    def __init__(self, symbols: SymbolMap, depth: int | None = None) -> None:
        self.symbols = symbols
        self.depth = depth

    def snapshot(self, symbol: str, bids: Levels, asks: Levels, seq: int, ts_ns: int, book: OrderBook) -> list[Frame]:
        return []  # books start from the REST snapshot

    def delta(
        self, symbol: str, bids: Levels, asks: Levels, first_seq: int, last_seq: int, ts_ns: int, book: OrderBook
    ) -> list[Frame]:
        """One message over ``first_seq..last_seq``: the changes take consecutive sequences
        (bids, then asks); sequences left over become price-"0" no-ops, as the venue sends
        them; changes beyond the range share ``last_seq``."""
        seq = first_seq
        out_bids: list[list[str]] = []
        out_asks: list[list[str]] = []
        for out, levels in ((out_bids, bids), (out_asks, asks)):
            for price, qty in levels:
                out.append([price, qty, str(min(seq, last_seq))])
                seq += 1
        while seq <= last_seq:
            out_asks.append(["0", "0", str(seq)])
            seq += 1
        native = self.symbols.venue_symbol(symbol)
        data = {
            "sequenceStart": first_seq,
            "symbol": native,
            "changes": {"asks": out_asks, "bids": out_bids},
            "sequenceEnd": last_seq,
            "time": ts_ns // 1_000_000,
        }
        return [
            _json.encode(
                {"type": "message", "topic": f"/market/level2:{native}", "subject": "trade.l2update", "data": data}
            ).decode()
        ]

    def ticker(self, symbol: str, seq: int, bid: tuple[str, str], ask: tuple[str, str], ts_ns: int) -> Frame:
        """``trade.ticker`` at ``seq`` (the venue's top-of-book oracle)."""
        native = self.symbols.venue_symbol(symbol)
        data = {
            "sequence": str(seq), "bestBid": bid[0], "bestBidSize": bid[1], "bestAsk": ask[0], "bestAskSize": ask[1],
            "price": bid[0], "size": "0", "time": ts_ns // 1_000_000,
        }
        return _json.encode(
            {"type": "message", "topic": f"/market/ticker:{native}", "subject": "trade.ticker", "data": data}
        ).decode()

    def rest_snapshot(self, rest_url: str, symbol: str, bids: Levels, asks: Levels, seq: int, ts_ns: int) -> tuple[str, str]:
        native = self.symbols.venue_symbol(symbol)
        request = market_data.snapshot_request(rest_url, native, self.depth)
        body = {"code": "200000", "data": {"time": ts_ns // 1_000_000, "sequence": str(seq), "bids": list(bids), "asks": list(asks)}}
        return request.url, _json.encode(body).decode()

    def heartbeat(self, ts_ns: int) -> list[Frame]:
        return []  # the client pings; the server only answers
