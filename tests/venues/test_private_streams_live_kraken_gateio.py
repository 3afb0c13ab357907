"""Kraken's and Gate's private order streams end to end: arb's live port and its shell (with
:class:`~arb.io.private_stream.PrivateStream`) against their simulators.

Kraken: a token from ``GetWebSocketsToken``, the ``executions`` channel — an immediate-or-cancel
order takes one request (the place; its fill and fee come from the stream) where polling needs
``OpenOrders``/``ClosedOrders``/``QueryOrders`` after it. Gate: the ``spot.orders`` subscription
signed in its ``auth`` field. Both: a resting order filled or cancelled at the venue is reported
from the stream alone; a stream dropped while an order changes reconnects and nothing is lost; a
refused login (Kraken: a token the venue does not know; Gate: a bad signature) is an ``AUTH``
error naming the venue, retried, with orders polled meanwhile.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from arb.exec.port import Accepted, Cancelled, Filled, PlaceOrder
from arb.sim.server import kraken as sim_kraken
from tests.venues.private_streams import MS, SYMBOL, an_order, runner_alive, session

pytestmark = pytest.mark.slow
VENUES = ["kraken", "gateio"]




def _ioc_fill(venue: str, stream: bool) -> tuple[list[type], int, list[Filled]]:
    async def body(server, port, shell, until, events, key):
        ask = server.book(SYMBOL).best_ask_price()
        port.submit([PlaceOrder(an_order(venue, "t1", "buy", ask * 1002 // 1000, "ioc"))], time.time_ns())
        assert await until(lambda: any(isinstance(e, Filled) for e in events))
        await asyncio.sleep(0.3)  # anything still queued would go out now
        return [type(e) for e in events], port.requests_sent, [e for e in events if isinstance(e, Filled)]

    return asyncio.run(session(venue, body, stream=stream))


def test_kraken_ioc_fill_and_its_fee_arrive_over_the_stream_with_one_request():
    kinds, requests, (filled,) = _ioc_fill("kraken", True)
    assert kinds == [Accepted, Filled] and requests == 1  # the place: no query, no trades request
    polled_kinds, polled_requests, (polled,) = _ioc_fill("kraken", False)
    assert polled_kinds == kinds and polled_requests >= 2  # the place, then the order queries
    assert filled.fee > 0 and filled.fee_asset == ""  # in the quote asset (fciq), as the order query says
    assert filled.fee * polled.quote == polled.fee * filled.quote  # the same rate, exactly


@pytest.mark.parametrize("venue", VENUES)
def test_a_resting_order_filled_at_the_venue_is_reported_from_the_stream_alone(venue):
    async def body(server, port, shell, until, events, key):
        ask = server.book(SYMBOL).best_ask_price()
        port.submit([PlaceOrder(an_order(venue, "r0", "sell", ask * 11 // 10, "gtc"))], time.time_ns())
        assert await until(lambda: any(isinstance(e, Accepted) for e in events))
        account = server.exchange.accounts[key.account]
        (resting,) = server.exchange.open_orders(account)
        sent = port.requests_sent
        resting.price = server.book(SYMBOL).best_bid_price() * 998 // 1000  # the market comes to it (a sell locks base only)
        server.exchange.on_book_change(SYMBOL, time.time_ns() // MS)
        assert not resting.open
        assert await until(lambda: any(isinstance(e, Filled) for e in events), 2.0)
        (filled,) = [e for e in events if isinstance(e, Filled)]
        return port.requests_sent - sent, filled, resting

    # Backup polling every 60 s: only the stream can have said so within 2 s.
    requests, filled, resting = asyncio.run(session(venue, body, max_poll_ns=60_000 * MS))
    assert requests == 0
    assert (filled.qty, filled.quote, filled.fee) == (resting.filled, resting.quote, resting.fee)


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


def test_gate_refused_signature_is_reported_naming_the_venue_and_retried():
    async def body(server, port, shell, until, events, key):
        assert await until(lambda: "gateio" in shell.streams and shell.streams["gateio"].stats["failures"] >= 1, 5.0)
        return shell.streams["gateio"].last_error, port.streaming, runner_alive(shell)

    wrong = "not-the-secret-0123456789"
    error, streaming, alive = asyncio.run(session("gateio", body, secret=wrong))
    assert error.startswith("VenueError: gateio: auth: 4 ") and "INVALID_SIGNATURE" in error
    assert wrong not in error and not streaming and alive


def test_kraken_expired_token_is_refused_naming_the_venue_and_retried(monkeypatch):
    # Every token counts as left unused past its 15 minutes: the subscription is refused.
    monkeypatch.setattr(sim_kraken, "_TOKEN_UNUSED_MS", -1)

    async def body(server, port, shell, until, events, key):
        assert await until(lambda: "kraken" in shell.streams and shell.streams["kraken"].stats["failures"] >= 1, 5.0)
        stream = shell.streams["kraken"]
        return stream.last_error, stream._token, port.streaming, runner_alive(shell)

    error, token, streaming, alive = asyncio.run(session("kraken", body, secret=None, ready=False))
    assert error.startswith("VenueError: kraken: auth: ESession:Invalid session") and token and token not in error
    assert not streaming and alive


def test_kraken_bad_signature_on_the_token_request_is_named():
    async def body(server, port, shell, until, events, key):
        assert await until(lambda: "kraken" in shell.streams and shell.streams["kraken"].stats["failures"] >= 1, 5.0)
        return shell.streams["kraken"].last_error, port.streaming

    wrong = "bm90LXRoZS1zZWNyZXQ="
    error, streaming = asyncio.run(session("kraken", body, secret=wrong))
    assert error.startswith("VenueError: kraken: auth: EAPI:Invalid signature") and wrong not in error and not streaming
