"""MEXC spot v3: protobuf diff depth (``fromVersion``/``toVersion``) + REST snapshot sync.

Wire facts (mexcdevelop/apidocs spot_v3_en @ c0de8ff; schemas mexcdevelop/websocket-proto
@ 7b8ac7a; see samples/venues/mexc/NOTES.md):

- ``wss://wbs-api.mexc.com/ws``. Data pushes are **binary** protobuf
  ``PushDataV3ApiWrapper`` frames (read by :mod:`arb.venues.mexc.proto`); control replies
  (subscription ack, PONG, errors) are JSON **text** frames. The decoder dispatches on the
  frame's type: ``bytes`` → protobuf, ``str`` → JSON.
- Diff depth channel ``spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT`` (body 313), as
  the docs render it::

    {"channel":"spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT","symbol":"BTCUSDT",
     "sendtime":1736411507002,"publicAggreDepths":{"asksList":[],"bidsList":[{"price":
     "92877.58","quantity":"0.00000000"}],"eventtype":"spot@public.aggre.depth.v3.api.pb@100ms",
     "fromVersion":"10589632359","toVersion":"10589632359"}}

- Sync: snapshot ``GET /api/v3/depth?symbol=BTCUSDT&limit=1000`` → ``lastUpdateId``; drop
  pushes with ``toVersion ≤ lastUpdateId``; a push with ``fromVersion > version+1`` is a gap
  (:attr:`SeqRule.RANGE <arb.book.sync.SeqRule.RANGE>`). Versions are int64 sent as text.
- ``spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT`` (body 315) carries ``version``:
  an oracle for the rebuilt best levels. No checksum.
- Client keep-alive ``{"method":"PING"}`` → ``{"id":0,"code":0,"msg":"PONG"}``; at most 30
  subscriptions per connection; a connection lives at most 24 h.
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
    DECODE_FAILURES, decode_guard, decodes, Fees, query_param, RestBudget, RestRequest, VenueSpec,
)
from arb.venues.mexc import proto as pb

NAME = "mexc"
WS_URL = "wss://wbs-api.mexc.com/ws"
REST_URL = "https://api.mexc.com"
SNAPSHOT_LIMIT = 1000
#: The venue refuses more subscriptions than this on one connection.
MAX_SUBSCRIPTIONS = 30
DEPTH_CHANNEL = "spot@public.aggre.depth.v3.api.pb@100ms@{}"
BOOK_TICKER_CHANNEL = "spot@public.aggre.bookTicker.v3.api.pb@100ms@{}"
PING = '{"method":"PING"}'

#: Bodies that are recognised and carry nothing for the books (trades, candles, tickers
#: without a version, private channels).
IGNORED_BODIES = frozenset(pb.BODY_FIELDS - {
    pb.PUBLIC_AGGRE_DEPTHS, pb.PUBLIC_LIMIT_DEPTHS, pb.PUBLIC_INCREASE_DEPTHS,
    pb.PUBLIC_INCREASE_DEPTHS_BATCH, pb.PUBLIC_AGGRE_BOOK_TICKER,
})
_MAX_VERSION_DIGITS = 19  # int64
_MAX_VERSION = 2**63 - 1


class _Reply(msgspec.Struct):
    """A JSON control reply ``{"id":0,"code":0,"msg":"…"}``; legacy JSON pushes have ``c``/``d``."""

    id: int | None = None
    code: int | None = None
    msg: str | None = None
    c: str | None = None


class _Snapshot(msgspec.Struct):
    lastUpdateId: int
    bids: list[tuple[str, str]]
    asks: list[tuple[str, str]]


_reply = msgspec.json.Decoder(_Reply)
_snapshot = msgspec.json.Decoder(_Snapshot)


def parse_symbol(text: str) -> str:
    """``BTCUSDT`` → ``BTC/USDT``."""
    base, quote = split_concatenated(text)
    return unified(base, quote)


def format_symbol(symbol: str) -> str:
    """``BTC/USDT`` → ``BTCUSDT``."""
    base, quote = split(symbol)
    return base + quote


def _version(text: str) -> int:
    """A version (int64 as decimal text) → int; a missing or malformed one is an error."""
    if not text or len(text) > _MAX_VERSION_DIGITS or not (text.isdigit() and text.isascii()):
        raise DecodeError(NAME, "schema", f"bad version {text[:40]!r}")
    version = int(text)
    if version > _MAX_VERSION:
        raise DecodeError(NAME, "schema", f"version {text!r} exceeds int64")
    return version


class MexcDecoder:
    """Decoder for one MEXC market-data connection (binary pushes and JSON replies)."""

    __slots__ = ("symbols", "parser")

    def __init__(self, symbols: SymbolMap, parser: FixedParser) -> None:
        self.symbols = symbols
        self.parser = parser

    def decode(self, frame: str | bytes, ts_recv_ns: int) -> list[Event]:
        try:
            if type(frame) is str:
                return self._reply(frame, ts_recv_ns)
            msg = pb.decode_wrapper(frame)
            body = msg.body
            field = msg.body_field
            # Dispatch on the body's type: each body field has its own (pb._BODY_READERS).
            if type(body) is pb.AggreDepths:
                # The hot path.
                first, last = _version(body.from_version), _version(body.to_version)
                if last < first:
                    raise DecodeError(NAME, "schema", f"toVersion {last} < fromVersion {first}")
                bids, asks = body.bids, body.asks
                # Positional: (symbol, bids, asks, first_seq, last_seq, ts_event_ns, ts_recv_ns)
                return [BookDelta(self._symbol(msg), bids, asks, first, last, _ts_event_ns(msg), ts_recv_ns)]
            if field in IGNORED_BODIES:
                return []
            if type(body) is pb.AggreBookTicker:
                return [self._book_ticker(msg, body, ts_recv_ns)]
            if type(body) is pb.LimitDepths:
                return [self._limit_depths(msg, body, ts_recv_ns)]
            if type(body) is pb.IncreaseDepths:
                return [self._increase(self._symbol(msg), body, _ts_event_ns(msg), ts_recv_ns)]
            if type(body) is pb.IncreaseDepthsBatch:
                symbol, ts_event_ns = self._symbol(msg), _ts_event_ns(msg)
                return [self._increase(symbol, item, ts_event_ns, ts_recv_ns) for item in body.items]
            raise DecodeError(NAME, "unknown-message", f"push without a known body (channel {msg.channel[:60]!r})")
        except DecodeError:
            raise
        except DECODE_FAILURES as exc:
            raise decode_guard(NAME, exc) from None

    def _symbol(self, msg: pb.Wrapper) -> str:
        native = msg.symbol
        if not native:
            raise DecodeError(NAME, "schema", "push without symbol")
        return self.symbols.to_unified.get(native) or self.symbols.unified(native)

    def _book_ticker(self, msg: pb.Wrapper, body: pb.AggreBookTicker, ts_recv_ns: int) -> TopOfBook:
        """Body 315, rendered by the docs as::

            {"channel":"spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT","symbol":"BTCUSDT",
             "sendtime":1736412092433,"publicbookticker":{"bidprice":"93387.28","bidquantity":
             "3.73485","askprice":"93387.29","askquantity":"7.669875"}}

        An empty side (no price) is None; a missing ``version`` gives ``seq`` None (not an
        oracle then).
        """
        seq = _version(body.version) if body.version else None
        bid = (body.bid_price, body.bid_quantity) if body.bid_price else None
        ask = (body.ask_price, body.ask_quantity) if body.ask_price else None
        return TopOfBook(self._symbol(msg), seq, bid, ask, _ts_event_ns(msg), ts_recv_ns)

    def _limit_depths(self, msg: pb.Wrapper, body: pb.LimitDepths, ts_recv_ns: int) -> BookSnapshot:
        """Body 303: the top 5/10/20 levels at ``version``, pushed whole each time::

            {"channel":"spot@public.limit.depth.v3.api.pb@BTCUSDT@5","symbol":"BTCUSDT",
             "sendtime":1736411838730,"publiclimitdepths":{"asksList":[{"price":"93180.18",
             "quantity":"0.21976424"}],"bidsList":[{"price":"93179.98","quantity":"2.82651000"}],
             "eventtype":"spot@public.limit.depth.v3.api.pb","version":"36913565463"}}

        An in-stream partial-book snapshot: do not subscribe it on books fed by the diff
        channel (each push would replace the book with its top N).
        """
        return BookSnapshot(
            self._symbol(msg), body.bids, body.asks, _version(body.version), _ts_event_ns(msg), ts_recv_ns, source="ws"
        )

    @staticmethod
    def _increase(symbol: str, body: pb.IncreaseDepths, ts_event_ns: int, ts_recv_ns: int) -> BookDelta:
        """Body 302 (legacy per-update diff) or one item of batch 312, at one ``version``::

            {"asks":[],"bids":[{"price":"96578.48","quantity":"0.00000000"}],"eventType":"",
             "version":"39003145507"}
        """
        version = _version(body.version)
        return BookDelta(symbol, body.bids, body.asks, version, version, ts_event_ns, ts_recv_ns)

    def _reply(self, frame: str, ts_recv_ns: int) -> list[Event]:
        """JSON text frames: ``{"id":0,"code":0,"msg":"PONG"}``, a subscription ack echoing the
        channel ``{"id":0,"code":0,"msg":"spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT"}``,
        or a refusal ``{"id":0,"code":0,"msg":"Not Subscribed successfully! [spot@…].  Reason： Blocked! "}``.
        """
        reply = _reply.decode(frame)
        if reply.code is None or reply.msg is None:
            if reply.c is not None:
                raise DecodeError(NAME, "unknown-message", f"JSON push {reply.c[:60]!r} (legacy JSON endpoint?)")
            raise DecodeError(NAME, "unknown-message", "JSON frame without code/msg")
        if reply.code != 0 or reply.msg.startswith("Not Subscribed"):
            return [Control("error", f"{reply.code}: {reply.msg[:200]}", ts_recv_ns)]
        if reply.msg == "PONG":
            return [Control("pong", "PONG", ts_recv_ns)]
        return [Control("ack", reply.msg[:200], ts_recv_ns)]


def _ts_event_ns(msg: pb.Wrapper) -> int:
    """Message creation time, else push time (ms → ns); 0 when the frame has neither."""
    ms = msg.create_time if msg.create_time is not None else msg.send_time
    return ms * 1_000_000 if ms is not None and ms > 0 else 0


def connect_url(ws_url: str, venue_symbols: Sequence[str], depth: int | None) -> str:
    return ws_url


def subscribe_frames(venue_symbols: Sequence[str], depth: int | None, now_ms: int) -> list[str]:
    """One ``SUBSCRIPTION`` frame: each symbol's aggregated diff depth and book ticker (100 ms).

    Raises ``ValueError`` past :data:`MAX_SUBSCRIPTIONS` (15 symbols): shard across connections.
    """
    channels = []
    for native in venue_symbols:
        channels += [DEPTH_CHANNEL.format(native), BOOK_TICKER_CHANNEL.format(native)]
    if len(channels) > MAX_SUBSCRIPTIONS:
        raise ValueError(f"{len(channels)} subscriptions > {MAX_SUBSCRIPTIONS} per MEXC connection")
    if not channels:
        return []
    return [msgspec.json.encode({"method": "SUBSCRIPTION", "params": channels}).decode()]


def ping_frame(n: int, now_ms: int) -> str:
    """``{"method":"PING"}`` → ``{"id":0,"code":0,"msg":"PONG"}``."""
    return PING


def snapshot_request(rest_url: str, venue_symbol: str, depth: int | None) -> RestRequest:
    limit = depth or SNAPSHOT_LIMIT
    return RestRequest("GET", f"{rest_url}/api/v3/depth?symbol={venue_symbol}&limit={limit}", weight=1)


@decodes(NAME)
def decode_snapshot(url: str, body: str | bytes, ts_recv_ns: int, symbols: SymbolMap, parser: FixedParser) -> BookSnapshot:
    """``GET /api/v3/depth`` body ``{"lastUpdateId":1112416,"bids":[["15.00000","49999.00000"]],
    "asks":[["14.0000","1.0000"]]}`` → snapshot at ``lastUpdateId``."""
    msg = _snapshot.decode(body)
    if msg.lastUpdateId < 0:
        raise DecodeError(NAME, "schema", f"negative lastUpdateId {msg.lastUpdateId}")
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
    # MEXC's public spot schedule (2024-25): 0 % maker / 0.05 % taker — unverified; config
    # should carry the account's real rates (GET /api/v3/tradeFee).
    fees=Fees(taker=Decimal("0.0005"), maker=Decimal("0")),
    ws_url=WS_URL,
    rest_url=REST_URL,
    parse_symbol=parse_symbol,
    format_symbol=format_symbol,
    decoder=MexcDecoder,
    connect_url=connect_url,
    subscribe_frames=subscribe_frames,
    snapshot_request=snapshot_request,
    decode_snapshot=decode_snapshot,
    ping_frame=ping_frame,
    # Idle links are closed after 60 s without data; ping well inside that.
    ping_interval_s=20.0,
    max_connection_age_s=24 * 3600,
    # 30 subscriptions per connection, two per symbol (diff depth + book ticker).
    max_symbols_per_connection=MAX_SUBSCRIPTIONS // 2,
    # 500 requests / 10 s per endpoint per IP (a ban of minutes to days follows a 429).
    rest_budget=RestBudget(weight=500, window_s=10.0),
)
