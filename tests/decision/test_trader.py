"""The trader against a scripted venue: events as a live venue would send them."""

from __future__ import annotations

from arb.core.numbers import ONE
from arb.exec.port import Accepted, Filled, PartiallyFilled, Cancelled, PlaceOrder
from arb.exec.portfolio import Portfolio
from arb.scan import Scanner
from tests.configs import scan_config
from tests.exec.desks import config, permissive_risk
from tests.scan.books import SYMBOL, view

from arb.decision.trader import Trader

FEES = {"a": "0.001", "b": "0.001"}


def _trader_and_opportunity():
    views = {"a": view("a", [("99", "5")], [("100", "1")]), "b": view("b", [("101", "1")], [("102", "5")])}
    portfolio = Portfolio({(v, x): 1000 * ONE for v in views for x in ("BTC", "USDT")})
    trader = Trader(config(FEES), portfolio, lambda v, s: views.get(v), permissive_risk(), reporting_price={"USDT": ONE}.get)
    opp = Scanner(scan_config(FEES)).scan(SYMBOL, views, 1_000, portfolio).opportunities[0]
    return trader, portfolio, opp


def test_a_buy_fee_taken_in_base_is_valued_in_quote_and_left_as_a_base_residual():
    trader, portfolio, opp = _trader_and_opportunity()
    buy, sell = (c.order for c in trader.on_opportunities([opp], 1_000) if isinstance(c, PlaceOrder))
    fee_base = opp.qty // 1000
    trader.on_events([Accepted(buy.id, 1_001), Filled(buy.id, 1_001, opp.qty, opp.buy_quote, fee_base, fee_asset="BTC"),
                      Accepted(sell.id, 1_002), Filled(sell.id, 1_002, opp.qty, opp.sell_quote, opp.sell_fee)], 1_002)
    (trade,) = trader.take_completed()
    fee_quote = -((-fee_base * opp.buy_quote) // opp.qty)
    assert trade.residual_base == -fee_base and not trade.one_legged
    assert trade.realized_pnl_quote == opp.sell_quote - opp.buy_quote - fee_quote - opp.sell_fee
    assert portfolio.exposure("BTC") == -fee_base
    assert portfolio.exposure("USDT") == opp.sell_quote - opp.buy_quote - opp.sell_fee


def test_executions_add_up_and_the_rest_cancelled_makes_a_partial_fill():
    trader, portfolio, opp = _trader_and_opportunity()
    buy, sell = (c.order for c in trader.on_opportunities([opp], 1_000) if isinstance(c, PlaceOrder))
    half = opp.qty // 2
    commands = trader.on_events([
        PartiallyFilled(buy.id, 1_001, half, opp.buy_quote // 2, 1), PartiallyFilled(buy.id, 1_001, half, opp.buy_quote // 2, 1),
        Cancelled(buy.id, 1_001, "ioc"), Filled(sell.id, 1_002, opp.qty, opp.sell_quote, opp.sell_fee),
    ], 1_002)
    fills = [r for r in trader.journal if type(r).__name__ == "Fill"]
    assert (fills[0].qty, fills[0].fee, fills[0].status) == (2 * half, 2, "filled" if 2 * half == opp.qty else "partial")
    assert trader.open_legs() == (1 if commands else 0)


def test_the_kill_switch_halts_and_cancels_every_open_order():
    from arb.exec.port import CancelOrder

    trader, portfolio, opp = _trader_and_opportunity()
    buy, sell = (c.order for c in trader.on_opportunities([opp], 1_000) if isinstance(c, PlaceOrder))
    cancels = trader.kill("operator", 1_001)
    assert sorted(c.order_id for c in cancels if isinstance(c, CancelOrder)) == sorted([buy.id, sell.id])
    assert trader.risk.state == "halted" and trader.on_opportunities([opp], 1_002) == []
    # the venues confirm the cancels: the trade ends with nothing filled
    trader.on_events([Cancelled(buy.id, 1_003, "cancelled"), Cancelled(sell.id, 1_003, "cancelled")], 1_003)
    (trade,) = trader.take_completed()
    assert (trade.buy_filled, trade.sell_filled, trader.open_legs()) == (0, 0, 0)
