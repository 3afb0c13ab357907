"""Run outputs for humans and MLflow: summary table, trades as Parquet, plots as PNG."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from arb.core.numbers import to_decimal, to_plain
from arb.exec.orders import TradeResult
from arb.exec.report import TradeSummary
from arb.scan.histogram import SpreadHistogram

#: TradeResult fields holding fixed-point amounts (exported as exact decimal128(38, 18)).
_FIXED = (
    "intended_qty", "buy_filled", "sell_filled", "buy_avg_price", "sell_avg_price", "buy_quote", "sell_quote",
    "buy_fee", "sell_fee", "action_filled", "action_quote", "action_fee", "residual_base", "fees_quote",
    "realized_pnl_quote", "realized_pnl_reporting", "expected_net_profit",
)


def summary_table(title: str, rows: Mapping[str, object]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    for key, value in rows.items():
        table.add_row(key, f"{value:,.4f}" if isinstance(value, float) else str(value))
    return table


def console() -> Console:
    """A console for tables on stdout. On a terminal: its width, with styles unless
    ``NO_COLOR`` is set (then no escape code at all, not even bold). Elsewhere (a pipe, a
    file, a Ray worker): plain text, whatever ``FORCE_COLOR`` says, and wide enough that
    no table is squeezed into 80 columns."""
    if sys.stdout.isatty():
        return Console(soft_wrap=True, color_system=None if os.environ.get("NO_COLOR") else "auto")
    return Console(soft_wrap=True, width=240, color_system=None, force_terminal=False)


def print_summary(title: str, rows: Mapping[str, object]) -> None:
    console().print(summary_table(title, rows))


def ratio_text(ratio: float, exact_one: bool) -> str:
    """A ratio to 4 places, rounded down: 1.0000 only when ``exact_one`` says it is exactly
    1 (never a 0.99996 rounded up)."""
    if exact_one:
        return "1.0000"
    return f"{min(math.floor(ratio * 10_000) / 10_000, 0.9999):.4f}"


def fill_ratio_text(summary: TradeSummary) -> str:
    """The fill ratio to 4 places, rounded down: it reads 1.0000 only when every trade
    matched its whole intended quantity on both legs."""
    return ratio_text(summary.fill_ratio, exact_one=bool(summary.trades) and summary.fully_filled == summary.trades)


def one_legged_text(summary: TradeSummary) -> str:
    """``"3 of 120 (unwind 2, hold 1)"``: how many trades filled one leg more than the
    other, and what was done about them."""
    done = ", ".join(f"{action} {n}" for action, n in sorted(summary.actions.items()) if action != "none")
    return f"{summary.one_legged} of {summary.trades}" + (f" ({done})" if summary.one_legged and done else "")


def position_text(summary: TradeSummary) -> str:
    """Base assets the trades left long (+) or short (−), exactly; ``"none"`` when flat."""
    held = [f"{base} {'+' if qty > 0 else '-'}{to_plain(abs(qty))}" for base, qty in sorted(summary.residual_base.items()) if qty]
    return ", ".join(held) or "none"


def backtest_rows(metrics: Mapping[str, float], summary: TradeSummary) -> dict[str, object]:
    """The summary rows every backtest prints (one run, or a fan-out's merged result).

    Times are labelled by clock: *market time* is the span of the recordings' own
    timestamps (first to last record); *wall time* and the throughput are this machine's.
    """
    m = metrics
    return {
        "net P&L (USD, mark to market)": m["net_pnl_usd"] if "net_pnl_usd" in m else "n/a (an asset held was never priced)",
        "realized P&L (USD)": m["realized_pnl_usd"],
        "fees (USD)": m["fees_usd"],
        "trades": summary.trades,
        "both legs fully filled": f"{summary.fully_filled} of {summary.trades}",
        "one-legged fills": one_legged_text(summary),
        "fill ratio (mean per trade of matched / intended qty)": fill_ratio_text(summary),
        "position left open (base)": position_text(summary),
        "opportunities seen / taken": f"{int(m['opportunities_seen'])} / {int(m['opportunities_taken'])}",
        "max drawdown (USD)": m["max_drawdown_usd"],
        "events replayed": int(m["events"]),
        "market time, first to last record (s)": m["replay_s"],
        "wall time (s)": m["wall_s"],
        "throughput (events per wall-clock second)": m["events_per_s"],
    }


def trades_parquet(trades: Sequence[TradeResult], path: Path) -> Path:
    """One row per trade; money and quantities exact (decimal128 with 18 places)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields = TradeResult.__struct_fields__
    columns: dict[str, pa.Array] = {}
    for name in fields:
        values = [getattr(t, name) for t in trades]
        if name in _FIXED:
            columns[name] = pa.array(
                [None if v is None else to_decimal(v) for v in values], type=pa.decimal128(38, 18)
            )
        else:
            columns[name] = pa.array(values)
    pq.write_table(pa.table(columns), path)
    return path


def equity_png(equity: Sequence[tuple[int, float]], path: Path, title: str) -> Path:
    """P&L (USD, mark to market) over replay time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4))
    if equity:
        t0 = equity[0][0]
        ax.plot([(t - t0) / 1e9 for t, _ in equity], [v for _, v in equity], lw=1.2)
    ax.axhline(0, color="grey", lw=0.6)
    ax.set(xlabel="replay time (s)", ylabel="P&L (USD, mark to market)", title=title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def spreads_png(hist: SpreadHistogram, path: Path, title: str, clip_bps: tuple[int, int] = (-150, 100)) -> Path:
    """Distribution of net top-of-book spreads that did not make an opportunity (bps)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lo, hi = clip_bps
    counts: dict[int, int] = {}
    for edge, n in hist.buckets():
        edge = min(max(edge, lo), hi)
        counts[edge] = counts.get(edge, 0) + n
    fig, ax = plt.subplots(figsize=(9, 4))
    if counts:
        edges = sorted(counts)
        ax.bar(edges, [counts[e] for e in edges], width=hist.bucket_bps, color=["#c44" if e >= 0 else "#47a" for e in edges])
    ax.set(xlabel=f"net spread after fees (bps, clipped to [{lo}, {hi}])", ylabel="pairs seen", title=title)
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plain(value: object) -> object:
    """JSON-friendly: Decimals as strings."""
    return str(value) if isinstance(value, Decimal) else value
