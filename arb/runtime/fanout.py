"""Backtests fanned out over recordings: how files are grouped, how results are merged.

``per_file``: each recording is its own backtest (each file a whole market: every venue of
it). ``per_day``: recordings are grouped by the UTC day of their first record and each day
replays its files merged by time (per-venue files of one day belong together). Every group
starts from the same config — the same starting balances, fresh books — so groups are
independent: :mod:`arb.runtime.ray_backtest` runs them as Ray tasks; run serially they
give the same results.

:func:`merge_results` adds the groups up into one :class:`BacktestResult`: trades in group
order, sums of counts and money, the fill ratio over all trades, and one P&L curve that
chains the groups' curves in time order (each continues from the previous one's final
P&L), its drawdown measured on that chain.

An arbitrage needs two venues in one backtest: :func:`recorded_venues` tells which of
the configured venues a group's files hold, so a group that cannot trade (e.g. ``per_file``
over one-venue-per-file recordings) is caught before it silently reports 0 trades.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from arb.core.errors import ConfigError
from arb.exec.journal import MemoryJournal
from arb.exec.report import summarize
from arb.record.reader import RecordingReader
from arb.runtime.backtest import BacktestResult, _max_drawdown
from arb.scan.histogram import SpreadHistogram

FANOUTS = ("per_file", "per_day")

#: Metrics that are not sums over groups: recomputed from the merged result, or settings.
_NOT_ADDITIVE = ("fill_ratio", "max_drawdown_usd", "events_per_s")


def first_day(path: str | os.PathLike[str]) -> date | None:
    """UTC day of a recording's first record (None: it has no records)."""
    reader = RecordingReader(path)
    try:
        for record in reader:
            return datetime.fromtimestamp(record.ts / 1e9, UTC).date()
        return None
    finally:
        reader.close()


def recorded_venues(paths: Sequence[str | os.PathLike[str]], wanted: Collection[str], enough: int = 2) -> set[str]:
    """Venues among ``wanted`` that ``paths`` hold records of, found as cheaply as possible:
    a header naming its venue answers for its file; a mixed file is read until ``enough``
    venues are found (so a multi-venue file costs a few records, a one-venue one a pass)."""
    found: set[str] = set()
    for path in paths:
        reader = RecordingReader(path)
        try:
            if reader.header.venue is not None:
                found.update({reader.header.venue} & set(wanted))
            else:
                for record in reader:
                    if record.venue in wanted:
                        found.add(record.venue)
                        if len(found) >= enough:
                            break
        finally:
            reader.close()
        if len(found) >= enough:
            break
    return found


def fanout_groups(paths: Sequence[str | os.PathLike[str]], fanout: str) -> list[list[Path]]:
    """The backtests to run: one group of files each (see the module doc)."""
    files = [Path(p) for p in paths]
    if fanout == "per_file":
        return [[p] for p in files]
    if fanout != "per_day":
        raise ConfigError(f"backtest.fanout must be one of {', '.join(FANOUTS)} (got {fanout!r})")
    days: dict[date, list[Path]] = {}
    for p in files:
        day = first_day(p)
        if day is not None:  # an empty recording has nothing to replay
            days.setdefault(day, []).append(p)
    return [days[d] for d in sorted(days)]


def merge_results(results: Sequence[BacktestResult]) -> BacktestResult:
    """One result from independent groups' results (see the module doc)."""
    if not results:
        raise ValueError("nothing to merge")
    trades = [t for r in results for t in r.trades]
    spreads = SpreadHistogram(bucket_bps=results[0].spreads.bucket_bps)
    journal = MemoryJournal()
    rejections: dict[str, int] = {}
    sync: dict[str, int] = {}
    for r in results:
        spreads.merge(r.spreads)
        for record in r.journal:
            journal.append(record)
        for key, n in r.rejections.items():
            rejections[key] = rejections.get(key, 0) + n
        for key, n in r.sync.items():
            sync[key] = sync.get(key, 0) + n
    equity: list[tuple[int, float]] = []
    offset = 0.0
    for r in sorted((r for r in results if r.equity), key=lambda r: r.equity[0][0]):
        equity += [(ts, value + offset) for ts, value in r.equity]
        offset += r.equity[-1][1]
    summary = summarize(trades)
    metrics: dict[str, float] = {}
    for r in results:
        for key, value in r.metrics.items():
            if key.startswith("latency_ms."):
                metrics.setdefault(key, value)  # a setting, the same in every group
            elif key not in _NOT_ADDITIVE:
                metrics[key] = metrics.get(key, 0.0) + value
    metrics["fill_ratio"] = summary.fill_ratio
    metrics["max_drawdown_usd"] = _max_drawdown(equity)
    metrics["events_per_s"] = metrics["events"] / metrics["wall_s"] if metrics.get("wall_s") else 0.0
    return BacktestResult(
        trades=trades, summary=summary, metrics=dict(sorted(metrics.items())), equity=equity, spreads=spreads,
        journal=journal, rejections=dict(sorted(rejections.items())), sync=dict(sorted(sync.items())),
    )
