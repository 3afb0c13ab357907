"""KuCoin spot listings: ``GET /api/v2/symbols`` and ``GET /api/v1/market/allTickers`` (public).

``symbols`` names each symbol's assets by their codes and its rules::

    {"code": "200000", "data": [{"symbol": "BTC-USDT", "baseCurrency": "BTC", "quoteCurrency": "USDT",
      "baseMinSize": "0.00001", "quoteMinSize": "0.1", "baseIncrement": "0.00000001",
      "priceIncrement": "0.1", "minFunds": "0.1", "enableTrading": true, …}]}

- Tick ``priceIncrement``; lot ``baseIncrement``; minimum size ``baseMinSize``; minimum
  notional ``minFunds`` (the smallest order value; ``quoteMinSize`` where it is absent).
- Status: ``enableTrading: false`` is ``halted``; a delisted symbol leaves the list. The
  endpoint lists spot symbols only (KuCoin's futures live on another host), so nothing is
  skipped for its type; a symbol whose assets are not named is skipped and counted.
- Asset codes are canonical in the unified symbol (``BCHSV-USDT`` → ``BSV/USDT``); the venue
  symbol keeps the venue's code.
- ``allTickers``: ``data.ticker[]`` with ``buy``/``sell`` (best bid/ask), ``last``, ``vol``
  (base) and ``volValue`` (quote) over 24 h; ``null`` for a symbol without trades is 0.
"""

from __future__ import annotations

import msgspec

from arb.core.instruments import Instrument
from arb.core.numbers import from_decimal
from arb.core.symbols import unified
from arb.venues.base import RestRequest
from arb.venues.markets import Listing, MarketsSpec, Ticker

NAME = "kucoin"
SYMBOLS_PATH = "/api/v2/symbols"
TICKERS_PATH = "/api/v1/market/allTickers"


class _Symbol(msgspec.Struct):
    symbol: str
    baseCurrency: str = ""
    quoteCurrency: str = ""
    baseMinSize: str | None = None
    quoteMinSize: str | None = None
    baseIncrement: str | None = None
    priceIncrement: str | None = None
    minFunds: str | None = None
    enableTrading: bool = True


class _Symbols(msgspec.Struct):
    code: str
    data: list[_Symbol]


class _Ticker(msgspec.Struct):
    symbol: str
    buy: str | None = None
    sell: str | None = None
    last: str | None = None
    vol: str | None = None
    volValue: str | None = None


class _TickerData(msgspec.Struct):
    ticker: list[_Ticker]


class _Tickers(msgspec.Struct):
    code: str
    data: _TickerData


_symbols = msgspec.json.Decoder(_Symbols)
_tickers = msgspec.json.Decoder(_Tickers)


def _fixed(text: str | None) -> int:
    return from_decimal(text) if text else 0


def instruments(rest_url: str) -> list[RestRequest]:
    return [RestRequest("GET", f"{rest_url}{SYMBOLS_PATH}", weight=4)]


def decode_instruments(bodies: list[str]) -> Listing:
    listing = Listing([])
    for body in bodies:
        answer = _symbols.decode(body)
        if answer.code != "200000":
            raise ValueError(f"kucoin symbols: answer code {answer.code}")
        for s in answer.data:
            if not s.baseCurrency or not s.quoteCurrency:
                listing.skip("assets not named")
                continue
            listing.instruments.append(Instrument(
                venue=NAME, symbol=unified(s.baseCurrency, s.quoteCurrency), venue_symbol=s.symbol,
                tick_size=_fixed(s.priceIncrement), lot_size=_fixed(s.baseIncrement), min_qty=_fixed(s.baseMinSize),
                min_notional=_fixed(s.minFunds or s.quoteMinSize), status="trading" if s.enableTrading else "halted",
            ))
    return listing


def tickers(rest_url: str) -> RestRequest:
    return RestRequest("GET", f"{rest_url}{TICKERS_PATH}", weight=15)


def decode_tickers(body: str) -> list[Ticker]:
    """Every symbol's 24 h ticker."""
    answer = _tickers.decode(body)
    if answer.code != "200000":
        raise ValueError(f"kucoin allTickers: answer code {answer.code}")
    return [
        Ticker(venue=NAME, venue_symbol=t.symbol, bid=_fixed(t.buy), ask=_fixed(t.sell), last=_fixed(t.last),
               volume_base=_fixed(t.vol), volume_quote=_fixed(t.volValue))
        for t in answer.data.ticker
    ]


MARKETS = MarketsSpec(venue=NAME, instruments=instruments, decode_instruments=decode_instruments, tickers=tickers,
                      decode_tickers=decode_tickers)
