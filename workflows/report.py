"""Run outputs for humans and MLflow: summary table, trades as Parquet, plots as PNG."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from arb.core.numbers import to_decimal
from arb.exec.orders import TradeResult
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


def print_summary(title: str, rows: Mapping[str, object]) -> None:
    Console(soft_wrap=True).print(summary_table(title, rows))


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
