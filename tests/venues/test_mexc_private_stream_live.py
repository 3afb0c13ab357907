"""MEXC's user data stream end to end: arb's live port and its shell (with
:class:`~arb.io.private_stream.PrivateStream`) against the MEXC simulator.

MEXC's order answer says nothing of fills, so without the stream every order is queried, and
its fees asked from its trades. Over the stream an immediate-or-cancel order takes one request
(the place): the order pushes and the deal pushes (with the fees) are joined into exact
states. A resting order cancelled at the venue is reported with no query; a stream that drops
while an order changes is reconnected (a new listenKey) and the open orders queried once, so
nothing is lost; a listenKey request the venue refuses (bad signature) is an ``AUTH`` error
naming the venue, and orders are polled meanwhile.
"""

from __future__ import annotations

import asyncio
import time

import msgspec
import pytest
from websockets.asyncio.client import connect

from arb.core.numbers import ONE, parse_fixed
from arb.exec.port import Accepted, Cancelled, Filled, PlaceOrder
from tests.venues.private_streams import MS, SYMBOL, an_order, runner_alive, session

pytestmark = pytest.mark.slow
VENUE = "mexc"


def _ioc(stream: bool, levels: int = 1):
    """An immediate-or-cancel buy through ``levels`` ask levels: its events, requests sent,
    stream counts, and the fees the simulator charged the account."""

    async def body(server, port, shell, until, events, key):
        asks = [(parse_fixed(level[0]), parse_fixed(level[1])) for level in server.book(SYMBOL).asks(levels)]
        qty = sum(q for _, q in asks) if levels > 1 else ONE // 100
        order = msgspec.structs.replace(an_order(VENUE, "t1", "buy", asks[-1][0] * 1002 // 1000, "ioc"), qty=qty)
        port.submit([PlaceOrder(order)], time.time_ns())
        assert await until(lambda: any(isinstance(e, (Filled, Cancelled)) for e in events))
        await asyncio.sleep(0.3)  # anything still queued would go out now
        account = server.exchange.accounts[key.account]
        charged = sum(t.fee for t in account.trades), {t.fee_asset for t in account.trades}, len(account.trades)
        return events, port.requests_sent, dict(port.stream_counts), charged

    return asyncio.run(session(VENUE, body, stream=stream))


def test_ioc_fill_arrives_over_the_stream_with_its_exact_fee_and_one_request():
    events, requests, counts, (fee, assets, trades) = _ioc(True)
    assert [type(e) for e in events] == [Accepted, Filled] and requests == 1 and counts["applied"] >= 2
    (filled,) = [e for e in events if isinstance(e, Filled)]
    assert trades == 1 and fee > 0 and (filled.fee, {filled.fee_asset}) == (fee, assets)
    polled, polled_requests, _, (polled_fee, _, _) = _ioc(False)
    assert [type(e) for e in polled] == [Accepted, Filled] and polled_requests >= 3  # place, query, trades
    assert next(e for e in polled if isinstance(e, Filled)).fee == polled_fee


def test_an_ioc_through_several_levels_joins_every_deal_exactly():
    events, requests, _, (fee, assets, trades) = _ioc(True, levels=3)
    assert trades >= 3 and requests == 1
    fills = [e for e in events if not isinstance(e, Accepted)]
    assert sum(e.fee for e in fills if hasattr(e, "fee")) == fee and {e.fee_asset for e in fills if hasattr(e, "fee")} <= assets


def test_a_resting_order_cancelled_at_the_venue_is_reported_from_the_stream_alone():
    async def body(server, port, shell, until, events, key):
        bid = server.book(SYMBOL).best_bid_price()
        port.submit([PlaceOrder(an_order(VENUE, "r1", "buy", bid * 9 // 10, "gtc"))], time.time_ns())
        assert await until(lambda: any(isinstance(e, Accepted) for e in events))
        account = server.exchange.accounts[key.account]
        (resting,) = server.exchange.open_orders(account)
        sent = port.requests_sent
        server.exchange.cancel(account, resting, time.time_ns() // MS)  # the venue cancels it (the user, elsewhere)
        assert await until(lambda: any(isinstance(e, Cancelled) for e in events), 2.0)
        return port.requests_sent - sent

    # Backup polling every 60 s: only the stream can have said so within 2 s.
    assert asyncio.run(session(VENUE, body, max_poll_ns=60_000 * MS)) == 0


def test_a_dropped_stream_reconnects_and_queries_open_orders_so_no_change_is_lost():
    async def body(server, port, shell, until, events, key):
        bid = server.book(SYMBOL).best_bid_price()
        port.submit([PlaceOrder(an_order(VENUE, "r2", "buy", bid * 9 // 10, "gtc"))], time.time_ns())
        assert await until(lambda: any(isinstance(e, Accepted) for e in events))
        await asyncio.sleep(0.05)
        assert server.drop_private_streams() == 1
        account = server.exchange.accounts[key.account]
        (resting,) = server.exchange.open_orders(account)
        server.exchange.cancel(account, resting, time.time_ns() // MS)  # while nobody listens
        assert await until(lambda: any(isinstance(e, Cancelled) for e in events), 8.0)
        return dict(port.stream_counts), shell.streams[VENUE].stats

    # Polling every 60 s: the reconnect's query is what finds the cancel.
    counts, stats = asyncio.run(session(VENUE, body, poll_ns=60_000 * MS, max_poll_ns=60_000 * MS))
    assert counts["ups"] == 2 and counts["downs"] == 1 and stats["connects"] == 2


def test_a_refused_listen_key_request_is_reported_naming_the_venue_and_retried():
    async def body(server, port, shell, until, events, key):
        assert await until(lambda: VENUE in shell.streams and shell.streams[VENUE].stats["failures"] >= 1, 5.0)
        return shell.streams[VENUE].last_error, port.streaming, runner_alive(shell)

    wrong = "not-the-secret-0123456789"
    error, streaming, alive = asyncio.run(session(VENUE, body, secret=wrong))
    assert error.startswith("VenueError: mexc: auth: 700002") and wrong not in error and not streaming and alive


def test_the_simulator_refuses_an_unknown_listen_key_the_venue_s_way():
    async def body(server, port, shell, until, events, key):
        async with connect(server.ws_url + "?listenKey=0123abcd", compression=None) as ws:
            first = await asyncio.wait_for(ws.recv(), 5)
            closed = await asyncio.wait_for(ws.wait_closed(), 5) is None
        return first, closed

    assert asyncio.run(session(VENUE, body, stream=False)) == ("Invalid listen key", True)
