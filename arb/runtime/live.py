"""The live engine in one process: venue feeds → books → scanner → risk → paper executor.

:class:`LiveEngine` runs in one asyncio loop. Each :class:`~arb.io.feed.VenueFeed` keeps its
books exact and marks the ones that changed; the engine wakes when any feed has changes (or
when a paper order falls due), hands the changed books to :class:`~arb.runtime.engine.Engine`
— which rebuilds their views, scans, risk-checks and submits — and lets the executor fill
due orders against the books as they are at that moment. Changes are conflated: a burst of
updates to one book while the engine is busy becomes one scan of its latest state.

A feed's unhealthy book (syncing, resyncing, stale, or on a lost connection) arrives as a
non-live view and is skipped by the scanner until it is live again.

Hooks for the shell around it (terminal view, MLflow, benchmarks): :attr:`on_decision` is
called after every engine pass with the changed ``(venue, symbol)`` pairs and the time.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from arb.config import ArbConf
from arb.io.feed import Recorder, VenueFeed
from arb.io.health import VenueHealth
from arb.runtime.components import Components
from arb.runtime.settings import credentials, feed_options
from arb.venues.registry import get as venue_spec

log = logging.getLogger(__name__)

#: ``on_decision(changed [(venue, symbol)…], decided_ns)``
DecisionHook = Callable[[list[tuple[str, str]], int], None]


def build_feeds(
    conf: ArbConf,
    wake: asyncio.Event,
    *,
    urls: Mapping[str, Mapping[str, str]] | None = None,
    recorder: Recorder | None = None,
    seed: int | None = None,
) -> dict[str, VenueFeed]:
    """One :class:`VenueFeed` per active venue for the universe symbols; each sets ``wake``
    when its books change. ``urls``: per venue ``{"ws_url", "rest_url"}`` (simulators)."""
    feeds = {}
    for i, venue in enumerate(conf.active_venues()):
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
    recent_opportunities: list = field(default_factory=list)


class LiveEngine:
    """Feeds and decision components wired in one loop. ``clock`` gives wall-clock ns."""

    def __init__(
        self,
        feeds: Mapping[str, VenueFeed],
        parts: Components,
        wake: asyncio.Event,
        clock: Callable[[], int] = time.time_ns,
        on_decision: DecisionHook | None = None,
        keep_recent: int = 20,
    ) -> None:
        """``wake`` is the event every feed's ``notify`` sets (see :func:`build_feeds`)."""
        self.feeds = dict(feeds)
        self.parts = parts
        self.engine = parts.engine
        self.clock = clock
        self.on_decision = on_decision
        self.stats = LiveStats()
        self._wake = wake
        self._keep_recent = keep_recent

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
            self.engine.drain(self.clock())

    def step(self) -> None:
        """One engine pass: fill what is due, then scan every changed book."""
        now = self.clock()
        engine = self.engine
        try:
            engine.advance(now)
            changed: list[tuple[str, str]] = []
            books = []
            for venue, feed in self.feeds.items():
                symbols = feed.drain_changed()
                for symbol in symbols:
                    book = feed.book(symbol)
                    if book is not None:
                        books.append(book)
                        changed.append((venue, symbol))
            if books:
                submitted = engine.on_books(books, now)
                self.stats.books_scanned += len(books)
                if submitted:
                    recent = self.stats.recent_opportunities
                    recent.extend(submitted)
                    del recent[: -self._keep_recent]
            self.stats.passes += 1
            if self.on_decision is not None and changed:
                self.on_decision(changed, self.clock())
        except Exception as exc:  # noqa: BLE001 - the supervisor loop: count, log, keep trading safely
            self.stats.errors += 1
            self.stats.last_error = f"{type(exc).__name__}: {exc}"[:300]
            log.exception("engine pass failed; halting new trades")
            self.parts.risk.kill(f"engine error: {self.stats.last_error}", now)

    def _until_next_due(self) -> float | None:
        due = self.engine.executor.next_due_ns()
        if due is None:
            return None
        return max(0.0, (due - self.clock()) / 1e9)

    def health(self) -> dict[str, VenueHealth]:
        return {venue: feed.health() for venue, feed in self.feeds.items()}
