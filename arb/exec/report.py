"""Totals over a trade log, for summaries and run metrics."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from arb.exec.orders import TradeResult


class TradeSummary(msgspec.Struct, kw_only=True):
    """Sums over trades. Money is fixed ints by quote asset; ``fill_ratio`` is a float
    (analytics): matched quantity over intended quantity."""

    trades: int = 0
    fully_filled: int = 0
    one_legged: int = 0
    actions: dict[str, int] = msgspec.field(default_factory=dict)
    intended_qty: int = 0
    matched_qty: int = 0
    fill_ratio: float = 0.0
    realized_pnl_quote: dict[str, int] = msgspec.field(default_factory=dict)
    realized_pnl_reporting: int = 0
    fees_quote: dict[str, int] = msgspec.field(default_factory=dict)
    expected_net_profit: dict[str, int] = msgspec.field(default_factory=dict)
    residual_base: dict[str, int] = msgspec.field(default_factory=dict)


def summarize(results: Iterable[TradeResult]) -> TradeSummary:
    """Add up a trade log (``executor.results()``)."""
    s = TradeSummary()
    for r in results:
        base, _, rest = r.symbol.partition("/")
        quote = rest.split(":", 1)[0]
        s.trades += 1
        s.fully_filled += r.buy_filled == r.sell_filled == r.intended_qty
        s.one_legged += r.one_legged
        s.actions[r.action] = s.actions.get(r.action, 0) + 1
        s.intended_qty += r.intended_qty
        s.matched_qty += min(r.buy_filled, r.sell_filled)
        s.realized_pnl_quote[quote] = s.realized_pnl_quote.get(quote, 0) + r.realized_pnl_quote
        s.realized_pnl_reporting += r.realized_pnl_reporting or 0
        s.fees_quote[quote] = s.fees_quote.get(quote, 0) + r.fees_quote
        s.expected_net_profit[quote] = s.expected_net_profit.get(quote, 0) + r.expected_net_profit
        s.residual_base[base] = s.residual_base.get(base, 0) + r.residual_base
    s.fill_ratio = s.matched_qty / s.intended_qty if s.intended_qty else 0.0
    return s
