"""Kraken trading requests and listings: builders signed the venue's way (the published
``API-Sign`` vector), decoders of the official examples (samples/venues/kraken/
trading_examples.jsonl), every error string's class, asset ids. The round trip through arb's
live port against the simulator is tests/venues/test_okx_kraken_live.py."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from urllib.parse import parse_qs

import pytest

from arb.core.numbers import ONE, from_decimal
from arb.exec.live import LiveVenues, VenueAccount
from arb.exec.port import FetchBalances
from arb.core.instruments import Instruments
from arb.venues.base import Credentials
from arb.venues.kraken import MARKETS, TRADING
from arb.venues.kraken import assets
from arb.venues.kraken import trading as kraken
from arb.venues.kraken.signing import sign
from arb.venues.trading import OrderRequest, OrderStatus, RejectReason, VenueError
from tests.samples import VENUES, examples

EX = {e["name"]: e["msg"] for e in examples("kraken", "trading_examples.jsonl")}
VECTOR = json.loads((VENUES / "kraken" / "signing_test_vectors.json").read_text())
CREDS = Credentials("key-1", VECTOR["private_key"])
URL = "https://api.kraken.com"
NOW_MS = 1616492376594


def body(name: str) -> str:
    return json.dumps(EX[name])


def fixed(text: str) -> int:
    return from_decimal(Decimal(text))


def form(text: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}


# -- builders -------------------------------------------------------------------------------
def test_the_published_signature_vector():
    assert sign(VECTOR["private_key"], VECTOR["uri_path"], VECTOR["nonce"], VECTOR["post_data"]) == VECTOR["api_sign"]


def test_place_sends_the_docs_fields_form_encoded_and_signed():
    doc = EX["add_order_request"]
    order = OrderRequest(doc["cl_ord_id"], "BTC/USD", doc["pair"], doc["type"], fixed(doc["volume"]), fixed(doc["price"]),
                         doc["volume"], doc["price"], tif="gtc")
    request = kraken.place(URL, CREDS, order, NOW_MS)
    assert (request.method, request.url) == ("POST", URL + "/0/private/AddOrder")
    params = form(request.body)
    assert {k: params[k] for k in ("ordertype", "type", "volume", "pair", "price", "cl_ord_id")} == {
        k: v for k, v in doc.items() if k != "nonce"}
    assert params["nonce"] == str(NOW_MS) and request.body.startswith(f"nonce={NOW_MS}&")
    assert params["timeinforce"] == "GTC" and params["oflags"] == "fciq"  # fees in the quote: what arb accounts in
    assert request.headers["API-Key"] == "key-1"
    assert request.headers["API-Sign"] == sign(VECTOR["private_key"], "/0/private/AddOrder", NOW_MS, request.body)
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form(kraken.place(URL, CREDS, OrderRequest("c", "BTC/USD", "XBTUSD", "sell", 1, 1, "1", "1"), NOW_MS).body)["timeinforce"] == "IOC"


@pytest.mark.parametrize(("build", "path", "params"), [
    (lambda: kraken.cancel(URL, CREDS, "cid", "XBTUSD", NOW_MS), "/0/private/CancelOrder", {"cl_ord_id": "cid"}),
    (lambda: kraken.query(URL, CREDS, "cid", "XBTUSD", NOW_MS), "/0/private/OpenOrders", {"cl_ord_id": "cid"}),
    (lambda: kraken.query_done(URL, CREDS, "cid", "XBTUSD", NOW_MS), "/0/private/ClosedOrders", {"cl_ord_id": "cid"}),
    (lambda: kraken.query_by_venue_id(URL, CREDS, "OUF4EM-FRGI2-MQMWZD", "XBTUSD", NOW_MS), "/0/private/QueryOrders",
     {"txid": "OUF4EM-FRGI2-MQMWZD"}),
    (lambda: kraken.balances(URL, CREDS, NOW_MS), "/0/private/BalanceEx", {}),
    (lambda: kraken.fee_rates(URL, CREDS, NOW_MS), "/0/private/TradeVolume", {"pair": "XBTUSD"}),
])
def test_every_request_is_a_signed_post_with_a_nonce(build, path, params):
    request = build()
    assert (request.method, request.url) == ("POST", URL + path)
    assert form(request.body) == {"nonce": str(NOW_MS), **params}
    assert request.headers["API-Sign"] == sign(VECTOR["private_key"], path, NOW_MS, request.body)


def test_placing_and_cancelling_do_not_count_against_the_rest_counter():
    order = OrderRequest("c", "BTC/USD", "XBTUSD", "buy", 1, 1, "1", "1")
    assert kraken.place(URL, CREDS, order, NOW_MS).weight == kraken.cancel(URL, CREDS, "c", "XBTUSD", NOW_MS).weight == 0
    assert kraken.balances(URL, CREDS, NOW_MS).weight == 1


def test_client_id_is_a_deterministic_uuid():
    ids = {kraken.client_id(f"trade-{n}/buy") for n in range(200)}
    assert len(ids) == 200
    for cid in ids:
        assert uuid.UUID(cid).version == 4 and str(uuid.UUID(cid)) == cid
    assert kraken.client_id("t/buy") == kraken.client_id("t/buy")


def test_the_port_signs_a_venues_requests_at_strictly_increasing_ms():
    """Kraken refuses a repeated nonce: two requests due at the same ms must not share one."""
    port = LiveVenues({"kraken": VenueAccount(TRADING, CREDS, URL)}, Instruments())
    port.submit([FetchBalances(("kraken",), "a"), FetchBalances(("kraken",), "b")], NOW_MS * 1_000_000)
    first, second = port.take_requests(NOW_MS * 1_000_000)
    nonces = [int(form(out.request.body)["nonce"]) for out in (first, second)]
    assert nonces == [NOW_MS, NOW_MS + 1]
    port.submit([FetchBalances(("kraken",), "c")], NOW_MS * 1_000_000)
    [third] = port.take_requests(NOW_MS * 1_000_000)
    assert int(form(third.request.body)["nonce"]) == NOW_MS + 2


# -- decoders of the official examples ---------------------------------------------------------------
def test_doc_add_order_answer_gives_the_txid():
    state = TRADING.decode_place(200, body("add_order_response"))
    assert (state.venue_order_id, state.status, state.filled_qty) == ("OUF4EM-FRGI2-MQMWZD", OrderStatus.NEW, 0)


def test_a_validate_only_answer_without_txid_is_not_an_order():
    with pytest.raises(VenueError) as err:
        TRADING.decode_place(200, json.dumps({"error": [], "result": {"descr": {"order": "buy 1 XBTUSD @ limit 1"}}}))
    assert err.value.reason is RejectReason.UNKNOWN_STATE


def test_doc_query_orders_answer_gives_the_latest_order_exactly():
    state = TRADING.decode_order(200, body("query_orders_response"))
    assert (state.venue_order_id, state.status) == ("OBCMZD-JIEE7-77TH3F", OrderStatus.FILLED)
    assert (state.filled_qty, state.quote, state.fee) == (fixed("1.25"), fixed("27526.2"), fixed("26.2"))
    assert state.fee_asset == "" and state.fee_known  # fciq: the fee is in the quote asset


def test_doc_open_orders_answer_is_partly_filled():
    state = TRADING.decode_order(200, body("open_orders_response"))
    assert (state.venue_order_id, state.status) == ("OQCLML-BW3P3-BUCMWZ", OrderStatus.PARTIALLY_FILLED)
    assert (state.filled_qty, state.quote) == (fixed("0.375"), fixed("11253.7"))


def test_doc_closed_orders_answer_is_cancelled_with_the_venues_reason():
    state = TRADING.decode_order(200, body("closed_orders_response"))
    assert state.status is OrderStatus.CANCELLED and state.filled_qty == 0 and state.reason == "User requested"


@pytest.mark.parametrize(("status", "vol_exec", "expected"), [
    ("pending", "0", OrderStatus.NEW), ("open", "0", OrderStatus.NEW), ("open", "0.5", OrderStatus.PARTIALLY_FILLED),
    ("closed", "1.25", OrderStatus.FILLED), ("closed", "0.5", OrderStatus.CANCELLED), ("canceled", "0.5", OrderStatus.CANCELLED),
    ("expired", "0", OrderStatus.CANCELLED),
])
def test_every_order_status(status, vol_exec, expected):
    answer = {"error": [], "result": {"O1": {"status": status, "vol": "1.25", "vol_exec": vol_exec, "cost": "0", "fee": "0",
                                             "opentm": 1, "oflags": "fciq"}}}
    assert TRADING.decode_order(200, json.dumps(answer)).status is expected


def test_no_order_in_the_answer_is_not_found():
    for empty in ({"open": {}}, {"closed": {}, "count": 0}):
        with pytest.raises(VenueError) as err:
            TRADING.decode_order(200, json.dumps({"error": [], "result": empty}))
        assert err.value.reason is RejectReason.NOT_FOUND


def test_a_fee_taken_in_the_base_asset_is_refused_not_guessed():
    answer = {"error": [], "result": {"O1": {"status": "closed", "vol": "1", "vol_exec": "1", "cost": "5", "fee": "0.1",
                                             "opentm": 1, "oflags": "fcib"}}}
    with pytest.raises(VenueError) as err:
        TRADING.decode_order(200, json.dumps(answer))
    assert err.value.reason is RejectReason.UNKNOWN_STATE


def test_doc_cancel_answer_is_accepted_and_nothing_cancelled_is_not_found():
    assert TRADING.decode_cancel(200, body("cancel_order_response")) is None
    with pytest.raises(VenueError) as err:
        TRADING.decode_cancel(200, json.dumps({"error": [], "result": {"count": 0}}))
    assert err.value.reason is RejectReason.NOT_FOUND


def test_doc_balance_ex_numbers_are_read_exactly():
    """The docs print JSON numbers here: read as their text, never through float."""
    balances = TRADING.decode_balances(200, body("balance_ex_response"))
    assert set(balances) == {"USD", "BTC"}
    assert (balances["USD"].free, balances["USD"].locked) == (fixed("25435.21") - fixed("8249.76"), fixed("8249.76"))
    assert (balances["BTC"].free, balances["BTC"].locked) == (fixed("0.4012"), fixed("0.8423"))


def test_balance_variants_and_credit():
    answer = {"error": [], "result": {"USDT": {"balance": "100.5", "hold_trade": "0.5", "credit": "10", "credit_used": "2"},
                                      "USDT.F": {"balance": "7"}, "ETH2.S": {"balance": "1"}, "XXDG": {"balance": "3"}}}
    balances = TRADING.decode_balances(200, json.dumps(answer))
    assert set(balances) == {"USDT", "DOGE"}
    assert balances["USDT"].free == fixed("108") and balances["USDT"].locked == fixed("0.5")


def test_doc_trade_volume_gives_percent_fees_as_rates():
    assert TRADING.decode_fee_rates(200, body("trade_volume_response")) == {
        "XXBTZUSD": (0, fixed("0.001")), "*": (0, fixed("0.001"))}


def test_doc_asset_pairs_decode_to_canonical_instruments():
    listing = MARKETS.decode_instruments([body("asset_pairs_response")])
    by_symbol = {i.symbol: i for i in listing.instruments}
    assert set(by_symbol) == {"ETH/BTC", "BTC/USD"}
    eth, btc = by_symbol["ETH/BTC"], by_symbol["BTC/USD"]
    assert (eth.venue_symbol, eth.tick_size, eth.lot_size, eth.min_qty, eth.min_notional) == (
        "XETHXXBT", fixed("0.00001"), fixed("0.00000001"), fixed("0.01"), fixed("0.00002"))
    assert (btc.venue_symbol, btc.tick_size, btc.min_qty, btc.min_notional, btc.status) == (
        "XXBTZUSD", fixed("0.1"), fixed("0.0001"), fixed("0.5"), "trading")
    assert MARKETS.instruments(URL)[0].url == URL + "/0/public/AssetPairs"


def test_asset_pairs_status_and_dark_pools():
    pair = EX["asset_pairs_response"]["result"]["XXBTZUSD"]
    old = {k: v for k, v in pair.items() if k != "tick_size"}
    result = {"XXBTZUSD": {**pair, "status": "cancel_only"}, "XBTUSD.d": pair, "XETHZUSD": {**old, "base": "XETH"},
              "XDGUSDT": {**pair, "base": "XXDG", "quote": "USDT", "status": "delisted"}}
    listing = MARKETS.decode_instruments([json.dumps({"error": [], "result": result})])
    assert {(i.symbol, i.status) for i in listing.instruments} == {
        ("BTC/USD", "halted"), ("ETH/USD", "trading"), ("DOGE/USDT", "delisted")}
    assert listing.skipped == {"dark pool": 1}
    assert {i.symbol: i.tick_size for i in listing.instruments}["ETH/USD"] == fixed("0.1")  # 10**-pair_decimals


def test_doc_ticker_decodes_the_24h_figures():
    [t] = MARKETS.decode_tickers(body("ticker_response"))
    assert (t.venue_symbol, t.bid, t.ask, t.last) == ("XXBTZUSD", fixed("30300"), fixed("30300.1"), fixed("30303.2"))
    assert t.volume_base == fixed("4412.73601799")
    assert t.volume_quote == fixed("30689.13205") * fixed("4412.73601799") // ONE
    assert MARKETS.tickers(URL).url == URL + "/0/public/Ticker"


# -- errors -----------------------------------------------------------------------------------
def test_doc_errors_raise_their_class_from_a_200_answer():
    with pytest.raises(VenueError) as err:
        TRADING.decode_place(200, body("error_insufficient_funds"))
    assert (err.value.reason, err.value.code) == (RejectReason.BALANCE, "EOrder:Insufficient funds")
    with pytest.raises(VenueError) as err:
        TRADING.decode_balances(200, body("error_invalid_nonce"))
    assert err.value.reason is RejectReason.AUTH


@pytest.mark.parametrize(("error", "reason"), sorted(kraken.ERRORS.items()))
def test_every_error_string_is_classified_once(error, reason):
    found = TRADING.classify(200, json.dumps({"error": [error]}), {})
    assert (found.reason, found.code, found.venue) == (reason, error, "kraken")


@pytest.mark.parametrize(("error", "reason"), [
    ("EOrder:Invalid price:Invalid price argument", RejectReason.PRICE),
    ("EGeneral:Invalid arguments:cl_ord_id", RejectReason.OTHER),
    ("EGeneral:Invalid arguments:volume", RejectReason.LOT),
    ("EService:Something new", RejectReason.UNAVAILABLE),
    ("EFunding:Unknown asset", RejectReason.OTHER),
])
def test_longer_errors_classify_by_their_longest_known_prefix(error, reason):
    assert kraken.reason_of(error) is reason


def test_warnings_are_not_errors():
    answer = {"error": ["WGeneral:Deprecated"], "result": {"count": 1}}
    assert TRADING.decode_cancel(200, json.dumps(answer)) is None


@pytest.mark.parametrize(("status", "reason"), [
    (429, RejectReason.RATE_LIMIT), (403, RejectReason.AUTH), (502, RejectReason.UNAVAILABLE), (522, RejectReason.UNAVAILABLE),
    (504, RejectReason.UNKNOWN_STATE), (520, RejectReason.UNKNOWN_STATE), (524, RejectReason.UNKNOWN_STATE),
])
def test_failures_before_kraken_classify_by_status(status, reason):
    """Cloudflare's answers: a timeout after the request reached Kraken may have placed the order."""
    assert TRADING.classify(status, "<html>cloudflare</html>", {}).reason is reason


def test_an_unreadable_answer_is_an_unknown_state_not_a_guess():
    for decode in (TRADING.decode_place, TRADING.decode_order, TRADING.decode_balances, TRADING.decode_cancel):
        with pytest.raises(VenueError) as err:
            decode(200, "{not json")
        assert err.value.reason is RejectReason.UNKNOWN_STATE


# -- asset ids --------------------------------------------------------------------------------
@pytest.mark.parametrize(("asset_id", "code"), [
    ("XXBT", "BTC"), ("XXDG", "DOGE"), ("ZUSD", "USD"), ("XETH", "ETH"), ("USDT", "USDT"), ("SOL", "SOL"), ("ZEUS", "ZEUS"),
])
def test_asset_ids_map_to_canonical_codes_and_back(asset_id, code):
    assert assets.asset_code(asset_id) == code and assets.asset_id(code) == asset_id


def test_no_credential_survives_the_shells_log_masking():
    from arb.io.trading import masked

    order = OrderRequest("c", "BTC/USD", "XBTUSD", "buy", 1, 1, "1", "1")
    for request in (kraken.place(URL, CREDS, order, NOW_MS), kraken.cancel(URL, CREDS, "c", "XBTUSD", NOW_MS),
                    kraken.query(URL, CREDS, "c", "XBTUSD", NOW_MS), kraken.balances(URL, CREDS, NOW_MS)):
        text = masked(request)
        for secret in (CREDS.key, CREDS.secret, request.headers["API-Sign"]):
            assert secret not in text
