"""Coinbase Advanced Trade wire encoder: ``l2_data`` snapshots/updates, acks and heartbeats
numbered by one connection-wide ``sequence_num``; ``GET …/market/product_book`` bodies."""

from __future__ import annotations

from datetime import datetime, UTC
from typing import Any

import msgspec

from arb.book.book import OrderBook
from arb.core.symbols import SymbolMap
from arb.venues.coinbase import market_data
from arb.venues.wire import Frame, Levels

_json = msgspec.json.Encoder()


def rfc3339(ts_ns: int) -> str:
    """Int ns → ``2023-02-09T20:32:50.714964855Z`` (the venue's nanosecond UTC form)."""
    seconds, nanos = divmod(ts_ns, 1_000_000_000)
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}Z"


class Encoder:
    """One connection's frames: every message takes the next ``sequence_num`` (from 0)."""

    def __init__(self, symbols: SymbolMap, depth: int | None = None) -> None:
        self.symbols = symbols
        self.depth = depth
        self.sequence_num = 0
        self.heartbeat_counter = 0

    def snapshot(self, symbol: str, bids: Levels, asks: Levels, seq: int, ts_ns: int, book: OrderBook) -> list[Frame]:
        """The whole book as one ``snapshot`` event; sides interleaved (the venue's are unsorted)."""
        return [self.l2_data([self.snapshot_event(symbol, bids, asks, ts_ns)], ts_ns)]

    def snapshot_event(self, symbol: str, bids: Levels, asks: Levels, ts_ns: int) -> dict[str, Any]:
        """The ``snapshot`` event of :meth:`snapshot` (for servers numbering messages themselves)."""
        stamp = rfc3339(ts_ns)
        offers = [self._update("offer", lv, stamp) for lv in asks]
        bid_updates = [self._update("bid", lv, stamp) for lv in bids]
        updates = [u for pair in zip(offers, bid_updates) for u in pair]
        shorter = min(len(offers), len(bid_updates))
        updates += offers[shorter:] + bid_updates[shorter:]
        return self.event("snapshot", symbol, updates)

    def delta(
        self, symbol: str, bids: Levels, asks: Levels, first_seq: int, last_seq: int, ts_ns: int, book: OrderBook
    ) -> list[Frame]:
        """One ``update`` event (Coinbase books have no per-book sequence: ``*_seq`` unused)."""
        return [self.l2_data([self.update_event(symbol, bids, asks, ts_ns)], ts_ns)]

    def update_event(self, symbol: str, bids: Levels, asks: Levels, ts_ns: int) -> dict[str, Any]:
        stamp = rfc3339(ts_ns)
        updates = [self._update("bid", lv, stamp) for lv in bids] + [self._update("offer", lv, stamp) for lv in asks]
        return self.event("update", symbol, updates)

    def event(self, kind: str, symbol: str, updates: list[dict[str, str]]) -> dict[str, Any]:
        return {"type": kind, "product_id": self.symbols.venue_symbol(symbol), "updates": updates}

    def l2_data(self, events: list[dict[str, Any]], ts_ns: int) -> str:
        """An ``l2_data`` message carrying ``events`` (several are allowed)."""
        return self._message("l2_data", events, ts_ns, client_id=True)

    def subscriptions(self, subscriptions: dict[str, list[str]], ts_ns: int) -> str:
        """The ack the venue sends after each (un)subscribe."""
        return self._message("subscriptions", [{"subscriptions": subscriptions}], ts_ns)

    def heartbeat(self, ts_ns: int) -> list[Frame]:
        self.heartbeat_counter += 1
        return [self._message("heartbeats", [self.heartbeat_event(self.heartbeat_counter, ts_ns)], ts_ns)]

    @staticmethod
    def heartbeat_event(counter: int, ts_ns: int) -> dict[str, Any]:
        """One ``heartbeats`` event with ``heartbeat_counter`` ``counter``."""
        current = datetime.fromtimestamp(ts_ns // 1_000_000_000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
        return {"current_time": f"{current}.{ts_ns // 1000 % 1_000_000:06d} +0000 UTC", "heartbeat_counter": counter}

    @staticmethod
    def numbered(channel: str, events: list[dict[str, Any]], ts_ns: int, client_id: bool = False) -> tuple[str, str]:
        """A message without its ``sequence_num``: ``(prefix, suffix)`` around the number,
        for servers that number each connection's messages themselves. ``prefix + str(n)
        + suffix`` is byte for byte what :meth:`l2_data` (``client_id``) and the other
        messages write at ``sequence_num`` n."""
        head = f'{{"channel":{_json.encode(channel).decode()},'
        if client_id:
            head += '"client_id":"",'
        head += f'"timestamp":"{rfc3339(ts_ns)}","sequence_num":'
        return head, f',"events":{_json.encode(events).decode()}}}'

    @staticmethod
    def error(message: str) -> str:
        """An error frame (no channel, no ``sequence_num``)."""
        return _json.encode({"type": "error", "message": message}).decode()

    def rest_snapshot(self, rest_url: str, symbol: str, bids: Levels, asks: Levels, seq: int, ts_ns: int) -> tuple[str, str]:
        native = self.symbols.venue_symbol(symbol)
        request = market_data.snapshot_request(rest_url, native, None)
        body = {
            "pricebook": {
                "product_id": native,
                "bids": [{"price": lv[0], "size": lv[1]} for lv in bids],
                "asks": [{"price": lv[0], "size": lv[1]} for lv in asks],
                "time": rfc3339(ts_ns)[:-4] + "Z",  # the REST book has microseconds
            }
        }
        return request.url, _json.encode(body).decode()

    @staticmethod
    def _update(side: str, level: tuple[str, str], stamp: str) -> dict[str, str]:
        return {"side": side, "event_time": stamp, "price_level": level[0], "new_quantity": level[1]}

    def _message(self, channel: str, events: list[dict[str, Any]], ts_ns: int, client_id: bool = False) -> str:
        msg: dict[str, Any] = {"channel": channel}
        if client_id:
            msg["client_id"] = ""
        msg.update(timestamp=rfc3339(ts_ns), sequence_num=self.sequence_num, events=events)
        self.sequence_num += 1
        return _json.encode(msg).decode()
