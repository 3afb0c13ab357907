"""Coinbase Advanced Trade listings: ``GET /api/v3/brokerage/market/products`` (public).

One answer carries every product's rules and its 24 h figures::

    {"products": [{"product_id": "BTC-USD", "price": "68925.98", "volume_24h": "11005.02587005",
      "base_increment": "0.00000001", "quote_increment": "0.01", "price_increment": "0.01",
      "quote_min_size": "1", "base_min_size": "0.00000001", "status": "online",
      "is_disabled": false, "trading_disabled": false, "cancel_only": false, "post_only": false,
      "view_only": false, "product_type": "SPOT", "base_currency_id": "BTC",
      "quote_currency_id": "USD", "approximate_quote_24h_volume": "758532193.02",
      "best_bid_price": "", "best_ask_price": "", …}], "num_products": 2}

- Tick: ``price_increment`` (``quote_increment`` in older answers); lot and minimum size:
  ``base_increment``/``base_min_size``; minimum notional: ``quote_min_size``.
- Status: ``delisted`` (``status: delisted`` or ``is_disabled``); ``halted`` when orders that
  take liquidity cannot trade now (``trading_disabled``, ``cancel_only``, ``post_only``,
  ``view_only``, ``status: offline``); else ``trading``. ``limit_only`` products still trade
  arb's limit orders.
- Futures (``product_type: FUTURE``) are skipped and counted. ``BTC-USDC`` is listed beside
  ``BTC-USD`` (an alias trading on the same book): both are kept, as the venue lists them.
- Tickers come from the same endpoint: ``price`` (last), ``volume_24h`` (base),
  ``approximate_quote_24h_volume`` (quote), ``best_bid_price``/``best_ask_price`` where filled
  (an empty field is 0: not said).
"""

from __future__ import annotations

import msgspec

from arb.core.instruments import Instrument
from arb.core.numbers import from_decimal
from arb.core.symbols import unified
from arb.venues.base import RestRequest
from arb.venues.markets import Listing, MarketsSpec, Ticker

NAME = "coinbase"
PRODUCTS_PATH = "/api/v3/brokerage/market/products"


class _Product(msgspec.Struct):
    product_id: str
    product_type: str = "SPOT"
    base_currency_id: str = ""
    quote_currency_id: str = ""
    base_increment: str = ""
    quote_increment: str = ""
    price_increment: str = ""
    base_min_size: str = ""
    quote_min_size: str = ""
    status: str = ""
    is_disabled: bool = False
    trading_disabled: bool = False
    cancel_only: bool = False
    post_only: bool = False
    view_only: bool = False
    price: str = ""
    volume_24h: str = ""
    approximate_quote_24h_volume: str = ""
    best_bid_price: str = ""
    best_ask_price: str = ""


class _Products(msgspec.Struct):
    products: list[_Product]


_products = msgspec.json.Decoder(_Products)


def _fixed(text: str) -> int:
    """A decimal field; the venue writes ``""`` for "not said"."""
    return from_decimal(text) if text else 0


def _status(p: _Product) -> str:
    if p.status == "delisted" or p.is_disabled:
        return "delisted"
    if p.trading_disabled or p.cancel_only or p.post_only or p.view_only or p.status == "offline":
        return "halted"
    return "trading"


def instruments(rest_url: str) -> list[RestRequest]:
    return [RestRequest("GET", f"{rest_url}{PRODUCTS_PATH}", weight=1)]


def decode_instruments(bodies: list[str]) -> Listing:
    listing = Listing([])
    for body in bodies:
        for p in _products.decode(body).products:
            if p.product_type != "SPOT":
                listing.skip("not spot")
                continue
            if not p.base_currency_id or not p.quote_currency_id:
                listing.skip("assets not named")
                continue
            listing.instruments.append(Instrument(
                venue=NAME, symbol=unified(p.base_currency_id, p.quote_currency_id), venue_symbol=p.product_id,
                tick_size=_fixed(p.price_increment or p.quote_increment), lot_size=_fixed(p.base_increment),
                min_qty=_fixed(p.base_min_size), min_notional=_fixed(p.quote_min_size), status=_status(p),
            ))
    return listing


def tickers(rest_url: str) -> RestRequest:
    return RestRequest("GET", f"{rest_url}{PRODUCTS_PATH}", weight=1)


def decode_tickers(body: str) -> list[Ticker]:
    """Every spot product's 24 h figures."""
    return [
        Ticker(venue=NAME, venue_symbol=p.product_id, bid=_fixed(p.best_bid_price), ask=_fixed(p.best_ask_price),
               last=_fixed(p.price), volume_base=_fixed(p.volume_24h), volume_quote=_fixed(p.approximate_quote_24h_volume))
        for p in _products.decode(body).products if p.product_type == "SPOT"
    ]


MARKETS = MarketsSpec(venue=NAME, instruments=instruments, decode_instruments=decode_instruments, tickers=tickers,
                      decode_tickers=decode_tickers)
