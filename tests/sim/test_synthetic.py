"""A market at market size: the synthetic preset's shape, listings and halts in the model and the
simulators, quiet symbols publishing less often — and today's presets unchanged."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from dataclasses import replace

import aiohttp

from arb.core.errors import ConfigError
from arb.sim.config import validate
from arb.sim.market import MarketModel, instruments
from arb.sim.presets import UNIVERSE, seven_venues, synthetic
from arb.sim.server import ServerOptions, SimConfig, SimulatedVenues

TICK_NS = 10_000_000


def _venues_listing(config):
    listed = {v.name: set(config.listed(v.name)) for v in config.venues}
    return {s: sorted(v for v in listed if s in listed[v]) for s in config.symbol_names}


def test_todays_presets_make_exactly_the_market_they_made_before():
    # The digest of 30 s of the 7 x 10 preset (seed 3), taken before listings and update
    # tiers existed: a model that visits books by schedule must not change a thing.
    model = MarketModel(seven_venues(10), seed=3, start_ns=0)
    digest = hashlib.sha256()
    n = 0
    for i in range(1, 3001):
        for c in model.step(i * TICK_NS):
            digest.update(repr((c.venue, c.symbol, c.ts_ns, c.bids, c.asks)).encode())
            n += 1
    assert n == 25351
    assert digest.hexdigest() == "1bc2d6c714ee77e110627bb3328b7c4118cdd294ccbae5e8eada847e85a3cb58"


def test_the_synthetic_market_has_majors_everywhere_a_long_tail_on_one_or_two_venues_and_a_few_halts():
    config = synthetic(300)
    assert validate(config) == []
    assert len(config.symbols) == 300 and config == synthetic(300)  # the same arguments, the same market
    where = _venues_listing(config)
    for sym in UNIVERSE:
        assert len(where[sym.symbol]) == 7
    spread = Counter(len(v) for v in where.values())
    assert spread[1] + spread[2] > 150  # the long tail
    assert spread[1] > 0 and spread[2] > 0 and any(spread[k] for k in range(3, 7))
    assert 0 < sum(len(v.halted) for v in config.venues) <= 10
    for venue in config.venues:
        for symbol in venue.halted:
            assert len(where[symbol]) >= 2 and symbol not in {s.symbol for s in UNIVERSE}
    # Quiet symbols publish in fewer windows; majors in every one.
    assert {s.update_every for s in config.symbols[:20]} == {1}
    assert {s.update_every for s in config.symbols[20:]} == {3, 10}


def test_ticks_and_lots_differ_between_venues():
    config = synthetic(300, full_overlap=True)
    rules = instruments(config)
    assert len(rules) == 7 * 300
    lots = ticks = 0
    for symbol in config.symbol_names:
        per_venue = [rules.get(v, symbol) for v in config.venue_names]
        lots += len({i.lot_size for i in per_venue}) > 1
        ticks += len({i.tick_size for i in per_venue}) > 1
    assert lots == 300 and ticks > 30


def test_a_bad_listing_is_named():
    config = synthetic(30)
    bad = replace(config, venues=(replace(config.venues[0], listed=("NOPE/USDT",), halted=("BTC/USDT",)), *config.venues[1:]))
    problems = validate(bad)
    assert any(p.startswith("venues[0].listed: not symbols of the market: NOPE/USDT") for p in problems)
    assert any(p.startswith("venues[0].halted: not listed on this venue: BTC/USDT") for p in problems)
    quiet = replace(config, symbols=(replace(config.symbols[0], update_every=0), *config.symbols[1:]))
    assert validate(quiet) == ["symbols[0].update_every: must be a whole number of at least 1, got 0"]
    try:
        MarketModel(bad, seed=1)
    except ConfigError as exc:
        assert "NOPE/USDT" in str(exc)
    else:
        raise AssertionError("a bad listing must be refused")


def test_the_model_keeps_books_of_listed_symbols_only_halted_ones_frozen_and_quiet_ones_less_often():
    config = synthetic(120, seed=4)
    model = MarketModel(config, seed=2, start_ns=0)
    assert set(model.books) == {(v.name, s) for v in config.venues for s in config.listed(v.name)}
    halted = {(v.name, s) for v in config.venues for s in v.halted}
    assert halted
    frozen = {key: (model.books[key].bids(), model.books[key].asks()) for key in halted}
    counts: Counter = Counter()
    for i in range(1, 1001):  # 10 s
        for change in model.step(i * TICK_NS):
            counts[(change.venue, change.symbol)] += 1
    assert not set(counts) & halted
    for key, (bids, asks) in frozen.items():
        assert (model.books[key].bids(), model.books[key].asks()) == (bids, asks)
    every = {s.symbol: s.update_every for s in config.symbols}
    binance = {s: n for (v, s), n in counts.items() if v == "binance"}
    majors = [n for s, n in binance.items() if every[s] == 1]
    tail = [n for s, n in binance.items() if every[s] == 10]
    assert min(majors) >= 30 and max(tail) <= 10  # 100 ms windows: up to 10/s against ≤ 1/s
    assert all(d.venue in config.venue_names and (d.venue, d.symbol) not in halted for d in model.dislocations)


def test_each_simulated_venue_serves_only_what_it_lists_and_says_which_are_halted():
    config = replace(synthetic(60, venues=("binance", "okx", "kraken"), seed=5), name="cover")

    async def scenario():
        sim = SimConfig(market=config, seed=1, speed=None, options=ServerOptions(ping_interval_s=None))
        async with SimulatedVenues(sim) as sims:
            for venue in config.venues:
                server = sims[venue.name]
                assert server.symbols == config.listed(venue.name)
                assert server.exchange is not None and server.exchange.halted == set(venue.halted)
            binance = config.venues[0]
            async with aiohttp.ClientSession() as http:
                async with http.get(sims["binance"].rest_url + "/api/v3/exchangeInfo") as response:
                    body = json.loads(await response.text())
            status = {s["symbol"]: s["status"] for s in body["symbols"]}
            assert len(status) == len(config.listed("binance"))
            assert {k for k, v in status.items() if v == "HALT"} == {s.replace("/", "") for s in binance.halted}

    asyncio.run(scenario())
