"""Scanner: sizing across depth, caps, skipped views, spread counts, and properties."""

from __future__ import annotations

import random
from fractions import Fraction
from math import ceil, floor

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arb.book.view import BookView
from arb.core.errors import ConfigError
from arb.core.instruments import Instruments
from arb.core.numbers import ONE
from arb.scan import Scanner, SpreadHistogram
from tests.configs import scan_config
from tests.scan.books import SYMBOL, Balances, fx, instrument, view

FEES = {"a": "0.001", "b": "0.001", "c": "0.002"}


def scanner(fees=FEES, instruments=(), **kw) -> Scanner:
    return Scanner(scan_config(fees, **kw), Instruments(list(instruments)))


def two_books():
    a = view("a", [("99", "1")], [("100", "1"), ("100.5", "2")], ts_recv_ns=10)
    b = view("b", [("101", "1.5"), ("100.7", "1")], [("102", "1")], ts_recv_ns=20)
    return {"a": a, "b": b}


# -- sizing -------------------------------------------------------------------------------
def test_walks_both_books_to_the_size_that_maximizes_net_profit():
    result = scanner().scan(SYMBOL, two_books(), now_ns=1_000)

    (opp,) = result.opportunities
    # 1 @ 100 + 0.5 @ 100.5 bought, 1.5 @ 101 sold; the next unit (100.5 → 100.7) loses to fees.
    assert (opp.buy_venue, opp.sell_venue, opp.qty) == ("a", "b", fx("1.5"))
    assert (opp.buy_limit, opp.sell_limit) == (fx("100.5"), fx("101"))
    assert (opp.buy_quote, opp.sell_quote) == (fx("150.25"), fx("151.5"))
    assert (opp.buy_fee, opp.sell_fee) == (fx("0.15025"), fx("0.1515"))
    assert opp.gross_profit == fx("1.25") and opp.net_profit == fx("0.94825")
    assert (opp.buy_ts_recv_ns, opp.sell_ts_recv_ns, opp.ts_decision_ns) == (10, 20, 1_000)
    assert opp.id == "1000:BTC/USDT:a>b:10:20"
    assert result.pairs_checked == 2 and result.pairs_walked == 1
    assert result.spreads_bps == [-314]  # b → a: 99·0.999 vs 102·1.001


def test_same_inputs_give_the_same_result():
    assert scanner().scan(SYMBOL, two_books(), 5) == scanner().scan(SYMBOL, two_books(), 5)


def test_min_profit_filters_small_opportunities():
    result = scanner(min_profit_quote="0.95").scan(SYMBOL, two_books(), 1_000)
    assert result.opportunities == [] and result.below_threshold == 2


def test_max_notional_caps_both_legs():
    result = scanner(min_profit_quote="0.1", max_notional_quote="101").scan(SYMBOL, two_books(), 1_000)
    (opp,) = result.opportunities
    assert opp.qty == fx("1") and opp.sell_quote == fx("101") and opp.buy_quote == fx("100")


def test_quote_balance_includes_the_buy_fee_at_the_limit_price():
    # 100.1 USDT pays 1 @ 100 plus 0.1 fee, but not a unit more.
    balances = Balances({("a", "USDT"): "100.1", ("b", "BTC"): "10"})
    (opp,) = scanner(min_profit_quote="0.1").scan(SYMBOL, two_books(), 1_000, balances).opportunities
    assert opp.qty <= fx("1") and opp.buy_reserve_quote <= fx("100.1")
    assert opp.qty > fx("0.99")


def test_base_balance_on_the_sell_venue_caps_the_size():
    balances = Balances({("a", "USDT"): "1000000", ("b", "BTC"): "0.7"})
    (opp,) = scanner(min_profit_quote="0.1").scan(SYMBOL, two_books(), 1_000, balances).opportunities
    assert opp.qty == fx("0.7")


def test_no_balance_no_opportunity():
    balances = Balances({("a", "USDT"): "1000000"})
    result = scanner().scan(SYMBOL, two_books(), 1_000, balances)
    assert result.opportunities == [] and result.pairs_walked == 1


def test_size_is_a_multiple_of_both_lots():
    instruments = [instrument("a", lot="0.2"), instrument("b", lot="0.3")]
    (opp,) = scanner(instruments=instruments).scan(SYMBOL, two_books(), 1_000).opportunities
    # lcm 0.6: 1.8, just past the optimum at 1.5 (−0.0012 a unit), nets 0.94789; 1.2 only 0.8587.
    assert opp.qty == fx("1.8") and opp.net_profit == fx("0.94789")


def test_below_a_venue_minimum_there_is_no_trade():
    result = scanner(instruments=[instrument("b", min_notional="200")]).scan(SYMBOL, two_books(), 1_000)
    assert result.opportunities == []
    result = scanner(instruments=[instrument("a", min_qty="2")]).scan(SYMBOL, two_books(), 1_000)
    assert result.opportunities == []


# -- views that must not be scanned -------------------------------------------------------
def test_a_venue_whose_instrument_is_halted_is_not_traded_until_it_trades_again():
    """A halted symbol's book can stay quoted, frozen: arbitraging it would be a phantom."""
    halted = msgspec.structs.replace(instrument("b"), status="halted")
    scan = scanner(instruments=[instrument("a"), halted])
    books = two_books()
    result = scan.scan(SYMBOL, books, 1_000)
    assert result.opportunities == [] and result.views_unusable == 1
    scan.instruments.add(instrument("b"))  # the venue's listing refreshed: trading again
    scan.instruments_changed()
    assert len(scan.scan(SYMBOL, books, 1_000).opportunities) == 1


@pytest.mark.parametrize(
    ("change", "counter"),
    [
        ({"state": "resyncing"}, "views_unhealthy"),
        ({"state": "syncing"}, "views_unhealthy"),
        ({"ts_recv_ns": 0}, "views_stale"),
        ({"bids": [("102", "1")]}, "views_crossed"),
        ({"bids": []}, "views_unusable"),
        ({"symbol": "ETH/USDT"}, "views_unusable"),
    ],
)
def test_skips_unhealthy_stale_crossed_and_unusable_views(change, counter):
    now = 6_000_000_000
    fields = {"bids": [("101", "1.5")], "asks": [("102", "1")], "ts_recv_ns": now - 1, "state": "live", "symbol": SYMBOL}
    fields.update(change)
    b = view("b", fields["bids"], fields["asks"], ts_recv_ns=fields["ts_recv_ns"], state=fields["state"], symbol=fields["symbol"])
    a = view("a", [("99", "1")], [("100", "1")], ts_recv_ns=now - 1)

    result = scanner().scan(SYMBOL, {"a": a, "b": b}, now)

    assert result.opportunities == [] and result.pairs_checked == 0
    assert getattr(result, counter) == 1


def test_data_exactly_max_age_old_is_still_fresh():
    books = two_books()
    now = 20 + 5_000_000_000
    assert scanner().scan(SYMBOL, {"b": books["b"], "a": books["a"]}, now - 10).opportunities
    assert not scanner().scan(SYMBOL, books, now + 1).opportunities


def test_a_venue_without_a_fee_rate_is_never_traded():
    result = scanner(fees={"a": "0.001"}).scan(SYMBOL, two_books(), 1_000)
    assert result.opportunities == [] and result.views_unusable == 1


def test_changed_venue_limits_the_pairs():
    books = two_books() | {"c": view("c", [("98", "1")], [("103", "1")], ts_recv_ns=30)}
    s = scanner()

    full = s.scan(SYMBOL, books, 1_000)
    only_c = s.scan(SYMBOL, books, 1_000, changed_venue="c")
    only_b = s.scan(SYMBOL, books, 1_000, changed_venue="b")
    missing = s.scan(SYMBOL, books, 1_000, changed_venue="zzz")

    assert full.pairs_checked == 6 and only_c.pairs_checked == 4 and missing.pairs_checked == 0
    assert only_c.opportunities == [] and only_b.opportunities == full.opportunities
    assert sorted(only_c.spreads_bps) == sorted(
        bps for bps in full.spreads_bps if bps in only_c.spreads_bps
    )


def test_opportunities_come_best_first():
    books = two_books() | {"c": view("c", [("102", "3")], [("104", "1")], ts_recv_ns=30)}
    opps = scanner(fees={"a": "0", "b": "0", "c": "0"}).scan(SYMBOL, books, 1_000).opportunities
    assert [(o.buy_venue, o.sell_venue) for o in opps][:1] == [("a", "c")]
    assert [o.net_profit for o in opps] == sorted((o.net_profit for o in opps), reverse=True)


# -- spread histogram ---------------------------------------------------------------------
def test_histogram_counts_sub_threshold_spreads_and_views():
    histogram = SpreadHistogram(bucket_bps=10)
    s = scanner(min_profit_quote="5")
    books = two_books()
    books["x"] = view("x", [("1", "1")], [("2", "1")], state="failed")

    histogram.add_result(s.scan(SYMBOL, books, 1_000))
    histogram.add_result(s.scan(SYMBOL, books, 1_000))

    # a→b: +79 bps at the top (101·0.999 − 100·1.001) but below 5 USDT; b→a: −314 bps.
    assert histogram.buckets() == [(-320, 2), (70, 2)]
    assert (histogram.spreads, histogram.negative, histogram.scans) == (4, 2, 2)
    assert (histogram.pairs_checked, histogram.opportunities, histogram.views_unhealthy) == (4, 0, 2)
    assert histogram.quantile(0.5) == -320 and histogram.quantile(1.0) == 70


def test_histogram_merge():
    a, b = SpreadHistogram(), SpreadHistogram()
    a.add_all([1, 2, -5])
    b.add_all([2])
    a.merge(b)
    assert a.counts == {1: 1, 2: 2, -5: 1} and a.spreads == 4


# -- config -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"taker_fee_rates": {"a": "-0.1"}}, "taker_fee_rates.a"),
        ({"taker_fee_rates": {"a": "1"}}, "taker_fee_rates.a"),
        ({"taker_fee_rates": {"a": "x"}}, "taker_fee_rates.a"),
        ({"taker_fee_rates": {}, "min_profit_quote": "-1"}, "min_profit_quote"),
        ({"taker_fee_rates": {}, "max_notional_quote": "0"}, "max_notional_quote"),
        ({"taker_fee_rates": {}, "max_age_ns": 0}, "max_age_ns"),
        ({"taker_fee_rates": {}, "depth": 0}, "depth"),
    ],
)
def test_config_errors_name_the_key(kwargs, key):
    with pytest.raises(ConfigError, match=key):
        scan_config(**kwargs)


def test_config_defaults():
    config = scan_config({"a": "0.001"})
    assert config.min_profit_quote == ONE // 2 and config.max_age_ns == 5_000_000_000
    assert config.taker_fee_rates == {"a": 10**15}


# -- properties ---------------------------------------------------------------------------
CENT = ONE // 100
TENTH = ONE // 10
VENUES = ("v0", "v1", "v2", "v3")
fee_rates = st.sampled_from(["0", "0.0001", "0.0005", "0.001", "0.002"])


@st.composite
def side_levels(draw, start: int, direction: int):
    """Up to 4 levels from ``start`` (cents), moving by 1–30 cents; sizes in tenths."""
    levels, price = [], start
    for _ in range(draw(st.integers(1, 4))):
        levels.append((price * CENT, draw(st.integers(1, 30)) * TENTH))
        price += direction * draw(st.integers(1, 30))
    return tuple(levels)


@st.composite
def market(draw):
    """2–4 venues with books around 100.00, often overlapping across venues."""
    views = {}
    for venue in VENUES[: draw(st.integers(2, 4))]:
        ask = draw(st.integers(9_950, 10_050))
        bid = ask - draw(st.integers(1, 20))
        views[venue] = BookView(
            venue, SYMBOL, draw(side_levels(bid, -1)), draw(side_levels(ask, 1)),
            draw(st.integers(0, 10)), draw(st.integers(0, 10)), None, "live",
        )
    fees = {venue: draw(fee_rates) for venue in views}
    return views, fees


def sum_cost(levels, qty: int) -> Fraction | None:
    """Exact Σ price × qty for ``qty`` (fixed) off ``levels``; None if they run out."""
    left, total = Fraction(qty, ONE), Fraction(0)
    for price, size in levels:
        part = min(Fraction(size, ONE), left)
        total += part * Fraction(price, ONE)
        left -= part
    return None if left > 0 else total


def worst_price(levels, qty: int) -> int:
    """Price of the last level needed for ``qty``."""
    for price, size in levels:
        qty -= size
        if qty <= 0:
            return price
    raise AssertionError("not enough depth")


def reference(asks, bids, qty: int, fee_a: Fraction, fee_b: Fraction):
    """Brute-force figures of buying ``qty`` on ``asks``, selling on ``bids``: ``(net, larger leg)``."""
    paid, got = sum_cost(asks, qty), sum_cost(bids, qty)
    if paid is None or got is None:
        return None
    buy_quote = Fraction(ceil(paid * ONE), ONE)  # paid: rounded up to 18 dp
    sell_quote = Fraction(floor(got * ONE), ONE)  # received: rounded down
    buy_fee = Fraction(ceil(buy_quote * fee_a * ONE), ONE)
    sell_fee = Fraction(ceil(sell_quote * fee_b * ONE), ONE)
    return sell_quote - buy_quote - buy_fee - sell_fee, max(buy_quote, sell_quote)


@settings(max_examples=150, deadline=None)
@given(market(), st.sampled_from(["0", "0.01", "0.5"]), st.sampled_from([None, "150", "2000"]),
       st.sampled_from(["0", "0.1", "0.2", "0.5"]))
def test_net_profit_equals_a_brute_force_recomputation_and_is_optimal(mkt, min_profit, notional, lot):
    views, fees = mkt
    s = scanner(fees=fees, instruments=[instrument(v, lot=lot) for v in views],
                min_profit_quote=min_profit, max_notional_quote=notional)

    result = s.scan(SYMBOL, views, 10)

    emitted = {(o.buy_venue, o.sell_venue): o for o in result.opportunities}
    step = fx(lot) or TENTH  # book sizes are tenths, so the lattice holds every optimum
    cap = None if notional is None else Fraction(fx(notional), ONE)
    tolerance = Fraction(8, ONE)  # four roundings on either side of a comparison
    for a in views:
        for b in views:
            if a == b:
                continue
            fa, fb = Fraction(fx(fees[a]), ONE), Fraction(fx(fees[b]), ONE)
            asks, bids = views[a].asks, views[b].bids
            best = None
            for qty in range(step, sum(q for _, q in asks) + 1, step):
                ref = reference(asks, bids, qty, fa, fb)
                if ref is not None and (cap is None or ref[1] <= cap) and (best is None or ref[0] > best):
                    best = ref[0]
            opp = emitted.get((a, b))
            if opp is None:
                assert best is None or best < Fraction(fx(min_profit), ONE) + tolerance
                continue
            net, _ = reference(asks, bids, opp.qty, fa, fb)
            assert Fraction(opp.net_profit, ONE) == net >= Fraction(fx(min_profit), ONE)
            assert (opp.buy_limit, opp.sell_limit) == (worst_price(asks, opp.qty), worst_price(bids, opp.qty))
            assert best <= net + tolerance


@settings(max_examples=300, deadline=None)
@given(
    market(),
    st.sampled_from([None, "120", "1000"]),
    st.data(),
)
def test_sizes_respect_lots_minimums_balances_and_notional(mkt, notional, data):
    views, fees = mkt
    instruments = [
        instrument(
            v,
            lot=data.draw(st.sampled_from(["0", "0.1", "0.2", "0.5", "0.05"])),
            min_qty=data.draw(st.sampled_from(["0", "0.3", "1"])),
            min_notional=data.draw(st.sampled_from(["0", "10", "150"])),
        )
        for v in views
    ]
    balances = Balances({
        (v, asset): data.draw(st.sampled_from(["0", "0.5", "3", "100", "250.123", "100000"]))
        for v in views for asset in ("BTC", "USDT")
    })
    s = scanner(fees=fees, instruments=instruments, min_profit_quote="0", max_notional_quote=notional)

    result = s.scan(SYMBOL, views, 10, balances)

    by_venue = {i.venue: i for i in instruments}
    for opp in result.opportunities:
        for venue, limit in ((opp.buy_venue, opp.buy_limit), (opp.sell_venue, opp.sell_limit)):
            inst = by_venue[venue]
            assert inst.accepts(limit, opp.qty)
            assert not inst.lot_size or opp.qty % inst.lot_size == 0
        assert opp.qty <= balances.available(opp.sell_venue, "BTC")
        assert opp.buy_reserve_quote <= balances.available(opp.buy_venue, "USDT")
        assert opp.buy_quote + opp.buy_fee <= opp.buy_reserve_quote
        if notional is not None:
            assert opp.notional_quote <= fx(notional)
        assert opp.net_profit == opp.sell_quote - opp.buy_quote - opp.buy_fee - opp.sell_fee >= 0


@settings(max_examples=200, deadline=None)
@given(market())
def test_no_opportunity_when_fees_exceed_the_spread(mkt):
    views, _ = mkt
    best_bid = max(v.bids[0][0] for v in views.values())
    best_ask = min(v.asks[0][0] for v in views.values())
    # Every venue's fee is at least half the widest cross-venue spread, relative to the ask.
    fee = ceil(Fraction(max(best_bid - best_ask, 0), 2 * best_ask) * 10**8)
    text = f"{fee}e-8"

    result = scanner(fees={v: text for v in views}, min_profit_quote="0").scan(SYMBOL, views, 10)

    assert result.opportunities == [] and result.pairs_walked == 0
    assert len(result.spreads_bps) == result.pairs_checked == len(views) * (len(views) - 1)
    assert all(bps <= 0 for bps in result.spreads_bps)


@settings(max_examples=200, deadline=None)
@given(market(), st.data())
def test_never_an_opportunity_from_a_stale_unhealthy_or_crossed_view(mkt, data):
    views, fees = mkt
    now = 10_000_000_000
    bad: set[str] = set()
    for venue, v in list(views.items()):
        kind = data.draw(st.sampled_from(["ok", "ok", "stale", "syncing", "resyncing", "failed", "crossed"]))
        recv = now - data.draw(st.integers(0, 5_000_000_000))
        state, bids = "live", v.bids
        if kind == "stale":
            recv = now - 5_000_000_001 - data.draw(st.integers(0, 10**9))
        elif kind in ("syncing", "resyncing", "failed"):
            state = kind
        elif kind == "crossed":
            bids = ((v.asks[0][0] + data.draw(st.integers(0, 5)) * CENT, ONE),) + v.bids
        if kind != "ok":
            bad.add(venue)
        views[venue] = BookView(venue, SYMBOL, bids, v.asks, 0, recv, None, state)

    result = scanner(fees=fees, min_profit_quote="0").scan(SYMBOL, views, now)

    for opp in result.opportunities:
        assert opp.buy_venue not in bad and opp.sell_venue not in bad
    assert result.views_stale + result.views_unhealthy + result.views_crossed == len(bad)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_markets_are_deterministic(seed):
    print("seed", seed)
    rng = random.Random(seed)
    views = {}
    for venue in ("a", "b", "c"):
        ask = rng.randint(9_950, 10_050)
        views[venue] = BookView(
            venue, SYMBOL,
            tuple(((ask - rng.randint(1, 9) - i) * CENT, rng.randint(1, 30) * TENTH) for i in range(5)),
            tuple(((ask + i) * CENT, rng.randint(1, 30) * TENTH) for i in range(5)),
            0, 0, None, "live",
        )
    first = scanner(fees={"a": "0", "b": "0.001", "c": "0.0005"}, min_profit_quote="0").scan(SYMBOL, views, 1)
    second = scanner(fees={"a": "0", "b": "0.001", "c": "0.0005"}, min_profit_quote="0").scan(SYMBOL, dict(reversed(views.items())), 1)
    assert sorted(o.id for o in first.opportunities) == sorted(o.id for o in second.opportunities)
