"""Gate (gate.io) spot, API v4: everything arb knows about the venue, one module per concern.

- :mod:`~arb.venues.gateio.market_data` — ``spot.order_book_update`` / ``spot.obu`` decoder,
  ``U``/``u`` sync against the REST order book, fees: :data:`SPEC`;
- :mod:`~arb.venues.gateio.wire` — the wire encoder (either channel, REST order book bodies);
- :mod:`~arb.venues.gateio.signing` — REST and websocket HMAC-SHA512 signatures;
- :mod:`~arb.venues.gateio.instruments` — ``currency_pairs`` and tickers: :data:`MARKETS`;
- :mod:`~arb.venues.gateio.trading` — orders, cancels, queries, balances, fees and error
  classes: :data:`TRADING`.

The package exposes :data:`SPEC` (:class:`~arb.venues.base.VenueSpec`), ``Encoder`` (its
wire encoder), :data:`MARKETS` and :data:`TRADING`; :mod:`arb.venues.registry` lists it.
Market data never imports signing (the feed needs no key). Official examples and notes:
``samples/venues/gateio/``.
"""

from arb.venues.gateio.instruments import MARKETS
from arb.venues.gateio.market_data import SPEC
from arb.venues.gateio.trading import TRADING
from arb.venues.gateio.wire import Encoder

__all__ = ["MARKETS", "SPEC", "TRADING", "Encoder"]
