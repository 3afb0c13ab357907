"""Coinbase Advanced Trade trading requests and listings against the venue's official examples
(samples/venues/coinbase/trading_examples.json): every builder (URL, body, ES256 JWT checked
with the key's public key), every decoder, every error code's class."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from arb.core.numbers import ONE, from_decimal
from arb.venues.base import Credentials
from arb.venues.coinbase import MARKETS, TRADING
from arb.venues.coinbase import trading as cb
from arb.venues.trading import OrderRequest, OrderStatus, RejectReason, VenueError
from tests import samples

EXAMPLES = {e["name"]: e["msg"] for e in json.loads((samples.VENUES / "coinbase" / "trading_examples.json").read_text())["examples"]}
REST = "https://api.coinbase.com"
NOW_MS = 1_717_000_000_123
KEY_NAME = "organizations/0b7a5e2c-1111-4222-8333-444455556666/apiKeys/7d1f0c3e-aaaa-4bbb-8ccc-ddddeeeeffff"
_PRIVATE = ec.derive_private_key(0xC0FFEE, ec.SECP256R1())
PEM = _PRIVATE.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()
CREDS = Credentials(KEY_NAME, PEM)


def body(name: str) -> str:
    return json.dumps(EXAMPLES[name])


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_of(request) -> tuple[dict, dict]:
    """The JWT's header and claims, after checking its ES256 signature with the key's public key."""
    scheme, _, token = request.headers["Authorization"].partition(" ")
    assert scheme == "Bearer"
    head, claims, sig = token.split(".")
    raw = _b64(sig)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    _PRIVATE.public_key().verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    return json.loads(_b64(head)), json.loads(_b64(claims))


def ioc(tif: str = "ioc") -> OrderRequest:
    return OrderRequest(cb.client_id("o-1"), "BTC/USD", "BTC-USD", "buy", ONE // 1000, 10_000 * ONE, "0.001", "10000", tif)


# -- builders -----------------------------------------------------------------------------------
def test_client_id_is_a_deterministic_uuid_per_order():
    a, b = cb.client_id("o-1"), cb.client_id("o-2")
    assert a == cb.client_id("o-1") and a != b
    assert str(uuid.UUID(a)) == a and uuid.UUID(a).version == 5


def test_place_ioc_is_a_limit_sor_ioc_order_signed_with_an_es256_jwt_naming_the_request():
    # Act
    request = cb.place(REST, CREDS, ioc(), NOW_MS)
    # Assert
    assert request.method == "POST" and request.url == f"{REST}/api/v3/brokerage/orders"
    sent = json.loads(request.body)
    doc = EXAMPLES["create_order_request"]
    assert set(sent) == set(doc) and sent["side"] == doc["side"] and sent["product_id"] == doc["product_id"]
    assert sent["order_configuration"] == {"sor_limit_ioc": {"base_size": "0.001", "limit_price": "10000"}}
    assert sent["client_order_id"] == cb.client_id("o-1")
    header, claims = jwt_of(request)
    assert header["alg"] == "ES256" and header["kid"] == KEY_NAME and len(header["nonce"]) == 32
    assert claims == {"iss": "cdp", "sub": KEY_NAME, "nbf": NOW_MS // 1000, "exp": NOW_MS // 1000 + 120,
                      "uri": "POST api.coinbase.com/api/v3/brokerage/orders"}


def test_place_gtc_rests_as_limit_limit_gtc_and_other_tifs_are_refused():
    sent = json.loads(cb.place(REST, CREDS, ioc("gtc"), NOW_MS).body)
    assert sent["order_configuration"] == {"limit_limit_gtc": {"base_size": "0.001", "limit_price": "10000", "post_only": False}}
    with pytest.raises(ValueError):
        cb.place(REST, CREDS, ioc("fok"), NOW_MS)


def test_a_pem_kept_with_escaped_newlines_signs_the_same_key():
    escaped = Credentials(KEY_NAME, PEM.replace("\n", "\\n"))
    jwt_of(cb.balances(REST, escaped, NOW_MS))  # verifies with the same public key


@pytest.mark.parametrize("build, method, path, query, sent", [
    (lambda: cb.query(REST, CREDS, "c-1", "BTC-USD", NOW_MS), "GET", "/api/v3/brokerage/orders/historical/batch",
     "product_ids=BTC-USD&limit=1000", None),
    (lambda: cb.query_by_venue_id(REST, CREDS, "0000-000000-000000", "BTC-USD", NOW_MS), "GET",
     "/api/v3/brokerage/orders/historical/0000-000000-000000", "", None),
    (lambda: cb.cancel_by_id(REST, CREDS, "0000-00000", "BTC-USD", NOW_MS), "POST", "/api/v3/brokerage/orders/batch_cancel", "",
     {"order_ids": ["0000-00000"]}),
    (lambda: cb.balances(REST, CREDS, NOW_MS), "GET", "/api/v3/brokerage/accounts", "limit=250", None),
    (lambda: cb.fee_rates(REST, CREDS, NOW_MS), "GET", "/api/v3/brokerage/transaction_summary", "", None),
])
def test_every_request_is_signed_for_its_method_and_path_without_the_query(build, method, path, query, sent):
    request = build()
    assert request.method == method and request.url == REST + path + (f"?{query}" if query else "")
    assert (json.loads(request.body) if request.body else None) == sent
    assert jwt_of(request)[1]["uri"] == f"{method} api.coinbase.com{path}"


def test_a_simulator_url_is_named_in_the_uri_claim_with_its_host():
    request = cb.balances("http://127.0.0.1:8123", CREDS, NOW_MS)
    assert jwt_of(request)[1]["uri"] == "GET 127.0.0.1:8123/api/v3/brokerage/accounts"


def test_the_spec_addresses_orders_by_the_venues_own_id():
    assert TRADING.cancel is None and TRADING.cancel_by_id is cb.cancel_by_id and TRADING.query_by_venue_id is cb.query_by_venue_id
    assert TRADING.decode_found is cb.decode_found and TRADING.decode_cancel is cb.decode_cancel


# -- decoders -----------------------------------------------------------------------------------
def test_create_order_answer_names_the_order_and_nothing_of_its_fills():
    state = cb.decode_place(200, body("create_order_response"))
    assert state.venue_order_id == "11111-00000-000000" and state.client_id == "0000-00000-000000"
    assert state.status is OrderStatus.NEW and state.filled_qty == 0 and state.fee_known


def test_a_refused_create_order_raises_its_classified_reason():
    with pytest.raises(VenueError) as err:
        cb.decode_place(200, body("create_order_failure"))
    assert err.value.code == "PREVIEW_STOP_PRICE_ABOVE_LAST_TRADE_PRICE" and err.value.reason is RejectReason.OTHER


def test_get_order_example_decodes_cumulative_fills_and_fees_in_the_quote():
    state = cb.decode_order(200, body("get_order_response"))
    assert state.venue_order_id == "0000-000000-000000" and state.client_id == "11111-000000-000000"
    assert state.status is OrderStatus.PARTIALLY_FILLED  # OPEN with something filled
    assert (state.filled_qty, state.quote, state.fee, state.fee_asset) == (ONE // 1000, 10_000 * ONE, 5 * ONE, "USD")


@pytest.mark.parametrize("status, expected", [
    ("OPEN", OrderStatus.NEW), ("PENDING", OrderStatus.NEW), ("QUEUED", OrderStatus.NEW), ("CANCEL_QUEUED", OrderStatus.NEW),
    ("FILLED", OrderStatus.FILLED), ("CANCELLED", OrderStatus.CANCELLED), ("EXPIRED", OrderStatus.CANCELLED),
    ("FAILED", OrderStatus.REJECTED),
])
def test_every_order_status_maps_to_arbs(status, expected):
    answer = json.loads(body("get_order_response"))
    answer["order"].update(status=status, filled_size="0", filled_value="0", total_fees="0")
    assert cb.decode_order(200, json.dumps(answer)).status is expected


def test_an_unknown_order_status_is_an_unknown_state_not_a_guess():
    answer = json.loads(body("get_order_response"))
    answer["order"]["status"] = "UNKNOWN_ORDER_STATUS"
    with pytest.raises(VenueError) as err:
        cb.decode_order(200, json.dumps(answer))
    assert err.value.reason is RejectReason.UNKNOWN_STATE


def test_find_picks_the_order_with_our_client_id_from_the_list():
    state = cb.decode_found(200, body("list_orders_response"), "11111-000000-000002")
    assert state.venue_order_id == "0000-000000-000002" and state.status is OrderStatus.FILLED
    assert (state.filled_qty, state.quote, state.fee, state.fee_asset) == (
        from_decimal("0.0325"), 100 * ONE, ONE // 2, "USD")


def test_find_says_not_found_only_when_the_list_was_complete():
    with pytest.raises(VenueError) as err:
        cb.decode_found(200, body("list_orders_response"), "no-such-id")
    assert err.value.reason is RejectReason.NOT_FOUND
    cut = {**EXAMPLES["list_orders_response"], "has_next": True, "cursor": "2"}
    with pytest.raises(VenueError) as err:
        cb.decode_found(200, json.dumps(cut), "no-such-id")
    assert err.value.reason is RejectReason.UNKNOWN_STATE


def test_cancel_answers_are_read_and_refusals_classified():
    cb.decode_cancel(200, body("cancel_orders_response"))
    for failure, reason in (("UNKNOWN_CANCEL_ORDER", RejectReason.NOT_FOUND), ("ORDER_IS_FULLY_FILLED", RejectReason.NOT_FOUND),
                            ("INVALID_CANCEL_REQUEST", RejectReason.OTHER)):
        refused = {"results": [{"success": False, "failure_reason": failure, "order_id": "0000-00000"}]}
        with pytest.raises(VenueError) as err:
            cb.decode_cancel(200, json.dumps(refused))
        assert err.value.reason is reason and err.value.code == failure


def test_balances_are_available_and_held_per_asset_exactly():
    balances = cb.decode_balances(200, body("accounts_response_complete"))
    assert balances["BTC"].free == from_decimal("1.23456789") and balances["BTC"].locked == from_decimal("0.005")
    assert balances["USD"].free == from_decimal("10000.50") and balances["USD"].locked == 450 * ONE


def test_a_page_of_more_accounts_is_refused_rather_than_understated():
    with pytest.raises(VenueError) as err:
        cb.decode_balances(200, body("list_accounts_response"))  # the docs' example: has_next true
    assert err.value.code == "has_next"


def test_fee_tier_rates():
    assert cb.decode_fee_rates(200, body("transaction_summary_response")) == {"*": (from_decimal("0.004"), from_decimal("0.006"))}


def test_unreadable_answers_are_unknown_state():
    for decode in (cb.decode_place, cb.decode_order, cb.decode_balances, cb.decode_fee_rates, cb.decode_cancel):
        with pytest.raises(VenueError) as err:
            decode(200, "<html>")
        assert err.value.reason is RejectReason.UNKNOWN_STATE


# -- errors -------------------------------------------------------------------------------------
def _failure(error: str = "UNKNOWN_FAILURE_REASON", preview: str = "UNKNOWN_PREVIEW_FAILURE_REASON") -> str:
    return json.dumps({"success": False, "failure_reason": "UNKNOWN_FAILURE_REASON", "order_id": "",
                       "error_response": {"error": error, "message": "m", "error_details": "", "preview_failure_reason": preview,
                                          "new_order_failure_reason": error}})


@pytest.mark.parametrize("code, reason", sorted(cb._FAILURES.items()))
def test_every_failure_code_is_classified_once(code, reason):
    assert cb.classify(200, _failure(error=code), {}).reason is reason
    assert cb.classify(200, _failure(preview=code), {}).reason is reason


def test_the_preview_reason_is_the_more_specific_one():
    error = cb.classify(200, _failure(error="UNKNOWN_FAILURE_REASON", preview="PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL"), {})
    assert error.reason is RejectReason.MIN_NOTIONAL and error.code == "PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL"
    assert cb.classify(200, _failure(), {}).reason is RejectReason.OTHER


@pytest.mark.parametrize("status, text, headers, reason, retry", [
    (401, "Unauthorized\n", {}, RejectReason.AUTH, None),
    (403, '{"error":"PERMISSION_DENIED","message":"Missing required scopes"}', {}, RejectReason.AUTH, None),
    (429, '{"error":"RATE_LIMIT_EXCEEDED","message":"Too many requests"}', {"Retry-After": "2"}, RejectReason.RATE_LIMIT, 2.0),
    (500, '{"error":"INTERNAL","message":"internal error"}', {}, RejectReason.UNAVAILABLE, None),
    (503, "Service Unavailable", {"retry-after": "1"}, RejectReason.UNAVAILABLE, 1.0),
    (404, '{"error":"NOT_FOUND","error_details":"order with this orderID was not found","message":"order with this orderID was not found"}',
     {}, RejectReason.NOT_FOUND, None),
    (400, '{"error":"INVALID_ARGUMENT","error_details":"bad product","message":"bad product"}', {}, RejectReason.OTHER, None),
])
def test_http_errors_are_classified_by_status_and_error(status, text, headers, reason, retry):
    error = cb.classify(status, text, headers)
    assert error.reason is reason and error.retry_after_s == retry


# -- listings -----------------------------------------------------------------------------------
def test_products_become_instruments_with_exact_rules_and_canonical_symbols():
    listing = MARKETS.decode_instruments([body("public_products_response")])
    btc_usd, btc_usdc = listing.instruments
    assert (btc_usd.symbol, btc_usd.venue_symbol, btc_usdc.symbol) == ("BTC/USD", "BTC-USD", "BTC/USDC")
    assert btc_usd.tick_size == ONE // 100 and btc_usd.lot_size == ONE // 10**8 and btc_usd.min_qty == ONE // 10**8
    assert btc_usd.min_notional == ONE and btc_usd.status == "trading" and listing.skipped == {}


def test_futures_are_skipped_and_counted():
    listing = MARKETS.decode_instruments([body("products_futures_spot_mix")])
    assert [i.venue_symbol for i in listing.instruments] == ["BTC-USD"] and listing.skipped == {"not spot": 1}


@pytest.mark.parametrize("flags, status", [
    ({}, "trading"), ({"limit_only": True}, "trading"), ({"trading_disabled": True}, "halted"), ({"cancel_only": True}, "halted"),
    ({"post_only": True}, "halted"), ({"view_only": True}, "halted"), ({"status": "offline"}, "halted"),
    ({"status": "delisted"}, "delisted"), ({"is_disabled": True}, "delisted"),
])
def test_product_flags_give_the_instrument_status(flags, status):
    product = {**EXAMPLES["public_products_response"]["products"][0], **flags}
    [instrument] = MARKETS.decode_instruments([json.dumps({"products": [product]})]).instruments
    assert instrument.status == status


def test_tickers_carry_the_24h_figures_and_zero_where_the_venue_is_silent():
    ticker = MARKETS.decode_tickers(body("public_products_response"))[0]
    assert ticker.venue_symbol == "BTC-USD" and ticker.last == from_decimal("68925.98")
    assert ticker.volume_base == from_decimal("11005.02587005") and ticker.volume_quote == from_decimal("758532193.02")
    assert ticker.bid == 0 and ticker.ask == 0  # best_bid_price "" on the public endpoint
    assert MARKETS.tickers(REST).url == MARKETS.instruments(REST)[0].url == f"{REST}/api/v3/brokerage/market/products"
