"""Coinbase Advanced Trade: ``level2`` websocket books, checked by the connection's ``sequence_num``.

Wire facts (docs.cdp.coinbase.com Advanced Trade websocket channels/overview; see
samples/venues/coinbase/NOTES.md):

- ``wss://advanced-trade-ws.coinbase.com``; one channel per subscribe message:
  ``{"type":"subscribe","product_ids":["BTC-USD"],"channel":"level2"}`` and
  ``{"type":"subscribe","channel":"heartbeats"}`` (keeps idle subscriptions open; no
  client ping).
- Book messages arrive on channel ``l2_data``; the first event per product is a
  ``snapshot`` (the whole book, unsorted), then ``update`` events; ``new_quantity`` is the
  absolute size (``"0"`` removes the level); sides are ``"bid"``/``"offer"``; a message may
  carry several events::

    {"channel":"l2_data","client_id":"","timestamp":"2023-02-09T20:32:50.714964855Z",
     "sequence_num":0,"events":[{"type":"snapshot","product_id":"BTC-USD","updates":[
     {"side":"bid","event_time":"1970-01-01T00:00:00Z","price_level":"21921.73",
     "new_quantity":"0.06317902"}]}]}

- Integrity: books carry no sequence and no checksum (:attr:`SeqRule.NONE
  <arb.book.sync.SeqRule.NONE>`). The envelope's ``sequence_num`` counts every message on
  the connection (acks, heartbeats, ``l2_data``) one by one: a jump means a lost message,
  so every book of the connection must resync (resubscribe → fresh snapshot); a lower
  number is out of order and ignored.
- The websocket snapshot is the sync source. The REST book ``GET
  /api/v3/brokerage/market/product_book?product_id=`` has no sequence to line it up with
  the stream: it is a cross-check only, so it is not wired into :data:`SPEC`
  (:func:`decode_snapshot` is here for that cross-check).
- REST auth: a JWT (ES256, CDP API key) in ``Authorization: Bearer …`` (:func:`arb.venues.coinbase.signing.build_jwt`).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from arb.book.sync import SeqRule
from arb.core.errors import DecodeError, SymbolError
from arb.core.events import BookDelta, BookSnapshot, Control, Event, ResyncRequired
from arb.core.numbers import FixedParser
from arb.core.symbols import SymbolMap, split, unified
from arb.venues.base import (
    DECODE_FAILURES, decode_guard, decodes, Fees, query_param, RestBudget, RestRequest, VenueSpec,
)

NAME = "coinbase"
WS_URL = "wss://advanced-trade-ws.coinbase.com"
REST_URL = "https://api.coinbase.com"
PRODUCT_BOOK_PATH = "/api/v3/brokerage/market/product_book"
#: Coinbase International perpetuals (``BTC-PERP-INTX``) are margined and settled in USDC.
_PERP_SUFFIX = "-PERP-INTX"
_PERP_QUOTE = "USDC"

#: Channels that are recognised but carry nothing for the books.
_IGNORED_CHANNELS = frozenset(
    {"ticker", "ticker_batch", "market_trades", "candles", "status", "user", "futures_balance_summary"}
)


class _Update(msgspec.Struct, gc=False):
    side: str
    price_level: str
    new_quantity: str


class _Event(msgspec.Struct, gc=False):
    """Every event shape we read, as one struct; other channels' fields are ignored."""

    type: str = ""
    product_id: str = ""
    updates: list[_Update] | None = None
    subscriptions: dict[str, Any] | None = None
    heartbeat_counter: int | str | None = None


class _Frame(msgspec.Struct, gc=False):
    channel: str = ""
    timestamp: str = ""
    sequence_num: int = -1
    events: list[_Event] | None = None
    #: ``{"type":"error","message":"…"}`` frames have neither channel nor sequence_num.
    type: str = ""
    message: str = ""


class _PriceLevel(msgspec.Struct, gc=False):
    price: str
    size: str


class _PriceBook(msgspec.Struct, gc=False):
    product_id: str
    bids: list[_PriceLevel]
    asks: list[_PriceLevel]
    time: str = ""


class _ProductBook(msgspec.Struct, gc=False):
    pricebook: _PriceBook


_frame = msgspec.json.Decoder(_Frame)
_product_book = msgspec.json.Decoder(_ProductBook)
_json = msgspec.json.Encoder()


def parse_symbol(text: str) -> str:
    """``BTC-USD`` → ``BTC/USD``; ``BTC-PERP-INTX`` → ``BTC/USDC:USDC``."""
    if text.endswith(_PERP_SUFFIX):
        base = text[: -len(_PERP_SUFFIX)]
        if base and "-" not in base:
            return unified(base, _PERP_QUOTE, settle=_PERP_QUOTE)
    else:
        base, sep, quote = text.partition("-")
        if sep and base and quote and "-" not in quote:
            return unified(base, quote)
    raise SymbolError(f"not a Coinbase product id: {text[:40]!r}")


def format_symbol(symbol: str) -> str:
    """``BTC/USD`` → ``BTC-USD``; ``BTC/USDC:USDC`` → ``BTC-PERP-INTX``."""
    base, quote = split(symbol)
    _, colon, settle = symbol.partition(":")
    if not colon:
        return f"{base}-{quote}"
    if quote == _PERP_QUOTE and settle == _PERP_QUOTE:
        return base + _PERP_SUFFIX
    raise SymbolError(f"no Coinbase product for {symbol!r}")


def _sides(updates: list[_Update] | None) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Split ``updates`` into bid and ask levels (the venue mixes both sides in one list)."""
    if updates is None:
        raise DecodeError(NAME, "schema", "l2_data event without updates")
    bids = [(u.price_level, u.new_quantity) for u in updates if u.side == "bid"]
    asks = [(u.price_level, u.new_quantity) for u in updates if u.side == "offer"]
    if len(bids) + len(asks) != len(updates):
        bad = next(u.side for u in updates if u.side != "bid" and u.side != "offer")
        raise DecodeError(NAME, "schema", f"side {bad[:20]!r} is neither bid nor offer")
    return bids, asks


class RfcTime:
    """RFC 3339 UTC times (``2023-02-09T20:32:50.714964855Z``) → int ns, exactly.

    Remembers the epoch second of each ``YYYY-MM-DDTHH:MM`` prefix seen (bounded), so a
    stream of timestamps costs a dict hit and two ``int()`` each.
    """

    __slots__ = ("_minutes",)

    def __init__(self) -> None:
        self._minutes: dict[str, int] = {}

    def ns(self, text: str) -> int:
        """Parse ``text``; raises ``ValueError`` unless it is ``…THH:MM:SS[.f{1,9}]Z``."""
        prefix = text[:16]
        base = self._minutes.get(prefix)
        if base is None:
            base = self._minute(prefix)
        rest = text[16:]
        seconds = rest[1:3]
        frac = rest[3:-1]
        if (
            len(rest) < 4 or rest[0] != ":" or rest[-1] != "Z" or not (seconds.isdigit() and seconds.isascii())
            or int(seconds) > 60
        ):
            raise ValueError(f"not an RFC 3339 UTC time: {text[:40]!r}")
        nanos = 0
        if frac:
            digits = frac[1:]
            if frac[0] != "." or not digits or len(digits) > 9 or not (digits.isdigit() and digits.isascii()):
                raise ValueError(f"not an RFC 3339 UTC time: {text[:40]!r}")
            nanos = int(digits) * 10 ** (9 - len(digits))
        return (base + int(seconds)) * 1_000_000_000 + nanos

    def _minute(self, prefix: str) -> int:
        shape = (prefix[4:5], prefix[7:8], prefix[10:11], prefix[13:14])
        if not (len(prefix) == 16 and prefix.isascii() and shape == ("-", "-", "T", ":")):
            raise ValueError(f"not an RFC 3339 UTC time: {prefix!r}")
        fields = (prefix[0:4], prefix[5:7], prefix[8:10], prefix[11:13], prefix[14:16])
        if not all(f.isdigit() for f in fields):
            raise ValueError(f"not an RFC 3339 UTC time: {prefix!r}")
        year, month, day, hour, minute = (int(f) for f in fields)
        moment = datetime(year, month, day, hour, minute)  # validates month/day/hour/minute ranges
        base = calendar.timegm(moment.timetuple())
        if len(self._minutes) >= 4096:
            self._minutes.clear()
        self._minutes[prefix] = base
        return base


class CoinbaseDecoder:
    """Decoder for one Advanced Trade market-data connection.

    Tracks the connection's ``sequence_num``: a jump emits ``ResyncRequired(None, "gap: …")``
    (every book on the connection resyncs) before the message's own events; a number not
    above the last one is ignored. A frame that fails to decode does not advance the
    sequence, so a lost ``l2_data`` message still shows as a gap on the next one.
    """

    __slots__ = ("symbols", "parser", "last_seq", "_time")

    def __init__(self, symbols: SymbolMap, parser: FixedParser) -> None:
        self.symbols = symbols
        self.parser = parser
        self.last_seq: int | None = None
        self._time = RfcTime()

    def decode(self, frame: str | bytes, ts_recv_ns: int) -> list[Event]:
        try:
            msg = _frame.decode(frame)
            seq = msg.sequence_num
            if seq < 0:
                if msg.type == "error":
                    return [Control("error", msg.message[:200], ts_recv_ns)]
                raise DecodeError(NAME, "schema", "frame without sequence_num")
            last = self.last_seq
            if last is not None and seq <= last:
                return []  # out of order or repeated: already seen
            events = msg.events
            if events is None:
                raise DecodeError(NAME, "schema", "frame without events")
            channel = msg.channel
            if channel == "l2_data":
                out = self._l2_data(msg, events, ts_recv_ns)
            elif channel == "heartbeats":
                out = [Control("heartbeat", str(ev.heartbeat_counter), ts_recv_ns) for ev in events]
            elif channel == "subscriptions":
                out = [Control("ack", _subscriptions(ev.subscriptions), ts_recv_ns) for ev in events]
            elif channel in _IGNORED_CHANNELS:
                out = []
            else:
                raise DecodeError(NAME, "unknown-message", f"channel {channel[:40]!r}")
            self.last_seq = seq
            if last is not None and seq != last + 1:
                out.insert(0, ResyncRequired(None, f"gap: sequence_num {last + 1} expected, got {seq}", ts_recv_ns))
            return out
        except DecodeError:
            raise
        except DECODE_FAILURES as exc:
            raise decode_guard(NAME, exc) from None

    def _l2_data(self, msg: _Frame, events: list[_Event], ts_recv_ns: int) -> list[Event]:
        """Snapshot and update events of one ``l2_data`` message (see the module docstring)."""
        ts_event_ns = self._time.ns(msg.timestamp) if msg.timestamp else 0
        out: list[Event] = []
        to_unified = self.symbols.to_unified
        for ev in events:
            native = ev.product_id
            if not native:
                raise DecodeError(NAME, "schema", "l2_data event without product_id")
            symbol = to_unified.get(native) or self.symbols.unified(native)
            bids, asks = _sides(ev.updates)
            if ev.type == "update":
                # Positional: (symbol, bids, asks, first_seq, last_seq, ts_event_ns, ts_recv_ns)
                out.append(BookDelta(symbol, bids, asks, None, None, ts_event_ns, ts_recv_ns))
            elif ev.type == "snapshot":
                out.append(BookSnapshot(symbol, bids, asks, None, ts_event_ns, ts_recv_ns, source="ws"))
            else:
                raise DecodeError(NAME, "unknown-message", f"l2_data event type {ev.type[:40]!r}")
        return out


def _subscriptions(subscriptions: dict[str, Any] | None) -> str:
    """``{"level2":["BTC-USD"],"heartbeats":["heartbeats"]}`` → ``"heartbeats=heartbeats;level2=BTC-USD"``."""
    if subscriptions is None:
        raise DecodeError(NAME, "schema", "subscriptions event without subscriptions")
    parts = []
    for channel, ids in sorted(subscriptions.items()):
        listed = ",".join(map(str, ids)) if isinstance(ids, list) else str(ids)
        parts.append(f"{channel}={listed}")
    return ";".join(parts)[:200]


def connect_url(ws_url: str, venue_symbols: Sequence[str], depth: int | None) -> str:
    return ws_url


def subscribe_frames(venue_symbols: Sequence[str], depth: int | None, now_ms: int) -> list[str]:
    """``level2`` for the products, then ``heartbeats`` (one channel per message).

    Repeating the ``heartbeats`` subscription (as a one-product resubscribe does) is harmless:
    the venue acks the same subscription set.
    """
    if not venue_symbols:
        return []
    return [
        _json.encode({"type": "subscribe", "product_ids": list(venue_symbols), "channel": "level2"}).decode(),
        _json.encode({"type": "subscribe", "channel": "heartbeats"}).decode(),
    ]


def unsubscribe_frames(venue_symbols: Sequence[str], depth: int | None, now_ms: int) -> list[str]:
    """Drop ``level2`` for the products; subscribing again brings a fresh snapshot of each."""
    if not venue_symbols:
        return []
    return [_json.encode({"type": "unsubscribe", "product_ids": list(venue_symbols), "channel": "level2"}).decode()]


def snapshot_request(rest_url: str, venue_symbol: str, depth: int | None) -> RestRequest:
    """The public REST book (a cross-check: the stream's snapshot is the sync source)."""
    url = f"{rest_url}{PRODUCT_BOOK_PATH}?product_id={venue_symbol}"
    return RestRequest("GET", url + (f"&limit={depth}" if depth else ""))


@decodes(NAME)
def decode_snapshot(url: str, body: str | bytes, ts_recv_ns: int, symbols: SymbolMap, parser: FixedParser) -> BookSnapshot:
    """``GET …/market/product_book`` body → an unsequenced snapshot (``seq`` None)::

        {"pricebook":{"product_id":"BTC-USD","bids":[{"price":"68923.66","size":"0.17189468"}],
         "asks":[{"price":"68923.67","size":"0.16987193"}],"time":"2026-04-07T00:28:59.662782Z"},
         "last":"68923.665","mid_market":"68923.665","spread_bps":"0.001450880372","spread_absolute":"0.01"}
    """
    book = _product_book.decode(body).pricebook
    native = query_param(url, "product_id")
    if book.product_id != native:
        raise DecodeError(NAME, "schema", f"asked for {native[:40]!r}, got {book.product_id[:40]!r}")
    return BookSnapshot(
        symbol=symbols.unified(native),
        bids=[(lv.price, lv.size) for lv in book.bids],
        asks=[(lv.price, lv.size) for lv in book.asks],
        seq=None,
        ts_event_ns=RfcTime().ns(book.time) if book.time else 0,
        ts_recv_ns=ts_recv_ns,
        source="rest",
    )


SPEC = VenueSpec(
    name=NAME,
    seq_rule=SeqRule.NONE,
    snapshot_source="ws",
    depth=None,
    # Advanced Trade's lowest public tier (0.60 % taker / 0.40 % maker); config should carry
    # the account's real rates (GET /api/v3/brokerage/transaction_summary).
    fees=Fees(taker=Decimal("0.006"), maker=Decimal("0.004")),
    ws_url=WS_URL,
    rest_url=REST_URL,
    parse_symbol=parse_symbol,
    format_symbol=format_symbol,
    decoder=CoinbaseDecoder,
    connect_url=connect_url,
    subscribe_frames=subscribe_frames,
    unsubscribe_frames=unsubscribe_frames,
    snapshot_symbol_param="product_id",
    # Public REST about 10 requests / s per IP (the product book is a cross-check only).
    rest_budget=RestBudget(weight=10, window_s=1.0),
)
