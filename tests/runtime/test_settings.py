"""Config → domain values: one freshness rule, exact numbers, and disabled venues gone everywhere."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from arb.config import ArbConf, StrategyConf, UniverseConf, VenueConf
from arb.core.numbers import ONE
from arb.runtime import settings
from arb.runtime.backtest import run_backtest
from arb.runtime.live import build_feeds
from arb.sim.market import instruments
from arb.sim.presets import three_venues
from arb.sim.recording import write_recording


def test_one_freshness_setting_drives_feeds_scanner_and_risk():
    conf = ArbConf(strategy=StrategyConf(max_age_s=2.5))
    assert settings.scan_config(conf).max_age_ns == 2_500_000_000
    assert settings.risk_limits(conf).max_data_age_ns == 2_500_000_000
    assert {settings.feed_options(conf, v).stale_after_s for v in conf.active_venues()} == {2.5}


def test_numbers_are_the_decimals_the_user_wrote():
    conf = ArbConf(strategy=StrategyConf(min_profit_quote=0.1, max_notional_quote=0.3))
    conf.risk.max_position = {"BTC": 0.07}
    conf.executor.latency_ms = 0.1
    scan, limits = settings.scan_config(conf), settings.risk_limits(conf)
    assert (scan.min_profit_quote, scan.max_notional_quote) == (ONE // 10, 3 * ONE // 10)
    assert limits.max_position == {"BTC": 7 * ONE // 100} and limits.error_rate_limit == ONE // 100
    assert set(settings.latencies_ns(conf).values()) == {100_000}


def test_the_schema_defaults_reach_the_domain_objects():
    conf = ArbConf()
    scan, limits = settings.scan_config(conf), settings.risk_limits(conf)
    assert (scan.min_profit_quote, scan.max_notional_quote, scan.max_age_ns, scan.depth) == (ONE // 2, 1000 * ONE, 5_000_000_000, 20)
    assert (limits.max_notional_quote, limits.max_open_legs, limits.error_window_orders) == (1000 * ONE, 4, 200)


def _without_kraken() -> ArbConf:
    conf = ArbConf(universe=UniverseConf(venues=["binance", "kraken", "okx"], symbols=["BTC/USDT", "ETH/USDT"]))
    conf.venues["kraken"] = VenueConf(enabled=False)
    return conf


def test_a_disabled_venue_gets_no_fee_latency_balance_or_feed():
    conf = _without_kraken()
    assert conf.active_venues() == ["binance", "okx"]
    assert set(settings.scan_config(conf).taker_fee_rates) == {"binance", "okx"}  # a venue without a fee is never traded
    assert set(settings.latencies_ns(conf)) == {"binance", "okx"}
    assert {venue for venue, _ in settings.starting_balances(conf)} == {"binance", "okx"}
    assert set(settings.trader_config(conf).taker_fee_rates) == {"binance", "okx"}
    assert set(build_feeds(conf, asyncio.Event())) == {"binance", "okx"}  # never connected


def test_a_disabled_venue_is_not_simulated():
    from workflows.backtest import sim_market

    assert sim_market(_without_kraken()).venue_names == ("binance", "okx")


@pytest.mark.slow
def test_a_disabled_venue_backtests_exactly_like_a_universe_without_it(tmp_path):
    market = three_venues(2)
    path = tmp_path / "market.jsonl.gz"
    write_recording(path, market, 5, duration_s=30)
    symbols = list(market.symbol_names)
    disabled = ArbConf(universe=UniverseConf(venues=list(market.venue_names), symbols=symbols))
    disabled.venues["kraken"] = VenueConf(enabled=False)
    absent = ArbConf(universe=UniverseConf(venues=[v for v in market.venue_names if v != "kraken"], symbols=symbols))

    with_flag = run_backtest([path], disabled, instruments(market))
    without = run_backtest([path], absent, instruments(market))

    assert with_flag.trades, "the simulated dislocations should produce trades"
    assert all("kraken" not in (t.buy_venue, t.sell_venue) for t in with_flag.trades)
    assert msgspec.json.encode(with_flag.trades) == msgspec.json.encode(without.trades)
    assert with_flag.metrics["events_skipped"] == without.metrics["events_skipped"] > 0
