"""Private order streams end to end: arb's live port and its shell (with
:class:`~arb.io.private_stream.PrivateStream`) against the OKX and Binance simulators.

Fills and cancels reach the trader over the stream — an OKX immediate-or-cancel order takes
one request (the place) instead of place + status queries; a resting order cancelled at the
venue is reported with no query at all; a stream that drops while an order changes is
reconnected and the open orders queried once, so nothing is lost; a login the venue refuses is
an ``AUTH`` error naming the venue (no secret in it) and orders are polled instead.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from arb.exec.port import Accepted, Cancelled, Filled, PlaceOrder
from tests.venues.private_streams import MS, SYMBOL, an_order, runner_alive, session

pytestmark = pytest.mark.slow






def _ioc_fill(venue: str, stream: bool) -> tuple[list[type], int, dict[str, int]]:
    async def body(server, port, shell, until, events, key):
        ask = server.book(SYMBOL).best_ask_price()
        port.submit([PlaceOrder(an_order(venue, "t1", "buy", ask * 1002 // 1000, "ioc"))], time.time_ns())
        assert await until(lambda: any(isinstance(e, Filled) for e in events))
        await asyncio.sleep(0.3)  # anything still queued would go out now
        return [type(e) for e in events], port.requests_sent, dict(port.stream_counts)

    return asyncio.run(session(venue, body, stream=stream))


def test_okx_ioc_fill_arrives_over_the_stream_with_one_request():
    kinds, requests, counts = _ioc_fill("okx", True)
    assert kinds == [Accepted, Filled] and requests == 1 and counts["applied"] >= 1
    polled_kinds, polled_requests, _ = _ioc_fill("okx", False)
    assert polled_kinds == kinds and polled_requests >= 2  # the place, then status queries


@pytest.mark.parametrize("venue", ["okx", "binance"])
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


@pytest.mark.parametrize("venue", ["okx", "binance"])
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


def test_okx_refused_login_is_reported_naming_the_venue_and_retried():
    async def body(server, port, shell, until, events, key):
        assert await until(lambda: "okx" in shell.streams and shell.streams["okx"].stats["failures"] >= 1, 5.0)
        stream = shell.streams["okx"]
        return stream.last_error, port.streaming, runner_alive(shell)

    wrong = "not-the-secret-0123456789"
    error, streaming, alive = asyncio.run(session("okx", body, secret=wrong))
    assert error.startswith("VenueError: okx: auth: 60007") and wrong not in error and not streaming and alive

