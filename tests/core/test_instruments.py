"""Instruments: in-place listing replacement and the not-trading set the scanner reads; pickled
compact (Ray passes them to actors inline only under 100 KB: a restarted actor needs that)."""

from __future__ import annotations

import pickle

import msgspec
import pytest

from arb.core.instruments import Instrument, Instruments
from arb.sim.market import instruments
from arb.sim.presets import synthetic


def _inst(venue: str, symbol: str, status: str = "trading") -> Instrument:
    return Instrument(venue=venue, symbol=symbol, venue_symbol=symbol.replace("/", ""), tick_size=10**16, status=status)


def test_a_venue_listing_replaced_in_place_updates_what_is_not_trading():
    held = Instruments([_inst("okx", "BTC/USDT"), _inst("okx", "ETH/USDT"), _inst("kraken", "BTC/USDT")])
    assert held.not_trading == set()
    held.replace_venue("okx", [_inst("okx", "BTC/USDT"), _inst("okx", "ETH/USDT", "halted")])
    assert held.not_trading == {("okx", "ETH/USDT")}
    held.replace_venue("okx", [_inst("okx", "BTC/USDT")])  # delisted: gone from the listing
    assert held.not_trading == set() and held.get("okx", "ETH/USDT") is None
    assert held.venues() == {"okx", "kraken"}
    assert held.get("kraken", "BTC/USDT") is not None  # other venues untouched
    with pytest.raises(ValueError, match="kraken instrument"):
        held.replace_venue("okx", [_inst("kraken", "SOL/USDT")])
    assert held.get("okx", "BTC/USDT") is not None  # a refused listing changes nothing


def test_instruments_pickle_compact_and_exact():
    market = instruments(synthetic(500, full_overlap=True, seed=7))
    market.add(msgspec.structs.replace(next(iter(market)), status="halted"))
    packed = pickle.dumps(market)
    back = pickle.loads(packed)
    assert back.by_key == market.by_key and back.not_trading == market.not_trading
    assert len(packed) < 100_000 < len(pickle.dumps(list(market)))
