"""Kraken spot: everything arb knows about the venue, one module per concern.

- :mod:`~arb.venues.kraken.market_data` — websocket v2 ``book`` decoder (in-stream snapshots),
  CRC32 checksum, fees: :data:`SPEC`;
- :mod:`~arb.venues.kraken.v1` — the legacy websocket v1 book frames (the real 2021 capture),
  handed over by the v2 decoder;
- :mod:`~arb.venues.kraken.wire` — the wire encoder (v2 book snapshots and updates with their
  checksums);
- :mod:`~arb.venues.kraken.signing` — ``API-Sign`` request signatures;
- :mod:`~arb.venues.kraken.assets` — Kraken asset ids (``XXBT``, ``ZUSD``) ↔ canonical codes;
- :mod:`~arb.venues.kraken.instruments` — ``AssetPairs`` and ``Ticker``: :data:`MARKETS`;
- :mod:`~arb.venues.kraken.trading` — orders, cancels, queries, balances, fees and error
  classes: :data:`TRADING`.

The package exposes :data:`SPEC` (:class:`~arb.venues.base.VenueSpec`), ``Encoder`` (its
wire encoder), :data:`MARKETS` and :data:`TRADING`; :mod:`arb.venues.registry` lists it.
Market data never imports signing (the feed needs no key). Official examples and notes:
``samples/venues/kraken/``.
"""

from arb.venues.kraken.instruments import MARKETS
from arb.venues.kraken.market_data import SPEC
from arb.venues.kraken.trading import TRADING
from arb.venues.kraken.wire import Encoder

__all__ = ["MARKETS", "SPEC", "TRADING", "Encoder"]
