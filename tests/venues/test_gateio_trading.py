"""Gate trading requests and listings, sans-I/O: every builder checked against the documented
request and signing scheme, every decoder against the official examples (and real answers
ccxt and Gate's issue tracker quote: samples/venues/gateio/trading_docs_examples.jsonl), every
error label's class, the client-id rules, and the live port asking by Gate's own id."""

from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import urlsplit

import pytest

from arb.core.instruments import Instrument, Instruments
from arb.core.numbers import ONE, from_decimal
from arb.exec.live import LiveVenues, VenueAccount
from arb.exec.orders import Order
from arb.exec.port import PlaceOrder
from arb.venues.base import Credentials
from arb.venues.gateio import MARKETS, TRADING, signing
from arb.venues.gateio import trading as gate
from arb.venues.trading import Balance, OrderRequest, OrderStatus, RejectReason, VenueError
from tests import samples

CREDS = Credentials("key-1", "secret-1")
URL = "https://api.gateio.ws"
NOW_MS = 1_710_488_334_073
EXAMPLES = {e["name"]: e for e in samples.examples("gateio", "trading_docs_examples.jsonl")}


def msg(name: str):
    return EXAMPLES[name]["msg"]


def body(name: str) -> str:
    return json.dumps(msg(name))


def assert_signed(request, method: str, path: str, query: str, payload: str) -> None:
    """Headers as the docs define them, SIGN recomputed from the documented components."""
    assert request.method == method
    parts = urlsplit(request.url)
    assert (parts.path, parts.query) == (path, query)
    assert request.body == payload
    assert request.headers["KEY"] == "key-1" and request.headers["Timestamp"] == str(NOW_MS // 1000)
    expected = signing.sign("secret-1", method, path, query, payload, NOW_MS // 1000)
    assert request.headers["SIGN"] == expected
    # The scheme spelled out once: METHOD, path, query, hex(SHA512(body)), timestamp.
    text = f"{method}\n{path}\n{query}\n{hashlib.sha512(payload.encode()).hexdigest()}\n{NOW_MS // 1000}"
    assert signing.signature_payload(method, path, query, payload, NOW_MS // 1000) == text


# -- builders --------------------------------------------------------------------------------
def test_place_is_a_signed_json_limit_order_with_the_documented_fields():
    order = OrderRequest("t-abc123", "BTC/USDT", "BTC_USDT", "buy", ONE // 1000, 65000 * ONE, "0.001", "65000", "ioc")
    request = gate.place(URL, CREDS, order, NOW_MS)
    sent = json.loads(request.body)
    doc = msg("create_order_request_body")
    assert sent == {**{k: doc[k] for k in ("text", "currency_pair", "type", "side", "amount", "price")},
                    "account": "spot", "time_in_force": "ioc"}
    assert set(sent) <= set(doc) | {"account"}
    assert request.headers["Content-Type"] == "application/json"
    assert_signed(request, "POST", "/api/v4/spot/orders", "", request.body)
    gtc = gate.place(URL, CREDS, OrderRequest("t-x", "BTC/USDT", "BTC_USDT", "sell", 1, 1, "1", "1", "gtc"), NOW_MS)
    assert json.loads(gtc.body)["time_in_force"] == "gtc" and json.loads(gtc.body)["type"] == "limit"


def test_cancel_query_balances_and_fees_are_signed_gets_and_deletes():
    by_text = "currency_pair=BTC_USDT&account=spot"
    assert_signed(gate.cancel(URL, CREDS, "t-abc123", "BTC_USDT", NOW_MS), "DELETE", "/api/v4/spot/orders/t-abc123", by_text, "")
    assert_signed(gate.query(URL, CREDS, "t-abc123", "BTC_USDT", NOW_MS), "GET", "/api/v4/spot/orders/t-abc123", by_text, "")
    assert_signed(gate.query_by_venue_id(URL, CREDS, "1852454420", "BTC_USDT", NOW_MS), "GET", "/api/v4/spot/orders/1852454420",
                  by_text, "")
    assert_signed(gate.balances(URL, CREDS, NOW_MS), "GET", "/api/v4/spot/accounts", "", "")
    assert_signed(gate.fee_rates(URL, CREDS, NOW_MS), "GET", "/api/v4/wallet/fee", "", "")
    assert "Content-Type" not in gate.balances(URL, CREDS, NOW_MS).headers


def test_client_ids_follow_the_text_rules_and_are_deterministic():
    ids = {gate.client_id(f"opp-{n}/{role}") for n in range(500) for role in ("buy", "sell", "unwind")}
    assert len(ids) == 1500
    for text in ids:
        assert re.fullmatch(r"t-[0-9A-Za-z_.\-]{1,28}", text), text
    assert gate.client_id("opp-1/buy") == gate.client_id("opp-1/buy") == TRADING.client_id("opp-1/buy")
    assert len(gate.client_id("x" * 500)) == 30


# -- decoders --------------------------------------------------------------------------------
def test_full_answer_is_a_filled_order_with_its_fee_in_the_base():
    state = TRADING.decode_place(201, body("create_order_response_full"))
    assert state.status is OrderStatus.FILLED and state.fee_known
    assert (state.client_id, state.venue_order_id) == ("t-abc123", "1852454420")
    assert (state.filled_qty, state.quote) == (from_decimal("0.001"), from_decimal("63.4693"))
    assert (state.fee, state.fee_asset) == (from_decimal("0.00000022"), "BTC")
    assert TRADING.decode_order(200, body("get_order_response")) == state


def test_result_answer_without_filled_amount_or_fees_uses_amount_minus_left():
    state = TRADING.decode_order(201, body("create_order_response_result"))
    assert state.status is OrderStatus.CANCELLED and state.reason == "cancelled by self-trade prevention"
    assert (state.filled_qty, state.quote, state.fee, state.fee_asset) == (ONE // 2, from_decimal("2.50016"), 0, "")


def test_ack_answer_says_nothing_of_the_order_state_and_is_refused_as_unreadable():
    with pytest.raises(VenueError) as caught:
        TRADING.decode_place(201, body("create_order_response_ack"))
    assert caught.value.reason is RejectReason.UNKNOWN_STATE and caught.value.code == "decode"


@pytest.mark.parametrize(("change", "status", "filled"), [
    ({"status": "open", "left": "0.001", "filled_amount": "0", "filled_total": "0", "fee": "0", "finish_as": "open"},
     OrderStatus.NEW, 0),
    ({"status": "open", "left": "0.0004", "filled_amount": "0.0006", "finish_as": "open"}, OrderStatus.PARTIALLY_FILLED,
     from_decimal("0.0006")),
    ({"status": "cancelled", "left": "0.0004", "filled_amount": "0.0006", "finish_as": "ioc"}, OrderStatus.CANCELLED,
     from_decimal("0.0006")),
])
def test_open_partial_and_immediate_or_cancel_rest(change, status, filled):
    state = TRADING.decode_order(200, json.dumps({**msg("create_order_response_full"), **change}))
    assert (state.status, state.filled_qty) == (status, filled)
    if change["finish_as"] == "ioc":
        assert state.reason == "expired: no more liquidity within the limit"


def test_gt_deducted_fee_is_reported_in_gt_and_two_fee_assets_are_refused():
    gt = TRADING.decode_order(200, json.dumps({**msg("create_order_response_full"), "fee": "0", "gt_fee": "0.0123"}))
    assert (gt.fee, gt.fee_asset) == (from_decimal("0.0123"), "GT")
    with pytest.raises(VenueError):
        TRADING.decode_order(200, json.dumps({**msg("create_order_response_full"), "gt_fee": "0.0123"}))


@pytest.mark.parametrize("junk", ["", "[]", "{}", '{"id":"1","status":"weird","amount":"1"}', '{"id":"1","status":"open","amount":"x"}'])
def test_unreadable_order_answers_are_unknown_state(junk):
    with pytest.raises(VenueError) as caught:
        TRADING.decode_order(200, junk)
    assert caught.value.reason is RejectReason.UNKNOWN_STATE


def test_balances_and_fee_rates_from_the_doc_examples():
    assert TRADING.decode_balances(200, body("spot_accounts_response")) == {"ETH": Balance("ETH", from_decimal("968.8"), 0)}
    assert TRADING.decode_fee_rates(200, body("spot_fee_response")) == {"*": (from_decimal("0.002"), from_decimal("0.002"))}


# -- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("status", "label", "message", "reason"), [
    (400, "BALANCE_NOT_ENOUGH", "Not enough balance", RejectReason.BALANCE),
    (400, "INVALID_PRECISION", "Invalid price precision", RejectReason.PRICE),
    (400, "INVALID_PRECISION", "Invalid amount precision", RejectReason.LOT),
    (400, "AMOUNT_TOO_LITTLE", "Amount too little", RejectReason.LOT),
    (400, "AMOUNT_TOO_MUCH", "Amount too much", RejectReason.LOT),
    (400, "PRICE_TOO_DEVIATED", "price too deviated", RejectReason.PRICE),
    (400, "INVALID_PARAM_VALUE", "invalid argument: status", RejectReason.OTHER),
    (400, "REPEATED_CREATION", "Repeated creation", RejectReason.DUPLICATE),
    (400, "ORDER_CLOSED", "Order has been closed", RejectReason.NOT_FOUND),
    (400, "ORDER_CANCELLED", "Order has been cancelled", RejectReason.NOT_FOUND),
    (401, "INVALID_KEY", "Invalid key provided", RejectReason.AUTH),
    (401, "INVALID_SIGNATURE", "Signature mismatch", RejectReason.AUTH),
    (401, "REQUEST_EXPIRED", "gap between request Timestamp and server time exceeds 60", RejectReason.AUTH),
    (401, "MISSING_REQUIRED_HEADER", "Missing required header", RejectReason.AUTH),
    (403, "FORBIDDEN", "Forbidden", RejectReason.AUTH),
    (403, "READ_ONLY", "read only key", RejectReason.AUTH),
    (429, "TOO_MANY_REQUESTS", "Request Rate limit Exceeded", RejectReason.RATE_LIMIT),
    (503, "TOO_BUSY", "Server is too busy", RejectReason.UNAVAILABLE),
    (500, "SERVER_ERROR", "Internal server error", RejectReason.UNKNOWN_STATE),
    (500, "INTERNAL", "Internal error", RejectReason.UNKNOWN_STATE),
    (400, "INVALID_CURRENCY_PAIR", "Invalid currency pair", RejectReason.OTHER),
])
def test_every_label_is_classified_once(status, label, message, reason):
    error = TRADING.classify(status, json.dumps({"label": label, "message": message}), {})
    assert (error.reason, error.code, error.message, error.venue) == (reason, label, message, "gateio")


@pytest.mark.parametrize(("name", "status", "reason"), [
    ("error_min_order_size", 400, RejectReason.MIN_NOTIONAL),
    ("error_order_not_found", 404, RejectReason.NOT_FOUND),
    ("error_client_id_not_found", 404, RejectReason.NOT_FOUND),
])
def test_real_error_answers_are_classified(name, status, reason):
    assert TRADING.classify(status, body(name), {}).reason is reason


def test_rate_limit_keeps_retry_after_and_bare_answers_fall_back_on_the_status():
    limited = TRADING.classify(429, '{"label":"TOO_MANY_REQUESTS","message":"slow down"}', {"Retry-After": "3"})
    assert limited.reason.retryable
    assert limited.retry_after_s == 3.0
    assert TRADING.classify(429, "<html>Too Many Requests</html>", {"retry-after": "2"}).retry_after_s == 2.0
    assert TRADING.classify(502, "<html>Bad Gateway</html>", {}).reason is RejectReason.UNKNOWN_STATE
    assert TRADING.classify(503, '{"label":"SOMETHING_NEW","message":"?"}', {}).reason is RejectReason.UNKNOWN_STATE
    assert TRADING.classify(401, "", {}).reason is RejectReason.AUTH
    assert TRADING.classify(400, "not json", {}).reason is RejectReason.OTHER
    assert TRADING.classify(400, '{"label":"BALANCE_NOT_ENOUGH"}', {"Retry-After": "9"}).retry_after_s is None


# -- listings --------------------------------------------------------------------------------
def test_currency_pairs_doc_example_and_real_answer():
    listing = MARKETS.decode_instruments([body("currency_pairs_response"), body("currency_pairs_ccxt_comment")])
    eth, qtum = listing.instruments
    assert eth == Instrument(venue="gateio", symbol="ETH/USDT", venue_symbol="ETH_USDT", tick_size=ONE // 10**6,
                             lot_size=ONE // 1000, min_qty=ONE // 1000, min_notional=ONE, status="trading")
    assert (qtum.symbol, qtum.tick_size, qtum.lot_size, qtum.min_qty, qtum.min_notional) == (
        "QTUM/ETH", ONE // 10**6, ONE // 1000, ONE // 100, ONE // 1000)
    assert listing.skipped == {}
    assert MARKETS.instruments(URL)[0].url == "https://api.gateio.ws/api/v4/spot/currency_pairs"


def test_pair_status_null_minimums_and_pre_market_pairs():
    base = msg("currency_pairs_response")[0]
    pairs = [
        {**base, "id": "A_USDT", "base": "A", "trade_status": "untradable"},
        {**base, "id": "B_USDT", "base": "B", "trade_status": "buyable", "min_base_amount": None, "min_quote_amount": None},
        {**base, "id": "C_USDT", "base": "C", "type": "premarket"},
        {**base, "id": "XBT_USDT", "base": "XBT"},
    ]
    listing = MARKETS.decode_instruments([json.dumps(pairs)])
    a, b, xbt = listing.instruments
    assert (a.status, b.status, xbt.status) == ("halted", "halted", "trading")
    assert (b.min_qty, b.min_notional) == (b.lot_size, 0)
    assert xbt.symbol == "BTC/USDT" and xbt.venue_symbol == "XBT_USDT"  # canonical asset codes
    assert listing.skipped == {"pre-market": 1}


def test_tickers_doc_example_volumes_cut_to_18_places():
    [t] = MARKETS.decode_tickers(body("tickers_response"))
    assert (t.venue_symbol, t.bid, t.ask, t.last) == (
        "BTC3L_USDT", from_decimal("2.4606821"), from_decimal("2.477"), from_decimal("2.46140352"))
    assert t.volume_base == from_decimal("656614.0845820589")
    assert t.volume_quote == from_decimal("1602221.664683755346394041")
    [empty] = MARKETS.decode_tickers('[{"currency_pair":"X_USDT","last":"","lowest_ask":"","highest_bid":""}]')
    assert (empty.bid, empty.ask, empty.last, empty.volume_base) == (0, 0, 0, 0)
    assert MARKETS.tickers(URL).url == "https://api.gateio.ws/api/v4/spot/tickers"


# -- the live port ---------------------------------------------------------------------------
def test_the_port_asks_by_gates_id_once_the_venue_named_the_order():
    """Gate answers a client id only while the order is pending (and a while after): once the
    place answer named the order, the port follows it by Gate's own id."""
    inst = Instrument(venue="gateio", symbol="BTC/USDT", venue_symbol="BTC_USDT", tick_size=ONE // 10,
                      lot_size=ONE // 10**4, min_qty=ONE // 10**4, min_notional=ONE)
    port = LiveVenues({"gateio": VenueAccount(TRADING, CREDS, URL)}, Instruments([inst]), poll_ns=1_000_000)
    order = Order(id="opp/buy", trade_id="opp", role="buy", venue="gateio", symbol="BTC/USDT", side="buy",
                  qty=ONE // 1000, limit_price=65000 * ONE, lock=0, ts_submit_ns=0, due_ns=0)
    port.submit([PlaceOrder(order)], 0)
    [placed] = port.take_requests(0)
    assert json.loads(placed.request.body)["text"] == gate.client_id("opp/buy")
    still_open = {**msg("create_order_response_full"), "status": "open", "left": "0.001", "filled_amount": "0",
                  "filled_total": "0", "fee": "0", "finish_as": "open", "text": gate.client_id("opp/buy")}
    port.on_response(placed, 201, json.dumps(still_open), {}, 1)
    [follow] = port.take_requests(10_000_000)
    assert follow.kind == "query" and urlsplit(follow.request.url).path == "/api/v4/spot/orders/1852454420"
