"""The VenueSpec extensions the transport reads, for every registered venue."""

from __future__ import annotations

import json

import pytest

from arb.core.events import Control
from arb.core.numbers import FixedParser
from arb.venues.binance import market_data as binance
from arb.venues.coinbase import market_data as coinbase
from arb.venues.gateio import market_data as gateio
from arb.venues.kraken import market_data as kraken
from arb.venues.kucoin import market_data as kucoin
from arb.venues.kucoin import signing as kucoin_signing
from arb.venues.mexc import market_data as mexc
from arb.venues.okx import market_data as okx
from arb.venues.base import Credentials, RestBudget
from arb.venues.registry import VENUES

NOW_MS = 1_700_000_123_456


@pytest.mark.parametrize("name", sorted(VENUES))
def test_frames_take_the_send_time_and_keep_their_shape(name):
    spec = VENUES[name]
    native = spec.format_symbol("BTC/USDT" if name not in ("kraken", "coinbase") else "BTC/USD")
    frames = spec.subscribe_frames([native], spec.depth, NOW_MS)
    assert all(isinstance(f, str) for f in frames)
    if spec.ping_frame is not None:
        assert spec.ping_interval_s and isinstance(spec.ping_frame(7, NOW_MS), str)
    if spec.snapshot_source == "ws":
        # in-stream venues resync one book by unsubscribe + subscribe
        assert spec.unsubscribe_frames is not None and spec.unsubscribe_frames([native], spec.depth, NOW_MS)
    assert spec.rest_budget is None or isinstance(spec.rest_budget, RestBudget)
    if spec.max_connection_age_s is not None:
        assert spec.max_connection_age_s >= 3600


def test_gate_requests_carry_the_time_in_seconds():
    for frame in gateio.subscribe_frames(["BTC_USDT"], 100, NOW_MS) + gateio.unsubscribe_frames(["BTC_USDT"], 100, NOW_MS):
        assert json.loads(frame)["time"] == NOW_MS // 1000
    assert json.loads(gateio.ping_frame(3, NOW_MS)) == {"time": NOW_MS // 1000, "id": 3, "channel": "spot.ping"}
    [unsub] = gateio.obu_unsubscribe_frames(["BTC_USDT"], 50, NOW_MS)
    assert json.loads(unsub)["payload"] == ["ob.BTC_USDT.50"] and json.loads(unsub)["event"] == "unsubscribe"


def test_unsubscribe_frames_name_just_the_given_symbols():
    assert json.loads(kraken.unsubscribe_frames(["ETH/USD"], 10, NOW_MS)[0]) == {
        "method": "unsubscribe", "params": {"channel": "book", "symbol": ["ETH/USD"], "depth": 10},
    }
    assert json.loads(okx.unsubscribe_frames(["ETH-USDT"], None, NOW_MS)[0]) == {
        "op": "unsubscribe", "args": [{"channel": "books", "instId": "ETH-USDT"}],
    }
    assert json.loads(coinbase.unsubscribe_frames(["ETH-USD"], None, NOW_MS)[0]) == {
        "type": "unsubscribe", "product_ids": ["ETH-USD"], "channel": "level2",
    }
    assert coinbase.unsubscribe_frames([], None, NOW_MS) == []


def test_binance_liveness_probe_is_answered_with_an_ack_the_decoder_knows():
    frame = json.loads(binance.ping_frame(5, NOW_MS))
    assert frame == {"method": "SET_PROPERTY", "params": ["combined", True], "id": 5}
    decoder = binance.SPEC.decoder(binance.SPEC.symbol_map(), FixedParser())
    [ack] = decoder.decode('{"result":null,"id":5}', 1)
    assert isinstance(ack, Control) and ack.kind == "ack"


def test_connection_caps_follow_the_venue_notes():
    assert mexc.SPEC.max_symbols_per_connection == 15  # 30 subscriptions, two per symbol
    assert 2 * binance.SPEC.max_symbols_per_connection <= 1024  # streams per connection
    assert kucoin.SPEC.max_symbols_per_connection * 2 <= 100
    assert okx.SPEC.max_symbols_per_connection < 30


def test_kucoin_connects_with_a_token_and_serves_100_levels_without_a_key():
    spec = kucoin.SPEC
    assert spec.connect_request is kucoin.bullet_request and spec.connect_url_from_response is kucoin.connect_url_from_bullet
    assert spec.subscribe_after == "welcome" and spec.public_snapshot_depth == 100
    assert spec.snapshot_request(spec.rest_url, "BTC-USDT", 100).url.endswith("/api/v1/market/orderbook/level2_100?symbol=BTC-USDT")
    assert spec.snapshot_request(spec.rest_url, "BTC-USDT", 20).url.endswith("/level2_20?symbol=BTC-USDT")
    full = spec.snapshot_request(spec.rest_url, "BTC-USDT", None)
    assert full.url.endswith(kucoin.SNAPSHOT_PATH + "?symbol=BTC-USDT") and full.weight == 3
    signed = spec.sign_request(full, Credentials("k", "s", "p"), NOW_MS)
    assert signed.headers["KC-API-TIMESTAMP"] == str(NOW_MS)
    assert signed.headers["KC-API-SIGN"] == kucoin_signing.sign("s", NOW_MS, "GET", kucoin.SNAPSHOT_PATH + "?symbol=BTC-USDT")
    assert signed.headers["KC-API-PASSPHRASE"] == kucoin_signing.sign_passphrase("s", "p") and full.headers == {}


def test_credentials_never_show_in_repr():
    creds = Credentials("my-key", "my-secret", "my-pass")
    assert "my-" not in repr(creds) and "my-" not in str(creds)
    with pytest.raises(ValueError):
        RestBudget(0, 1.0)
