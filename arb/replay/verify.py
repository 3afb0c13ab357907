"""``arb verify``: rebuild every book in recordings with each venue's own sync rules.

Files are read in the order given and form one stream: a rotated recording continues in
its next file, and a ``connect`` record marks a reconnect (the books it fed resync).

Nothing goes missing silently. The books to expect are every book the traffic touched
plus every symbol a file's header names (for its venue, or for every venue of a mixed
file); one that never got a snapshot is listed under ``missing`` with why. Every skipped
line, undecodable frame, bad level and crossed book is counted by reason
(``error_reasons``). Finished books are audited for levels no market holds (a price of
zero or above :data:`MAX_PRICE`, a quantity above :data:`MAX_QTY`): the venue decoders and
the book accept any non-negative number, so an absurd one would otherwise pass unseen.
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from arb.book.book import OrderBook
from arb.book.health import BookState
from arb.book.sync import SyncStats
from arb.core.errors import ConfigError
from arb.core.events import Level
from arb.core.numbers import ONE, to_plain
from arb.record.format import EARLIEST_NS, LATEST_NS
from arb.record.reader import RecordingReader
from arb.venues.books import VenueBooks
from arb.venues.registry import get

log = logging.getLogger(__name__)

#: Above any spot price quoted anywhere (BTC in the weakest quote currencies is ~10^10).
MAX_PRICE = 10**15 * ONE
#: Above any quantity one price level holds (the largest meme-coin supplies are ~10^17).
MAX_QTY = 10**18 * ONE


class VerifyResult:
    """What a verify run found; :meth:`summary` is the JSON contract's object."""

    def __init__(self) -> None:
        self.stats = SyncStats()
        self.venues: dict[str, VenueBooks] = {}
        self.skipped: Counter[str] = Counter()
        self.truncated_files: list[str] = []
        #: path → what is wrong with its bytes (CRC, length or deflate error).
        self.corrupted_files: dict[str, str] = {}
        #: ``venue:SYMBOL`` keys the files' headers name.
        self.named: set[str] = set()
        #: Records whose time cannot be right: before 2009 or after 2100 (``implausible-time``),
        #: or earlier than the record of their venue before them in the same file
        #: (``time-backwards``: a recording is written in time order).
        self.time_faults: Counter[str] = Counter()

    @property
    def messages(self) -> int:
        return sum(v.messages for v in self.venues.values())

    def error_reasons(self) -> dict[str, int]:
        """Every counted error by reason: ``<venue>:<decode reason>``, ``line-<reason>``,
        ``unknown-venue``, ``bad-level``, ``crossed``, ``implausible-level``."""
        reasons: Counter[str] = Counter()
        for venue, vb in self.venues.items():
            for reason, n in vb.errors.items():
                reasons[f"{venue}:{reason}"] += n
        reasons.update(self.skipped)
        reasons.update(self.time_faults)
        reasons["bad-level"] += self.stats.bad_levels
        reasons["crossed"] += self.stats.crossed
        reasons["implausible-level"] += sum(len(found) for found in self.implausible().values())
        return {reason: n for reason, n in sorted(reasons.items()) if n}

    @property
    def errors(self) -> int:
        return sum(self.error_reasons().values())

    def _all_books(self) -> dict[str, OrderBook | None]:
        """Every book the traffic touched or a header named (None: never even created)."""
        out: dict[str, OrderBook | None] = {key: None for key in self.named}
        for venue, vb in self.venues.items():
            for symbol, book in vb.books().items():
                out[f"{venue}:{symbol}"] = book
        return dict(sorted(out.items()))

    def books(self) -> list[tuple[str, Any]]:
        """``("venue:SYMBOL", book)`` for every book that ever got a snapshot, sorted."""
        return [(key, book) for key, book in self._all_books().items()
                if book is not None and book.state is not BookState.SYNCING]

    def missing(self) -> dict[str, str]:
        """Books expected (named by a header, or fed deltas) that never got a snapshot, and why."""
        out = {}
        for key, book in self._all_books().items():
            if book is None:
                out[key] = "named in the file header, but no frame for it was decoded"
            elif book.state is BookState.SYNCING:
                out[key] = f"never got a snapshot ({book.reason})"
        return out

    def unresynced(self) -> list[str]:
        """Books left cleared by a gap/checksum failure that no later snapshot repaired."""
        return [key for key, book in self.books() if book.state in (BookState.RESYNCING, BookState.FAILED)]

    def implausible(self) -> dict[str, list[str]]:
        """Levels no market holds, per book (see the module doc)."""
        out: dict[str, list[str]] = {}
        for key, book in self.books():
            found = []
            for side, levels in (("bid", book.bid_levels()), ("ask", book.ask_levels())):
                for price, qty in levels:
                    if price <= 0 or price > MAX_PRICE:
                        found.append(f"{side} price {to_plain(price)}")
                    if qty > MAX_QTY:
                        found.append(f"{side} quantity {to_plain(qty)} at {to_plain(price)}")
            if found:
                out[key] = found
        return out

    @property
    def oracles_failed(self) -> int:
        return sum(v.oracle_failed for v in self.venues.values())

    @property
    def ok(self) -> bool:
        """Every book rebuilt is consistent: no checksum or oracle disagreement, no gap left
        unrepaired, no implausible level."""
        return (self.stats.checksum_failed == 0 and self.oracles_failed == 0 and not self.unresynced()
                and not self.implausible())

    @property
    def complete(self) -> bool:
        """The input was whole and gave every book it should: no corrupted file, at least
        one book, none missing."""
        return not self.corrupted_files and bool(self.books()) and not self.missing() and not self.time_faults

    def summary(self) -> dict[str, Any]:
        books: dict[str, dict[str, list[str] | int | None]] = {}
        for key, book in self._all_books().items():
            if book is None or book.state is BookState.SYNCING:
                books[key] = {"bid": None, "ask": None, "bids": 0, "asks": 0}
                continue
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
            "error_reasons": self.error_reasons(),
            "oracles": {
                "ok": sum(v.oracle_ok for v in self.venues.values()),
                "failed": self.oracles_failed,
            },
            "missing": self.missing(),
            "implausible": self.implausible(),
            "files": {"truncated": list(self.truncated_files), "corrupted": dict(self.corrupted_files)},
            "books": books,
        }


_PLAIN = re.compile(r"\d+(\.\d+)?")


def _plain_pair(texts: Level | None, exact: list[tuple[int, int]]) -> list[str] | None:
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
        last_ts: dict[str, int] = {}  # per venue within a file: records are written in time order
        with RecordingReader(path) as reader:
            seen: set[str] = set()
            for record in reader:
                seen.add(record.venue)
                vb = venues.get(record.venue)
                if vb is None:
                    try:
                        spec = get(record.venue)
                    except ConfigError:
                        result.skipped["unknown-venue"] += 1
                        continue
                    vb = venues[record.venue] = VenueBooks(spec, stats=result.stats)
                ts = record.ts
                if not EARLIEST_NS <= ts <= LATEST_NS:
                    result.time_faults["implausible-time"] += 1
                    continue  # a record at no believable time is not replayed
                if ts < last_ts.get(record.venue, 0):
                    result.time_faults["time-backwards"] += 1
                else:
                    last_ts[record.venue] = ts
                vb.on_record(record)
            header = reader.header
            for venue in [header.venue] if header.venue else sorted(seen & set(venues)):
                result.named.update(f"{venue}:{symbol}" for symbol in header.symbols)
            result.skipped.update({f"line-{k}": n for k, n in reader.skipped.items()})
            if reader.corrupted is not None:
                result.corrupted_files[reader.path] = reader.corrupted
            elif reader.truncated:
                result.truncated_files.append(reader.path)
    return result
