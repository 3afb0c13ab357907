"""OKX API v5: everything arb knows about the venue, one module per concern.

- :mod:`~arb.venues.okx.market_data` — ``books`` decoder (in-stream snapshots,
  ``prevSeqId``/``seqId`` chain), CRC32 checksum, fees: :data:`SPEC`;
- :mod:`~arb.venues.okx.wire` — the wire encoder (snapshots and chained updates with their
  checksums, REST books);
- :mod:`~arb.venues.okx.signing` — ``OK-ACCESS-SIGN`` request signatures;
- :mod:`~arb.venues.okx.instruments` — spot ``instruments`` and ``tickers``: :data:`MARKETS`;
- :mod:`~arb.venues.okx.trading` — orders, cancels, queries, fills, balances, fees and error
  classes: :data:`TRADING`.

The package exposes :data:`SPEC` (:class:`~arb.venues.base.VenueSpec`), ``Encoder`` (its
wire encoder), :data:`MARKETS` and :data:`TRADING`; :mod:`arb.venues.registry` lists it.
Market data never imports signing (the feed needs no key). Official examples and notes:
``samples/venues/okx/``.
"""

from arb.venues.okx.instruments import MARKETS
from arb.venues.okx.market_data import SPEC
from arb.venues.okx.trading import TRADING
from arb.venues.okx.wire import Encoder

__all__ = ["MARKETS", "SPEC", "TRADING", "Encoder"]
