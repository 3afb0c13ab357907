"""OKX trading requests and listings: builders signed the venue's way, decoders of the official
examples (samples/venues/okx/trading_examples.jsonl), every error code's class. The round
trip through arb's live port against the simulator is tests/venues/test_okx_kraken_live.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from arb.core.numbers import ONE, from_decimal
from arb.venues.base import Credentials
from arb.venues.okx import MARKETS, TRADING
from arb.venues.okx import trading as okx
from arb.venues.trading import OrderRequest, OrderStatus, RejectReason, VenueError
from tests.samples import examples

EX = {e["name"]: e["msg"] for e in examples("okx", "trading_examples.jsonl")}
CREDS = Credentials("key-1", "secret-1", "phrase-1")
NOW_MS = 1607418537715  # 2020-12-08T09:08:57.715Z, the docs' timestamp example
URL = "https://www.okx.com"


def body(name: str, **changes) -> str:
    msg = json.loads(json.dumps(EX[name]))
    if changes:
        msg["data"][0].update(changes)
    return json.dumps(msg)


def fixed(text: str) -> int:
    return from_decimal(Decimal(text))


def expected_sign(method: str, path: str, text: str) -> str:
    message = "2020-12-08T09:08:57.715Z" + method + path + text
    return base64.b64encode(hmac.new(b"secret-1", message.encode(), hashlib.sha256).digest()).decode()


# -- builders -------------------------------------------------------------------------------
def test_place_builds_the_docs_body_signed_with_every_header():
    order = OrderRequest("b15", "BTC/USDT", "BTC-USDT", "buy", fixed("2"), fixed("2.15"), "2", "2.15", tif="gtc")
    request = okx.place(URL, CREDS, order, NOW_MS)
    assert (request.method, request.url) == ("POST", URL + "/api/v5/trade/order")
    assert json.loads(request.body) == EX["place_order_request"]
    headers = request.headers
    assert headers["OK-ACCESS-KEY"] == "key-1" and headers["OK-ACCESS-PASSPHRASE"] == "phrase-1"
    assert headers["OK-ACCESS-TIMESTAMP"] == "2020-12-08T09:08:57.715Z"
    assert headers["OK-ACCESS-SIGN"] == expected_sign("POST", "/api/v5/trade/order", request.body)
    ioc = okx.place(URL, CREDS, OrderRequest("b15", "BTC/USDT", "BTC-USDT", "sell", 1, 1, "2", "2.15"), NOW_MS)
    assert json.loads(ioc.body)["ordType"] == "ioc" and json.loads(ioc.body)["side"] == "sell"


def test_place_refuses_an_unknown_time_in_force():
    with pytest.raises(ValueError, match="time in force"):
        okx.place(URL, CREDS, OrderRequest("b15", "BTC/USDT", "BTC-USDT", "buy", 1, 1, "2", "2.15", tif="fok"), NOW_MS)


@pytest.mark.parametrize(("build", "method", "path"), [
    (lambda: okx.query(URL, CREDS, "b15", "BTC-USDT", NOW_MS), "GET", "/api/v5/trade/order?instId=BTC-USDT&clOrdId=b15"),
    (lambda: okx.trades(URL, CREDS, "BTC-USDT", "680800019749904384", NOW_MS), "GET",
     "/api/v5/trade/fills?instType=SPOT&instId=BTC-USDT&ordId=680800019749904384"),
    (lambda: okx.balances(URL, CREDS, NOW_MS), "GET", "/api/v5/account/balance"),
    (lambda: okx.fee_rates(URL, CREDS, NOW_MS), "GET", "/api/v5/account/trade-fee?instType=SPOT"),
    (lambda: okx.cancel(URL, CREDS, "b15", "BTC-USDT", NOW_MS), "POST", "/api/v5/trade/cancel-order"),
])
def test_every_request_is_signed_over_its_path_query_and_body(build, method, path):
    request = build()
    parts = urlsplit(request.url)
    assert request.method == method and parts.path + ("?" + parts.query if parts.query else "") == path
    assert request.headers["OK-ACCESS-SIGN"] == expected_sign(method, path, request.body)
    if method == "GET":
        assert request.body == ""


def test_cancel_names_the_order_by_client_id():
    assert json.loads(okx.cancel(URL, CREDS, "b15", "BTC-USDT", NOW_MS).body) == {"instId": "BTC-USDT", "clOrdId": "b15"}


def test_client_id_is_deterministic_alphanumeric_and_at_most_32_characters():
    ids = {okx.client_id(f"trade-{n}/buy") for n in range(200)}
    assert len(ids) == 200
    for cid in ids:
        assert len(cid) <= 32 and cid.isalnum() and cid.isascii()
    assert okx.client_id("t/buy") == okx.client_id("t/buy") != okx.client_id("t/sell")


# -- decoders of the official examples ---------------------------------------------------------------
def test_doc_place_answer_gives_the_ids():
    state = TRADING.decode_place(200, body("place_order_response"))
    assert (state.client_id, state.venue_order_id, state.status) == ("oktswap6", "312269865356374016", OrderStatus.NEW)
    assert state.filled_qty == 0 and state.fee_known


def test_doc_order_details_with_one_fill_are_exact():
    state = TRADING.decode_order(200, body("order_details_response"))
    assert state.status is OrderStatus.FILLED and state.venue_order_id == "680800019749904384"
    assert state.filled_qty == fixed("0.00192834")
    assert state.quote == fixed("51858") * fixed("0.00192834") // ONE
    assert state.fee == fixed("0.00000192834") and state.fee_asset == "BTC" and state.fee_known


def test_an_order_with_several_fills_asks_for_its_trades():
    state = TRADING.decode_order(200, body("order_details_response", fillSz="0.001", accFillSz="0.00192834"))
    assert not state.fee_known and state.quote == fixed("51858") * fixed("0.00192834") // ONE


def test_doc_pending_order_is_new_with_nothing_filled():
    state = TRADING.decode_order(200, body("orders_pending_response"))
    assert (state.status, state.filled_qty, state.quote, state.fee) == (OrderStatus.NEW, 0, 0, 0) and state.fee_known


@pytest.mark.parametrize(("okx_state", "filled", "status"), [
    ("live", "0", OrderStatus.NEW), ("partially_filled", "0.001", OrderStatus.PARTIALLY_FILLED),
    ("filled", "0.00192834", OrderStatus.FILLED), ("canceled", "0.001", OrderStatus.CANCELLED),
    ("mmp_canceled", "0", OrderStatus.CANCELLED),
])
def test_every_order_state(okx_state, filled, status):
    state = TRADING.decode_order(200, body("order_details_response", state=okx_state, accFillSz=filled, fillSz=filled))
    assert state.status is status and state.filled_qty == fixed(filled)


def test_an_unknown_order_state_is_an_unreadable_answer():
    with pytest.raises(VenueError) as err:
        TRADING.decode_order(200, body("order_details_response", state="teleported"))
    assert err.value.reason is RejectReason.UNKNOWN_STATE


def test_doc_fills_sum_exactly():
    executions = TRADING.decode_trades(200, body("fills_response"))
    assert executions.qty == fixed("0.00192834") and executions.fee == fixed("0.00000192834")
    assert executions.quote == fixed("51858") * fixed("0.00192834") // ONE and executions.fee_asset == "BTC"


def test_doc_cancel_answer_is_accepted():
    assert TRADING.decode_cancel(200, body("cancel_order_response")) is None


def test_a_refused_cancel_raises_its_class():
    refused = {"code": "1", "msg": "", "data": [{"clOrdId": "b15", "ordId": "", "sCode": "51400",
                                               "sMsg": "Order cancellation failed as the order has been filled, canceled or does not exist."}]}
    with pytest.raises(VenueError) as err:
        TRADING.decode_cancel(200, json.dumps(refused))
    assert err.value.reason is RejectReason.NOT_FOUND and err.value.code == "51400"


def test_doc_balance_is_available_and_frozen():
    balances = TRADING.decode_balances(200, body("balance_response"))
    assert set(balances) == {"USDT"}
    assert balances["USDT"].free == fixed("4834.317093622894") and balances["USDT"].locked == fixed("158.573")


def test_doc_fee_rates_are_positive_rates():
    assert TRADING.decode_fee_rates(200, body("trade_fee_response")) == {"*": (fixed("0.0008"), fixed("0.001"))}


def test_doc_instruments_decode_with_their_rules():
    listing = MARKETS.decode_instruments([body("instruments_response")])
    [inst] = listing.instruments
    assert (inst.venue, inst.symbol, inst.venue_symbol, inst.status) == ("okx", "BTC/USDT", "BTC-USDT", "trading")
    assert (inst.tick_size, inst.lot_size, inst.min_qty, inst.min_notional) == (fixed("0.1"), fixed("0.00000001"), fixed("0.00001"), 0)
    assert MARKETS.instruments(URL)[0].url == URL + "/api/v5/public/instruments?instType=SPOT"


def test_instruments_skip_what_is_not_spot_or_cannot_trade():
    entry = EX["instruments_response"]["data"][0]
    rows = [entry, {**entry, "instType": "SWAP", "instId": "BTC-USDT-SWAP"}, {**entry, "state": "test", "instId": "T-USDT"},
            {**entry, "baseCcy": "", "instId": "X-USDT"}, {**entry, "state": "suspend", "instId": "ETH-USDT", "baseCcy": "ETH"},
            {**entry, "state": "preopen", "instId": "SOL-USDT", "baseCcy": "SOL"}]
    listing = MARKETS.decode_instruments([json.dumps({"code": "0", "msg": "", "data": rows})])
    assert [(i.symbol, i.status) for i in listing.instruments] == [
        ("BTC/USDT", "trading"), ("ETH/USDT", "halted"), ("SOL/USDT", "halted")]
    assert listing.skipped == {"not spot": 1, "test pair": 1, "assets not named": 1}


def test_doc_tickers_of_swaps_are_skipped_and_spot_ones_decode():
    assert MARKETS.decode_tickers(body("tickers_response")) == []
    spot = json.loads(body("tickers_response"))
    spot["data"][0].update(instType="SPOT", instId="LTC-USDT")
    [ticker] = MARKETS.decode_tickers(json.dumps(spot))
    assert (ticker.venue_symbol, ticker.bid, ticker.ask, ticker.last) == ("LTC-USDT", fixed("8888.88"), fixed("9999.99"), fixed("9999.99"))
    assert ticker.volume_base == ticker.volume_quote == fixed("2222")
    assert MARKETS.tickers(URL).url == URL + "/api/v5/market/tickers?instType=SPOT"


# -- errors -----------------------------------------------------------------------------------
def test_a_refused_order_answer_raises_its_class_from_the_item():
    text = json.dumps(EX["place_order_insufficient_balance"])
    with pytest.raises(VenueError) as err:
        TRADING.decode_place(200, text)
    assert (err.value.reason, err.value.code) == (RejectReason.BALANCE, "51119")
    assert TRADING.classify(200, text, {}).reason is RejectReason.BALANCE


@pytest.mark.parametrize(("code", "reason"), sorted(okx.CODES.items()))
def test_every_error_code_is_classified_once(code, reason):
    status = 401 if reason is RejectReason.AUTH else 200
    error = TRADING.classify(status, json.dumps({"code": code, "msg": "m", "data": []}), {})
    assert (error.reason, error.code, error.venue) == (reason, code, "okx")
    item = {"code": "1", "msg": "All operations failed", "data": [{"clOrdId": "", "ordId": "", "sCode": code, "sMsg": "m"}]}
    assert TRADING.classify(200, json.dumps(item), {}).reason is reason


@pytest.mark.parametrize(("message", "reason"), [
    ("Parameter px error", RejectReason.PRICE), ("Parameter sz error", RejectReason.LOT),
    ("Parameter instId error", RejectReason.OTHER),
])
def test_a_parameter_error_names_its_class(message, reason):
    assert TRADING.classify(400, json.dumps({"code": "51000", "msg": message, "data": []}), {}).reason is reason


def test_sub_codes_classify_by_their_code():
    item = {"code": "1", "data": [{"sCode": "51008_1000", "sMsg": "Order failed. Insufficient USDT balance in account"}], "msg": ""}
    assert TRADING.classify(200, json.dumps(item), {}).reason is RejectReason.BALANCE


@pytest.mark.parametrize(("status", "reason"), [
    (429, RejectReason.RATE_LIMIT), (401, RejectReason.AUTH), (502, RejectReason.UNAVAILABLE),
    (503, RejectReason.UNAVAILABLE), (504, RejectReason.UNKNOWN_STATE), (404, RejectReason.OTHER),
])
def test_answers_without_a_code_classify_by_status(status, reason):
    assert TRADING.classify(status, "<html>gateway</html>", {}).reason is reason


def test_a_rate_limit_carries_retry_after():
    error = TRADING.classify(429, json.dumps({"code": "50011", "msg": "Too Many Requests", "data": []}), {"Retry-After": "2"})
    assert error.reason is RejectReason.RATE_LIMIT and error.retry_after_s == 2.0
    assert error.reason.retryable


def test_an_unreadable_answer_is_an_unknown_state_not_a_guess():
    for decode in (TRADING.decode_place, TRADING.decode_order, TRADING.decode_balances, TRADING.decode_trades):
        with pytest.raises(VenueError) as err:
            decode(200, "{not json")
        assert err.value.reason is RejectReason.UNKNOWN_STATE


def test_no_credential_survives_the_shells_log_masking():
    from arb.io.trading import masked

    order = OrderRequest("b15", "BTC/USDT", "BTC-USDT", "buy", 1, 1, "2", "2.15")
    for request in (okx.place(URL, CREDS, order, NOW_MS), okx.cancel(URL, CREDS, "b15", "BTC-USDT", NOW_MS),
                    okx.query(URL, CREDS, "b15", "BTC-USDT", NOW_MS), okx.balances(URL, CREDS, NOW_MS)):
        text = masked(request)
        for secret in (CREDS.key, CREDS.secret, CREDS.passphrase, request.headers["OK-ACCESS-SIGN"]):
            assert secret not in text
