"""A venue's live books: its connections, REST snapshots, resyncs and staleness, in one object.

:class:`VenueFeed` owns, for one venue and a list of symbols, the
:class:`~arb.io.connection.Connection` s that carry them (sharded by the venue's
per-connection cap), a :class:`~arb.io.rest.RestClient` within the venue's REST budget, and
the :class:`~arb.venues.books.VenueBooks` every frame is pushed through. It keeps books
correct and tells its owner which ones changed:

- **Resync one book, disturb nothing else.** A gap or checksum failure clears only that
  book (:class:`~arb.book.sync.BookSync`). REST venues fetch one snapshot for it — never more
  than one request in flight per book, after the first delta of the new stream is buffered
  (or ``snapshot_wait_s``) so the snapshot can chain onto it. In-stream-snapshot venues send
  ``unsubscribe_frames`` + ``subscribe_frames`` for that one symbol on its connection; a
  venue without an unsubscribe reconnects that connection. Repeated resyncs of one book back
  off (the same 1 → 30 s policy); a snapshot that fails leaves the book RESYNCING and the
  sweep asks again later; a resubscribe that brings no snapshot within
  ``resync_timeout_s`` is repeated, and after ``resubscribe_attempts`` the connection is
  restarted.
- **Reconnects resync their books.** A connection that is lost (not rolled over) clears its
  books at once — they leave the scan — and the next session's subscription brings them back
  (REST snapshots, or in-stream snapshots).
- **Staleness.** A LIVE book whose last applied update (snapshot or delta, by its
  ``ts_recv_ns`` on the injected wall clock) is older than ``stale_after_s`` (5 s) becomes
  STALE and leaves the scan until an update applies again. Freshness is per book on
  purpose: a heartbeat or pong proves the *connection* alive (idle detection uses those), not
  that a quiet book is current.
- **Owner interface.** :meth:`drain_changed` / :meth:`wait_changed` hand over the set of
  symbols whose books changed (applied, cleared, stale or fresh again) since the last call —
  conflated, so a slow owner never queues — and ``notify`` (if given) is called when the set
  becomes non-empty. The owner builds views with :func:`arb.book.view.view_of` (or
  :meth:`view`); only ``live`` views may be scanned.
- **Recorder tee.** ``recorder(ts, venue, kind, data, conn=…, url=…)`` — the signature of
  :meth:`arb.record.writer.RecordingWriter.write`, which redacts — sees every ``connect``,
  inbound ``ws`` frame, ``ws_out`` frame and applied REST snapshot body (``rest``), stamped
  with the same wall clock, in call order with non-decreasing stamps. Token calls (KuCoin's
  bullet) are not recorded: they are not market data and carry a secret. Books and
  recordings agree: what the tee sees is exactly what was fed to the books, so replaying a
  recording (``arb verify``) rebuilds the same books.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import aiohttp

from arb.book.book import OrderBook
from arb.book.health import BookState
from arb.book.sync import BookSync
from arb.book.view import BookView, view_of
from arb.core.errors import ArbError, ConfigError
from arb.io.backoff import Backoff
from arb.io.breaker import BreakerState, CircuitBreaker
from arb.io.clock import SYSTEM_CLOCK, Clock
from arb.io.connection import (
    NOTICE_RECONNECT, NOTICE_WELCOME, Connection, ConnectionOptions, ConnState,
)
from arb.io.errors import TransportError
from arb.io.health import ConnectionHealth, VenueHealth
from arb.io.ratelimit import RateBudget
from arb.io.rest import RestClient
from arb.venues.base import Credentials, VenueSpec
from arb.venues.books import VenueBooks

log = logging.getLogger(__name__)

_LIVE = BookState.LIVE
_STALE = BookState.STALE
_SYNCING = BookState.SYNCING
_RESYNCING = BookState.RESYNCING


class Recorder(Protocol):
    """Receives every raw event; :meth:`arb.record.writer.RecordingWriter.write` is one."""

    def __call__(
        self, ts: int, venue: str, kind: str, data: str | bytes | None = None, *, conn: int | None = None, url: str | None = None
    ) -> None: ...


@dataclass
class FeedOptions:
    """How a feed runs (seconds unless named otherwise). URLs override the venue's own — a
    venue's config can point at a simulator."""

    ws_url: str | None = None
    rest_url: str | None = None
    #: Book depth (None: the venue's). Without credentials, KuCoin books are cut to 100.
    depth: int | None = None
    #: Cap on symbols per connection, below the venue's own cap (None: the venue's).
    max_symbols_per_connection: int | None = None
    stale_after_s: float = 5.0
    #: How often books are checked for staleness and stuck resyncs.
    sweep_interval_s: float = 0.25
    #: Longest wait for a book's first buffered delta before asking for its REST snapshot.
    snapshot_wait_s: float = 1.0
    resync_timeout_s: float = 10.0
    #: A book's resync backoff starts over after this long without a resync.
    resync_reset_s: float = 60.0
    resubscribe_attempts: int = 3
    rest_timeout_s: float = 10.0
    rest_retries: int = 3
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 30.0
    breaker_threshold: int = 10
    breaker_cooldown_s: float = 300.0
    connection: ConnectionOptions = field(default_factory=ConnectionOptions)

    def __post_init__(self) -> None:
        for name in ("stale_after_s", "sweep_interval_s", "resync_timeout_s", "rest_timeout_s", "backoff_base_s", "breaker_cooldown_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"feeds.{name} must be positive (got {getattr(self, name)})")
        for name in ("snapshot_wait_s", "resync_reset_s", "rest_retries"):
            if getattr(self, name) < 0:
                raise ConfigError(f"feeds.{name} must not be negative (got {getattr(self, name)})")
        if self.backoff_cap_s < self.backoff_base_s or self.breaker_threshold < 1 or self.resubscribe_attempts < 1:
            raise ConfigError("feeds: need backoff_cap_s >= backoff_base_s, breaker_threshold >= 1, resubscribe_attempts >= 1")
        if self.depth is not None and self.depth <= 0:
            raise ConfigError(f"feeds.depth must be positive (got {self.depth})")


class _Shard:
    """The symbols of one connection and what the feed counts about them."""

    __slots__ = (
        "index", "symbols", "natives", "link", "up", "epoch", "frames_in", "gaps", "checksum_failures", "resyncs",
        "resubscribe", "resubscriber",
    )

    def __init__(self, index: int, symbols: list[str], natives: list[str]) -> None:
        self.index = index
        self.symbols = symbols
        self.natives = natives
        self.link: Connection | None = None
        #: Subscribed and streaming (snapshots and resubscribes make sense).
        self.up = False
        #: Bumped whenever the stream is lost: answers meant for an older stream are dropped.
        self.epoch = 0
        self.frames_in = 0
        self.gaps = 0
        self.checksum_failures = 0
        self.resyncs = 0
        #: Books waiting to be resubscribed → not before (monotonic s); sent in batches.
        self.resubscribe: dict[str, float] = {}
        self.resubscriber: asyncio.Task[None] | None = None


class _Resync:
    """Per-book resync bookkeeping."""

    __slots__ = ("attempts", "last", "sent", "scheduled")

    def __init__(self) -> None:
        self.attempts = 0
        self.last = -1e18
        #: When the last (re)subscribe for this book went out (ws venues).
        self.sent: float | None = None
        #: A resubscribe is waiting out its backoff delay.
        self.scheduled = False


class VenueFeed:
    """Live books of ``symbols`` (unified) on one venue. Run with :meth:`run`, stop with
    :meth:`close`. ``rng`` seeds every jitter (pass a seeded one in tests)."""

    def __init__(
        self,
        spec: VenueSpec,
        symbols: Iterable[str],
        *,
        options: FeedOptions | None = None,
        clock: Clock = SYSTEM_CLOCK,
        rng: random.Random | None = None,
        credentials: Credentials | None = None,
        recorder: Recorder | None = None,
        notify: Callable[[], None] | None = None,
        http: aiohttp.ClientSession | None = None,
    ) -> None:
        self.spec = spec
        self.venue = spec.name
        self.options = opts = options or FeedOptions()
        self.clock = clock
        self.rng = rng if rng is not None else random.Random()
        self.credentials = credentials
        self.symbols = list(dict.fromkeys(symbols))
        if not self.symbols:
            raise ConfigError(f"feeds.{self.venue}: no symbols")
        self.ws_url = opts.ws_url or spec.ws_url
        self.rest_url = opts.rest_url or spec.rest_url
        self.depth = self._book_depth()
        self.books = VenueBooks(spec, self.symbols, depth=self.depth, track_changes=True)
        self._rest_sync = spec.snapshot_source == "rest" and spec.snapshot_request is not None
        self._stale_ns = round(opts.stale_after_s * 1e9)
        self._recorder = recorder
        self._notify = notify
        self._event = asyncio.Event()
        self._signalled = False
        self.backoff = Backoff(opts.backoff_base_s, opts.backoff_cap_s, rng=self.rng)
        self.breaker = CircuitBreaker(clock.monotonic, opts.breaker_threshold, opts.breaker_cooldown_s)
        budget = spec.rest_budget
        self.budget = RateBudget(budget.weight, budget.window_s, clock) if budget is not None else None
        self.rest = RestClient(
            self.venue, clock, self.backoff, self.budget, timeout_s=opts.rest_timeout_s, retries=opts.rest_retries, session=http
        )
        self._shards = self._make_shards()
        self._shard_of = {symbol: shard for shard in self._shards for symbol in shard.symbols}
        session_ids = itertools.count(1).__next__
        for shard in self._shards:
            shard.link = Connection(
                spec, shard.natives, self, index=shard.index, ws_url=self.ws_url, rest_url=self.rest_url,
                depth=self.depth, rest=self.rest, breaker=self.breaker, backoff=self.backoff, clock=clock,
                rng=self.rng, session_ids=session_ids, options=opts.connection,
            )
        self._resyncs: dict[str, _Resync] = {}
        self._snapshots: dict[str, asyncio.Task[None]] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._stale: set[str] = set()
        self._reconnect_notices = 0
        self._last_record_ts = 0
        self._welcomes = 0
        self._gaps_seen = 0
        self._checksums_seen = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self.snapshots_requested = 0
        self.resubscribes = 0
        self.internal_errors = 0
        self.last_error = ""

    def _book_depth(self) -> int | None:
        spec, opts = self.spec, self.options
        depth = opts.depth if opts.depth is not None else spec.depth
        public = spec.public_snapshot_depth
        if public is not None and (self.credentials is None or spec.sign_request is None):
            depth = public if depth is None else min(depth, public)
        return depth

    def _make_shards(self) -> list[_Shard]:
        caps = [c for c in (self.spec.max_symbols_per_connection, self.options.max_symbols_per_connection) if c]
        cap = min(caps) if caps else len(self.symbols)
        try:
            natives = [self.books.symbol_map.venue_symbol(s) for s in self.symbols]
            self.spec.subscribe_frames(natives[:cap], self.depth, 0)  # rejects a depth the venue lacks
        except (ArbError, ValueError) as exc:
            raise ConfigError(f"feeds.{self.venue}: {exc}") from None
        return [
            _Shard(i // cap, self.symbols[i : i + cap], natives[i : i + cap]) for i in range(0, len(self.symbols), cap)
        ]

    # -- owner API -------------------------------------------------------------------------
    async def run(self) -> None:
        """Connect everything and keep it so until :meth:`close` (or cancellation)."""
        self._tasks = [asyncio.ensure_future(shard.link.run()) for shard in self._shards if shard.link is not None]
        self._tasks.append(asyncio.ensure_future(self._sweeper()))
        try:
            await asyncio.wait(self._tasks)
        finally:
            await self._shutdown()

    async def close(self) -> None:
        """Stop: close every connection; :meth:`run` returns."""
        self._stopping = True
        for shard in self._shards:
            if shard.link is not None:
                await shard.link.close()
        for task in self._tasks:
            task.cancel()

    def drain_changed(self) -> set[str]:
        """The symbols whose books changed since the last call (and forget them)."""
        changed = self.books.changed or set()
        self.books.changed = set()
        self._signalled = False
        self._event.clear()
        if self._stale:
            self._freshen(changed)
        return changed

    async def wait_changed(self) -> set[str]:
        """Wait until some book changed, then :meth:`drain_changed`."""
        if not self.books.changed:
            await self._event.wait()
        return self.drain_changed()

    def book(self, symbol: str) -> OrderBook | None:
        return self.books.book(symbol)

    def view(self, symbol: str, k: int = 20) -> BookView | None:
        """A :class:`BookView` of ``symbol``'s book (``live`` False unless it may be scanned)."""
        book = self.books.book(symbol)
        return view_of(book, k) if book is not None else None

    def connection_sizes(self) -> list[int]:
        """How many symbols each connection carries (the venue's cap shards them)."""
        return [len(shard.symbols) for shard in self._shards]

    def live_symbols(self) -> list[str]:
        """Symbols whose books may be scanned now."""
        return [s for s, sync in self.books.syncs.items() if sync.book.state is _LIVE]

    def health(self) -> VenueHealth:
        stats = self.books.stats
        conns = tuple(self._connection_health(shard) for shard in self._shards)
        states = [c.state for c in conns]
        if self._stopping:
            state = "stopped"
        elif all(s == ConnState.UP for s in states):
            state = "up"
        elif self.breaker.state is BreakerState.OPEN:
            state = "circuit-open"
        elif all(s == ConnState.FAILED for s in states):
            state = "failed"
        elif any(s == ConnState.UP for s in states):
            state = "degraded"
        else:
            state = "down"
        return VenueHealth(
            venue=self.venue,
            state=state,
            connections=conns,
            books=dict(Counter(sync.book.state.value for sync in self.books.syncs.values())),
            messages=self.books.messages,
            decode_errors=sum(self.books.errors.values()),
            gaps=stats.gaps,
            checksum_failures=stats.checksum_failed,
            resyncs=stats.resyncs,
            snapshots_requested=self.snapshots_requested,
            resubscribes=self.resubscribes,
            rest_requests=self.rest.requests,
            rest_failures=self.rest.failures,
            rate_limited=self.rest.rate_limited,
            breaker=self.breaker.state.value,
            breaker_failures=self.breaker.failures,
            breaker_opened=self.breaker.opened,
            last_error=self.last_error,
        )

    def _connection_health(self, shard: _Shard) -> ConnectionHealth:
        link = shard.link
        assert link is not None
        age = link.last_message_age_s()
        return ConnectionHealth(
            index=shard.index,
            session=link.current.id if link.current is not None else None,
            state=link.state.value,
            symbols=len(shard.symbols),
            last_message_age_s=round(age, 3) if age is not None else None,
            reconnects=link.reconnects,
            rollovers=link.rollovers,
            frames_in=shard.frames_in,
            frames_out=link.frames_out,
            gaps=shard.gaps,
            checksum_failures=shard.checksum_failures,
            resyncs=shard.resyncs,
            last_error=link.last_error,
        )

    def sweep(self) -> None:
        """Mark books stale / fresh by age, and restart resyncs that stalled. Runs every
        ``sweep_interval_s``; callable directly (tests, fake clocks)."""
        now_ns = self.clock.now_ns()
        stale_ns = self._stale_ns
        changed = self.books.changed
        assert changed is not None
        for symbol, sync in self.books.syncs.items():
            book = sync.book
            state = book.state
            if state is _LIVE:
                if now_ns - book.ts_recv_ns > stale_ns:
                    sync.mark_stale(f"no update for {self.options.stale_after_s:g} s")
                    self._stale.add(symbol)
                    changed.add(symbol)
            elif state is _STALE:
                if now_ns - book.ts_recv_ns <= stale_ns:
                    sync.mark_fresh()
                    self._stale.discard(symbol)
                    changed.add(symbol)
            elif state is _SYNCING or state is _RESYNCING:
                self._stale.discard(symbol)
                self._retry_if_stuck(symbol, sync)
        if changed:
            self._signal()

    # -- connection handler ----------------------------------------------------------------
    def on_open(self, link: Connection, session: int, url: str, ts_ns: int, rollover: bool) -> None:
        self.books.on_connect(session)
        if self._recorder is not None:
            self._record(ts_ns, "connect", None, conn=session, url=url)

    def on_subscribed(self, link: Connection, session: int, rollover: bool) -> None:
        if rollover:
            return  # the books go on; the new session merely joins the stream
        shard = self._shards[link.index]
        shard.up = True
        now = self.clock.monotonic()
        for symbol in shard.symbols:
            sync = self.books.syncs[symbol]
            if sync.book.state is _LIVE or sync.book.state is _STALE:
                sync.require_resync("reconnected")
            if self._rest_sync:
                self._start_snapshot(symbol, shard)
            else:
                self._resync_state(symbol).sent = now

    def on_frame(self, link: Connection, session: int, frame: str | bytes, ts_ns: int) -> int:
        shard = self._shards[link.index]
        shard.frames_in += 1
        if self._recorder is not None:
            self._record(ts_ns, "ws", frame, conn=session)
        books = self.books
        resync = books.on_frame(session, frame, ts_ns)
        notice = 0
        controls = books.controls
        if controls:
            n = controls["reconnect"]
            if n != self._reconnect_notices:
                self._reconnect_notices = n
                notice = NOTICE_RECONNECT
            kind = self.spec.subscribe_after
            if kind is not None and controls[kind] != self._welcomes:
                self._welcomes = controls[kind]
                notice |= NOTICE_WELCOME
        if resync:
            self._on_resync(shard, resync)
        if not self._signalled and books.changed:
            self._signal()
        return notice

    def on_sent(self, link: Connection, session: int, frame: str, ts_ns: int) -> None:
        if self._recorder is not None:
            self._record(ts_ns, "ws_out", frame, conn=session)

    def on_close(self, link: Connection, session: int, error: TransportError | None, rollover: bool) -> None:
        self.books.decoders.pop(session, None)
        if error is not None:
            self.last_error = str(error)
        if rollover:
            return
        shard = self._shards[link.index]
        shard.up = False
        shard.epoch += 1
        for symbol in shard.resubscribe:
            self._resync_state(symbol).scheduled = False
        shard.resubscribe.clear()  # the next session subscribes everything anyway
        changed = self.books.changed
        assert changed is not None
        reason = f"connection lost: {error}" if error is not None else "connection closed"
        for symbol in shard.symbols:
            task = self._snapshots.pop(symbol, None)
            if task is not None:
                task.cancel()
            sync = self.books.syncs[symbol]
            if sync.book.state is _SYNCING:
                sync.buffer.clear()  # deltas of the lost stream
            else:
                sync.require_resync(reason)
                changed.add(symbol)
            self._stale.discard(symbol)
        self._signal()

    # -- resync ----------------------------------------------------------------------------
    def _on_resync(self, shard: _Shard, symbols: list[str]) -> None:
        stats = self.books.stats
        shard.gaps += stats.gaps - self._gaps_seen
        shard.checksum_failures += stats.checksum_failed - self._checksums_seen
        self._gaps_seen, self._checksums_seen = stats.gaps, stats.checksum_failed
        for symbol in symbols:
            owner = self._shard_of.get(symbol)
            if owner is None:
                continue
            owner.resyncs += 1
            self._stale.discard(symbol)
            self._resync(symbol, owner)

    def _resync(self, symbol: str, shard: _Shard) -> None:
        """Start bringing ``symbol``'s book back, unless that is already under way."""
        if not shard.up:
            return  # the next session's subscription resyncs it
        if self._rest_sync:
            self._start_snapshot(symbol, shard)
        elif not self._resync_state(symbol).scheduled:
            # A book that just failed had its last snapshot: any earlier request was answered.
            self._start_resubscribe(symbol, shard)

    def _retry_if_stuck(self, symbol: str, sync: BookSync) -> None:
        shard = self._shard_of[symbol]
        if not shard.up:
            return
        if self._rest_sync:
            if symbol not in self._snapshots:
                self._start_snapshot(symbol, shard)
            return
        r = self._resync_state(symbol)
        if r.scheduled or (r.sent is not None and self.clock.monotonic() - r.sent < self.options.resync_timeout_s):
            return  # its snapshot may still come
        if r.sent is not None and r.attempts >= self.options.resubscribe_attempts and shard.link is not None:
            log.warning("%s %s: %d resubscribes brought no snapshot; restarting connection %d",
                        self.venue, symbol, r.attempts, shard.index)
            r.attempts = 0
            r.sent = self.clock.monotonic()  # the restart resubscribes; give it time
            shard.link.restart(f"{symbol} did not resync")
            return
        self._start_resubscribe(symbol, shard)

    def _resync_state(self, symbol: str) -> _Resync:
        r = self._resyncs.get(symbol)
        if r is None:
            r = self._resyncs[symbol] = _Resync()
        return r

    def _resync_delay(self, r: _Resync) -> float:
        """0 for a book's first resync in a while, then the backoff policy."""
        now = self.clock.monotonic()
        if now - r.last >= self.options.resync_reset_s:
            r.attempts = 0
        delay = 0.0 if r.attempts == 0 else self.backoff.delay(r.attempts - 1)
        r.attempts += 1
        r.last = now
        return delay

    def _start_resubscribe(self, symbol: str, shard: _Shard) -> None:
        """Queue ``symbol`` for its connection's next resubscribe batch (after its backoff)."""
        link = shard.link
        assert link is not None
        r = self._resync_state(symbol)
        if self.spec.unsubscribe_frames is None:
            r.sent = self.clock.monotonic()
            link.restart(f"resync {symbol}")
            return
        r.scheduled = True
        shard.resubscribe[symbol] = self.clock.monotonic() + self._resync_delay(r)
        if shard.resubscriber is None or shard.resubscriber.done():
            shard.resubscriber = asyncio.ensure_future(self._resubscriber(shard))
            self._background.add(shard.resubscriber)
            shard.resubscriber.add_done_callback(self._background.discard)

    async def _resubscriber(self, shard: _Shard) -> None:
        """Send the queued resubscribes of one connection, batched: the books that broke
        together (a Coinbase connection gap breaks them all) go out as one unsubscribe and
        one subscribe — venues limit client messages per second."""
        epoch = shard.epoch
        clock = self.clock
        while shard.resubscribe and shard.epoch == epoch:
            now = clock.monotonic()
            due = [symbol for symbol, at in shard.resubscribe.items() if at <= now]
            if not due:
                await clock.sleep(min(shard.resubscribe.values()) - now)
                continue
            for symbol in due:
                del shard.resubscribe[symbol]
                r = self._resync_state(symbol)
                r.scheduled, r.sent = False, now
            unsubscribe = self.spec.unsubscribe_frames
            assert unsubscribe is not None and shard.link is not None
            natives = [self.books.symbol_map.venue_symbol(symbol) for symbol in due]
            now_ms = clock.now_ns() // 1_000_000
            frames = unsubscribe(natives, self.depth, now_ms) + self.spec.subscribe_frames(natives, self.depth, now_ms)
            self.resubscribes += len(due)
            log.info("%s: resubscribing %s", self.venue, ", ".join(due))
            await shard.link.send(frames)  # False: the session is gone; its successor subscribes all

    def _start_snapshot(self, symbol: str, shard: _Shard) -> None:
        if symbol in self._snapshots or self.books.syncs[symbol].book.state is BookState.FAILED:
            return
        delay = self._resync_delay(self._resync_state(symbol))
        task = asyncio.ensure_future(self._snapshot(symbol, shard, delay))
        self._snapshots[symbol] = task
        task.add_done_callback(lambda t, s=symbol: self._snapshot_done(s, t))

    def _snapshot_done(self, symbol: str, task: asyncio.Task[None]) -> None:
        if self._snapshots.get(symbol) is task:
            del self._snapshots[symbol]
        if not task.cancelled() and task.exception() is not None:
            self.internal_errors += 1
            log.error("%s %s: snapshot task failed", self.venue, symbol, exc_info=task.exception())

    async def _snapshot(self, symbol: str, shard: _Shard, delay: float) -> None:
        """One REST snapshot for ``symbol``'s book (the only one in flight for it)."""
        spec = self.spec
        assert spec.snapshot_request is not None
        epoch = shard.epoch
        if delay > 0:
            await self.clock.sleep(delay)
        sync = self.books.syncs[symbol]
        await self._await_first_delta(sync)
        if shard.epoch != epoch or sync.book.state is _LIVE:
            return  # another stream, or an in-stream snapshot (Gate ``full``) got there first
        request = spec.snapshot_request(self.rest_url, self.books.symbol_map.venue_symbol(symbol), self.depth)
        if self.credentials is not None and spec.sign_request is not None:
            request = spec.sign_request(request, self.credentials, self.clock.now_ns() // 1_000_000)
        self.snapshots_requested += 1
        try:
            response = await self.rest.fetch(request)
        except TransportError as exc:
            self.last_error = str(exc)
            if not exc.retryable and shard.epoch == epoch:
                sync.give_up(f"snapshot refused: {exc}")
                self._changed(symbol)
            log.warning("%s %s: snapshot failed: %s", self.venue, symbol, exc)
            return  # still RESYNCING: the sweep asks again, after a backoff delay
        if shard.epoch != epoch:
            return  # the stream it was meant for is gone; the new one asks for its own
        if self._recorder is not None:
            self._record(response.ts_recv_ns, "rest", response.body, url=request.url)
        self.books.on_rest(request.url, response.body, response.ts_recv_ns)
        stats = self.books.stats  # gaps found while replaying onto a stale snapshot: not a connection's
        self._gaps_seen, self._checksums_seen = stats.gaps, stats.checksum_failed
        self._changed(symbol)

    async def _await_first_delta(self, sync: BookSync) -> None:
        """Until the book has buffered a delta of the new stream (a snapshot taken after it
        chains onto it), at most ``snapshot_wait_s``."""
        deadline = self.clock.monotonic() + self.options.snapshot_wait_s
        while not sync.buffer and sync.book.state is not _LIVE:
            left = deadline - self.clock.monotonic()
            if left <= 0:
                return
            await self.clock.sleep(min(0.02, left))

    # -- internals -------------------------------------------------------------------------
    def _record(self, ts: int, kind: str, data: str | bytes | None, *, conn: int | None = None, url: str | None = None) -> None:
        """Tee one event. Stamps never go back: a REST answer read before some frames but
        handed over after them (its task resumed later) is stamped with the last stamp."""
        if ts < self._last_record_ts:
            ts = self._last_record_ts
        self._last_record_ts = ts
        assert self._recorder is not None
        self._recorder(ts, self.venue, kind, data, conn=conn, url=url)

    def _freshen(self, symbols: Iterable[str]) -> None:
        now_ns = self.clock.now_ns()
        for symbol in symbols:
            if symbol in self._stale:
                sync = self.books.syncs[symbol]
                if sync.book.state is _STALE and now_ns - sync.book.ts_recv_ns <= self._stale_ns:
                    sync.mark_fresh()
                if sync.book.state is not _STALE:
                    self._stale.discard(symbol)

    def _changed(self, symbol: str) -> None:
        changed = self.books.changed
        assert changed is not None
        changed.add(symbol)
        self._signal()

    def _signal(self) -> None:
        if not self._signalled:
            self._signalled = True
            self._event.set()
            if self._notify is not None:
                self._notify()

    async def _sweeper(self) -> None:
        while not self._stopping:
            try:
                self.sweep()
            except Exception:  # the sweeper is a supervisor loop: count, log, go on
                self.internal_errors += 1
                log.exception("%s: sweep failed", self.venue)
            await self.clock.sleep(self.options.sweep_interval_s)

    async def _shutdown(self) -> None:
        self._stopping = True
        pending = [*self._tasks, *self._snapshots.values(), *self._background]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await self.rest.close()

