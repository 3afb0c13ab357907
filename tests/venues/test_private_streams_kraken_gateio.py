"""Kraken's and Gate's private order streams, sans-I/O: Kraken's websockets token request, the
authenticated URL and the ``executions`` subscription carrying the token, its pushes (a
``trade`` event's fees are that execution's only); Gate's ``spot.orders`` subscription signed in
its ``auth`` field and its pushes — decoded from the official examples
(samples/venues/kraken/stream_examples.jsonl, samples/venues/gateio/stream_examples.jsonl) into
the order states the order queries give. And the port: a Kraken push after a second fill asks
``QueryOrders`` for the exact fee instead of reporting the execution's own."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal
from urllib.parse import parse_qs

import pytest

from arb.core.instruments import Instrument, Instruments
from arb.core.numbers import ONE, from_decimal
from arb.exec.live import LiveVenues, VenueAccount
from arb.exec.orders import Order
from arb.exec.port import Filled, PartiallyFilled, PlaceOrder
from arb.venues.base import Credentials
from arb.venues.gateio import trading as gateio
from arb.venues.kraken import trading as kraken
from arb.venues.registry import trading
from arb.venues.trading import OrderStatus, RejectReason, StreamMessage, VenueError
from tests.samples import examples

KRAKEN = {e["name"]: e["msg"] for e in examples("kraken", "stream_examples.jsonl")}
GATE = {e["name"]: e["msg"] for e in examples("gateio", "stream_examples.jsonl")}
KRAKEN_CREDS = Credentials("key-1", base64.b64encode(b"secret-1").decode())
GATE_CREDS = Credentials("key-1", "secret-1")


def fixed(text: str) -> int:
    return from_decimal(Decimal(text))


def test_kraken_and_gate_streams_are_declared_on_their_trading_specs():
    assert trading("kraken").stream is kraken.STREAM and trading("gateio").stream is gateio.STREAM


# -- Kraken ---------------------------------------------------------------------------------------
def _trade(**changes) -> str:
    push = json.loads(json.dumps(KRAKEN["executions_trade_update"]))
    push["data"][0].update(changes)
    return json.dumps(push)


def test_kraken_token_request_is_signed_like_the_other_private_calls():
    request = kraken.STREAM.token("https://api.kraken.com", KRAKEN_CREDS, 1_616_492_376_594)
    assert (request.method, request.url) == ("POST", "https://api.kraken.com/0/private/GetWebSocketsToken")
    assert parse_qs(request.body) == {"nonce": ["1616492376594"]}
    digest = hashlib.sha256(b"1616492376594" + request.body.encode()).digest()
    mac = hmac.new(b"secret-1", b"/0/private/GetWebSocketsToken" + digest, hashlib.sha512).digest()
    assert request.headers["API-Key"] == "key-1" and request.headers["API-Sign"] == base64.b64encode(mac).decode()
    token = kraken.STREAM.decode_token(200, json.dumps(KRAKEN["ws_token_response"]))
    assert token == "1Dwc4lzSwNWOAwkMdqhssNNFhs1ed606d1WcF3XfEMw"
    with pytest.raises(VenueError) as refused:  # Kraken's errors come with HTTP 200
        kraken.STREAM.decode_token(200, '{"error":["EGeneral:Permission denied"]}')
    assert refused.value.reason is RejectReason.AUTH
    assert kraken.STREAM.keepalive is None  # a connection in use keeps the token valid


def test_kraken_subscribes_executions_with_the_token_on_the_authenticated_host():
    assert kraken.STREAM.url("wss://ws.kraken.com/v2", "t") == "wss://ws-auth.kraken.com/v2"
    assert kraken.STREAM.url("wss://beta-ws.kraken.com/v2", "t") == "wss://beta-ws-auth.kraken.com/v2"
    assert kraken.STREAM.url("ws://127.0.0.1:9000/v2", "t") == "ws://127.0.0.1:9000/v2"  # a simulator serves both
    assert kraken.STREAM.login is None and kraken.STREAM.subscribe == ()
    assert kraken.STREAM.subscribe_token is not None
    (frame,) = kraken.STREAM.subscribe_token("tok-1")
    assert json.loads(frame) == {"method": "subscribe", "params": {"channel": "executions", "token": "tok-1",
                                                                   "snap_orders": True, "snap_trades": False}}
    ack = {"method": "subscribe", "result": {"channel": "executions", "maxratecount": 125, "snap_orders": True},
           "success": True, "time_in": "2023-09-22T10:33:05.000000Z", "time_out": "2023-09-22T10:33:05.000100Z"}
    assert kraken.decode_stream(json.dumps(ack)) == StreamMessage(subscribed=True)
    for quiet in ('{"channel":"heartbeat"}', '{"method":"pong","time_in":"x","time_out":"y"}',
                  '{"channel":"status","type":"update","data":[{"system":"online","api_version":"v2"}]}'):
        assert kraken.decode_stream(quiet) == StreamMessage()


def test_kraken_first_execution_carries_the_order_s_exact_fee():
    (state,) = kraken.decode_stream(json.dumps(KRAKEN["executions_trade_update"])).states
    assert (state.venue_order_id, state.status) == ("OK4GJX-KSTLS-7DZZO5", OrderStatus.PARTIALLY_FILLED)
    assert (state.filled_qty, state.quote) == (fixed("0.005"), fixed("132.9995"))
    assert (state.fee, state.fee_asset, state.fee_known) == (fixed("0.3458"), "", True)  # USD: the quote (fciq)


def test_kraken_later_executions_leave_the_fee_to_the_order_query():
    (state,) = kraken.decode_stream(_trade(cum_qty=0.015, cum_cost="398.9985", cl_ord_id="c-1")).states
    assert state.client_id == "c-1" and state.filled_qty == fixed("0.015") and state.quote == fixed("398.9985")
    assert not state.fee_known and state.fee == 0  # fees are this execution's only


def test_kraken_a_trade_that_completes_the_order_is_filled():
    (state,) = kraken.decode_stream(_trade(order_qty=0.005)).states
    assert state.status is OrderStatus.FILLED and state.fee_known


def test_kraken_status_events():
    filled = {"order_id": "O1", "exec_type": "filled", "order_status": "filled", "cum_qty": 0.5, "cum_cost": 100.25,
              "fee_usd_equiv": 0.26, "avg_price": 200.5, "symbol": "BTC/USD"}
    (state,) = kraken.decode_stream(json.dumps({"channel": "executions", "type": "update", "data": [filled]})).states
    assert state.status is OrderStatus.FILLED and state.quote == fixed("100.25") and not state.fee_known  # USD equiv: not used
    new = {"order_id": "O2", "exec_type": "new", "order_status": "new", "cl_ord_id": "c-2"}
    (state,) = kraken.decode_stream(json.dumps({"channel": "executions", "type": "snapshot", "data": [new]})).states
    assert (state.status, state.filled_qty, state.fee_known) == (OrderStatus.NEW, 0, True)
    expired = {"order_id": "O3", "exec_type": "expired", "order_status": "expired", "cum_qty": 0, "cum_cost": 0}
    (state,) = kraken.decode_stream(json.dumps({"channel": "executions", "type": "update", "data": [expired]})).states
    assert state.status is OrderStatus.CANCELLED and state.reason.startswith("expired") and state.fee_known


def test_kraken_refused_subscription_is_an_auth_error_naming_the_venue():
    with pytest.raises(VenueError) as refused:
        kraken.decode_stream(json.dumps(KRAKEN["executions_invalid_session"]))
    assert (refused.value.venue, refused.value.reason, refused.value.code) == ("kraken", RejectReason.AUTH, "ESession:Invalid session")


@pytest.mark.parametrize("frame", ["{", "[1]",
                                   '{"channel":"executions","data":[{"order_id":"O","exec_type":"canceled","order_status":"canceled"}]}',
                                   '{"channel":"executions","data":[{"order_id":"O","exec_type":"new","order_status":"odd"}]}',
                                   '{"channel":"executions","data":[{"exec_type":"trade"}]}'])
def test_kraken_unreadable_frames_are_decode_errors(frame):
    # A cancel without cum_qty could hide fills: never read as "nothing filled".
    with pytest.raises(VenueError) as junk:
        kraken.decode_stream(frame)
    assert junk.value.code == "decode"


def test_kraken_fee_in_another_asset_is_refused():
    with pytest.raises(VenueError) as junk:
        kraken.decode_stream(_trade(fees=[{"asset": "BTC", "qty": 0.00001}]))
    assert junk.value.code == "decode"


def test_kraken_port_asks_query_orders_for_the_exact_fee_after_a_second_fill():
    inst = Instrument(venue="kraken", symbol="BTC/USD", venue_symbol="XBTUSD", tick_size=ONE // 10, lot_size=ONE // 10**8)
    account = VenueAccount(kraken.TRADING, KRAKEN_CREDS, "https://kraken.test", "wss://ws.kraken.com/v2")
    port = LiveVenues({"kraken": account}, Instruments([inst]), poll_ns=50_000_000, max_poll_ns=1_000_000_000)
    port.on_stream_up("kraken", 0)
    order = Order(id="t1/sell", trade_id="t1", role="sell", venue="kraken", symbol="BTC/USD", side="sell",
                  qty=ONE // 50, limit_price=26_000 * ONE, lock=0, ts_submit_ns=0, due_ns=0, tif="gtc")
    port.submit([PlaceOrder(order)], 0)
    (place,) = port.take_requests(0)
    place_answer = {"error": [], "result": {"descr": {"order": "x"}, "txid": ["OK4GJX-KSTLS-7DZZO5"]}}
    port.on_response(place, 200, json.dumps(place_answer), {}, 1)
    client_id = kraken.client_id(order.id)
    port.on_stream("kraken", kraken.decode_stream(_trade(cl_ord_id=client_id)).states, 2)
    port.on_stream("kraken", kraken.decode_stream(_trade(cl_ord_id=client_id, cum_qty=0.015, cum_cost="398.9985")).states, 3)
    asked = [r for r in port.take_requests(3) if r.kind == "trades"]
    assert len(asked) == 1 and asked[0].request.url.endswith("/0/private/QueryOrders")
    assert parse_qs(asked[0].request.body)["txid"] == ["OK4GJX-KSTLS-7DZZO5"]
    answer = {"error": [], "result": {"OK4GJX-KSTLS-7DZZO5": {
        "status": "open", "vol": "0.02000000", "vol_exec": "0.01500000", "cost": "398.9985", "fee": "1.0374",
        "opentm": 1695378785.1, "oflags": "fciq", "cl_ord_id": client_id}}}
    port.on_response(asked[0], 200, json.dumps(answer), {}, 4)
    fills = [e for e in port.events(4) if isinstance(e, PartiallyFilled | Filled)]
    assert [(e.qty, e.quote, e.fee) for e in fills] == [
        (fixed("0.005"), fixed("132.9995"), fixed("0.3458")), (fixed("0.01"), fixed("265.999"), fixed("0.6916"))]


# -- Gate -----------------------------------------------------------------------------------------
def test_gate_subscription_is_signed_over_channel_event_and_time():
    (frame,) = gateio.STREAM.login(GATE_CREDS, 1_611_541_000_999)
    msg = json.loads(frame)
    documented = GATE["orders_subscribe_request"]
    assert set(msg) == set(documented) and set(msg["auth"]) == set(documented["auth"])
    assert (msg["time"], msg["channel"], msg["event"], msg["payload"]) == (1611541000, "spot.orders", "subscribe", ["!all"])
    expected = hmac.new(b"secret-1", b"channel=spot.orders&event=subscribe&time=1611541000", hashlib.sha512).hexdigest()
    assert msg["auth"] == {"method": "api_key", "KEY": "key-1", "SIGN": expected}
    assert gateio.STREAM.url("wss://api.gateio.ws/ws/v4/", "") == "wss://api.gateio.ws/ws/v4/"
    assert gateio.STREAM.token is None and gateio.STREAM.subscribe == ()


def test_gate_subscription_answer_is_the_login_and_the_subscription():
    ack = gateio.decode_stream(json.dumps(GATE["orders_subscribe_response"]))
    assert ack == StreamMessage(logged_in=True, subscribed=True)
    pong = {"time": 1545404023, "channel": "spot.pong", "event": "", "error": None, "result": None}
    assert gateio.decode_stream(json.dumps(pong)) == StreamMessage()


def test_gate_refused_key_is_an_auth_error_naming_the_venue():
    with pytest.raises(VenueError) as refused:
        gateio.decode_stream(json.dumps(GATE["orders_subscribe_auth_error"]))
    assert (refused.value.venue, refused.value.reason, refused.value.code) == ("gateio", RejectReason.AUTH, "4")
    assert "INVALID_KEY" in refused.value.message


def test_gate_push_of_a_new_order():
    (state,) = gateio.decode_stream(json.dumps(GATE["orders_push"])).states
    assert (state.client_id, state.venue_order_id, state.status) == ("t-testtext", "399123456", OrderStatus.NEW)
    assert (state.filled_qty, state.quote, state.fee, state.fee_known) == (0, 0, 0, True)


def _push(**changes) -> str:
    push = json.loads(json.dumps(GATE["orders_push"]))
    push["result"][0].update(changes)
    return json.dumps(push)


def test_gate_pushes_carry_the_order_s_totals():
    (state,) = gateio.decode_stream(_push(event="update", left="0.00004", filled_total="1.575198", fee="0.00315",
                                          filled_amount="0.00006")).states
    assert state.status is OrderStatus.PARTIALLY_FILLED and state.filled_qty == fixed("0.00006")
    assert (state.quote, state.fee, state.fee_asset, state.fee_known) == (fixed("1.575198"), fixed("0.00315"), "USDT", True)
    (done,) = gateio.decode_stream(_push(event="finish", finish_as="filled", left="0", filled_total="2.62533")).states
    assert done.status is OrderStatus.FILLED and done.filled_qty == fixed("0.0001")
    (ioc,) = gateio.decode_stream(_push(event="finish", finish_as="ioc", left="0.00004")).states
    assert ioc.status is OrderStatus.CANCELLED and ioc.reason.startswith("expired") and ioc.filled_qty == fixed("0.00006")


@pytest.mark.parametrize("frame", ["{", _push(event="odd"), _push(left="0.0002"), _push(event="finish", finish_as="filled"),
                                   _push(fee="0.1", gt_fee="0.2")])
def test_gate_unreadable_frames_are_decode_errors(frame):
    with pytest.raises(VenueError) as junk:
        gateio.decode_stream(frame)
    assert junk.value.code == "decode"
