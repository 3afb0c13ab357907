"""Coinbase Advanced Trade: everything arb knows about the venue, one module per concern.

- :mod:`~arb.venues.coinbase.market_data` — ``level2`` decoder checked by the connection-wide
  ``sequence_num``, REST product book, fees: :data:`SPEC`;
- :mod:`~arb.venues.coinbase.wire` — the wire encoder (``l2_data``, acks, heartbeats, REST product
  book bodies);
- :mod:`~arb.venues.coinbase.signing` — ES256 JWTs for CDP API keys;
- :mod:`~arb.venues.coinbase.instruments` — ``market/products`` listings and 24 h figures: :data:`MARKETS`;
- :mod:`~arb.venues.coinbase.trading` — orders (by the venue's own order id), cancels, queries,
  balances, fee tier and error classes: :data:`TRADING`.

The package exposes :data:`SPEC` (:class:`~arb.venues.base.VenueSpec`), ``Encoder`` (its
wire encoder), :data:`MARKETS` and :data:`TRADING`; :mod:`arb.venues.registry` lists it. Market data never imports signing
(the feed needs no key). Official examples and notes: ``samples/venues/coinbase/``.
"""

from arb.venues.coinbase.instruments import MARKETS
from arb.venues.coinbase.market_data import SPEC
from arb.venues.coinbase.trading import TRADING
from arb.venues.coinbase.wire import Encoder

__all__ = ["MARKETS", "SPEC", "TRADING", "Encoder"]
