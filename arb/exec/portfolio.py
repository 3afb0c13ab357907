"""Balances per venue and asset, what open orders lock, fees, P&L and exposure.

All amounts are fixed ints (:mod:`arb.core.numbers`). The portfolio never lets a balance go
negative: a fill that would is refused (the reason is returned) and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypedDict

from arb.core.numbers import mul
from arb.core.symbols import split
from arb.exec.orders import Side

#: ``price(asset) → fixed price of one unit in the reporting currency`` (None: unknown).
PriceFn = Callable[[str], "int | None"]


class _Open:
    __slots__ = ("venue", "base", "quote", "side", "qty", "lock_asset", "lock")

    def __init__(self, venue: str, base: str, quote: str, side: str, qty: int, lock_asset: str, lock: int) -> None:
        self.venue = venue
        self.base = base
        self.quote = quote
        self.side = side
        self.qty = qty
        self.lock_asset = lock_asset
        self.lock = lock


class PortfolioSnapshot(TypedDict):
    """:meth:`Portfolio.snapshot`: ``(venue, asset)`` keys, fixed-int amounts."""

    balances: dict[tuple[str, str], int]
    start: dict[tuple[str, str], int]
    locked: dict[tuple[str, str], int]
    open_orders: dict[str, tuple[str, str, str, int, str, int]]
    open_buys: dict[str, int]
    open_sells: dict[str, int]
    fees_paid: dict[tuple[str, str], int]
    realized: dict[str, int]
    realized_reporting: int
    refused_fills: int


class Portfolio:
    """Per-(venue, asset) balances with locks for open orders.

    ``balances``: starting balances ``{(venue, asset): amount}`` (fixed, ≥ 0). Exposure of an
    asset is its total across venues minus the starting total; drift is the same per venue.
    Implements the ``available(venue, asset)`` protocol the scanner and risk engine read.
    """

    def __init__(self, balances: Mapping[tuple[str, str], int]) -> None:
        for key, amount in balances.items():
            if amount < 0:
                raise ValueError(f"starting balance {key} is negative")
        self._balances: dict[tuple[str, str], int] = dict(sorted(balances.items()))
        self._start: dict[tuple[str, str], int] = dict(self._balances)
        self._locked: dict[tuple[str, str], int] = {}
        self._open: dict[str, _Open] = {}
        self._open_buys: dict[str, int] = {}
        self._open_sells: dict[str, int] = {}
        #: Fees paid, by (venue, asset).
        self.fees_paid: dict[tuple[str, str], int] = {}
        #: Realized P&L by quote asset (sum of trade outcomes).
        self.realized: dict[str, int] = {}
        #: Realized P&L in the reporting currency (trades whose price was known).
        self.realized_reporting = 0
        #: Fills refused because they would have overdrawn a balance.
        self.refused_fills = 0

    # -- reading ------------------------------------------------------------------------
    def balance(self, venue: str, asset: str) -> int:
        """Total balance (free + locked)."""
        return self._balances.get((venue, asset), 0)

    def locked(self, venue: str, asset: str) -> int:
        return self._locked.get((venue, asset), 0)

    def available(self, venue: str, asset: str) -> int:
        """Balance not locked by open orders."""
        key = (venue, asset)
        return self._balances.get(key, 0) - self._locked.get(key, 0)

    def assets(self) -> list[str]:
        return sorted({asset for _, asset in self._balances})

    def venues(self) -> list[str]:
        return sorted({venue for venue, _ in self._balances})

    def balances(self) -> dict[tuple[str, str], int]:
        """A copy of every balance."""
        return dict(self._balances)

    def total(self, asset: str) -> int:
        """Across all venues."""
        return sum(amount for (_, a), amount in self._balances.items() if a == asset)

    def starting_total(self, asset: str) -> int:
        return sum(amount for (_, a), amount in self._start.items() if a == asset)

    def exposure(self, asset: str) -> int:
        """Net change of ``asset`` across all venues since the start (+ long, − short)."""
        return self.total(asset) - self.starting_total(asset)

    def pending(self, asset: str) -> tuple[int, int]:
        """``(open sells, open buys)``: base quantity open orders could still remove / add."""
        return self._open_sells.get(asset, 0), self._open_buys.get(asset, 0)

    def drift(self, asset: str) -> dict[str, int]:
        """Per venue, how far ``asset`` moved from its starting balance there."""
        keys = sorted({k for k in self._balances if k[1] == asset} | {k for k in self._start if k[1] == asset})
        return {venue: self._balances.get((venue, a), 0) - self._start.get((venue, a), 0) for venue, a in keys}

    def fees(self, asset: str | None = None) -> int:
        """Total fees paid (in ``asset`` only, when given)."""
        return sum(fee for (_, a), fee in self.fees_paid.items() if asset is None or a == asset)

    def equity(self, price: PriceFn) -> int | None:
        """Mark-to-market value of every balance in the reporting currency (None: a price missing)."""
        return _value(self._balances, price)

    def mtm_pnl(self, price: PriceFn) -> int | None:
        """Mark-to-market P&L: value of the current minus the starting balances, at ``price``."""
        now = _value(self._balances, price)
        start = _value(self._start, price)
        return None if now is None or start is None else now - start

    def open_orders(self) -> dict[str, tuple[str, str, str, int, str, int]]:
        """Open orders: ``{id: (venue, symbol, side, remaining qty, lock asset, lock left)}``."""
        return {
            order_id: (o.venue, f"{o.base}/{o.quote}", o.side, o.qty, o.lock_asset, o.lock)
            for order_id, o in sorted(self._open.items())
        }

    def snapshot(self) -> PortfolioSnapshot:
        """Everything the portfolio holds, as plain sorted values: compare two portfolios
        (recovery tests), show it on a status page."""
        return {
            "balances": dict(sorted(self._balances.items())),
            "start": dict(sorted(self._start.items())),
            "locked": dict(sorted(self._locked.items())),
            "open_orders": self.open_orders(),
            "open_buys": dict(sorted(self._open_buys.items())),
            "open_sells": dict(sorted(self._open_sells.items())),
            "fees_paid": dict(sorted(self.fees_paid.items())),
            "realized": dict(sorted(self.realized.items())),
            "realized_reporting": self.realized_reporting,
            "refused_fills": self.refused_fills,
        }

    def deposit(self, venue: str, asset: str, amount: int) -> None:
        """Fund ``venue`` with ``amount`` of ``asset`` (counts as starting capital, not P&L)."""
        if amount < 0:
            raise ValueError(f"deposit of {asset} on {venue} is negative")
        key = (venue, asset)
        self._balances[key] = self._balances.get(key, 0) + amount
        self._start[key] = self._start.get(key, 0) + amount

    # -- orders -------------------------------------------------------------------------
    def open_order(self, order_id: str, venue: str, symbol: str, side: str, qty: int, lock: int) -> str | None:
        """Lock ``lock`` (quote for a buy, base for a sell) for an order; reason if refused."""
        if order_id in self._open:
            return f"order {order_id} already open"
        if qty <= 0 or lock < 0:
            return "nothing to order"
        base, quote = split(symbol)
        lock_asset = quote if side == Side.BUY else base
        free = self.available(venue, lock_asset)
        if lock > free:
            return f"insufficient {lock_asset} on {venue}: need {lock}, free {free}"
        key = (venue, lock_asset)
        self._locked[key] = self._locked.get(key, 0) + lock
        self._open[order_id] = _Open(venue, base, quote, side, qty, lock_asset, lock)
        book = self._open_buys if side == Side.BUY else self._open_sells
        book[base] = book.get(base, 0) + qty
        return None

    def fill(self, order_id: str, qty: int, quote: int, fee: int, fee_asset: str = "") -> str | None:
        """Apply a fill of an open order (buy: +base, −quote; sell: −base, +quote), and its
        fee in ``fee_asset`` (the venue's choice: the quote by default, the base on venues
        that take a buy's fee from what it bought, or a third asset).

        Returns the reason and changes nothing when it would overdraw a balance.
        """
        order = self._open.get(order_id)
        if order is None:
            return f"order {order_id} is not open"
        if qty < 0 or quote < 0 or fee < 0 or qty > order.qty:
            return "malformed fill"
        fee_asset = fee_asset or order.quote
        venue = order.venue
        deltas: dict[str, int] = {}
        if order.side == Side.BUY:
            deltas[order.base], deltas[order.quote] = qty, -quote
        else:
            deltas[order.base], deltas[order.quote] = -qty, quote
        deltas[fee_asset] = deltas.get(fee_asset, 0) - fee
        # What the order locked (quote for a buy, base for a sell) pays for the fill first.
        spent = -min(0, deltas[order.lock_asset])
        # Never negative, and never into what other open orders have locked.
        covered = self.available(venue, order.lock_asset) + order.lock >= spent
        others_ok = all(
            self.available(venue, asset) + delta >= 0 for asset, delta in deltas.items() if asset != order.lock_asset and delta < 0
        )
        if not covered or not others_ok or any(self.balance(venue, a) + d < 0 for a, d in deltas.items()):
            self.refused_fills += 1
            return f"fill would overdraw {venue}: {order.side} {qty} for {quote} + fee {fee} {fee_asset}"
        for asset, delta in deltas.items():
            key = (venue, asset)
            self._balances[key] = self._balances.get(key, 0) + delta
        if fee:
            fee_key = (venue, fee_asset)
            self.fees_paid[fee_key] = self.fees_paid.get(fee_key, 0) + fee
        # What the fill spent is no longer locked (an overrun beyond the lock was covered
        # by the free balance, checked above).
        release = min(spent, order.lock)
        order.lock -= release
        self._unlock((venue, order.lock_asset), release)
        order.qty -= qty
        book = self._open_buys if order.side == Side.BUY else self._open_sells
        book[order.base] -= qty
        return None

    def close_order(self, order_id: str) -> None:
        """The order is done (filled, cancelled or expired): release its lock and pending size."""
        order = self._open.pop(order_id, None)
        if order is None:
            return
        self._unlock((order.venue, order.lock_asset), order.lock)
        book = self._open_buys if order.side == Side.BUY else self._open_sells
        book[order.base] -= order.qty
        if not book[order.base]:
            del book[order.base]

    def _unlock(self, key: tuple[str, str], amount: int) -> None:
        left = self._locked.get(key, 0) - amount
        if left:
            self._locked[key] = left
        else:
            self._locked.pop(key, None)

    def realize(self, quote_asset: str, pnl_quote: int, pnl_reporting: int | None = None) -> None:
        """Add a trade's realized P&L to the running totals."""
        self.realized[quote_asset] = self.realized.get(quote_asset, 0) + pnl_quote
        if pnl_reporting is not None:
            self.realized_reporting += pnl_reporting


def _value(balances: Mapping[tuple[str, str], int], price: PriceFn) -> int | None:
    totals: dict[str, int] = {}
    for (_, asset), amount in balances.items():
        totals[asset] = totals.get(asset, 0) + amount
    value = 0
    for asset in sorted(totals):
        amount = totals[asset]
        if not amount:
            continue
        p = price(asset)
        if p is None:
            return None
        value += mul(amount, p)
    return value
