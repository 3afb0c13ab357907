"""OKX (API v5): websocket ``books`` channel (in-stream snapshot, ``prevSeqId``/``seqId`` chain).

Wire facts (okx.com/docs-v5/en/#order-book-trading-market-data-ws-order-book-channel; see
samples/venues/okx/NOTES.md):

- ``wss://ws.okx.com:8443/ws/v5/public``; subscribe
  ``{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}`` → ack
  ``{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"a4d3ae55"}``;
  errors ``{"event":"error","code":"60012","msg":"…"}``.
- Book push (the first is ``action":"snapshot"`` with ``prevSeqId":-1``)::

    {"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["8476.98","415","0","13"]],
     "bids":[["8476.97","256","0","12"]],"ts":"1597026383085","checksum":-855196043,"prevSeqId":123456,"seqId":123457}]}

  Levels are ``[price, size, "0" (deprecated), numOrders]``; size ``"0"`` deletes. Each
  update's ``prevSeqId`` equals the previous ``seqId`` (idle heartbeats: an empty update with
  ``seqId == prevSeqId``; after maintenance ``seqId < prevSeqId`` and the chain goes on from
  there). Captures before 2022 carry no sequence ids at all: those apply unchecked.
- ``checksum``: signed CRC32 over the first 25 bids and asks interleaved
  ``bid:size:ask:size:…`` (the received strings). OKX zeroes it from June 2026: a ``0`` (or
  absent) checksum is not checked.
- Keepalive: send the text ``ping`` when idle (< 30 s); the answer is the text ``pong``.
- Instruments: ``BTC-USDT`` (spot), ``BTC-USDT-SWAP`` / ``UNI-USD-SWAP`` (linear / inverse
  perpetual), ``BTC-USD-220527`` (dated future).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from decimal import Decimal

import msgspec
from msgspec import UNSET, UnsetType

from arb.book.book import OrderBook
from arb.book.sync import SeqRule
from arb.core.errors import DecodeError, SymbolError
from arb.core.events import BookDelta, BookSnapshot, Control, Event, Level
from arb.core.numbers import FixedParser
from arb.core.symbols import SymbolMap, split, unified
from arb.venues.base import (
    DECODE_FAILURES, decode_guard, decodes, Fees, query_param, RestBudget, RestRequest, VenueSpec,
)

NAME = "okx"
WS_URL = "wss://ws.okx.com:8443/ws/v5/public"
REST_URL = "https://www.okx.com"
#: The channel we subscribe to: 400 levels, increments every 100 ms, public.
CHANNEL = "books"
#: Levels per side the checksum covers.
CHECKSUM_LEVELS = 25
#: Subscriptions per subscribe request (the docs cap a request at 64 KB of args).
ARGS_PER_FRAME = 100

_Level4 = tuple[str, str, str, str]


class _Arg(msgspec.Struct, gc=False):
    channel: str = ""
    instId: str = ""


class _Data(msgspec.Struct, gc=False):
    """One entry of ``data``: book fields (other channels' entries decode too, unused)."""

    asks: list[_Level4] | UnsetType = UNSET
    bids: list[_Level4] | UnsetType = UNSET
    ts: str = ""
    checksum: int | None = None
    prevSeqId: int | None = None
    seqId: int | None = None


class _Frame(msgspec.Struct, gc=False):
    """Every message shape we read, as one struct (one typed decode pass per frame)."""

    arg: _Arg | None = None
    action: str = ""
    data: list[_Data] | UnsetType = UNSET
    event: str = ""
    code: str | int = ""
    msg: str = ""


class _Envelope(msgspec.Struct):
    """Just enough of any push to tell its channel (slow path)."""

    arg: _Arg | None = None
    event: str = ""


class _RestBook(msgspec.Struct):
    asks: list[_Level4]
    bids: list[_Level4]
    ts: str


class _RestBooks(msgspec.Struct):
    code: str
    msg: str = ""
    data: list[_RestBook] = []


_frame = msgspec.json.Decoder(_Frame)
_envelope = msgspec.json.Decoder(_Envelope)
_rest_books = msgspec.json.Decoder(_RestBooks)

#: Book channels sharing the ``books`` format.
_BOOK_CHANNELS = frozenset({"books", "books-l2-tbt", "books50-l2-tbt"})
#: Public channels we recognise and do not use (candle channels match by prefix).
_IGNORED_CHANNELS = frozenset(
    {
        "tickers", "trades", "trades-all", "bbo-tbt", "books5", "instruments", "status", "mark-price",
        "index-tickers", "funding-rate", "open-interest", "price-limit", "estimated-price",
        "liquidation-orders", "opt-summary", "public-struc-block-trades", "block-tickers",
    }
)
_IGNORED_PREFIXES = ("candle", "mark-price-candle", "index-candle")
_PONG = ("pong", b"pong")


def parse_symbol(text: str) -> str:
    """``BTC-USDT`` → ``BTC/USDT``; ``UNI-USD-SWAP`` → ``UNI/USD:UNI``;
    ``BTC-USDT-SWAP`` → ``BTC/USDT:USDT``; ``BTC-USD-220527`` → ``BTC/USD:BTC-220527``."""
    parts = text.split("-")
    if not all(p.isalnum() and p.isascii() for p in parts) or len(parts) not in (2, 3):
        raise SymbolError(f"not an OKX spot, swap or futures instId: {text[:40]!r}")
    base, quote = parts[0], parts[1]
    if len(parts) == 2:
        return unified(base, quote)
    # Inverse contracts (quoted in USD) settle in the base asset, linear ones in the quote.
    settle = base if quote.upper() == "USD" else quote
    kind = parts[2]
    if kind.upper() == "SWAP":
        return unified(base, quote, settle)
    if len(kind) == 6 and kind.isdigit():
        return unified(base, quote, settle, kind)
    raise SymbolError(f"not an OKX spot, swap or futures instId: {text[:40]!r}")


def format_symbol(symbol: str) -> str:
    """Inverse of :func:`parse_symbol`."""
    base, quote = split(symbol)
    _, colon, contract = symbol.partition(":")
    if not colon:
        return f"{base}-{quote}"
    settle, dash, expiry = contract.partition("-")
    if settle != (base if quote == "USD" else quote) or (dash and not (len(expiry) == 6 and expiry.isdigit())):
        raise SymbolError(f"no OKX instrument for {symbol!r}")
    return f"{base}-{quote}-{expiry if dash else 'SWAP'}"


def checksum(book: OrderBook) -> int:
    """OKX's CRC32 of a book, as a signed 32-bit int.

    ``bid1px:bid1sz:ask1px:ask1sz:bid2px:…`` over the first 25 levels per side, best first,
    using the received strings; a side with fewer levels simply contributes fewer fields.
    """
    return _signed_crc32(check_string(book.bids(CHECKSUM_LEVELS), book.asks(CHECKSUM_LEVELS)))


def check_string(bids: Sequence[Level], asks: Sequence[Level]) -> str:
    """The text OKX checksums: the first 25 bids and asks interleaved (doc rule).

    Levels from the decoder carry their ``px:sz`` field at index 2 (built once per change);
    others (simulator books) are formatted here.
    """
    bids, asks = bids[:CHECKSUM_LEVELS], asks[:CHECKSUM_LEVELS]
    try:
        parts = [f"{b[2]}:{a[2]}" for b, a in zip(bids, asks)]
        n = len(parts)
        parts += [lv[2] for lv in (bids[n:] or asks[n:])]
    except IndexError:
        parts = [f"{b[0]}:{b[1]}:{a[0]}:{a[1]}" for b, a in zip(bids, asks)]
        n = len(parts)
        parts += [f"{lv[0]}:{lv[1]}" for lv in (bids[n:] or asks[n:])]
    return ":".join(parts)


def _signed_crc32(text: str) -> int:
    crc = zlib.crc32(text.encode())
    return crc - (1 << 32) if crc >= 1 << 31 else crc


def _ms_to_ns(ts: str) -> int:
    if not (ts.isdigit() and ts.isascii()):
        raise ValueError(f"ts is not integer milliseconds: {ts[:40]!r}")
    return int(ts) * 1_000_000


class OkxDecoder:
    """Decoder for one OKX public websocket connection."""

    __slots__ = ("symbols", "parser")

    def __init__(self, symbols: SymbolMap, parser: FixedParser) -> None:
        self.symbols = symbols
        self.parser = parser

    def decode(self, frame: str | bytes, ts_recv_ns: int) -> list[Event]:
        if frame in _PONG:
            return [Control("pong", "", ts_recv_ns)]
        try:
            try:
                msg = _frame.decode(frame)
            except msgspec.ValidationError as exc:
                return self._other_channel(frame, exc)
            if msg.action:
                return self._on_book(msg, ts_recv_ns)
            if msg.event:
                return self._on_event(msg, ts_recv_ns)
            arg = msg.arg
            if arg is not None and msg.data is not UNSET:
                if _ignored(arg.channel):
                    return []
                if arg.channel in _BOOK_CHANNELS:
                    raise DecodeError(NAME, "schema", f"{arg.channel} push without action")
                raise DecodeError(NAME, "unknown-message", f"channel {arg.channel[:40]!r}")
            raise DecodeError(NAME, "unknown-message", "no action, event or channel data")
        except DecodeError:
            raise
        except DECODE_FAILURES as exc:
            raise decode_guard(NAME, exc) from None

    def _on_book(self, msg: _Frame, ts_recv_ns: int) -> list[Event]:
        """``{"arg":{"channel":"books","instId":"UNI-USD-SWAP"},"action":"update","data":[{"asks":[["5.148","0","0","0"]],
        "bids":[["5.134","96","0","1"]],"ts":"1652459225798","checksum":1449633716}]}``"""
        arg, data, action = msg.arg, msg.data, msg.action
        if arg is None or arg.channel not in _BOOK_CHANNELS or not arg.instId or data is UNSET:
            raise DecodeError(NAME, "schema", "book push without a book channel, instId and data")
        snapshot = action == "snapshot"
        if not snapshot and action != "update":
            raise DecodeError(NAME, "schema", f"book action {action[:20]!r}")
        symbol = self.symbols.to_unified.get(arg.instId) or self.symbols.unified(arg.instId)
        events: list[Event] = []
        for d in data:
            if d.bids is UNSET or d.asks is UNSET or not d.ts:
                raise DecodeError(NAME, "schema", "book entry without bids/asks/ts")
            prev, seq = d.prevSeqId, d.seqId
            if (prev is None) is not (seq is None):
                raise DecodeError(NAME, "schema", "book entry with only one of prevSeqId/seqId")
            crc = d.checksum or None  # 0: OKX no longer computes it (June 2026)
            if crc is not None and not -(1 << 31) <= crc < 1 << 31:
                raise DecodeError(NAME, "value", "checksum out of the signed 32-bit range")
            # (price, size, "price:size"): the checksum field is built once, here.
            bids = [(p, q, f"{p}:{q}") for p, q, _, _ in d.bids]
            asks = [(p, q, f"{p}:{q}") for p, q, _, _ in d.asks]
            if snapshot:
                events.append(BookSnapshot(symbol, bids, asks, seq, _ms_to_ns(d.ts), ts_recv_ns, crc, "ws"))
            else:
                # Positional: (symbol, bids, asks, first_seq, last_seq, ts_event_ns, ts_recv_ns, prev_seq, checksum)
                events.append(BookDelta(symbol, bids, asks, None, seq, _ms_to_ns(d.ts), ts_recv_ns, prev, crc))
        return events

    def _on_event(self, msg: _Frame, ts_recv_ns: int) -> list[Event]:
        """``{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"a4d3ae55"}``;
        ``{"event":"error","code":"60012","msg":"Invalid request: …","connId":"a4d3ae55"}``"""
        event = msg.event
        arg = msg.arg
        what = f"{arg.channel} {arg.instId}".strip() if arg is not None else ""
        if event == "subscribe":
            return [Control("ack", what, ts_recv_ns)]
        if event == "unsubscribe":
            return [Control("unsubscribed", what, ts_recv_ns)]
        if event in ("error", "channel-conn-count-error"):
            return [Control("error", f"{msg.code}: {msg.msg}"[:200], ts_recv_ns)]
        if event == "notice":  # e.g. 64008: the connection will close for a service upgrade
            return [Control("reconnect", f"{msg.code}: {msg.msg}"[:200], ts_recv_ns)]
        if event in ("login", "channel-conn-count"):
            return [Control("info", event, ts_recv_ns)]
        raise DecodeError(NAME, "unknown-message", f"event {event[:40]!r}")

    def _other_channel(self, frame: str | bytes, exc: msgspec.ValidationError) -> list[Event]:
        """Slow path: the frame does not fit the book schema; fine if it is another channel's
        (candles push arrays of arrays)."""
        env = _envelope.decode(frame)
        channel = env.arg.channel if env.arg is not None else ""
        if _ignored(channel):
            return []
        raise DecodeError(NAME, "schema", f"{channel[:40]!r} message: {str(exc)[:160]}")


def _ignored(channel: str) -> bool:
    return channel in _IGNORED_CHANNELS or channel.startswith(_IGNORED_PREFIXES)


# -- requests ------------------------------------------------------------------------------
def connect_url(ws_url: str, venue_symbols: Sequence[str], depth: int | None) -> str:
    return ws_url


def _book_requests(op: str, venue_symbols: Sequence[str], depth: int | None) -> list[str]:
    if depth not in (None, 400):
        raise ValueError(f"OKX books channel has 400 levels; depth {depth} is not available")
    args = [{"channel": CHANNEL, "instId": inst} for inst in venue_symbols]
    return [
        msgspec.json.encode({"op": op, "args": args[i : i + ARGS_PER_FRAME]}).decode()
        for i in range(0, len(args), ARGS_PER_FRAME)
    ]


def subscribe_frames(venue_symbols: Sequence[str], depth: int | None, now_ms: int) -> list[str]:
    """``books`` subscriptions (400 levels), at most :data:`ARGS_PER_FRAME` per request."""
    return _book_requests("subscribe", venue_symbols, depth)


def unsubscribe_frames(venue_symbols: Sequence[str], depth: int | None, now_ms: int) -> list[str]:
    """``{"op":"unsubscribe","args":[{"channel":"books","instId":…}]}``; subscribing again brings
    a fresh snapshot (``prevSeqId`` -1): the docs' remedy for a sequence gap."""
    return _book_requests("unsubscribe", venue_symbols, depth)


def ping_frame(n: int, now_ms: int) -> str:
    """OKX keepalive is the bare text ``ping`` (answered by ``pong``)."""
    return "ping"


def rest_books_request(rest_url: str, inst_id: str, depth: int | None) -> RestRequest:
    """``GET /api/v5/market/books`` (40 requests / 2 s per IP)."""
    return RestRequest("GET", f"{rest_url}/api/v5/market/books?instId={inst_id}&sz={depth or 400}")


@decodes(NAME)
def decode_rest_books(url: str, body: str | bytes, ts_recv_ns: int, symbols: SymbolMap, parser: FixedParser) -> BookSnapshot:
    """``GET /api/v5/market/books`` body → snapshot (``seq`` None).

    Not a sync source: the REST book carries no ``seqId``, so it cannot be chained onto
    the websocket increments (the websocket sends its own snapshot).
    ``{"code":"0","msg":"","data":[{"asks":[["41006.8","0.60038921","0","1"]],"bids":[…],"ts":"1629966436396"}]}``
    """
    msg = _rest_books.decode(body)
    if msg.code != "0" or len(msg.data) != 1:
        raise DecodeError(NAME, "venue-error", f"code {msg.code[:20]!r}: {msg.msg[:100]}")
    book = msg.data[0]
    return BookSnapshot(
        symbol=symbols.unified(query_param(url, "instId")),
        bids=[(p, q) for p, q, _, _ in book.bids],
        asks=[(p, q) for p, q, _, _ in book.asks],
        seq=None,
        ts_event_ns=_ms_to_ns(book.ts),
        ts_recv_ns=ts_recv_ns,
        source="rest",
    )


SPEC = VenueSpec(
    name=NAME,
    seq_rule=SeqRule.CHAIN,
    snapshot_source="ws",
    # ``books`` keeps 400 levels server-side; we do not cut deeper levels ourselves (the
    # checksum covers the top 25 only, which any cut at ≥ 25 leaves unchanged).
    depth=None,
    # Regular user Lv1 spot (okx.com fee page); GET /api/v5/account/trade-fee gives the account's.
    fees=Fees(taker=Decimal("0.001"), maker=Decimal("0.0008")),
    ws_url=WS_URL,
    rest_url=REST_URL,
    parse_symbol=parse_symbol,
    format_symbol=format_symbol,
    decoder=OkxDecoder,
    connect_url=connect_url,
    subscribe_frames=subscribe_frames,
    unsubscribe_frames=unsubscribe_frames,
    checksum=checksum,
    snapshot_symbol_param="instId",
    ping_frame=ping_frame,
    # The server drops a connection after 30 s without traffic; ping well before that.
    ping_interval_s=20.0,
    # The docs recommend fewer than 30 channels per connection for 400-level books (and cap
    # subscribe/unsubscribe requests at 480 per hour per connection).
    max_symbols_per_connection=25,
    # 3 connection requests per second per IP.
    max_connections_per_s=3.0,
    # GET /api/v5/market/books: 40 requests / 2 s per IP (a cross-check, not a sync source).
    rest_budget=RestBudget(weight=40, window_s=2.0),
)
