"""Risk engine: each check's verdict and reason, the breaker, the kill switch, and limits
that hold over random sequences of opportunities and fills."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arb.core.errors import ConfigError
from arb.core.numbers import ONE
from arb.exec import Portfolio
from arb.risk import RiskEngine, TradingState
from arb.scan import Opportunity
from arb.scan.costs import reserve_quote
from tests.configs import risk_limits
from tests.scan.books import SYMBOL, fx

FEE = 10**15  # 0.001


def opp(qty="1", buy="100", sell="101", recv_ns=0, n=0, buy_venue="a", sell_venue="b") -> Opportunity:
    q, bp, sp = fx(qty), fx(buy), fx(sell)
    buy_quote, sell_quote = bp * q // ONE, sp * q // ONE
    return Opportunity(
        id=f"o{n}", symbol=SYMBOL, buy_venue=buy_venue, sell_venue=sell_venue, qty=q, buy_limit=bp, sell_limit=sp,
        buy_quote=buy_quote, sell_quote=sell_quote, buy_fee=buy_quote // 1000, sell_fee=sell_quote // 1000,
        gross_profit=sell_quote - buy_quote, net_profit=0, buy_fee_rate=FEE, sell_fee_rate=FEE,
        buy_ts_event_ns=0, buy_ts_recv_ns=recv_ns, sell_ts_event_ns=0, sell_ts_recv_ns=recv_ns, ts_decision_ns=recv_ns,
    )


def portfolio(usdt="1000", btc="5") -> Portfolio:
    return Portfolio({("a", "USDT"): fx(usdt), ("b", "BTC"): fx(btc), ("a", "BTC"): 0, ("b", "USDT"): 0})


LIMITS = risk_limits(max_notional_quote="500", max_position={"BTC": "2"}, max_open_legs=4)


def test_a_trade_within_every_limit_is_approved():
    decision = RiskEngine(LIMITS).check(opp(), portfolio(), now_ns=10, open_legs=0)
    assert decision.approved and decision.code == "ok"


@pytest.mark.parametrize(
    ("make", "kwargs", "code", "words"),
    [
        (lambda: opp(recv_ns=0), {"now_ns": 5_000_000_001}, "stale", "old"),
        (lambda: opp(qty="5"), {}, "notional", "notional 505"),
        (lambda: opp(), {"open_legs": 3}, "open-legs", "3 legs open"),
        (lambda: opp(qty="3", buy="100", sell="101"), {"portfolio": portfolio(usdt="300")}, "balance", "a: 300 USDT free"),
        (lambda: opp(qty="1"), {"portfolio": portfolio(btc="0.5")}, "balance", "b: 0.5 BTC free"),
        (lambda: opp(qty="2.5", buy="10", sell="11"), {}, "position", "BTC exposure could reach 2.5"),
    ],
)
def test_each_limit_refuses_with_a_reason(make, kwargs, code, words):
    args = {"portfolio": portfolio(), "now_ns": 10, "open_legs": 0} | kwargs
    decision = RiskEngine(LIMITS).check(make(), **args)
    assert not decision.approved and decision.code == code and words in decision.reason


def test_balance_check_uses_the_buy_lock_at_the_limit_price_with_fee():
    o = opp(qty="1", buy="100")
    need = reserve_quote(o.buy_limit, o.qty, FEE)
    assert need == fx("100.1")
    assert RiskEngine(LIMITS).check(o, portfolio(usdt="100.1"), 10, 0).approved
    assert RiskEngine(LIMITS).check(o, portfolio(usdt="100.09"), 10, 0).code == "balance"


def test_open_orders_count_toward_the_position_cap():
    p = portfolio()
    p.open_order("x/buy", "a", SYMBOL, "buy", fx("1.5"), fx("200"))
    assert RiskEngine(LIMITS).check(opp(qty="0.4", buy="10", sell="11"), p, 10, 0).approved
    assert RiskEngine(LIMITS).check(opp(qty="0.6", buy="10", sell="11"), p, 10, 0).code == "position"


def test_check_never_raises_on_a_bad_symbol():
    bad = msgspec.structs.replace(opp(), symbol="BTCUSDT")
    decision = RiskEngine(LIMITS).check(bad, portfolio(), 10, 0)
    assert not decision.approved and decision.code == "invalid"


# -- states -------------------------------------------------------------------------------
def test_reducing_refuses_new_arbitrage_but_allows_reducing_orders():
    risk = RiskEngine(LIMITS)
    p = portfolio()
    p.open_order("x/buy", "a", SYMBOL, "buy", fx("1"), fx("100"))
    p.fill("x/buy", fx("1"), fx("100"), 0)
    p.close_order("x/buy")  # now long 1 BTC
    risk.set_state(TradingState.REDUCING, "end of day")

    assert risk.check(opp(), p, 10, 0).code == "reducing"
    assert risk.check_order(SYMBOL, "sell", fx("1"), p).approved
    assert risk.check_order(SYMBOL, "sell", fx("1.5"), p).code == "reducing"
    assert risk.check_order(SYMBOL, "buy", fx("0.1"), p).code == "reducing"
    risk.set_state(TradingState.ACTIVE, "morning")
    assert risk.check_order(SYMBOL, "buy", fx("0.1"), p).approved
    assert risk.check_order(SYMBOL, "buy", fx("1.1"), p).code == "position"


def test_kill_switch_halts_everything_until_released():
    risk = RiskEngine(LIMITS)
    risk.kill("operator pressed the button", now_ns=7)

    assert risk.check(opp(), portfolio(), 10, 0).code == "halted"
    assert risk.check_order(SYMBOL, "sell", fx("1"), portfolio()).code == "halted"
    assert risk.set_state(TradingState.ACTIVE, "try").code == "killed"
    assert risk.state is TradingState.HALTED and "operator pressed the button" in risk.reason

    risk.release_kill("all clear")
    assert risk.state is TradingState.HALTED
    assert risk.set_state(TradingState.ACTIVE, "resume").approved
    assert risk.check(opp(), portfolio(), 10, 0).approved


def test_error_rate_breaker_halts_above_one_percent_of_the_window():
    risk = RiskEngine(risk_limits(error_window_orders=200))
    for i in range(198):
        assert risk.record_order(True, i).approved
    assert risk.record_order(False, 198).approved
    assert risk.record_order(False, 199).approved  # 2 of 200 = 1 %: not more than 1 %
    assert risk.state is TradingState.ACTIVE

    verdict = risk.record_order(False, 200)

    assert not verdict.approved and verdict.code == "error-rate"
    assert risk.state is TradingState.HALTED and "3 of the last 200 orders failed" in risk.reason
    assert risk.check(opp(), portfolio(), 10, 0).code == "halted"


def test_failures_age_out_of_the_window():
    risk = RiskEngine(risk_limits(error_window_orders=100))  # more than 1 failure in 100 halts
    risk.record_order(False, 0)
    for i in range(100):
        risk.record_order(True, i)
    assert risk.failures == 0
    risk.record_order(False, 200)
    assert risk.state is TradingState.ACTIVE


def test_resuming_after_a_trip_starts_a_fresh_window():
    risk = RiskEngine(risk_limits(error_window_orders=100))
    risk.record_order(False, 0)
    risk.record_order(False, 1)
    assert risk.state is TradingState.HALTED
    risk.set_state(TradingState.ACTIVE, "fixed the venue")
    assert risk.failures == 0 and risk.record_order(False, 2).approved


def test_decisions_are_counted_by_code():
    risk = RiskEngine(LIMITS)
    risk.check(opp(), portfolio(), 10, 0)
    risk.check(opp(), portfolio(), 10, 9)
    assert risk.decisions == {"ok": 1, "open-legs": 1}


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"max_notional_quote": "0"}, "max_notional_quote"),
        ({"max_position": {"BTC": "-1"}}, "max_position.BTC"),
        ({"max_open_legs": 1}, "max_open_legs"),
        ({"max_data_age_ns": 0}, "max_data_age_ns"),
        ({"error_rate_limit": "1.5"}, "error_rate_limit"),
        ({"error_rate_limit": "abc"}, "error_rate_limit"),
        ({"error_window_orders": 0}, "error_window_orders"),
    ],
)
def test_limit_errors_name_the_key(kwargs, key):
    with pytest.raises(ConfigError, match=key):
        risk_limits(**kwargs)


# -- property -----------------------------------------------------------------------------
new_opp = st.tuples(st.just("opp"), st.sampled_from(["0.1", "0.5", "1", "1.7", "3"]), st.sampled_from(["a", "b", "c"]),
                   st.sampled_from(["a", "b", "c"]), st.integers(0, 6))
fill = st.tuples(st.just("fill"), st.integers(0, 20), st.sampled_from(["all", "none", "half", "buy", "sell"]))
step = st.one_of(
    new_opp, new_opp, new_opp, fill, fill,
    st.tuples(st.just("fail"),),
    st.tuples(st.just("state"), st.sampled_from([TradingState.ACTIVE, TradingState.ACTIVE, TradingState.REDUCING, TradingState.HALTED])),
)


@settings(max_examples=250, deadline=None)
@given(st.lists(step, min_size=20, max_size=80), st.sampled_from(["0.5", "1", "2.5"]), st.sampled_from([4, 6, 10]))
def test_risk_limits_are_never_exceeded(steps, cap, max_legs):
    limits = risk_limits(max_notional_quote="250", max_position={"BTC": cap}, max_open_legs=max_legs,
                                      error_window_orders=300)
    risk = RiskEngine(limits)
    venues = ("a", "b", "c")
    p = Portfolio({(v, a): fx("400") if a == "USDT" else fx("2") for v in venues for a in ("BTC", "USDT")})
    open_trades: list[tuple[str, str]] = []  # pairs of order ids
    n = 0
    for action in steps:
        if action[0] == "opp":
            _, qty, buy_venue, sell_venue, age = action
            if buy_venue == sell_venue:
                continue
            n += 1
            o = opp(qty=qty, buy="100", sell="100.5", recv_ns=0, n=n, buy_venue=buy_venue, sell_venue=sell_venue)
            now = age * 1_000_000_000
            legs = 2 * len(open_trades)
            decision = risk.check(o, p, now, legs)
            if decision.approved:
                assert now - o.data_ts_recv_ns <= limits.max_data_age_ns
                assert o.notional_quote <= limits.max_notional_quote
                assert legs + 2 <= limits.max_open_legs and risk.state is TradingState.ACTIVE
                assert p.open_order(f"{o.id}/buy", buy_venue, SYMBOL, "buy", o.qty, o.buy_reserve_quote) is None
                assert p.open_order(f"{o.id}/sell", sell_venue, SYMBOL, "sell", o.qty, o.qty) is None
                open_trades.append((f"{o.id}/buy", f"{o.id}/sell"))
        elif action[0] == "fill" and open_trades:
            _, index, how = action
            buy_id, sell_id = open_trades.pop(index % len(open_trades))
            qty = p._open[buy_id].qty
            fills = {"all": (qty, qty), "none": (0, 0), "half": (qty // 2, qty // 2), "buy": (qty, 0), "sell": (0, qty)}[how]
            for order_id, filled, price in ((buy_id, fills[0], 100), (sell_id, fills[1], 100)):
                quote = price * filled
                assert p.fill(order_id, filled, quote, quote // 1000) is None
                p.close_order(order_id)
        elif action[0] == "fail":
            risk.record_order(False, 0)
        elif action[0] == "state" and not risk.killed:
            risk.set_state(action[1], "test")
        assert abs(p.exposure("BTC")) <= limits.max_position["BTC"]
        sells, buys = p.pending("BTC")
        assert p.exposure("BTC") + buys <= limits.max_position["BTC"]
        assert p.exposure("BTC") - sells >= -limits.max_position["BTC"]
        assert min(p.balances().values()) >= 0


# -- daily notional, inventory floors, rebalancing --------------------------------------------
DAY = 86_400 * 10**9


def test_the_daily_notional_cap_counts_what_was_placed_and_resets_at_utc_midnight():
    risk = RiskEngine(risk_limits(max_notional_quote="500", max_daily_notional_quote="150"))
    now = 5 * DAY + 10
    assert risk.check(opp(recv_ns=now), portfolio(), now, 0).approved  # 101 of 150
    risk.record_notional(opp().notional_quote, now)
    denied = risk.check(opp(recv_ns=now + 1), portfolio(), now + 1, 0)
    assert (denied.approved, denied.code) == (False, "daily-notional")  # 101 + 101 > 150
    assert risk.check(opp(recv_ns=6 * DAY), portfolio(), 6 * DAY, 0).approved  # a new UTC day


def test_an_inventory_floor_pauses_the_direction_that_would_spend_below_it():
    floors = {("a", "USDT"): fx("950")}  # buying 1 at 100 on a would leave ~899.9 USDT there
    decision = RiskEngine(risk_limits(inventory_floor=floors)).check(opp(), portfolio(), 10, 0)
    assert (decision.approved, decision.code) == (False, "inventory") and "a USDT" in decision.reason
    assert RiskEngine(risk_limits(inventory_floor={("a", "USDT"): fx("800")})).check(opp(), portfolio(), 10, 0).approved


def test_rebalancing_restores_the_split_and_prices_each_transfer_at_the_withdrawal_fee():
    from arb.risk.inventory import Transfer, rebalance

    balances = {("a", "USDT"): 900 * ONE, ("b", "USDT"): 100 * ONE, ("c", "USDT"): 500 * ONE}
    moves = rebalance(balances, ["a", "b", "c"], withdrawal_fees={("a", "USDT"): ONE})
    assert moves == [Transfer("USDT", "a", "b", 400 * ONE, ONE)]
    weighted = rebalance(balances, ["a", "b", "c"], targets={"USDT": {"a": 2, "b": 1}})
    assert weighted == [Transfer("USDT", "c", "b", 400 * ONE, 0), Transfer("USDT", "c", "a", 100 * ONE, 0)]
