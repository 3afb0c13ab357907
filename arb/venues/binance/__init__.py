"""Binance spot: everything arb knows about the venue, one module per concern.

- :mod:`~arb.venues.binance.market_data` — combined-stream JSON diff depth + ``bookTicker``
  decoder, ``U``/``u`` sync against the ``GET /api/v3/depth`` snapshot, fees: :data:`SPEC`;
- :mod:`~arb.venues.binance.wire` — the wire encoder (diff depth, book ticker, REST depth bodies);
- :mod:`~arb.venues.binance.signing` — HMAC-SHA256 request signatures.

The package exposes :data:`SPEC` (:class:`~arb.venues.base.VenueSpec`) and ``Encoder`` (its
wire encoder); :mod:`arb.venues.registry` lists it. Market data never imports signing
(the feed needs no key). Official examples and notes: ``samples/venues/binance/``.
"""

from arb.venues.binance.market_data import SPEC
from arb.venues.binance.wire import Encoder

__all__ = ["SPEC", "Encoder"]
