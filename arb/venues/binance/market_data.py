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
from msgspec import UNSET, UnsetType

from arb.book.sync import SeqRule
from arb.core.errors import DecodeError
from arb.core.events import BookDelta, BookSnapshot, Control, Event, TopOfBook
from arb.core.numbers import FixedParser
from arb.core.symbols import SymbolMap, split, split_concatenated, unified
from arb.venues.base import (
    DECODE_FAILURES, decode_guard, decodes, Fees, query_param, RestBudget, RestRequest, VenueSpec,
)

NAME = "binance"
WS_URL = "wss://stream.binance.com:9443"
REST_URL = "https://api.binance.com"
SNAPSHOT_LIMIT = 1000


class _Payload(msgspec.Struct):
    """Every payload shape we read, as one struct (one typed decode pass per frame).

    Fields default to sentinels so a frame of any kind decodes; each kind's handler then
    checks that the fields it needs are really there. ``b``/``a`` are level lists in a
    diff depth and price texts in a book ticker (``a`` is an int id in an aggTrade).
    """

    e: str = ""
    E: int = 0
    s: str = ""
    U: int = -1
    u: int = -1
    b: list[tuple[str, str]] | str | UnsetType = UNSET
    a: list[tuple[str, str]] | str | int | UnsetType = UNSET
    B: str = ""
    A: str = ""
    lastUpdateId: int | None = None


class _Frame(_Payload):
    """A combined-stream envelope, a raw-stream payload or a control reply."""

    stream: str = ""
    data: _Payload | None = None
    id: int | str | None = None
    result: msgspec.Raw = msgspec.Raw(b"null")  # any JSON: null, true, a list of streams …
    code: int | None = None
    msg: str | None = None


class _Snapshot(msgspec.Struct):
    lastUpdateId: int
    bids: list[tuple[str, str]]
    asks: list[tuple[str, str]]


_frame = msgspec.json.Decoder(_Frame)
_snapshot = msgspec.json.Decoder(_Snapshot)

_IGNORED_EVENTS = frozenset(
    {"aggTrade", "trade", "kline", "24hrTicker", "24hrMiniTicker", "1hTicker", "4hTicker", "1dTicker", "avgPrice"}
)


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

    __slots__ = ("symbols", "parser", "_to_unified")

    def __init__(self, symbols: SymbolMap, parser: FixedParser) -> None:
        self.symbols = symbols
        self.parser = parser
        self._to_unified = symbols.to_unified  # the map's own dict: grows as symbols are learnt

    def decode(self, frame: str | bytes, ts_recv_ns: int) -> list[Event]:
        try:
            outer = _frame.decode(frame)
            msg = outer.data or outer
            if msg.e == "depthUpdate":
                # The hot path.
                bids = msg.b
                asks = msg.a
                first = msg.U
                if first < 0 or msg.u < first or type(bids) is not list or type(asks) is not list:
                    raise DecodeError(NAME, "schema", "depthUpdate without U/u/b/a")
                symbol = self._to_unified.get(msg.s) or self.symbols.unified(msg.s)
                # Positional: (symbol, bids, asks, first_seq, last_seq, ts_event_ns, ts_recv_ns)
                return [BookDelta(symbol, bids, asks, first, msg.u, msg.E * 1_000_000, ts_recv_ns)]
            if msg.e:
                if msg.e in _IGNORED_EVENTS:
                    return []
                if msg.e == "serverShutdown":
                    return [Control("reconnect", "serverShutdown", ts_recv_ns)]
                raise DecodeError(NAME, "unknown-message", f"event {msg.e[:40]!r}")
            if msg.u >= 0 and type(msg.b) is str:
                if type(msg.a) is not str or not (msg.s and msg.B and msg.A):
                    raise DecodeError(NAME, "schema", "bookTicker without s/b/B/a/A")
                return [
                    TopOfBook(self.symbols.unified(msg.s), msg.u, (msg.b, msg.B), (msg.a, msg.A), 0, ts_recv_ns)
                ]
            if msg.lastUpdateId is not None:
                return []  # partial-depth push (top N); full books come from the diffs
            if outer.code is not None:
                return [Control("error", f"{outer.code}: {outer.msg}", ts_recv_ns)]
            if outer.id is not None:
                return [Control("ack", f"id={outer.id}", ts_recv_ns)]
            raise DecodeError(NAME, "unknown-message", "no event type")
        except DecodeError:
            raise
        except DECODE_FAILURES as exc:
            raise decode_guard(NAME, exc) from None


def connect_url(ws_url: str, venue_symbols: Sequence[str], depth: int | None) -> str:
    """Combined-stream URL naming each symbol's diff depth (100 ms) and book ticker."""
    streams = []
    for native in venue_symbols:
        low = native.lower()
        streams += [f"{low}@depth@100ms", f"{low}@bookTicker"]
    return f"{ws_url}/stream?streams=" + "/".join(streams)


def subscribe_frames(venue_symbols: Sequence[str], depth: int | None, now_ms: int) -> list[str]:
    """Streams are named in the connect URL; nothing to send."""
    return []


def ping_frame(n: int, now_ms: int) -> str:
    """An application-level liveness probe: ``SET_PROPERTY combined true`` → ``{"result":null,"id":n}``.

    Binance itself only needs the protocol-level pong (the websocket library sends it), but
    a quiet stream can stay silent for minutes; this request's answer is inbound data, so
    idle detection can tell a quiet stream from a dead one. It changes nothing: connections
    opened on ``/stream`` are combined already. (``GET_PROPERTY``/``LIST_SUBSCRIPTIONS``
    would do too, but their non-null ``result`` is not decoded.) It counts against the 5
    incoming messages per second a connection may send.
    """
    return f'{{"method":"SET_PROPERTY","params":["combined",true],"id":{int(n)}}}'


def snapshot_request(rest_url: str, venue_symbol: str, depth: int | None) -> RestRequest:
    limit = depth or SNAPSHOT_LIMIT
    weight = 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250
    return RestRequest("GET", f"{rest_url}/api/v3/depth?symbol={venue_symbol}&limit={limit}", weight=weight)


@decodes(NAME)
def decode_snapshot(url: str, body: str | bytes, ts_recv_ns: int, symbols: SymbolMap, parser: FixedParser) -> BookSnapshot:
    """``GET /api/v3/depth`` body → snapshot at ``lastUpdateId``."""
    msg = _snapshot.decode(body)
    return BookSnapshot(
        symbol=symbols.unified(query_param(url, "symbol")),
        bids=msg.bids,
        asks=msg.asks,
        seq=msg.lastUpdateId,
        ts_event_ns=0,
        ts_recv_ns=ts_recv_ns,
        source="rest",
    )


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
    ping_frame=ping_frame,
    ping_interval_s=20.0,
    max_connection_age_s=24 * 3600,
    # 1024 streams per connection, two per symbol (depth + bookTicker); far fewer, so that
    # the combined-stream URL naming them all stays well under 8 KB, a common limit on a
    # request line: ~41 bytes per 8-letter symbol (``kedausdt@depth@100ms/kedausdt@bookTicker/``)
    # made 200 symbols 8.2 KB, answered HTTP 414 by a server with that limit.
    max_symbols_per_connection=100,
    # REQUEST_WEIGHT 6000 / min per IP (exchangeInfo is authoritative); keep a fifth for
    # the executor's calls from the same IP.
    rest_budget=RestBudget(weight=4800, window_s=60.0),
)
