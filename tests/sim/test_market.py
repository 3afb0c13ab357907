"""MarketModel: exact, uncrossed, small-change books; determinism; dislocations open real arbitrage."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arb.book.book import OrderBook
from arb.core.errors import ConfigError
from arb.core.numbers import FixedParser
from arb.sim.config import DislocationConfig, MarketConfig, SymbolConfig, VenueConfig, validate
from arb.sim.market import DEFAULT_START_NS, MarketModel, crossing_pairs, instruments
from arb.sim.presets import UNIVERSE, VENUES, market, seven_venues, three_venues
from arb.venues.registry import NAMES
from arb.venues.registry import get as get_spec

TICK_NS = 10_000_000


def run(model: MarketModel, ticks: int, every: int = 1):
    """All changes of ``ticks`` model steps, calling ``step`` every ``every`` ticks."""
    changes = []
    for i in range(every, ticks + 1, every):
        changes += model.step(DEFAULT_START_NS + i * TICK_NS)
    return changes


def fingerprint(changes):
    return [(c.venue, c.symbol, c.ts_ns, c.bids, c.asks) for c in changes]


def small_config(**dislocations) -> MarketConfig:
    return market(("binance", "okx", "kraken"), 3, dislocations=DislocationConfig(**dislocations) if dislocations else DislocationConfig())


# -- shape of the books ------------------------------------------------------------------------
def test_initial_books_are_full_ladders_on_each_venues_tick_and_lot():
    # Arrange / Act
    model = MarketModel(three_venues(), seed=1)

    # Assert
    assert len(model.books) == 30
    for (venue, symbol), book in model.books.items():
        inst = model.instruments.get(venue, symbol)
        levels = VENUES[venue].levels
        assert book.depth() == (levels, levels) and book.is_live and not book.is_crossed()
        for price, qty in book.bid_levels() + book.ask_levels():
            assert price % inst.tick_size == 0 and qty % inst.lot_size == 0 and qty > 0
        # Texts carry the tick's and lot's precision (Kraken's checksum reads them).
        price_text, qty_text = book.best_bid()
        assert len(price_text.partition(".")[2]) == inst.price_precision % 18
        assert len(qty_text.partition(".")[2]) == inst.qty_precision % 18
    # Venue-specific ticks: Kraken and OKX quote BTC coarser than Binance, not DOGE.
    assert model.instruments.get("kraken", "BTC/USDT").tick_size == 10 * model.instruments.get("binance", "BTC/USDT").tick_size
    assert model.instruments.get("kraken", "DOGE/USDT").tick_size == model.instruments.get("binance", "DOGE/USDT").tick_size
    assert model.instruments.get("okx", "BTC/USDT").venue_symbol == "BTC-USDT"
    assert list(instruments(three_venues())) == list(model.instruments)  # readers need no model


def test_sizes_grow_away_from_the_top_on_average():
    model = MarketModel(three_venues(), seed=2)
    near = far = 0
    for book in model.books.values():
        bids = book.bid_levels()
        near += sum(q * p for p, q in bids[:5])
        far += sum(q * p for p, q in bids[-5:])
    assert far > 2 * near


def test_updates_change_a_few_levels_not_whole_books():
    model = MarketModel(three_venues(), seed=3)
    changes = run(model, 500)
    sizes = sorted(len(c.bids) + len(c.asks) for c in changes)
    assert len(changes) > 1000
    assert sizes[len(sizes) // 2] <= 6  # median
    assert sizes[-1] < 2 * 25  # never a whole book


def test_every_change_is_exact_and_leaves_an_uncrossed_book_with_at_most_the_configured_levels():
    model = MarketModel(three_venues(), seed=4)
    for change in run(model, 300):
        inst = model.instruments.get(change.venue, change.symbol)
        for side in (change.bids, change.asks):
            prices = [p for p, _ in side]
            assert len(prices) == len(set(prices))
        for price, qty in change.bids + change.asks:
            assert model.parser[price] % inst.tick_size == 0 and model.parser[qty] % inst.lot_size == 0
        book = change.book
        assert not book.is_crossed()
        assert max(book.depth()) <= VENUES[change.venue].levels


# -- determinism and stepping ------------------------------------------------------------------
def test_same_seed_same_market_different_seed_different_market():
    seed = 11
    print("seed", seed)
    a = fingerprint(run(MarketModel(three_venues(), seed), 200))
    b = fingerprint(run(MarketModel(three_venues(), seed), 200))
    c = fingerprint(run(MarketModel(three_venues(), seed + 1), 200))
    assert a == b
    assert a != c


def test_step_granularity_does_not_change_the_market_and_each_change_holds_its_own_book():
    # Arrange: one model stepped every tick, one every 7 ticks (several changes per book and call).
    fine = MarketModel(small_config(), seed=5)
    coarse = MarketModel(small_config(), seed=5)
    replay = {key: OrderBook(*key, parser=FixedParser()) for key in coarse.books}
    for key, book in coarse.books.items():
        replay[key].load(book.bids(), book.asks())
    coarse_changes = []
    repeats = 0

    # Act / Assert: every change's book is exactly the state right after it.
    for i in range(7, 211, 7):
        batch = coarse.step(DEFAULT_START_NS + i * TICK_NS)
        for change in batch:
            mine = replay[(change.venue, change.symbol)]
            mine.apply(change.bids, change.asks)
            assert mine.bid_levels() == change.book.bid_levels() and mine.ask_levels() == change.book.ask_levels()
        repeats += len(batch) - len({(c.venue, c.symbol) for c in batch})
        coarse_changes += batch

    # Assert: the same market as stepping every tick.
    assert fingerprint(run(fine, 210)) == fingerprint(coarse_changes)
    assert repeats > 10  # books that changed twice within one call
    for key, book in coarse.books.items():
        assert replay[key].bid_levels() == book.bid_levels() and replay[key].ask_levels() == book.ask_levels()


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    levels=st.integers(1, 30),
    spacing_bps=st.floats(0, 20),
    half_spread_bps=st.floats(0, 5),
    noise_bps=st.floats(0, 10),
    changes=st.floats(0, 10),
    delete_p=st.floats(0, 1),
)
def test_property_books_stay_exact_and_uncrossed(seed, levels, spacing_bps, half_spread_bps, noise_bps, changes, delete_p):
    venue = VenueConfig(
        "binance", levels=levels, level_spacing_bps=spacing_bps, half_spread_bps=half_spread_bps,
        noise_bps=noise_bps, changes_per_update=changes, delete_probability=delete_p, update_interval_ms=20,
    )
    config = MarketConfig(
        venues=(venue, replace(venue, name="okx", lag_ms=30)),
        symbols=(UNIVERSE[0], UNIVERSE[4]),
        dislocations=DislocationConfig(rate_per_min=600, size_bps=200, duration_s=0.2),
    )
    model = MarketModel(config, seed)
    for change in run(model, 100):
        book = change.book
        assert not book.is_crossed()
        assert max(book.depth()) <= levels and min(book.depth()) >= 1
        inst = model.instruments.get(change.venue, change.symbol)
        assert all(p % inst.tick_size == 0 and q % inst.lot_size == 0 for p, q in book.bid_levels() + book.ask_levels())


# -- lead/lag and dislocations -----------------------------------------------------------------
def test_lagging_venue_follows_the_leader():
    config = replace(
        market(("binance", "kraken"), 1, dislocations=DislocationConfig(rate_per_min=0)),
        symbols=(replace(UNIVERSE[0], volatility=5.0),),
    )
    model = MarketModel(config, seed=6)
    mids = {"binance": [], "kraken": []}
    for i in range(1, 3001):
        model.step(DEFAULT_START_NS + i * TICK_NS)
        for venue in mids:
            book = model.book(venue, "BTC/USDT")
            mids[venue].append((book.best_bid_price() + book.best_ask_price()) / 2)

    def error(shift: int) -> float:  # kraken now vs binance `shift` ticks ago
        k, b = mids["kraken"][300:], mids["binance"][300 - shift : len(mids["binance"]) - shift]
        return sum(abs(x - y) for x, y in zip(k, b))

    lag_ticks = VENUES["kraken"].lag_ms // 10
    assert error(lag_ticks) < error(0)


@pytest.mark.parametrize("preset", [three_venues, seven_venues])
def test_dislocations_open_fee_clearing_arbitrage_and_calm_markets_do_not(preset):
    # Arrange: many dislocations so a short run has several.
    seed = 21
    print("seed", seed)
    config = replace(preset(5), dislocations=DislocationConfig(rate_per_min=20, size_bps=80, duration_s=2))
    model = MarketModel(config, seed)
    fees = {v: get_spec(v).fees.taker for v in config.venue_names}
    settle_ns = 250 * 1_000_000  # a venue publishes the jump at its next update
    during = calm = crossed_during = crossed_calm = 0

    # Act
    for i in range(1, 6001):
        t = DEFAULT_START_NS + i * TICK_NS
        model.step(t)
        for symbol in config.symbol_names:
            crossed = bool(crossing_pairs({v: model.book(v, symbol) for v in config.venue_names}, fees))
            near = [d for d in model.dislocations if d.symbol == symbol and d.start_ns <= t < d.end_ns + settle_ns]
            if any(d.start_ns + settle_ns <= t < d.end_ns for d in near):
                during += 1
                crossed_during += crossed
            elif not near:
                calm += 1
                crossed_calm += crossed

    # Assert
    assert len(model.dislocations) >= 5
    assert during > 500 and crossed_during / during > 0.95
    assert crossed_calm / calm < 0.01


def test_crossing_pairs_is_exact_at_the_fee_boundary():
    a, b = OrderBook("a", "X/Y"), OrderBook("b", "X/Y")
    a.load([("99", "1")], [("100", "1")])
    fees = {"a": Decimal("0.001"), "b": Decimal("0.001")}
    b.load([("100.2002002002002002", "1")], [("101", "1")])  # just below 100 × 1.001 / 0.999
    assert crossing_pairs({"a": a, "b": b}, fees) == []
    b.load([("100.2002002002002003", "1")], [("101", "1")])
    assert crossing_pairs({"a": a, "b": b}, fees) == [("a", "b")]


# -- config ----------------------------------------------------------------------------------
def test_bad_config_names_every_bad_key():
    config = MarketConfig(
        venues=(VenueConfig("binance", update_interval_ms=15, levels=0), VenueConfig("binance")),
        symbols=(SymbolConfig("BTCUSDT", "-1", "0.01", "x"),),
        tick_ms=10,
    )
    problems = validate(config)
    text = "\n".join(problems)
    for key in ("venues: 'binance' appears twice", "venues[0].update_interval_ms", "venues[0].levels",
                "symbols[0].symbol", "symbols[0].price", "symbols[0].lot_size"):
        assert key in text
    with pytest.raises(ConfigError, match=r"venues\[0\]\.levels"):
        MarketModel(config, 1)


def test_presets_are_valid():
    assert validate(three_venues()) == [] and validate(seven_venues()) == []
    assert three_venues().venue_names == ("binance", "okx", "kraken") and len(three_venues().symbols) == 10
    assert len(seven_venues().venues) == 7 and seven_venues().symbol_names[:3] == ("BTC/USDT", "ETH/USDT", "SOL/USDT")


def test_every_registered_venue_has_a_market_profile_and_nothing_else_does():
    assert sorted(VENUES) == sorted(NAMES) and all(profile.name == name for name, profile in VENUES.items())
    assert sorted(seven_venues().venue_names) == sorted(NAMES)
