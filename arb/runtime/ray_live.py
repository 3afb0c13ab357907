"""The live engine on Ray: feed actors, sharded scanner replicas, one executor actor.

::

    venue ws ─► FeedActor(venue, shard) ──batched, conflated views──► ScannerActor(shard) ──opportunities──► ExecutorActor
                 VenueFeed: exact books                                 hosts a Decider                  hosts a Desk: Trader → port, SQLite journal

- **Shards.** A symbol belongs to shard ``crc32(symbol) % shards`` (stable across runs and
  processes). A shard's feeds and scanner share one placement-group bundle (packed on one
  node, holding one ``arb_shard`` slot, so shards spread over the nodes that offer slots).
- **FeedActor** owns one venue's connections and books for its shard's symbols (a
  :class:`~arb.io.feed.VenueFeed`) and publishes each changed book as a
  :class:`~arb.book.view.BookView`: while a batch is in flight, later changes to the same
  book replace earlier ones, so there is one Ray call per batch, never one per message.
  Every ``refresh_s`` it republishes every book, so a restarted scanner is fed fresh views.
- **ScannerActor** hosts the shard's :class:`~arb.decision.decider.Decider` (the same
  object a backtest runs): views in, opportunities out, sized with the executor's last
  balance snapshot. A view that is the first live one of its book goes to the executor
  before the scan (it may fund the book: :meth:`~arb.decision.trader.Trader.on_views`).
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

All actors restart without limit (``max_restarts=-1``); :class:`RayTopology` (the
supervisor, in the driver) builds the topology from config and calls ``ensure_started``
on every actor once a second, which restarts the loops of a restarted actor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypeAlias

import ray
from ray.actor import ActorHandle
from ray.util.placement_group import PlacementGroup, placement_group, remove_placement_group
from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

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
from arb.runtime.ray_cluster import HEAD_RESOURCE, SHARD_RESOURCE
from arb.risk.limits import RiskDecision
from arb.runtime.dashboard import state as dashboard_state
from arb.runtime.ray_metrics import ArbMetrics, ExecutionRecorder, FeedRecorder
from arb.scan.opportunity import Opportunity
from arb.venues.registry import get as venue_spec

log = logging.getLogger(__name__)

EXECUTOR_NAME = "arb-executor"
#: Recent latency samples an actor keeps for reports (ms).
_SAMPLES = 20_000
#: Errors that mean "the actor is restarting or gone": retry later, never crash a loop.
_ACTOR_DOWN = (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError)


#: Handles of the actors below (Ray's generic handle, typed by the class it drives).
ExecutorHandle: TypeAlias = "ActorHandle[ExecutorActor]"
ScannerHandle: TypeAlias = "ActorHandle[ScannerActor]"
FeedHandle: TypeAlias = "ActorHandle[FeedActor]"


def shard_of(symbol: str, shards: int) -> int:
    """The shard a symbol belongs to: stable across runs, machines and Python versions."""
    return zlib.crc32(symbol.encode()) % shards


class _Balances:
    """A balance snapshot from the executor, read by the scanner for sizing."""

    __slots__ = ("by_key",)

    def __init__(self, by_key: Mapping[tuple[str, str], int]) -> None:
        self.by_key = dict(by_key)

    def available(self, venue: str, asset: str) -> int:
        return self.by_key.get((venue, asset), 0)


@ray.remote
class FeedActor:
    """One venue's books for one shard's symbols; publishes conflated view batches."""

    def __init__(
        self, conf: ArbConf, venue: str, shard: int, symbols: list[str], urls: Mapping[str, str] | None,
        scanner: str, refresh_s: float = 1.0, publish_interval_s: float = 0.002,
    ) -> None:
        self.conf, self.venue, self.shard, self.symbols = conf, venue, shard, list(symbols)
        # Peers by name, not handle: a handle among a restartable actor's constructor
        # arguments counts as an object-store argument (Ray logs an error for it).
        self.urls, self.refresh_s = urls, refresh_s
        self.scanner: ScannerHandle = ray.get_actor(scanner)
        #: At most one publish per interval: a Ray call costs ~0.1–0.5 ms of CPU on each
        #: side, so a busy book's updates wait up to this long to travel together.
        self.publish_interval_s = publish_interval_s
        self.depth = conf.strategy.depth_levels
        self.metrics = ArbMetrics(default_tags={"venue": venue, "shard": str(shard)})
        self.recorder = FeedRecorder(self.metrics, venue, str(shard))
        self.feed: VenueFeed | None = None
        self.tasks: list[asyncio.Task] = []
        self.published = 0
        self.batches = 0
        self.publish_errors = 0
        self.wakes = 0
        self.changed_total = 0
        self.last_error = ""
        #: Round trips of recent publish calls (ms): how long a batch waits on the scanner.
        self.publish_ms: deque[float] = deque(maxlen=1000)

    async def ensure_started(self) -> bool:
        """Start the feed and the publishing loop (again, after a restart). True if started now."""
        if self.tasks and not all(t.done() for t in self.tasks):
            return False
        wake = asyncio.Event()
        self.feed = VenueFeed(
            venue_spec(self.venue), self.symbols, options=feed_options(self.conf, self.venue, self.urls),
            credentials=credentials(self.conf, self.venue), notify=wake.set,
        )
        self.tasks = [asyncio.ensure_future(self.feed.run()), asyncio.ensure_future(self._publish(wake))]
        return True

    async def _publish(self, wake: asyncio.Event) -> None:
        feed = self.feed
        assert feed is not None
        pending: dict[str, BookView] = {}
        next_refresh = time.monotonic() + self.refresh_s
        while True:
            try:
                await asyncio.wait_for(wake.wait(), timeout=max(0.0, next_refresh - time.monotonic()))
            except asyncio.TimeoutError:
                pass
            wake.clear()
            changed = feed.drain_changed()
            self.wakes += 1
            self.changed_total += len(changed)
            if time.monotonic() >= next_refresh:
                changed = set(feed.symbols)
                next_refresh = time.monotonic() + self.refresh_s
                self.recorder.record(feed.health())
            for symbol in changed:
                view = feed.view(symbol, self.depth)
                if view is not None:
                    pending[symbol] = view
            if not pending:
                continue
            batch = list(pending.values())
            pending.clear()
            sent = time.perf_counter()
            try:
                await self.scanner.on_views.remote(batch)
                self.publish_ms.append((time.perf_counter() - sent) * 1e3)
            except _ACTOR_DOWN:
                self.publish_errors += 1
                for view in batch:  # keep the newest view of each book for the next try
                    pending.setdefault(view.symbol, view)
                await asyncio.sleep(0.2)
                continue
            except Exception as exc:  # noqa: BLE001 - this loop is the actor's supervisor: count, log, go on
                self.publish_errors += 1
                self.last_error = f"{type(exc).__name__}: {exc}"[-500:]
                log.exception("%s shard %s: publishing views failed", self.venue, self.shard)
                await asyncio.sleep(0.2)
                continue
            self.published += len(batch)
            self.batches += 1
            self.metrics.count("views_published", len(batch))
            self.metrics.count("publish_batches", 1)
            rest = self.publish_interval_s - (time.perf_counter() - sent)
            if rest > 0:
                await asyncio.sleep(rest)

    async def health(self) -> dict:
        if self.feed is None:
            return {"venue": self.venue, "shard": self.shard, "started": False}
        h = self.feed.health()
        return {"venue": self.venue, "shard": self.shard, "started": True, "health": h, "published": self.published,
                "batches": self.batches, "publish_errors": self.publish_errors, "live": len(self.feed.live_symbols()),
                "publish_ms": list(self.publish_ms), "wakes": self.wakes, "changed": self.changed_total, "last_error": self.last_error}

    async def stop(self) -> None:
        if self.feed is not None:
            await self.feed.close()
        for task in self.tasks:
            task.cancel()


@ray.remote
class ScannerActor:
    """One shard's :class:`~arb.decision.decider.Decider`: the latest view of every venue per
    symbol; scans what changed and sends what it finds to the executor."""

    def __init__(self, conf: ArbConf, shard: int, instruments: Instruments, executor: str) -> None:
        self.shard = shard
        self.executor: ExecutorHandle = ray.get_actor(executor)  # by name: see FeedActor
        self.decider = build_decider(conf, instruments)
        self.balances = _Balances(starting_balances(conf))
        #: Symbols the executor asked to see every view of (orders open there).
        self.watch: set[str] = set()
        #: Books whose first live view the executor has seen (it may fund them).
        self.announced: set[tuple[str, str]] = set()
        self.metrics = ArbMetrics(default_tags={"shard": str(shard)})
        self.opportunities = 0
        self.submit_errors = 0
        self.decision_ms: deque[float] = deque(maxlen=_SAMPLES)
        self.opportunity_ms: deque[float] = deque(maxlen=_SAMPLES)
        self.refresher: asyncio.Task | None = None
        #: The operator's settings are in force (a restarted scanner takes them from the executor).
        self.settings_synced = False

    async def ensure_started(self) -> bool:
        """Keep the balance snapshot fresh (sizes are capped by what the executor holds)."""
        if self.refresher is not None and not self.refresher.done():
            return False
        self.refresher = asyncio.ensure_future(self._refresh_balances())
        return True

    async def _refresh_balances(self, every_s: float = 0.5) -> None:
        """Twice a second: send the executor every latest view (its prices for funding and
        marking to market) and take back the balances to size with."""
        while True:
            views = [v for venues in self.decider.views.values() for v in venues.values()]
            try:
                if not self.settings_synced:
                    self.decider.apply_settings(await self.executor.settings.remote())
                    self.settings_synced = True
                self.balances = _Balances(await self.executor.sync.remote(views))
            except _ACTOR_DOWN:
                pass
            await asyncio.sleep(every_s)

    async def apply_settings(self, settings: Settings) -> None:
        """The operator's settings (the executor journalled them first)."""
        self.decider.apply_settings(settings)
        self.settings_synced = True

    async def summary(self) -> dict:
        """Counters and settings in force (cheap: no latency samples)."""
        return {"shard": self.shard, "scans": self.decider.scans, "opportunities": self.opportunities,
                "opportunities_seen": self.decider.opportunities_seen, "submit_errors": self.submit_errors,
                "settings": self.decider.settings()}

    async def on_views(self, batch: list[BookView], now_ns: int | None = None) -> list[Opportunity]:
        """A feed's batch: decide, send the opportunities found to the executor. ``now_ns``
        (tests) replaces the wall clock. Returns the opportunities found."""
        now = time.time_ns() if now_ns is None else now_ns
        changed = self.decider.on_views(batch, now)
        first = [v for v in changed if v.live and (v.venue, v.symbol) not in self.announced]
        if first:  # the executor funds a book at its first live view: size with that balance
            try:
                self.balances = _Balances(await self.executor.sync.remote(first, now_ns))
                self.announced.update((v.venue, v.symbol) for v in first)
            except _ACTOR_DOWN:
                pass
        found = self.decider.decide(now, self.balances)
        decided = time.time_ns() if now_ns is None else now
        for view in changed:
            if view.live and view.ts_recv_ns:
                self.decision_ms.append((decided - view.ts_recv_ns) / 1e6)
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
        try:
            reply = await self.executor.submit.remote(found, list(context.values()), now_ns)
        except _ACTOR_DOWN:
            self.submit_errors += 1  # the executor is restarting: the next update decides again
            return found
        except ray.exceptions.RayTaskError as exc:
            self.submit_errors += 1  # the executor failed this call; its state is journalled
            log.error("shard %s: executor.submit failed: %s", self.shard, exc)
            return found
        self.balances = _Balances(reply["balances"])
        self.watch = set(reply["watch"])
        return found

    async def stats(self) -> dict:
        return {"shard": self.shard, "node": ray.get_runtime_context().get_node_id(), "scans": self.decider.scans,
                "opportunities": self.opportunities,
                "submit_errors": self.submit_errors, "symbols": len(self.decider.views),
                "decision_ms": list(self.decision_ms), "opportunity_ms": list(self.opportunity_ms)}


@ray.remote
class ExecutorActor:
    """The one place trades happen: a :class:`~arb.decision.desk.Desk` over the durable journal."""

    def __init__(
        self, conf: ArbConf, journal_path: str, instruments: Instruments, shards: int = 1,
        accounts: Mapping[str, VenueAccount] | None = None, balances: Mapping[tuple[str, str], int] | None = None,
    ) -> None:
        """``accounts``/``balances``: live trading (``executor.mode=live``) — the venue accounts
        and the balances they reported at the start of the run (journalled once: a restarted
        actor finds them in the journal)."""
        self.shards = shards
        self.store = ViewStore()
        self.journal = SqliteJournal(journal_path)
        self.desk = build_desk(conf, self.store.view, self.store.price, instruments, self.journal, accounts)
        self.trader = self.desk.trader
        now = time.time_ns()
        self.started = start(self.desk, conf, now, balances)
        self.metrics = ArbMetrics()
        self._count(self.started.resumed)
        self.trade_ms: deque[float] = deque(maxlen=_SAMPLES)
        self.ticker: asyncio.Task | None = None
        self.shell: TradingShell | None = None
        self.shell_task: asyncio.Task | None = None
        self.started_ns = now
        self.recorder = ExecutionRecorder(self.metrics)
        #: The settings the scanners were built with (until the operator changes them).
        self.configured = build_decider(conf, instruments).settings()

    async def ensure_started(self) -> bool:
        port = self.desk.port
        if isinstance(port, LiveVenues) and (self.shell_task is None or self.shell_task.done()):
            self._woke = asyncio.Event()
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
        woke = getattr(self, "_woke", None) or asyncio.Event()
        next_record = 0.0
        while True:
            due = self.desk.next_due_ns()
            delay = 0.05 if due is None else max(0.0, min(0.05, (due - time.time_ns()) / 1e9))
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
        while self.trader.open_legs() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if self.shell is not None:
            await self.shell.close()
        return self.trader.open_legs()

    def _count(self, done: list[TradeResult]) -> None:
        for result in done:
            self.metrics.trades.inc(1, {"action": result.action})

    async def submit(self, opportunities: list[Opportunity], views: list[BookView], now_ns: int | None = None) -> dict:
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

    async def sync(self, views: list[BookView], now_ns: int | None = None) -> dict[tuple[str, str], int]:
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

    async def state(self) -> dict:
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

    async def kill(self, reason: str) -> int:
        """Kill switch: halt and cancel every open order (journalled); returns the cancels sent."""
        with self.journal.batch():
            return self.desk.kill(reason, time.time_ns())

    # -- the operator (the dashboard in the driver) --------------------------------------------
    async def control(self, action: str, reason: str) -> RiskDecision:
        """``kill``, ``release``, ``halt`` or ``resume`` (see :class:`~arb.decision.trader.Trader`), journalled."""
        with self.journal.batch():
            return self.desk.control(action, reason, time.time_ns())

    async def settings(self) -> Settings:
        """The settings in force: the operator's last (restored from the journal), else the config's."""
        return self.trader.settings if self.trader.settings is not None else self.configured

    async def apply_settings(self, settings: Settings, reason: str) -> None:
        """The trader's part of the operator's settings, journalled (scanners get them next)."""
        with self.journal.batch():
            self.trader.apply_settings(settings, reason, time.time_ns())

    async def dashboard(self) -> dict:
        """The trader's side of the dashboard and every book the executor has a view of."""
        now = time.time_ns()
        out = dashboard_state.execution_state(self.trader, await self.settings(), self.trader.results(), now)
        out["books"] = dashboard_state.books(self.store.all(), now)
        out["started_ns"] = self.started_ns
        out["journal_records"] = len(self.journal)
        return out


class RayTopology:
    """The supervisor: builds feeds, scanners and the executor from config and keeps them
    running (``ensure_started`` on every actor each ``watch_s``)."""

    def __init__(
        self,
        conf: ArbConf,
        journal_path: str | Path,
        instruments: Instruments | None = None,
        urls: Mapping[str, Mapping[str, str]] | None = None,
        shards: int = 1,
        actor_cpus: float = 0.1,
        accounts: Mapping[str, VenueAccount] | None = None,
        balances: Mapping[tuple[str, str], int] | None = None,
    ) -> None:
        self.conf = conf
        self.journal_path = str(journal_path)
        self.instruments = instruments or Instruments()
        self.urls = urls
        self.shards = shards
        self.actor_cpus = actor_cpus
        self.accounts = dict(accounts) if accounts is not None else None
        self.balances = dict(balances) if balances is not None else None
        self.executor: ExecutorHandle | None = None
        self.scanners: list[ScannerHandle] = []
        self.feeds: list[FeedHandle] = []
        self.groups: list[PlacementGroup] = []

    def symbols_by_shard(self) -> list[list[str]]:
        out: list[list[str]] = [[] for _ in range(self.shards)]
        for symbol in self.conf.universe.symbols:
            out[shard_of(symbol, self.shards)].append(symbol)
        return out

    def start(self, timeout_s: float = 60.0) -> None:
        restart = {"max_restarts": -1, "max_task_retries": -1}
        # Constructor arguments by value: a few KB, so they travel inline in each actor's
        # creation task, which Ray keeps to construct a restarted actor again (arguments in
        # the object store could be lost, and Ray logs an error for every such actor).
        self.executor = ExecutorActor.options(
            name=EXECUTOR_NAME, num_cpus=self.actor_cpus, resources={HEAD_RESOURCE: 0.001}, **restart
        ).remote(self.conf, self.journal_path, self.instruments, self.shards, self.accounts, self.balances)
        per_shard_actors = 1 + len(self.conf.active_venues())
        for shard, symbols in enumerate(self.symbols_by_shard()):
            if not symbols:
                continue
            group = placement_group([{"CPU": self.actor_cpus * per_shard_actors, SHARD_RESOURCE: 1}], strategy="STRICT_PACK")
            ray.get(group.ready(), timeout=timeout_s)
            self.groups.append(group)
            place = PlacementGroupSchedulingStrategy(placement_group=group, placement_group_bundle_index=0)
            scanner_name = f"arb-scanner-{shard}"
            scanner = ScannerActor.options(
                name=scanner_name, num_cpus=self.actor_cpus, scheduling_strategy=place, **restart
            ).remote(self.conf, shard, self.instruments, EXECUTOR_NAME)
            self.scanners.append(scanner)
            for venue in self.conf.active_venues():
                urls = (self.urls or {}).get(venue)
                self.feeds.append(
                    FeedActor.options(num_cpus=self.actor_cpus, scheduling_strategy=place, **restart).remote(
                        self.conf, venue, shard, symbols, urls, scanner_name
                    )
                )
        self.ensure_started(timeout_s)

    def actors(self) -> list[ActorHandle]:
        return [*([self.executor] if self.executor is not None else []), *self.scanners, *self.feeds]

    def ensure_started(self, timeout_s: float = 30.0) -> int:
        """(Re)start every actor's loops; returns how many were (re)started. Actors that are
        restarting right now are skipped: the next call gets them."""
        refs = [actor.ensure_started.remote() for actor in self.actors()]
        started = 0
        for ref in refs:
            try:
                started += bool(ray.get(ref, timeout=timeout_s))
            except (*_ACTOR_DOWN, ray.exceptions.GetTimeoutError):
                continue
        return started

    def health(self) -> list[dict]:
        out = []
        for ref in [f.health.remote() for f in self.feeds]:
            try:
                out.append(ray.get(ref, timeout=10))
            except (*_ACTOR_DOWN, ray.exceptions.GetTimeoutError):
                out.append({"started": False, "down": True})
        return out

    def state(self) -> dict:
        assert self.executor is not None, "start() first"
        return ray.get(self.executor.state.remote(), timeout=30)

    def scanner_stats(self) -> list[dict]:
        return ray.get([s.stats.remote() for s in self.scanners], timeout=30)

    def stop_feeds_and_drain(self) -> None:
        """Close the feeds (no new decision), then let the executor finish the orders open at
        the venues (live) — the first half of :meth:`stop`, for a final state that is final."""
        for ref in [f.stop.remote() for f in self.feeds]:
            try:
                ray.get(ref, timeout=10)
            except ray.exceptions.RayError as exc:  # includes timeouts and dead actors
                log.warning("stopping a feed: %s", exc)
        if self.executor is not None:  # live: the orders at the venues finish first
            try:
                still_open = ray.get(self.executor.drain.remote(), timeout=30)
                if still_open:
                    log.warning("%d orders still open at the venues: they are in the journal; live.resume=true continues them",
                                still_open)
            except ray.exceptions.RayError as exc:
                log.warning("draining the executor: %s", exc)

    def stop(self) -> None:
        """Close the feeds, then kill every actor and free the placement groups — each step
        whatever happened to the others (a half-stopped topology would keep trading)."""
        self.stop_feeds_and_drain()
        for actor in self.actors():
            try:
                ray.kill(actor, no_restart=True)
            except (ray.exceptions.RayError, ValueError) as exc:
                log.warning("killing an actor: %s", exc)
        for group in self.groups:
            try:
                remove_placement_group(group)
            except (ray.exceptions.RayError, ValueError) as exc:
                log.warning("removing a placement group: %s", exc)


def live_books(health: Sequence[dict]) -> int:
    """Books that may be scanned now, over the feed actors' :meth:`FeedActor.health` answers."""
    return sum(h.get("live", 0) for h in health)
