"""OKX spot listings: ``GET /api/v5/public/instruments?instType=SPOT`` and ``GET /api/v5/market/tickers?instType=SPOT``.

Each instrument names its assets (``baseCcy``/``quoteCcy``) and rules::

    {"instType":"SPOT","instId":"BTC-USDT","baseCcy":"BTC","quoteCcy":"USDT","tickSz":"0.1",
     "lotSz":"0.00000001","minSz":"0.00001","state":"live", …}

``state``: ``live`` trades; ``suspend`` and ``preopen`` are listed, not trading now; ``test``
pairs cannot be traded at all (skipped). OKX publishes no minimum notional for spot (0).
Tickers carry ``bidPx``/``askPx``/``last`` and the 24 h volumes: ``vol24h`` in the base,
``volCcy24h`` in the quote (for spot; derivatives count contracts, so they are skipped).
Answers are ``{"code":"0","msg":"","data":[…]}``; empty strings stand for "none".
"""

from __future__ import annotations

import msgspec

from arb.core.instruments import Instrument
from arb.core.numbers import from_decimal
from arb.core.symbols import unified
from arb.venues.base import RestRequest
from arb.venues.markets import Listing, MarketsSpec, Ticker

NAME = "okx"
_STATUS = {"live": "trading", "suspend": "halted", "preopen": "halted"}


class _Instrument(msgspec.Struct):
    instType: str
    instId: str
    baseCcy: str = ""
    quoteCcy: str = ""
    tickSz: str = ""
    lotSz: str = ""
    minSz: str = ""
    state: str = ""


class _Ticker(msgspec.Struct):
    instType: str
    instId: str
    last: str = ""
    bidPx: str = ""
    askPx: str = ""
    vol24h: str = ""
    volCcy24h: str = ""


class _Instruments(msgspec.Struct):
    code: str
    data: list[_Instrument]
    msg: str = ""


class _Tickers(msgspec.Struct):
    code: str
    data: list[_Ticker]
    msg: str = ""


_instruments = msgspec.json.Decoder(_Instruments)
_tickers = msgspec.json.Decoder(_Tickers)


def _fixed(text: str) -> int:
    return from_decimal(text) if text else 0


def instruments(rest_url: str) -> list[RestRequest]:
    return [RestRequest("GET", f"{rest_url}/api/v5/public/instruments?instType=SPOT")]


def decode_instruments(bodies: list[str]) -> Listing:
    listing = Listing([])
    for body in bodies:
        answer = _instruments.decode(body)
        if answer.code != "0":
            raise ValueError(f"okx instruments: error {answer.code} {answer.msg[:100]}")
        for i in answer.data:
            if i.instType != "SPOT":
                listing.skip("not spot")
            elif i.state == "test":
                listing.skip("test pair")
            elif not i.baseCcy or not i.quoteCcy:
                listing.skip("assets not named")
            else:
                listing.instruments.append(Instrument(
                    venue=NAME, symbol=unified(i.baseCcy, i.quoteCcy), venue_symbol=i.instId, tick_size=_fixed(i.tickSz),
                    lot_size=_fixed(i.lotSz), min_qty=_fixed(i.minSz), min_notional=0, status=_STATUS.get(i.state, "halted"),
                ))
    return listing


def tickers(rest_url: str) -> RestRequest:
    return RestRequest("GET", f"{rest_url}/api/v5/market/tickers?instType=SPOT")


def decode_tickers(body: str) -> list[Ticker]:
    """Every spot symbol's 24 h ticker (derivative entries, whose volumes count contracts, skipped)."""
    answer = _tickers.decode(body)
    if answer.code != "0":
        raise ValueError(f"okx tickers: error {answer.code} {answer.msg[:100]}")
    return [
        Ticker(venue=NAME, venue_symbol=t.instId, bid=_fixed(t.bidPx), ask=_fixed(t.askPx), last=_fixed(t.last),
               volume_base=_fixed(t.vol24h), volume_quote=_fixed(t.volCcy24h))
        for t in answer.data if t.instType == "SPOT"
    ]


MARKETS = MarketsSpec(venue=NAME, instruments=instruments, decode_instruments=decode_instruments, tickers=tickers,
                      decode_tickers=decode_tickers)
