"""A venue's live books over websockets and REST: the asyncio shell around :class:`FeedState`.

:class:`VenueFeed` owns, for one venue and a list of symbols, one
:class:`~arb.io.connection.Connection` per link of the state's plan (the venue's
per-connection cap splits the symbols), a :class:`~arb.io.rest.RestClient` within the
venue's REST budget, and the sans-I/O :class:`~arb.io.feed_state.FeedState` that holds the
books and every policy keeping them correct (resyncs, reconnects, staleness — see that
module). The shell only moves messages: connection events go to the state, the state's
actions are performed (frames sent, snapshots fetched and signed, connections restarted or
rolled over), and a timer task calls :meth:`FeedState.tick` by its deadline.

- **Owner interface.** :meth:`drain_changed` / :meth:`wait_changed` hand over the set of
  symbols whose books changed (applied, cleared, stale or fresh again) since the last call —
  conflated, so a slow owner never queues — and ``notify`` (if given) is called when the set
  becomes non-empty. The owner builds views with :func:`arb.book.view.view_of` (or
  :meth:`view`); only ``live`` views may be scanned.
- **Symbols join and leave.** :meth:`add_symbols` subscribes new symbols on connections of
  their own; :meth:`remove_symbols` unsubscribes symbols on theirs (a connection left empty
  closes). Nothing else is resubscribed (a Ray shard set that grows or shrinks moves only
  the moved symbols).
- **Recorder tee.** ``recorder(ts, venue, kind, data, conn=…, url=…)`` — the signature of
  :meth:`arb.record.writer.RecordingWriter.write`, which redacts — sees every ``connect``,
  inbound ``ws`` frame, ``ws_out`` frame and applied REST snapshot body (``rest``), stamped
  with the same wall clock, in call order with non-decreasing stamps. Token calls (KuCoin's
  bullet) are not recorded: they are not market data and carry a secret. Books and
  recordings agree: the tee sees exactly what was fed to the books (every inbound frame, and
  a snapshot body only while the state still wants it), so replaying a recording
  (``arb verify``) rebuilds the same books.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import math
import random
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Protocol

import aiohttp

from arb.book.book import OrderBook
from arb.book.view import BookView, view_of
from arb.io.backoff import Backoff
from arb.io.breaker import BreakerState, CircuitBreaker
from arb.io.clock import SYSTEM_CLOCK, Clock
from arb.io.connection import Connection, ConnState
from arb.io.errors import TransportError
from arb.io.events import LinkEvent, Opened, Received, Sent
from arb.io.feed_state import (
    NO_ACTIONS, Action, CancelSnapshot, FeedState, FetchSnapshot, LinkPlan, Restart, RollOver, Send, Welcome, book_depth,
)
from arb.io.health import ConnectionHealth, VenueHealth
from arb.io.options import FeedOptions
from arb.io.ratelimit import ConnectGate, RateBudget
from arb.io.rest import RestClient
from arb.venues.base import Credentials, VenueSpec
from arb.venues.books import VenueBooks

log = logging.getLogger(__name__)

__all__ = ["FeedOptions", "Recorder", "VenueFeed"]


class Recorder(Protocol):
    """Receives every raw event; :meth:`arb.record.writer.RecordingWriter.write` is one."""

    def __call__(
        self, ts: int, venue: str, kind: str, data: str | bytes | None = None, *, conn: int | None = None, url: str | None = None
    ) -> None: ...


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
        self.ws_url = opts.ws_url or spec.ws_url
        self.rest_url = opts.rest_url or spec.rest_url
        self._signs = credentials is not None and spec.sign_request is not None
        self.depth = book_depth(spec, opts, signed=self._signs)
        self.backoff = Backoff(opts.backoff_base_s, opts.backoff_cap_s, rng=self.rng)
        self.state = FeedState(spec, symbols, options=opts, backoff=self.backoff, rest_url=self.rest_url, depth=self.depth)
        self.symbols = self.state.symbols
        self.breaker = CircuitBreaker(clock.monotonic, opts.breaker_threshold, opts.breaker_cooldown_s)
        budget = spec.rest_budget
        self.budget = RateBudget(budget.weight, budget.window_s, clock) if budget is not None else None
        self.rest = RestClient(
            self.venue, clock, self.backoff, self.budget, timeout_s=opts.rest_timeout_s, retries=opts.rest_retries, session=http
        )
        self._session_ids = itertools.count(1).__next__
        # The venue's connection rate (per IP): attempts (starts and reconnects alike) go one
        # after another, at two thirds of it.
        rate = spec.max_connections_per_s
        self.gate = ConnectGate(1.5 / rate, clock) if rate else None
        self._links = [self._connection(plan) for plan in self.state.plan]
        self._send_locks = [asyncio.Lock() for _ in self._links]
        self._recorder = recorder
        self._notify = notify
        self._changed_event = asyncio.Event()
        self._signalled = False
        #: Wakes the timer task when an event moved the state's deadline earlier.
        self._wake = asyncio.Event()
        self._timer_at = math.inf
        self._fetches: dict[int, asyncio.Task[None]] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._last_record_ts = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self.internal_errors = 0

    def _connection(self, plan: LinkPlan) -> Connection:
        return Connection(
            self.spec, plan.natives, self._on_link_event, index=plan.index, ws_url=self.ws_url, rest_url=self.rest_url,
            depth=self.depth, rest=self.rest, breaker=self.breaker, backoff=self.backoff, clock=self.clock,
            rng=self.rng, session_ids=self._session_ids, options=self.options.connection, gate=self.gate,
        )

    @property
    def books(self) -> VenueBooks:
        """The venue's books (read their counters and books; feed them nothing)."""
        return self.state.books

    # -- owner API -------------------------------------------------------------------------
    async def run(self) -> None:
        """Connect everything and keep it so until :meth:`close` (or cancellation)."""
        self._tasks = [asyncio.ensure_future(link.run()) for link in self._links]
        self._tasks.append(asyncio.ensure_future(self._timer()))
        try:
            await asyncio.wait(self._tasks)
        finally:
            await self._shutdown()

    async def close(self) -> None:
        """Stop: close every connection; :meth:`run` returns."""
        self._stopping = True
        for link in self._links:
            await link.close()
        for task in self._tasks:
            task.cancel()

    def add_symbols(self, symbols: Iterable[str]) -> list[str]:
        """``symbols`` join the running feed on connections of their own (the open ones are
        not touched: nothing else resubscribes); returns the symbols added."""
        before = len(self.state.symbols)
        plans = self.state.add(symbols)
        added = self.state.symbols[before:]
        running = bool(self._tasks) and not self._stopping
        for plan in plans:
            link = self._connection(plan)
            self._links.append(link)
            self._send_locks.append(asyncio.Lock())
            if running:
                self._tasks.append(asyncio.ensure_future(link.run()))
        return added

    def remove_symbols(self, symbols: Iterable[str]) -> list[str]:
        """``symbols`` leave the running feed: unsubscribed where the venue can (elsewhere
        their frames are skipped until the connection next reconnects without them); a
        connection left with none closes. Returns the symbols removed."""
        before = set(self.state.symbols)
        actions = self.state.remove(symbols, self.clock.now_ns())
        for link, plan in zip(self._links, self.state.plan):
            if len(plan.natives) != len(link.symbols):
                link.set_symbols(plan.natives)
                if not plan.natives:
                    self._spawn(link.close())
        self._perform(actions)
        return sorted(before - set(self.state.symbols))

    def drain_changed(self) -> set[str]:
        """The symbols whose books changed since the last call (and forget them)."""
        self._signalled = False
        self._changed_event.clear()
        return self.state.drain_changed()

    async def wait_changed(self) -> set[str]:
        """Wait until some book changed, then :meth:`drain_changed`."""
        if not self.state.has_changes():
            await self._changed_event.wait()
        return self.drain_changed()

    def book(self, symbol: str) -> OrderBook | None:
        return self.state.books.book(symbol)

    def view(self, symbol: str, k: int = 20) -> BookView | None:
        """A :class:`BookView` of ``symbol``'s book (``live`` False unless it may be scanned)."""
        book = self.state.books.book(symbol)
        return view_of(book, k) if book is not None else None

    def connection_sizes(self) -> list[int]:
        """How many symbols each connection carries (the venue's cap splits them)."""
        return [len(plan.symbols) for plan in self.state.plan if plan.symbols]

    def live_symbols(self) -> list[str]:
        """Symbols whose books may be scanned now."""
        return self.state.live_symbols()

    def sweep(self) -> None:
        """Mark books stale / fresh by age and restart resyncs that stalled, now (the timer
        does it every ``sweep_interval_s``; tests with shifted clocks call it directly)."""
        self._perform(self.state.sweep(self.clock.now_ns(), self.clock.monotonic()))

    def health(self) -> VenueHealth:
        books = self.state.books
        stats = books.stats
        conns = tuple(self._connection_health(link) for link in self._links if link.symbols)
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
            books=dict(Counter(book.state.value for book in books.books().values())),
            messages=books.messages,
            decode_errors=sum(books.errors.values()),
            gaps=stats.gaps,
            checksum_failures=stats.checksum_failed,
            resyncs=stats.resyncs,
            snapshots_requested=self.state.snapshots_requested,
            resubscribes=self.state.resubscribes,
            rest_requests=self.rest.requests,
            rest_failures=self.rest.failures,
            rate_limited=self.rest.rate_limited,
            breaker=self.breaker.state.value,
            breaker_failures=self.breaker.failures,
            breaker_opened=self.breaker.opened,
            last_error=self.state.last_error,
        )

    def _connection_health(self, link: Connection) -> ConnectionHealth:
        counters = self.state.link_counters(link.index)
        age = link.last_message_age_s()
        return ConnectionHealth(
            index=link.index,
            session=link.current.id if link.current is not None else None,
            state=link.state.value,
            symbols=len(link.symbols),
            last_message_age_s=round(age, 3) if age is not None else None,
            reconnects=link.reconnects,
            rollovers=link.rollovers,
            frames_in=counters.frames_in,
            frames_out=link.frames_out,
            gaps=counters.gaps,
            checksum_failures=counters.checksum_failures,
            resyncs=counters.resyncs,
            last_error=link.last_error,
        )

    # -- events in -------------------------------------------------------------------------
    def _on_link_event(self, event: LinkEvent) -> None:
        """What a connection reports: tee it, hand it to the state, do what it asks."""
        if type(event) is Received:  # the hot path
            if self._recorder is not None:
                self._record(event.ts_ns, "ws", event.frame, conn=event.session)
            actions = self.state.received(event)
            if actions is not NO_ACTIONS:
                self._perform(actions)
            elif not self._signalled and self.state.has_changes():
                self._signal()
            return
        if type(event) is Sent:
            if self._recorder is not None:
                self._record(event.ts_ns, "ws_out", event.frame, conn=event.session)
            return
        if type(event) is Opened and self._recorder is not None:
            self._record(event.ts_ns, "connect", None, conn=event.session, url=event.url)
        self._perform(self.state.on_event(event))

    def _perform(self, actions: Sequence[Action]) -> None:
        """Do what the state asked, then tell the owner and the timer what changed."""
        for action in actions:
            if type(action) is FetchSnapshot:
                task = asyncio.ensure_future(self._fetch(action))
                self._fetches[action.ticket] = task
                task.add_done_callback(functools.partial(self._fetch_done, action.ticket))
            elif type(action) is Send:
                self._spawn(self._send(action))
            elif type(action) is CancelSnapshot:
                fetch = self._fetches.pop(action.ticket, None)
                if fetch is not None:
                    fetch.cancel()
            elif type(action) is Restart:
                self._links[action.link].restart(action.reason)
            elif type(action) is RollOver:
                self._links[action.link].request_rollover(action.reason, session=action.session)
            elif type(action) is Welcome:
                self._links[action.link].welcomed(action.session)
        if not self._signalled and self.state.has_changes():
            self._signal()
        if self.state.next_deadline() < self._timer_at:
            self._wake.set()

    def _signal(self) -> None:
        self._signalled = True
        self._changed_event.set()
        if self._notify is not None:
            self._notify()

    # -- actions out -----------------------------------------------------------------------
    async def _send(self, action: Send) -> None:
        async with self._send_locks[action.link]:  # batches of one link go out in order
            await self._links[action.link].send(action.frames)  # False: the session is gone; its successor subscribes all

    async def _fetch(self, action: FetchSnapshot) -> None:
        """One REST snapshot; its answer (or failure) goes back to the state."""
        request = action.request
        if self._signs:
            assert self.credentials is not None and self.spec.sign_request is not None
            request = self.spec.sign_request(request, self.credentials, self.clock.now_ns() // 1_000_000)
        try:
            response = await self.rest.fetch(request)
        except TransportError as exc:
            self._perform(self.state.snapshot_failed(action.ticket, str(exc), exc.retryable, self.clock.monotonic()))
            return
        if not self.state.snapshot_wanted(action.ticket):
            return
        if self._recorder is not None:
            self._record(response.ts_recv_ns, "rest", response.body, url=request.url)
        self._perform(
            self.state.snapshot_arrived(action.ticket, request.url, response.body, response.ts_recv_ns, self.clock.monotonic())
        )

    def _fetch_done(self, ticket: int, task: asyncio.Task[None]) -> None:
        if self._fetches.get(ticket) is task:
            del self._fetches[ticket]
        if not task.cancelled() and task.exception() is not None:
            self.internal_errors += 1
            log.error("%s: snapshot task failed", self.venue, exc_info=task.exception())
            if not self._stopping:  # the state must not wait for it forever
                self._perform(self.state.snapshot_failed(ticket, "internal error", True, self.clock.monotonic()))

    async def _timer(self) -> None:
        """Call :meth:`FeedState.tick` by its deadline (sooner when an event moves it)."""
        clock = self.clock
        while not self._stopping:
            try:
                self._perform(self.state.tick(clock.now_ns(), clock.monotonic()))
                delay = self.state.next_deadline() - clock.monotonic()
            except Exception:  # the timer is a supervisor loop: count, log, go on
                self.internal_errors += 1
                log.exception("%s: feed tick failed", self.venue)
                delay = self.options.sweep_interval_s
            self._timer_at = clock.monotonic() + max(0.0, delay)
            self._wake.clear()
            if delay > 0:
                await self._sleep_or_wake(delay)
            else:
                await asyncio.sleep(0)  # due now: let the frames already read land first

    async def _sleep_or_wake(self, delay: float) -> None:
        sleeper = asyncio.ensure_future(self.clock.sleep(delay))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait((sleeper, waker), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()

    # -- internals -------------------------------------------------------------------------
    def _record(self, ts: int, kind: str, data: str | bytes | None, *, conn: int | None = None, url: str | None = None) -> None:
        """Tee one event. Stamps never go back: a REST answer read before some frames but
        handed over after them (its task resumed later) is stamped with the last stamp."""
        if ts < self._last_record_ts:
            ts = self._last_record_ts
        self._last_record_ts = ts
        assert self._recorder is not None
        self._recorder(ts, self.venue, kind, data, conn=conn, url=url)

    def _spawn(self, coro: Coroutine[object, object, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.internal_errors += 1
            log.error("%s: background task failed", self.venue, exc_info=task.exception())

    async def _shutdown(self) -> None:
        self._stopping = True
        pending = [*self._tasks, *self._fetches.values(), *self._background]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await self.rest.close()
