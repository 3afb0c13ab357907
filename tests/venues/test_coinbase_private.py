"""Coinbase Advanced Trade end to end: arb's own live port (LiveVenues + TradingShell) and its
signed requests against the simulator's private API — an IOC that fills with exact amounts, a
GTC that rests, is found by client id and cancelled, a cancel asked for before the venue named
the order, a timed-out place found afterwards, the venue's idempotent client order id, its
refusals, JWT failures answered ``401 Unauthorized`` and its rate limit."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from arb.core.numbers import ONE, to_plain
from arb.exec.port import (
    Accepted, BalancesFetched, Cancelled, CancelOrder, FetchBalances, Filled, PlaceOrder, QueryOrder, Rejected, Unknown,
)
from arb.sim import presets
from arb.sim.server import ServerOptions, SimConfig, SimulatedVenues
from arb.sim.server.coinbase import CoinbaseProtocol, order_uuid
from arb.venues.base import Credentials
from arb.venues.coinbase import MARKETS
from arb.venues.coinbase import trading as cb
from arb.venues.trading import OrderRequest, OrderStatus, RejectReason, VenueError, order_texts
from tests.venues.live_port import PortSession, credentials, order, perform

VENUE = "coinbase"
SYMBOL = "BTC/USDT"
START = {"USDT": 100_000 * ONE, "BTC": 2 * ONE}


def run(scenario):
    """``scenario(sims, key)`` against a Coinbase simulator with a funded key."""

    async def main():
        config = SimConfig(market=presets.market((VENUE,), 3), seed=5, speed=None, options=ServerOptions(ping_interval_s=None))
        async with SimulatedVenues(config) as sims:
            key = sims.provision(START, [VENUE])[VENUE]
            return await scenario(sims, key)

    return asyncio.run(main())


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def request(sims, side: str, qty: int, price: int, tif: str, oid: str) -> OrderRequest:
    inst = sims[VENUE].instruments.get(VENUE, SYMBOL)
    qty, price, qty_text, price_text = order_texts(inst, qty, price, side)
    return OrderRequest(cb.client_id(oid), SYMBOL, inst.venue_symbol, side, qty, price, qty_text, price_text, tif)


def test_cdp_keys_are_ec_p256_pems_under_an_organization_key_name():
    def check(sims, key):
        pem = serialization.load_pem_private_key(key.secret.encode(), password=None)
        assert key.key.startswith("organizations/") and "/apiKeys/" in key.key and key.passphrase == ""
        assert isinstance(pem, ec.EllipticCurvePrivateKey) and pem.curve.name == "secp256r1"
        assert key.secret.startswith("-----BEGIN EC PRIVATE KEY-----")

        async def done():
            return None
        return done()

    run(check)


def test_ioc_fills_through_arbs_port_and_balances_move_exactly():
    async def scenario(sims, key):
        server = sims[VENUE]
        ask = server.book(SYMBOL).best_ask_price()
        async with PortSession(sims, {VENUE: key}) as session:
            session.submit(FetchBalances((VENUE,), "before"))
            session.submit(PlaceOrder(order("o-1", VENUE, "buy", ONE // 100, ask * 1002 // 1000)))
            await session.until(lambda ev: any(isinstance(e, Filled) for e in ev) and any(isinstance(e, BalancesFetched) for e in ev))
            session.submit(FetchBalances((VENUE,), "after"))
            await session.until(lambda ev: sum(isinstance(e, BalancesFetched) for e in ev) == 2)
        return session.events, server.exchange.accounts[key.account]

    events, account = run(scenario)
    before, after = (e for e in events if isinstance(e, BalancesFetched))
    assert before.balances["USDT"].free == START["USDT"] and before.balances["BTC"].free == START["BTC"]
    [accepted] = [e for e in events if isinstance(e, Accepted)]
    [filled] = [e for e in events if isinstance(e, Filled)]
    trades = account.trades
    assert accepted.venue_order_id == order_uuid(trades[0].order_id)
    assert filled.qty == ONE // 100 == sum(t.qty for t in trades)
    assert filled.quote == sum(t.quote for t in trades) and filled.fee == sum(t.fee for t in trades) > 0
    assert filled.fee_asset == "USDT"  # Coinbase charges the quote
    assert after.balances["USDT"].free == START["USDT"] - filled.quote - filled.fee
    assert after.balances["BTC"].free == START["BTC"] + filled.qty and after.balances["USDT"].locked == 0


def test_gtc_rests_is_found_by_client_id_and_cancelled_by_its_venue_id():
    async def scenario(sims, key):
        server, creds = sims[VENUE], credentials(key)
        bid = server.book(SYMBOL).best_bid_price()
        rest = request(sims, "buy", ONE // 100, bid * 9 // 10, "gtc", "r-1")
        placed = cb.decode_place(*(await perform(cb.place(server.rest_url, creds, rest, now_ms())))[:2])
        by_id = cb.decode_order(*(await perform(cb.query_by_venue_id(server.rest_url, creds, placed.venue_order_id, "BTC-USDT", now_ms())))[:2])
        found = cb.decode_found(*(await perform(cb.query(server.rest_url, creds, rest.client_id, "BTC-USDT", now_ms())))[:2], rest.client_id)
        held = cb.decode_balances(*(await perform(cb.balances(server.rest_url, creds, now_ms())))[:2])
        lock = server.exchange.accounts[key.account].locked("USDT")
        cb.decode_cancel(*(await perform(cb.cancel_by_id(server.rest_url, creds, placed.venue_order_id, "BTC-USDT", now_ms())))[:2])
        after = cb.decode_order(*(await perform(cb.query_by_venue_id(server.rest_url, creds, placed.venue_order_id, "BTC-USDT", now_ms())))[:2])
        again = await perform(cb.cancel_by_id(server.rest_url, creds, placed.venue_order_id, "BTC-USDT", now_ms()))
        released = cb.decode_balances(*(await perform(cb.balances(server.rest_url, creds, now_ms())))[:2])
        return placed, by_id, found, held, lock, after, again, released

    placed, by_id, found, held, lock, after, again, released = run(scenario)
    assert placed.status is OrderStatus.NEW and placed.client_id == cb.client_id("r-1")
    assert by_id.status is OrderStatus.NEW and by_id.filled_qty == 0
    assert found.venue_order_id == placed.venue_order_id and found.status is OrderStatus.NEW
    assert held["USDT"].locked == lock > 0 and held["USDT"].free == START["USDT"] - lock
    assert after.status is OrderStatus.CANCELLED and released["USDT"].locked == 0 and released["USDT"].free == START["USDT"]
    with pytest.raises(VenueError) as err:
        cb.decode_cancel(again[0], again[1])
    assert err.value.reason is RejectReason.NOT_FOUND


def test_the_port_rests_a_gtc_order_and_cancels_it_by_its_venue_id():
    async def scenario(sims, key):
        server = sims[VENUE]
        bid = server.book(SYMBOL).best_bid_price()
        async with PortSession(sims, {VENUE: key}) as session:
            session.submit(PlaceOrder(order("o-5", VENUE, "buy", ONE // 100, bid * 9 // 10, tif="gtc")))
            await session.until(lambda ev: any(isinstance(e, Accepted) for e in ev))
            locked = server.exchange.accounts[key.account].locked("USDT")
            session.submit(CancelOrder("o-5", VENUE, SYMBOL))
            await session.until(lambda ev: any(isinstance(e, Cancelled) for e in ev))
        return session.of("o-5"), locked, server.exchange.accounts[key.account]

    events, locked, account = run(scenario)
    assert [type(e) for e in events] == [Accepted, Cancelled] and locked > 0
    [resting] = account.orders.values()
    assert events[0].venue_order_id == order_uuid(resting.order_id)
    assert resting.tif == "gtc" and resting.status is OrderStatus.CANCELLED and account.locked("USDT") == 0 and not account.trades


def test_a_cancel_asked_before_the_venue_named_the_order_waits_for_the_name():
    # A resting order the port knows only by its client id (a restart): query and cancel at once.
    async def scenario(sims, key):
        server = sims[VENUE]
        bid = server.book(SYMBOL).best_bid_price()
        rest = request(sims, "buy", ONE // 100, bid * 9 // 10, "gtc", "r-2")
        await perform(cb.place(server.rest_url, credentials(key), rest, now_ms()))
        resting = order("r-2", VENUE, "buy", rest.qty, rest.price)
        async with PortSession(sims, {VENUE: key}) as session:
            session.submit(QueryOrder(resting), CancelOrder("r-2", VENUE, SYMBOL))
            await session.until(lambda ev: any(isinstance(e, Cancelled) for e in ev))
        sim_order = server.exchange.find(server.exchange.accounts[key.account], client_id=rest.client_id)
        return session.of("r-2"), sim_order, server.exchange.accounts[key.account]

    events, sim_order, account = run(scenario)
    assert [type(e) for e in events] == [Accepted, Cancelled]
    assert events[0].venue_order_id == order_uuid(sim_order.order_id)
    assert sim_order.status is OrderStatus.CANCELLED and account.locked("USDT") == 0


def test_a_place_whose_answer_never_came_is_found_by_its_client_id(monkeypatch):
    monkeypatch.setattr(CoinbaseProtocol, "timeout_fault_s", 2.0)

    async def scenario(sims, key):
        server = sims[VENUE]
        server.inject_private("timeout")
        ask = server.book(SYMBOL).best_ask_price()
        placed = order("o-2", VENUE, "buy", ONE // 100, ask * 1002 // 1000)
        async with PortSession(sims, {VENUE: key}) as session:
            session.shell.timeout_s = 0.5
            session.submit(PlaceOrder(placed))
            await session.until(lambda ev: any(isinstance(e, Unknown) for e in ev))
            session.submit(QueryOrder(placed))  # the trader asks what became of it
            await session.until(lambda ev: any(isinstance(e, Filled) for e in ev))
        return session.of("o-2"), server.exchange.accounts[key.account]

    events, account = run(scenario)
    assert [type(e) for e in events] == [Unknown, Accepted, Filled]
    assert len(account.orders) == 1 and events[-1].qty == ONE // 100 == sum(t.qty for t in account.trades)


def test_a_client_order_id_used_before_answers_with_that_order_never_a_second():
    async def scenario(sims, key):
        server, creds = sims[VENUE], credentials(key)
        ask = server.book(SYMBOL).best_ask_price()
        ioc = request(sims, "buy", ONE // 100, ask * 1002 // 1000, "ioc", "o-3")
        first = cb.decode_place(*(await perform(cb.place(server.rest_url, creds, ioc, now_ms())))[:2])
        second = cb.decode_place(*(await perform(cb.place(server.rest_url, creds, ioc, now_ms())))[:2])
        return first, second, server.exchange.accounts[key.account]

    first, second, account = run(scenario)
    assert first.venue_order_id == second.venue_order_id and len(account.orders) == 1


@pytest.mark.parametrize("change, reason, code", [
    (lambda r: {"qty": 10**30, "qty_text": "1000000000000"}, RejectReason.BALANCE, "PREVIEW_INSUFFICIENT_FUND"),
    (lambda r: {"qty": r.qty + 1, "qty_text": r.qty_text + "000000001"}, RejectReason.LOT, "PREVIEW_INVALID_SIZE_PRECISION"),
    (lambda r: {"price_text": to_plain(r.price + ONE // 10_000)}, RejectReason.PRICE, "PREVIEW_INVALID_PRICE_PRECISION"),
    (lambda r: {"qty_text": "0.00001"}, RejectReason.MIN_NOTIONAL, "PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL"),
])
def test_refusals_come_as_the_venue_words_them_and_are_classified(change, reason, code):
    async def scenario(sims, key):
        server = sims[VENUE]
        bid = server.book(SYMBOL).best_bid_price()
        base = request(sims, "buy", ONE // 100, bid * 9 // 10, "gtc", "x-1")
        bad = replace(base, **change(base))
        return await perform(cb.place(server.rest_url, credentials(key), bad, now_ms()))

    status, text, _ = run(scenario)
    assert status == 200 and '"success":false' in text
    with pytest.raises(VenueError) as err:
        cb.decode_place(status, text)
    assert err.value.reason is reason and err.value.code == code


def test_injected_refusal_reaches_the_port_as_rejected():
    async def scenario(sims, key):
        sims[VENUE].inject_private("reject")
        ask = sims[VENUE].book(SYMBOL).best_ask_price()
        async with PortSession(sims, {VENUE: key}) as session:
            session.submit(PlaceOrder(order("o-4", VENUE, "buy", ONE // 100, ask)))
            await session.until(lambda ev: any(isinstance(e, Rejected) for e in ev))
        return session.of("o-4")

    [rejected] = run(scenario)
    assert isinstance(rejected, Rejected) and rejected.reason_class is RejectReason.OTHER


def test_a_bad_signature_a_stale_jwt_an_unknown_key_and_another_path_are_401_unauthorized():
    other = ec.derive_private_key(12345, ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()).decode()

    async def scenario(sims, key):
        url = sims[VENUE].rest_url
        good = credentials(key)
        forged = cb.balances(url, Credentials(key.key, other), now_ms())
        stale = cb.balances(url, good, now_ms() - 300_000)
        unknown = cb.balances(url, Credentials("organizations/x/apiKeys/y", key.secret), now_ms())
        elsewhere = cb.fee_rates(url, good, now_ms())
        moved = type(elsewhere)(elsewhere.method, url + "/api/v3/brokerage/accounts", elsewhere.headers)
        answers = [await perform(r) for r in (forged, stale, unknown, moved)]
        fine = await perform(cb.balances(url, good, now_ms()))
        return answers, fine

    answers, fine = run(scenario)
    for status, text, headers in answers:
        assert (status, text) == (401, "Unauthorized\n")
        assert cb.classify(status, text, headers).reason is RejectReason.AUTH
    assert fine[0] == 200


def test_the_private_rate_limit_answers_429_with_retry_after(monkeypatch):
    monkeypatch.setattr(CoinbaseProtocol, "private_budget", (3, 10.0))

    async def scenario(sims, key):
        url, creds = sims[VENUE].rest_url, credentials(key)
        return [await perform(cb.balances(url, creds, now_ms())) for _ in range(4)]

    answers = run(scenario)
    assert [a[0] for a in answers] == [200, 200, 200, 429]
    status, text, headers = answers[-1]
    error = cb.classify(status, text, headers)
    assert error.reason is RejectReason.RATE_LIMIT and error.retry_after_s is not None and error.retry_after_s >= 1


def test_the_simulators_products_decode_to_its_own_instruments_and_tickers():
    async def scenario(sims, key):
        server = sims[VENUE]
        server.exchange.halted.add("ETH/USDT")
        [listing_request] = MARKETS.instruments(server.rest_url)
        listing = MARKETS.decode_instruments([(await perform(listing_request))[1]])
        tickers = MARKETS.decode_tickers((await perform(MARKETS.tickers(server.rest_url)))[1])
        futures = await perform(type(listing_request)("GET", listing_request.url + "?product_type=FUTURE"))
        return listing, tickers, futures, server

    listing, tickers, futures, server = run(scenario)
    truth = {i.symbol: i for i in server.instruments if i.venue == VENUE}
    assert {i.symbol for i in listing.instruments} == set(truth) and listing.skipped == {}
    for inst in listing.instruments:
        expected = truth[inst.symbol]
        assert (inst.venue_symbol, inst.tick_size, inst.lot_size, inst.min_qty, inst.min_notional) == (
            expected.venue_symbol, expected.tick_size, expected.lot_size, expected.min_qty or expected.lot_size, expected.min_notional)
        assert inst.status == ("halted" if inst.symbol == "ETH/USDT" else "trading")
    assert all(0 < t.bid < t.ask and t.volume_base > 0 for t in tickers) and len(tickers) == len(truth)
    assert futures[0] == 200 and '"products":[]' in futures[1]
