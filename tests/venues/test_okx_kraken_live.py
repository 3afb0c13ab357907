"""OKX and Kraken end to end: arb's own live port (:class:`LiveVenues` + :class:`TradingShell`)
and the venues' built requests against their simulators.

Per venue: the listing endpoints decode into the instruments the port trades with; an
immediate-or-cancel buy that fills (over several levels) is reported with exactly the
simulator's quote and fee; a resting limit order is found, shows in the balances as locked,
is cancelled through the port; an order placed before a "restart" is found by client id; a
bad signature, a stale timestamp (OKX) or nonce (Kraken) and an exhausted rate limit are
refused in the venue's own words and classified.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import aiohttp
import pytest

from arb.core.instruments import Instruments
from arb.core.numbers import ONE, parse_fixed, to_plain
from arb.exec.live import LiveVenues, VenueAccount
from arb.exec.orders import Order
from arb.exec.port import (
    Accepted, BalancesFetched, CancelOrder, Cancelled, FetchBalances, Filled, OrderEvent, PlaceOrder, QueryOrder, Rejected,
)
from arb.io.trading import TradingShell
from arb.sim import presets
from arb.sim.server import ServerOptions, SimConfig, SimulatedVenues
from arb.venues import registry
from arb.venues.base import Credentials, RestRequest
from arb.venues.trading import OrderRequest, OrderStatus, RejectReason, VenueError, order_texts

VENUES = ["okx", "kraken"]
SYMBOL = "BTC/USDT"
FUNDS = {"USDT": 100_000 * ONE, "BTC": 2 * ONE}


async def perform(http: aiohttp.ClientSession, request: RestRequest) -> tuple[int, str, dict[str, str]]:
    async with http.request(request.method, request.url, headers=request.headers,
                            data=request.body.encode() if request.body else None) as response:
        return response.status, await response.text(), dict(response.headers)


def order(venue: str, name: str, side: str, qty: int, price: int) -> Order:
    return Order(id=f"{name}/{side}", trade_id=name, role=side, venue=venue, symbol=SYMBOL, side=side, qty=qty,
                 limit_price=price, lock=0, ts_submit_ns=0, due_ns=0)


class Harness:
    """One venue's simulator, a funded key, its instruments (from its listing endpoint) and
    arb's port + shell over them."""

    def __init__(self, venue: str, sims: SimulatedVenues, http: aiohttp.ClientSession) -> None:
        self.venue = venue
        self.server = sims[venue]
        self.key = sims.provision(FUNDS, [venue])[venue]
        self.account = self.server.exchange.accounts[self.key.account]
        self.credentials = Credentials(self.key.key, self.key.secret, self.key.passphrase)
        self.spec = registry.trading(venue)
        self.http = http
        self.events: list[OrderEvent] = []

    async def start(self) -> None:
        markets = registry.markets(self.venue)
        bodies = [(await perform(self.http, r))[1] for r in markets.instruments(self.server.rest_url)]
        listing = markets.decode_instruments(bodies)
        self.instruments = Instruments(listing.instruments)
        self.instrument = self.instruments.get(self.venue, SYMBOL)
        assert self.instrument is not None and self.instrument.trading
        tickers = markets.decode_tickers((await perform(self.http, markets.tickers(self.server.rest_url)))[1])
        assert self.instrument.venue_symbol in {t.venue_symbol for t in tickers}
        self.port = LiveVenues({self.venue: VenueAccount(self.spec, self.credentials, self.server.rest_url)}, self.instruments,
                               poll_ns=10_000_000, max_poll_ns=50_000_000, retry_ns=20_000_000)
        self._woken = asyncio.Event()
        self.shell = TradingShell(self.port, self._woken.set, session=self.http, timeout_s=5.0)
        self.port.notify = self.shell.kick
        self._task = asyncio.create_task(self.shell.run())

    async def stop(self) -> None:
        await self.shell.close()
        await self._task

    async def until(self, done: Callable[[list[OrderEvent]], bool], timeout_s: float = 10.0) -> list[OrderEvent]:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            self.events += self.port.events(self.shell.clock.now_ns())
            if done(self.events):
                return self.events
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"{self.venue}: timed out; events so far: {self.events}")
            self._woken.clear()
            try:
                await asyncio.wait_for(self._woken.wait(), min(left, 0.05))
            except TimeoutError:
                pass

    def submit(self, *commands) -> None:
        self.port.submit(list(commands), self.shell.clock.now_ns())

    async def direct(self, request: RestRequest) -> tuple[int, str, dict[str, str]]:
        return await perform(self.http, request)

    def now_ms(self) -> int:
        """A signing time for a request made beside the port with its key (its nonces too)."""
        return self.port.sign_ms(self.venue, self.shell.clock.now_ns())


def done(order_id: str) -> Callable[[list[OrderEvent]], bool]:
    return lambda events: any(isinstance(e, (Filled, Cancelled, Rejected)) and e.order_id == order_id for e in events)


async def scenario(venue: str, body: Callable) -> None:
    config = SimConfig(market=presets.market((venue,), 3), seed=11, speed=None, options=ServerOptions(ping_interval_s=None))
    async with SimulatedVenues(config) as sims, aiohttp.ClientSession() as http:
        harness = Harness(venue, sims, http)
        await harness.start()
        try:
            await body(harness)
        finally:
            await harness.stop()


def run(venue: str, body: Callable) -> None:
    asyncio.run(asyncio.wait_for(scenario(venue, body), 60))


@pytest.mark.parametrize("venue", VENUES)
def test_an_ioc_buy_over_several_levels_is_reported_exactly(venue):
    async def body(h: Harness) -> None:
        book = h.server.book(SYMBOL)
        asks = book.asks(3)
        qty = sum(parse_fixed(q) for _, q, *_ in asks[:2]) + h.instrument.lot_size  # takes three levels
        limit = parse_fixed(asks[2][0])
        buy = order(h.venue, "t1", "buy", qty, limit)
        h.submit(PlaceOrder(buy))
        events = await h.until(done(buy.id))
        trades = h.account.trades
        assert len(trades) >= 3 and {t.order_id for t in trades} == {trades[0].order_id}
        fills = [e for e in events if isinstance(e, Filled)]
        assert [type(e) for e in events if e.order_id == buy.id][0] is Accepted
        assert len(fills) == 1 and fills[0].qty == qty == sum(t.qty for t in trades)
        assert fills[0].quote == sum(t.quote for t in trades) and fills[0].fee == sum(t.fee for t in trades)
        # OKX takes the fee in what a buy receives (the base), Kraken (fciq) in the quote.
        assert fills[0].fee_asset == ("BTC" if h.venue == "okx" else "")
        assert {t.fee_asset for t in trades} == {"BTC" if h.venue == "okx" else "USDT"}
        assert not h.port.errors

    run(venue, body)


@pytest.mark.parametrize("venue", VENUES)
def test_a_resting_order_is_found_locked_in_balances_and_cancelled_through_the_port(venue):
    async def body(h: Harness) -> None:
        spec = h.spec
        bid = h.server.book(SYMBOL).best_bid_price()
        qty, price, qty_text, price_text = order_texts(h.instrument, parse_fixed("0.01"), bid * 9 // 10, "buy")
        resting = order(h.venue, "t2", "buy", qty, price)
        client_id = spec.client_id(resting.id)
        request = OrderRequest(client_id, SYMBOL, h.instrument.venue_symbol, "buy", qty, price, qty_text, price_text, tif="gtc")
        status, text, _ = await h.direct(spec.place(h.server.rest_url, h.credentials, request, h.now_ms()))
        placed = spec.decode_place(status, text)
        assert placed.status is OrderStatus.NEW and placed.venue_order_id
        status, text, _ = await h.direct(spec.query(h.server.rest_url, h.credentials, client_id, h.instrument.venue_symbol, h.now_ms()))
        found = spec.decode_order(status, text)
        assert (found.status, found.venue_order_id, found.filled_qty) == (OrderStatus.NEW, placed.venue_order_id, 0)
        # Balances through the port: exactly the simulator's account, the order's lock included.
        h.submit(FetchBalances((h.venue,), "b1"))
        events = await h.until(lambda ev: any(isinstance(e, BalancesFetched) for e in ev))
        [fetched] = [e for e in events if isinstance(e, BalancesFetched)]
        assert not fetched.error
        assert {a: (b.free, b.locked) for a, b in fetched.balances.items()} == {
            a: (f, lk) for a, (f, lk) in h.account.balances.items()}
        assert fetched.balances["USDT"].locked > 0
        # After a "restart" the port finds the order by its client id, follows it, cancels it.
        h.submit(QueryOrder(resting))
        await h.until(lambda ev: any(isinstance(e, Accepted) and e.order_id == resting.id for e in ev))
        h.submit(CancelOrder(resting.id, h.venue, SYMBOL))
        events = await h.until(done(resting.id))
        assert [e for e in events if e.order_id == resting.id][-1].__class__ is Cancelled
        [sim_order] = h.account.orders.values()
        assert sim_order.status is OrderStatus.CANCELLED
        assert h.account.locked("USDT") == 0 and h.account.free("USDT") == FUNDS["USDT"]
        assert not h.port.errors  # the cancel's answer was read as a cancel, not as a broken order
        if spec.query_done is not None:  # Kraken: done orders are found by client id in the second request
            status, text, _ = await h.direct(spec.query_done(h.server.rest_url, h.credentials, client_id, "", h.now_ms()))
            assert spec.decode_order(status, text).status is OrderStatus.CANCELLED

    run(venue, body)


@pytest.mark.parametrize("venue", VENUES)
def test_an_ioc_placed_before_a_restart_is_found_by_client_id_with_its_fill(venue):
    async def body(h: Harness) -> None:
        spec = h.spec
        ask = h.server.book(SYMBOL).best_ask_price()
        qty, price, qty_text, price_text = order_texts(h.instrument, h.instrument.min_qty * 10, ask, "buy")
        filled = order(h.venue, "t3", "buy", qty, price)
        request = OrderRequest(spec.client_id(filled.id), SYMBOL, h.instrument.venue_symbol, "buy", qty, price, qty_text, price_text)
        status, text, _ = await h.direct(spec.place(h.server.rest_url, h.credentials, request, h.now_ms()))
        spec.decode_place(status, text)
        h.submit(QueryOrder(filled))  # the port never saw the answer: it asks by client id
        events = await h.until(done(filled.id))
        [fill] = [e for e in events if isinstance(e, Filled)]
        assert fill.qty == qty and fill.quote == sum(t.quote for t in h.account.trades)
        assert fill.fee == sum(t.fee for t in h.account.trades)

    run(venue, body)


@pytest.mark.parametrize("venue", VENUES)
def test_refusals_in_the_venues_own_words(venue):
    async def body(h: Harness) -> None:
        spec, url = h.spec, h.server.rest_url
        wrong = Credentials(h.key.key, h.key.secret[::-1], h.key.passphrase)
        status, text, headers = await h.direct(spec.balances(url, wrong, h.now_ms()))
        error = _refusal(spec.decode_balances, spec, status, text, headers)
        assert error.reason is RejectReason.AUTH
        assert error.code == ("50113" if h.venue == "okx" else "EAPI:Invalid signature")
        if h.venue == "okx":  # a timestamp more than 30 s old
            status, text, headers = await h.direct(spec.balances(url, h.credentials, h.now_ms() - 60_000))
            assert status == 401 and json.loads(text)["code"] == "50102"
        else:  # a nonce below the key's highest, beyond its nonce window
            await h.direct(spec.balances(url, h.credentials, h.now_ms()))
            status, text, headers = await h.direct(spec.balances(url, h.credentials, h.now_ms() - 60_000))
            assert status == 200 and json.loads(text)["error"] == ["EAPI:Invalid nonce"]
        error = _refusal(spec.decode_balances, spec, status, text, headers)
        assert error.reason is RejectReason.AUTH
        unknown = Credentials("nokey", h.key.secret, h.key.passphrase)
        status, text, headers = await h.direct(spec.balances(url, unknown, h.now_ms() + 1))
        assert _refusal(spec.decode_balances, spec, status, text, headers).reason is RejectReason.AUTH
        # Rate limits: ask balances until the venue says stop.
        limited = None
        for n in range(40):
            status, text, headers = await h.direct(spec.balances(url, h.credentials, h.now_ms() + 2 + n))
            if status == 429 or "Rate limit" in text:
                limited = _refusal(spec.decode_balances, spec, status, text, headers)
                break
        assert limited is not None and limited.reason is RejectReason.RATE_LIMIT

    run(venue, body)


@pytest.mark.parametrize("venue", VENUES)
def test_order_refusals_are_classified(venue):
    async def body(h: Harness) -> None:
        spec = h.spec
        ask = h.server.book(SYMBOL).best_ask_price()
        too_much = order(h.venue, "t4", "buy", 10 * ONE, ask)  # 10 BTC ≈ 650 000 USDT > funds
        h.submit(PlaceOrder(too_much))
        events = await h.until(done(too_much.id))
        [rejected] = [e for e in events if isinstance(e, Rejected)]
        assert rejected.reason_class is RejectReason.BALANCE
        h.server.inject_private("unavailable")  # a 5xx-class refusal before anything happened: retried
        retried = order(h.venue, "t5", "buy", h.instrument.min_qty * 10, ask * 101 // 100)
        h.submit(PlaceOrder(retried))
        events = await h.until(done(retried.id))
        assert any(isinstance(e, Filled) and e.order_id == retried.id for e in events)
        assert h.port.errors.get("unavailable") == 1
        h.server.inject_private("reject")
        refused = order(h.venue, "t6", "buy", h.instrument.min_qty * 10, ask * 101 // 100)
        h.submit(PlaceOrder(refused))
        events = await h.until(done(refused.id))
        assert [e.reason_class for e in events if isinstance(e, Rejected) and e.order_id == refused.id] == [RejectReason.OTHER]
        # A price off the tick, sent as is, is the venue's price refusal.
        qty, price, qty_text, _ = order_texts(h.instrument, h.instrument.min_qty * 10, ask, "buy")
        off_tick = price + h.instrument.tick_size // 2
        request = OrderRequest(spec.client_id("t7/buy"), SYMBOL, h.instrument.venue_symbol, "buy", qty, off_tick, qty_text,
                               to_plain(off_tick), tif="gtc")
        status, text, headers = await h.direct(spec.place(h.server.rest_url, h.credentials, request, h.now_ms()))
        assert _refusal(spec.decode_place, spec, status, text, headers).reason is RejectReason.PRICE

    run(venue, body)


def _refusal(decode: Callable, spec, status: int, text: str, headers: dict[str, str]) -> VenueError:
    """The classified error of an answer: from ``classify`` for a non-2xx one, from its
    decoder for a 2xx one that carries the error inside (Kraken, OKX orders)."""
    if not 200 <= status < 300:
        return spec.classify(status, text, headers)
    with pytest.raises(VenueError) as err:
        decode(status, text)
    return err.value


#: Hostile parameter values: wrong types, junk text, huge and negative numbers, unicode.
_JUNK = [None, [], {"a": 1}, ["x"], "", "junk", "-1", "1e999", "0." + "1" * 40, "ÄÖÜ", 10**30, -5, True]


def _okx_hostile(h: Harness) -> list[RestRequest]:
    from arb.venues.okx.signing import sign
    from arb.venues.okx.trading import timestamp

    requests = []
    for route in h.server.protocol.private_routes() + h.server.protocol.public_routes():
        bodies: list[str] = [""] if route.method == "GET" else ["", "not json", "[]", "{}", "[1,2]"]
        if route.method == "POST":
            for value in _JUNK:
                for field in ("instId", "clOrdId", "ordId", "side", "ordType", "px", "sz", "tdMode"):
                    bodies.append(json.dumps({"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "limit",
                                              "px": "1", "sz": "1", field: value}))
                bodies.append(json.dumps([{"instId": value}]))
        queries = [""] if route.method == "POST" else ["", "?instId=BTC-USDT&ordId=abc", "?instId=%C3%84&clOrdId=x",
                                                       "?instType=SPOT&ccy=,,,", "?instId=BTC-USDT&clOrdId=" + "9" * 60]
        for text in bodies:
            for query in queries:
                stamp = timestamp(h.now_ms())
                path = route.path + query
                headers = {"OK-ACCESS-KEY": h.key.key, "OK-ACCESS-PASSPHRASE": h.key.passphrase, "OK-ACCESS-TIMESTAMP": stamp,
                           "OK-ACCESS-SIGN": sign(h.key.secret, stamp, route.method, path, text), "Content-Type": "application/json"}
                requests.append(RestRequest(route.method, h.server.rest_url + path, headers=headers, body=text))
    requests.append(RestRequest("GET", h.server.rest_url + "/api/v5/account/balance", headers={"OK-ACCESS-SIGN": "é"}))
    return requests


def _kraken_hostile(h: Harness) -> list[RestRequest]:
    from urllib.parse import urlencode

    from arb.venues.kraken.signing import sign

    requests = []
    for route in h.server.protocol.private_routes():
        bodies = []
        for value in _JUNK:
            for field in ("pair", "type", "ordertype", "volume", "price", "timeinforce", "oflags", "cl_ord_id", "userref",
                          "txid", "trades", "validate"):
                params = {"pair": "XBTUSDT", "type": "buy", "ordertype": "limit", "volume": "1", "price": "1", field: value}
                bodies.append(("form", params))
                bodies.append(("json", params))
        for kind, params in bodies:
            nonce = h.now_ms()
            if kind == "form":
                text = urlencode({"nonce": nonce, **{k: json.dumps(v) if not isinstance(v, str) else v for k, v in params.items()}})
            else:
                text = json.dumps({"nonce": nonce, **params})
            headers = {"API-Key": h.key.key, "API-Sign": sign(h.key.secret, route.path, nonce, text)}
            requests.append(RestRequest("POST", h.server.rest_url + route.path, headers=headers, body=text))
    for route in h.server.protocol.public_routes():
        for query in ("", "?pair=", "?pair=%C3%84", "?pair=XBTUSDT&count=abc", "?pair=XBTUSDT&count=-9", "?pair=,,"):
            requests.append(RestRequest("GET", h.server.rest_url + route.path + query))
    requests.append(RestRequest("POST", h.server.rest_url + "/0/private/Balance", headers={"API-Key": h.key.key, "API-Sign": "é"},
                                body="nonce=1"))
    return requests


@pytest.mark.parametrize("venue", VENUES)
def test_hostile_requests_get_the_venues_error_never_a_crash(venue):
    async def body(h: Harness) -> None:
        if venue == "kraken":  # no rate limit in the way
            h.server.protocol.counter = (10**9, 10**9)
        else:
            h.server.protocol.private_budget = (10**9, 2.0)
        seen = set()
        for request in (_okx_hostile if venue == "okx" else _kraken_hostile)(h):
            status, text, _ = await h.direct(request)
            assert status < 500, (request.url, request.body, text)
            answer = json.loads(text)
            assert ("code" in answer) if venue == "okx" else ("error" in answer), text
            items = answer.get("data") if venue == "okx" else None
            seen.add(items[0].get("sCode") if items and isinstance(items[0], dict) and "sCode" in items[0] else
                     answer.get("code") if venue == "okx" else tuple(answer["error"]))
        assert h.server.stats["handler-errors"] == 0
        # The handlers themselves were reached (past the signature), and refused in kind.
        expected = {"51000", "51001", "50002"} if venue == "okx" else {
            ("EGeneral:Invalid arguments:volume",), ("EQuery:Unknown asset pair",), ("EGeneral:Invalid arguments:cl_ord_id",)}
        assert expected <= seen, seen

    run(venue, body)
