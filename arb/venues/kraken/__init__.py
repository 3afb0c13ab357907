"""Kraken spot: everything arb knows about the venue, one module per concern.

- :mod:`~arb.venues.kraken.market_data` — websocket v2 ``book`` decoder (in-stream snapshots),
  CRC32 checksum, fees: :data:`SPEC`;
- :mod:`~arb.venues.kraken.v1` — the legacy websocket v1 book frames (the real 2021 capture),
  handed over by the v2 decoder;
- :mod:`~arb.venues.kraken.wire` — the wire encoder (v2 book snapshots and updates with their
  checksums);
- :mod:`~arb.venues.kraken.signing` — ``API-Sign`` request signatures.

The package exposes :data:`SPEC` (:class:`~arb.venues.base.VenueSpec`) and ``Encoder`` (its
wire encoder); :mod:`arb.venues.registry` lists it. Market data never imports signing
(the feed needs no key). Official examples and notes: ``samples/venues/kraken/``.
"""

from arb.venues.kraken.market_data import SPEC
from arb.venues.kraken.wire import Encoder

__all__ = ["SPEC", "Encoder"]
