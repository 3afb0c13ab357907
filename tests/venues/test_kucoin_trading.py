"""KuCoin spot trading requests and listings against the venue's official examples
(samples/venues/kucoin/trading_examples.json): every builder (URL, body, KC-API signature
recomputed with the signer), every decoder, every error code's class."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest

from arb.core.numbers import ONE, from_decimal
from arb.venues.base import Credentials
from arb.venues.kucoin import MARKETS, TRADING
from arb.venues.kucoin import signing
from arb.venues.kucoin import trading as kc
from arb.venues.trading import OrderRequest, OrderStatus, RejectReason, VenueError
from tests import samples

EXAMPLES = {e["name"]: e["msg"] for e in json.loads((samples.VENUES / "kucoin" / "trading_examples.json").read_text())["examples"]}
REST = "https://api.kucoin.com"
NOW_MS = 1_729_577_515_000
CREDS = Credentials("6705f5c311545b000157d3eb", "f03a5284-5c39-4aaa-9b20-dea10bdcf8e3", "my-passphrase")


def body(name: str) -> str:
    return json.dumps(EXAMPLES[name])


def assert_signed(request) -> None:
    """The KC-API headers, recomputed with the signer over what the request sends."""
    parts = urlsplit(request.url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    h = request.headers
    assert h["KC-API-KEY"] == CREDS.key and h["KC-API-TIMESTAMP"] == str(NOW_MS) and h["KC-API-KEY-VERSION"] == "3"
    assert h["KC-API-SIGN"] == signing.sign(CREDS.secret, NOW_MS, request.method, path, request.body)
    assert h["KC-API-PASSPHRASE"] == signing.sign_passphrase(CREDS.secret, CREDS.passphrase)


def order(tif: str = "ioc") -> OrderRequest:
    return OrderRequest(kc.client_id("o-1"), "BTC/USDT", "BTC-USDT", "buy", ONE // 10**5, 50_000 * ONE, "0.00001", "50000", tif)


# -- builders -----------------------------------------------------------------------------------
def test_client_id_obeys_the_client_oid_rules_and_is_deterministic():
    cid = kc.client_id("o-1")
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,40}", cid) and cid == kc.client_id("o-1") != kc.client_id("o-2")


def test_place_is_a_signed_limit_order_shaped_like_the_docs_example():
    request = kc.place(REST, CREDS, order(), NOW_MS)
    assert request.method == "POST" and request.url == f"{REST}/api/v1/hf/orders" and request.weight == 1
    sent, doc = json.loads(request.body), EXAMPLES["add_order_request"]
    assert {k: sent[k] for k in ("type", "symbol", "side", "price", "size")} == {k: doc[k] for k in ("type", "symbol", "side", "price", "size")}
    assert sent["timeInForce"] == "IOC" and sent["clientOid"] == kc.client_id("o-1")
    assert json.loads(kc.place(REST, CREDS, order("gtc"), NOW_MS).body)["timeInForce"] == "GTC"
    assert_signed(request)
    with pytest.raises(ValueError):
        kc.place(REST, CREDS, order("fok"), NOW_MS)


@pytest.mark.parametrize("build, method, url", [
    (lambda: kc.query(REST, CREDS, "arb-1", "BTC-USDT", NOW_MS), "GET", "/api/v1/hf/orders/client-order/arb-1?symbol=BTC-USDT"),
    (lambda: kc.cancel(REST, CREDS, "arb-1", "BTC-USDT", NOW_MS), "DELETE", "/api/v1/hf/orders/client-order/arb-1?symbol=BTC-USDT"),
    (lambda: kc.balances(REST, CREDS, NOW_MS), "GET", "/api/v1/accounts?type=trade"),
    (lambda: kc.fee_rates(REST, CREDS, NOW_MS), "GET", "/api/v1/base-fee"),
])
def test_every_request_is_signed_over_its_path_and_query(build, method, url):
    request = build()
    assert request.method == method and request.url == REST + url and request.body == ""
    assert_signed(request)


# -- decoders -----------------------------------------------------------------------------------
def test_add_order_answer_names_the_order():
    state = kc.decode_place(200, body("add_order_response"))
    assert (state.venue_order_id, state.client_id, state.status) == ("670fd33bf9406e0007ab3945", "5c52e11203aa677f33e493fb", OrderStatus.NEW)


def test_order_by_client_oid_decodes_cumulative_fills_and_quote_fees():
    state = kc.decode_order(200, body("get_order_by_client_oid_response"))
    assert state.venue_order_id == "6717422bd51c29000775ea03" and state.client_id == "5c52e11203aa677f33e493fb"
    assert state.status is OrderStatus.FILLED and state.filled_qty == ONE // 10**5
    assert state.quote == from_decimal("0.677176") and state.fee == from_decimal("0.000677176") and state.fee_asset == "USDT"


def test_an_open_order_is_new_and_an_ended_partial_one_cancelled():
    [open_order] = EXAMPLES["get_open_orders_response"]["data"]
    assert kc.decode_order(200, json.dumps({"code": "200000", "data": open_order})).status is OrderStatus.NEW
    partial = {**open_order, "dealSize": "0.000004", "dealFunds": "0.2"}
    assert kc.decode_order(200, json.dumps({"code": "200000", "data": partial})).status is OrderStatus.PARTIALLY_FILLED
    ended = {**partial, "active": False, "cancelExist": True, "cancelledSize": "0.000006", "remainSize": "0"}
    state = kc.decode_order(200, json.dumps({"code": "200000", "data": ended}))
    assert state.status is OrderStatus.CANCELLED and state.filled_qty == from_decimal("0.000004")


def test_cancel_answers_are_read_and_refusals_classified():
    kc.decode_cancel(200, body("cancel_order_by_client_oid_response"))
    with pytest.raises(VenueError) as err:
        kc.decode_cancel(200, body("error_not_exist_or_not_allow_to_cancel"))
    assert err.value.reason is RejectReason.NOT_FOUND


def test_balances_are_the_trading_accounts_only():
    balances = kc.decode_balances(200, body("spot_account_list_response"))
    assert balances == {"USDT": kc.Balance("USDT", from_decimal("26.66759503"), 0)}  # the "main" account is not traded


def test_balances_name_assets_canonically():
    answer = {"code": "200000", "data": [{"id": "1", "currency": "BCHSV", "type": "trade", "balance": "3", "available": "2", "holds": "1"}]}
    assert kc.decode_balances(200, json.dumps(answer)) == {"BSV": kc.Balance("BSV", 2 * ONE, ONE)}


def test_base_fee_rates():
    assert kc.decode_fee_rates(200, body("basic_fee_response")) == {"*": (from_decimal("0.001"), from_decimal("0.001"))}


def test_no_data_is_not_found_and_unreadable_answers_are_unknown_state():
    with pytest.raises(VenueError) as err:
        kc.decode_order(200, '{"code":"200000","data":null}')
    assert err.value.reason is RejectReason.NOT_FOUND
    for decode in (kc.decode_place, kc.decode_order, kc.decode_balances, kc.decode_fee_rates, kc.decode_cancel):
        with pytest.raises(VenueError) as err:
            decode(200, "<html>")
        assert err.value.reason is RejectReason.UNKNOWN_STATE


# -- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, reason", [
    ("error_not_exist_or_not_allow_to_cancel", RejectReason.NOT_FOUND), ("error_balance", RejectReason.BALANCE),
    ("error_size_increment", RejectReason.LOT), ("error_min_funds", RejectReason.MIN_NOTIONAL),
    ("error_rate_limit", RejectReason.RATE_LIMIT), ("error_key", RejectReason.AUTH),
])
def test_real_error_answers_are_classified(name, reason):
    assert kc.classify(200, body(name), {}).reason is reason


@pytest.mark.parametrize("code, reason", sorted(kc._CODES.items()))
def test_every_error_code_is_classified_once(code, reason):
    assert kc.classify(200, json.dumps({"code": code, "msg": "m"}), {}).reason is reason


@pytest.mark.parametrize("msg, reason", [(text, reason) for text, reason in kc._MESSAGES] + [
    ("Order size below the minimum requirement.", RejectReason.LOT), ("Price increment invalid.", RejectReason.PRICE),
    ("Order funds below the minimum requirement.", RejectReason.MIN_NOTIONAL), ("order not exist.", RejectReason.NOT_FOUND),
    ("Unsupported trading pair.", RejectReason.OTHER),
])
def test_parameter_errors_are_classified_by_their_documented_message(msg, reason):
    assert kc.classify(200, json.dumps({"code": "400100", "msg": msg}), {}).reason is reason


@pytest.mark.parametrize("status, text, headers, reason, retry", [
    (401, '{"code":"400005","msg":"Signature error -- Please check your signature"}', {}, RejectReason.AUTH, None),
    (401, "Unauthorized", {}, RejectReason.AUTH, None),
    (429, '{"code":"429000","msg":"Too many requests."}', {"gw-ratelimit-reset": "1500"}, RejectReason.RATE_LIMIT, 1.5),
    (429, "", {"Retry-After": "3"}, RejectReason.RATE_LIMIT, 3.0),
    (500, '{"code":"500000","msg":"Internal Server Error"}', {}, RejectReason.UNAVAILABLE, None),
    (503, "", {}, RejectReason.UNAVAILABLE, None),
])
def test_http_errors_are_classified(status, text, headers, reason, retry):
    error = kc.classify(status, text, headers)
    assert error.reason is reason and error.retry_after_s == retry


def test_an_error_inside_a_200_answer_is_raised_by_the_decoder():
    with pytest.raises(VenueError) as err:
        kc.decode_place(200, body("error_balance"))
    assert err.value.reason is RejectReason.BALANCE and err.value.code == "230003"


# -- listings -----------------------------------------------------------------------------------
def test_symbols_become_instruments_with_exact_rules():
    listing = MARKETS.decode_instruments([body("all_symbols_response")])
    [btc] = listing.instruments
    assert (btc.symbol, btc.venue_symbol, btc.status) == ("BTC/USDT", "BTC-USDT", "trading")
    assert btc.tick_size == ONE // 10 and btc.lot_size == ONE // 10**8 and btc.min_qty == ONE // 10**5
    assert btc.min_notional == ONE // 10 and listing.skipped == {}


def test_venue_asset_codes_are_canonical_and_disabled_symbols_halted():
    [doc] = EXAMPLES["all_symbols_response"]["data"]
    bsv = {**doc, "symbol": "BCHSV-USDT", "name": "BSV-USDT", "baseCurrency": "BCHSV", "enableTrading": False}
    nameless = {**doc, "symbol": "X-Y", "baseCurrency": ""}
    listing = MARKETS.decode_instruments([json.dumps({"code": "200000", "data": [bsv, nameless]})])
    [instrument] = listing.instruments
    assert (instrument.symbol, instrument.venue_symbol, instrument.status) == ("BSV/USDT", "BCHSV-USDT", "halted")
    assert listing.skipped == {"assets not named": 1}


def test_all_tickers_carry_best_prices_and_24h_volumes():
    [ticker] = MARKETS.decode_tickers(body("all_tickers_response"))
    assert ticker.venue_symbol == "BTC-USDT" and ticker.bid == from_decimal("67192.5") and ticker.ask == from_decimal("67192.6")
    assert ticker.last == 67193 * ONE and ticker.volume_base == from_decimal("1836.03034612")
    assert ticker.volume_quote == from_decimal("124068431.06726933")
    assert MARKETS.tickers(REST).url == f"{REST}/api/v1/market/allTickers"
    assert MARKETS.instruments(REST)[0].url == f"{REST}/api/v2/symbols"


def test_a_listing_answer_with_an_error_code_is_refused():
    with pytest.raises(ValueError):
        MARKETS.decode_instruments(['{"code":"500000","data":[]}'])


def test_the_spec_queries_and_cancels_by_client_oid():
    assert TRADING.cancel is kc.cancel and TRADING.query is kc.query and TRADING.decode_cancel is kc.decode_cancel
    assert TRADING.query_by_venue_id is None and TRADING.decode_found is None
