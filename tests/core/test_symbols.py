"""Unified symbols, canonical assets and venue symbol maps."""

import pytest

from arb.core.errors import SymbolError
from arb.core.symbols import SymbolMap, canonical_asset, split, split_concatenated, unified


def test_canonical_assets():
    assert canonical_asset("XBT") == "BTC"
    assert canonical_asset("xdg") == "DOGE"
    assert canonical_asset("BCHSV") == "BSV"
    assert canonical_asset("eth") == "ETH"


def test_unified_with_derivatives():
    assert unified("XBT", "USD") == "BTC/USD"
    assert unified("UNI", "USD", settle="UNI") == "UNI/USD:UNI"
    assert unified("BTC", "USD", settle="BTC", expiry="220527") == "BTC/USD:BTC-220527"
    assert split("BTC/USD:BTC-220527") == ("BTC", "USD")


@pytest.mark.parametrize("bad", ["BTCUSDT", "BTC/", "/USDT", "A/B/C", ""])
def test_split_rejects(bad):
    with pytest.raises(SymbolError):
        split(bad)


def test_split_concatenated_prefers_longest_quote():
    assert split_concatenated("LRCBTC") == ("LRC", "BTC")
    assert split_concatenated("BTCUSDT") == ("BTC", "USDT")
    assert split_concatenated("ETHFDUSD") == ("ETH", "FDUSD")
    with pytest.raises(SymbolError):
        split_concatenated("USDT")


def test_symbol_map_both_ways_and_learns_new_symbols():
    m = SymbolMap("x", parse=lambda s: unified(*s.split("_")), format=lambda s: s.replace("/", "_"), symbols=["BTC/USDT"])
    assert m.to_unified["BTC_USDT"] == "BTC/USDT"
    assert m.venue_symbol("BTC/USDT") == "BTC_USDT"
    assert m.unified("ETH_BTC") == "ETH/BTC"
    assert m.to_venue["ETH/BTC"] == "ETH_BTC"


def test_hot_path_resolution_is_a_plain_dict():
    # The hot path indexes ``to_unified`` directly; bench/ingest.py measures its cost.
    m = SymbolMap("x", parse=str, format=lambda s: s.replace("/", ""), symbols=["A/USDT"])
    assert type(m.to_unified) is dict and type(m.to_venue) is dict
