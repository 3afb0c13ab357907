"""Portfolio: locks, fills, refusals, exposure, drift, mark-to-market."""

from __future__ import annotations

import pytest

from arb.core.numbers import ONE
from arb.exec import Portfolio
from tests.scan.books import SYMBOL, fx


def portfolio() -> Portfolio:
    return Portfolio({("a", "USDT"): fx("1000"), ("a", "BTC"): 0, ("b", "BTC"): fx("2"), ("b", "USDT"): 0})


def test_an_open_buy_locks_quote_and_counts_as_pending():
    p = portfolio()
    assert p.open_order("t/buy", "a", SYMBOL, "buy", fx("1"), fx("600")) is None
    assert (p.balance("a", "USDT"), p.locked("a", "USDT"), p.available("a", "USDT")) == (fx("1000"), fx("600"), fx("400"))
    assert p.pending("BTC") == (0, fx("1"))
    assert "insufficient USDT on a" in p.open_order("t2/buy", "a", SYMBOL, "buy", fx("1"), fx("401"))


def test_a_fill_moves_balances_and_releases_the_lock_on_close():
    p = portfolio()
    p.open_order("t/buy", "a", SYMBOL, "buy", fx("1"), fx("600"))
    p.open_order("t/sell", "b", SYMBOL, "sell", fx("1"), fx("1"))

    assert p.fill("t/buy", fx("0.5"), fx("250"), fx("0.25")) is None
    assert p.fill("t/sell", fx("1"), fx("510"), fx("0.51")) is None
    p.close_order("t/buy")
    p.close_order("t/sell")

    assert p.balance("a", "USDT") == fx("749.75") and p.balance("a", "BTC") == fx("0.5")
    assert p.balance("b", "BTC") == fx("1") and p.balance("b", "USDT") == fx("509.49")
    assert p.locked("a", "USDT") == 0 and p.locked("b", "BTC") == 0 and p.pending("BTC") == (0, 0)
    assert p.exposure("BTC") == fx("-0.5") and p.exposure("USDT") == fx("259.24")
    assert p.drift("BTC") == {"a": fx("0.5"), "b": fx("-1")}
    assert p.fees("USDT") == fx("0.76") and p.fees_paid == {("a", "USDT"): fx("0.25"), ("b", "USDT"): fx("0.51")}


def test_a_fill_that_would_overdraw_is_refused_and_changes_nothing():
    p = portfolio()
    p.open_order("t/buy", "a", SYMBOL, "buy", fx("10"), 0)  # nothing locked
    before = p.balances()

    reason = p.fill("t/buy", fx("10"), fx("1000"), fx("1"))

    assert reason is not None and "overdraw" in reason
    assert p.balances() == before and p.refused_fills == 1


def test_a_fill_never_spends_what_other_orders_locked():
    p = portfolio()
    p.open_order("x/buy", "a", SYMBOL, "buy", fx("1"), fx("900"))
    p.open_order("y/buy", "a", SYMBOL, "buy", fx("1"), fx("50"))
    assert p.fill("y/buy", fx("1"), fx("100"), fx("0.5")) is not None  # 100.5 > 50 locked + 50 free
    assert p.fill("y/buy", fx("1"), fx("99"), fx("1")) is None


def test_mark_to_market():
    p = portfolio()
    prices = {"BTC": fx("500"), "USDT": ONE}
    assert p.equity(prices.get) == fx("2000")
    p.open_order("t/sell", "b", SYMBOL, "sell", fx("1"), fx("1"))
    p.fill("t/sell", fx("1"), fx("510"), fx("0.51"))
    assert p.mtm_pnl(prices.get) == fx("9.49")
    assert p.mtm_pnl({"USDT": ONE}.get) is None


def test_negative_starting_balance_is_an_error():
    with pytest.raises(ValueError):
        Portfolio({("a", "BTC"): -1})


def test_a_deposit_is_starting_capital_not_pnl():
    from arb.core.numbers import ONE
    from arb.exec.portfolio import Portfolio

    p = Portfolio({("a", "USDT"): 100 * ONE})
    p.deposit("a", "BTC", ONE)
    assert p.balance("a", "BTC") == ONE and p.exposure("BTC") == 0
    assert p.mtm_pnl(lambda asset: {"USDT": ONE, "BTC": 50_000 * ONE}[asset]) == 0


def test_a_fee_taken_in_the_base_asset_comes_off_what_the_buy_bought():
    p = Portfolio({("a", "USDT"): 1000 * ONE})
    assert p.open_order("o", "a", "BTC/USDT", "buy", ONE, 101 * ONE) is None
    assert p.fill("o", ONE, 100 * ONE, ONE // 1000, "BTC") is None  # 0.001 BTC fee
    assert p.balance("a", "BTC") == ONE - ONE // 1000 and p.balance("a", "USDT") == 900 * ONE
    assert p.fees_paid == {("a", "BTC"): ONE // 1000}
    p.close_order("o")
    assert p.locked("a", "USDT") == 0


def test_a_fee_in_a_third_asset_needs_that_asset():
    p = Portfolio({("a", "USDT"): 1000 * ONE})
    p.open_order("o", "a", "BTC/USDT", "buy", ONE, 101 * ONE)
    reason = p.fill("o", ONE, 100 * ONE, ONE, "BNB")
    assert reason is not None and "overdraw" in reason and p.balance("a", "BTC") == 0
