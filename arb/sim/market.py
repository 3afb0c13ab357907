"""A seeded multi-venue market: fair prices, venue quotes and their exact L2 books.

:class:`MarketModel` is a time-stepped generator that knows nothing of wires or files:
``step(now_ns)`` advances it and returns the :class:`BookChange` of every book that
changed. The recorder (:mod:`arb.sim.recording`) turns them into venue frames offline;
loopback servers can serve the same model online.

The model, per fixed time step (``tick_ms``):

- one fair price per symbol, a geometric random walk (annualised volatility);
- per venue and symbol, a quote mid = the fair price as it was ``lag_ms`` ago (lead/lag)
  × the venue's own mean-reverting noise × an active dislocation's jump, if any;
- a venue quotes the symbols it lists (``VenueConfig.listed``); a halted one's book stays
  as it is;
- each venue publishes every ``update_interval_ms`` (a symbol with ``update_every`` n in
  every n-th window only, on its own phase): where the top moved, the ladder
  shifts (levels leaving it are deleted, entering ones added — deeper levels sit on a
  fixed price grid, so a small move touches few levels); otherwise, with the symbol's
  ``activity``, a few level sizes change (sometimes a deeper level disappears until it is
  refilled). Books are never replaced wholesale;
- dislocations start at random (a Poisson rate across the market): one venue's price for
  one symbol jumps by ``size_bps`` for ``duration_s`` — a real, fee-clearing arbitrage.

Prices and sizes are exact: tick and lot counts (ints) inside, the venue's decimal text
(at the tick's and lot's precision) in the books and changes. Floats only drive the
random processes. All randomness comes from one ``random.Random(seed)`` consumed in a
fixed order, so a config and a seed always give the same market.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from arb.book.book import OrderBook
from arb.book.health import BookState
from arb.core.errors import ConfigError
from arb.core.instruments import Instrument, Instruments
from arb.core.numbers import DECIMALS, ONE, FixedParser, from_decimal, parse_fixed
from arb.sim.config import MarketConfig, SymbolConfig, VenueConfig, validate
from arb.venues.registry import VENUES

#: 2024-01-01T00:00:00Z: the default start, so recordings never depend on the wall clock.
DEFAULT_START_NS = 1_704_067_200_000_000_000
_MS = 1_000_000
_YEAR_S = 365 * 24 * 3600

Level = tuple[str, str]
#: Price texts a book keeps formatted (its ladder and where it went lately): a market of
#: thousands of books drifting for hours must not keep every price it ever quoted.
_PRICE_TEXTS = 1024


@dataclass(slots=True)
class BookChange:
    """One venue book's update at ``ts_ns`` (the venue's event time).

    ``bids``/``asks`` are absolute sizes as ``(price_text, qty_text)``, best first; qty
    ``"0"`` (at the lot's precision) deletes the level. No price appears twice on a side.
    ``book`` is the true book *after* the change; it stays that state until the next
    change of the same book in a later :meth:`MarketModel.step` call.
    """

    venue: str
    symbol: str
    ts_ns: int
    bids: list[Level]
    asks: list[Level]
    book: OrderBook


@dataclass(frozen=True, slots=True)
class Dislocation:
    """A venue's price for a symbol shifted by ``bps`` (signed) from ``start_ns`` to ``end_ns``."""

    venue: str
    symbol: str
    start_ns: int
    end_ns: int
    bps: float


class _Quote:
    """The model's state of one (venue, symbol) book: tick/lot counts, ladders, texts."""

    __slots__ = (
        "venue", "symbol", "vi", "si", "lag_ticks", "half_spread", "tick", "tick_f", "unit", "levels",
        "base_lots", "noise", "noise_keep", "noise_step", "activity", "changes_mean", "delete_p",
        "bids", "asks", "bid_top", "ask_top", "bid_ladder", "ask_ladder", "book", "instrument",
        "price_step", "price_places", "qty_step", "qty_places", "price_texts", "zero", "parser",
    )
    # Set once by MarketModel._new_quote (prices in ticks, sizes in lots unless said).
    venue: str
    symbol: str
    vi: int  # index of the venue in the config
    si: int  # index of the symbol in the config
    lag_ticks: int
    half_spread: float  # a fraction of the mid
    tick: int  # fixed point
    tick_f: float  # the tick as a float, for the random walk
    unit: int  # ticks between deeper levels
    levels: int
    base_lots: list[int]  # per level
    noise: float
    noise_keep: float
    noise_step: float
    activity: float
    changes_mean: float
    delete_p: float
    bids: dict[int, int]  # ticks → lots
    asks: dict[int, int]
    bid_top: int
    ask_top: int
    bid_ladder: list[int]  # the side's price grid, best first
    ask_ladder: list[int]
    book: OrderBook
    instrument: Instrument
    price_step: int  # fixed point per tick
    price_places: int
    qty_step: int  # fixed point per lot
    qty_places: int
    price_texts: dict[int, str]  # ticks → the venue's text
    zero: str  # the venue's text for a size of 0
    parser: FixedParser  # the model's shared memo

    def price_text(self, ticks: int) -> str:
        text = self.price_texts.get(ticks)
        if text is None:
            if len(self.price_texts) > _PRICE_TEXTS:
                self.price_texts.clear()
            text = self.price_texts[ticks] = _text(ticks * self.price_step, self.price_places)
        if text not in self.parser:
            # The shared memo starts over now and then (sizes fill it); its price texts
            # would then be parsed again, level by level, on every book: tell it instead.
            self.parser[text] = ticks * self.price_step
        return text

    def qty_text(self, lots: int) -> str:
        if not lots:
            return self.zero
        value = lots * self.qty_step
        text = _text(value, self.qty_places)
        # Sizes are mostly new texts: tell the book's parser their value instead of
        # having it parse them (the model keeps the memo bounded, see ``step``).
        self.parser[text] = value
        return text


class MarketModel:
    """The simulated market. ``step(now_ns)`` moves it forward; ``books`` are the truth.

    ``start_ns`` is the model's time zero (initial books are full and live then). Steps
    happen every ``config.tick_ms``; ``step`` runs every step due up to ``now_ns``, so
    the same seed gives the same market however often it is called. Raises
    :class:`~arb.core.errors.ConfigError` naming every bad key of ``config``.
    """

    def __init__(self, config: MarketConfig, seed: int, start_ns: int = DEFAULT_START_NS) -> None:
        problems = validate(config)
        if problems:
            raise ConfigError("market config: " + "; ".join(problems))
        self.config = config
        self.seed = seed
        self.rng = random.Random(seed)
        self.parser = FixedParser()
        self.start_ns = start_ns
        self.now_ns = start_ns
        self.tick_ns = config.tick_ms * _MS
        tick_s = config.tick_ms / 1000
        self._sigma = [s.volatility * math.sqrt(tick_s / _YEAR_S) for s in config.symbols]
        self._log_fair = [math.log(float(Decimal(s.price))) for s in config.symbols]
        max_lag = max(v.lag_ms for v in config.venues) // config.tick_ms
        self._history = [deque([x] * (max_lag + 1), maxlen=max_lag + 1) for x in self._log_fair]
        self._interval_ns = [v.update_interval_ms * _MS for v in config.venues]
        # Venues publish on their own phase within their interval.
        self._next_update_ns = [
            start_ns + self.tick_ns * (1 + self.rng.randrange(v.update_interval_ms // config.tick_ms))
            for v in config.venues
        ]
        d = config.dislocations
        self._dislocation_p = d.rate_per_min * tick_s / 60
        self._dislocation_ns = round(d.duration_s * 1e9)
        self._active: dict[tuple[int, int], tuple[int, float]] = {}
        self.dislocations: list[Dislocation] = []
        #: Tick, lot and minimum notional of every listed (venue, symbol) book.
        self.instruments = Instruments()
        self.books: dict[tuple[str, str], OrderBook] = {}
        #: Per venue: ``(update_every, quotes by window phase)``, fastest first — a window
        #: visits only the books due in it, so its cost follows what it publishes.
        self._schedule: list[list[tuple[int, list[list[_Quote]]]]] = []
        self._windows = [0] * len(config.venues)
        self._movable: set[tuple[int, int]] = set()
        for vi, venue in enumerate(config.venues):
            listed = set(config.listed(venue.name))
            halted = set(venue.halted)
            groups: dict[int, list[list[_Quote]]] = {}
            for si, sym in enumerate(config.symbols):
                if sym.symbol not in listed:
                    continue
                q = self._new_quote(vi, venue, si, sym)
                self.books[(venue.name, sym.symbol)] = q.book
                self.instruments.add(q.instrument)
                if sym.symbol in halted:
                    continue  # listed, its book frozen: trading is halted
                every = sym.update_every
                phases = groups.setdefault(every, [[] for _ in range(every)])
                phases[si % every].append(q)
                self._movable.add((vi, si))
            self._schedule.append(sorted(groups.items()))

    # -- reading ----------------------------------------------------------------------------
    def book(self, venue: str, symbol: str) -> OrderBook:
        """The true book of ``symbol`` on ``venue`` now."""
        return self.books[(venue, symbol)]

    # -- stepping ---------------------------------------------------------------------------
    def step(self, now_ns: int) -> list[BookChange]:
        """Run every time step up to ``now_ns``; the changes they made, in time order.

        A book changed in two steps of one call gets a frozen copy in its earlier change,
        so every change's ``book`` is the state right after it.
        """
        out: list[BookChange] = []
        touched: dict[_Quote, int] = {}
        if len(self.parser) > self.parser.max_size:
            self.parser.clear()
        tick_ns = self.tick_ns
        while self.now_ns + tick_ns <= now_ns:
            t = self.now_ns = self.now_ns + tick_ns
            self._move_fair()
            self._dislocate(t)
            next_update = self._next_update_ns
            for vi, due in enumerate(next_update):
                if due > t:
                    continue
                next_update[vi] = due + self._interval_ns[vi]
                window = self._windows[vi]
                self._windows[vi] = window + 1
                for every, phases in self._schedule[vi]:
                    for q in phases[window % every]:
                        if q in touched:
                            earlier = out[touched[q]]
                            earlier.book = _copy_book(earlier.book)
                        change = self._update(q, t)
                        if change is not None:
                            touched[q] = len(out)
                            out.append(change)
        return out

    def _move_fair(self) -> None:
        gauss = self.rng.gauss
        logs = self._log_fair
        for si, sigma in enumerate(self._sigma):
            logs[si] += sigma * gauss(0.0, 1.0)
            self._history[si].append(logs[si])

    def _dislocate(self, t: int) -> None:
        active = self._active
        if active:
            for key in [k for k, (end, _) in active.items() if end <= t]:
                del active[key]
        if self._dislocation_p and self.rng.random() < self._dislocation_p:
            config = self.config
            vi = self.rng.randrange(len(config.venues))
            si = self.rng.randrange(len(config.symbols))
            bps = config.dislocations.size_bps * (1 if self.rng.random() < 0.5 else -1)
            if (vi, si) not in active and (vi, si) in self._movable:
                end = t + self._dislocation_ns
                active[(vi, si)] = (end, math.log1p(bps / 10_000))
                self.dislocations.append(Dislocation(config.venues[vi].name, config.symbols[si].symbol, t, end, bps))

    # -- one book ---------------------------------------------------------------------------
    def _new_quote(self, vi: int, venue: VenueConfig, si: int, sym: SymbolConfig) -> _Quote:
        price = parse_fixed(sym.price)
        q = _Quote()
        q.instrument = instrument(venue, sym)
        tick, lot = q.instrument.tick_size, q.instrument.lot_size
        q.venue, q.symbol, q.vi, q.si = venue.name, sym.symbol, vi, si
        q.lag_ticks = venue.lag_ms // self.config.tick_ms
        q.half_spread = venue.half_spread_bps / 10_000
        q.tick, q.tick_f = tick, tick / ONE
        q.price_step, q.price_places = tick, _places(tick)
        q.qty_step, q.qty_places = lot, _places(lot)
        q.zero = _text(0, q.qty_places)
        q.price_texts = {}
        q.parser = self.parser
        q.unit = max(1, round(price * venue.level_spacing_bps / 10_000 / tick))
        q.levels = venue.levels
        price_f = price / ONE
        top_notional = float(Decimal(venue.top_notional))
        q.base_lots = [
            max(1, int(top_notional * (1 + venue.size_growth * i) / price_f / (lot / ONE))) for i in range(venue.levels)
        ]
        keep = 0.5 ** (venue.update_interval_ms * sym.update_every / 1000 / venue.noise_half_life_s)
        q.noise_keep = keep
        q.noise_step = venue.noise_bps / 10_000 * math.sqrt(1 - keep * keep)
        q.noise = self.rng.gauss(0.0, venue.noise_bps / 10_000)
        q.activity = sym.activity
        q.changes_mean = venue.changes_per_update
        q.delete_p = venue.delete_probability
        q.book = OrderBook(venue.name, sym.symbol, None, self.parser)
        q.bids, q.asks = {}, {}
        q.bid_top = q.ask_top = 0
        q.bid_ladder, q.ask_ladder = [], []
        bid_top, ask_top = self._tops(q)
        bids: dict[int, int] = {}
        asks: dict[int, int] = {}
        self._reladder(q, True, bid_top, bids)
        self._reladder(q, False, ask_top, asks)
        q.book.load(
            [(q.price_text(p), q.qty_text(n)) for p, n in bids.items()],
            [(q.price_text(p), q.qty_text(n)) for p, n in asks.items()],
        )
        q.book.state = BookState.LIVE
        q.book.reason = ""
        q.book.ts_event_ns = self.start_ns
        return q

    def _tops(self, q: _Quote) -> tuple[int, int]:
        """Best bid and ask (tick counts) the venue quotes now."""
        history = self._history[q.si]
        x = history[-1 - q.lag_ticks] if q.lag_ticks < len(history) else history[0]
        shift = self._active.get((q.vi, q.si))
        mid = math.exp(x + q.noise + (shift[1] if shift else 0.0))
        bid = max(1, math.floor(mid * (1 - q.half_spread) / q.tick_f))
        ask = math.ceil(mid * (1 + q.half_spread) / q.tick_f)
        return bid, max(ask, bid + 1)

    def _update(self, q: _Quote, t: int) -> BookChange | None:
        rng = self.rng
        q.noise = q.noise * q.noise_keep + q.noise_step * rng.gauss(0.0, 1.0)
        bid_top, ask_top = self._tops(q)
        bid_changes: dict[int, int] = {}
        ask_changes: dict[int, int] = {}
        moved = False
        if bid_top != q.bid_top:
            self._reladder(q, True, bid_top, bid_changes)
            moved = True
        if ask_top != q.ask_top:
            self._reladder(q, False, ask_top, ask_changes)
            moved = True
        if moved or rng.random() < q.activity:
            n = max(1, round(rng.expovariate(1 / q.changes_mean))) if q.changes_mean > 0 else 0
            for _ in range(n):
                if rng.random() < 0.5:
                    self._tweak(q, q.bids, q.bid_ladder, bid_changes)
                else:
                    self._tweak(q, q.asks, q.ask_ladder, ask_changes)
        if not bid_changes and not ask_changes:
            return None
        bids = [(q.price_text(p), q.qty_text(n)) for p, n in sorted(bid_changes.items(), reverse=True)]
        asks = [(q.price_text(p), q.qty_text(n)) for p, n in sorted(ask_changes.items())]
        book = q.book
        book.apply(bids, asks)
        book.ts_event_ns = t
        return BookChange(q.venue, q.symbol, t, bids, asks, book)

    def _reladder(self, q: _Quote, bid_side: bool, top: int, changes: dict[int, int]) -> None:
        """Move one side's ladder to a new top: levels off the ladder go, missing ones come."""
        unit, n = q.unit, q.levels
        old = q.bid_ladder if bid_side else q.ask_ladder
        if len(old) > 1 and old[1] == ((top - 1) // unit * unit if bid_side else (top // unit + 1) * unit):
            # Fast path (most moves): the top moved within its grid cell; deeper levels stay.
            levels = q.bids if bid_side else q.asks
            if old[0] in levels:
                del levels[old[0]]
                changes[old[0]] = 0
            levels[top] = changes[top] = self._lots(q, 0)
            old[0] = top
            if bid_side:
                q.bid_top = top
            else:
                q.ask_top = top
            return
        if bid_side:
            start = (top - 1) // unit * unit
            ladder = [top, *range(start, max(0, start - (n - 1) * unit), -unit)]
            levels = q.bids
            q.bid_top, q.bid_ladder = top, ladder
        else:
            start = (top // unit + 1) * unit
            ladder = [top, *range(start, start + (n - 1) * unit, unit)]
            levels = q.asks
            q.ask_top, q.ask_ladder = top, ladder
        for price in levels.keys() - ladder:
            del levels[price]
            changes[price] = 0
        for i, price in enumerate(ladder):
            if price not in levels:
                levels[price] = changes[price] = self._lots(q, i)

    def _tweak(self, q: _Quote, levels: dict[int, int], ladder: list[int], changes: dict[int, int]) -> None:
        """Change one level's size (near the top more often), or remove a deeper level."""
        rng = self.rng
        i = int(len(ladder) * rng.random() ** 2)
        price = ladder[i]
        if i and price in levels and rng.random() < q.delete_p:
            del levels[price]
            changes[price] = 0
            return
        lots = self._lots(q, i)
        if levels.get(price) != lots:
            levels[price] = changes[price] = lots

    def _lots(self, q: _Quote, i: int) -> int:
        return max(1, int(q.base_lots[i] * (0.25 + 1.5 * self.rng.random())))


def instrument(venue: VenueConfig, sym: SymbolConfig) -> Instrument:
    """What ``venue`` allows for ``sym``: the symbol's tick × the venue's multiplier (a power
    of ten, divided by ten until the tick is at most ``max_tick_bps`` of the starting
    price), the symbol's lot × the venue's lot multiplier, the venue's minimum notional."""
    price = parse_fixed(sym.price)
    multiplier = venue.tick_multiplier
    base_tick = parse_fixed(sym.tick_size)
    while multiplier > 1 and base_tick * multiplier * 10_000 > price * venue.max_tick_bps:
        multiplier //= 10
    lot = parse_fixed(sym.lot_size) * venue.lot_multiplier
    native = VENUES[venue.name].format_symbol(sym.symbol) if venue.name in VENUES else sym.symbol
    return Instrument(
        venue=venue.name, symbol=sym.symbol, venue_symbol=native, tick_size=base_tick * max(multiplier, 1),
        lot_size=lot, min_qty=lot, min_notional=from_decimal(Decimal(venue.min_notional)),
        status="halted" if sym.symbol in venue.halted else "trading",
    )


def instruments(config: MarketConfig) -> Instruments:
    """The instruments of every listed (venue, symbol) of ``config`` (no model needed: for
    readers of a recording generated from it)."""
    out = Instruments()
    for venue in config.venues:
        listed = set(config.listed(venue.name))
        for sym in config.symbols:
            if sym.symbol in listed:
                out.add(instrument(venue, sym))
    return out


def crossing_pairs(books: Mapping[str, OrderBook], fee_rates: Mapping[str, Decimal]) -> list[tuple[str, str]]:
    """Venue pairs ``(buy_on, sell_on)`` of one symbol where taking both tops clears both
    taker fees: ``best_bid(sell)·(1 − fee_sell) > best_ask(buy)·(1 + fee_buy)``, exactly.

    ``books`` maps venue → book; a scan-free ground truth for tests and research notes.
    """
    tops = []
    for venue, book in books.items():
        fee = from_decimal(fee_rates[venue])
        bid, ask = book.best_bid_price(), book.best_ask_price()
        tops.append((venue, None if bid is None else bid * (ONE - fee), None if ask is None else ask * (ONE + fee)))
    return [
        (buy, sell)
        for buy, _, ask_cost in tops
        for sell, bid_proceeds, _ in tops
        if buy != sell and ask_cost is not None and bid_proceeds is not None and bid_proceeds > ask_cost
    ]


def _places(step: int) -> int:
    places = DECIMALS
    while places > 0 and step % 10 == 0:
        step //= 10
        places -= 1
    return places


def _text(value: int, places: int) -> str:
    """A fixed int as decimal text with exactly ``places`` decimals (trailing zeros kept)."""
    whole, frac = divmod(value, ONE)
    if not places:
        return str(whole)
    return f"{whole}.{frac // 10 ** (DECIMALS - places):0{places}d}"


def _copy_book(book: OrderBook) -> OrderBook:
    copy = OrderBook(book.venue, book.symbol, book.max_depth, book.parser)
    copy.load(book.bids(), book.asks())
    copy.state, copy.reason, copy.seq = book.state, book.reason, book.seq
    copy.ts_event_ns, copy.ts_recv_ns = book.ts_event_ns, book.ts_recv_ns
    return copy
