"""Private order streams end to end, Coinbase (``user`` channel) and KuCoin (bullet-private +
``/spotMarket/tradeOrdersV2``): arb's live port and its shell against the simulators.

Fills and cancels reach the trader over the stream — a Coinbase immediate-or-cancel order takes
one request (the place) where polling also asks for the order; a KuCoin resting order that fills
later is reported with no order query (the stream's push, then the order's fills for the fees it
lacks) where polling queries it again and again; a resting order cancelled at the venue is
reported from the stream alone; a stream that drops while an order changes is reconnected and
the open orders queried once, so nothing is lost; credentials the venue refuses are an ``AUTH``
error naming the venue (no secret in it), retried, and orders are polled meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest
from websockets.asyncio.client import connect

from arb.core.numbers import ONE
from arb.exec.port import Accepted, Cancelled, Filled, OrderEvent, PartiallyFilled, PlaceOrder
from arb.sim import presets
from arb.sim.server import ServerOptions, SimConfig, SimulatedVenues
from arb.sim.server.coinbase import cdp_key
from arb.venues.base import Credentials
from arb.venues.coinbase.trading import stream_login
from arb.venues.kucoin.market_data import BULLET_PATH
from tests.venues.private_streams import MS, SYMBOL, an_order, runner_alive, session

pytestmark = pytest.mark.slow
VENUES = ["coinbase", "kucoin"]






def _ioc_fill(venue: str, stream: bool) -> tuple[list[OrderEvent], int, dict[str, int], int]:
    async def body(server, port, shell, until, events, key):
        ask = server.book(SYMBOL).best_ask_price()
        port.submit([PlaceOrder(an_order(venue, "t1", "buy", ask * 1002 // 1000, "ioc"))], time.time_ns())
        assert await until(lambda: any(isinstance(e, Filled) for e in events))
        await asyncio.sleep(0.3)  # anything still queued would go out now
        (order,) = server.exchange.accounts[key.account].orders.values()
        assert order.fee > 0
        return list(events), port.requests_sent, dict(port.stream_counts), order.fee

    return asyncio.run(session(venue, body, stream=stream))


def test_coinbase_ioc_fill_arrives_over_the_user_channel_with_one_request():
    events, requests, counts, venue_fee = _ioc_fill("coinbase", True)
    assert [type(e) for e in events] == [Accepted, Filled] and requests == 1 and counts["applied"] >= 1
    (filled,) = [e for e in events if isinstance(e, Filled)]
    assert (filled.qty, filled.fee, filled.fee_asset) == (ONE // 100, venue_fee, "USDT")  # exact, from the push alone
    polled, polled_requests, _, _ = _ioc_fill("coinbase", False)
    assert [type(e) for e in polled] == [Accepted, Filled] and polled_requests >= 2  # the place, then the order asked for
    (polled_fill,) = [e for e in polled if isinstance(e, Filled)]
    assert polled_fill.fee > 0 and polled_fill.fee_asset == "USDT"


def test_kucoin_ioc_fill_over_the_stream_gets_its_fee_from_the_order_fills():
    events, requests, counts, venue_fee = _ioc_fill("kucoin", True)
    assert [type(e) for e in events] == [Accepted, Filled] and counts["applied"] >= 1
    (filled,) = [e for e in events if isinstance(e, Filled)]
    assert (filled.qty, filled.fee, filled.fee_asset) == (ONE // 100, venue_fee, "USDT")  # never the push's unknown fee
    assert requests == 2  # the place, the order's fills: no order query


def test_kucoin_resting_order_filled_later_is_reported_without_order_queries():
    async def body(server, port, shell, until, events, key):
        ask = server.book(SYMBOL).best_ask_price()
        port.submit([PlaceOrder(an_order("kucoin", "r0", "sell", ask * 11 // 10, "gtc"))], time.time_ns())
        assert await until(lambda: any(isinstance(e, Accepted) for e in events))
        await asyncio.sleep(1.0)  # resting: polling asks, the stream waits
        exchange = server.exchange
        (resting,) = exchange.open_orders(exchange.accounts[key.account])
        # The market comes to it: the book now crosses its price and it fills, as a maker.
        resting.price = server.book(SYMBOL).best_bid_price()
        exchange.on_book_change(SYMBOL, time.time_ns() // MS)
        assert await until(lambda: any(isinstance(e, Filled) for e in events))
        fills = [e for e in events if isinstance(e, Filled | PartiallyFilled)]
        assert sum(e.qty for e in fills) == resting.filled == ONE // 100
        assert sum(e.fee for e in fills) == resting.fee > 0 and sum(e.quote for e in fills) == resting.quote
        return port.requests_sent

    streamed = asyncio.run(session("kucoin", body, max_poll_ns=60_000 * MS))
    polled = asyncio.run(session("kucoin", body, stream=False))
    assert streamed == 2  # the place and the order's fills (for the fees the push lacks)
    assert polled >= 5  # the place, then the order asked about while it rests


@pytest.mark.parametrize("venue", VENUES)
def test_a_resting_order_cancelled_at_the_venue_is_reported_from_the_stream_alone(venue):
    async def body(server, port, shell, until, events, key):
        bid = server.book(SYMBOL).best_bid_price()
        port.submit([PlaceOrder(an_order(venue, "r1", "buy", bid * 9 // 10, "gtc"))], time.time_ns())
        assert await until(lambda: any(isinstance(e, Accepted) for e in events))
        account = server.exchange.accounts[key.account]
        (resting,) = server.exchange.open_orders(account)
        sent = port.requests_sent
        server.exchange.cancel(account, resting, time.time_ns() // MS)  # the venue cancels it (the user, elsewhere)
        assert await until(lambda: any(isinstance(e, Cancelled) for e in events), 2.0)
        return port.requests_sent - sent

    # Backup polling every 60 s: only the stream can have said so within 2 s.
    assert asyncio.run(session(venue, body, max_poll_ns=60_000 * MS)) == 0


@pytest.mark.parametrize("venue", VENUES)
def test_a_dropped_stream_reconnects_and_queries_open_orders_so_no_change_is_lost(venue):
    async def body(server, port, shell, until, events, key):
        bid = server.book(SYMBOL).best_bid_price()
        port.submit([PlaceOrder(an_order(venue, "r2", "buy", bid * 9 // 10, "gtc"))], time.time_ns())
        assert await until(lambda: any(isinstance(e, Accepted) for e in events))
        await asyncio.sleep(0.05)
        assert server.drop_private_streams() == 1
        account = server.exchange.accounts[key.account]
        (resting,) = server.exchange.open_orders(account)
        server.exchange.cancel(account, resting, time.time_ns() // MS)  # while nobody listens
        assert await until(lambda: any(isinstance(e, Cancelled) for e in events), 8.0)
        return dict(port.stream_counts), shell.streams[venue].stats

    # Polling every 60 s: the reconnect's query is what finds the cancel.
    counts, stats = asyncio.run(session(venue, body, poll_ns=60_000 * MS, max_poll_ns=60_000 * MS))
    assert counts["ups"] == 2 and counts["downs"] == 1 and stats["connects"] == 2


def _refused(venue: str, wrong: str) -> tuple[str, set[str], bool]:
    async def body(server, port, shell, until, events, key):
        assert await until(lambda: venue in shell.streams and shell.streams[venue].stats["failures"] >= 1, 5.0)
        return shell.streams[venue].last_error, set(port.streaming), runner_alive(shell)

    return asyncio.run(session(venue, body, secret=wrong))


def test_coinbase_refused_jwt_is_reported_naming_the_venue_and_retried():
    wrong = cdp_key(99, b"\x01" * 32)[1]  # a well-formed EC key the venue does not know for this name
    error, streaming, alive = _refused("coinbase", wrong)
    assert error == "VenueError: coinbase: auth: error authentication failure" and not streaming and alive
    assert "PRIVATE KEY" not in error


def test_kucoin_refused_bullet_is_reported_naming_the_venue_and_retried():
    wrong = "not-the-secret-0123456789"
    error, streaming, alive = _refused("kucoin", wrong)
    # The passphrase header is signed with the secret, and checked first: the venue's 400004.
    assert error.startswith("VenueError: kucoin: auth: 400004") and wrong not in error and not streaming and alive




def test_simulators_refuse_the_private_channels_the_venues_way():
    """A Coinbase JWT past its two minutes gets ``authentication failure`` (the connection stays,
    the next subscription with a fresh JWT works); a KuCoin public token cannot subscribe the
    private order topic."""
    async def run():
        market = presets.market(("coinbase", "kucoin"), 1)
        async with SimulatedVenues(SimConfig(market=market, seed=5, speed=1.0, options=ServerOptions(ping_interval_s=None))) as sims:
            keys = sims.provision({"USDT": 1000 * ONE}, ["coinbase"])
            creds = Credentials(keys["coinbase"].key, keys["coinbase"].secret)
            async with connect(sims["coinbase"].ws_url) as ws:
                stale = stream_login(creds, (time.time_ns() // MS) - 121_000)[0]
                await ws.send(stale)
                refused = json.loads(await ws.recv())
                await ws.send(stream_login(creds, time.time_ns() // MS)[0])
                snapshot = json.loads(await ws.recv())
            async with aiohttp.ClientSession() as session:
                async with session.post(sims["kucoin"].rest_url + BULLET_PATH) as response:
                    token = (await response.json())["data"]["token"]
            async with connect(f"{sims['kucoin'].ws_url}?token={token}&connectId=c1") as ws:
                welcome = json.loads(await ws.recv())
                await ws.send(json.dumps({"id": "s1", "type": "subscribe", "topic": "/spotMarket/tradeOrdersV2",
                                          "privateChannel": True, "response": True}))
                private = json.loads(await ws.recv())
            return refused, snapshot, welcome, private

    refused, snapshot, welcome, private = asyncio.run(run())
    assert refused == {"type": "error", "message": "authentication failure"}
    assert snapshot["channel"] == "user" and snapshot["events"] == [{"type": "snapshot", "orders": []}]
    assert welcome == {"id": "c1", "type": "welcome"}
    assert private["type"] == "error" and private["code"] == 401 and private["id"] == "s1"
