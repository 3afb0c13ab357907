"""Totals over a trade log, for summaries and run metrics."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from arb.exec.orders import TradeResult


class TradeSummary(msgspec.Struct, kw_only=True):
    """Sums over trades. Money is fixed ints by quote asset, quantities fixed ints by base
    asset (a BTC quantity is never added to an ETH one).

    ``fill_ratio`` (a float, for analytics) is the mean over trades of the share of the
    intended quantity that both legs filled, ``min(buy_filled, sell_filled) /
    intended_qty``: every trade weighs the same whatever its asset and size, so one
    one-legged fill among ``n`` trades lowers it by at least ``1/n`` of that trade's
    unmatched share. 1.0 means every trade matched its whole intended quantity on both
    legs (``fully_filled == trades``); 0.0 with no trades. What was done about one-legged
    fills (an unwind or hedge order) does not count as matched here: ``actions`` and
    ``residual_base`` tell that part.
    """

    trades: int = 0
    fully_filled: int = 0
    one_legged: int = 0
    actions: dict[str, int] = msgspec.field(default_factory=dict)
    intended_qty: dict[str, int] = msgspec.field(default_factory=dict)
    matched_qty: dict[str, int] = msgspec.field(default_factory=dict)
    fill_ratio: float = 0.0
    realized_pnl_quote: dict[str, int] = msgspec.field(default_factory=dict)
    realized_pnl_reporting: int = 0
    fees_quote: dict[str, int] = msgspec.field(default_factory=dict)
    expected_net_profit: dict[str, int] = msgspec.field(default_factory=dict)
    residual_base: dict[str, int] = msgspec.field(default_factory=dict)


def summarize(results: Iterable[TradeResult]) -> TradeSummary:
    """Add up a trade log (``executor.results()``)."""
    s = TradeSummary()
    shares = 0.0
    for r in results:
        base, _, rest = r.symbol.partition("/")
        quote = rest.split(":", 1)[0]
        matched = min(r.buy_filled, r.sell_filled)
        s.trades += 1
        s.fully_filled += r.buy_filled == r.sell_filled == r.intended_qty
        s.one_legged += r.one_legged
        s.actions[r.action] = s.actions.get(r.action, 0) + 1
        s.intended_qty[base] = s.intended_qty.get(base, 0) + r.intended_qty
        s.matched_qty[base] = s.matched_qty.get(base, 0) + matched
        shares += matched / r.intended_qty if r.intended_qty else 0.0
        s.realized_pnl_quote[quote] = s.realized_pnl_quote.get(quote, 0) + r.realized_pnl_quote
        s.realized_pnl_reporting += r.realized_pnl_reporting or 0
        s.fees_quote[quote] = s.fees_quote.get(quote, 0) + r.fees_quote
        s.expected_net_profit[quote] = s.expected_net_profit.get(quote, 0) + r.expected_net_profit
        s.residual_base[base] = s.residual_base.get(base, 0) + r.residual_base
    s.fill_ratio = shares / s.trades if s.trades else 0.0
    return s
