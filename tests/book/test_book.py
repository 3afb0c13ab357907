"""OrderBook: exact levels, ordering, truncation, depth walks."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from arb.book.book import OrderBook, walk_levels
from arb.core.numbers import ONE, parse_fixed, to_plain

prices = st.integers(min_value=1, max_value=400).map(lambda i: f"{i / 4:.2f}")
sizes = st.sampled_from(["0", "0.000", "1", "2.5", "0.001", "10.00000000", "7"])
changes = st.lists(st.tuples(prices, sizes), max_size=30)


def reference(model: dict[str, str], updates):
    for price, qty in updates:
        key = parse_fixed(price)
        if parse_fixed(qty):
            model[key] = qty
        else:
            model.pop(key, None)
    return model


@given(st.lists(st.tuples(changes, changes), max_size=10))
def test_book_matches_a_dict_model_after_any_updates(batches):
    book = OrderBook("x", "A/B")
    bids: dict = {}
    asks: dict = {}
    for bid_changes, ask_changes in batches:
        book.apply(bid_changes, ask_changes)
        reference(bids, bid_changes)
        reference(asks, ask_changes)
    assert [(p, parse_fixed(q)) for p, q in sorted(bids.items(), reverse=True)] == book.bid_levels()
    assert [(p, parse_fixed(q)) for p, q in sorted(asks.items())] == book.ask_levels()
    assert book.depth() == (len(bids), len(asks))


def test_snapshot_load_ignores_zero_levels_and_sorts():
    book = OrderBook("x", "A/B")
    book.load([("1.0", "1"), ("3.0", "0"), ("2.0", "5")], [("5", "1"), ("4.5", "2")])
    assert book.best_bid() == ("2.0", "5")
    assert book.best_ask() == ("4.5", "2")
    assert book.best_bid_price() == 2 * ONE and book.best_ask_price() == parse_fixed("4.5")
    assert book.depth() == (2, 2)


def test_same_price_in_different_spellings_is_one_level():
    book = OrderBook("x", "A/B")
    book.apply([("1.10", "1")], [])
    book.apply([("1.1", "2")], [])
    assert book.depth() == (1, 0) and book.best_bid() == ("1.1", "2")
    book.apply([("1.100000", "0")], [])
    assert book.depth() == (0, 0)


def test_truncation_keeps_the_best_levels():
    book = OrderBook("x", "A/B", max_depth=2)
    book.apply([("1", "1"), ("2", "1"), ("3", "1")], [("6", "1"), ("5", "1"), ("4", "1")])
    assert [lv[0] for lv in book.bids()] == ["3", "2"]
    assert [lv[0] for lv in book.asks()] == ["4", "5"]


def test_crossed_detection():
    book = OrderBook("x", "A/B")
    book.apply([("10", "1")], [("11", "1")])
    assert not book.is_crossed()
    book.apply([("11", "1")], [])
    assert book.is_crossed()


def test_top_k_and_texts_are_kept_verbatim():
    book = OrderBook("x", "A/B")
    book.apply([("0.00000637", "6500.00000000"), ("0.00000636", "1.0")], [])
    assert book.bids(1) == [("0.00000637", "6500.00000000")]
    assert book.bid_levels(1) == [(637 * 10**10, 6500 * ONE)]


levels_st = st.lists(
    st.tuples(st.integers(1, 10**6), st.integers(1, 10**6)), max_size=8
).map(lambda xs: sorted({p * 10**14: q * 10**12 for p, q in xs}.items()))


@given(levels_st, st.integers(0, 10**7).map(lambda b: b * 10**12))
def test_walk_by_base_matches_brute_force(levels, target):
    walk = walk_levels(levels, target, None, buy=True)
    remaining, cost, filled = target, Fraction(0), 0
    for price, qty in levels:
        take = min(qty, remaining)
        if take <= 0:
            break
        filled += take
        cost += Fraction(price * take, ONE)
        remaining -= take
    assert walk.base == filled
    assert walk.quote == -((-cost.numerator) // cost.denominator)  # rounded up when buying
    assert walk.complete == (filled == target)


@given(levels_st, st.integers(0, 10**8).map(lambda b: b * 10**14))
def test_walk_by_quote_budget_never_overspends(levels, budget):
    walk = walk_levels(levels, None, budget, buy=True)
    assert walk.quote <= budget
    assert walk.complete or walk.base == sum(q for _, q in levels)  # stopped by the budget or the side ran out


def test_walk_selling_rounds_down_and_reports_worst_price():
    levels = [(parse_fixed("10"), parse_fixed("1")), (parse_fixed("9.5"), parse_fixed("2"))]
    walk = walk_levels(levels, parse_fixed("2"), None, buy=False)
    assert (walk.base, walk.quote, walk.levels, walk.worst_price) == (2 * ONE, parse_fixed("19.5"), 2, parse_fixed("9.5"))
    assert to_plain(walk.avg_price) == "9.75"
