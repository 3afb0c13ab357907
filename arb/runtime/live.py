"""The local runtime: venue feeds → books → the decision core, in one asyncio loop.

:class:`LocalRuntime` hosts a :class:`~arb.decision.core.DecisionCore`. Each
:class:`~arb.io.feed.VenueFeed` keeps its books exact and marks the ones that changed; the
loop wakes when any feed has changes (or when the execution port has an event due), hands
the changed books to the core — which rebuilds their views, scans, risk-checks and sends
orders — and hands the port's due events to the trader, against the books as they are at
that moment. Changes are conflated: a burst of updates to one book while the loop is busy
becomes one scan of its latest state.

A feed's unhealthy book (syncing, resyncing, stale, or on a lost connection) arrives as a
non-live view and is skipped by the scanner until it is live again.

Hooks for the shell around it (terminal view, MLflow, benchmarks): :attr:`on_decision` is
called after every pass with the changed ``(venue, symbol)`` pairs and the time;
:attr:`LocalRuntime.metrics` (when set) records every scan's finds for Prometheus.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp

from arb.config import ArbConf
from arb.core.errors import ConfigError
from arb.core.instruments import Instruments
from arb.io.feed import Recorder, VenueFeed
from arb.io.health import VenueHealth
from arb.decision.core import DecisionCore
from arb.exec.live import LiveVenues, VenueAccount
from arb.exec.port import BalancesFetched, FetchBalances
from arb.io.trading import TradingShell
from arb.runtime.components import Components
from arb.runtime.settings import credentials, feed_options
from arb.runtime.universe import subscriptions
from arb.venues.registry import get as venue_spec
from arb.venues.trading import Balance

if TYPE_CHECKING:  # importing it imports Ray: only the host that records metrics pays for that
    from arb.runtime.ray_metrics import EngineMetrics

log = logging.getLogger(__name__)

#: ``on_decision(changed [(venue, symbol)…], decided_ns)``
DecisionHook = Callable[[list[tuple[str, str]], int], None]
#: The universe now: its symbols and their instruments on the venues (a listing fetched anew).
ListingSource = Callable[[], Awaitable[tuple[list[str], Instruments]]]


def build_feeds(
    conf: ArbConf,
    wake: asyncio.Event,
    *,
    urls: Mapping[str, Mapping[str, str]] | None = None,
    recorder: Recorder | None = None,
    seed: int | None = None,
    instruments: Instruments | None = None,
) -> dict[str, VenueFeed]:
    """One :class:`VenueFeed` per active venue for the universe symbols that venue trades
    (:func:`~arb.runtime.universe.subscriptions`: all of them where ``instruments`` know
    nothing of the venue); each sets ``wake`` when its books change. ``urls``: per venue
    ``{"ws_url", "rest_url"}`` (simulators)."""
    plan = subscriptions(conf.active_venues(), conf.universe.symbols, instruments or Instruments())
    feeds = {}
    for i, venue in enumerate(conf.active_venues()):
        left_out = len(conf.universe.symbols) - len(plan[venue])
        if left_out:
            log.info("%s: %d of the universe's symbols not subscribed (not trading there, or on no other venue)",
                     venue, left_out)
        feeds[venue] = VenueFeed(
            venue_spec(venue),
            plan[venue],
            options=feed_options(conf, venue, (urls or {}).get(venue)),
            credentials=credentials(conf, venue),
            recorder=recorder,
            notify=wake.set,
            rng=random.Random(seed + i) if seed is not None else None,
        )
    return feeds


@dataclass
class LiveStats:
    passes: int = 0
    books_scanned: int = 0
    errors: int = 0
    started_ns: int = 0
    last_error: str = ""
    #: Listing refreshes done, and those that failed (the last listing stays in force).
    refreshes: int = 0
    refresh_failures: int = 0


class LocalRuntime:
    """Feeds and the decision core wired in one loop. ``clock`` gives wall-clock ns."""

    def __init__(
        self,
        feeds: Mapping[str, VenueFeed],
        parts: Components,
        wake: asyncio.Event,
        clock: Callable[[], int] = time.time_ns,
        on_decision: DecisionHook | None = None,
        listings: ListingSource | None = None,
        refresh_s: float = 0.0,
    ) -> None:
        """``wake`` is the event every feed's ``notify`` sets (see :func:`build_feeds`).
        ``listings`` (with ``refresh_s`` > 0): where the universe is fetched again every
        ``refresh_s`` while running (see :meth:`apply_listing`)."""
        self.feeds = dict(feeds)
        self.parts = parts
        self.core = parts.core
        self.clock = clock
        self.on_decision = on_decision
        self.listings = listings
        self.refresh_s = refresh_s
        self.stats = LiveStats()
        self._wake = wake
        #: Prometheus metrics of this process (None: not recorded); see :class:`EngineMetrics`.
        self.metrics: EngineMetrics | None = None
        #: Live execution's I/O shell (None when paper trading).
        self.shell: TradingShell | None = None
        #: Live: the venue accounts traded with, and where arb's books and theirs disagreed
        #: at the end (``"venue:asset" → (venue's, arb's)``; empty: reconciled exactly).
        self.accounts: Mapping[str, VenueAccount] | None = None
        self.mismatches: dict[str, tuple[str, str]] | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Run every feed and the decision loop until ``stop`` is set; then close the feeds
        and finish every open order (paper: at once; live: until the venues say each is done,
        at most ``drain_s``)."""
        self.stats.started_ns = self.clock()
        feed_tasks = [asyncio.ensure_future(feed.run()) for feed in self.feeds.values()]
        port = self.core.desk.port
        shell_task = None
        if isinstance(port, LiveVenues):
            self.shell = TradingShell(port, self._wake.set)
            port.notify = self.shell.kick
            shell_task = asyncio.ensure_future(self.shell.run())
            feed_tasks.append(shell_task)
        stopper = asyncio.ensure_future(stop.wait())
        refresher = None
        if self.listings is not None and self.refresh_s > 0:
            refresher = asyncio.ensure_future(self._refresh_every(self.listings, self.refresh_s))
        try:
            while not stop.is_set():
                timeout = self._until_next_due()
                waiter = asyncio.ensure_future(self._wake.wait())
                await asyncio.wait({waiter, stopper, *feed_tasks}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                if not waiter.done():
                    waiter.cancel()
                for task in feed_tasks:
                    if task.done() and not task.cancelled():
                        error = task.exception()
                        if error is not None:
                            raise error  # a feed died: let the supervisor see it
                self._wake.clear()
                self.step()
        finally:
            stopper.cancel()
            if refresher is not None:
                refresher.cancel()
            for feed in self.feeds.values():
                await feed.close()
            if shell_task is not None and self.shell is not None:
                await self._drain_live()
                await self.shell.close()
            await asyncio.gather(*feed_tasks, return_exceptions=True)
            with self.core.trader.journal.batch():
                self.core.drain(self.clock())

    async def _drain_live(self, drain_s: float = 15.0) -> None:
        """Live: keep handing the venues' answers to the trader until no order is open (an
        unwind the end of a run triggers included), or ``drain_s`` passed."""
        deadline = time.monotonic() + drain_s
        while self.core.trader.open_legs() and time.monotonic() < deadline:
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)
            with self.core.trader.journal.batch():
                self.core.advance(self.clock())
        if self.core.trader.open_legs():
            log.warning("%d orders still open at the venues after %.0f s: they are in the journal; "
                        "live.resume=true continues them", self.core.trader.open_legs(), drain_s)

    def step(self) -> None:
        """One pass: every changed book's view current, then the order events that are due,
        then the scans of the changed books (see :class:`~arb.decision.core.DecisionCore`)."""
        now = self.clock()
        core = self.core
        try:
            with core.trader.journal.batch():  # one durable unit per pass (costs nothing without records)
                changed = self._pass(core, now)
            if self.on_decision is not None and changed:
                self.on_decision(changed, self.clock())
        except Exception as exc:  # the supervisor loop: count, log, keep trading safely
            self.stats.errors += 1
            self.stats.last_error = f"{type(exc).__name__}: {exc}"[:300]
            log.exception("decision pass failed; halting new trades")
            self.core.desk.kill(f"internal error: {self.stats.last_error}", now)

    def _pass(self, core: DecisionCore, now: int) -> list[tuple[str, str]]:
        changed: list[tuple[str, str]] = []
        books = []
        for venue, feed in self.feeds.items():
            for symbol in feed.drain_changed():
                book = feed.book(symbol)
                if book is not None:
                    books.append(book)
                    changed.append((venue, symbol))
        if books:
            core.refresh(books, now)
        core.advance(now)  # after the refresh: a follow-up order sees every book as it is now
        if books:
            taken = core.trader.opportunities_taken
            found = core.decide(now)
            self.stats.books_scanned += len(books)
            if self.metrics is not None:
                recent = core.trader.recent
                new = min(core.trader.opportunities_taken - taken, len(recent))
                self.metrics.on_decided(found, list(recent)[len(recent) - new:], self.clock())
        self.stats.passes += 1
        return changed

    async def _refresh_every(self, source: ListingSource, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                symbols, listing = await source()
            except (ConfigError, aiohttp.ClientError, OSError, TimeoutError) as exc:
                self.stats.refresh_failures += 1
                log.warning("listing refresh failed (%s: %s); the last listing stays in force", type(exc).__name__, exc)
                continue
            self.apply_listing(symbols, listing)

    def apply_listing(self, symbols: Sequence[str], listing: Instruments) -> dict[str, tuple[list[str], list[str]]]:
        """The venues' listings fetched anew: their instruments replace the ones in force (the
        scanner, the trader and the port share them: a halted symbol stops being traded at
        once); a symbol of ``symbols`` that now trades on a venue joins its feed, one that no
        longer does (or left ``symbols``) leaves it and the scan — only those are
        (un)subscribed. While orders are open, leaving waits for the next refresh (their
        symbol's book must stay). Returns per venue ``(joined, left)`` where something moved."""
        instruments = self.parts.instruments
        instruments.take_listings(listing)
        self.core.decider.instruments_changed()
        plan = subscriptions(list(self.feeds), list(symbols), instruments)
        busy = self.core.trader.open_legs() > 0
        moved: dict[str, tuple[list[str], list[str]]] = {}
        for venue, feed in self.feeds.items():
            have = set(feed.state.symbols)
            want = plan[venue]
            joined = [s for s in want if s not in have]
            leaving = sorted(have - set(want))
            left = [] if busy else leaving
            if left:
                feed.remove_symbols(left)
                for symbol in left:
                    self.core.decider.forget(venue, symbol)
            if joined:
                feed.add_symbols(joined)
            if joined or left:
                moved[venue] = (joined, left)
                log.info("%s: listing refreshed: %d joined %s, %d left %s", venue, len(joined), joined[:10],
                         len(left), left[:10])
            if busy and leaving:
                log.info("%s: %d symbols leave at the next refresh (orders open now): %s", venue, len(leaving), leaving[:10])
        self.stats.refreshes += 1
        self._wake.set()
        return moved

    def _until_next_due(self) -> float | None:
        due = self.core.desk.next_due_ns()
        if due is None:
            return None
        return max(0.0, (due - self.clock()) / 1e9)

    def health(self) -> dict[str, VenueHealth]:
        return {venue: feed.health() for venue, feed in self.feeds.items()}


async def venue_balances(accounts: Mapping[str, VenueAccount], timeout_s: float = 30.0) -> dict[str, dict[str, Balance]]:
    """Every venue's balances now, fetched concurrently — the pre-flight of live trading and
    the reconciliation at its end: a venue that refuses the credentials or cannot be reached
    fails here, naming the venue (a rate limit is waited out: the port backs off up to 15.5 s).
    No private stream is opened for this (nothing is traded)."""
    port = LiveVenues(accounts, Instruments())
    done = asyncio.Event()
    shell = TradingShell(port, done.set, streams=False)
    port.notify = shell.kick
    runner = asyncio.ensure_future(shell.run())
    port.submit([FetchBalances(tuple(accounts), "preflight")], time.time_ns())
    found: dict[str, dict[str, Balance]] = {}
    problems: dict[str, str] = {}
    deadline = time.monotonic() + timeout_s
    try:
        while len(found) + len(problems) < len(accounts) and time.monotonic() < deadline:
            done.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(done.wait(), 0.2)
            for event in port.events(time.time_ns()):
                if isinstance(event, BalancesFetched):
                    if event.error:
                        problems[event.venue] = event.error
                    else:
                        found[event.venue] = event.balances
    finally:
        await shell.close()
        await runner
    missing = [v for v in accounts if v not in found and v not in problems]
    problems.update({v: f"no answer within {timeout_s:g} s" for v in missing})
    if problems:
        raise ConfigError("; ".join(f"{venue}: cannot trade ({why})" for venue, why in sorted(problems.items())))
    return found