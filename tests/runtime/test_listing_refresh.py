"""A venue halts a symbol, then lists it again, while ``arb live`` runs: the refreshed listing
takes it out of that venue's feed and the scan, then back in — nothing else resubscribes, no
restart. Against the venue simulators' own instruments endpoints (decoded by each venue's
package), through the local runtime."""

from __future__ import annotations

import asyncio
import time

import msgspec

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
