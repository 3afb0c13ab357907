"""Binance spot listings: ``GET /api/v3/exchangeInfo`` and ``GET /api/v3/ticker/24hr``.

``exchangeInfo`` names each symbol's assets (``baseAsset``/``quoteAsset``: no splitting of
``BTCUSDT`` needed) and its rules as filters::

    {"symbol":"BTCUSDT","status":"TRADING","baseAsset":"BTC","quoteAsset":"USDT",
     "isSpotTradingAllowed":true,"filters":[
       {"filterType":"PRICE_FILTER","minPrice":"0.01","maxPrice":"1000000","tickSize":"0.01"},
       {"filterType":"LOT_SIZE","minQty":"0.00001","maxQty":"9000","stepSize":"0.00001"},
       {"filterType":"NOTIONAL","minNotional":"5.00000000", …}]}

``status``: ``TRADING``; ``HALT``/``BREAK``/``AUCTION_MATCH``/``PRE_TRADING``/``POST_TRADING``
(listed, not trading now); ``END_OF_DAY``/``DELISTED`` is gone. Older answers carry
``MIN_NOTIONAL`` instead of ``NOTIONAL``.
"""

from __future__ import annotations

import msgspec

from arb.core.instruments import Instrument
from arb.core.numbers import from_decimal
from arb.core.symbols import unified
from arb.venues.base import RestRequest
from arb.venues.markets import Listing, MarketsSpec, Ticker

NAME = "binance"
_STATUS = {"TRADING": "trading", "END_OF_DAY": "delisted", "DELISTED": "delisted"}


class _Filter(msgspec.Struct):
    filterType: str
    tickSize: str = "0"
    stepSize: str = "0"
    minQty: str = "0"
    minNotional: str = "0"


class _Symbol(msgspec.Struct):
    symbol: str
    status: str
    baseAsset: str
    quoteAsset: str
    filters: list[_Filter]
    isSpotTradingAllowed: bool = True


class _Info(msgspec.Struct):
    symbols: list[_Symbol]


class _Ticker(msgspec.Struct):
    symbol: str
    bidPrice: str = "0"
    askPrice: str = "0"
    lastPrice: str = "0"
    volume: str = "0"
    quoteVolume: str = "0"


_info = msgspec.json.Decoder(_Info)
_tickers = msgspec.json.Decoder(list[_Ticker])


def instruments(rest_url: str) -> list[RestRequest]:
    return [RestRequest("GET", f"{rest_url}/api/v3/exchangeInfo", weight=20)]


def decode_instruments(bodies: list[str]) -> Listing:
    listing = Listing([])
    for body in bodies:
        for s in _info.decode(body).symbols:
            if not s.isSpotTradingAllowed:
                listing.skip("not spot")
                continue
            rules = {f.filterType: f for f in s.filters}
            price, lot = rules.get("PRICE_FILTER"), rules.get("LOT_SIZE")
            notional = rules.get("NOTIONAL") or rules.get("MIN_NOTIONAL")
            listing.instruments.append(Instrument(
                venue=NAME, symbol=unified(s.baseAsset, s.quoteAsset), venue_symbol=s.symbol,
                tick_size=from_decimal(price.tickSize) if price else 0, lot_size=from_decimal(lot.stepSize) if lot else 0,
                min_qty=from_decimal(lot.minQty) if lot else 0, min_notional=from_decimal(notional.minNotional) if notional else 0,
                status=_STATUS.get(s.status, "halted"),
            ))
    return listing


def tickers(rest_url: str) -> RestRequest:
    return RestRequest("GET", f"{rest_url}/api/v3/ticker/24hr", weight=80)


def decode_tickers(body: str) -> list[Ticker]:
    """Every symbol's 24 h ticker."""
    return [
        Ticker(venue=NAME, venue_symbol=t.symbol, bid=from_decimal(t.bidPrice), ask=from_decimal(t.askPrice),
               last=from_decimal(t.lastPrice), volume_base=from_decimal(t.volume), volume_quote=from_decimal(t.quoteVolume))
        for t in _tickers.decode(body)
    ]


MARKETS = MarketsSpec(venue=NAME, instruments=instruments, decode_instruments=decode_instruments, tickers=tickers,
                      decode_tickers=decode_tickers)
