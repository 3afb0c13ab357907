"""``arb backtest`` refuses backtests that cannot trade instead of reporting 0 trades."""

from __future__ import annotations

import logging

import pytest

from arb.config import TrackingConf
from arb.core.errors import ConfigError
from arb.record import RecordingReader, RecordingWriter
from tests.runtime.markets import conf, recordings
from workflows.backtest import run


@pytest.fixture(scope="module")
def per_venue(tmp_path_factory):
    """One day of 3 venues, split the way ``arb record`` writes it: one file per venue."""
    folder = tmp_path_factory.mktemp("per-venue")
    [day] = recordings(folder, days=1)
    writers = {}
    with RecordingReader(day) as reader:
        for rec in reader:
            if rec.venue not in writers:
                writers[rec.venue] = RecordingWriter(folder / f"{rec.venue}.jsonl.gz", rec.venue, reader.header.symbols, "split")
            writers[rec.venue].write(rec.ts, rec.venue, rec.kind, rec.payload if rec.kind != "connect" else None,
                                     conn=rec.conn, url=rec.url)
    for w in writers.values():
        w.close()
    return day, [folder / f"{v}.jsonl.gz" for v in sorted(writers)]


def configured(paths, fanout="none", venues=None):
    c = conf()
    c.backtest.recordings = [str(p) for p in paths]
    c.backtest.fanout = fanout
    c.backtest.progress = False
    c.tracking = TrackingConf(enabled=False)
    if venues is not None:
        c.universe.venues = venues
    return c


def test_per_file_over_one_venue_per_file_recordings_is_refused_naming_the_way_out(per_venue, tmp_path):
    _, files = per_venue
    with pytest.raises(ConfigError) as exc:
        run(configured(files, "per_file"), tmp_path / "out")
    message = str(exc.value)
    assert message.startswith("backtest.fanout=per_file: no backtest can trade")
    assert "binance.jsonl.gz (binance); kraken.jsonl.gz (kraken); okx.jsonl.gz (okx)" in message
    assert "backtest.fanout=per_day" in message


def test_per_day_replays_the_per_venue_files_of_a_day_together_and_trades(per_venue, tmp_path):
    _, files = per_venue
    merged = run(configured(files, "per_day"), tmp_path / "out")
    assert merged.metrics["trades"] > 0


def test_a_fanout_where_some_backtests_cannot_trade_warns_for_each(per_venue, tmp_path, caplog, capsys):
    day, files = per_venue
    with caplog.at_level(logging.WARNING, logger="arb.backtest"):
        merged = run(configured([day, files[0]], "per_file"), tmp_path / "out")
    assert merged.metrics["trades"] > 0
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "no trade is possible in this backtest: binance.jsonl.gz (binance)" in warning
    assert "binance.jsonl.gz: 0 trades, net P&L 0.0000 USD (only binance of universe.venues: cannot trade)" in capsys.readouterr().out


def test_a_plain_backtest_of_fewer_than_two_configured_venues_is_refused(per_venue, tmp_path):
    day, files = per_venue
    with pytest.raises(ConfigError, match=r"^backtest.recordings: no backtest can trade.*okx.jsonl.gz \(okx\)"):
        run(configured([files[2]]), tmp_path / "out")
    # a multi-venue recording, but universe.venues names only one of its venues
    with pytest.raises(ConfigError, match=r"day0.jsonl.gz \(kraken\)"):
        run(configured([day], venues=["kraken"]), tmp_path / "out")
