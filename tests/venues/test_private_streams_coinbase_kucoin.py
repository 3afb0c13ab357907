"""Coinbase's and KuCoin's private order streams, sans-I/O: Coinbase's ``user`` subscription
signed with a websocket JWT and its cumulative order pushes; KuCoin's signed bullet-private
token, connection URL, welcome/ack and ``orderChange`` pushes (no fees: the order's fills give
them) — decoded from the examples in samples/venues/coinbase/stream_examples.jsonl and
samples/venues/kucoin/stream_examples.jsonl (each with its source)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import msgspec
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from arb.core.numbers import from_decimal, mul
from arb.sim.server.coinbase import cdp_key
from arb.venues.base import Credentials
from arb.venues.coinbase import trading as coinbase
from arb.venues.kucoin import trading as kucoin
from arb.venues.registry import trading
from arb.venues.trading import Executions, OrderStatus, RejectReason, StreamMessage, VenueError
from tests import samples
from tests.samples import examples

COINBASE = {e["name"]: e["msg"] for e in examples("coinbase", "stream_examples.jsonl")}
KUCOIN = {e["name"]: e["msg"] for e in examples("kucoin", "stream_examples.jsonl")}
KUCOIN_REST = {e["name"]: e["msg"] for e in json.loads((samples.VENUES / "kucoin" / "trading_examples.json").read_text())["examples"]}
KC_CREDS = Credentials("key-1", "secret-1", "phrase-1")


def fixed(text: str) -> int:
    return from_decimal(Decimal(text))


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_both_streams_are_declared_on_their_trading_specs():
    assert trading("coinbase").stream is coinbase.STREAM and trading("kucoin").stream is kucoin.STREAM
    # KuCoin's pushes lack fees: the spec has the fills request that supplies them.
    assert trading("kucoin").trades is kucoin.trades and trading("kucoin").decode_trades is kucoin.decode_trades


# -- Coinbase -------------------------------------------------------------------------------------
def test_coinbase_user_channel_lives_on_its_own_host_on_the_real_venue():
    assert coinbase.STREAM.url("wss://advanced-trade-ws.coinbase.com", "") == "wss://advanced-trade-ws-user.coinbase.com"
    assert coinbase.STREAM.url("ws://127.0.0.1:4567", "") == "ws://127.0.0.1:4567"  # the simulator serves it itself
    assert coinbase.STREAM.ping is None and coinbase.STREAM.token is None and coinbase.STREAM.subscribe == ()


def test_coinbase_subscribes_user_and_heartbeats_with_a_websocket_jwt_per_message():
    name, pem, _ = cdp_key(1, b"\x07" * 32)
    frames = [json.loads(f) for f in coinbase.STREAM.login(Credentials(name, pem.replace("\n", "\\n")), 1_700_000_000_500)]
    assert [f["channel"] for f in frames] == ["user", "heartbeats"] and all(f["type"] == "subscribe" for f in frames)
    assert set(frames[0]) == set(COINBASE["subscribe_user"]) and frames[0]["product_ids"] == []  # every product
    public = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(public, ec.EllipticCurvePrivateKey)
    nonces = set()
    for frame in frames:
        head, claims, sig = frame["jwt"].split(".")
        header, body = json.loads(_b64url(head)), json.loads(_b64url(claims))
        assert header["alg"] == "ES256" and header["kid"] == name
        nonces.add(header["nonce"])
        assert body == {"iss": "cdp", "sub": name, "nbf": 1_700_000_000, "exp": 1_700_000_120}  # no uri claim
        raw = _b64url(sig)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        public.public_key().verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if not
    assert len(nonces) == 2


def test_coinbase_snapshot_gives_the_open_orders():
    (state,) = coinbase.decode_stream(json.dumps(COINBASE["user_snapshot"])).states
    assert (state.client_id, state.venue_order_id) == ("11111-000000-000001", "a1b2c3d4-e5f6-7890-abcd-ef1234567890")
    assert (state.status, state.filled_qty, state.quote, state.fee, state.fee_known) == (OrderStatus.NEW, 0, 0, 0, True)


def test_coinbase_update_is_cumulative_and_exact_fees_included():
    (state,) = coinbase.decode_stream(json.dumps(COINBASE["user_update_filled"])).states
    assert state.status is OrderStatus.FILLED and state.filled_qty == fixed("0.001")
    # filled_value, not avg_price × quantity: exact whatever the fills.
    assert (state.quote, state.fee, state.fee_asset, state.fee_known) == (fixed("68.85012"), fixed("0.41310072"), "USD", True)


def _order(**changes: str) -> str:
    msg = json.loads(json.dumps(COINBASE["user_update_filled"]))
    msg["events"][0]["orders"][0].update(changes)
    for key in [k for k, v in changes.items() if v == "<absent>"]:
        del msg["events"][0]["orders"][0][key]
    return json.dumps(msg)


def test_coinbase_without_filled_value_only_a_single_fill_is_exact():
    (one,) = coinbase.decode_stream(_order(filled_value="<absent>", number_of_fills="1", avg_price="68850.5",
                                           status="OPEN")).states
    assert one.status is OrderStatus.PARTIALLY_FILLED and one.quote == mul(fixed("68850.5"), fixed("0.001"))
    with pytest.raises(VenueError) as rounded:  # several fills: a rounded average would be a wrong quote
        coinbase.decode_stream(_order(filled_value="<absent>"))
    assert rounded.value.code == "decode"


def test_coinbase_subscriptions_heartbeats_and_errors():
    assert coinbase.decode_stream(json.dumps(COINBASE["subscriptions_user"])) == StreamMessage(subscribed=True)
    heartbeats_only = {**COINBASE["subscriptions_user"], "events": [{"subscriptions": {"heartbeats": ["heartbeats"]}}]}
    assert coinbase.decode_stream(json.dumps(heartbeats_only)) == StreamMessage()
    heartbeat = {"channel": "heartbeats", "client_id": "", "timestamp": "2023-06-23T20:31:26.122969572Z", "sequence_num": 0,
                 "events": [{"current_time": "2023-06-23 20:31:56.121961769 +0000 UTC m=+91717.525857105",
                             "heartbeat_counter": 3049}]}
    assert coinbase.decode_stream(json.dumps(heartbeat)) == StreamMessage()
    with pytest.raises(VenueError) as refused:
        coinbase.decode_stream(json.dumps(COINBASE["auth_error"]))
    assert refused.value.reason is RejectReason.AUTH and str(refused.value).startswith("coinbase: auth")
    with pytest.raises(VenueError) as other:
        coinbase.decode_stream('{"type":"error","message":"Failed to subscribe: unknown channel x"}')
    assert other.value.reason is RejectReason.OTHER and other.value.code == "error"


@pytest.mark.parametrize("frame", ["{", '{"channel":"user","events":[{"type":"update","orders":[{"order_id":"1"}]}]}',
                                   _order(status="UNKNOWN_ORDER_STATUS")])
def test_coinbase_unreadable_frames_are_decode_errors(frame):
    with pytest.raises(VenueError) as junk:
        coinbase.decode_stream(frame)
    assert junk.value.code == "decode"


# -- KuCoin ---------------------------------------------------------------------------------------
def test_kucoin_bullet_private_is_signed_and_its_answer_names_the_stream():
    request = kucoin.STREAM.token("https://api.kucoin.com", KC_CREDS, 1_700_000_000_000)
    assert (request.method, request.url, request.body) == ("POST", "https://api.kucoin.com/api/v1/bullet-private", "")
    expected = base64.b64encode(hmac.new(b"secret-1", b"1700000000000POST/api/v1/bullet-private", hashlib.sha256).digest())
    assert request.headers["KC-API-SIGN"] == expected.decode() and request.headers["KC-API-KEY"] == "key-1"
    assert request.headers["KC-API-TIMESTAMP"] == "1700000000000" and request.weight == 10
    answer = KUCOIN["bullet_private_response"]
    token = kucoin.STREAM.decode_token(200, json.dumps(answer))
    url = urlsplit(kucoin.STREAM.url("wss://ws-api-spot.kucoin.com/", token))
    assert f"{url.scheme}://{url.netloc}{url.path}" == answer["data"]["instanceServers"][0]["endpoint"]
    query = parse_qs(url.query)
    assert query["token"] == [answer["data"]["token"]] and query["connectId"][0].startswith("arb")
    assert kucoin.STREAM.url("x", token) == kucoin.STREAM.url("x", token)  # sans-I/O: derived from the token
    with pytest.raises(VenueError) as refused:  # an error answer in a 200 is classified
        kucoin.STREAM.decode_token(200, '{"code":"400005","msg":"Signature error -- Please check your signature"}')
    assert refused.value.reason is RejectReason.AUTH


def test_kucoin_waits_for_the_welcome_then_subscribes_the_v2_order_topic():
    assert kucoin.STREAM.login is not None and kucoin.STREAM.login(KC_CREDS, 1) == []
    assert kucoin.decode_stream(json.dumps(KUCOIN["welcome"])) == StreamMessage(logged_in=True)
    (subscribe,) = [json.loads(f) for f in kucoin.STREAM.subscribe]
    expected = KUCOIN["subscribe_orders_v2"]
    assert set(subscribe) == set(expected) and {k: subscribe[k] for k in ("type", "topic", "privateChannel", "response")} == \
        {k: expected[k] for k in ("type", "topic", "privateChannel", "response")}
    assert kucoin.decode_stream(json.dumps({**KUCOIN["ack"], "id": subscribe["id"]})) == StreamMessage(subscribed=True)
    assert kucoin.decode_stream(json.dumps(KUCOIN["ack"])) == StreamMessage()  # someone else's ack
    ping = json.loads(kucoin.STREAM.ping or "")
    assert ping["type"] == "ping" and kucoin.STREAM.ping_interval_s <= 18
    assert kucoin.decode_stream(json.dumps({"id": ping["id"], "type": "pong"})) == StreamMessage()


def test_kucoin_open_and_update_are_working_orders_without_fills():
    (opened,) = kucoin.decode_stream(json.dumps(KUCOIN["order_open"])).states
    assert (opened.client_id, opened.venue_order_id) == ("1593487481000906", "5efab07953bdea00089965d2")
    assert (opened.status, opened.filled_qty, opened.fee_known) == (OrderStatus.NEW, 0, True)
    (updated,) = kucoin.decode_stream(json.dumps(KUCOIN["order_update"])).states
    assert updated.status is OrderStatus.NEW and updated.filled_qty == 0


def test_kucoin_match_has_the_quantity_and_quote_but_never_a_fee():
    (state,) = kucoin.decode_stream(json.dumps(KUCOIN["order_match"])).states
    assert state.status is OrderStatus.FILLED and state.filled_qty == fixed("0.1")  # filledSize = size
    assert state.quote == mul(fixed("0.96738"), fixed("0.1"))  # the first match: its price is the price
    assert (state.fee, state.fee_known) == (0, False)  # the order's fills say the fee
    partial = json.loads(json.dumps(KUCOIN["order_match"]))
    partial["data"].update(filledSize="0.04", matchSize="0.04", remainSize="0.06")
    (state,) = kucoin.decode_stream(json.dumps(partial)).states
    assert state.status is OrderStatus.PARTIALLY_FILLED and state.filled_qty == fixed("0.04") and not state.fee_known


def test_kucoin_filled_and_canceled_end_the_order():
    (filled,) = kucoin.decode_stream(json.dumps(KUCOIN["order_filled"])).states
    assert filled.status is OrderStatus.FILLED and filled.filled_qty == fixed("0.1") and not filled.fee_known
    (cancelled,) = kucoin.decode_stream(json.dumps(KUCOIN["order_canceled"])).states
    assert cancelled.status is OrderStatus.CANCELLED and cancelled.filled_qty == 0 and cancelled.fee_known
    rest_expired = json.loads(json.dumps(KUCOIN["order_canceled"]))
    rest_expired["data"].update(filledSize="0.03")
    (partial,) = kucoin.decode_stream(json.dumps(rest_expired)).states
    assert partial.status is OrderStatus.CANCELLED and partial.filled_qty == fixed("0.03") and not partial.fee_known


def test_kucoin_v2_topic_decodes_alike_and_other_topics_carry_nothing():
    v2 = {**KUCOIN["order_match"], "topic": "/spotMarket/tradeOrdersV2"}
    assert kucoin.decode_stream(json.dumps(v2)) == kucoin.decode_stream(json.dumps(KUCOIN["order_match"]))
    received = {**v2, "data": {**KUCOIN["order_open"]["data"], "type": "received", "status": "new"}}
    (state,) = kucoin.decode_stream(json.dumps(received)).states
    assert state.status is OrderStatus.NEW
    balance = {"type": "message", "topic": "/account/balance", "subject": "account.balance", "data": {"total": "88"}}
    assert kucoin.decode_stream(json.dumps(balance)) == StreamMessage()


def test_kucoin_error_frames_are_classified_and_junk_is_a_decode_error():
    with pytest.raises(VenueError) as refused:
        kucoin.decode_stream('{"id":"arb-orders","type":"error","code":401,"data":"token is expired"}')
    assert refused.value.reason is RejectReason.AUTH and refused.value.venue == "kucoin"
    with pytest.raises(VenueError) as missing:
        kucoin.decode_stream('{"id":"arb-orders","type":"error","code":404,"data":"topic /x is not found"}')
    assert missing.value.reason is RejectReason.OTHER and missing.value.code == "404"
    for frame in ("{", '{"type":"message","topic":"/spotMarket/tradeOrdersV2","subject":"orderChange","data":{"type":"open"}}'):
        with pytest.raises(VenueError) as junk:
            kucoin.decode_stream(frame)
        assert junk.value.code == "decode"


def test_kucoin_fills_request_and_its_sum():
    request = kucoin.trades("https://api.kucoin.com", KC_CREDS, "BTC-USDT", "6717422bd51c29000775ea03", 1_700_000_000_000)
    assert request.method == "GET" and request.weight == 2
    assert parse_qs(urlsplit(request.url).query) == {"symbol": ["BTC-USDT"], "orderId": ["6717422bd51c29000775ea03"],
                                                     "limit": ["100"]}
    assert urlsplit(request.url).path == "/api/v1/hf/fills" and "KC-API-SIGN" in request.headers
    executions = kucoin.decode_trades(200, json.dumps(KUCOIN_REST["trade_history_response"]))
    assert executions == Executions(fixed("0.00001"), fixed("0.677176"), fixed("0.000677176"), "USDT")
    two = json.loads(json.dumps(KUCOIN_REST["trade_history_response"]))
    item = two["data"]["items"][0]
    two["data"]["items"].append({**item, "size": "0.00002", "funds": "1.354352", "fee": "0.001354352"})
    assert kucoin.decode_trades(200, json.dumps(two)) == Executions(fixed("0.00003"), fixed("2.031528"), fixed("0.002031528"), "USDT")
    two["data"]["items"][1]["feeCurrency"] = "KCS"
    with pytest.raises(VenueError):
        kucoin.decode_trades(200, json.dumps(two))


def test_examples_files_name_their_sources():
    for venue in ("coinbase", "kucoin"):
        for line in examples(venue, "stream_examples.jsonl"):
            assert line["source"] and msgspec.json.encode(line["msg"])
