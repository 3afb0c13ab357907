"""Backtests: replay recordings through the live decision path on a replay clock.

Records of all files are merged by time (``heapq.merge``: equal times keep file order),
decoded by the real venue adapters into books, and every change is scanned, risk-checked
and paper-executed exactly as live — the time is the record's ``ts``. An order due at ``t``
fills against the books as they are after every record before ``t``. The same recordings
and config give the same trades and P&L, byte for byte.

Public Python API (also used by the notebook)::

    result = run_backtest(["market.jsonl.gz"], conf)      # conf: arb.config.ArbConf
    result.metrics["net_pnl_usd"], result.trades, result.equity
"""

from __future__ import annotations

import heapq
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from arb.book.sync import SyncStats
from arb.config import ArbConf
from arb.core.errors import ConfigError
from arb.core.instruments import Instruments
from arb.core.numbers import to_float
from arb.exec.journal import Journal
from arb.exec.orders import TradeResult
from arb.exec.report import TradeSummary, summarize
from arb.record.format import Record
from arb.record.reader import RecordingReader
from arb.runtime.components import build, latencies_ns
from arb.runtime.engine import USD_LIKE
from arb.scan.histogram import SpreadHistogram
from arb.venues.books import VenueBooks
from arb.venues.registry import get as venue_spec

#: ``progress(bytes_read, bytes_total)``
Progress = Callable[[int, int], None]


@dataclass
class BacktestResult:
    """Everything a backtest produced; ``metrics`` is flat and numeric (for MLflow)."""

    trades: list[TradeResult]
    summary: TradeSummary
    metrics: dict[str, float]
    #: ``(ts_ns, P&L in USD)``: mark-to-market P&L sampled on the replay clock.
    equity: list[tuple[int, float]]
    spreads: SpreadHistogram
    journal: Journal
    rejections: dict[str, int] = field(default_factory=dict)
    sync: dict[str, int] = field(default_factory=dict)


def merged_records(paths: Sequence[str | os.PathLike[str]], progress: Progress | None = None) -> Iterator[Record]:
    """Records of every file, merged by ``ts`` (stable), read as streams."""
    readers = [RecordingReader(p) for p in paths]
    total = sum(os.path.getsize(r.path) for r in readers)
    try:
        if progress is None:
            yield from heapq.merge(*readers, key=_ts)
            return
        last = 0.0
        for n, record in enumerate(heapq.merge(*readers, key=_ts)):
            if n % 4096 == 0 and time.monotonic() - last > 0.2:
                last = time.monotonic()
                progress(sum(r.position() for r in readers), total)
            yield record
        progress(total, total)
    finally:
        for reader in readers:
            reader.close()


def _ts(record: Record) -> int:
    return record.ts


def run_backtest(
    paths: Sequence[str | os.PathLike[str]],
    conf: ArbConf,
    instruments: Instruments | None = None,
    progress: Progress | None = None,
    sample_every_s: float = 1.0,
) -> BacktestResult:
    """Replay ``paths`` through books → scanner → risk → paper executor (see module doc)."""
    if not paths:
        raise ConfigError("backtest: no recordings to replay")
    parts = build(conf, instruments)
    engine, portfolio = parts.engine, parts.portfolio
    stats = SyncStats()
    venues_wanted = set(conf.universe.venues)
    books: dict[str, VenueBooks] = {}
    skipped = 0
    records = 0
    equity: list[tuple[int, float]] = []
    sample_ns = round(sample_every_s * 1e9)
    next_sample = None
    first_ts = last_ts = 0
    started = time.perf_counter()
    for record in merged_records(paths, progress):
        ts = record.ts
        records += 1
        if next_sample is None:
            first_ts, next_sample = ts, ts
        last_ts = ts
        engine.advance(ts)
        while ts >= next_sample:
            pnl = portfolio.mtm_pnl(engine.price)
            if pnl is not None:
                equity.append((next_sample, to_float(pnl)))
            next_sample += sample_ns
        if record.venue not in venues_wanted:
            skipped += 1
            continue
        vb = books.get(record.venue)
        if vb is None:
            vb = books[record.venue] = VenueBooks(venue_spec(record.venue), stats=stats)
        changed = vb.on_record(record).changed
        if changed:
            engine.on_books([vb.book(s) for s in sorted(changed)], ts)
    engine.drain(last_ts)
    pnl = portfolio.mtm_pnl(engine.price)
    if pnl is not None:
        equity.append((last_ts, to_float(pnl)))
    wall_s = time.perf_counter() - started
    trades = engine.trades
    summary = summarize(trades)
    metrics = _metrics(conf, summary, engine, portfolio, equity, records, first_ts, last_ts, wall_s, books, skipped)
    return BacktestResult(
        trades=trades,
        summary=summary,
        metrics=metrics,
        equity=equity,
        spreads=engine.histogram,
        journal=parts.journal,
        rejections=dict(sorted(engine.rejections.items())),
        sync=stats.as_dict(),
    )


def _usd(amounts: dict[str, int]) -> float:
    """Sum of quote-asset amounts that are USD-like (others are reported separately)."""
    return float(sum(to_float(v) for asset, v in amounts.items() if asset in USD_LIKE))


def _max_drawdown(equity: list[tuple[int, float]]) -> float:
    peak, worst = float("-inf"), 0.0
    for _, value in equity:
        peak = max(peak, value)
        worst = max(worst, peak - value)
    return worst


def _metrics(
    conf: ArbConf,
    summary: TradeSummary,
    engine: Any,
    portfolio: Any,
    equity: list[tuple[int, float]],
    records: int,
    first_ts: int,
    last_ts: int,
    wall_s: float,
    books: dict[str, VenueBooks],
    skipped: int,
) -> dict[str, float]:
    pnl = portfolio.mtm_pnl(engine.price)
    metrics: dict[str, float] = {
        "net_pnl_usd": to_float(pnl) if pnl is not None else float("nan"),
        "realized_pnl_usd": _usd(summary.realized_pnl_quote),
        "fees_usd": _usd(summary.fees_quote),
        "expected_net_profit_usd": _usd(summary.expected_net_profit),
        "trades": summary.trades,
        "fully_filled": summary.fully_filled,
        "fill_ratio": summary.fill_ratio,
        "one_legged_fills": summary.one_legged,
        "opportunities_seen": engine.opportunities_seen,
        "opportunities_taken": engine.opportunities_taken,
        "opportunities_rejected": sum(engine.rejections.values()),
        "spreads_below_threshold": engine.histogram.spreads,
        "pairs_checked": engine.histogram.pairs_checked,
        "max_drawdown_usd": _max_drawdown(equity),
        "events": records,
        "events_skipped": skipped,
        "replay_s": (last_ts - first_ts) / 1e9,
        "wall_s": wall_s,
        "events_per_s": records / wall_s if wall_s > 0 else 0.0,
        "decode_errors": sum(sum(vb.errors.values()) for vb in books.values()),
    }
    for venue, ns in latencies_ns(conf).items():
        metrics[f"latency_ms.{venue}"] = ns / 1e6
    for action, n in summary.actions.items():
        metrics[f"actions.{action}"] = n
    return metrics
