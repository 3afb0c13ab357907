"""Gate's private API, end to end: arb's own port and requests against the Gate simulator.

An immediate-or-cancel buy through :class:`~arb.exec.live.LiveVenues` fills and the balances
fetched afterwards moved by exactly its fills and fee; a resting limit order is placed, queried
by client id and by Gate's id, seen locked in the balances, cancelled; Gate forgets client ids
of finished orders after a while (and unfilled orders altogether); bad keys, signatures and
stale timestamps are refused with Gate's own labels; every rejection class comes back
classified.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import msgspec
import pytest

from arb.core.numbers import ONE, from_decimal, to_plain
from arb.exec.port import Accepted, BalancesFetched, Filled
from arb.venues.base import Credentials, RestRequest
from arb.venues.trading import OrderStatus, RejectReason
from tests.venues.private_api import START, SYMBOL, arb_order, desk, through_port

VENUE = "gateio"


def run(coro):
    return asyncio.run(coro)


def top(d):
    book = d.server.book(SYMBOL)
    return from_decimal(book.best_bid()[0]), from_decimal(book.best_ask()[0])


def test_ioc_through_the_port_fills_and_balances_move_exactly():
    async def go():
        async with desk(VENUE) as d:
            _, ask = top(d)
            qty = ONE // 100
            events, port = await through_port(d, [arb_order(VENUE, "t1/buy", "buy", qty, ask + ask // 500)])
            return events, d.account.trades, port

    events, trades, port = run(go())
    accepted = [e for e in events if isinstance(e, Accepted)]
    [filled] = [e for e in events if isinstance(e, Filled)]
    [balances] = [e for e in events if isinstance(e, BalancesFetched)]
    quote = sum(t.quote for t in trades)
    fee = sum(t.fee for t in trades)
    assert accepted and accepted[0].venue_order_id == str(trades[0].order_id)
    assert (filled.qty, filled.quote, filled.fee, filled.fee_asset) == (ONE // 100, quote, fee, "BTC")
    assert fee > 0 and quote > 0
    assert balances.balances["USDT"].free == START["USDT"] - quote and balances.balances["USDT"].locked == 0
    assert balances.balances["BTC"].free == START["BTC"] + ONE // 100 - fee
    # Gate's place answer is final for an immediate-or-cancel order: no query was needed.
    assert port.requests_sent == 2


def test_resting_order_placed_queried_locked_and_cancelled():
    async def go():
        async with desk(VENUE) as d:
            bid, _ = top(d)
            spec = d.spec
            order = d.order(spec.client_id("t2/buy"), "buy", ONE // 100, bid - bid // 10, "gtc")
            status, body, _ = await d.perform(spec.place(d.server.rest_url, d.credentials, order, d.now_ms()))
            placed = spec.decode_place(status, body)
            by_text = spec.decode_order(*(await d.perform(spec.query(d.server.rest_url, d.credentials, order.client_id, order.venue_symbol, d.now_ms())))[:2])
            by_id = spec.decode_order(*(await d.perform(spec.query_by_venue_id(d.server.rest_url, d.credentials, placed.venue_order_id, order.venue_symbol, d.now_ms())))[:2])
            balances = spec.decode_balances(*(await d.perform(spec.balances(d.server.rest_url, d.credentials, d.now_ms())))[:2])
            locked = d.account.locked("USDT")
            cancelled = spec.decode_order(*(await d.perform(spec.cancel(d.server.rest_url, d.credentials, order.client_id, order.venue_symbol, d.now_ms())))[:2])
            after = spec.decode_balances(*(await d.perform(spec.balances(d.server.rest_url, d.credentials, d.now_ms())))[:2])
            return status, placed, by_text, by_id, balances, locked, cancelled, after, order

    status, placed, by_text, by_id, balances, locked, cancelled, after, order = run(go())
    assert status == 201 and placed.status is OrderStatus.NEW and placed.client_id == order.client_id
    assert by_text == by_id == placed
    # A buy locks price × qty plus room for its fee; the balances say exactly that.
    assert locked >= order.price * order.qty // ONE
    assert balances["USDT"].locked == locked and balances["USDT"].free == START["USDT"] - locked
    assert cancelled.status is OrderStatus.CANCELLED and cancelled.filled_qty == 0 and cancelled.reason == "cancelled"
    assert after["USDT"].free == START["USDT"] and after["USDT"].locked == 0


def test_client_ids_of_finished_orders_are_forgotten_unfilled_orders_altogether():
    async def go():
        async with desk(VENUE) as d:
            bid, ask = top(d)
            spec, url = d.spec, d.server.rest_url
            filled = d.order(spec.client_id("t3/buy"), "buy", ONE // 100, ask + ask // 500, "ioc")
            unfilled = d.order(spec.client_id("t4/buy"), "buy", ONE // 100, bid - bid // 10, "ioc")
            ids = {}
            for o in (filled, unfilled):
                ids[o.client_id] = spec.decode_place(*(await d.perform(spec.place(url, d.credentials, o, d.now_ms())))[:2]).venue_order_id
            real = d.server.clock
            answers = {}
            for label, shift_ns in (("2 min", 120 * 10**9), ("2 h", 7200 * 10**9)):
                d.server.clock = lambda real=real, shift_ns=shift_ns: real() + shift_ns
                for o in (filled, unfilled):
                    for by, request in (("text", spec.query(url, d.credentials, o.client_id, o.venue_symbol, d.now_ms())),
                                        ("id", spec.query_by_venue_id(url, d.credentials, ids[o.client_id], o.venue_symbol, d.now_ms()))):
                        status, body, headers = await d.perform(request)
                        answers[(label, o is filled, by)] = status if status == 200 else spec.classify(status, body, headers).code
            return answers

    answers = run(go())
    assert answers[("2 min", True, "text")] == 200 and answers[("2 min", True, "id")] == 200
    assert answers[("2 min", False, "text")] == "CLIENT_ID_NOT_FOUND" and answers[("2 min", False, "id")] == "ORDER_NOT_FOUND"
    assert answers[("2 h", True, "text")] == "CLIENT_ID_NOT_FOUND" and answers[("2 h", True, "id")] == 200


def test_bad_key_signature_and_stale_timestamp_get_gates_own_refusals():
    async def go():
        async with desk(VENUE) as d:
            spec, url = d.spec, d.server.rest_url
            out = {}
            for label, creds, now_ms in (
                ("bad signature", Credentials(d.key.key, "not-the-secret"), d.now_ms()),
                ("unknown key", Credentials("nobody", d.key.secret), d.now_ms()),
                ("stale", d.credentials, d.now_ms() - 120_000),
                ("ahead", d.credentials, d.now_ms() + 120_000),
            ):
                status, body, headers = await d.perform(spec.balances(url, creds, now_ms))
                out[label] = (status, msgspec.json.decode(body), spec.classify(status, body, headers))
            request = spec.balances(url, d.credentials, d.now_ms())
            status, body, _ = await d.perform(replace(request, headers={k: v for k, v in request.headers.items() if k != "SIGN"}))
            out["no signature"] = (status, msgspec.json.decode(body), None)
            return out

    out = run(go())
    assert out["bad signature"][:2] == (401, {"label": "INVALID_SIGNATURE", "message": "Signature mismatch"})
    assert out["unknown key"][:2] == (401, {"label": "INVALID_KEY", "message": "Invalid key provided"})
    assert out["stale"][0] == 401 and out["stale"][1]["label"] == "REQUEST_EXPIRED"
    assert out["ahead"][0] == 401 and out["ahead"][1]["label"] == "REQUEST_EXPIRED"
    assert out["no signature"][:2] == (401, {"label": "MISSING_REQUIRED_HEADER",
                                             "message": "Missing required header: KEY, Timestamp and SIGN"})
    assert all(out[k][2].reason is RejectReason.AUTH for k in ("bad signature", "unknown key", "stale", "ahead"))


def test_every_rejection_class_through_the_simulator():
    async def go():
        async with desk(VENUE) as d:
            bid, ask = top(d)
            spec, url, creds = d.spec, d.server.rest_url, d.credentials
            inst = d.server.instruments.get(VENUE, SYMBOL)
            lot, tick = inst.lot_size, inst.tick_size

            async def place(client_id, qty_text, price_text, side="buy", tif="gtc"):
                order = replace(d.order(client_id, side, ONE // 100, bid - bid // 10, tif), qty_text=qty_text, price_text=price_text)
                status, body, headers = await d.perform(spec.place(url, creds, order, d.now_ms()))
                return status, body, headers

            below = inst.round_price_down(bid - bid // 10)
            low = to_plain(below)
            out = {}
            out["balance"] = await place("t-b1", "50", low)
            out["tick"] = await place("t-b2", "0.01", to_plain(below + tick // 2))
            out["lot"] = await place("t-b3", to_plain(ONE // 100 + lot // 2), low)
            out["min notional"] = await place("t-b4", to_plain(lot), low)
            out["ok"] = await place("t-b5", "0.01", low)
            out["duplicate"] = await place("t-b5", "0.01", low)
            out["unknown"] = await d.perform(spec.cancel(url, creds, "t-neverplaced", d.venue_symbol, d.now_ms()))
            d.server.inject_private("unavailable")
            out["busy"] = await place("t-b6", "0.01", low)
            d.server.inject_private("reject")
            out["reject"] = await place("t-b7", "0.01", low)
            d.server.protocol.private_budget = (1, 60.0)  # the next key's window: one request a minute
            d.server.__dict__.pop("_private_limiters", None)
            await d.perform(spec.balances(url, creds, d.now_ms()))
            out["rate"] = await d.perform(spec.balances(url, creds, d.now_ms()))
            return {k: (s, b, spec.classify(s, b, h)) for k, (s, b, h) in out.items() if k != "ok"}, out["ok"][0]

    out, ok = run(go())
    assert ok == 201
    expected = {
        "balance": (400, "BALANCE_NOT_ENOUGH", RejectReason.BALANCE),
        "tick": (400, "INVALID_PRECISION", RejectReason.PRICE),
        "lot": (400, "INVALID_PRECISION", RejectReason.LOT),
        "min notional": (400, "INVALID_PARAM_VALUE", RejectReason.MIN_NOTIONAL),
        "duplicate": (400, "REPEATED_CREATION", RejectReason.DUPLICATE),
        "unknown": (404, "CLIENT_ID_NOT_FOUND", RejectReason.NOT_FOUND),
        "busy": (503, "TOO_BUSY", RejectReason.UNAVAILABLE),
        "reject": (400, "INVALID_PARAM_VALUE", RejectReason.OTHER),
        "rate": (429, "TOO_MANY_REQUESTS", RejectReason.RATE_LIMIT),
    }
    assert {k: (s, e.code, e.reason) for k, (s, b, e) in out.items()} == expected
    assert "The minimum is 5 USDT" in out["min notional"][2].message
    assert out["rate"][2].retry_after_s is not None and out["rate"][2].retry_after_s >= 1


def test_listings_served_in_gates_format_decode_to_the_simulators_instruments():
    from arb.venues.registry import markets

    async def go():
        async with desk(VENUE) as d:
            spec = markets(VENUE)
            [request] = spec.instruments(d.server.rest_url)
            listing = spec.decode_instruments([(await d.perform(request))[1]])
            tickers = spec.decode_tickers((await d.perform(spec.tickers(d.server.rest_url)))[1])
            return listing, tickers, list(d.server.instruments), top(d)

    listing, tickers, truth, (bid, ask) = run(go())
    assert sorted(listing.instruments, key=lambda i: i.symbol) == sorted((i for i in truth if i.venue == VENUE), key=lambda i: i.symbol)
    assert listing.skipped == {}
    btc = next(t for t in tickers if t.venue_symbol == "BTC_USDT")
    assert (btc.bid, btc.ask) == (bid, ask) and btc.volume_base > 0


@pytest.mark.parametrize("path", ["/api/v4/futures/usdt/contracts", "/api/v4/delivery/usdt/contracts",
                                  "/api/v4/options/underlyings", "/api/v4/margin/currency_pairs"])
def test_derivative_and_margin_listings_are_empty(path):
    async def go():
        async with desk(VENUE) as d:
            async with d.http.get(d.server.rest_url + path) as response:
                return response.status, await response.text()

    assert run(go()) == (200, "[]")


def test_market_orders_and_text_outside_gates_rules_are_refused():
    async def go():
        async with desk(VENUE) as d:
            bid, _ = top(d)
            spec, url, creds = d.spec, d.server.rest_url, d.credentials
            order = d.order("t-ok", "buy", ONE // 100, bid - bid // 10, "gtc")
            out = {}
            for label, client_id in (("long", "t-" + "a" * 29), ("no prefix", "abc"), ("bad char", "t-a/b")):
                out[label] = await d.perform(spec.place(url, creds, replace(order, client_id=client_id), d.now_ms()))
            request = spec.place(url, creds, order, d.now_ms())
            market = msgspec.json.encode({**msgspec.json.decode(request.body), "type": "market"}).decode()
            out["market"] = await d.perform(RestRequest("POST", request.url, headers=gate_headers(d, market), body=market))
            return {k: (s, msgspec.json.decode(b)["label"]) for k, (s, b, _) in out.items()}, d.account.orders

    out, orders = run(go())
    assert out == {k: (400, "INVALID_PARAM_VALUE") for k in ("long", "no prefix", "bad char", "market")}
    assert orders == {}


def gate_headers(d, body: str) -> dict[str, str]:
    from arb.venues.gateio.signing import auth_headers

    headers = auth_headers(d.key.key, d.key.secret, "POST", "/api/v4/spot/orders", "", body, d.now_ms() // 1000)
    return {**headers, "Content-Type": "application/json"}
