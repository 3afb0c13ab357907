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
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from arb.config import ArbConf
from arb.io.connection import ConnectionOptions
from arb.io.feed import FeedOptions, Recorder, VenueFeed
from arb.io.health import VenueHealth
from arb.decision.core import DecisionCore
from arb.runtime.components import Components
from arb.venues.base import Credentials
from arb.venues.registry import get as venue_spec

if TYPE_CHECKING:  # importing it imports Ray: only the host that records metrics pays for that
    from arb.runtime.ray_metrics import EngineMetrics

log = logging.getLogger(__name__)

#: ``on_decision(changed [(venue, symbol)…], decided_ns)``
DecisionHook = Callable[[list[tuple[str, str]], int], None]


def feed_options(conf: ArbConf, venue: str, urls: Mapping[str, str] | None = None) -> FeedOptions:
    """A venue's feed settings: ``live.feed`` policy, the venue's URL/depth overrides, and
    (when given) the simulator's URLs, which win."""
    feed, venue_conf = conf.live.feed, conf.venue(venue)
    urls = urls or {}
    return FeedOptions(
        ws_url=urls.get("ws_url") or venue_conf.ws_url,
        rest_url=urls.get("rest_url") or venue_conf.rest_url,
        depth=venue_conf.depth,
        stale_after_s=feed.stale_after_s,
        backoff_base_s=feed.backoff_base_s,
        backoff_cap_s=feed.backoff_cap_s,
        breaker_threshold=feed.breaker_threshold,
        breaker_cooldown_s=feed.breaker_cooldown_s,
        connection=ConnectionOptions(idle_timeout_s=feed.idle_timeout_s, compression="deflate" if feed.compression else None),
    )


def credentials(conf: ArbConf, venue: str) -> Credentials | None:
    """The venue's API credentials from config (environment only), or None."""
    v = conf.venue(venue)
    if not v.api_key:
        return None
    return Credentials(v.api_key, v.api_secret or "", v.api_passphrase or "")


def build_feeds(
    conf: ArbConf,
    wake: asyncio.Event,
    *,
    urls: Mapping[str, Mapping[str, str]] | None = None,
    recorder: Recorder | None = None,
    seed: int | None = None,
) -> dict[str, VenueFeed]:
    """One :class:`VenueFeed` per universe venue for the universe symbols; each sets ``wake``
    when its books change. ``urls``: per venue ``{"ws_url", "rest_url"}`` (simulators)."""
    feeds = {}
    for i, venue in enumerate(conf.universe.venues):
        feeds[venue] = VenueFeed(
            venue_spec(venue),
            conf.universe.symbols,
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


class LocalRuntime:
    """Feeds and the decision core wired in one loop. ``clock`` gives wall-clock ns."""

    def __init__(
        self,
        feeds: Mapping[str, VenueFeed],
        parts: Components,
        wake: asyncio.Event,
        clock: Callable[[], int] = time.time_ns,
        on_decision: DecisionHook | None = None,
    ) -> None:
        """``wake`` is the event every feed's ``notify`` sets (see :func:`build_feeds`)."""
        self.feeds = dict(feeds)
        self.parts = parts
        self.core = parts.core
        self.clock = clock
        self.on_decision = on_decision
        self.stats = LiveStats()
        self._wake = wake
        #: Prometheus metrics of this process (None: not recorded); see :class:`EngineMetrics`.
        self.metrics: EngineMetrics | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Run every feed and the decision loop until ``stop`` is set; then close the feeds
        and finish every open paper order."""
        self.stats.started_ns = self.clock()
        feed_tasks = [asyncio.ensure_future(feed.run()) for feed in self.feeds.values()]
        stopper = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                timeout = self._until_next_due()
                waiter = asyncio.ensure_future(self._wake.wait())
                done, _ = await asyncio.wait({waiter, stopper, *feed_tasks}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                if not waiter.done():
                    waiter.cancel()
                for task in feed_tasks:
                    if task.done() and not task.cancelled() and task.exception() is not None:
                        raise task.exception()  # a feed died: let the supervisor see it
                self._wake.clear()
                self.step()
        finally:
            stopper.cancel()
            for feed in self.feeds.values():
                await feed.close()
            await asyncio.gather(*feed_tasks, return_exceptions=True)
            with self.core.trader.journal.batch():
                self.core.drain(self.clock())

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
        except Exception as exc:  # noqa: BLE001 - the supervisor loop: count, log, keep trading safely
            self.stats.errors += 1
            self.stats.last_error = f"{type(exc).__name__}: {exc}"[:300]
            log.exception("decision pass failed; halting new trades")
            self.parts.risk.kill(f"internal error: {self.stats.last_error}", now)

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

    def _until_next_due(self) -> float | None:
        due = self.core.desk.next_due_ns()
        if due is None:
            return None
        return max(0.0, (due - self.clock()) / 1e9)

    def health(self) -> dict[str, VenueHealth]:
        return {venue: feed.health() for venue, feed in self.feeds.items()}
