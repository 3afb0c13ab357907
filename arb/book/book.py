"""One venue's L2 order book for one symbol, with exact integer prices and sizes.

Each side is a dict ``key → level``, a dict ``key → quantity`` (fixed int, so views need no
parsing) and a sorted list of keys. Keys are the fixed-point price
(:mod:`arb.core.numbers`) for asks and its negation for bids, so on both sides ``keys[0]``
is the best level and ``keys[:k]`` the top ``k``. Levels are the venue's text tuples as the
decoder produced them (``(price_text, qty_text, …)``), stored as they are: applying a level
allocates nothing. Prices and sizes are parsed through a shared
:class:`~arb.core.numbers.FixedParser` memo. Price levels recur all day; sizes repeat less,
so a size is looked up with ``.get`` first and parsed on a miss (measured: neutral on the
simulator's mostly unique sizes, several times faster where sizes repeat, as on the shipped
recordings).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable

import msgspec

from arb.book.health import BookState
from arb.core.events import Level
from arb.core.numbers import ONE, FixedParser, parse_fixed


class Walk(msgspec.Struct, frozen=True, gc=False):
    """Result of walking one side of a book.

    ``base`` is the base quantity filled, ``quote`` the quote amount paid (asks, rounded
    up) or received (bids, rounded down) — both fixed ints; ``levels`` how many price
    levels were touched; ``complete`` whether the target was reached; ``worst_price`` the
    last price touched (the limit price that would fill it all).
    """

    base: int
    quote: int
    levels: int
    complete: bool
    worst_price: int

    @property
    def avg_price(self) -> int:
        """Volume-weighted average price (fixed, rounded down); 0 when nothing filled."""
        return self.quote * ONE // self.base if self.base else 0


class OrderBook:
    """An exact L2 book. Mutated only by its :class:`~arb.book.sync.BookSync`.

    ``seq`` is the venue sequence the book reflects (``None`` for venues without one);
    ``state``/``reason`` its health; ``max_depth`` the subscribed depth it is truncated to
    after every change (``None`` = unlimited). ``parser`` turns level texts into fixed ints
    (shared by the books of a venue); malformed numbers raise ``ValueError``/``TypeError``
    from :meth:`load`/:meth:`apply`, after which the book must be resynced.
    """

    __slots__ = (
        "venue", "symbol", "seq", "state", "reason", "max_depth", "parser",
        "ts_event_ns", "ts_recv_ns", "_bids", "_bid_keys", "_bid_qty", "_asks", "_ask_keys", "_ask_qty",
    )

    def __init__(self, venue: str, symbol: str, max_depth: int | None = None, parser: FixedParser | None = None) -> None:
        self.venue = venue
        self.symbol = symbol
        self.max_depth = max_depth
        self.parser = parser if parser is not None else FixedParser()
        self.seq: int | None = None
        self.state = BookState.SYNCING
        self.reason = "waiting for snapshot"
        self.ts_event_ns = 0
        self.ts_recv_ns = 0
        self._bids: dict[int, Level] = {}
        self._bid_keys: list[int] = []
        self._bid_qty: dict[int, int] = {}
        self._asks: dict[int, Level] = {}
        self._ask_keys: list[int] = []
        self._ask_qty: dict[int, int] = {}

    # -- mutation -------------------------------------------------------------------------
    def clear(self) -> None:
        self._bids.clear()
        self._bid_keys.clear()
        self._bid_qty.clear()
        self._asks.clear()
        self._ask_keys.clear()
        self._ask_qty.clear()
        self.seq = None

    def load(self, bids: Iterable[Level], asks: Iterable[Level]) -> None:
        """Replace both sides (a snapshot). Zero-size levels are ignored."""
        parser = self.parser
        parse_qty = parse_fixed
        self.clear()
        for sign, changes, levels, qtys in ((-1, bids, self._bids, self._bid_qty), (1, asks, self._asks, self._ask_qty)):
            for level in changes:
                key = sign * parser[level[0]]
                qty = parse_qty(level[1])
                if qty:
                    levels[key] = level
                    qtys[key] = qty
                elif key in levels:
                    del levels[key]
                    del qtys[key]
        self._bid_keys = sorted(self._bids)
        self._ask_keys = sorted(self._asks)
        if self.max_depth is not None:
            self.truncate(self.max_depth)

    def apply(self, bids: Iterable[Level], asks: Iterable[Level]) -> bool:
        """Apply absolute-size changes in order; size 0 deletes the level.

        Returns whether the book is now crossed (best bid ≥ best ask).
        """
        parser = self.parser
        memo_get = parser.get
        if bids:
            levels, keys, qtys = self._bids, self._bid_keys, self._bid_qty
            for level in bids:
                key = -parser[level[0]]
                qty = memo_get(level[1])
                if qty is None:
                    qty = parser.remember(level[1])
                if qty:
                    if key not in levels:
                        insort(keys, key)
                    levels[key] = level
                    qtys[key] = qty
                elif key in levels:
                    del levels[key]
                    del qtys[key]
                    del keys[bisect_left(keys, key)]
        if asks:
            levels, keys, qtys = self._asks, self._ask_keys, self._ask_qty
            for level in asks:
                key = parser[level[0]]
                qty = memo_get(level[1])
                if qty is None:
                    qty = parser.remember(level[1])
                if qty:
                    if key not in levels:
                        insort(keys, key)
                    levels[key] = level
                    qtys[key] = qty
                elif key in levels:
                    del levels[key]
                    del qtys[key]
                    del keys[bisect_left(keys, key)]
        if self.max_depth is not None:
            self.truncate(self.max_depth)
        bid_keys, ask_keys = self._bid_keys, self._ask_keys
        return bool(bid_keys and ask_keys and -bid_keys[0] >= ask_keys[0])

    def truncate(self, depth: int) -> None:
        """Keep the best ``depth`` levels per side (venues do not send deletes beyond it)."""
        for levels, keys, qtys in ((self._bids, self._bid_keys, self._bid_qty), (self._asks, self._ask_keys, self._ask_qty)):
            if len(keys) > depth:
                for key in keys[depth:]:
                    del levels[key]
                    del qtys[key]
                del keys[depth:]

    # -- reading --------------------------------------------------------------------------
    @property
    def is_live(self) -> bool:
        return self.state is BookState.LIVE

    def best_bid(self) -> Level | None:
        """The best bid's text level ``(price_text, qty_text, …)``, or None."""
        return self._bids[self._bid_keys[0]] if self._bid_keys else None

    def best_ask(self) -> Level | None:
        return self._asks[self._ask_keys[0]] if self._ask_keys else None

    def best_bid_price(self) -> int | None:
        """Best bid as a fixed int."""
        return -self._bid_keys[0] if self._bid_keys else None

    def best_ask_price(self) -> int | None:
        return self._ask_keys[0] if self._ask_keys else None

    def is_crossed(self) -> bool:
        """Best bid ≥ best ask (an exact book is never crossed)."""
        return bool(self._bid_keys and self._ask_keys and -self._bid_keys[0] >= self._ask_keys[0])

    def depth(self) -> tuple[int, int]:
        """Number of (bid, ask) levels."""
        return len(self._bid_keys), len(self._ask_keys)

    def bids(self, k: int | None = None) -> list[Level]:
        """Top ``k`` bid text levels, best (highest) first; all when ``k`` is None."""
        levels = self._bids
        return [levels[key] for key in (self._bid_keys if k is None else self._bid_keys[:k])]

    def asks(self, k: int | None = None) -> list[Level]:
        """Top ``k`` ask text levels, best (lowest) first; all when ``k`` is None."""
        levels = self._asks
        return [levels[key] for key in (self._ask_keys if k is None else self._ask_keys[:k])]

    def bid_levels(self, k: int | None = None) -> list[tuple[int, int]]:
        """Top ``k`` bids as exact ``(price, qty)`` fixed ints, best first."""
        qtys = self._bid_qty
        return [(-key, qtys[key]) for key in (self._bid_keys if k is None else self._bid_keys[:k])]

    def ask_levels(self, k: int | None = None) -> list[tuple[int, int]]:
        """Top ``k`` asks as exact ``(price, qty)`` fixed ints, best first."""
        qtys = self._ask_qty
        return [(key, qtys[key]) for key in (self._ask_keys if k is None else self._ask_keys[:k])]

    def __repr__(self) -> str:
        bid, ask = self.best_bid(), self.best_ask()
        return (
            f"OrderBook({self.venue}:{self.symbol} {self.state} seq={self.seq} "
            f"bid={bid[0] if bid else None} ask={ask[0] if ask else None} depth={self.depth()})"
        )


def walk_levels(levels: Iterable[tuple[int, int]], base: int | None, quote: int | None, *, buy: bool) -> Walk:
    """Walk ``(price, qty)`` fixed-int levels (best first) until ``base`` or ``quote`` is reached.

    With both limits the tighter one wins; with neither the whole side is taken. Quote
    amounts are rounded against the trader (up when buying, down when selling), so a walk
    never overstates what a trade earns.
    """
    filled = 0
    cost = 0  # exact, in units of 10**-36
    touched = 0
    worst = 0
    complete = (base is not None and base <= 0) or (quote is not None and quote <= 0)
    if complete:
        return Walk(base=0, quote=0, levels=0, complete=True, worst_price=0)
    remaining_base = base
    budget = None if quote is None else quote * ONE  # same 10**-36 units as cost
    for price, size in levels:
        if price <= 0 or size <= 0:
            continue
        take = size
        if remaining_base is not None and take >= remaining_base:
            take = remaining_base
            complete = True
        if budget is not None:
            affordable = (budget - cost) // price
            if take >= affordable:
                complete = True
                take = affordable
        if take > 0:
            filled += take
            cost += take * price
            touched += 1
            worst = price
            if remaining_base is not None:
                remaining_base -= take
        if complete:
            break
    quote_amount = -((-cost) // ONE) if buy else cost // ONE
    return Walk(base=filled, quote=quote_amount, levels=touched, complete=complete, worst_price=worst)
