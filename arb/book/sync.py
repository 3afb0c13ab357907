"""Sequence-checked book synchronisation: snapshot + deltas → an exact book, or a resync.

:class:`BookSync` owns one :class:`~arb.book.book.OrderBook` and applies the events a
venue decoder produced, following that venue's rule for how a delta's sequence numbers
must chain onto the book (:class:`SeqRule`). It never does I/O: when the book can no
longer be trusted it clears it, marks it ``RESYNCING`` with the reason, and returns
:data:`Outcome.RESYNC` — the caller then fetches a REST snapshot or resubscribes.

Outcomes are returned, never raised; counters go to a :class:`SyncStats` that a whole
venue (or a whole ``arb verify`` run) shares.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from enum import IntEnum

from arb.book.book import OrderBook
from arb.book.health import BookState
from arb.core.events import LEVEL_SEQ, BookDelta, BookSnapshot


class SeqRule(IntEnum):
    """How a venue's deltas chain onto the book's sequence ``s``.

    - ``RANGE`` (Binance ``U``/``u``, Gate ``U``/``u``, MEXC ``fromVersion``/``toVersion``,
      KuCoin ``sequenceStart``/``sequenceEnd``): drop when ``last ≤ s``; apply when
      ``first ≤ s+1`` (the first delta after a snapshot may straddle it); gap when
      ``first > s+1``. With per-level sequences (KuCoin) only levels with ``seq > s`` apply.
    - ``CHAIN`` (OKX ``prevSeqId``/``seqId``): apply when ``prev == s`` (``seqId < prevSeqId``
      is a venue reset and is accepted); drop when ``prev < s``; gap when ``prev > s``.
      Deltas without sequence numbers (pre-2022 OKX) apply unchecked.
    - ``NONE`` (Kraken, Coinbase): no per-book sequence; integrity comes from checksums or a
      connection-wide sequence checked by the decoder.
    """

    RANGE = 1
    CHAIN = 2
    NONE = 3


class Outcome(IntEnum):
    APPLIED = 0
    BUFFERED = 1  # waiting for a snapshot
    DROPPED = 2  # older than the book: already contained in it
    RESYNC = 3  # the book was cleared; a fresh snapshot is needed


class Failure(IntEnum):
    """Why a book last had to be cleared (:attr:`BookSync.failure`)."""

    NONE = 0
    GAP = 1  # a sequence gap
    CHECKSUM = 2  # the venue's checksum disagreed
    CROSSED = 3  # best bid >= best ask after an update
    BAD_LEVEL = 4  # a level that cannot be applied
    EXTERNAL = 5  # the caller said so (venue notice, connection gap, lost stream)


class SyncStats:
    """Counters shared by many books (one venue, or one verify run)."""

    __slots__ = (
        "snapshots", "applied", "buffered", "dropped", "gaps", "resyncs",
        "checksum_ok", "checksum_failed", "crossed", "bad_levels", "buffer_overflows",
    )

    def __init__(self) -> None:
        self.snapshots = 0
        self.applied = 0
        self.buffered = 0
        self.dropped = 0
        self.gaps = 0
        self.resyncs = 0
        self.checksum_ok = 0
        self.checksum_failed = 0
        self.crossed = 0
        self.bad_levels = 0
        self.buffer_overflows = 0

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}


#: Venue checksum of a book: returns the value the venue would send for it.
Checksum = Callable[[OrderBook], int]

_LIVE = BookState.LIVE
_STALE = BookState.STALE
_RANGE = SeqRule.RANGE
_CHAIN = SeqRule.CHAIN
_APPLIED = Outcome.APPLIED
_BUFFERED = Outcome.BUFFERED
_DROPPED = Outcome.DROPPED
#: What applying a malformed level raises: bad number text, wrong tuple shape.
_BAD_LEVEL = (ValueError, TypeError, IndexError)


class BookSync:
    """Drive one book through snapshots and deltas with a venue's sequence rule.

    ``checksum`` (optional) computes the venue's checksum over the book; it is compared
    with every snapshot/delta that carries one. ``buffer_limit`` bounds the deltas kept
    while waiting for a snapshot (the oldest are dropped; the snapshot then simply has to
    be newer than what was dropped, or a new one is requested).
    """

    __slots__ = ("book", "rule", "checksum", "stats", "buffer", "buffer_limit", "resyncs", "failure", "_check_crossed")

    def __init__(
        self,
        book: OrderBook,
        rule: SeqRule,
        stats: SyncStats,
        checksum: Checksum | None = None,
        buffer_limit: int = 10_000,
        check_crossed: bool = True,
    ) -> None:
        self.book = book
        self.rule = rule
        self.checksum = checksum
        self.stats = stats
        self.buffer: deque[BookDelta] = deque()
        self.buffer_limit = buffer_limit
        self.resyncs = 0
        #: Why the book was last cleared (the counter in ``stats`` that says so went up by one).
        self.failure = Failure.NONE
        self._check_crossed = check_crossed

    # -- events ---------------------------------------------------------------------------
    def on_snapshot(self, snap: BookSnapshot) -> Outcome:
        """Load a snapshot, then replay buffered deltas that chain onto it."""
        book = self.book
        if (
            snap.source == "rest"
            and book.state is _LIVE
            and snap.seq is not None
            and book.seq is not None
            and snap.seq <= book.seq
        ):
            # A REST answer that arrives after the stream already moved past it (e.g. an
            # in-stream full push landed while the request was in flight) is old news.
            self.stats.dropped += 1
            return _DROPPED
        self.stats.snapshots += 1
        was_resyncing = book.state is BookState.RESYNCING
        try:
            book.load(snap.bids, snap.asks)
        except _BAD_LEVEL as exc:
            self.stats.bad_levels += 1
            return self._fail(f"bad level in snapshot: {exc}", Failure.BAD_LEVEL)
        book.seq = snap.seq
        book.ts_event_ns = snap.ts_event_ns
        book.ts_recv_ns = snap.ts_recv_ns
        if snap.checksum is not None and not self._checksum_ok(snap.checksum):
            return self._fail("checksum mismatch on snapshot", Failure.CHECKSUM)
        book.state = BookState.LIVE
        book.reason = ""
        if was_resyncing:
            self.stats.resyncs += 1
            self.resyncs += 1
        pending, self.buffer = self.buffer, deque()
        if snap.source != "rest":
            # An in-stream snapshot supersedes everything received before it.
            self.stats.dropped += len(pending)
            pending.clear()
        for delta in pending:
            outcome = self.on_delta(delta)
            if outcome is Outcome.RESYNC:
                return outcome
        if self._check_crossed and book.is_crossed():
            self.stats.crossed += 1
            return self._fail("crossed after snapshot", Failure.CROSSED)
        return Outcome.APPLIED

    def on_delta(self, delta: BookDelta) -> Outcome:
        """Apply a delta if it chains onto the book; buffer it while syncing.

        This is the hot path of every feed: kept flat on purpose.
        """
        book = self.book
        state = book.state
        if state is not _LIVE and state is not _STALE:
            buffer = self.buffer
            if len(buffer) >= self.buffer_limit:
                buffer.popleft()
                self.stats.buffer_overflows += 1
            buffer.append(delta)
            self.stats.buffered += 1
            return _BUFFERED
        seq = book.seq
        last = delta.last_seq
        bids = delta.bids
        asks = delta.asks
        rule = self.rule
        if rule is _RANGE:
            if seq is not None and last is not None:
                if last <= seq:
                    self.stats.dropped += 1
                    return _DROPPED
                first = delta.first_seq
                if first is None:
                    first = last
                if first > seq + 1:
                    self.stats.gaps += 1
                    return self._fail(f"gap: expected {seq + 1}, got {first}..{last}", Failure.GAP)
                if first <= seq and delta.level_seqs:
                    bids = [lv for lv in bids if lv[LEVEL_SEQ] > seq]
                    asks = [lv for lv in asks if lv[LEVEL_SEQ] > seq]
        elif rule is _CHAIN:
            prev = delta.prev_seq
            if prev is not None and seq is not None and prev != seq:
                if prev < seq:
                    self.stats.dropped += 1
                    return _DROPPED
                self.stats.gaps += 1
                return self._fail(f"gap: previous {prev} does not chain onto {seq}", Failure.GAP)
        try:
            crossed = book.apply(bids, asks)
        except _BAD_LEVEL as exc:
            self.stats.bad_levels += 1
            return self._fail(f"bad level: {exc}", Failure.BAD_LEVEL)
        if last is not None:
            book.seq = last
        book.ts_event_ns = delta.ts_event_ns
        book.ts_recv_ns = delta.ts_recv_ns
        self.stats.applied += 1
        if delta.checksum is not None and not self._checksum_ok(delta.checksum):
            return self._fail("checksum mismatch", Failure.CHECKSUM)
        if crossed and self._check_crossed:
            self.stats.crossed += 1
            return self._fail("crossed after update", Failure.CROSSED)
        return _APPLIED

    def require_resync(self, reason: str) -> Outcome:
        """Mark the book untrustworthy from outside (venue notice, connection gap, bad frame)."""
        return self._fail(reason, Failure.EXTERNAL)

    def mark_stale(self, reason: str) -> None:
        if self.book.state is BookState.LIVE:
            self.book.state = BookState.STALE
            self.book.reason = reason

    def mark_fresh(self) -> None:
        if self.book.state is BookState.STALE:
            self.book.state = BookState.LIVE
            self.book.reason = ""

    @property
    def buffered(self) -> int:
        """How many deltas wait for a snapshot."""
        return len(self.buffer)

    def drop_buffer(self) -> None:
        """Forget the buffered deltas: the stream they came from is gone, a snapshot taken for
        the next stream must not chain onto them."""
        self.buffer.clear()

    def give_up(self, reason: str) -> None:
        """Resync attempts are exhausted: the book is FAILED until a new snapshot arrives."""
        self.book.clear()
        self.book.state = BookState.FAILED
        self.book.reason = reason

    # -- internals ------------------------------------------------------------------------
    def _checksum_ok(self, expected: int) -> bool:
        if self.checksum is None:
            return True
        if self.checksum(self.book) == expected:
            self.stats.checksum_ok += 1
            return True
        self.stats.checksum_failed += 1
        return False

    def _fail(self, reason: str, failure: Failure) -> Outcome:
        self.failure = failure
        book = self.book
        book.clear()
        book.state = BookState.RESYNCING
        book.reason = reason
        self.buffer.clear()
        return Outcome.RESYNC
