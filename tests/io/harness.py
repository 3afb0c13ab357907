"""A loopback venue plus a :class:`~arb.io.feed.VenueFeed` on it, for feed tests.

:func:`run` starts both with short timings, records every state the feed reports and every
event it tees, runs one test coroutine against a :class:`Harness`, and tears all down.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable

from arb.book.health import BookState
from arb.book.sync import SeqRule
from arb.io.connection import ConnectionOptions
from arb.io.feed import FeedOptions, VenueFeed
from arb.venues.base import VenueSpec
from tests.io.loopback import LoopbackVenue, levels, until

SYMBOLS = ["BTC/USDT", "ETH/USDT"]
KRAKEN_SYMBOLS = ["BTC/USD", "ETH/USD"]


def fast_options(venue: LoopbackVenue, **overrides) -> FeedOptions:
    connection = overrides.pop("connection", ConnectionOptions(idle_timeout_s=5.0, rollover_overlap_s=0.2))
    return FeedOptions(
        ws_url=venue.ws_url,
        rest_url=venue.rest_url,
        backoff_base_s=0.02,
        backoff_cap_s=0.1,
        snapshot_wait_s=0.1,
        sweep_interval_s=0.02,
        resync_timeout_s=2.0,
        connection=connection,
        **overrides,
    )


class Harness:
    """A loopback venue, a feed on it, and a consumer recording every state it drains."""

    def __init__(self, venue: LoopbackVenue, feed: VenueFeed) -> None:
        self.venue = venue
        self.feed = feed
        self.seen: dict[str, list[str]] = defaultdict(list)
        self.records: list[tuple] = []

    def live(self, *symbols: str) -> bool:
        return all(self.feed.book(s).state is BookState.LIVE for s in symbols or self.feed.symbols)

    def equal(self, symbol: str) -> bool:
        book, truth = self.feed.book(symbol), self.venue.market.books[symbol]
        same_seq = self.venue.spec.seq_rule is SeqRule.NONE or book.seq == self.venue.market.seq[symbol]
        return book.state is BookState.LIVE and same_seq and levels(book) == levels(truth)

    async def settle(self) -> None:
        """Stop the market and wait until every book equals the truth."""
        self.venue.stop_ticker()
        await until(lambda: all(self.equal(s) for s in self.feed.symbols), what="books equal to the venue's")

    async def consume(self) -> None:
        while True:
            for symbol in await self.feed.wait_changed():
                self.seen[symbol].append(self.feed.book(symbol).state.value)


def run(
    spec: VenueSpec,
    symbols: list[str],
    test: Callable[[Harness], Awaitable[None]],
    *,
    seed: int = 11,
    clock=None,
    timeout: float = 20.0,
    credentials=None,
    setup: Callable[[LoopbackVenue], None] | None = None,
    **overrides,
) -> None:
    print("seed", seed)

    async def main() -> None:
        venue = await LoopbackVenue(spec, symbols, seed=seed).start()
        if setup is not None:
            setup(venue)
        feed_kwargs: dict = {"credentials": credentials}
        if clock is not None:
            feed_kwargs["clock"] = clock
        records: list[tuple] = []

        def record(ts, venue_name, kind, data=None, *, conn=None, url=None):
            records.append((ts, venue_name, kind, data, conn, url))

        feed = VenueFeed(
            spec, symbols, options=fast_options(venue, **overrides), rng=random.Random(seed), recorder=record, **feed_kwargs
        )
        harness = Harness(venue, feed)
        harness.records = records
        task = asyncio.ensure_future(feed.run())
        consumer = asyncio.ensure_future(harness.consume())
        try:
            await asyncio.wait_for(test(harness), timeout)
        finally:
            consumer.cancel()
            await feed.close()
            await asyncio.gather(task, consumer, return_exceptions=True)
            await venue.stop()

    asyncio.run(main())
