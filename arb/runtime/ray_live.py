"""The live engine's actors on Ray: feed actors, sharded scanner replicas, one executor actor.

::

    venue ws ─► FeedActor(venue, shard) ──batched, conflated views──► ScannerActor(shard) ──opportunities──► ExecutorActor
                 VenueFeed: exact books       node-local socket           hosts a Decider                  hosts a Desk: Trader → port, SQLite journal

- **Shards.** A symbol belongs to the shard rendezvous hashing picks
  (:func:`~arb.runtime.sharding.shard_of`: stable across runs, processes and machines; a shard
  joining or leaving moves only its own symbols). A shard's feeds and scanner share one
  placement-group bundle, so they are on one node (:mod:`arb.runtime.ray_topology` places them).
- **FeedActor** owns one venue's connections and books for its shard's symbols (a
  :class:`~arb.io.feed.VenueFeed`) and publishes each changed book as a
  :class:`~arb.book.view.BookView`: while a batch goes out, later changes to the same book
  replace earlier ones. Batches travel over the node-local link to the scanner
  (:mod:`arb.runtime.shard_link`: a Unix socket, a write per batch — a Ray call costs
  ~0.1–0.5 ms of CPU on each side, more than the books it would carry), or, when the scanner
  is on another node, by Ray call. A new link is sent every book (the scanner may be new).
  :meth:`FeedActor.set_symbols` takes the symbols a resized shard set gives it.
- **ScannerActor** hosts the shard's :class:`~arb.decision.decider.Decider` (the same
  object a backtest runs): views in, opportunities out, sized with the executor's last
  balance snapshot. A view that is the first live one of its book goes to the executor
  before the scan (it may fund the book: :meth:`~arb.decision.trader.Trader.on_views`); the
  others follow twice a second, only those that changed (all of them to a restarted executor).
- **ExecutorActor** (named ``arb-executor``, pinned to the head) hosts the one
  :class:`~arb.decision.desk.Desk` — the :class:`~arb.decision.trader.Trader` (risk against
  fresh state, portfolio, journal) trading through the execution port (paper: filling at
  each venue's latency against the latest views it was sent) — with a durable
  :class:`~arb.exec.journal_sqlite.SqliteJournal`. A restarted executor restores balances,
  open legs and P&L from the journal; opportunity and order ids make every step
  idempotent (no trade lost, none placed twice).

The actors only move messages: no scanning, pricing, funding or risk logic lives here.
Operator controls (the dashboard, served from the driver) go to the executor, which
journals them (:meth:`ExecutorActor.control`, :meth:`ExecutorActor.apply_settings`); the
settings then go to every scanner, and a restarted scanner takes them from the executor.

All actors restart without limit (``max_restarts=-1``); the supervisor
(:class:`~arb.runtime.ray_topology.RayTopology`) calls ``ensure_started`` on every actor once a
second, which restarts the loops of a restarted actor. Metrics are recorded once a second, not
per batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import io
import logging
import os
import pstats
import resource
import tempfile
import time
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from typing import cast

import ray

from arb.book.view import BookView
from arb.config import ArbConf
from arb.core.instruments import Instruments
from arb.core.numbers import to_float
from arb.decision.controls import Settings
from arb.decision.views import ViewStore
from arb.exec.journal_sqlite import SqliteJournal
from arb.exec.live import LiveVenues, VenueAccount
from arb.exec.orders import Order, TradeResult
from arb.io.feed import VenueFeed
from arb.io.trading import TradingShell
from arb.runtime.components import build_decider, build_desk, start
from arb.runtime.settings import credentials, feed_options, starting_balances
from arb.risk.limits import RiskDecision
from arb.runtime.dashboard import state as dashboard_state
from arb.runtime.ray_handles import (
    Balances, Endpoint, ExecutorHandle, ExecutorState, FeedHealth, ProcessStats, RefreshReply, ScannerHandle,
    ScannerStats, ScannerSummary, SubmitReply, SymbolChange,
)
from arb.runtime.ray_metrics import ArbMetrics, ExecutionRecorder, FeedRecorder
from arb.runtime.shard_link import ViewSender, ViewServer, decode_views, encode_views
from arb.runtime.sharding import shard_of
from arb.scan.opportunity import Opportunity
from arb.venues.registry import get as venue_spec

log = logging.getLogger(__name__)

EXECUTOR_NAME = "arb-executor"
#: Recent latency samples an actor keeps for reports (ms).
_SAMPLES = 20_000
#: Errors that mean "the actor is restarting or gone": retry later, never crash a loop.
ACTOR_DOWN = (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError)
#: Every actor restarts without limit (its tasks are retried too).
RESTART = {"max_restarts": -1, "max_task_retries": -1}



def process_stats() -> ProcessStats:
    """This process: its pid, CPU seconds spent (every thread) and peak resident memory (bytes)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"pid": os.getpid(), "cpu_s": usage.ru_utime + usage.ru_stime, "max_rss_bytes": usage.ru_maxrss * 1024}


async def profile_loop(seconds: float, top: int) -> str:
    """cProfile of the calling actor's event loop for ``seconds``: the ``top`` functions by
    their own time (Ray's threads outside the loop are not in it)."""
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        await asyncio.sleep(seconds)
    finally:
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


class _Balances:
    """A balance snapshot from the executor, read by the scanner for sizing."""

    __slots__ = ("by_key",)

    def __init__(self, by_key: Mapping[tuple[str, str], int]) -> None:
        self.by_key = dict(by_key)

    def available(self, venue: str, asset: str) -> int:
        return self.by_key.get((venue, asset), 0)


@ray.remote
class FeedActor:
    """The books of one shard's symbols on a group of venues (one :class:`~arb.io.feed.VenueFeed`
    each, in one event loop); publishes conflated view batches to the shard's scanner — over
    the node-local link (:mod:`arb.runtime.shard_link`), or by Ray call when the scanner is not
    on this node. One process for several venues wakes once for whatever arrived on any of
    them: at a few hundred messages a second per venue a process per venue spends more on
    waking up than on its books."""

    def __init__(
        self, conf: ArbConf, venues: Sequence[str], shard: int, symbols: list[str],
        urls: Mapping[str, Mapping[str, str]] | None, scanner: str, publish_interval_s: float = 0.002,
    ) -> None:
        self.conf, self.venues, self.shard, self.symbols = conf, list(venues), shard, list(symbols)
        #: Per venue, the symbols it trades (a listing: :meth:`set_listing`); None: all of them.
        self.allowed: dict[str, set[str]] | None = None
        # Peers by name, not handle: a handle among a restartable actor's constructor
        # arguments counts as an object-store argument (Ray logs an error for it).
        self.urls = urls or {}
        self.scanner = cast("ScannerHandle", ray.get_actor(scanner))
        #: Changes that arrive within this long after a batch went out travel together.
        self.publish_interval_s = publish_interval_s
        self.depth = conf.strategy.depth_levels
        self.metrics = ArbMetrics(default_tags={"shard": str(shard)})
        self.recorders = {venue: FeedRecorder(self.metrics, venue, str(shard)) for venue in self.venues}
        self.feeds: dict[str, VenueFeed] = {}
        self.link = ViewSender()
        #: The scanner incarnation last fed every book by Ray call (fallback path).
        self._fed: int | None = None
        self._next_connect = 0.0
        self.tasks: list[asyncio.Task[None]] = []
        self._wake: asyncio.Event | None = None
        #: Views published and batches sent, per venue (a batch counts for each venue in it).
        self.published: Counter[str] = Counter()
        self.batches: Counter[str] = Counter()
        self.publish_errors = 0
        self.wakes = 0
        self.changed_total = 0
        self.last_error = ""
        self._counted: tuple[Counter[str], Counter[str]] = (Counter(), Counter())
        #: How long recent batches took to go out (ms): a socket write, or a Ray round trip.
        self.publish_ms: deque[float] = deque(maxlen=1000)

    async def ensure_started(self) -> bool:
        """Start the feeds and the publishing loop (again, after a restart). True if started now."""
        if self.tasks and not all(t.done() for t in self.tasks):
            return False
        for task in self.tasks:
            task.cancel()
        self._wake = wake = asyncio.Event()
        self.feeds = {
            venue: VenueFeed(
                venue_spec(venue), self._symbols_of(venue), options=feed_options(self.conf, venue, self.urls.get(venue)),
                credentials=credentials(self.conf, venue), notify=wake.set,
            )
            for venue in self.venues
        }
        self.tasks = [*(asyncio.ensure_future(feed.run()) for feed in self.feeds.values()),
                      asyncio.ensure_future(self._publish(wake)), asyncio.ensure_future(self._report())]
        return True

    async def set_symbols(self, symbols: list[str]) -> SymbolChange:
        """The shard's symbols changed (a shard joined or left): the ones that came are
        subscribed on connections of their own, the ones that went are unsubscribed; every
        other book stays as it is. Returns ``{"added": […], "removed": […]}``."""
        old = set(self.symbols)
        self.symbols = list(symbols)
        new = set(self.symbols)
        added, removed = [s for s in self.symbols if s not in old], sorted(old - new)
        self._resubscribe()
        return {"added": added, "removed": removed}

    async def set_listing(self, allowed: dict[str, list[str]]) -> dict[str, list[list[str]]]:
        """The venues' listings refreshed: per venue the symbols it trades now. Each feed
        (un)subscribes only the difference on this shard's symbols. Returns per venue where
        something moved ``[joined, left]``."""
        self.allowed = {venue: set(items) for venue, items in allowed.items()}
        return self._resubscribe()

    def _symbols_of(self, venue: str) -> list[str]:
        allowed = None if self.allowed is None else self.allowed.get(venue)
        return self.symbols if allowed is None else [s for s in self.symbols if s in allowed]

    def _resubscribe(self) -> dict[str, list[list[str]]]:
        moved: dict[str, list[list[str]]] = {}
        for venue, feed in self.feeds.items():
            want = self._symbols_of(venue)
            have = set(feed.state.symbols)
            left = sorted(have - set(want))
            joined = [s for s in want if s not in have]
            feed.remove_symbols(left)
            feed.add_symbols(joined)
            if joined or left:
                moved[venue] = [joined, left]
        return moved

    async def _connect(self) -> bool:
        """Open the node-local link to the scanner, if it listens on this node."""
        try:
            where = await self.scanner.endpoint.remote()
        except ACTOR_DOWN:
            return False
        path = where.get("path")
        if not path or where.get("node") != ray.get_runtime_context().get_node_id():
            return False
        return await self.link.connect(path)

    def _every_book(self, pending: dict[tuple[str, str], BookView]) -> None:
        for venue, feed in self.feeds.items():
            for symbol in feed.symbols:
                view = feed.view(symbol, self.depth)
                if view is not None:
                    pending[(venue, symbol)] = view

    async def _publish(self, wake: asyncio.Event) -> None:
        pending: dict[tuple[str, str], BookView] = {}
        depth = self.depth
        while True:
            await wake.wait()
            wake.clear()
            self.wakes += 1
            if not self.link.connected and time.monotonic() >= self._next_connect:
                if await self._connect():
                    self._every_book(pending)  # a new link may be a new scanner: every book
                else:
                    self._next_connect = time.monotonic() + 5.0  # by Ray call meanwhile
            for venue, feed in self.feeds.items():
                changed = feed.drain_changed()
                self.changed_total += len(changed)
                for symbol in changed:
                    view = feed.view(symbol, depth)
                    if view is not None:
                        pending[(venue, symbol)] = view
            if not pending:
                continue
            batch = list(pending.values())
            pending.clear()
            sent = time.perf_counter()
            try:
                if self.link.connected:
                    ok = await self.link.send(batch)
                else:
                    ok = await self._call(batch, pending)
            except ACTOR_DOWN:
                ok = False
            except Exception as exc:  # this loop is the actor's supervisor: count, log, go on
                ok = False
                self.last_error = f"{type(exc).__name__}: {exc}"[-500:]
                log.exception("shard %s: publishing views failed", self.shard)
            if not ok:
                self.publish_errors += 1
                for view in batch:  # keep the newest view of each book for the next try
                    pending.setdefault((view.venue, view.symbol), view)
                await asyncio.sleep(0.2)
                wake.set()
                continue
            self.publish_ms.append((time.perf_counter() - sent) * 1e3)
            venues = Counter(view.venue for view in batch)
            self.published.update(venues)
            self.batches.update(venues.keys())
            if self.publish_interval_s > 0:
                await asyncio.sleep(self.publish_interval_s)

    async def _call(self, batch: list[BookView], pending: dict[tuple[str, str], BookView]) -> bool:
        """The fallback: one Ray call per batch (each costs ~0.1–0.5 ms of CPU a side, so
        batches wait ``publish_interval_s`` × 5 between calls). A scanner that is new since
        the last call is sent every book next."""
        incarnation = await self.scanner.on_batch.remote(encode_views(batch))
        if incarnation != self._fed:
            if self._fed is not None or self.published:
                self._every_book(pending)
                assert self._wake is not None
                self._wake.set()
            self._fed = incarnation
        await asyncio.sleep(self.publish_interval_s * 4)
        return True

    async def _report(self, every_s: float = 1.0) -> None:
        """Metrics once a second, not per batch (a record is a call into Ray's recorder): the
        feeds' health and what was published."""
        while True:
            await asyncio.sleep(every_s)
            for venue, feed in self.feeds.items():
                self.recorders[venue].record(feed.health())
            views, batches = self.published - self._counted[0], self.batches - self._counted[1]
            self._counted = (self.published.copy(), self.batches.copy())
            for venue in self.venues:
                self.metrics.count("views_published", views[venue], {"venue": venue})
                self.metrics.count("publish_batches", batches[venue], {"venue": venue})

    async def profile(self, seconds: float = 5.0, top: int = 30) -> str:
        """Where this actor's event loop spends its CPU for ``seconds`` (:func:`profile_loop`):
        the feeds, the views, the link to the scanner."""
        return await profile_loop(seconds, top)

    async def live_symbols(self) -> dict[str, list[str]]:
        """Per venue, the symbols whose books may be scanned now."""
        return {venue: feed.live_symbols() for venue, feed in self.feeds.items()}

    async def health(self) -> list[FeedHealth]:
        """One entry per venue: its feed's health and what was published of it."""
        if not self.feeds:
            return [{"venue": venue, "shard": self.shard, "started": False} for venue in self.venues]
        link = "socket" if self.link.connected else "ray"
        return [
            {"venue": venue, "shard": self.shard, "started": True, "health": feed.health(),
             "published": self.published[venue], "batches": self.batches[venue], "publish_errors": self.publish_errors,
             "live": len(feed.live_symbols()), "symbols": len(feed.symbols), "link": link,
             "publish_ms": list(self.publish_ms), "wakes": self.wakes, "changed": self.changed_total,
             "last_error": self.last_error}
            for venue, feed in self.feeds.items()
        ]

    async def process(self) -> ProcessStats:
        """The hosting process's pid, CPU seconds and peak memory (benchmarks)."""
        return process_stats()

    async def stop(self) -> None:
        for feed in self.feeds.values():
            await feed.close()
        for task in self.tasks:
            task.cancel()
        self.link.close()


@ray.remote
class ScannerActor:
    """One shard's :class:`~arb.decision.decider.Decider`: the latest view of every venue per
    symbol; scans what changed and sends what it finds to the executor.

    Views come from the shard's feeds over the node-local link (:meth:`endpoint`), by Ray
    call (:meth:`on_batch`, a feed on another node) or straight (:meth:`on_views`, tests).
    ``trace``: keep ``(venue, symbol, ts_recv_ns, decided_ns)`` of every live view decided on
    (benchmarks match them with the venues' send times; :meth:`drain_trace`)."""

    def __init__(self, conf: ArbConf, shard: int, instruments: Instruments, executor: str, trace: bool = False) -> None:
        self.shard = shard
        self.executor = cast("ExecutorHandle", ray.get_actor(executor))  # by name: see FeedActor
        self.decider = build_decider(conf, instruments)
        self.balances = _Balances(starting_balances(conf))
        #: Symbols the executor asked to see every view of (orders open there).
        self.watch: set[str] = set()
        #: Books whose first live view the executor has seen (it may fund them).
        self.announced: set[tuple[str, str]] = set()
        #: Views changed since the executor was last sent them (prices, funding).
        self.unsynced: dict[tuple[str, str], BookView] = {}
        #: The executor incarnation that holds every view (None: send it all next).
        self.synced_with: int | None = None
        self.metrics = ArbMetrics(default_tags={"shard": str(shard)})
        self.opportunities = 0
        self.submit_errors = 0
        self.decision_ms: deque[float] = deque(maxlen=_SAMPLES)
        self.opportunity_ms: deque[float] = deque(maxlen=_SAMPLES)
        self.trace: list[tuple[str, str, int, int]] | None = [] if trace else None
        #: This actor's life (a restarted one is a new incarnation: feeds send it every book).
        self.incarnation = time.time_ns()
        #: The operator's settings are in force (a restarted scanner takes them from the executor).
        self.settings_synced = False
        self.server: ViewServer | None = None
        self.refresher: asyncio.Task[None] | None = None
        #: Opportunities waiting for the executor, in the order they were found: the
        #: opportunities, the views they need, the caller's clock, set when submitted.
        self._submissions: asyncio.Queue[tuple[list[Opportunity], list[BookView], int | None, asyncio.Future[None]]] = (
            asyncio.Queue()
        )
        self._submitter: asyncio.Task[None] | None = None

    async def ensure_started(self) -> bool:
        """Listen for the shard's feeds; keep the balance snapshot fresh (sizes are capped by
        what the executor holds)."""
        started = False
        if self.server is None:
            path = os.path.join(tempfile.gettempdir(), f"arb-{os.getpid()}-shard{self.shard}.sock")
            server = ViewServer(path, self._on_link)
            try:
                await server.start()
                self.server = server
            except OSError as exc:  # no Unix sockets here: feeds call on_batch instead
                log.warning("shard %s: no node-local link (%s); feeds publish by Ray call", self.shard, exc)
            started = True
        if self.refresher is None or self.refresher.done():
            self.refresher = asyncio.ensure_future(self._refresh_balances())
            started = True
        return started

    async def endpoint(self) -> Endpoint:
        """Where the shard's feeds send views: this node and the link's socket (None: by call)."""
        return {"node": ray.get_runtime_context().get_node_id(), "path": self.server.path if self.server else None}

    async def _refresh_balances(self, every_s: float = 1.0) -> None:
        """Once a second: send the executor the views that changed since (every view to an
        executor that has not seen them: its prices for marking to market) and take back the
        balances to size with. (A book's first live view goes at once, it may fund the book;
        the views an opportunity was found on go with it.)"""
        while True:
            everything = self.synced_with is None
            if everything:
                views = [v for venues in self.decider.views.values() for v in venues.values()]
            else:
                views = list(self.unsynced.values())
            self.unsynced.clear()
            try:
                if not self.settings_synced:
                    self.decider.apply_settings(await self.executor.settings.remote())
                    self.settings_synced = True
                reply = await self.executor.refresh.remote(encode_views(views))
                self.balances = _Balances(reply["balances"])
                if everything:
                    self.synced_with = reply["incarnation"]
                elif reply["incarnation"] != self.synced_with:
                    self.synced_with = None  # a restarted executor: it gets everything at once
                    continue
            except ACTOR_DOWN:
                self.synced_with = None
            await asyncio.sleep(every_s)

    async def apply_settings(self, settings: Settings) -> None:
        """The operator's settings (the executor journalled them first)."""
        self.decider.apply_settings(settings)
        self.settings_synced = True

    async def summary(self) -> ScannerSummary:
        """Counters and settings in force (cheap: no latency samples)."""
        return {"shard": self.shard, "scans": self.decider.scans, "opportunities": self.opportunities,
                "opportunities_seen": self.decider.opportunities_seen, "submit_errors": self.submit_errors,
                "settings": self.decider.settings()}

    async def _on_link(self, views: list[BookView]) -> None:
        await self._decide(views, None)

    async def on_batch(self, payload: bytes) -> int:
        """A feed's batch by Ray call (:func:`~arb.runtime.shard_link.encode_views`): decide.
        Returns this scanner's incarnation (a feed sends every book to a new one)."""
        await self._decide(decode_views(payload), None)
        return self.incarnation

    async def on_views(self, batch: list[BookView], now_ns: int | None = None) -> list[Opportunity]:
        """A batch of views: decide, send the opportunities found to the executor. ``now_ns``
        (tests) replaces the wall clock. Returns the opportunities found."""
        return await self._decide(batch, now_ns)

    async def set_listing(self, instruments: Instruments, gone: list[tuple[str, str]]) -> None:
        """The venues' listings refreshed: their instruments replace the ones in force (a
        halted symbol is not traded from now on); ``gone`` ``(venue, symbol)`` books left the
        feeds — their views go."""
        self.decider.scanner.instruments.take_listings(instruments)
        self.decider.instruments_changed()
        for venue, symbol in gone:
            self.decider.forget(venue, symbol)
            self.unsynced.pop((venue, symbol), None)

    async def view(self, venue: str, symbol: str) -> BookView | None:
        """The view this shard holds of a venue's book (None: none)."""
        return self.decider.view(venue, symbol)

    async def forget(self, symbols: list[str]) -> int:
        """``symbols`` left this shard: their views go. Returns how many were held."""
        held = 0
        for symbol in symbols:
            venues = self.decider.views.pop(symbol, None)
            if venues:
                held += 1
                for venue in venues:
                    self.unsynced.pop((venue, symbol), None)
        return held

    async def _decide(self, batch: list[BookView], now_ns: int | None) -> list[Opportunity]:
        now = time.time_ns() if now_ns is None else now_ns
        changed = self.decider.on_views(batch, now)
        unsynced = self.unsynced
        for view in changed:
            unsynced[(view.venue, view.symbol)] = view
        first = [v for v in changed if v.live and (v.venue, v.symbol) not in self.announced]
        if first:  # the executor funds a book at its first live view: size with that balance
            try:
                self.balances = _Balances(await self.executor.sync.remote(first, now_ns))
                self.announced.update((v.venue, v.symbol) for v in first)
            except ACTOR_DOWN:
                pass
        found = self.decider.decide(now, self.balances)
        decided = time.time_ns() if now_ns is None else now
        trace = self.trace
        for view in changed:
            if view.live and view.ts_recv_ns:
                self.decision_ms.append((decided - view.ts_recv_ns) / 1e6)
                if trace is not None:
                    trace.append((view.venue, view.symbol, view.ts_recv_ns, decided))
        for opp in found:
            ms = (decided - max(opp.buy_ts_recv_ns, opp.sell_ts_recv_ns)) / 1e6
            self.opportunity_ms.append(ms)
            self.metrics.tick_to_opportunity_ms.observe(ms)
        forward = [v for v in batch if v.symbol in self.watch]
        if not found and not forward:
            return found
        views = self.decider.views
        context = {(v.symbol, v.venue): v for v in forward}
        for opp in found:  # the executor fills against the views the decision saw (and newer ones)
            for venue in (opp.buy_venue, opp.sell_venue):
                context[(opp.symbol, venue)] = views[opp.symbol][venue]
        self.opportunities += len(found)
        self.metrics.count("opportunities", len(found))
        # In order, one at a time, without holding up the next batch's decisions (the executor
        # journals durably); a caller that passed its own clock (tests) waits for the answer.
        done = asyncio.get_running_loop().create_future()
        self._submissions.put_nowait((found, list(context.values()), now_ns, done))
        if self._submitter is None or self._submitter.done():
            self._submitter = asyncio.ensure_future(self._submit_in_order())
        if now_ns is not None:
            await done
        return found

    async def _submit_in_order(self) -> None:
        """Hand queued opportunities (and the views they need) to the executor, in order; its
        answer brings the balances to size with and the symbols to forward every view of."""
        while True:
            found, views, now_ns, done = await self._submissions.get()
            try:
                reply = await self.executor.submit.remote(found, views, now_ns)
                self.balances = _Balances(reply["balances"])
                self.watch = set(reply["watch"])
            except ACTOR_DOWN:
                self.submit_errors += 1  # the executor is restarting: the next update decides again
            except ray.exceptions.RayTaskError as exc:
                self.submit_errors += 1  # the executor failed this call; its state is journalled
                log.error("shard %s: executor.submit failed: %s", self.shard, exc)
            finally:
                if not done.done():
                    done.set_result(None)

    async def profile(self, seconds: float = 5.0, top: int = 30) -> str:
        """Where this actor's event loop spends its CPU for ``seconds`` (:func:`profile_loop`)."""
        return await profile_loop(seconds, top)

    async def drain_trace(self) -> list[tuple[str, str, int, int]]:
        """The decisions traced since the last call (``trace=True``), and forget them."""
        if self.trace is None:
            return []
        out, self.trace = self.trace, []
        return out

    async def process(self) -> ProcessStats:
        """The hosting process's pid, CPU seconds and peak memory (benchmarks)."""
        return process_stats()

    async def stats(self) -> ScannerStats:
        return {"shard": self.shard, "node": ray.get_runtime_context().get_node_id(), "scans": self.decider.scans,
                "opportunities": self.opportunities,
                "submit_errors": self.submit_errors, "symbols": len(self.decider.views),
                "link_connections": self.server.connections if self.server else 0,
                "decision_ms": list(self.decision_ms), "opportunity_ms": list(self.opportunity_ms)}

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()


@ray.remote
class ExecutorActor:
    """The one place trades happen: a :class:`~arb.decision.desk.Desk` over the durable journal."""

    def __init__(
        self, conf: ArbConf, journal_path: str, instruments: Instruments, shards: int | Sequence[int] = 1,
        accounts: Mapping[str, VenueAccount] | None = None, balances: Mapping[tuple[str, str], int] | None = None,
    ) -> None:
        """``accounts``/``balances``: live trading (``executor.mode=live``) — the venue accounts
        and the balances they reported at the start of the run (journalled once: a restarted
        actor finds them in the journal)."""
        self.shards: int | list[int] = shards if isinstance(shards, int) else list(shards)
        self.store = ViewStore()
        self.journal = SqliteJournal(journal_path)
        self.instruments = instruments
        self.desk = build_desk(conf, self.store.view, self.store.price, instruments, self.journal, accounts)
        self.trader = self.desk.trader
        now = time.time_ns()
        self.started = start(self.desk, conf, now, balances)
        self.metrics = ArbMetrics()
        self.recorder = ExecutionRecorder(self.metrics)
        #: The settings the scanners were built with (until the operator changes them).
        self.configured = build_decider(conf, instruments).settings()
        self._count(self.started.resumed)
        self.trade_ms: deque[float] = deque(maxlen=_SAMPLES)
        self.ticker: asyncio.Task[None] | None = None
        self.shell: TradingShell | None = None
        self.shell_task: asyncio.Task[None] | None = None
        self.started_ns = now
        #: Set when something may have fallen due sooner (orders placed, the venues answered).
        self._woke = asyncio.Event()

    async def ensure_started(self) -> bool:
        port = self.desk.port
        if isinstance(port, LiveVenues) and (self.shell_task is None or self.shell_task.done()):
            self.shell = TradingShell(port, self._woke.set)
            port.notify = self.shell.kick
            self.shell_task = asyncio.ensure_future(self.shell.run())
        if self.ticker is not None and not self.ticker.done():
            return False
        self.ticker = asyncio.ensure_future(self._tick())
        return True

    async def _tick(self) -> None:
        """Hand the trader the port's events as they fall due (the executor's own clock) or,
        live, as the venues answer."""
        woke = self._woke
        next_record = 0.0
        while True:
            due = self.desk.next_due_ns()
            delay = 1.0 if due is None else max(0.0, min(1.0, (due - time.time_ns()) / 1e9))
            woke.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(woke.wait(), delay)
            due = self.desk.next_due_ns()
            if due is not None and due <= time.time_ns():
                with self.journal.batch():
                    self._count(self.desk.advance(time.time_ns()))
            if time.monotonic() >= next_record:  # gauges and order counts for Prometheus
                next_record = time.monotonic() + 1.0
                self.recorder.record(self.trader, rejections=False)

    async def drain(self, timeout_s: float = 15.0) -> int:
        """End of a run: wait until no order is open at the venues (at most ``timeout_s``).
        Returns the orders still open."""
        deadline = time.monotonic() + timeout_s
        # Legs close in several calls (the ticker, advance, submit) and no one event says the
        # count reached zero: poll it.
        while self.trader.open_legs() and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        if self.shell is not None:
            await self.shell.close()
        return self.trader.open_legs()

    def _count(self, done: list[TradeResult]) -> None:
        for result in done:
            self.metrics.trades.inc(1, {"action": result.action})

    async def submit(self, opportunities: list[Opportunity], views: list[BookView], now_ns: int | None = None) -> SubmitReply:
        """New views and opportunities from a scanner: the trader risk-checks each against
        fresh state and places the approved ones. Returns balances for sizing and the
        symbols whose views the executor needs (open orders). ``now_ns``: tests."""
        now = time.time_ns() if now_ns is None else now_ns
        trader = self.trader
        with self.journal.batch():
            self.store.update(views)
            trader.on_views(views, now)
            self._count(self.desk.advance(now))
            taken, rejected = trader.opportunities_taken, dict(trader.rejections)
            self.desk.on_opportunities(opportunities, now)
        self._woke.set()  # orders placed: their events fall due
        for code, n in trader.rejections.items():
            if n > rejected.get(code, 0):
                self.metrics.rejections.inc(n - rejected.get(code, 0), {"reason": code})
        for opp in list(trader.recent)[len(trader.recent) - (trader.opportunities_taken - taken):]:
            ms = (time.time_ns() - max(opp.buy_ts_recv_ns, opp.sell_ts_recv_ns)) / 1e6
            self.trade_ms.append(ms)
            self.metrics.tick_to_trade_ms.observe(ms, {"shard": str(shard_of(opp.symbol, self.shards))})
        watch = sorted({o.symbol for o in trader.open_orders()})
        return {"balances": trader.balances(), "watch": watch}

    async def advance(self, now_ns: int | None = None) -> int:
        """Hand the trader every execution event due by now (the ticker does this on its own
        clock; tests drive it). Returns the trades completed."""
        now = time.time_ns() if now_ns is None else now_ns
        with self.journal.batch():
            done = self.desk.advance(now)
        self._count(done)
        return len(done)

    async def refresh(self, payload: bytes, now_ns: int | None = None) -> RefreshReply:
        """A scanner's periodic update: its views that changed
        (:func:`~arb.runtime.shard_link.encode_views`), as :meth:`sync` takes them; says which
        executor answered: ``{"balances": …, "incarnation": …}`` — a restarted executor has a
        new incarnation and needs every view again."""
        return {"balances": await self.sync(decode_views(payload), now_ns), "incarnation": self.started_ns}

    async def set_listing(self, instruments: Instruments) -> None:
        """The venues' listings refreshed: the trader and the port size with these now."""
        self.instruments.take_listings(instruments)

    async def set_shards(self, shards: list[int]) -> None:
        """The shard ids now (a shard joined or left): trades are tagged with their shard."""
        self.shards = list(shards)

    async def sync(self, views: list[BookView], now_ns: int | None = None) -> Balances:
        """A scanner's update: its latest views (prices, funding); returns what is free per
        (venue, asset) now, which scanners size with."""
        now = time.time_ns() if now_ns is None else now_ns
        with self.journal.batch():
            self.store.update(views)
            self.trader.on_views(views, now)
        return self.trader.balances()

    async def orders(self) -> list[Order]:
        """Every order the journal holds, in journal order (tests compare hosts with it)."""
        return [record for record in self.journal if isinstance(record, Order)]

    async def state(self) -> ExecutorState:
        trader = self.trader
        results = trader.results()
        pnl = trader.pnl()
        return {
            "trades": len(results),
            "open_legs": trader.open_legs(),
            "accepted": trader.opportunities_taken,
            "rejected": dict(trader.rejections),
            "restored_records": self.started.records,
            "restored_trades": self.started.trades,
            "journal_records": len(self.journal),
            "pnl_usd": to_float(pnl) if pnl is not None else None,
            "pnl_fixed": pnl,
            "orders": trader.orders,
            "realized_fixed": dict(trader.portfolio.realized),
            "balances_fixed": trader.portfolio.balances(),
            "realized": {k: to_float(v) for k, v in trader.portfolio.realized.items()},
            "balances": {f"{v}:{a}": to_float(x) for (v, a), x in trader.portfolio.balances().items()},
            "risk_state": str(trader.risk.state),
            "trade_ms": list(self.trade_ms),
            "trade_ids": [r.id for r in results],
        }

    async def process(self) -> ProcessStats:
        """The hosting process's pid, CPU seconds and peak memory (benchmarks)."""
        return process_stats()

    async def profile(self, seconds: float = 5.0, top: int = 30) -> str:
        """Where this actor's event loop spends its CPU for ``seconds`` (:func:`profile_loop`)."""
        return await profile_loop(seconds, top)

    async def kill(self, reason: str) -> int:
        """Kill switch: halt and cancel every open order (journalled); returns the cancels sent."""
        with self.journal.batch():
            sent = self.desk.kill(reason, time.time_ns())
        self._woke.set()  # the cancels' answers fall due
        return sent

    # -- the operator (the dashboard in the driver) --------------------------------------------
    async def control(self, action: str, reason: str) -> RiskDecision:
        """``kill``, ``release``, ``halt`` or ``resume`` (see :class:`~arb.decision.trader.Trader`), journalled."""
        with self.journal.batch():
            decision = self.desk.control(action, reason, time.time_ns())
        self._woke.set()  # a kill's cancels fall due
        return decision

    async def settings(self) -> Settings:
        """The settings in force: the operator's last (restored from the journal), else the config's."""
        return self.trader.settings if self.trader.settings is not None else self.configured

    async def apply_settings(self, settings: Settings, reason: str) -> None:
        """The trader's part of the operator's settings, journalled (scanners get them next)."""
        with self.journal.batch():
            self.trader.apply_settings(settings, reason, time.time_ns())

    async def dashboard(self) -> dashboard_state.Doc:
        """The trader's side of the dashboard and every book the executor has a view of."""
        now = time.time_ns()
        out = dashboard_state.execution_state(self.trader, await self.settings(), self.trader.results(), now)
        out["books"] = dashboard_state.books(self.store.all(), now)
        out["started_ns"] = self.started_ns
        out["journal_records"] = len(self.journal)
        return out


def live_books(health: Sequence[FeedHealth]) -> int:
    """Books that may be scanned now, over the feed actors' :meth:`FeedActor.health` answers."""
    return sum(h.get("live", 0) for h in health)
