"""Instrument metadata: tick size, lot size, minimum notional and precision per venue symbol."""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Callable, Iterable, Iterator

import msgspec

from arb.core import numbers
from arb.core.symbols import split


class Instrument(msgspec.Struct, frozen=True, kw_only=True):
    """What a venue allows for one symbol. All sizes are fixed ints (10**-18 units).

    ``tick_size``: price increment; ``lot_size``: base quantity increment;
    ``min_qty``: smallest base quantity; ``min_notional``: smallest price × quantity in quote.
    A zero increment means "unknown/unconstrained". ``status``: ``trading``, ``halted``
    (listed, not trading now) or ``delisted`` — only ``trading`` instruments are scanned.
    """

    venue: str
    symbol: str
    venue_symbol: str
    tick_size: int = 0
    lot_size: int = 0
    min_qty: int = 0
    min_notional: int = 0
    status: str = "trading"

    @property
    def trading(self) -> bool:
        return self.status == "trading"

    @property
    def base(self) -> str:
        return split(self.symbol)[0]

    @property
    def quote(self) -> str:
        return split(self.symbol)[1]

    @property
    def price_precision(self) -> int:
        """Decimal places of the tick size (``0.01`` → 2); 18 when unknown."""
        return _precision(self.tick_size)

    @property
    def qty_precision(self) -> int:
        """Decimal places of the lot size; 18 when unknown."""
        return _precision(self.lot_size)

    def round_price_down(self, price: int) -> int:
        return price - price % self.tick_size if self.tick_size else price

    def round_price_up(self, price: int) -> int:
        if not self.tick_size or price % self.tick_size == 0:
            return price
        return price - price % self.tick_size + self.tick_size

    def round_qty_down(self, qty: int) -> int:
        return qty - qty % self.lot_size if self.lot_size else qty

    def accepts(self, price: int, qty: int) -> bool:
        """Does an order of ``qty`` at ``price`` meet the lot, minimum size and notional?"""
        if qty <= 0 or qty < self.min_qty:
            return False
        if self.lot_size and qty % self.lot_size:
            return False
        return numbers.mul(price, qty) >= self.min_notional


def _precision(step: int) -> int:
    if step <= 0:
        return numbers.DECIMALS
    places = numbers.DECIMALS
    while places > 0 and step % 10 == 0:
        step //= 10
        places -= 1
    return places


class Instruments:
    """Instruments by ``(venue, symbol)``: a plain dict with helpers."""

    __slots__ = ("by_key", "not_trading")

    def __init__(self, items: Iterable[Instrument] = ()) -> None:
        self.by_key: dict[tuple[str, str], Instrument] = {(i.venue, i.symbol): i for i in items}
        #: ``(venue, symbol)`` of the instruments listed but not trading (halted, delisted):
        #: the scanner's check, one set lookup (none at all while the set is empty).
        self.not_trading: set[tuple[str, str]] = {key for key, i in self.by_key.items() if not i.trading}

    def add(self, instrument: Instrument) -> None:
        key = (instrument.venue, instrument.symbol)
        self.by_key[key] = instrument
        if instrument.trading:
            self.not_trading.discard(key)
        else:
            self.not_trading.add(key)

    def replace_venue(self, venue: str, items: Iterable[Instrument]) -> None:
        """``venue``'s instruments become ``items`` (in place: every holder of this object
        sees the venue's new listing — statuses, ticks, lots — at once)."""
        items = list(items)
        for item in items:
            if item.venue != venue:
                raise ValueError(f"{item.venue} instrument {item.symbol} in {venue}'s listing")
        for key in [key for key in self.by_key if key[0] == venue]:
            del self.by_key[key]
            self.not_trading.discard(key)
        for item in items:
            self.add(item)

    def take_listings(self, listing: Instruments) -> None:
        """Every venue ``listing`` covers gets its instruments from it (:meth:`replace_venue`);
        the other venues' stay."""
        by_venue: dict[str, list[Instrument]] = {}
        for item in listing:
            by_venue.setdefault(item.venue, []).append(item)
        for venue, items in by_venue.items():
            self.replace_venue(venue, items)

    def venues(self) -> set[str]:
        """The venues with at least one instrument known."""
        return {venue for venue, _ in self.by_key}

    def get(self, venue: str, symbol: str) -> Instrument | None:
        return self.by_key.get((venue, symbol))

    def __len__(self) -> int:
        return len(self.by_key)

    def __reduce__(self) -> tuple[Callable[[bytes], Instruments], tuple[bytes]]:
        """Pickled compressed (a Ray actor's constructor argument, a listing sent to actors):
        hundreds of symbols × seven venues pickle to ~360 KB as objects, ~40 KB this way —
        under Ray's 100 KB limit for arguments passed inline, which a restarted actor needs."""
        rows = [(i.venue, i.symbol, i.venue_symbol, i.tick_size, i.lot_size, i.min_qty, i.min_notional, i.status)
                for i in self.by_key.values()]
        return _unpack, (zlib.compress(pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL), 6),)

    def __iter__(self) -> Iterator[Instrument]:
        return iter(self.by_key.values())


def _unpack(packed: bytes) -> Instruments:
    rows = pickle.loads(zlib.decompress(packed))  # our own __reduce__'s bytes, inside a pickle already
    return Instruments([
        Instrument(venue=v, symbol=s, venue_symbol=n, tick_size=t, lot_size=lot, min_qty=q, min_notional=m, status=st)
        for v, s, n, t, lot, q, m, st in rows
    ])
