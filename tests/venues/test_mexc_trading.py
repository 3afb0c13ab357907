"""MEXC trading requests and listings, sans-I/O: builders signed as the docs' published example,
decoders against the official examples and real answers (samples/venues/mexc/
trading_docs_examples.jsonl and docs_examples.jsonl), every error code's class, client ids."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from arb.core.instruments import Instrument
from arb.core.numbers import ONE, from_decimal
from arb.venues.base import Credentials
from arb.venues.mexc import MARKETS, TRADING
from arb.venues.mexc import trading as mexc
from arb.venues.mexc.signing import sign
from arb.venues.trading import Balance, Executions, OrderRequest, OrderStatus, RejectReason, VenueError
from tests import samples

URL = "https://api.mexc.com"
NOW_MS = 1_644_489_390_087
VECTORS = json.loads((samples.VENUES / "mexc" / "signing_test_vectors.json").read_text())
CREDS = Credentials(VECTORS["apiKey"], VECTORS["secretKey"])
EXAMPLES = {e["name"]: e for e in samples.examples("mexc", "trading_docs_examples.jsonl")}
EXAMPLES.update({e["name"]: e for e in samples.examples("mexc", "docs_examples.jsonl")})


def msg(name: str):
    return EXAMPLES[name]["msg"]


def body(name: str) -> str:
    return json.dumps(msg(name))


def signed_query(request) -> tuple[str, list[tuple[str, str]]]:
    """``(query without the signature, its parameters)``; asserts the signature signs it."""
    query = urlsplit(request.url).query
    unsigned, _, signature = query.rpartition("&signature=")
    assert signature == sign(CREDS.secret, unsigned)
    assert request.headers["X-MEXC-APIKEY"] == CREDS.key
    return unsigned, parse_qsl(unsigned)


# -- builders --------------------------------------------------------------------------------
def test_signed_requests_reproduce_the_docs_published_signature():
    params = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "1", "price": "11"}
    request = mexc.signed("POST", URL, "/api/v3/order", CREDS, params, NOW_MS)
    first = VECTORS["vectors"][0]
    assert request.url == f"{URL}/api/v3/order?{first['payload']}&signature={first['documented_signature_example2']}"


@pytest.mark.parametrize(("tif", "kind"), [("ioc", "IMMEDIATE_OR_CANCEL"), ("gtc", "LIMIT")])
def test_place_is_a_signed_limit_order_of_the_documented_parameters(tif, kind):
    order = OrderRequest("arb-1", "MX/USDT", "MXUSDT", "buy", 50 * ONE, ONE // 10, "50", "0.1", tif)
    request = mexc.place(URL, CREDS, order, NOW_MS)
    assert request.method == "POST" and urlsplit(request.url).path == "/api/v3/order" and request.body == ""
    _, params = signed_query(request)
    doc = dict(parse_qsl(urlsplit(msg("new_order_request").split(" ", 1)[1]).query))
    assert params == [("symbol", "MXUSDT"), ("side", "BUY"), ("type", kind), ("quantity", "50"), ("price", "0.1"),
                      ("newClientOrderId", "arb-1"), ("recvWindow", "5000"), ("timestamp", str(NOW_MS))]
    assert {k for k, _ in params} - {"newClientOrderId", "recvWindow"} == set(doc) - {"signature"}


def test_cancel_query_trades_and_balances():
    for builder, method, path, extra in (
        (lambda: mexc.cancel(URL, CREDS, "arb-1", "BTCUSDT", NOW_MS), "DELETE", "/api/v3/order",
         [("symbol", "BTCUSDT"), ("origClientOrderId", "arb-1")]),
        (lambda: mexc.query(URL, CREDS, "arb-1", "BTCUSDT", NOW_MS), "GET", "/api/v3/order",
         [("symbol", "BTCUSDT"), ("origClientOrderId", "arb-1")]),
        (lambda: mexc.trades(URL, CREDS, "BTCUSDT", "C02__1", NOW_MS), "GET", "/api/v3/myTrades",
         [("symbol", "BTCUSDT"), ("orderId", "C02__1")]),
        (lambda: mexc.balances(URL, CREDS, NOW_MS), "GET", "/api/v3/account", []),
    ):
        request = builder()
        assert request.method == method and urlsplit(request.url).path == path
        assert signed_query(request)[1] == [*extra, ("recvWindow", "5000"), ("timestamp", str(NOW_MS))]
    assert TRADING.fee_rates is None  # MEXC states fee rates per symbol only (GET /api/v3/tradeFee?symbol)


def test_client_ids_are_32_characters_deterministic_and_distinct():
    ids = {mexc.client_id(f"opp-{n}/{role}") for n in range(500) for role in ("buy", "sell", "hedge")}
    assert len(ids) == 1500 and all(re.fullmatch(r"arb-[0-9a-f]{28}", i) for i in ids)
    assert TRADING.client_id("opp-1/buy") == mexc.client_id("opp-1/buy")


# -- decoders --------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "venue_id"), [
    ("rest_new_order_response", "06a480e69e604477bfb48dddd5f0b750"),
    ("new_order_ioc_ccxt_comment", "C02__342252993005723644225"),
])
def test_place_answers_carry_ids_only(name, venue_id):
    state = TRADING.decode_place(200, body(name))
    assert (state.status, state.venue_order_id, state.filled_qty, state.fee_known) == (OrderStatus.NEW, venue_id, 0, True)


def test_query_cancel_and_open_order_examples():
    new = TRADING.decode_order(200, body("query_order_response"))
    assert (new.status, new.client_id, new.venue_order_id, new.filled_qty, new.quote) == (OrderStatus.NEW, "myOrder1", "1", 0, 0)
    real = TRADING.decode_order(200, body("query_order_ccxt_comment"))
    assert (real.status, real.reason, real.client_id, real.venue_order_id) == (
        OrderStatus.CANCELLED, "cancelled", "", "133734823834147272")
    cancelled = TRADING.decode_order(200, body("cancel_order_response"))
    assert (cancelled.status, cancelled.venue_order_id, cancelled.client_id) == (OrderStatus.CANCELLED, "4", "cancelMyOrder1")
    assert TRADING.decode_order(200, json.dumps(msg("open_orders_response")[0])) == new


@pytest.mark.parametrize(("status", "executed", "expected"), [
    ("PARTIALLY_FILLED", "0.4", OrderStatus.PARTIALLY_FILLED),
    ("FILLED", "1.0", OrderStatus.FILLED),
    ("PARTIALLY_CANCELED", "0.4", OrderStatus.CANCELLED),
])
def test_fills_are_reported_without_fees(status, executed, expected):
    state = TRADING.decode_order(200, json.dumps({**msg("query_order_response"), "status": status, "executedQty": executed,
                                                 "cummulativeQuoteQty": "0.04"}))
    assert (state.status, state.filled_qty, state.quote, state.fee_known) == (expected, from_decimal(executed), from_decimal("0.04"), False)


@pytest.mark.parametrize("junk", ["", "{}", '{"orderId":1,"status":"EXPIRED","executedQty":"0","cummulativeQuoteQty":"0"}',
                                  '{"orderId":1,"status":"NEW","executedQty":"x","cummulativeQuoteQty":"0"}'])
def test_unreadable_order_answers_are_unknown_state(junk):
    with pytest.raises(VenueError) as caught:
        TRADING.decode_order(200, junk)
    assert caught.value.reason is RejectReason.UNKNOWN_STATE


def test_trades_give_the_fees_and_one_asset_only():
    assert TRADING.decode_trades(200, body("my_trades_response")) == Executions(
        12 * ONE, from_decimal("48.000012"), from_decimal("10.1"), "BNB")
    two = [msg("my_trades_response")[0], {**msg("my_trades_response")[0], "commissionAsset": "MX"}]
    with pytest.raises(VenueError):
        TRADING.decode_trades(200, json.dumps(two))
    assert TRADING.decode_trades(200, "[]") == Executions(0, 0, 0, "")


def test_balances_from_the_doc_example():
    assert TRADING.decode_balances(200, body("account_response")) == {
        "NBNTEST": Balance("NBNTEST", 1111078 * ONE, 33 * ONE), "MAIN": Balance("MAIN", 1020000 * ONE, 0)}


# -- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("status", "code", "text", "reason"), [
    (400, 30004, "Insufficient position", RejectReason.BALANCE),
    (400, 30005, "Oversold", RejectReason.BALANCE),
    (400, 30002, "The minimum transaction volume cannot be less than:5USDT", RejectReason.MIN_NOTIONAL),
    (400, 30003, "The maximum transaction volume cannot be greater than :", RejectReason.LOT),
    (400, 30010, "no valid trade price", RejectReason.PRICE),
    (400, 30087, "Order price exceeds allowed range", RejectReason.PRICE),
    (400, 400, "price scale is invalid", RejectReason.PRICE),
    (400, 400, "quantity scale is invalid", RejectReason.LOT),
    (400, 400, "api key required", RejectReason.OTHER),
    (400, -2010, "Duplicate order sent.", RejectReason.DUPLICATE),
    (400, -2011, "Unknown order sent.", RejectReason.NOT_FOUND),
    (400, -2013, "Order does not exist.", RejectReason.NOT_FOUND),
    (400, 10072, "invalid access key", RejectReason.AUTH),
    (400, 602, "Signature verification failed", RejectReason.AUTH),
    (400, 700005, "recvWindow must less than 60000", RejectReason.AUTH),
    (400, 700006, "IP non white list", RejectReason.AUTH),
    (400, 700007, "No permission to access the endpoint", RejectReason.AUTH),
    (400, 30000, "suspended transaction for the symbol", RejectReason.OTHER),
    (400, 30014, "invalid symbol", RejectReason.OTHER),
    (400, 33333, "param is error", RejectReason.OTHER),
    (400, 510, "Requests are too frequent", RejectReason.RATE_LIMIT),
])
def test_every_code_is_classified_once(status, code, text, reason):
    error = TRADING.classify(status, json.dumps({"code": code, "msg": text}), {})
    assert (error.reason, error.code, error.message, error.venue) == (reason, str(code), text, "mexc")


@pytest.mark.parametrize(("name", "reason"), [
    ("error_min_volume", RejectReason.MIN_NOTIONAL), ("error_timestamp", RejectReason.AUTH),
    ("error_signature", RejectReason.AUTH), ("error_amount_scale", RejectReason.LOT),
    ("error_insufficient_balance", RejectReason.BALANCE),
])
def test_real_error_answers_are_classified(name, reason):
    assert TRADING.classify(400, body(name), {}).reason is reason


def test_rate_limits_keep_retry_after_and_every_5xx_is_unknown_state():
    limited = TRADING.classify(429, '{"code":429,"msg":"Too Many Requests"}', {"Retry-After": "7"})
    assert (limited.reason, limited.retry_after_s) == (RejectReason.RATE_LIMIT, 7.0)
    assert TRADING.classify(418, "", {"retry-after": "120"}).retry_after_s == 120.0
    for status, text in ((500, '{"code":500,"msg":"Internal error"}'), (503, '{"code":503,"msg":"service not available"}'),
                         (504, "<html>Gateway Time-out</html>")):
        assert TRADING.classify(status, text, {}).reason is RejectReason.UNKNOWN_STATE
    assert TRADING.classify(401, "", {}).reason is RejectReason.AUTH
    assert TRADING.classify(400, '{"code":"30004","msg":"Insufficient position"}', {}).reason is RejectReason.BALANCE


# -- listings --------------------------------------------------------------------------------
def test_exchange_info_real_answer_and_doc_example():
    real = MARKETS.decode_instruments([body("exchange_info_ccxt_comment")])
    [ogn] = real.instruments
    assert ogn == Instrument(venue="mexc", symbol="OGN/USDT", venue_symbol="OGNUSDT", tick_size=ONE // 10**4,
                             lot_size=ONE // 100, min_qty=ONE // 100, min_notional=5 * ONE, status="trading")
    doc = MARKETS.decode_instruments([json.dumps({"symbols": [msg("exchange_info_symbol_docs")]})])
    [tomo] = doc.instruments
    assert (tomo.symbol, tomo.tick_size, tomo.lot_size, tomo.min_qty, tomo.status) == (
        "TOMO3L/USDT", ONE // 1000, ONE // 100, ONE // 10**4, "halted")  # no API trading: halted
    assert MARKETS.instruments(URL)[0].url == "https://api.mexc.com/api/v3/exchangeInfo"


@pytest.mark.parametrize(("change", "status"), [
    ({"status": "2"}, "halted"), ({"status": "3"}, "delisted"), ({"tradeSideType": "2"}, "halted"),
    ({"status": "1", "tradeSideType": 1}, "trading"), ({"status": "ENABLED"}, "trading"),
])
def test_symbol_status(change, status):
    symbol = {**msg("exchange_info_ccxt_comment")["symbols"][0], **change}
    [inst] = MARKETS.decode_instruments([json.dumps({"symbols": [symbol]})]).instruments
    assert inst.status == status


def test_tickers_doc_example_with_nulls_and_empty_text():
    btc, eth = MARKETS.decode_tickers(body("ticker_24hr_response"))
    assert (btc.venue_symbol, btc.bid, btc.ask, btc.last) == (
        "BTCUSDT", from_decimal("46260.38"), from_decimal("46260.41"), from_decimal("46263.71"))
    assert (btc.volume_base, btc.volume_quote) == (from_decimal("1732.461487"), 0)
    assert eth.venue_symbol == "ETHUSDT"
    assert MARKETS.tickers(URL).url == "https://api.mexc.com/api/v3/ticker/24hr"


# -- the live port ---------------------------------------------------------------------------
def test_the_port_keeps_asking_for_the_fees_when_the_trades_request_fails():
    """MEXC's order answers carry no fees: the port asks the order's trades. A trades request
    that fails — rate limited past the retries, refused as stale — must be asked again: dropping
    it would leave the fills unreported (arb's books off the venue's)."""
    from arb.core.instruments import Instruments
    from arb.exec.live import LiveVenues, VenueAccount
    from arb.exec.orders import Order
    from arb.exec.port import Filled, PlaceOrder

    inst = Instrument(venue="mexc", symbol="BTC/USDT", venue_symbol="BTCUSDT", tick_size=ONE // 100,
                      lot_size=ONE // 10**5, min_qty=ONE // 10**5, min_notional=ONE)
    port = LiveVenues({"mexc": VenueAccount(TRADING, CREDS, URL)}, Instruments([inst]), poll_ns=1, retry_ns=1, max_retries=2)
    order = Order(id="opp/buy", trade_id="opp", role="buy", venue="mexc", symbol="BTC/USDT", side="buy",
                  qty=ONE // 100, limit_price=65000 * ONE, lock=0, ts_submit_ns=0, due_ns=0)
    port.submit([PlaceOrder(order)], 0)
    [placed] = port.take_requests(0)
    port.on_response(placed, 200, json.dumps({"symbol": "BTCUSDT", "orderId": "C02__7", "orderListId": -1, "price": "65000",
                                              "origQty": "0.01", "type": "IMMEDIATE_OR_CANCEL", "side": "BUY",
                                              "transactTime": 1}), {}, 1)
    [query] = port.take_requests(10)
    port.on_response(query, 200, json.dumps({"symbol": "BTCUSDT", "orderId": "C02__7", "clientOrderId": mexc.client_id("opp/buy"),
                                             "status": "FILLED", "executedQty": "0.01", "cummulativeQuoteQty": "650"}), {}, 11)
    failures = [(429, '{"code":429,"msg":"Too Many Requests"}', {"Retry-After": "0"})] * 3
    failures.append((400, json.dumps(msg("error_timestamp")), {}))
    now = 20
    for status, text, headers in failures:
        [trades] = port.take_requests(now)
        assert trades.kind == "trades" and "orderId=C02__7" in trades.request.url
        port.on_response(trades, status, text, headers, now + 1)
        now += 10**9
    [trades] = port.take_requests(now)
    port.on_response(trades, 200, json.dumps([{"qty": "0.01", "quoteQty": "650", "commission": "0.000005",
                                                "commissionAsset": "BTC"}]), {}, now + 1)
    [filled] = [e for e in port.events(now + 2) if isinstance(e, Filled)]
    assert (filled.qty, filled.quote, filled.fee, filled.fee_asset) == (ONE // 100, 650 * ONE, from_decimal("0.000005"), "BTC")
