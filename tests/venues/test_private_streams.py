"""The venues' private order streams, sans-I/O: OKX's login frame signed the venue's way and its
``orders`` pushes, Binance's listenKey requests and ``executionReport`` events — decoded from the
official examples (samples/venues/okx/trading_examples.jsonl, samples/venues/binance/
stream_examples.jsonl) into the same order states the order queries give."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal

import pytest

from arb.core.numbers import from_decimal, mul
from arb.venues.base import Credentials
from arb.venues.binance import trading as binance
from arb.venues.okx import trading as okx
from arb.venues.registry import trading
from arb.venues.trading import OrderStatus, RejectReason, StreamMessage, VenueError
from tests.samples import examples

OKX = {e["name"]: e["msg"] for e in examples("okx", "trading_examples.jsonl")}
BINANCE = {e["name"]: e["msg"] for e in examples("binance", "stream_examples.jsonl")}
CREDS = Credentials("key-1", "secret-1", "phrase-1")


def fixed(text: str) -> int:
    return from_decimal(Decimal(text))


# -- OKX ------------------------------------------------------------------------------------------
def test_okx_streams_and_binance_streams_are_declared_on_their_trading_specs():
    assert trading("okx").stream is okx.STREAM and trading("binance").stream is binance.STREAM


def test_okx_login_is_signed_over_the_seconds_timestamp_get_and_the_verify_path():
    (frame,) = okx.STREAM.login(CREDS, 1_538_054_050_999)
    msg = json.loads(frame)
    arg = msg["args"][0]
    assert msg["op"] == "login" and set(arg) == set(OKX["ws_login_request"]["args"][0])  # the docs' fields
    assert (arg["apiKey"], arg["passphrase"], arg["timestamp"]) == ("key-1", "phrase-1", "1538054050")
    expected = base64.b64encode(hmac.new(b"secret-1", b"1538054050GET/users/self/verify", hashlib.sha256).digest()).decode()
    assert arg["sign"] == expected


def test_okx_subscribes_the_spot_orders_channel_on_the_private_path():
    assert [json.loads(f) for f in okx.STREAM.subscribe] == [{"op": "subscribe", "args": [{"channel": "orders", "instType": "SPOT"}]}]
    assert okx.STREAM.url("wss://ws.okx.com:8443/ws/v5/public", "") == "wss://ws.okx.com:8443/ws/v5/private"
    assert okx.STREAM.ping == "ping" and okx.STREAM.decode("pong") == StreamMessage()


def test_okx_orders_push_decodes_like_the_order_query():
    (state,) = okx.decode_stream(json.dumps(OKX["ws_orders_push"])).states
    assert state.status is OrderStatus.FILLED and state.venue_order_id == "452197707845865472"
    assert state.filled_qty == fixed("0.001") and state.quote == mul(fixed("31527.1"), fixed("0.001"))
    assert (state.fee, state.fee_asset, state.fee_known) == (fixed("0.02522168"), "USDT", True)


def test_okx_push_after_several_fills_leaves_the_exact_quote_to_the_fills():
    push = json.loads(json.dumps(OKX["ws_orders_push"]))
    push["data"][0].update(accFillSz="0.003", state="partially_filled", fillSz="0.001")
    (state,) = okx.decode_stream(json.dumps(push)).states
    assert state.status is OrderStatus.PARTIALLY_FILLED and state.filled_qty == fixed("0.003") and not state.fee_known


def test_okx_login_and_subscription_answers():
    assert okx.decode_stream(json.dumps(OKX["ws_login_response"])) == StreamMessage(logged_in=True)
    assert okx.decode_stream(json.dumps(OKX["ws_orders_subscribe_response"])) == StreamMessage(subscribed=True)


def test_okx_refused_login_is_an_auth_error_naming_the_venue():
    with pytest.raises(VenueError) as refused:
        okx.decode_stream(json.dumps(OKX["ws_login_error"]))
    assert refused.value.reason is RejectReason.AUTH and refused.value.venue == "okx" and refused.value.code == "60009"
    assert str(refused.value).startswith("okx: auth")
    with pytest.raises(VenueError) as bad:
        okx.decode_stream(json.dumps(OKX["ws_orders_subscribe_error"]))
    assert bad.value.reason is RejectReason.OTHER and bad.value.code == "60012"


@pytest.mark.parametrize("frame", ["{", "[1]", '{"arg":{"channel":"orders"},"data":[{"state":"filled"}]}',
                                   '{"arg":{"channel":"orders"},"data":[{"ordId":"1","clOrdId":"a","state":"odd"}]}'])
def test_okx_unreadable_frames_are_decode_errors(frame):
    with pytest.raises(VenueError) as junk:
        okx.decode_stream(frame)
    assert junk.value.code == "decode"


# -- Binance --------------------------------------------------------------------------------------
def _report(**changes) -> str:
    return json.dumps({**BINANCE["execution_report"], **changes})


def test_binance_listen_key_request_carries_the_key_and_no_signature():
    request = binance.STREAM.token("https://api.binance.com", CREDS, 1)
    assert (request.method, request.url) == ("POST", "https://api.binance.com/api/v3/userDataStream")
    assert request.headers == {"X-MBX-APIKEY": "key-1"} and "signature" not in request.url and not request.body
    key = binance.STREAM.decode_token(200, json.dumps(BINANCE["listen_key_response"]))
    assert key == BINANCE["listen_key_response"]["listenKey"]
    assert binance.STREAM.url("wss://stream.binance.com:9443/stream", key) == f"wss://stream.binance.com:9443/ws/{key}"
    keepalive = binance.STREAM.keepalive("https://api.binance.com", CREDS, key, 1)
    assert keepalive.method == "PUT" and keepalive.url.endswith(f"/api/v3/userDataStream?listenKey={key}")
    assert binance.STREAM.keepalive_s <= 30 * 60
    with pytest.raises(VenueError):
        binance.STREAM.decode_token(200, "{}")


def test_binance_execution_report_of_a_new_order():
    (state,) = binance.decode_stream(_report()).states
    assert (state.client_id, state.venue_order_id, state.status) == ("mUvoqJxFIILMdfAW5iGSOW", "4293153", OrderStatus.NEW)
    assert (state.filled_qty, state.quote, state.fee, state.fee_known) == (0, 0, 0, True)


def test_binance_first_execution_carries_the_whole_fee_later_ones_ask_for_the_trades():
    first = _report(x="TRADE", X="PARTIALLY_FILLED", l="0.4", z="0.4", Z="0.04105764", n="0.0004", N="ETH")
    (state,) = binance.decode_stream(first).states
    assert state.status is OrderStatus.PARTIALLY_FILLED and state.filled_qty == fixed("0.4")
    assert (state.quote, state.fee, state.fee_asset, state.fee_known) == (fixed("0.04105764"), fixed("0.0004"), "ETH", True)
    second = _report(x="TRADE", X="FILLED", l="0.6", z="1", Z="0.1026441", n="0.0006", N="ETH")
    (state,) = binance.decode_stream(second).states
    assert state.status is OrderStatus.FILLED and state.filled_qty == fixed("1") and not state.fee_known  # n is this fill's only


def test_binance_cancel_names_the_order_in_C_and_an_ioc_rest_expires():
    (cancel,) = binance.decode_stream(_report(x="CANCELED", X="CANCELED", c="cancel-req-1", C="mUvoqJxFIILMdfAW5iGSOW")).states
    assert cancel.client_id == "mUvoqJxFIILMdfAW5iGSOW" and cancel.status is OrderStatus.CANCELLED
    (expired,) = binance.decode_stream(_report(x="EXPIRED", X="EXPIRED", f="IOC")).states
    assert expired.status is OrderStatus.CANCELLED and expired.reason.startswith("expired")


def test_binance_other_events_carry_no_order_and_an_expired_key_ends_the_stream():
    assert binance.decode_stream(json.dumps(BINANCE["account_position"])) == StreamMessage()
    with pytest.raises(VenueError) as expired:
        binance.decode_stream('{"e":"listenKeyExpired","E":1576653824250,"listenKey":"x"}')
    assert expired.value.venue == "binance" and expired.value.code != "decode"
    with pytest.raises(VenueError) as junk:
        binance.decode_stream('{"e":"executionReport","c":"a"}')
    assert junk.value.code == "decode"
