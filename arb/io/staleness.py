"""Staleness: a book that stopped updating leaves the scan until an update applies again.

A LIVE book whose last applied update (snapshot or delta, by its ``ts_recv_ns``) is older
than ``stale_after_ns`` becomes STALE — it keeps its levels but views of it are not
``live``, so it is not scanned — and becomes LIVE again when an update applies. Freshness
is per book on purpose: a heartbeat or pong proves a *connection* alive (idle detection
uses those), not that a quiet book is current.

:class:`Staleness` is pure: time is passed in, on the clock the books' updates are stamped
with (wall ns for a live feed, the records' ``ts`` for a replay). The live feed's
:class:`~arb.io.feed_state.FeedState` uses it; a replay host gets the same rules with no
connections at all::

    books = VenueBooks(spec)
    staleness = Staleness(books, stale_after_ns=5_000_000_000)
    for record in records:
        outcome = books.on_record(record)
        staleness.updated(outcome.changed, record.ts)
        changed = {*outcome.changed, *staleness.tick(record.ts)}
        ...  # hand the books of ``changed`` to the decider

``tick`` may be called as often as convenient: it sweeps the books at most once per
``sweep_every_ns`` of the time it is given (the live feed's ``sweep_interval_s``).
"""

from __future__ import annotations

from collections.abc import Iterable

from arb.book.health import BookState
from arb.venues.books import VenueBooks

_LIVE = BookState.LIVE
_STALE = BookState.STALE


class Staleness:
    """The staleness rule over one venue's books."""

    def __init__(self, books: VenueBooks, stale_after_ns: int, sweep_every_ns: int = 250_000_000) -> None:
        if stale_after_ns <= 0 or sweep_every_ns <= 0:
            raise ValueError(f"staleness needs positive times (got {stale_after_ns}, {sweep_every_ns} ns)")
        self.books = books
        self.stale_after_ns = stale_after_ns
        self.sweep_every_ns = sweep_every_ns
        self._reason = f"no update for {stale_after_ns / 1e9:g} s"
        #: Books this rule marked STALE (and that may have turned LIVE or been cleared
        #: since); read it (empty: :meth:`updated` has nothing to do), never write it.
        self.marked: set[str] = set()
        #: How many times a book went STALE.
        self.marks = 0
        self._next_sweep_ns: int | None = None

    @property
    def next_sweep_ns(self) -> int:
        """When :meth:`tick` next sweeps (0: at the next call)."""
        return 0 if self._next_sweep_ns is None else self._next_sweep_ns

    def tick(self, now_ns: int) -> list[str]:
        """:meth:`sweep` if ``sweep_every_ns`` passed since the last sweep, else nothing."""
        if self._next_sweep_ns is not None and now_ns < self._next_sweep_ns:
            return []
        return self.sweep(now_ns)

    def sweep(self, now_ns: int) -> list[str]:
        """Mark LIVE books older than the limit STALE and STALE books updated within it LIVE
        again. Returns the symbols whose books changed state."""
        self._next_sweep_ns = now_ns + self.sweep_every_ns
        limit = self.stale_after_ns
        changed = []
        for symbol, book in self.books.books().items():
            state = book.state
            if state is _LIVE:
                if now_ns - book.ts_recv_ns > limit and self.books.mark_stale(symbol, self._reason):
                    self.marked.add(symbol)
                    self.marks += 1
                    changed.append(symbol)
            elif state is _STALE:
                if now_ns - book.ts_recv_ns <= limit and self.books.mark_fresh(symbol):
                    self.marked.discard(symbol)
                    changed.append(symbol)
            else:
                self.marked.discard(symbol)
        return changed

    def updated(self, symbols: Iterable[str], now_ns: int) -> None:
        """Books of ``symbols`` changed (an outcome's ``changed``): a STALE one whose update
        is within the limit at ``now_ns`` is LIVE again at once. The symbols were reported
        changed already, so nothing is returned."""
        stale = self.marked
        if not stale:
            return
        for symbol in symbols:
            if symbol in stale:
                book = self.books.book(symbol)
                if book is None or book.state is not _STALE:
                    stale.discard(symbol)
                elif now_ns - book.ts_recv_ns <= self.stale_after_ns and self.books.mark_fresh(symbol):
                    stale.discard(symbol)

    def forget(self, symbol: str) -> None:
        """``symbol``'s book was cleared: it is no longer this rule's to freshen."""
        self.marked.discard(symbol)
