"""Kraken spot: websocket v2 ``book`` channel (in-stream snapshot + updates, CRC32 checksum).

Wire facts (docs.kraken.com/api/docs/websocket-v2/book, guides/spot-ws-book-v2; see
samples/venues/kraken/NOTES.md):

- ``wss://ws.kraken.com/v2``; subscribe
  ``{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":100,"snapshot":true}}``
  with depth ∈ {10, 25, 100, 500, 1000}; one ack per symbol carries the depth.
- Book messages (snapshot and update alike)::

    {"channel":"book","type":"update","data":[{"symbol":"MATIC/USD","bids":[{"price":0.5657,
     "qty":1098.3947558}],"asks":[],"checksum":2114181697,"timestamp":"2023-10-06T17:35:55.440295Z"}]}

  ``price``/``qty`` are JSON *numbers* printed at the pair's precision, trailing zeros
  included, and the checksum is computed over those exact lexemes: the decoder keeps the
  number text (msgspec ``float_hook=str`` on ``Any`` fields — measured faster than
  ``msgspec.Raw`` fields, ~0.9M vs ~0.8M updates/s, and 4x faster than ``json.loads`` with
  ``parse_float=str``). Levels apply in order (repeats allowed), qty 0 deletes, and after
  every message the book is cut to the subscribed depth (no deletes are sent for levels
  that fall out of it) *before* the checksum is taken.
- No sequence numbers: integrity is the checksum only (mismatch → resubscribe).
- ``{"channel":"heartbeat"}`` about once a second; client ping ``{"method":"ping","req_id":n}``.
- Symbols ``BTC/USD`` (v1 used ``XBT/USD``; v1 frames are handled by :mod:`arb.venues.kraken.v1`).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime, timedelta, UTC
from decimal import Decimal
from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from arb.book.book import OrderBook
from arb.book.sync import Checksum, SeqRule
from arb.core.errors import DecodeError, SymbolError
from arb.core.events import BookDelta, BookSnapshot, Control, Event, Subscribed
from arb.core.numbers import FixedParser
from arb.core.symbols import SymbolMap, split, unified
from arb.venues.base import DECODE_FAILURES, Fees, VenueSpec, decode_guard
from arb.venues.kraken.v1 import V1Decoder

NAME = "kraken"
WS_URL = "wss://ws.kraken.com/v2"
REST_URL = "https://api.kraken.com"
#: Depths the book channel accepts; DEPTH is what we subscribe to by default.
DEPTHS = (10, 25, 100, 500, 1000)
DEPTH = 100
#: Depth Kraken applies when a subscription names none.
DEFAULT_DEPTH = 10
#: Levels per side the checksum covers.
CHECKSUM_LEVELS = 10

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


class _Level(msgspec.Struct, gc=False):
    # ``Any`` so that the decoder's float_hook hands over the number's own text.
    price: Any
    qty: Any


class _Data(msgspec.Struct, gc=False):
    """One entry of ``data``: book fields, plus ``system`` of a status message."""

    symbol: str = ""
    bids: list[_Level] | UnsetType = UNSET
    asks: list[_Level] | UnsetType = UNSET
    checksum: int | None = None
    timestamp: datetime | None = None
    system: str = ""


class _Result(msgspec.Struct, gc=False):
    channel: str = ""
    symbol: str = ""
    depth: int | None = None


class _Frame(msgspec.Struct, gc=False):
    """Every v2 message shape we read, as one struct (one typed decode pass per frame)."""

    channel: str = ""
    type: str = ""
    data: list[_Data] | dict[str, Any] | UnsetType = UNSET
    method: str = ""
    result: _Result | None = None
    success: bool | None = None
    error: str | None = None
    symbol: str | None = None
    req_id: int | None = None
    event: str = ""  # a v1 event object


class _Envelope(msgspec.Struct):
    """Just enough of any message to tell which channel it belongs to (slow path)."""

    channel: str = ""


_frame = msgspec.json.Decoder(_Frame, float_hook=str)
_envelope = msgspec.json.Decoder(_Envelope)

#: v2 channels we recognise and do not use.
_IGNORED_CHANNELS = frozenset({"ticker", "trade", "ohlc", "instrument", "level3", "executions", "balances"})
_V1_ARRAY = ("[", b"[")


def parse_symbol(text: str) -> str:
    """``BTC/USD`` (v2) or ``XBT/USD`` (v1) → unified ``BTC/USD``."""
    if ":" in text:
        raise SymbolError(f"not a Kraken symbol: {text[:40]!r}")
    base, quote = split(text)
    return unified(base, quote)


def format_symbol(symbol: str) -> str:
    """Unified ``BTC/USD`` → v2 ``BTC/USD`` (v2 spells assets canonically)."""
    base, quote = split(symbol)
    return f"{base}/{quote}"


# -- checksum ------------------------------------------------------------------------------
def _digits(text: str) -> str:
    """A number's checksum field: its text with ``.`` removed and leading zeros stripped."""
    return text.replace(".", "").lstrip("0")


def _padded(text: str, decimals: int) -> str:
    whole, _, frac = text.partition(".")
    return whole + frac.ljust(decimals, "0")


def checksum(book: OrderBook) -> int:
    """Kraken's CRC32 of a book (v1 and v2 rule), unsigned.

    Top 10 asks (best first) then top 10 bids (best first); for each level its price then
    its quantity, as the venue's own text with ``.`` removed and leading zeros stripped.
    """
    levels = book.asks(CHECKSUM_LEVELS) + book.bids(CHECKSUM_LEVELS)
    try:
        # Levels from the v2 decoder carry their field at index 2 (computed once per change).
        text = "".join([lv[2] for lv in levels])
    except IndexError:  # levels without it (v1 frames, simulator books)
        text = "".join([_digits(lv[0]) + _digits(lv[1]) for lv in levels])
    return zlib.crc32(text.encode())


def checksum_at_precision(book: OrderBook, price_decimals: int, qty_decimals: int) -> int:
    """:func:`checksum` with every price and quantity first padded to the pair's precision.

    Kraken prints numbers at the pair's ``price_precision``/``qty_precision``; text that lost
    its trailing zeros on the way (e.g. the API reference's MATIC/USD example, ``0.566`` for
    ``0.5660``) only matches once padded back.
    """
    parts = []
    for lv in book.asks(CHECKSUM_LEVELS) + book.bids(CHECKSUM_LEVELS):
        parts.append(_digits(_padded(lv[0], price_decimals)) + _digits(_padded(lv[1], qty_decimals)))
    return zlib.crc32("".join(parts).encode())


def checksum_with_precision(price_decimals: int, qty_decimals: int) -> Checksum:
    """A :data:`~arb.book.sync.Checksum` for one pair whose feed drops trailing zeros."""

    def pair_checksum(book: OrderBook) -> int:
        return checksum_at_precision(book, price_decimals, qty_decimals)

    return pair_checksum


# -- decoding ------------------------------------------------------------------------------
def _levels(raw: list[_Level]) -> list[tuple[str, str, str]]:
    """``[{"price":0.5657,"qty":1098.3947558}]`` → ``[("0.5657", "1098.3947558", "56571098…")]``:
    the texts, then the level's checksum field (index 2), computed here once per change
    instead of for every level of the top 20 at every checksum."""
    try:
        return [(p, q, p.replace(".", "").lstrip("0") + q.replace(".", "").lstrip("0")) for p, q in [(lv.price, lv.qty) for lv in raw]]
    except AttributeError:  # integers (``45283``) decode as int, not text
        texts = [(_text(lv.price), _text(lv.qty)) for lv in raw]
        return [(p, q, _digits(p) + _digits(q)) for p, q in texts]


def _text(value: object) -> str:
    """A number's text: floats already arrive as text; integers (``45283``) are exact."""
    if type(value) is str:
        return value
    if type(value) is int:
        return str(value)
    raise ValueError(f"price/qty is not a number: {type(value).__name__}")


class KrakenDecoder:
    """Decoder for one Kraken market-data connection (websocket v2; v1 frames too)."""

    __slots__ = ("symbols", "parser", "_v1")

    def __init__(self, symbols: SymbolMap, parser: FixedParser) -> None:
        self.symbols = symbols
        self.parser = parser
        self._v1: V1Decoder | None = None

    def _legacy(self) -> V1Decoder:
        if self._v1 is None:
            self._v1 = V1Decoder()
        return self._v1

    def decode(self, frame: str | bytes, ts_recv_ns: int) -> list[Event]:
        if frame[:1] in _V1_ARRAY:
            return self._legacy().decode(frame, ts_recv_ns)
        try:
            try:
                msg = _frame.decode(frame)
            except msgspec.ValidationError as exc:
                return self._other_channel(frame, exc)
            if msg.channel == "book":
                return self._on_book(msg, ts_recv_ns)
            if msg.channel:
                if msg.channel == "heartbeat":
                    return [Control("heartbeat", "", ts_recv_ns)]
                if msg.channel == "status":
                    return self._on_status(msg, ts_recv_ns)
                if msg.channel in _IGNORED_CHANNELS:
                    return []
                raise DecodeError(NAME, "unknown-message", f"channel {msg.channel[:40]!r}")
            if msg.method:
                return self._on_method(msg, ts_recv_ns)
            if msg.event:
                return self._legacy().decode(frame, ts_recv_ns)
            raise DecodeError(NAME, "unknown-message", "no channel, method or event")
        except DecodeError:
            raise
        except DECODE_FAILURES as exc:
            raise decode_guard(NAME, exc) from None

    def _on_book(self, msg: _Frame, ts_recv_ns: int) -> list[Event]:
        """``{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[{"price":45283.5,
        "qty":0.10000000}],"asks":[…],"checksum":3310070434,"timestamp":"2023-10-06T17:35:55.440295Z"}]}``"""
        data = msg.data
        snapshot = msg.type == "snapshot"
        if type(data) is not list or not (snapshot or msg.type == "update"):
            raise DecodeError(NAME, "schema", "book message without type snapshot/update and data list")
        events: list[Event] = []
        to_unified = self.symbols.to_unified
        for d in data:
            bids, asks, crc = d.bids, d.asks, d.checksum
            if bids is UNSET or asks is UNSET or crc is None or not d.symbol:
                raise DecodeError(NAME, "schema", "book entry without symbol/bids/asks/checksum")
            if not 0 <= crc < 1 << 32:
                raise DecodeError(NAME, "value", "checksum out of the unsigned 32-bit range")
            symbol = to_unified.get(d.symbol) or self.symbols.unified(d.symbol)
            ts_event_ns = (d.timestamp - _EPOCH) // _US * 1000 if d.timestamp is not None else 0
            if snapshot:
                events.append(BookSnapshot(symbol, _levels(bids), _levels(asks), None, ts_event_ns, ts_recv_ns, crc, "ws"))
            else:
                # Positional: (symbol, bids, asks, first_seq, last_seq, ts_event_ns, ts_recv_ns, prev_seq, checksum)
                events.append(BookDelta(symbol, _levels(bids), _levels(asks), None, None, ts_event_ns, ts_recv_ns, None, crc))
        return events

    def _on_status(self, msg: _Frame, ts_recv_ns: int) -> list[Event]:
        """``{"channel":"status","type":"update","data":[{"version":"2.0.0","system":"online",
        "api_version":"v2","connection_id":123}]}``"""
        data = msg.data
        system = data[0].system if type(data) is list and data else ""
        return [Control("status", system[:40], ts_recv_ns)]

    def _on_method(self, msg: _Frame, ts_recv_ns: int) -> list[Event]:
        """``{"method":"subscribe","result":{"channel":"book","depth":10,"snapshot":true,"symbol":"ALGO/USD"},
        "success":true,"time_in":"…","time_out":"…"}``; ``{"method":"pong","req_id":1,…}``"""
        method = msg.method
        if msg.success is False or msg.error is not None:
            return [Control("error", f"{method} {msg.symbol or ''}: {msg.error}"[:200], ts_recv_ns)]
        if method == "pong":
            return [Control("pong", f"req_id={msg.req_id}", ts_recv_ns)]
        if method not in ("subscribe", "unsubscribe"):
            raise DecodeError(NAME, "unknown-message", f"method {method[:40]!r}")
        result = msg.result
        if result is None or not result.channel:
            raise DecodeError(NAME, "schema", f"{method} ack without result channel")
        symbol = self.symbols.unified(result.symbol) if result.symbol else None
        if method == "unsubscribe":
            return [Control("unsubscribed", result.channel, ts_recv_ns, symbol)]
        if result.channel == "book" and symbol is not None:
            depth = result.depth if result.depth is not None else DEFAULT_DEPTH
            if depth <= 0:
                raise DecodeError(NAME, "value", "book ack with a non-positive depth")
            return [Subscribed(symbol, depth, ts_recv_ns)]
        return [Control("ack", result.channel, ts_recv_ns, symbol)]

    def _other_channel(self, frame: str | bytes, exc: msgspec.ValidationError) -> list[Event]:
        """Slow path: the frame does not fit the book schema; fine if it is another channel's."""
        channel = _envelope.decode(frame).channel
        if channel in _IGNORED_CHANNELS:
            return []
        raise DecodeError(NAME, "schema", f"{channel[:40]!r} message: {str(exc)[:160]}")


# -- requests ------------------------------------------------------------------------------
def connect_url(ws_url: str, venue_symbols: Sequence[str], depth: int | None) -> str:
    return ws_url


def _book_params(venue_symbols: Sequence[str], depth: int | None) -> dict[str, object]:
    depth = DEPTH if depth is None else depth
    if depth not in DEPTHS:
        raise ValueError(f"Kraken book depth must be one of {DEPTHS}, not {depth}")
    return {"channel": "book", "symbol": list(venue_symbols), "depth": depth}


def subscribe_frames(venue_symbols: Sequence[str], depth: int | None, now_ms: int) -> list[str]:
    """One ``book`` subscribe request for all symbols (v2 spelling); each symbol's first
    message is a snapshot."""
    params = {**_book_params(venue_symbols, depth), "snapshot": True}
    return [msgspec.json.encode({"method": "subscribe", "params": params}).decode()]


def unsubscribe_frames(venue_symbols: Sequence[str], depth: int | None, now_ms: int) -> list[str]:
    """``{"method":"unsubscribe","params":{"channel":"book","symbol":[…],"depth":…}}``.

    Followed by :func:`subscribe_frames` for the same symbols it resyncs just those books
    (the venue's remedy for a checksum mismatch): a fresh snapshot each.
    """
    return [msgspec.json.encode({"method": "unsubscribe", "params": _book_params(venue_symbols, depth)}).decode()]


def ping_frame(n: int, now_ms: int) -> str:
    """Application-level ping; the answer is ``{"method":"pong","req_id":n,…}``."""
    return f'{{"method":"ping","req_id":{int(n)}}}'


SPEC = VenueSpec(
    name=NAME,
    seq_rule=SeqRule.NONE,
    snapshot_source="ws",
    depth=DEPTH,
    # Kraken Pro lowest volume tier (kraken.com fee schedule); TradeVolume gives the account's.
    fees=Fees(taker=Decimal("0.004"), maker=Decimal("0.0025")),
    ws_url=WS_URL,
    rest_url=REST_URL,
    parse_symbol=parse_symbol,
    format_symbol=format_symbol,
    decoder=KrakenDecoder,
    connect_url=connect_url,
    subscribe_frames=subscribe_frames,
    unsubscribe_frames=unsubscribe_frames,
    checksum=checksum,
    ping_frame=ping_frame,
    # Heartbeats arrive every second once subscribed; a ping well inside a minute keeps
    # idle connections provably alive.
    ping_interval_s=30.0,
)
