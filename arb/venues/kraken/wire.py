"""Kraken wire encoder: websocket v2 ``book`` snapshots and updates with their CRC32."""

from __future__ import annotations

import time

from arb.book.book import OrderBook
from arb.core.events import Level
from arb.core.symbols import SymbolMap
from arb.venues.kraken import market_data
from arb.venues.wire import Frame, Levels


def _number(text: str) -> str:
    """A level text as the JSON number Kraken prints (the lexeme itself, trailing zeros kept)."""
    whole, dot, frac = text.partition(".")
    if not (whole.isdigit() and whole.isascii() and (not dot or (frac.isdigit() and frac.isascii()))):
        raise ValueError(f"not a plain decimal: {text[:40]!r}")
    return text


def _levels(levels: Levels) -> str:
    return ",".join(f'{{"price":{_number(p)},"qty":{_number(q)}}}' for p, q, *_ in levels)


def _rfc3339(ts_ns: int) -> str:
    secs, ns = divmod(ts_ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{ns // 1000:06d}Z"


class Encoder:
    """Frames Kraken would send on one v2 connection subscribed at ``depth``."""

    def __init__(self, symbols: SymbolMap, depth: int | None = None) -> None:
        self.symbols = symbols
        self.depth = market_data.DEPTH if depth is None else depth

    def subscribe_ack(self, symbol: str, ts_ns: int) -> list[Frame]:
        """The per-symbol ack that tells the client the depth to cut its book to."""
        native = self.symbols.venue_symbol(symbol)
        stamp = _rfc3339(ts_ns)
        return [
            f'{{"method":"subscribe","result":{{"channel":"book","depth":{self.depth},"snapshot":true,'
            f'"symbol":"{native}"}},"success":true,"time_in":"{stamp}","time_out":"{stamp}"}}'
        ]

    def snapshot(self, symbol: str, bids: Levels, asks: Levels, seq: int, ts_ns: int, book: OrderBook) -> list[Frame]:
        depth = self.depth
        return [self._book("snapshot", symbol, bids[:depth], asks[:depth], ts_ns, book)]

    def delta(
        self, symbol: str, bids: Levels, asks: Levels, first_seq: int, last_seq: int, ts_ns: int, book: OrderBook
    ) -> list[Frame]:
        # Kraken republishes the levels that enter the subscribed depth when levels inside it
        # are deleted (the client cuts its book to the depth and never sees deeper levels).
        bids = list(bids) + self._entering(bids, book.bids(self.depth))
        asks = list(asks) + self._entering(asks, book.asks(self.depth))
        return [self._book("update", symbol, bids, asks, ts_ns, book)]

    def _entering(self, changes: Levels, window: list[Level]) -> list[tuple[str, str]]:
        deleted = sum(1 for lv in changes if not any(ch not in "0." for ch in lv[1]))
        return [(lv[0], lv[1]) for lv in window[max(0, self.depth - deleted) :]] if deleted else []

    def _book(self, kind: str, symbol: str, bids: Levels, asks: Levels, ts_ns: int, book: OrderBook) -> str:
        native = self.symbols.venue_symbol(symbol)
        return (
            f'{{"channel":"book","type":"{kind}","data":[{{"symbol":"{native}","bids":[{_levels(bids)}],'
            f'"asks":[{_levels(asks)}],"checksum":{market_data.checksum(book)},"timestamp":"{_rfc3339(ts_ns)}"}}]}}'
        )

    def rest_snapshot(self, rest_url: str, symbol: str, bids: Levels, asks: Levels, seq: int, ts_ns: int) -> tuple[str, str]:
        raise NotImplementedError("Kraken books start from the websocket snapshot")

    def heartbeat(self, ts_ns: int) -> list[Frame]:
        return ['{"channel":"heartbeat"}']
