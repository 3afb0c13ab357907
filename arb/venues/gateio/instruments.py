"""Gate spot listings: ``GET /api/v4/spot/currency_pairs`` and ``GET /api/v4/spot/tickers``.

A pair names its assets (``base``/``quote``) and its rules as decimal places and minimums::

    {"id":"ETH_USDT","base":"ETH","quote":"USDT","fee":"0.2","min_base_amount":"0.001",
     "min_quote_amount":"1.0","max_base_amount":"10000","max_quote_amount":"10000000",
     "amount_precision":3,"precision":6,"trade_status":"tradable","sell_start":1516378650,
     "buy_start":1516378650,"delisting_time":0,"type":"normal", …}

So the tick is ``10**-precision`` and the lot ``10**-amount_precision``; a ``null`` minimum
means no limit. ``trade_status``: ``tradable``; ``buyable``/``sellable`` (one side only) and
``untradable`` are listed but not tradable both ways (``halted``). Pre-market pairs
(``type: premarket``) are skipped. Tickers: ``currency_pair``, ``last``, ``lowest_ask``,
``highest_bid``, ``base_volume``, ``quote_volume`` (empty text when there is no data; volumes
may carry more than 18 decimals and are cut to 18).
"""

from __future__ import annotations

import msgspec

from arb.core.instruments import Instrument
from arb.core.numbers import ONE, from_decimal
from arb.core.symbols import unified
from arb.venues.base import RestRequest
from arb.venues.markets import Listing, MarketsSpec, Ticker

NAME = "gateio"
#: ``trade_status`` → instrument status (anything else: halted).
_STATUS = {"tradable": "trading", "untradable": "halted", "buyable": "halted", "sellable": "halted"}


class _Pair(msgspec.Struct):
    id: str
    base: str
    quote: str
    amount_precision: int
    precision: int
    trade_status: str
    min_base_amount: str | None = None
    min_quote_amount: str | None = None
    type: str = "normal"


class _Ticker(msgspec.Struct):
    currency_pair: str
    last: str | None = None
    lowest_ask: str | None = None
    highest_bid: str | None = None
    base_volume: str | None = None
    quote_volume: str | None = None


_pairs = msgspec.json.Decoder(list[_Pair])
_tickers = msgspec.json.Decoder(list[_Ticker])


def instruments(rest_url: str) -> list[RestRequest]:
    return [RestRequest("GET", f"{rest_url}/api/v4/spot/currency_pairs")]


def _step(places: int) -> int:
    if not 0 <= places <= 18:
        raise ValueError(f"precision {places} is outside 0..18 decimal places")
    return ONE // 10**places


def _amount(text: str | None) -> int:
    return from_decimal(text) if text else 0


def _volume(text: str | None) -> int:
    """A 24 h volume, cut to 18 decimal places (Gate prints up to 20: an analytics figure)."""
    if not text:
        return 0
    whole, dot, frac = text.partition(".")
    return from_decimal(whole + dot + frac[:18] if dot else text)


def decode_instruments(bodies: list[str]) -> Listing:
    listing = Listing([])
    for body in bodies:
        for p in _pairs.decode(body):
            if p.type == "premarket":
                listing.skip("pre-market")
                continue
            lot = _step(p.amount_precision)
            listing.instruments.append(Instrument(
                venue=NAME, symbol=unified(p.base, p.quote), venue_symbol=p.id, tick_size=_step(p.precision), lot_size=lot,
                min_qty=_amount(p.min_base_amount) or lot, min_notional=_amount(p.min_quote_amount),
                status=_STATUS.get(p.trade_status, "halted"),
            ))
    return listing


def tickers(rest_url: str) -> RestRequest:
    return RestRequest("GET", f"{rest_url}/api/v4/spot/tickers")


def decode_tickers(body: str) -> list[Ticker]:
    """Every pair's 24 h ticker (0 where Gate sends empty text or null)."""
    return [
        Ticker(venue=NAME, venue_symbol=t.currency_pair, bid=_amount(t.highest_bid), ask=_amount(t.lowest_ask),
               last=_amount(t.last), volume_base=_volume(t.base_volume), volume_quote=_volume(t.quote_volume))
        for t in _tickers.decode(body)
    ]


MARKETS = MarketsSpec(venue=NAME, instruments=instruments, decode_instruments=decode_instruments, tickers=tickers,
                      decode_tickers=decode_tickers)
