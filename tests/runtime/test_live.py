"""``arb live`` end to end on loopback: real feeds (arb.io) against the venue simulators
(arb.sim.server), through the local runtime, with every fault type injected.

The market moves only when a test steps it, so "the books end equal to the simulator's
truth" is checked exactly: after the faults stop, the market keeps stepping until every
feed has caught up, then each book is compared level by level with the server's true book.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace

import pytest

from arb.book.health import BookState
from arb.config import ArbConf, FeedConf, LiveConf, UniverseConf
from arb.record.rotating import RotatingRecorder
from arb.replay.verify import verify
from arb.runtime.components import build
from arb.runtime.live import LocalRuntime, build_feeds
from arb.sim import presets
from arb.sim.config import DislocationConfig
from arb.sim.market import instruments
from arb.sim.server import FaultConfig, ServerOptions, SimConfig, SimulatedVenues

pytestmark = pytest.mark.slow

VENUES = ("binance", "okx", "kraken")


@dataclass
class Run:
    live: LocalRuntime
    sims: SimulatedVenues
    scanned_unhealthy: list = field(default_factory=list)
    #: Every feed book's exact levels at the moment all books matched the truth.
    final: dict = field(default_factory=dict)


def _conf(venues: tuple[str, ...], symbols: list[str]) -> ArbConf:
    conf = ArbConf(universe=UniverseConf(venues=list(venues), symbols=symbols))
    # Fast recovery so a test sees several reconnects.
    conf.live = LiveConf(feed=FeedConf(backoff_base_s=0.05, backoff_cap_s=0.4, idle_timeout_s=2.0))
    # The market clock is stepped by hand: views are not "old", books stale only if really stuck.
    conf.strategy.max_age_s = 3600
    conf.risk.max_open_legs = 40
    return conf


def _all_match(run: Run) -> bool:
    for venue, feed in run.live.feeds.items():
        server = run.sims[venue]
        for symbol in feed.symbols:
            book, truth = feed.book(symbol), server.book(symbol)
            depth = book.max_depth
            if not (book.is_live and book.bid_levels(depth) == truth.bid_levels(depth) and book.ask_levels(depth) == truth.ask_levels(depth)):
                return False
    return True


async def _scenario(venues, faults, steps, recorder=None, n_symbols=2, dislocations_per_min=30.0, prepare=None) -> Run:
    market = replace(presets.market(venues, n_symbols), dislocations=DislocationConfig(dislocations_per_min, 80.0, 2.0))
    config = SimConfig(market=market, seed=5, speed=None, faults=faults, options=ServerOptions(ping_interval_s=None))
    conf = _conf(venues, list(market.symbol_names))
    async with SimulatedVenues(config) as sims:
        parts = build(conf, instruments(market))
        wake = asyncio.Event()
        feeds = build_feeds(conf, wake, urls=sims.urls(), recorder=recorder, seed=3)
        live = LocalRuntime(feeds, parts, wake)
        run = Run(live, sims)
        # Watch every scan: a book that is not LIVE must never reach an opportunity.
        original = parts.core.decide

        def watched(now_ns):
            submitted = original(now_ns)
            for opp in submitted:
                for venue in (opp.buy_venue, opp.sell_venue):
                    state = feeds[venue].book(opp.symbol).state
                    if state is not BookState.LIVE:
                        run.scanned_unhealthy.append((venue, opp.symbol, state))
            return submitted

        parts.core.decide = watched
        if prepare is not None:
            prepare(sims)
        stop = asyncio.Event()
        task = asyncio.ensure_future(live.run(stop))
        for _ in range(steps):
            sims.advance(50)
            await asyncio.sleep(0.005)
        # Faults are capped (FaultConfig.limit): keep the market moving until every book caught up.
        for _ in range(300):
            if _all_match(run):
                break
            sims.advance(20)
            await asyncio.sleep(0.02)
        converged = _all_match(run)
        run.final = {
            (venue, symbol): (feed.book(symbol).bid_levels(), feed.book(symbol).ask_levels())
            for venue, feed in feeds.items()
            for symbol in feed.symbols
        }
        stop.set()
        await asyncio.wait_for(task, 10)
        assert converged, {v: f.health().books for v, f in feeds.items()}
        return run


def _fault(kind: str) -> FaultConfig:
    rates = {"stall_s": 0.3, "rest_delay_s": 0.3, "retry_after_s": 1, "after": 20, "limit": 3}
    return FaultConfig(seed=2, **{kind: 0.05}, **rates)


@pytest.mark.parametrize(
    ("kind", "venue"),
    [
        ("drop", "binance"),
        ("drop", "kraken"),
        ("stall", "okx"),
        ("gap", "binance"),
        ("gap", "okx"),
        ("checksum", "kraken"),
        ("checksum", "okx"),
        ("malformed", "binance"),
        ("malformed", "kraken"),
        ("duplicate", "okx"),
        ("reorder", "binance"),
    ],
)
def test_engine_survives_each_stream_fault_and_books_end_equal_to_the_truth(kind, venue):
    run = asyncio.run(asyncio.wait_for(_scenario(VENUES, {venue: _fault(kind)}, steps=120), 60))
    stats = run.live.stats
    assert stats.errors == 0 and run.live.parts.risk.state == "active"
    assert run.sims[venue].faults.counts[kind] >= 1
    assert run.scanned_unhealthy == []
    health = run.live.feeds[venue].health()
    if kind == "drop":
        assert sum(c.reconnects for c in health.connections) >= 1
    if kind == "gap":
        assert health.gaps >= 1 and health.resyncs >= 1
    if kind in ("reorder", "duplicate"):  # across symbols a swap is harmless; within one it is a gap
        assert health.resyncs >= health.gaps
    if kind == "checksum":
        assert health.checksum_failures >= 1 and health.resyncs >= 1
    if kind == "malformed":
        assert health.decode_errors >= 1
    # The engine went on deciding (and trading) across the fault.
    assert stats.passes > 50 and run.live.core.decider.scans > 0


@pytest.mark.parametrize("kind", ["rest_slow", "rest_429"])
def test_slow_and_rate_limited_snapshots_still_sync(kind):
    faults = {"binance": FaultConfig(seed=2, rest_delay_s=0.3, retry_after_s=1)}

    def prepare(sims):
        sims["binance"].inject_rest("slow" if kind == "rest_slow" else "429", count=2)

    run = asyncio.run(asyncio.wait_for(_scenario(("binance", "okx"), faults, steps=60, prepare=prepare), 60))
    assert run.sims["binance"].faults.counts[kind.replace("_", "-")] == 2
    assert run.live.stats.errors == 0
    health = run.live.feeds["binance"].health()
    if kind == "rest_429":
        assert health.rate_limited >= 1


def test_arbitrage_is_found_and_paper_traded_across_simulated_venues():
    run = asyncio.run(asyncio.wait_for(_scenario(VENUES, {}, steps=200, dislocations_per_min=60.0), 60))
    core = run.live.core
    assert core.decider.opportunities_seen > 0 and core.trader.opportunities_taken > 0
    assert core.trades and run.scanned_unhealthy == []
    assert all(v >= 0 for v in run.live.parts.portfolio.balances().values())


def test_the_recorders_output_replays_to_the_same_books(tmp_path):
    recorder = RotatingRecorder(tmp_path, ["BTC/USDT", "ETH/USDT"], "test", rotate_s=0.4, flush_s=0.1)
    faults = {"binance": _fault("gap"), "okx": _fault("checksum")}
    run = asyncio.run(asyncio.wait_for(_scenario(VENUES, faults, steps=120, recorder=recorder), 60))
    recorder.close()
    assert len(recorder.files) > len(VENUES)  # it rotated
    for venue, feed in run.live.feeds.items():
        files = sorted(p for p in recorder.files if p.name.startswith(venue))
        result = verify(files)
        assert result.stats.checksum_failed == (feed.health().checksum_failures)
        for symbol in feed.symbols:
            replayed = result.venues[venue].book(symbol)
            assert (replayed.bid_levels(), replayed.ask_levels()) == run.final[(venue, symbol)], (venue, symbol)
    # ... and the same files backtest (all venues merged by time) with nothing skipped.
    from arb.config import ArbConf, UniverseConf
    from arb.runtime.backtest import run_backtest

    backtest = run_backtest(recorder.files, ArbConf(universe=UniverseConf(venues=list(VENUES), symbols=["BTC/USDT", "ETH/USDT"])))
    assert backtest.metrics["events"] == recorder.records and backtest.metrics["decode_errors"] == 0
    assert backtest.sync["checksum_failed"] == sum(f.health().checksum_failures for f in run.live.feeds.values())
