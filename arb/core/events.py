"""Normalized market-data events: what a venue decoder turns wire frames into.

A *level* is a tuple ``(price_text, qty_text, *extra)`` holding the venue's own decimal
lexemes, exactly as sent. The book parses them into exact fixed-point ints
(:mod:`arb.core.numbers`) as it applies them and keeps the texts, because Kraken's and
OKX's checksums are computed over them. A quantity of zero removes the level. Some venues
add extras (KuCoin: the change's own sequence, an int, at index 2).

Sequence fields use each venue's own numbers; ``None`` means the venue sends none.
Timestamps are int nanoseconds: ``ts_event_ns`` from the venue (0 when it sends none),
``ts_recv_ns`` local receive time.
"""

from __future__ import annotations

from typing import Any, Final, TypeAlias

import msgspec

#: ``(price_text, qty_text, *extra)``. The extras are the venue's own (KuCoin: the change's
#: sequence, an int, at ``LEVEL_SEQ``; Kraken: the level's checksum digits, a str), so only
#: that venue's code reads them.
Level: TypeAlias = tuple[str, str, *tuple[Any, ...]]

#: Index of the per-change sequence in a KuCoin-style level tuple.
LEVEL_SEQ: Final = 2


class BookSnapshot(msgspec.Struct, gc=False):
    """The whole book (or its top N) at ``seq``: from REST or pushed in-stream."""

    symbol: str
    bids: list[Level]
    asks: list[Level]
    seq: int | None
    ts_event_ns: int
    ts_recv_ns: int
    checksum: int | None = None
    #: "rest" or "ws": REST snapshots answer our request; ws snapshots start a stream.
    source: str = "ws"


class BookDelta(msgspec.Struct, gc=False):
    """Changes to a book. Quantities are absolute (the new size at that price).

    Range-sequenced venues (Binance ``U``/``u``, Gate, MEXC versions, KuCoin) fill
    ``first_seq``/``last_seq``; chained venues (OKX) fill ``prev_seq``/``last_seq``.
    ``checksum`` is the venue's checksum of the book *after* this delta, if it sends one.
    """

    symbol: str
    bids: list[Level]
    asks: list[Level]
    first_seq: int | None
    last_seq: int | None
    ts_event_ns: int
    ts_recv_ns: int
    prev_seq: int | None = None
    checksum: int | None = None
    #: True when levels carry their own sequence at ``LEVEL_SEQ`` (KuCoin).
    level_seqs: bool = False


class TopOfBook(msgspec.Struct, gc=False):
    """A venue's own best bid/ask at ``seq`` (Binance ``bookTicker``, KuCoin ``ticker``).

    Independent of the diff stream, so it is an oracle: when the book's sequence equals
    ``seq`` the rebuilt best levels must equal these exactly.
    """

    symbol: str
    seq: int | None
    bid: Level | None
    ask: Level | None
    ts_event_ns: int
    ts_recv_ns: int


class ResyncRequired(msgspec.Struct, gc=False):
    """The venue told us (or the connection's sequence showed) that books are no longer exact.

    ``symbol`` None means every book on this connection (e.g. Coinbase ``sequence_num`` gap,
    Gate ``upgrade`` notice).
    """

    symbol: str | None
    reason: str
    ts_recv_ns: int


class Subscribed(msgspec.Struct, gc=False):
    """The venue confirmed a book subscription; ``depth`` is the depth books are cut to."""

    symbol: str
    depth: int | None
    ts_recv_ns: int


class Control(msgspec.Struct, gc=False):
    """Connection-level information: subscribed, heartbeat, pong, venue error …"""

    kind: str
    detail: str
    ts_recv_ns: int
    symbol: str | None = None


Event: TypeAlias = BookSnapshot | BookDelta | TopOfBook | ResyncRequired | Subscribed | Control
