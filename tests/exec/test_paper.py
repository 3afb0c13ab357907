"""Paper executor: latency, depth, partial fills, one-legged policies, determinism."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from arb.book.view import BookView
from arb.core.numbers import ONE
from arb.exec import (
    Fill,
    Intent,
    MemoryJournal,
    Order,
    Portfolio,
    TradeResult,
    encode,
    summarize,
)
from arb.risk import RiskEngine
from tests.exec.desks import PaperDesk
from tests.exec.desks import config as paper_config
from arb.scan import Scanner
from tests.configs import risk_limits, scan_config
from tests.scan.books import SYMBOL, fx, view
from tests.scan.test_scanner import market as random_market

FEES = {"a": "0.001", "b": "0.001", "c": "0.001"}
LATENCY = {"a": 5, "b": 7, "c": 3}


class Market(dict):
    """``market(venue, symbol)`` over a dict of views keyed by venue."""

    def __call__(self, venue: str, symbol: str) -> BookView | None:
        v = self.get(venue)
        return v if v is not None and v.symbol == symbol else None


def books() -> Market:
    return Market(
        a=view("a", [("99", "5")], [("100", "1"), ("100.5", "2")]),
        b=view("b", [("101", "1.5"), ("100.7", "1")], [("102", "5")]),
        c=view("c", [("99.5", "5")], [("100.2", "5")]),
    )


def rich_portfolio(venues=("a", "b", "c")) -> Portfolio:
    return Portfolio({(v, asset): fx("100000") if asset == "USDT" else fx("10") for v in venues for asset in ("BTC", "USDT")})


def make(policy="unwind", portfolio=None, mkt=None, risk=None, fees=FEES):
    mkt = mkt if mkt is not None else books()
    portfolio = portfolio if portfolio is not None else rich_portfolio()
    config = paper_config(fees, latency_ns=LATENCY, default_latency_ns=4, one_legged=policy)
    executor = PaperDesk(config, portfolio, mkt, MemoryJournal(), risk=risk, reporting_price={"USDT": ONE}.get)
    return executor, portfolio, mkt


def opportunity(mkt, now_ns=1_000, balances=None, pair=("a", "b")):
    result = Scanner(scan_config(FEES)).scan(SYMBOL, mkt, now_ns, balances)
    return next(o for o in result.opportunities if (o.buy_venue, o.sell_venue) == pair)


# -- the happy path -----------------------------------------------------------------------
def test_unchanged_books_fill_fully_and_realize_the_expected_net_profit():
    executor, portfolio, mkt = make()
    opp = opportunity(mkt, balances=portfolio)

    orders = executor.submit(opp, 1_000)

    assert [(o.role, o.venue, o.due_ns, o.status) for o in orders] == [("buy", "a", 1_005, "open"), ("sell", "b", 1_007, "open")]
    assert executor.open_legs() == 2 and executor.next_due_ns() == 1_005
    assert executor.advance(1_006) == [] and executor.open_legs() == 1
    (trade,) = executor.advance(1_007)
    assert (trade.buy_filled, trade.sell_filled, trade.one_legged, trade.action) == (opp.qty, opp.qty, False, "none")
    assert trade.realized_pnl_quote == opp.net_profit == trade.expected_net_profit
    assert trade.realized_pnl_reporting == opp.net_profit
    assert (trade.buy_fee, trade.sell_fee) == (opp.buy_fee, opp.sell_fee)
    assert trade.buy_avg_price == opp.buy_quote * ONE // opp.qty
    assert portfolio.exposure("BTC") == 0 and portfolio.exposure("USDT") == opp.net_profit
    assert portfolio.drift("BTC") == {"a": opp.qty, "b": -opp.qty, "c": 0}
    assert portfolio.locked("a", "USDT") == 0 and portfolio.realized == {"USDT": opp.net_profit}
    kinds = [type(r).__name__ for r in executor.journal]
    assert kinds == ["Intent", "Order", "Order", "Fill", "Fill", "TradeResult"]
    assert executor.results() == [trade] and executor.next_due_ns() is None


def test_an_id_is_executed_once():
    executor, _, mkt = make()
    opp = opportunity(mkt)
    assert len(executor.submit(opp, 1_000)) == 2
    assert executor.submit(opp, 1_001) == []


# -- depth is consumed --------------------------------------------------------------------
def test_two_trades_never_eat_the_same_liquidity():
    executor, portfolio, mkt = make(policy="hold")
    first, second = opportunity(mkt, 1_000), opportunity(mkt, 1_001)
    executor.submit(first, 1_000)
    executor.submit(second, 1_001)

    one, two = executor.advance(2_000)

    assert one.buy_filled == one.sell_filled == fx("1.5")
    # a still has 1.5 @ 100.5 (within the limit); b's 101 bids are gone.
    assert (two.buy_filled, two.buy_avg_price, two.sell_filled) == (fx("1.5"), fx("100.5"), 0)
    assert two.one_legged and two.action == "hold" and two.residual_base == fx("1.5")
    assert portfolio.exposure("BTC") == fx("1.5")


def test_a_changed_level_is_fresh_liquidity_again():
    executor, _, mkt = make()
    first, second = opportunity(mkt, 1_000), opportunity(mkt, 1_001)
    executor.submit(first, 1_000)
    executor.advance(2_000)
    mkt["a"] = view("a", [("99", "5")], [("100", "1.1"), ("100.5", "2")])
    mkt["b"] = view("b", [("101", "1.6"), ("100.7", "1")], [("102", "5")])

    executor.submit(second, 2_000)
    (trade,) = executor.advance(3_000)

    assert trade.buy_filled == trade.sell_filled == second.qty and not trade.one_legged


# -- one-legged fills ---------------------------------------------------------------------
def thin_buy_side(policy: str):
    """The buy venue loses its second ask level before the buy arrives: 1 of 1.5 fills."""
    executor, portfolio, mkt = make(policy=policy)
    opp = opportunity(mkt)
    executor.submit(opp, 1_000)
    mkt["a"] = view("a", [("99", "5")], [("100", "1")])
    (trade,) = executor.advance(1_007) + executor.advance(10_000)
    return opp, trade, portfolio


def test_unwind_buys_back_the_shortfall_on_the_sell_venue():
    opp, trade, portfolio = thin_buy_side("unwind")

    assert (trade.buy_filled, trade.sell_filled, trade.one_legged) == (fx("1"), fx("1.5"), True)
    assert (trade.action, trade.action_venue, trade.action_side, trade.action_filled) == ("unwind", "b", "buy", fx("0.5"))
    assert trade.action_quote == fx("51")  # 0.5 @ 102
    assert trade.residual_base == 0 and portfolio.exposure("BTC") == 0
    assert trade.realized_pnl_quote == trade.sell_quote - trade.buy_quote - trade.action_quote - trade.fees_quote
    assert trade.fees_quote == trade.buy_fee + trade.sell_fee + trade.action_fee
    assert portfolio.exposure("USDT") == trade.realized_pnl_quote < opp.net_profit


def test_hedge_buys_the_shortfall_on_the_best_other_venue():
    _, trade, portfolio = thin_buy_side("hedge")

    # a's only ask was taken by our own buy, so c (100.2) fills it.
    assert (trade.action, trade.action_venue, trade.action_side, trade.action_filled) == ("hedge", "c", "buy", fx("0.5"))
    assert trade.action_quote == fx("50.1")
    assert trade.residual_base == 0 and portfolio.exposure("BTC") == 0


def test_hold_keeps_the_exposure_and_says_so():
    _, trade, portfolio = thin_buy_side("hold")

    assert (trade.action, trade.action_filled, trade.residual_base) == ("hold", 0, fx("-0.5"))
    assert trade.reason == "policy: hold" and portfolio.exposure("BTC") == fx("-0.5")
    # The matched 1 BTC is realized; the short 0.5 stays in inventory at its price.
    assert trade.realized_pnl_quote == (trade.sell_quote * 2 // 3) - trade.buy_quote - trade.fees_quote


def test_a_leg_the_balance_cannot_cover_is_rejected_and_the_other_is_unwound():
    portfolio = Portfolio({("a", "USDT"): fx("1000"), ("b", "BTC"): fx("0.1")})
    limits = risk_limits(error_window_orders=100)
    risk = RiskEngine(limits)
    executor, _, mkt = make(portfolio=portfolio, risk=risk)
    opp = opportunity(mkt)  # sized without balances: 1.5 BTC

    orders = executor.submit(opp, 1_000)
    (trade,) = executor.advance(10_000)

    assert [o.status for o in orders] == ["open", "rejected"] and "insufficient BTC on b" in orders[1].reason
    assert (trade.buy_filled, trade.sell_filled, trade.action, trade.action_venue) == (fx("1.5"), 0, "unwind", "a")
    assert trade.action_filled == fx("1.5") and trade.residual_base == 0
    assert min(portfolio.balances().values()) >= 0 and portfolio.exposure("BTC") == 0
    assert risk.failures == 1


def test_a_fill_the_portfolio_refuses_is_a_rejected_order():
    class Refusing(Portfolio):
        def fill(self, order_id, qty, quote, fee, fee_asset=""):
            return "refused for the test"

    risk = RiskEngine(risk_limits())
    executor, portfolio, mkt = make(portfolio=Refusing({("a", "USDT"): fx("1000"), ("b", "BTC"): fx("2")}), risk=risk, policy="hold")
    executor.submit(opportunity(mkt), 1_000)
    (trade,) = executor.advance(10_000)

    fills = executor.journal.of_kind(Fill)
    assert [f.status for f in fills] == ["rejected", "rejected"] and fills[0].reason == "refused for the test"
    assert trade.buy_filled == trade.sell_filled == 0 and risk.failures == 2
    assert portfolio.locked("a", "USDT") == 0


def test_no_live_book_at_arrival_expires_the_leg():
    executor, _, mkt = make(policy="hold")
    executor.submit(opportunity(mkt), 1_000)
    mkt["b"] = view("b", [("101", "1.5")], [("102", "5")], state="resyncing")
    (trade,) = executor.advance(10_000)
    assert trade.sell_filled == 0 and executor.journal.of_kind(Fill)[1].reason == "no live book"


# -- determinism --------------------------------------------------------------------------
def scripted_run(policy: str) -> list[bytes]:
    executor, _, mkt = make(policy=policy)
    for step in range(6):
        now = 1_000 * (step + 1)
        result = Scanner(scan_config(FEES)).scan(SYMBOL, mkt, now, executor.portfolio)
        for opp in result.opportunities:
            executor.submit(opp, now)
        mkt["a"] = view("a", [("99", "5")], [("100", str(1 + step % 3)), ("100.5", "2")])
        executor.advance(now + 6)
    executor.advance(100_000)
    return [encode(r) for r in executor.journal]


def test_same_inputs_same_journal():
    for policy in ("unwind", "hedge", "hold"):
        assert scripted_run(policy) == scripted_run(policy)


# -- properties ---------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(random_market(), st.dictionaries(st.sampled_from(["v0", "v1", "v2", "v3"]), st.integers(0, 50)))
def test_a_fully_filled_arb_on_still_books_realizes_exactly_its_net_profit(mkt, latency):
    views, fees = mkt
    portfolio = rich_portfolio(tuple(views))
    config = paper_config(fees, latency_ns=latency)
    executor = PaperDesk(config, portfolio, Market(views))
    result = Scanner(scan_config(fees, min_profit_quote="0")).scan(SYMBOL, views, 100, portfolio)
    if not result.opportunities:
        return
    opp = result.opportunities[0]

    executor.submit(opp, 100)
    (trade,) = executor.advance(200)

    assert trade.buy_filled == trade.sell_filled == opp.qty
    assert trade.realized_pnl_quote == opp.net_profit
    assert portfolio.exposure("BTC") == 0 and portfolio.exposure("USDT") == opp.net_profit
    assert portfolio.fees("USDT") == opp.buy_fee + opp.sell_fee


def mutate(rng, v: BookView) -> BookView:
    """Shift, thin or thicken a book a little (never crossed)."""
    shift = rng.randint(-30, 30) * ONE // 100
    scale = rng.choice([0, 1, 2, 5, 10, 20])
    def side(levels):
        return tuple((p + shift, max(1, q * scale // 10)) for p, q in levels)
    bids, asks = side(v.bids), side(v.asks)
    if bids and asks and bids[0][0] >= asks[0][0]:
        return v
    return BookView(v.venue, v.symbol, bids, asks, v.ts_event_ns, v.ts_recv_ns, None, rng.choice(["live"] * 9 + ["resyncing"]))


@settings(max_examples=120, deadline=None)
@given(random_market(), st.sampled_from(["unwind", "hedge", "hold"]), st.randoms(use_true_random=False))
def test_balances_never_go_negative_and_exposure_is_what_trades_left(mkt, policy, rng):
    views, fees = mkt
    views = Market(views)
    start = {(v, a): rng.choice([0, ONE // 3, 2 * ONE, 500 * ONE, 3_000 * ONE]) for v in views for a in ("BTC", "USDT")}
    portfolio = Portfolio(start)
    latency = {v: rng.randint(0, 30) for v in views}
    executor = PaperDesk(paper_config(fees, latency_ns=latency, one_legged=policy), portfolio, views)
    scanner = Scanner(scan_config(fees, min_profit_quote="0"))
    now = 0
    for _ in range(25):
        now += rng.randint(1, 20)
        venue = rng.choice(sorted(views))
        views[venue] = mutate(rng, views[venue])
        for opp in scanner.scan(SYMBOL, views, now, portfolio, changed_venue=venue).opportunities[:2]:
            if rng.random() < 0.7:
                executor.submit(opp, now)
        executor.advance(now)
        assert min(portfolio.balances().values()) >= 0
        assert all(portfolio.available(v, a) >= 0 for v, a in portfolio.balances())
    executor.advance(now + 1_000)

    trades = executor.results()
    assert executor.open_legs() == 0 and all(portfolio.locked(v, a) == 0 for v, a in portfolio.balances())
    assert portfolio.exposure("BTC") == sum(t.residual_base for t in trades)
    for t in trades:
        assert t.one_legged == (t.buy_filled != t.sell_filled)
        assert t.buy_filled <= t.intended_qty and t.sell_filled <= t.intended_qty
        diff = t.buy_filled - t.sell_filled
        if policy == "hold" or not t.one_legged:
            assert t.action in ("none", "hold") and t.residual_base == diff
        else:
            signed = t.action_filled if t.action_side == "buy" else -t.action_filled
            assert t.residual_base == diff + signed and abs(t.residual_base) <= abs(diff)
        if t.action == "unwind":
            assert t.action_venue == (t.buy_venue if diff > 0 else t.sell_venue)
        if t.action == "hedge":
            assert t.action_venue != (t.buy_venue if diff > 0 else t.sell_venue)
    summary = summarize(trades)
    assert summary.trades == len(trades) and summary.residual_base.get("BTC", 0) == portfolio.exposure("BTC")
    journal = executor.journal
    assert len(journal.of_kind(Intent)) == len(trades) == len(journal.of_kind(TradeResult))
    assert len(journal.of_kind(Order)) == len(journal.of_kind(Fill))
