"""Compact, immutable views of a book: what feeds publish and the scanner reads.

A view is cheap to build (top ``k`` levels per side as exact fixed ints), cheap to send
between processes, and carries everything the business rules need to reject it: health,
the venue's event time and our receive time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import msgspec

from arb.book.book import OrderBook
from arb.book.health import BookState


class BookView(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """Top-of-book snapshot of one venue's book for one symbol.

    ``bids``/``asks``: ``((price, qty), …)`` fixed ints, best first. ``live`` is True only for
    a book in state LIVE; ``state`` says which state otherwise. ``seq`` is the venue sequence.
    """

    venue: str
    symbol: str
    bids: tuple[tuple[int, int], ...]
    asks: tuple[tuple[int, int], ...]
    ts_event_ns: int
    ts_recv_ns: int
    seq: int | None
    state: str

    @property
    def live(self) -> bool:
        return self.state == "live"

    @property
    def best_bid(self) -> int | None:
        return self.bids[0][0] if self.bids else None

    @property
    def best_ask(self) -> int | None:
        return self.asks[0][0] if self.asks else None

    @property
    def crossed(self) -> bool:
        return bool(self.bids and self.asks and self.bids[0][0] >= self.asks[0][0])


def view_of(book: OrderBook, k: int = 20) -> BookView:
    """The top ``k`` levels per side of ``book`` as a :class:`BookView`."""
    return BookView(
        book.venue,
        book.symbol,
        tuple(book.bid_levels(k)),
        tuple(book.ask_levels(k)),
        book.ts_event_ns,
        book.ts_recv_ns,
        book.seq,
        _STATE_TEXT[book.state],
    )


#: A state's text without ``Enum.value`` (a Python-level descriptor: a tenth of a view's cost;
#: ``BookState`` is a ``StrEnum``, so the lookup hashes and compares as ``str``, in C).
_STATE_TEXT: dict[str, str] = {state: state.value for state in BookState}


#: ``market(venue, symbol) → the latest view of that venue's book`` (None: no book). What
#: execution reads to fill against "the book now" and the trader to price follow-ups.
Market: TypeAlias = Callable[[str, str], "BookView | None"]
