"""MEXC spot listings: ``GET /api/v3/exchangeInfo`` and ``GET /api/v3/ticker/24hr``.

``exchangeInfo`` names each symbol's assets and gives its rules as decimal places and
minimums, not filters (``filters`` is empty)::

    {"symbol":"OGNUSDT","status":"1","baseAsset":"OGN","baseAssetPrecision":"2",
     "quoteAsset":"USDT","quoteAssetPrecision":"4","quotePrecision":"4",
     "isSpotTradingAllowed":true,"baseSizePrecision":"0.01","quoteAmountPrecision":"5",
     "makerCommission":"0.002","takerCommission":"0.002","tradeSideType":"1", …}

- tick ``10**-quoteAssetPrecision`` (``quotePrecision`` is its deprecated twin), lot
  ``10**-baseAssetPrecision``; ``baseSizePrecision`` is the minimum quantity and
  ``quoteAmountPrecision`` the minimum order value, despite their names (ccxt found the
  same). Precisions come as numbers or as text.
- ``status``: ``1`` (older answers ``ENABLED``) online, ``2`` paused (``halted``), ``3`` offline
  (``delisted``). Not ``isSpotTradingAllowed`` (no API trading), or ``tradeSideType`` other
  than ``1`` (buy only, sell only, close only): ``halted``.
- Tickers: ``bidPrice``, ``askPrice``, ``lastPrice``, ``volume``, ``quoteVolume`` (any may be
  null or empty).
"""

from __future__ import annotations

import msgspec

from arb.core.instruments import Instrument
from arb.core.numbers import ONE, from_decimal
from arb.core.symbols import unified
from arb.venues.base import RestRequest
from arb.venues.markets import Listing, MarketsSpec, Ticker

NAME = "mexc"
_STATUS = {"1": "trading", "ENABLED": "trading", "2": "halted", "PAUSE": "halted", "3": "delisted", "OFFLINE": "delisted"}


class _Symbol(msgspec.Struct):
    symbol: str
    status: str
    baseAsset: str
    quoteAsset: str
    baseAssetPrecision: int | str
    quoteAssetPrecision: int | str | None = None
    quotePrecision: int | str | None = None
    baseSizePrecision: str | None = None
    quoteAmountPrecision: str | None = None
    isSpotTradingAllowed: bool = True
    tradeSideType: int | str = "1"


class _Info(msgspec.Struct):
    symbols: list[_Symbol]


class _Ticker(msgspec.Struct):
    symbol: str
    bidPrice: str | None = None
    askPrice: str | None = None
    lastPrice: str | None = None
    volume: str | None = None
    quoteVolume: str | None = None


_info = msgspec.json.Decoder(_Info)
_tickers = msgspec.json.Decoder(list[_Ticker])


def instruments(rest_url: str) -> list[RestRequest]:
    return [RestRequest("GET", f"{rest_url}/api/v3/exchangeInfo", weight=10)]


def _step(places: int | str | None) -> int:
    if places is None or places == "":
        raise ValueError("no precision given")
    n = int(places)
    if not 0 <= n <= 18:
        raise ValueError(f"precision {n} is outside 0..18 decimal places")
    return ONE // 10**n


def _amount(text: str | None) -> int:
    return from_decimal(text) if text else 0


def decode_instruments(bodies: list[str]) -> Listing:
    listing = Listing([])
    for body in bodies:
        for s in _info.decode(body).symbols:
            if not s.baseAsset or not s.quoteAsset:
                listing.skip("no assets")
                continue
            lot = _step(s.baseAssetPrecision)
            status = _STATUS.get(str(s.status), "halted")
            if status == "trading" and (not s.isSpotTradingAllowed or str(s.tradeSideType) != "1"):
                status = "halted"
            listing.instruments.append(Instrument(
                venue=NAME, symbol=unified(s.baseAsset, s.quoteAsset), venue_symbol=s.symbol,
                tick_size=_step(s.quoteAssetPrecision if s.quoteAssetPrecision not in (None, "") else s.quotePrecision),
                lot_size=lot, min_qty=_amount(s.baseSizePrecision) or lot, min_notional=_amount(s.quoteAmountPrecision),
                status=status,
            ))
    return listing


def tickers(rest_url: str) -> RestRequest:
    return RestRequest("GET", f"{rest_url}/api/v3/ticker/24hr", weight=40)


def decode_tickers(body: str) -> list[Ticker]:
    """Every symbol's 24 h ticker (0 where MEXC sends null or empty text)."""
    return [
        Ticker(venue=NAME, venue_symbol=t.symbol, bid=_amount(t.bidPrice), ask=_amount(t.askPrice), last=_amount(t.lastPrice),
               volume_base=_amount(t.volume), volume_quote=_amount(t.quoteVolume))
        for t in _tickers.decode(body)
    ]


MARKETS = MarketsSpec(venue=NAME, instruments=instruments, decode_instruments=decode_instruments, tickers=tickers,
                      decode_tickers=decode_tickers)
