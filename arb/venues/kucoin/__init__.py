"""KuCoin spot: everything arb knows about the venue, one module per concern.

- :mod:`~arb.venues.kucoin.market_data` — ``/market/level2`` decoder with per-change sequences,
  REST snapshot sync, the bullet token flow, fees: :data:`SPEC`;
- :mod:`~arb.venues.kucoin.wire` — the wire encoder (level-2 increments, tickers, REST bodies);
- :mod:`~arb.venues.kucoin.signing` — API key v3 signatures and signed requests;
- :mod:`~arb.venues.kucoin.instruments` — ``symbols`` and ``allTickers``: :data:`MARKETS`;
- :mod:`~arb.venues.kucoin.trading` — high-frequency orders by ``clientOid``, cancels, queries,
  balances, fees and error classes: :data:`TRADING`.

The package exposes :data:`SPEC` (:class:`~arb.venues.base.VenueSpec`), ``Encoder`` (its
wire encoder), :data:`MARKETS` and :data:`TRADING`; :mod:`arb.venues.registry` lists it. Market data imports signing only for
the signed full-book snapshot (``SPEC.sign_request``). Official examples and notes:
``samples/venues/kucoin/``.
"""

from arb.venues.kucoin.instruments import MARKETS
from arb.venues.kucoin.market_data import SPEC
from arb.venues.kucoin.trading import TRADING
from arb.venues.kucoin.wire import Encoder

__all__ = ["MARKETS", "SPEC", "TRADING", "Encoder"]
