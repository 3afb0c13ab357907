"""Public market listings, venue-neutral: instruments and 24 h tickers.

Each venue package's ``instruments`` module provides a :class:`MarketsSpec`: requests for its
public instruments and tickers endpoints (no key needed) and decoders of their answers into
:class:`~arb.core.instruments.Instrument` values (tick, lot, minimum size and notional,
status, canonical asset codes in the unified symbol) and :class:`Ticker` values. Sans-I/O:
the transport performs the requests. Symbols that are not spot, or whose assets cannot be
named, are skipped and counted (``skipped``), never guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import msgspec

from arb.core.instruments import Instrument
from arb.venues.base import RestRequest


class Ticker(msgspec.Struct, frozen=True, kw_only=True):
    """A symbol's 24 h summary on one venue (fixed ints; 0 when the venue does not say).
    ``venue_symbol`` as the venue names it: map it with the venue's instruments."""

    venue: str
    venue_symbol: str
    bid: int = 0
    ask: int = 0
    last: int = 0
    volume_base: int = 0
    volume_quote: int = 0


@dataclass
class Listing:
    """What an instruments answer held: the instruments, and how many entries were skipped
    and why (derivatives, unknown assets …)."""

    instruments: list[Instrument]
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


@dataclass(frozen=True)
class MarketsSpec:
    """A venue's public listing endpoints. ``instruments(rest_url) → requests`` (some venues
    page or split by type); ``decode_instruments(bodies) → Listing`` takes every answer;
    ``tickers(rest_url) → request``; ``decode_tickers(body) → tickers``."""

    venue: str
    instruments: Callable[[str], list[RestRequest]]
    decode_instruments: Callable[[list[str]], Listing]
    tickers: Callable[[str], RestRequest]
    decode_tickers: Callable[[str], list[Ticker]]
