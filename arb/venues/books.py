"""The books of one venue, fed by raw frames: decode → route → sync, with counters.

:class:`VenueBooks` is the sans-I/O heart of a feed: the live transport, the recorder's
replay, backtests and ``arb verify`` all push raw traffic through it. It keeps one
decoder per connection and one :class:`~arb.book.sync.BookSync` per symbol, counts every
skip by cause, cross-checks books against the venue's own top-of-book oracles, and tells
its caller which symbols need a snapshot (REST) or a resubscribe (in-stream snapshot).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable

from arb.book.book import OrderBook
from arb.book.health import BookState
from arb.book.sync import BookSync, Outcome, SyncStats
from arb.core.errors import ArbError, DecodeError
from arb.core.events import BookDelta, BookSnapshot, Control, Event, ResyncRequired, Subscribed, TopOfBook
from arb.core.numbers import FixedParser
from arb.core.symbols import SymbolMap
from arb.record.format import Record
from arb.venues.base import Decoder, VenueSpec, query_param

log = logging.getLogger(__name__)

_APPLIED = Outcome.APPLIED
_RESYNC = Outcome.RESYNC
#: Shared empty result (callers only iterate it).
_NOTHING: list[str] = []

#: How many top-of-book oracles per symbol wait for the book to reach their sequence.
_ORACLE_BACKLOG = 64


class VenueBooks:
    """Books for one venue.

    ``symbols`` restricts which unified symbols get books (None: every symbol seen).
    ``on_frame``/``on_rest`` return the symbols whose books were cleared and need a fresh
    snapshot; :attr:`spec.snapshot_source <arb.venues.base.VenueSpec.snapshot_source>` says
    whether to fetch one over REST or resubscribe.
    """

    def __init__(
        self,
        spec: VenueSpec,
        symbols: Iterable[str] | None = None,
        stats: SyncStats | None = None,
        depth: int | None = None,
        parser: FixedParser | None = None,
        track_changes: bool = False,
    ) -> None:
        self.spec = spec
        #: Symbols whose books changed (applied, reloaded or cleared) since the caller last
        #: emptied the set; None unless ``track_changes``. Engines scan exactly these.
        self.changed: set[str] | None = set() if track_changes else None
        self.wanted: frozenset[str] | None = frozenset(symbols) if symbols is not None else None
        self.symbol_map: SymbolMap = spec.symbol_map(sorted(self.wanted or ()))
        self.stats = stats if stats is not None else SyncStats()
        self.depth = depth if depth is not None else spec.depth
        self.parser = parser if parser is not None else FixedParser()
        self.syncs: dict[str, BookSync] = {}
        self.decoders: dict[int, Decoder] = {}
        self._symbol_conn: dict[str, int] = {}
        self._oracles: dict[str, dict[int, TopOfBook]] = {}
        self.messages = 0
        self.errors: Counter[str] = Counter()
        self.oracle_ok = 0
        self.oracle_failed = 0
        self.controls: Counter[str] = Counter()
        for symbol in sorted(self.wanted or ()):
            self._sync(symbol)

    # -- books ----------------------------------------------------------------------------
    def book(self, symbol: str) -> OrderBook | None:
        sync = self.syncs.get(symbol)
        return sync.book if sync is not None else None

    def _sync(self, symbol: str) -> BookSync:
        sync = self.syncs.get(symbol)
        if sync is None:
            book = OrderBook(self.spec.name, symbol, self.depth, self.parser)
            sync = self.syncs[symbol] = BookSync(book, self.spec.seq_rule, self.stats, self.spec.checksum)
        return sync

    # -- input ----------------------------------------------------------------------------
    def on_connect(self, conn: int) -> list[str]:
        """A connection (re)opened: fresh decoder; books it fed must resync."""
        self.decoders[conn] = self.spec.decoder(self.symbol_map, self.parser)
        return self.resync_connection(conn, "reconnected")

    def resync_connection(self, conn: int, reason: str) -> list[str]:
        cleared = []
        for symbol, owner in self._symbol_conn.items():
            if owner == conn:
                sync = self.syncs[symbol]
                if sync.book.state is not BookState.SYNCING:
                    sync.require_resync(reason)
                    cleared.append(symbol)
        if self.changed is not None:
            self.changed.update(cleared)
        return cleared

    def on_frame(self, conn: int, frame: str | bytes, ts_recv_ns: int) -> list[str]:
        """One inbound websocket frame. Returns symbols needing a fresh snapshot."""
        self.messages += 1
        decoder = self.decoders.get(conn)
        if decoder is None:
            decoder = self.decoders[conn] = self.spec.decoder(self.symbol_map, self.parser)
        try:
            events = decoder.decode(frame, ts_recv_ns)
        except DecodeError as exc:
            self.errors[exc.reason] += 1
            log.warning("%s conn %s: skipped frame: %s", self.spec.name, conn, exc)
            return _NOTHING
        if len(events) == 1:
            delta = events[0]
            if type(delta) is BookDelta:
                # Hot path: one delta for a known, live book.
                sync = self.syncs.get(delta.symbol)
                if sync is not None:
                    outcome = sync.on_delta(delta)
                    if outcome is _APPLIED:
                        if self.changed is not None:
                            self.changed.add(delta.symbol)
                        if self._oracles and delta.symbol in self._oracles:
                            self._check_oracles(delta.symbol, sync.book)
                        return _NOTHING
                    self._symbol_conn[delta.symbol] = conn
                    if outcome is _RESYNC:
                        if self.changed is not None:
                            self.changed.add(delta.symbol)
                        log.info("%s %s: resync needed (%s)", self.spec.name, delta.symbol, sync.book.reason)
                        return [delta.symbol]
                    return _NOTHING
        elif not events:
            return _NOTHING
        return self._route(events, conn)

    def on_record(self, record: Record) -> list[str]:
        """One record of a recording (replays, verify, backtests): a ``ws`` frame, a
        ``rest`` body or a ``connect``; ``ws_out`` is ignored. Returns symbols needing a
        fresh snapshot. A REST record without URL or body is counted and skipped."""
        kind = record.kind
        if kind == "ws":
            return self.on_frame(record.conn or 0, record.payload, record.ts)
        if kind == "rest":
            if record.url is None or record.data is None:
                self.errors["rest-without-url-or-body"] += 1
                return _NOTHING
            return self.on_rest(record.url, record.data, record.ts)
        if kind == "connect":
            return self.on_connect(record.conn or 0)
        return _NOTHING

    def on_rest(self, url: str, body: str | bytes, ts_recv_ns: int) -> list[str]:
        """One REST snapshot body (``url`` names the symbol). Returns symbols needing a snapshot."""
        self.messages += 1
        if self.spec.decode_snapshot is None:
            self.errors["unexpected-rest"] += 1
            return []
        try:
            snap = self.spec.decode_snapshot(url, body, ts_recv_ns, self.symbol_map, self.parser)
        except DecodeError as exc:
            self.errors[exc.reason] += 1
            log.warning("%s: skipped REST body from %s: %s", self.spec.name, url, exc)
            try:  # the request was for this symbol: the book still needs a snapshot
                symbol = self.symbol_map.unified(query_param(url, self.spec.snapshot_symbol_param))
            except (KeyError, ArbError):
                return []
            return [symbol] if symbol in self.syncs and not self.syncs[symbol].book.is_live else []
        return self._route([snap], None)

    def _route(self, events: list[Event], conn: int | None) -> list[str]:
        resync: list[str] = []
        wanted = self.wanted
        for event in events:
            cls = type(event)
            if cls is BookDelta or cls is BookSnapshot:
                symbol = event.symbol  # type: ignore[union-attr]
                if wanted is not None and symbol not in wanted:
                    continue
                sync = self.syncs.get(symbol) or self._sync(symbol)
                if cls is BookDelta:
                    outcome = sync.on_delta(event)  # type: ignore[arg-type]
                else:
                    outcome = sync.on_snapshot(event)  # type: ignore[arg-type]
                if conn is not None:
                    self._symbol_conn[symbol] = conn
                if self.changed is not None and outcome is not Outcome.BUFFERED and outcome is not Outcome.DROPPED:
                    self.changed.add(symbol)
                if outcome is Outcome.RESYNC:
                    log.info("%s %s: resync needed (%s)", self.spec.name, symbol, sync.book.reason)
                    resync.append(symbol)
                elif outcome is Outcome.APPLIED and symbol in self._oracles:
                    self._check_oracles(symbol, sync.book)
            elif cls is TopOfBook:
                self._on_oracle(event)  # type: ignore[arg-type]
            elif cls is ResyncRequired:
                resync += self._on_resync_required(event, conn)  # type: ignore[arg-type]
            elif cls is Subscribed:
                self._on_subscribed(event)  # type: ignore[arg-type]
            elif cls is Control:
                self.controls[event.kind] += 1  # type: ignore[union-attr]
                if event.kind == "error":  # type: ignore[union-attr]
                    log.warning("%s: venue error: %s", self.spec.name, event.detail)  # type: ignore[union-attr]
        return resync

    def _on_subscribed(self, event: Subscribed) -> None:
        if event.depth is not None and (self.wanted is None or event.symbol in self.wanted):
            self._sync(event.symbol).book.max_depth = event.depth

    def _on_resync_required(self, event: ResyncRequired, conn: int | None) -> list[str]:
        if event.symbol is None:
            if event.reason.startswith("gap"):
                self.stats.gaps += 1
            return self.resync_connection(conn, event.reason) if conn is not None else []
        sync = self.syncs.get(event.symbol)
        if sync is None or sync.book.state is BookState.SYNCING:
            return []
        sync.require_resync(event.reason)
        if self.changed is not None:
            self.changed.add(event.symbol)
        return [event.symbol]

    # -- oracles --------------------------------------------------------------------------
    def _on_oracle(self, tob: TopOfBook) -> None:
        if tob.seq is None:
            return
        sync = self.syncs.get(tob.symbol)
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
            log.warning(
                "%s %s seq %s: book top %s/%s differs from venue top %s/%s",
                self.spec.name, book.symbol, book.seq, bid and bid[:2], ask and ask[:2],
                tob.bid and tob.bid[:2], tob.ask and tob.ask[:2],
            )

    def _same(self, level: tuple | None, oracle: tuple | None) -> bool:
        """Equal as exact numbers (``"2500.00000000"`` equals ``"2500"``)."""
        parser = self.parser
        if oracle is None or not parser[oracle[1]]:
            return level is None
        return level is not None and parser[level[0]] == parser[oracle[0]] and parser[level[1]] == parser[oracle[1]]
