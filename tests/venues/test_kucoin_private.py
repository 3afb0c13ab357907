"""KuCoin end to end: arb's own live port (LiveVenues + TradingShell) and its signed requests
against the simulator's private API — an IOC that fills with exact amounts, a GTC that rests,
is queried and cancelled by client id, a duplicate ``clientOid`` that the port resolves to the
earlier order, the venue's refusals, KC-API auth failures (bad signature, stale timestamp,
unknown key, wrong passphrase) answered with KuCoin's own codes, and its rate limit."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest

from arb.core.numbers import ONE, to_plain
from arb.exec.port import Accepted, BalancesFetched, Cancelled, CancelOrder, FetchBalances, Filled, PlaceOrder, Rejected
from arb.sim import presets
from arb.sim.server import ServerOptions, SimConfig, SimulatedVenues
from arb.sim.server.kucoin import KucoinProtocol, order_key
from arb.venues.base import Credentials
from arb.venues.kucoin import MARKETS, signing
from arb.venues.kucoin import trading as kc
from arb.venues.trading import OrderRequest, OrderStatus, RejectReason, VenueError, order_texts
from tests.venues.live_port import PortSession, credentials, order, perform

VENUE = "kucoin"
SYMBOL = "BTC/USDT"
START = {"USDT": 100_000 * ONE, "BTC": 2 * ONE}


def run(scenario):
    """``scenario(sims, key)`` against a KuCoin simulator with a funded key."""

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
    return OrderRequest(kc.client_id(oid), SYMBOL, inst.venue_symbol, side, qty, price, qty_text, price_text, tif)


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
    assert accepted.venue_order_id == order_key(account.orders[trades[0].order_id])
    assert filled.qty == ONE // 100 == sum(t.qty for t in trades)
    assert filled.quote == sum(t.quote for t in trades) and filled.fee == sum(t.fee for t in trades) > 0
    assert filled.fee_asset == "USDT"  # KuCoin charges the quote
    assert after.balances["USDT"].free == START["USDT"] - filled.quote - filled.fee
    assert after.balances["BTC"].free == START["BTC"] + filled.qty and after.balances["USDT"].locked == 0


def test_gtc_rests_is_queried_and_cancelled_by_client_oid():
    async def scenario(sims, key):
        server, creds = sims[VENUE], credentials(key)
        bid = server.book(SYMBOL).best_bid_price()
        rest = request(sims, "buy", ONE // 100, bid * 9 // 10, "gtc", "r-1")
        placed = kc.decode_place(*(await perform(kc.place(server.rest_url, creds, rest, now_ms())))[:2])
        queried = kc.decode_order(*(await perform(kc.query(server.rest_url, creds, rest.client_id, "BTC-USDT", now_ms())))[:2])
        held = kc.decode_balances(*(await perform(kc.balances(server.rest_url, creds, now_ms())))[:2])
        lock = server.exchange.accounts[key.account].locked("USDT")
        kc.decode_cancel(*(await perform(kc.cancel(server.rest_url, creds, rest.client_id, "BTC-USDT", now_ms())))[:2])
        after = kc.decode_order(*(await perform(kc.query(server.rest_url, creds, rest.client_id, "BTC-USDT", now_ms())))[:2])
        again = await perform(kc.cancel(server.rest_url, creds, rest.client_id, "BTC-USDT", now_ms()))
        released = kc.decode_balances(*(await perform(kc.balances(server.rest_url, creds, now_ms())))[:2])
        return placed, queried, held, lock, after, again, released

    placed, queried, held, lock, after, again, released = run(scenario)
    assert placed.status is OrderStatus.NEW and placed.client_id == kc.client_id("r-1")
    assert queried.venue_order_id == placed.venue_order_id and queried.status is OrderStatus.NEW and queried.filled_qty == 0
    assert held["USDT"].locked == lock > 0 and held["USDT"].free == START["USDT"] - lock
    assert after.status is OrderStatus.CANCELLED and released["USDT"] == kc.Balance("USDT", START["USDT"], 0)
    with pytest.raises(VenueError) as err:
        kc.decode_cancel(again[0], again[1])
    assert err.value.reason is RejectReason.NOT_FOUND


def test_the_port_rests_a_gtc_order_and_cancels_it_by_client_oid():
    async def scenario(sims, key):
        server = sims[VENUE]
        bid = server.book(SYMBOL).best_bid_price()
        async with PortSession(sims, {VENUE: key}) as session:
            session.submit(PlaceOrder(order("o-2", VENUE, "buy", ONE // 100, bid * 9 // 10, tif="gtc")))
            await session.until(lambda ev: any(isinstance(e, Accepted) for e in ev))
            locked = server.exchange.accounts[key.account].locked("USDT")
            session.submit(CancelOrder("o-2", VENUE, SYMBOL))
            await session.until(lambda ev: any(isinstance(e, Cancelled) for e in ev))
        return session.of("o-2"), locked, server.exchange.accounts[key.account]

    events, locked, account = run(scenario)
    assert [type(e) for e in events] == [Accepted, Cancelled] and locked > 0
    [resting] = account.orders.values()
    assert resting.tif == "gtc" and resting.status is OrderStatus.CANCELLED and account.locked("USDT") == 0 and not account.trades


def test_a_duplicate_client_oid_is_refused_and_the_port_finds_the_earlier_order():
    async def scenario(sims, key):
        server, creds = sims[VENUE], credentials(key)
        ask = server.book(SYMBOL).best_ask_price()
        first = request(sims, "buy", ONE // 100, ask * 1002 // 1000, "ioc", "o-3")
        await perform(kc.place(server.rest_url, creds, first, now_ms()))
        again = await perform(kc.place(server.rest_url, creds, first, now_ms()))
        # The port, placing the same order id again (a restart), lands on the earlier order.
        async with PortSession(sims, {VENUE: key}) as session:
            session.submit(PlaceOrder(order("o-3", VENUE, "buy", ONE // 100, ask * 1002 // 1000)))
            await session.until(lambda ev: any(isinstance(e, Filled) for e in ev))
        return again, session.of("o-3"), server.exchange.accounts[key.account]

    (status, text, headers), events, account = run(scenario)
    with pytest.raises(VenueError) as err:
        kc.decode_place(status, text)
    assert err.value.reason is RejectReason.DUPLICATE and err.value.code == "126044"
    assert [type(e) for e in events] == [Accepted, Filled] and len(account.orders) == 1


@pytest.mark.parametrize("change, reason, code", [
    (lambda r: {"qty_text": "1000000000000"}, RejectReason.BALANCE, "200004"),
    (lambda r: {"qty_text": r.qty_text + "000000001"}, RejectReason.LOT, "400100"),
    (lambda r: {"price_text": to_plain(r.price + ONE // 10_000)}, RejectReason.PRICE, "400100"),
    (lambda r: {"qty_text": "0.00001"}, RejectReason.MIN_NOTIONAL, "400100"),
])
def test_refusals_come_with_the_venues_codes_and_are_classified(change, reason, code):
    async def scenario(sims, key):
        server = sims[VENUE]
        bid = server.book(SYMBOL).best_bid_price()
        base = request(sims, "buy", ONE // 100, bid * 9 // 10, "gtc", "x-1")
        bad = replace(base, **change(base))
        return await perform(kc.place(server.rest_url, credentials(key), bad, now_ms()))

    status, text, _ = run(scenario)
    with pytest.raises(VenueError) as err:
        kc.decode_place(status, text)
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


def test_auth_failures_are_answered_with_kucoins_codes():
    async def scenario(sims, key):
        url, good = sims[VENUE].rest_url, credentials(key)
        signed = kc.balances(url, good, now_ms())
        cases = {
            "400005": replace(signed, headers={**signed.headers, "KC-API-SIGN": signing.sign("not-the-secret", 1, "GET", "/")}),
            "400002": kc.balances(url, good, now_ms() - 60_000),
            "400003": kc.balances(url, Credentials("no-such-key", key.secret, key.passphrase), now_ms()),
            "400004": kc.balances(url, Credentials(key.key, key.secret, "wrong"), now_ms()),
        }
        unsigned = kc.balances(url, good, now_ms())
        cases["400001"] = replace(unsigned, headers={k: v for k, v in unsigned.headers.items() if k != "KC-API-SIGN"})
        answers = {code: await perform(r) for code, r in cases.items()}
        return answers, await perform(kc.balances(url, good, now_ms()))

    answers, fine = run(scenario)
    for code, (status, text, headers) in answers.items():
        error = kc.classify(status, text, headers)
        assert status == 401 and error.code == code and error.reason is RejectReason.AUTH
    assert fine[0] == 200


def test_the_private_rate_limit_answers_429000(monkeypatch):
    monkeypatch.setattr(KucoinProtocol, "private_budget", (15, 30.0))  # three balance requests of weight 5

    async def scenario(sims, key):
        url, creds = sims[VENUE].rest_url, credentials(key)
        return [await perform(kc.balances(url, creds, now_ms())) for _ in range(4)]

    answers = run(scenario)
    assert [a[0] for a in answers] == [200, 200, 200, 429]
    status, text, headers = answers[-1]
    error = kc.classify(status, text, headers)
    assert error.reason is RejectReason.RATE_LIMIT and error.code == "429000" and error.retry_after_s >= 1


def test_the_simulators_symbols_decode_to_its_own_instruments_and_tickers():
    async def scenario(sims, key):
        server = sims[VENUE]
        server.exchange.halted.add("ETH/USDT")
        listing = MARKETS.decode_instruments([(await perform(r))[1] for r in MARKETS.instruments(server.rest_url)])
        tickers = MARKETS.decode_tickers((await perform(MARKETS.tickers(server.rest_url)))[1])
        return listing, tickers, server

    listing, tickers, server = run(scenario)
    truth = {i.symbol: i for i in server.instruments if i.venue == VENUE}
    assert {i.symbol for i in listing.instruments} == set(truth) and listing.skipped == {}
    for inst in listing.instruments:
        expected = truth[inst.symbol]
        assert (inst.venue_symbol, inst.tick_size, inst.lot_size, inst.min_qty, inst.min_notional) == (
            expected.venue_symbol, expected.tick_size, expected.lot_size, expected.min_qty or expected.lot_size, expected.min_notional)
        assert inst.status == ("halted" if inst.symbol == "ETH/USDT" else "trading")
    assert all(0 < t.bid < t.ask and t.volume_quote > 0 for t in tickers) and len(tickers) == len(truth)
