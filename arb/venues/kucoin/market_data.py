"""KuCoin spot (classic WS API): ``/market/level2`` increments + REST snapshot, per-change sequences.

Wire facts (KuCoin docs; kucoin-universal-sdk specs; samples/venues/kucoin/NOTES.md):

- Connecting needs a token: ``POST /api/v1/bullet-public`` → ``data.token`` and
  ``data.instanceServers[0]`` (``endpoint``, ``pingInterval``/``pingTimeout`` in ms); connect to
  ``<endpoint>?token=<token>&connectId=<id>`` (:func:`bullet_request`,
  :func:`connect_url_from_bullet`) and wait for ``{"id":…,"type":"welcome"}`` before
  subscribing. The client pings ``{"id":"<n>","type":"ping"}`` every ``pingInterval``; the
  server answers ``pong``.
- Level-2 increment (subject ``trade.l2update``), every change with its own sequence::

    {"data":{"sequenceStart":1613277183875,"symbol":"BCHSV-USDT","changes":{"asks":
     [["244.351","150","1613277183875"]],"bids":[]},"sequenceEnd":1613277183875},
     "subject":"trade.l2update","topic":"/market/level2:BCHSV-USDT","type":"message"}

  A change with price ``"0"`` only advances the sequence: it is dropped from the levels but
  the message keeps its sequence range. Sizes are absolute; size ``"0"`` deletes.
- Sync: REST ``GET /api/v3/market/orderbook/level2?symbol=`` (``data.sequence``, a string;
  needs API-key auth — without a key, the public ``level2_100`` book, same ``sequence``, and
  books cut to 100 levels) → drop messages with ``sequenceEnd <= sequence``; inside a message
  apply only changes with their own sequence greater than the book's; then
  ``sequenceStart == previous sequenceEnd + 1`` (:data:`SeqRule.RANGE`, ``level_seqs=True``).
- ``trade.ticker`` (``sequence``, ``bestBid``/``bestBidSize``/``bestAsk``/``bestAskSize``) is on the
  same sequence scale: a top-of-book oracle.
- Symbols ``BTC-USDT``. KuCoin renamed Bitcoin SV's *name* to ``BSV-USDT`` but keeps the
  symbol code ``BCHSV-USDT`` ("unique code of a symbol, it would not change after renaming",
  openapi-spot-market.json): unified ``BSV/USDT``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated

import msgspec
from msgspec import Meta

from arb.book.sync import SeqRule
from arb.core.errors import DecodeError, SymbolError
from arb.core.events import LEVEL_SEQ, BookDelta, BookSnapshot, Control, Event, TopOfBook
from arb.core.numbers import FixedParser
from arb.core.symbols import SymbolMap, split, unified
from arb.venues.base import (
    DECODE_FAILURES, decode_guard, decodes, Fees, query_param, RestBudget, RestRequest, VenueSpec,
)
from arb.venues.kucoin.signing import sign_request

NAME = "kucoin"
WS_URL = "wss://ws-api-spot.kucoin.com/"
REST_URL = "https://api.kucoin.com"
SNAPSHOT_PATH = "/api/v3/market/orderbook/level2"
#: Public partial books (no auth); the deepest is :data:`PUBLIC_DEPTH` levels.
PARTIAL_20_PATH = "/api/v1/market/orderbook/level2_20"
PARTIAL_100_PATH = "/api/v1/market/orderbook/level2_100"
PUBLIC_DEPTH = 100
BULLET_PATH = "/api/v1/bullet-public"
#: Symbols per topic (``/market/level2:A,B,…``) the venue accepts.
TOPIC_SYMBOLS = 100
#: Unified asset → KuCoin's symbol code where they differ (the reverse of CANONICAL_ASSETS).
_VENUE_ASSETS = {"BSV": "BCHSV"}

_Seq = Annotated[int, Meta(ge=0)]
#: ``(price, size, sequence)``; the sequence arrives as text and is decoded to an int.
_Change = tuple[str, str, _Seq]


class _Changes(msgspec.Struct):
    asks: list[_Change]
    bids: list[_Change]


class _Data(msgspec.Struct):
    """Every ``data`` object we read (or skip), as one struct: one typed decode per frame.

    ``time`` is ms in l2update/ticker and ns text in matches (both decode as int).
    """

    sequenceStart: _Seq | None = None
    sequenceEnd: _Seq | None = None
    symbol: str = ""
    changes: _Changes | None = None
    sequence: _Seq | None = None
    bestBid: str = ""
    bestBidSize: str = ""
    bestAsk: str = ""
    bestAskSize: str = ""
    time: int = 0


class _Frame(msgspec.Struct):
    type: str = ""
    topic: str = ""
    subject: str = ""
    data: _Data | str | None = None
    id: str | int | None = None
    code: int | str | None = None


class _SnapshotData(msgspec.Struct):
    sequence: _Seq
    bids: list[tuple[str, str]]
    asks: list[tuple[str, str]]
    time: int = 0


class _Snapshot(msgspec.Struct):
    code: str
    data: _SnapshotData | None = None
    msg: str = ""


class _Server(msgspec.Struct):
    endpoint: str
    pingInterval: int
    pingTimeout: int
    protocol: str = "websocket"


class _BulletData(msgspec.Struct):
    token: str
    instanceServers: list[_Server]


class _Bullet(msgspec.Struct):
    code: str
    data: _BulletData | None = None
    msg: str = ""


# strict=False: KuCoin sends sequences as JSON strings ("1613277183875"); they decode to ints.
_frame = msgspec.json.Decoder(_Frame, strict=False)
_snapshot = msgspec.json.Decoder(_Snapshot, strict=False)
_bullet = msgspec.json.Decoder(_Bullet, strict=False)

_IGNORED_SUBJECTS = frozenset(
    {"trade.l3match", "trade.candles.add", "trade.candles.update", "trade.snapshot", "level2", "level1"}
)
_OK = "200000"


def parse_symbol(text: str) -> str:
    """``BTC-USDT`` → ``BTC/USDT``; ``BCHSV-USDT`` → ``BSV/USDT``."""
    base, sep, quote = text.partition("-")
    if not sep or not base or not quote or "-" in quote:
        raise SymbolError(f"not a KuCoin symbol: {text[:40]!r}")
    return unified(base, quote)


def format_symbol(symbol: str) -> str:
    """``BTC/USDT`` → ``BTC-USDT``; ``BSV/USDT`` → ``BCHSV-USDT``."""
    base, quote = split(symbol)
    return f"{_VENUE_ASSETS.get(base, base)}-{_VENUE_ASSETS.get(quote, quote)}"


def _no_op_free(changes: list[_Change]) -> list[_Change]:
    """Drop price-"0" changes (they only advance the sequence)."""
    return [c for c in changes if c[0] != "0"] if changes else changes


class KucoinDecoder:
    """Decoder for one KuCoin public connection.

    ``split_sequences=True`` turns a message carrying several change sequences into one
    delta per sequence (so a ticker at a sequence inside a message can be checked); the
    default keeps one delta per message, which is what the venue sends in practice (every
    message in the 2021 recording carries exactly one change).
    """

    __slots__ = ("symbols", "parser", "split_sequences", "_topics")

    def __init__(self, symbols: SymbolMap, parser: FixedParser, split_sequences: bool = False) -> None:
        self.symbols = symbols
        self.parser = parser
        self.split_sequences = split_sequences
        self._topics: dict[str, str] = {}

    def decode(self, frame: str | bytes, ts_recv_ns: int) -> list[Event]:
        try:
            msg = _frame.decode(frame)
            if msg.type == "message":
                subject = msg.subject
                if subject == "trade.l2update":
                    return self._l2update(msg.data, ts_recv_ns)
                if subject == "trade.ticker":
                    return self._ticker(msg, ts_recv_ns)
                if subject in _IGNORED_SUBJECTS:
                    return []
                raise DecodeError(NAME, "unknown-message", f"subject {subject[:40]!r}")
            return self._control(msg, ts_recv_ns)
        except DecodeError:
            raise
        except DECODE_FAILURES as exc:
            raise decode_guard(NAME, exc) from None

    def _l2update(self, d: _Data | str | None, ts_recv_ns: int) -> list[Event]:
        """``trade.l2update``: changes ``[price, size, sequence]`` over ``sequenceStart..End``.

        ``{"sequenceStart":1613277183874,"symbol":"BCHSV-USDT","changes":{"asks":
        [["0","0","1613277183874"]],"bids":[]},"sequenceEnd":1613277183874}``
        """
        if type(d) is not _Data:
            raise DecodeError(NAME, "schema", "l2update without data")
        first, last, changes = d.sequenceStart, d.sequenceEnd, d.changes
        if first is None or last is None or first > last or changes is None or not d.symbol:
            raise DecodeError(NAME, "schema", "l2update without symbol/sequenceStart<=sequenceEnd/changes")
        symbol = self.symbols.to_unified.get(d.symbol) or self.symbols.unified(d.symbol)
        bids, asks = _no_op_free(changes.bids), _no_op_free(changes.asks)
        ts_event = d.time * 1_000_000
        if self.split_sequences and len(bids) + len(asks) > 1:
            return self._split(symbol, bids, asks, first, last, ts_event, ts_recv_ns)
        # Positional: (symbol, bids, asks, first_seq, last_seq, ts_event_ns, ts_recv_ns,
        #              prev_seq, checksum, level_seqs)
        return [BookDelta(symbol, bids, asks, first, last, ts_event, ts_recv_ns, None, None, True)]

    @staticmethod
    def _split(
        symbol: str, bids: list[_Change], asks: list[_Change], first: int, last: int, ts_event: int, ts_recv_ns: int
    ) -> list[Event]:
        """One delta per distinct change sequence; the ranges tile ``first..last`` exactly."""
        by_seq: dict[int, tuple[list[_Change], list[_Change]]] = {}
        for level in bids:
            by_seq.setdefault(level[LEVEL_SEQ], ([], []))[0].append(level)
        for level in asks:
            by_seq.setdefault(level[LEVEL_SEQ], ([], []))[1].append(level)
        out: list[Event] = []
        start = first
        for seq in sorted(by_seq):
            if seq < start or seq > last:
                raise DecodeError(NAME, "schema", "change sequence outside sequenceStart..sequenceEnd")
            b, a = by_seq[seq]
            out.append(BookDelta(symbol, b, a, start, seq, ts_event, ts_recv_ns, None, None, True))
            start = seq + 1
        if start <= last:  # trailing no-ops still advance the book to sequenceEnd
            out.append(BookDelta(symbol, [], [], start, last, ts_event, ts_recv_ns, None, None, True))
        return out

    def _ticker(self, msg: _Frame, ts_recv_ns: int) -> list[Event]:
        """``trade.ticker``: the venue's best bid/ask at ``sequence`` (an oracle).

        ``{"data":{"sequence":"1613277183873","bestAsk":"242.951","size":"0.08000012",
        "bestBidSize":"0.68148185","price":"243.65","time":1619378326330,
        "bestAskSize":"4.51280965","bestBid":"242.654"},"subject":"trade.ticker",
        "topic":"/market/ticker:BCHSV-USDT","type":"message"}``
        """
        d = msg.data
        if type(d) is not _Data or d.sequence is None or not (d.bestBid and d.bestBidSize and d.bestAsk and d.bestAskSize):
            raise DecodeError(NAME, "schema", "ticker without sequence/bestBid/bestBidSize/bestAsk/bestAskSize")
        symbol = self._topics.get(msg.topic)
        if symbol is None:
            _, sep, native = msg.topic.partition(":")
            if not sep or "," in native:
                raise DecodeError(NAME, "schema", f"ticker topic {msg.topic[:40]!r}")
            symbol = self._topics[msg.topic] = self.symbols.unified(native)
        return [
            TopOfBook(symbol, d.sequence, (d.bestBid, d.bestBidSize), (d.bestAsk, d.bestAskSize), d.time * 1_000_000, ts_recv_ns)
        ]

    @staticmethod
    def _control(msg: _Frame, ts_recv_ns: int) -> list[Event]:
        """``{"id":"NSkIrWGB1s","type":"welcome"}`` · ``{"id":"1","type":"ack"}`` ·
        ``{"id":"1545910590801","type":"pong"}`` · ``{"id":"1","type":"error","code":404,"data":"topic … is not found"}``
        """
        kind = msg.type
        if kind in ("welcome", "ack", "pong"):
            return [Control(kind, f"id={msg.id}", ts_recv_ns)]
        if kind == "error":
            detail = msg.data if type(msg.data) is str else ""
            return [Control("error", f"{msg.code}: {detail[:200]}", ts_recv_ns)]
        raise DecodeError(NAME, "unknown-message", f"type {kind[:40]!r}")


# -- connection -----------------------------------------------------------------------------
def bullet_request(rest_url: str) -> RestRequest:
    """``POST /api/v1/bullet-public``: a token for one public connection (weight 10)."""
    return RestRequest("POST", f"{rest_url}{BULLET_PATH}", weight=10)


@decodes(NAME)
def connect_url_from_bullet(body: str | bytes, connect_id: str) -> tuple[str, float, float]:
    """Bullet response → ``(ws url, ping interval s, ping timeout s)``.

    ``{"code":"200000","data":{"token":"2neAiuYv…","instanceServers":[{"endpoint":
    "wss://ws-api-spot.kucoin.com/","encrypt":true,"protocol":"websocket",
    "pingInterval":18000,"pingTimeout":10000}]}}``
    """
    msg = _bullet.decode(body)
    if msg.code != _OK or msg.data is None or not msg.data.instanceServers or not msg.data.token:
        raise DecodeError(NAME, "venue-error", f"bullet-public: {msg.code}: {msg.msg[:200]}")
    server = msg.data.instanceServers[0]
    sep = "&" if "?" in server.endpoint else "?"
    url = f"{server.endpoint}{sep}token={msg.data.token}&connectId={connect_id}"
    return url, server.pingInterval / 1000, server.pingTimeout / 1000


def connect_url(ws_url: str, venue_symbols: Sequence[str], depth: int | None) -> str:
    """The bare endpoint: a real connection URL needs a token (:func:`connect_url_from_bullet`)."""
    return ws_url


def subscribe_frames(venue_symbols: Sequence[str], depth: int | None, now_ms: int) -> list[str]:
    """``/market/level2`` and ``/market/ticker`` topics, up to 100 symbols each.

    ``{"id":"1","type":"subscribe","topic":"/market/level2:BTC-USDT,ETH-USDT",
    "privateChannel":false,"response":true}`` — send after the ``welcome``.
    """
    frames = []
    n = 0
    for prefix in ("/market/level2:", "/market/ticker:"):
        for i in range(0, len(venue_symbols), TOPIC_SYMBOLS):
            n += 1
            topic = prefix + ",".join(venue_symbols[i : i + TOPIC_SYMBOLS])
            frames.append(
                msgspec.json.encode(
                    {"id": str(n), "type": "subscribe", "topic": topic, "privateChannel": False, "response": True}
                ).decode()
            )
    return frames


def ping_frame(n: int, now_ms: int) -> str:
    """``{"id":"<n>","type":"ping"}``; the server answers ``{"id":"<n>","type":"pong"}``."""
    return f'{{"id":"{n}","type":"ping"}}'


def snapshot_request(rest_url: str, venue_symbol: str, depth: int | None) -> RestRequest:
    """The REST book for a depth: ``None`` or > 100 → the full book, else the public top 20/100.

    - Full book ``GET /api/v3/market/orderbook/level2`` (weight 3) needs API-key auth: sign it
      with :func:`~arb.venues.kucoin.signing.sign_request`.
    - ``GET /api/v1/market/orderbook/level2_20`` / ``level2_100`` (weight 2) are public and carry
      the same ``sequence``; a book synced from one must be cut to that depth (levels deeper
      than the snapshot are unknown until they change, as with any depth-limited snapshot).
    """
    if depth is not None and depth <= PUBLIC_DEPTH:
        path = PARTIAL_20_PATH if depth <= 20 else PARTIAL_100_PATH
        return RestRequest("GET", f"{rest_url}{path}?symbol={venue_symbol}", weight=2)
    return RestRequest("GET", f"{rest_url}{SNAPSHOT_PATH}?symbol={venue_symbol}", weight=3)


@decodes(NAME)
def decode_snapshot(url: str, body: str | bytes, ts_recv_ns: int, symbols: SymbolMap, parser: FixedParser) -> BookSnapshot:
    """Full order book body → snapshot at ``data.sequence``.

    ``{"code":"200000","data":{"time":1729176273859,"sequence":"14610502970",
    "bids":[["66976.4","0.69109872"]],"asks":[["66976.5","0.05408199"]]}}``
    """
    msg = _snapshot.decode(body)
    if msg.code != _OK or msg.data is None:
        raise DecodeError(NAME, "venue-error", f"order book: {msg.code[:20]}: {msg.msg[:200]}")
    data = msg.data
    return BookSnapshot(
        symbol=symbols.unified(query_param(url, "symbol")),
        bids=data.bids,
        asks=data.asks,
        seq=data.sequence,
        ts_event_ns=data.time * 1_000_000 if data.time > 0 else 0,
        ts_recv_ns=ts_recv_ns,
        source="rest",
    )


SPEC = VenueSpec(
    name=NAME,
    seq_rule=SeqRule.RANGE,
    snapshot_source="rest",
    depth=None,
    # KuCoin class-A spot pairs: 0.1 % maker / 0.1 % taker (public fee schedule).
    fees=Fees(taker=Decimal("0.001"), maker=Decimal("0.001")),
    ws_url=WS_URL,
    rest_url=REST_URL,
    parse_symbol=parse_symbol,
    format_symbol=format_symbol,
    decoder=KucoinDecoder,
    connect_url=connect_url,
    subscribe_frames=subscribe_frames,
    snapshot_request=snapshot_request,
    decode_snapshot=decode_snapshot,
    ping_frame=ping_frame,
    # bullet-public's instanceServers advertise pingInterval 18000 ms (pingTimeout 10000);
    # the answer of each connection's own bullet request overrides these.
    ping_interval_s=18.0,
    ping_timeout_s=10.0,
    # A token is valid 24 h (third-party reports say the stream ends with it): roll before.
    max_connection_age_s=24 * 3600,
    # Two subscriptions per symbol (level2 + ticker); "509: exceed max subscription count
    # limitation of 100 per session" (ccxws notes) — the current cap may be higher.
    max_symbols_per_connection=50,
    # Public resource pool: 2000 weight / 30 s (bullet 10, partial book 2); the signed full
    # book draws from the Spot pool (4000 / 30 s at VIP0), which this budget also covers.
    rest_budget=RestBudget(weight=2000, window_s=30.0),
    connect_request=bullet_request,
    connect_url_from_response=connect_url_from_bullet,
    subscribe_after="welcome",
    sign_request=sign_request,
    public_snapshot_depth=PUBLIC_DEPTH,
)
