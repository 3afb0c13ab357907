"""Kraken spot listings: ``GET /0/public/AssetPairs`` and ``GET /0/public/Ticker``.

``AssetPairs`` answers pairs by id, naming their assets by Kraken asset id (:mod:`.assets`)::

    {"error":[],"result":{"XXBTZUSD":{"altname":"XBTUSD","wsname":"XBT/USD","base":"XXBT",
     "quote":"ZUSD","pair_decimals":1,"lot_decimals":8,"ordermin":"0.0001","costmin":"0.5",
     "tick_size":"0.1","status":"online", …}}}

The pair id is the instrument's venue symbol (``AddOrder`` takes "asset pair id or altname",
and ``Ticker`` answers by id). Tick: ``tick_size`` (older answers: 10^-``pair_decimals``);
lot: 10^-``lot_decimals``; minimum size ``ordermin``, minimum notional ``costmin``.
``status``: ``online`` trades; ``cancel_only``, ``post_only``, ``limit_only``,
``reduce_only`` are listed but not open to arb's immediate-or-cancel orders (halted);
``delisted`` is gone. Dark-pool pairs (``….d``) are skipped.

``Ticker`` (every pair) gives ``a``/``b`` (ask, bid: price, whole-lot volume, lot volume),
``c`` (last trade), ``v`` and ``p`` (volume and VWAP: today, last 24 h): the 24 h quote
volume is VWAP × volume (to 10**-18).
"""

from __future__ import annotations

from typing import Any

import msgspec

from arb.core.instruments import Instrument
from arb.core.numbers import ONE, from_decimal, mul
from arb.core.symbols import unified
from arb.venues.base import RestRequest
from arb.venues.kraken.assets import asset_code
from arb.venues.markets import Listing, MarketsSpec, Ticker

NAME = "kraken"
_STATUS = {"online": "trading", "delisted": "delisted"}


class _Pair(msgspec.Struct):
    base: str
    quote: str
    pair_decimals: int
    lot_decimals: int
    altname: str = ""
    wsname: str = ""
    tick_size: str = ""
    ordermin: str = "0"
    costmin: str = "0"
    status: str = "online"


class _Ticker(msgspec.Struct):
    a: list[Any] = []
    b: list[Any] = []
    c: list[Any] = []
    v: list[Any] = []
    p: list[Any] = []


class _Pairs(msgspec.Struct):
    error: list[str] = []
    result: dict[str, _Pair] = {}


class _Tickers(msgspec.Struct):
    error: list[str] = []
    result: dict[str, _Ticker] = {}


_pairs = msgspec.json.Decoder(_Pairs)
_tickers = msgspec.json.Decoder(_Tickers, float_hook=str)


def _step(decimals: int) -> int:
    if not 0 <= decimals <= 18:
        raise ValueError(f"decimals out of range: {decimals}")
    return ONE // 10**decimals


def _text(value: object) -> int:
    if isinstance(value, str):
        return from_decimal(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value * ONE
    raise ValueError(f"not a number: {value!r}")


def instruments(rest_url: str) -> list[RestRequest]:
    return [RestRequest("GET", f"{rest_url}/0/public/AssetPairs")]


def decode_instruments(bodies: list[str]) -> Listing:
    listing = Listing([])
    for body in bodies:
        answer = _pairs.decode(body)
        if answer.error:
            raise ValueError(f"kraken AssetPairs: {'; '.join(answer.error)[:200]}")
        for pair_id, p in answer.result.items():
            if pair_id.endswith(".d"):
                listing.skip("dark pool")
                continue
            listing.instruments.append(Instrument(
                venue=NAME, symbol=unified(asset_code(p.base), asset_code(p.quote)), venue_symbol=pair_id,
                tick_size=from_decimal(p.tick_size) if p.tick_size else _step(p.pair_decimals),
                lot_size=_step(p.lot_decimals), min_qty=from_decimal(p.ordermin), min_notional=from_decimal(p.costmin),
                status=_STATUS.get(p.status, "halted"),
            ))
    return listing


def tickers(rest_url: str) -> RestRequest:
    return RestRequest("GET", f"{rest_url}/0/public/Ticker")


def decode_tickers(body: str) -> list[Ticker]:
    """Every pair's ticker, by pair id (the 24 h figures: ``v[1]``, ``p[1]``)."""
    answer = _tickers.decode(body)
    if answer.error:
        raise ValueError(f"kraken Ticker: {'; '.join(answer.error)[:200]}")
    out = []
    for pair_id, t in answer.result.items():
        volume = _text(t.v[1]) if len(t.v) > 1 else 0
        vwap = _text(t.p[1]) if len(t.p) > 1 else 0
        out.append(Ticker(
            venue=NAME, venue_symbol=pair_id, bid=_text(t.b[0]) if t.b else 0, ask=_text(t.a[0]) if t.a else 0,
            last=_text(t.c[0]) if t.c else 0, volume_base=volume, volume_quote=mul(vwap, volume),
        ))
    return out


MARKETS = MarketsSpec(venue=NAME, instruments=instruments, decode_instruments=decode_instruments, tickers=tickers,
                      decode_tickers=decode_tickers)
