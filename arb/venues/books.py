"""The books of one venue, fed by raw frames: decode → route → sync, with counters.

:class:`VenueBooks` is the sans-I/O heart of a feed: the live transport, the recorder's
replay, backtests and ``arb verify`` all push raw traffic through it. It keeps one
decoder per connection and one :class:`~arb.book.sync.BookSync` per symbol, counts every
skip by cause, cross-checks books against the venue's own top-of-book oracles, and returns
what every input did as a :class:`BooksOutcome`: which books changed, which need a
snapshot (REST) or a resubscribe (in-stream snapshot), which buffered a delta, which
control messages arrived, and the gaps and checksum failures found. Nothing outside reads or
writes its books' sync state: the feed's policies act through its methods
(:meth:`VenueBooks.stream_lost`, :meth:`VenueBooks.mark_stale`, …), which return outcomes too.

Skipped input is counted every time (:attr:`VenueBooks.errors`) but logged at most once per
reason per ``log_interval_ns`` of the inputs' own receive stamps, with the number held back
since the previous line — a venue spewing bad frames must not flood the log.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable

import msgspec

from arb.book.book import OrderBook
from arb.book.health import BookState
from arb.book.sync import BookSync, Failure, Outcome, SyncStats
from arb.core.errors import ArbError, DecodeError
from arb.core.events import BookDelta, BookSnapshot, Control, Event, Level, ResyncRequired, Subscribed, TopOfBook
from arb.core.numbers import FixedParser
from arb.core.symbols import SymbolMap
from arb.record.format import Record
from arb.venues.base import Decoder, VenueSpec, query_param

log = logging.getLogger(__name__)

_APPLIED = Outcome.APPLIED
_BUFFERED = Outcome.BUFFERED
_DROPPED = Outcome.DROPPED
_RESYNC = Outcome.RESYNC
_LIVE = BookState.LIVE
_STALE = BookState.STALE
_SYNCING = BookState.SYNCING

#: How many top-of-book oracles per symbol wait for the book to reach their sequence.
_ORACLE_BACKLOG = 64


class BooksOutcome(msgspec.Struct, frozen=True, gc=False):
    """What one input (a frame, a REST body, a connect, a command) did to a venue's books.

    - ``changed``: symbols whose books changed and must be looked at again — an update or a
      snapshot applied, or the book was cleared (each symbol once).
    - ``resync``: symbols whose books were cleared and need a fresh snapshot
      (:attr:`~arb.venues.base.VenueSpec.snapshot_source` says how to get one).
    - ``buffered``: symbols that buffered a delta while waiting for a snapshot.
    - ``controls``: the :class:`~arb.core.events.Control` kinds the frame carried
      (``"pong"``, ``"heartbeat"``, ``"reconnect"``, ``"welcome"``, ``"error"`` …).
    - ``skipped``: why the input was skipped (a :class:`~arb.core.errors.DecodeError`
      reason), None when it was read.
    - ``gaps`` / ``checksum_failures``: sequence gaps and checksum mismatches it revealed.
    """

    changed: tuple[str, ...] = ()
    resync: tuple[str, ...] = ()
    buffered: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()
    skipped: str | None = None
    gaps: int = 0
    checksum_failures: int = 0


#: The outcome of an input that changed nothing.
NOTHING = BooksOutcome()


class _LogThrottle:
    """At most one warning per key per ``interval_ns`` (input time, not a clock read); the
    next line says how many were held back."""

    __slots__ = ("interval_ns", "venue", "_last", "_held")

    def __init__(self, venue: str, interval_ns: int) -> None:
        self.venue = venue
        self.interval_ns = interval_ns
        self._last: dict[str, int] = {}
        self._held: Counter[str] = Counter()

    def warn(self, key: str, ts_ns: int, msg: str, *args: object) -> None:
        last = self._last.get(key)
        if last is not None and 0 <= ts_ns - last < self.interval_ns:
            self._held[key] += 1
            return
        self._last[key] = ts_ns
        held = self._held.pop(key, 0)
        if held:
            log.warning(msg + " (and %d more like it since the last such line)", *args, held)
        else:
            log.warning(msg, *args)

    def flush(self, now_ns: int, everything: bool = False) -> None:
        """Log the counts held back for longer than the interval (``everything``: all of them,
        as at the end of a replay)."""
        for key in [k for k, n in self._held.items() if n and (everything or now_ns - self._last[k] >= self.interval_ns)]:
            log.warning("%s: %d more %r held back since the last such line", self.venue, self._held.pop(key), key)
            self._last[key] = now_ns


class VenueBooks:
    """Books for one venue.

    ``symbols`` restricts which unified symbols get books (None: every symbol seen).
    ``stats`` may be shared by several venues (one verify run); ``log_interval_ns`` is the
    least time between two warnings of the same kind.

    Public attributes are configuration (``spec``, ``symbol_map``, ``depth``, ``parser``)
    and counters (``stats``, ``messages``, ``errors``, ``controls``, ``oracle_ok``,
    ``oracle_failed``): read them, never write them.
    """

    def __init__(
        self,
        spec: VenueSpec,
        symbols: Iterable[str] | None = None,
        stats: SyncStats | None = None,
        depth: int | None = None,
        parser: FixedParser | None = None,
        log_interval_ns: int = 10_000_000_000,
    ) -> None:
        self.spec = spec
        self.wanted: frozenset[str] | None = frozenset(symbols) if symbols is not None else None
        self.symbol_map: SymbolMap = spec.symbol_map(sorted(self.wanted or ()))
        self.stats = stats if stats is not None else SyncStats()
        self.depth = depth if depth is not None else spec.depth
        self.parser = parser if parser is not None else FixedParser()
        self._syncs: dict[str, BookSync] = {}
        #: Per symbol, the outcome "only this book changed" (built once: the hot path
        #: returns it without allocating).
        self._changed_only: dict[str, BooksOutcome] = {}
        self._decoders: dict[int, Decoder] = {}
        self._symbol_conn: dict[str, int] = {}
        self._oracles: dict[str, dict[int, TopOfBook]] = {}
        self._log = _LogThrottle(spec.name, log_interval_ns)
        self.messages = 0
        self.errors: Counter[str] = Counter()
        self.oracle_ok = 0
        self.oracle_failed = 0
        self.controls: Counter[str] = Counter()
        for symbol in sorted(self.wanted or ()):
            self._sync(symbol)

    # -- books ----------------------------------------------------------------------------
    def book(self, symbol: str) -> OrderBook | None:
        sync = self._syncs.get(symbol)
        return sync.book if sync is not None else None

    def books(self) -> dict[str, OrderBook]:
        """Every book by unified symbol (a new dict; the books are the live objects)."""
        return {symbol: sync.book for symbol, sync in self._syncs.items()}

    def resyncs(self, symbol: str) -> int:
        """How many resyncs ``symbol``'s book completed (0 for an unknown symbol)."""
        sync = self._syncs.get(symbol)
        return sync.resyncs if sync is not None else 0

    def buffered(self, symbol: str) -> int:
        """How many deltas ``symbol``'s book holds while waiting for a snapshot."""
        sync = self._syncs.get(symbol)
        return sync.buffered if sync is not None else 0

    def _sync(self, symbol: str) -> BookSync:
        sync = self._syncs.get(symbol)
        if sync is None:
            book = OrderBook(self.spec.name, symbol, self.depth, self.parser)
            sync = self._syncs[symbol] = BookSync(book, self.spec.seq_rule, self.stats, self.spec.checksum)
            self._changed_only[symbol] = BooksOutcome(changed=(symbol,))
        return sync

    def add(self, symbols: Iterable[str]) -> None:
        """Books for ``symbols`` too (empty, syncing) — a venue with a symbol list only."""
        if self.wanted is None:
            return
        new = [s for s in symbols if s not in self.wanted]
        self.wanted = self.wanted | frozenset(new)
        for symbol in new:
            self.symbol_map.add(symbol)
            self._sync(symbol)

    def remove(self, symbols: Iterable[str]) -> None:
        """No books for ``symbols`` any more: their frames are skipped from now on."""
        gone = set(symbols)
        if self.wanted is not None:
            self.wanted = self.wanted - gone
        for symbol in gone:
            self._syncs.pop(symbol, None)
            self._changed_only.pop(symbol, None)
            self._symbol_conn.pop(symbol, None)
            self._oracles.pop(symbol, None)

    # -- input ----------------------------------------------------------------------------
    def on_connect(self, conn: int) -> BooksOutcome:
        """A connection (re)opened: fresh decoder; books it fed must resync."""
        self._decoders[conn] = self.spec.decoder(self.symbol_map, self.parser)
        return self._resync_connection(conn, "reconnected")

    def on_disconnect(self, conn: int) -> None:
        """A connection closed: forget its decoder (its books are the caller's to resync:
        :meth:`stream_lost`)."""
        self._decoders.pop(conn, None)

    def decoder(self, conn: int) -> Decoder | None:
        """The decoder of connection ``conn`` (None before its first frame)."""
        return self._decoders.get(conn)

    def use_decoder(self, conn: int, decoder: Decoder) -> None:
        """Decode connection ``conn``'s frames with ``decoder`` (instead of the venue's
        default) until it reconnects."""
        self._decoders[conn] = decoder

    def on_frame(self, conn: int, frame: str | bytes, ts_recv_ns: int) -> BooksOutcome:
        """One inbound websocket frame."""
        self.messages += 1
        decoder = self._decoders.get(conn)
        if decoder is None:
            decoder = self._decoders[conn] = self.spec.decoder(self.symbol_map, self.parser)
        try:
            events = decoder.decode(frame, ts_recv_ns)
        except DecodeError as exc:
            self.errors[exc.reason] += 1
            self._log.warn(exc.reason, ts_recv_ns, "%s conn %s: skipped frame: %s", self.spec.name, conn, exc)
            return BooksOutcome(skipped=exc.reason)
        if len(events) == 1:
            delta = events[0]
            if type(delta) is BookDelta:
                # Hot path: one delta for a known, live book.
                symbol = delta.symbol
                sync = self._syncs.get(symbol)
                if sync is not None:
                    outcome = sync.on_delta(delta)
                    if outcome is _APPLIED:
                        if self._oracles and symbol in self._oracles:
                            self._check_oracles(symbol, sync.book)
                        return self._changed_only[symbol]
                    self._symbol_conn[symbol] = conn
                    if outcome is _RESYNC:
                        log.info("%s %s: resync needed (%s)", self.spec.name, symbol, sync.book.reason)
                        failure = sync.failure  # the book was live: this delta broke it
                        return BooksOutcome(
                            changed=(symbol,), resync=(symbol,), gaps=int(failure is Failure.GAP),
                            checksum_failures=int(failure is Failure.CHECKSUM),
                        )
                    if outcome is _BUFFERED:
                        return BooksOutcome(buffered=(symbol,))
                    return NOTHING
        elif not events:
            return NOTHING
        return self._route(events, conn)

    def on_record(self, record: Record) -> BooksOutcome:
        """One record of a recording (replays, verify, backtests): a ``ws`` frame, a
        ``rest`` body or a ``connect``; ``ws_out`` is ignored. A REST record without URL
        or body is counted and skipped."""
        kind = record.kind
        if kind == "ws":
            return self.on_frame(record.conn or 0, record.payload, record.ts)
        if kind == "rest":
            if record.url is None or record.data is None:
                self.errors["rest-without-url-or-body"] += 1
                return BooksOutcome(skipped="rest-without-url-or-body")
            return self.on_rest(record.url, record.data, record.ts)
        if kind == "connect":
            return self.on_connect(record.conn or 0)
        return NOTHING

    def on_rest(self, url: str, body: str | bytes, ts_recv_ns: int) -> BooksOutcome:
        """One REST snapshot body (``url`` names the symbol). A body that cannot be read
        asks for another snapshot of its book, unless that book is live."""
        self.messages += 1
        if self.spec.decode_snapshot is None:
            self.errors["unexpected-rest"] += 1
            return BooksOutcome(skipped="unexpected-rest")
        try:
            snap = self.spec.decode_snapshot(url, body, ts_recv_ns, self.symbol_map, self.parser)
        except DecodeError as exc:
            self.errors[exc.reason] += 1
            self._log.warn("rest:" + exc.reason, ts_recv_ns, "%s: skipped REST body: %s", self.spec.name, exc)
            try:  # the request was for this symbol: the book still needs a snapshot
                symbol = self.symbol_map.unified(query_param(url, self.spec.snapshot_symbol_param))
            except (KeyError, ArbError):
                return BooksOutcome(skipped=exc.reason)
            sync = self._syncs.get(symbol)
            needs = sync is not None and not sync.book.is_live
            return BooksOutcome(resync=(symbol,) if needs else (), skipped=exc.reason)
        return self._route([snap], None)

    # -- commands (a feed's policies act through these) ------------------------------------
    def stream_lost(self, symbols: Iterable[str], reason: str) -> BooksOutcome:
        """The stream feeding ``symbols`` is gone: books that had a snapshot are cleared
        (RESYNCING, ``reason``) and leave the scan; books still waiting for their first
        snapshot drop the deltas they buffered (a snapshot for the next stream must not
        chain onto them)."""
        cleared = []
        for symbol in symbols:
            sync = self._syncs.get(symbol)
            if sync is None:
                continue
            if sync.book.state is _SYNCING:
                sync.drop_buffer()
            else:
                sync.require_resync(reason)
                cleared.append(symbol)
        return BooksOutcome(changed=tuple(cleared), resync=tuple(cleared)) if cleared else NOTHING

    def require_resync(self, symbols: Iterable[str], reason: str) -> BooksOutcome:
        """Clear the books of ``symbols`` that are LIVE or STALE (RESYNCING, ``reason``):
        they can no longer be trusted. Books already waiting for a snapshot are left so."""
        cleared = []
        for symbol in symbols:
            sync = self._syncs.get(symbol)
            if sync is not None and (sync.book.state is _LIVE or sync.book.state is _STALE):
                sync.require_resync(reason)
                cleared.append(symbol)
        return BooksOutcome(changed=tuple(cleared), resync=tuple(cleared)) if cleared else NOTHING

    def give_up(self, symbol: str, reason: str) -> BooksOutcome:
        """Stop resyncing ``symbol``'s book: it is FAILED (and empty) until a snapshot loads."""
        sync = self._syncs.get(symbol)
        if sync is None:
            return NOTHING
        sync.give_up(reason)
        return self._changed_only[symbol]

    def mark_stale(self, symbol: str, reason: str) -> bool:
        """A LIVE book becomes STALE (leaves the scan, keeps its levels). True if it was LIVE."""
        sync = self._syncs.get(symbol)
        if sync is None or sync.book.state is not _LIVE:
            return False
        sync.mark_stale(reason)
        return True

    def mark_fresh(self, symbol: str) -> bool:
        """A STALE book is LIVE again. True if it was STALE."""
        sync = self._syncs.get(symbol)
        if sync is None or sync.book.state is not _STALE:
            return False
        sync.mark_fresh()
        return True

    def flush_log(self, now_ns: int, everything: bool = False) -> None:
        """Log the skips held back by the throttle for longer than its interval — or, at the
        end of a replay, ``everything`` (the counters have them already)."""
        self._log.flush(now_ns, everything)

    # -- internals ------------------------------------------------------------------------
    def _resync_connection(self, conn: int, reason: str) -> BooksOutcome:
        cleared = []
        for symbol, owner in self._symbol_conn.items():
            if owner == conn:
                sync = self._syncs[symbol]
                if sync.book.state is not _SYNCING:
                    sync.require_resync(reason)
                    cleared.append(symbol)
        return BooksOutcome(changed=tuple(cleared), resync=tuple(cleared)) if cleared else NOTHING

    def _route(self, events: list[Event], conn: int | None) -> BooksOutcome:
        stats = self.stats
        gaps, checksum_failed = stats.gaps, stats.checksum_failed
        changed: dict[str, None] = {}
        resync: list[str] = []
        buffered: list[str] = []
        controls: list[str] = []
        wanted = self.wanted
        for event in events:
            # ``type(event) is …`` (not isinstance): the cheapest dispatch, and it narrows.
            if type(event) is BookDelta:
                symbol = event.symbol
                if wanted is not None and symbol not in wanted:
                    continue
                sync = self._syncs.get(symbol) or self._sync(symbol)
                outcome = sync.on_delta(event)
            elif type(event) is BookSnapshot:
                symbol = event.symbol
                if wanted is not None and symbol not in wanted:
                    continue
                sync = self._syncs.get(symbol) or self._sync(symbol)
                outcome = sync.on_snapshot(event)
            else:
                if type(event) is TopOfBook:
                    self._on_oracle(event)
                elif type(event) is ResyncRequired:
                    cleared = self._on_resync_required(event, conn)
                    resync += cleared
                    changed.update(dict.fromkeys(cleared))
                elif type(event) is Subscribed:
                    self._on_subscribed(event)
                elif type(event) is Control:
                    kind = event.kind
                    self.controls[kind] += 1
                    controls.append(kind)
                    if kind == "error":
                        self._log.warn("venue-error", event.ts_recv_ns, "%s: venue error: %s", self.spec.name, event.detail)
                continue
            if conn is not None:
                self._symbol_conn[symbol] = conn
            if outcome is _BUFFERED:
                buffered.append(symbol)
                continue
            if outcome is _DROPPED:
                continue
            changed[symbol] = None
            if outcome is _RESYNC:
                log.info("%s %s: resync needed (%s)", self.spec.name, symbol, sync.book.reason)
                resync.append(symbol)
            elif symbol in self._oracles:
                self._check_oracles(symbol, sync.book)
        found_gaps = stats.gaps - gaps
        found_checksums = stats.checksum_failed - checksum_failed
        if not (resync or buffered or controls or found_gaps or found_checksums):
            if not changed:
                return NOTHING
            if len(changed) == 1:
                return self._changed_only[next(iter(changed))]
        return BooksOutcome(
            changed=tuple(changed), resync=tuple(dict.fromkeys(resync)), buffered=tuple(dict.fromkeys(buffered)),
            controls=tuple(controls), gaps=found_gaps, checksum_failures=found_checksums,
        )

    def _on_subscribed(self, event: Subscribed) -> None:
        if event.depth is not None and (self.wanted is None or event.symbol in self.wanted):
            self._sync(event.symbol).book.max_depth = event.depth

    def _on_resync_required(self, event: ResyncRequired, conn: int | None) -> list[str]:
        if event.symbol is None:
            if event.reason.startswith("gap"):
                self.stats.gaps += 1
            return list(self._resync_connection(conn, event.reason).resync) if conn is not None else []
        sync = self._syncs.get(event.symbol)
        if sync is None or sync.book.state is _SYNCING:
            return []
        sync.require_resync(event.reason)
        return [event.symbol]

    # -- oracles --------------------------------------------------------------------------
    def _on_oracle(self, tob: TopOfBook) -> None:
        if tob.seq is None:
            return
        sync = self._syncs.get(tob.symbol)
        if sync is None:
            return
        book = sync.book
        if book.is_live and book.seq is not None and book.seq >= tob.seq:
            if book.seq == tob.seq:
                self._compare(book, tob)
            return
        pending = self._oracles.setdefault(tob.symbol, {})
        if len(pending) >= _ORACLE_BACKLOG:
            pending.pop(next(iter(pending)))
        pending[tob.seq] = tob

    def _check_oracles(self, symbol: str, book: OrderBook) -> None:
        pending = self._oracles[symbol]
        seq = book.seq
        if seq is None:
            return
        tob = pending.pop(seq, None)
        if tob is not None:
            self._compare(book, tob)
        for old in [s for s in pending if s < seq]:
            del pending[old]

    def _compare(self, book: OrderBook, tob: TopOfBook) -> None:
        bid, ask = book.best_bid(), book.best_ask()
        try:
            ok = self._same(bid, tob.bid) and self._same(ask, tob.ask)
        except (ValueError, TypeError, IndexError):
            self.errors["oracle-malformed"] += 1
            return
        if ok:
            self.oracle_ok += 1
        else:
            self.oracle_failed += 1
            self._log.warn(
                "oracle-mismatch", book.ts_recv_ns, "%s %s seq %s: book top %s/%s differs from venue top %s/%s",
                self.spec.name, book.symbol, book.seq, bid and bid[:2], ask and ask[:2],
                tob.bid and tob.bid[:2], tob.ask and tob.ask[:2],
            )

    def _same(self, level: Level | None, oracle: Level | None) -> bool:
        """Equal as exact numbers (``"2500.00000000"`` equals ``"2500"``)."""
        parser = self.parser
        if oracle is None or not parser[oracle[1]]:
            return level is None
        return level is not None and parser[level[0]] == parser[oracle[0]] and parser[level[1]] == parser[oracle[1]]
