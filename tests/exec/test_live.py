"""The live execution port and its I/O shell against a simulated venue's private API.

:class:`~arb.exec.live.LiveVenues` + :class:`~arb.io.trading.TradingShell` trade on the
Binance simulator (its real request formats and HMAC signatures): fills come back as events
with the venue's exact amounts and fee asset; an answer that never comes makes the order
``Unknown`` and a query settles it — never placed twice; a 5xx is retried with the same
client id; the venue's refusals arrive classified.
"""

from __future__ import annotations

import asyncio
import time

import msgspec
import pytest

from arb.core.instruments import Instrument, Instruments
from arb.core.numbers import ONE
from arb.exec.live import LiveVenues, VenueAccount
from arb.exec.orders import Order
from arb.exec.port import Accepted, BalancesFetched, Cancelled, FetchBalances, Filled, PlaceOrder, QueryOrder, Rejected, Unknown
from arb.io.trading import TradingShell, masked
from arb.sim import presets
from arb.sim.market import instruments
from arb.sim.server import ServerOptions, SimConfig, SimulatedVenues
from arb.venues.base import Credentials
from arb.venues.registry import trading
from arb.venues.trading import RejectReason

pytestmark = pytest.mark.slow
SYMBOL = "BTC/USDT"


def _order(n: int, side: str, qty: int, price: int) -> Order:
    return Order(id=f"t{n}/{side}", trade_id=f"t{n}", role=side, venue="binance", symbol=SYMBOL, side=side, qty=qty,
                 limit_price=price, lock=0, ts_submit_ns=time.time_ns(), due_ns=time.time_ns())


async def _session(body, *, timeout_s: float = 5.0, secret: str | None = None):
    market = presets.market(("binance", "okx"), 2)
    config = SimConfig(market=market, seed=4, speed=1.0, options=ServerOptions(ping_interval_s=None))
    async with SimulatedVenues(config) as sims:
        key = sims.provision({"USDT": 100_000 * ONE, "BTC": 2 * ONE}, ["binance"])["binance"]
        server = sims["binance"]
        creds = Credentials(key.key, secret if secret is not None else key.secret)
        port = LiveVenues({"binance": VenueAccount(trading("binance"), creds, server.rest_url)}, instruments(market),
                          poll_ns=20_000_000, retry_ns=50_000_000)
        woke = asyncio.Event()
        shell = TradingShell(port, woke.set, timeout_s=timeout_s)
        port.notify = shell.kick
        runner = asyncio.ensure_future(shell.run())
        events = []

        async def until(done, limit_s=10.0):
            deadline = time.monotonic() + limit_s
            while not done() and time.monotonic() < deadline:
                woke.clear()
                try:
                    await asyncio.wait_for(woke.wait(), 0.1)
                except TimeoutError:
                    pass
                events.extend(port.events(time.time_ns()))
            return done()

        try:
            return await body(sims, server, port, until, events, key)
        finally:
            await shell.close()
            await runner


def test_an_ioc_fills_with_the_venues_own_amounts_and_fee_asset():
    async def body(sims, server, port, until, events, key):
        ask = server.book(SYMBOL).best_ask_price()
        order = _order(1, "buy", ONE // 100, ask * 1002 // 1000)
        port.submit([PlaceOrder(order)], time.time_ns())
        assert await until(lambda: any(isinstance(e, Filled) for e in events))
        return events, server.exchange.accounts[key.account]

    events, account = asyncio.run(_session(body))
    assert [type(e) for e in events] == [Accepted, Filled]
    fill = events[1]
    (trade,) = account.trades
    assert (fill.qty, fill.quote, fill.fee, fill.fee_asset) == (trade.qty, trade.quote, trade.fee, "BTC")


def test_an_answer_that_never_comes_is_unknown_then_settled_by_a_query_never_placed_twice():
    async def body(sims, server, port, until, events, key):
        server.protocol.timeout_fault_s = 3.0
        server.inject_private("timeout")
        ask = server.book(SYMBOL).best_ask_price()
        order = _order(2, "buy", ONE // 100, ask * 1002 // 1000)
        port.submit([PlaceOrder(order)], time.time_ns())
        assert await until(lambda: any(isinstance(e, Unknown) for e in events))
        port.submit([QueryOrder(order)], time.time_ns())  # what the trader does on Unknown
        assert await until(lambda: any(isinstance(e, Filled) for e in events))
        return events, server.exchange.accounts[key.account]

    events, account = asyncio.run(_session(body, timeout_s=1.0))
    assert len(account.orders) == 1 and len({t.order_id for t in account.trades}) == 1
    assert [type(e) for e in events] == [Unknown, Accepted, Filled]


def test_a_5xx_before_the_venue_acted_is_retried_with_the_same_client_id():
    async def body(sims, server, port, until, events, key):
        server.inject_private("unavailable")
        ask = server.book(SYMBOL).best_ask_price()
        port.submit([PlaceOrder(_order(3, "buy", ONE // 100, ask * 1002 // 1000))], time.time_ns())
        assert await until(lambda: any(isinstance(e, Filled) for e in events))
        return events, server.exchange.accounts[key.account], port

    events, account, port = asyncio.run(_session(body))
    assert len(account.orders) == 1 and port.errors.get("unavailable") == 1
    assert [type(e) for e in events] == [Accepted, Filled]


def test_refusals_arrive_classified_and_balances_come_fresh():
    async def body(sims, server, port, until, events, key):
        book = server.book(SYMBOL)
        too_big = _order(4, "buy", 100 * ONE, book.best_ask_price())  # 100 BTC: far beyond the balance
        port.submit([PlaceOrder(too_big), FetchBalances(("binance",), "x")], time.time_ns())
        assert await until(lambda: any(isinstance(e, Rejected) for e in events) and any(isinstance(e, BalancesFetched) for e in events))
        return events

    events = asyncio.run(_session(body))
    (rejected,) = [e for e in events if isinstance(e, Rejected)]
    assert rejected.reason_class is RejectReason.BALANCE
    (balances,) = [e for e in events if isinstance(e, BalancesFetched)]
    assert balances.balances["USDT"].free == 100_000 * ONE and not balances.error


def test_a_bad_signature_is_refused_as_auth_and_the_secret_is_never_logged():
    async def body(sims, server, port, until, events, key):
        port.submit([FetchBalances(("binance",), "x")], time.time_ns())
        assert await until(lambda: bool(events))
        return events, key

    events, key = asyncio.run(_session(body, secret="not-the-secret"))
    (fetched,) = events
    assert fetched.error and "auth" in fetched.error.lower()
    req = trading("binance").place("http://x", Credentials(key.key, key.secret), _req(), 1)
    assert key.key not in masked(req) and "signature=***" in masked(req)


def _req():
    from arb.venues.trading import OrderRequest

    return OrderRequest("c", SYMBOL, "BTCUSDT", "buy", ONE, ONE, "1", "1")


def test_a_cancel_of_a_resting_order_reports_it_cancelled():
    async def body(sims, server, port, until, events, key):
        book = server.book(SYMBOL)
        order = _order(6, "buy", ONE // 100, book.best_bid_price() * 9 // 10)
        port.submit([PlaceOrder(order)], time.time_ns())
        assert await until(lambda: any(isinstance(e, Accepted) for e in events))
        from arb.exec.port import CancelOrder

        port.submit([CancelOrder(order.id, "binance", SYMBOL)], time.time_ns())
        assert await until(lambda: any(isinstance(e, Cancelled) for e in events))
        return events, server.exchange.accounts[key.account]

    events, account = asyncio.run(_session(body))
    assert [type(e) for e in events] == [Accepted, Cancelled]
    assert account.locked("USDT") == 0 and account.free("USDT") == 100_000 * ONE


@pytest.mark.parametrize("signed", [False, True])
def test_an_outgoing_request_shows_no_secret_and_reprs_before_it_is_signed(signed):
    from arb.exec.live import Outgoing
    from arb.venues.base import RestRequest

    request = RestRequest("POST", "https://venue.test/api/v3/order", {"X-MBX-APIKEY": "k3y"}, "signature=s3cret")
    out = Outgoing(7, "binance", "place", lambda now_ms: request, order_id="t1/buy")
    if signed:
        out.request = out.build(0)
    text = repr(out)
    assert text == f"Outgoing(7, binance place {'POST' if signed else 'unsigned'} t1/buy)"
    assert "k3y" not in text and "s3cret" not in text


@pytest.mark.parametrize(("tif", "first_poll_ms"), [("ioc", 0), ("gtc", 20)])
def test_an_ioc_the_venue_only_acknowledged_is_asked_about_at_once(tif, first_poll_ms):
    """OKX answers a placement with its ids only: the fills come with a query. An IOC is
    settled by then, so the first query goes at once (a resting order is polled from poll_ns)."""
    inst = Instrument(venue="okx", symbol=SYMBOL, venue_symbol="BTC-USDT", tick_size=ONE // 10, lot_size=ONE // 10**8)
    port = LiveVenues({"okx": VenueAccount(trading("okx"), Credentials("k", "s", "p"), "http://127.0.0.1:1")},
                      Instruments([inst]), poll_ns=20_000_000)
    order = msgspec.structs.replace(_order(7, "buy", ONE // 100, 60_000 * ONE), venue="okx", tif=tif)
    now = time.time_ns()
    port.submit([PlaceOrder(order)], now)
    (place,) = port.take_requests(now)
    client_id = trading("okx").client_id(order.id)
    body = f'{{"code":"0","msg":"","data":[{{"clOrdId":"{client_id}","ordId":"42","sCode":"0","sMsg":"","tag":""}}]}}'
    port.on_response(place, 200, body, {}, now)
    assert port.next_request_ns() == now + first_poll_ms * 1_000_000


def test_a_rate_limited_balance_request_backs_off():
    """Kraken's limit is a counter decaying 0.33 a second: retries at a fixed 0.5 s were all
    refused and a run's final reconciliation failed; they now wait 0.5, 1, 2, 4, 8 s."""
    port = LiveVenues({"kraken": VenueAccount(trading("kraken"), Credentials("k", "c2VjcmV0"), "http://127.0.0.1:1")},
                      Instruments(), retry_ns=500_000_000)
    now = time.time_ns()
    port.submit([FetchBalances(("kraken",), "t")], now)
    waits = []
    for _ in range(5):
        (out,) = port.take_requests(now)
        port.on_response(out, 200, '{"error":["EAPI:Rate limit exceeded"],"result":{}}', {}, now)
        waits.append((port.next_request_ns() - now) / 1e9)
        now = port.next_request_ns()
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0]
    (out,) = port.take_requests(now)
    port.on_response(out, 200, '{"error":["EAPI:Rate limit exceeded"],"result":{}}', {}, now)
    (event,) = port.events(now)
    assert isinstance(event, BalancesFetched) and "rate-limit" in event.error
