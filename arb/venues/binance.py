"""Binance spot: combined-stream JSON diff depth + REST snapshot (``U``/``u`` sync).

Wire facts (binance-spot-api-docs, web-socket-streams.md):

- Combined stream ``/stream?streams=lrcbtc@depth@100ms/lrcbtc@bookTicker`` wraps every
  payload as ``{"stream": …, "data": …}``; raw ``/ws/…`` streams send the payload alone.
- Diff depth::

    {"e":"depthUpdate","E":1633998516670,"s":"LRCBTC","U":259345536,"u":259345539,
     "b":[["0.00000636","10310.00000000"]],"a":[["0.00000639","23417.00000000"]]}

- Sync: snapshot ``GET /api/v3/depth`` → ``lastUpdateId``; drop events with
  ``u ≤ lastUpdateId``; the first applied has ``U ≤ lastUpdateId+1 ≤ u``; then ``U = u'+1``.
- ``bookTicker`` ``{"u":…,"s":…,"b":…,"B":…,"a":…,"A":…}`` shares the depth update-id scale:
  an oracle for the rebuilt best levels.
- The server pings every 20 s (protocol level); a ``serverShutdown`` event precedes a
  planned disconnect; connections live at most 24 h.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import msgspec

from arb.book.sync import SeqRule
from arb.core.errors import DecodeError
from arb.core.events import BookDelta, BookSnapshot, Control, Event, TopOfBook
from arb.core.numbers import FixedParser
from arb.core.symbols import SymbolMap, split, split_concatenated, unified
from arb.venues.base import (
    DECODE_FAILURES, Fees, RestRequest, VenueSpec, decode_guard, levels_from_pairs, ms_to_ns,
    query_param,
)

NAME = "binance"
WS_URL = "wss://stream.binance.com:9443"
REST_URL = "https://api.binance.com"
SNAPSHOT_LIMIT = 1000


class _Envelope(msgspec.Struct):
    stream: str
    data: msgspec.Raw


class _DepthUpdate(msgspec.Struct):
    E: int
    s: str
    U: int
    u: int
    b: list[tuple[str, str]]
    a: list[tuple[str, str]]


class _BookTicker(msgspec.Struct):
    u: int
    s: str
    b: str
    B: str
    a: str
    A: str


class _Snapshot(msgspec.Struct):
    lastUpdateId: int
    bids: list[tuple[str, str]]
    asks: list[tuple[str, str]]


class _Raw(msgspec.Struct):
    """A raw-stream payload or control reply: just enough to dispatch."""

    e: str | None = None
    id: int | str | None = None
    result: msgspec.Raw | None = None
    code: int | None = None
    msg: str | None = None
    lastUpdateId: int | None = None
    u: int | None = None


_envelope = msgspec.json.Decoder(_Envelope)
_depth = msgspec.json.Decoder(_DepthUpdate)
_ticker = msgspec.json.Decoder(_BookTicker)
_raw = msgspec.json.Decoder(_Raw)
_snapshot = msgspec.json.Decoder(_Snapshot)

_IGNORED_EVENTS = frozenset({"aggTrade", "trade", "kline", "24hrTicker", "24hrMiniTicker", "1hTicker", "4hTicker", "1dTicker", "avgPrice"})


def parse_symbol(text: str) -> str:
    """``LRCBTC`` (any case) → ``LRC/BTC``."""
    base, quote = split_concatenated(text)
    return unified(base, quote)


def format_symbol(symbol: str) -> str:
    """``LRC/BTC`` → ``LRCBTC``."""
    base, quote = split(symbol)
    return base + quote


class BinanceDecoder:
    """Decoder for one Binance market-data connection (combined or raw streams)."""

    __slots__ = ("symbols", "parser")

    def __init__(self, symbols: SymbolMap, parser: FixedParser) -> None:
        self.symbols = symbols
        self.parser = parser

    def decode(self, frame: str | bytes, ts_recv_ns: int) -> list[Event]:
        try:
            if frame[:10] in ('{"stream":', b'{"stream":'):
                env = _envelope.decode(frame)
                stream = env.stream
                if "@depth" in stream:
                    return [self._depth(_depth.decode(env.data), ts_recv_ns)]
                if stream.endswith("@bookTicker"):
                    return [self._ticker(_ticker.decode(env.data), ts_recv_ns)]
                return self._other(env.data, ts_recv_ns)
            return self._other(frame, ts_recv_ns)
        except DecodeError:
            raise
        except DECODE_FAILURES as exc:
            raise decode_guard(NAME, exc) from None

    def _depth(self, msg: _DepthUpdate, ts_recv_ns: int) -> BookDelta:
        parser = self.parser
        return BookDelta(
            symbol=self.symbols.unified(msg.s),
            bids=[(parser[p], parser[q], p, q) for p, q in msg.b],
            asks=[(parser[p], parser[q], p, q) for p, q in msg.a],
            first_seq=msg.U,
            last_seq=msg.u,
            ts_event_ns=msg.E * 1_000_000,
            ts_recv_ns=ts_recv_ns,
        )

    def _ticker(self, msg: _BookTicker, ts_recv_ns: int) -> TopOfBook:
        parser = self.parser
        return TopOfBook(
            symbol=self.symbols.unified(msg.s),
            seq=msg.u,
            bid=(parser[msg.b], parser[msg.B], msg.b, msg.B),
            ask=(parser[msg.a], parser[msg.A], msg.a, msg.A),
            ts_event_ns=0,
            ts_recv_ns=ts_recv_ns,
        )

    def _other(self, payload: bytes | str, ts_recv_ns: int) -> list[Event]:
        """Raw-stream payloads and control replies."""
        msg = _raw.decode(payload)
        if msg.e == "depthUpdate":
            return [self._depth(_depth.decode(payload), ts_recv_ns)]
        if msg.e in _IGNORED_EVENTS:
            return []
        if msg.e == "serverShutdown":
            return [Control("reconnect", "serverShutdown", ts_recv_ns)]
        if msg.e is None and msg.code is not None:
            return [Control("error", f"{msg.code}: {msg.msg}", ts_recv_ns)]
        if msg.e is None and msg.id is not None:
            return [Control("ack", f"id={msg.id}", ts_recv_ns)]
        if msg.e is None and msg.lastUpdateId is not None:
            return []  # partial-depth push (top N); we keep full books from diffs
        if msg.e is None and msg.u is not None:
            return [self._ticker(_ticker.decode(payload), ts_recv_ns)]
        raise DecodeError(NAME, "unknown-message", f"event {msg.e!r}")


def connect_url(ws_url: str, venue_symbols: Sequence[str], depth: int | None) -> str:
    """Combined-stream URL naming each symbol's diff depth (100 ms) and book ticker."""
    streams = []
    for native in venue_symbols:
        low = native.lower()
        streams += [f"{low}@depth@100ms", f"{low}@bookTicker"]
    return f"{ws_url}/stream?streams=" + "/".join(streams)


def subscribe_frames(venue_symbols: Sequence[str], depth: int | None) -> list[str]:
    """Streams are named in the connect URL; nothing to send."""
    return []


def snapshot_request(rest_url: str, venue_symbol: str, depth: int | None) -> RestRequest:
    limit = depth or SNAPSHOT_LIMIT
    weight = 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250
    return RestRequest("GET", f"{rest_url}/api/v3/depth?symbol={venue_symbol}&limit={limit}", weight=weight)


def decode_snapshot(url: str, body: str | bytes, ts_recv_ns: int, symbols: SymbolMap, parser: FixedParser) -> BookSnapshot:
    """``GET /api/v3/depth`` body → snapshot at ``lastUpdateId``."""
    try:
        msg = _snapshot.decode(body)
        return BookSnapshot(
            symbol=symbols.unified(query_param(url, "symbol")),
            bids=levels_from_pairs(msg.bids, parser),
            asks=levels_from_pairs(msg.asks, parser),
            seq=msg.lastUpdateId,
            ts_event_ns=0,
            ts_recv_ns=ts_recv_ns,
            source="rest",
        )
    except DecodeError:
        raise
    except DECODE_FAILURES as exc:
        raise decode_guard(NAME, exc) from None


SPEC = VenueSpec(
    name=NAME,
    seq_rule=SeqRule.RANGE,
    snapshot_source="rest",
    depth=None,
    fees=Fees(taker=Decimal("0.001"), maker=Decimal("0.001")),
    ws_url=WS_URL,
    rest_url=REST_URL,
    parse_symbol=parse_symbol,
    format_symbol=format_symbol,
    decoder=BinanceDecoder,
    connect_url=connect_url,
    subscribe_frames=subscribe_frames,
    snapshot_request=snapshot_request,
    decode_snapshot=decode_snapshot,
)
