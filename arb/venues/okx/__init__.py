"""OKX API v5: everything arb knows about the venue, one module per concern.

- :mod:`~arb.venues.okx.market_data` — ``books`` decoder (in-stream snapshots,
  ``prevSeqId``/``seqId`` chain), CRC32 checksum, fees: :data:`SPEC`;
- :mod:`~arb.venues.okx.wire` — the wire encoder (snapshots and chained updates with their
  checksums, REST books);
- :mod:`~arb.venues.okx.signing` — ``OK-ACCESS-SIGN`` request signatures.

The package exposes :data:`SPEC` (:class:`~arb.venues.base.VenueSpec`) and ``Encoder`` (its
wire encoder); :mod:`arb.venues.registry` lists it. Market data never imports signing
(the feed needs no key). Official examples and notes: ``samples/venues/okx/``.
"""

from arb.venues.okx.market_data import SPEC
from arb.venues.okx.wire import Encoder

__all__ = ["SPEC", "Encoder"]
