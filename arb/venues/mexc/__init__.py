"""MEXC spot v3: everything arb knows about the venue, one module per concern.

- :mod:`~arb.venues.mexc.market_data` — protobuf diff depth + book ticker decoder,
  ``fromVersion``/``toVersion`` sync against the REST snapshot, fees: :data:`SPEC`;
- :mod:`~arb.venues.mexc.proto` — the hand-written protobuf reader and writer of MEXC's push
  frames;
- :mod:`~arb.venues.mexc.wire` — the wire encoder (protobuf pushes, JSON replies, REST depth
  bodies);
- :mod:`~arb.venues.mexc.signing` — HMAC-SHA256 request signatures;
- :mod:`~arb.venues.mexc.instruments` — ``exchangeInfo`` and 24 h tickers: :data:`MARKETS`;
- :mod:`~arb.venues.mexc.trading` — orders, cancels, queries, fills, balances and error
  classes, and the user data stream of order updates: :data:`TRADING`.

The package exposes :data:`SPEC` (:class:`~arb.venues.base.VenueSpec`), ``Encoder`` (its
wire encoder), :data:`MARKETS` and :data:`TRADING`; :mod:`arb.venues.registry` lists it.
Market data never imports signing (the feed needs no key). Official examples and notes:
``samples/venues/mexc/``.
"""

from arb.venues.mexc.instruments import MARKETS
from arb.venues.mexc.market_data import SPEC
from arb.venues.mexc.trading import TRADING
from arb.venues.mexc.wire import Encoder

__all__ = ["MARKETS", "SPEC", "TRADING", "Encoder"]
