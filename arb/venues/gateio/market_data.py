"""Gate (gate.io) spot, API v4: ``spot.order_book_update`` diffs + REST snapshot (``U``/``u`` sync).

Wire facts (Gate Spot WebSocket v4 docs; samples/venues/gateio/NOTES.md):

- One endpoint ``wss://api.gateio.ws/ws/v4/``; every server frame is
  ``{"time","time_ms"?,"channel","event","result"|"error"}``. Requests carry ``time`` (unix
  seconds, the docs require it within 60 s of the server clock).
- ``spot.order_book_update`` ``[pair, "100ms"]`` (100 levels) or ``[pair, "20ms"]`` (20 levels).
  The 2021 recording's format (no ``full``/``l``/``time_ms``)::

    {"time":1619093533,"channel":"spot.order_book_update","event":"update","result":
     {"t":1619093533020,"e":"depthUpdate","E":1619093533,"s":"FAST_USDT","U":1130669,
      "u":1138115,"b":[["10.28","36.50154112"]],"a":[["10.63","5"]]}}

  Since 2025 a push may carry ``"full":true`` (and ``"l":"100"``): it overwrites the book, so
  it becomes an in-stream snapshot at ``u``. Sync against
  ``GET /api/v4/spot/order_book?currency_pair=…&limit=100&with_id=true`` (``id``): drop
  ``u <= id``, the first applied has ``U <= id+1 <= u``, then ``U = u'+1`` (:data:`SeqRule.RANGE`).
- ``spot.obu`` (Order Book V2, 2025) ``["ob.BTC_USDT.50"]`` (50 levels, 20 ms) or
  ``ob.BTC_USDT.400`` (400 levels, 100 ms): the first push is ``full:true`` with ``u`` only,
  then increments with ``U == local+1``; a gap means unsubscribe + subscribe (one
  subscription per stream per connection, a duplicate is error 2 "Alert sub …").
- ``spot.book_ticker`` (``u`` = book update id, ``b``/``B``/``a``/``A``) is a top-of-book oracle.
- ``{"type":"upgrade","msg":"… Please reconnect."}`` precedes a server restart.
- App ping ``{"time":t,"channel":"spot.ping"}`` → ``spot.pong`` (the server also pings at
  protocol level). No checksum on any spot book channel.

Which channel SPEC subscribes to: ``spot.order_book_update`` (100 levels, 100 ms).
Both channels decode here, and ``spot.obu``'s protocol is the simpler one on paper (atomic
in-stream snapshot, no REST race); its resync is "unsubscribe, then subscribe again on the
same connection" (a plain re-subscribe is refused as a duplicate), which
:func:`obu_unsubscribe_frames` + :func:`obu_subscribe_frames` express in the
:class:`VenueSpec` shape (``snapshot_source="ws"``). ``order_book_update`` resyncs per symbol
with one REST call through the path :class:`VenueBooks` and :class:`BookSync` implement end
to end (buffer, straddle, stale snapshot → gap → refetch), its ``full:true`` pushes
re-snapshot in-stream for free, and it is the channel the real recording verifies.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from arb.book.sync import SeqRule
from arb.core.errors import DecodeError, SymbolError
from arb.core.events import BookDelta, BookSnapshot, Control, Event, Subscribed, TopOfBook
from arb.core.numbers import FixedParser
from arb.core.symbols import SymbolMap, split, unified
from arb.venues.base import (
    DECODE_FAILURES, decode_guard, decodes, Fees, query_param, RestBudget, RestRequest, VenueSpec,
)

NAME = "gateio"
WS_URL = "wss://api.gateio.ws/ws/v4/"
REST_URL = "https://api.gateio.ws"
SNAPSHOT_PATH = "/api/v4/spot/order_book"
DEPTH = 100
#: ``spot.order_book_update`` intervals and the book depth each one sends.
INTERVAL_DEPTH = {"100ms": 100, "20ms": 20}

_Seq = Annotated[int, Meta(ge=0)]
_Levels = list[tuple[str, str]]


class _Result(msgspec.Struct):
    """Every ``result`` shape we read (or skip), as one struct: one typed decode per frame.

    Book pushes use ``t`` (ms int), ``s``, ``U``/``u``, ``b``/``a`` level lists, ``full`` and
    ``l``; ``spot.book_ticker`` has ``b``/``a`` as price texts; candles send ``t`` and ``l``
    as text; trades and tickers only have fields we ignore.
    """

    t: int | str = -1
    full: bool = False
    l: str = ""
    s: str = ""
    U: _Seq | None = None
    u: _Seq | None = None
    b: _Levels | str | UnsetType = UNSET
    a: _Levels | str | UnsetType = UNSET
    B: str = ""
    A: str = ""


class _Error(msgspec.Struct):
    code: int | None = None
    message: str = ""


class _Frame(msgspec.Struct):
    channel: str = ""
    event: str = ""
    result: _Result | None = None
    error: _Error | None = None
    payload: list[str] | None = None
    type: str = ""  # {"type":"upgrade"} notice
    msg: str = ""


class _Snapshot(msgspec.Struct):
    id: _Seq
    bids: _Levels
    asks: _Levels
    update: int = 0


_frame = msgspec.json.Decoder(_Frame)
_snapshot = msgspec.json.Decoder(_Snapshot)

_IGNORED_CHANNELS = frozenset({"spot.trades", "spot.tickers", "spot.candlesticks", "spot.order_book"})


def parse_symbol(text: str) -> str:
    """``BTC_USDT`` → ``BTC/USDT``."""
    base, sep, quote = text.partition("_")
    if not sep or not base or not quote or "_" in quote:
        raise SymbolError(f"not a Gate currency pair: {text[:40]!r}")
    return unified(base, quote)


def format_symbol(symbol: str) -> str:
    """``BTC/USDT`` → ``BTC_USDT``."""
    base, quote = split(symbol)
    return f"{base}_{quote}"


def _ts_ns(t: int | str) -> int:
    if type(t) is not int:
        raise DecodeError(NAME, "schema", "book push with a non-integer t")
    return t * 1_000_000 if t >= 0 else 0


class GateioDecoder:
    """Decoder for one Gate spot connection (``spot.order_book_update`` and ``spot.obu``)."""

    __slots__ = ("symbols", "parser", "_streams")

    def __init__(self, symbols: SymbolMap, parser: FixedParser) -> None:
        self.symbols = symbols
        self.parser = parser
        #: obu stream name → (unified symbol, depth)
        self._streams: dict[str, tuple[str, int]] = {}

    def decode(self, frame: str | bytes, ts_recv_ns: int) -> list[Event]:
        try:
            msg = _frame.decode(frame)
            r = msg.result
            # Pushes say "event":"update" (the docs' obu examples leave it out); acks echo
            # the request's event with result {"status":"success"}.
            if r is not None and msg.event != "subscribe" and msg.event != "unsubscribe":
                channel = msg.channel
                if channel == "spot.order_book_update":
                    return self._order_book_update(r, ts_recv_ns)
                if channel == "spot.obu":
                    return self._obu(r, ts_recv_ns)
                if channel == "spot.book_ticker":
                    return self._book_ticker(r, ts_recv_ns)
                if channel in _IGNORED_CHANNELS:
                    return []
                raise DecodeError(NAME, "unknown-message", f"channel {channel[:40]!r}")
            return self._control(msg, ts_recv_ns)
        except DecodeError:
            raise
        except DECODE_FAILURES as exc:
            raise decode_guard(NAME, exc) from None

    def _order_book_update(self, r: _Result, ts_recv_ns: int) -> list[Event]:
        """``spot.order_book_update`` push: a diff, or (``full:true``) a snapshot at ``u``.

        ``{"t":1606294781123,"full":true,"l":"100","e":"depthUpdate","E":1606294781,
        "s":"BTC_USDT","U":48776301,"u":48776306,"b":[["19137.74","0.0001"]],"a":[…]}``
        """
        bids, asks, first, last = r.b, r.a, r.U, r.u
        if last is None or type(bids) is not list or type(asks) is not list or not r.s:
            raise DecodeError(NAME, "schema", "order_book_update without s/u/b/a")
        symbol = self.symbols.to_unified.get(r.s) or self.symbols.unified(r.s)
        if r.full:
            snap = BookSnapshot(symbol, bids, asks, last, _ts_ns(r.t), ts_recv_ns, None, "ws")
            if r.l.isdigit() and r.l.isascii():
                return [Subscribed(symbol, int(r.l), ts_recv_ns), snap]
            return [snap]
        if first is None or first > last:
            raise DecodeError(NAME, "schema", "order_book_update without U <= u")
        # Positional: (symbol, bids, asks, first_seq, last_seq, ts_event_ns, ts_recv_ns)
        return [BookDelta(symbol, bids, asks, first, last, _ts_ns(r.t), ts_recv_ns)]

    def _obu(self, r: _Result, ts_recv_ns: int) -> list[Event]:
        """``spot.obu`` push: ``full:true`` snapshot at ``u``, else an increment ``U..u``.

        ``{"t":1747054612695,"s":"ob.BTC_USDT.50","U":73777715169,"u":73777715212,
        "b":[["104024.5","10343"]],"a":[["104027.2","0"]]}``
        """
        bids, asks, first, last = r.b, r.a, r.U, r.u
        if last is None or type(bids) is not list or type(asks) is not list:
            raise DecodeError(NAME, "schema", "obu push without u/b/a")
        symbol, depth = self._stream(r.s)
        if r.full:
            snap = BookSnapshot(symbol, bids, asks, last, _ts_ns(r.t), ts_recv_ns, None, "ws")
            return [Subscribed(symbol, depth, ts_recv_ns), snap]
        if first is None or first > last:
            raise DecodeError(NAME, "schema", "obu increment without U <= u")
        return [BookDelta(symbol, bids, asks, first, last, _ts_ns(r.t), ts_recv_ns)]

    def _stream(self, stream: str) -> tuple[str, int]:
        """``ob.BTC_USDT.50`` → (``BTC/USDT``, 50), remembered per connection."""
        known = self._streams.get(stream)
        if known is not None:
            return known
        prefix, _, rest = stream.partition(".")
        native, _, level = rest.rpartition(".")
        if prefix != "ob" or not native or not (level.isdigit() and level.isascii()):
            raise DecodeError(NAME, "schema", f"obu stream {stream[:40]!r}")
        known = self._streams[stream] = (self.symbols.unified(native), int(level))
        return known

    def _book_ticker(self, r: _Result, ts_recv_ns: int) -> list[Event]:
        """``spot.book_ticker``: best bid/ask at book update id ``u`` (an oracle).

        ``{"t":1606293275123,"u":48733182,"s":"BTC_USDT","b":"19177.79","B":"0.0003341504",
        "a":"19179.38","A":"0.09"}``
        """
        if r.u is None or type(r.b) is not str or type(r.a) is not str or not (r.s and r.B and r.A):
            raise DecodeError(NAME, "schema", "book_ticker without s/u/b/B/a/A")
        return [TopOfBook(self.symbols.unified(r.s), r.u, (r.b, r.B), (r.a, r.A), _ts_ns(r.t), ts_recv_ns)]

    def _control(self, msg: _Frame, ts_recv_ns: int) -> list[Event]:
        """Acks, errors, pong and the upgrade notice.

        ``{"time":1619093532,"channel":"spot.order_book_update","event":"subscribe",
        "result":{"status":"success"}}`` · ``{"time":1545404023,"channel":"spot.pong",
        "event":"","error":null,"result":null}`` · ``{"type":"upgrade","msg":"… Please reconnect."}``
        """
        if msg.error is not None:
            return [Control("error", f"{msg.channel[:40]} {msg.event[:20]}: {msg.error.code}: {msg.error.message[:200]}", ts_recv_ns)]
        if msg.type == "upgrade":
            return [Control("reconnect", f"upgrade: {msg.msg[:200]}", ts_recv_ns)]
        if msg.channel == "spot.pong":
            return [Control("pong", "", ts_recv_ns)]
        if msg.event in ("subscribe", "unsubscribe") and msg.channel:
            if msg.event == "subscribe" and msg.payload:
                subscribed = self._subscribed(msg.channel, msg.payload, ts_recv_ns)
                if subscribed:
                    return subscribed
            return [Control("ack", f"{msg.event} {msg.channel[:40]}", ts_recv_ns)]
        raise DecodeError(NAME, "unknown-message", f"channel {msg.channel[:40]!r} event {msg.event[:20]!r}")

    def _subscribed(self, channel: str, payload: list[str], ts_recv_ns: int) -> list[Event]:
        """Book subscriptions whose ack echoes the payload tell the depth books are cut to."""
        if channel == "spot.order_book_update" and len(payload) == 2 and payload[1] in INTERVAL_DEPTH:
            return [Subscribed(self.symbols.unified(payload[0]), INTERVAL_DEPTH[payload[1]], ts_recv_ns)]
        if channel == "spot.obu":
            out: list[Event] = []
            for stream in payload:
                symbol, depth = self._stream(stream)
                out.append(Subscribed(symbol, depth, ts_recv_ns))
            return out
        return []


# -- requests -----------------------------------------------------------------------------
def _request(channel: str, event: str, payload: list[str], now_ms: int) -> str:
    """``{"time":<unix s>,"channel":…,"event":…,"payload":[…]}`` (``time`` within 60 s of the server)."""
    return msgspec.json.encode({"time": now_ms // 1000, "channel": channel, "event": event, "payload": payload}).decode()


def interval_for(depth: int | None) -> str:
    """The ``order_book_update`` interval giving ``depth`` levels (20 → "20ms", else "100ms")."""
    return "20ms" if depth is not None and depth <= 20 else "100ms"


def connect_url(ws_url: str, venue_symbols: Sequence[str], depth: int | None) -> str:
    """One endpoint for everything; channels are chosen by subscribe frames."""
    return ws_url


def subscribe_frames(venue_symbols: Sequence[str], depth: int | None, now_ms: int) -> list[str]:
    """One ``spot.order_book_update`` subscribe per pair (the payload names one pair).

    ``now_ms`` is the send time (unix ms), passed in: the request's ``time`` (seconds) must
    be within 60 s of the server clock.
    """
    interval = interval_for(depth)
    return [_request("spot.order_book_update", "subscribe", [native, interval], now_ms) for native in venue_symbols]


def unsubscribe_frames(venue_symbols: Sequence[str], depth: int | None, now_ms: int) -> list[str]:
    """Drop ``spot.order_book_update`` for the pairs (the channel SPEC uses resyncs over REST;
    this is here for completeness and for clients that switch channels)."""
    interval = interval_for(depth)
    return [_request("spot.order_book_update", "unsubscribe", [native, interval], now_ms) for native in venue_symbols]


def obu_stream(venue_symbol: str, depth: int | None) -> str:
    """``spot.obu`` stream name: ``ob.BTC_USDT.50`` (depth ≤ 50) or ``ob.BTC_USDT.400``."""
    return f"ob.{venue_symbol}.{50 if depth is not None and depth <= 50 else 400}"


def obu_subscribe_frames(venue_symbols: Sequence[str], depth: int | None, now_ms: int) -> list[str]:
    """Subscribe ``spot.obu`` streams (the first push of each is a full snapshot)."""
    return [_request("spot.obu", "subscribe", [obu_stream(native, depth) for native in venue_symbols], now_ms)]


def obu_unsubscribe_frames(venue_symbols: Sequence[str], depth: int | None, now_ms: int) -> list[str]:
    """Unsubscribe ``spot.obu`` streams. Gap recovery is this, then :func:`obu_subscribe_frames`
    (a second subscribe to a live stream is refused as a duplicate)."""
    return [_request("spot.obu", "unsubscribe", [obu_stream(native, depth) for native in venue_symbols], now_ms)]


def ping_frame(n: int, now_ms: int) -> str:
    """Application ping ``{"time":t,"id":n,"channel":"spot.ping"}`` (answered by ``spot.pong``)."""
    return msgspec.json.encode({"time": now_ms // 1000, "id": n, "channel": "spot.ping"}).decode()


def snapshot_request(rest_url: str, venue_symbol: str, depth: int | None) -> RestRequest:
    limit = min(depth or DEPTH, DEPTH)
    return RestRequest("GET", f"{rest_url}{SNAPSHOT_PATH}?currency_pair={venue_symbol}&limit={limit}&with_id=true")


@decodes(NAME)
def decode_snapshot(url: str, body: str | bytes, ts_recv_ns: int, symbols: SymbolMap, parser: FixedParser) -> BookSnapshot:
    """``GET /api/v4/spot/order_book?…&with_id=true`` body → snapshot at ``id``.

    ``{"id":1138115,"current":1619093534100,"update":1619093534000,"asks":[["10.63","5"]],
    "bids":[["10.28","36.50154112"]]}`` (``current``/``update`` only in newer responses)
    """
    msg = _snapshot.decode(body)
    return BookSnapshot(
        symbol=symbols.unified(query_param(url, "currency_pair")),
        bids=msg.bids,
        asks=msg.asks,
        seq=msg.id,
        ts_event_ns=msg.update * 1_000_000 if msg.update > 0 else 0,
        ts_recv_ns=ts_recv_ns,
        source="rest",
    )


SPEC = VenueSpec(
    name=NAME,
    seq_rule=SeqRule.RANGE,
    snapshot_source="rest",
    depth=DEPTH,
    # Gate's 2021 pair list showed "fee": "0.2" (percent); the current VIP0 rate is read
    # from GET /wallet/fee (config overrides this default).
    fees=Fees(taker=Decimal("0.002"), maker=Decimal("0.002")),
    ws_url=WS_URL,
    rest_url=REST_URL,
    parse_symbol=parse_symbol,
    format_symbol=format_symbol,
    decoder=GateioDecoder,
    connect_url=connect_url,
    subscribe_frames=subscribe_frames,
    snapshot_request=snapshot_request,
    decode_snapshot=decode_snapshot,
    snapshot_symbol_param="currency_pair",
    unsubscribe_frames=unsubscribe_frames,
    ping_frame=ping_frame,
    # Gate's own WebSocket demo sends spot.ping every 10 s next to protocol pings.
    ping_interval_s=10.0,
    # Public REST: 200 requests / 10 s per endpoint per IP.
    rest_budget=RestBudget(weight=200, window_s=10.0),
)
