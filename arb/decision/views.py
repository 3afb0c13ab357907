"""Latest book views by (symbol, venue), and USD prices from them.

What a host that receives views (the Ray executor actor) keeps so that the trader can price
P&L and follow-ups and paper execution can fill against "the book now". The
:class:`~arb.decision.decider.Decider` keeps its own (it rebuilds quiet books' views lazily)
and prices with the same :func:`mark`.
"""

from __future__ import annotations

from collections.abc import Iterable

from arb.book.view import BookView
from arb.core.numbers import ONE

#: Assets valued at 1 in the reporting currency (USD).
USD_LIKE = frozenset({"USD", "USDT", "USDC", "BUSD", "FDUSD", "TUSD", "USDP", "DAI", "PYUSD"})


class ViewStore:
    """The latest view of every (symbol, venue) it was given."""

    __slots__ = ("views", "marks")

    def __init__(self) -> None:
        self.views: dict[str, dict[str, BookView]] = {}
        #: Last USD price seen per asset (see :func:`mark`).
        self.marks: dict[str, int] = {}

    def update(self, views: Iterable[BookView]) -> None:
        for view in views:
            venues = self.views.get(view.symbol)
            if venues is None:
                venues = self.views[view.symbol] = {}
            venues[view.venue] = view

    def view(self, venue: str, symbol: str) -> BookView | None:
        venues = self.views.get(symbol)
        return venues.get(venue) if venues else None

    def price(self, asset: str) -> int | None:
        """USD price of ``asset`` now, or the last one seen (see :func:`mark`)."""
        return mark(asset, self.views, self.marks)

    def all(self) -> list[BookView]:
        return [view for venues in self.views.values() for view in venues.values()]


def mark(asset: str, views: dict[str, dict[str, BookView]], marks: dict[str, int]) -> int | None:
    """:func:`usd_price` now, remembered in ``marks``; the remembered one when there is none now."""
    price = usd_price(asset, views)
    if price is None:
        return marks.get(asset)
    marks[asset] = price
    return price


def usd_price(asset: str, views: dict[str, dict[str, BookView]]) -> int | None:
    """Value of one unit of ``asset`` in USD: 1 for USD stablecoins, else the mean mid of
    ``ASSET/<USD stablecoin>`` over live views (None when no venue quotes it live)."""
    if asset in USD_LIKE:
        return ONE
    mids = []
    for quote in ("USDT", "USDC", "USD"):
        for view in views.get(f"{asset}/{quote}", {}).values():
            if view.live and view.bids and view.asks:
                mids.append((view.bids[0][0] + view.asks[0][0]) // 2)
        if mids:
            return sum(mids) // len(mids)
    return None
