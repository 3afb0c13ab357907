"""Backtests: replay recordings through the live decision path on a replay clock.

Records of all files are merged by time (``heapq.merge``: equal times keep file order),
decoded by the real venue adapters into books, and every change goes through the decision
core (:class:`~arb.decision.core.DecisionCore`) exactly as live — the time is the record's ``ts``. An order due at ``t``
fills against the books as they are after every record before ``t``. The same recordings
and config give the same trades and P&L, byte for byte.

Public Python API (also used by the notebook)::

    result = run_backtest(["market.jsonl.gz"], conf)      # conf: arb.config.ArbConf
    result.metrics["net_pnl_usd"], result.trades, result.equity
"""

from __future__ import annotations

import os
import time
from datetime import datetime, UTC
from collections.abc import Sequence
from dataclasses import dataclass, field

from arb.book.sync import SyncStats
from arb.config import ArbConf
from arb.core.errors import ConfigError
from arb.core.instruments import Instruments
from arb.core.numbers import to_float
from arb.exec.journal import Journal
from arb.exec.orders import TradeResult
from arb.exec.report import TradeSummary, summarize
from arb.record.format import EARLIEST_NS, LATEST_NS
from arb.replay.merge import Progress, merged_records
from arb.decision.views import USD_LIKE
from arb.runtime.components import Components, build
from arb.runtime.settings import latencies_ns, max_age_ns
from arb.io.staleness import Staleness
from arb.scan.histogram import SpreadHistogram
from arb.venues.books import VenueBooks
from arb.venues.registry import get as venue_spec



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
    #: What the user must know about the result (no cross-venue time, an unpriced P&L).
    warnings: list[str] = field(default_factory=list)


def run_backtest(
    paths: Sequence[str | os.PathLike[str]],
    conf: ArbConf,
    instruments: Instruments | None = None,
    progress: Progress | None = None,
    sample_every_s: float = 1.0,
) -> BacktestResult:
    """Replay ``paths`` through books → decider → trader → paper venue (see module doc)."""
    if not paths:
        raise ConfigError("backtest: no recordings to replay")
    parts = build(conf, instruments)
    core, trader, desk = parts.core, parts.trader, parts.desk
    stats = SyncStats()
    venues_wanted = set(conf.active_venues())
    books: dict[str, VenueBooks] = {}
    #: The live feed's staleness rule, on the replay clock: a venue whose records stop (a
    #: gap in the files) leaves the scan after ``strategy.max_age_s`` as it would live.
    stale: dict[str, Staleness] = {}
    stale_ns = max_age_ns(conf)
    spans: dict[str, list[int]] = {}
    skipped = 0
    records = 0
    equity: list[tuple[int, float]] = []
    sample_ns = max(1, round(sample_every_s * 1e9))
    next_sample: int | None = None
    first_ts = last_ts = 0
    started = time.perf_counter()
    bad_time = 0
    # When the paper venue next has an event and the staleness rules next sweep: most records
    # need neither (a per-record call to each cost a tenth of the replay).
    port = desk.port
    due = port.next_event_ns()
    waits = trader.config.fresh_balances  # only then may decisions wait for balances (expire)
    sweep_at: int | None = None
    for record in merged_records(paths, progress):
        ts = record.ts
        records += 1
        if not EARLIEST_NS <= ts <= LATEST_NS or ts < last_ts:
            bad_time += 1  # a damaged time: replaying it would jump the clock (arb verify names it)
            continue
        if next_sample is None:
            first_ts, next_sample = ts, ts
        last_ts = ts
        if (due is not None and due <= ts) or (waits and trader.waiting):
            core.advance(ts)
            due = port.next_event_ns()
        if ts >= next_sample:
            # One sample per record at most, on the sampling grid: a gap of a year in the
            # replayed time costs one step, not one per second.
            at = ts - (ts - next_sample) % sample_ns
            pnl = trader.pnl()
            if pnl is not None:
                equity.append((at, to_float(pnl)))
            next_sample = at + sample_ns
        if record.venue not in venues_wanted:
            skipped += 1
            continue
        span = spans.get(record.venue)
        if span is None:
            spans[record.venue] = [ts, ts]
        else:
            span[1] = ts
        vb = books.get(record.venue)
        if vb is None:
            vb = books[record.venue] = VenueBooks(venue_spec(record.venue), stats=stats)
            stale[record.venue] = Staleness(vb, stale_ns)
            sweep_at = None
        changed = vb.on_record(record).changed
        if changed and (rule := stale[record.venue]).marked:  # only a book it marked STALE can freshen
            rule.updated(changed, ts)
        moved = []
        if sweep_at is None or ts >= sweep_at:
            moved = [(venue, s) for venue, rule in stale.items() for s in rule.tick(ts)]
            sweep_at = min(rule.next_sweep_ns for rule in stale.values())
        if changed or moved:
            # Every changed or moved symbol has a book: the None test only tells the type checker.
            touched = [b for s in sorted(changed) if (b := vb.book(s)) is not None]
            if moved:
                touched += [b for venue, s in moved
                            if (venue != record.venue or s not in changed) and (b := books[venue].book(s)) is not None]
            core.on_books(touched, ts)
            due = port.next_event_ns()
    core.drain(last_ts)
    for vb in books.values():
        vb.flush_log(last_ts, everything=True)
    pnl = trader.pnl()
    if pnl is not None:
        equity.append((last_ts, to_float(pnl)))
    wall_s = time.perf_counter() - started
    trades = core.trades
    summary = summarize(trades)
    metrics = _metrics(conf, summary, parts, equity, records, first_ts, last_ts, wall_s, books, skipped)
    metrics["books_went_stale"] = sum(rule.marks for rule in stale.values())
    metrics["events_bad_time"] = bad_time
    metrics["venues_overlap_s"] = _overlap_ns(spans) / 1e9
    return BacktestResult(
        trades=trades,
        summary=summary,
        metrics=metrics,
        equity=equity,
        spreads=parts.decider.histogram,
        journal=parts.journal,
        rejections=dict(sorted(trader.rejections.items())),
        sync=stats.as_dict(),
        warnings=_warnings(spans, pnl, parts) + (
            [f"{bad_time} records skipped: their time is before 2009, after 2100 or earlier than the replay had reached "
             "(arb verify names the files)"] if bad_time else []),
    )


def _overlap_ns(spans: dict[str, list[int]]) -> int:
    """The longest time during which at least two venues had records (the only time a
    cross-venue trade is possible)."""
    edges = sorted((t, +1 if i == 0 else -1) for first, last in spans.values() for i, t in enumerate((first, last)))
    active = covered = 0
    since = 0
    for t, step in edges:
        if active >= 2:
            covered += t - since
        active += step
        since = t
    return covered


def _warnings(spans: dict[str, list[int]], pnl: int | None, parts: Components) -> list[str]:
    out = []
    if len(spans) < 2:
        out.append(f"only {len(spans)} venue in the replay ({', '.join(spans) or 'none'}): no cross-venue trade is possible")
    elif not _overlap_ns(spans):
        ranges = ", ".join(f"{v} {_utc(a)}–{_utc(b)}" for v, (a, b) in sorted(spans.items()))
        out.append(f"the recordings share no time across venues ({ranges}): no cross-venue trade is possible")
    if pnl is None:
        unpriced = [a for a in parts.portfolio.assets() if parts.decider.price(a) is None]
        out.append(f"P&L not marked to market: no USD price ever seen for {', '.join(unpriced)}")
    return out


def _utc(ts_ns: int) -> str:
    return datetime.fromtimestamp(ts_ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


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
    parts: Components,
    equity: list[tuple[int, float]],
    records: int,
    first_ts: int,
    last_ts: int,
    wall_s: float,
    books: dict[str, VenueBooks],
    skipped: int,
) -> dict[str, float]:
    decider, trader = parts.decider, parts.trader
    pnl = trader.pnl()
    metrics: dict[str, float] = {
        "realized_pnl_usd": _usd(summary.realized_pnl_quote),
        "fees_usd": _usd(summary.fees_quote),
        "expected_net_profit_usd": _usd(summary.expected_net_profit),
        "trades": summary.trades,
        "fully_filled": summary.fully_filled,
        "fill_ratio": summary.fill_ratio,
        "one_legged_fills": summary.one_legged,
        "opportunities_seen": decider.opportunities_seen,
        "opportunities_taken": trader.opportunities_taken,
        "opportunities_rejected": sum(trader.rejections.values()),
        "spreads_below_threshold": decider.histogram.spreads,
        "pairs_checked": decider.histogram.pairs_checked,
        "max_drawdown_usd": _max_drawdown(equity),
        "events": records,
        "events_skipped": skipped,
        "replay_s": (last_ts - first_ts) / 1e9,
        "wall_s": wall_s,
        "events_per_s": records / wall_s if wall_s > 0 else 0.0,
        "decode_errors": sum(sum(vb.errors.values()) for vb in books.values()),
    }
    if pnl is not None:  # never a nan: an unpriced P&L is left out and warned about
        metrics["net_pnl_usd"] = to_float(pnl)
    for venue, ns in latencies_ns(conf).items():
        metrics[f"latency_ms.{venue}"] = ns / 1e6
    for action, n in summary.actions.items():
        metrics[f"actions.{action}"] = n
    return metrics
