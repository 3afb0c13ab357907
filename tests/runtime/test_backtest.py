"""Backtests on simulated markets: determinism, invariants, the public API."""

from __future__ import annotations

import msgspec
import pytest

from arb.config import ArbConf, UniverseConf
from arb.core.errors import ConfigError
from arb.exec.orders import Fill
from arb.runtime.backtest import run_backtest
from arb.sim.market import instruments
from arb.sim.presets import three_venues
from arb.sim.recording import write_recording

SEED = 11


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    config = three_venues(4)
    path = tmp_path_factory.mktemp("sim") / "market.jsonl.gz"
    write_recording(path, config, SEED, duration_s=40)
    return path, instruments(config)


def conf(**executor) -> ArbConf:
    c = ArbConf(universe=UniverseConf(venues=["binance", "okx", "kraken"], symbols=["BTC/USDT"]))
    for key, value in executor.items():
        setattr(c.executor, key, value)
    return c


def test_same_inputs_give_identical_trades_and_pnl(market):
    path, inst = market
    first = run_backtest([path], conf(), inst)
    second = run_backtest([path], conf(), inst)
    assert first.trades, "the simulated dislocations should produce trades"
    assert msgspec.json.encode(first.trades) == msgspec.json.encode(second.trades)
    assert msgspec.json.encode(list(first.journal)) == msgspec.json.encode(list(second.journal))
    stable = {k: v for k, v in first.metrics.items() if k not in ("wall_s", "events_per_s")}
    assert stable == {k: v for k, v in second.metrics.items() if k not in ("wall_s", "events_per_s")}
    assert first.equity == second.equity


def test_books_stay_exact_and_every_record_is_used(market):
    path, inst = market
    result = run_backtest([path], conf(), inst)
    assert result.sync["gaps"] == 0 and result.sync["checksum_failed"] == 0 and result.sync["crossed"] == 0
    assert result.metrics["decode_errors"] == 0 and result.metrics["events_skipped"] == 0
    assert result.metrics["opportunities_taken"] <= result.metrics["opportunities_seen"]


@pytest.mark.parametrize("policy", ["unwind", "hedge", "hold"])
def test_balances_never_negative_and_fills_respect_limits(market, policy):
    path, inst = market
    c = conf(one_legged_policy=policy, latency_ms=80.0)  # slow: more one-legged fills
    result = run_backtest([path], c, inst)
    fills = [r for r in result.journal if isinstance(r, Fill)]
    assert fills
    for fill in fills:
        assert 0 <= fill.qty <= fill.qty_ordered
    for trade in result.trades:
        assert trade.buy_filled <= trade.intended_qty and trade.sell_filled <= trade.intended_qty
        if policy == "hold":
            assert trade.action in ("none", "hold")
    # Replaying again while watching the portfolio after every event.
    from arb.runtime import backtest as bt

    seen_negative = []
    original = bt.build

    def watching(*args, **kwargs):
        parts = original(*args, **kwargs)
        advance = parts.core.advance

        def checked(now_ns):
            done = advance(now_ns)
            seen_negative.extend(k for k, v in parts.portfolio.balances().items() if v < 0)
            return done

        parts.core.advance = checked
        return parts

    bt.build = watching
    try:
        bt.run_backtest([path], c, inst)
    finally:
        bt.build = original
    assert seen_negative == []


def test_higher_minimum_profit_never_takes_more_trades(market):
    path, inst = market
    low = conf()
    high = conf()
    high.strategy.min_profit_quote = 5.0
    assert run_backtest([path], high, inst).metrics["opportunities_seen"] <= run_backtest([path], low, inst).metrics["opportunities_seen"]


def test_no_recordings_is_a_config_error():
    with pytest.raises(ConfigError):
        run_backtest([], ArbConf())


def test_skipping_quiet_books_changes_no_trade(market):
    """Books changed below an unchanged top are not rescanned when every pair of their venue
    failed the pre-filter: the trades must be exactly those of scanning every change."""
    from arb.runtime import backtest as bt

    path, inst = market
    original = bt.build

    def scanning_everything(*args, **kwargs):
        parts = original(*args, **kwargs)
        parts.decider.skip_quiet = False
        return parts

    c = conf(latency_ms=30.0)
    fast = run_backtest([path], c, inst)
    bt.build = scanning_everything
    try:
        full = run_backtest([path], c, inst)
    finally:
        bt.build = original
    assert fast.trades and msgspec.json.encode(fast.trades) == msgspec.json.encode(full.trades)
    assert msgspec.json.encode(list(fast.journal)) == msgspec.json.encode(list(full.journal))
    assert fast.metrics["opportunities_seen"] == full.metrics["opportunities_seen"]
    assert fast.metrics["pairs_checked"] < full.metrics["pairs_checked"]  # it did skip


def test_a_venue_that_falls_silent_goes_stale_as_it_would_live(market, tmp_path):
    """The live feed's staleness rule runs on the replay clock: okx's records stop half way,
    so its books go STALE (and leave the scan and the fills) 5 s later."""
    from arb.record import RecordingReader, RecordingWriter

    path, inst = market
    cut = tmp_path / "okx-goes-quiet.jsonl.gz"
    with RecordingReader(path) as reader, RecordingWriter(cut, None, reader.header.symbols, "test") as writer:
        records = list(reader)
        half = records[0].ts + (records[-1].ts - records[0].ts) // 2
        for rec in records:
            if rec.venue != "okx" or rec.ts < half:
                writer.write(rec.ts, rec.venue, rec.kind, rec.data, conn=rec.conn, url=rec.url)
    assert run_backtest([path], conf(), inst).metrics["books_went_stale"] == 0
    quiet = run_backtest([cut], conf(), inst)
    assert quiet.metrics["books_went_stale"] >= 1
    late = [t for t in quiet.trades if "okx" in (t.buy_venue, t.sell_venue) and t.ts_decision_ns > half + 5_000_000_000]
    assert late == []


@pytest.mark.timeout(60)
def test_one_record_at_year_2262_neither_hangs_nor_moves_the_clock(market, tmp_path):
    """Issue 10: one record at ts = 2^63-1 made the replay step once per second to 2262."""
    from arb.record import RecordingReader, RecordingWriter

    path, inst = market
    bad = tmp_path / "one-bad-time.jsonl.gz"
    with RecordingReader(path) as reader, RecordingWriter(bad, None, reader.header.symbols, "test") as writer:
        for n, rec in enumerate(reader):
            writer.write(2**63 - 1 if n == 100 else rec.ts, rec.venue, rec.kind, rec.data, conn=rec.conn, url=rec.url)
    result = run_backtest([bad], conf(), inst)
    assert result.metrics["events_bad_time"] == 1 and any("records skipped" in w for w in result.warnings)
    assert result.metrics["replay_s"] < 3600 and len(result.equity) < 1000
