"""Symbols join and leave a running feed: only they are (un)subscribed; the others' books stay live
on the connections they were on."""

from __future__ import annotations

import asyncio
import time

import pytest

from arb.io.feed import FeedOptions, VenueFeed
from arb.io.options import ConnectionOptions
from arb.sim import presets
from arb.sim.server import ServerOptions, SimConfig, SimulatedVenues
from arb.venues.registry import get as get_spec


async def _until(check, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("venue", ["okx", "binance", "kraken"])
def test_symbols_join_and_leave_without_touching_the_others(venue):
    market = presets.market((venue,), 6)
    symbols = list(market.symbol_names)

    async def scenario():
        config = SimConfig(market=market, seed=3, speed=4.0, options=ServerOptions(ping_interval_s=None))
        async with SimulatedVenues(config) as sims:
            server = sims[venue]
            options = FeedOptions(ws_url=server.ws_url, rest_url=server.rest_url, max_symbols_per_connection=2,
                                  connection=ConnectionOptions(compression=None))
            feed = VenueFeed(get_spec(venue), symbols[:4], options=options)
            task = asyncio.ensure_future(feed.run())
            try:
                await _until(lambda: len(feed.live_symbols()) == 4)
                kept = {s: feed.book(s) for s in symbols[:3]}
                resyncs = feed.health().resyncs
                connections = server.stats["connections"]

                # A symbol leaves (its link keeps one other), two join (one new link).
                assert feed.remove_symbols([symbols[3], "NOT/THERE"]) == [symbols[3]]
                assert feed.add_symbols([symbols[4], symbols[5], symbols[0]]) == [symbols[4], symbols[5]]
                assert feed.symbols == [*symbols[:3], symbols[4], symbols[5]]
                await _until(lambda: sorted(feed.live_symbols()) == sorted([*symbols[:3], symbols[4], symbols[5]]))
                assert feed.book(symbols[3]) is None
                assert feed.connection_sizes() == [2, 1, 2]
                assert server.stats["connections"] == connections + 1  # only the new link connected
                assert feed.health().resyncs == resyncs  # nobody else resynced
                for symbol, book in kept.items():
                    assert feed.book(symbol) is book and book.is_live

                # The link of the symbol that left is still up; where the venue can, nothing of
                # it streams any more.
                if get_spec(venue).unsubscribe_frames is not None:
                    await asyncio.sleep(0.3)
                    streaming = {s.symbol for sess in server.sessions.values() for s in sess.streams if s.sessions}
                    assert symbols[3] not in streaming

                # Both symbols of the first link leave: its connection closes.
                assert feed.remove_symbols(symbols[:2]) == sorted(symbols[:2])
                await _until(lambda: server.stats["disconnects"] >= 1)
                assert feed.connection_sizes() == [1, 2]
                assert feed.health().state == "up"
                assert sorted(feed.live_symbols()) == sorted([symbols[2], symbols[4], symbols[5]])
            finally:
                await feed.close()
                task.cancel()

    asyncio.run(scenario())
