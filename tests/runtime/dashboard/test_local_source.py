"""The dashboard's view of the local runtime, and the local runtime's Prometheus export under
the names Ray exports."""

from __future__ import annotations

import asyncio

from prometheus_client.parser import text_string_to_metric_families

from arb.config import ArbConf, UniverseConf
from arb.decision.controls import change
from arb.exec.journal import MemoryJournal
from arb.exec.orders import Control
from arb.io.health import ConnectionHealth, VenueHealth
from arb.runtime.components import build
from arb.runtime.dashboard.sources import LocalSource
from arb.runtime.live import LocalRuntime
from arb.runtime.ray_metrics import MS_BUCKETS, SPECS, ArbMetrics, FeedRecorder, exported_name, exposition

VENUES = ["binance", "okx", "kraken"]


def _local(journal: MemoryJournal) -> LocalRuntime:
    conf = ArbConf(universe=UniverseConf(venues=VENUES, symbols=["BTC/USDT"]))
    conf.risk.inventory_floor = {"okx": {"USDT": 2500.0}}
    conf.risk.max_daily_notional_quote = 50000.0
    return LocalRuntime({}, build(conf, journal=journal), asyncio.Event(), clock=lambda: 5_000)


def test_controls_reach_the_decider_and_the_trader_and_are_journalled():
    journal = MemoryJournal()
    live = _local(journal)
    source = LocalSource(live, clock=lambda: 7_000)
    assert live.metrics is source.engine_metrics  # the dashboard turns the runtime's metrics on

    async def scenario() -> None:
        settings = change(await source.settings(), VENUES, min_profit_quote="3", venue="okx", enabled=False)
        await source.apply_settings(settings, "wider margin")
        assert live.core.decider.settings() == settings and live.core.trader.settings == settings
        assert (await source.control("kill", "red button")).approved
        assert not (await source.control("resume", "too soon")).approved
        snap = await source.snapshot()
        assert snap["risk"]["killed"] and snap["risk"]["state"] == "halted"
        assert snap["settings"] == {"min_profit_quote": "3", "max_notional_quote": "1000", "disabled_venues": ["okx"]}
        ok, detail = await source.ready()
        assert not ok and detail["executor"] == "not started"
        balances = {(b["venue"], b["asset"]): b for b in snap["balances"]}
        assert balances[("okx", "USDT")]["floor"] == "2500" and balances[("binance", "USDT")]["floor"] is None
        assert balances[("okx", "USDT")]["total"] == balances[("okx", "USDT")]["start"] == "20000"
        assert (snap["limits"]["max_daily_notional_quote"], snap["limits"]["daily_notional_quote"]) == ("50000", "0")

    asyncio.run(scenario())
    controls = [(r.action, r.reason, r.ts_ns) for r in journal.records if isinstance(r, Control)]
    assert controls == [("settings", "wider margin", 7_000), ("kill", "red button", 7_000)]


def test_the_local_export_has_rays_names_and_cumulative_buckets():
    metrics = ArbMetrics(backend="local", default_tags={"shard": "0"})
    metrics.trades.inc(2, {"action": "none"})
    metrics.open_legs.set(3)
    for ms in (0.05, 4, 4, 9000):
        metrics.tick_to_trade_ms.observe(ms)
    families = {f.name: f for f in text_string_to_metric_families(exposition(metrics).decode())}
    assert set(families) == {exported_name(spec) for spec in SPECS}  # every family, described, even before a value
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    assert samples[("ray_arb_trades_total", (("action", "none"),))] == 2
    assert samples[("ray_arb_open_legs", ())] == 3
    bucket = {s.labels["le"]: s.value for s in families["ray_arb_tick_to_trade_ms"].samples if s.name.endswith("_bucket")}
    assert bucket["0.1"] == 1 and bucket[repr(float(MS_BUCKETS[MS_BUCKETS.index(5)]))] == 3 and bucket["+Inf"] == 4
    assert samples[("ray_arb_tick_to_trade_ms_count", (("shard", "0"),))] == 4
    assert not any(name.endswith("_created") for name, _ in samples)  # Ray exports none


def _health(messages: int, reconnects: int, gaps: int) -> VenueHealth:
    connection = ConnectionHealth(index=0, session=1, state="up", symbols=1, last_message_age_s=0.1, reconnects=reconnects,
                                  rollovers=0, frames_in=messages, frames_out=1, gaps=gaps, checksum_failures=0, resyncs=0, last_error="")
    return VenueHealth(venue="okx", state="up", connections=(connection,), books={"live": 1}, messages=messages, decode_errors=0,
                       gaps=gaps, checksum_failures=0, resyncs=0, snapshots_requested=0, resubscribes=0, rest_requests=0,
                       rest_failures=0, rate_limited=0, breaker="closed", breaker_failures=0, breaker_opened=0, last_error="")


def test_feed_counters_grow_by_what_the_feed_counted_and_survive_a_feed_restart():
    metrics = ArbMetrics(backend="local")
    recorder = FeedRecorder(metrics, "okx", "1")
    recorder.record(_health(messages=10, reconnects=0, gaps=0))
    recorder.record(_health(messages=25, reconnects=2, gaps=1))
    recorder.record(_health(messages=4, reconnects=0, gaps=0))  # a new feed counts from zero again
    key = (("shard", "1"), ("venue", "okx"))
    assert metrics.feed_messages.values[key] == 29
    assert metrics.reconnects.values[key] == 2
    assert metrics.gaps.values[(("venue", "okx"),)] == 1
    assert metrics.checksum_failures.values[(("venue", "okx"),)] == 0  # exists before the first failure
    assert metrics.books.values[(("state", "live"), ("venue", "okx"))] == 1
    assert metrics.books.values[(("state", "resyncing"), ("venue", "okx"))] == 0
