"""The venue-contract table: one row per venue (``rows/<venue>.py``), by name."""

from __future__ import annotations

from tests.venues.contract import Row
from tests.venues.rows import binance, coinbase, gateio, kraken, kucoin, mexc, okx

ROWS: dict[str, Row] = {row.name: row for row in (
    binance.ROW, gateio.ROW, mexc.ROW, kraken.ROW, coinbase.ROW, kucoin.ROW, okx.ROW,
)}
