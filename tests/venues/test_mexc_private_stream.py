"""MEXC's user data stream, sans-I/O: the signed listenKey requests, the subscribe frames, the
private protobuf bodies against Google's runtime compiled from the official ``.proto`` files,
and the decoder that joins order pushes with their deals — on the docs' examples
(samples/venues/mexc/stream_examples.jsonl) and constructed sequences."""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arb.core.errors import DecodeError
from arb.core.numbers import from_decimal
from arb.venues.base import Credentials
from arb.venues.mexc import proto as pb
from arb.venues.mexc import trading as mexc
from arb.venues.registry import trading
from arb.venues.trading import Executions, OrderStatus, RejectReason, StreamMessage, VenueError, fee_text
from tests.samples import examples
from tests.venues.mexc_official import compile_official

EXAMPLES = {e["name"]: e["msg"] for e in examples("mexc", "stream_examples.jsonl")}
CREDS = Credentials("mx0key", "mx0secret")
ORDER_ID = "C02__505979017439002624115"


def fixed(text: str) -> int:
    return from_decimal(Decimal(text))


@pytest.fixture(scope="module")
def official(tmp_path_factory):
    pytest.importorskip("grpc_tools", reason="grpcio-tools (test-only) compiles the official .proto files")
    return compile_official(tmp_path_factory.mktemp("mexc_pb2"))


def from_docs(official, name: str) -> bytes:
    """A docs push (its text rendering, as JSON) serialized by the official runtime."""
    from google.protobuf import json_format

    return json_format.ParseDict(EXAMPLES[name], official.PushDataV3ApiWrapper()).SerializeToString()


def order_push(cum: str, status: int, last: str | None = None, order_id: str = "7", client_id: str = "arb-1", amount: str = "") -> bytes:
    body = pb.PrivateOrder(id=order_id, client_id=client_id, cumulative_quantity=cum, cumulative_amount=amount or cum,
                           last_deal_quantity=last, status=status, order_type=3, trade_type=1)
    return pb.encode_wrapper(pb.Wrapper(channel=mexc.ORDERS_CHANNEL, body=body, symbol="BTCUSDT"))


def deal_push(qty: str, fee: str, trade_id: str, asset: str = "BTC", order_id: str = "7", amount: str = "") -> bytes:
    body = pb.PrivateDeal(quantity=qty, amount=amount or qty, fee_amount=fee, fee_currency=asset, trade_id=trade_id,
                          order_id=order_id, client_order_id="arb-1", trade_type=1)
    return pb.encode_wrapper(pb.Wrapper(channel=mexc.DEALS_CHANNEL, body=body, symbol="BTCUSDT"))


def states(decoder, *frames) -> list:
    return [s for f in frames for s in decoder(f).states]


# -- opening the stream ---------------------------------------------------------------------------
def test_the_stream_is_declared_on_the_trading_spec():
    assert trading("mexc").stream is mexc.STREAM and mexc.STREAM.decoder is mexc.StreamDecoder


def test_listen_key_requests_are_signed_like_every_private_call():
    request = mexc.STREAM.token("https://api.mexc.com", CREDS, 1_700_000_000_000)
    url = urlsplit(request.url)
    assert (request.method, url.path) == ("POST", "/api/v3/userDataStream") and request.headers["X-MEXC-APIKEY"] == "mx0key"
    signed, _, signature = url.query.rpartition("&signature=")
    assert signature == hmac.new(b"mx0secret", signed.encode(), hashlib.sha256).hexdigest()
    assert parse_qs(signed)["timestamp"] == ["1700000000000"]
    key = mexc.STREAM.decode_token(200, json.dumps(EXAMPLES["listen_key_response"]))
    assert key == EXAMPLES["listen_key_response"]["listenKey"]
    keepalive = mexc.STREAM.keepalive("https://api.mexc.com", CREDS, key, 1_700_000_000_001)
    query = urlsplit(keepalive.url).query
    assert keepalive.method == "PUT" and parse_qs(query)["listenKey"] == [key] and "&signature=" in query
    assert mexc.STREAM.keepalive_s <= 30 * 60  # "It is recommended to send a request every 30 minutes."
    for bad in ("{}", '{"listenKey":""}', '{"listenKey":"a b"}', "<html>"):
        with pytest.raises(VenueError):
            mexc.STREAM.decode_token(200, bad)


def test_url_subscribe_frames_and_ping_are_the_docs_ones():
    docs_url = urlsplit(EXAMPLES["stream_url"])
    url = urlsplit(mexc.STREAM.url("wss://wbs-api.mexc.com/ws", "pqia91"))
    assert (url.netloc, url.path, url.query) == (docs_url.netloc, docs_url.path, "listenKey=pqia91")
    assert [json.loads(f) for f in mexc.STREAM.subscribe] == [EXAMPLES["subscribe_orders_request"], EXAMPLES["subscribe_deals_request"]]
    assert json.loads(mexc.STREAM.ping) == {"method": "PING"}


def test_the_stream_is_up_once_both_channels_are_acknowledged():
    decode = mexc.StreamDecoder()
    assert decode('{"id":0,"code":0,"msg":"spot@private.orders.v3.api.pb"}') == StreamMessage()
    assert decode('{"id":0,"code":0,"msg":"PONG"}') == StreamMessage()
    assert decode('{"id":0,"code":0,"msg":"spot@private.deals.v3.api.pb"}') == StreamMessage(subscribed=True)
    both = '{"id":0,"code":0,"msg":"spot@private.orders.v3.api.pb,spot@private.deals.v3.api.pb"}'
    assert mexc.StreamDecoder()(both) == StreamMessage(subscribed=True)


def test_an_invalid_listen_key_is_an_auth_error_and_a_refused_channel_an_error():
    with pytest.raises(VenueError) as refused:
        mexc.StreamDecoder()(EXAMPLES["invalid_listen_key"])
    assert refused.value.reason is RejectReason.AUTH and str(refused.value).startswith("mexc: auth")
    with pytest.raises(VenueError) as blocked:
        mexc.StreamDecoder()('{"id":0,"code":0,"msg":"Not Subscribed successfully! [spot@private.orders.v3.api.pb].  Reason： Blocked! "}')
    assert blocked.value.code != "decode" and blocked.value.venue == "mexc"


@pytest.mark.parametrize("frame", ["{", "[]", '{"id":0}', b"\x0a", b"\x0a\x02\xff\xfe", order_push("1", 9), order_push("1", 2, order_id=""),
                                   deal_push("0", "0", "t1"), deal_push("1", "0", "")])
def test_unreadable_frames_are_decode_errors(frame):
    with pytest.raises(VenueError) as junk:
        mexc.StreamDecoder()(frame)
    assert junk.value.code == "decode"


# -- the docs' pushes, through the official runtime -------------------------------------------------
def shorter_fee(official) -> bytes:
    """The docs' deal with its fee cut to 16 decimals (the docs' own has 19: see below)."""
    from google.protobuf import json_format

    deal = json.loads(json.dumps(EXAMPLES["deals_push_decoded"]))
    deal["privateDeals"]["feeAmount"] = "0.0003998377369698"
    return json_format.ParseDict(deal, official.PushDataV3ApiWrapper()).SerializeToString()


def test_docs_order_push_is_held_until_its_deal_brings_the_fee(official):
    decode = mexc.StreamDecoder()
    assert decode(from_docs(official, "orders_push_decoded")) == StreamMessage()  # its deal is on its way
    (state,) = decode(shorter_fee(official)).states
    assert (state.venue_order_id, state.status, state.filled_qty) == (ORDER_ID, OrderStatus.FILLED, fixed("1"))
    assert (state.quote, state.fee, state.fee_asset, state.fee_known) == (fixed("3.6962"), fixed("0.0003998377369698"), "MX", True)


def test_docs_deal_before_its_order_push_gives_the_state_at_once(official):
    decode = mexc.StreamDecoder()
    assert decode(shorter_fee(official)) == StreamMessage()
    (state,) = decode(from_docs(official, "orders_push_decoded")).states
    assert state.fee == fixed("0.0003998377369698") and state.fee_known


def test_a_fee_finer_than_arb_s_fixed_point_is_rounded_up_never_down(official):
    # The docs' MX fee 0.0003998377369698171 has 19 decimals: it was left unknown, and the
    # trades (which carry it the same way) could not settle it either — the order never did.
    decode = mexc.StreamDecoder()
    (state,) = states(decode, from_docs(official, "orders_push_decoded"), from_docs(official, "deals_push_decoded"))
    assert (state.status, state.filled_qty, state.quote) == (OrderStatus.FILLED, fixed("1"), fixed("3.6962"))
    assert (state.fee, state.fee_asset, state.fee_known) == (fixed("0.000399837736969818"), "MX", True)
    trades = '[{"symbol":"MXUSDT","id":"1","orderId":"x","price":"3.6962","qty":"1","quoteQty":"3.6962",' \
             '"commission":"0.0003998377369698171","commissionAsset":"MX","time":1,"isBuyer":false,"isMaker":false}]'
    assert mexc.TRADING.decode_trades(200, trades) == Executions(fixed("1"), fixed("3.6962"), fixed("0.000399837736969818"), "MX")
    assert fee_text("-0.0000000000000000001") == 0  # a rebate this fine: toward paying more too


def test_docs_pushes_read_as_the_official_runtime_reads_them(official):
    order = pb.decode_private_wrapper(from_docs(official, "orders_push_decoded"))
    assert (order.channel, order.symbol, order.send_time, order.body_field) == (mexc.ORDERS_CHANNEL, "MXUSDT", 1736417034281, 304)
    assert order.body == pb.PrivateOrder(
        id=ORDER_ID, price="3.5121", quantity="1", amount="0", avg_price="3.6962", order_type=5, trade_type=2, remain_amount="0",
        remain_quantity="0", last_deal_quantity="1", cumulative_quantity="1", cumulative_amount="3.6962", status=2,
        create_time=1736417034259,
    )
    deal = pb.decode_private_wrapper(from_docs(official, "deals_push_decoded")).body
    assert deal == pb.PrivateDeal(price="3.6962", quantity="1", amount="3.6962", trade_type=2, trade_id="505979017439002624X1",
                                  order_id=ORDER_ID, fee_amount="0.0003998377369698171", fee_currency="MX", time=1736417034280)
    ccxt = {"channel": mexc.ORDERS_CHANNEL, "privateOrders": EXAMPLES["orders_push_ccxt_comment"]}
    from google.protobuf import json_format

    frame = json_format.ParseDict(ccxt, official.PushDataV3ApiWrapper()).SerializeToString()
    body = pb.decode_private_wrapper(frame).body
    assert isinstance(body, pb.PrivateOrder) and (body.cumulative_amount, body.create_time) == ("2.014", 1754996075502)
    assert pb.decode_wrapper(frame).body is None  # the market data path leaves private bodies alone


# -- the join -------------------------------------------------------------------------------------
def test_new_order_then_fills_each_state_carries_the_fees_so_far():
    decode = mexc.StreamDecoder()
    (new,) = states(decode, order_push("0", 1))
    assert (new.status, new.filled_qty, new.fee_known, new.client_id) == (OrderStatus.NEW, 0, True, "arb-1")
    assert states(decode, order_push("0.4", 3, last="0.4")) == []
    (first,) = states(decode, deal_push("0.4", "0.0004", "t1"))
    assert (first.status, first.filled_qty, first.fee, first.fee_known) == (OrderStatus.PARTIALLY_FILLED, fixed("0.4"), fixed("0.0004"), True)
    (second,) = states(decode, deal_push("0.6", "0.0006", "t2"), order_push("1", 2, last="0.6"))
    assert (second.status, second.filled_qty, second.fee, second.fee_asset) == (OrderStatus.FILLED, fixed("1"), fixed("0.001"), "BTC")
    assert states(decode, deal_push("0.6", "0.0006", "t2")) == []  # a repeated deal adds nothing


def test_an_ioc_rest_is_partially_cancelled_with_the_fills_fees():
    decode = mexc.StreamDecoder()
    (state,) = states(decode, order_push("0", 1), order_push("0.4", 3, last="0.4"), deal_push("0.4", "0.0004", "t1"),
                      order_push("0.4", 5))[-1:]
    assert (state.status, state.filled_qty, state.fee, state.fee_known) == (OrderStatus.CANCELLED, fixed("0.4"), fixed("0.0004"), True)
    assert state.reason == "cancelled: the rest of the order"
    (cancelled,) = states(mexc.StreamDecoder(), order_push("0", 4))
    assert (cancelled.status, cancelled.reason) == (OrderStatus.CANCELLED, "cancelled")


def test_an_order_met_mid_life_goes_out_at_once_without_fees():
    # Filled partly before this connection: its first deals will never come here.
    (state,) = states(mexc.StreamDecoder(), order_push("0.5", 3, last="0.2"), deal_push("0.2", "0.0002", "t3"))
    assert state.filled_qty == fixed("0.5") and not state.fee_known and state.fee == 0


def test_deals_in_several_fee_assets_leave_the_fees_to_the_trades():
    decode = mexc.StreamDecoder()
    (state,) = states(decode, order_push("0", 1), deal_push("0.4", "0.0004", "t1"), deal_push("0.6", "0.01", "t2", asset="MX"),
                      order_push("1", 2, last="0.6"))[-1:]
    assert state.status is OrderStatus.FILLED and not state.fee_known


def test_an_order_push_older_than_the_deals_waits_for_the_next_push():
    decode = mexc.StreamDecoder()
    assert states(decode, order_push("0", 1), deal_push("0.4", "0", "t1"), deal_push("0.6", "0", "t2")) == [
        s for s in states(mexc.StreamDecoder(), order_push("0", 1))]
    assert states(decode, order_push("0.4", 3, last="0.4")) == []  # the deals already say more
    (state,) = states(decode, order_push("1", 2, last="0.6"))
    assert state.filled_qty == fixed("1") and state.fee_known and state.fee == 0


def test_each_connection_starts_afresh():
    first = mexc.StreamDecoder()
    states(first, order_push("0", 1), order_push("0.4", 3, last="0.4"))
    (state,) = states(mexc.StreamDecoder(), deal_push("0.4", "0.0004", "t1"), order_push("0.7", 3, last="0.3"))
    assert not state.fee_known  # the new connection never saw 0.3 of it: the trades will say


def test_the_frame_by_frame_decoder_leaves_every_fee_to_the_trades():
    (state,) = mexc.decode_stream(order_push("1", 2, last="1")).states
    assert state.filled_qty == fixed("1") and not state.fee_known
    assert mexc.decode_stream(deal_push("1", "0.001", "t1")) == StreamMessage()
    assert mexc.decode_stream('{"id":0,"code":0,"msg":"spot@private.orders.v3.api.pb"}') == StreamMessage(subscribed=True)


# -- the protobuf bodies against the official runtime ---------------------------------------------
texts = st.text(max_size=10)
int32s = st.integers(-(2**31), 2**31 - 1)
int64s = st.integers(-(2**63), 2**63 - 1)
orders = st.builds(pb.PrivateOrder, texts, texts, texts, texts, texts, texts, int32s, int32s, st.booleans(), texts, texts,
                   st.none() | texts, texts, texts, int32s, int64s)
deals = st.builds(pb.PrivateDeal, texts, texts, texts, int32s, st.booleans(), st.booleans(), texts, texts, texts, texts, texts, int64s)
ORDER_NAMES = {
    "id": "id", "client_id": "clientId", "price": "price", "quantity": "quantity", "amount": "amount", "avg_price": "avgPrice",
    "order_type": "orderType", "trade_type": "tradeType", "is_maker": "isMaker", "remain_amount": "remainAmount",
    "remain_quantity": "remainQuantity", "last_deal_quantity": "lastDealQuantity", "cumulative_quantity": "cumulativeQuantity",
    "cumulative_amount": "cumulativeAmount", "status": "status", "create_time": "createTime",
}
DEAL_NAMES = {
    "price": "price", "quantity": "quantity", "amount": "amount", "trade_type": "tradeType", "is_maker": "isMaker",
    "is_self_trade": "isSelfTrade", "trade_id": "tradeId", "client_order_id": "clientOrderId", "order_id": "orderId",
    "fee_amount": "feeAmount", "fee_currency": "feeCurrency", "time": "time",
}


def to_official(official, body, extra: dict | None = None):
    msg = official.PushDataV3ApiWrapper(channel="c")
    member, names = (msg.privateOrders, ORDER_NAMES) if isinstance(body, pb.PrivateOrder) else (msg.privateDeals, DEAL_NAMES)
    member.SetInParent()
    for ours, theirs in names.items():
        value = getattr(body, ours)
        if value is not None:
            setattr(member, theirs, value)
    for name, value in (extra or {}).items():
        setattr(member, name, value)
    return msg


def from_official(msg):
    member = msg.WhichOneof("body")
    if member == "privateOrders":
        m = msg.privateOrders
        values = {ours: getattr(m, theirs) for ours, theirs in ORDER_NAMES.items()}
        values["last_deal_quantity"] = m.lastDealQuantity if m.HasField("lastDealQuantity") else None
        return pb.PrivateOrder(**values)
    if member == "privateDeals":
        return pb.PrivateDeal(**{ours: getattr(msg.privateDeals, theirs) for ours, theirs in DEAL_NAMES.items()})
    return None


def test_field_numbers_are_the_official_ones(official):
    wrapper = official.PushDataV3ApiWrapper.DESCRIPTOR
    for member, names, table in (("privateOrders", ORDER_NAMES, pb._ORDER_FIELDS), ("privateDeals", DEAL_NAMES, pb._DEAL_FIELDS)):
        numbers = {f.name: f.number for f in wrapper.fields_by_name[member].message_type.fields}
        assert {names[name]: number for number, (name, _) in table.items()} == {n: numbers[n] for n in names.values()}
    assert wrapper.fields_by_name["privateOrders"].number == pb.PRIVATE_ORDERS
    assert wrapper.fields_by_name["privateDeals"].number == pb.PRIVATE_DEALS


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(orders, deals))
def test_reader_and_writer_agree_with_the_official_runtime(official, body):
    expected = to_official(official, body)
    ours = pb.encode_wrapper(pb.Wrapper(channel="c", body=body))
    assert ours == expected.SerializeToString(deterministic=True)  # byte for byte
    assert pb.decode_private_wrapper(expected.SerializeToString()).body == from_official(expected) == body


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(orders, deals), st.data())
def test_truncated_input_fails_exactly_when_the_official_runtime_fails(official, body, data):
    from google.protobuf.message import DecodeError as OfficialDecodeError

    frame = to_official(official, body).SerializeToString()
    cut = data.draw(st.integers(0, len(frame)))
    try:
        expected = from_official(official.PushDataV3ApiWrapper.FromString(frame[:cut]))
    except OfficialDecodeError:
        expected = "error"
    try:
        ours = pb.decode_private_wrapper(frame[:cut]).body
    except DecodeError:
        ours = "error"
    assert ours == expected


def test_the_order_fields_arb_does_not_read_are_skipped(official):
    body = pb.PrivateOrder(id="1", cumulative_quantity="2", status=3)
    extra = {"market": "m", "triggerType": -1, "triggerPrice": "9", "state": 2, "ocoId": "o", "routeFactor": "r",
             "symbolId": "s", "marketId": "mi", "marketCurrencyId": "mc", "currencyId": "c"}
    frame = to_official(official, body, extra).SerializeToString()
    assert pb.decode_private_wrapper(frame).body == body
