"""Fan-out groups and merged results (plain Python: no Ray)."""

from __future__ import annotations

import msgspec
import pytest

from arb.core.errors import ConfigError
from arb.runtime.backtest import run_backtest
from arb.runtime.fanout import fanout_groups, first_day, merge_results
from tests.runtime.markets import conf, recordings


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return recordings(tmp_path_factory.mktemp("days"))


def test_per_file_is_one_group_each_and_per_day_groups_by_the_first_record(files, tmp_path):
    assert fanout_groups(files, "per_file") == [[p] for p in files]
    days = [first_day(p) for p in files]
    assert len(set(days)) == 3 and days == sorted(days)
    # the same day twice (e.g. one file per venue) is one group, in the order given
    assert fanout_groups([files[2], files[0], files[2]], "per_day") == [[files[0]], [files[2], files[2]]]
    with pytest.raises(ConfigError, match="fanout"):
        fanout_groups(files, "per_week")


def test_merged_results_add_up_the_groups(files):
    results = [run_backtest([p], conf()) for p in files]
    assert all(r.trades for r in results), "the simulated dislocations should trade every day"
    merged = merge_results(results)

    assert msgspec.json.encode(merged.trades) == msgspec.json.encode([t for r in results for t in r.trades])
    m = merged.metrics
    for key in ("trades", "events", "net_pnl_usd", "fees_usd", "opportunities_seen", "one_legged_fills"):
        assert m[key] == pytest.approx(sum(r.metrics[key] for r in results)), key
    assert m["latency_ms.binance"] == results[0].metrics["latency_ms.binance"]
    assert m["fill_ratio"] == merged.summary.fill_ratio
    assert merged.spreads.scans == sum(r.spreads.scans for r in results)
    assert len(merged.journal) == sum(len(r.journal) for r in results)
    # one P&L curve: each day continues from the P&L the days before it ended with
    assert len(merged.equity) == sum(len(r.equity) for r in results)
    assert merged.equity[-1][1] == pytest.approx(sum(r.equity[-1][1] for r in results))
    assert [ts for ts, _ in merged.equity] == sorted(ts for ts, _ in merged.equity)


def test_recorded_venues_reads_headers_or_just_enough_records(files, tmp_path):
    from arb.record import RecordingWriter
    from arb.runtime.fanout import recorded_venues

    assert recorded_venues(files[:1], ["binance", "okx", "kraken"]) in ({"binance", "okx"}, {"binance", "kraken"},
                                                                       {"okx", "kraken"})  # stops at two
    assert recorded_venues(files[:1], ["binance", "okx", "kraken"], enough=3) == {"binance", "okx", "kraken"}
    assert recorded_venues(files[:1], ["kraken", "mexc"]) == {"kraken"}
    one = tmp_path / "one.jsonl"
    with RecordingWriter(one, "okx", ["BTC/USDT"], "test") as w:
        w.write(1, "okx", "ws", "{}", conn=1)
    assert recorded_venues([one], ["binance", "okx"]) == {"okx"}
    assert recorded_venues([one], ["binance"]) == set()
