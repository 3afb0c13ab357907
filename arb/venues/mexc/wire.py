"""MEXC wire encoder: protobuf aggregated diff depth + book ticker pushes, JSON replies,
``GET /api/v3/depth`` bodies."""

from __future__ import annotations

import msgspec

from arb.book.book import OrderBook
from arb.core.symbols import SymbolMap
from arb.venues.mexc import market_data
from arb.venues.mexc import proto as pb
from arb.venues.wire import Frame, Levels

_json = msgspec.json.Encoder()
_DEPTH_EVENT = "spot@public.aggre.depth.v3.api.pb@100ms"


class Encoder:
    def __init__(self, symbols: SymbolMap, depth: int | None = None) -> None:
        self.symbols = symbols
        self.depth = depth

    def snapshot(self, symbol: str, bids: Levels, asks: Levels, seq: int, ts_ns: int, book: OrderBook) -> list[Frame]:
        return []  # books start from the REST snapshot

    def delta(
        self, symbol: str, bids: Levels, asks: Levels, first_seq: int, last_seq: int, ts_ns: int, book: OrderBook
    ) -> list[Frame]:
        native = self.symbols.venue_symbol(symbol)
        body = pb.AggreDepths(
            asks=[(lv[0], lv[1]) for lv in asks],
            bids=[(lv[0], lv[1]) for lv in bids],
            event_type=_DEPTH_EVENT,
            from_version=str(first_seq),
            to_version=str(last_seq),
        )
        return [self._push(market_data.DEPTH_CHANNEL.format(native), native, body, ts_ns)]

    def book_ticker(self, symbol: str, bid: tuple[str, str] | None, ask: tuple[str, str] | None, seq: int, ts_ns: int) -> Frame:
        """The venue's own best bid/ask at ``seq`` (body 315)."""
        native = self.symbols.venue_symbol(symbol)
        body = pb.AggreBookTicker(
            bid_price=bid[0] if bid else "", bid_quantity=bid[1] if bid else "",
            ask_price=ask[0] if ask else "", ask_quantity=ask[1] if ask else "",
            version=str(seq),
        )
        return self._push(market_data.BOOK_TICKER_CHANNEL.format(native), native, body, ts_ns)

    def reply(self, msg: str, code: int = 0) -> Frame:
        """A JSON control reply: a subscription ack (the channel), ``"PONG"`` …"""
        return _json.encode({"id": 0, "code": code, "msg": msg}).decode()

    def rest_snapshot(self, rest_url: str, symbol: str, bids: Levels, asks: Levels, seq: int, ts_ns: int) -> tuple[str, str]:
        native = self.symbols.venue_symbol(symbol)
        request = market_data.snapshot_request(rest_url, native, None)
        body = {"lastUpdateId": seq, "bids": [list(lv[:2]) for lv in bids], "asks": [list(lv[:2]) for lv in asks]}
        return request.url, _json.encode(body).decode()

    def heartbeat(self, ts_ns: int) -> list[Frame]:
        return []  # the client pings MEXC, not the other way round

    @staticmethod
    def _push(channel: str, native: str, body: pb.Body, ts_ns: int) -> bytes:
        ts_ms = ts_ns // 1_000_000
        wrapper = pb.Wrapper(channel=channel, body=body, symbol=native, create_time=ts_ms, send_time=ts_ms)
        return pb.encode_wrapper(wrapper)
