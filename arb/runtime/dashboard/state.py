"""What the dashboard shows, as plain JSON-able values built from the engine's objects.

Pure functions, no I/O: the local runtime calls them on its own objects, the Ray executor
actor on its trader (:meth:`~arb.runtime.ray_live.ExecutorActor.dashboard`), so both
runtimes send the page the same shapes. Money, prices and quantities are exact decimal
strings (:func:`~arb.core.numbers.to_plain`); times are int ns; floats only for ages and
spreads in bps (display values). Nothing here can show a secret: rows are built field by
field from books, health snapshots, orders and balances — never from the config.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias

from arb.book.view import BookView
from arb.core.numbers import to_plain
from arb.decision.controls import Settings
from arb.decision.trader import Trader
from arb.exec.orders import TradeResult
from arb.io.health import VenueHealth
from arb.risk.limits import TradingState
from arb.scan.opportunity import Opportunity

#: A JSON document of the page that its readers (sources, server) read back by key, nested.
Doc: TypeAlias = dict[str, Any]
#: Rows of each list the page gets (the newest).
RECENT = 50
_DAY_NS = 86_400 * 1_000_000_000


def plain(value: int | None) -> str | None:
    return None if value is None else to_plain(value)


def feed_row(venue: str, shard: str, health: VenueHealth, enabled: bool) -> dict[str, object]:
    """One feed (a venue, or a venue's shard on Ray): connection health and book counts."""
    ages = [c.last_message_age_s for c in health.connections if c.last_message_age_s is not None]
    return {
        "venue": venue,
        "shard": shard,
        "enabled": enabled,
        "state": health.state,
        "connections_up": sum(1 for c in health.connections if c.state == "up"),
        "connections": len(health.connections),
        "books": dict(sorted(health.books.items())),
        "books_live": health.books.get("live", 0),
        "books_total": sum(health.books.values()),
        "messages": health.messages,
        "last_message_age_s": max(ages) if ages else None,
        "reconnects": sum(c.reconnects for c in health.connections),
        "gaps": health.gaps,
        "resyncs": health.resyncs,
        "checksum_failures": health.checksum_failures,
        "decode_errors": health.decode_errors,
        "rate_limited": health.rate_limited,
        "breaker": health.breaker,
        "last_error": health.last_error,
    }


def book_row(view: BookView, now_ns: int) -> dict[str, object]:
    """One book: state, age since its last update, best prices and the spread in bps."""
    bid, ask = view.best_bid, view.best_ask
    spread_bps = None
    if bid is not None and ask is not None and bid + ask > 0:
        spread_bps = (ask - bid) * 20_000 / (ask + bid)
    return {
        "venue": view.venue,
        "symbol": view.symbol,
        "state": view.state,
        "age_s": max(0.0, (now_ns - view.ts_recv_ns) / 1e9) if view.ts_recv_ns else None,
        "bid": plain(bid),
        "ask": plain(ask),
        "spread_bps": spread_bps,
    }


def opportunity_row(opp: Opportunity, outcome: str) -> dict[str, object]:
    return {
        "id": opp.id,
        "symbol": opp.symbol,
        "buy_venue": opp.buy_venue,
        "sell_venue": opp.sell_venue,
        "qty": to_plain(opp.qty),
        "buy_limit": to_plain(opp.buy_limit),
        "sell_limit": to_plain(opp.sell_limit),
        "net_profit": to_plain(opp.net_profit),
        "notional": to_plain(opp.notional_quote),
        "ts_ns": opp.ts_decision_ns,
        "outcome": outcome,
    }


def _leg(venue: str, filled: int, intended: int, avg: int, quote: int, fee: int) -> dict[str, object]:
    return {"venue": venue, "filled": to_plain(filled), "intended": to_plain(intended), "avg_price": to_plain(avg),
            "quote": to_plain(quote), "fee": to_plain(fee)}


def trade_row(t: TradeResult) -> dict[str, object]:
    """A completed trade: both legs with what filled, at what average price and fee, and the
    one-legged follow-up when there was one."""
    return {
        "id": t.id,
        "symbol": t.symbol,
        "ts_done_ns": t.ts_done_ns,
        "buy": _leg(t.buy_venue, t.buy_filled, t.intended_qty, t.buy_avg_price, t.buy_quote, t.buy_fee),
        "sell": _leg(t.sell_venue, t.sell_filled, t.intended_qty, t.sell_avg_price, t.sell_quote, t.sell_fee),
        "one_legged": t.one_legged,
        "action": t.action,
        "action_venue": t.action_venue,
        "action_side": t.action_side,
        "action_filled": to_plain(t.action_filled),
        "residual_base": to_plain(t.residual_base),
        "expected": to_plain(t.expected_net_profit),
        "realized_quote": to_plain(t.realized_pnl_quote),
        "realized_usd": plain(t.realized_pnl_reporting),
        "reason": t.reason,
    }


def execution_state(trader: Trader, settings: Settings, trades: Sequence[TradeResult], now_ns: int) -> Doc:
    """The trader's side of the page: P&L, risk state and breaker, limits and how much of
    them is used, balances, the latest opportunities (with what became of each) and trades.
    ``settings``: what the decider(s) scan with now."""
    portfolio, risk = trader.portfolio, trader.risk
    price = trader.reporting_price
    pnl = trader.pnl()
    equity = portfolio.equity(price) if price is not None else None
    snap = portfolio.snapshot()
    limits = risk.limits
    floors = limits.inventory_floor
    reported = trader.discrepancies
    balances = [
        {
            "venue": venue, "asset": asset, "total": to_plain(total),
            "locked": to_plain(snap["locked"].get((venue, asset), 0)),
            "available": to_plain(total - snap["locked"].get((venue, asset), 0)),
            "start": to_plain(snap["start"].get((venue, asset), 0)),
            "change": to_plain(total - snap["start"].get((venue, asset), 0)),
            # The least the risk gate keeps there (None: no floor), and what the venue itself
            # reported when it differs from arb's books (live trading).
            "floor": plain(floors.get((venue, asset))),
            "venue_reports": plain(reported[(venue, asset)][0]) if (venue, asset) in reported else None,
        }
        for (venue, asset), total in snap["balances"].items()
    ]
    positions = []
    for asset in portfolio.assets():
        cap = limits.position_cap(asset)
        positions.append({"asset": asset, "exposure": to_plain(portfolio.exposure(asset)), "cap": plain(cap)})
    window = limits.error_window_orders
    return {
        "pnl": {
            "mtm_usd": plain(pnl),
            "realized_usd": to_plain(portfolio.realized_reporting),
            "equity_usd": plain(equity),
            "realized_by_quote": {asset: to_plain(v) for asset, v in sorted(portfolio.realized.items())},
            "fees": {f"{v}:{a}": to_plain(x) for (v, a), x in sorted(portfolio.fees_paid.items())},
        },
        "risk": {
            "state": str(risk.state),
            "reason": risk.reason,
            "killed": risk.killed,
            "since_ns": risk.state_since_ns,
            "decisions": dict(sorted(risk.decisions.items())),
            "breaker": {
                "failures": risk.failures,
                "window": window,
                "error_rate_limit": to_plain(limits.error_rate_limit),
                "trips_above": to_plain(limits.error_rate_limit * window),
                "tripped": risk.state is TradingState.HALTED and risk.reason.startswith("circuit breaker"),
            },
        },
        "limits": {
            "max_notional_quote": plain(limits.max_notional_quote),
            "max_open_legs": limits.max_open_legs,
            "open_legs": trader.open_legs(),
            "max_data_age_s": limits.max_data_age_ns / 1e9,
            "max_daily_notional_quote": plain(limits.max_daily_notional_quote),
            "daily_notional_quote": to_plain(risk.day_notional if now_ns // _DAY_NS == risk.day else 0),
            "positions": positions,
        },
        "settings": settings.to_plain(),
        "balances": balances,
        "opportunities_taken": trader.opportunities_taken,
        "rejections": dict(sorted(trader.rejections.items())),
        "opportunities": [opportunity_row(opp, outcome) for opp, outcome in reversed(list(trader.offered)[-RECENT:])],
        "trades_total": len(trades),
        "one_legged_total": sum(1 for t in trades if t.one_legged),
        "trades": [trade_row(t) for t in reversed(trades[-RECENT:])],
    }


def books(views: Iterable[BookView], now_ns: int) -> list[dict[str, object]]:
    """Rows of every book, by venue then symbol."""
    return [book_row(v, now_ns) for v in sorted(views, key=lambda v: (v.venue, v.symbol))]


def usd(value: str | None) -> float | None:
    """A money string as a float for the chart (display only)."""
    return None if value is None else float(value)


__all__ = ["RECENT", "Doc", "book_row", "books", "execution_state", "feed_row", "opportunity_row", "plain", "trade_row", "usd"]
