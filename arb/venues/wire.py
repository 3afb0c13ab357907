"""Wire encoders, the shape every venue's ``wire.py`` shares: book changes → the venue's
real wire format (the inverse of its decoder).

Each venue package (``arb/venues/<venue>/wire.py``) has an ``Encoder`` with this shape; the
simulator (:mod:`arb.sim`) keeps the true book per venue and symbol and asks it for the
frames that venue would send, and tests use it to build frames. Frames are ``str`` (JSON
text) or ``bytes`` (binary frames, e.g. MEXC protobuf). Levels are ``(price_text, qty_text)``.
Encoders are sans-I/O, like the decoders.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from arb.book.book import OrderBook
from arb.core.symbols import SymbolMap

Frame = str | bytes
Levels = Sequence[tuple[str, str]]


class Encoder(Protocol):
    """Per-connection encoder for one venue (stateful where the venue numbers its messages)."""

    def snapshot(self, symbol: str, bids: Levels, asks: Levels, seq: int, ts_ns: int, book: OrderBook) -> list[Frame]:
        """In-stream snapshot frames (venues whose snapshots come over the websocket).

        REST-snapshot venues return ``[]`` (their book starts from :meth:`rest_snapshot`).
        ``book`` is the true book (already holding this state), for checksums.
        """
        ...

    def delta(
        self, symbol: str, bids: Levels, asks: Levels, first_seq: int, last_seq: int, ts_ns: int, book: OrderBook
    ) -> list[Frame]:
        """Frames carrying one batch of absolute-size changes covering sequences
        ``first_seq..last_seq``. ``book`` is the true book *after* the change (for checksums)."""
        ...

    def rest_snapshot(self, rest_url: str, symbol: str, bids: Levels, asks: Levels, seq: int, ts_ns: int) -> tuple[str, str]:
        """``(url, body)`` of the venue's REST depth response at ``seq`` (REST venues)."""
        ...

    def heartbeat(self, ts_ns: int) -> list[Frame]:
        """Keep-alive frames the venue sends when idle (may be ``[]``)."""
        ...


#: ``factory(symbols, depth) → Encoder`` for one connection (each venue's ``Encoder`` class).
EncoderFactory = Callable[[SymbolMap, int | None], Encoder]
