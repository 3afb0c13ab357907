"""Binance spot: everything arb knows about the venue, one module per concern.

- :mod:`~arb.venues.binance.market_data` — combined-stream JSON diff depth + ``bookTicker``
  decoder, ``U``/``u`` sync against the ``GET /api/v3/depth`` snapshot, fees: :data:`SPEC`;
- :mod:`~arb.venues.binance.wire` — the wire encoder (diff depth, book ticker, REST depth bodies);
- :mod:`~arb.venues.binance.signing` — HMAC-SHA256 request signatures;
- :mod:`~arb.venues.binance.instruments` — ``exchangeInfo`` and 24 h tickers: :data:`MARKETS`;
- :mod:`~arb.venues.binance.trading` — orders, cancels, queries, balances, fees and error
  classes: :data:`TRADING`.

The package exposes :data:`SPEC` (:class:`~arb.venues.base.VenueSpec`), ``Encoder`` (its
wire encoder), :data:`MARKETS` and :data:`TRADING`; :mod:`arb.venues.registry` lists it.
Market data never imports signing (the feed needs no key). Official examples and notes: ``samples/venues/binance/``.
"""

from arb.venues.binance.instruments import MARKETS
from arb.venues.binance.market_data import SPEC
from arb.venues.binance.trading import TRADING
from arb.venues.binance.wire import Encoder

__all__ = ["MARKETS", "SPEC", "TRADING", "Encoder"]
