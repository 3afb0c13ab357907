"""MEXC's private API, end to end: arb's own port and requests against the MEXC simulator.

MEXC's order answer carries no fills, so every immediate-or-cancel order goes place → query →
trades (for the fees) through :class:`~arb.exec.live.LiveVenues`; the balances fetched
afterwards moved by exactly the fills and fees. A resting order is placed, queried, seen
locked, cancelled; an order that only partly fills ends ``PARTIALLY_CANCELED``; a 5xx is an
unknown state (MEXC: "could have been a success") that the port resolves by asking, never by
sending again; bad keys, signatures and timestamps get MEXC's own codes; every rejection class
comes back classified.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from urllib.parse import urlencode

import msgspec

from arb.core.numbers import ONE, from_decimal, to_plain
from arb.exec.port import BalancesFetched, Cancelled, Filled, PartiallyFilled, Rejected, Unknown
from arb.venues.base import Credentials, RestRequest
from arb.venues.mexc.signing import sign
from arb.venues.mexc.trading import signed
from arb.venues.trading import Balance, OrderStatus, RejectReason
from tests.venues.private_api import START, SYMBOL, arb_order, desk, through_port

VENUE = "mexc"


def run(coro):
    return asyncio.run(coro)


def top(d):
    book = d.server.book(SYMBOL)
    return from_decimal(book.best_bid()[0]), from_decimal(book.best_ask()[0])


def test_ioc_through_the_port_is_queried_its_fees_fetched_and_balances_move_exactly():
    async def go():
        async with desk(VENUE) as d:
            _, ask = top(d)
            events, port = await through_port(d, [arb_order(VENUE, "t1/buy", "buy", ONE // 100, ask + ask // 500)])
            return events, d.account.trades, port

    events, trades, port = run(go())
    [filled] = [e for e in events if isinstance(e, Filled)]
    [balances] = [e for e in events if isinstance(e, BalancesFetched)]
    quote, fee = sum(t.quote for t in trades), sum(t.fee for t in trades)
    assert (filled.qty, filled.quote, filled.fee, filled.fee_asset) == (ONE // 100, quote, fee, "BTC") and fee > 0
    assert balances.balances["USDT"].free == START["USDT"] - quote and balances.balances["USDT"].locked == 0
    assert balances.balances["BTC"].free == START["BTC"] + ONE // 100 - fee
    assert port.requests_sent == 4  # place, query (the answer names no state), trades (the fees), balances


def test_ioc_that_fills_partly_ends_partially_cancelled_with_the_fills_fees():
    async def go():
        async with desk(VENUE) as d:
            _, ask = top(d)
            events, _ = await through_port(d, [arb_order(VENUE, "t2/buy", "buy", ONE, ask)])
            return events, d.account.trades, d.account.orders

    events, trades, orders = run(go())
    [partial] = [e for e in events if isinstance(e, PartiallyFilled)]
    [cancelled] = [e for e in events if isinstance(e, Cancelled)]
    assert 0 < partial.qty < ONE and partial.qty == sum(t.qty for t in trades)
    assert (partial.quote, partial.fee) == (sum(t.quote for t in trades), sum(t.fee for t in trades))
    assert cancelled.reason == "cancelled: the rest of the order"
    [order] = orders.values()
    assert order.status is OrderStatus.CANCELLED and order.filled == partial.qty


def test_a_5xx_is_an_unknown_state_resolved_by_asking_never_by_sending_again():
    async def go():
        async with desk(VENUE) as d:
            _, ask = top(d)
            d.server.inject_private("unavailable")
            events, port = await through_port(d, [arb_order(VENUE, "t3/buy", "buy", ONE // 100, ask + ask // 500)])
            return events, d.account.orders, port

    events, orders, port = run(go())
    assert [type(e) for e in events if not isinstance(e, BalancesFetched)] == [Unknown, Rejected]
    [rejected] = [e for e in events if isinstance(e, Rejected)]
    assert rejected.reason_class is RejectReason.NOT_FOUND
    assert orders == {} and port.errors["unknown-state"] == 1


def test_resting_order_placed_queried_locked_and_cancelled():
    async def go():
        async with desk(VENUE) as d:
            bid, _ = top(d)
            spec, url, creds = d.spec, d.server.rest_url, d.credentials
            order = d.order(spec.client_id("t4/buy"), "buy", ONE // 100, bid - bid // 10, "gtc")
            placed = spec.decode_place(*(await d.perform(spec.place(url, creds, order, d.now_ms())))[:2])
            queried = spec.decode_order(*(await d.perform(spec.query(url, creds, order.client_id, order.venue_symbol, d.now_ms())))[:2])
            balances = spec.decode_balances(*(await d.perform(spec.balances(url, creds, d.now_ms())))[:2])
            locked = d.account.locked("USDT")
            cancelled = spec.decode_order(*(await d.perform(spec.cancel(url, creds, order.client_id, order.venue_symbol, d.now_ms())))[:2])
            again = await d.perform(spec.cancel(url, creds, order.client_id, order.venue_symbol, d.now_ms()))
            after = spec.decode_balances(*(await d.perform(spec.balances(url, creds, d.now_ms())))[:2])
            return order, placed, queried, balances, locked, cancelled, spec.classify(*again), after

    order, placed, queried, balances, locked, cancelled, again, after = run(go())
    assert placed.status is OrderStatus.NEW and placed.venue_order_id
    assert (queried.status, queried.client_id, queried.venue_order_id) == (OrderStatus.NEW, order.client_id, placed.venue_order_id)
    assert locked >= order.price * order.qty // ONE
    assert balances["USDT"] == Balance("USDT", START["USDT"] - locked, locked)
    assert (cancelled.status, cancelled.filled_qty, cancelled.reason) == (OrderStatus.CANCELLED, 0, "cancelled")
    assert (again.code, again.reason) == ("-2011", RejectReason.NOT_FOUND)
    assert after["USDT"].free == START["USDT"] and after["USDT"].locked == 0


def _recv_window_request(d, window_ms: int) -> RestRequest:
    query = urlencode({"recvWindow": str(window_ms), "timestamp": str(d.now_ms())})
    query += "&signature=" + sign(d.key.secret, query)
    return RestRequest("GET", f"{d.server.rest_url}/api/v3/account?{query}", headers={"X-MEXC-APIKEY": d.key.key})


def test_bad_key_signature_and_timestamps_get_mexcs_own_codes():
    async def go():
        async with desk(VENUE) as d:
            spec, url = d.spec, d.server.rest_url
            out = {}
            for label, creds, now_ms in (
                ("bad signature", Credentials(d.key.key, "not-the-secret"), d.now_ms()),
                ("unknown key", Credentials("nobody", d.key.secret), d.now_ms()),
                ("stale", d.credentials, d.now_ms() - 6_000),
                ("ahead", d.credentials, d.now_ms() + 2_000),
            ):
                out[label] = await d.perform(spec.balances(url, creds, now_ms))
            out["window too wide"] = await d.perform(_recv_window_request(d, 70_000))
            out["wide window, old request"] = await d.perform(_recv_window_request(d, 60_000))
            request = spec.balances(url, d.credentials, d.now_ms())
            out["no key"] = await d.perform(replace(request, headers={}))
            return {k: (s, msgspec.json.decode(b), spec.classify(s, b, h)) for k, (s, b, h) in out.items()}

    out = run(go())
    assert out["bad signature"][:2] == (400, {"code": 700002, "msg": "Signature for this request is not valid."})
    assert out["unknown key"][:2] == (400, {"code": 10072, "msg": "invalid access key"})
    assert out["stale"][:2] == out["ahead"][:2] == (400, {"code": 700003, "msg": "Timestamp for this request is outside of the recvWindow."})
    assert out["window too wide"][:2] == (400, {"code": 700005, "msg": "recvWindow must less than 60000"})
    assert out["wide window, old request"][0] == 200
    assert out["no key"][:2] == (400, {"code": 400, "msg": "api key required"})
    assert all(out[k][2].reason is RejectReason.AUTH for k in ("bad signature", "unknown key", "stale", "ahead", "window too wide"))


def test_every_rejection_class_through_the_simulator():
    async def go():
        async with desk(VENUE) as d:
            bid, _ = top(d)
            spec, url, creds = d.spec, d.server.rest_url, d.credentials
            inst = d.server.instruments.get(VENUE, SYMBOL)
            below = inst.round_price_down(bid - bid // 10)

            async def place(client_id, qty_text, price_text):
                order = replace(d.order(client_id, "buy", ONE // 100, below, "gtc"), qty_text=qty_text, price_text=price_text)
                return await d.perform(spec.place(url, creds, order, d.now_ms()))

            low = to_plain(below)
            out = {
                "balance": await place("b1", "50", low),
                "tick": await place("b2", "0.01", to_plain(below + inst.tick_size // 2)),
                "lot": await place("b3", to_plain(ONE // 100 + inst.lot_size // 2), low),
                "min notional": await place("b4", to_plain(inst.lot_size), low),
                "ok": await place("b5", "0.01", low),
                "duplicate": await place("b5", "0.01", low),
                "unknown": await d.perform(spec.query(url, creds, "never-placed", d.venue_symbol, d.now_ms())),
            }
            d.server.inject_private("unavailable")
            out["5xx"] = await place("b6", "0.01", low)
            d.server.inject_private("reject")
            out["reject"] = await place("b7", "0.01", low)
            d.server.protocol.private_budget = (1, 60.0)
            d.server.__dict__.pop("_private_limiters", None)
            await d.perform(spec.balances(url, creds, d.now_ms()))
            out["rate"] = await d.perform(spec.balances(url, creds, d.now_ms()))
            ok = out.pop("ok")
            return {k: (s, spec.classify(s, b, h)) for k, (s, b, h) in out.items()}, ok[0]

    out, ok = run(go())
    assert ok == 200
    assert {k: (s, e.code, e.reason) for k, (s, e) in out.items()} == {
        "balance": (400, "30004", RejectReason.BALANCE),
        "tick": (400, "400", RejectReason.PRICE),
        "lot": (400, "400", RejectReason.LOT),
        "min notional": (400, "30002", RejectReason.MIN_NOTIONAL),
        "duplicate": (400, "-2010", RejectReason.DUPLICATE),
        "unknown": (400, "-2013", RejectReason.NOT_FOUND),
        "5xx": (503, "503", RejectReason.UNKNOWN_STATE),
        "reject": (400, "33333", RejectReason.OTHER),
        "rate": (429, "429", RejectReason.RATE_LIMIT),
    }
    assert out["min notional"][1].message == "The minimum transaction volume cannot be less than:5USDT"
    assert out["rate"][1].retry_after_s is not None and out["rate"][1].retry_after_s >= 1


def test_listings_and_fee_rates_served_in_mexcs_format():
    from arb.venues.registry import markets

    async def go():
        async with desk(VENUE) as d:
            spec = markets(VENUE)
            [request] = spec.instruments(d.server.rest_url)
            listing = spec.decode_instruments([(await d.perform(request))[1]])
            tickers = spec.decode_tickers((await d.perform(spec.tickers(d.server.rest_url)))[1])
            fee = await d.perform(signed("GET", d.server.rest_url, "/api/v3/tradeFee", d.credentials, {"symbol": "BTCUSDT"}, d.now_ms()))
            async with d.http.get(d.server.rest_url + "/api/v1/contract/detail") as response:
                contracts = await response.text()
            return listing, tickers, list(d.server.instruments), top(d), fee, contracts, d.server.exchange

    listing, tickers, truth, (bid, ask), fee, contracts, exchange = run(go())
    assert sorted(listing.instruments, key=lambda i: i.symbol) == sorted((i for i in truth if i.venue == VENUE), key=lambda i: i.symbol)
    btc = next(t for t in tickers if t.venue_symbol == "BTCUSDT")
    assert (btc.bid, btc.ask) == (bid, ask) and btc.volume_quote > 0
    status, text, _ = fee
    assert status == 200
    assert f'"makerCommission":{to_plain(exchange.maker_fee)},"takerCommission":{to_plain(exchange.taker_fee)}' in text
    assert contracts == '{"success":true,"code":0,"data":[]}'


def test_a_request_held_back_by_the_rate_budget_is_signed_when_it_leaves():
    """MEXC refuses a timestamp more than ``recvWindow`` (5 s) old. The simulator's clock runs
    4 s ahead and the budget holds every request 1.5 s: signed when queued they would arrive
    5.5 s old and be refused (700003); signed as they leave they pass."""
    from arb.io.clock import SYSTEM_CLOCK
    from arb.io.ratelimit import RateBudget

    async def go():
        async with desk(VENUE) as d:
            _, ask = top(d)
            real = d.server.clock
            d.server.clock = lambda: real() + 4 * 10**9
            budget = RateBudget(250, 10.0, SYSTEM_CLOCK)
            budget.pause(1.5)
            events, port = await through_port(d, [arb_order(VENUE, "t5/buy", "buy", ONE // 100, ask + ask // 500)],
                                              budgets={VENUE: budget})
            return events, port, budget

    events, port, budget = run(go())
    assert [type(e) for e in events if isinstance(e, (Filled, Rejected))] == [Filled]
    assert port.errors == {} and budget.waited_s > 1
