"""``arb verify``: rebuild every book in recordings with each venue's own sync rules.

Files are read in the order given and form one stream: a rotated recording continues in
its next file, and a ``connect`` record marks a reconnect (the books it fed resync).
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from arb.book.health import BookState
from arb.book.sync import SyncStats
from arb.core.errors import ConfigError
from arb.core.numbers import to_plain
from arb.record.reader import RecordingReader
from arb.venues.books import VenueBooks
from arb.venues.registry import get

log = logging.getLogger(__name__)


class VerifyResult:
    """What a verify run found; :meth:`summary` is the JSON contract's object."""

    def __init__(self) -> None:
        self.stats = SyncStats()
        self.venues: dict[str, VenueBooks] = {}
        self.skipped: Counter[str] = Counter()
        self.truncated_files: list[str] = []

    @property
    def messages(self) -> int:
        return sum(v.messages for v in self.venues.values())

    @property
    def errors(self) -> int:
        decode = sum(sum(v.errors.values()) for v in self.venues.values())
        return decode + sum(self.skipped.values()) + self.stats.bad_levels + self.stats.crossed

    def books(self) -> list[tuple[str, Any]]:
        """``("venue:SYMBOL", book)`` for every book that ever got a snapshot, sorted."""
        out = []
        for venue, vb in sorted(self.venues.items()):
            for symbol, book in sorted(vb.books().items()):
                if book.state is not BookState.SYNCING:
                    out.append((f"{venue}:{symbol}", book))
        return out

    def unresynced(self) -> list[str]:
        """Books left cleared by a gap/checksum failure that no later snapshot repaired."""
        return [key for key, book in self.books() if book.state in (BookState.RESYNCING, BookState.FAILED)]

    @property
    def ok(self) -> bool:
        return self.stats.checksum_failed == 0 and not self.unresynced()

    def summary(self) -> dict[str, Any]:
        books = {}
        for key, book in self.books():
            n_bids, n_asks = book.depth()
            books[key] = {
                "bid": _plain_pair(book.best_bid(), book.bid_levels(1)),
                "ask": _plain_pair(book.best_ask(), book.ask_levels(1)),
                "bids": n_bids,
                "asks": n_asks,
            }
        return {
            "messages": self.messages,
            "checksums": {"ok": self.stats.checksum_ok, "failed": self.stats.checksum_failed},
            "gaps": self.stats.gaps,
            "resyncs": self.stats.resyncs,
            "errors": self.errors,
            "oracles": {
                "ok": sum(v.oracle_ok for v in self.venues.values()),
                "failed": sum(v.oracle_failed for v in self.venues.values()),
            },
            "books": books,
        }


_PLAIN = re.compile(r"\d+(\.\d+)?")


def _plain_pair(texts: tuple | None, exact: list[tuple[int, int]]) -> list[str] | None:
    """The venue's own price and size text when it is a plain decimal (``"0.00756900"``),
    else the exact value written plainly (``"1e-5"`` → ``"0.00001"``)."""
    if texts is None or not exact:
        return None
    price, qty = exact[0]
    return [
        texts[0] if _PLAIN.fullmatch(texts[0]) else to_plain(price),
        texts[1] if _PLAIN.fullmatch(texts[1]) else to_plain(qty),
    ]


def verify(paths: Iterable[str | os.PathLike[str]]) -> VerifyResult:
    """Replay every record of ``paths`` (one stream, in order) into fresh books."""
    result = VerifyResult()
    venues = result.venues
    for path in paths:
        with RecordingReader(path) as reader:
            for record in reader:
                vb = venues.get(record.venue)
                if vb is None:
                    try:
                        spec = get(record.venue)
                    except ConfigError:
                        result.skipped["unknown-venue"] += 1
                        continue
                    vb = venues[record.venue] = VenueBooks(spec, stats=result.stats)
                vb.on_record(record)
            result.skipped.update({f"line-{k}": n for k, n in reader.skipped.items()})
            if reader.truncated:
                result.truncated_files.append(reader.path)
    return result
