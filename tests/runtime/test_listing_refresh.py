"""A venue halts a symbol, then lists it again, while ``arb live`` runs: the refreshed listing
takes it out of that venue's feed and the scan, then back in — nothing else resubscribes, no
restart. Against the venue simulators' own instruments endpoints (decoded by each venue's
package), through the local runtime."""

from __future__ import annotations

import asyncio
import time

import msgspec
import pytest

from arb.core.instruments import Instruments
from arb.config import ArbConf, FeedConf, LiveConf, UniverseConf
from arb.runtime import universe
from arb.runtime.components import build
from arb.runtime.live import LocalRuntime, build_feeds
from arb.sim import presets
from arb.sim.market import instruments
from arb.sim.server import ServerOptions, SimConfig, SimulatedVenues

VENUES = ("binance", "okx", "kraken")


async def _until(check, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.02)
    return check()


def _conf(symbols: list[str]) -> ArbConf:
    conf = ArbConf(universe=UniverseConf(venues=list(VENUES), symbols=symbols))
    conf.live = LiveConf(feed=FeedConf(backoff_base_s=0.05, backoff_cap_s=0.4))
    return conf


def test_a_symbol_halted_on_a_venue_leaves_its_feed_and_the_scan_and_comes_back():
    async def scenario() -> None:
        market = presets.market(VENUES, 3)
        symbols = list(market.symbol_names)
        gone = symbols[1]
        config = SimConfig(market=market, seed=5, speed=50.0, options=ServerOptions(ping_interval_s=None))
        conf = _conf(symbols)
        async with SimulatedVenues(config) as sims:
            parts = build(conf, instruments(market))
            wake = asyncio.Event()
            feeds = build_feeds(conf, wake, urls=sims.urls(), seed=3, instruments=parts.instruments)
            live = LocalRuntime(feeds, parts, wake)
            stop = asyncio.Event()
            task = asyncio.ensure_future(live.run(stop))
            try:
                assert await _until(lambda: all(f.health().books.get("live", 0) == len(symbols) for f in feeds.values()))
                connections = {v: [(c.index, c.session, c.reconnects) for c in f.health().connections] for v, f in feeds.items()}

                sims["okx"].exchange.halted.add(gone)
                listed, listing = await universe.current(conf, sims.urls())
                assert listed == symbols and not listing.get("okx", gone).trading
                moved = live.apply_listing(listed, listing)
                assert moved == {"okx": ([], [gone])}
                assert gone not in feeds["okx"].state.symbols and parts.decider.view("okx", gone) is None
                assert not parts.instruments.get("okx", gone).trading
                # the other venues' connections were not touched
                assert all([(c.index, c.session, c.reconnects) for c in feeds[v].health().connections] == connections[v] for v in ("binance", "kraken"))
                await asyncio.sleep(0.3)
                assert parts.decider.view("okx", gone) is None  # its frames no longer reach the scan
                assert all(o.symbol != gone or "okx" not in (o.buy_venue, o.sell_venue) for o in parts.trader.recent)

                sims["okx"].exchange.halted.discard(gone)
                moved = live.apply_listing(*await universe.current(conf, sims.urls()))
                assert moved == {"okx": ([gone], [])}
                assert await _until(lambda: feeds["okx"].book(gone) is not None and feeds["okx"].book(gone).is_live)
                assert await _until(lambda: parts.decider.view("okx", gone) is not None)
                assert live.stats.refreshes == 2 and live.stats.errors == 0
            finally:
                stop.set()
                await asyncio.wait_for(task, 10)

    asyncio.run(asyncio.wait_for(scenario(), 60))


def test_the_subscription_plan_leaves_out_what_a_venue_does_not_trade():
    market = presets.market(VENUES, 3)
    symbols = list(market.symbol_names)
    listing = instruments(market)
    assert universe.subscriptions(VENUES, symbols, listing) == {v: symbols for v in VENUES}
    for venue in ("okx", "kraken"):  # traded on binance alone: nothing to arbitrage it against
        listing.add(msgspec.structs.replace(listing.get(venue, symbols[0]), status="halted"))
    listing.by_key.pop(("binance", symbols[2]))  # not listed there
    plan = universe.subscriptions(VENUES, symbols, listing)
    assert plan == {"binance": [symbols[1]], "okx": symbols[1:], "kraken": symbols[1:]}
    # a venue whose listing is unknown carries every symbol
    assert universe.subscriptions(VENUES, symbols, Instruments()) == {v: symbols for v in VENUES}


@pytest.mark.slow
def test_on_ray_a_halted_symbol_leaves_only_its_venues_feed_and_comes_back(ray_shards, tmp_path):
    """The same on the Ray topology: the feed actor of the shard that holds the symbol
    unsubscribes it on that venue only, its scanner forgets the view, the executor sizes with
    the new instruments; listed again, it is subscribed and goes live."""
    ray = ray_shards
    from arb.runtime.ray_topology import RayTopology

    market = presets.market(VENUES, 4)
    symbols = list(market.symbol_names)
    gone = symbols[2]
    conf = _conf(symbols)

    def venue_health(topo) -> dict[tuple[int, str], dict]:
        return {(h["shard"], h["venue"]): h for h in topo.health()}

    def all_live(topo, expected: int) -> bool:
        return sum(h.get("live", 0) for h in topo.health()) == expected

    async def wait(check, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not await asyncio.to_thread(check):
            assert time.monotonic() < deadline, "timed out"
            await asyncio.sleep(0.3)

    async def scenario() -> None:
        config = SimConfig(market=market, seed=5, speed=1.0, options=ServerOptions(ping_interval_s=None))
        async with SimulatedVenues(config) as sims:
            topo = RayTopology(conf, tmp_path / "journal.sqlite", instruments(market), sims.urls(), shards=2, actor_cpus=0.05)
            await asyncio.to_thread(topo.start)
            try:
                await wait(lambda: all_live(topo, len(symbols) * 3))
                shard = next(s for s, items in topo.assignment().items() if gone in items)
                before = await asyncio.to_thread(venue_health, topo)

                sims["okx"].exchange.halted.add(gone)
                listed, listing = await universe.current(conf, sims.urls())
                moved = await asyncio.to_thread(topo.apply_listing, listed, listing)
                assert moved == {"okx": ([], [gone])}
                await wait(lambda: all_live(topo, len(symbols) * 3 - 1))
                after = await asyncio.to_thread(venue_health, topo)
                assert after[(shard, "okx")]["symbols"] == before[(shard, "okx")]["symbols"] - 1
                assert {k: h["symbols"] for k, h in after.items() if k != (shard, "okx")} == \
                       {k: h["symbols"] for k, h in before.items() if k != (shard, "okx")}
                scanner = topo.shards[shard].scanner
                assert ray.get(scanner.view.remote("okx", gone), timeout=30) is None

                sims["okx"].exchange.halted.discard(gone)
                moved = await asyncio.to_thread(topo.apply_listing, *await universe.current(conf, sims.urls()))
                assert moved == {"okx": ([gone], [])}
                await wait(lambda: all_live(topo, len(symbols) * 3))
                await wait(lambda: ray.get(scanner.view.remote("okx", gone), timeout=30) is not None)
            finally:
                await asyncio.to_thread(topo.stop)

    asyncio.run(asyncio.wait_for(scenario(), 240))
