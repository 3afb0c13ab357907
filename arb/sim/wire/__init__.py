"""Wire encoders: book changes → each venue's real wire format (the inverse of its decoder).

The simulator keeps the true book per venue and symbol and asks a venue's
:class:`Encoder` for the frames that venue would send. Frames are ``str`` (JSON text) or
``bytes`` (binary frames, e.g. MEXC protobuf). Levels are ``(price_text, qty_text)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from arb.book.book import OrderBook

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
