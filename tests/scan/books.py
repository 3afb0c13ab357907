"""Small builders for book views and instruments shared by the scan, risk and exec tests."""

from __future__ import annotations

from arb.book.view import BookView
from arb.core.instruments import Instrument
from arb.core.numbers import from_decimal

SYMBOL = "BTC/USDT"


def fx(text: str | int) -> int:
    """Decimal text → fixed int (``fx("0.5")``)."""
    return from_decimal(str(text))


def view(
    venue: str,
    bids: list[tuple[str, str]],
    asks: list[tuple[str, str]],
    *,
    symbol: str = SYMBOL,
    ts_recv_ns: int = 0,
    ts_event_ns: int = 0,
    state: str = "live",
) -> BookView:
    """A view from text levels ``[(price, qty), …]`` (best first)."""
    return BookView(
        venue,
        symbol,
        tuple((fx(p), fx(q)) for p, q in bids),
        tuple((fx(p), fx(q)) for p, q in asks),
        ts_event_ns,
        ts_recv_ns,
        None,
        state,
    )


def instrument(venue: str, lot: str = "0", min_qty: str = "0", min_notional: str = "0", tick: str = "0", symbol: str = SYMBOL) -> Instrument:
    return Instrument(
        venue=venue, symbol=symbol, venue_symbol=symbol.replace("/", ""),
        tick_size=fx(tick), lot_size=fx(lot), min_qty=fx(min_qty), min_notional=fx(min_notional),
    )


class Balances:
    """``available(venue, asset)`` from a dict of text amounts; missing → 0."""

    def __init__(self, amounts: dict[tuple[str, str], str | int]) -> None:
        self.amounts = {k: fx(v) if isinstance(v, str) else v for k, v in amounts.items()}

    def available(self, venue: str, asset: str) -> int:
        return self.amounts.get((venue, asset), 0)
