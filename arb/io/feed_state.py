"""The sans-I/O state of one venue's feed: link events in, actions out, books kept correct.

:class:`FeedState` is to :class:`~arb.io.feed.VenueFeed` what websockets' ``protocol.py``
is to its asyncio layer: it holds the venue's :class:`~arb.venues.books.VenueBooks` and
every policy that keeps them correct, takes what happened as values — a link event
(:mod:`arb.io.events`), a REST snapshot that arrived or failed, :meth:`FeedState.tick` —
and returns what to do as :data:`Action` values. It reads no clock (time is passed in:
wall ns to stamp and age books, monotonic seconds for timers), does no I/O and imports no
asyncio, aiohttp or websockets; its randomness is the seeded
:class:`~arb.io.backoff.Backoff` it is given. Its policies:

- **Links.** The symbols are split into links (one connection each) by the venue's
  per-connection cap (:attr:`FeedState.plan`).
- **Resync one book, disturb nothing else.** A gap or checksum failure clears only that
  book. REST venues fetch one snapshot for it (:class:`FetchSnapshot`) — never more than
  one in flight per book, and only once the first delta of the new stream is buffered (or
  ``snapshot_wait_s`` passed) so the snapshot can chain onto it. In-stream-snapshot venues
  resubscribe it (:class:`Send` of ``unsubscribe_frames`` + ``subscribe_frames``), batched
  per link: the books that broke together go out as one unsubscribe and one subscribe; a
  venue without an unsubscribe restarts that connection (:class:`Restart`). Repeated
  resyncs of one book back off (the same 1 → 30 s policy, starting over after
  ``resync_reset_s`` without one); a snapshot that fails leaves the book RESYNCING and the
  next sweep asks again (a refused one — not retryable — fails the book); a resubscribe
  that brings no snapshot within ``resync_timeout_s`` is repeated, and after
  ``resubscribe_attempts`` the connection is restarted.
- **Reconnects resync their books.** A link that is lost (not rolled over) clears its
  books at once — they leave the scan — and forgets its queued resubscribes and snapshots
  (:class:`CancelSnapshot`); the next session's subscription brings the books back. A
  venue's restart notice rolls the session over (:class:`RollOver`); its welcome lets the
  subscription go out (:class:`Welcome`).
- **Staleness** (:class:`~arb.io.staleness.Staleness`): a LIVE book with no applied update
  for ``stale_after_s`` is STALE until one applies.
- **Changed books.** Every symbol whose book changed (applied, cleared, stale or fresh
  again) is collected until the owner calls :meth:`FeedState.drain_changed` — conflated,
  so a slow owner never queues.
- **Recorder tee.** Every frame a link receives is fed to the books; a REST body is fed
  only while :meth:`FeedState.snapshot_wanted` — so a host that records exactly those
  records exactly what the books saw.

Timers: :meth:`FeedState.next_deadline` is the monotonic time by which :meth:`tick` must be
called again (the next sweep, every ``sweep_interval_s``, or an earlier resync step); any
event may move it earlier.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence

import msgspec

from arb.book.health import BookState
from arb.core.errors import ArbError, ConfigError
from arb.io.backoff import Backoff
from arb.io.events import Closed, LinkEvent, Opened, Received, Subscribed
from arb.io.options import FeedOptions
from arb.io.staleness import Staleness
from arb.venues.base import RestRequest, VenueSpec
from arb.venues.books import BooksOutcome, VenueBooks

log = logging.getLogger(__name__)

_LIVE = BookState.LIVE
_FAILED = BookState.FAILED
_SYNCING = BookState.SYNCING
_RESYNCING = BookState.RESYNCING


# -- actions -------------------------------------------------------------------------------
class Send(msgspec.Struct, frozen=True):
    """Send ``frames``, in order, on ``link``'s current session (none: drop them — the next
    session subscribes everything anyway)."""

    link: int
    frames: tuple[str, ...]


class FetchSnapshot(msgspec.Struct, frozen=True):
    """Perform ``request`` (sign it first when there are credentials) and report the answer
    with :meth:`FeedState.snapshot_arrived` / :meth:`FeedState.snapshot_failed`."""

    symbol: str
    ticket: int
    request: RestRequest


class CancelSnapshot(msgspec.Struct, frozen=True):
    """The fetch of ``ticket`` is no longer wanted (its stream is gone)."""

    ticket: int


class Restart(msgspec.Struct, frozen=True):
    """Close ``link``'s session and open a fresh one (its books resync)."""

    link: int
    reason: str


class RollOver(msgspec.Struct, frozen=True):
    """Roll ``link`` over to a new session, if ``session`` still feeds the books."""

    link: int
    session: int
    reason: str


class Welcome(msgspec.Struct, frozen=True):
    """The venue welcomed ``session``: its subscription may go out."""

    link: int
    session: int


Action = Send | FetchSnapshot | CancelSnapshot | Restart | RollOver | Welcome

#: The result of an event that asked for nothing and moved no deadline (one shared value:
#: a host may test for it by identity and skip all follow-up work).
NO_ACTIONS: tuple[Action, ...] = ()


class LinkPlan(msgspec.Struct, frozen=True):
    """One link: its index and the symbols it carries (unified and the venue's own)."""

    index: int
    symbols: tuple[str, ...]
    natives: tuple[str, ...]


class LinkCounters(msgspec.Struct, frozen=True):
    """What one link's frames did: frames in, gaps and checksum failures they revealed, and
    how many of its books they sent to resync."""

    frames_in: int
    gaps: int
    checksum_failures: int
    resyncs: int


def book_depth(spec: VenueSpec, options: FeedOptions, signed: bool) -> int | None:
    """The depth of the feed's books: the option's, else the venue's — cut to the venue's
    public snapshot depth unless snapshot requests are ``signed`` (KuCoin without a key)."""
    depth = options.depth if options.depth is not None else spec.depth
    public = spec.public_snapshot_depth
    if public is not None and not signed:
        depth = public if depth is None else min(depth, public)
    return depth


# -- bookkeeping -----------------------------------------------------------------------------
class _Link:
    """A link's mutable state."""

    __slots__ = ("plan", "up", "frames_in", "gaps", "checksum_failures", "resyncs", "resubscribe")

    def __init__(self, plan: LinkPlan) -> None:
        self.plan = plan
        #: Subscribed and streaming (snapshots and resubscribes make sense).
        self.up = False
        self.frames_in = 0
        self.gaps = 0
        self.checksum_failures = 0
        self.resyncs = 0
        #: Books waiting to be resubscribed → not before (monotonic s); sent in batches.
        self.resubscribe: dict[str, float] = {}


class _Resync:
    """Per-book resync bookkeeping."""

    __slots__ = ("attempts", "last", "sent", "scheduled")

    def __init__(self) -> None:
        self.attempts = 0
        self.last = -math.inf
        #: When the last (re)subscribe for this book went out (ws venues).
        self.sent: float | None = None
        #: A resubscribe is waiting out its backoff delay.
        self.scheduled = False


class _Snapshot:
    """The one snapshot under way for a book: waiting out its backoff delay, then for the
    first buffered delta (until ``ask_by``), then in flight (``ticket``). Losing the link
    drops it (and its answer)."""

    __slots__ = ("symbol", "not_before", "ask_by", "ticket")

    def __init__(self, symbol: str, not_before: float) -> None:
        self.symbol = symbol
        self.not_before = not_before
        self.ask_by: float | None = None
        self.ticket: int | None = None


class FeedState:
    """The books of ``symbols`` (unified) on one venue and the rules that keep them correct.

    ``backoff`` draws the per-book resync delays (seed its rng in tests); ``rest_url`` and
    ``depth`` shape snapshot requests and subscriptions (:func:`book_depth`). Raises
    :class:`~arb.core.errors.ConfigError` for no symbols, an unknown symbol or a depth the
    venue lacks.
    """

    def __init__(
        self, spec: VenueSpec, symbols: Iterable[str], *, options: FeedOptions, backoff: Backoff, rest_url: str,
        depth: int | None,
    ) -> None:
        self.spec = spec
        self.venue = spec.name
        self.options = options
        self.backoff = backoff
        self.rest_url = rest_url
        self.depth = depth
        self.symbols = list(dict.fromkeys(symbols))
        if not self.symbols:
            raise ConfigError(f"feeds.{self.venue}: no symbols")
        self.books = VenueBooks(spec, self.symbols, depth=depth)
        self.staleness = Staleness(
            self.books, round(options.stale_after_s * 1e9), sweep_every_ns=round(options.sweep_interval_s * 1e9)
        )
        #: How the symbols are split over connections.
        self.plan: tuple[LinkPlan, ...] = self._make_plan()
        self._links = [_Link(plan) for plan in self.plan]
        self._link_of = {symbol: link for link in self._links for symbol in link.plan.symbols}
        self._rest_sync = spec.snapshot_source == "rest" and spec.snapshot_request is not None
        self._resyncs: dict[str, _Resync] = {}
        self._snapshots: dict[str, _Snapshot] = {}
        self._in_flight: dict[int, _Snapshot] = {}
        self._tickets = 0
        self._changed: set[str] = set()
        self._next_sweep = -math.inf
        self._next_deadline = -math.inf
        self.snapshots_requested = 0
        self.resubscribes = 0
        self.last_error = ""

    def _make_plan(self, symbols: Sequence[str] | None = None, first: int = 0) -> tuple[LinkPlan, ...]:
        """Links ``first``, ``first + 1`` … carrying ``symbols`` (all of them by default),
        as many per link as the venue's cap allows."""
        symbols = self.symbols if symbols is None else symbols
        caps = [c for c in (self.spec.max_symbols_per_connection, self.options.max_symbols_per_connection) if c]
        cap = min(caps) if caps else len(symbols)
        try:
            natives = [self.books.symbol_map.venue_symbol(s) for s in symbols]
            self.spec.subscribe_frames(natives[:cap], self.depth, 0)  # rejects a depth the venue lacks
        except (ArbError, ValueError) as exc:
            raise ConfigError(f"feeds.{self.venue}: {exc}") from None
        return tuple(
            LinkPlan(first + i // cap, tuple(symbols[i : i + cap]), tuple(natives[i : i + cap]))
            for i in range(0, len(symbols), cap)
        )

    # -- symbols joining and leaving ---------------------------------------------------------
    def add(self, symbols: Iterable[str]) -> tuple[LinkPlan, ...]:
        """``symbols`` join the running feed on links of their own (the open links are not
        touched); returns those links' plans, for the host to open. Symbols already in the
        feed are ignored. Raises :class:`~arb.core.errors.ConfigError` for an unknown symbol."""
        new = [s for s in dict.fromkeys(symbols) if s not in self._link_of]
        if not new:
            return ()
        self.books.add(new)
        plans = self._make_plan(new, len(self._links))
        for plan in plans:
            link = _Link(plan)
            self._links.append(link)
            self._link_of.update((symbol, link) for symbol in plan.symbols)
        self.plan += plans
        self.symbols += new
        return plans

    def remove(self, symbols: Iterable[str], now_ns: int) -> Sequence[Action]:
        """``symbols`` leave the feed: their books go (frames still arriving for them are
        skipped), their snapshots and resyncs are dropped, their links unsubscribe them where
        the venue can (:class:`Send`) and no longer ask for them on a reconnect (the plan
        changes: a link may be left with no symbol, for the host to close). Symbols not in
        the feed are ignored."""
        gone = [s for s in dict.fromkeys(symbols) if s in self._link_of]
        if not gone:
            return NO_ACTIONS
        actions: list[Action] = []
        by_link: dict[int, list[str]] = {}
        for symbol in gone:
            link = self._link_of.pop(symbol)
            by_link.setdefault(link.plan.index, []).append(symbol)
            link.resubscribe.pop(symbol, None)
            self._resyncs.pop(symbol, None)
            snapshot = self._snapshots.pop(symbol, None)
            if snapshot is not None and snapshot.ticket is not None:
                del self._in_flight[snapshot.ticket]
                actions.append(CancelSnapshot(snapshot.ticket))
            self.staleness.forget(symbol)
            self._changed.discard(symbol)
        unsubscribe = self.spec.unsubscribe_frames
        for index, left in by_link.items():
            link = self._links[index]
            natives = [self.books.symbol_map.venue_symbol(s) for s in left]
            if link.up and unsubscribe is not None:
                actions.append(Send(index, tuple(unsubscribe(natives, self.depth, now_ns // 1_000_000))))
            leaving = set(left)
            keep = [(s, n) for s, n in zip(link.plan.symbols, link.plan.natives) if s not in leaving]
            link.plan = LinkPlan(index, tuple(s for s, _ in keep), tuple(n for _, n in keep))
        self.plan = tuple(link.plan for link in self._links)
        self.books.remove(gone)
        self.symbols[:] = [s for s in self.symbols if s in self._link_of]
        return actions

    # -- what the owner reads --------------------------------------------------------------
    def drain_changed(self) -> set[str]:
        """The symbols whose books changed since the last call (and forget them)."""
        changed, self._changed = self._changed, set()
        return changed

    def has_changes(self) -> bool:
        return bool(self._changed)

    def live_symbols(self) -> list[str]:
        """Symbols whose books may be scanned now."""
        return [symbol for symbol, book in self.books.books().items() if book.state is _LIVE]

    def link_counters(self, index: int) -> LinkCounters:
        link = self._links[index]
        return LinkCounters(link.frames_in, link.gaps, link.checksum_failures, link.resyncs)

    def next_deadline(self) -> float:
        """Monotonic seconds by which :meth:`tick` must run again."""
        return self._next_deadline

    # -- events ----------------------------------------------------------------------------
    def on_event(self, event: LinkEvent) -> Sequence[Action]:
        """One link event (:class:`~arb.io.events.Sent` asks for nothing: it is the
        recorder's)."""
        if type(event) is Received:
            return self.received(event)
        if type(event) is Opened:
            self._take(self.books.on_connect(event.session))
            return NO_ACTIONS
        if type(event) is Subscribed:
            return self._subscribed(event)
        if type(event) is Closed:
            return self._closed(event)
        return NO_ACTIONS

    def received(self, event: Received) -> Sequence[Action]:
        """One inbound frame (:meth:`on_event` for the hot path: no dispatch)."""
        link = self._links[event.link]
        link.frames_in += 1
        out = self.books.on_frame(event.session, event.frame, event.ts_ns)
        changed = out.changed
        if changed:
            if len(changed) == 1:
                self._changed.add(changed[0])  # 5x cheaper than set.update of a 1-tuple
            else:
                self._changed.update(changed)
            if self.staleness.marked:
                self.staleness.updated(changed, event.ts_ns)
            if self._snapshots:
                self._drop_answered(changed)
        if out.resync or out.buffered or out.controls or out.gaps or out.checksum_failures:
            return self._after_frame(link, event, out)
        return NO_ACTIONS

    def _after_frame(self, link: _Link, event: Received, out: BooksOutcome) -> list[Action]:
        actions: list[Action] = []
        link.gaps += out.gaps
        link.checksum_failures += out.checksum_failures
        if out.controls:
            if "reconnect" in out.controls:
                actions.append(RollOver(link.plan.index, event.session, "the venue announced a restart"))
            welcome = self.spec.subscribe_after
            if welcome is not None and welcome in out.controls:
                actions.append(Welcome(link.plan.index, event.session))
        for symbol in out.buffered:
            snapshot = self._snapshots.get(symbol)
            if snapshot is not None:
                self._advance(snapshot, event.mono_s, actions)  # the first delta is in: ask now
        for symbol in out.resync:
            owner = self._link_of.get(symbol)
            if owner is None:
                continue
            owner.resyncs += 1
            self.staleness.forget(symbol)
            self._resync(symbol, owner, event.mono_s, actions)
        return actions

    def _subscribed(self, event: Subscribed) -> Sequence[Action]:
        if event.rollover:
            return NO_ACTIONS  # the books go on; the new session merely joins the stream
        link = self._links[event.link]
        link.up = True
        symbols = link.plan.symbols
        self._take(self.books.require_resync(symbols, "reconnected"))
        actions: list[Action] = []
        for symbol in symbols:
            self.staleness.forget(symbol)
            if self._rest_sync:
                self._start_snapshot(symbol, link, event.mono_s, actions)
            else:
                self._resync_state(symbol).sent = event.mono_s
        return actions

    def _closed(self, event: Closed) -> Sequence[Action]:
        self.books.on_disconnect(event.session)
        if event.error is not None:
            self.last_error = event.error
        if event.rollover:
            return NO_ACTIONS
        link = self._links[event.link]
        link.up = False
        for symbol in link.resubscribe:
            self._resync_state(symbol).scheduled = False
        link.resubscribe.clear()  # the next session subscribes everything anyway
        actions: list[Action] = []
        for symbol in link.plan.symbols:
            snapshot = self._snapshots.pop(symbol, None)
            if snapshot is not None and snapshot.ticket is not None:
                del self._in_flight[snapshot.ticket]
                actions.append(CancelSnapshot(snapshot.ticket))
            self.staleness.forget(symbol)
        reason = f"connection lost: {event.error}" if event.error is not None else "connection closed"
        self._take(self.books.stream_lost(link.plan.symbols, reason))
        return actions

    # -- REST snapshots --------------------------------------------------------------------
    def snapshot_wanted(self, ticket: int) -> bool:
        """Whether the answer to ``ticket`` would be fed to the books (record it iff so)."""
        return ticket in self._in_flight

    def snapshot_arrived(self, ticket: int, url: str, body: str, ts_ns: int, mono_s: float) -> Sequence[Action]:
        """The answer to :class:`FetchSnapshot` ``ticket`` (``url``: the request's, as sent).
        Fed to the books if still wanted; a book it leaves unsynced is asked for again by
        the sweep."""
        snapshot = self._in_flight.pop(ticket, None)
        if snapshot is None:
            return NO_ACTIONS  # the stream it was meant for is gone; the new one asks for its own
        del self._snapshots[snapshot.symbol]
        self._changed.add(snapshot.symbol)
        self._take(self.books.on_rest(url, body, ts_ns))
        return NO_ACTIONS

    def snapshot_failed(self, ticket: int, error: str, retryable: bool, mono_s: float) -> Sequence[Action]:
        """The fetch of ``ticket`` failed for good (its retries are spent, or retrying cannot
        help: then the book is FAILED). A retryable failure leaves the book RESYNCING: the
        sweep asks again, after its backoff delay."""
        self.last_error = error
        snapshot = self._in_flight.pop(ticket, None)
        if snapshot is None:
            return NO_ACTIONS
        del self._snapshots[snapshot.symbol]
        log.warning("%s %s: snapshot failed: %s", self.venue, snapshot.symbol, error)
        if not retryable:
            self._take(self.books.give_up(snapshot.symbol, f"snapshot refused: {error}"))
        return NO_ACTIONS

    # -- time --------------------------------------------------------------------------------
    def tick(self, now_ns: int, mono_s: float) -> Sequence[Action]:
        """Run what is due at ``mono_s``: the sweep (every ``sweep_interval_s``), snapshots
        whose delay or wait ended, resubscribe batches. ``now_ns``: wall time (ages books,
        stamps frames)."""
        actions: list[Action] = []
        if mono_s >= self._next_sweep:
            self._sweep(now_ns, mono_s, actions)
        for snapshot in [s for s in self._snapshots.values() if s.ticket is None]:
            self._advance(snapshot, mono_s, actions)
        for link in self._links:
            if link.resubscribe:
                self._send_resubscribes(link, now_ns, mono_s, actions)
        self._next_deadline = self._earliest()
        return actions

    def sweep(self, now_ns: int, mono_s: float) -> Sequence[Action]:
        """Mark books stale / fresh by age and restart resyncs that stalled, now (a
        :meth:`tick` does it every ``sweep_interval_s``)."""
        actions: list[Action] = []
        self._sweep(now_ns, mono_s, actions)
        self._next_deadline = self._earliest()
        return actions

    def _sweep(self, now_ns: int, mono_s: float, actions: list[Action]) -> None:
        self._next_sweep = mono_s + self.options.sweep_interval_s
        self._changed.update(self.staleness.sweep(now_ns))
        for symbol, book in self.books.books().items():
            if book.state is _SYNCING or book.state is _RESYNCING:
                self._retry_if_stuck(symbol, mono_s, actions)
        self.books.flush_log(now_ns)

    def _earliest(self) -> float:
        at = self._next_sweep
        for snapshot in self._snapshots.values():
            if snapshot.ticket is None:
                at = min(at, snapshot.not_before if snapshot.ask_by is None else snapshot.ask_by)
        for link in self._links:
            if link.resubscribe:
                at = min(at, min(link.resubscribe.values()))
        return at

    def _wake_by(self, at: float) -> None:
        if at < self._next_deadline:
            self._next_deadline = at

    # -- resync ------------------------------------------------------------------------------
    def _resync(self, symbol: str, link: _Link, mono_s: float, actions: list[Action]) -> None:
        """Start bringing ``symbol``'s book back, unless that is already under way."""
        if not link.up:
            return  # the next session's subscription resyncs it
        if self._rest_sync:
            self._start_snapshot(symbol, link, mono_s, actions)
        elif not self._resync_state(symbol).scheduled:
            # A book that just failed had its last snapshot: any earlier request was answered.
            self._start_resubscribe(symbol, link, mono_s, actions)

    def _retry_if_stuck(self, symbol: str, mono_s: float, actions: list[Action]) -> None:
        link = self._link_of.get(symbol)
        if link is None or not link.up:
            return
        if self._rest_sync:
            if symbol not in self._snapshots:
                self._start_snapshot(symbol, link, mono_s, actions)
            return
        r = self._resync_state(symbol)
        if r.scheduled or (r.sent is not None and mono_s - r.sent < self.options.resync_timeout_s):
            return  # its snapshot may still come
        if r.sent is not None and r.attempts >= self.options.resubscribe_attempts:
            log.warning("%s %s: %d resubscribes brought no snapshot; restarting connection %d",
                        self.venue, symbol, r.attempts, link.plan.index)
            r.attempts = 0
            r.sent = mono_s  # the restart resubscribes; give it time
            actions.append(Restart(link.plan.index, f"{symbol} did not resync"))
            return
        self._start_resubscribe(symbol, link, mono_s, actions)

    def _resync_state(self, symbol: str) -> _Resync:
        r = self._resyncs.get(symbol)
        if r is None:
            r = self._resyncs[symbol] = _Resync()
        return r

    def _resync_delay(self, r: _Resync, mono_s: float) -> float:
        """0 for a book's first resync in a while, then the backoff policy."""
        if mono_s - r.last >= self.options.resync_reset_s:
            r.attempts = 0
        delay = 0.0 if r.attempts == 0 else self.backoff.delay(r.attempts - 1)
        r.attempts += 1
        r.last = mono_s
        return delay

    def _start_resubscribe(self, symbol: str, link: _Link, mono_s: float, actions: list[Action]) -> None:
        """Queue ``symbol`` for its link's next resubscribe batch (after its backoff)."""
        r = self._resync_state(symbol)
        if self.spec.unsubscribe_frames is None:
            r.sent = mono_s
            actions.append(Restart(link.plan.index, f"resync {symbol}"))
            return
        r.scheduled = True
        due = mono_s + self._resync_delay(r, mono_s)
        link.resubscribe[symbol] = due
        self._wake_by(due)  # due now: sent at the next tick, with whatever else breaks meanwhile

    def _send_resubscribes(self, link: _Link, now_ns: int, mono_s: float, actions: list[Action]) -> None:
        """The due resubscribes of one link as one batch: venues limit client messages per
        second, and the books that broke together (a Coinbase connection gap breaks them
        all) go out as one unsubscribe and one subscribe."""
        due = [symbol for symbol, at in link.resubscribe.items() if at <= mono_s]
        if not due:
            return
        for symbol in due:
            del link.resubscribe[symbol]
            r = self._resync_state(symbol)
            r.scheduled, r.sent = False, mono_s
        unsubscribe = self.spec.unsubscribe_frames
        assert unsubscribe is not None
        natives = [self.books.symbol_map.venue_symbol(symbol) for symbol in due]
        now_ms = now_ns // 1_000_000
        frames = unsubscribe(natives, self.depth, now_ms) + self.spec.subscribe_frames(natives, self.depth, now_ms)
        self.resubscribes += len(due)
        log.info("%s: resubscribing %s", self.venue, ", ".join(due))
        actions.append(Send(link.plan.index, tuple(frames)))

    def _start_snapshot(self, symbol: str, link: _Link, mono_s: float, actions: list[Action]) -> None:
        book = self.books.book(symbol)
        if symbol in self._snapshots or book is None or book.state is _FAILED:
            return
        delay = self._resync_delay(self._resync_state(symbol), mono_s)
        snapshot = self._snapshots[symbol] = _Snapshot(symbol, mono_s + delay)
        self._advance(snapshot, mono_s, actions)

    def _advance(self, snapshot: _Snapshot, mono_s: float, actions: list[Action]) -> None:
        """Move a snapshot along: after its delay, wait until the book has buffered a delta
        of the new stream (a snapshot taken after it chains onto it), at most
        ``snapshot_wait_s``; then ask — unless the book went live meanwhile."""
        if snapshot.ticket is not None:
            return
        if mono_s < snapshot.not_before:
            self._wake_by(snapshot.not_before)
            return
        if snapshot.ask_by is None:
            snapshot.ask_by = mono_s + self.options.snapshot_wait_s
        symbol = snapshot.symbol
        book = self.books.book(symbol)
        if book is None or book.state is _LIVE:
            del self._snapshots[symbol]  # an in-stream snapshot (Gate ``full``) got there first
            return
        if not self.books.buffered(symbol) and mono_s < snapshot.ask_by:
            self._wake_by(snapshot.ask_by)
            return
        assert self.spec.snapshot_request is not None
        request = self.spec.snapshot_request(self.rest_url, self.books.symbol_map.venue_symbol(symbol), self.depth)
        self._tickets += 1
        snapshot.ticket = self._tickets
        self._in_flight[snapshot.ticket] = snapshot
        self.snapshots_requested += 1
        actions.append(FetchSnapshot(symbol, snapshot.ticket, request))

    def _drop_answered(self, changed: Iterable[str]) -> None:
        """Books that went live while their snapshot waited for a first delta need it no
        more (one still in its backoff delay looks again when the delay ends)."""
        for symbol in changed:
            snapshot = self._snapshots.get(symbol)
            if snapshot is not None and snapshot.ticket is None and snapshot.ask_by is not None:
                book = self.books.book(symbol)
                if book is not None and book.state is _LIVE:
                    del self._snapshots[symbol]

    def _take(self, outcome: BooksOutcome) -> None:
        """Collect what a command or REST body changed."""
        if outcome.changed:
            self._changed.update(outcome.changed)
